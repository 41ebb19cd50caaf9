"""Reverse-mode automatic differentiation over NumPy arrays."""

from lamina.autodiff.tape import GradientTape, Primitive, apply, stop_gradient, unbroadcast
from lamina.autodiff.tensor import Tensor, Variable, is_tensor, to_array

__all__ = [
    "GradientTape",
    "Primitive",
    "Tensor",
    "Variable",
    "apply",
    "is_tensor",
    "stop_gradient",
    "to_array",
    "unbroadcast",
]
