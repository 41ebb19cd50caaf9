"""``lamina.models``: ``Model``, ``Sequential`` and the functional API."""

from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential"]
