"""ResNet50 (He et al., 2015): bottleneck residual blocks in four stages.

Keras's architecture, layer names and weight files (``keras.applications.ResNet50``,
also ``keras.applications.resnet50``); ``preprocess_input`` is the "caffe" mode.

Example:
    >>> from lamina.applications import ResNet50
    >>> ResNet50(weights=None, include_top=False, input_shape=(32, 32, 3)).count_params()
    23587712
"""

from __future__ import annotations

from lamina.applications import imagenet_utils as iu
from lamina.applications.imagenet_utils import decode_predictions

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]

WEIGHTS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
_RESNET50 = ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2))  # (filters, blocks, stride)


def _bn(x, name):
    from lamina import layers

    return layers.BatchNormalization(axis=iu.channel_axis(), epsilon=1.001e-5, name=name)(x)


def _bottleneck(x, filters, stride, project, name):
    """One v1 block: 1x1 -> 3x3 -> 1x1 (4x filters), added to the shortcut, then ReLU."""
    from lamina import layers

    shortcut = x
    if project:
        shortcut = _bn(layers.Conv2D(4 * filters, 1, strides=stride, name=f"{name}_0_conv")(x),
                       f"{name}_0_bn")
    h = layers.Conv2D(filters, 1, strides=stride, name=f"{name}_1_conv")(x)
    h = layers.Activation("relu", name=f"{name}_1_relu")(_bn(h, f"{name}_1_bn"))
    h = layers.Conv2D(filters, 3, padding="same", name=f"{name}_2_conv")(h)
    h = layers.Activation("relu", name=f"{name}_2_relu")(_bn(h, f"{name}_2_bn"))
    h = _bn(layers.Conv2D(4 * filters, 1, name=f"{name}_3_conv")(h), f"{name}_3_bn")
    h = layers.Add(name=f"{name}_add")([shortcut, h])
    return layers.Activation("relu", name=f"{name}_out")(h)


def ResNet50(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="resnet50"):
    """ResNet50 as Keras builds it (stages ``conv2`` .. ``conv5``).

    Args:
        include_top: end with ``avg_pool`` and the ``predictions`` Dense.
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

    iu.check_arguments("ResNet50", weights, include_top, classes, pooling)
    input_shape = iu.input_shape_for("ResNet50", input_shape, 224, 32, include_top, weights)
    inputs = iu.image_input(input_tensor, input_shape)
    x = layers.ZeroPadding2D(((3, 3), (3, 3)), name="conv1_pad")(inputs)
    x = layers.Conv2D(64, 7, strides=2, name="conv1_conv")(x)
    x = layers.Activation("relu", name="conv1_relu")(_bn(x, "conv1_bn"))
    x = layers.ZeroPadding2D(((1, 1), (1, 1)), name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks, stride) in enumerate(_RESNET50, start=2):
        for b in range(1, blocks + 1):
            x = _bottleneck(x, filters, stride if b == 1 else 1, b == 1,
                            f"conv{stage}_block{b}")
    x = iu.classifier_top(x, include_top, pooling, classes, classifier_activation, weights,
                          pool_names=("avg_pool", "max_pool"))
    file_name = (f"resnet50_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
    return iu.finish(inputs, x, name, weights, file_name, WEIGHTS_URL + file_name)


def preprocess_input(x, data_format=None):
    """RGB to BGR, then the ImageNet channel means subtracted (mode "caffe")."""
    return iu.preprocess_input(x, data_format=data_format, mode="caffe")
