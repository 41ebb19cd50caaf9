"""IMDB movie reviews, labelled by sentiment (``keras.datasets.imdb``).

25,000 training and 25,000 test reviews, each a list of word indices (words
ranked by frequency; 0 pads, 1 starts, 2 marks a word out of the vocabulary),
with labels 0 (negative) and 1 (positive). Read from Keras's cache
(``~/.keras/datasets/imdb.npz`` and ``imdb_word_index.json``, or under
``$KERAS_HOME``); lamina does not download them. A. L. Maas et al., "Learning
Word Vectors for Sentiment Analysis", ACL 2011.

Example:
    >>> from lamina.datasets import imdb
    >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)  # doctest: +SKIP
    >>> x_train.dtype, x_train[0][:3]  # doctest: +SKIP
    (dtype('O'), [1, 14, 22])
"""

from __future__ import annotations

import numpy as np

from lamina.datasets import _keras_cache
from lamina.datasets import _sequences as seqs

__all__ = ["ORIGIN", "WORD_INDEX_ORIGIN", "get_word_index", "load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
WORD_INDEX_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json"


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1,
              oov_char=2, index_from=3, **kwargs):
    """``(x_train, y_train), (x_test, y_test)``: reviews as object arrays of lists, int labels.

    The steps and their order are Keras's, so the numbers are the same: both
    halves are shuffled with ``np.random.RandomState(seed)`` (training first),
    indices shift by ``index_from`` behind ``start_char``, reviews of ``maxlen``
    indices or more are dropped, and indices outside ``[skip_top, num_words)``
    become ``oov_char`` (or are removed when ``oov_char`` is None).

    Args:
        path: the file's name in Keras's ``datasets`` folder (or a full path to it).
        num_words: keep the ``num_words`` most frequent words (None: all).
        skip_top: also replace the ``skip_top`` most frequent words.
        maxlen: drop reviews whose length (start mark included) reaches ``maxlen``.
        seed: the shuffling seed.
        start_char: the index put in front of every review (None: nothing).
        oov_char: the index of the words cut out (None: remove them).
        index_from: the first index of a real word.
        **kwargs: ignored, as Keras ignores them (with a warning).

    Raises:
        FileNotFoundError: the file is not there; the message says where to get it.
        ValueError: no review is shorter than ``maxlen``.
    """
    seqs.warn_unknown("imdb", kwargs)
    seqs.check_arguments("imdb", num_words=num_words, skip_top=skip_top, maxlen=maxlen,
                         seed=seed, start_char=start_char, oov_char=oov_char,
                         index_from=index_from)
    found = _keras_cache.locate(path, "imdb", "the IMDB reviews", ORIGIN, "17 MB")
    arrays = _read(found)
    rng = np.random.RandomState(seed)
    x_train, y_train = seqs.shuffle(rng, arrays["x_train"], arrays["y_train"])
    x_test, y_test = seqs.shuffle(rng, arrays["x_test"], arrays["y_test"])
    x_train = seqs.offset(x_train, start_char, index_from)
    x_test = seqs.offset(x_test, start_char, index_from)
    if maxlen:
        x_train, y_train = seqs.drop_long(maxlen, x_train, y_train)
        x_test, y_test = seqs.drop_long(maxlen, x_test, y_test)
        if not x_train or not x_test:
            raise ValueError(
                f"imdb.load_data(maxlen={maxlen}) kept no review: every "
                f"{'training' if not x_train else 'test'} review has {maxlen} indices or more "
                "(the start mark counts). Increase maxlen, or pass maxlen=None."
            )
    xs = seqs.cut_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([y_train, y_test])
    n = len(x_train)
    return ((seqs.as_object_array(xs[:n]), labels[:n]),
            (seqs.as_object_array(xs[n:]), labels[n:]))


def _read(found):
    arrays = _keras_cache.load_npz(found)
    missing = [k for k in ("x_train", "y_train", "x_test", "y_test") if k not in arrays]
    if missing:
        raise ValueError(f"'{found}' is not Keras's imdb.npz: it lacks the arrays {missing}. "
                         f"Download {ORIGIN} again.")
    return arrays


def get_word_index(path="imdb_word_index.json"):
    """``{word: rank}``: the word of each index (index = rank + ``index_from`` in ``load_data``).

    Args:
        path: the file's name in Keras's ``datasets`` folder (or a full path to it).

    Raises:
        FileNotFoundError: the file is not there; the message says where to get it.
    """
    found = _keras_cache.locate(path, "imdb", "the IMDB word index", WORD_INDEX_ORIGIN,
                                "1.6 MB", "get_word_index")
    return seqs.read_word_index(found, "imdb", WORD_INDEX_ORIGIN)
