"""What every image layer shares: the layout, the input check, the seed and the random draws.

An image layer takes a batch ``(batch, height, width, channels)`` or one image
``(height, width, channels)`` (with ``data_format="channels_first"``, channels
before height and width). The random layers follow Keras 3's ``training``
rule: they transform when called with ``training=True`` (``fit``) and also when
called directly without the flag (``layer(x)``, ``model(x)``), and pass images
through in ``predict``/``evaluate`` and with ``training=False``.

Random values are drawn as host steps (``lamina.autodiff.hooks.host``) from a
generator of the layer's own when it has a ``seed`` (else lamina's global one),
so a traced training step draws new values at every replay, in the order the
eager step draws them.
"""

from __future__ import annotations

import numbers

import numpy as np

from lamina import ops
from lamina import random as lamina_random
from lamina.autodiff import hooks
from lamina.layers.layer import Layer
from lamina.ops.image import standardize_data_format

__all__ = ["ImageLayer", "base_factor", "check_choice", "check_seed", "is_active"]


def is_active(training) -> bool:
    """Keras's rule for the random layers: transform unless ``training`` is falsy (not ``None``)."""
    return training is None or bool(training)


def check_seed(layer_name: str, seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(
            f"The 'seed' argument of {layer_name} must be an integer or None. Got seed={seed!r} "
            "instead.")
    return None if seed is None else int(seed)


def check_choice(layer_name: str, arg: str, value, choices):
    if value not in choices:
        raise ValueError(
            f"The '{arg}' argument of {layer_name} must be one of {choices}. Got "
            f"{arg}={value!r} instead.")
    return value


def base_factor(layer_name: str, factor, bounds=(-1, 1)) -> tuple:
    """Keras's ``factor`` rule: ``f`` means ``(max(-|f|, lower bound), |f|)``; a pair is sorted."""
    msg = (f"The 'factor' argument of {layer_name} must be a number or a pair of numbers in "
           f"[{bounds[0]}, {bounds[1]}]. Got factor={factor!r} instead.")
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or not all(isinstance(f, numbers.Real) and not isinstance(f, bool)
                                       for f in factor):
            raise ValueError(msg)
        if factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ValueError(msg)
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        if factor < bounds[0] or factor > bounds[1]:
            raise ValueError(msg)
        factor = abs(factor)
        return max(-factor, bounds[0]), factor
    raise ValueError(msg)


def _fmt(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


class ImageLayer(Layer):
    """Base of the image layers: ``data_format``, input checks, seeded draws (not exported)."""

    def __init__(self, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, type(self).__name__)
        if bounding_box_format is not None:
            raise ValueError(
                f"{type(self).__name__}: lamina's image layers transform images only; "
                f"bounding_box_format={bounding_box_format!r} (dicts of images, boxes, labels "
                "and masks) is not supported. Pass the images alone.")

    # -- seeds and draws --------------------------------------------------------------------
    def _init_seed(self, seed) -> None:
        self.seed = check_seed(type(self).__name__, seed)
        self.seed_generator = (None if self.seed is None
                               else lamina_random.SeedGenerator(self.seed))

    def generator(self) -> np.random.Generator:
        """The generator this layer draws from: its own (from ``seed``) or lamina's global one."""
        return lamina_random.make_generator(self.seed_generator)

    def draw_uniform(self, shape, low, high) -> np.ndarray:
        """float32 ``u * (high - low) + low`` with ``u`` uniform in ``[0, 1)`` (TensorFlow's form)."""
        low, high = np.float32(low), np.float32(high)
        u = self.generator().random(tuple(shape), dtype=np.float32)
        return u * (high - low) + low

    def draw_integer(self, low, high) -> np.ndarray:
        """One integer uniform in ``[low, high)``."""
        return np.asarray(self.generator().integers(low, high), dtype=np.int64)

    def _uniform(self, shape, low, high):
        """A tensor of ``draw_uniform``, drawn as a host step (anew at each replay)."""
        return ops.convert_to_tensor(
            hooks.host(self.draw_uniform, tuple(shape), float(low), float(high)))

    def _integer(self, low, high):
        """A tensor of ``draw_integer``, drawn as a host step (anew at each replay)."""
        return ops.convert_to_tensor(hooks.host(self.draw_integer, int(low), int(high)))

    # -- shapes -------------------------------------------------------------------------------
    def _layout(self) -> str:
        if self.data_format == "channels_first":
            return "(batch, channels, height, width)"
        return "(batch, height, width, channels)"

    def _check_images(self, shape) -> None:
        shape = tuple(shape)
        name = f"{type(self).__name__} '{self.name}'"
        single = "(channels, height, width)" if self.data_format == "channels_first" else \
            "(height, width, channels)"
        if len(shape) == 3 and shape[0] is None:
            raise ValueError(
                f"{name} expects images of shape {self._layout()}, but got shape {_fmt(shape)}: "
                "with the batch axis first, each sample is 2-D. Give grayscale images a channel "
                f"axis, e.g. `keras.Input(({shape[1]}, {shape[2]}, 1))` and `x[..., None]`.")
        if len(shape) in (3, 4):
            return
        hint = ""
        if len(shape) == 2 and shape[-1] is not None and int(shape[-1] ** 0.5) ** 2 == shape[-1]:
            side = int(shape[-1] ** 0.5)
            hint = (f" Flattened {side}x{side} images? Reshape them first: "
                    f"`x.reshape(-1, {side}, {side}, 1)`.")
        elif len(shape) == 2:
            hint = " For grayscale images add a channel axis: `x[..., None]`."
        elif len(shape) == 5:
            hint = " The layer takes 2-D images, not volumes or videos."
        raise ValueError(
            f"{name} expects images of shape {self._layout()} or one image {single}, but got "
            f"shape {_fmt(shape)} ({len(shape)} dimensions).{hint}")

    def _axes(self, rank: int) -> tuple:
        """The height and width axes of inputs of ``rank`` (3 or 4)."""
        first = rank - 3 + (1 if self.data_format == "channels_first" else 0)
        return first, first + 1

    def _float(self, inputs):
        if inputs.dtype != np.dtype(self.compute_dtype):
            return ops.cast(inputs, self.compute_dtype)
        return inputs

    def build(self, input_shape):
        if input_shape is not None:
            self._check_images(input_shape)
        self.built = True

    def compute_output_shape(self, input_shape):
        self._check_images(input_shape)
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config
