"""Names: closest-match suggestions, snake_case, and automatic unique names.

Every registry (activations, initializers, losses, ...) reports an unknown name
the same way, through ``unknown_name_error``; layers get Keras's automatic names
(``dense``, ``dense_1``, ...) from ``uniquify``.

Example:
    >>> from lamina.utils import naming
    >>> naming.closest("adamm", ["adam", "sgd", "rmsprop"])
    'adam'
    >>> naming.to_snake_case("GlorotUniform")
    'glorot_uniform'
"""

from __future__ import annotations

import collections
import difflib
import re
from collections.abc import Iterable

__all__ = ["closest", "unknown_name_error", "to_snake_case", "uniquify", "get_uid", "reset_uids"]

_UIDS: collections.Counter = collections.Counter()
_CUTOFF = 0.5  # low enough that "l3" suggests "l2"


def closest(name, candidates: Iterable[str]) -> str | None:
    """Return the candidate most similar to ``name``, or ``None`` if none is close.

    A match with the same letter case is preferred; failing that, case is
    ignored, so ``"RELU"`` suggests ``"relu"``.

    Args:
        name: the name that was not found.
        candidates: the valid names.

    Example:
        >>> closest("glorot_unifrom", ["glorot_uniform", "zeros"])
        'glorot_uniform'
        >>> closest("xyz", ["relu"]) is None
        True
    """
    name = str(name)
    candidates = [str(c) for c in candidates]
    match = difflib.get_close_matches(name, candidates, n=1, cutoff=_CUTOFF)
    if match:
        return match[0]
    by_lower: dict[str, str] = {}
    for c in candidates:
        by_lower.setdefault(c.lower(), c)
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=_CUTOFF)
    return by_lower[match[0]] if match else None


def unknown_name_error(kind: str, name, valid: Iterable[str]) -> ValueError:
    """Build the ``ValueError`` a registry raises for a name it does not know.

    The message names the kind of object, the unknown name, every valid name,
    and the closest valid name when one is close enough.

    Args:
        kind: what was looked up, e.g. ``"activation"`` or ``"optimizer"``.
        name: the name that was not found.
        valid: the names that would have worked.

    Example:
        >>> print(unknown_name_error("optimizer", "adamm", ["adam", "sgd"]))
        Unknown optimizer 'adamm'. Valid names: 'adam', 'sgd'. Did you mean 'adam'?
    """
    valid = sorted(set(str(v) for v in valid))
    message = f"Unknown {kind} {name!r}. Valid names: {', '.join(repr(v) for v in valid)}."
    suggestion = closest(name, valid)
    if suggestion is not None:
        message += f" Did you mean {suggestion!r}?"
    return ValueError(message)


def to_snake_case(name: str) -> str:
    """Convert a CamelCase name to snake_case, as Keras names objects.

    Non-word characters are dropped; runs of capitals stay together
    (``"L1L2"`` becomes ``"l1l2"``, ``"ReLU"`` becomes ``"re_lu"``).

    Example:
        >>> to_snake_case("BatchNormalization")
        'batch_normalization'
    """
    name = re.sub(r"\W+", "", str(name))
    # A capital that starts a lowercase word gets an underscore before it ...
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    # ... and so does any capital right after a lowercase letter.
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(base: str) -> str:
    """Return ``base`` the first time, then ``base_1``, ``base_2``, ... (Keras's auto names).

    The counter is global and per base name; ``reset_uids()`` starts it again
    (Keras does this in ``clear_session``).

    Example:
        >>> reset_uids()
        >>> uniquify("dense"), uniquify("dense"), uniquify("conv")
        ('dense', 'dense_1', 'conv')
    """
    count = _UIDS[base]
    _UIDS[base] += 1
    return base if count == 0 else f"{base}_{count}"


def get_uid(prefix: str = "") -> int:
    """Advance the counter for ``prefix`` and return it (1 the first time), like Keras.

    It shares its counter with ``uniquify``.

    Example:
        >>> reset_uids()
        >>> get_uid("x"), get_uid("x")
        (1, 2)
    """
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def reset_uids() -> None:
    """Forget every counter, so automatic names start again from ``base``."""
    _UIDS.clear()
