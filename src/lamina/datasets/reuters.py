"""Reuters newswires, labelled by one of 46 topics (``keras.datasets.reuters``).

11,228 newswires, each a list of word indices (words ranked by frequency; 0
pads, 1 starts, 2 marks a word out of the vocabulary), split into training and
test sets by ``test_split``. Read from Keras's cache
(``~/.keras/datasets/reuters.npz`` and ``reuters_word_index.json``, or under
``$KERAS_HOME``); lamina does not download them. Derived from Reuters-21578.

Example:
    >>> from lamina.datasets import reuters
    >>> reuters.get_label_names()[3]
    'earn'
"""

from __future__ import annotations

import numpy as np

from lamina.datasets import _keras_cache
from lamina.datasets import _sequences as seqs

__all__ = ["ORIGIN", "WORD_INDEX_ORIGIN", "get_label_names", "get_word_index", "load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters.npz"
WORD_INDEX_ORIGIN = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/reuters_word_index.json")

_LABELS = (
    "cocoa grain veg-oil earn acq wheat copper housing money-supply coffee sugar trade reserves "
    "ship cotton carcass crude nat-gas cpi money-fx interest gnp meal-feed alum oilseed gold tin "
    "strategic-metal livestock retail ipi iron-steel rubber heat jobs lei bop zinc orange "
    "pet-chem dlr gas silver wpi hog lead"
).split()


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """``(x_train, y_train), (x_test, y_test)``: newswires as object arrays of lists, topic ids.

    Keras's steps in Keras's order: one shuffle with ``np.random.RandomState(seed)``,
    indices shifted by ``index_from`` behind ``start_char``, newswires of ``maxlen``
    indices or more dropped, indices outside ``[skip_top, num_words)`` replaced by
    ``oov_char`` (removed when it is None), then the first
    ``int(n * (1 - test_split))`` for training.

    Args:
        path: the file's name in Keras's ``datasets`` folder (or a full path to it).
        num_words: keep the ``num_words`` most frequent words (None: all).
        skip_top: also replace the ``skip_top`` most frequent words.
        maxlen: drop newswires whose length (start mark included) reaches ``maxlen``.
        test_split: the fraction held out for testing, in [0, 1].
        seed: the shuffling seed.
        start_char: the index put in front of every newswire (None: nothing).
        oov_char: the index of the words cut out (None: remove them).
        index_from: the first index of a real word.

    Raises:
        FileNotFoundError: the file is not there; the message says where to get it.
    """
    seqs.check_arguments("reuters", num_words=num_words, skip_top=skip_top, maxlen=maxlen,
                         seed=seed, start_char=start_char, oov_char=oov_char,
                         index_from=index_from)
    if isinstance(test_split, bool) or not isinstance(test_split, (int, float)) \
            or not 0 <= test_split <= 1:
        raise ValueError("The 'test_split' argument of reuters.load_data() must be a number "
                         f"between 0 and 1. Got {test_split!r} instead.")
    found = _keras_cache.locate(path, "reuters", "the Reuters newswires", ORIGIN, "2.1 MB")
    arrays = _keras_cache.load_npz(found)
    if "x" not in arrays or "y" not in arrays:
        raise ValueError(f"'{found}' is not Keras's reuters.npz (arrays x and y). "
                         f"Download {ORIGIN} again.")
    xs, labels = seqs.shuffle(np.random.RandomState(seed), arrays["x"], arrays["y"])
    xs = seqs.offset(xs, start_char, index_from)
    if maxlen:
        xs, labels = seqs.drop_long(maxlen, xs, labels)
    xs = seqs.cut_vocabulary(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return ((seqs.as_object_array(xs[:n]), np.array(labels[:n])),
            (seqs.as_object_array(xs[n:]), np.array(labels[n:])))


def get_word_index(path="reuters_word_index.json"):
    """``{word: rank}``: the word of each index (index = rank + ``index_from`` in ``load_data``).

    Args:
        path: the file's name in Keras's ``datasets`` folder (or a full path to it).

    Raises:
        FileNotFoundError: the file is not there; the message says where to get it.
    """
    found = _keras_cache.locate(path, "reuters", "the Reuters word index", WORD_INDEX_ORIGIN,
                                "0.5 MB", "get_word_index")
    return seqs.read_word_index(found, "reuters", WORD_INDEX_ORIGIN)


def get_label_names():
    """The 46 topic names, in the order of the labels (a tuple, as Keras returns it)."""
    return tuple(_LABELS)
