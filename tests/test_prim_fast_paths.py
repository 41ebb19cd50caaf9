"""The fast paths of the primitives give the plain numbers: conv and pool (ties included), and
products of N-D arrays with a matrix folded into one 2-D product."""

import numpy as np
import pytest

from lamina.ops import _prim_array as pa
from lamina.ops import _prim_conv as pc


def _naive_max_pool_grad(x, g, pool, strides):
    """Each window's gradient to its first maximum in row-major order (TensorFlow's rule)."""
    dx = np.zeros_like(x)
    for b, i, j, c in np.ndindex(*g.shape):
        win = x[b, i * strides[0]:i * strides[0] + pool[0], j * strides[1]:j * strides[1] + pool[1], c]
        a, d = np.unravel_index(np.argmax(win), win.shape)  # argmax: the first maximum
        dx[b, i * strides[0] + a, j * strides[1] + d, c] += g[b, i, j, c]
    return dx


@pytest.mark.parametrize("size,pool,strides", [
    (8, (2, 2), (2, 2)),   # windows tile the input (no zero fill)
    (7, (2, 2), (2, 2)),   # a row and a column left over
    (8, (3, 3), (2, 2)),   # overlapping windows
])
def test_max_pool_gradient_sends_ties_to_the_first_maximum(size, pool, strides):
    rng = np.random.default_rng(0)
    # relu-like values: many windows of equal zeros, and repeated maxima
    x = np.maximum(rng.integers(-3, 3, (2, size, size, 3)), 0).astype(np.float32)
    y, saved = pc._max_pool_fwd(x, pool_size=pool, strides=strides, padding=((0, 0), (0, 0)))
    g = rng.standard_normal(y.shape).astype(np.float32)
    (dx,) = pc._max_pool_vjp(g, saved, (True,))
    want = _naive_max_pool_grad(x, g, pool, strides)
    if strides == pool:  # each position gets one window's share: exactly equal
        np.testing.assert_array_equal(dx, want)
    else:  # overlapping windows add shares in another order
        np.testing.assert_allclose(dx, want, rtol=1e-6, atol=1e-6)
    assert np.count_nonzero(dx) == np.count_nonzero(want)  # ties send nothing elsewhere


def test_conv_input_gradient_matches_the_windows_matrix_route():
    rng = np.random.default_rng(1)
    kernel = rng.standard_normal((3, 3, 4, 5)).astype(np.float32)
    g2 = rng.standard_normal((2 * 6 * 6, 5)).astype(np.float32)
    padded, out = (2, 8, 8, 4), (6, 6)
    fast = pc._input_gradient(g2, kernel, padded, out, (1, 1), (1, 1))
    dcols = np.dot(g2, kernel.reshape(-1, 5).T).reshape(2, 6, 6, 3, 3, 4)
    slow = pc._col2im(dcols, padded, (3, 3), out, (1, 1), (1, 1))
    np.testing.assert_allclose(fast, slow, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "4-D", "2-D"])
def test_products_with_a_matrix_fold_leading_axes_into_rows(dtype, layout):
    rng = np.random.default_rng(5)
    x = rng.standard_normal({"4-D": (2, 3, 5, 8), "2-D": (6, 8)}.get(layout, (4, 5, 8)))
    if layout == "transposed":  # leading axes that do not fold without a copy: matmul's way
        x = rng.standard_normal((5, 4, 8)).transpose(1, 0, 2)
    x = x.astype(dtype)
    kernel = rng.standard_normal((8, 3)).astype(dtype)
    bias = rng.standard_normal(3).astype(dtype)
    want = np.matmul(x.astype("float64"), kernel.astype("float64"))
    tol = 1e-12 if dtype == "float64" else 1e-5
    got, _ = pa._matmul_fwd(x, kernel)
    assert got.shape == want.shape and got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    dense, saved = pa._dense_fwd(x, kernel, bias)
    np.testing.assert_allclose(dense, want + bias, rtol=tol, atol=tol)
    g = rng.standard_normal(want.shape).astype(dtype)
    gx, gk, gb = pa._dense_vjp(g, saved, (True, True, True))
    (gx2, gk2) = pa._matmul_vjp(g, (x, kernel), (True, True))
    g64 = g.astype("float64")
    for a in (gx, gx2):
        assert a.shape == x.shape and a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, np.matmul(g64, kernel.T.astype("float64")), rtol=tol, atol=tol)
    np.testing.assert_allclose(gk, gk2, rtol=tol, atol=tol)
    np.testing.assert_allclose(gb, g64.reshape(-1, 3).sum(0), rtol=tol, atol=tol)
