"""Reading the CIFAR-10/100 Python batches from Keras's cache: the unpacked folder or the archive.

Keras 3 unpacks ``cifar-10-python.tar.gz`` into ``datasets/cifar-10-batches-py-target/``
(the archive kept as ``cifar-10-batches-py-target_archive``); Keras 2 (``tf.keras``)
into ``datasets/cifar-10-batches-py/``. Any of these works, and so does the archive
as downloaded, read in memory without unpacking it. CIFAR-100 follows the same
pattern with ``cifar-100-python``.
"""

from __future__ import annotations

import os

import numpy as np

from lamina import config
from lamina.datasets import _keras_cache

__all__ = ["Source", "batch", "to_layout"]


class Source:
    """Where one CIFAR data set's batches are: a folder, or a ``.tar.gz`` archive."""

    def __init__(self, dataset, folder, archive_name, url, size):
        self.dataset, self.folder, self.url = dataset, folder, url
        # folders first (as Keras 3 and Keras 2 unpack them), then archives, as downloaded
        found = _keras_cache.find(os.path.join(f"{folder}-target", folder), folder)
        self.archive = None
        if found is None or not os.path.isdir(found):
            found = None
            self.archive = _keras_cache.find(archive_name, f"{folder}-target_archive",
                                             f"{folder}.tar.gz")
        if found is None and self.archive is None:
            raise _keras_cache.missing_file_error(
                dataset, f"the {dataset.upper()} archive", url, archive_name, size)
        self.path = found

    def read(self, name) -> bytes:
        if self.archive is not None:
            return _keras_cache.read_member(self.archive, f"{self.folder}/{name}")
        path = os.path.join(self.path, name)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"'{self.path}' has no file '{name}': the folder is incomplete. Download "
                f"{self.url} again and unpack it there (or leave the .tar.gz in "
                f"{_keras_cache.datasets_dir()})."
            )
        with open(path, "rb") as f:
            return f.read()


def batch(source: Source, name: str, label_key: str):
    """``(data, labels)`` of one batch file: uint8 ``(n, 3, 32, 32)`` and a list of ints."""
    where = f"{source.archive or source.path}: {name}"
    d = _keras_cache.load_pickle(source.read(name), where)
    if not isinstance(d, dict):
        raise ValueError(f"'{where}' is not a CIFAR batch (a dict). Download it again.")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    data, labels = d.get("data"), d.get(label_key)
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3 * 32 * 32 \
            or labels is None or len(labels) != len(data):
        raise ValueError(
            f"'{where}' is not a CIFAR batch with 'data' (n, 3072) and '{label_key}'. "
            "Download it again."
        )
    return data.reshape(len(data), 3, 32, 32), labels


def to_layout(x):
    """Images as Keras's load_data gives them: channels last unless the config says first."""
    fmt = getattr(config, "image_data_format", lambda: "channels_last")()
    return x.transpose(0, 2, 3, 1) if fmt == "channels_last" else x
