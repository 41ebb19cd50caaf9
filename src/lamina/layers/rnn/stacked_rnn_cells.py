"""``StackedRNNCells``: several cells as one, each step's output the next cell's input."""

from __future__ import annotations

import importlib

from lamina import ops, tree
from lamina.layers.layer import Layer
from lamina.layers.rnn.rnn import NestedPaths

__all__ = ["StackedRNNCells"]


class StackedRNNCells(NestedPaths, Layer):
    """Cells stacked so that an ``RNN`` runs them as one deep cell.

    ``state_size`` is the list of the cells' state sizes, the states are nested one list per
    cell, and the output is the last cell's.

    Example:
        >>> import lamina
        >>> cells = [lamina.layers.LSTMCell(4), lamina.layers.GRUCell(2)]
        >>> lamina.layers.RNN(lamina.layers.StackedRNNCells(cells))(
        ...     lamina.ops.ones((3, 5, 6))).shape
        (3, 2)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        if isinstance(cells, (str, bytes, dict)) or not hasattr(cells, "__iter__"):
            raise ValueError(f"StackedRNNCells: `cells` must be a list of RNN cells; got {cells!r}.")
        cells = list(cells)
        for cell in cells:
            if not callable(getattr(cell, "call", None)) or \
                    getattr(cell, "state_size", None) is None:
                raise ValueError(
                    "Every cell of StackedRNNCells must have a `call(inputs, states)` method "
                    f"and a `state_size`. Got {cell!r}.")
        self.cells = cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        size = getattr(last, "output_size", None)
        if size is None:
            size = last.state_size
            size = size[0] if isinstance(size, (list, tuple)) else size
        return size

    def get_initial_state(self, batch_size=None):
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            else:
                sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) \
                    else [cell.state_size]
                states.append([ops.zeros((batch_size, d), dtype=self.compute_dtype)
                               for d in sizes])
        return states

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            was_list = tree.is_nested(cell_states)
            cell_states = list(cell_states) if was_list else [cell_states]
            inputs, out_states = cell(inputs, cell_states, training=training)
            out_states = list(out_states) if tree.is_nested(out_states) else [out_states]
            new_states.append(out_states[0] if len(out_states) == 1 and not was_list
                              else out_states)
        return inputs, new_states

    def _fused_sequence(self, sequences, states, training, options):
        """The stack layer by layer, each cell's whole sequence on the fused primitive (the
        numbers of stepping through the stack: a masked step keeps every cell's states), or
        ``None`` when a cell has no fused path."""
        if not all(hasattr(c, "_fused_sequence") for c in self.cells):
            return None
        x, new_states = sequences, []
        for i, (cell, cell_states) in enumerate(zip(self.cells, states)):
            cell_states = list(cell_states) if tree.is_nested(cell_states) else [cell_states]
            top = i == len(self.cells) - 1
            opts = dict(options) if top else dict(options, return_sequences=True,
                                                  zero_output_for_mask=False)
            result = cell._fused_sequence(x, cell_states, training, opts)
            if result is None:
                return None
            out, final = result
            if not top:  # (back in time order for the next cell)
                x = ops.flip(out, axis=1) if options["go_backwards"] else out
            new_states.append(final or [])
        return out, new_states

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._maybe_build(shape)
            size = getattr(cell, "output_size", None)
            if size is None:
                size = cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) \
                    else cell.state_size
            shape = (shape[0], size)
        self._set_path_prefix(self._path_prefix)
        self.built = True

    def get_config(self) -> dict:
        config_ = super().get_config()
        layers = importlib.import_module("lamina.layers")
        config_["cells"] = [layers.serialize(c) for c in self.cells]
        return config_

    @classmethod
    def from_config(cls, config_: dict, custom_objects=None):
        config_ = dict(config_)
        layers = importlib.import_module("lamina.layers")
        if not isinstance(config_.get("cells"), (list, tuple)):
            raise ValueError("StackedRNNCells: `cells` must be a list of cell configs; got "
                             f"{config_.get('cells')!r}.")
        config_["cells"] = [layers.deserialize(c, custom_objects=custom_objects)
                            if isinstance(c, dict) else c for c in config_.pop("cells")]
        return super().from_config(config_)
