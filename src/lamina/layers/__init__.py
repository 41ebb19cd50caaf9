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
from lamina.layers.serialization import deserialize_layer, serialize_layer

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
]


def serialize(layer) -> dict:
    """A layer's Keras-style config dict (class name, module and config)."""
    return serialize_layer(layer)


def deserialize(config, custom_objects=None):
    """Create a layer from a Keras-style config dict."""
    return deserialize_layer(config, custom_objects=custom_objects)

