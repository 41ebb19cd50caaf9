"""The split shared by ``boston_housing`` and ``california_housing`` (Keras's order and sizes)."""

from __future__ import annotations

import numpy as np

from lamina.datasets import _keras_cache

__all__ = ["check_test_split", "read_xy", "split"]


def check_test_split(dataset: str, test_split) -> None:
    """``test_split`` must be a number in [0, 1), as Keras requires."""
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) \
            or not 0 <= test_split < 1:
        raise ValueError(
            f"The 'test_split' argument of {dataset}.load_data() must be a number in [0, 1) "
            f"(the fraction of rows held out for testing). Got {test_split!r} instead."
        )


def read_xy(found: str, dataset: str, origin: str):
    """The arrays ``x`` and ``y`` of a housing ``.npz`` (numbers only, no pickles)."""
    try:
        with np.load(found, allow_pickle=False) as f:
            return f["x"], f["y"]
    except (KeyError, ValueError, OSError) as err:
        raise ValueError(f"'{found}' is not Keras's {dataset}.npz (arrays x and y): {err}. "
                         f"Download {origin} again.") from None


def split(x, y, test_split, seed):
    """Shuffle with ``np.random.RandomState(seed)``; the first ``int(n * (1 - test_split))`` train."""
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    n = int(len(x) * (1 - test_split))
    return (np.array(x[:n]), np.array(y[:n])), (np.array(x[n:]), np.array(y[n:]))


def locate(path, dataset, what, origin, size):
    """The file's path in Keras's cache, or the error that says where to put it."""
    return _keras_cache.locate(path, dataset, what, origin, size)
