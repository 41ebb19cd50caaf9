"""The common LSTM of ``recurrent_scan``, run as two whole-sequence loops.

This is the case almost every model has: Keras's default activations (``tanh`` for the cell,
``sigmoid`` for the gates), no mask and no recurrent dropout. ``_prim_rnn`` sends it here; every
other case takes that module's general step-by-step cell. The numbers are the same function,
computed with fewer and cheaper NumPy calls per step:

- All four gates are activated by one ``exp`` over the step's whole row. With
  ``sigmoid(x) = 1 / (1 + exp(-x))`` and ``tanh(x) = 2 * sigmoid(2x) - 1``, the recurrent kernel
  and the projected inputs are multiplied once, before the loop, by ``-1`` (gates ``i, f, o``)
  and ``-2`` (the candidate ``g``) — exact scalings, so the pre-activations are exactly those of
  the unscaled product, negated and doubled. ``exp`` overflowing to ``inf`` for a very negative
  gate gives its exact limit, 0.
- The backward loop carries only what depends on the recursion (``dh``, ``dc``). The factors of
  the gate gradients that do not (``g * i(1-i)``, ``c_prev * f(1-f)``, ``i * (1-g^2)``,
  ``tanh(c) * o(1-o)`` and ``o * (1-tanh(c)^2)``) are computed for every step at once before it.
- Every buffer is preallocated and every call writes into it: no copies of the states per step.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LSTMSequence", "applies"]


def applies(kind, activation, recurrent_activation, mask, rmask, steps):
    """Whether ``recurrent_scan``'s arguments are this module's case."""
    return (kind == "lstm" and activation == "tanh" and recurrent_activation == "sigmoid"
            and mask is None and rmask is None and steps > 0)


class LSTMSequence:
    """One LSTM sequence: the forward loop on construction, :meth:`backward` for its VJP.

    Arrays are indexed by processing step ``k`` (``t = T - 1 - k`` with ``go_backwards``) and
    held transposed, batch last: a step's gates are ``(4U, B)``, i.e. four contiguous ``(U, B)``
    blocks, so that each step is one matrix product (``R^T @ h^T``) and every elementwise call
    runs over contiguous memory. ``H[k]``, ``C[k]`` ``(U, B)`` are the states entering step
    ``k`` (``H[T]``, ``C[T]`` the final ones).
    """

    n_states = 2

    def __init__(self, projected, kernel, h0, c0, go_backwards):
        T, B, G = projected.shape
        U = G // 4
        dtype = projected.dtype
        self.T, self.B, self.U, self.go_backwards = T, B, U, go_backwards
        self.kernel = kernel
        scale = np.full(G, -1, dtype)
        scale[2 * U:3 * U] = -2
        scaled_t = np.ascontiguousarray((kernel * scale).T)  # (4U, U)
        ordered = projected[::-1] if go_backwards else projected
        self.Z = Z = np.empty((T, G, B), dtype)  # becomes the activated gates
        np.multiply(ordered.transpose(0, 2, 1), scale[:, None], out=Z)
        Z4 = Z.reshape(T, 4, U, B)
        self.H = H = np.empty((T + 1, U, B), dtype)
        self.C = C = np.empty((T + 1, U, B), dtype)
        self.TC = TC = np.empty((T, U, B), dtype)  # tanh(c) of each step's new cell state
        H[0], C[0] = h0.T, c0.T
        product = np.empty((G, B), dtype)
        ig = np.empty((U, B), dtype)
        with np.errstate(over="ignore"):
            for k in range(T):
                z = Z[k]
                np.dot(scaled_t, H[k], out=product)
                z += product
                np.exp(z, out=z)
                z += 1
                np.reciprocal(z, out=z)
                i, f, g, o = Z4[k]
                g *= 2
                g -= 1
                c = C[k + 1]
                np.multiply(f, C[k], out=c)
                np.multiply(i, g, out=ig)
                c += ig
                np.tanh(c, out=TC[k])
                np.multiply(o, TC[k], out=H[k + 1])

    def sequence(self):
        """The outputs of every step ``(B, T, U)``, in processing order."""
        return np.ascontiguousarray(self.H[1:].transpose(2, 0, 1))

    def last(self):
        return np.ascontiguousarray(self.H[-1].T)

    def final_states(self):
        return self.H[-1].T, self.C[-1].T

    def _factors(self):
        """The gate gradients' step-local factors ``A`` ``(T, 4, U, B)`` and ``o * tanh'(c)``."""
        T, U, B = self.T, self.U, self.B
        Z4 = self.Z.reshape(T, 4, U, B)
        i, f, g, o = Z4[:, 0], Z4[:, 1], Z4[:, 2], Z4[:, 3]
        A = np.subtract(1, Z4)
        A *= Z4  # s * (1 - s): right for i, f and o; the g block is redone below
        A[:, 0] *= g
        A[:, 1] *= self.C[:-1]
        ag = A[:, 2]
        np.multiply(g, g, out=ag)
        np.subtract(1, ag, out=ag)
        ag *= i
        A[:, 3] *= self.TC
        K = np.multiply(self.TC, self.TC)
        np.subtract(1, K, out=K)
        K *= o
        return A, K, f

    def backward(self, g_seq, g_last, dh_final, dc_final):
        """Gradients for the projected inputs (``(T, B, 4U)``, time order), the recurrent kernel
        and the initial ``h`` and ``c``, from the gradient of the output sequence ``g_seq``
        ``(B, T, U)`` or of the last output ``g_last``, and of the final states (each may be
        ``None``)."""
        T, B, U = self.T, self.B, self.U
        dtype = self.Z.dtype
        A, K, F = self._factors()
        dZ = np.empty((T, 4 * U, B), dtype)
        dZ4 = dZ.reshape(T, 4, U, B)
        kernel = self.kernel
        g_seq = None if g_seq is None else np.ascontiguousarray(g_seq.transpose(1, 2, 0))
        dh = np.zeros((U, B), dtype)
        dc = np.zeros((U, B), dtype)
        carried = np.empty((U, B), dtype)
        for k in range(T - 1, -1, -1):
            if k == T - 1:
                for d in (g_last, dh_final):
                    if d is not None:
                        dh += d.T
                if g_seq is not None:
                    dh += g_seq[k]
                np.multiply(dh, K[k], out=dc)
                if dc_final is not None:
                    dc += dc_final.T
            else:
                np.dot(kernel, dZ[k + 1], out=dh)
                if g_seq is not None:
                    dh += g_seq[k]
                np.multiply(dc, F[k + 1], out=carried)
                np.multiply(dh, K[k], out=dc)
                dc += carried
            np.multiply(dc, A[k, :3], out=dZ4[k, :3])
            np.multiply(dh, A[k, 3], out=dZ4[k, 3])
        dh0 = np.dot(kernel, dZ[0]).T
        dc0 = (dc * F[0]).T
        dP = np.ascontiguousarray(dZ.transpose(0, 2, 1))  # (T, B, 4U), processing order
        states = np.ascontiguousarray(self.H[:-1].transpose(1, 0, 2)).reshape(U, T * B)
        d_kernel = np.dot(states, dP.reshape(T * B, 4 * U))
        if self.go_backwards:
            dP = np.ascontiguousarray(dP[::-1])
        return dP, d_kernel, np.ascontiguousarray(dh0), np.ascontiguousarray(dc0)
