"""Sums over trailing axes as matrix-vector products (lamina.autodiff.reduce).

They must give NumPy's sums up to rounding, with NumPy's shapes, dtypes, infinities and NaNs,
the same bits on every call, and hand back (``None``) every case they do not cover, so the
caller's NumPy reduction runs (and raises NumPy's errors). Every sum lamina takes over trailing
axes goes through them: the primitives and the tape's broadcasting gradients are checked here
to agree with them bit for bit.
"""

import numpy as np
import pytest

from lamina.autodiff import reduce as rd
from lamina.autodiff.tape import unbroadcast, unbroadcast_into
from lamina.ops import _prim_math as pm
from lamina.ops._table import rsum

CASES = [  # shape, axis (all at least MIN_SIZE elements)
    ((2048, 64), -1), ((32, 64, 64), 2), ((32, 4, 64, 64), -1), ((64, 80), 1),
    ((64, 8, 16), (1, 2)), ((64, 8, 16), (2, 1)), ((64, 8, 16), (-1, -2)), ((4096, 2), -1),
    ((8, 1024), -1), ((64, 80), np.int64(-1)),
]

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("shape,axis", CASES)
def test_sums_are_numpys_up_to_rounding(shape, axis, keepdims, dtype):
    x = np.random.default_rng(0).normal(3.0, 2.0, shape).astype(dtype)
    got = rd.sum_trailing(x, axis, keepdims)
    want = np.sum(x.astype("float64"), axis=axis, keepdims=keepdims)
    assert got is not None and got.shape == want.shape and got.dtype == x.dtype
    n = x.size // want.size
    tol = (1e-14 if dtype == "float64" else 1e-6) * n  # the error bound of any summation order
    np.testing.assert_allclose(got, want, rtol=0, atol=tol * np.abs(x).max())
    np.testing.assert_array_equal(rd.sum_trailing(x, axis, keepdims), got)  # same bits again


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_means_are_numpys_up_to_rounding(dtype):
    x = np.random.default_rng(1).normal(-1.0, 3.0, (40, 8, 32)).astype(dtype)
    for axis in (-1, (1, 2)):
        got = rd.mean(x, axis, True)
        want = np.mean(x, axis=axis, keepdims=True)
        assert got.shape == want.shape and got.dtype == want.dtype
        tol = (1e-14 if dtype == "float64" else 1e-6) * np.abs(x).max()  # (means near 0 too)
        np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def test_infinities_and_nans_travel_as_in_numpy():
    x = np.ones((512, 16), "float32")
    x[0, 3] = np.inf
    x[1, :2] = (np.inf, -np.inf)
    x[2, 5] = np.nan
    x[3, 7] = -np.inf
    with np.errstate(invalid="ignore"):  # (inf - inf warns in both)
        got = rd.sum_trailing(x, -1)
        want = np.sum(x, axis=-1)
    np.testing.assert_array_equal(got, want)
    y = np.ones((512, 16), "float32")
    y[0, 2] = np.nan
    with np.errstate(all="raise"):  # a NaN alone raises no floating-point error
        np.testing.assert_array_equal(rd.sum_trailing(y, -1), np.sum(y, axis=-1))


BIG = (64, 128)  # (MIN_SIZE elements or more)


@pytest.mark.parametrize("x,axis", [
    (np.ones((64, 256), "float32")[:, ::2], -1),  # not contiguous
    (np.ones(BIG, "int64"), -1),  # not a BLAS type
    (np.ones(BIG, "float16"), -1),
    (np.ones(BIG, "float32"), 0),  # a leading axis
    (np.ones((16, 4, 128), "float32"), (0, 2)),
    (np.ones(BIG, "float32"), (0, 1)),  # every axis
    (np.ones(BIG, "float32"), None),
    (np.ones(BIG, "float32"), (1, 1)),  # an axis twice: NumPy's error
    (np.ones(BIG, "float32"), 2),  # out of range: NumPy's error
    (np.ones(BIG, "float32"), -3),
    (np.ones((8192,), "float32"), 0),  # one axis only
    (np.ones((8192, 0), "float32"), -1),  # empty
    (np.ones((8192, 1), "float32"), -1),  # rows of one: nothing to add
    (np.ones((4, rd.MAX_ROW + 1), "float32"), -1),  # long rows keep the pairwise sum
    (np.ones((4, 6), "float32"), -1),  # small: NumPy's reduction is as fast
])
def test_what_it_does_not_cover_is_handed_back(x, axis):
    assert rd.sum_trailing(x, axis) is None


def test_bad_axes_still_get_numpys_errors_through_the_primitives():
    x = np.ones(BIG, "float32")
    with pytest.raises(np.exceptions.AxisError):
        rsum(x, 2)
    with pytest.raises(ValueError):
        rsum(x, (1, 1))


def test_the_primitives_and_the_tape_sum_through_it_bit_for_bit():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((16, 12, 40)).astype("float32")
    rows = rd.sum_trailing(x, -1, True)
    np.testing.assert_array_equal(rsum(x, -1, True), rows)
    np.testing.assert_array_equal(pm._sum_fwd(x, axis=-1)[0], rows[..., 0])
    np.testing.assert_array_equal(pm._mean_fwd(x, axis=-1, keepdims=True)[0], rd.mean(x, -1, True))
    np.testing.assert_array_equal(unbroadcast(x, (16, 12, 1)), rows)
    out = np.empty((16, 12, 1), "float32")
    assert unbroadcast_into(x, (16, 12, 1), out) is out
    np.testing.assert_array_equal(out, rows)
