"""Convolution and pooling functions of ``lamina.ops`` (Keras's ``keras.ops.conv`` family).

Keras's arguments: ``strides``, ``dilation_rate`` and ``pool_size`` as one int or
one per spatial dimension; ``padding`` ``"valid"`` or ``"same"`` (TensorFlow's:
the output has ``ceil(size / stride)`` positions, the odd padding row goes after);
``data_format`` ``"channels_last"`` (default, ``(batch, *spatial, channels)``) or
``"channels_first"`` (``(batch, channels, *spatial)``; transposed to channels-last
and back around the primitive). Kernels have Keras's layouts:
``(*kernel_size, in_channels // groups, filters)`` for ``conv``,
``(*kernel_size, in_channels, multiplier)`` for ``depthwise_conv`` and
``(*kernel_size, filters, in_channels)`` for ``conv_transpose``.
"""

from __future__ import annotations

import math

from lamina import config
from lamina.autodiff.tape import apply
from lamina.autodiff.tensor import Tensor
from lamina.ops import _primitives as P
from lamina.ops._array import transpose
from lamina.ops._core import convert_to_tensor, reshape

__all__ = ["average_pool", "conv", "conv_transpose", "depthwise_conv", "max_pool",
           "separable_conv"]


def _data_format(data_format) -> str:
    fmt = config.image_data_format() if data_format is None else str(data_format).lower()
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first'; got "
                         f"{data_format!r}.")
    return fmt


def _tuple(name: str, value, n: int) -> tuple:
    if isinstance(value, int):
        values = (value,) * n
    else:
        values = tuple(int(v) for v in value)
        if len(values) == 1:
            values *= n
    if len(values) != n or any(v < 1 for v in values):
        raise ValueError(f"{name} must be a positive int or {n} positive ints (one per spatial "
                         f"dimension); got {value!r}.")
    return values


def _padding_mode(padding) -> str:
    mode = str(padding).lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same'; got {padding!r}.")
    return mode


def same_padding(size: int, window: int, stride: int, dilation: int = 1) -> tuple:
    """TensorFlow's ``"same"`` padding ``(before, after)`` for one spatial dimension."""
    span = (window - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def _explicit(mode, spatial, window, strides, dilation) -> tuple:
    if mode == "valid":
        return tuple((0, 0) for _ in spatial)
    return tuple(same_padding(n, k, s, d) for n, k, s, d in zip(spatial, window, strides, dilation))


def _to_last(x, fmt):
    if fmt == "channels_last":
        return x
    nd = x.ndim
    return transpose(x, (0, *range(2, nd), 1))


def _from_last(y, fmt):
    if fmt == "channels_last":
        return y
    nd = y.ndim
    return transpose(y, (0, nd - 1, *range(1, nd - 1)))


def _check_rank(what, x, nd_options=(1, 2, 3)):
    if x.ndim - 2 not in nd_options:
        raise ValueError(
            f"{what} takes inputs of rank 3, 4 or 5 (batch, *spatial, channels); got shape "
            f"{tuple(x.shape)}.")


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1) -> Tensor:
    """N-D convolution (really cross-correlation, as in Keras) of ``inputs`` with ``kernel``.

    The kernel is ``(*kernel_size, in_channels // groups, filters)``; ``groups``
    is ``in_channels // kernel.shape[-2]``.

    Example:
        >>> from lamina import ops
        >>> ops.conv(ops.ones((1, 5, 5, 1)), ops.ones((3, 3, 1, 2))).shape
        (1, 3, 3, 2)
    """
    fmt = _data_format(data_format)
    x = _to_last(convert_to_tensor(inputs), fmt)
    kernel = convert_to_tensor(kernel)
    _check_rank("conv", x)
    nd = x.ndim - 2
    if kernel.ndim != nd + 2:
        raise ValueError(f"conv: a {nd}-D convolution needs a kernel of rank {nd + 2} "
                         f"(*kernel_size, in_channels, filters); got shape {tuple(kernel.shape)}.")
    channels, per_group = x.shape[-1], kernel.shape[-2]
    if per_group < 1 or channels % per_group or kernel.shape[-1] % (channels // per_group):
        raise ValueError(
            f"conv: the input has {channels} channels but the kernel {tuple(kernel.shape)} "
            f"expects {per_group} per group; in_channels must be a multiple of "
            "kernel.shape[-2], and filters a multiple of the number of groups.")
    strides = _tuple("strides", strides, nd)
    dilation = _tuple("dilation_rate", dilation_rate, nd)
    window = tuple(kernel.shape[:-2])
    padding = _explicit(_padding_mode(padding), x.shape[1:-1], window, strides, dilation)
    y = apply(P.CONV, (x, kernel), strides=strides, padding=padding, dilation=dilation,
              groups=channels // per_group)
    return _from_last(y, fmt)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1) -> Tensor:
    """Each input channel convolved with its own ``multiplier`` filters.

    The kernel is ``(*kernel_size, in_channels, multiplier)``; output channel
    ``c * multiplier + j`` is channel ``c`` with filter ``j``.
    """
    kernel = convert_to_tensor(kernel)
    shape = tuple(kernel.shape)
    grouped = reshape(kernel, shape[:-2] + (1, shape[-2] * shape[-1]))
    return conv(inputs, grouped, strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1) -> Tensor:
    """A depthwise convolution followed by a pointwise (1x1) one."""
    y = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(y, pointwise_kernel, 1, "valid", data_format, 1)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1) -> Tensor:
    """The transposed convolution (the gradient of ``conv`` with respect to its input).

    The kernel is ``(*kernel_size, filters, in_channels)``. The output size per
    spatial dimension is Keras's: ``(n - 1) * stride + max(kernel, stride)`` for
    ``"valid"``, ``n * stride`` for ``"same"``, or as fixed by ``output_padding``.
    """
    fmt = _data_format(data_format)
    x = _to_last(convert_to_tensor(inputs), fmt)
    kernel = convert_to_tensor(kernel)
    _check_rank("conv_transpose", x)
    nd = x.ndim - 2
    if kernel.ndim != nd + 2 or kernel.shape[-1] != x.shape[-1]:
        raise ValueError(
            f"conv_transpose: the kernel must be (*kernel_size, filters, {x.shape[-1]}) for an "
            f"input with {x.shape[-1]} channels; got kernel shape {tuple(kernel.shape)}.")
    strides = _tuple("strides", strides, nd)
    dilation = _tuple("dilation_rate", dilation_rate, nd)
    if output_padding is not None:
        output_padding = _tuple_nonneg("output_padding", output_padding, nd)
    mode = _padding_mode(padding)
    window = tuple(kernel.shape[:-2])
    out = tuple(
        transposed_size(n, k, s, mode, None if output_padding is None else output_padding[i], d)
        for i, (n, k, s, d) in enumerate(zip(x.shape[1:-1], window, strides, dilation)))
    pads = _explicit(mode, out, window, strides, dilation)
    if mode == "same" and output_padding is not None:  # Keras's padding for a given output size
        pads = tuple(_same_transpose_pads(n, o, k, s, d, p) for n, o, k, s, d, p in
                     zip(x.shape[1:-1], out, window, strides, dilation, output_padding))
    x_shape = (x.shape[0], *out, kernel.shape[-2])
    y = apply(P.CONV_INPUT_GRADIENT, (x, kernel), x_shape=x_shape, strides=strides,
              padding=pads, dilation=dilation)
    return _from_last(y, fmt)


def _same_transpose_pads(size, out, window, stride, dilation, output_padding):
    """The forward convolution's (lo, hi) padding whose input gradient is a "same" transposed
    convolution with an explicit ``output_padding`` (the padding Keras derives for it)."""
    span = (window - 1) * dilation + 1
    pad_len = span + span % 2 - 2 + output_padding
    lo = span - 1 - min(pad_len // 2 + pad_len % 2, span - 1)
    return lo, max(0, (size - 1) * stride + span - out - lo)


def _tuple_nonneg(name, value, n):
    values = (value,) * n if isinstance(value, int) else tuple(int(v) for v in value)
    if len(values) != n or any(v < 0 for v in values):
        raise ValueError(f"{name} must be an int >= 0 or {n} of them; got {value!r}.")
    return values


def transposed_size(size, window, stride, mode, output_padding=None, dilation=1) -> int:
    """Keras's output size of a transposed convolution along one spatial dimension."""
    span = (window - 1) * dilation + 1
    if mode == "valid":
        extra = max(span, stride) - span if output_padding is None else output_padding
        return (size - 1) * stride + span + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + span % 2 + output_padding


def _pool(prim, what, inputs, pool_size, strides, padding, data_format):
    fmt = _data_format(data_format)
    x = _to_last(convert_to_tensor(inputs), fmt)
    _check_rank(what, x)
    nd = x.ndim - 2
    pool_size = _tuple("pool_size", pool_size, nd)
    strides = pool_size if strides is None else _tuple("strides", strides, nd)
    pads = _explicit(_padding_mode(padding), x.shape[1:-1], pool_size, strides, (1,) * nd)
    y = apply(prim, (x,), pool_size=pool_size, strides=strides, padding=pads)
    return _from_last(y, fmt)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """The maximum over each window (``strides`` default to ``pool_size``).

    Example:
        >>> from lamina import ops
        >>> ops.max_pool(ops.reshape(ops.arange(16.0), (1, 4, 4, 1)), 2)[0, :, :, 0].numpy()
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
    """
    return _pool(P.MAX_POOL, "max_pool", inputs, pool_size, strides, padding, data_format)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None) -> Tensor:
    """The mean over each window; with ``"same"`` padding only the input's values count."""
    return _pool(P.AVERAGE_POOL, "average_pool", inputs, pool_size, strides, padding,
                 data_format)
