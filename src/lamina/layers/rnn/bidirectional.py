"""``Bidirectional``: a recurrent layer run forwards and, as a copy, backwards; merged."""

from __future__ import annotations

import importlib

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.rnn.rnn import NestedPaths, fold_symbolic_state

__all__ = ["Bidirectional"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _copy_cell(cell):
    if hasattr(cell, "cells"):  # StackedRNNCells
        return type(cell)([_copy_cell(c) for c in cell.cells], name=cell.name)
    return type(cell).from_config(cell.get_config())


def _copy(layer, name, **changes):
    """A fresh layer of ``layer``'s config (its cell copied by class, so that a user's cell
    needs no registration)."""
    config_ = layer.get_config()
    config_.update(name=name, **changes)
    if "cell" in config_ and hasattr(layer, "cell"):
        config_["cell"] = _copy_cell(layer.cell)
    return type(layer).from_config(config_)


def _strip(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


class Bidirectional(NestedPaths, Layer):
    """Runs ``layer`` over the sequence and a backwards copy of it, and merges the two.

    Args:
        layer: a recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``).
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"`` or ``None``
            (a list of the two outputs).
        weights: optional initial weights (the forward layer's, then the backward's).
        backward_layer: the layer for the backward direction (``go_backwards=True``); by
            default a copy of ``layer`` with ``go_backwards`` flipped.

    The backward outputs of ``return_sequences`` are flipped back into time order before
    merging. ``initial_state`` is the forward states then the backward ones.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.Bidirectional(lamina.layers.LSTM(4))
        >>> layer(lamina.ops.ones((2, 5, 3))).shape
        (2, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None,
                 **kwargs):
        if not isinstance(layer, Layer) or not hasattr(layer, "go_backwards"):
            raise ValueError(
                "The 'layer' argument of Bidirectional must be a recurrent layer (LSTM, GRU, "
                f"SimpleRNN or RNN) with `go_backwards`. Got layer={layer!r} instead.")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"The 'merge_mode' argument of Bidirectional must be one of "
                             f"{list(_MERGE_MODES)}. Got merge_mode={merge_mode!r} instead.")
        super().__init__(**kwargs)
        self.forward_layer = _copy(layer, "forward_" + _strip(layer.name, "forward_"))
        if backward_layer is None:
            backward_layer = _copy(layer, "backward_" + _strip(layer.name, "backward_"),
                                   go_backwards=not layer.go_backwards)
        elif not isinstance(backward_layer, Layer):
            raise ValueError(f"The 'backward_layer' argument of Bidirectional must be a layer. "
                             f"Got backward_layer={backward_layer!r} instead.")
        for attr in ("return_sequences", "return_state"):
            if getattr(backward_layer, attr) != getattr(layer, attr):
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same "
                    f"`{attr}`; got {getattr(layer, attr)} and "
                    f"{getattr(backward_layer, attr)}.")
        if backward_layer.go_backwards == layer.go_backwards:
            raise ValueError("Bidirectional: `backward_layer` must have go_backwards="
                             f"{not layer.go_backwards} (the opposite of `layer`'s).")
        self.backward_layer = backward_layer
        for inner in (self.forward_layer, self.backward_layer):
            if hasattr(inner, "zero_output_for_mask"):  # (Keras: zeros at masked steps)
                inner.zero_output_for_mask = inner.return_sequences
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = getattr(layer, "stateful", False)
        self.supports_masking = True
        self._initial_weights = weights

    def __call__(self, *args, **kwargs):
        return super().__call__(*fold_symbolic_state(args, kwargs), **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        shape = tuple(sequences_shape[0]) if isinstance(sequences_shape, (list, tuple)) and \
            isinstance(sequences_shape[0], (list, tuple)) else tuple(sequences_shape)
        for layer in (self.forward_layer, self.backward_layer):
            if not layer.built:
                layer._maybe_build(shape)
        self._set_path_prefix(self._path_prefix)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return ops.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return ops.add(y, y_rev)
        if self.merge_mode == "ave":
            return ops.multiply(ops.add(y, y_rev), 0.5)
        if self.merge_mode == "mul":
            return ops.multiply(y, y_rev)
        return [y, y_rev]

    def call(self, sequences, initial_state=None, mask=None, training=None):
        if isinstance(sequences, (list, tuple)):
            sequences, initial_state = sequences[0], list(sequences[1:]) or initial_state
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), \
                list(initial_state[half:])
        y = self.forward_layer(sequences, initial_state=forward_state, mask=mask,
                               training=training)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, mask=mask,
                                    training=training)
        states = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = ops.flip(y_rev, axis=1)
        output = self._merge(y, y_rev)
        if self.return_state:
            return (output if isinstance(output, list) else [output]) + states
        return output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        out, states = (shape[0], list(shape[1:])) if self.return_state else (shape, [])
        out = tuple(out)
        if self.merge_mode == "concat":
            out = out[:-1] + (out[-1] * 2,)
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            return outs + [tuple(s) for s in states] * 2
        return outs if self.merge_mode is None else out

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = len(self.forward_layer.compute_output_shape((1, 1, 1))) - 1
            return outs + [None] * (2 * n)
        return outs if self.merge_mode is None else out

    def reset_state(self):
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state

    def get_config(self) -> dict:
        config_ = super().get_config()
        layers = importlib.import_module("lamina.layers")
        config_.update(merge_mode=self.merge_mode,
                       layer=layers.serialize(self.forward_layer),
                       backward_layer=layers.serialize(self.backward_layer))
        return config_

    @classmethod
    def from_config(cls, config_: dict, custom_objects=None):
        config_ = dict(config_)
        layers = importlib.import_module("lamina.layers")
        for key in ("layer", "backward_layer"):
            if isinstance(config_.get(key), dict):
                config_[key] = layers.deserialize(config_[key], custom_objects=custom_objects)
        return super().from_config(config_)
