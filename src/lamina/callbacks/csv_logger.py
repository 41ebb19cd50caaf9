"""``CSVLogger``: write each epoch's logs as a row of a CSV file."""

from __future__ import annotations

import collections.abc
import os

import numpy as np

from lamina.callbacks.callback import Callback

__all__ = ["CSVLogger"]


def _cell(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Streams epoch results to a CSV file, one row per epoch, flushed as it goes.

    The first row is a header: ``epoch`` and the log keys in sorted order. If
    the first epoch has no ``val_`` keys, a ``val_`` column is added for each
    key anyway (filled with ``NA`` until validation runs), as Keras does.
    Missing values are written as ``NA``.

    Args:
        filename: path of the CSV file, e.g. ``"run/log.csv"``.
        separator: the column separator.
        append: add to an existing file (writing no second header) instead of
            overwriting it; useful to continue a training run.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "log.csv")
        >>> logger = CSVLogger(path)
        >>> logger.on_train_begin()
        >>> logger.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
        >>> logger.on_train_end()
        >>> with open(path) as f:
        ...     print(f.read())
        epoch,loss,val_loss
        0,0.5,0.75
        <BLANKLINE>
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        try:
            self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(
                f"CSVLogger cannot create {self.filename!r}: the folder "
                f"{os.path.dirname(os.path.abspath(self.filename))!r} does not exist. "
                "Create it first (os.makedirs(folder, exist_ok=True))."
            ) from None
        except IsADirectoryError:
            raise IsADirectoryError(
                f"CSVLogger's filename {self.filename!r} is an existing folder; give a file "
                f"name, e.g. {os.path.join(self.filename, 'training.csv')!r}."
            ) from None
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.csv_file is None:  # called without on_train_begin
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend(f"val_{key}" for key in list(self.keys))
        if self.writer is None:
            import csv  # imported when a CSVLogger writes, not with lamina.callbacks

            class _Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch", *self.keys], dialect=_Dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
