"""CIFAR-10: 60,000 colour 32x32 images in 10 classes (``keras.datasets.cifar10``).

Read from Keras's cache (``~/.keras/datasets``: the ``cifar-10-python.tar.gz``
archive or the folder Keras unpacks it to); lamina does not download it.
A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009.
Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse,
8 ship, 9 truck (``CLASS_NAMES``).

Example:
    >>> from lamina.datasets import cifar10
    >>> cifar10.CLASS_NAMES[3]
    'cat'
"""

from __future__ import annotations

import numpy as np

from lamina.datasets import _cifar

__all__ = ["CLASS_NAMES", "ORIGIN", "load_data"]

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck")


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 32, 32, 3)``, uint8 labels ``(n, 1)``.

    50,000 training images (``data_batch_1`` .. ``data_batch_5``, in that order) and
    10,000 test images, as Keras's (channels first if
    ``lamina.config.image_data_format()`` is ``"channels_first"``).

    Raises:
        FileNotFoundError: the archive is not there; the message says where to get it.
    """
    source = _cifar.Source("cifar10", "cifar-10-batches-py", "cifar-10-python.tar.gz", ORIGIN,
                           "163 MB")
    parts = [_cifar.batch(source, f"data_batch_{i}", "labels") for i in range(1, 6)]
    x_train = np.concatenate([p[0] for p in parts]).astype("uint8")
    y_train = np.concatenate([np.asarray(p[1]) for p in parts]).astype("uint8").reshape(-1, 1)
    x_test, y_test = _cifar.batch(source, "test_batch", "labels")
    x_test = x_test.astype("uint8")
    y_test = np.asarray(y_test).astype("uint8").reshape(-1, 1)
    return (_cifar.to_layout(x_train), y_train), (_cifar.to_layout(x_test), y_test)
