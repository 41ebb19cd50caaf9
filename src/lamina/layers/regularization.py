"""Noise layers that regularize training: ``Dropout`` and its relatives.

Every layer here is active only when called with ``training=True`` (which
``fit`` does) and is the identity otherwise (``predict``, ``evaluate``,
``model(x)``). The random numbers come from ``lamina.random``: a layer given a
``seed`` owns a generator made from it; without one it draws from the global
generator, so ``lamina.utils.set_random_seed`` makes whole runs repeat.

Each layer draws its noise as a plain NumPy array in one method
(``draw_noise``), called as a host step (``noise``), and then combines it with
the inputs with ``lamina.ops``: a traced training step draws new noise for
every batch, in the same order as the eager step, so both drop the same
entries for the same seed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from lamina import ops
from lamina import random as lamina_random
from lamina.autodiff import hooks
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer

__all__ = [
    "AlphaDropout",
    "Dropout",
    "GaussianDropout",
    "GaussianNoise",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "dropout_mask",
]

# The SELU constants (Klambauer et al., 2017), as AlphaDropout uses them.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def dropout_mask(rate: float, shape, generator: np.random.Generator, dtype) -> np.ndarray:
    """The multiplier of one dropout call: ``1 / (1 - rate)`` where kept, ``0`` where dropped.

    An entry is kept when its uniform draw ``u`` in ``[0, 1)`` satisfies
    ``u >= rate`` (Keras's rule), so each entry survives with probability
    ``1 - rate`` and the kept ones are scaled to keep the expected value.
    ``Dropout`` and the fused training kernel both call this, so they drop the
    same entries.

    Args:
        rate: the fraction to drop, in ``[0, 1)``.
        shape: the shape of the mask (the noise shape).
        generator: the ``np.random.Generator`` to draw from.
        dtype: the dtype of the result.

    Example:
        >>> import numpy as np
        >>> m = dropout_mask(0.5, (2, 3), np.random.default_rng(0), "float32")
        >>> sorted(set(m.ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
        True
    """
    keep = generator.random(tuple(shape), dtype=np.float32) >= rate
    scale = np.asarray(1.0 / (1.0 - rate), dtype=dtype)
    return np.multiply(keep, scale, dtype=dtype)


def _check_rate(layer_name: str, rate) -> float:
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        hint = " rate=1 would drop every input; use a value below 1." if rate == 1 else ""
        raise ValueError(
            f"The 'rate' argument of {layer_name} must be a number in [0, 1) (the fraction of "
            f"inputs to drop). Got rate={rate!r} instead.{hint}"
        )
    return rate


def _check_noise_shape(layer_name: str, noise_shape):
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str) or not hasattr(noise_shape, "__iter__"):
        raise ValueError(
            f"The 'noise_shape' argument of {layer_name} must be a tuple of integers or None "
            f"(e.g. (None, 1, 8) to drop whole channels). Got noise_shape={noise_shape!r} instead."
        )
    noise_shape = tuple(noise_shape)
    for i, dim in enumerate(noise_shape):
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim <= 0:
            raise ValueError(
                f"The 'noise_shape' argument of {layer_name} must hold positive integers or None; "
                f"entry {i} is {dim!r}. Got noise_shape={noise_shape!r}."
            )
    return tuple(None if d is None else int(d) for d in noise_shape)


def _concrete_noise_shape(layer, noise_shape, input_shape) -> tuple:
    """``noise_shape`` with each ``None`` replaced by the input's size on that axis."""
    if noise_shape is None:
        return tuple(input_shape)
    if len(noise_shape) != len(input_shape):
        raise ValueError(
            f"{type(layer).__name__} '{layer.name}' has noise_shape={noise_shape}, which has "
            f"{len(noise_shape)} dimensions, but its inputs have shape {tuple(input_shape)}. "
            "Give noise_shape one entry per input dimension (None keeps the input's size)."
        )
    shape = tuple(n if d is None else d for d, n in zip(noise_shape, input_shape))
    for d, n in zip(shape, input_shape):
        if d != 1 and d != n:
            raise ValueError(
                f"{type(layer).__name__} '{layer.name}': noise_shape={noise_shape} does not "
                f"broadcast to the input shape {tuple(input_shape)}; each entry must be 1, None "
                "or the input's size."
            )
    return shape


class _NoiseLayer(Layer):
    """Shared plumbing: a generator from ``seed`` (or the global one) and shape passthrough."""

    def _init_seed(self, seed) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(
                f"The 'seed' argument of {type(self).__name__} must be an integer or None. "
                f"Got seed={seed!r} instead."
            )
        self.seed = None if seed is None else int(seed)
        self.seed_generator = None if seed is None else lamina_random.SeedGenerator(self.seed)

    def generator(self) -> np.random.Generator:
        """The generator this layer draws from: its own (from ``seed``) or lamina's global one."""
        return lamina_random.make_generator(self.seed_generator)

    def _normal_noise(self, input_shape, stddev, dtype) -> np.ndarray:
        """``stddev * N(0, 1)`` of ``input_shape``: drawn in float32, scaled in ``dtype``."""
        z = self.generator().standard_normal(tuple(input_shape), dtype=np.float32)
        return np.multiply(z, np.asarray(stddev, dtype=dtype), dtype=dtype)

    def noise(self, inputs):
        """This call's draw (``draw_noise``), as a host step: a traced step draws anew each batch."""
        return hooks.host(self.draw_noise, tuple(inputs.shape), inputs.dtype)

    def is_active(self, training) -> bool:
        """Whether a call with this ``training`` flag adds noise."""
        raise NotImplementedError

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class Dropout(_NoiseLayer):
    """Sets a random fraction ``rate`` of its inputs to 0 during training.

    The kept inputs are scaled by ``1 / (1 - rate)``, so the expected value of
    every output equals its input:

        ``output = inputs * mask / (1 - rate)``, ``mask ~ Bernoulli(1 - rate)``.

    Only active when called with ``training=True`` (``fit`` does this); the
    identity in ``predict``, ``evaluate`` and ``model(x)``.

    Args:
        rate: fraction of the inputs to drop, in ``[0, 1)``.
        noise_shape: shape of the mask, broadcast over the inputs; ``None``
            entries take the input's size. ``(None, 1, 8)`` on inputs of shape
            ``(batch, steps, 8)`` drops the same features at every step.
        seed: an integer for a generator of this layer's own; ``None`` draws
            from lamina's global generator (see ``lamina.utils.set_random_seed``).

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.Dropout(0.5, seed=0)
        >>> x = np.ones((2, 4), dtype="float32")
        >>> layer(x).numpy()  # inference: unchanged
        array([[1., 1., 1., 1.],
               [1., 1., 1., 1.]], dtype=float32)
        >>> sorted(set(layer(x, training=True).numpy().ravel().tolist()))
        [0.0, 2.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        self.rate = _check_rate(type(self).__name__, rate)
        self.noise_shape = _check_noise_shape(type(self).__name__, noise_shape)
        self._init_seed(seed)

    def is_active(self, training) -> bool:
        return bool(training) and self.rate > 0

    def _mask_shape(self, input_shape) -> tuple:
        return _concrete_noise_shape(self, self.noise_shape, input_shape)

    def draw_noise(self, input_shape, dtype) -> np.ndarray:
        """The scaled keep-mask for inputs of ``input_shape`` (see ``dropout_mask``)."""
        return dropout_mask(self.rate, self._mask_shape(input_shape), self.generator(), dtype)

    def call(self, inputs, training=False):
        if not self.is_active(training):
            return inputs
        return ops.multiply(inputs, self.noise(inputs))

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(rate=self.rate, seed=self.seed, noise_shape=self.noise_shape)
        return config_


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per (sample, channel)."""

    _ndim = 3

    def __init__(self, rate, seed=None, name=None, dtype=None, data_format=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)
        data_format = "channels_last" if data_format is None else str(data_format).lower()
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"The 'data_format' argument of {type(self).__name__} must be 'channels_last' "
                f"or 'channels_first'. Got data_format={data_format!r} instead."
            )
        self.data_format = data_format
        self.input_spec = InputSpec(ndim=self._ndim)

    def _mask_shape(self, input_shape) -> tuple:
        shape = tuple(input_shape)
        spatial = (1,) * (len(shape) - 2)
        if self.data_format == "channels_first":
            return (shape[0], shape[1]) + spatial
        return (shape[0],) + spatial + (shape[-1],)

    def get_config(self) -> dict:
        # Keras writes only these keys for the spatial dropouts.
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class SpatialDropout1D(_SpatialDropout):
    """Dropout of whole channels of a sequence: inputs ``(batch, steps, channels)``.

    The same channels are dropped at every step of a sample (kept ones are
    scaled by ``1 / (1 - rate)``). Active only with ``training=True``.

    Args:
        rate: fraction of the channels to drop, in ``[0, 1)``.
        seed: an integer for a generator of this layer's own, or ``None``.

    Example:
        >>> import numpy as np, lamina
        >>> y = lamina.layers.SpatialDropout1D(0.5, seed=1)(np.ones((1, 3, 4)), training=True)
        >>> bool((y.numpy() == y.numpy()[:, :1, :]).all())  # same mask at every step
        True
    """

    _ndim = 3

    def __init__(self, rate, seed=None, name=None, dtype=None, **kwargs):
        super().__init__(rate, seed=seed, name=name, dtype=dtype, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    """Dropout of whole 2-D feature maps: inputs ``(batch, rows, cols, channels)``.

    Args:
        rate: fraction of the channels to drop, in ``[0, 1)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: an integer for a generator of this layer's own, or ``None``.

    Example:
        >>> import numpy as np, lamina
        >>> lamina.layers.SpatialDropout2D(0.5)(np.ones((1, 2, 2, 3))).shape
        (1, 2, 2, 3)
    """

    _ndim = 4

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["data_format"] = self.data_format
        return config_


class SpatialDropout3D(SpatialDropout2D):
    """Dropout of whole 3-D feature maps: inputs ``(batch, d1, d2, d3, channels)``.

    Args:
        rate: fraction of the channels to drop, in ``[0, 1)``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: an integer for a generator of this layer's own, or ``None``.

    Example:
        >>> import numpy as np, lamina
        >>> lamina.layers.SpatialDropout3D(0.5)(np.ones((1, 2, 2, 2, 3))).shape
        (1, 2, 2, 2, 3)
    """

    _ndim = 5


class GaussianNoise(_NoiseLayer):
    """Adds zero-centred Gaussian noise during training: ``inputs + stddev * N(0, 1)``.

    A way to fight overfitting on real-valued inputs (data augmentation by
    jitter). Active only when called with ``training=True``.

    Args:
        stddev: the standard deviation of the noise (a number >= 0).
        seed: an integer for a generator of this layer's own, or ``None``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.GaussianNoise(0.1, seed=0)
        >>> bool((layer(np.zeros((2, 3))).numpy() == 0).all())
        True
        >>> bool((layer(np.zeros((2, 3)), training=True).numpy() != 0).all())
        True
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real) or not (
            math.isfinite(stddev) and stddev >= 0
        ):
            raise ValueError(
                "The 'stddev' argument of GaussianNoise must be a finite number >= 0 (the "
                f"standard deviation of the added noise). Got stddev={stddev!r} instead."
            )
        self.stddev = stddev
        self._init_seed(seed)

    def is_active(self, training) -> bool:
        return bool(training) and self.stddev > 0

    def draw_noise(self, input_shape, dtype) -> np.ndarray:
        """The additive noise ``stddev * N(0, 1)`` for inputs of ``input_shape``."""
        return self._normal_noise(input_shape, self.stddev, dtype)

    def call(self, inputs, training=False):
        if not self.is_active(training):
            return inputs
        return ops.add(inputs, self.noise(inputs))

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(stddev=self.stddev, seed=self.seed)
        return config_


class GaussianDropout(_NoiseLayer):
    """Multiplies its inputs by Gaussian noise of mean 1 during training.

    ``output = inputs * N(1, sqrt(rate / (1 - rate)))``: the same mean and
    variance as ``Dropout(rate)``'s multiplier, without exact zeros. Active
    only when called with ``training=True``.

    Args:
        rate: the equivalent drop probability, in ``[0, 1)``.
        seed: an integer for a generator of this layer's own, or ``None``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.GaussianDropout(0.2, seed=0)
        >>> layer(np.ones((1, 3), dtype="float32")).numpy()
        array([[1., 1., 1.]], dtype=float32)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        self.rate = _check_rate("GaussianDropout", rate)
        self._init_seed(seed)

    def is_active(self, training) -> bool:
        return bool(training) and self.rate > 0

    def draw_noise(self, input_shape, dtype) -> np.ndarray:
        """The multiplier ``1 + sqrt(rate / (1 - rate)) * N(0, 1)`` for ``input_shape``."""
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        z = self._normal_noise(input_shape, stddev, dtype)
        z += np.asarray(1.0, dtype=dtype)
        return z

    def call(self, inputs, training=False):
        if not self.is_active(training):
            return inputs
        return ops.multiply(inputs, self.noise(inputs))

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(rate=self.rate, seed=self.seed)
        return config_


class AlphaDropout(_NoiseLayer):
    """Dropout for self-normalizing (SELU) networks: keeps mean and variance of its inputs.

    Dropped entries are set to SELU's negative saturation value
    ``alpha' = -scale * alpha`` instead of 0, then an affine map restores the
    mean and variance:

        ``x' = inputs * keep + alpha' * (1 - keep)``, ``output = a * x' + b``,

    with ``a = ((1 - rate) * (1 + rate * alpha'^2)) ** -0.5`` and
    ``b = -a * alpha' * rate``. Active only when called with ``training=True``.

    Args:
        rate: fraction of the inputs to drop, in ``[0, 1)``.
        noise_shape: shape of the keep-mask (``None`` entries: the input's size).
        seed: an integer for a generator of this layer's own, or ``None``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.AlphaDropout(0.1, seed=0)
        >>> layer(np.ones((1, 2), dtype="float32")).numpy()
        array([[1., 1.]], dtype=float32)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # (masks pass through, as in Keras)
        self.rate = _check_rate("AlphaDropout", rate)
        self.noise_shape = _check_noise_shape("AlphaDropout", noise_shape)
        self._init_seed(seed)

    def is_active(self, training) -> bool:
        return bool(training) and self.rate > 0

    def draw_noise(self, input_shape, dtype):
        """``(multiplier, offset)`` arrays with ``output = inputs * multiplier + offset``."""
        shape = _concrete_noise_shape(self, self.noise_shape, input_shape)
        keep = self.generator().random(shape, dtype=np.float32) >= self.rate
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        multiplier = np.where(keep, a, 0.0).astype(dtype)
        offset = np.where(keep, b, a * alpha_p + b).astype(dtype)
        return multiplier, offset

    def call(self, inputs, training=False):
        if not self.is_active(training):
            return inputs
        multiplier, offset = self.noise(inputs)
        return ops.add(ops.multiply(inputs, multiplier), offset)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(rate=self.rate, seed=self.seed, noise_shape=self.noise_shape)
        return config_
