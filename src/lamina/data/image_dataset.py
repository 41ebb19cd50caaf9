"""``image_dataset_from_directory``: a folder of images as batches for ``fit``, the Keras way.

The files, their labels, the class names and the training/validation subsets
are Keras's for the same folder and seed (``file_index.py``). The result is a
``lamina.data.Dataset`` built as Keras builds its ``tf.data`` pipeline: it
decodes files as they are iterated (Pillow, with TensorFlow's grayscale weights)
and resizes them with ``tf.image.resize``'s arithmetic, so it never holds the
whole folder in memory (unless ``.cache()`` asks it to). A shuffled data set
draws a new order every epoch from a buffer seeded by ``seed``; TensorFlow's
random numbers differ, so the batches of an epoch are not Keras's, but each
subset holds the same files.
"""

from __future__ import annotations

import os

import numpy as np

from lamina.data import file_index
from lamina.utils import image_resize, image_utils

__all__ = ["ALLOWLIST_FORMATS", "image_dataset_from_directory", "images_dataset"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
LABEL_MODES = ("int", "categorical", "binary", None)
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def _label_encoder(label_mode, num_classes):
    def encode(label):
        if label_mode == "binary":
            return np.asarray([label], dtype="float32")
        if label_mode == "categorical":
            out = np.zeros(num_classes, dtype="float32")
            if 0 <= label < num_classes:  # tf.one_hot: zeros outside the classes
                out[label] = 1.0
            return out
        return np.int32(label)

    return encode


def images_dataset(file_paths, labels, label_mode, class_names, image_size, num_channels,
                   interpolation="bilinear", crop_to_aspect_ratio=False,
                   pad_to_aspect_ratio=False, data_format="channels_last", batch_size=32,
                   shuffle=False, seed=None):
    """The files as a ``lamina.data.Dataset`` of ``(images, labels)`` batches, as Keras builds it.

    Keras's pipeline: the file paths (and labels), shuffled with a buffer of
    ``batch_size * 8`` files (1024 unbatched) drawn again every epoch, each file
    decoded and resized by ``map``, then ``batch`` and ``prefetch``. Nothing is read
    before it is iterated; ``class_names`` and ``file_paths`` are attributes of the
    result, as on Keras's.
    """
    from lamina.data.dataset import AUTOTUNE, Dataset

    image_size = (int(image_size[0]), int(image_size[1]))
    paths = np.asarray([str(p) for p in file_paths], dtype=object)
    encode = _label_encoder(label_mode, len(class_names) if class_names else 0)

    def load(path, label=None):
        image = load_image(str(path), image_size, num_channels, interpolation,
                           crop_to_aspect_ratio, pad_to_aspect_ratio, data_format)
        return image if label is None else (image, encode(int(label)))

    if label_mode is None:
        ds = Dataset.from_tensor_slices(list(paths))
    else:
        ds = Dataset.from_tensor_slices((list(paths), np.asarray(labels, dtype="int64")))
    if shuffle:
        ds = ds.shuffle(buffer_size=batch_size * 8 if batch_size else 1024, seed=seed)
    ds = ds.map(load, num_parallel_calls=AUTOTUNE)
    if batch_size is not None:
        ds = ds.batch(batch_size)
    ds = ds.prefetch(AUTOTUNE)
    ds.class_names = class_names
    ds.file_paths = [str(p) for p in file_paths]
    return ds


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
        A ``lamina.data.Dataset`` (a pair of them with ``subset="both"``). Images are float32
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
        return images_dataset(part_paths, part_labels, label_mode, names, image_size,
                              _CHANNELS[color_mode], interpolation, crop_to_aspect_ratio,
                              pad_to_aspect_ratio, data_format,
                              None if batch_size is None else int(batch_size), part_shuffle,
                              seed)

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
