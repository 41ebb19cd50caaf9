"""Fashion-MNIST: 70,000 grayscale 28x28 images of clothes (``keras.datasets.fashion_mnist``).

Read from Keras's cache (``~/.keras/datasets/fashion-mnist/``: four IDX files,
gzipped); lamina does not download them. Zalando Research; licence MIT.
Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot (``CLASS_NAMES``).

Example:
    >>> from lamina.datasets import fashion_mnist
    >>> fashion_mnist.CLASS_NAMES[9]
    'Ankle boot'
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from lamina.datasets import _keras_cache

__all__ = ["CLASS_NAMES", "FILES", "ORIGIN", "load_data"]

ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
         "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
_MAGIC = {8: 2049, 16: 2051}  # IDX headers: labels (8 bytes), images (16 bytes)


def _read(path, offset):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if len(data) < offset or int.from_bytes(data[:4], "big") != _MAGIC[offset]:
        raise ValueError(
            f"'{path}' is not a gzipped IDX {'label' if offset == 8 else 'image'} file. "
            f"Download {ORIGIN}{os.path.basename(path)} again."
        )
    return np.frombuffer(data, np.uint8, offset=offset)


def _images(path, count):
    pixels = _read(path, 16)
    if pixels.size != count * 28 * 28:
        raise ValueError(
            f"'{path}' holds {pixels.size} pixels, not {count} images of 28x28 (as many as its "
            f"label file has labels). Download {ORIGIN}{os.path.basename(path)} again."
        )
    return pixels.reshape(count, 28, 28)


def load_data():
    """``(x_train, y_train), (x_test, y_test)``: uint8 images ``(n, 28, 28)`` and uint8 labels.

    60,000 training and 10,000 test images, pixels 0..255, labels 0..9, as Keras's.

    Raises:
        FileNotFoundError: a file is not there; the message says where to get it.
    """
    paths = []
    for name in FILES:
        found = _keras_cache.find(os.path.join("fashion-mnist", name))
        if found is None:
            raise _keras_cache.missing_file_error(
                "fashion_mnist", f"the Fashion-MNIST file {name}", ORIGIN + name,
                os.path.join("fashion-mnist", name), "all four files: 30 MB")
        paths.append(found)
    y_train = _read(paths[0], 8)
    x_train = _images(paths[1], len(y_train))
    y_test = _read(paths[2], 8)
    x_test = _images(paths[3], len(y_test))
    return (x_train, y_train), (x_test, y_test)
