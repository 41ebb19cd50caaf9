"""``RandomCrop``: a random ``(height, width)`` window during training, the centre at inference."""

from __future__ import annotations

from lamina import random as lamina_random
from lamina.layers.image_preprocessing.base import ImageLayer, is_active
from lamina.layers.image_preprocessing.resizing import check_size
from lamina.ops import image as image_ops

__all__ = ["RandomCrop"]


class RandomCrop(ImageLayer):
    """Crops a random ``(height, width)`` window of the images during training.

    In training (``training=True``, or called without the flag) every image
    of a batch is cut at the same random offsets, drawn uniformly among the
    ``(H - height + 1) * (W - width + 1)`` windows. At inference
    (``predict``, ``evaluate``, ``training=False``), and in training when an
    image is not larger than the target on both sides, the images are resized
    as ``Resizing(height, width, crop_to_aspect_ratio=True)`` does: the largest
    centred window with the target's aspect ratio, bilinear. So the output
    always has the layer's output shape. (Keras 3.15 documents this inference
    rule but returns the images uncropped; see keras-team/keras#21868.)

    Args:
        height, width: the output size in pixels.
        seed: an integer for a generator of this layer's own; ``None`` picks
            one from lamina's global generator (stored in the config, as Keras does).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.RandomCrop(2, 2, seed=0)
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> layer(x).shape, layer(x, training=False).shape
        ((1, 2, 2, 1), (1, 2, 2, 1))
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(data_format=data_format, name=name, **kwargs)
        self.height, self.width = check_size("RandomCrop", height, width)
        if seed is None:
            seed = int(lamina_random.global_generator().integers(1, 10**9))
        self._init_seed(seed)

    def call(self, inputs, training=True):
        self._check_images(inputs.shape)
        x = self._float(inputs)
        h_axis, w_axis = self._axes(len(x.shape))
        height, width = x.shape[h_axis], x.shape[w_axis]
        if is_active(training) and height > self.height and width > self.width:
            top = self._integer(0, height - self.height + 1)
            left = self._integer(0, width - self.width + 1)
            return image_ops.crop_images(
                x, top_cropping=top, left_cropping=left, target_height=self.height,
                target_width=self.width, data_format=self.data_format)
        return image_ops.resize(x, (self.height, self.width), crop_to_aspect_ratio=True,
                                data_format=self.data_format)

    def compute_output_shape(self, input_shape):
        self._check_images(input_shape)
        shape = list(input_shape)
        h_axis, w_axis = self._axes(len(shape))
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(height=self.height, width=self.width, seed=self.seed,
                      data_format=self.data_format)
        return config
