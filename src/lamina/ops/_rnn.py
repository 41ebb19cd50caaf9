"""Recurrent sequences on the fused ``recurrent_scan`` primitive (used by the recurrent layers).

``_project_sequence`` computes the input part of every gate for all steps with one matrix
product; ``_recurrent_scan`` runs the recurrence over the steps (see ``_prim_rnn.py``).
"""

from __future__ import annotations

from lamina.autodiff.tape import apply
from lamina.ops import _primitives as P
from lamina.ops._array import dense, getitem, matmul, transpose
from lamina.ops._core import cast, reshape, shape

__all__: list = []


def _project_sequence(x, kernel, bias=None):
    """``x @ kernel + bias`` for a batch of sequences ``(B, T, F)``, time-major ``(T, B, G)``."""
    batch, steps, features = shape(x)
    flat = reshape(transpose(x, (1, 0, 2)), (steps * batch, features))
    out = matmul(flat, kernel) if bias is None else dense(flat, kernel, bias)
    return reshape(out, (steps, batch, shape(kernel)[-1]))


def _recurrent_scan(kind, projected, recurrent_kernel, initial_states, *, recurrent_bias=None,
                    mask=None, recurrent_masks=None, activation="tanh",
                    recurrent_activation="sigmoid", go_backwards=False,
                    zero_output_for_mask=False, return_sequences=False, return_state=False,
                    reset_after=True):
    """Run one ``"lstm"``, ``"gru"`` or ``"simple"`` recurrence over ``projected`` ``(T, B, G)``.

    Returns ``(output, states)``: the last output ``(B, U)`` or the outputs of every step
    ``(B, T, U)`` (``return_sequences``), and the final states (``None`` unless
    ``return_state``). ``mask`` ``(B, T)`` marks real steps; ``recurrent_masks`` ``(n, B, U)``
    multiply the state before each gate's recurrent product (recurrent dropout).
    """
    inputs = [projected, recurrent_kernel, *initial_states]
    if recurrent_bias is not None:
        inputs.append(recurrent_bias)
    if mask is not None:
        if getattr(mask, "dtype", None) is None or mask.dtype != bool:
            mask = cast(mask, "bool")
        inputs.append(mask)
    if recurrent_masks is not None:
        inputs.append(recurrent_masks)
    out = apply(P.RECURRENT_SCAN, tuple(inputs), kind=kind, activation=activation,
                recurrent_activation=recurrent_activation, go_backwards=bool(go_backwards),
                zero_output_for_mask=bool(zero_output_for_mask),
                return_sequences=bool(return_sequences), with_states=bool(return_state),
                reset_after=bool(reset_after), has_bias=recurrent_bias is not None,
                has_mask=mask is not None, has_rmask=recurrent_masks is not None)
    return _split(out, shape(projected)[0], len(initial_states), return_sequences,
                  return_state)


def _split(out, steps, n_states, return_sequences, return_state):
    """The primitive's output as ``(output, states)`` (``states`` ``None`` unless asked)."""
    if not return_state:
        return out, None
    steps = steps if return_sequences else 1
    output = getitem(out, (slice(None), slice(0, steps))) if return_sequences else \
        getitem(out, (slice(None), 0))
    states = [getitem(out, (slice(None), steps + j)) for j in range(n_states)]
    return output, states


def _lstm_sequence(x, kernel, recurrent_kernel, initial_states, *, bias=None, mask=None,
                   go_backwards=False, zero_output_for_mask=False, return_sequences=False,
                   return_state=False):
    """An LSTM (``tanh``/``sigmoid``) over the raw inputs ``x`` ``(B, T, F)``, its input
    projection inside the recurrence's products; returns ``(output, states)`` as
    ``_recurrent_scan``."""
    inputs = [x, kernel, recurrent_kernel] + ([] if bias is None else [bias])
    inputs += list(initial_states)
    if mask is not None:
        if getattr(mask, "dtype", None) is None or mask.dtype != bool:
            mask = cast(mask, "bool")
        inputs.append(mask)
    out = apply(P.LSTM_SEQUENCE, tuple(inputs), has_bias=bias is not None,
                has_mask=mask is not None, go_backwards=bool(go_backwards),
                zero_output_for_mask=bool(zero_output_for_mask),
                return_sequences=bool(return_sequences), with_states=bool(return_state))
    return _split(out, shape(x)[1], 2, return_sequences, return_state)
