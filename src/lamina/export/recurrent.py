"""Converters of the recurrent layers onto ONNX's own ``LSTM``, ``GRU`` and ``RNN`` operators:
LSTM, GRU (``reset_after`` both ways), SimpleRNN, ``RNN`` around one of their cells, and
Bidirectional around any of them.

Keras keeps an LSTM's gates in the order input, forget, candidate, output; ONNX wants input,
output, forget, candidate, so the column blocks of the kernels and the bias are reordered.
GRU's order (update, reset, candidate) is ONNX's already; ``reset_after=True`` is ONNX's
``linear_before_reset=1``. Keras's kernels are ``(in, gates * units)``; ONNX's ``W`` and ``R``
are ``(directions, gates * units, in)``. The sequence is transposed to time-major for the
operator and back; ``go_backwards`` reverses it first (Keras returns the outputs in the
order it read the steps).
"""

from __future__ import annotations

import numpy as np

from lamina.export.graph import ExportError, Value
from lamina.export.registry import converter

_ONNX_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}
_LSTM_ORDER = (0, 3, 1, 2)  # Keras i, f, c, o -> ONNX i, o, f, c
_INT64_MIN = -(2**63)


def _activation_names(layer, cell, fns) -> list:
    from lamina import activations

    out = []
    for fn in fns:
        try:
            name = activations.serialize(fn)
        except Exception:
            name = None
        if name not in _ONNX_ACTIVATIONS:
            raise ExportError(
                f"{type(layer).__name__} '{layer.name}' uses the activation {name!r}, which "
                "ONNX's recurrent operators do not offer in lamina's export; use one of "
                f"{sorted(_ONNX_ACTIVATIONS)}.")
        out.append(_ONNX_ACTIVATIONS[name])
    return out


def _blocks(w: np.ndarray, gates: int, order) -> np.ndarray:
    """The column blocks of ``w`` (``(..., gates * units)``) in ``order``."""
    parts = np.split(w, gates, axis=-1)
    return np.concatenate([parts[j] for j in order], axis=-1)


def _cell_weights(layer, dtype):
    """``(op, gates, W, R, B, attrs)`` of one direction (W, R, B without the direction axis)."""
    cell = layer.cell
    kind = type(cell).__name__
    kernel = np.asarray(cell.kernel, dtype=dtype)
    recurrent = np.asarray(cell.recurrent_kernel, dtype=dtype)
    u = cell.units
    if kind == "LSTMCell":
        op, gates, order = "LSTM", 4, _LSTM_ORDER
        fns = [cell.recurrent_activation, cell.activation, cell.activation]
        w_bias = np.zeros(4 * u, dtype) if cell.bias is None else np.asarray(cell.bias, dtype)
        r_bias = np.zeros(4 * u, dtype)
        attrs = {}
    elif kind == "GRUCell":
        op, gates, order = "GRU", 3, (0, 1, 2)
        fns = [cell.recurrent_activation, cell.activation]
        if cell.bias is None:
            w_bias = r_bias = np.zeros(3 * u, dtype)
        elif cell.reset_after:
            w_bias, r_bias = (np.asarray(b, dtype) for b in np.asarray(cell.bias))
        else:
            w_bias, r_bias = np.asarray(cell.bias, dtype), np.zeros(3 * u, dtype)
        attrs = {"linear_before_reset": int(cell.reset_after)}
    else:
        op, gates, order = "RNN", 1, (0,)
        fns = [cell.activation]
        w_bias = np.zeros(u, dtype) if cell.bias is None else np.asarray(cell.bias, dtype)
        r_bias = np.zeros(u, dtype)
        attrs = {}
    attrs["activations"] = _activation_names(layer, cell, fns)
    w = _blocks(kernel, gates, order).T
    r = _blocks(recurrent, gates, order).T
    b = np.concatenate([_blocks(w_bias, gates, order), _blocks(r_bias, gates, order)])
    return op, w, r, b, attrs


def _check(layer):
    if getattr(layer, "stateful", False):
        raise ExportError(f"{type(layer).__name__} '{layer.name}' is stateful: its state "
                          "carries from one batch to the next, which an ONNX file cannot "
                          "keep. Export a copy built with stateful=False.")
    if type(layer.cell).__name__ not in ("LSTMCell", "GRUCell", "SimpleRNNCell"):
        raise ExportError(f"{type(layer).__name__} '{layer.name}' runs a "
                          f"{type(layer.cell).__name__}; only LSTM, GRU and SimpleRNN cells "
                          "export.")


def _reverse_time(g, name):
    return g.op("Slice", [name, g.ints([-1], "starts"), g.ints([_INT64_MIN], "ends"),
                          g.ints([1], "axes"), g.ints([-1], "steps")], name="reverse_time")


def _run(g, layers_, x, states, direction, lens=""):
    """One ONNX recurrent node for ``layers_`` (one layer, or forward and backward);
    returns ``(Y, Y_h, Y_c)`` names (``Y_c`` only for LSTM)."""
    parts = [_cell_weights(layer, g.dtype) for layer in layers_]
    op, _, _, _, attrs = parts[0]
    if direction == "bidirectional":
        attrs = dict(attrs, activations=parts[0][4]["activations"] + parts[1][4]["activations"])
    w = g.const(np.stack([p[1] for p in parts]), "W")
    r = g.const(np.stack([p[2] for p in parts]), "R")
    b = g.const(np.stack([p[3] for p in parts]), "B")
    seq = g.op("Transpose", [x], perm=[1, 0, 2], name="time_major")
    inputs = [seq, w, r, b, lens]
    inputs += states
    outputs = 3 if op == "LSTM" else 2
    return g.op(op, inputs, outputs=outputs, hidden_size=layers_[0].cell.units,
                direction=direction, **attrs)


def _initial_states(g, layer, inputs, count):
    """The initial states given in the graph, as ONNX's ``(directions, batch, units)``."""
    given = [v.name for v in inputs[1:]]
    if not given:
        return []
    if len(given) != count:
        raise ExportError(f"{type(layer).__name__} '{layer.name}': got {len(given)} initial "
                          f"states; it exports with all {count} or none.")
    return [g.op("Unsqueeze", [s, g.ints([0], "axes")]) for s in given]


def _valid_steps_first(g, x, mask):
    """The sequence with each row's unmasked steps moved to the front (in order), their
    counts (ONNX's ``sequence_lens``) and the running count of kept steps at each step."""
    kept = g.op("Cast", [mask], to=g.onnx.TensorProto.INT64)
    steps_1d = g.op("Slice", [g.op("Shape", [x]), g.ints([1], "starts"), g.ints([2], "ends")])
    steps = g.op("Squeeze", [steps_1d, g.ints([0], "axes")])
    one = g.const(1, "one_i64", dtype=np.int64)
    position = g.op("Range", [g.const(0, "zero_i64", dtype=np.int64), steps, one])
    # key = kept * T + (T - 1 - t): kept steps first, each group in its order.
    key = g.op("Add", [g.op("Mul", [kept, steps]),
                       g.op("Sub", [g.op("Sub", [steps, one]), position])])
    order = g.op("TopK", [key, steps_1d], outputs=2, axis=1, largest=1, sorted=1)[1]
    index = g.op("Expand", [g.op("Unsqueeze", [order, g.ints([-1], "axes")]),
                            g.op("Shape", [x])])
    moved = g.op("GatherElements", [x, index], axis=1, name="kept_steps_first")
    lens = g.op("Cast", [g.op("ReduceSum", [kept, g.ints([1], "axes")], keepdims=0)],
                to=g.onnx.TensorProto.INT32, name="sequence_lens")
    return moved, lens, g.op("CumSum", [kept, g.const(1, "time_axis", dtype=np.int64)])


def _spread(g, layer, y, mask, counts):
    """The outputs of the kept steps back at their steps; a masked step gets the output
    before it (or zeros, with ``zero_output_for_mask``), as lamina's masked loop gives."""
    last = g.op("Max", [g.op("Sub", [counts, g.const(1, "one_i64", dtype=np.int64)]),
                        g.const(0, "zero_i64", dtype=np.int64)])
    index = g.op("Expand", [g.op("Unsqueeze", [last, g.ints([-1], "axes")]),
                            g.op("Shape", [y])])
    out = g.op("GatherElements", [y, index], axis=1)
    if layer.zero_output_for_mask:
        keep = mask
    else:
        keep = g.op("Greater", [counts, g.const(0, "zero_i64", dtype=np.int64)])
    keep = g.op("Unsqueeze", [keep, g.ints([-1], "axes")])
    return g.op("Where", [keep, out, g.const(0.0, "zero")], name="masked_outputs")


def _single(g, layer, x, mask, states, count):
    """One recurrent layer over ``x`` (batch-major), its Keras mask honoured; returns the
    output (sequence or last) and the final states."""
    if layer.go_backwards:
        x = _reverse_time(g, x)
        mask = None if mask is None else _reverse_time(g, mask)
    lens = counts = ""
    if mask is not None:
        # A masked step leaves the state as it is, so the kept steps, run first, give the
        # same states; ONNX's sequence_lens stops each row after its kept steps.
        x, lens, counts = _valid_steps_first(g, x, mask)
    outs = _run(g, [layer], x, states, "forward", lens)
    axis0 = g.ints([0], "axes")
    if layer.return_sequences:
        y = g.op("Squeeze", [outs[0], g.ints([1], "axes")])
        y = g.op("Transpose", [y], perm=[1, 0, 2], name="batch_major")
        if mask is not None:
            y = _spread(g, layer, y, mask, counts)
    else:
        y = g.op("Squeeze", [outs[1], axis0])
    return y, [g.op("Squeeze", [s, axis0], name="state") for s in outs[1:1 + count]]


class _CellLayer:
    """One cell of a ``StackedRNNCells`` seen as a recurrent layer of its own (a stack of
    cells over a sequence is the same as their layers one after the other, masks included)."""

    def __init__(self, layer, cell, return_sequences):
        self.name, self.cell, self.return_sequences = layer.name, cell, return_sequences
        self.go_backwards, self.stateful = False, False
        self.zero_output_for_mask = layer.zero_output_for_mask


def _count(cell) -> int:
    return 2 if type(cell).__name__ == "LSTMCell" else 1


@converter("LSTM", "GRU", "SimpleRNN", "RNN", masks=True)
def recurrent(g, layer, inputs):
    x = inputs[0]
    if type(layer.cell).__name__ == "StackedRNNCells":
        return _stacked(g, layer, inputs)
    _check(layer)
    count = _count(layer.cell)
    y, states = _single(g, layer, x.name, x.mask, _initial_states(g, layer, inputs, count),
                        count)
    out = Value(y, None, g.dtype, x.mask if layer.return_sequences else None)
    return [out, *states] if layer.return_state else out


def _stacked(g, layer, inputs):
    x = inputs[0]
    if len(inputs) > 1 or layer.stateful:
        raise ExportError(f"RNN '{layer.name}' over StackedRNNCells exports without initial "
                          "states and with stateful=False.")
    name, mask = x.name, x.mask
    if layer.go_backwards:  # reversed once: the cells then read the steps in that order
        name = _reverse_time(g, name)
        mask = None if mask is None else _reverse_time(g, mask)
    cells, states = layer.cell.cells, []
    for i, cell in enumerate(cells):
        view = _CellLayer(layer, cell, layer.return_sequences or i < len(cells) - 1)
        _check(view)
        name, final = _single(g, view, name, mask, [], _count(cell))
        states += final
    out = Value(name, None, g.dtype, x.mask if layer.return_sequences else None)
    return [out, *states] if layer.return_state else out


_MERGES = {"concat": None, "sum": "Add", "mul": "Mul", "ave": "Mean"}


@converter("Bidirectional", masks=True)
def bidirectional(g, layer, inputs):
    fwd, bwd = layer.forward_layer, layer.backward_layer
    for sub in (fwd, bwd):
        if type(sub).__name__ not in ("LSTM", "GRU", "SimpleRNN", "RNN"):
            raise ExportError(f"Bidirectional '{layer.name}' wraps a {type(sub).__name__}; "
                              "only LSTM, GRU and SimpleRNN export.")
        _check(sub)
    if type(fwd) is not type(bwd) or fwd.go_backwards or not bwd.go_backwards or \
            _cell_weights(fwd, g.dtype)[4] != _cell_weights(bwd, g.dtype)[4]:
        raise ExportError(f"Bidirectional '{layer.name}': its two layers must be the same "
                          "kind with the same activations, the backward one reading the "
                          "sequence backwards, to export as one ONNX operator.")
    if layer.return_state or len(inputs) > 1 or layer.merge_mode not in _MERGES:
        raise ExportError(f"Bidirectional '{layer.name}' exports without return_state, "
                          "initial states or merge_mode=None.")
    x = inputs[0]
    if x.mask is not None:
        # Each direction on its own (ONNX's sequence_lens would read a backward row from its
        # last kept step); the backward outputs are put back in time order, as Keras does.
        forward, _ = _single(g, fwd, x.name, x.mask, [], 0)
        backward, _ = _single(g, bwd, x.name, x.mask, [], 0)
        if layer.return_sequences:
            backward = _reverse_time(g, backward)
        halves = [forward, backward]
    else:
        halves = _both_ways(g, layer, fwd, bwd, x.name)
    op = _MERGES[layer.merge_mode]
    out = g.op("Concat", halves, axis=-1) if op is None else g.op(op, halves)
    return Value(out, None, g.dtype, x.mask if layer.return_sequences else None)


def _both_ways(g, layer, fwd, bwd, x):
    """Forward and backward as one bidirectional ONNX node; the two halves of the output."""
    outs = _run(g, [fwd, bwd], x, [], "bidirectional")
    if layer.return_sequences:
        # Y is (steps, 2, batch, units), the backward outputs aligned with the steps: Keras's
        # order after it reverses the backward sequence.
        y = g.op("Transpose", [outs[0]], perm=[2, 0, 1, 3], name="batch_major")
        halves = g.op("Split", [y], outputs=2, axis=2, num_outputs=2)
        halves = [g.op("Squeeze", [h, g.ints([2], "axes")]) for h in halves]
    else:
        halves = g.op("Split", [outs[1]], outputs=2, axis=0, num_outputs=2)
        halves = [g.op("Squeeze", [h, g.ints([0], "axes")]) for h in halves]
    return halves

