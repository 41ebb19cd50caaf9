"""The whole-sequence LSTM of ``recurrent_scan`` against the general step-by-step cell.

``_prim_lstm`` computes the same function as ``_prim_rnn``'s ``_LSTM`` cell with other, cheaper
NumPy calls, so both must agree to rounding — forward and every gradient — in every layout the
scan supports; and it must be the path that the common LSTM actually takes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lamina.ops import _prim_lstm, _prim_rnn

CONFIGS = [
    {},
    {"return_sequences": True},
    {"go_backwards": True},
    {"return_sequences": True, "with_states": True},
    {"go_backwards": True, "return_sequences": True, "with_states": True},
]


def _run(arrays, g, opts, general):
    if general:
        original = _prim_lstm.applies
        _prim_lstm.applies = lambda *a: False
    try:
        out, saved = _prim_rnn._scan_fwd(*arrays, kind="lstm", **opts)
        grads = _prim_rnn._scan_vjp(g(out.shape), saved, (True, True, True, True))
    finally:
        if general:
            _prim_lstm.applies = original
    return out, grads, saved


def _arrays(dtype, T=7, B=3, U=5, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * f).astype(dtype) for s, f in [
        ((T, B, 4 * U), scale), ((U, 4 * U), 0.5), ((B, U), 1.0), ((B, U), 1.0)]]


@pytest.mark.parametrize("opts", CONFIGS, ids=lambda o: "-".join(o) or "last")
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-12), ("float32", 2e-5)])
def test_matches_the_general_cell(opts, dtype, tol):
    arrays = _arrays(dtype)
    rng = np.random.default_rng(1)
    cotangent = {}

    def g(shape):
        if shape not in cotangent:
            cotangent[shape] = rng.standard_normal(shape).astype(dtype)
        return cotangent[shape]

    out, grads, saved = _run(arrays, g, opts, general=False)
    assert isinstance(saved[0], _prim_lstm.LSTMSequence)  # the fast path ran
    ref_out, ref_grads, ref_saved = _run(arrays, g, opts, general=True)
    assert not isinstance(ref_saved[0], _prim_lstm.LSTMSequence)
    assert out.dtype == ref_out.dtype and out.shape == ref_out.shape
    np.testing.assert_allclose(out, ref_out, rtol=tol, atol=tol)
    for name, a, b in zip(["projected", "kernel", "h0", "c0"], grads, ref_grads):
        assert a.shape == b.shape and a.dtype == b.dtype, name
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol, err_msg=name)


def test_saturated_gates_give_their_limits_without_warnings():
    # Pre-activations of +-200: exp overflows to inf inside the sigmoid, whose limit is exact.
    arrays = _arrays("float32", scale=200.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, grads, _ = _run(arrays, lambda s: np.ones(s, "float32"), {}, general=False)
    ref_out, ref_grads, _ = _run(arrays, lambda s: np.ones(s, "float32"), {}, general=True)
    assert np.all(np.isfinite(out)) and all(np.all(np.isfinite(g)) for g in grads)
    np.testing.assert_allclose(out, ref_out, atol=1e-6)
    for a, b in zip(grads, ref_grads):
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.mark.parametrize("kwargs", [
    {"activation": "relu"}, {"recurrent_activation": "hard_sigmoid"}, {"has_mask": True},
])
def test_other_cases_take_the_general_cell(kwargs):
    arrays = _arrays("float64", T=3, B=2, U=2)
    extra = [np.array([[True, False, True], [True, True, False]])] if "has_mask" in kwargs else []
    _, saved = _prim_rnn._scan_fwd(*arrays, *extra, kind="lstm", **kwargs)
    assert not isinstance(saved[0], _prim_lstm.LSTMSequence)


def test_seeded_runs_are_bit_identical():
    arrays = _arrays("float32", T=20, B=8, U=16)
    first = _run(arrays, lambda s: np.ones(s, "float32"), {"return_sequences": True}, False)
    second = _run(arrays, lambda s: np.ones(s, "float32"), {"return_sequences": True}, False)
    assert np.array_equal(first[0], second[0])
    assert all(np.array_equal(a, b) for a, b in zip(first[1], second[1]))
