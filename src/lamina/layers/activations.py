"""Activation layers: ``ReLU``, ``LeakyReLU``, ``PReLU``, ``ELU``, ``Softmax``.

Each is its activation function as a layer (masks pass through), with Keras's
arguments and checks; ``PReLU`` learns its slopes and ``Softmax`` takes a mask
(masked entries get no probability).
"""

from __future__ import annotations

import math
import numbers
import warnings

from lamina import activations, constraints, initializers, ops, regularizers
from lamina.layers.layer import Layer

__all__ = ["ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax"]


def _non_negative(layer: str, name: str, value, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or float(value) < 0.0 \
            or not math.isfinite(float(value)):
        raise ValueError(f"{layer}: `{name}` must be a number >= 0; got {name}={value!r}.")
    return float(value) if not isinstance(value, int) else value


class _Activation(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


class ReLU(_Activation):
    """``max(x, 0)``, optionally capped (``max_value``), leaky (``negative_slope``) and shifted
    (``threshold``): ``lamina.activations.relu`` as a layer.

    Example:
        >>> import lamina
        >>> lamina.layers.ReLU(max_value=2.0)(lamina.ops.convert_to_tensor([-1.0, 3.0])).numpy()
        array([0., 2.], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _non_negative("ReLU", "max_value", max_value, allow_none=True)
        self.negative_slope = _non_negative("ReLU", "negative_slope", negative_slope)
        self.threshold = _non_negative("ReLU", "threshold", threshold)

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(max_value=self.max_value, negative_slope=self.negative_slope,
                       threshold=self.threshold)
        return config_


class LeakyReLU(_Activation):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below (Keras's default slope 0.3).

    ``alpha=`` (Keras 2's name) is accepted, with a warning.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("LeakyReLU: the argument `alpha` is deprecated; use `negative_slope`.",
                          stacklevel=2)
        super().__init__(**kwargs)
        self.negative_slope = _non_negative("LeakyReLU", "negative_slope", negative_slope)

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["negative_slope"] = self.negative_slope
        return config_


class ELU(_Activation):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["alpha"] = self.alpha
        return config_


class PReLU(_Activation):
    """A leaky ReLU whose slopes ``alpha`` are learned, one per input position.

    Args:
        alpha_initializer, alpha_regularizer, alpha_constraint: for the slopes.
        shared_axes: axes (counted with the batch axis as 0) that share one slope,
            e.g. ``[1, 2]`` for one slope per channel of images.
    """

    def __init__(self, alpha_initializer="Zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) \
                else [shared_axes]

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU '{self.name}': shared_axes {self.shared_axes} must "
                                 f"name axes 1..{len(input_shape) - 1} of the input shape "
                                 f"{tuple(input_shape)} (0 is the batch).")
            shape[axis - 1] = 1
        if any(d is None for d in shape):
            raise ValueError(f"PReLU '{self.name}' needs every non-shared axis's size; got "
                             f"input shape {tuple(input_shape)}. Share the unknown axes with "
                             "shared_axes=[...].")
        self.alpha = self.add_weight(name="alpha", shape=tuple(shape),
                                     initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs):
        positive = activations.relu(inputs)
        negative = ops.multiply(ops.negative(self.alpha), activations.relu(ops.negative(inputs)))
        return ops.add(positive, negative)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(alpha_initializer=initializers.serialize(self.alpha_initializer),
                       alpha_regularizer=regularizers.serialize(self.alpha_regularizer),
                       alpha_constraint=constraints.serialize(self.alpha_constraint),
                       shared_axes=self.shared_axes)
        return config_


class Softmax(_Activation):
    """``softmax`` along ``axis`` (one axis or several); a mask keeps its ``True`` entries.

    Masked entries get probability 0 (Keras adds -1e9 to them before the softmax, and
    zeroes them after).

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.Softmax()
        >>> layer(np.array([[1.0, 1.0, 5.0]]), mask=np.array([[True, True, False]])).numpy()
        array([[0.5, 0.5, 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs, mask=None):
        rank = len(inputs.shape)
        for a in self.axis if isinstance(self.axis, (list, tuple)) else (self.axis,):
            if isinstance(a, bool) or not isinstance(a, numbers.Integral) or not -rank <= a < rank:
                raise ValueError(
                    f"Softmax '{self.name}': axis={self.axis!r} does not fit inputs of shape "
                    f"{tuple(inputs.shape)} (valid axes: {-rank} to {rank - 1}); use axis=-1 "
                    "for the last axis.")
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            if mask.ndim > inputs.ndim or any(
                    m not in (1, i) for m, i in zip(mask.shape[::-1], inputs.shape[::-1])):
                raise ValueError(
                    f"Softmax '{self.name}': the mask of shape {tuple(mask.shape)} does not "
                    f"broadcast to the inputs of shape {tuple(inputs.shape)}; each of its axes "
                    "must be 1 or the input's size.")
            if mask.dtype.kind != "b":
                mask = ops.greater(mask, 0.5)
            inputs = ops.where(mask, inputs, ops.convert_to_tensor(-1e9, dtype=inputs.dtype))
        if isinstance(self.axis, (list, tuple)) and len(self.axis) > 1:
            outputs = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=tuple(self.axis),
                                                                 keepdims=True)))
        else:
            axis = self.axis[0] if isinstance(self.axis, (list, tuple)) else self.axis
            outputs = activations.softmax(inputs, axis=axis)
        if mask is not None:
            outputs = ops.where(mask, outputs, ops.zeros((), dtype=outputs.dtype))
        return outputs

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["axis"] = self.axis
        return config_
