"""Values and dtypes of ``lamina.ops`` against NumPy (and Keras's formulas), from tables.

Float inputs are float32, as Keras users pass them: every float op must return float32
and agree with NumPy computed in float64. Gradients live in ``test_ops_gradients.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lamina
from lamina import ops

_RNG = np.random.default_rng(7)


def f32(*shape, lo=-2.0, hi=2.0):
    return _RNG.uniform(lo, hi, shape).astype(np.float32)


X = f32(3, 4)
Y = f32(3, 4)
P = f32(3, 4, lo=0.2, hi=3.0)  # positive
V = f32(5)
B = X > 0
_erf = np.vectorize(math.erf)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# id, lamina call, NumPy reference (given float64 copies of the same inputs), inputs
VALUES = [
    # elementwise
    ("add", ops.add, np.add, (X, Y)),
    ("add_broadcast", ops.add, np.add, (X[:, :1], V[:4])),
    ("subtract", ops.subtract, np.subtract, (X, Y)),
    ("multiply", ops.multiply, np.multiply, (X, Y)),
    ("divide", ops.divide, np.divide, (X, P)),
    ("true_divide", ops.true_divide, np.divide, (X, P)),
    ("negative", ops.negative, np.negative, (X,)),
    ("power", ops.power, np.power, (P, Y)),
    ("square", ops.square, np.square, (X,)),
    ("sqrt", ops.sqrt, np.sqrt, (P,)),
    ("rsqrt", ops.rsqrt, lambda x: 1 / np.sqrt(x), (P,)),
    ("reciprocal", ops.reciprocal, np.reciprocal, (P,)),
    ("exp", ops.exp, np.exp, (X,)),
    ("expm1", ops.expm1, np.expm1, (X,)),
    ("log", ops.log, np.log, (P,)),
    ("log1p", ops.log1p, np.log1p, (P,)),
    ("log2", ops.log2, np.log2, (P,)),
    ("log10", ops.log10, np.log10, (P,)),
    ("abs", ops.abs, np.abs, (X,)),
    ("absolute", ops.absolute, np.abs, (X,)),
    ("sin", ops.sin, np.sin, (X,)),
    ("cos", ops.cos, np.cos, (X,)),
    ("tan", ops.tan, np.tan, (X,)),
    ("erf", ops.erf, _erf, (X,)),
    ("maximum", ops.maximum, np.maximum, (X, Y)),
    ("minimum", ops.minimum, np.minimum, (X, Y)),
    ("clip", lambda x: ops.clip(x, -0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7), (X,)),
    ("where", lambda c, a, b: ops.where(c, a, b), np.where, (B, X, Y)),
    ("where_scalar", lambda c, a: ops.where(c, a, 0.0), lambda c, a: np.where(c, a, 0.0), (B, X)),
    ("divide_no_nan", ops.divide_no_nan,
     lambda a, b: np.where(b == 0, 0, a / np.where(b == 0, 1, b)),
     (X, np.array([[0.0], [2.0], [0.0]], np.float32))),
    ("sign", ops.sign, np.sign, (X,)),
    ("floor", ops.floor, np.floor, (X,)),
    ("ceil", ops.ceil, np.ceil, (X,)),
    ("round", ops.round, np.round, (np.array([0.5, 1.5, 2.5, -0.5, 1.26], np.float32),)),
    ("floor_divide", ops.floor_divide, np.floor_divide, (X, P)),
    ("mod", ops.mod, np.mod, (X, P)),
    ("cast", lambda x: ops.cast(x, "float16"), lambda x: x.astype(np.float16), (X,)),
    # reductions
    ("sum", ops.sum, np.sum, (X,)),
    ("sum_axis", lambda x: ops.sum(x, axis=0), lambda x: np.sum(x, axis=0), (X,)),
    ("mean_keepdims", lambda x: ops.mean(x, axis=1, keepdims=True),
     lambda x: np.mean(x, axis=1, keepdims=True), (X,)),
    ("max", lambda x: ops.max(x, axis=-1), lambda x: np.max(x, axis=-1), (X,)),
    ("max_initial", lambda x: ops.max(x, axis=0, initial=1.0),
     lambda x: np.max(x, axis=0, initial=1.0), (X,)),
    ("min", lambda x: ops.min(x, axis=(0, 1)), lambda x: np.min(x, axis=(0, 1)), (X,)),
    ("amax", ops.amax, np.max, (X,)),
    ("amin", ops.amin, np.min, (X,)),
    ("prod", lambda x: ops.prod(x, axis=1), lambda x: np.prod(x, axis=1), (X,)),
    ("var", lambda x: ops.var(x, axis=[0]), lambda x: np.var(x, axis=0), (X,)),
    ("std", ops.std, np.std, (X,)),
    ("logsumexp", lambda x: ops.logsumexp(x, axis=1),
     lambda x: np.log(np.sum(np.exp(x), axis=1)), (X,)),
    ("cumsum", ops.cumsum, np.cumsum, (X,)),
    ("cumsum_axis", lambda x: ops.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1), (X,)),
    ("norm", ops.norm, np.linalg.norm, (X,)),
    ("norm_axis", lambda x: ops.norm(x, axis=1, keepdims=True),
     lambda x: np.linalg.norm(x, axis=1, keepdims=True), (X,)),
    ("norm_ord1", lambda x: ops.norm(x, ord=1, axis=0),
     lambda x: np.linalg.norm(x, ord=1, axis=0), (X,)),
    ("norm_ord3", lambda x: ops.norm(x, ord=3, axis=-1),
     lambda x: np.linalg.norm(x, ord=3, axis=-1), (X,)),
    ("norm_ord0", lambda x: ops.norm(x, ord=0, axis=-1),
     lambda x: np.linalg.norm(x, ord=0, axis=-1), (np.array([[0.0, 1.0, -2.0]], np.float32),)),
    ("norm_inf", lambda x: ops.norm(x, ord=np.inf, axis=-1),
     lambda x: np.linalg.norm(x, ord=np.inf, axis=-1), (X,)),
    ("norm_-inf", lambda x: ops.norm(x, ord=-np.inf, axis=-1),
     lambda x: np.linalg.norm(x, ord=-np.inf, axis=-1), (X,)),
    ("norm_fro", lambda x: ops.norm(x, ord="fro"), lambda x: np.linalg.norm(x, ord="fro"), (X,)),
    ("norm_matrix_1", lambda x: ops.norm(x, ord=1), lambda x: np.linalg.norm(x, ord=1), (X,)),
    ("norm_matrix_-1", lambda x: ops.norm(x, ord=-1), lambda x: np.linalg.norm(x, ord=-1), (X,)),
    ("norm_matrix_inf", lambda x: ops.norm(x, ord=np.inf),
     lambda x: np.linalg.norm(x, ord=np.inf), (X,)),
    ("norm_matrix_-inf_keepdims", lambda x: ops.norm(x, ord=-np.inf, axis=(1, 0), keepdims=True),
     lambda x: np.linalg.norm(x, ord=-np.inf, axis=(1, 0), keepdims=True), (X,)),
    # shapes and indexing
    ("reshape", lambda x: ops.reshape(x, (2, -1)), lambda x: np.reshape(x, (2, -1)), (X,)),
    ("transpose", ops.transpose, np.transpose, (X,)),
    ("swapaxes", lambda x: ops.swapaxes(x, 0, 1), lambda x: np.swapaxes(x, 0, 1), (X,)),
    ("moveaxis", lambda x: ops.moveaxis(x[None], 0, 2), lambda x: np.moveaxis(x[None], 0, 2), (X,)),
    ("expand_dims", lambda x: ops.expand_dims(x, -1), lambda x: np.expand_dims(x, -1), (X,)),
    ("squeeze", lambda x: ops.squeeze(x[:, :1]), lambda x: np.squeeze(x[:, :1]), (X,)),
    ("ravel", ops.ravel, np.ravel, (X,)),
    ("broadcast_to", lambda x: ops.broadcast_to(x, (2, 5)), lambda x: np.broadcast_to(x, (2, 5)),
     (V,)),
    ("tile", lambda x: ops.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), (X,)),
    ("repeat", lambda x: ops.repeat(x, [1, 0, 2], axis=0),
     lambda x: np.repeat(x, [1, 0, 2], axis=0), (X,)),
    ("repeat_flat", lambda x: ops.repeat(x, 2), lambda x: np.repeat(x, 2), (X,)),
    ("concatenate", lambda a, b: ops.concatenate([a, b], axis=1),
     lambda a, b: np.concatenate([a, b], axis=1), (X, Y)),
    ("stack", lambda a, b: ops.stack([a, b], axis=1), lambda a, b: np.stack([a, b], axis=1),
     (X, Y)),
    ("flip", lambda x: ops.flip(x, axis=1), lambda x: np.flip(x, axis=1), (X,)),
    ("pad", lambda x: ops.pad(x, ((1, 0), (2, 1)), constant_values=3.0),
     lambda x: np.pad(x, ((1, 0), (2, 1)), constant_values=3.0), (X,)),
    ("getitem", lambda x: ops.getitem(x, (slice(None), [0, 0, 3])),
     lambda x: x[:, [0, 0, 3]], (X,)),
    ("take", lambda x: ops.take(x, [[0, 2], [2, 2]], axis=1),
     lambda x: np.take(x, [[0, 2], [2, 2]], axis=1), (X,)),
    ("take_along_axis", lambda x: ops.take_along_axis(x, np.array([[0], [3], [1]]), axis=1),
     lambda x: np.take_along_axis(x, np.array([[0], [3], [1]]), axis=1), (X,)),
    ("sort", ops.sort, np.sort, (X,)),
    ("sort_axis0", lambda x: ops.sort(x, axis=0), lambda x: np.sort(x, axis=0), (X,)),
    # linear algebra
    ("matmul", ops.matmul, np.matmul, (X, Y.T)),
    ("matmul_batched", ops.matmul, np.matmul, (X[None].repeat(2, 0), Y.T)),
    ("dot", ops.dot, np.dot, (X, Y.T)),
    ("dot_nd", ops.dot, np.dot, (X.reshape(3, 2, 2), Y.reshape(2, 2, 3))),
    ("tensordot", lambda a, b: ops.tensordot(a, b, axes=([0], [0])),
     lambda a, b: np.tensordot(a, b, axes=([0], [0])), (X, Y)),
    ("outer", ops.outer, np.outer, (V, V[:3])),
    ("dense", ops.dense, lambda x, k, b: x @ k + b, (X, Y.T, V[:3])),
    # neural-network functions
    ("relu", ops.relu, lambda x: np.maximum(x, 0), (X * 4,)),
    ("relu6", ops.relu6, lambda x: np.clip(x, 0, 6), (X * 4,)),
    ("sigmoid", ops.sigmoid, _sigmoid, (X * 4,)),
    ("tanh", ops.tanh, np.tanh, (X,)),
    ("softplus", ops.softplus, lambda x: np.log1p(np.exp(x)), (X * 4,)),
    ("softsign", ops.softsign, lambda x: x / (1 + np.abs(x)), (X,)),
    ("silu", ops.silu, lambda x: x * _sigmoid(x), (X,)),
    ("swish", ops.swish, lambda x: x * _sigmoid(x), (X,)),
    ("hard_sigmoid", ops.hard_sigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1), (X * 3,)),
    ("hard_silu", ops.hard_silu, lambda x: x * np.clip(x / 6 + 0.5, 0, 1), (X * 3,)),
    ("hard_swish", ops.hard_swish, lambda x: x * np.clip(x / 6 + 0.5, 0, 1), (X * 3,)),
    ("leaky_relu", ops.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), (X,)),
    ("elu", lambda x: ops.elu(x, alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)),
     (X,)),
    ("selu", ops.selu,
     lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)), (X,)),
    ("gelu", ops.gelu,
     lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), (X,)),
    ("gelu_exact", lambda x: ops.gelu(x, approximate=False),
     lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))), (X,)),
    ("mish", ops.mish, lambda x: x * np.tanh(np.log1p(np.exp(x))), (X,)),
    ("exponential", ops.exponential, np.exp, (X,)),
    ("softmax", ops.softmax, _softmax, (X,)),
    ("softmax_axis0", lambda x: ops.softmax(x, axis=0), lambda x: _softmax(x, axis=0), (X,)),
    ("log_softmax", ops.log_softmax, lambda x: np.log(_softmax(x)), (X,)),
    ("normalize", ops.normalize, lambda x: x / np.linalg.norm(x, axis=-1, keepdims=True), (X,)),
    ("normalize_order1", lambda x: ops.normalize(x, axis=0, order=1),
     lambda x: x / np.abs(x).sum(axis=0, keepdims=True), (X,)),
]  # fmt: skip


@pytest.mark.parametrize("name, op, ref, inputs", VALUES, ids=[v[0] for v in VALUES])
def test_values_match_numpy(name, op, ref, inputs):
    out = op(*inputs)
    assert isinstance(out, lamina.Tensor)
    expected = ref(*[a.astype(np.float64) if a.dtype == np.float32 else a for a in inputs])
    float_out = np.result_type(*[a.dtype for a in inputs]) == np.float32
    if name == "cast":
        assert out.dtype == np.float16
    elif float_out:
        assert out.dtype == np.float32, f"{name} returned {out.dtype} for float32 inputs"
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name, op, ref, inputs", VALUES, ids=[v[0] for v in VALUES])
def test_ops_accept_arrays_lists_tensors_and_variables(name, op, ref, inputs):
    as_tensors = op(*[ops.convert_to_tensor(a) for a in inputs])
    as_variables = op(*[lamina.Variable(a) if a.dtype == np.float32 else a for a in inputs])
    np.testing.assert_array_equal(as_tensors.numpy(), op(*inputs).numpy())
    np.testing.assert_array_equal(as_variables.numpy(), op(*inputs).numpy())


def test_float64_inputs_stay_float64():
    x = X.astype(np.float64)
    for fn in (ops.exp, ops.sigmoid, ops.softmax, ops.gelu, ops.mean, ops.norm, ops.erf):
        assert fn(x).dtype == np.float64, fn.__name__


def test_mean_of_integers_is_floatx():
    assert ops.mean(np.array([1, 2])).dtype == np.float32
    assert ops.mean([1, 2, 4]).dtype == np.float32
    assert ops.mean(ops.convert_to_tensor([1, 2])).dtype == np.float32
    assert float(ops.mean([1, 2])) == 1.5


def test_multiple_outputs():
    values, indices = ops.top_k(np.array([[1.0, 5.0, 3.0, 5.0]], np.float32), 3)
    np.testing.assert_array_equal(values.numpy(), [[5.0, 5.0, 3.0]])
    np.testing.assert_array_equal(indices.numpy(), [[1, 3, 2]])
    assert values.dtype == np.float32 and indices.dtype == np.int32
    m, v = ops.moments(X, axes=[0])
    np.testing.assert_allclose(m.numpy(), X.mean(0), rtol=1e-6)
    np.testing.assert_allclose(v.numpy(), X.var(0), rtol=1e-5, atol=1e-7)
    assert m.dtype == v.dtype == np.float32
    m, v = ops.moments(X, axes=(0, 1), keepdims=True)
    assert m.shape == v.shape == (1, 1)
    pieces = ops.split(X, [1, 3], axis=1)
    assert [p.shape for p in pieces] == [(3, 1), (3, 2), (3, 1)]
    np.testing.assert_array_equal(ops.concatenate(pieces, axis=1).numpy(), X)
    rows, cols = ops.where(np.array([[True, False], [False, True]]))
    np.testing.assert_array_equal(rows.numpy(), [0, 1])
    np.testing.assert_array_equal(cols.numpy(), [0, 1])


def test_integer_and_bool_results():
    x = np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 0.0]], np.float32)
    assert ops.argmax(x, axis=1).dtype == np.int32
    np.testing.assert_array_equal(ops.argmax(x, axis=1).numpy(), [1, 0])
    np.testing.assert_array_equal(ops.argmin(x, axis=-1, keepdims=True).numpy(), [[0], [1]])
    np.testing.assert_array_equal(ops.argsort(x).numpy(), np.argsort(x, kind="stable"))
    assert ops.argsort(x).dtype == np.int32
    assert ops.count_nonzero(x).dtype == np.int32 and int(ops.count_nonzero(x)) == 4
    np.testing.assert_array_equal(ops.count_nonzero(x, axis=1).numpy(), [3, 1])
    np.testing.assert_array_equal(ops.all(x > -2, axis=0).numpy(), [True, True, True])
    np.testing.assert_array_equal(ops.any(x > 2, axis=1).numpy(), [True, False])
    for name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
        out = getattr(ops, name)(x, 1.0)
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), getattr(np, name)(x, 1.0))
    b = x > 0
    np.testing.assert_array_equal(ops.logical_and(b, x < 3).numpy(), b & (x < 3))
    np.testing.assert_array_equal(ops.logical_or(b, x < 0).numpy(), b | (x < 0))
    np.testing.assert_array_equal(ops.logical_not(b).numpy(), ~b)
    special = np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)
    np.testing.assert_array_equal(ops.isnan(special).numpy(), [True, False, False, False])
    np.testing.assert_array_equal(ops.isinf(special).numpy(), [False, True, True, False])
    np.testing.assert_array_equal(ops.isfinite(special).numpy(), [False, False, False, True])


def test_creation_ops_default_to_floatx():
    for t in (ops.zeros((2, 3)), ops.ones(4), ops.eye(3), ops.identity(2), ops.full((2,), 3),
              ops.full((2,), 0.5), ops.linspace(0, 1, 5)):  # fmt: skip
        assert t.dtype == np.float32
    np.testing.assert_array_equal(ops.full((2,), 3).numpy(), [3.0, 3.0])
    np.testing.assert_array_equal(ops.eye(2, 3, k=1).numpy(), np.eye(2, 3, k=1))
    np.testing.assert_allclose(ops.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    assert ops.arange(5).dtype == np.int32
    assert ops.arange(0.0, 1.0, 0.25).dtype == np.float32
    np.testing.assert_array_equal(ops.arange(1, 7, 2).numpy(), [1, 3, 5])
    assert ops.zeros((2,), dtype="int32").dtype == np.int32
    assert ops.full((2,), 3, dtype="int32").dtype == np.int32
    lamina.config.set_floatx("float64")
    assert ops.zeros(2).dtype == ops.ones(2).dtype == ops.full(2, 1).dtype == np.float64


def test_like_ops_keep_shape_and_dtype():
    x = np.zeros((2, 3), np.float32)
    for fn in (ops.zeros_like, ops.ones_like, lambda a: ops.full_like(a, 7)):
        out = fn(x)
        assert out.shape == (2, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(ops.full_like(x, 7).numpy(), 7)
    assert ops.ones_like(x, dtype="int32").dtype == np.int32


def test_one_hot():
    out = ops.one_hot(np.array([0, 2, -1]), 3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert ops.one_hot([[1]], 4, axis=1).shape == (1, 4, 1)


def test_shape_queries():
    x = ops.convert_to_tensor(np.zeros((2, 3), np.float32))
    assert ops.shape(x) == (2, 3) and ops.ndim(x) == 2 and ops.size(x) == 6
    assert ops.dtype(x) == "float32"
    arr = ops.convert_to_numpy(x)
    assert isinstance(arr, np.ndarray) and arr.shape == (2, 3)


# -- cross-entropies against Keras's formulas (TensorFlow backend) --------------------------

EPS = 1e-7
T = np.array([[1.0, 0.0, 0.0], [0.0, 0.3, 0.7]], np.float32)
LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]], np.float32)


def test_binary_crossentropy_matches_keras_formulas():
    p = np.clip(_sigmoid(LOGITS.astype(np.float64)), EPS, 1 - EPS)
    t = T.astype(np.float64)
    expected = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    z = LOGITS.astype(np.float64)
    from_logits = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    np.testing.assert_allclose(ops.binary_crossentropy(T, _sigmoid(LOGITS)).numpy(), expected,
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(ops.binary_crossentropy(T, LOGITS, from_logits=True).numpy(),
                               from_logits, rtol=1e-5)  # fmt: skip
    # A lamina sigmoid output is traced back to its logits, as Keras does.
    np.testing.assert_allclose(ops.binary_crossentropy(T, ops.sigmoid(LOGITS)).numpy(),
                               from_logits, rtol=1e-5)  # fmt: skip
    assert ops.binary_crossentropy(T, LOGITS, from_logits=True).dtype == np.float32
    # Probabilities of exactly 0 and 1 are clipped to [eps, 1 - eps] (in float32).
    clipped = ops.binary_crossentropy(np.array([1.0, 0.0]), np.array([0.0, 1.0], np.float32))
    low, high = np.float32(EPS), np.float32(1 - EPS)
    np.testing.assert_allclose(clipped.numpy(), [-np.log(low), -np.log(1 - high)], rtol=1e-5)


def test_categorical_crossentropy_matches_keras_formulas():
    t = T.astype(np.float64)
    z = LOGITS.astype(np.float64)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    from_logits = -(t * log_p).sum(-1)
    np.testing.assert_allclose(
        ops.categorical_crossentropy(T, LOGITS, from_logits=True).numpy(), from_logits, rtol=1e-5
    )
    np.testing.assert_allclose(
        ops.categorical_crossentropy(T, ops.softmax(LOGITS)).numpy(), from_logits, rtol=1e-5
    )
    unnormalised = np.array([[0.5, 0.25, 0.25], [0.2, 0.2, 0.4]], np.float32)
    p = np.clip(unnormalised / unnormalised.sum(-1, keepdims=True), EPS, 1 - EPS)
    np.testing.assert_allclose(ops.categorical_crossentropy(T, unnormalised).numpy(),
                               -(t * np.log(p)).sum(-1), rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(
        ops.categorical_crossentropy(T.T, LOGITS.T, from_logits=True, axis=0).numpy(),
        from_logits, rtol=1e-5,
    )  # fmt: skip


def test_sparse_categorical_crossentropy_matches_keras_formulas():
    labels = np.array([0, 2])
    z = LOGITS.astype(np.float64)
    log_p = z - np.log(np.exp(z).sum(-1, keepdims=True))
    expected = -log_p[np.arange(2), labels]
    for target in (labels, labels[:, None], labels.astype(np.float32)):
        out = ops.sparse_categorical_crossentropy(target, LOGITS, from_logits=True)
        assert out.shape == (2,) and out.dtype == np.float32
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(labels, ops.softmax(LOGITS)).numpy(),
        expected,
        rtol=1e-5,
    )
    probs = np.exp(log_p).astype(np.float32)
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(labels, probs).numpy(), expected, rtol=1e-5
    )


# -- errors ------------------------------------------------------------------------------------


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="does not divide into 4"):
        ops.split(np.zeros(6), 4)
    with pytest.raises(ValueError, match="mode='constant'"):
        ops.pad(np.zeros(3), 1, mode="reflect")
    with pytest.raises(ValueError, match="both x1 and x2"):
        ops.where(np.array([True]), 1.0)
    with pytest.raises(ValueError, match="singular values"):
        ops.norm(np.ones((2, 2)), ord=2)
    with pytest.raises(ValueError, match="not a valid vector norm"):
        ops.norm(np.ones(3), ord="nuc")
    with pytest.raises(ValueError, match="one or two axes"):
        ops.norm(np.ones((2, 2, 2)), ord=1)


def test_every_public_op_has_a_docstring():
    missing = [name for name in ops.__all__ if not (getattr(ops, name).__doc__ or "").strip()]
    assert not missing, missing


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_keep_a_float32_gradient_float32(name):
    # (an int64 tie count made it float64: every layer below a GlobalMaxPooling then ran its
    # backward pass in float64, 2.4x slower)
    x = lamina.Variable(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]], "float32"))
    with lamina.GradientTape() as tape:
        y = lamina.ops.sum(getattr(lamina.ops, name)(x * 1.0, axis=1))
    grad = tape.gradient(y, x)
    assert grad.dtype == np.float32
    expected = [[0, 0.5, 0.5], [1, 0, 0]] if name == "max" else [[1, 0, 0], [0, 1, 0]]
    np.testing.assert_array_equal(grad.numpy(), expected)


def test_a_softmax_over_an_axis_of_length_one_is_pointed_out():
    # (Dense(1, activation="softmax"): every output is 1.0; Keras warns too)
    with pytest.warns(UserWarning, match="axis has length 1.*activation='sigmoid'"):
        out = lamina.ops.softmax(np.array([[3.0], [-2.0]], "float32"))
    np.testing.assert_array_equal(out.numpy(), [[1.0], [1.0]])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lamina.ops.softmax(np.ones((2, 3), "float32"))
