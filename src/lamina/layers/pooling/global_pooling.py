"""Global pooling: the max or the mean over all spatial positions, one value per channel."""

from __future__ import annotations

from lamina import ops
from lamina.layers.convolutional.base_conv import check_spatial_input, standardize_data_format
from lamina.layers.layer import Layer

__all__ = ["GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D"]


class BaseGlobalPooling(Layer):
    """``(batch, *spatial, channels)`` to ``(batch, channels)`` (or keep the axes as 1)."""

    rank = 2
    mode = "max"

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(type(self).__name__, data_format)
        self.keepdims = bool(keepdims)
        if self.rank == 1 and self.mode == "average":
            self.supports_masking = True

    def _axes(self):
        return tuple(range(1, self.rank + 1)) if self.data_format == "channels_last" else \
            tuple(range(2, self.rank + 2))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        check_spatial_input(self, self.rank, self.data_format, shape)
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(shape))
        return tuple(d for i, d in enumerate(shape) if i not in axes)

    def call(self, inputs, mask=None):
        check_spatial_input(self, self.rank, self.data_format, inputs.shape)
        axes = self._axes()
        if self.mode == "max":
            return ops.max(inputs, axis=axes, keepdims=self.keepdims)
        if mask is not None:
            # Only the unmasked steps count (a mask of shape (batch, steps)).
            weights = ops.cast(mask, inputs.dtype)
            weights = ops.expand_dims(weights, -1 if self.data_format == "channels_last" else 1)
            total = ops.sum(ops.multiply(inputs, weights), axis=axes, keepdims=self.keepdims)
            return ops.divide(total, ops.sum(weights, axis=axes, keepdims=self.keepdims))
        return ops.mean(inputs, axis=axes, keepdims=self.keepdims)

    def compute_mask(self, inputs, previous_mask=None):
        return None

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(data_format=self.data_format, keepdims=self.keepdims)
        return config_


class GlobalMaxPooling1D(BaseGlobalPooling):
    """The maximum over the steps of ``(batch, steps, channels)``."""

    rank, mode = 1, "max"


class GlobalMaxPooling2D(BaseGlobalPooling):
    """The maximum over height and width of ``(batch, height, width, channels)``."""

    rank, mode = 2, "max"


class GlobalMaxPooling3D(BaseGlobalPooling):
    """The maximum over the three spatial axes of ``(batch, d, h, w, channels)``."""

    rank, mode = 3, "max"


class GlobalAveragePooling1D(BaseGlobalPooling):
    """The mean over the steps of ``(batch, steps, channels)``; a mask leaves steps out."""

    rank, mode = 1, "average"


class GlobalAveragePooling2D(BaseGlobalPooling):
    """The mean over height and width: ``(batch, height, width, channels)`` to ``(batch, channels)``.

    Example:
        >>> import lamina
        >>> lamina.layers.GlobalAveragePooling2D()(lamina.ops.ones((2, 4, 4, 3))).shape
        (2, 3)
    """

    rank, mode = 2, "average"


class GlobalAveragePooling3D(BaseGlobalPooling):
    """The mean over the three spatial axes of ``(batch, d, h, w, channels)``."""

    rank, mode = 3, "average"
