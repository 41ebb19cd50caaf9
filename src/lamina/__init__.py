"""lamina: the Keras way of building and training networks, on NumPy."""
from lamina import config, ops
from lamina.autodiff import GradientTape, Tensor, Variable
