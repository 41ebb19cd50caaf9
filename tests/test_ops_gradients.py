"""Gradients of every differentiable op in ``lamina.ops``, from one table.

Each case is checked against float64 central differences with ``gradcheck.check_gradients``.
The outputs are multiplied by fixed random weights before summing, so ops whose plain sum
is constant (softmax, normalize, ...) are still tested. Inputs stay away from kinks; the
kinks themselves are pinned to TensorFlow's conventions (what Keras users get) further down.
``test_every_differentiable_op_has_a_case`` fails when a public op ships without a case.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import pytest
from gradcheck import check_gradients

import lamina
from lamina import ops
from lamina.ops import _nn

# Public names of lamina.ops that have no gradient to check: creation, shape/dtype queries,
# comparisons and logic, integer-valued or piecewise-constant results, and stop_gradient.
NON_DIFFERENTIABLE = {
    "all", "any", "arange", "argmax", "argmin", "argsort", "ceil", "convert_to_numpy",
    "count_nonzero", "dtype", "equal", "eye", "floor", "floor_divide", "full", "full_like",
    "greater", "greater_equal", "identity", "isclose", "isfinite", "isinf", "isnan", "less",
    "less_equal", "linspace", "logical_and", "logical_not", "logical_or", "mod", "ndim",
    "not_equal", "one_hot", "ones", "ones_like", "round", "shape", "sign", "size",
    "stop_gradient", "zeros", "zeros_like",
    # ops/_numpy_more.py, ops/_numpy_build.py: logical tests, bins, uninitialised tensors
    "allclose", "digitize", "empty", "empty_like", "isin", "isneginf", "isposinf", "isreal",
    "logical_xor", "qr", "svd", "imag", "tri", "trunc", "nanargmax", "nanargmin",
    "bartlett", "blackman", "hamming", "hanning", "kaiser",
}  # fmt: skip

_RNG = np.random.default_rng(20240611)


def normal(*shape):
    return _RNG.standard_normal(shape)


def positive(*shape, lo=0.5, hi=2.0):
    return _RNG.uniform(lo, hi, shape)


def away(*shape, gap=0.2, hi=2.0):
    """Values with ``gap <= |x| <= hi``: clear of a kink at 0."""
    return _RNG.choice([-1.0, 1.0], shape) * _RNG.uniform(gap, hi, shape)


def probs(*shape):
    return _RNG.uniform(0.05, 0.95, shape)


@dataclass
class Case:
    name: str
    fn: object
    arrays: tuple
    covers: tuple
    wrt: tuple | None = None
    atol: float = 1e-6
    rtol: float = 1e-5


CASES: list[Case] = []


def case(name, fn, *arrays, covers=None, wrt=None, atol=1e-6, rtol=1e-5):
    """Add a case; ``covers`` defaults to the op named before the first '/' in ``name``."""
    covers = (name.split("/")[0],) if covers is None else tuple(covers)
    CASES.append(Case(name, fn, arrays, covers, wrt, atol, rtol))


def _weights(shape, k):
    return np.random.default_rng(1000 + k).standard_normal(shape)


def weighted_sum(fn):
    """``fn`` turned into a scalar: each output times fixed random weights, summed."""

    def scalar(*arrays):
        out = fn(*[ops.convert_to_tensor(a) for a in arrays])
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        total = 0.0
        for k, o in enumerate(outs):
            total = ops.add(total, ops.sum(ops.multiply(o, _weights(ops.shape(o), k))))
        return total

    return scalar


# -- elementwise binary ops, with broadcasting ------------------------------------------
BROADCASTS = [((2, 3), (2, 3)), ((3, 1), (1, 4)), ((2, 3), (3,)), ((), (2, 3)), ((2, 3), ())]

for sa, sb in BROADCASTS:
    tag = f"{sa}x{sb}"
    case(f"add/{tag}", ops.add, normal(*sa), normal(*sb))
    case(f"subtract/{tag}", ops.subtract, normal(*sa), normal(*sb))
    case(f"multiply/{tag}", ops.multiply, normal(*sa), normal(*sb))
    case(f"divide/{tag}", ops.divide, normal(*sa), away(*sb, gap=0.5))
    case(f"true_divide/{tag}", ops.true_divide, normal(*sa), away(*sb, gap=0.5))
    case(f"divide_no_nan/{tag}", ops.divide_no_nan, normal(*sa), away(*sb, gap=0.5))
    case(f"power/{tag}", ops.power, positive(*sa), normal(*sb))
    case(f"maximum/{tag}", ops.maximum, normal(*sa), normal(*sb))
    case(f"minimum/{tag}", ops.minimum, normal(*sa), normal(*sb))

# Python numbers as the other operand (no gradient for them, dtype kept).
case("add/python_scalar", lambda x: ops.add(x, 2.0), normal(2, 3))
case("subtract/python_scalar_first", lambda x: ops.subtract(1.0, x), normal(2, 3))
case("multiply/python_int", lambda x: ops.multiply(3, x), normal(2, 3))
case("divide/python_numerator", lambda x: ops.divide(1.0, x), away(2, 3, gap=0.5))
case("power/int_exponent", lambda x: ops.power(x, 3), normal(2, 3))
case("power/negative_exponent", lambda x: ops.power(x, -2.0), positive(2, 3))
case("power/python_base", lambda x: ops.power(2.0, x), normal(2, 3))
case("maximum/python_scalar", lambda x: ops.maximum(x, 0.1), away(2, 3, gap=0.3))
case("minimum/python_scalar", lambda x: ops.minimum(0.1, x), away(2, 3, gap=0.3))

# Tensor operators dispatch to the same ops.
case("add/operator", lambda x, y: x + y + 1.0 + (2.0 + x), normal(3, 1), normal(4))
case("subtract/operator", lambda x, y: x - y - (1.0 - y), normal(2, 3), normal(3))
case("multiply/operator", lambda x, y: x * y * 2.0, normal(3, 1), normal(1, 4))
case("divide/operator", lambda x, y: x / y + 1.0 / y, normal(2, 3), away(3, gap=0.5))
case("power/operator", lambda x: x**2 + 2.0**x, normal(2, 3))
case("negative/operator", lambda x: -x, normal(2, 3))
case("abs/operator", abs, away(2, 3))
case("matmul/operator", lambda a, b: a @ b, normal(2, 3), normal(3, 4))
case("transpose/operator", lambda x: x.T, normal(2, 3))
case("getitem/operator", lambda x: x[1:, ::2], normal(3, 5))

# -- elementwise unary ops --------------------------------------------------------------
case("negative", ops.negative, normal(2, 3))
case("square", ops.square, normal(2, 3))
case("sqrt", ops.sqrt, positive(2, 3))
case("rsqrt", ops.rsqrt, positive(2, 3))
case("reciprocal", ops.reciprocal, away(2, 3, gap=0.5))
case("exp", ops.exp, normal(2, 3))
case("expm1", ops.expm1, normal(2, 3))
case("log", ops.log, positive(2, 3))
case("log1p", ops.log1p, positive(2, 3, lo=-0.5))
case("log2", ops.log2, positive(2, 3))
case("log10", ops.log10, positive(2, 3))
case("abs", ops.abs, away(2, 3))
case("absolute", ops.absolute, away(2, 3))
case("sin", ops.sin, normal(2, 3))
case("cos", ops.cos, normal(2, 3))
case("tan", ops.tan, _RNG.uniform(-1.2, 1.2, (2, 3)))
case("erf", ops.erf, normal(2, 3))
case("clip", lambda x: ops.clip(x, -0.5, 0.5), np.array([[-1.3, -0.8, -0.2], [0.1, 0.4, 0.9]]))
case("clip/int_bounds", lambda x: ops.clip(x, -1, 1), np.array([-2.5, -0.4, 0.3, 1.7]))
case("cast/float64", lambda x: ops.cast(x, "float64"), normal(2, 3))
case("cast/numpy_dtype", lambda x: ops.cast(x, np.float64) * x, normal(2, 3))
case("convert_to_tensor", lambda x: ops.convert_to_tensor(x) * ops.convert_to_tensor(x, "float64"),
     normal(2, 3))  # fmt: skip

_COND = np.array([[True], [False], [True]])
case("where/broadcast", lambda a, b: ops.where(_COND, a, b), normal(3, 4), normal(4))
case("where/scalar_branch", lambda a: ops.where(_COND, a, 0.0), normal(3, 4))
case("where/tensor_condition", lambda a, b: ops.where(ops.greater(a, b), a, b * 2.0),
     normal(2, 3), normal(2, 3))  # fmt: skip

# -- reductions ---------------------------------------------------------------------------
AXES = [None, 0, 1, -1, (0, 2), [1, 2]]
REDUCTIONS = {
    "sum": (ops.sum, normal),
    "mean": (ops.mean, normal),
    "max": (ops.max, normal),
    "min": (ops.min, normal),
    "amax": (ops.amax, normal),
    "amin": (ops.amin, normal),
    "prod": (ops.prod, lambda *s: away(*s, gap=0.5, hi=1.5)),
    "var": (ops.var, normal),
    "std": (ops.std, normal),
    "logsumexp": (ops.logsumexp, normal),
}
for op_name, (op, make) in REDUCTIONS.items():
    for axis in AXES:
        for keepdims in (False, True):
            case(f"{op_name}/axis={axis}/keepdims={keepdims}",
                 lambda x, op=op, axis=axis, keepdims=keepdims: op(x, axis=axis, keepdims=keepdims),
                 make(2, 3, 4))  # fmt: skip

case("max/initial", lambda x: ops.max(x, axis=1, initial=-10.0), normal(2, 3))
case("min/initial_active", lambda x: ops.min(x, axis=1, initial=0.05), positive(2, 3, lo=0.2))
case("prod/with_zeros", lambda x: ops.prod(x, axis=1),
     np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.2, -0.7, 2.0]]))  # fmt: skip
case("prod/all_with_zero", ops.prod, np.array([[0.0, 2.0], [-1.5, 3.0]]))
case("cumsum/axis=None", ops.cumsum, normal(2, 3))
case("cumsum/axis=0", lambda x: ops.cumsum(x, axis=0), normal(3, 2))
case("cumsum/axis=-1", lambda x: ops.cumsum(x, axis=-1), normal(2, 3, 4))

case("norm/vector", ops.norm, normal(5))
case("norm/frobenius_flat", ops.norm, normal(2, 3, 2))
case("norm/axis=1", lambda x: ops.norm(x, axis=1), normal(3, 4))
case("norm/axis_keepdims", lambda x: ops.norm(x, axis=-1, keepdims=True), normal(3, 4))
case("norm/ord=1", lambda x: ops.norm(x, ord=1, axis=-1), away(3, 4))
case("norm/ord=3", lambda x: ops.norm(x, ord=3, axis=0), away(3, 4))
case("norm/ord=inf", lambda x: ops.norm(x, ord=np.inf, axis=1), away(3, 4))
case("norm/ord=-inf", lambda x: ops.norm(x, ord=-np.inf, axis=1), away(3, 4))
case("norm/fro", lambda x: ops.norm(x, ord="fro"), normal(3, 4))
case("norm/matrix_ord=1", lambda x: ops.norm(x, ord=1), away(3, 4))
case("norm/matrix_ord=inf_axes", lambda x: ops.norm(x, ord=np.inf, axis=(2, 0)), away(3, 2, 4))

case("moments/axes=[0]", lambda x: ops.moments(x, axes=[0]), normal(4, 3))
case("moments/axes=(0,1)", lambda x: ops.moments(x, axes=(0, 1)), normal(2, 3, 4))
case("moments/keepdims", lambda x: ops.moments(x, axes=[1], keepdims=True), normal(3, 4))

# -- shapes ----------------------------------------------------------------------------------
case("reshape", lambda x: ops.reshape(x, (6, 4)), normal(2, 3, 4))
case("reshape/inferred", lambda x: ops.reshape(x, (4, None)), normal(2, 3, 2))
case("reshape/int", lambda x: ops.reshape(x, -1), normal(2, 3))
case("transpose", ops.transpose, normal(2, 3, 4))
case("transpose/axes", lambda x: ops.transpose(x, (1, 0, 2)), normal(2, 3, 4))
case("swapaxes", lambda x: ops.swapaxes(x, 0, -1), normal(2, 3, 4))
case("moveaxis", lambda x: ops.moveaxis(x, 0, -1), normal(2, 3, 4))
case("moveaxis/negative_source", lambda x: ops.moveaxis(x, -1, 1), normal(2, 3, 4))
case("expand_dims", lambda x: ops.expand_dims(x, 1), normal(2, 3))
case("expand_dims/tuple", lambda x: ops.expand_dims(x, (0, -1)), normal(2, 3))
case("squeeze", ops.squeeze, normal(1, 3, 1, 2))
case("squeeze/axis", lambda x: ops.squeeze(x, axis=2), normal(1, 3, 1, 2))
case("ravel", ops.ravel, normal(2, 3))
case("broadcast_to", lambda x: ops.broadcast_to(x, (2, 3, 4)), normal(3, 1))
case("tile", lambda x: ops.tile(x, 2), normal(2, 3))
case("tile/per_axis", lambda x: ops.tile(x, (2, 1)), normal(2, 3))
case("tile/more_reps_than_dims", lambda x: ops.tile(x, (2, 1, 3)), normal(2, 3))
case("repeat", lambda x: ops.repeat(x, 2), normal(2, 3))
case("repeat/per_element", lambda x: ops.repeat(x, [1, 3, 0], axis=1), normal(2, 3))
case("repeat/axis=0", lambda x: ops.repeat(x, 3, axis=0), normal(2, 3))
case("concatenate", lambda a, b, c: ops.concatenate([a, b, c]), normal(2, 3), normal(1, 3),
     normal(3, 3))  # fmt: skip
case("concatenate/axis=-1", lambda a, b: ops.concatenate((a, b), axis=-1), normal(2, 3),
     normal(2, 1))  # fmt: skip
case("stack", lambda a, b: ops.stack([a, b]), normal(2, 3), normal(2, 3))
case("stack/axis=-1", lambda a, b, c: ops.stack([a, b, c], axis=-1), normal(2, 3),
     normal(2, 3), normal(2, 3))  # fmt: skip
case("split", lambda x: ops.split(x, 3), normal(6, 2))
case("split/indices", lambda x: ops.split(x, [1, 3], axis=1), normal(2, 5))
case("flip", ops.flip, normal(2, 3))
case("flip/axis", lambda x: ops.flip(x, axis=1), normal(2, 3))
case("flip/axes", lambda x: ops.flip(x, axis=(0, 2)), normal(2, 3, 2))
case("pad", lambda x: ops.pad(x, ((1, 2), (0, 1))), normal(2, 3))
case("pad/scalar_width", lambda x: ops.pad(x, 1, constant_values=2.0), normal(2, 3))

# -- indexing --------------------------------------------------------------------------------
INDEXES = {
    "slice": (slice(1, 3),),
    "negative_step": (slice(None, None, -1), 1),
    "int": 2,
    "negative_ints": (-1, -2),
    "int_array_duplicates": [0, 0, 2],
    "column_array_duplicates": (slice(None), [1, 1, 4]),
    "pairs_duplicates": (np.array([0, 0, 3]), np.array([1, 1, 2])),
    "bool_mask": np.array([True, False, True, True]),
    "newaxis_ellipsis": (None, Ellipsis, 1),
}
for tag, index in INDEXES.items():
    case(f"getitem/{tag}", lambda x, index=index: ops.getitem(x, index), normal(4, 5))
case("getitem/tensor_index", lambda x: x[ops.convert_to_tensor([3, 3, 1])], normal(4, 5))

case("take/flat_duplicates", lambda x: ops.take(x, [5, 0, 5, 5]), normal(2, 3))
case("take/axis=0_2d_indices", lambda x: ops.take(x, [[0, 2], [2, 2]], axis=0), normal(3, 4))
case("take/negative_indices", lambda x: ops.take(x, [-1, 0, -1], axis=1), normal(2, 3, 2))
case("take/axis=-1", lambda x: ops.take(x, np.array([1, 1]), axis=-1), normal(2, 3))
_IDX = np.array([[0, 3], [1, 1], [2, 0]])
case("take_along_axis", lambda x: ops.take_along_axis(x, _IDX, axis=1), normal(3, 4))
case("take_along_axis/axis=0", lambda x: ops.take_along_axis(x, _IDX.T[:, :1] % 3, axis=0),
     normal(3, 4))  # fmt: skip
case("take_along_axis/axis=None", lambda x: ops.take_along_axis(x, [5, 5, 0]), normal(2, 3))
case("take_along_axis/broadcast_x", lambda x: ops.take_along_axis(x, _IDX, axis=1), normal(1, 4))
case("take_along_axis/broadcast_indices", lambda x: ops.take_along_axis(x, _IDX[:1], axis=1),
     normal(3, 4))  # fmt: skip
case("sort", ops.sort, normal(3, 4))
case("sort/axis=0", lambda x: ops.sort(x, axis=0), normal(3, 4))
case("top_k", lambda x: ops.top_k(x, 2)[0], normal(3, 5))

# -- linear algebra ------------------------------------------------------------------------
MATMULS = [
    ((2, 3), (3, 4)),
    ((2, 2, 3), (3, 4)),
    ((2, 3), (2, 3, 4)),
    ((2, 1, 2, 3), (3, 3, 2)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (3,)),
    ((3,), (2, 3, 4)),
    ((2, 2, 3), (3,)),
]
for sa, sb in MATMULS:
    case(f"matmul/{sa}@{sb}", ops.matmul, normal(*sa), normal(*sb))
for sa, sb in [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)), ((2, 3, 4), (3, 4, 2)), ((), (2,))]:
    case(f"dot/{sa}.{sb}", ops.dot, normal(*sa), normal(*sb))
for axes, sa, sb in [
    (2, (2, 3, 4), (3, 4, 2)),
    (1, (2, 3), (3, 4)),
    (0, (2,), (3,)),
    (([1, 0], [0, 1]), (2, 3, 4), (3, 2)),
    ((-1, 0), (2, 3), (3, 2)),
]:
    case(f"tensordot/axes={axes}", lambda a, b, axes=axes: ops.tensordot(a, b, axes=axes),
         normal(*sa), normal(*sb))  # fmt: skip
case("outer", ops.outer, normal(3), normal(4))
case("outer/flattens", ops.outer, normal(2, 2), normal(3))
case("dense", ops.dense, normal(4, 3), normal(3, 2), normal(2))
case("dense/3d_input", ops.dense, normal(2, 4, 3), normal(3, 2), normal(2))
case("dense/1d_input", ops.dense, normal(3), normal(3, 2), normal(2))
EINSUMS = [
    ("ij,jk->ik", (2, 3), (3, 4)),  # a matrix product (one BLAS call)
    ("bij,bjk->bik", (2, 2, 3), (2, 3, 4)),  # batch matmul
    ("i,j->ij", (3,), (4,)),  # outer product
    ("ij,jk", (2, 3), (3, 4)),  # implicit output
    ("...ij,...jk", (3, 1, 2, 3), (2, 3, 2)),  # ellipsis, broadcast batch axes
    ("abc,cde->abde", (2, 3, 4), (4, 2, 3)),  # MultiHeadAttention's projections
    ("aecd,abcd->acbe", (2, 4, 2, 3), (2, 3, 2, 3)),  # ... its scores
    ("acbe,aecd->abcd", (2, 2, 3, 4), (2, 4, 2, 3)),  # ... and its combination
    ("abcd,cde->abe", (2, 3, 2, 4), (2, 4, 3)),  # ... and its output projection
    ("afgde,abcde->adbcfg", (1, 2, 2, 2, 3), (1, 2, 3, 2, 3)),  # scores over two axes
    ("...b,bc->...c", (2, 3, 4), (4, 2)),  # EinsumDense with '...'
    ("ii->i", (3, 3)),  # a diagonal
    ("iij->j", (3, 3, 2)),  # a trace per column
    ("ij,ij->ij", (1, 3), (2, 3)),  # a length-1 axis broadcast
    ("ijx,jk->ik", (2, 3, 2), (3, 4)),  # a label summed in one operand only
    ("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),  # three operands
    ("i,->i", (3,), ()),  # a scalar operand
]
for sub, *shapes in EINSUMS:
    case(f"einsum/{sub}", lambda *xs, sub=sub: ops.einsum(sub, *xs),
         *[normal(*s) for s in shapes])

# -- neural-network functions ----------------------------------------------------------
case("relu", ops.relu, away(3, 4))
case("relu6", ops.relu6, np.array([-1.0, 0.5, 3.0, 5.5, 7.0, -0.3]))
case("sigmoid", ops.sigmoid, normal(3, 4) * 3)
case("tanh", ops.tanh, normal(3, 4))
case("softplus", ops.softplus, normal(3, 4) * 3)
case("softsign", ops.softsign, away(3, 4))
case("silu", ops.silu, normal(3, 4) * 2)
case("swish", ops.swish, normal(3, 4) * 2)
case("hard_sigmoid", ops.hard_sigmoid, np.array([-4.0, -2.0, -0.5, 0.5, 2.5, 4.0]))
case("hard_silu", ops.hard_silu, np.array([-4.0, -2.0, -0.5, 0.5, 2.5, 4.0]))
case("hard_swish", ops.hard_swish, np.array([-4.0, -2.0, -0.5, 0.5, 2.5, 4.0]))
case("leaky_relu", ops.leaky_relu, away(3, 4))
case("leaky_relu/negative_slope", lambda x: ops.leaky_relu(x, negative_slope=0.1), away(3, 4))
case("elu", ops.elu, away(3, 4))
case("elu/alpha", lambda x: ops.elu(x, alpha=0.5), away(3, 4))
case("selu", ops.selu, away(3, 4))
case("gelu/approximate", ops.gelu, normal(3, 4) * 2)
case("gelu/exact", lambda x: ops.gelu(x, approximate=False), normal(3, 4) * 2)
case("mish", ops.mish, normal(3, 4) * 2)
case("exponential", ops.exponential, normal(3, 4))
case("softmax", ops.softmax, normal(3, 4))
case("softmax/axis=0", lambda x: ops.softmax(x, axis=0), normal(3, 4))
case("softmax/axis=1_of_3d", lambda x: ops.softmax(x, axis=1), normal(2, 3, 2))
case("log_softmax", ops.log_softmax, normal(3, 4))
case("log_softmax/axis=0", lambda x: ops.log_softmax(x, axis=0), normal(3, 4))
case("normalize", ops.normalize, normal(3, 4))
case("normalize/axis=0", lambda x: ops.normalize(x, axis=0), normal(3, 4))
case("normalize/order=1", lambda x: ops.normalize(x, order=1), away(3, 4))
case("batch_normalization", lambda x, m, v, b, s: ops.batch_normalization(x, m, v, -1, b, s),
     normal(4, 3), normal(3), positive(3), normal(3), normal(3))
case("batch_normalization/axis=1_no_offset_scale",
     lambda x, m, v: ops.batch_normalization(x, m, v, axis=1, epsilon=0.01),
     normal(2, 3, 2), normal(3), positive(3))
# BatchNormalization's fused primitive: with batch statistics, x's gradient includes theirs.
case("batch_normalization/fused_batch_statistics",
     lambda x, g, b: _nn._fused_batch_normalization(
         x, g, b, *_nn._fused_moments(x, (0,)), epsilon=1e-3, axes=(0,), batch_stats=True),
     normal(5, 3), normal(1, 3), normal(1, 3), covers=())
case("batch_normalization/fused_fixed_statistics",
     lambda x, g, b, m, v: _nn._fused_batch_normalization(
         x, g, b, m, v, epsilon=1e-3, axes=(0, 1), batch_stats=False),
     normal(2, 3, 2), normal(1, 1, 2), normal(1, 1, 2), normal(1, 1, 2), positive(1, 1, 2),
     wrt=(0, 1, 2), covers=())
# The layer normalization the engine fuses (engine/fuse_norm.py), with and without scale/offset.
case("layer_normalization/fused_primitive",
     lambda x, g, b: lamina.autodiff.tape.apply(
         lamina.ops._primitives.LAYER_NORM, (x, np.asarray(1e-3), g, b), axis=(1,),
         scale=True, center=True),
     normal(4, 6), normal(6), normal(6), covers=())
case("layer_normalization/fused_primitive_two_axes_no_affine",
     lambda x: lamina.autodiff.tape.apply(
         lamina.ops._primitives.LAYER_NORM, (x, np.asarray(0.01)), axis=(1, 2),
         scale=False, center=False),
     normal(2, 3, 4), covers=())
# ops.layer_normalization (what LayerNormalization calls): the same primitive, its closed-form VJP.
case("layer_normalization", lambda x, g, b: ops.layer_normalization(x, g, b, epsilon=1e-3),
     normal(4, 6), normal(6), normal(6))
case("layer_normalization/two_axes_scale_only",
     lambda x, g: ops.layer_normalization(x, g, axis=(1, 2), epsilon=0.01),
     normal(2, 3, 4), normal(3, 4))
case("layer_normalization/middle_axis_offset_only",
     lambda x, b: ops.layer_normalization(x, beta=b, axis=1), normal(2, 3, 4), normal(3))
case("layer_normalization/no_affine", lambda x: ops.layer_normalization(x, axis=-1),
     normal(3, 5))
# The fused recurrent sequence (RECURRENT_SCAN, used by LSTM/GRU/SimpleRNN): every kind, with
# a mask (a masked first step included), go_backwards, returned states and dropout masks.
_SCAN_MASK = np.array([[False, True, True, False], [True, True, False, True]])
_SCAN_RNG = np.random.default_rng(31)  # (its own draws: the cases after it keep theirs)
_SCAN_DROP = (_SCAN_RNG.uniform(size=(4, 2, 3)) > 0.3) / 0.7
for _i, (_kind, _g, _states, _opts) in enumerate([
    ("lstm", 4, 2, {"return_sequences": True}),
    ("lstm", 4, 2, {"go_backwards": True, "return_state": True, "mask": _SCAN_MASK,
                    "recurrent_masks": _SCAN_DROP}),
    ("gru", 3, 1, {"return_sequences": True, "mask": _SCAN_MASK, "return_state": True}),
    ("gru", 3, 1, {"reset_after": False, "go_backwards": True, "zero_output_for_mask": True,
                   "return_sequences": True, "mask": _SCAN_MASK,
                   "recurrent_masks": _SCAN_DROP[:3]}),
    ("simple", 1, 1, {"activation": "relu", "mask": _SCAN_MASK, "return_sequences": True}),
    # the whole-sequence LSTM of _prim_lstm (default activations, no mask or dropout)
    ("lstm", 4, 2, {}),
    ("lstm", 4, 2, {"go_backwards": True, "return_state": True, "return_sequences": True}),
    ("lstm", 4, 2, {"mask": _SCAN_MASK, "return_state": True, "return_sequences": True}),
    ("lstm", 4, 2, {"mask": _SCAN_MASK, "go_backwards": True, "zero_output_for_mask": True,
                    "return_state": True}),
]):
    def _scan(p, r, *rest, kind=_kind, n=_states, opts=_opts):
        from lamina.ops import _rnn

        bias = rest[n] if len(rest) > n else None
        out, states = _rnn._recurrent_scan(kind, p, r, list(rest[:n]), recurrent_bias=bias,
                                           **opts)
        return out if states is None else ops.concatenate([ops.reshape(out, (2, -1))] + [
            ops.reshape(s, (2, -1)) for s in states], axis=1)
    _gru_bias = _kind == "gru" and _opts.get("reset_after", True)
    _bias = [_SCAN_RNG.standard_normal(3 * 3)] if _gru_bias else []
    case(f"recurrent_scan/{_kind}/{_i}", _scan, _SCAN_RNG.standard_normal((4, 2, 3 * _g)),
         _SCAN_RNG.standard_normal((3, 3 * _g)) * 0.5,
         *[_SCAN_RNG.standard_normal((2, 3)) for _ in range(_states)], *_bias,
         covers=())

# The LSTM from its raw inputs (LSTM_SEQUENCE: the input projection inside the step's product).
for _i, _opts in enumerate([{"return_sequences": True},
                            {"go_backwards": True, "return_state": True, "mask": _SCAN_MASK},
                            {"zero_output_for_mask": True, "mask": _SCAN_MASK,
                             "return_sequences": True}]):
    def _lstm_seq(x, k, r, b, h, c, opts=_opts):
        from lamina.ops import _rnn

        out, states = _rnn._lstm_sequence(x, k, r, [h, c], bias=b, **opts)
        return out if states is None else ops.concatenate([ops.reshape(out, (2, -1))] + [
            ops.reshape(s, (2, -1)) for s in states], axis=1)
    case(f"lstm_sequence/{_i}", _lstm_seq, _SCAN_RNG.standard_normal((2, 4, 3)),
         _SCAN_RNG.standard_normal((3, 8)) * 0.5, _SCAN_RNG.standard_normal((2, 8)) * 0.5,
         _SCAN_RNG.standard_normal(8), *[_SCAN_RNG.standard_normal((2, 2)) for _ in range(2)],
         covers=())

# -- convolution and pooling ---------------------------------------------------------------
case("conv/2d_valid", ops.conv, normal(2, 5, 4, 3), normal(3, 2, 3, 2))
case("conv/2d_same_strided_dilated",
     lambda x, k: ops.conv(x, k, strides=(2, 1), padding="same", dilation_rate=(1, 2)),
     normal(1, 6, 7, 2), normal(2, 3, 2, 3))
case("conv/1d_same", lambda x, k: ops.conv(x, k, strides=2, padding="same"),
     normal(2, 7, 2), normal(3, 2, 3))
case("conv/3d", lambda x, k: ops.conv(x, k, padding="same"), normal(1, 3, 4, 3, 2),
     normal(2, 2, 2, 2, 2))
case("conv/groups", lambda x, k: ops.conv(x, k, padding="same"), normal(1, 4, 4, 4),
     normal(3, 3, 2, 4))
case("conv/pointwise", ops.conv, normal(2, 3, 3, 4), normal(1, 1, 4, 2))
case("conv/channels_first", lambda x, k: ops.conv(x, k, padding="same",
                                                  data_format="channels_first"),
     normal(1, 2, 5, 4), normal(3, 3, 2, 2))
case("depthwise_conv", lambda x, k: ops.depthwise_conv(x, k, strides=2, padding="same"),
     normal(1, 5, 5, 3), normal(3, 3, 3, 2))
case("separable_conv", lambda x, d, p: ops.separable_conv(x, d, p, padding="same"),
     normal(1, 4, 4, 2), normal(3, 3, 2, 2), normal(1, 1, 4, 3))
case("conv_transpose/valid", lambda x, k: ops.conv_transpose(x, k, strides=2),
     normal(1, 3, 4, 3), normal(3, 3, 2, 3))
case("conv_transpose/same_output_padding",
     lambda x, k: ops.conv_transpose(x, k, strides=2, padding="same", output_padding=1),
     normal(1, 3, 3, 2), normal(3, 3, 2, 2))
case("conv_transpose/1d", lambda x, k: ops.conv_transpose(x, k, strides=3),
     normal(2, 4, 2), normal(4, 3, 2))
# Pooling: distinct values keep the maxima clear of ties.
case("max_pool/tiled", lambda x: ops.max_pool(x, 2),
     _RNG.permutation(48).reshape(1, 4, 4, 3) / 10.0)
case("max_pool/overlapping_same", lambda x: ops.max_pool(x, 3, strides=2, padding="same"),
     _RNG.permutation(50).reshape(1, 5, 5, 2) / 10.0)
case("max_pool/1d", lambda x: ops.max_pool(x, 2, strides=1),
     _RNG.permutation(14).reshape(2, 7, 1) / 10.0)
case("average_pool/tiled", lambda x: ops.average_pool(x, 2), normal(1, 4, 4, 2))
case("average_pool/same", lambda x: ops.average_pool(x, 3, strides=2, padding="same"),
     normal(1, 5, 4, 2))
case("average_pool/3d", lambda x: ops.average_pool(x, (2, 2, 1)), normal(1, 4, 2, 3, 1))


def _conv_pool(relu, **geometry):
    """The engine's fused conv + bias (+ ReLU) + tiling max pool (``engine/fuse_conv.py``)."""
    from lamina.autodiff.tape import apply
    from lamina.ops._primitives import CONV_POOL

    return lambda x, k, b: apply(CONV_POOL, (x, k, b), relu=relu, **geometry)


case("conv/fused_bias_relu_max_pool",
     _conv_pool(True, strides=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1),
                pool_size=(2, 2)),
     normal(2, 6, 7, 2), normal(3, 3, 2, 3), normal(3), covers=("conv", "max_pool", "relu"))
case("conv/fused_bias_max_pool_1d_strided_dilated",
     _conv_pool(False, strides=(2,), padding=((0, 1),), dilation=(2,), pool_size=(3,)),
     normal(2, 15, 2), normal(2, 2, 3), normal(3), covers=("conv", "max_pool"))

# -- cross-entropies (with respect to the targets as well: soft labels) --------------------
case(
    "binary_crossentropy/from_logits",
    lambda t, z: ops.binary_crossentropy(t, z, from_logits=True),
    probs(4, 3),
    normal(4, 3) * 3,
)
case("binary_crossentropy/probabilities", ops.binary_crossentropy, probs(4, 3), probs(4, 3))
case(
    "binary_crossentropy/through_sigmoid",
    lambda t, z: ops.binary_crossentropy(t, ops.sigmoid(z)),
    probs(4, 3),
    normal(4, 3) * 3,
)
case(
    "categorical_crossentropy/from_logits",
    lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True),
    probs(4, 3),
    normal(4, 3),
)
case(
    "categorical_crossentropy/probabilities",
    ops.categorical_crossentropy,
    probs(4, 3),
    positive(4, 3, lo=0.1, hi=1.0),
)
case(
    "categorical_crossentropy/through_softmax",
    lambda t, z: ops.categorical_crossentropy(t, ops.softmax(z)),
    probs(4, 3),
    normal(4, 3),
)
case(
    "categorical_crossentropy/axis=0",
    lambda t, z: ops.categorical_crossentropy(t, z, from_logits=True, axis=0),
    probs(3, 4),
    normal(3, 4),
)
_LABELS = np.array([2, 0, 1, 2])
case(
    "sparse_categorical_crossentropy/from_logits",
    lambda z: ops.sparse_categorical_crossentropy(_LABELS, z, from_logits=True),
    normal(4, 3),
)
case(
    "sparse_categorical_crossentropy/labels_column",
    lambda z: ops.sparse_categorical_crossentropy(_LABELS[:, None], z, from_logits=True),
    normal(4, 3),
)
case(
    "sparse_categorical_crossentropy/probabilities",
    lambda p: ops.sparse_categorical_crossentropy(_LABELS, p),
    positive(4, 3, lo=0.1, hi=1.0),
)
case(
    "sparse_categorical_crossentropy/through_softmax",
    lambda z: ops.sparse_categorical_crossentropy(_LABELS, ops.softmax(z)),
    normal(4, 3),
)
case("sparse_categorical_crossentropy/3d",
     lambda z: ops.sparse_categorical_crossentropy(_LABELS.reshape(2, 2), z, from_logits=True),
     normal(2, 2, 3))  # fmt: skip

# -- triangles, diagonals, slices, cumprod, attention (ops/_more.py) ----------------------
case("tril", ops.tril, normal(4, 4))
case("tril/k=-1_batched", lambda x: ops.tril(x, k=-1), normal(2, 3, 4))
case("tril/vector", lambda x: ops.tril(x, k=1), normal(3))
case("triu", ops.triu, normal(3, 4))
case("triu/k=1_batched", lambda x: ops.triu(x, k=1), normal(2, 4, 3))
case("diagonal", ops.diagonal, normal(3, 4))
case("diagonal/offset_axes", lambda x: ops.diagonal(x, offset=-1, axis1=2, axis2=0),
     normal(3, 2, 4))  # fmt: skip
case("trace", ops.trace, normal(3, 3))
case("trace/offset_axes", lambda x: ops.trace(x, offset=1, axis1=1, axis2=2), normal(2, 3, 4))
case("diag/vector", ops.diag, normal(3))
case("diag/vector_k=2", lambda x: ops.diag(x, k=2), normal(3))
case("diag/vector_k=-1", lambda x: ops.diag(x, k=-1), normal(2))
case("diag/matrix_k=-1", lambda x: ops.diag(x, k=-1), normal(3, 4))
case("unstack", lambda x: ops.unstack(x), normal(3, 2))
case("unstack/axis=-1", lambda x: ops.unstack(x, num=4, axis=-1), normal(2, 3, 4))
case("slice", lambda x: ops.slice(x, [1, 0, 2], [2, -1, 2]), normal(3, 2, 5))
case("slice/tensor_starts",
     lambda x: ops.slice(x, ops.convert_to_tensor(np.array([1, 3])), [2, 2]), normal(4, 5))
case("slice_update", lambda x, u: ops.slice_update(x, [1, 2], u), normal(3, 5), normal(2, 2))
case("slice_update/tensor_starts",
     lambda x, u: ops.slice_update(x, ops.convert_to_tensor(np.array([0, 1, 1])), u),
     normal(2, 3, 4), normal(1, 2, 3))  # fmt: skip
_NONFINITE = np.array([[0.3, np.nan, -1.2], [np.inf, 0.8, -np.inf]])
case("nan_to_num", lambda x: ops.nan_to_num(x + _NONFINITE, nan=1.0, posinf=5.0, neginf=-3.0), normal(2, 3))
case("cumprod", ops.cumprod, away(2, 3, gap=0.5, hi=1.5))
case("cumprod/axis=1", lambda x: ops.cumprod(x, axis=1), away(2, 7, 2, gap=0.5, hi=1.5))
case("cumprod/with_zeros", lambda x: ops.cumprod(x, axis=-1),
     np.array([[0.5, 0.0, 1.5, -2.0, 0.7], [0.0, 1.3, 0.0, 0.9, 1.1]]))  # fmt: skip
_ATT_MASK = np.array([[True, True, False], [True, False, True]])[None, None]  # (1, 1, T, S)
case("dot_product_attention", ops.dot_product_attention,
     normal(2, 2, 2, 3), normal(2, 3, 2, 3), normal(2, 3, 2, 3))
case("dot_product_attention/grouped_bias_mask_scale",
     lambda q, k, v, b: ops.dot_product_attention(q, k, v, bias=b, mask=_ATT_MASK, scale=0.7),
     normal(1, 2, 4, 3), normal(1, 3, 2, 3), normal(1, 3, 2, 3), normal(1, 4, 2, 3))
case("dot_product_attention/causal",
     lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
     normal(2, 3, 1, 2), normal(2, 3, 1, 2), normal(2, 3, 1, 2))

# -- keras.ops.numpy functions (ops/_numpy_more.py, ops/_numpy_build.py) ----------------------
case("arcsin", ops.arcsin, _RNG.uniform(-0.8, 0.8, (2, 3)))
case("arccos", ops.arccos, _RNG.uniform(-0.8, 0.8, (2, 3)))
case("arctan", ops.arctan, normal(2, 3) * 2)
case("arcsinh", ops.arcsinh, normal(2, 3) * 2)
case("arccosh", ops.arccosh, positive(2, 3, lo=1.3, hi=3.0))
case("arctanh", ops.arctanh, _RNG.uniform(-0.8, 0.8, (2, 3)))
case("sinh", ops.sinh, normal(2, 3))
case("cosh", ops.cosh, normal(2, 3))
case("cbrt", ops.cbrt, away(2, 3, gap=0.3))
case("arctan2", ops.arctan2, normal(2, 3), normal(3))
case("hypot", ops.hypot, away(3, 1), away(4))
case("logaddexp", ops.logaddexp, normal(2, 3) * 3, normal(2, 3) * 3)
case("logaddexp2", ops.logaddexp2, normal(3, 1) * 3, normal(2) * 3)
case("exp2", ops.exp2, normal(4))
case("deg2rad", ops.deg2rad, normal(3))
case("rad2deg", ops.rad2deg, normal(3), rtol=1e-4)
case("fmod", ops.fmod, _RNG.uniform(0.1, 0.9, (2, 4)) * np.array([3.0, -3.0, 5.0, -5.0]),
     np.array([1.0, 1.0, -2.0, -2.0]))  # (quotients clear of integers: no jump nearby)
case("hstack", lambda a, b: ops.hstack([a, b]), normal(2, 1), normal(2, 3))
case("vstack", lambda a, b: ops.vstack([a, b]), normal(3), normal(2, 3))
case("dstack", lambda a, b: ops.dstack([a, b]), normal(2, 3), normal(2, 3, 2))
case("column_stack", lambda a, b: ops.column_stack([a, b]), normal(3), normal(3, 2))
case("append", ops.append, normal(2, 2), normal(3))
case("append/axis", lambda a, b: ops.append(a, b, axis=1), normal(2, 2), normal(2, 1))
case("diff", lambda x: ops.diff(x, n=2, axis=0), normal(4, 3))
case("fliplr", ops.fliplr, normal(2, 3))
case("flipud", ops.flipud, normal(2, 3))
case("rot90", lambda x: ops.rot90(x, k=1), normal(2, 3))
case("rot90/k=3_axes", lambda x: ops.rot90(x, k=3, axes=(2, 0)), normal(2, 3, 4))
case("rot90/k=2", lambda x: ops.rot90(x, k=2), normal(2, 3))
case("meshgrid", lambda a, b, c: ops.meshgrid(a, b, c), normal(2), normal(3), normal(2))
case("meshgrid/ij", lambda a, b: ops.meshgrid(a, b, indexing="ij"), normal(2), normal(3))
case("copy", ops.copy, normal(2, 3))
case("array", lambda x: ops.array(x) * ops.array(x, dtype="float64"), normal(3))
case("average", ops.average, normal(3, 4))
case("average/weights", lambda x, w: ops.average(x, axis=1, weights=w), normal(3, 4), positive(4))
case("average/full_weights", lambda x, w: ops.average(x, axis=0, weights=w),
     normal(3, 4), positive(3, 4))  # fmt: skip
case("median", ops.median, normal(3, 5))
case("median/even_axes", lambda x: ops.median(x, axis=(0, 2), keepdims=True), normal(2, 3, 2))
case("inner", ops.inner, normal(2, 3), normal(4, 3))
case("kron", ops.kron, normal(2, 3), normal(3, 2))
case("kron/ranks", ops.kron, normal(2), normal(2, 3))
case("cross", ops.cross, normal(4, 3), normal(4, 3))
case("cross/2d_axis0", lambda a, b: ops.cross(a, b, axis=0), normal(2, 3), normal(3, 3))
case("cross/2d_2d", ops.cross, normal(4, 2), normal(4, 2))
case("bincount", lambda w: ops.bincount(np.array([[0, 2, 2], [1, 1, 4]]), weights=w),
     normal(2, 3))  # fmt: skip
case("fabs", ops.fabs, away(2, 3))
case("sinc", ops.sinc, normal(2, 3))
case("sinc/at_zero", lambda x: ops.sinc(x * np.array([0.0, 1.0])), normal(2))
case("fmax", lambda a, b: ops.fmax(a, b + np.array([0.0, np.nan, 0.0])), normal(2, 3), normal(3))
case("fmin", lambda a, b: ops.fmin(a + np.array([np.nan, 0.0, 0.0]), b), normal(2, 3), normal(3))
case("heaviside", lambda a, b: ops.heaviside(np.array([-1.0, 0.0, 2.0, 0.0]), a * b),
     normal(4), normal(4))  # fmt: skip
case("roll", lambda x: ops.roll(x, 2), normal(2, 3))
case("roll/axes", lambda x: ops.roll(x, (1, -1), axis=(0, 1)), normal(3, 4))
case("ptp", lambda x: ops.ptp(x, axis=1), normal(3, 4))
case("vdot", ops.vdot, normal(2, 3), normal(6))
case("diagflat", lambda x: ops.diagflat(x, k=1), normal(2, 2))
case("array_split", lambda x: ops.array_split(x, 3), normal(7, 2))
case("hsplit", lambda x: ops.hsplit(x, [1, 3]), normal(2, 4))
case("vsplit", lambda x: ops.vsplit(x, 2), normal(4, 2))
case("dsplit", lambda x: ops.dsplit(x, 2), normal(2, 2, 4))
case("real", ops.real, normal(3))
case("conj", ops.conj, normal(3))
case("conjugate", ops.conjugate, normal(3))
_NANS = np.array([[0.0, np.nan, 0.0], [np.nan, 0.0, 0.0]])
for _name in ("nansum", "nanprod", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin"):
    case(_name, lambda x, n=_name: getattr(ops, n)(x + _NANS, axis=1), away(2, 3, gap=0.3))
case("nansum/all_axes", lambda x: ops.nansum(x + _NANS), normal(2, 3))
case("nancumsum", lambda x: ops.nancumsum(x + _NANS, axis=1), normal(2, 3))
case("nancumprod", lambda x: ops.nancumprod(x + _NANS), away(2, 3, gap=0.5, hi=1.5))
case("quantile", lambda x: ops.quantile(x, [0.3, 0.5, 1.0], axis=1), normal(3, 5))
for _method in ("lower", "higher", "midpoint", "nearest"):
    case(f"quantile/{_method}", lambda x, m=_method: ops.quantile(x, 0.4, method=m), normal(7))
case("percentile", lambda x: ops.percentile(x, 25.0, axis=0, keepdims=True), normal(4, 3))
case("trapezoid", lambda y: ops.trapezoid(y, dx=0.5, axis=0), normal(4, 3))
case("trapezoid/x", ops.trapezoid, normal(2, 4), np.array([0.0, 0.5, 1.5, 3.0]))
case("vander", lambda x: ops.vander(x, 4), normal(3))
_SELECT = [np.array([True, False, True, False]), np.array([True, True, False, False])]
case("select", lambda a, b: ops.select(_SELECT, [a, b], default=0.5), normal(4), normal(2, 4))
case("get_item", lambda x: ops.get_item(x, (slice(None), 1)), normal(3, 4))
case("slogdet", lambda a: ops.slogdet(a + _NEAR_EYE), 0.4 * normal(2, 3, 3))
# keras.ops.linalg (ops/_linalg.py); cholesky of M M^T + 3 I, so the checked input is free
_NEAR_EYE = 2 * np.eye(3)
case("inv", lambda a: ops.inv(a + _NEAR_EYE), 0.4 * normal(2, 3, 3))
case("det", lambda a: ops.det(a + _NEAR_EYE), 0.4 * normal(2, 3, 3))
case("solve", lambda a, b: ops.solve(a + _NEAR_EYE, b), 0.4 * normal(3, 3), normal(3, 2))
case("solve/vector_batched", lambda a, b: ops.solve(a + _NEAR_EYE, b), 0.4 * normal(2, 3, 3),
     normal(2, 3))  # fmt: skip
case("cholesky", lambda m: ops.cholesky(ops.matmul(m, ops.swapaxes(m, -1, -2)) + 3 * np.eye(3)),
     normal(2, 3, 3))  # fmt: skip
case("cholesky/upper",
     lambda m: ops.cholesky(ops.matmul(m, ops.transpose(m)) + 3 * np.eye(3), upper=True),
     normal(3, 3))  # fmt: skip


@pytest.mark.parametrize("c", CASES, ids=[c.name for c in CASES])
def test_gradient_matches_finite_differences(c):
    check_gradients(weighted_sum(c.fn), c.arrays, wrt=c.wrt, atol=c.atol, rtol=c.rtol)


def test_every_differentiable_op_has_a_case():
    covered = {name for c in CASES for name in c.covers}
    missing = sorted(set(ops.__all__) - covered - NON_DIFFERENTIABLE)
    assert not missing, (
        f"lamina.ops exports {missing} with no gradient case in this table. Add a case, or "
        "add the name to NON_DIFFERENTIABLE if it has no gradient."
    )


def test_case_table_names_real_ops():
    covered = {name for c in CASES for name in c.covers}
    assert covered <= set(ops.__all__), sorted(covered - set(ops.__all__))
    assert NON_DIFFERENTIABLE <= set(ops.__all__), sorted(NON_DIFFERENTIABLE - set(ops.__all__))
    assert not covered & NON_DIFFERENTIABLE, sorted(covered & NON_DIFFERENTIABLE)


NON_DIFFERENTIABLE_CALLS = {
    "sign": lambda x: ops.sign(x),
    "floor": lambda x: ops.floor(x),
    "ceil": lambda x: ops.ceil(x),
    "round": lambda x: ops.round(x),
    "floor_divide": lambda x: ops.floor_divide(x, 0.7),
    "mod": lambda x: ops.mod(x, 0.7),
    "stop_gradient": lambda x: ops.stop_gradient(x),
    "zeros_like": lambda x: ops.zeros_like(x),
    "ones_like": lambda x: ops.ones_like(x),
    "full_like": lambda x: ops.full_like(x, 2.0),
}


@pytest.mark.parametrize("name", sorted(NON_DIFFERENTIABLE_CALLS))
def test_non_differentiable_ops_pass_no_gradient(name):
    x = ops.convert_to_tensor(np.array([-1.3, 0.4, 2.2]))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = NON_DIFFERENTIABLE_CALLS[name](x)
    assert tape.gradient(y, x) is None


def test_comparisons_and_argmax_pass_no_gradient():
    x = ops.convert_to_tensor(np.array([-1.3, 0.4, 2.2]))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.where(ops.greater(x, 0), 1.0, 0.0) + ops.cast(ops.argmax(x), "float64")
    assert tape.gradient(y, x) is None


# -- kinks, pinned to TensorFlow's conventions ------------------------------------------------


def grad_of(fn, *arrays, weights=None):
    """Gradients of ``sum(weights * fn(*inputs))`` for float64 inputs."""
    xs = [ops.convert_to_tensor(np.asarray(a, dtype=np.float64)) for a in arrays]
    with lamina.GradientTape() as tape:
        for x in xs:
            tape.watch(x)
        y = fn(*xs)
        if weights is not None:
            y = y * weights
    grads = tape.gradient(y, xs, unconnected_gradients="zero")
    return [g.numpy() for g in grads]


KINKS = [
    # name, fn, inputs, expected gradients (one per input)
    ("relu'(0) = 0", ops.relu, [[-1.0, 0.0, 2.0]], [[0.0, 0.0, 1.0]]),
    (
        "relu6'(0) = relu6'(6) = 0",
        ops.relu6,
        [[0.0, 6.0, 3.0, 7.0, -1.0]],
        [[0.0, 0.0, 1.0, 0.0, 0.0]],
    ),
    ("abs'(0) = 0", ops.abs, [[-2.0, 0.0, 3.0]], [[-1.0, 0.0, 1.0]]),
    (
        "maximum tie -> first argument",
        ops.maximum,
        [[1.0, 2.0], [1.0, 0.5]],
        [[1.0, 1.0], [0.0, 0.0]],
    ),
    (
        "minimum tie -> first argument",
        ops.minimum,
        [[1.0, 2.0], [1.0, 0.5]],
        [[1.0, 0.0], [0.0, 1.0]],
    ),
    ("maximum(x, 0) at 0 -> x", lambda x: ops.maximum(x, 0.0), [[0.0, -1.0]], [[1.0, 0.0]]),
    (
        "clip passes the gradient at its bounds",
        lambda x: ops.clip(x, -1.0, 1.0),
        [[-1.0, 1.0, 0.5, -2.0, 2.0]],
        [[1.0, 1.0, 1.0, 0.0, 0.0]],
    ),
    ("max splits ties evenly", ops.max, [[1.0, 3.0, 3.0]], [[0.0, 0.5, 0.5]]),
    (
        "max over an axis splits ties per row",
        lambda x: ops.max(x, axis=1),
        [[[2.0, 2.0, 1.0], [0.0, 5.0, 5.0], [4.0, 4.0, 4.0]]],
        [[[0.5, 0.5, 0.0], [0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]]],
    ),
    (
        "min splits ties evenly (keepdims)",
        lambda x: ops.min(x, axis=0, keepdims=True),
        [[[1.0, 2.0], [1.0, 3.0]]],
        [[[0.5, 1.0], [0.5, 0.0]]],
    ),
    (
        "norm inf splits ties of |x|",
        lambda x: ops.norm(x, ord=np.inf),
        [[-2.0, 2.0, 1.0]],
        [[-0.5, 0.5, 0.0]],
    ),
    ("sqrt'(0) = inf", ops.sqrt, [[0.0, 4.0]], [[np.inf, 0.25]]),
    (
        "hard_sigmoid'(-3) = hard_sigmoid'(3) = 0",
        ops.hard_sigmoid,
        [[-3.0, 3.0, 0.0]],
        [[0.0, 0.0, 1 / 6]],
    ),
    ("leaky_relu'(0) = negative_slope", ops.leaky_relu, [[0.0, -1.0, 1.0]], [[0.2, 0.2, 1.0]]),
    ("elu'(0) = alpha", lambda x: ops.elu(x, alpha=0.5), [[0.0]], [[0.5]]),
    (
        "selu'(0) = scale",
        ops.selu,
        [[0.0, -1.0]],
        [[1.0507009873554805, 1.0507009873554805 * 1.6732632423543772 * np.exp(-1.0)]],
    ),
    (
        "prod with zeros",
        lambda x: ops.prod(x, axis=1),
        [[[0.0, 2.0, 3.0], [0.0, 0.0, 1.0]]],
        [[[6.0, 0.0, 0.0], [0.0, 0.0, 0.0]]],
    ),
    (
        "power: d/dx x^2 at 0 = 0, d/dy 0^y = 0",
        ops.power,
        [[0.0, 2.0], [2.0, 2.0]],
        [[0.0, 4.0], [0.0, 4.0 * np.log(2.0)]],
    ),
    (
        "divide_no_nan: no gradient through a zero denominator",
        ops.divide_no_nan,
        [[1.0, 2.0], [0.0, 2.0]],
        [[0.0, 0.5], [0.0, -0.5]],
    ),
    ("sort of ties follows the stable order", ops.sort, [[1.0, 1.0, 0.0]], [[10.0, 100.0, 1.0]]),
    (
        "top_k of ties takes the lower index",
        lambda x: ops.top_k(x, 1)[0],
        [[1.0, 3.0, 3.0]],
        [[0.0, 1.0, 0.0]],
    ),
    ("elu is finite for large inputs", ops.elu, [[1000.0, -1000.0]], [[1.0, 0.0]]),
    (
        "sigmoid and softplus are finite for large inputs",
        lambda x: ops.sigmoid(x) + ops.softplus(x),
        [[1000.0, -1000.0]],
        [[1.0, 0.0]],
    ),
    (
        "normalize of a zero vector has a finite gradient",
        ops.normalize,
        [[[0.0, 0.0]]],
        [[[1e7, 1e7]]],
    ),
    (
        "binary_crossentropy: no gradient where the clip is active",
        lambda o: ops.binary_crossentropy(np.ones(2), o),
        [[0.0, 0.5]],
        [[0.0, -2.0]],
    ),
]


@pytest.mark.parametrize("name, fn, inputs, expected", KINKS, ids=[k[0] for k in KINKS])
def test_kinks_follow_tensorflow(name, fn, inputs, expected):
    weights = np.array([1.0, 10.0, 100.0]) if name.startswith("sort") else None
    got = grad_of(fn, *inputs, weights=weights)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, np.asarray(e, dtype=np.float64), rtol=1e-7, atol=1e-12)


def test_cast_to_an_integer_type_passes_no_gradient():
    x = ops.convert_to_tensor(np.array([0.4, 1.6]))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.cast(ops.cast(x, "int32"), "float64") + x
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [1.0, 1.0])


# -- values and gradients against real Keras (TensorFlow backend) ---------------------------

_FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras")


def _activation_fixture_cases():
    path = os.path.join(_FIXTURES, "activations.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        cases = json.load(f)
    # ops.relu takes no max_value/threshold/negative_slope (those are activations.relu's).
    return [c for c in cases if c["fn"] in ops.__all__ and not (c["fn"] == "relu" and c["config"])]


@pytest.mark.parametrize("fixture", _activation_fixture_cases(), ids=lambda c: c["id"])
def test_activation_ops_match_keras_values_and_gradients(fixture):
    arrays = np.load(os.path.join(_FIXTURES, "activations.npz"))
    x, c = (arrays[f"{fixture['id']}/{k}"] for k in ("x", "c"))
    fn = getattr(ops, fixture["fn"])
    xt = ops.convert_to_tensor(x)
    with lamina.GradientTape() as tape:
        tape.watch(xt)
        y = fn(xt, **fixture["config"])
        total = ops.sum(y * c)
    dx = tape.gradient(total, xt)
    assert y.dtype == np.float32 and dx.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), arrays[f"{fixture['id']}/y"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dx.numpy(), arrays[f"{fixture['id']}/dx"], rtol=1e-5, atol=1e-6)


def test_keras_activation_fixtures_present():
    if not os.path.exists(os.path.join(_FIXTURES, "activations.json")):
        pytest.skip("tests/fixtures/keras/activations.json has not been generated yet")
    assert len(_activation_fixture_cases()) >= 15
