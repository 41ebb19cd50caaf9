"""Finding the files of a ``*_dataset_from_directory`` call, and its training/validation split.

Keras's rules, so that the same folder and seed give the same files in the
same subsets: class folders are the sorted, non-hidden subfolders (or
``class_names`` in the given order); each is walked recursively, folders in
sorted order and files sorted within each, keeping the allowed extensions
(case-insensitive); the list is shuffled with ``np.random.RandomState(seed)``
when ``shuffle`` is set; the validation subset is the last
``int(validation_split * n)`` files and the training subset the rest.
"""

from __future__ import annotations

import os

import numpy as np

from lamina import random as _random

__all__ = ["check_split_arguments", "draw_seed", "index_directory", "split_subset"]


def check_split_arguments(validation_split, subset, shuffle, seed) -> None:
    """Raise if ``validation_split``/``subset``/``seed`` do not fit together (Keras's rules)."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            "The 'validation_split' argument must be a fraction strictly between 0 and 1, "
            f"e.g. 0.2. Got {validation_split!r} instead."
        )
    if bool(validation_split) != bool(subset):
        raise ValueError(
            "Give 'validation_split' and 'subset' together (or neither): e.g. "
            "validation_split=0.2, subset='training' (or 'validation', or 'both' for the two). "
            f"Got validation_split={validation_split!r}, subset={subset!r}."
        )
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            "The 'subset' argument must be 'training', 'validation' or 'both'. "
            f"Got {subset!r} instead."
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "With validation_split and shuffle=True, pass the same seed=... to both calls "
            "(training and validation), so that the two subsets are drawn from one shuffle "
            "and do not overlap."
        )


def draw_seed() -> int:
    """A seed from lamina's global generator (``set_random_seed`` makes it repeat)."""
    return int(_random.global_generator().integers(0, 1_000_000))


def _class_folders(directory, class_names):
    folders = sorted(name for name in os.listdir(directory)
                     if os.path.isdir(os.path.join(directory, name)) and not name.startswith("."))
    if class_names is None:
        return folders
    class_names = list(class_names)
    unknown = [name for name in class_names if name not in folders]
    if unknown:
        raise ValueError(
            f"class_names names folders that are not in '{directory}': {unknown}. Its "
            f"subfolders are {folders}; class_names must be some of them (in the order you want "
            "the labels)."
        )
    return class_names


def _walk(folder, follow_links, formats):
    """Files under ``folder`` with an allowed extension: folders sorted, files sorted."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda t: t[0]):
        found += [os.path.join(root, name) for name in sorted(files)
                  if name.lower().endswith(formats)]
    return found


def index_directory(directory, labels, formats, class_names=None, shuffle=True, seed=None,
                    follow_links=False, verbose=True, kind="files"):
    """``(file_paths, labels, class_names)`` for the files in ``directory``.

    Args:
        directory: the folder; with ``labels="inferred"``, one subfolder per class.
        labels: ``"inferred"`` (from the subfolders), ``None``, or one integer per file in
            the order of the sorted walk.
        formats: the allowed extensions, lower case, e.g. ``(".png", ".jpg")``.
        class_names: the class folders to use, in label order (``labels="inferred"`` only).
        shuffle: shuffle the list with ``np.random.RandomState(seed)`` (else sorted order).
        seed: the shuffle's seed (drawn when ``None``).
        follow_links: walk into folders that are symbolic links.
        verbose: print "Found N files belonging to K classes."
        kind: what the error messages call the files ("images", ...).

    Returns:
        ``file_paths`` (a list of str), ``labels`` (an int32 array, or ``None``) and
        ``class_names`` (a list of str, or ``None`` without labels).
    """
    directory = os.fspath(directory)
    if not os.path.exists(directory):
        raise FileNotFoundError(
            f"The directory '{directory}' does not exist (resolved to "
            f"'{os.path.abspath(directory)}'). Check the path, or the current working "
            f"directory ({os.getcwd()})."
        )
    if not os.path.isdir(directory):
        raise NotADirectoryError(
            f"'{directory}' is a file, not a directory: pass the folder that holds the {kind}."
        )
    inferred = isinstance(labels, str) and labels == "inferred"
    given = None
    if inferred:
        folders = _class_folders(directory, class_names)
    else:
        if class_names is not None:
            raise ValueError(
                "class_names can only be given with labels='inferred' (the class folder names); "
                + ("with labels=None there are no classes." if labels is None else
                   "with a list of labels, the class names are the sorted distinct labels.")
            )
        folders = [""]
        if labels is not None:
            given = np.asarray(labels)
            if given.ndim != 1 or (given.size and given.dtype.kind not in "iub"):
                raise ValueError(
                    "The 'labels' argument must be 'inferred', None, or a list of integer "
                    f"labels, one per file. Got {type(labels).__name__} "
                    f"{given.dtype if given.size else ''} of shape {given.shape}."
                )
    paths, label_list = [], []
    for index, folder in enumerate(folders):
        found = _walk(os.path.join(directory, folder), follow_links, formats)
        paths += found
        label_list += [index] * len(found)
    if inferred:
        out_labels = np.asarray(label_list, dtype="int32")
        out_names = folders
    elif labels is None:
        out_labels, out_names = None, None
    else:
        if len(given) != len(paths):
            raise ValueError(
                f"labels has {len(given)} entries but '{directory}' holds {len(paths)} {kind}; "
                f"give one label per file, in the sorted order of the file paths."
            )
        out_labels = given.astype("int32")
        out_names = [str(label) for label in sorted(set(given.tolist()))]
    if verbose:
        print(f"Found {len(paths)} files." if out_labels is None else
              f"Found {len(paths)} files belonging to {len(out_names)} classes.")
    if shuffle:  # one permutation for paths and labels, as Keras's two equal RandomState shuffles
        order = np.arange(len(paths))
        np.random.RandomState(draw_seed() if seed is None else seed).shuffle(order)
        paths = [paths[i] for i in order]
        if out_labels is not None:
            out_labels = out_labels[order]
    return paths, out_labels, out_names


def split_subset(paths, labels, validation_split, subset):
    """The ``subset`` (``"training"``/``"validation"``) of ``paths``/``labels``; all if no split.

    Prints "Using M files for training." (or validation), as Keras does.
    """
    if not validation_split:
        return paths, labels
    n_val = int(validation_split * len(paths))
    n_train = len(paths) - n_val
    if subset == "training":
        print(f"Using {n_train} files for training.")
        part = slice(0, n_train)
    elif subset == "validation":
        print(f"Using {n_val} files for validation.")
        part = slice(n_train, len(paths))
    else:
        raise ValueError(f"subset must be 'training' or 'validation'; got {subset!r}.")
    return paths[part], None if labels is None else labels[part]
