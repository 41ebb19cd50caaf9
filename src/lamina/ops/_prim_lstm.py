"""The common LSTM, run as two whole-sequence loops.

This is the case almost every model has: Keras's default activations (``tanh`` for the cell,
``sigmoid`` for the gates) and no recurrent dropout, with or without a mask. Two primitives of
``_prim_rnn`` run it here: ``recurrent_scan`` (from the projected inputs, when the layer has
projected them itself, e.g. with a dropout mask per gate) and ``lstm_sequence`` (from the raw
inputs: the input projection inside each step's product). Every other case takes
``_prim_rnn``'s general step-by-step cell. The numbers are the same function, computed with
fewer and cheaper NumPy calls per step:

- All four gates are activated by one ``exp`` over the step's gates. With
  ``sigmoid(x) = 1 / (1 + exp(-x))`` and ``tanh(x) = 2 * sigmoid(2x) - 1``, the kernels and the
  projected inputs are multiplied once, before the loop, by ``-1`` (gates ``i, f, o``) and ``-2``
  (the candidate ``g``) — exact scalings, so the pre-activations are exactly those of the
  unscaled product, negated and doubled. ``exp`` overflowing to ``inf`` for a very negative gate
  gives its exact limit, 0.
- The backward loop carries only what depends on the recursion (``dh``, ``dc``). The factors of
  the gate gradients that do not (``g * i(1-i)``, ``c_prev * f(1-f)``, ``i * (1-g^2)``,
  ``tanh(c) * o(1-o)`` and ``o * (1-tanh(c)^2)``) are computed for every step at once before it.
- Every call writes into a buffer made for it, and the large buffers are reused from one
  sequence to the next (below): no copies of the states per step, no page faults per step.
"""

from __future__ import annotations

import numpy as np

__all__ = ["LSTMSequence", "applies"]

# Scratch buffers, reused from one sequence to the next of the same shape: a fresh multi-megabyte
# array each step costs more in page faults (the kernel zeroing new pages) than the arithmetic
# it holds. Only arrays private to this module come and go here: everything returned is a copy
# (never a view of a pooled buffer — ``np.array``, not ``ascontiguousarray``, which returns a
# view when the layout already fits, as it does for a batch of one).
_FREE: dict = {}
_LIMIT = 256 * 2**20  # bytes of free buffers kept, at most
_PER_SHAPE = 4  # (two sequences' worth: H and C share a shape)
_kept = [0]


def _take(shape, dtype):
    try:  # (pop, not a test then a pop: another thread may take the last one in between)
        a = _FREE.get((shape, np.dtype(dtype).str), []).pop()
    except IndexError:
        return np.empty(shape, dtype)
    _kept[0] -= a.nbytes
    return a


def _give(*arrays):
    for a in arrays:
        if a is None or _kept[0] + a.nbytes > _LIMIT:
            continue
        free = _FREE.setdefault((a.shape, a.dtype.str), [])
        if len(free) < _PER_SHAPE:
            free.append(a)
            _kept[0] += a.nbytes


def applies(kind, activation, recurrent_activation, rmask, steps):
    """Whether ``recurrent_scan``'s arguments are this module's case."""
    return (kind == "lstm" and activation == "tanh" and recurrent_activation == "sigmoid"
            and rmask is None and steps > 0)


class LSTMSequence:
    """One LSTM sequence: the forward loop on construction, :meth:`backward` for its VJP.

    Arrays are indexed by processing step ``k`` (``t = T - 1 - k`` with ``go_backwards``) and
    held transposed, batch last: a step's gates are ``(4U, B)``, i.e. four contiguous ``(U, B)``
    blocks, so that each step is one matrix product and every elementwise call runs over
    contiguous memory. ``H[k]``, ``C[k]`` ``(U, B)`` are the states entering step ``k``
    (``H[T]``, ``C[T]`` the final ones).

    The gates' inputs come one of two ways. From ``projected`` ``(T, B, 4U)`` (the input
    projection made outside), transposed once into the gate buffer; or from the raw inputs
    ``x`` ``(B, T, F)`` with the input kernel and bias: then the step's product is
    ``[W; b; R]^T @ [x_t; 1; h]`` over one stacked buffer ``S`` ``(T + 1, F + 1 + U, B)``
    whose last rows are ``H`` itself, and the input part needs neither a separate product nor
    a transposition, forward or back.

    With a mask ``keep`` ``(B, T)`` (Keras's semantics, as the general cell): a masked step
    keeps the states and repeats the previous output (zeros before the first real step, or
    zeros throughout with ``zero_output``); the outputs are then kept apart from ``H``.
    """

    n_states = 2

    def __init__(self, recurrent_kernel, h0, c0, go_backwards, keep=None, zero_output=False, *,
                 projected=None, x=None, kernel=None, bias=None):
        U = recurrent_kernel.shape[0]
        G = 4 * U
        dtype = h0.dtype
        if projected is not None:
            T, B = projected.shape[:2]
        else:
            B, T, F = x.shape
        self.T, self.B, self.U, self.go_backwards = T, B, U, go_backwards
        self.zero_output = zero_output
        self.kernel = recurrent_kernel
        self.input_kernel = kernel
        self._factors_done = None
        scale = np.full(G, -1, dtype)
        scale[2 * U:3 * U] = -2
        self.Z = Z = _take((T, G, B), dtype)  # the activated gates
        Z4 = Z.reshape(T, 4, U, B)
        if projected is not None:
            self.S = None
            weights_t = np.ascontiguousarray((recurrent_kernel * scale).T)  # (4U, U)
            ordered = projected[::-1] if go_backwards else projected
            np.multiply(ordered.transpose(0, 2, 1), scale[:, None], out=Z)
            self.H = H = _take((T + 1, U, B), dtype)
            product = np.empty((G, B), dtype)
        else:
            rows = [kernel, np.zeros((1, G), dtype) if bias is None else bias[None], recurrent_kernel]
            weights_t = np.ascontiguousarray((np.concatenate(rows) * scale).T)  # (4U, F+1+U)
            self.S = S = _take((T + 1, F + 1 + U, B), dtype)
            np.copyto(S[:T, :F], (x[:, ::-1] if go_backwards else x).transpose(1, 2, 0))
            S[:, F] = 1
            self.H = H = S[:, F + 1:]
            self.F_in = F
            product = None
        self.C = C = _take((T + 1, U, B), dtype)
        self.TC = TC = _take((T, U, B), dtype)  # tanh(c) of each step's new cell state
        H[0], C[0] = h0.T, c0.T
        if keep is None:
            self.skip = self.OUT = None
        else:  # per step, (1, B): True where the step is masked
            steps = keep[:, ::-1] if go_backwards else keep
            self.skip = np.ascontiguousarray(~steps.T)[:, None, :]
            self.OUT = _take((T, U, B), dtype)
            previous = np.zeros((U, B), dtype)
        ig = np.empty((U, B), dtype)
        with np.errstate(over="ignore"):
            for k in range(T):
                z = Z[k]
                if product is None:
                    np.dot(weights_t, self.S[k], out=z)
                else:
                    np.dot(weights_t, H[k], out=product)
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
                if keep is not None:
                    skip = self.skip[k]
                    np.copyto(c, C[k], where=skip)
                    np.copyto(H[k + 1], H[k], where=skip)
                    out = self.OUT[k]
                    np.copyto(out, H[k + 1])
                    np.copyto(out, previous, where=skip)
                    if not zero_output:
                        previous = out

    def _outputs(self):
        return self.H[1:] if self.OUT is None else self.OUT

    def sequence(self):
        """The outputs of every step ``(B, T, U)``, in processing order."""
        return np.array(self._outputs().transpose(2, 0, 1), order="C")  # a copy: see _give

    def last(self):
        return np.array(self._outputs()[-1].T, order="C")

    def final_states(self):
        return self.H[-1].T, self.C[-1].T

    def __del__(self):
        try:
            _give(self.Z, self.H if self.S is None else self.S, self.C, self.TC, self.OUT,
                  *(self._factors_done or ())[:2])
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def _factors(self):
        """The gate gradients' step-local factors ``A`` ``(T, 4, U, B)`` (in a buffer of their
        own, so the gates stay as they are: the forget gate is the factor that carries ``dc``
        back), with ``o * tanh'(c)``. Kept, should a second gradient of the same sequence be
        asked for."""
        if self._factors_done is not None:
            return self._factors_done
        T, U, B = self.T, self.U, self.B
        Z4 = self.Z.reshape(T, 4, U, B)
        i, f, g, o = Z4[:, 0], Z4[:, 1], Z4[:, 2], Z4[:, 3]
        dtype = self.Z.dtype
        A = _take((T, 4, U, B), dtype)
        a_i, a_f, a_g, a_o = A[:, 0], A[:, 1], A[:, 2], A[:, 3]
        np.subtract(1, i, out=a_i)
        a_i *= i
        a_i *= g  # g * i(1 - i)
        np.subtract(1, f, out=a_f)
        a_f *= f
        a_f *= self.C[:-1]  # c_prev * f(1 - f)
        np.multiply(g, g, out=a_g)
        np.subtract(1, a_g, out=a_g)
        a_g *= i  # i * (1 - g^2)
        np.subtract(1, o, out=a_o)
        a_o *= self.H[1:]  # tanh(c) * o(1 - o), as h * (1 - o): h = o * tanh(c)
        K = _take((T, U, B), dtype)
        np.multiply(self.TC, self.TC, out=K)
        np.subtract(1, K, out=K)
        K *= o  # o * (1 - tanh(c)^2)
        self._factors_done = (A, K, f)
        return self._factors_done

    def backward(self, g_seq, g_last, dh_final, dc_final, need_x=True):
        """The gradients of the inputs, from the gradient of the output sequence ``g_seq``
        ``(B, T, U)`` or of the last output ``g_last``, and of the final states (each may be
        ``None``): for ``projected`` ``(d_projected (T, B, 4U), d_recurrent_kernel, dh0, dc0)``;
        for ``x`` ``(dx or None, d_kernel, d_recurrent_kernel, d_bias, dh0, dc0)``."""
        T, B, U = self.T, self.B, self.U
        dtype = self.Z.dtype
        A, K, F = self._factors()
        dZ = _take((T, 4 * U, B), dtype)
        g_seq = None if g_seq is None else np.ascontiguousarray(g_seq.transpose(1, 2, 0))
        finals = [np.zeros((U, B), dtype) if d is None else np.array(d.T, dtype, order="C")
                  for d in (dh_final, dc_final)]
        out_last = (np.zeros((U, B), dtype) if g_last is None
                    else np.array(g_last.T, dtype, order="C"))
        loop = self._backward_steps if self.skip is None else self._backward_masked_steps
        dh0, dc0 = loop(A, K, F, dZ, g_seq, out_last, *finals)
        dh0, dc0 = np.ascontiguousarray(dh0.T), np.ascontiguousarray(dc0.T)
        if self.S is None:
            dP = np.array(dZ.transpose(0, 2, 1), order="C")  # (T, B, 4U), processing order
            _give(dZ)
            states = np.ascontiguousarray(self.H[:-1].transpose(1, 0, 2)).reshape(U, T * B)
            d_kernel = np.dot(states, dP.reshape(T * B, 4 * U))
            if self.go_backwards:
                dP = np.ascontiguousarray(dP[::-1])
            return dP, d_kernel, dh0, dc0
        # gate gradients as (4U, T*B), stacked inputs as (F+1+U, T*B): one product for all three
        Fi = self.F_in
        gates = _take((4 * U, T, B), dtype)
        np.copyto(gates, dZ.transpose(1, 0, 2))
        _give(dZ)
        stacked = _take((Fi + 1 + U, T, B), dtype)
        np.copyto(stacked, self.S[:T].transpose(1, 0, 2))
        gates2 = gates.reshape(4 * U, T * B)
        weights = np.dot(stacked.reshape(-1, T * B), gates2.T)  # (F+1+U, 4U)
        _give(stacked)
        dx = None
        if need_x:
            dxt = np.dot(self.input_kernel, gates2).reshape(Fi, T, B)
            if self.go_backwards:
                dxt = dxt[:, ::-1]
            dx = np.ascontiguousarray(dxt.transpose(2, 1, 0))
        _give(gates)
        return (dx, np.ascontiguousarray(weights[:Fi]), np.ascontiguousarray(weights[Fi + 1:]),
                weights[Fi].copy(), dh0, dc0)

    def _backward_steps(self, A, K, F, dZ, g_seq, dh, d_state_h, dc):
        """Backpropagation through time without a mask: the output is the state ``h``, so one
        gradient ``dh`` carries both."""
        dZ4 = dZ.reshape(self.T, 4, self.U, self.B)
        kernel = self.kernel
        dh += d_state_h
        carried = np.empty_like(dh)
        for k in range(self.T - 1, -1, -1):
            if k < self.T - 1:
                np.dot(kernel, dZ[k + 1], out=dh)
            if g_seq is not None:
                dh += g_seq[k]
            if k < self.T - 1:
                np.multiply(dc, F[k + 1], out=carried)
            else:
                carried[...] = dc  # the final state's gradient
            np.multiply(dh, K[k], out=dc)
            dc += carried
            np.multiply(dc, A[k, :3], out=dZ4[k, :3])
            np.multiply(dh, A[k, 3], out=dZ4[k, 3])
        return np.dot(kernel, dZ[0]), dc * F[0]

    def _backward_masked_steps(self, A, K, F, dZ, g_seq, d_out, d_state_h, d_state_c):
        """Backpropagation through time with a mask: a masked step passes the states'
        gradients through unchanged, and the output's to the previous output (unless
        ``zero_output``); a real step sends both through the cell."""
        dZ4 = dZ.reshape(self.T, 4, self.U, self.B)
        kernel = self.kernel
        dh = np.empty_like(d_out)
        dc = np.empty_like(d_out)
        carried = np.empty_like(d_out)
        for k in range(self.T - 1, -1, -1):
            real = ~self.skip[k]
            if g_seq is not None:
                d_out += g_seq[k]
            np.add(d_state_h, d_out, out=dh)
            np.copyto(dh, 0, where=self.skip[k])
            np.multiply(d_state_c, real, out=carried)
            np.multiply(dh, K[k], out=dc)
            dc += carried
            np.multiply(dc, A[k, :3], out=dZ4[k, :3])
            np.multiply(dh, A[k, 3], out=dZ4[k, 3])
            # what reaches step k - 1: through the cell, plus what a masked step passed on
            np.copyto(d_state_h, 0, where=real)
            d_state_h += np.dot(kernel, dZ[k])
            np.copyto(d_state_c, 0, where=real)
            np.multiply(dc, F[k], out=carried)
            d_state_c += carried
            if self.zero_output:
                d_out[...] = 0
            else:
                np.copyto(d_out, 0, where=real)
        return d_state_h, d_state_c
