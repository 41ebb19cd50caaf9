"""Reading the bundled CSV files with the standard library (pandas only for ``load_frame``)."""

from __future__ import annotations

import csv
import os

import numpy as np

DATA_DIR = os.path.join(os.path.dirname(__file__), "data")


def path(filename: str) -> str:
    """The absolute path of a bundled data file."""
    return os.path.join(DATA_DIR, filename)


def read_columns(filename: str, sep: str) -> tuple[list[str], dict]:
    """Header and columns of a bundled CSV; numeric columns become float64 arrays."""
    with open(path(filename), newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=sep))
    header, body = rows[0], rows[1:]
    columns = {}
    for j, name in enumerate(header):
        values = [r[j] for r in body]
        try:
            columns[name] = np.array([float(v) for v in values])
        except ValueError:
            columns[name] = np.array(values, dtype=object)
    return header, columns


def read_frame(filename: str, sep: str):
    """The CSV as a pandas DataFrame (pandas is optional and imported only here)."""
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "load_frame() needs pandas: `pip install pandas`. Without it, use load_data(), "
            "which returns NumPy arrays."
        ) from None
    return pd.read_csv(path(filename), sep=sep)


def sample_split(n: int, train_fraction: float, seed: int):
    """The rows of ``df.sample(frac=train_fraction, random_state=seed)`` and the rest.

    Returns ``(train_idx, rest_idx)``: the training rows in pandas's sampled
    order, the others in their original order (``df.drop(df_train.index)``).
    """
    size = int(round(train_fraction * n))
    train = np.random.RandomState(seed).permutation(n)[:size]
    rest = np.setdiff1d(np.arange(n), train)
    return train, rest
