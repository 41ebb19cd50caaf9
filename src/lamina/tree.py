"""Nested structures of lists, tuples and dicts (Keras's ``keras.tree``).

A structure is a leaf (anything that is not a list, tuple or dict, ``None``
included) or a container of structures. Dicts are walked in sorted key order,
as Keras does, so ``flatten({"b": 1, "a": 2})`` is ``[2, 1]``; named tuples keep
their type. Models with several inputs or outputs, their data and their losses
are matched leaf by leaf with these functions.

Example:
    >>> from lamina import tree
    >>> tree.flatten({"b": [1, 2], "a": 3})
    [3, 1, 2]
    >>> tree.map_structure(lambda v: v * 10, (1, {"k": 2}))
    (10, {'k': 20})
"""

from __future__ import annotations

__all__ = ["assert_same_structure", "flatten", "is_nested", "lists_to_tuples", "map_structure",
           "pack_sequence_as", "structure_text"]


def is_nested(structure) -> bool:
    """Whether ``structure`` is a list, tuple or dict (not a leaf)."""
    return isinstance(structure, (list, tuple, dict))


def _keys(d):
    try:
        return sorted(d)
    except TypeError:  # keys of mixed types: their insertion order
        return list(d)


def flatten(structure) -> list:
    """The leaves of ``structure``, depth first (dicts in sorted key order)."""
    out: list = []

    def walk(s):
        if isinstance(s, dict):
            for k in _keys(s):
                walk(s[k])
        elif isinstance(s, (list, tuple)):
            for v in s:
                walk(v)
        else:
            out.append(s)

    walk(structure)
    return out


def _rebuild(like, items):
    if isinstance(like, dict):
        return type(like)((k, v) for k, v in items) if type(like) is not dict else dict(items)
    values = [v for _, v in items]
    if isinstance(like, tuple) and hasattr(like, "_fields"):
        return type(like)(*values)
    return type(like)(values)


def pack_sequence_as(structure, flat_sequence):
    """``flat_sequence``'s values in the shape of ``structure`` (the inverse of ``flatten``).

    Example:
        >>> from lamina import tree
        >>> tree.pack_sequence_as({"a": None, "b": [None, None]}, [1, 2, 3])
        {'a': 1, 'b': [2, 3]}
    """
    flat = list(flat_sequence)
    position = [0]

    def build(s):
        if isinstance(s, dict):
            built = {k: build(s[k]) for k in _keys(s)}
            return _rebuild(s, [(k, built[k]) for k in s])
        if isinstance(s, (list, tuple)):
            return _rebuild(s, [(i, build(v)) for i, v in enumerate(s)])
        if position[0] >= len(flat):
            raise ValueError(f"pack_sequence_as: the structure has more leaves than the "
                             f"{len(flat)} values given.")
        value = flat[position[0]]
        position[0] += 1
        return value

    result = build(structure)
    if position[0] != len(flat):
        raise ValueError(f"pack_sequence_as: the structure has {position[0]} leaves but "
                         f"{len(flat)} values were given.")
    return result


def structure_text(structure) -> str:
    """``structure`` with every leaf shown as ``*`` (for error messages)."""
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {structure_text(structure[k])}"
                               for k in _keys(structure)) + "}"
    if isinstance(structure, list):
        return "[" + ", ".join(structure_text(v) for v in structure) + "]"
    if isinstance(structure, tuple):
        inner = ", ".join(structure_text(v) for v in structure)
        return f"({inner}{',' if len(structure) == 1 else ''})"
    return "*"


def assert_same_structure(a, b, check_types=False) -> None:
    """Raise ValueError when ``a`` and ``b`` do not nest the same way.

    Lists and tuples count as the same kind of container unless ``check_types``.
    """
    def same(x, y):
        if isinstance(x, dict) or isinstance(y, dict):
            return isinstance(x, dict) and isinstance(y, dict) and set(x) == set(y) and \
                all(same(x[k], y[k]) for k in x)
        if isinstance(x, (list, tuple)) or isinstance(y, (list, tuple)):
            if not (isinstance(x, (list, tuple)) and isinstance(y, (list, tuple))):
                return False
            if check_types and type(x) is not type(y):
                return False
            return len(x) == len(y) and all(same(u, v) for u, v in zip(x, y))
        return True

    if not same(a, b):
        raise ValueError(f"The structures differ: {structure_text(a)} and {structure_text(b)}.")


def map_structure(fn, *structures):
    """``fn`` applied leaf by leaf to structures of the same shape, in that shape."""
    if not structures:
        raise TypeError("map_structure needs at least one structure.")
    first = structures[0]
    for other in structures[1:]:
        assert_same_structure(first, other)
    columns = [flatten(s) for s in structures]
    return pack_sequence_as(first, [fn(*leaves) for leaves in zip(*columns)])


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple."""
    if isinstance(structure, dict):
        return _rebuild(structure, [(k, lists_to_tuples(v)) for k, v in structure.items()])
    if isinstance(structure, (list, tuple)):
        values = [lists_to_tuples(v) for v in structure]
        if isinstance(structure, tuple) and hasattr(structure, "_fields"):
            return type(structure)(*values)
        return tuple(values)
    return structure


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
