"""The ``keras.ops.numpy`` functions of ops/_numpy_more.py and ops/_numpy_build.py.

Values, dtypes and gradients are Keras's (TensorFlow backend), read from
tests/fixtures/keras/numpy_more_ops.npz (tools/make_keras_numpy_ops_fixtures.py); the
gradients against finite differences are in test_ops_gradients.py. What Keras 3.15.1 lacks
or does differently (``column_stack``, decreasing ``digitize`` bins, 1-D rows in
``vstack``, ``rot90`` with k=2 of a non-square matrix) is
checked against NumPy.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from ops_fixture_cases import check_case

import lamina
from lamina import ops

_PATH = os.path.join(os.path.dirname(__file__), "fixtures", "keras", "numpy_more_ops.npz")
_DATA = np.load(_PATH)
_SPEC = json.loads(str(_DATA["spec"]))


def _signs_as(ours, theirs):
    """``u``'s columns and ``vh``'s rows flipped to the signs of Keras's."""
    u, s, vh = ours
    flip_u = np.sign(np.sum(u * theirs[0], axis=-2, keepdims=True))
    flip_v = np.sign(np.sum(vh * theirs[2], axis=-1, keepdims=True))
    assert np.all(flip_u != 0) and np.all(flip_v != 0)
    return [u * flip_u, s, vh * flip_v]


def _align(op, ours, theirs):
    return _signs_as(ours, theirs) if op == "svd" and len(ours) == 3 else ours


@pytest.mark.parametrize("case", _SPEC, ids=[c["id"] for c in _SPEC])
def test_matches_keras_values_dtypes_and_gradients(case):
    check_case(_DATA, case, value_atol=1e-5, align=_align)


def test_fixture_covers_every_new_op():
    from lamina.ops import _linalg, _numpy_build, _numpy_extra, _numpy_more, _numpy_nan

    covered = {c["op"] for c in _SPEC}
    new = {n for m in (_numpy_more, _numpy_build, _numpy_extra, _numpy_nan, _linalg)
           for n in m.__all__}
    assert covered == new - {"column_stack", "empty", "empty_like"}
    assert sum(bool(c["grads"]) for c in _SPEC) >= 40


def test_ops_keras_lacks_or_refuses_follow_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(3).astype("float32"), rng.standard_normal((3, 2)).astype("float32")
    np.testing.assert_array_equal(ops.column_stack([a, b]).numpy(), np.column_stack([a, b]))
    np.testing.assert_array_equal(ops.vstack([a, b.T]).numpy(), np.vstack([a, b.T]))
    np.testing.assert_array_equal(ops.dstack([a, a]).numpy(), np.dstack([a, a]))
    x, bins = rng.standard_normal(8), np.array([1.0, 0.0, -1.0])
    np.testing.assert_array_equal(ops.digitize(x, bins).numpy(), np.digitize(x, bins))
    assert ops.digitize(x, np.zeros(0)).numpy().tolist() == [0] * 8
    z = rng.standard_normal((3, 4, 5))
    for axis in (None, 2, (0, 2)):
        np.testing.assert_allclose(ops.median(z, axis=axis).numpy(), np.median(z, axis=axis))
    for k in range(-2, 5):
        np.testing.assert_array_equal(ops.rot90(z, k=k, axes=(2, 1)).numpy(),
                                      np.rot90(z, k=k, axes=(2, 1)))
    for indexing in ("xy", "ij"):
        grids = ops.meshgrid(a, np.arange(2), np.arange(4.0), indexing=indexing)
        want = np.meshgrid(a, np.arange(2), np.arange(4.0), indexing=indexing)
        for g, w in zip(grids, want):
            np.testing.assert_array_equal(g.numpy(), w)
    e = ops.empty((2, 3))
    assert e.shape == (2, 3) and e.dtype == "float32"
    assert ops.empty_like(np.ones(2, "int32")).dtype == "int32"
    np.testing.assert_array_equal(ops.diff(np.array([True, False, False])).numpy(),
                                  np.diff(np.array([True, False, False])))


def test_on_symbolic_inputs_and_in_a_traced_step():
    inp = lamina.Input((3,))
    h = lamina.layers.Dense(3)(inp)
    out = ops.hstack([ops.arctan(h), ops.logaddexp(h, ops.fliplr(h)),
                      ops.cbrt(ops.hypot(h, 1.0)), ops.diff(h)])
    assert tuple(out.shape) == (None, 11)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((16, 3)).astype("float32"), rng.standard_normal((16, 14))

    def fit(run_eagerly):
        lamina.utils.set_random_seed(3)
        i = lamina.Input((3,))
        h = lamina.layers.Dense(3)(i)
        o = ops.hstack([ops.arctan(h), ops.arcsinh(h), ops.cbrt(ops.hypot(h, 1.0)),
                        ops.logaddexp(h, ops.sinh(h)), ops.diff(h)])
        model = lamina.Model(i, o)
        model.compile(optimizer=lamina.optimizers.SGD(0.01), loss="mse",
                      run_eagerly=run_eagerly)
        return model.fit(x, y, batch_size=8, epochs=3, verbose=0).history["loss"]

    traced = fit(False)
    np.testing.assert_allclose(traced, fit(True), rtol=1e-6)
    assert traced[-1] < traced[0]


def test_linalg_factors_rebuild_the_input_and_pass_no_gradient():
    x = ops.convert_to_tensor(np.random.default_rng(2).standard_normal((2, 4, 3)))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        q, r = ops.qr(x)
        u, s, vh = ops.svd(x, full_matrices=False)
        total = ops.sum(q) + ops.sum(r) + ops.sum(u) + ops.sum(s) + ops.sum(vh)
    assert tape.gradient(total, x) is None
    np.testing.assert_allclose((q @ r).numpy(), x.numpy(), atol=1e-12)
    np.testing.assert_allclose((u.numpy() * s.numpy()[:, None]) @ vh.numpy(), x.numpy(),
                               atol=1e-12)
    assert ops.linalg.cholesky is ops.cholesky and ops.linalg.svd is ops.svd
    assert ops.inv(np.eye(2, dtype="int32")).dtype == "float32"


def test_singular_matrices_give_nan_not_an_error():
    a = np.stack([2 * np.eye(2), np.zeros((2, 2))]).astype("float32")
    for out in (ops.inv(a), ops.cholesky(a), ops.solve(a, np.ones((2, 2), "float32"))):
        values = out.numpy()
        assert np.isnan(values[1]).all() and np.isfinite(values[0]).all()
    np.testing.assert_allclose(ops.inv(a).numpy()[0], 0.5 * np.eye(2))


def test_bincount_on_a_symbolic_input():
    # (its length is read from the values: called directly, not from a traced predict step)
    inp = lamina.Input((4,), dtype="int32")
    model = lamina.Model(inp, ops.bincount(inp, minlength=6))
    x = np.array([[0, 1, 1, 5], [2, 2, 2, 3]], "int32")
    np.testing.assert_array_equal(model(x).numpy(), [np.bincount(r, minlength=6) for r in x])


def test_linalg_on_symbolic_inputs():
    inp = lamina.Input((3, 3))
    spd = ops.matmul(inp, ops.swapaxes(inp, -1, -2)) + 3 * np.eye(3, dtype="float32")
    model = lamina.Model(inp, [ops.det(spd), ops.inv(spd), ops.cholesky(spd),
                               ops.solve(spd, ops.ones((3,)))])
    x = np.random.default_rng(3).standard_normal((2, 3, 3)).astype("float32")
    d, i, c, v = model.predict(x, verbose=0)
    a = x @ np.swapaxes(x, -1, -2) + 3 * np.eye(3)
    np.testing.assert_allclose(d, np.linalg.det(a), rtol=1e-5)
    np.testing.assert_allclose(i, np.linalg.inv(a), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(c, np.linalg.cholesky(a), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(v, np.linalg.solve(a, np.ones((2, 3, 1)))[..., 0], rtol=1e-4)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.hstack(np.zeros((2, 2))), r"hstack: `xs` must be a list or tuple of tensors"),
    (lambda: ops.vstack([]), r"vstack: `xs` must hold at least one tensor"),
    (lambda: ops.diff(np.zeros(3), n=-1), r"diff: `n` must be a non-negative int"),
    (lambda: ops.diff(np.zeros((2, 3)), axis=2), r"diff: `axis` must be an axis of `x`"),
    (lambda: ops.fliplr(np.zeros(3)), r"fliplr: `x` must have at least 2 dimensions"),
    (lambda: ops.rot90(np.zeros((2, 2)), axes=(1, 1)), r"rot90: `axes` must be two different"),
    (lambda: ops.rot90(np.zeros(2)), r"rot90: `array` must have at least 2 dimensions"),
    (lambda: ops.meshgrid(np.zeros(2), indexing="yx"), r"meshgrid: `indexing` must be 'xy'"),
    (lambda: ops.average(np.zeros((2, 3)), weights=np.ones(3)),
     r"average: `weights` must have the shape of `x` \(2, 3\), or be 1-D along an int `axis`"),
    (lambda: ops.average(np.zeros((2, 3)), axis=1, weights=np.ones(2)),
     r"average: 1-D `weights` must have the length of axis 1 of `x` \(3\)\. Got 2"),
    (lambda: ops.inner(np.zeros((2, 3)), np.zeros(2)),
     r"inner: the last axes of `x1` and `x2` must have the same length"),
    (lambda: ops.cross(np.zeros(4), np.zeros(3)), r"cross: the vectors must have 2 or 3 comp"),
    (lambda: ops.digitize(np.zeros(2), np.zeros((2, 2))), r"digitize: `bins` must be 1-D"),
    (lambda: ops.median(np.zeros((2, 0)), axis=1), r"median: the axes reduced have no elem"),
    (lambda: ops.bincount(np.array([0.5])), r"bincount: `x` must be a 1-D or 2-D tensor of non"),
    (lambda: ops.bincount(np.array([1, -1])), r"bincount: `x` must be non-negative\. Got the value"),
    (lambda: ops.bincount(np.array([1, 2]), weights=np.ones(3)),
     r"bincount: `weights` must have the shape of `x` \(2,\)"),
    (lambda: ops.bincount(np.array([1]), sparse=True), r"bincount: `sparse=True` is not supp"),
    (lambda: ops.roll(np.zeros((2, 2)), (1, 2), axis=(0, 1, 1)),
     r"roll: `shift` and `axis` must have the same length"),
    (lambda: ops.vdot(np.zeros(2), np.zeros(3)), r"vdot: `x1` and `x2` must have the same number"),
    (lambda: ops.array_split(np.zeros(3), 0), r"array_split: the number of sections must be at le"),
    (lambda: ops.vsplit(np.zeros(4), 2), r"vsplit: `x` must have at least 2 dimensions"),
    (lambda: ops.dsplit(np.zeros((2, 4)), 2), r"dsplit: `x` must have at least 3 dimensions"),
    (lambda: ops.quantile(np.zeros(3), 1.5), r"quantile: `q` must be a number or 1-D, with val"),
    (lambda: ops.quantile(np.zeros(3), 0.5, method="cubic"), r"quantile: `method` must be one"),
    (lambda: ops.vander(np.zeros((2, 2))), r"vander: `x` must be 1-D"),
    (lambda: ops.select(np.ones(2, bool), [np.ones(2)]), r"select: `condlist` and `choicelist` mu"),
    (lambda: ops.select([np.ones(2, bool)], [np.ones(2), np.ones(2)]),
     r"select: `condlist` and `choicelist` must be non-empty and of the same length\. Got 1 "),
    (lambda: ops.hamming(-1), r"hamming: the window length must be non-negative"),
    (lambda: ops.slogdet(np.zeros((2, 3))), r"slogdet: `x` must hold square matrices"),
    (lambda: ops.inv(np.zeros((2, 3))), r"inv: `x` must hold square matrices .* \(2, 3\)"),
    (lambda: ops.det(np.zeros(3)), r"det: `x` must hold square matrices"),
    (lambda: ops.solve(np.eye(3), np.zeros((2, 2))),
     r"solve: `b` must be \(\.\.\., M\) or \(\.\.\., M, N\) for `a` of shape \(3, 3\)"),
    (lambda: ops.qr(np.zeros((2, 2)), mode="r"), r"qr: `mode` must be 'reduced' or 'complete'"),
    (lambda: ops.svd(np.zeros(2)), r"svd: `x` must be at least 2-D"),
])  # fmt: skip
def test_bad_input_names_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.ops import _linalg, _numpy_build, _numpy_extra, _numpy_more

    assert run_doctests(_numpy_more) >= 8 and run_doctests(_numpy_build) >= 6
    assert run_doctests(_linalg) >= 4 and run_doctests(_numpy_extra) >= 2

    from lamina.ops import _numpy_nan

    assert run_doctests(_numpy_nan) == 1


def test_nan_reductions_where_everything_is_nan():
    x = np.array([[1.0, np.nan], [np.nan, np.nan]], "float32")
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(ops.nanmax(x, axis=1).numpy(), [1.0, np.nan])
        np.testing.assert_array_equal(ops.nanmin(x, axis=0).numpy(), [1.0, np.nan])
        np.testing.assert_array_equal(ops.nanmean(x, axis=1).numpy(), [1.0, np.nan])
        np.testing.assert_array_equal(ops.nansum(x, axis=1).numpy(), [1.0, 0.0])
