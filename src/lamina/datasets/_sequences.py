"""The word-index processing shared by ``imdb`` and ``reuters`` (Keras's steps, in its order).

Each review or newswire is a list of word ranks (1 = the most frequent word).
``load_data`` shuffles with ``np.random.RandomState(seed)``, shifts the ranks by
``index_from`` (and puts ``start_char`` in front), drops sequences of ``maxlen``
words or more, and replaces (or, with ``oov_char=None``, removes) the words
ranked outside ``[skip_top, num_words)``. The sequences come back as NumPy
object arrays of Python lists, as Keras returns them.
"""

from __future__ import annotations

import json
import numbers
import warnings

import numpy as np

__all__ = ["as_object_array", "check_arguments", "cut_vocabulary", "drop_long", "offset",
           "read_word_index", "shuffle", "warn_unknown"]


def check_arguments(dataset: str, **arguments) -> None:
    """Refuse a non-integer (or negative) ``num_words``, ``skip_top``, ``maxlen``, ... by name."""
    for name, value in arguments.items():
        if value is None and name in ("num_words", "maxlen", "start_char", "oov_char"):
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            optional = " or None" if name in ("num_words", "maxlen", "start_char",
                                              "oov_char") else ""
            raise ValueError(
                f"The '{name}' argument of {dataset}.load_data() must be a non-negative "
                f"integer{optional}. Got {value!r} instead."
            )


def warn_unknown(dataset: str, kwargs: dict) -> None:
    """Keras ignores unknown keyword arguments of ``imdb.load_data``; say so instead of silence."""
    if kwargs:
        warnings.warn(
            f"{dataset}.load_data() ignores the arguments {sorted(kwargs)} (as Keras does); "
            "check their spelling (num_words, skip_top, maxlen, seed, start_char, oov_char, "
            "index_from).",
            stacklevel=3,
        )


def shuffle(rng: np.random.RandomState, *arrays):
    """The arrays in one random order drawn from ``rng`` (one permutation for all)."""
    order = np.arange(len(arrays[0]))
    rng.shuffle(order)
    return [a[order] for a in arrays]


def offset(sequences, start_char, index_from) -> list:
    """Word ranks shifted by ``index_from``, with ``start_char`` first when it is not None."""
    if start_char is not None:
        return [[start_char, *(w + index_from for w in seq)] for seq in sequences]
    if index_from:
        return [[w + index_from for w in seq] for seq in sequences]
    return [list(seq) for seq in sequences]


def drop_long(maxlen, sequences, labels):
    """Only the sequences shorter than ``maxlen`` (strictly, as Keras), with their labels."""
    kept = [(seq, label) for seq, label in zip(sequences, labels) if len(seq) < maxlen]
    return [seq for seq, _ in kept], [label for _, label in kept]


def cut_vocabulary(sequences, num_words, skip_top, oov_char) -> list:
    """Words ranked outside ``[skip_top, num_words)`` become ``oov_char`` (or go, if None).

    With ``num_words`` None (or 0) the bound is the largest index seen, which
    Keras too leaves out of the range.
    """
    if not num_words:
        num_words = max(max(seq) for seq in sequences)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq] for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]


def as_object_array(sequences):
    """The sequences as a NumPy object array, built exactly as Keras builds it."""
    return np.array(sequences, dtype="object")


def read_word_index(path: str, dataset: str, url: str) -> dict:
    """The ``{word: rank}`` JSON file of a data set."""
    try:
        with open(path, encoding="utf-8") as f:
            index = json.load(f)
    except (OSError, ValueError) as err:
        raise ValueError(f"Could not read '{path}' as {dataset}'s word index: {err}. "
                         f"Download {url} again.") from None
    if not isinstance(index, dict):
        raise ValueError(f"'{path}' is not {dataset}'s word index (a JSON object of word: "
                         f"rank); it holds a {type(index).__name__}. Download {url} again.")
    return index
