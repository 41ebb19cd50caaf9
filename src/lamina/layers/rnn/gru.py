"""``GRUCell`` (one gated recurrent unit step) and ``GRU`` (the cell over a sequence).

Gates in Keras's order: update ``z``, reset ``r``, candidate ``h``. With ``reset_after=True``
(Keras's default, cuDNN's convention) the bias is ``(2, 3 * units)``: row 0 for the inputs,
row 1 for the recurrent product, and the reset gate multiplies the recurrent product; with
``reset_after=False`` it multiplies the state before its product and the bias is
``(3 * units,)``.
"""

from __future__ import annotations

from lamina import activations, ops
from lamina.layers.layer import Layer
from lamina.layers.rnn import _cell_args as A
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from lamina.layers.rnn.rnn import RNN, cell_layer_kwargs, flat_cell_config, forward_cell_properties

__all__ = ["GRU", "GRUCell"]

_KINDS = ("kernel", "recurrent", "bias")


class GRUCell(DropoutRNNCell, Layer):
    """One GRU step: ``z, r = ract(x_z + h_z), ract(x_r + h_r)``, ``hh = act(x_h + r * h_h)``
    (``reset_after``; else ``act(x_h + (r * h) @ R_h)``), ``h' = z * h + (1 - z) * hh``.

    Args:
        units: the size of the state.
        activation: default ``"tanh"``; recurrent_activation: default ``"sigmoid"``.
        use_bias: add biases; reset_after: where the reset gate applies (see the module).
        kernel_initializer / recurrent_initializer / bias_initializer and the matching
            ``*_regularizer`` / ``*_constraint``: as for ``LSTMCell``.
        dropout / recurrent_dropout / seed: dropout of the inputs / of the state in training.

    Example:
        >>> import lamina
        >>> cell = lamina.layers.GRUCell(4)
        >>> out, state = cell(lamina.ops.ones((2, 3)), [lamina.ops.zeros((2, 4))])
        >>> out.shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, **kwargs):
        self.implementation = kwargs.pop("implementation", 2)
        super().__init__(**kwargs)
        self.units = A.check_units("GRUCell", units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.reset_after = bool(reset_after)
        A.store_weight_args(self, _KINDS, locals())
        self._init_dropout(dropout, recurrent_dropout, seed)
        if self.recurrent_dropout != 0.0:
            self.implementation = 1
        if self.implementation == 1:
            self.dropout_mask_count = 3
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        u = self.units
        self.kernel = A.add_cell_weight(self, "kernel", (input_shape[-1], 3 * u))
        self.recurrent_kernel = A.add_cell_weight(self, "recurrent", (u, 3 * u),
                                                  name="recurrent_kernel")
        if self.use_bias:
            shape = (2, 3 * u) if self.reset_after else (3 * u,)
            self.bias = A.add_cell_weight(self, "bias", shape)
        else:
            self.bias = None
        self.built = True

    def _biases(self):
        if self.bias is None:
            return None, None
        if self.reset_after:
            return self.bias[0], self.bias[1]
        return self.bias, None

    def call(self, inputs, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        u = self.units
        dp = self.get_dropout_mask(inputs) if self.uses_dropout(training) else None
        rdp = self.get_recurrent_dropout_mask(h) if self.uses_recurrent_dropout(training) \
            else None
        k, rk = self.kernel, self.recurrent_kernel
        in_bias, rec_bias = self._biases()
        cols = [slice(j * u, (j + 1) * u) for j in range(3)]
        if dp is not None and self.dropout_mask_count:
            x = [ops.matmul(ops.multiply(inputs, dp[j]), k[:, cols[j]]) for j in range(3)]
        else:
            x = ops.split(ops.matmul(inputs if dp is None else ops.multiply(inputs, dp), k), 3,
                          axis=-1)
        if in_bias is not None:
            x = [ops.add(x[j], in_bias[cols[j]]) for j in range(3)]
        hs = [h if rdp is None else ops.multiply(h, rdp[j] if self.dropout_mask_count else rdp)
              for j in range(3)]
        rec = [ops.matmul(hs[j], rk[:, cols[j]]) for j in range(2 if not self.reset_after
                                                               else 3)]
        if rec_bias is not None:
            rec = [ops.add(rec[j], rec_bias[cols[j]]) for j in range(3)]
        ract = self.recurrent_activation
        z = ract(ops.add(x[0], rec[0]))
        r = ract(ops.add(x[1], rec[1]))
        if self.reset_after:
            inner_h = ops.multiply(r, rec[2])
        else:
            inner_h = ops.matmul(ops.multiply(r, hs[2]), rk[:, cols[2]])
        hh = self.activation(ops.add(x[2], inner_h))
        h_new = ops.add(ops.multiply(z, h), ops.multiply(ops.subtract(1.0, z), hh))
        return h_new, [h_new]

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
        in_bias, rec_bias = self._biases()
        dropped = A.masked_inputs(sequences, dp, 3)
        projected = A.project(sequences, self.kernel, in_bias, dropped, 3)
        return A.scan("gru", projected, self.recurrent_kernel, list(states), options,
                      recurrent_bias=rec_bias, recurrent_masks=A.recurrent_masks(rdp),
                      activation=act, recurrent_activation=ract, reset_after=self.reset_after)

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.state_size), dtype=self.compute_dtype)]

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(units=self.units, activation=activations.serialize(self.activation),
                       recurrent_activation=activations.serialize(self.recurrent_activation),
                       use_bias=self.use_bias)
        config_.update(A.weight_config(self, _KINDS))
        config_.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
                       reset_after=self.reset_after, seed=self.seed)
        return config_


class GRU(RNN):
    """Gated recurrent unit over a sequence (Cho et al., 2014).

    Takes ``GRUCell``'s arguments and ``RNN``'s; ``use_cudnn`` is accepted and ignored. The
    sequence runs on the fused recurrent primitive, as ``LSTM``'s does.

    Example:
        >>> import lamina
        >>> lamina.layers.GRU(4, reset_after=False)(lamina.ops.ones((2, 5, 3))).shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, reset_after=True,
                 use_cudnn="auto", **kwargs):
        cell = GRUCell(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, reset_after=reset_after,
            seed=seed, name="gru_cell", implementation=kwargs.pop("implementation", 2),
            **cell_layer_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)
        self.use_cudnn = use_cudnn

    def get_config(self) -> dict:
        return flat_cell_config(self, super().get_config())


forward_cell_properties(GRU, ("units", "activation", "recurrent_activation", "use_bias",
                              "reset_after", "dropout", "recurrent_dropout")
                        + tuple(f"{k}_{a}" for k in _KINDS
                                for a in ("initializer", "regularizer", "constraint")))
