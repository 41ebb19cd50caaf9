"""Seeded randomness (Keras's ``keras.random``): generators, and tensors of random numbers.

lamina draws every random number from NumPy ``Generator`` objects it owns and
never touches NumPy's global state. ``lamina.utils.set_random_seed(seed)``
resets the global generator, which makes CPU runs bit-identical. An object
given its own ``seed`` (an initializer, a Dropout layer) uses a generator of
its own made from that seed.

``normal``, ``uniform``, ``truncated_normal``, ``randint``, ``categorical``,
``dropout``, ``shuffle`` are Keras's functions. ``seed`` may be a
``SeedGenerator`` (each call draws new numbers from it), ``None`` (the global
generator) or an int (the same numbers at every call, as in Keras). Each
draw is a host step of a traced training step (``lamina.autodiff.hooks``),
so a replayed plan draws new numbers every batch, in the order the eager
step would.

Example:
    >>> from lamina import random
    >>> random.set_global_seed(1); a = random.global_generator().random()
    >>> random.set_global_seed(1); a == random.global_generator().random()
    True
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeedGenerator", "categorical", "set_random_seed", "dropout", "global_generator", "make_generator",
           "normal", "randint", "set_global_seed", "shuffle", "truncated_normal", "uniform"]

_GLOBAL = [np.random.default_rng()]


def set_global_seed(seed: int) -> None:
    """Reset lamina's global generator to ``seed``."""
    _GLOBAL[0] = np.random.default_rng(int(seed))


def global_generator() -> np.random.Generator:
    """The generator used by everything that was not given a seed of its own."""
    return _GLOBAL[0]


class SeedGenerator:
    """A seeded stream of random numbers owned by one object (Keras's ``SeedGenerator``).

    Args:
        seed: an int, or ``None`` to draw the seed from the global generator.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs):
        if seed is None:
            seed = int(global_generator().integers(0, 2**31 - 1))
        self.seed = int(seed)
        self.name = name
        self.generator = np.random.default_rng(self.seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


def set_random_seed(seed: int) -> None:
    """Make lamina's runs repeatable: seeds initialization, shuffling and dropout.

    Resets lamina's own generator and, as Keras's function does, also seeds
    Python's ``random`` and NumPy's global state, so that a script's own
    sampling repeats too. lamina never reseeds anything unless asked.

    Args:
        seed: a non-negative integer.

    Example:
        >>> import lamina
        >>> lamina.utils.set_random_seed(0)
    """
    import random

    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"The 'seed' argument of set_random_seed must be a non-negative integer. "
            f"Got {seed!r} instead."
        )
    set_global_seed(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % (2**32))


def make_generator(seed) -> np.random.Generator:
    """A generator for ``seed``: an int, a ``SeedGenerator``, a Generator, or ``None`` (global)."""
    if seed is None:
        return global_generator()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(int(seed))


# -- tensors of random numbers (keras.random) ----------------------------------------------------

def _dtype(dtype, default=None):
    from lamina import config

    return np.dtype(getattr(dtype, "name", dtype) or default or config.floatx())


def _shape(shape) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _draw(kind, seed, shape, dtype, a, b):
    """One draw of ``kind`` from ``seed``'s generator (the host function of a traced step)."""
    gen = make_generator(seed)
    if kind == "normal":
        return gen.normal(a, b, shape).astype(dtype)
    if kind == "uniform":
        return gen.uniform(a, b, shape).astype(dtype)
    if kind == "truncated_normal":  # resampled until within two standard deviations
        z = gen.standard_normal(shape)
        bad = np.abs(z) > 2.0
        while bad.any():
            z[bad] = gen.standard_normal(int(bad.sum()))
            bad = np.abs(z) > 2.0
        return (a + b * z).astype(dtype)
    if kind == "randint":
        return gen.integers(a, b, shape).astype(dtype)
    raise ValueError(kind)


def _tensor(array):
    from lamina.autodiff.tensor import Tensor

    return array if isinstance(array, Tensor) else Tensor(array)


def _sample(kind, shape, dtype, a, b, seed):
    from lamina.autodiff import hooks

    return _tensor(hooks.host(_draw, kind, seed, _shape(shape), dtype, a, b))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from ``N(mean, stddev^2)`` of ``shape`` (``floatx`` unless ``dtype`` is given).

    Example:
        >>> from lamina import random
        >>> random.normal((2, 3), seed=1).shape
        (2, 3)
    """
    return _sample("normal", shape, _dtype(dtype), float(mean), float(stddev), seed)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from the uniform distribution on ``[minval, maxval)``."""
    return _sample("uniform", shape, _dtype(dtype), float(minval), float(maxval), seed)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from ``N(mean, stddev^2)`` with values beyond two standard deviations redrawn."""
    return _sample("truncated_normal", shape, _dtype(dtype), float(mean), float(stddev), seed)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from ``[minval, maxval)``."""
    return _sample("randint", shape, _dtype(dtype, "int32"), int(minval), int(maxval), seed)


def _categorical(logits, num_samples, dtype, seed):
    logits = np.asarray(logits, dtype=np.float64)
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    gen = make_generator(seed)
    cumulative = np.cumsum(p, axis=-1)
    u = gen.random((logits.shape[0], int(num_samples)))
    return (u[..., None] > cumulative[:, None, :]).sum(axis=-1).astype(dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` (unnormalized log-probabilities)."""
    from lamina.autodiff import hooks

    return _tensor(hooks.host(_categorical, logits, int(num_samples),
                              _dtype(dtype, "int32"), seed, arrays=True))


def _keep_mask(rate, shape, dtype, seed):
    keep = make_generator(seed).random(shape, dtype=np.float32) >= rate
    return np.multiply(keep, np.asarray(1.0 / (1.0 - rate), dtype=dtype), dtype=dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with a fraction ``rate`` of entries set to 0, the others scaled by ``1/(1-rate)``."""
    from lamina import ops
    from lamina.autodiff import hooks

    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"The 'rate' argument of dropout must be in [0, 1). Got {rate!r} instead.")
    shape = tuple(ops.shape(inputs)) if noise_shape is None else tuple(
        s if n is None else int(n) for s, n in zip(ops.shape(inputs), noise_shape))
    mask = hooks.host(_keep_mask, float(rate), shape, np.dtype(ops.dtype(inputs)), seed)
    return ops.multiply(inputs, mask)


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order."""
    from lamina import ops
    from lamina.autodiff import hooks

    n = ops.shape(x)[axis]
    order = hooks.host(_permutation, n, seed)
    return ops.take(x, order, axis=axis)


def _permutation(n, seed):
    return make_generator(seed).permutation(n)


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
