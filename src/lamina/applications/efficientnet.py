"""EfficientNetB0 (Tan & Le, 2019): mobile inverted bottlenecks with squeeze-and-excitation.

Keras's architecture, layer names and weight files (``keras.applications.EfficientNetB0``).
The input scaling is part of the model (``Rescaling`` and ``Normalization`` layers), so
the model takes pixels in [0, 255] and ``preprocess_input`` returns its input unchanged.

Example:
    >>> from lamina.applications import EfficientNetB0
    >>> EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10).output.shape
    (None, 10)
"""

from __future__ import annotations

import math

from lamina.applications import imagenet_utils as iu
from lamina.applications.imagenet_utils import decode_predictions

__all__ = ["EfficientNetB0", "decode_predictions", "preprocess_input"]

WEIGHTS_URL = "https://storage.googleapis.com/keras-applications/"
_IMAGENET_STD_RGB = (0.229, 0.224, 0.225)
# (kernel, repeats, filters in, filters out, expansion, first stride) per stage; SE ratio 0.25
_STAGES = ((3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2),
           (3, 3, 40, 80, 6, 2), (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2),
           (3, 1, 192, 320, 6, 1))
_SE_RATIO = 0.25
_CONV_INIT = {"class_name": "VarianceScaling",
              "config": {"scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"}}
_DENSE_INIT = {"class_name": "VarianceScaling",
               "config": {"scale": 1.0 / 3.0, "mode": "fan_out", "distribution": "uniform"}}


def _conv(filters, kernel, name, **kwargs):
    from lamina import layers

    return layers.Conv2D(filters, kernel, kernel_initializer=_CONV_INIT, name=name, **kwargs)


def _bn(x, name):
    from lamina import layers

    return layers.BatchNormalization(axis=iu.channel_axis(), name=name)(x)


def _mb_conv(x, name, kernel, filters_in, filters_out, expansion, stride, drop_rate):
    """One MBConv block: expand (1x1), depthwise, squeeze-and-excite, project (1x1), skip."""
    from lamina import layers

    filters = filters_in * expansion
    h = x
    if expansion != 1:
        h = _conv(filters, 1, f"{name}expand_conv", padding="same", use_bias=False)(h)
        h = layers.Activation("swish", name=f"{name}expand_activation")(
            _bn(h, f"{name}expand_bn"))
    if stride == 2:
        h = layers.ZeroPadding2D(iu.correct_pad(h, kernel), name=f"{name}dwconv_pad")(h)
    h = layers.DepthwiseConv2D(kernel, strides=stride, padding="valid" if stride == 2 else "same",
                               use_bias=False, depthwise_initializer=_CONV_INIT,
                               name=f"{name}dwconv")(h)
    h = layers.Activation("swish", name=f"{name}activation")(_bn(h, f"{name}bn"))
    squeezed = max(1, int(filters_in * _SE_RATIO))
    se = layers.GlobalAveragePooling2D(name=f"{name}se_squeeze")(h)
    se_shape = (1, 1, filters) if iu.channel_axis() == -1 else (filters, 1, 1)
    se = layers.Reshape(se_shape, name=f"{name}se_reshape")(se)
    se = _conv(squeezed, 1, f"{name}se_reduce", padding="same", activation="swish")(se)
    se = _conv(filters, 1, f"{name}se_expand", padding="same", activation="sigmoid")(se)
    h = layers.multiply([h, se], name=f"{name}se_excite")
    h = _conv(filters_out, 1, f"{name}project_conv", padding="same", use_bias=False)(h)
    h = _bn(h, f"{name}project_bn")
    if stride == 1 and filters_in == filters_out:
        if drop_rate > 0:
            h = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=f"{name}drop")(h)
        h = layers.add([h, x], name=f"{name}add")
    return h


def EfficientNetB0(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                   pooling=None, classes=1000, classifier_activation="softmax",
                   name="efficientnetb0"):
    """EfficientNetB0 as Keras builds it (blocks ``block1a_`` .. ``block7a_``).

    Args:
        include_top: end with ``avg_pool``, ``top_dropout`` (0.2) and ``predictions``.
        weights: None, ``"imagenet"`` (Keras's file read from ``~/.keras/models``; never
            downloaded) or the path of a weights file.
        input_tensor: a Keras tensor to build on instead of a new ``Input``.
        input_shape: ``(rows, cols, 3)``; ``(224, 224, 3)`` with the top. At least 32x32.
        pooling: without the top: None (4-D features), ``"avg"`` or ``"max"``.
        classes: the number of classes of the top.
        classifier_activation: the top's activation (``"softmax"``; None for logits).
        name: the model's name.
    """
    from lamina import layers

    iu.check_arguments("EfficientNetB0", weights, include_top, classes, pooling)
    input_shape = iu.input_shape_for("EfficientNetB0", input_shape, 224, 32, include_top,
                                     weights)
    inputs = iu.image_input(input_tensor, input_shape)
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = layers.Normalization(axis=iu.channel_axis())(x)
    if weights == "imagenet":  # the saved variances are squared standard deviations
        x = layers.Rescaling([1.0 / math.sqrt(s) for s in _IMAGENET_STD_RGB])(x)
    x = layers.ZeroPadding2D(iu.correct_pad(x, 3), name="stem_conv_pad")(x)
    x = _conv(32, 3, "stem_conv", strides=2, padding="valid", use_bias=False)(x)
    x = layers.Activation("swish", name="stem_activation")(_bn(x, "stem_bn"))
    total = float(sum(stage[1] for stage in _STAGES))
    done = 0
    for s, (kernel, repeats, f_in, f_out, expansion, stride) in enumerate(_STAGES, start=1):
        for r in range(repeats):
            x = _mb_conv(x, f"block{s}{chr(ord('a') + r)}_", kernel, f_in if r == 0 else f_out,
                         f_out, expansion, stride if r == 0 else 1, 0.2 * done / total)
            done += 1
    x = _conv(1280, 1, "top_conv", padding="same", use_bias=False)(x)
    x = layers.Activation("swish", name="top_activation")(_bn(x, "top_bn"))
    x = iu.classifier_top(x, include_top, pooling, classes, classifier_activation, weights,
                          pool_names=("avg_pool", "max_pool"), dropout=0.2,
                          dense_kwargs={"kernel_initializer": _DENSE_INIT})
    file_name = f"{name}{'' if include_top else '_notop'}.h5"
    return iu.finish(inputs, x, name, weights, file_name, WEIGHTS_URL + file_name)


def preprocess_input(x, data_format=None):
    """Returns ``x`` unchanged: EfficientNet scales its inputs inside the model."""
    return x
