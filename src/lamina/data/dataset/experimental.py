"""``tf.data.experimental``'s names that scripts still use: the cardinality constants,
``AUTOTUNE`` and ``cardinality(dataset)``."""

from __future__ import annotations

from lamina.data.dataset.specs import AUTOTUNE, INFINITE, UNKNOWN, Cardinality

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "cardinality"]

INFINITE_CARDINALITY = INFINITE
UNKNOWN_CARDINALITY = UNKNOWN


def cardinality(dataset) -> Cardinality:
    """``dataset.cardinality()``: its number of elements, or INFINITE (-1) / UNKNOWN (-2)."""
    return dataset.cardinality()
