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
    # masks: the first step masked for one sample, the last for another, one sample all real
    {"mask": True},
    {"mask": True, "return_sequences": True, "with_states": True},
    {"mask": True, "go_backwards": True, "with_states": True},
    {"mask": True, "zero_output_for_mask": True, "return_sequences": True},
    {"mask": True, "zero_output_for_mask": True, "go_backwards": True, "with_states": True},
]

MASK = np.array([[False, True, True, False, True, True, True],
                 [True, True, False, True, True, False, False],
                 [True, True, True, True, True, True, True]])


def _run(arrays, g, opts, general):
    if opts.get("mask"):
        opts = {**opts, "mask": None, "has_mask": True}
        arrays = [*arrays, MASK]
    else:
        opts = {k: v for k, v in opts.items() if k != "mask"}
    if general:
        original = _prim_lstm.applies
        _prim_lstm.applies = lambda *a: False
    try:
        opts = {k: v for k, v in opts.items() if k != "mask"}
        out, saved = _prim_rnn._scan_fwd(*arrays, kind="lstm", **opts)
        needs = (True,) * 4 + (False,) * (len(arrays) - 4)
        grads = _prim_rnn._scan_vjp(g(out.shape), saved, needs)[:4]
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
    {"activation": "relu"}, {"recurrent_activation": "hard_sigmoid"}, {"has_rmask": True},
])
def test_other_cases_take_the_general_cell(kwargs):
    arrays = _arrays("float64", T=3, B=2, U=2)
    extra = [np.ones((1, 2, 2))] if "has_rmask" in kwargs else []
    _, saved = _prim_rnn._scan_fwd(*arrays, *extra, kind="lstm", **kwargs)
    assert not isinstance(saved[0], _prim_lstm.LSTMSequence)


def test_seeded_runs_are_bit_identical():
    arrays = _arrays("float32", T=20, B=8, U=16)
    first = _run(arrays, lambda s: np.ones(s, "float32"), {"return_sequences": True}, False)
    second = _run(arrays, lambda s: np.ones(s, "float32"), {"return_sequences": True}, False)
    assert np.array_equal(first[0], second[0])
    assert all(np.array_equal(a, b) for a, b in zip(first[1], second[1]))


# -- the LSTM from its raw inputs (lstm_sequence: the input projection inside the step) ---------

FUSED_CONFIGS = CONFIGS + [{"no_bias": True}, {"no_bias": True, "mask": True,
                                                "return_sequences": True}]


def _fused_and_reference(dtype, opts, B=3, T=7, F=4, U=5, seed=2):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((B, T, F)).astype(dtype)
    kernel = (rng.standard_normal((F, 4 * U)) * 0.5).astype(dtype)
    rkernel = (rng.standard_normal((U, 4 * U)) * 0.5).astype(dtype)
    bias = None if opts.get("no_bias") else rng.standard_normal(4 * U).astype(dtype)
    h0, c0 = (rng.standard_normal((B, U)).astype(dtype) for _ in range(2))
    flags = {k: v for k, v in opts.items() if k not in ("mask", "no_bias")}
    mask = [MASK[:B, :T]] if opts.get("mask") else []
    out, saved = _prim_rnn._lstm_sequence_fwd(
        x, kernel, rkernel, *([] if bias is None else [bias]), h0, c0, *mask,
        has_bias=bias is not None, has_mask=bool(mask), **flags)
    g = rng.standard_normal(out.shape).astype(dtype)
    n = 5 + (bias is not None) + bool(mask)
    grads = _prim_rnn._lstm_sequence_vjp(g, saved, (True,) * (n - bool(mask)) + (False,) * bool(mask))
    # the reference: the projection as its own product, then the general cell, by the chain rule
    proj = (x.transpose(1, 0, 2).reshape(T * B, F) @ kernel).reshape(T, B, 4 * U)
    if bias is not None:
        proj = proj + bias
    original = _prim_lstm.applies
    _prim_lstm.applies = lambda *a: False
    try:
        ref, ref_saved = _prim_rnn._scan_fwd(proj, rkernel, h0, c0, *mask, kind="lstm",
                                             has_mask=bool(mask), **flags)
        d_proj, d_rk, d_h0, d_c0 = _prim_rnn._scan_vjp(
            g, ref_saved, (True,) * 4 + (False,) * bool(mask))[:4]
    finally:
        _prim_lstm.applies = original
    d_x = (d_proj.reshape(T * B, 4 * U) @ kernel.T).reshape(T, B, F).transpose(1, 0, 2)
    d_k = x.transpose(1, 0, 2).reshape(T * B, F).T @ d_proj.reshape(T * B, 4 * U)
    ref_grads = [d_x, d_k, d_rk] + ([] if bias is None else [d_proj.sum(axis=(0, 1))])
    return out, grads, ref, ref_grads + [d_h0, d_c0]


@pytest.mark.parametrize("opts", FUSED_CONFIGS, ids=lambda o: "-".join(o) or "last")
@pytest.mark.parametrize("dtype,tol", [("float64", 1e-12), ("float32", 2e-5)])
def test_fused_projection_matches_projection_then_general_cell(opts, dtype, tol):
    out, grads, ref, ref_grads = _fused_and_reference(dtype, opts)
    assert out.dtype == ref.dtype
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    grads = [d for d in grads if d is not None]
    assert len(grads) == len(ref_grads)
    for a, b in zip(grads, ref_grads):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("fused", [False, True])
def test_results_never_alias_the_reused_buffers(fused):
    # A batch of one is where a transposed buffer is already contiguous: the outputs and the
    # gradients must still be copies, untouched by the next sequence that takes the buffers.
    first = _fused_and_reference("float32", {}, B=1, seed=3) if fused else None
    if fused:
        out, grads = first[0].copy(), [d.copy() for d in first[1]]
        again = _fused_and_reference("float32", {}, B=1, seed=4)
        assert not np.array_equal(again[0], out)
        np.testing.assert_array_equal(first[0], out)
        for a, b in zip(first[1], grads):
            np.testing.assert_array_equal(a, b)
    else:
        arrays = _arrays("float32", B=1, seed=5)
        out, grads, _ = _run(arrays, lambda s: np.ones(s, "float32"), {}, general=False)
        kept = out.copy(), [d.copy() for d in grads]
        _run(_arrays("float32", B=1, seed=6), lambda s: np.ones(s, "float32"), {}, False)
        np.testing.assert_array_equal(out, kept[0])
        for a, b in zip(grads, kept[1]):
            np.testing.assert_array_equal(a, b)


def test_sequences_on_several_threads_do_not_share_buffers():
    import threading

    data = [_arrays("float32", T=12, B=4, U=6, seed=10 + i) for i in range(4)]
    expected = [_prim_rnn._scan_fwd(*a, kind="lstm", return_sequences=True)[0] for a in data]
    results, errors = {}, []

    def work(i):
        try:
            for _ in range(25):
                out = _prim_rnn._scan_fwd(*data[i], kind="lstm", return_sequences=True)[0]
                if not np.array_equal(out, expected[i]):
                    errors.append(i)
            results[i] = True
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4
