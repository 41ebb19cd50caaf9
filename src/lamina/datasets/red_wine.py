"""The Red Wine Quality data set (1599 wines, 11 measurements, quality 3-8).

P. Cortez et al., "Modeling wine preferences by data mining from physicochemical
properties", Decision Support Systems 47(4), 2009; UCI Machine Learning
Repository. Licence CC BY 4.0.

Example:
    >>> from lamina.datasets import red_wine
    >>> (x_train, y_train), (x_valid, y_valid) = red_wine.load_data()
    >>> x_train.shape, x_valid.shape
    ((1119, 11), (480, 11))
"""

from __future__ import annotations

import numpy as np

from lamina.datasets import _csv

__all__ = ["FEATURES", "TARGET", "load_data", "load_frame"]

FILENAME = "winequality-red.csv"
TARGET = "quality"
FEATURES = (
    "fixed acidity", "volatile acidity", "citric acid", "residual sugar", "chlorides",
    "free sulfur dioxide", "total sulfur dioxide", "density", "pH", "sulphates", "alcohol",
)


def load_frame():
    """All 1599 rows as a pandas DataFrame (needs pandas)."""
    return _csv.read_frame(FILENAME, ";")


def load_data(train_fraction: float = 0.7, seed: int = 0, scale: bool = True):
    """The tutorial's split: ``df.sample(frac=0.7, random_state=0)`` for training, the rest for
    validation, then every column (the ``quality`` target too) min-max scaled with the training
    set's min and max, exactly as the tutorial prepares the DataFrame.

    Args:
        train_fraction: share of rows used for training.
        seed: the ``random_state`` of the split.
        scale: min-max scale the columns (as the tutorial does); ``False`` keeps raw values,
            with ``quality`` from 3 to 8.

    Returns:
        ``(x_train, y_train), (x_valid, y_valid)`` as float32 arrays; y is ``quality``.
    """
    header, columns = _csv.read_columns(FILENAME, ";")
    x = np.stack([columns[name] for name in FEATURES], axis=1)
    y = columns[TARGET]
    train, rest = _csv.sample_split(len(y), train_fraction, seed)
    x_train, x_valid, y_train, y_valid = x[train], x[rest], y[train], y[rest]
    if scale:
        from lamina.datasets import minmax_scale

        x_train, x_valid = minmax_scale(x_train, x_valid)
        y_train, y_valid = minmax_scale(y_train[:, None], y_valid[:, None])
        y_train, y_valid = y_train[:, 0], y_valid[:, 0]
    return ((x_train.astype("float32"), y_train.astype("float32")),
            (x_valid.astype("float32"), y_valid.astype("float32")))
