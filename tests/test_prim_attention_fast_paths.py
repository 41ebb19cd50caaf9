"""The attention primitives' fast paths give the plain numbers, bit for bit.

``einsum`` writes a permuted matrix product straight into an output-ordered buffer (one
BLAS call through a strided view) and never returns an operand's memory; ``softmax`` takes
its row maxima with one ``reduceat`` and works in one buffer forward and backward. Each is
checked against the plain formula it replaces: equal bits in float32 and float64, edge
cases (length-1 and empty axes, infinities, NaN, signed zeros) included.
"""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops import _prim_einsum as pe
from lamina.ops import _prim_math as pm
from lamina.ops._table import rsum

PERMUTED = [  # subscripts, shapes: pairs whose output is not in the product's natural order
    ("acbe,aecd->abcd", (2, 3, 4, 5), (2, 5, 3, 6)),  # attention's combination
    ("abcd,aecd->acbe", (2, 4, 3, 5), (2, 6, 3, 5)),
    ("bij,bjk->ibk", (3, 4, 5), (3, 5, 2)),
    ("ij,jk->ki", (3, 4), (4, 5)),  # no batch axis, the product's transpose
    ("afgde,abcde->adbcfg", (1, 2, 2, 2, 3), (1, 2, 3, 2, 3)),  # rows of two labels
    ("abc,acd->adb", (2, 1, 3), (2, 3, 1)),  # length-1 axes
    ("bij,bjk->bki", (2, 0, 3), (2, 3, 4)),  # an empty axis
    ("bij,bjk->kbi", (2, 3, 1), (2, 1, 4)),  # a contraction of length 1
]


def _old_pair(sub, a, b):
    """The product as it was: the natural-order result, transposed (a view)."""
    subs, out, _ = pe.parse(sub, [a.shape, b.shape])
    plan = pe._pair_plan(subs[0], subs[1], out, a.shape, b.shape)
    real = pe._permuted_target
    try:
        pe._permuted_target = lambda *args: None
        return pe._pair(plan, a, b)
    finally:
        pe._permuted_target = real


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("sub,sa,sb", PERMUTED)
def test_a_permuted_product_equals_the_transposed_one_bit_for_bit(dtype, sub, sa, sb):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
    got = pe._einsum_fwd(a, b, subscripts=sub)[0]
    np.testing.assert_array_equal(got, _old_pair(sub, a, b))
    tol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(got, np.einsum(sub, a.astype("float64"), b.astype("float64")),
                               rtol=tol, atol=tol)


def test_attention_products_come_out_contiguous():
    rng = np.random.default_rng(1)
    probs = rng.standard_normal((2, 4, 8, 8)).astype("float32")
    value = rng.standard_normal((2, 8, 4, 16)).astype("float32")
    out, saved = pe._einsum_fwd(probs, value, subscripts="acbe,aecd->abcd")
    assert out.flags.c_contiguous
    g = rng.standard_normal(out.shape).astype("float32")
    d_probs, d_value = pe._einsum_vjp(g, saved, (True, True))
    assert d_probs.flags.c_contiguous
    np.testing.assert_allclose(d_value, np.einsum("acbe,abcd->aecd", probs, g), rtol=1e-5,
                               atol=1e-5)


@pytest.mark.parametrize("sub,shape", [("ij->ji", (3, 4)), ("ii->i", (3, 3)),
                                       ("ij->ij", (2, 5)), ("...->...", (4,))])
def test_einsum_never_returns_an_operands_memory(sub, shape):
    a = np.arange(np.prod(shape), dtype="float32").reshape(shape)
    out = pe._einsum_fwd(a, subscripts=sub)[0]
    assert not np.shares_memory(out, a)
    np.testing.assert_array_equal(out, np.einsum(sub, a))


def test_an_einsum_of_a_variable_keeps_its_value_when_the_variable_changes():
    v = lamina.Variable(np.arange(6, dtype="float32").reshape(2, 3))
    y = ops.einsum("ij->ji", v)
    v.assign(np.zeros((2, 3), "float32"))
    np.testing.assert_array_equal(np.asarray(y), np.arange(6, dtype="float32").reshape(2, 3).T)


# -- softmax ---------------------------------------------------------------------------------
def _plain_softmax(x, axis):
    # (sums as lamina takes every sum: ``rsum``, a matrix-vector product over trailing axes)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / rsum(e, axis, True)


def _edge_rows(dtype):
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((4, 3, 16, 32)) * 4).astype(dtype)
    x[0, 0, 0, :5] = -np.inf  # some masked entries
    x[0, 0, 1, :] = -np.inf  # a fully masked row: NaN, as the plain formula gives
    x[0, 0, 2, 7] = np.nan
    x[0, 0, 3, :] = 0.0
    x[0, 0, 3, ::2] = -0.0  # the maximum is a zero of either sign
    x[0, 0, 4, 3] = np.inf
    return x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "axis1", "transposed", "small"])
def test_softmax_forward_is_the_plain_formula_bit_for_bit(dtype, layout):
    x = _edge_rows(dtype)
    axis = -1
    if layout == "axis1":
        axis = 1
    elif layout == "transposed":
        x = x.transpose(0, 1, 3, 2)
    elif layout == "small":
        x = x[:1, :1, :3, :5].copy()
    with np.errstate(invalid="ignore"):
        got, saved = pm._softmax_fwd(x, axis=axis)
        want = _plain_softmax(x, axis)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    assert saved[0] is got


def test_softmax_of_integers_keeps_numpys_promotion():
    x = np.arange(12).reshape(3, 4)
    got, _ = pm._softmax_fwd(x, axis=-1)
    np.testing.assert_array_equal(got, _plain_softmax(x, -1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_row_maxima_by_reduceat_equal_the_reduction(dtype):
    x = _edge_rows(dtype)
    with np.errstate(invalid="ignore"):
        got = pm._max_keepdims(x, -1)
    want = np.max(x, axis=-1, keepdims=True)
    np.testing.assert_array_equal(got, want)  # (signed zeros compare equal)
    assert got.shape == want.shape and got.dtype == want.dtype


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("g_dtype", ["same", "float64"])
def test_softmax_vjp_is_the_plain_formula_bit_for_bit(dtype, g_dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 5, 40)).astype(dtype)
    out, saved = pm._softmax_fwd(x, axis=-1)
    g = rng.standard_normal(x.shape).astype(dtype if g_dtype == "same" else g_dtype)
    (got,) = pm._softmax_vjp(g, saved, (True,))
    want = out * (g - rsum(g * out, -1, True))
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype
    # a gradient that broadcasts (a smaller array) takes the plain route
    g1 = g[:, :1, :]
    (got1,) = pm._softmax_vjp(g1, saved, (True,))
    np.testing.assert_array_equal(got1, out * (g1 - rsum(g1 * out, -1, True)))


def test_softmax_vjp_leaves_its_inputs_alone():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 64)).astype("float32")
    out, saved = pm._softmax_fwd(x, axis=-1)
    g = rng.standard_normal(x.shape).astype("float32")
    out_before, g_before = out.copy(), g.copy()
    pm._softmax_vjp(g, saved, (True,))
    np.testing.assert_array_equal(out, out_before)
    np.testing.assert_array_equal(g, g_before)
