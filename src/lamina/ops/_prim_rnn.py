"""Fused recurrent primitive: a whole LSTM, GRU or simple-RNN sequence, forward beside its VJP.

Why one primitive per sequence rather than one per step: a primitive has one output, and the
gradient of a slice ``p[t]`` of a tensor is a zero tensor of the whole sequence with that slice
filled in, so a time loop that sliced its inputs step by step would add T arrays of the size of
the whole sequence in its backward pass (quadratic in the length). Here the loop over the steps
runs inside the primitive, in NumPy, on preallocated buffers; backpropagation through time runs
the same loop backwards. What does not need the loop stays outside it: the input projection of
all steps is one matrix product before the primitive (``projected = x @ kernel + bias``, made by
the layer with ``ops.dense``), and the gradient of the recurrent kernel is one matrix product
after the backward loop.

Inputs, in order: ``projected`` (time-major ``(T, B, G)``), ``recurrent_kernel`` ``(U, G)``,
the initial states (``h`` and, for the LSTM, ``c``, each ``(B, U)``), then where present the
GRU's recurrent bias ``(3U,)``, the mask ``(B, T)`` (``True`` = a real step) and the recurrent
dropout masks ``(n, B, U)`` (one per gate, or one shared). The masks' semantics are Keras's: a
masked step keeps the previous state and repeats the previous output (zeros before the first
real step, or zeros throughout with ``zero_output_for_mask``). The output is the last output
``(B, U)``, or the sequence ``(B, T, U)`` (in processing order, so reversed with
``go_backwards``), with the final states appended along axis 1 when ``with_states``.
"""

from __future__ import annotations

import numpy as np

from lamina.ops import _prim_lstm
from lamina.ops._prim_math import _sigmoid
from lamina.ops._table import _def

__all__ = ["ACTIVATIONS", "LSTM_SEQUENCE", "RECURRENT_SCAN"]


# -- activations: forward, and the derivative from the output ------------------------------------

def _hard_sigmoid(x):
    # relu6(x + 3) / 6 in the order lamina.ops.hard_sigmoid computes it.
    return np.divide(np.minimum(np.maximum(np.add(x, 3.0), 0.0), 6.0), 6.0).astype(x.dtype)


def _d_tanh(y):
    return 1.0 - y * y


def _d_sigmoid(y):
    return y * (1.0 - y)


def _d_relu(y):
    return np.sign(y)  # y >= 0: 1 where x > 0, 0 at and below 0 (TensorFlow's relu'(0) = 0)


def _d_hard_sigmoid(y):
    # 1/6 strictly inside the linear part; 0 at and beyond the kinks, as TensorFlow's relu6.
    return ((y > 0) & (y < 1)).astype(y.dtype) / 6


# name -> (forward, derivative as a function of the forward's output)
ACTIVATIONS = {
    "tanh": (np.tanh, _d_tanh),
    "sigmoid": (_sigmoid, _d_sigmoid),
    "relu": (lambda x: np.maximum(x, 0.0).astype(x.dtype), _d_relu),
    "linear": (lambda x: x, np.ones_like),
    "hard_sigmoid": (_hard_sigmoid, _d_hard_sigmoid),
}


# -- the recurrent product h @ R, with optional per-gate dropout masks on h ------------------------

class _Recurrent:
    """``h @ R`` for the column blocks of ``R`` (one per gate), each block's ``h`` masked by its
    recurrent dropout mask when there are masks; and the gradients of that product."""

    def __init__(self, kernel, units, masks):
        self.kernel = kernel
        self.masks = masks
        if masks is not None:
            n = kernel.shape[1] // units
            self.blocks = [np.ascontiguousarray(kernel[:, j * units:(j + 1) * units])
                           for j in range(n)]
            self.units = units
            if len(masks) == 1 and n > 1:  # one mask shared by every gate
                self.masks = np.broadcast_to(masks, (n,) + masks.shape[1:])

    def forward(self, h, out):
        if self.masks is None:
            return np.dot(h, self.kernel, out=out)
        u = self.units
        for j, (block, m) in enumerate(zip(self.blocks, self.masks)):
            out[:, j * u:(j + 1) * u] = np.dot(h * m, block)
        return out

    def backward(self, d):
        """The gradient for ``h`` of ``sum(d * (h @ R))``."""
        if self.masks is None:
            return np.dot(d, self.kernel.T)
        u = self.units
        total = None
        for j, (block, m) in enumerate(zip(self.blocks, self.masks)):
            part = np.dot(d[:, j * u:(j + 1) * u], block.T) * m
            total = part if total is None else total + part
        return total

    def kernel_gradient(self, hs, ds):
        """``sum_t hs[t]^T @ ds[t]`` as one product (``hs`` ``(T, B, U)``, ``ds`` ``(T, B, G)``)."""
        h2 = hs.reshape(-1, hs.shape[-1])
        d2 = ds.reshape(-1, ds.shape[-1])
        if self.masks is None:
            return np.dot(h2.T, d2)
        u = self.units
        parts = [np.dot((hs * m).reshape(h2.shape).T, d2[:, j * u:(j + 1) * u])
                 for j, m in enumerate(self.masks)]
        return np.concatenate(parts, axis=1)


# -- one kind of cell per class: step forward, step backward, kernel gradients -------------------

class _LSTM:
    """``z = p + h @ R``; ``i, f, o = ract(z_i, z_f, z_o)``, ``g = act(z_c)``;
    ``c' = f * c + i * g``; ``h' = o * act(c')``."""

    n_states = 2

    def __init__(self, T, B, U, dtype, kernel, masks, act, ract, **_):
        self.U = U
        self.rec = _Recurrent(kernel, U, masks)
        self.act, self.ract = ACTIVATIONS[act], ACTIVATIONS[ract]
        self.Z = np.empty((T, B, 4 * U), dtype)  # the gates, activated
        self.TC = np.empty((T, B, U), dtype)  # act(c')
        self.H = np.empty((T, B, U), dtype)  # the states entering each step
        self.C = np.empty((T, B, U), dtype)

    def step(self, t, p, states):
        U = self.U
        h, c = states
        self.H[t], self.C[t] = h, c
        z = self.Z[t]
        self.rec.forward(h, z)
        z += p
        ract, act = self.ract[0], self.act[0]
        z[:, :2 * U] = ract(z[:, :2 * U])
        z[:, 2 * U:3 * U] = act(z[:, 2 * U:3 * U])
        z[:, 3 * U:] = ract(z[:, 3 * U:])
        i, f, g, o = z[:, :U], z[:, U:2 * U], z[:, 2 * U:3 * U], z[:, 3 * U:]
        c_new = f * c + i * g
        tc = self.TC[t]
        tc[...] = act(c_new)
        h_new = o * tc
        return h_new, (h_new, c_new)

    def step_back(self, t, dh, d_rest, dp, dinner):
        U = self.U
        (dc,) = d_rest
        z, tc, c = self.Z[t], self.TC[t], self.C[t]
        i, f, g, o = z[:, :U], z[:, U:2 * U], z[:, 2 * U:3 * U], z[:, 3 * U:]
        dct = dh * o * self.act[1](tc)
        if dc is not None:
            dct += dc
        dract = self.ract[1]
        dp[:, :U] = dct * g * dract(i)
        dp[:, U:2 * U] = dct * c * dract(f)
        dp[:, 2 * U:3 * U] = dct * i * self.act[1](g)
        dp[:, 3 * U:] = dh * tc * dract(o)
        return (self.rec.backward(dp), dct * f)

    def kernel_gradient(self, dP, dInner):
        return self.rec.kernel_gradient(self.H, dP), None


class _GRU:
    """``z, r = ract(p_zr + h @ R_zr [+ b_zr])``; ``hh = act(p_h + r * (h @ R_h + b_h))`` with
    ``reset_after`` (else ``act(p_h + (r * h) @ R_h)``); ``h' = z * h + (1 - z) * hh``."""

    n_states = 1

    def __init__(self, T, B, U, dtype, kernel, masks, act, ract, reset_after, bias, **_):
        self.U = U
        self.act, self.ract = ACTIVATIONS[act], ACTIVATIONS[ract]
        self.reset_after = reset_after
        self.bias = bias
        self.masks = masks
        if reset_after:
            self.rec = _Recurrent(kernel, U, masks)
            self.Inner = np.empty((T, B, 3 * U), dtype)
        else:
            zr_masks = None if masks is None else masks[:2] if len(masks) > 1 else masks
            self.rec = _Recurrent(np.ascontiguousarray(kernel[:, :2 * U]), U, zr_masks)
            self.kernel_h = np.ascontiguousarray(kernel[:, 2 * U:])
            self.mask_h = None if masks is None else masks[-1]
            self.RH = np.empty((T, B, U), dtype)  # r * h (masked): the input of R_h
            self.Inner = np.empty((T, B, 2 * U), dtype)
        self.ZR = np.empty((T, B, 2 * U), dtype)
        self.HH = np.empty((T, B, U), dtype)
        self.H = np.empty((T, B, U), dtype)

    def step(self, t, p, states):
        U = self.U
        (h,) = states
        self.H[t] = h
        inner = self.Inner[t]
        self.rec.forward(h, inner)
        if self.bias is not None:
            inner += self.bias
        zr = self.ZR[t]
        np.add(p[:, :2 * U], inner[:, :2 * U], out=zr)
        zr[...] = self.ract[0](zr)
        z, r = zr[:, :U], zr[:, U:]
        if self.reset_after:
            pre = p[:, 2 * U:] + r * inner[:, 2 * U:]
        else:
            hm = h if self.mask_h is None else h * self.mask_h
            rh = self.RH[t]
            np.multiply(r, hm, out=rh)
            pre = p[:, 2 * U:] + np.dot(rh, self.kernel_h)
        hh = self.HH[t]
        hh[...] = self.act[0](pre)
        h_new = z * h + (1 - z) * hh
        return h_new, (h_new,)

    def step_back(self, t, dh, d_rest, dp, dinner):
        U = self.U
        zr, hh, h = self.ZR[t], self.HH[t], self.H[t]
        z, r = zr[:, :U], zr[:, U:]
        dz = dh * (h - hh)
        dpre_h = dh * (1 - z) * self.act[1](hh)
        dh_prev = dh * z
        dp[:, 2 * U:] = dpre_h
        if self.reset_after:
            dinner[:, 2 * U:] = dpre_h * r
            dr = dpre_h * self.Inner[t][:, 2 * U:]
        else:
            drh = np.dot(dpre_h, self.kernel_h.T)
            hm = h if self.mask_h is None else h * self.mask_h
            dr = drh * hm
            dh_prev += drh * r if self.mask_h is None else drh * r * self.mask_h
        dract = self.ract[1](zr)
        dp[:, :U] = dz * dract[:, :U]
        dp[:, U:2 * U] = dr * dract[:, U:]
        dinner[:, :2 * U] = dp[:, :2 * U]
        dh_prev += self.rec.backward(dinner)
        return (dh_prev,)

    def kernel_gradient(self, dP, dInner):
        if self.reset_after:
            bias = dInner.sum(axis=(0, 1)) if self.bias is not None else None
            return self.rec.kernel_gradient(self.H, dInner), bias
        U = self.U
        zr = self.rec.kernel_gradient(self.H, dInner)
        rh2 = self.RH.reshape(-1, U)
        hgrad = np.dot(rh2.T, dP.reshape(-1, 3 * U)[:, 2 * U:])
        return np.concatenate([zr, hgrad], axis=1), None


class _Simple:
    """``h' = act(p + h @ R)``."""

    n_states = 1

    def __init__(self, T, B, U, dtype, kernel, masks, act, **_):
        self.rec = _Recurrent(kernel, U, masks)
        self.act = ACTIVATIONS[act]
        self.H = np.empty((T, B, U), dtype)
        self.OUT = np.empty((T, B, U), dtype)

    def step(self, t, p, states):
        (h,) = states
        self.H[t] = h
        pre = self.OUT[t]
        self.rec.forward(h, pre)
        pre += p
        pre[...] = self.act[0](pre)
        return pre, (pre,)

    def step_back(self, t, dh, d_rest, dp, dinner):
        dp[...] = dh * self.act[1](self.OUT[t])
        return (self.rec.backward(dp),)

    def kernel_gradient(self, dP, dInner):
        return self.rec.kernel_gradient(self.H, dP), None


_KINDS = {"lstm": _LSTM, "gru": _GRU, "simple": _Simple}


# -- the scan: forward and backward loops over the steps ------------------------------------------

def _unpack(arrays, kind, has_bias, has_mask, has_rmask):
    projected, kernel = arrays[0], arrays[1]
    n = _KINDS[kind].n_states
    states = tuple(arrays[2:2 + n])
    i = 2 + n
    bias = arrays[i] if has_bias else None
    i += has_bias
    mask = arrays[i] if has_mask else None
    i += has_mask
    rmask = arrays[i] if has_rmask else None
    return projected, kernel, states, bias, mask, rmask


def _scan_fwd(*arrays, kind, activation="tanh", recurrent_activation="sigmoid",
              go_backwards=False, zero_output_for_mask=False, return_sequences=False,
              with_states=False, reset_after=True, has_bias=False, has_mask=False,
              has_rmask=False):
    projected, kernel, states, bias, mask, rmask = _unpack(
        arrays, kind, has_bias, has_mask, has_rmask)
    T, B, _ = projected.shape
    U = kernel.shape[0]
    dtype = projected.dtype
    if _prim_lstm.applies(kind, activation, recurrent_activation, rmask, T):
        return _lstm_fwd(projected, kernel, states, mask, go_backwards, zero_output_for_mask,
                         return_sequences, with_states)
    cell = _KINDS[kind](T, B, U, dtype, kernel, rmask, act=activation,
                        ract=recurrent_activation, reset_after=reset_after, bias=bias)
    order = range(T - 1, -1, -1) if go_backwards else range(T)
    seq = np.empty((B, T, U), dtype) if return_sequences else None
    keep = None if mask is None else np.asarray(mask, bool)
    zeros = np.zeros((B, U), dtype)
    out = zeros  # the output before the first step (Keras's zeros)
    states = tuple(np.asarray(s, dtype) for s in states)
    for k, t in enumerate(order):
        new_out, new_states = cell.step(t, projected[t], states)
        if keep is None:
            out, states = new_out, new_states
        else:
            m = keep[:, t, None]
            out = np.where(m, new_out, zeros if zero_output_for_mask else out)
            states = tuple(np.where(m, n, s) for n, s in zip(new_states, states))
        if seq is not None:
            seq[:, k] = out
    result = seq if return_sequences else np.array(out)
    if with_states:
        parts = [result if return_sequences else result[:, None]]
        parts += [s[:, None] for s in states]
        result = np.concatenate(parts, axis=1)
    return result, (cell, keep, kind, go_backwards, zero_output_for_mask, return_sequences,
                    with_states, T, U, states[0].dtype, has_bias)


def _lstm_outputs(seq, return_sequences, with_states):
    result = seq.sequence() if return_sequences else seq.last()
    if with_states:
        parts = [result if return_sequences else result[:, None]]
        parts += [s[:, None] for s in seq.final_states()]
        result = np.concatenate(parts, axis=1)
    return result


def _lstm_grad_parts(g, T, return_sequences, with_states):
    """The output gradient ``g`` as (sequence, last output, final h, final c) gradients."""
    g = np.asarray(g)
    n_out = T if return_sequences else 1
    if with_states:
        g_out = g[:, :n_out] if return_sequences else g[:, 0]
        dh_final, dc_final = g[:, n_out], g[:, n_out + 1]
    else:
        g_out, dh_final, dc_final = g, None, None
    return (g_out, None, dh_final, dc_final) if return_sequences else \
        (None, g_out, dh_final, dc_final)


def _lstm_fwd(projected, kernel, states, mask, go_backwards, zero_output, return_sequences,
              with_states):
    dtype = projected.dtype
    h0, c0 = (np.asarray(s, dtype) for s in states)
    keep = None if mask is None else np.asarray(mask, bool)
    seq = _prim_lstm.LSTMSequence(kernel, h0, c0, go_backwards, keep, zero_output,
                                  projected=projected)
    return _lstm_outputs(seq, return_sequences, with_states), (seq, return_sequences,
                                                              with_states)


def _lstm_vjp(g, saved, needs):
    seq, return_sequences, with_states = saved
    grads = seq.backward(*_lstm_grad_parts(g, seq.T, return_sequences, with_states))
    return tuple(d if need else None for d, need in zip(grads, needs))


def _lstm_sequence_fwd(*arrays, has_bias=False, has_mask=False, go_backwards=False,
                       zero_output_for_mask=False, return_sequences=False, with_states=False):
    x, kernel, recurrent_kernel = arrays[:3]
    bias = arrays[3] if has_bias else None
    h0, c0 = arrays[3 + has_bias:5 + has_bias]
    mask = arrays[5 + has_bias] if has_mask else None
    dtype = np.result_type(x, kernel, recurrent_kernel)
    keep = None if mask is None else np.asarray(mask, bool)
    seq = _prim_lstm.LSTMSequence(
        np.asarray(recurrent_kernel, dtype), np.asarray(h0, dtype), np.asarray(c0, dtype),
        go_backwards, keep, zero_output_for_mask, x=np.asarray(x, dtype),
        kernel=np.asarray(kernel, dtype), bias=None if bias is None else np.asarray(bias, dtype))
    return _lstm_outputs(seq, return_sequences, with_states), (
        seq, return_sequences, with_states, has_bias, has_mask)


def _lstm_sequence_vjp(g, saved, needs):
    seq, return_sequences, with_states, has_bias, has_mask = saved
    dx, dk, drk, db, dh0, dc0 = seq.backward(
        *_lstm_grad_parts(g, seq.T, return_sequences, with_states), need_x=needs[0])
    grads = [dx, dk, drk] + ([db] if has_bias else []) + [dh0, dc0] + [None] * has_mask
    return tuple(d if need else None for d, need in zip(grads, needs))


def _scan_vjp(g, saved, needs):
    if isinstance(saved[0], _prim_lstm.LSTMSequence):
        return _lstm_vjp(g, saved, needs)
    cell, keep, kind, go_backwards, zero_output, return_sequences, with_states, T, U, dtype, \
        has_bias = saved
    n = cell.n_states
    g = np.asarray(g)
    n_out = T if return_sequences else 1
    if with_states:
        g_out = g[:, :n_out] if return_sequences else g[:, 0]
        d_states = [np.array(g[:, n_out + j]) for j in range(n)]
    else:
        g_out = g
        d_states = [None] * n
    B = g.shape[0]
    G = cell.Z.shape[-1] if kind == "lstm" else (3 * U if kind == "gru" else U)
    dP = np.zeros((T, B, G), dtype)
    dInner = np.zeros((T, B, cell.Inner.shape[-1]), dtype) if kind == "gru" else None
    order = list(range(T - 1, -1, -1) if go_backwards else range(T))
    carry = None  # the gradient that a masked step passes to the previous output
    for k in range(T - 1, -1, -1):
        t = order[k]
        if return_sequences:
            d_out = g_out[:, k]
        else:
            d_out = g_out if k == T - 1 else None
        if carry is not None:
            d_out = carry if d_out is None else d_out + carry
            carry = None
        if keep is not None:
            m = keep[:, t, None].astype(dtype)
            skip = 1 - m
            if d_out is not None and not zero_output and k > 0:
                carry = d_out * skip
            d_out = None if d_out is None else d_out * m
            through = [None if d is None else d * m for d in d_states]
            passed = [None if d is None else d * skip for d in d_states]
        else:
            through, passed = d_states, [None] * n
        if d_out is None and all(d is None for d in through):
            d_states = passed
            continue
        dh = through[0] if d_out is None else d_out if through[0] is None else d_out + through[0]
        if dh is None:
            dh = np.zeros((B, U), dtype)
        prev = cell.step_back(t, dh, through[1:], dP[t], None if dInner is None else dInner[t])
        d_states = [p if q is None else p + q for p, q in zip(prev, passed)]
    grads = [dP if needs[0] else None]
    if needs[1] or (has_bias and needs[2 + n]):
        dR, dbias = cell.kernel_gradient(dP, dInner)
    else:
        dR = dbias = None
    grads.append(dR if needs[1] else None)
    for j in range(n):
        d = d_states[j]
        grads.append((np.zeros((B, U), dtype) if d is None else d) if needs[2 + j] else None)
    if has_bias:
        grads.append(dbias if needs[2 + n] else None)
    grads += [None] * (len(needs) - len(grads))
    return tuple(grads)


# One LSTM/GRU/simple-RNN sequence, fused for speed (see the module docstring).
RECURRENT_SCAN = _def("recurrent_scan", _scan_fwd, _scan_vjp)

# An LSTM with Keras's default activations from its raw inputs: the input projection inside the
# step's product (``_prim_lstm.LSTMSequence``). Inputs ``x (B, T, F)``, ``kernel``,
# ``recurrent_kernel``, [``bias``], ``h0``, ``c0``, [``mask``]; the output as ``recurrent_scan``'s.
LSTM_SEQUENCE = _def("lstm_sequence", _lstm_sequence_fwd, _lstm_sequence_vjp)
