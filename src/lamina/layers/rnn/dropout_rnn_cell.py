"""Dropout masks of a recurrent cell: drawn once per sequence, as Keras's ``DropoutRNNCell``.

A cell with ``dropout`` multiplies its inputs, and with ``recurrent_dropout`` its previous state,
by a mask that stays the same for every step of a sequence; the layer that runs the cell over a
sequence draws the masks at its first step and forgets them when the sequence ends. Masks are
drawn only in training, on the host (``hooks.host``), so a traced step draws new ones at every
replay, from the cell's own generator (``seed``) or lamina's global one.
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import random as lamina_random
from lamina.autodiff import hooks
from lamina.layers.regularization import dropout_mask

__all__ = ["DropoutRNNCell"]


def _rate(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"The '{name}' argument of a recurrent cell must be a number in [0, 1) "
                         f"(the fraction of units to drop). Got {name}={value!r} instead.")
    return min(1.0, max(0.0, float(value)))  # (Keras clips it too)


class DropoutRNNCell:
    """Mixin of the recurrent cells: ``get_dropout_mask`` / ``get_recurrent_dropout_mask``.

    ``dropout_mask_count`` (set by a cell that splits its gates, as Keras's LSTM and GRU do
    with ``recurrent_dropout``) asks for one independent mask per gate, stacked on axis 0.
    """

    dropout_mask_count = None

    def _init_dropout(self, dropout, recurrent_dropout, seed) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"The 'seed' argument of {type(self).__name__} must be an integer or "
                             f"None. Got seed={seed!r} instead.")
        self.dropout = _rate("dropout", dropout)
        self.recurrent_dropout = _rate("recurrent_dropout", recurrent_dropout)
        self.seed = None if seed is None else int(seed)
        self._seed_generator = None if seed is None else lamina_random.SeedGenerator(self.seed)
        self._dropout_mask = None
        self._recurrent_dropout_mask = None

    def _draw_masks(self, shape, dtype, rate):
        generator = lamina_random.make_generator(self._seed_generator)
        count = self.dropout_mask_count
        if count is None:
            return dropout_mask(rate, shape, generator, dtype)
        return np.stack([dropout_mask(rate, shape, generator, dtype) for _ in range(count)])

    def _mask_for(self, step_input, rate):
        shape = tuple(int(d) for d in step_input.shape)
        return hooks.host(self._draw_masks, shape, np.dtype(step_input.dtype).name, rate)

    def uses_dropout(self, training) -> bool:
        """Whether a call with this ``training`` flag drops inputs (``0 < dropout < 1``)."""
        return bool(training) and 0.0 < self.dropout < 1.0

    def uses_recurrent_dropout(self, training) -> bool:
        """Whether a call with this ``training`` flag drops state units."""
        return bool(training) and 0.0 < self.recurrent_dropout < 1.0

    def get_dropout_mask(self, step_input):
        """The mask of the inputs for this sequence (drawn at its first step, then reused)."""
        if self._dropout_mask is None and self.dropout > 0:
            self._dropout_mask = self._mask_for(step_input, self.dropout)
        return self._dropout_mask

    def get_recurrent_dropout_mask(self, step_input):
        """The mask of the previous state for this sequence."""
        if self._recurrent_dropout_mask is None and self.recurrent_dropout > 0:
            self._recurrent_dropout_mask = self._mask_for(step_input, self.recurrent_dropout)
        return self._recurrent_dropout_mask

    def reset_dropout_mask(self) -> None:
        """Forget the input mask (the next sequence draws a new one)."""
        self._dropout_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        """Forget the recurrent mask."""
        self._recurrent_dropout_mask = None
