"""``tf.strings`` under ``lamina run``: the string functions text pipelines call, on NumPy arrays.

Keras's text tutorials standardize with ``tf.strings.lower`` and ``tf.strings.regex_replace``
inside a ``TextVectorization`` ``standardize`` callable or a ``Dataset.map`` function. Here a
string tensor is a NumPy array of ``str`` (or ``bytes``, as TensorFlow hands them out), a
Python string, or a list of them; each function works element by element and gives back the
same kind it received. Regular expressions are Python's ``re`` (TensorFlow uses RE2: the
common patterns mean the same; RE2 has no look-around or back-references).
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["strings_functions"]


def _as_array(x):
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        x = x.numpy()
    arr = np.asarray(x)
    if arr.dtype.kind not in "USO":
        raise TypeError(
            f"tf.strings: expected strings (str or bytes, or an array of them), got an array of "
            f"{arr.dtype}. Convert numbers with tf.strings.as_string first."
        )
    return arr


def _map(fn, x, out_kind=None):
    """Apply ``fn`` (str -> value) to each element, keeping bytes as bytes."""
    arr = _as_array(x)
    is_bytes = arr.dtype.kind == "S" or (arr.size and isinstance(arr.flat[0], bytes))

    def one(v):
        text = v.decode("utf-8") if isinstance(v, bytes) else str(v)
        out = fn(text)
        if out_kind is None and is_bytes and isinstance(out, str):
            return out.encode("utf-8")
        return out

    flat = [one(v) for v in arr.reshape(-1)]
    if out_kind is not None:
        result = np.array(flat, dtype=out_kind).reshape(arr.shape)
    else:
        result = np.array(flat, dtype=object if not flat else None).reshape(arr.shape)
        if result.dtype == object and flat and all(isinstance(v, (str, bytes)) for v in flat):
            result = result.astype(type(flat[0]))
    return result[()] if result.ndim == 0 else result


def lower(input, encoding="", name=None):  # noqa: A002 (TensorFlow's argument name)
    return _map(str.lower, input)


def upper(input, encoding="", name=None):  # noqa: A002
    return _map(str.upper, input)


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    compiled = re.compile(pattern.decode() if isinstance(pattern, bytes) else pattern)
    rewrite = rewrite.decode() if isinstance(rewrite, bytes) else rewrite
    # RE2 rewrites name groups \1 ... \9 as Python does.
    return _map(lambda s: compiled.sub(rewrite, s, count=0 if replace_global else 1), input)


def regex_full_match(input, pattern, name=None):  # noqa: A002
    compiled = re.compile(pattern.decode() if isinstance(pattern, bytes) else pattern)
    return _map(lambda s: compiled.fullmatch(s) is not None, input, out_kind=bool)


def strip(input, name=None):  # noqa: A002
    return _map(str.strip, input)


def length(input, name=None, unit="BYTE"):  # noqa: A002
    if unit == "BYTE":
        return _map(lambda s: len(s.encode("utf-8")), input, out_kind=np.int32)
    return _map(len, input, out_kind=np.int32)


def as_string(input, precision=-1, name=None, **kwargs):  # noqa: A002
    arr = np.asarray(input)
    fmt = (lambda v: f"{v:.{precision}f}") if precision >= 0 else str
    out = np.array([fmt(v) for v in arr.reshape(-1)]).reshape(arr.shape)
    return out[()] if out.ndim == 0 else out


def to_number(string_tensor, out_type=np.float32, name=None):
    def parse(s):
        try:
            return float(s)
        except ValueError:
            raise ValueError(
                f"tf.strings.to_number: {s!r} is not a number; clean or drop such rows first."
            ) from None

    return _map(parse, string_tensor, out_kind=out_type)


def join(inputs, separator="", name=None):
    parts = [_as_array(x) for x in inputs]
    shape = np.broadcast_shapes(*(p.shape for p in parts))
    parts = [np.broadcast_to(p, shape).reshape(-1) for p in parts]
    sep = separator.decode() if isinstance(separator, bytes) else separator
    text = lambda v: v.decode("utf-8") if isinstance(v, bytes) else str(v)  # noqa: E731
    out = np.array([sep.join(text(v) for v in row) for row in zip(*parts)]).reshape(shape)
    return out[()] if out.ndim == 0 else out


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    arr = _as_array(inputs)
    sep = separator.decode() if isinstance(separator, bytes) else separator
    text = lambda v: v.decode("utf-8") if isinstance(v, bytes) else str(v)  # noqa: E731
    if axis is None:
        return sep.join(text(v) for v in arr.reshape(-1))
    moved = np.moveaxis(arr, axis, -1)
    out = np.array([sep.join(text(v) for v in row)
                    for row in moved.reshape(-1, moved.shape[-1])]).reshape(moved.shape[:-1])
    return np.expand_dims(out, axis) if keepdims else out


def split(input, sep=None, maxsplit=-1, name=None):  # noqa: A002
    """A list per element (TensorFlow gives a RaggedTensor: lamina has none)."""
    sep = sep.decode() if isinstance(sep, bytes) else sep
    arr = _as_array(input)
    if arr.ndim == 0:
        value = arr[()]
        return (value.decode() if isinstance(value, bytes) else str(value)).split(sep, maxsplit)
    return [s.split(sep, maxsplit) for s in (v.decode() if isinstance(v, bytes) else str(v)
                                             for v in arr.reshape(-1))]


def substr(input, pos, len, name=None, unit="BYTE"):  # noqa: A002
    return _map(lambda s: s[pos:pos + len], input)


def strings_functions() -> dict:
    """Name -> function for ``tf.strings``."""
    return {
        "lower": lower, "upper": upper, "regex_replace": regex_replace,
        "regex_full_match": regex_full_match, "strip": strip, "length": length,
        "as_string": as_string, "to_number": to_number, "join": join,
        "reduce_join": reduce_join, "split": split, "substr": substr,
    }
