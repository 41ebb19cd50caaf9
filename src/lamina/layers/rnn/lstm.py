"""``LSTMCell`` (one step of a long short-term memory) and ``LSTM`` (the cell over a sequence).

The gates are in Keras's order, input ``i``, forget ``f``, candidate ``c``, output ``o``, in the
column blocks of ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel`` ``(units, 4 * units)``
and ``bias`` ``(4 * units,)``, so Keras's weight files load as they are.
"""

from __future__ import annotations

from lamina import activations, initializers, ops
from lamina.layers.layer import Layer
from lamina.layers.rnn import _cell_args as A
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from lamina.layers.rnn.rnn import RNN, cell_layer_kwargs, flat_cell_config, forward_cell_properties

__all__ = ["LSTM", "LSTMCell"]

_KINDS = ("kernel", "recurrent", "bias")


class LSTMCell(DropoutRNNCell, Layer):
    """One LSTM step: ``z = x @ kernel + h @ recurrent_kernel + bias`` split into ``i, f, c, o``;
    ``c' = ract(f) * c + ract(i) * act(c)``, ``h' = ract(o) * act(c')``; returns
    ``h', [h', c']``.

    Args:
        units: the size of the state.
        activation: default ``"tanh"``; recurrent_activation: default ``"sigmoid"``.
        use_bias: add a bias; unit_forget_bias: start the forget gate's bias at 1.
        kernel_initializer / recurrent_initializer / bias_initializer: default
            ``"glorot_uniform"``, ``"orthogonal"``, ``"zeros"``; and the matching
            ``*_regularizer`` and ``*_constraint`` arguments.
        dropout / recurrent_dropout: the fraction of inputs / of the state dropped in training
            (one mask per sequence); seed: for those masks.

    Example:
        >>> import lamina
        >>> cell = lamina.layers.LSTMCell(4)
        >>> out, (h, c) = cell(lamina.ops.ones((2, 3)), [lamina.ops.zeros((2, 4))] * 2)
        >>> out.shape, c.shape
        ((2, 4), (2, 4))
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        self.implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = A.check_units("LSTMCell", units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        A.store_weight_args(self, _KINDS, locals())
        self._init_dropout(dropout, recurrent_dropout, seed)
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1:
            self.dropout_mask_count = 4  # (one mask per gate, as Keras's implementation 1)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape):
        u = self.units
        self.kernel = A.add_cell_weight(self, "kernel", (input_shape[-1], 4 * u))
        self.recurrent_kernel = A.add_cell_weight(self, "recurrent", (u, 4 * u),
                                                  name="recurrent_kernel")
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                def init(shape, dtype=None, base=self.bias_initializer):
                    parts = [base((u,), dtype=dtype), initializers.get("ones")((u,), dtype=dtype),
                             base((2 * u,), dtype=dtype)]
                    return ops.convert_to_numpy(ops.concatenate(parts))
            self.bias = A.add_cell_weight(self, "bias", (4 * u,), initializer=init)
        else:
            self.bias = None
        self.built = True

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        u = self.units
        dp = self.get_dropout_mask(inputs) if self.uses_dropout(training) else None
        rdp = self.get_recurrent_dropout_mask(h) if self.uses_recurrent_dropout(training) \
            else None
        if dp is not None and self.dropout_mask_count:
            x = ops.concatenate([ops.matmul(ops.multiply(inputs, dp[j]),
                                            self.kernel[:, j * u:(j + 1) * u])
                                 for j in range(4)], axis=-1)
        else:
            x = ops.matmul(inputs if dp is None else ops.multiply(inputs, dp), self.kernel)
        if rdp is not None:
            hr = ops.concatenate([ops.matmul(ops.multiply(h, rdp[j]),
                                             self.recurrent_kernel[:, j * u:(j + 1) * u])
                                  for j in range(4)], axis=-1)
        else:
            hr = ops.matmul(h, self.recurrent_kernel)
        z = ops.add(x, hr)
        if self.bias is not None:
            z = ops.add(z, self.bias)
        zi, zf, zc, zo = ops.split(z, 4, axis=-1)
        ract = self.recurrent_activation
        c_new = ops.add(ops.multiply(ract(zf), c), ops.multiply(ract(zi), self.activation(zc)))
        h_new = ops.multiply(ract(zo), self.activation(c_new))
        return h_new, [h_new, c_new]

    def _fused_sequence(self, sequences, states, training, options):
        """The whole sequence on the fused primitive, or ``None`` (custom activations)."""
        act = A.activation_name(self.activation)
        ract = A.activation_name(self.recurrent_activation)
        if act is None or ract is None:
            return None
        dp = self.get_dropout_mask(A.first_step(sequences)) if self.uses_dropout(training) \
            else None
        rdp = self.get_recurrent_dropout_mask(states[0]) \
            if self.uses_recurrent_dropout(training) else None
        dropped = A.masked_inputs(sequences, dp, 4)
        return A.lstm_scan(sequences, self.kernel, self.bias, self.recurrent_kernel, states,
                           options, dropped, rdp, act, ract)

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, d), dtype=self.compute_dtype) for d in self.state_size]

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            units=self.units, activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation),
            use_bias=self.use_bias, unit_forget_bias=self.unit_forget_bias)
        config_.update(A.weight_config(self, _KINDS))
        config_.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
                       seed=self.seed)
        return config_


class LSTM(RNN):
    """Long short-term memory over a sequence (Hochreiter and Schmidhuber, 1997).

    Takes ``LSTMCell``'s arguments and ``RNN``'s (``return_sequences``, ``return_state``,
    ``go_backwards``, ``stateful``, ``unroll``); ``use_cudnn`` is accepted and ignored.
    Inputs ``(batch, steps, features)``; ``initial_state=[h, c]``; masks from ``Embedding``
    or ``Masking`` skip padded steps. The whole sequence runs on one fused primitive: the input
    projection of all steps is one matrix product, the recurrence a loop over preallocated
    buffers, and the gradient its reverse.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.LSTM(4, return_sequences=True)
        >>> layer(lamina.ops.ones((2, 5, 3))).shape
        (2, 5, 4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, unroll=False,
                 use_cudnn="auto", **kwargs):
        cell = LSTMCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            unit_forget_bias=unit_forget_bias, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="lstm_cell",
            implementation=kwargs.pop("implementation", 2), **cell_layer_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn

    def get_config(self) -> dict:
        return flat_cell_config(self, super().get_config())


forward_cell_properties(LSTM, ("units", "activation", "recurrent_activation", "use_bias",
                               "unit_forget_bias", "dropout", "recurrent_dropout")
                        + tuple(f"{k}_{a}" for k in _KINDS
                                for a in ("initializer", "regularizer", "constraint")))
