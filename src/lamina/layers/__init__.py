"""``lamina.layers``: Keras's layers on NumPy."""

from lamina.layers.core import Activation, Dense
from lamina.layers.input_layer import Input, InputLayer
from lamina.layers.input_spec import InputSpec, KerasTensor
from lamina.layers.layer import Layer
from lamina.layers.normalization import BatchNormalization, LayerNormalization, UnitNormalization
from lamina.layers.preprocessing import Normalization
from lamina.layers.regularization import (
    AlphaDropout,
    Dropout,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from lamina.layers.reshaping import Flatten, Reshape
from lamina.utils import registry as _registry

__all__ = [
    "Activation",
    "AlphaDropout",
    "BatchNormalization",
    "Dense",
    "Dropout",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "LayerNormalization",
    "Normalization",
    "Reshape",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "UnitNormalization",
    "deserialize",
    "serialize",
]


_registry.register_classes("layer", [
    value for name, value in list(globals().items())
    if name in __all__ and isinstance(value, type) and issubclass(value, Layer)
    and value is not Layer])


def serialize(layer) -> dict:
    """A layer's Keras-style config dict (class name, module and config).

    Example:
        >>> import lamina
        >>> config = lamina.layers.serialize(lamina.layers.Dense(3, name="out"))
        >>> lamina.layers.deserialize(config).units
        3
    """
    import importlib  # (lamina.saving sits above the layers; it does the work)

    return importlib.import_module("lamina.saving").serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """Create a layer from a Keras-style config dict (see ``serialize``)."""
    import importlib

    return importlib.import_module("lamina.saving.deserialization").deserialize_layer(
        config, custom_objects=custom_objects)


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
