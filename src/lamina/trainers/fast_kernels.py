"""Fused kernels for layers beyond Dense/Activation/Flatten (registered with ``register_kernel``)."""
