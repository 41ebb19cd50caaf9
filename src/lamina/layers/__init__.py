"""``lamina.layers``: Keras's layers on NumPy."""

from lamina.layers import attention as _attention
from lamina.layers import convolutional as _convolutional
from lamina.layers import image_preprocessing as _image_preprocessing
from lamina.layers import merging as _merging
from lamina.layers import pooling as _pooling
from lamina.layers import rnn as _rnn
from lamina.layers import spatial as _spatial
from lamina.layers import symbolic_ops as _symbolic_ops  # noqa: F401  (ops on KerasTensors)
from lamina.layers import text_preprocessing as _text_preprocessing
from lamina.layers.activations import ELU, LeakyReLU, PReLU, ReLU, Softmax
from lamina.layers.activity_regularization import ActivityRegularization
from lamina.layers.attention import *  # noqa: F403
from lamina.layers.convolutional import *  # noqa: F403
from lamina.layers.core import Activation, Dense
from lamina.layers.core_einsum_dense import EinsumDense
from lamina.layers.core_lambda import Lambda
from lamina.layers.embedding import Embedding, Masking
from lamina.layers.image_preprocessing import *  # noqa: F403
from lamina.layers.input_layer import Input, InputLayer
from lamina.layers.input_spec import InputSpec, KerasTensor
from lamina.layers.layer import Layer
from lamina.layers.merging import *  # noqa: F403
from lamina.layers.normalization import BatchNormalization, LayerNormalization, UnitNormalization
from lamina.layers.pooling import *  # noqa: F403
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
from lamina.layers.reshaping import Flatten, Identity, Permute, RepeatVector, Reshape
from lamina.layers.rnn import *  # noqa: F403
from lamina.layers.spatial import *  # noqa: F403
from lamina.layers.text_preprocessing import *  # noqa: F403
from lamina.utils import registry as _registry

__all__ = [
    "Activation",
    "ActivityRegularization",
    "AlphaDropout",
    "BatchNormalization",
    "Dense",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "Input",
    "InputLayer",
    "InputSpec",
    "KerasTensor",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "Normalization",
    "PReLU",
    "ReLU",
    "Reshape",
    "Permute",
    "RepeatVector",
    "Identity",
    "Lambda",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "UnitNormalization",
    "deserialize",
    "serialize",
]

# The layer families that are packages or modules of their own export their names there.
__all__ += _convolutional.__all__ + _pooling.__all__ + _spatial.__all__
__all__ += _image_preprocessing.__all__ + _merging.__all__
__all__ += _attention.__all__ + ["EinsumDense"]
__all__ += _rnn.__all__
__all__ += _text_preprocessing.__all__
# Keras's other names for the same classes.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D  # noqa: F405
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D  # noqa: F405
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (  # noqa: F405
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)  # noqa: F405
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (  # noqa: F405
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)  # noqa: F405
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D  # noqa: F405
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (  # noqa: F405
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose)  # noqa: F405
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D  # noqa: F405
__all__ += ["AvgPool1D", "AvgPool2D", "AvgPool3D", "Convolution1D", "Convolution1DTranspose",
            "Convolution2D", "Convolution2DTranspose", "Convolution3D",
            "Convolution3DTranspose", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
            "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "MaxPool1D", "MaxPool2D",
            "MaxPool3D", "SeparableConvolution1D", "SeparableConvolution2D"]

_registry.register_classes("layer", [
    value for name, value in list(globals().items())
    if name in __all__ and isinstance(value, type) and issubclass(value, Layer)
    and value is not Layer])
# keras.utils.FeatureSpace (and its float preprocessor) are layers that files may name.
from lamina.layers.feature_space import FeatureSpace as _FeatureSpace  # noqa: E402
from lamina.layers.feature_space_specs import TFDIdentity as _TFDIdentity  # noqa: E402

_registry.register_classes("layer", [_FeatureSpace, _TFDIdentity])


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
