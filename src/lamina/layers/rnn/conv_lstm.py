"""``ConvLSTM1D``/``2D``/``3D``: LSTMs whose input and recurrent products are convolutions.

The cell (``ConvLSTMCell``, not exported, as in Keras) keeps Keras's weights: ``kernel``
``(*kernel_size, channels, 4 * filters)``, ``recurrent_kernel`` ``(*kernel_size, filters,
4 * filters)`` and ``bias`` ``(4 * filters,)``, gates in the order ``i, f, c, o``. The input
convolution takes the layer's strides, padding and dilation; the recurrent one strides 1 and
``"same"`` padding, so the states keep the input convolution's output shape. The layer steps
through time with ``lamina.ops`` (``RNN``'s loop).
"""

from __future__ import annotations

from lamina import activations, initializers, ops
from lamina.layers.convolutional import base_conv as B
from lamina.layers.layer import Layer
from lamina.layers.rnn import _cell_args as A
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell
from lamina.layers.rnn.rnn import RNN, flat_cell_config, forward_cell_properties

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]

_KINDS = ("kernel", "recurrent", "bias")


class ConvLSTMCell(DropoutRNNCell, Layer):
    """One ConvLSTM step over a ``rank``-D input with channels; returns ``h, [h, c]``."""

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation="tanh",
                 recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        name = f"ConvLSTM{rank}D"
        self.rank = rank
        self.filters = A.check_units(name, filters)
        self.kernel_size = B.standardize_tuple(name, "kernel_size", kernel_size, rank)
        self.strides = B.standardize_tuple(name, "strides", strides, rank, allow_zero=True)
        self.padding = B.standardize_padding(name, padding)
        self.data_format = B.standardize_data_format(name, data_format)
        self.dilation_rate = B.standardize_tuple(name, "dilation_rate", dilation_rate, rank)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{name}: strides > 1 and dilation_rate > 1 cannot be combined; "
                             f"got strides={self.strides}, dilation_rate={self.dilation_rate}.")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        A.store_weight_args(self, _KINDS, locals())
        self._init_dropout(dropout, recurrent_dropout, seed)
        self.dropout_mask_count = 4
        self.state_size = -1  # (the states' shape follows the input's: get_initial_state)

    def _channels_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def build(self, input_shape):
        shape = tuple(input_shape)
        spatial = shape[1:-1] if self.data_format == "channels_last" else shape[2:]
        if None in spatial or shape[self._channels_axis()] is None:
            raise ValueError(f"ConvLSTM{self.rank}D needs fixed spatial sizes and channels; "
                             f"got the step shape {shape}.")
        self.spatial_dims = tuple(spatial)
        self.input_dim = shape[self._channels_axis()]
        f = self.filters
        self.kernel = A.add_cell_weight(self, "kernel", self.kernel_size + (self.input_dim, 4 * f))
        self.recurrent_kernel = A.add_cell_weight(self, "recurrent", self.kernel_size + (f, 4 * f),
                                                  name="recurrent_kernel")
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:
                def init(shape, dtype=None, base=self.bias_initializer):
                    parts = [base((f,), dtype=dtype), initializers.get("ones")((f,), dtype=dtype),
                             base((2 * f,), dtype=dtype)]
                    return ops.convert_to_numpy(ops.concatenate(parts))
            self.bias = A.add_cell_weight(self, "bias", (4 * f,), initializer=init)
        else:
            self.bias = None
        self.built = True

    def _conv(self, x, kernel, recurrent):
        if recurrent:
            return ops.conv(x, kernel, strides=1, padding="same", data_format=self.data_format)
        return ops.conv(x, kernel, strides=self.strides, padding=self.padding,
                        data_format=self.data_format, dilation_rate=self.dilation_rate)

    def _gates(self, x, kernel, masks, recurrent):
        """The four gates' convolutions: one for all of them, or one each (dropout masks)."""
        axis = self._channels_axis()
        if masks is None:
            return ops.split(self._conv(x, kernel, recurrent), 4, axis=axis)
        f = self.filters
        return [self._conv(ops.multiply(x, masks[j]),
                           ops.getitem(kernel, (Ellipsis, slice(j * f, (j + 1) * f))),
                           recurrent) for j in range(4)]

    def call(self, inputs, states, training=False):
        h, c = states[0], states[1]
        dp = self.get_dropout_mask(inputs) if self.uses_dropout(training) else None
        rdp = self.get_recurrent_dropout_mask(h) if self.uses_recurrent_dropout(training) \
            else None
        xs = self._gates(inputs, self.kernel, dp, False)
        hs = self._gates(h, self.recurrent_kernel, rdp, True)
        if self.bias is not None:
            shape = (1,) * (self.rank + 1) + (self.filters,) \
                if self.data_format == "channels_last" else (1, self.filters) + (1,) * self.rank
            biases = ops.split(self.bias, 4)
            xs = [ops.add(x, ops.reshape(b, shape)) for x, b in zip(xs, biases)]
        ract = self.recurrent_activation
        i, f = ract(ops.add(xs[0], hs[0])), ract(ops.add(xs[1], hs[1]))
        c_new = ops.add(ops.multiply(f, c), ops.multiply(i, self.activation(ops.add(xs[2], hs[2]))))
        o = ract(ops.add(xs[3], hs[3]))
        h_new = ops.multiply(o, self.activation(c_new))
        return h_new, [h_new, c_new]

    def state_shape(self, batch_size):
        out = [B.conv_output_length(n, k, s, self.padding, d) for n, k, s, d in zip(
            self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate)]
        return (batch_size, *out, self.filters) if self.data_format == "channels_last" else \
            (batch_size, self.filters, *out)

    def get_initial_state(self, batch_size=None):
        shape = self.state_shape(batch_size)
        return [ops.zeros(shape, dtype=self.compute_dtype), ops.zeros(shape, dtype=self.compute_dtype)]

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
            padding=self.padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate, activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation),
            use_bias=self.use_bias)
        config_.update({k: v for k, v in A.weight_config(self, _KINDS).items()
                        if k.endswith("initializer")})
        config_["unit_forget_bias"] = self.unit_forget_bias
        config_.update({k: v for k, v in A.weight_config(self, _KINDS).items()
                        if not k.endswith("initializer")})
        config_.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout,
                       seed=self.seed)
        return config_


class _ConvLSTM(RNN):
    rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation="tanh", recurrent_activation="sigmoid",
                 use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        cell = ConvLSTMCell(
            self.rank, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            recurrent_activation=recurrent_activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
            name="conv_lstm_cell", dtype=kwargs.get("dtype"))
        super().__init__(cell, return_sequences=return_sequences, return_state=return_state,
                         go_backwards=go_backwards, stateful=stateful,
                         activity_regularizer=activity_regularizer, **kwargs)

    def build(self, sequences_shape, initial_state_shape=None):
        shape = self._split_shapes(sequences_shape)
        if len(shape) != self.rank + 3:
            where = B.layout(self.rank, self.cell.data_format).replace("(batch, ",
                                                                        "(batch, steps, ")
            raise ValueError(f"{type(self).__name__} '{self.name}' expects sequences of shape "
                             f"{where} ({self.rank + 3} dimensions) but got shape {shape}.")
        super().build(sequences_shape, initial_state_shape)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        shape = self._split_shapes(sequences_shape)
        if not self.cell.built:
            self.cell.build((shape[0],) + shape[2:])
        state = self.cell.state_shape(shape[0])
        out = (shape[0], shape[1]) + state[1:] if self.return_sequences else state
        return [out, state, state] if self.return_state else out

    def compute_mask(self, inputs, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        out = mask if self.return_sequences else None
        return [out, None, None] if self.return_state else out

    def get_config(self) -> dict:
        return flat_cell_config(self, super().get_config())


_NAMES = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
          "activation", "recurrent_activation", "use_bias", "unit_forget_bias", "dropout",
          "recurrent_dropout") + tuple(f"{k}_{a}" for k in _KINDS
                                       for a in ("initializer", "regularizer", "constraint"))
forward_cell_properties(_ConvLSTM, _NAMES)


class ConvLSTM1D(_ConvLSTM):
    """A 1-D convolutional LSTM: inputs ``(batch, steps, length, channels)``.

    Takes ``LSTM``'s arguments with ``units`` replaced by the convolution's (``filters``,
    ``kernel_size``, ``strides``, ``padding``, ``data_format``, ``dilation_rate``).

    Example:
        >>> import lamina
        >>> lamina.layers.ConvLSTM1D(4, 3)(lamina.ops.ones((2, 5, 8, 3))).shape
        (2, 6, 4)
    """

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """A 2-D convolutional LSTM (Shi et al., 2015): inputs ``(batch, steps, rows, cols,
    channels)``; see ``ConvLSTM1D``.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
        >>> layer(lamina.ops.ones((2, 5, 6, 6, 1))).shape
        (2, 5, 6, 6, 4)
    """

    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """A 3-D convolutional LSTM: inputs ``(batch, steps, depth, rows, cols, channels)``; see
    ``ConvLSTM1D``.

    Example:
        >>> import lamina
        >>> lamina.layers.ConvLSTM3D(2, 3)(lamina.ops.ones((1, 2, 4, 4, 4, 1))).shape
        (1, 2, 2, 2, 2)
    """

    rank = 3
