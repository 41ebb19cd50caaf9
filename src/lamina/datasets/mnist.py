"""MNIST: 70,000 grayscale 28x28 images of handwritten digits (``keras.datasets.mnist``).

Read from Keras's cache (``~/.keras/datasets/mnist.npz``, or under ``$KERAS_HOME``);
lamina does not download it. Y. LeCun, C. Cortes, C. J. C. Burges; licence CC BY-SA 3.0.

Example:
    >>> from lamina.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()  # doctest: +SKIP
    >>> x_train.shape, y_train.dtype  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import os

import numpy as np

from lamina.datasets import _keras_cache

__all__ = ["ORIGIN", "load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


def load_data(path: str = "mnist.npz"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 28, 28)`` and uint8 labels.

    60,000 training and 10,000 test images, pixels 0..255, labels 0..9, as Keras's.

    Args:
        path: the file's name in Keras's ``datasets`` folder (or a full path to it).

    Raises:
        FileNotFoundError: the file is not there; the message says where to get it.
    """
    found = path if os.path.isabs(path) and os.path.exists(path) else _keras_cache.find(path)
    if found is None:
        raise _keras_cache.missing_file_error("mnist", "the MNIST file", ORIGIN, path, "11 MB")
    try:
        with np.load(found, allow_pickle=False) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    except (KeyError, ValueError, OSError) as err:
        raise ValueError(
            f"'{found}' is not Keras's mnist.npz (arrays x_train, y_train, x_test, y_test): "
            f"{err}. Download {ORIGIN} again."
        ) from None
