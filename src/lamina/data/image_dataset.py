"""``image_dataset_from_directory``: a folder of images as batches for ``fit``, the Keras way.

The files, their labels, the class names and the training/validation subsets
are Keras's for the same folder and seed (``file_index.py``). The returned
``ImageDataset`` is a ``PyDataset``: it decodes one batch of files at a time
(Pillow, with TensorFlow's grayscale weights) and resizes it with
``tf.image.resize``'s arithmetic, so it never holds the whole folder in memory
(unless ``.cache()`` asks it to). A shuffled data set draws a new order of its
files for every epoch (every ``for`` loop over it), from a generator seeded by
``seed``; TensorFlow's shuffle buffer orders them differently, so the batches
of an epoch are not Keras's, but each subset holds the same files.
"""

from __future__ import annotations

import copy
import math
import os

import numpy as np

from lamina.data import file_index
from lamina.utils import image_resize, image_utils
from lamina.utils.py_dataset import PyDataset

__all__ = ["ALLOWLIST_FORMATS", "ImageDataset", "image_dataset_from_directory"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
LABEL_MODES = ("int", "categorical", "binary", None)
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


class ImageDataset(PyDataset):
    """Batches of images read from files (what ``image_dataset_from_directory`` returns).

    Iterate over it for ``(images, labels)`` NumPy batches (``images`` alone
    when it has no labels), or pass it to ``fit`` (``validation_data`` too),
    ``evaluate`` and ``predict``. ``len(ds)`` is the number of batches.

    Attributes:
        class_names: the class names in label order (``None`` without labels).
        file_paths: the files, in the order of the subset (before any epoch's shuffle).
    """

    def __init__(self, file_paths, labels, label_mode, class_names, image_size, num_channels,
                 interpolation="bilinear", crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                 data_format="channels_last", batch_size=32, shuffle=False, seed=None):
        super().__init__()
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self._labels = None if label_mode is None else np.asarray(labels, dtype="int32")
        self._label_mode = label_mode
        self._num_classes = len(class_names) if class_names else 0
        self._image_size = (int(image_size[0]), int(image_size[1]))
        self._num_channels = num_channels
        self._interpolation = interpolation
        self._crop = crop_to_aspect_ratio
        self._pad = pad_to_aspect_ratio
        self._data_format = data_format
        self._batch_size = batch_size
        self._shuffle = shuffle
        self._rng = np.random.default_rng(seed) if shuffle else None
        self._order = self._rng.permutation(len(self.file_paths)) if shuffle else None
        self._cache = None  # {file index: image} once .cache() is asked for
        self._maps = ()
        self._limit = None

    # -- PyDataset --------------------------------------------------------------------------
    def __len__(self) -> int:
        n = len(self.file_paths)
        count = n if self._batch_size is None else math.ceil(n / self._batch_size)
        return count if self._limit is None else min(count, self._limit)

    def __getitem__(self, index):
        """Batch ``index`` of the current epoch: ``(images, labels)`` (or ``images``)."""
        count = len(self)
        if not -count <= index < count:
            raise IndexError(f"batch index {index} is out of range for {count} batches")
        index %= count
        if self._batch_size is None:
            rows = np.array([index])
        else:
            rows = np.arange(index * self._batch_size,
                             min((index + 1) * self._batch_size, len(self.file_paths)))
        if self._order is not None:
            rows = self._order[rows]
        images = np.stack([self._image(i) for i in rows])
        batch = images if self._labels is None else (images, self._encode(self._labels[rows]))
        if self._batch_size is None:  # single images, not batches of one
            batch = images[0] if self._labels is None else (images[0], batch[1][0])
        for fn in self._maps:
            batch = fn(*batch) if isinstance(batch, tuple) else fn(batch)
        return batch

    def on_epoch_begin(self) -> None:
        """Draw this epoch's order of the files (when shuffling)."""
        if self._shuffle:
            self._order = self._rng.permutation(len(self.file_paths))

    def __iter__(self):
        """The batches of one epoch (a new order each time, when shuffling)."""
        self.on_epoch_begin()
        for index in range(len(self)):
            yield self[index]

    # -- what tf.data users call on it ------------------------------------------------------
    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """A data set whose batches are ``map_func(images, labels)`` (or ``map_func(images)``).

        As ``tf.data.Dataset.map`` on the batched data set: the function gets whole
        NumPy batches, e.g. ``ds.map(lambda x, y: (rescale(x), y))``. The other
        arguments are accepted for compatibility.
        """
        out = copy.copy(self)
        out._maps = self._maps + (map_func,)
        return out

    def prefetch(self, buffer_size=None, name=None):
        """The data set itself (lamina loads each batch when it is asked for)."""
        return self

    def cache(self, filename: str = "", name=None):
        """A data set that keeps each decoded image in memory after its first read.

        Unlike ``tf.data``'s cache, a shuffled data set still draws a new order
        every epoch. ``filename`` (a cache on disk) is not supported.
        """
        if filename:
            raise NotImplementedError(
                "lamina's ImageDataset.cache() keeps images in memory only; call it without "
                "a filename."
            )
        out = copy.copy(self)
        out._cache = {}
        return out

    def take(self, count: int, name=None):
        """A data set of the first ``count`` batches of each epoch (``-1``: all of them)."""
        out = copy.copy(self)
        out._limit = None if count is None or int(count) < 0 else int(count)
        return out

    def __repr__(self):
        labels = "no labels" if self._labels is None else f"{self._num_classes} classes"
        batches = len(self)
        return (f"<ImageDataset: {len(self.file_paths)} files, {labels}, {batches} "
                f"batch{'' if batches == 1 else 'es'} of {self._batch_size}>")

    # -- loading ----------------------------------------------------------------------------
    def _image(self, i):
        if self._cache is not None and i in self._cache:
            return self._cache[i]
        image = load_image(self.file_paths[i], self._image_size, self._num_channels,
                           self._interpolation, self._crop, self._pad, self._data_format)
        if self._cache is not None:
            self._cache[i] = image
        return image

    def _encode(self, labels):
        if self._label_mode == "binary":
            return labels.astype("float32")[:, None]
        if self._label_mode == "categorical":
            out = np.zeros((len(labels), self._num_classes), dtype="float32")
            inside = (labels >= 0) & (labels < self._num_classes)  # tf.one_hot: zeros outside
            out[np.nonzero(inside)[0], labels[inside]] = 1.0
            return out
        return labels


def load_image(path, image_size, num_channels, interpolation="bilinear",
               crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
               data_format="channels_last"):
    """One file as the data set gives it: decoded like TensorFlow, resized to ``image_size``."""
    pixels = image_utils.read_image_like_tf(path, num_channels)
    if crop_to_aspect_ratio:
        pixels = image_resize.crop_to_aspect_ratio(pixels, image_size)
        image = image_resize.resize(pixels, image_size, interpolation)
    elif pad_to_aspect_ratio:
        image = image_resize.resize_with_pad(pixels, image_size, interpolation)
    else:
        image = image_resize.resize(pixels, image_size, interpolation)
    return image.transpose(2, 0, 1) if data_format == "channels_first" else image


def _check_arguments(labels, label_mode, class_names, color_mode, image_size, interpolation,
                     crop_to_aspect_ratio, pad_to_aspect_ratio):
    if (labels != "inferred") if isinstance(labels, str) else (
            labels is not None and not isinstance(labels, (list, tuple, np.ndarray))):
        raise ValueError(
            "The 'labels' argument must be 'inferred' (from the class folders), None (no "
            f"labels), or a list of integer labels, one per file. Got {labels!r} instead."
        )
    if label_mode not in LABEL_MODES:
        raise ValueError(
            f"The 'label_mode' argument must be one of {LABEL_MODES}: 'int' for "
            "sparse_categorical_crossentropy, 'categorical' (one-hot) for "
            "categorical_crossentropy, 'binary' for binary_crossentropy with 2 classes. "
            f"Got {label_mode!r} instead."
        )
    if color_mode not in _CHANNELS:
        raise ValueError(
            f"The 'color_mode' argument must be one of {tuple(_CHANNELS)}. Got {color_mode!r} "
            "instead."
        )
    if isinstance(image_size, (int, np.integer)):
        image_size = (int(image_size), int(image_size))
    if not isinstance(image_size, (list, tuple)) or len(image_size) != 2 or not all(
            isinstance(s, (int, np.integer)) and s > 0 for s in image_size):
        raise ValueError(
            "The 'image_size' argument must be (height, width), two positive integers, e.g. "
            f"(180, 180). Got {image_size!r} instead."
        )
    interpolation = str(interpolation).lower()
    if interpolation not in image_resize.INTERPOLATIONS:
        raise ValueError(
            f"The 'interpolation' argument must be one of {image_resize.INTERPOLATIONS}. "
            f"Got {interpolation!r} instead."
        )
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(
            "Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True: crop cuts "
            "the image to the target's shape, pad adds black borders."
        )
    return tuple(image_size), interpolation


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                 color_mode="rgb", batch_size=32, image_size=(256, 256),
                                 shuffle=True, seed=None, validation_split=None, subset=None,
                                 interpolation="bilinear", follow_links=False,
                                 crop_to_aspect_ratio=False, pad_to_aspect_ratio=False,
                                 data_format=None, format="tf", verbose=True):
    """Batches of images (and labels) from a folder with one subfolder per class, as Keras's.

    ``main/cats/*.jpg`` and ``main/dogs/*.jpg`` give labels 0 (cats) and 1 (dogs).
    Files ending in .bmp, .gif, .jpeg, .jpg or .png (any case) are used, in
    subfolders too.

    Args:
        directory: the folder.
        labels: ``"inferred"`` (from the subfolders), ``None`` (images only), or a
            list of integer labels, one per file in the sorted order of their paths.
        label_mode: ``"int"`` (int32 labels), ``"categorical"`` (one-hot float32),
            ``"binary"`` (float32 ``(batch, 1)`` of 0/1, two classes), or ``None``.
        class_names: the subfolders to use, in label order (default: all, sorted).
        color_mode: ``"rgb"``, ``"grayscale"`` or ``"rgba"`` (3, 1 or 4 channels).
        batch_size: images per batch; ``None`` yields single images.
        image_size: ``(height, width)`` every image is resized to.
        shuffle: shuffle the files (a new order every epoch); ``False`` keeps them sorted.
        seed: the seed of the split and of the shuffles (needed with validation_split).
        validation_split: the fraction of files kept for validation.
        subset: ``"training"``, ``"validation"`` or ``"both"`` (a pair of data sets).
        interpolation: the resize: ``"bilinear"``, ``"nearest"``, ``"bicubic"``,
            ``"area"``, ``"lanczos3"``, ``"lanczos5"``, ``"gaussian"``, ``"mitchellcubic"``.
        follow_links: walk into subfolders that are symbolic links.
        crop_to_aspect_ratio: crop to the target's aspect ratio before resizing.
        pad_to_aspect_ratio: resize to fit inside the target, then pad with black.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        format: accepted for Keras compatibility (``"tf"`` or ``"grain"``): both give
            lamina's data set.
        verbose: print how many files and classes were found.

    Returns:
        An ``ImageDataset`` (a pair of them with ``subset="both"``). Images are float32
        ``(batch, height, width, channels)``, 0..255 (uint8 with ``"nearest"``, as
        TensorFlow's resize keeps the dtype).

    Example:
        >>> import os, tempfile, numpy as np
        >>> from lamina.utils import image_dataset_from_directory, save_img
        >>> root = tempfile.mkdtemp()
        >>> for name in ("cat", "dog"):
        ...     os.makedirs(os.path.join(root, name))
        ...     save_img(os.path.join(root, name, "1.png"), np.zeros((4, 4, 3)))
        >>> ds = image_dataset_from_directory(root, image_size=(8, 8), seed=0)
        Found 2 files belonging to 2 classes.
        >>> images, labels = next(iter(ds))
        >>> images.shape, ds.class_names
        ((2, 8, 8, 3), ['cat', 'dog'])
        >>> import shutil; shutil.rmtree(root)
    """
    image_size, interpolation = _check_arguments(
        labels, label_mode, class_names, color_mode, image_size, interpolation,
        crop_to_aspect_ratio, pad_to_aspect_ratio)
    if format not in ("tf", "grain"):
        raise ValueError(f"The 'format' argument must be 'tf' or 'grain'. Got {format!r} instead.")
    if batch_size is not None and (isinstance(batch_size, bool) or int(batch_size) < 1):
        raise ValueError(f"The 'batch_size' argument must be a positive integer or None. "
                         f"Got {batch_size!r} instead.")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    file_index.check_split_arguments(validation_split, subset, shuffle, seed)
    data_format = image_utils.data_format_of(data_format, "image_dataset_from_directory")
    if seed is None:
        seed = file_index.draw_seed()
    paths, found_labels, names = file_index.index_directory(
        directory, labels, ALLOWLIST_FORMATS, class_names=class_names, shuffle=shuffle,
        seed=seed, follow_links=follow_links, verbose=verbose, kind="images")
    if label_mode == "binary" and len(names) != 2:
        raise ValueError(
            f"label_mode='binary' needs exactly 2 classes; found {len(names)}: {names}. Use "
            "label_mode='int' (sparse_categorical_crossentropy) or 'categorical'."
        )

    def make(part_paths, part_labels, part_shuffle):
        return ImageDataset(part_paths, part_labels, label_mode, names, image_size,
                            _CHANNELS[color_mode], interpolation, crop_to_aspect_ratio,
                            pad_to_aspect_ratio, data_format,
                            None if batch_size is None else int(batch_size), part_shuffle, seed)

    if subset == "both":
        train = file_index.split_subset(paths, found_labels, validation_split, "training")
        val = file_index.split_subset(paths, found_labels, validation_split, "validation")
        for part, which in ((train, "training"), (val, "validation")):
            if not part[0]:
                raise ValueError(_no_images(directory, which, validation_split, len(paths),
                                            labels))
        return make(*train, shuffle), make(*val, False)
    part_paths, part_labels = file_index.split_subset(paths, found_labels, validation_split,
                                                      subset)
    if not part_paths:
        raise ValueError(_no_images(directory, subset, validation_split, len(paths), labels))
    return make(part_paths, part_labels, shuffle)


def _no_images(directory, subset, validation_split, total, labels=None):
    if total:
        return (f"validation_split={validation_split} leaves no {subset} images out of the "
                f"{total} in '{directory}'. Use a fraction that leaves images on both sides.")
    message = (f"No images found in directory '{directory}'. Allowed formats: "
               f"{ALLOWLIST_FORMATS}.")
    top = [n for n in os.listdir(directory) if n.lower().endswith(ALLOWLIST_FORMATS)]
    if isinstance(labels, str) and top:
        message += (f" {len(top)} images lie directly in the folder: labels='inferred' expects "
                    "one subfolder per class; pass labels=None to read them without labels.")
    return message
