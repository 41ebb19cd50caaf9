"""``RandomFlip``: mirror images left-right and/or upside down, at random, during training."""

from __future__ import annotations

from lamina import ops
from lamina.layers.image_preprocessing.base import ImageLayer, check_choice, is_active

__all__ = ["RandomFlip"]

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(ImageLayer):
    """Flips each image with probability 1/2 during training.

    One uniform draw ``u`` per image decides: the image is flipped when
    ``u <= 0.5``. ``mode="horizontal"`` mirrors left-right, ``"vertical"``
    upside down, and ``"horizontal_and_vertical"`` (the default) does both
    together for the chosen images (a half turn), as in Keras 3. Active when
    called with ``training=True`` (``fit``) or without the flag; the identity
    (as floats) in ``predict``, ``evaluate`` and with ``training=False``.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``.
        seed: an integer for a generator of this layer's own; ``None`` draws
            from lamina's global generator (see ``lamina.utils.set_random_seed``).
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.RandomFlip("horizontal", seed=0)
        >>> x = np.arange(3, dtype="float32").reshape(1, 1, 3, 1)
        >>> layer(x, training=False)[0, 0, :, 0].numpy()
        array([0., 1., 2.], dtype=float32)
        >>> sorted(set(tuple(layer(x)[0, 0, :, 0].numpy().tolist()) for _ in range(20)))
        [(0.0, 1.0, 2.0), (2.0, 1.0, 0.0)]
    """

    def __init__(self, mode=HORIZONTAL_AND_VERTICAL, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.mode = check_choice("RandomFlip", "mode", mode,
                                 (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL))
        self._init_seed(seed)

    def call(self, inputs, training=True):
        self._check_images(inputs.shape)
        x = self._float(inputs)
        if not is_active(training):
            return x
        rank = len(x.shape)
        h_axis, w_axis = self._axes(rank)
        flips = ops.less_equal(self._uniform((x.shape[0],) + (1,) * 3 if rank == 4 else
                                             (1, 1, 1), 0.0, 1.0), 0.5)
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x = ops.where(flips, ops.flip(x, axis=w_axis), x)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            x = ops.where(flips, ops.flip(x, axis=h_axis), x)
        return x

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(seed=self.seed, mode=self.mode, data_format=self.data_format)
        return config
