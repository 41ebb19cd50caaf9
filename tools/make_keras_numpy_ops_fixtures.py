#!/usr/bin/env python
"""Reference numbers of the ``keras.ops.numpy`` functions of lamina's ``ops/_numpy_more.py``
and ``ops/_numpy_build.py`` (inverse trigonometric and hyperbolic functions, ``hypot``,
``logaddexp``, stacking, ``diff``, ``rot90``, ``meshgrid``, ``median``, ``kron``, ``cross``,
``isin``, ``digitize``, ...), for tests/test_ops_numpy_more.py.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1):

    /opt/keras-ref/bin/python tools/make_keras_numpy_ops_fixtures.py

Writes tests/fixtures/keras/numpy_more_ops.npz: ``spec`` (a JSON string: the cases, with the
arguments of each call), each case's array arguments, its outputs (``<id>/out<k>``, their
dtype Keras's), the weights ``<id>/c<k>`` of the weighted sum whose gradients are recorded,
and those gradients (``<id>/d<name>``).
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402
from ops_fixture_runner import run_case  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"
RNG = np.random.default_rng(20261208)


def normal(*shape):
    return RNG.standard_normal(shape).astype("float32")


def uniform(lo, hi, *shape):
    return RNG.uniform(lo, hi, shape).astype("float32")


def ints(*shape, lo=-3, hi=4, dtype="int32"):
    return RNG.integers(lo, hi, shape).astype(dtype)


def well_conditioned(*shape):
    """Matrices (n, n) (with batch axes in front) near 2 * identity."""
    *batch, n = shape
    return (2 * np.eye(n) + 0.4 * RNG.standard_normal((*batch, n, n))).astype("float32")


def spd(*shape):
    """Symmetric positive-definite matrices (n, n)."""
    *batch, n = shape
    m = RNG.standard_normal((*batch, n, n))
    return (m @ np.swapaxes(m, -1, -2) + n * np.eye(n)).astype("float32")


_NANS = np.array([[0.5, np.nan, -1.5, 2.0], [np.nan, 1.2, 0.7, -0.3], [1.1, -0.6, np.nan, 0.9]],
                 "float32")
_INF = np.array([1.0, np.inf, -np.inf, np.nan, -2.0, 0.0], "float32")

# (id, op, positional arguments, keyword arguments). A NumPy array (or a list of them) is
# stored in the file (float ones are differentiated); everything else goes into the spec.
CASES = [
    ("arcsin", "arcsin", [uniform(-0.9, 0.9, 2, 3)], {}),
    ("arcsin_int", "arcsin", [ints(4, lo=-1, hi=2)], {}),
    ("arccos", "arccos", [uniform(-0.9, 0.9, 5)], {}),
    ("arctan", "arctan", [normal(2, 3) * 3], {}),
    ("arctan_bool", "arctan", [np.array([True, False])], {}),
    ("arcsinh", "arcsinh", [normal(4) * 3], {}),
    ("arccosh", "arccosh", [uniform(1.2, 4.0, 2, 2)], {}),
    ("arctanh", "arctanh", [uniform(-0.9, 0.9, 3)], {}),
    ("arctanh_float64", "arctanh", [uniform(-0.9, 0.9, 3).astype("float64")], {}),
    ("sinh", "sinh", [normal(3, 2)], {}),
    ("cosh", "cosh", [normal(3, 2)], {}),
    ("cosh_int", "cosh", [ints(3)], {}),
    ("cbrt", "cbrt", [normal(2, 4) * 4], {}),
    ("cbrt_int", "cbrt", [ints(4, lo=-8, hi=9)], {}),
    ("arctan2", "arctan2", [normal(2, 3), normal(2, 3)], {}),
    ("arctan2_broadcast", "arctan2", [normal(3, 1), normal(4)], {}),
    ("arctan2_int", "arctan2", [ints(3), ints(3)], {}),
    ("hypot", "hypot", [normal(2, 3), normal(3)], {}),
    ("hypot_int", "hypot", [ints(4), ints(4)], {}),
    ("logaddexp", "logaddexp", [normal(2, 3) * 5, normal(2, 3) * 5], {}),
    ("logaddexp_int", "logaddexp", [ints(3), ints(3)], {}),
    ("logaddexp2", "logaddexp2", [normal(3, 2) * 4, normal(2) * 4], {}),
    ("exp2", "exp2", [normal(5)], {}),
    ("exp2_int", "exp2", [ints(4)], {}),
    ("deg2rad", "deg2rad", [normal(3) * 90], {}),
    ("deg2rad_int", "deg2rad", [ints(3, lo=-180, hi=180)], {}),
    ("rad2deg", "rad2deg", [normal(3)], {}),
    ("rad2deg_int64", "rad2deg", [ints(3, dtype="int64")], {}),
    ("fmod", "fmod", [normal(2, 4) * 5, uniform(0.5, 2.0, 4) * np.array([1, -1, 1, -1], "f")], {}),
    ("fmod_int", "fmod", [ints(6, lo=-9, hi=10), np.array([3, -3, 2, -2, 4, 5], "int32")], {}),
    ("hstack", "hstack", [[normal(2, 1), normal(2, 3)]], {}),
    ("hstack_1d", "hstack", [[normal(2), normal(3)]], {}),
    ("hstack_mixed", "hstack", [[normal(2, 2), ints(2, 1)]], {}),
    ("vstack", "vstack", [[normal(1, 3), normal(2, 3)]], {}),
    ("dstack", "dstack", [[normal(2, 3), normal(2, 3, 2)]], {}),
    ("dstack_1d", "dstack", [[normal(3), normal(3)]], {}),
    ("append_flat", "append", [normal(2, 2), normal(3)], {}),
    ("append_axis", "append", [normal(2, 3), normal(1, 3)], {"axis": 0}),
    ("append_mixed", "append", [ints(2), normal(2)], {}),
    ("diff", "diff", [normal(2, 5)], {}),
    ("diff_n2_axis0", "diff", [normal(4, 3)], {"n": 2, "axis": 0}),
    ("diff_int", "diff", [ints(5)], {}),
    ("fliplr", "fliplr", [normal(2, 3, 2)], {}),
    ("flipud", "flipud", [normal(3, 2)], {}),
    ("rot90", "rot90", [normal(2, 3)], {}),
    ("rot90_k2", "rot90", [normal(3, 3)], {"k": 2}),
    ("rot90_k3_axes", "rot90", [normal(2, 3, 4)], {"k": 3, "axes": (2, 0)}),
    ("rot90_k-1", "rot90", [normal(3, 2)], {"k": -1}),
    ("meshgrid", "meshgrid", [normal(3), normal(2)], {}),
    ("meshgrid_ij3", "meshgrid", [normal(2), normal(3), normal(2)], {"indexing": "ij"}),
    ("meshgrid_xy3", "meshgrid", [normal(2), normal(3), normal(4)], {}),
    ("copy", "copy", [normal(2, 2)], {}),
    ("array", "array", [ints(3)], {"dtype": "float32"}),
    ("average", "average", [normal(3, 4)], {}),
    ("average_weights_axis", "average", [normal(3, 4)], {"axis": 1, "weights": uniform(0.5, 2, 4)}),
    ("average_full_weights", "average", [normal(3, 4)], {"axis": 0, "weights": uniform(0.5, 2, 3, 4)}),
    ("average_int", "average", [ints(5)], {}),
    ("median", "median", [normal(3, 5)], {}),
    ("median_even_axis", "median", [normal(3, 4)], {"axis": 1}),
    ("median_keepdims", "median", [normal(2, 3, 4)], {"axis": 0, "keepdims": True}),
    ("median_int", "median", [ints(5)], {}),
    ("inner", "inner", [normal(2, 3), normal(4, 3)], {}),
    ("inner_1d", "inner", [normal(3), normal(3)], {}),
    ("kron", "kron", [normal(2, 3), normal(3, 2)], {}),
    ("kron_ranks", "kron", [normal(2), normal(2, 3)], {}),
    ("kron_int", "kron", [ints(2, 2), ints(2)], {}),
    ("cross", "cross", [normal(4, 3), normal(4, 3)], {}),
    ("cross_2d", "cross", [normal(4, 2), normal(4, 2)], {}),
    ("cross_2d_3d", "cross", [normal(3, 2), normal(3, 3)], {}),
    ("cross_axis0", "cross", [normal(3, 2), normal(3, 2)], {"axis": 0}),
    ("logical_xor", "logical_xor", [ints(6, lo=0, hi=2).astype(bool), ints(6, lo=0, hi=2)], {}),
    ("isposinf", "isposinf", [_INF], {}),
    ("isneginf", "isneginf", [_INF], {}),
    ("isreal", "isreal", [_INF], {}),
    ("isin", "isin", [ints(2, 4), np.array([0, 2, -1], "int32")], {}),
    ("isin_invert", "isin", [ints(6), np.array([1, 3], "int32")], {"invert": True}),
    ("allclose", "allclose", [normal(3), normal(3)], {}),
    ("allclose_close", "allclose", [np.ones(3, "f"), np.ones(3, "f") + 1e-7], {}),
    ("digitize", "digitize", [normal(2, 5), np.array([-1.0, 0.0, 0.5, 1.5], "float32")], {}),
    ("bincount", "bincount", [ints(7, lo=0, hi=5)], {}),
    ("bincount_minlength_2d", "bincount", [ints(2, 4, lo=0, hi=3)], {"minlength": 5}),
    ("bincount_weights", "bincount", [ints(6, lo=0, hi=4)], {"weights": normal(6)}),
    # (lamina's ops/_numpy_extra.py)
    ("trunc", "trunc", [normal(6) * 3], {}),
    ("trunc_int", "trunc", [ints(4)], {}),
    ("fabs", "fabs", [normal(4)], {}),
    ("fabs_int", "fabs", [ints(4)], {}),
    ("sinc", "sinc", [np.array([0.3, 0.5, -1.5, 2.25, 0.1], "float32")], {}),
    ("sinc_zero", "sinc", [np.array([0.0, -0.5], "float32")], {}),
    ("sinc_int", "sinc", [ints(4)], {}),
    ("fmax", "fmax", [_INF, normal(6)], {}),
    ("fmin", "fmin", [normal(2, 6), _INF], {}),
    ("fmax_int", "fmax", [ints(4), ints(4)], {}),
    ("heaviside", "heaviside", [np.array([-1.0, 0.0, 2.0, 0.0], "float32"), normal(4)], {}),
    ("heaviside_int", "heaviside", [ints(5), ints(5)], {}),
    ("roll", "roll", [normal(2, 3)], {"shift": 2}),
    ("roll_axis", "roll", [normal(2, 5)], {"shift": -2, "axis": 1}),
    ("roll_axes", "roll", [normal(3, 4)], {"shift": (1, 2), "axis": (0, 1)}),
    ("ptp", "ptp", [normal(3, 4)], {}),
    ("ptp_axis", "ptp", [normal(3, 4)], {"axis": 1, "keepdims": True}),
    ("vdot", "vdot", [normal(2, 3), normal(6)], {}),
    ("tri", "tri", [3], {}),
    ("tri_rect", "tri", [3, 5], {"k": 1, "dtype": "int32"}),
    ("diagflat", "diagflat", [normal(2, 2)], {}),
    ("diagflat_k", "diagflat", [normal(3)], {"k": -1}),
    ("array_split", "array_split", [normal(7, 2), 3], {}),
    ("array_split_axis", "array_split", [normal(2, 5)], {"indices_or_sections": 2, "axis": 1}),
    ("hsplit", "hsplit", [normal(2, 4), 2], {}),
    ("vsplit", "vsplit", [normal(4, 2), 2], {}),
    ("dsplit", "dsplit", [normal(2, 2, 4), 4], {}),
    ("real", "real", [normal(3)], {}),
    ("imag", "imag", [normal(3)], {}),
    ("conj", "conj", [normal(3)], {}),
    ("conjugate", "conjugate", [normal(3)], {}),
    ("quantile", "quantile", [normal(3, 5), 0.3], {}),
    ("quantile_axis_q_list", "quantile", [normal(3, 5), [0.1, 0.5, 1.0]], {"axis": 1}),
    ("quantile_keepdims", "quantile", [normal(2, 3, 4), [0.25, 0.8]],
     {"axis": 0, "keepdims": True}),
    ("quantile_lower", "quantile", [normal(6), 0.4], {"method": "lower"}),
    # (q * (n - 1) not a whole number: Keras rounds q to float32 first, which moves 0.4 * 5
    # above 2 and "higher" to the next value; lamina, like NumPy, keeps q in float64.)
    ("quantile_higher", "quantile", [normal(6), 0.45], {"method": "higher"}),
    ("quantile_midpoint", "quantile", [normal(2, 6), 0.3], {"axis": 1, "method": "midpoint"}),
    ("quantile_nearest", "quantile", [normal(7), 0.45], {"method": "nearest"}),
    ("quantile_int", "quantile", [ints(5), 0.5], {}),
    ("percentile", "percentile", [normal(4, 5), [10.0, 50.0, 90.0]], {"axis": -1}),
    ("nanargmax", "nanargmax", [_NANS], {"axis": 1}),
    ("nanargmin", "nanargmin", [_NANS], {"axis": 0, "keepdims": True}),
    ("nanargmax_flat", "nanargmax", [_NANS], {}),
    ("trapezoid", "trapezoid", [normal(3, 5)], {}),
    ("trapezoid_dx_axis", "trapezoid", [normal(4, 3)], {"dx": 0.5, "axis": 0}),
    ("trapezoid_x", "trapezoid", [normal(2, 4), np.array([0.0, 0.5, 1.5, 3.0], "float32")], {}),
    ("vander", "vander", [normal(3)], {}),
    ("vander_n_increasing", "vander", [normal(4)], {"N": 3, "increasing": True}),
    ("vander_int", "vander", [ints(3)], {"N": 4}),
    ("bartlett", "bartlett", [6], {}),
    ("blackman", "blackman", [5], {}),
    ("hamming", "hamming", [7], {}),
    ("hanning", "hanning", [4], {}),
    ("kaiser", "kaiser", [6, 3.5], {}),
    ("select", "select", [[_NANS > 0.5, _NANS < 0.0], [normal(3, 4), normal(3, 4)]],
     {"default": 2.5}),
    ("select_int", "select", [[ints(5) > 0, ints(5) < 0], [ints(5), ints(5)]], {}),
    ("get_item", "get_item", [normal(3, 4), 1], {}),
    # (lamina's ops/_numpy_nan.py)
    ("nansum", "nansum", [_NANS], {}),
    ("nansum_axis", "nansum", [_NANS], {"axis": 1, "keepdims": True}),
    ("nansum_int8", "nansum", [ints(2, 3).astype("int8")], {"axis": 0}),
    ("nanprod", "nanprod", [_NANS], {"axis": 0}),
    ("nanprod_int", "nanprod", [ints(2, 3)], {}),
    ("nanmean", "nanmean", [_NANS], {"axis": 1}),
    ("nanmean_int", "nanmean", [ints(2, 3)], {}),
    ("nanvar", "nanvar", [_NANS], {"axis": 1}),
    ("nanstd", "nanstd", [_NANS], {}),
    ("nanmax", "nanmax", [_NANS], {"axis": 1}),
    ("nanmin", "nanmin", [_NANS], {"axis": 0, "keepdims": True}),
    ("nanmax_int", "nanmax", [ints(2, 3)], {}),
    ("nancumsum", "nancumsum", [_NANS], {"axis": 1}),
    ("nancumsum_flat", "nancumsum", [_NANS], {}),
    ("nancumprod", "nancumprod", [_NANS], {"axis": 0}),
    # keras.ops.linalg (lamina's ops/_linalg.py)
    ("inv", "inv", [well_conditioned(3)], {}),
    ("inv_batched", "inv", [well_conditioned(2, 4)], {}),
    ("det", "det", [well_conditioned(3)], {}),
    ("det_batched", "det", [well_conditioned(2, 3)], {}),
    ("solve_vector", "solve", [well_conditioned(3), normal(3)], {}),
    ("solve_matrix", "solve", [well_conditioned(3), normal(3, 2)], {}),
    ("solve_batched", "solve", [well_conditioned(2, 3), normal(2, 3, 4)], {}),
    ("cholesky", "cholesky", [spd(3)], {}),
    ("cholesky_batched_upper", "cholesky", [spd(2, 4)], {"upper": True}),
    ("qr", "qr", [normal(4, 3)], {}),
    ("qr_complete", "qr", [normal(2, 4, 3)], {"mode": "complete"}),
    ("svd", "svd", [normal(4, 3)], {}),
    ("svd_reduced", "svd", [normal(2, 3, 5)], {"full_matrices": False}),
    ("svd_values", "svd", [normal(2, 4, 3)], {"compute_uv": False}),
    ("slogdet", "slogdet", [well_conditioned(3)], {}),
    ("slogdet_batched", "slogdet", [-well_conditioned(2, 3)], {}),
]

# (Keras 3.15.1 has no ``column_stack``, and its TensorFlow ``digitize`` refuses decreasing
# bins, and its TensorFlow ``rot90`` with k=2 of a non-square matrix is not NumPy's: lamina's
# are tested against NumPy.)
# TensorFlow's floormod has no gradient for its divisor, nor its bincount for the weights
# (lamina's gradients of both are checked against finite differences in
# tests/test_ops_gradients.py).
NO_GRADIENT = {"fmod", "qr", "svd", "bincount"}  # (lamina gives qr and svd no gradient)


# TensorFlow's sinc has a NaN gradient at 0 (lamina's is the true one there, 0).
NO_GRADIENT_CASES = {"sinc_zero"}


def main():
    arrays, spec = {}, []
    for case in CASES:
        run_case(tf, ops, RNG, case, arrays, spec, NO_GRADIENT | NO_GRADIENT_CASES)
    arrays["spec"] = np.array(json.dumps(spec))
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT / "numpy_more_ops.npz", **arrays)
    print(f"wrote {len(spec)} cases to {OUT / 'numpy_more_ops.npz'} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
