"""Converters of the merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (inputs
of lower rank get axes of 1 after the batch axis, as in Keras), Concatenate and Dot."""

from __future__ import annotations

from lamina import config
from lamina.export.graph import Value
from lamina.export.registry import converter


def _aligned(g, inputs) -> list:
    rank = max(x.rank for x in inputs)
    names = []
    for x in inputs:
        name = x.name
        if x.rank < rank:
            name = g.op("Unsqueeze", [name, g.ints(range(1, 1 + rank - x.rank), "axes")])
        names.append(name)
    return names


def _fold(g, op, names):
    out = names[0]
    for name in names[1:]:
        out = g.op(op, [out, name])
    return out


def _merged(g, inputs, out):
    """``out`` with the logical and of the masks its inputs carry (Keras's merge rule)."""
    masks = [x.mask for x in inputs if x.mask is not None]
    mask = _fold(g, "And", masks) if masks else None
    return Value(out, None, g.dtype, mask)


@converter("Add", masks=True)
def add(g, layer, inputs):
    return _merged(g, inputs, _fold(g, "Add", _aligned(g, inputs)))


@converter("Subtract", masks=True)
def subtract(g, layer, inputs):
    a, b = _aligned(g, inputs)
    return _merged(g, inputs, g.op("Sub", [a, b]))


@converter("Multiply", masks=True)
def multiply(g, layer, inputs):
    return _merged(g, inputs, _fold(g, "Mul", _aligned(g, inputs)))


@converter("Average", masks=True)
def average(g, layer, inputs):
    total = _fold(g, "Add", _aligned(g, inputs))
    return _merged(g, inputs, g.op("Div", [total, g.const(float(len(inputs)), "count")]))


@converter("Maximum", masks=True)
def maximum(g, layer, inputs):
    return _merged(g, inputs, _fold(g, "Max", _aligned(g, inputs)))


@converter("Minimum", masks=True)
def minimum(g, layer, inputs):
    return _merged(g, inputs, _fold(g, "Min", _aligned(g, inputs)))


@converter("Concatenate")
def concatenate(g, layer, inputs):
    return g.op("Concat", [x.name for x in inputs], axis=int(layer.axis))


def _l2_normalize(g, name, axis):
    square_sum = g.op("ReduceSum", [g.op("Mul", [name, name]), g.ints([axis], "axes")],
                      keepdims=1)
    eps = g.const(config.epsilon() ** 2, "epsilon_squared")  # ops.normalize's floor
    return g.op("Mul", [name, g.op("Reciprocal", [g.op("Sqrt", [g.op("Max", [square_sum,
                                                                              eps])])])])


@converter("Dot")
def dot(g, layer, inputs):
    x, y = inputs
    ax = layer._axes([x.shape, y.shape])
    xn, yn = x.name, y.name
    if layer.normalize:
        xn, yn = _l2_normalize(g, xn, ax[0]), _l2_normalize(g, yn, ax[1])
    if x.rank == 2 and y.rank == 2:
        return g.op("ReduceSum", [g.op("Mul", [xn, yn]), g.ints([1], "axes")], keepdims=1)
    # x: (batch, rest, d) with the dot axis last; y: (batch, d, rest) with it first.
    if x.rank == 3:
        xn = xn if ax[0] == 2 else g.op("Transpose", [xn], perm=[0, 2, 1])
    else:
        xn = g.op("Unsqueeze", [xn, g.ints([1], "axes")])
    if y.rank == 3:
        yn = yn if ax[1] == 1 else g.op("Transpose", [yn], perm=[0, 2, 1])
    else:
        yn = g.op("Unsqueeze", [yn, g.ints([2], "axes")])
    out = g.op("MatMul", [xn, yn])
    if x.rank == 2:
        out = g.op("Squeeze", [out, g.ints([1], "axes")])
    elif y.rank == 2:
        out = g.op("Squeeze", [out, g.ints([2], "axes")])
    return out
