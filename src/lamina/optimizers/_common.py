"""What the optimizer's modules share: warnings that point at the user's code, number checks,
the block size of large updates."""

from __future__ import annotations

import math
import operator
import os
import sys
import warnings

import numpy as np

from lamina.autodiff.tensor import Tensor, to_array

__all__ = ["check_number"]

_HERE = os.path.dirname(os.path.abspath(__file__))
# Keras 2 / tf.keras config keys that have no meaning here and are dropped.
_IGNORED_LEGACY_KWARGS = ("jit_compile", "is_legacy_optimizer")
# Segments above 4 * _BLOCK elements are updated block by block (cache-sized).
_BLOCK = 1 << 16
_VALUE = operator.attrgetter("value")


def _warn(message: str, category=UserWarning) -> None:
    """Warn, pointing at the first caller outside lamina.optimizers."""
    level = 2
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _is_number(x) -> bool:
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float, np.integer, np.floating)):
        return True
    if isinstance(x, (np.ndarray, Tensor)):
        a = to_array(x)
        return a.ndim == 0 and a.dtype.kind in "iuf"
    return False


def check_number(owner, name: str, value, low=None, high=None, high_open=False, none_ok=False):
    """Raise a ValueError naming ``name`` unless ``value`` is a number in the range.

    Used by the optimizers to validate their hyperparameters.
    """
    if value is None and none_ok:
        return value
    where = owner if isinstance(owner, str) else type(owner).__name__
    if not _is_number(value) or not math.isfinite(float(value)):
        allowed = " or None" if none_ok else ""
        raise ValueError(
            f"The '{name}' argument of {where} must be a finite number{allowed}. "
            f"Got {name}={value!r} ({type(value).__name__}) instead."
        )
    v = float(value)
    if (low is not None and v < low) or (
        high is not None and (v >= high if high_open else v > high)
    ):
        if high is None:
            rng = f">= {low}"
        else:
            rng = f"in [{low}, {high}{')' if high_open else ']'}"
        raise ValueError(
            f"The '{name}' argument of {where} must be {rng}. Got {name}={value!r} instead."
        )
    return value
