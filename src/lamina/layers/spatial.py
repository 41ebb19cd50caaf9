"""Layers that change the spatial size without weights: zero padding, cropping, upsampling."""

from __future__ import annotations

from lamina import ops
from lamina.layers.convolutional.base_conv import (
    check_spatial_input,
    standardize_data_format,
    standardize_tuple,
)
from lamina.layers.layer import Layer

__all__ = ["Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D",
           "UpSampling3D", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"]


def _pairs(layer_name: str, name: str, value, rank: int) -> tuple:
    """``value`` as ``rank`` ``(before, after)`` pairs: an int, ``rank`` ints, or pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        pairs = ((value, value),) * rank
    else:
        items = tuple(value)
        if rank == 1 and len(items) == 2 and all(isinstance(v, int) for v in items):
            pairs = (tuple(items),)
        elif len(items) == rank and all(isinstance(v, int) for v in items):
            pairs = tuple((v, v) for v in items)
        elif len(items) == rank:
            pairs = tuple(tuple(standardize_tuple(layer_name, name, v, 2, allow_zero=True))
                          for v in items)
        else:
            raise ValueError(f"{layer_name}: `{name}` must be an int, {rank} ints or {rank} "
                             f"(before, after) pairs; got {value!r}.")
    if any(v < 0 for pair in pairs for v in pair):
        raise ValueError(f"{layer_name}: `{name}` must be >= 0; got {value!r}.")
    return pairs


class _Spatial(Layer):
    rank = 2

    def _spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def _check(self, shape):
        check_spatial_input(self, self.rank, self.data_format, shape)


class _ZeroPadding(_Spatial):
    def __init__(self, padding, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(type(self).__name__, "padding", padding, self.rank)
        self.data_format = standardize_data_format(type(self).__name__, data_format)

    def _widths(self, ndim):
        widths = [(0, 0)] * ndim
        for axis, pair in zip(self._spatial_axes(), self.padding):
            widths[axis] = pair
        return widths

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shape = list(input_shape)
        for axis, (lo, hi) in zip(self._spatial_axes(), self.padding):
            shape[axis] = None if shape[axis] is None else shape[axis] + lo + hi
        return tuple(shape)

    def call(self, inputs):
        self._check(inputs.shape)
        return ops.pad(inputs, self._widths(inputs.ndim))

    def get_config(self) -> dict:
        config_ = super().get_config()
        padding = [list(p) for p in self.padding]
        config_.update(padding=padding[0] if self.rank == 1 else padding,
                       data_format=self.data_format)
        return config_


class ZeroPadding1D(_ZeroPadding):
    """Zeros added at the start and end of the steps axis of ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Rows and columns of zeros around images.

    ``padding``: an int (all sides), ``(rows, cols)``, or ``((top, bottom), (left, right))``.

    Example:
        >>> import lamina
        >>> lamina.layers.ZeroPadding2D(((1, 0), (2, 2)))(lamina.ops.ones((1, 3, 3, 1))).shape
        (1, 4, 7, 1)
    """

    rank = 2

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Zeros around volumes ``(batch, depth, height, width, channels)``."""

    rank = 3

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Spatial):
    def __init__(self, cropping, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(type(self).__name__, "cropping", cropping, self.rank)
        self.data_format = standardize_data_format(type(self).__name__, data_format)

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shape = list(input_shape)
        for axis, (lo, hi) in zip(self._spatial_axes(), self.cropping):
            if shape[axis] is not None:
                size = shape[axis] - lo - hi
                if size <= 0:
                    raise ValueError(
                        f"{type(self).__name__} '{self.name}': cropping {self.cropping} leaves "
                        f"nothing of an input of shape {tuple(input_shape)}; crop less.")
                shape[axis] = size
        return tuple(shape)

    def call(self, inputs):
        self.compute_output_shape(inputs.shape)
        index = [slice(None)] * inputs.ndim
        for axis, (lo, hi) in zip(self._spatial_axes(), self.cropping):
            index[axis] = slice(lo, inputs.shape[axis] - hi)
        return inputs[tuple(index)]

    def get_config(self) -> dict:
        config_ = super().get_config()
        cropping = [list(p) for p in self.cropping]
        if self.rank == 1:
            config_["cropping"] = cropping[0]
        else:
            config_.update(cropping=cropping, data_format=self.data_format)
        return config_


class Cropping1D(_Cropping):
    """Steps removed from the start and end of ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, None, **kwargs)


class Cropping2D(_Cropping):
    """Rows and columns removed from the edges of images: ``((top, bottom), (left, right))``."""

    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    """Slices removed from the edges of volumes ``(batch, depth, height, width, channels)``."""

    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class _UpSampling(_Spatial):
    def __init__(self, size, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.size = standardize_tuple(cls, "size", size, self.rank)
        self.data_format = standardize_data_format(cls, data_format)
        self.interpolation = str(interpolation).lower()
        if self.interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"{cls}: `interpolation` must be 'nearest' or 'bilinear' in "
                             f"lamina; got {interpolation!r}.")

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        shape = list(input_shape)
        for axis, factor in zip(self._spatial_axes(), self.size):
            shape[axis] = None if shape[axis] is None else shape[axis] * factor
        return tuple(shape)

    def call(self, inputs):
        self._check(inputs.shape)
        if self.interpolation == "bilinear":
            from lamina.ops import image

            shape = self.compute_output_shape(inputs.shape)
            axes = self._spatial_axes()
            return image.resize(inputs, tuple(shape[a] for a in axes), interpolation="bilinear",
                                data_format=self.data_format)
        out = inputs
        for axis, factor in zip(self._spatial_axes(), self.size):
            if factor > 1:
                out = ops.repeat(out, factor, axis=axis)
        return out

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(size=list(self.size), data_format=self.data_format)
        if self.rank == 2:
            config_["interpolation"] = self.interpolation
        return config_


class UpSampling1D(_UpSampling):
    """Each step repeated ``size`` times along the steps axis of ``(batch, steps, channels)``."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, None, **kwargs)

    def get_config(self) -> dict:
        config_ = Layer.get_config(self)
        config_["size"] = self.size[0]
        return config_


class UpSampling2D(_UpSampling):
    """Images enlarged by repeating rows and columns (``"nearest"``) or interpolating.

    Example:
        >>> import lamina
        >>> lamina.layers.UpSampling2D((2, 3))(lamina.ops.ones((1, 2, 2, 1))).shape
        (1, 4, 6, 1)
    """

    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, interpolation, **kwargs)


class UpSampling3D(_UpSampling):
    """Volumes enlarged by repeating along depth, height and width."""

    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, "nearest", **kwargs)
