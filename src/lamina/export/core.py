"""Converters of the core layers: Dense, the activation layers, Embedding, and the layers that
are identities at inference (dropout, noise, the random image augmentations)."""

from __future__ import annotations

import numpy as np

from lamina.export.activations import activation, relu_general
from lamina.export.graph import Value
from lamina.export.registry import converter


def weight(layer, attr: str, dtype=None) -> np.ndarray:
    """A layer's weight as a NumPy array (in ``dtype`` when given)."""
    value = np.asarray(getattr(layer, attr))
    return value if dtype is None else value.astype(dtype)


@converter("Dense")
def dense(g, layer, inputs):
    (x,) = inputs
    out = g.op("MatMul", [x.name, g.const(weight(layer, "kernel", g.dtype), "kernel")])
    if layer.bias is not None:
        out = g.op("Add", [out, g.const(weight(layer, "bias", g.dtype), "bias")])
    return activation(g, layer, layer.activation, _like(x, out))


def _like(x, name):
    """A ``Value`` named ``name`` with ``x``'s shape (for activations that read the shape)."""
    return Value(name, x.shape, x.dtype)


@converter("Activation")
def activation_layer(g, layer, inputs):
    (x,) = inputs
    return activation(g, layer, layer.activation, x)


@converter("ReLU")
def relu_layer(g, layer, inputs):
    (x,) = inputs
    return relu_general(g, x.name, negative_slope=layer.negative_slope,
                        max_value=layer.max_value, threshold=layer.threshold)


@converter("LeakyReLU")
def leaky_relu_layer(g, layer, inputs):
    (x,) = inputs
    return g.op("LeakyRelu", [x.name], alpha=float(layer.negative_slope))


@converter("ELU")
def elu_layer(g, layer, inputs):
    (x,) = inputs
    return g.op("Elu", [x.name], alpha=float(layer.alpha))


@converter("PReLU")
def prelu_layer(g, layer, inputs):
    (x,) = inputs
    return g.op("PRelu", [x.name, g.const(weight(layer, "alpha", g.dtype), "alpha")])


@converter("Softmax")
def softmax_layer(g, layer, inputs):
    (x,) = inputs
    axis = layer.axis
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    if not isinstance(axis, (list, tuple)):
        return g.op("Softmax", [x.name], axis=int(axis))
    lse = g.op("ReduceLogSumExp", [x.name, g.ints(axis, "axes")], keepdims=1)
    return g.op("Exp", [g.op("Sub", [x.name, lse])])


# Identities at inference: predict calls them with training=False.
_IDENTITIES = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
               "GaussianNoise", "GaussianDropout", "AlphaDropout",
               "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation",
               "RandomContrast", "RandomBrightness", "Identity", "ActivityRegularization")


@converter(*_IDENTITIES)
def identity(g, layer, inputs):
    (x,) = inputs
    return x.name


def _int64(g, x):
    return x.name if x.dtype == np.int64 else g.op("Cast", [x.name], to=7)  # 7: int64


@converter("Embedding", masks=True)
def embedding(g, layer, inputs):
    (x,) = inputs
    ids = x.name if x.dtype.kind in "iu" else _int64(g, x)
    table = g.const(weight(layer, "embeddings", g.dtype), "embeddings")
    out = g.op("Gather", [table, ids], axis=0)
    mask = None
    if layer.mask_zero:  # id 0 is padding: the mask the layers after it read
        mask = g.op("Not", [g.op("Equal", [_int64(g, x), g.const(0, "zero_id", dtype=np.int64)])],
                    name="mask")
    return Value(out, layer.compute_output_shape(x.shape), g.dtype, mask)


@converter("Masking", masks=True)
def masking(g, layer, inputs):
    (x,) = inputs
    differs = g.op("Not", [g.op("Equal", [x.name, g.const(float(layer.mask_value),
                                                            "mask_value")])])
    count = g.op("ReduceSum", [g.op("Cast", [differs], to=6), g.ints([-1], "axes")],  # int32
                 keepdims=1)
    keep = g.op("Greater", [count, g.const(0, "zero", dtype=np.int32)])
    out = g.op("Where", [keep, x.name, g.const(0.0, "zero")])
    mask = g.op("Squeeze", [keep, g.ints([-1], "axes")], name="mask")
    return Value(out, x.shape, g.dtype, mask)
