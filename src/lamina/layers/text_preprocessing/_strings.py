"""Strings on the host: turning user data into arrays of text, and Keras's text operations.

Text arrives as Python lists, NumPy ``str``/``bytes``/object arrays or lamina
tensors holding them; these helpers give NumPy arrays of ``str`` (UTF-8 decoded)
and reproduce TensorFlow's string ops that ``TextVectorization`` uses: ASCII-only
lowercasing (``tf.strings.lower``), removal of ASCII punctuation, splitting on
ASCII whitespace (empty pieces dropped), splitting into characters and
``tf.strings.ngrams`` (each width in turn, joined with a space).
"""

from __future__ import annotations

import re

import numpy as np

from lamina.autodiff.tensor import Tensor, raw_value

__all__ = ["as_text_array", "lower", "ngrams", "split_characters", "split_whitespace",
           "strip_punctuation"]

_PUNCTUATION = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~'"
_STRIP_TABLE = str.maketrans("", "", _PUNCTUATION)
_LOWER_TABLE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_WHITESPACE = re.compile(r"[ \t\n\r\v\f]+")


def _decode(x):
    if isinstance(x, (bytes, np.bytes_)):
        return bytes(x).decode("utf-8", errors="replace")
    if isinstance(x, (str, np.str_)):
        return str(x)
    return None


def as_text_array(data, layer_name: str) -> np.ndarray:
    """``data`` as a NumPy array of ``str`` (any shape); a clear error for anything else."""
    if isinstance(data, Tensor):
        data = raw_value(data)
    arr = data if isinstance(data, np.ndarray) else np.asarray(data, dtype=object) \
        if _ragged_list(data) else np.asarray(data)
    if arr.dtype.kind == "U":
        return arr
    if arr.dtype.kind == "S":
        return np.char.decode(arr, "utf-8", errors="replace")
    if arr.dtype == object:
        flat = [_decode(v) for v in arr.reshape(-1)]
        if all(v is not None for v in flat):
            out = np.asarray(flat, dtype=str) if flat else np.zeros(0, dtype="<U1")
            return out.reshape(arr.shape)
        bad = next(v for v, d in zip(arr.reshape(-1), flat) if d is None)
        if isinstance(bad, (list, tuple, np.ndarray)):
            raise ValueError(
                f"{layer_name} received rows of different lengths (a ragged list). Give one "
                "string per sample (e.g. a list of sentences), or pad token lists first with "
                "`keras.utils.pad_sequences`.")
        raise TypeError(
            f"{layer_name} expects strings; got an element of type {type(bad).__name__} "
            f"({bad!r}). Convert the data to text first (e.g. `np.asarray(x, dtype=str)`).")
    raise TypeError(
        f"{layer_name} expects strings; got an array of dtype {arr.dtype}. Pass text (a list "
        "or NumPy array of str), or use IntegerLookup / Hashing for numbers.")


def _ragged_list(data) -> bool:
    if not isinstance(data, (list, tuple)) or not data:
        return False
    lengths = {len(d) if isinstance(d, (list, tuple)) else -1 for d in data}
    return len(lengths) > 1


def lower(text: np.ndarray) -> np.ndarray:
    """ASCII letters lowercased (as ``tf.strings.lower``; other letters are kept)."""
    return _map(text, lambda s: s.translate(_LOWER_TABLE))


def strip_punctuation(text: np.ndarray) -> np.ndarray:
    """ASCII punctuation removed (the characters of Python's ``string.punctuation``)."""
    return _map(text, lambda s: s.translate(_STRIP_TABLE))


def _map(text: np.ndarray, fn) -> np.ndarray:
    flat = [fn(str(s)) for s in text.reshape(-1)]
    out = np.asarray(flat, dtype=str) if flat else np.zeros(0, dtype="<U1")
    return out.reshape(text.shape)


def split_whitespace(text: np.ndarray) -> list:
    """One token list per string, split on runs of ASCII whitespace (no empty tokens)."""
    return [[t for t in _WHITESPACE.split(str(s)) if t] for s in text.reshape(-1)]


def split_characters(text: np.ndarray) -> list:
    """One list of Unicode characters per string."""
    return [list(str(s)) for s in text.reshape(-1)]


def ngrams(tokens: list, widths: tuple) -> list:
    """``tf.strings.ngrams(tokens, widths, separator=" ")`` for each row of tokens."""
    out = []
    for row in tokens:
        grams = []
        for w in widths:
            grams.extend(" ".join(row[i:i + w]) for i in range(len(row) - w + 1))
        out.append(grams)
    return out
