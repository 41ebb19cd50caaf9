"""lamina's activation functions as ONNX nodes (opset 18): one builder per registered name.

``activation(graph, layer, fn, x)`` writes the nodes of ``fn`` (a function from
``lamina.activations``) applied to tensor ``x`` and returns the output name. Functions that
ONNX has as one operator use it; the others are composed the way lamina computes them.
"""

from __future__ import annotations

import math

from lamina import activations as _activations
from lamina.export.graph import ExportError

__all__ = ["activation", "relu_general"]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _mul(g, a, b):
    return g.op("Mul", [a, b])


def _sigmoid_times(g, x):
    return _mul(g, x, g.op("Sigmoid", [x]))


def _gelu(g, x, approximate):
    half_x = _mul(g, x, g.const(0.5, "half"))
    if approximate:
        cube = g.op("Pow", [x, g.const(3.0, "three")])
        inner = g.op("Add", [x, _mul(g, cube, g.const(0.044715, "gelu_c"))])
        inner = _mul(g, inner, g.const(math.sqrt(2.0 / math.pi), "sqrt_2_over_pi"))
        return _mul(g, half_x, g.op("Add", [g.op("Tanh", [inner]), g.const(1.0, "one")]))
    erf = g.op("Erf", [_mul(g, x, g.const(1.0 / math.sqrt(2.0), "inv_sqrt2"))])
    return _mul(g, half_x, g.op("Add", [erf, g.const(1.0, "one")]))


def _sparse_plus(g, x):
    one = g.const(1.0, "one")
    middle = _mul(g, g.op("Mul", [g.op("Add", [x, one])] * 2), g.const(0.25, "quarter"))
    inner = g.op("Where", [g.op("Less", [x, one]), middle, x])
    return g.op("Where", [g.op("LessOrEqual", [x, g.const(-1.0, "minus_one")]),
                          g.const(0.0, "zero"), inner])


def _sparse_sigmoid(g, x):
    middle = _mul(g, g.op("Add", [x, g.const(1.0, "one")]), g.const(0.5, "half"))
    return g.op("Clip", [middle, g.const(0.0, "zero"), g.const(1.0, "one")])


def _squareplus(g, x, b=4.0):
    root = g.op("Sqrt", [g.op("Add", [_mul(g, x, x), g.const(float(b), "b")])])
    return g.op("Div", [g.op("Add", [x, root]), g.const(2.0, "two")])


def _glu(g, x, axis=-1):
    a, b = g.op("Split", [x], outputs=2, axis=axis, num_outputs=2)
    return _sigmoid_times_gate(g, a, b)


def _sigmoid_times_gate(g, a, b):
    return _mul(g, a, g.op("Sigmoid", [b]))


def _sparsemax(g, x, size, axis=-1):
    if size is None:
        raise ExportError("sparsemax exports for a known size of its axis only.")
    z = g.op("TopK", [x, g.ints([size], "k")], outputs=2, axis=axis, largest=1, sorted=1)[0]
    csum = g.op("CumSum", [z, g.const(axis, "axis", dtype="int64")])
    k = g.const([[float(i) for i in range(1, size + 1)]], "ks")
    support = g.op("Greater", [g.op("Sub", [z, g.op("Div", [
        g.op("Sub", [csum, g.const(1.0, "one")]), k])]), g.const(0.0, "zero")])
    axes = g.ints([axis], "axes")
    count = g.op("ReduceSum", [g.op("Cast", [support], to=g.helper.np_dtype_to_tensor_dtype(
        g.dtype)), axes], keepdims=1)
    total = g.op("ReduceSum", [g.op("Where", [support, z, g.const(0.0, "zero")]), axes],
                 keepdims=1)
    tau = g.op("Div", [g.op("Sub", [total, g.const(1.0, "one")]), count])
    return g.op("Relu", [g.op("Sub", [x, tau])])


def relu_general(g, x, negative_slope=0.0, max_value=None, threshold=0.0):
    """``activations.relu`` with all its arguments, as lamina computes it."""
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return g.op("LeakyRelu", [x], alpha=float(negative_slope))
    if threshold != 0:
        out = g.op("Where", [g.op("Greater", [x, g.const(float(threshold), "threshold")]), x,
                             g.const(0.0, "zero")])
    else:
        out = g.op("Relu", [x])
    if max_value is not None:
        out = g.op("Clip", [out, g.const(0.0, "zero"), g.const(float(max_value), "max_value")])
    if negative_slope != 0.0:
        below = g.op("Relu", [g.op("Sub", [g.const(float(threshold), "threshold"), x])
                              if threshold != 0 else g.op("Neg", [x])])
        out = g.op("Sub", [out, _mul(g, below, g.const(float(negative_slope), "slope"))])
    return out


_SIMPLE = {
    "relu": lambda g, x: g.op("Relu", [x]),
    "relu6": lambda g, x: g.op("Clip", [x, g.const(0.0, "zero"), g.const(6.0, "six")]),
    "sigmoid": lambda g, x: g.op("Sigmoid", [x]),
    "tanh": lambda g, x: g.op("Tanh", [x]),
    "exponential": lambda g, x: g.op("Exp", [x]),
    "softmax": lambda g, x: g.op("Softmax", [x], axis=-1),
    "log_softmax": lambda g, x: g.op("LogSoftmax", [x], axis=-1),
    "elu": lambda g, x: g.op("Elu", [x], alpha=1.0),
    "selu": lambda g, x: g.op("Selu", [x], alpha=_SELU_ALPHA, gamma=_SELU_SCALE),
    "celu": lambda g, x: g.op("Celu", [x], alpha=1.0),
    "gelu": lambda g, x: _gelu(g, x, approximate=False),
    "softplus": lambda g, x: g.op("Softplus", [x]),
    "softsign": lambda g, x: g.op("Softsign", [x]),
    "silu": _sigmoid_times,
    "mish": lambda g, x: _mul(g, x, g.op("Tanh", [g.op("Softplus", [x])])),
    "hard_sigmoid": lambda g, x: g.op("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5),
    "hard_silu": lambda g, x: g.op("HardSwish", [x]),
    "hard_tanh": lambda g, x: g.op("Clip", [x, g.const(-1.0, "minus_one"), g.const(1.0, "one")]),
    "leaky_relu": lambda g, x: g.op("LeakyRelu", [x], alpha=0.2),
    "hard_shrink": lambda g, x: g.op("Shrink", [x], bias=0.0, lambd=0.5),
    "soft_shrink": lambda g, x: g.op("Shrink", [x], bias=0.5, lambd=0.5),
    "tanh_shrink": lambda g, x: g.op("Sub", [x, g.op("Tanh", [x])]),
    "sparse_plus": _sparse_plus,
    "sparse_sigmoid": _sparse_sigmoid,
    "squareplus": _squareplus,
    "log_sigmoid": lambda g, x: g.op("Neg", [g.op("Softplus", [g.op("Neg", [x])])]),
    "glu": _glu,
}


def names() -> list:
    """The activation names that export (every built-in one but ``threshold``, which needs
    arguments no layer gives)."""
    return sorted(set(_SIMPLE) | {"linear", "sparsemax"})


def _builtin_name(fn):
    """The registered name of ``fn`` if it is one of lamina's own activations, else ``None``."""
    for name in names():
        if _activations.get(name) is fn:
            return name
    return None


def activation(g, layer, fn, x):
    """The nodes of activation ``fn`` applied to ``x`` (a ``Value``); the output name."""
    name = _builtin_name(fn)
    if name == "linear":
        return x.name
    if name == "sparsemax":
        return _sparsemax(g, x.name, x.shape[-1])
    if name is not None:
        return _SIMPLE[name](g, x.name)
    label = getattr(fn, "__name__", repr(fn))
    raise ExportError(
        f"Layer '{layer.name}' ({type(layer).__name__}) uses the activation {label!r}, which "
        f"has no ONNX form in lamina. Activations that export: {', '.join(names())}.")
