"""Shared finite-difference gradient checker (float64), used by every op, layer and loss test."""

from __future__ import annotations

import numpy as np

import lamina


def numeric_gradient(fn, arrays, index, eps=1e-6):
    """Central differences of sum(fn(*arrays)) with respect to arrays[index]."""
    base = [np.array(a, dtype=np.float64) for a in arrays]
    x = base[index]
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        plus = float(np.sum(np.asarray(fn(*base))))
        x[i] = old - eps
        minus = float(np.sum(np.asarray(fn(*base))))
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def analytic_gradient(fn, arrays, wrt):
    """Gradients of sum(fn(*tensors)) from lamina's tape for the inputs in ``wrt``."""
    tensors = [lamina.ops.convert_to_tensor(np.array(a, dtype=np.float64)) for a in arrays]
    with lamina.GradientTape() as tape:
        for i in wrt:
            tape.watch(tensors[i])
        out = fn(*tensors)
    grads = tape.gradient(out, [tensors[i] for i in wrt], unconnected_gradients="zero")
    return [np.asarray(g) for g in grads]


def check_gradients(fn, arrays, wrt=None, atol=1e-6, rtol=1e-5, eps=1e-6):
    """Assert that lamina's gradients of ``sum(fn(*inputs))`` match central differences.

    Args:
        fn: a function of lamina tensors built from lamina.ops (or layers/losses).
        arrays: the float inputs (converted to float64).
        wrt: indices of the inputs to check (default: all).
    """
    wrt = list(range(len(arrays))) if wrt is None else list(wrt)
    analytic = analytic_gradient(fn, arrays, wrt)
    for i, got in zip(wrt, analytic):
        expected = numeric_gradient(fn, arrays, i, eps=eps)
        np.testing.assert_allclose(
            got, expected, atol=atol, rtol=rtol, err_msg=f"gradient of input {i} is wrong"
        )
