"""``SimpleRNNCell`` (``h' = act(x @ kernel + bias + h @ recurrent_kernel)``) and
``SimpleRNN`` (the cell over a sequence)."""

from __future__ import annotations

from lamina import activations, ops
from lamina.layers.layer import Layer
from lamina.layers.rnn import _cell_args as A
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from lamina.layers.rnn.rnn import RNN, cell_layer_kwargs, flat_cell_config, forward_cell_properties

__all__ = ["SimpleRNN", "SimpleRNNCell"]

_KINDS = ("kernel", "recurrent", "bias")


class SimpleRNNCell(DropoutRNNCell, Layer):
    """One fully connected recurrent step; the output is the new state.

    Args:
        units: the size of the state.
        activation: default ``"tanh"`` (``None``: linear).
        use_bias, kernel_initializer, recurrent_initializer, bias_initializer and the
            ``*_regularizer`` / ``*_constraint`` arguments: as for ``LSTMCell``.
        dropout / recurrent_dropout / seed: dropout of the inputs / of the state in training.

    Example:
        >>> import lamina
        >>> cell = lamina.layers.SimpleRNNCell(4)
        >>> out, state = cell(lamina.ops.ones((2, 3)), [lamina.ops.zeros((2, 4))])
        >>> out.shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None,
                 bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = A.check_units("SimpleRNNCell", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        A.store_weight_args(self, _KINDS, locals())
        self._init_dropout(dropout, recurrent_dropout, seed)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        u = self.units
        self.kernel = A.add_cell_weight(self, "kernel", (input_shape[-1], u))
        self.recurrent_kernel = A.add_cell_weight(self, "recurrent", (u, u),
                                                  name="recurrent_kernel")
        self.bias = A.add_cell_weight(self, "bias", (u,)) if self.use_bias else None
        self.built = True

    def call(self, sequence, states, training=False):
        h = states[0] if isinstance(states, (list, tuple)) else states
        if self.uses_dropout(training):
            sequence = ops.multiply(sequence, self.get_dropout_mask(sequence))
        x = ops.matmul(sequence, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        if self.uses_recurrent_dropout(training):
            h = ops.multiply(h, self.get_recurrent_dropout_mask(h))
        out = self.activation(ops.add(x, ops.matmul(h, self.recurrent_kernel)))
        return out, [out] if isinstance(states, (list, tuple)) else out

    def _fused_sequence(self, sequences, states, training, options):
        """The whole sequence on the fused primitive, or ``None`` (a custom activation)."""
        act = A.activation_name(self.activation)
        if act is None:
            return None
        dp = self.get_dropout_mask(A.first_step(sequences)) if self.uses_dropout(training) \
            else None
        rdp = self.get_recurrent_dropout_mask(states[0]) \
            if self.uses_recurrent_dropout(training) else None
        projected = A.project(sequences, self.kernel, self.bias,
                              A.masked_inputs(sequences, dp, 1), 1)
        return A.scan("simple", projected, self.recurrent_kernel, list(states), options,
                      recurrent_masks=A.recurrent_masks(rdp), activation=act)

    def get_initial_state(self, batch_size=None):
        return [ops.zeros((batch_size, self.state_size), dtype=self.compute_dtype)]

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(units=self.units, activation=activations.serialize(self.activation),
                       use_bias=self.use_bias)
        config_.update(A.weight_config(self, _KINDS))
        config_.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
                       seed=self.seed)
        return config_


class SimpleRNN(RNN):
    """A fully connected recurrent layer: the output of each step is fed back.

    Takes ``SimpleRNNCell``'s arguments and ``RNN``'s; runs on the fused recurrent primitive.

    Example:
        >>> import lamina
        >>> lamina.layers.SimpleRNN(4)(lamina.ops.ones((2, 5, 3))).shape
        (2, 4)
    """

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, seed=None, **kwargs):
        cell = SimpleRNNCell(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, seed=seed, name="simple_rnn_cell",
            **cell_layer_kwargs(kwargs))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful, unroll=unroll,
                         activity_regularizer=activity_regularizer, **kwargs)

    def get_config(self) -> dict:
        config_ = flat_cell_config(self, super().get_config())
        del config_["seed"]  # (Keras's SimpleRNN does not save its cell's seed)
        return config_


forward_cell_properties(SimpleRNN, ("units", "activation", "use_bias", "dropout",
                                    "recurrent_dropout")
                        + tuple(f"{k}_{a}" for k in _KINDS
                                for a in ("initializer", "regularizer", "constraint")))
