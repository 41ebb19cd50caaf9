"""CIFAR-100: 60,000 colour 32x32 images in 100 classes, grouped in 20 (``keras.datasets.cifar100``).

Read from Keras's cache (``~/.keras/datasets``: the ``cifar-100-python.tar.gz``
archive or the folder Keras unpacks it to); lamina does not download it.
A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.

Example:
    >>> from lamina.datasets import cifar100
    >>> (x_train, y_train), _ = cifar100.load_data(label_mode="coarse")  # doctest: +SKIP
    >>> int(y_train.max())  # doctest: +SKIP
    19
"""

from __future__ import annotations

import numpy as np

from lamina.datasets import _cifar

__all__ = ["ORIGIN", "load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"


def load_data(label_mode: str = "fine"):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 32, 32, 3)``, labels ``(n, 1)``.

    50,000 training and 10,000 test images, as Keras's. The labels are int64, as
    Keras's arrays are (its documentation says uint8).

    Args:
        label_mode: ``"fine"`` (100 classes, 0..99) or ``"coarse"`` (20 superclasses, 0..19).

    Raises:
        FileNotFoundError: the archive is not there; the message says where to get it.
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError(
            f"The 'label_mode' argument of cifar100.load_data must be 'fine' (100 classes) or "
            f"'coarse' (20 superclasses). Got {label_mode!r} instead."
        )
    source = _cifar.Source("cifar100", "cifar-100-python", "cifar-100-python.tar.gz", ORIGIN,
                           "161 MB")
    x_train, y_train = _cifar.batch(source, "train", f"{label_mode}_labels")
    x_test, y_test = _cifar.batch(source, "test", f"{label_mode}_labels")
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    return (_cifar.to_layout(x_train), y_train), (_cifar.to_layout(x_test), y_test)
