"""What the built-in recurrent cells share: argument checks, their weights' settings, configs,
and the bridge to the fused ``recurrent_scan`` primitive (``lamina.ops._rnn``)."""

from __future__ import annotations

import numbers

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.ops import _rnn
from lamina.ops._prim_rnn import ACTIVATIONS

__all__: list = []

_WEIGHT_ARGS = ("initializer", "regularizer", "constraint")
_GETTERS = {"initializer": initializers, "regularizer": regularizers,
            "constraint": constraints}


def check_units(cls_name: str, units) -> int:
    if isinstance(units, bool) or not isinstance(units, numbers.Integral) or units <= 0:
        raise ValueError(f"The 'units' argument of {cls_name} must be a positive integer (the "
                         f"size of the state). Got units={units!r} instead.")
    return int(units)


def store_weight_args(cell, kinds, values: dict) -> None:
    """Set ``cell.<kind>_<arg>`` (``kernel_initializer`` ...) from ``values`` through each
    registry's ``get``."""
    for kind in kinds:
        for arg in _WEIGHT_ARGS:
            name = f"{kind}_{arg}"
            setattr(cell, name, _GETTERS[arg].get(values[name]))


def weight_config(cell, kinds) -> dict:
    return {f"{kind}_{arg}": _GETTERS[arg].serialize(getattr(cell, f"{kind}_{arg}"))
            for arg in _WEIGHT_ARGS for kind in kinds}


def add_cell_weight(cell, kind, shape, name=None, initializer=None):
    return cell.add_weight(
        shape=shape, name=name or kind,
        initializer=initializer or getattr(cell, f"{kind}_initializer"),
        regularizer=getattr(cell, f"{kind}_regularizer"),
        constraint=getattr(cell, f"{kind}_constraint"))


def activation_name(fn):
    """The name the fused primitive knows ``fn`` by, or ``None`` (then the layer steps)."""
    try:
        name = activations.serialize(fn)
    except ValueError:
        return None
    return name if isinstance(name, str) and name in ACTIVATIONS else None


def masked_inputs(sequences, dp_mask, blocks):
    """``sequences`` ``(B, T, F)`` times the input dropout mask: one array, or one per gate
    when the mask is a stack of ``blocks`` masks."""
    if dp_mask is None:
        return None
    if blocks == 1 or len(dp_mask.shape) == 2:
        return ops.multiply(sequences, ops.expand_dims(dp_mask, 1))
    return [ops.multiply(sequences, ops.expand_dims(dp_mask[j], 1)) for j in range(blocks)]


def project(sequences, kernel, bias, dropped, blocks):
    """The input part of every gate for all steps, time-major ``(T, B, G)``: one matrix
    product, or one per gate block when each block sees its own dropout mask."""
    if not isinstance(dropped, list):
        return _rnn._project_sequence(sequences if dropped is None else dropped, kernel, bias)
    width = kernel.shape[1] // blocks
    parts = []
    for j, x in enumerate(dropped):
        cols = slice(j * width, (j + 1) * width)
        parts.append(_rnn._project_sequence(
            x, kernel[:, cols], None if bias is None else bias[cols]))
    return ops.concatenate(parts, axis=-1)


def recurrent_masks(rec_mask):
    """The recurrent dropout masks as the primitive takes them, ``(n, B, U)``."""
    if rec_mask is None:
        return None
    return ops.expand_dims(rec_mask, 0) if len(rec_mask.shape) == 2 else rec_mask


def scan(kind, projected, recurrent_kernel, states, options, **extra):
    """Run the fused primitive; ``options`` holds the sequence flags the RNN layer passes."""
    return _rnn._recurrent_scan(
        kind, projected, recurrent_kernel, states, mask=options["mask"],
        go_backwards=options["go_backwards"],
        zero_output_for_mask=options["zero_output_for_mask"],
        return_sequences=options["return_sequences"], return_state=options["need_states"],
        **extra)


def lstm_scan(sequences, kernel, bias, recurrent_kernel, states, options, dropped, rdp, act,
              ract):
    """An LSTM cell's whole sequence: with the default activations and no recurrent or
    per-gate dropout, the input projection runs inside the recurrence (one primitive);
    otherwise the projection, then the general scan."""
    if rdp is None and not isinstance(dropped, list) and (act, ract) == ("tanh", "sigmoid"):
        return _rnn._lstm_sequence(
            sequences if dropped is None else dropped, kernel, recurrent_kernel, list(states),
            bias=bias, mask=options["mask"], go_backwards=options["go_backwards"],
            zero_output_for_mask=options["zero_output_for_mask"],
            return_sequences=options["return_sequences"], return_state=options["need_states"])
    projected = project(sequences, kernel, bias, dropped, 4)
    return scan("lstm", projected, recurrent_kernel, list(states), options,
                recurrent_masks=recurrent_masks(rdp), activation=act, recurrent_activation=ract)


def first_step(sequences):
    """The inputs of the first step, ``(B, F)`` (what the dropout masks are drawn like)."""
    return ops.getitem(sequences, (slice(None), 0))
