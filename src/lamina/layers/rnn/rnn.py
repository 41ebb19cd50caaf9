"""``RNN``: a recurrent cell run over the steps of a sequence, Keras's contract.

A cell is any layer (or object) with ``call(inputs, states) -> (output, new_states)`` and a
``state_size``. lamina's own cells (``LSTMCell``, ``GRUCell``, ``SimpleRNNCell``) also have a
``_fused_sequence`` method: the whole sequence on the fused ``recurrent_scan`` primitive (one
matrix product for the input part of every step, the recurrence a loop over preallocated
buffers). Any other cell is stepped through time with ``lamina.ops``, which the tape
differentiates and the engine traces like any other code. Both give Keras's numbers, masks
included: a masked step keeps the states and repeats the previous output (or gives zeros with
``zero_output_for_mask``).
"""

from __future__ import annotations

import importlib

from lamina import ops, tree
from lamina.autodiff.tensor import Tensor, Variable
from lamina.layers.input_spec import KerasTensor
from lamina.layers.layer import Layer
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell

__all__ = ["RNN"]


def cell_layer_kwargs(kwargs: dict) -> dict:
    """The layer arguments a built-in layer hands on to the cell it makes (Keras's)."""
    return {k: kwargs[k] for k in ("dtype", "trainable") if k in kwargs}


def forward_cell_properties(cls, names) -> None:
    """Give ``cls`` read-only properties that read the cell's attributes (``layer.units``)."""
    for name in names:
        setattr(cls, name, property(lambda self, n=name: getattr(self.cell, n)))


def flat_cell_config(layer, config_: dict) -> dict:
    """The config of ``LSTM``/``GRU``/``SimpleRNN``: the cell's arguments at the top level."""
    del config_["cell"]
    cell = layer.cell.get_config()
    for key in ("name", "trainable", "dtype"):
        cell.pop(key, None)
    config_.update(cell)
    config_.setdefault("activity_regularizer", None)
    return config_


def fold_symbolic_state(args, kwargs):
    """A symbolic ``initial_state`` (of a functional model) travels as extra inputs,
    ``[sequences, *states]``, which ``call`` splits again; ``kwargs`` loses it."""
    state = kwargs.get("initial_state")
    if state is not None and any(isinstance(s, KerasTensor) for s in tree.flatten(state)):
        kwargs.pop("initial_state")
        args = ([args[0] if args else kwargs.pop("inputs")] + tree.flatten(state),) + args[1:]
    return args


class NestedPaths:
    """Layers holding sublayers: the sublayers' weights get Keras's paths
    (``lstm/lstm_cell/kernel``, ``bidirectional/forward_lstm/lstm_cell/kernel``)."""

    def _set_path_prefix(self, prefix: str) -> None:
        super()._set_path_prefix(prefix)
        for layer in self._layers:
            layer._set_path_prefix(f"{self.path}/")


def _reset_dropout(cell) -> None:
    if isinstance(cell, DropoutRNNCell):
        cell.reset_dropout_mask()
        cell.reset_recurrent_dropout_mask()
    for inner in getattr(cell, "cells", ()):
        _reset_dropout(inner)


def _rank_error(layer, shape):
    return ValueError(
        f"{type(layer).__name__} '{layer.name}' expects sequences of shape (batch, steps, "
        f"features) (3 dimensions or more) but got shape {tuple(shape)}. For one feature per "
        "step, reshape the data to (batch, steps, 1) with `x[..., None]`; for one sequence, "
        "add a batch axis with `x[None]`.")


class RNN(NestedPaths, Layer):
    """A recurrent layer over any cell.

    Args:
        cell: a cell (``call(inputs, states)`` returning ``(output, new_states)``, with
            ``state_size`` and optionally ``output_size`` and ``get_initial_state``), or a list
            of cells (stacked with ``StackedRNNCells``).
        return_sequences: return the output of every step ``(batch, steps, units)`` rather
            than the last one.
        return_state: also return the final states (``[output, *states]``).
        go_backwards: process the sequence backwards (the outputs are in that order).
        stateful: keep the final states of each batch as the initial states of the next
            (the batch size must be fixed; ``reset_state()`` zeroes them).
        unroll: accepted for Keras's API; the numbers are the same either way.
        zero_output_for_mask: give zeros at masked steps rather than the previous output.

    Call with ``initial_state=`` (a list of tensors), ``mask=`` ``(batch, steps)`` booleans
    (or a mask carried by the inputs) and ``training=``.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.RNN(lamina.layers.SimpleRNNCell(4), return_state=True)
        >>> out, state = layer(lamina.ops.ones((2, 5, 3)))
        >>> out.shape, state.shape
        ((2, 4), (2, 4))
    """

    # what Keras 3 writes into each node of a functional config for a recurrent layer's call
    # (training and mask always, even when neither was given); models/configs.py writes it too
    _keras_node_kwargs = {"training": False, "mask": None}

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, (list, tuple)):
            from lamina.layers.rnn.stacked_rnn_cells import StackedRNNCells

            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"The 'cell' argument of RNN must have a `call(inputs, states)` "
                             f"method. Got cell={cell!r} instead.")
        state_size = getattr(cell, "state_size", None)
        if not isinstance(state_size, (list, tuple, int)):
            raise ValueError(
                f"The cell given to RNN must have a `state_size` attribute: an integer, or a "
                f"list of integers (one per state). Got state_size={state_size!r} from "
                f"{type(cell).__name__}.")
        if kwargs.pop("time_major", False):  # (Keras 2's argument; its files carry False)
            raise ValueError(f"{type(self).__name__}: time_major=True (inputs as (steps, "
                             "batch, features)) is not supported, as in Keras 3. Transpose the "
                             "inputs to (batch, steps, features) instead.")
        super().__init__(**kwargs)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.supports_masking = True
        self.states = None
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    # -- shapes -----------------------------------------------------------------------------
    def _split_shapes(self, shape):
        if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
            return tuple(shape[0])
        return tuple(shape)

    def build(self, sequences_shape, initial_state_shape=None):
        shape = self._split_shapes(sequences_shape)
        if len(shape) < 3:
            raise _rank_error(self, shape)
        step_shape = (shape[0],) + shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._maybe_build(step_shape)
        if self.stateful:
            if shape[0] is None:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' has stateful=True, which needs a "
                    f"fixed batch size, but the input shape is {shape}. Give the first layer "
                    "`batch_size=` (e.g. `keras.Input((steps, features), batch_size=32)`).")
            self._create_state_variables(int(shape[0]))
        self._set_path_prefix(self._path_prefix)
        self.built = True

    def _create_state_variables(self, batch_size):
        flat = tree.flatten(self.get_initial_state(batch_size))
        self.states = [Variable(ops.convert_to_numpy(s), dtype=self.dtype, trainable=False,
                                name="rnn_state") for s in flat]

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self._split_shapes(sequences_shape)
        batch = shape[0]
        sizes = tree.flatten(self.state_size)
        out_size = getattr(self.cell, "output_size", None) or sizes[0]
        out = (batch, shape[1], out_size) if self.return_sequences else (batch, out_size)
        if self.return_state:
            return [out] + [(batch, s) for s in sizes]
        return out

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None for _ in tree.flatten(self.state_size)]
        return out

    # -- states -----------------------------------------------------------------------------
    def get_initial_state(self, batch_size):
        fn = getattr(self.cell, "get_initial_state", None)
        if fn is None:
            dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
            return [ops.zeros((batch_size, d), dtype=dtype) for d in tree.flatten(
                self.state_size)]
        state = fn(batch_size=batch_size)
        return list(state) if tree.is_nested(state) else [state]

    def reset_state(self):
        """Zero the kept states of a stateful layer."""
        for v in self.states or ():
            v.assign(ops.convert_to_numpy(ops.zeros_like(v)))

    reset_states = reset_state

    def _initial_states(self, sequences, initial_state):
        """The states the sequence starts from, nested as the cell's ``state_size``."""
        batch = sequences.shape[0]
        structure = self.get_initial_state(batch) if initial_state is not None or \
            not self.stateful else None
        if initial_state is None:
            if self.stateful:
                if self.states is not None and self.states[0].shape[0] != batch:
                    raise ValueError(
                        f"{type(self).__name__} '{self.name}' is stateful with batch size "
                        f"{self.states[0].shape[0]} but received a batch of {batch} "
                        "sequences. Feed batches of the same size (drop the remainder, "
                        "e.g. with a batch size that divides the data).")
                structure = self.get_initial_state(batch)
                return tree.pack_sequence_as(structure, list(self.states))
            return structure
        given = tree.flatten(initial_state if tree.is_nested(initial_state) else [initial_state])
        flat = tree.flatten(structure)
        if len(given) != len(flat):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' has {len(flat)} state(s) of sizes "
                f"{tree.flatten(self.state_size)} but initial_state has {len(given)} tensor(s).")
        dtype = getattr(self.cell, "compute_dtype", self.compute_dtype)
        given = [ops.cast(ops.convert_to_tensor(s), dtype) for s in given]
        for s, want in zip(given, flat):
            if tuple(s.shape) != tuple(want.shape):
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': an initial state has shape "
                    f"{tuple(s.shape)} but the layer expects {tuple(want.shape)} (batch, units).")
        return tree.pack_sequence_as(structure, given)

    # -- calling ----------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        return super().__call__(*fold_symbolic_state(args, kwargs), **kwargs)

    def _check_mask(self, mask, sequences):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if mask is None:
            return None
        if not isinstance(mask, Tensor):
            mask = ops.convert_to_tensor(mask)
        if tuple(mask.shape) != tuple(sequences.shape[:2]):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' received a mask of shape "
                f"{tuple(mask.shape)} for sequences of shape {tuple(sequences.shape)}; the mask "
                f"must be (batch, steps) = {tuple(sequences.shape[:2])}, True at the real steps.")
        return mask if mask.dtype == bool else ops.cast(mask, "bool")

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if isinstance(sequences, (list, tuple)):
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        if len(sequences.shape) < 3:
            raise _rank_error(self, sequences.shape)
        mask = self._check_mask(mask, sequences)
        states = self._initial_states(sequences, initial_state)
        options = {"mask": mask, "go_backwards": self.go_backwards,
                   "zero_output_for_mask": self.zero_output_for_mask,
                   "return_sequences": self.return_sequences,
                   "need_states": self.return_state or self.stateful}
        fused = getattr(self.cell, "_fused_sequence", None)
        result = None
        try:
            if fused is not None and len(sequences.shape) == 3:
                result = fused(sequences, states, training, options)
            if result is None:
                result = self._step_through(sequences, states, mask, training)
        finally:
            _reset_dropout(self.cell)
        output, new_states = result
        new_states = [] if new_states is None else tree.flatten(new_states)
        if self.stateful:
            for v, s in zip(self.states, new_states):
                v.assign(s)
        if self.return_state:
            return [output] + new_states
        return output

    def _cell_call(self, x, states, training):
        accepts = getattr(self, "_cell_takes_training", None)
        if accepts is None:
            import inspect

            params = inspect.signature(self.cell.call).parameters
            accepts = "training" in params or any(p.kind is p.VAR_KEYWORD
                                                  for p in params.values())
            self._cell_takes_training = accepts
        fn = self.cell if callable(self.cell) else self.cell.call
        out, new = fn(x, states, training=training) if accepts else fn(x, states)
        return out, (list(new) if tree.is_nested(new) else [new])

    def _step_through(self, sequences, states, mask, training):
        """The cell called at every step with ``lamina.ops`` (any cell)."""
        steps = sequences.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        structure = states
        outputs, last = [], None
        for t in order:
            x = ops.getitem(sequences, (slice(None), t))
            out, new = self._cell_call(x, states, training)
            new = tree.pack_sequence_as(structure, tree.flatten(new))
            if mask is not None:
                keep = ops.getitem(mask, (slice(None), t))
                if last is None:
                    last = ops.zeros_like(out)
                out = ops.where(ops.reshape(keep, (-1,) + (1,) * (len(out.shape) - 1)), out,
                                ops.zeros_like(out) if self.zero_output_for_mask else last)
                new = tree.map_structure(
                    lambda n, o, keep=keep: ops.where(
                        ops.reshape(keep, (-1,) + (1,) * (len(n.shape) - 1)), n, o),
                    new, states)
            last, states = out, new
            outputs.append(out)
        output = ops.stack(outputs, axis=1) if self.return_sequences else last
        return output, states

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(return_sequences=self.return_sequences, return_state=self.return_state,
                       go_backwards=self.go_backwards, stateful=self.stateful,
                       unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask)
        config_["cell"] = importlib.import_module("lamina.layers").serialize(self.cell)
        return config_

    @classmethod
    def from_config(cls, config_: dict, custom_objects=None):
        config_ = dict(config_)
        if "cell" in config_:
            cell = config_.pop("cell")
            if isinstance(cell, dict):
                cell = importlib.import_module("lamina.layers").deserialize(
                    cell, custom_objects=custom_objects)
            elif isinstance(cell, list):
                cell = [importlib.import_module("lamina.layers").deserialize(
                    c, custom_objects=custom_objects) if isinstance(c, dict) else c
                    for c in cell]
            return super().from_config({"cell": cell, **config_})
        return super().from_config(config_)
