"""VGG16 (Simonyan & Zisserman, 2014): five blocks of 3x3 convolutions and max pooling.

Keras's architecture, layer names and weight files (``keras.applications.VGG16``);
``preprocess_input`` is the "caffe" mode (BGR, ImageNet means subtracted).

Example:
    >>> from lamina.applications import VGG16
    >>> VGG16(weights=None, include_top=False, input_shape=(32, 32, 3)).count_params()
    14714688
"""

from __future__ import annotations

from lamina.applications import imagenet_utils as iu
from lamina.applications.imagenet_utils import decode_predictions

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]

_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))  # (filters, convolutions)


def VGG16(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg16"):
    """VGG16 as Keras builds it.

    Args:
        include_top: end with ``flatten``, ``fc1``, ``fc2`` (4096 units each) and ``predictions``.
        weights: None, ``"imagenet"`` (Keras's file read from ``~/.keras/models``; never
            downloaded) or the path of a weights file.
        input_tensor: a Keras tensor to build on instead of a new ``Input``.
        input_shape: ``(rows, cols, 3)``; ``(224, 224, 3)`` with the top. At least 32x32.
        pooling: without the top: None (4-D features), ``"avg"`` or ``"max"``.
        classes: the number of classes of the top.
        classifier_activation: the top's activation (``"softmax"``; None for logits).
        name: the model's name.
    """
    return build_vgg("VGG16", _BLOCKS, include_top, weights, input_tensor, input_shape,
                     pooling, classes, classifier_activation, name)


def build_vgg(kind, blocks, include_top, weights, input_tensor, input_shape, pooling, classes,
              classifier_activation, name):
    """A VGG: ``blocks`` of (filters, convolutions), each ending in 2x2 max pooling."""
    from lamina import activations, layers

    iu.check_arguments(kind, weights, include_top, classes, pooling)
    input_shape = iu.input_shape_for(kind, input_shape, 224, 32, include_top, weights)
    inputs = iu.image_input(input_tensor, input_shape)
    x = inputs
    for b, (filters, convs) in enumerate(blocks, start=1):
        for c in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{b}_conv{c}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{b}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        if weights is not None and activations.get(classifier_activation) not in (
                activations.get("softmax"), activations.get(None)):
            raise ValueError("With pretrained weights, classifier_activation must be 'softmax' "
                             f"or None; got {classifier_activation!r}.")
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = iu.classifier_top(x, False, pooling, classes, classifier_activation, weights)
    low = kind.lower()
    file_name = f"{low}_weights_tf_dim_ordering_tf_kernels{'' if include_top else '_notop'}.h5"
    url = f"https://storage.googleapis.com/tensorflow/keras-applications/{low}/{file_name}"
    return iu.finish(inputs, x, name, weights, file_name, url)


def preprocess_input(x, data_format=None):
    """RGB to BGR, then the ImageNet channel means subtracted (mode "caffe")."""
    return iu.preprocess_input(x, data_format=data_format, mode="caffe")
