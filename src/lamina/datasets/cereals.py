"""The "80 Cereals" data set: nutrition facts of 77 breakfast cereals.

Originally from the 1993 ASA Statistical Graphics Exposition (Carnegie Mellon
StatLib). Licence CC BY-SA 3.0. The tutorial predicts ``calories`` from
``sugars``, ``fiber`` and ``protein``.

Example:
    >>> from lamina.datasets import cereals
    >>> (x_train, y_train), (x_test, y_test) = cereals.load_data()
    >>> x_train.shape[1]
    3
"""

from __future__ import annotations

import numpy as np

from lamina.datasets import _csv

__all__ = ["FEATURES", "TARGET", "load_data", "load_frame"]

FILENAME = "cereal.csv"
TARGET = "calories"
FEATURES = ("sugars", "fiber", "protein")


def load_frame():
    """All 77 rows as a pandas DataFrame (needs pandas)."""
    return _csv.read_frame(FILENAME, ",")


def load_data(features=FEATURES, target: str = TARGET, train_fraction: float = 0.7,
              seed: int = 0):
    """``(x_train, y_train), (x_test, y_test)`` as float32 arrays, split as ``df.sample``.

    Args:
        features: the input columns (default sugars, fiber, protein).
        target: the column to predict (default calories).
        train_fraction: share of rows used for training.
        seed: the ``random_state`` of the split.
    """
    header, columns = _csv.read_columns(FILENAME, ",")
    for name in (*features, target):
        if name not in columns or columns[name].dtype == object:
            numeric = [h for h in header if columns[h].dtype != object]
            raise ValueError(
                f"cereals.load_data: {name!r} is not a numeric column. Numeric columns: {numeric}."
            )
    x = np.stack([columns[name] for name in features], axis=1)
    y = columns[target]
    train, rest = _csv.sample_split(len(y), train_fraction, seed)
    return ((x[train].astype("float32"), y[train].astype("float32")),
            (x[rest].astype("float32"), y[rest].astype("float32")))
