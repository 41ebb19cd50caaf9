"""``lamina.datasets``: the tutorials' data sets, bundled with the package.

``red_wine`` (regression, 1599 rows), ``cereals`` (77 rows) and ``digits``
(1,797 8x8 images); see ``data/README.md`` for sources and licences. ``ages``
generates the second tutorial's made-up side-effects trial (2,100 people).
``mnist``, ``fashion_mnist``, ``cifar10``, ``cifar100``, ``imdb``, ``reuters``,
``boston_housing`` and ``california_housing`` are Keras's downloaded sets, read
from Keras's cache folder (lamina does not download).
"""

from __future__ import annotations

import numpy as np

from lamina.datasets import (
    ages,
    boston_housing,
    california_housing,
    cereals,
    cifar10,
    cifar100,
    digits,
    fashion_mnist,
    imdb,
    mnist,
    red_wine,
    reuters,
)

__all__ = ["ages", "boston_housing", "california_housing", "cereals", "cifar10", "cifar100",
           "digits", "fashion_mnist", "imdb", "minmax_scale", "mnist", "red_wine", "reuters"]


def minmax_scale(train, *others):
    """Scale columns to [0, 1] with the training set's min and max, as the tutorial does.

    Args:
        train: the training features, used for the min and max.
        *others: more arrays scaled with the same numbers.

    Returns:
        The scaled training array, followed by the scaled others.

    Example:
        >>> import numpy as np
        >>> from lamina.datasets import minmax_scale
        >>> minmax_scale(np.array([[0.0], [2.0]]), np.array([[1.0]]))[1]
        array([[0.5]])
    """
    train = np.asarray(train, dtype=np.float64)
    lo, hi = train.min(axis=0), train.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    out = [(train - lo) / span] + [(np.asarray(o, dtype=np.float64) - lo) / span for o in others]
    return tuple(out)


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
