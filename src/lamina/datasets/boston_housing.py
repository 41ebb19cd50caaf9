"""Boston house prices: 506 suburbs, 13 attributes each (``keras.datasets.boston_housing``).

Targets are median home values in k$. Read from Keras's cache
(``~/.keras/datasets/boston_housing.npz``, or under ``$KERAS_HOME``); lamina does
not download it. StatLib, Carnegie Mellon University. Keras warns that one
attribute ("B") encodes a racial assumption; prefer ``california_housing``.

Example:
    >>> from lamina.datasets import boston_housing
    >>> (x_train, y_train), (x_test, y_test) = boston_housing.load_data()  # doctest: +SKIP
    >>> x_train.shape, x_test.shape  # doctest: +SKIP
    ((404, 13), (102, 13))
"""

from __future__ import annotations

from lamina.datasets import _housing

__all__ = ["ORIGIN", "load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/boston_housing.npz"


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """``(x_train, y_train), (x_test, y_test)``: float arrays ``(n, 13)`` and ``(n,)``.

    The rows are shuffled with ``np.random.RandomState(seed)`` and the first
    ``int(n * (1 - test_split))`` are for training, as in Keras.

    Args:
        path: the file's name in Keras's ``datasets`` folder (or a full path to it).
        test_split: the fraction held out for testing, in [0, 1).
        seed: the shuffling seed.

    Raises:
        FileNotFoundError: the file is not there; the message says where to get it.
    """
    _housing.check_test_split("boston_housing", test_split)
    found = _housing.locate(path, "boston_housing", "the Boston housing file", ORIGIN, "57 kB")
    x, y = _housing.read_xy(found, "boston_housing", ORIGIN)
    return _housing.split(x, y, test_split, seed)
