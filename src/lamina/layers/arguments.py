"""Checks of layer constructor arguments with messages that name the layer and the argument.

A saved config or a typo can hand a layer a string, a float or a nested list
where it needs an integer; these turn such values into one clear ``ValueError``
("Concatenate: `axis` must be an integer; got 'x' (str).") instead of
Python's ``invalid literal for int()``.
"""

from __future__ import annotations

import numbers

__all__ = ["integer", "integers", "number"]


def _got(value) -> str:
    text = repr(value)
    return f"{text[:60]}{'...' if len(text) > 60 else ''} ({type(value).__name__})"


def integer(layer: str, name: str, value, minimum=None) -> int:
    """``value`` as an int (an integral float such as 2.0 is accepted), checked."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if not ok and isinstance(value, numbers.Real) and not isinstance(value, bool):
        ok = float(value).is_integer()
    if not ok:
        raise ValueError(f"{layer}: `{name}` must be an integer; got {_got(value)}.")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{layer}: `{name}` must be >= {minimum}; got {value}.")
    return value


def integers(layer: str, name: str, value, minimum=None) -> tuple:
    """A sequence of ints (a tuple), each checked as ``integer`` does."""
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{layer}: `{name}` must be a list or tuple of integers; got "
                         f"{_got(value)}.")
    out = []
    for item in value:
        if not isinstance(item, numbers.Real) or isinstance(item, bool) or (
                not isinstance(item, numbers.Integral) and not float(item).is_integer()):
            raise ValueError(f"{layer}: `{name}` must be a list or tuple of integers; got "
                             f"{_got(value)}.")
        item = int(item)
        if minimum is not None and item < minimum:
            raise ValueError(f"{layer}: every entry of `{name}` must be >= {minimum}; got "
                             f"{_got(value)}.")
        out.append(item)
    return tuple(out)


def number(layer: str, name: str, value, minimum=None) -> float:
    """``value`` as a finite float, checked."""
    import math

    if not isinstance(value, numbers.Real) or isinstance(value, bool) or \
            not math.isfinite(float(value)):
        raise ValueError(f"{layer}: `{name}` must be a finite number; got {_got(value)}.")
    if minimum is not None and value < minimum:
        raise ValueError(f"{layer}: `{name}` must be >= {minimum}; got {value}.")
    return value
