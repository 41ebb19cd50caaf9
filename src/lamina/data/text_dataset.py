"""``text_dataset_from_directory``: a folder of ``.txt`` files as batches of strings, Keras's way.

The files, labels, class names and subsets are Keras's for the same folder and
seed (``file_index.py``, shared with the image folders). The result is a
``lamina.data.Dataset`` built as Keras builds its ``tf.data`` pipeline: file
paths (and labels), a shuffle buffer of ``batch_size * 8`` files, ``map`` to read
each file (cut to ``max_length`` bytes, as ``tf.strings.substr``), ``batch``,
``prefetch``. Texts come as NumPy ``str`` arrays (UTF-8 decoded; Keras gives
``tf.string`` bytes), ready for ``TextVectorization``.
"""

from __future__ import annotations

import numpy as np

from lamina.data import file_index

__all__ = ["text_dataset_from_directory"]

_LABEL_MODES = ("int", "categorical", "binary", None)


def _read_text(path, max_length):
    with open(path, "rb") as f:
        data = f.read() if max_length is None else f.read(max_length)
    return np.str_(data.decode("utf-8", errors="ignore" if max_length else "replace"))


def _label_encoder(label_mode, num_classes):
    def encode(label):
        if label_mode == "binary":
            return np.asarray([label], dtype="float32")
        if label_mode == "categorical":
            out = np.zeros(num_classes, dtype="float32")
            if 0 <= label < num_classes:
                out[label] = 1.0
            return out
        return np.int32(label)

    return encode


def texts_dataset(file_paths, labels, label_mode, class_names, max_length, batch_size,
                  shuffle, seed):
    """The files as a ``Dataset`` of ``(texts, labels)`` batches (Keras's pipeline)."""
    from lamina.data.dataset import AUTOTUNE, Dataset

    paths = [str(p) for p in file_paths]
    encode = _label_encoder(label_mode, len(class_names) if class_names else 0)

    def load(path, label=None):
        text = _read_text(str(path), max_length)
        return text if label is None else (text, encode(int(label)))

    if label_mode is None:
        ds = Dataset.from_tensor_slices(paths)
    else:
        ds = Dataset.from_tensor_slices((paths, np.asarray(labels, dtype="int64")))
    if shuffle:
        ds = ds.shuffle(buffer_size=batch_size * 8 if batch_size else 1024, seed=seed)
    ds = ds.map(load, num_parallel_calls=AUTOTUNE)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds = ds.prefetch(AUTOTUNE)
    ds.class_names = class_names
    return ds


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                format="tf", verbose=True):
    """Batches of texts (and labels) from a folder with one subfolder per class, as Keras's.

    ``main/neg/*.txt`` and ``main/pos/*.txt`` give labels 0 (neg) and 1 (pos); files
    ending in ``.txt`` (any case) are read, in subfolders too.

    Args:
        directory: the folder.
        labels: ``"inferred"`` (from the subfolders), ``None`` (texts only), or a list of
            integer labels, one per file in the sorted order of their paths.
        label_mode: ``"int"`` (int32), ``"categorical"`` (one-hot float32), ``"binary"``
            (float32 ``(batch, 1)``, two classes) or ``None``.
        class_names: the subfolders to use, in label order (default: all, sorted).
        batch_size: texts per batch; ``None`` yields single texts.
        max_length: keep at most this many bytes of each file.
        shuffle: shuffle the files (a new order every epoch); ``False`` keeps them sorted.
        seed: the seed of the split and of the shuffles (needed with validation_split).
        validation_split: the fraction of files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a pair of data sets).
        follow_links: walk into subfolders that are symbolic links.
        format: ``"tf"`` or ``"grain"`` (both give lamina's data set).
        verbose: print how many files and classes were found.

    Returns:
        A ``lamina.data.Dataset`` of ``texts`` or ``(texts, labels)`` batches, with a
        ``class_names`` attribute (a pair of them for ``subset="both"``).

    Example:
        >>> import os, tempfile, lamina
        >>> root = tempfile.mkdtemp()
        >>> for label, text in [("neg", "awful"), ("pos", "great")]:
        ...     os.makedirs(os.path.join(root, label))
        ...     with open(os.path.join(root, label, "a.txt"), "w") as f:
        ...         _ = f.write(text)
        >>> ds = lamina.utils.text_dataset_from_directory(root, shuffle=False, verbose=False)
        >>> texts, labels = next(iter(ds))
        >>> texts.tolist(), labels.tolist(), ds.class_names
        (['awful', 'great'], [0, 1], ['neg', 'pos'])
    """
    if (labels != "inferred") if isinstance(labels, str) else (
            labels is not None and not isinstance(labels, (list, tuple, np.ndarray))):
        raise ValueError(
            "The 'labels' argument must be 'inferred' (from the class folders), None (no "
            f"labels), or a list of integer labels, one per file. Got {labels!r} instead.")
    if not isinstance(labels, str) and labels is not None and class_names:
        raise ValueError(
            "class_names can only be given with labels='inferred' (they name the subfolders); "
            f"got labels={labels!r} and class_names={class_names!r}.")
    if label_mode not in _LABEL_MODES:
        raise ValueError(
            f"The 'label_mode' argument must be one of {_LABEL_MODES}: 'int' for "
            "sparse_categorical_crossentropy, 'categorical' (one-hot) for "
            "categorical_crossentropy, 'binary' for binary_crossentropy with 2 classes. "
            f"Got {label_mode!r} instead.")
    if format not in ("tf", "grain"):
        raise ValueError(f"The 'format' argument must be 'tf' or 'grain'. Got {format!r}.")
    if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) != batch_size
                                   or batch_size < 1):
        raise ValueError("The 'batch_size' argument must be a positive integer or None. "
                         f"Got {batch_size!r} instead.")
    if max_length is not None and (int(max_length) != max_length or max_length < 0):
        raise ValueError("The 'max_length' argument must be a non-negative integer or None. "
                         f"Got {max_length!r} instead.")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    file_index.check_split_arguments(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = file_index.draw_seed()
    paths, found_labels, names = file_index.index_directory(
        directory, labels, (".txt",), class_names=class_names, shuffle=shuffle, seed=seed,
        follow_links=follow_links, verbose=verbose, kind="text files")
    if label_mode == "binary" and len(names) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes; found {len(names)}: {names}. Use "
            "label_mode='int' (sparse_categorical_crossentropy) or 'categorical'.")
    batch = None if batch_size is None else int(batch_size)

    def make(part_paths, part_labels, part_shuffle):
        return texts_dataset(part_paths, part_labels, label_mode, names, max_length, batch,
                             part_shuffle, seed)

    def none_found(which):
        return ValueError(f"No {which}text files found in directory '{directory}'. Allowed "
                          "format: .txt")

    if subset == "both":
        train = file_index.split_subset(paths, found_labels, validation_split, "training")
        val = file_index.split_subset(paths, found_labels, validation_split, "validation")
        if not train[0]:
            raise none_found("training ")
        if not val[0]:
            raise none_found("validation ")
        return make(*train, shuffle), make(*val, False)
    part_paths, part_labels = file_index.split_subset(paths, found_labels, validation_split,
                                                      subset)
    if not part_paths:
        raise none_found("")
    return make(part_paths, part_labels, shuffle)
