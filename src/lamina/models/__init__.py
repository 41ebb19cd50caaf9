"""``lamina.models``: ``Model``, ``Sequential``, the functional API, and model files."""

from lamina.models.functional import Functional
from lamina.models.model import Model
from lamina.models.sequential import Sequential
from lamina.saving.cloning import clone_model, model_from_json
from lamina.saving.keras_file import load_model, save_model

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]
