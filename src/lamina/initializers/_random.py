"""Random initializers: normal, uniform, truncated normal, variance scaling, orthogonal.

Seeding: an int ``seed`` gives the same values on every call (a fresh
generator per call, as Keras does); a ``lamina.random.SeedGenerator`` gives a
new draw on each call; ``seed=None`` draws from lamina's global generator, so
``lamina.utils.set_random_seed`` makes the values repeatable.
"""

from __future__ import annotations

import math

import numpy as np

from lamina import random as lamina_random
from lamina.initializers._base import Initializer, standardize_dtype, standardize_shape

# Standard deviation of a standard normal truncated to [-2, 2]: dividing by it
# gives a truncated normal the intended standard deviation.
_TRUNCATED_STD = 0.87962566103423978


def _truncated_standard_normal(rng: np.random.Generator, shape) -> np.ndarray:
    """Standard normal draws, redrawing those beyond 2 standard deviations."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2.0
    while outside.any():
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2.0
    return z


class RandomInitializer(Initializer):
    """Base of the seeded initializers: stores ``seed`` and makes the generator for each call.

    Args:
        seed: an int, a ``lamina.random.SeedGenerator``, or ``None``.
    """

    def __init__(self, seed=None):
        if isinstance(seed, dict):  # a serialized SeedGenerator
            seed = lamina_random.SeedGenerator(**seed.get("config", {}))
        if not (seed is None or isinstance(seed, (int, np.integer, lamina_random.SeedGenerator))):
            raise ValueError(
                f"The 'seed' argument of {type(self).__name__} must be an int, a "
                f"lamina.random.SeedGenerator or None. Got {seed!r} of type "
                f"{type(seed).__name__} instead."
            )
        self.seed = int(seed) if isinstance(seed, np.integer) else seed

    def _generator(self) -> np.random.Generator:
        return lamina_random.make_generator(self.seed)

    def _seed_config(self):
        if isinstance(self.seed, lamina_random.SeedGenerator):
            return {"class_name": "SeedGenerator", "config": self.seed.get_config()}
        return self.seed

    def get_config(self) -> dict:
        """Return ``{"seed": seed}``."""
        return {"seed": self._seed_config()}

    def _prepare(self, shape, dtype):
        name = type(self).__name__
        return standardize_shape(shape, name), standardize_dtype(dtype, name, float_only=True)


class _NormalInitializer(RandomInitializer):
    """Shared by the initializers with a ``mean`` and a ``stddev``."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def get_config(self) -> dict:
        """Return ``{"seed", "mean", "stddev"}``."""
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomNormal(_NormalInitializer):
    """Draw from a normal distribution ``N(mean, stddev**2)``.

    Args:
        mean: the mean.
        stddev: the standard deviation.
        seed: an int (same values on every call), a SeedGenerator, or ``None``.

    Example:
        >>> from lamina import initializers
        >>> init = initializers.RandomNormal(stddev=1.0, seed=0)
        >>> bool((init((3,)) == init((3,))).all())
        True
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return normal draws of ``shape`` in float ``dtype``."""
        shape, dt = self._prepare(shape, dtype)
        return self._generator().normal(self.mean, self.stddev, shape).astype(dt)


class TruncatedNormal(_NormalInitializer):
    """Draw from ``N(mean, stddev**2)``, redrawing values more than ``2 * stddev`` from the mean.

    The result's standard deviation is about ``0.88 * stddev``.

    Args:
        mean: the mean.
        stddev: the standard deviation before truncation.
        seed: an int (same values on every call), a SeedGenerator, or ``None``.

    Example:
        >>> from lamina import initializers
        >>> w = initializers.TruncatedNormal(stddev=1.0, seed=1)((1000,))
        >>> bool(abs(w).max() <= 2.0)
        True
    """

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return truncated normal draws of ``shape`` in float ``dtype``."""
        shape, dt = self._prepare(shape, dtype)
        z = _truncated_standard_normal(self._generator(), shape)
        return (self.mean + self.stddev * z).astype(dt)


class RandomUniform(RandomInitializer):
    """Draw uniformly from ``[minval, maxval)``.

    Args:
        minval: the lower bound (inclusive).
        maxval: the upper bound (exclusive).
        seed: an int (same values on every call), a SeedGenerator, or ``None``.

    Example:
        >>> from lamina import initializers
        >>> w = initializers.RandomUniform(-1.0, 1.0, seed=0)((1000,))
        >>> bool(w.min() >= -1.0 and w.max() < 1.0)
        True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return uniform draws of ``shape`` in float ``dtype``."""
        shape, dt = self._prepare(shape, dtype)
        return self._generator().uniform(self.minval, self.maxval, shape).astype(dt)

    def get_config(self) -> dict:
        """Return ``{"seed", "minval", "maxval"}``."""
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a weight of ``shape``, as Keras counts them.

    A 1-D shape ``(n,)`` has both fans ``n``; a 2-D ``(in, out)`` kernel has
    ``in`` and ``out``; a convolution kernel ``(*window, in, out)`` multiplies
    both by the window size. ``input_axes`` and ``output_axes`` (both) pick the
    axes to multiply instead.

    Example:
        >>> from lamina.initializers import compute_fans
        >>> compute_fans((3, 3, 16, 32))
        (144, 288)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (
            int(np.prod([shape[a] for a in input_axes])),
            int(np.prod([shape[a] for a in output_axes])),
        )
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    window = int(np.prod(shape[:-2]))
    return shape[-2] * window, shape[-1] * window


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(RandomInitializer):
    """Random values whose variance is ``scale / n``, with ``n`` the layer's fan.

    ``n`` is ``fan_in``, ``fan_out`` or their mean (``mode``), each at least 1.
    ``distribution="truncated_normal"`` draws from a normal truncated at 2 standard
    deviations with ``stddev = sqrt(scale / n) / 0.87962566103423978`` (so the
    truncated result has standard deviation ``sqrt(scale / n)``);
    ``"untruncated_normal"`` uses ``stddev = sqrt(scale / n)``; ``"uniform"``
    draws from ``[-limit, limit)`` with ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"`` (``"normal"`` is accepted as the same),
            ``"untruncated_normal"`` or ``"uniform"``.
        seed: an int (same values on every call), a SeedGenerator, or ``None``.
        input_axes, output_axes: optional axes that make up the fans (see ``compute_fans``).

    Example:
        >>> from lamina import initializers
        >>> init = initializers.VarianceScaling(scale=2.0, distribution="uniform", seed=0)
        >>> bool(abs(init((6, 4))).max() < 1.0)
        True
    """

    def __init__(
        self,
        scale=1.0,
        mode="fan_in",
        distribution="truncated_normal",
        seed=None,
        input_axes=None,
        output_axes=None,
    ):
        if not scale > 0.0:
            raise ValueError(
                f"The 'scale' argument of VarianceScaling must be a positive float. "
                f"Got scale={scale!r} instead."
            )
        if mode not in _MODES:
            raise ValueError(
                f"The 'mode' argument of VarianceScaling must be one of {_MODES}. "
                f"Got mode={mode!r} instead."
            )
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"The 'distribution' argument of VarianceScaling must be one of "
                f"{_DISTRIBUTIONS}. Got distribution={distribution!r} instead."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return draws of ``shape`` in float ``dtype`` scaled to the shape's fans."""
        shape, dt = self._prepare(shape, dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, fan[self.mode])
        rng = self._generator()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STD
            values = stddev * _truncated_standard_normal(rng, shape)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dt)

    def get_config(self) -> dict:
        """Return the constructor arguments."""
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling preset: only ``seed`` and the fan axes are arguments."""

    _preset: tuple = ()

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._preset
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes)

    def get_config(self) -> dict:
        """Return ``{"seed", "input_axes", "output_axes"}``."""
        return {
            "seed": self._seed_config(),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: ``U(-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``.

    The default kernel initializer of Dense and convolution layers.

    Example:
        >>> from lamina import initializers
        >>> w = initializers.GlorotUniform(seed=0)((4, 2))
        >>> bool(abs(w).max() <= 1.0)
        True
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``.

    Example:
        >>> from lamina import initializers
        >>> initializers.GlorotNormal(seed=0)((4, 2)).shape
        (4, 2)
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)``; suits ReLU layers.

    Example:
        >>> from lamina import initializers
        >>> initializers.HeNormal(seed=0)((4, 2)).dtype
        dtype('float32')
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: ``U(-limit, limit)`` with ``limit = sqrt(6 / fan_in)``.

    Example:
        >>> from lamina import initializers
        >>> w = initializers.HeUniform(seed=0)((6, 2))
        >>> bool(abs(w).max() <= 1.0)
        True
    """

    _preset = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with ``stddev = sqrt(1 / fan_in)``; pairs with ``selu``.

    Example:
        >>> from lamina import initializers
        >>> initializers.LecunNormal(seed=0)((4, 2)).shape
        (4, 2)
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: ``U(-limit, limit)`` with ``limit = sqrt(3 / fan_in)``.

    Example:
        >>> from lamina import initializers
        >>> w = initializers.LecunUniform(seed=0)((3, 2))
        >>> bool(abs(w).max() <= 1.0)
        True
    """

    _preset = (1.0, "fan_in", "uniform")


class Orthogonal(RandomInitializer):
    """A random orthogonal matrix times ``gain`` (orthonormal rows or columns, whichever fit).

    A shape ``(*dims, cols)`` is treated as a ``(prod(dims), cols)`` matrix: the
    QR decomposition of a Gaussian matrix, with the signs of ``R``'s diagonal
    folded into ``Q`` so that the result is uniformly distributed.

    Args:
        gain: multiplies the matrix.
        seed: an int (same values on every call), a SeedGenerator, or ``None``.

    Example:
        >>> import numpy as np
        >>> from lamina import initializers
        >>> q = initializers.Orthogonal(seed=0)((3, 3), dtype="float64")
        >>> np.allclose(q.T @ q, np.eye(3))
        True
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None) -> np.ndarray:
        """Return an orthogonal matrix (reshaped to ``shape``) in float ``dtype``."""
        shape, dt = self._prepare(shape, dtype)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a shape with at least 2 dimensions; got "
                f"shape={shape}. For a 1-D weight use e.g. RandomNormal or Zeros."
            )
        rows, cols = int(np.prod(shape[:-1])), shape[-1]
        a = self._generator().standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dt)

    def get_config(self) -> dict:
        """Return ``{"seed", "gain"}``."""
        return {**super().get_config(), "gain": self.gain}
