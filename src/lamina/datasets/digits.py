"""The 8x8 handwritten digits: 1,797 small grayscale images, pixels 0..16 (bundled).

The test set of "Optical Recognition of Handwritten Digits" (E. Alpaydin, C.
Kaynak, 1998; UCI Machine Learning Repository), as scikit-learn ships it:
32x32 bitmaps from 43 writers, each 4x4 block counted into one pixel. Licence
CC BY 4.0. MNIST's little sibling: a convolutional or dense classifier trains on
it in seconds, with no download.

Example:
    >>> from lamina.datasets import digits
    >>> (x_train, y_train), (x_test, y_test) = digits.load_data()
    >>> x_train.shape, x_test.shape, int(x_train.max())
    ((1438, 8, 8), (359, 8, 8), 16)
"""

from __future__ import annotations

import gzip

import numpy as np

from lamina.datasets import _csv

__all__ = ["COLUMNS", "FILENAME", "IMAGE_SHAPE", "MAX_VALUE", "TARGET", "load_data",
           "load_frame"]

FILENAME = "digits.csv.gz"
IMAGE_SHAPE = (8, 8)
MAX_VALUE = 16
TARGET = "target"
COLUMNS = tuple(f"pixel_{r}_{c}" for r in range(8) for c in range(8)) + (TARGET,)


def _read():
    with gzip.open(_csv.path(FILENAME), "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    return table[:, :64].astype(np.uint8).reshape(-1, 8, 8), table[:, 64]


def load_frame():
    """All 1,797 rows as a pandas DataFrame: ``pixel_0_0`` .. ``pixel_7_7`` and ``target``."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "load_frame() needs pandas: `pip install pandas`. Without it, use load_data(), "
            "which returns NumPy arrays."
        ) from None
    x, y = _read()
    table = np.column_stack([x.reshape(len(y), 64).astype(np.int64), y])
    return pd.DataFrame(table, columns=list(COLUMNS))


def load_data(test_split: float = 0.2, seed: int = 0):
    """``(x_train, y_train), (x_test, y_test)``, split by class (stratified) and shuffled.

    Each digit gives ``round(test_split * its count)`` images to the test set, so
    both sets hold the ten digits in the same proportions; which images is drawn
    by ``np.random.RandomState(seed)``. The default gives 1,438 training and 359
    test images; the same ``seed`` gives the same split on every machine.

    Args:
        test_split: the share of each digit's images in the test set (0 <= test_split < 1;
            0 gives an empty test set).
        seed: the seed of the split and of the shuffle.

    Returns:
        uint8 images ``(n, 8, 8)`` with pixels 0..16, and int64 labels 0..9.
    """
    if not 0 <= float(test_split) < 1:
        raise ValueError(
            "The 'test_split' argument of digits.load_data must be in [0, 1), e.g. 0.2. "
            f"Got {test_split!r} instead."
        )
    x, y = _read()
    order = np.random.RandomState(seed).permutation(len(y))
    test = np.zeros(len(y), dtype=bool)
    for label in range(10):
        rows = order[y[order] == label]  # this digit's images, in shuffled order
        test[rows[:int(round(test_split * len(rows)))]] = True
    train_rows, test_rows = order[~test[order]], order[test[order]]
    return (x[train_rows], y[train_rows]), (x[test_rows], y[test_rows])
