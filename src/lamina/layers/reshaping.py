"""``Flatten`` and ``Reshape``: change the shape of each sample, keep the batch."""

from __future__ import annotations

import math

from lamina import ops
from lamina.layers.arguments import integers
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer

__all__ = ["Flatten", "Reshape"]


class Flatten(Layer):
    """Flattens each sample: ``(batch, d1, d2, ...)`` becomes ``(batch, d1*d2*...)``.

    Example:
        >>> import lamina
        >>> lamina.layers.Flatten()(lamina.ops.ones((2, 3, 4))).shape
        (2, 12)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last", "channels_first"):
            raise ValueError(
                "The 'data_format' argument of Flatten must be 'channels_last' or "
                f"'channels_first'. Got {data_format!r} instead."
            )
        self.data_format = data_format or "channels_last"

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.moveaxis(inputs, 1, -1)
        return ops.reshape(inputs, (inputs.shape[0], -1))

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["data_format"] = self.data_format
        return config_


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1).

    Example:
        >>> import lamina
        >>> lamina.layers.Reshape((6, 2))(lamina.ops.ones((2, 3, 4))).shape
        (2, 6, 2)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = integers("Reshape", "target_shape", target_shape, minimum=-1)
        if sum(d == -1 for d in self.target_shape) > 1:
            raise ValueError(
                "The 'target_shape' argument of Reshape may contain -1 at most once. "
                f"Got {self.target_shape} instead."
            )

    def _resolve(self, sample_shape):
        size = math.prod(sample_shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise ValueError(
                    f"Reshape '{self.name}' cannot reshape samples of shape {tuple(sample_shape)} "
                    f"({size} values) to {self.target_shape}."
                )
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        if known != size:
            raise ValueError(
                f"Reshape '{self.name}' cannot reshape samples of shape {tuple(sample_shape)} "
                f"({size} values) to {self.target_shape} ({known} values)."
            )
        return self.target_shape

    def call(self, inputs):
        return ops.reshape(inputs, (inputs.shape[0],) + self._resolve(inputs.shape[1:]))

    def compute_output_shape(self, input_shape):
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        return (input_shape[0],) + self._resolve(input_shape[1:])

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["target_shape"] = list(self.target_shape)
        return config_


class Permute(Layer):
    """Reorders the axes of each sample: ``dims`` is a permutation of 1..rank (the batch axis
    stays first).

    Example:
        >>> import lamina
        >>> lamina.layers.Permute((2, 1))(lamina.ops.ones((4, 10, 64))).shape
        (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = integers("Permute", "dims", dims, minimum=1)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(
                f"The 'dims' argument of Permute must be a permutation of 1..{len(dims)} (the "
                f"sample's axes, counted from 1; the batch axis is left out). Got {dims}.")
        self.dims = tuple(dims)
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> dict:
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats each sample ``n`` times along a new axis: ``(batch, features)`` becomes
    ``(batch, n, features)``.

    Example:
        >>> import lamina
        >>> lamina.layers.RepeatVector(3)(lamina.ops.ones((2, 5))).shape
        (2, 3, 5)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
            raise ValueError(f"The 'n' argument of RepeatVector must be a positive integer. "
                             f"Got {n!r} instead.")
        self.n = n
        self.input_spec = InputSpec(ndim=2)

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}


class Identity(Layer):
    """Returns its inputs unchanged (masks included)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
