"""``lamina.models``: ``Model``, ``Sequential``, the functional API, and model files."""

from lamina.models.cloning import clone_model, model_from_json
from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential
from lamina.saving.keras_file import load_model, save_model
from lamina.utils import registry as _registry

_registry.register_classes("layer", [Functional, Model, Sequential])

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
