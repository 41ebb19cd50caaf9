"""What the convolution layers share: argument checks, the input check, output shapes, ``BaseConv``.

A convolution layer is ``__init__`` (Keras's arguments, checked), ``build`` (the
kernel and the bias), ``call`` (``ops.conv`` plus the bias and the activation) and
``get_config``. The arithmetic lives in the ops table (``ops/_prim_conv.py``).
"""

from __future__ import annotations

from lamina import activations, config, constraints, initializers, ops, regularizers
from lamina.layers.layer import Layer
from lamina.ops._conv import same_padding

__all__ = ["BaseConv", "check_spatial_input", "conv_output_length", "standardize_tuple"]


def standardize_tuple(layer_name: str, name: str, value, n: int, allow_zero=False) -> tuple:
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, checked."""
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        from lamina.layers.arguments import integers

        try:
            values = integers(layer_name, name, value)
        except ValueError:
            raise ValueError(f"{layer_name}: `{name}` must be an int or {n} ints; got "
                             f"{value!r}.") from None
    if len(values) != n:
        raise ValueError(f"{layer_name}: `{name}` must be an int or {n} ints (one per spatial "
                         f"dimension); got {value!r}.")
    low = 0 if allow_zero else 1
    if any(v < low for v in values):
        raise ValueError(f"{layer_name}: `{name}` must be {'>= 0' if allow_zero else '> 0'}; "
                         f"got {value!r}.")
    return values


def standardize_padding(layer_name: str, padding, allow_causal=False) -> str:
    mode = str(padding).lower()
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if mode not in allowed:
        raise ValueError(f"{layer_name}: `padding` must be one of {allowed}; got {padding!r}.")
    return mode


def standardize_data_format(layer_name: str, data_format) -> str:
    fmt = config.image_data_format() if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"{layer_name}: `data_format` must be 'channels_last' or "
                         f"'channels_first'; got {data_format!r}.")
    return fmt


_SPATIAL = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def layout(rank: int, data_format: str) -> str:
    """The input layout in words, e.g. ``(batch, height, width, channels)``."""
    names = list(_SPATIAL[rank])
    parts = ["batch", *names, "channels"] if data_format == "channels_last" else \
        ["batch", "channels", *names]
    return "(" + ", ".join(parts) + ")"


def check_spatial_input(layer, rank: int, data_format: str, shape) -> None:
    """Raise a clear error when ``shape`` is not a batch of ``rank``-D inputs with channels."""
    shape = tuple(shape)
    if len(shape) == rank + 2:
        return
    where = f"{type(layer).__name__} '{layer.name}'"
    fix = ""
    if len(shape) == rank + 1:
        fix = (" If each sample has one channel, add that axis: `x[..., None]` "
               "(or `np.expand_dims(x, -1)`)" if data_format == "channels_last" else
               " If each sample has one channel, add that axis: `x[:, None]`")
        fix += "; if this is one sample, add the batch axis: `x[None]`."
    elif len(shape) == rank + 3 and shape[0] in (None, 1):
        fix = " Drop the extra leading axis (e.g. `x[0]`)."
    raise ValueError(
        f"{where} expects inputs of shape {layout(rank, data_format)} ({rank + 2} dimensions) "
        f"but got shape {tuple(shape)} ({len(shape)} dimensions).{fix}")


def conv_output_length(size, window, stride, padding, dilation=1):
    """Keras's output length of a convolution or pooling along one spatial dimension."""
    if size is None:
        return None
    span = (window - 1) * dilation + 1
    if padding in ("same", "causal"):
        lo, hi = same_padding(size, window, stride, dilation) if padding == "same" else \
            (span - 1, 0)
        return (size + lo + hi - span) // stride + 1
    return (size - span) // stride + 1


def check_output_size(layer, shape, spatial, window, padding, dilation=None) -> None:
    """An output dimension of 0 or less: the window is larger than the input."""
    if all(n is None or n > 0 for n in spatial):
        return
    dil = dilation or (1,) * len(window)
    span = tuple((k - 1) * d + 1 for k, d in zip(window, dil))
    raise ValueError(
        f"{type(layer).__name__} '{layer.name}': the window {span} is larger than the input's "
        f"spatial size in shape {tuple(shape)} with padding='{padding}', so there is no output "
        "position. Use padding='same', a smaller kernel or pool size, fewer layers that shrink "
        "the input, or larger inputs.")


class BaseConv(Layer):
    """An N-D convolution layer (``Conv1D``, ``Conv2D``, ``Conv3D`` are its ranks)."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        cls = type(self).__name__
        if lora_rank:
            raise ValueError(f"{cls}: LoRA (lora_rank) is not supported by lamina.")
        if filters is not None and (isinstance(filters, bool) or int(filters) <= 0):
            raise ValueError(f"{cls}: `filters` must be a positive integer (the number of "
                             f"output channels); got filters={filters!r}.")
        self.filters = None if filters is None else int(filters)
        self.groups = int(groups)
        if self.groups <= 0:
            raise ValueError(f"{cls}: `groups` must be a positive integer; got {groups!r}.")
        if self.filters is not None and self.filters % self.groups:
            raise ValueError(f"{cls}: `filters` ({self.filters}) must be a multiple of "
                             f"`groups` ({self.groups}).")
        self.kernel_size = standardize_tuple(cls, "kernel_size", kernel_size, self.rank)
        self.strides = standardize_tuple(cls, "strides", strides, self.rank)
        self.dilation_rate = standardize_tuple(cls, "dilation_rate", dilation_rate, self.rank)
        self.padding = standardize_padding(cls, padding, allow_causal=self.rank == 1)
        self.data_format = standardize_data_format(cls, data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls}: strides > 1 cannot be combined with dilation_rate > 1 "
                             f"(as in Keras); got strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}.")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        # (no InputSpec: build and call check the layout with messages of their own)

    # -- shapes -------------------------------------------------------------------------
    def _channel_axis(self) -> int:
        return -1 if self.data_format == "channels_last" else 1

    def _spatial(self, shape):
        shape = tuple(shape)
        return shape[1:-1] if self.data_format == "channels_last" else shape[2:]

    def _with_spatial(self, shape, spatial, channels):
        if self.data_format == "channels_last":
            return (shape[0], *spatial, channels)
        return (shape[0], channels, *spatial)

    def _input_channels(self, input_shape) -> int:
        check_spatial_input(self, self.rank, self.data_format, input_shape)
        channels = tuple(input_shape)[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{type(self).__name__} '{self.name}' needs to know the number of "
                             f"input channels; got input shape {tuple(input_shape)}.")
        return int(channels)

    def compute_output_shape(self, input_shape):
        check_spatial_input(self, self.rank, self.data_format, input_shape)
        spatial = tuple(
            conv_output_length(n, k, s, self.padding, d) for n, k, s, d in
            zip(self._spatial(input_shape), self.kernel_size, self.strides, self.dilation_rate))
        check_output_size(self, input_shape, spatial, self.kernel_size, self.padding,
                          self.dilation_rate)
        return self._with_spatial(tuple(input_shape), spatial, self.filters)

    # -- weights and computation ---------------------------------------------------------
    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the input has {channels} channels, which "
                f"is not a multiple of groups={self.groups} (input shape {tuple(input_shape)}).")
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self.bias = self.add_weight(
            name="bias", shape=(self.filters,), initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint,
        ) if self.use_bias else None
        self._channels = channels
        self.built = True

    def check_call_input(self, inputs):
        """The layout and the channel count of a call's inputs (free at replay: traced once)."""
        shape = tuple(inputs.shape)
        check_spatial_input(self, self.rank, self.data_format, shape)
        got = shape[self._channel_axis()]
        if got != self._channels:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' was built for inputs with {self._channels} "
                f"channels (axis {self._channel_axis()} of {layout(self.rank, self.data_format)}) "
                f"but got shape {shape} with {got}. If the channels are on another axis, pass "
                "data_format= (or move the axis with np.moveaxis).")

    def _pad_causal(self, inputs):
        if self.padding != "causal":
            return inputs, self.padding
        left = (self.kernel_size[0] - 1) * self.dilation_rate[0]
        widths = [(0, 0), (left, 0), (0, 0)] if self.data_format == "channels_last" else \
            [(0, 0), (0, 0), (left, 0)]
        return ops.pad(inputs, widths), "valid"

    def add_bias(self, outputs, channels):
        if self.bias is None:
            return outputs
        if self.data_format == "channels_last":
            return ops.add(outputs, self.bias)
        return ops.add(outputs, ops.reshape(self.bias, (1, channels) + (1,) * self.rank))

    def call(self, inputs):
        self.check_call_input(inputs)
        inputs, padding = self._pad_causal(inputs)
        outputs = ops.conv(inputs, self.kernel, strides=self.strides, padding=padding,
                           data_format=self.data_format, dilation_rate=self.dilation_rate)
        outputs = self.add_bias(outputs, self.filters)
        return self.activation(outputs)

    def _common_config(self) -> dict:
        return dict(
            kernel_size=list(self.kernel_size), strides=list(self.strides),
            padding=self.padding, data_format=self.data_format,
            dilation_rate=list(self.dilation_rate),
            activation=activations.serialize(self.activation), use_bias=self.use_bias,
        )

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            filters=self.filters, **self._common_config(), groups=self.groups,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            kernel_constraint=constraints.serialize(self.kernel_constraint),
            bias_constraint=constraints.serialize(self.bias_constraint),
        )
        return config_
