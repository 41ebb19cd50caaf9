"""Gradient cases of the recurrent layers and cells (float64, through the fused primitive and
through the step-by-step loop of ``RNN`` over a cell)."""

import numpy as np
from layer_gradients import LayerCase

from lamina import layers, ops

_RNG = np.random.default_rng(13)
_X = _RNG.standard_normal((2, 4, 3))
_MASK = np.array([[True, True, False, True], [False, True, True, False]])


class _MinimalCell(layers.Layer):
    """A user's cell written with lamina.ops: ``h' = tanh(x @ k + h * w)`` (stepped loop)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = self.state_size = self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.w = self.add_weight(shape=(self.units,), initializer="ones", name="w")

    def call(self, inputs, states):
        h = ops.tanh(ops.matmul(inputs, self.kernel) + states[0] * self.w)
        return h, [h]


class _Joined(layers.Layer):
    """The outputs of a layer that returns several (``return_state``), side by side."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
        self.supports_masking = True

    def call(self, inputs, mask=None):
        return ops.concatenate(list(self.inner(inputs, mask=mask)), axis=-1)


def _stepped(cell):
    layer = layers.RNN(cell, return_sequences=True, go_backwards=True)
    layer.cell._fused_sequence = lambda *a: None  # (the loop over steps instead)
    return layer


CASES = [
    LayerCase("LSTM", lambda: layers.LSTM(3, return_sequences=True), _X),
    LayerCase("LSTM/mask_state_backwards", lambda: _Joined(layers.LSTM(
        2, return_state=True, go_backwards=True, unit_forget_bias=False,
        bias_initializer="random_normal")), _X, kwargs={"mask": _MASK}, covers=("LSTM",)),
    LayerCase("GRU", lambda: layers.GRU(3, return_sequences=True,
                                        bias_initializer="random_normal"), _X,
              kwargs={"mask": _MASK}),
    LayerCase("GRU/reset_before", lambda: _Joined(layers.GRU(
        3, reset_after=False, return_state=True, bias_initializer="random_normal")), _X,
        covers=("GRU",)),
    LayerCase("SimpleRNN", lambda: layers.SimpleRNN(3, return_sequences=True,
                                                    zero_output_for_mask=True), _X,
              kwargs={"mask": _MASK}),
    LayerCase("LSTMCell", lambda: _stepped(layers.LSTMCell(2)), _X,
              covers=("LSTMCell", "RNN")),
    LayerCase("GRUCell", lambda: _stepped(layers.GRUCell(2, reset_after=False)), _X,
              kwargs={"mask": _MASK}),
    LayerCase("SimpleRNNCell", lambda: _stepped(layers.SimpleRNNCell(2)), _X),
    LayerCase("RNN/custom_cell", lambda: layers.RNN(_MinimalCell(3), return_sequences=True),
              _X, kwargs={"mask": _MASK}),
    LayerCase("StackedRNNCells", lambda: _Joined(layers.RNN(layers.StackedRNNCells(
        [layers.LSTMCell(2), layers.GRUCell(2)]), return_state=True)), _X),
    LayerCase("Bidirectional", lambda: layers.Bidirectional(
        layers.GRU(2, return_sequences=True)), _X, kwargs={"mask": _MASK}),
    LayerCase("Bidirectional/ave_state", lambda: _Joined(layers.Bidirectional(
        layers.LSTM(2, return_state=True), merge_mode="ave")), _X, covers=("Bidirectional",)),
    LayerCase("ConvLSTM1D", lambda: layers.ConvLSTM1D(2, 3, padding="same",
                                                      return_sequences=True),
              _RNG.standard_normal((2, 3, 5, 2)), kwargs={"mask": _MASK[:, :3]}),
    LayerCase("ConvLSTM2D", lambda: layers.ConvLSTM2D(2, 2, strides=2, go_backwards=True),
              _RNG.standard_normal((1, 3, 4, 4, 1))),
    LayerCase("ConvLSTM3D", lambda: layers.ConvLSTM3D(1, 2), _RNG.standard_normal(
        (1, 2, 3, 3, 3, 1))),
    LayerCase("TimeDistributed", lambda: layers.TimeDistributed(layers.Dense(2)), _X),
]
