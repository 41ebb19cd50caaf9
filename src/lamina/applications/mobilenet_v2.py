"""MobileNetV2 (Sandler et al., 2018): inverted residual blocks with linear bottlenecks.

Keras's architecture, layer names and weight files
(``keras.applications.MobileNetV2``); ``preprocess_input`` scales to [-1, 1].

Example:
    >>> from lamina.applications import MobileNetV2
    >>> model = MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3), classes=10)
    >>> model.output.shape
    (None, 10)
"""

from __future__ import annotations

from lamina.applications import imagenet_utils as iu
from lamina.applications.imagenet_utils import decode_predictions

__all__ = ["MobileNetV2", "decode_predictions", "preprocess_input"]

WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
_SIZES = (96, 128, 160, 192, 224)
_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)
# (output filters, first stride, expansion, repeats) of each stage after the stem
_STAGES = ((16, 1, 1, 1), (24, 2, 6, 2), (32, 2, 6, 3), (64, 2, 6, 4), (96, 1, 6, 3),
           (160, 2, 6, 3), (320, 1, 6, 1))


def _divisible(value, divisor=8):
    """``value`` rounded to a multiple of ``divisor``, never more than 10% below it."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _bn(x, name):
    from lamina import layers

    return layers.BatchNormalization(axis=iu.channel_axis(), epsilon=1e-3, momentum=0.999,
                                     name=name)(x)


def _inverted_residual(x, filters, stride, expansion, alpha, block_id):
    from lamina import layers

    channels = x.shape[iu.channel_axis()]
    out_channels = _divisible(int(filters * alpha))
    prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
    h = x
    if block_id:
        h = layers.Conv2D(expansion * channels, 1, padding="same", use_bias=False,
                          name=f"{prefix}expand")(h)
        h = layers.ReLU(6.0, name=f"{prefix}expand_relu")(_bn(h, f"{prefix}expand_BN"))
    if stride == 2:
        h = layers.ZeroPadding2D(iu.correct_pad(h, 3), name=f"{prefix}pad")(h)
    h = layers.DepthwiseConv2D(3, strides=stride, use_bias=False,
                               padding="same" if stride == 1 else "valid",
                               name=f"{prefix}depthwise")(h)
    h = layers.ReLU(6.0, name=f"{prefix}depthwise_relu")(_bn(h, f"{prefix}depthwise_BN"))
    h = layers.Conv2D(out_channels, 1, padding="same", use_bias=False,
                      name=f"{prefix}project")(h)
    h = _bn(h, f"{prefix}project_BN")
    if stride == 1 and channels == out_channels:
        return layers.Add(name=f"{prefix}add")([x, h])
    return h


def _square_size(input_shape, input_tensor):
    from lamina import config

    shape = input_shape
    if shape is None and input_tensor is not None:
        shape = tuple(input_tensor.shape[1:])
    if shape is None:
        return 224
    rows, cols = (shape[1], shape[2]) if config.image_data_format() == "channels_first" \
        else (shape[0], shape[1])
    return rows if rows == cols and rows in _SIZES else 224


def MobileNetV2(input_shape=None, alpha=1.0, include_top=True, weights="imagenet",
                input_tensor=None, pooling=None, classes=1000, classifier_activation="softmax",
                name=None):
    """MobileNetV2 as Keras builds it (a Functional model named ``mobilenetv2_<alpha>_<rows>``).

    Args:
        input_shape: ``(rows, cols, 3)``; default ``(224, 224, 3)`` with the top,
            ``(None, None, 3)`` without. At least 32x32.
        alpha: the width multiplier (filters of every layer scale with it).
        include_top: end with global average pooling and the ``predictions`` Dense.
        weights: None, ``"imagenet"`` (Keras's file read from ``~/.keras/models``; never
            downloaded) or the path of a weights file.
        input_tensor: a Keras tensor to build on instead of a new ``Input``.
        pooling: without the top: None (4-D features), ``"avg"`` or ``"max"``.
        classes: the number of classes of the top.
        classifier_activation: the top's activation (``"softmax"``; None for logits).
        name: the model's name.
    """
    from lamina import layers

    iu.check_arguments("MobileNetV2", weights, include_top, classes, pooling)
    size = _square_size(input_shape, input_tensor)
    input_shape = iu.input_shape_for("MobileNetV2", input_shape, size, 32, include_top, weights)
    rows = input_shape[1] if iu.channel_axis() == 1 else input_shape[0]
    if weights == "imagenet":
        if alpha not in _ALPHAS:
            raise ValueError(f"MobileNetV2(weights='imagenet') has weights for alpha in "
                             f"{_ALPHAS}; got alpha={alpha}.")
        if rows not in _SIZES or input_shape[0] != input_shape[1]:
            rows = 224
    inputs = iu.image_input(input_tensor, input_shape)
    x = layers.Conv2D(_divisible(32 * alpha), 3, strides=2, padding="same", use_bias=False,
                      name="Conv1")(inputs)
    x = layers.ReLU(6.0, name="Conv1_relu")(_bn(x, "bn_Conv1"))
    block_id = 0
    for filters, stride, expansion, repeats in _STAGES:
        for i in range(repeats):
            x = _inverted_residual(x, filters, stride if i == 0 else 1, expansion, alpha,
                                   block_id)
            block_id += 1
    last = _divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(_bn(x, "Conv_1_bn"))
    x = iu.classifier_top(x, include_top, pooling, classes, classifier_activation, weights)
    file_name = (f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{float(alpha)}_{rows}"
                 f"{'' if include_top else '_no_top'}.h5")
    return iu.finish(inputs, x, name or f"mobilenetv2_{alpha:0.2f}_{rows}", weights, file_name,
                     WEIGHTS_URL + file_name)


def preprocess_input(x, data_format=None):
    """Scale pixels from [0, 255] to [-1, 1] (``imagenet_utils.preprocess_input``, mode "tf")."""
    return iu.preprocess_input(x, data_format=data_format, mode="tf")
