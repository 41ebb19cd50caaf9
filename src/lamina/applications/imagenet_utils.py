"""What the ImageNet models share: input shapes, the classifier top, weight files, pre/post-processing.

``preprocess_input`` has Keras's three modes: ``"caffe"`` (RGB to BGR, then the
ImageNet channel means subtracted), ``"tf"`` (scaled to [-1, 1]) and ``"torch"``
(scaled to [0, 1], then normalized by ImageNet's channel means and standard
deviations). ``decode_predictions`` reads ImageNet's class index
(``imagenet_class_index.json``) from Keras's cache (``~/.keras/models``) and
never downloads. Pretrained weights are read the same way, by Keras's file names.
"""

from __future__ import annotations

import json
import os

import numpy as np

__all__ = ["decode_predictions", "preprocess_input"]

CLASS_INDEX_URL = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                   "imagenet_class_index.json")
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)
_class_index = None


def _data_format(data_format):
    from lamina import config

    if data_format is None:
        return config.image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("The 'data_format' argument must be 'channels_first', 'channels_last' "
                         f"or None. Got {data_format!r} instead.")
    return data_format


def preprocess_input(x, data_format=None, mode="caffe"):
    """Scale a batch of RGB images (values 0..255) as a pretrained network expects.

    Args:
        x: images, 3-D (one) or 4-D (a batch), with 3 colour channels. A float NumPy
            array is changed in place, as Keras changes it.
        data_format: ``"channels_last"``, ``"channels_first"`` or None (the global setting).
        mode: ``"caffe"``, ``"tf"`` or ``"torch"`` (see the module's description).

    Returns:
        The processed images (float32 unless ``x`` was another float type).

    Example:
        >>> import numpy as np
        >>> preprocess_input(np.full((1, 1, 1, 3), 255.0), mode="tf").ravel()
        array([1., 1., 1.])
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError("The 'mode' argument of preprocess_input must be 'caffe', 'tf' or "
                         f"'torch'. Got {mode!r} instead.")
    data_format = _data_format(data_format)
    from lamina import config

    if not isinstance(x, np.ndarray):
        x = np.array(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(config.floatx())
    if x.ndim not in (3, 4):
        raise ValueError(f"preprocess_input expects images of 3 or 4 dimensions; got shape "
                         f"{x.shape}.")
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    channel_axis = -1 if data_format == "channels_last" else x.ndim - 3
    shape = [1] * x.ndim
    shape[channel_axis] = 3
    if x.shape[channel_axis] != 3:
        raise ValueError(f"preprocess_input(mode={mode!r}) needs 3 colour channels on axis "
                         f"{channel_axis} ({data_format}); got shape {x.shape}.")
    if mode == "torch":
        x /= 255.0
        x -= np.reshape(np.asarray(_TORCH_MEAN, x.dtype), shape)
        x /= np.reshape(np.asarray(_TORCH_STD, x.dtype), shape)
        return x
    x = np.flip(x, axis=channel_axis)  # RGB -> BGR (a view, as Keras's slicing)
    return x - np.reshape(np.asarray(_CAFFE_MEAN_BGR, x.dtype), shape)


def _load_class_index():
    global _class_index
    if _class_index is None:
        from lamina.utils.file_cache import get_file

        try:
            path = get_file("imagenet_class_index.json", CLASS_INDEX_URL, cache_subdir="models")
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"decode_predictions needs ImageNet's class names ({err})"
            ) from None
        with open(path, encoding="utf-8") as f:
            _class_index = json.load(f)
    return _class_index


def decode_predictions(preds, top=5):
    """The ``top`` ImageNet classes of each prediction: ``[(class_id, name, score), ...]``.

    Args:
        preds: an array of shape ``(samples, 1000)``.
        top: how many classes to return for each sample, best first.

    Raises:
        ValueError: ``preds`` is not ``(samples, 1000)``.
        FileNotFoundError: ``imagenet_class_index.json`` is not in Keras's cache
            (``~/.keras/models``); the message says where to put it.
    """
    preds = np.asarray(preds)
    if preds.ndim != 2 or preds.shape[1] != 1000:
        raise ValueError("decode_predictions expects a batch of ImageNet predictions, shape "
                         f"(samples, 1000); got shape {preds.shape}.")
    index = _load_class_index()
    results = []
    for row in preds:
        best = row.argsort()[-top:][::-1]
        entries = [(*index[str(i)], row[i]) for i in best]
        results.append(sorted(entries, key=lambda e: e[2], reverse=True))
    return results


# -- building -----------------------------------------------------------------------------------


def channel_axis() -> int:
    from lamina import config

    return -1 if config.image_data_format() == "channels_last" else 1


def check_arguments(name, weights, include_top, classes, pooling):
    """Keras's checks of ``weights``, ``classes`` and ``pooling``, with the fix in the message."""
    if not (weights in (None, "imagenet") or (isinstance(weights, (str, os.PathLike))
                                               and os.path.exists(weights))):
        raise ValueError(f"The 'weights' argument of {name} must be None (random weights), "
                         f"'imagenet', or the path of a weights file. Got {weights!r} instead.")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(f"{name}(weights='imagenet', include_top=True) has 1000 classes; got "
                         f"classes={classes}. Pass include_top=False to put your own head on "
                         "it, or weights=None.")
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"The 'pooling' argument of {name} must be None, 'avg' or 'max'. Got "
                         f"{pooling!r} instead.")


def input_shape_for(name, input_shape, default_size, min_size, include_top, weights):
    """The image shape to build with (Keras's rules: a top needs a fixed size; at least min_size)."""
    from lamina import config

    first = config.image_data_format() == "channels_first"
    default = (3, default_size, default_size) if first else (default_size, default_size, 3)
    if input_shape is not None:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"The 'input_shape' argument of {name} must have 3 numbers (rows, "
                             f"columns, channels); got {input_shape}.")
        rows, cols, chans = ((input_shape[1], input_shape[2], input_shape[0]) if first
                             else input_shape)
        if weights == "imagenet" and chans != 3:
            raise ValueError(f"{name}(weights='imagenet') needs 3 input channels; got "
                             f"input_shape={input_shape}.")
        if weights == "imagenet" and include_top and input_shape != default:
            raise ValueError(f"{name}(weights='imagenet', include_top=True) needs "
                             f"input_shape={default}; got {input_shape}. Pass include_top=False "
                             "for other sizes.")
        if any(d is not None and d < min_size for d in (rows, cols)):
            raise ValueError(f"{name} needs images of at least {min_size}x{min_size}; got "
                             f"input_shape={input_shape}.")
    elif include_top:
        input_shape = default
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if include_top and None in input_shape:
        raise ValueError(f"{name}(include_top=True) needs a fixed input_shape; got "
                         f"{input_shape}.")
    return input_shape


def image_input(input_tensor, input_shape):
    from lamina import layers

    return layers.Input(shape=input_shape) if input_tensor is None else input_tensor


def correct_pad(tensor, kernel_size):
    """The zero padding before a stride-2 'valid' convolution that makes it match TF's 'same'."""
    axis = 1 if channel_axis() == -1 else 2
    rows, cols = tensor.shape[axis:axis + 2]
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    return ((k[0] // 2 - adjust[0], k[0] // 2), (k[1] // 2 - adjust[1], k[1] // 2))


def classifier_top(x, include_top, pooling, classes, classifier_activation, weights,
                   pool_names=(None, None), dropout=0.0, dense_kwargs=None):
    """Keras's end of an ImageNet network: the pooled classifier, or the pooled features."""
    from lamina import activations, layers

    avg_name, max_name = pool_names
    if include_top:
        x = layers.GlobalAveragePooling2D(name=avg_name)(x)
        if dropout > 0:
            x = layers.Dropout(dropout, name="top_dropout")(x)
        if weights is not None and activations.get(classifier_activation) not in (
                activations.get("softmax"), activations.get(None)):
            raise ValueError("With pretrained weights, classifier_activation must be 'softmax' "
                             f"or None; got {classifier_activation!r}.")
        return layers.Dense(classes, activation=classifier_activation, name="predictions",
                            **(dense_kwargs or {}))(x)
    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def finish(inputs, outputs, name, weights, file_name=None, url=None):
    """The Functional model, with its pretrained or given weights loaded."""
    from lamina.models import Model

    model = Model(inputs, outputs, name=name)
    if weights == "imagenet":
        from lamina.utils.file_cache import get_file

        try:
            path = get_file(file_name, url, cache_subdir="models")
        except FileNotFoundError as err:
            raise FileNotFoundError(
                f"{name}(weights='imagenet') reads Keras's pretrained weights file {file_name!r} "
                f"from Keras's cache ({err}). Or pass weights=None for random weights."
            ) from None
        model.load_weights(path)
    elif weights is not None:
        model.load_weights(weights)
    return model
