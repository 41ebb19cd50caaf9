"""``TimeDistributed``: one layer applied to every step of a sequence."""

from __future__ import annotations

import importlib

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.rnn.rnn import NestedPaths

__all__ = ["TimeDistributed"]


def _per_step(layer) -> bool:
    """Layers whose result on a batch depends on the whole batch (batch statistics) run one
    step at a time, as Keras runs every layer; the others see all steps as one batch (the
    same numbers, one call)."""
    return any(base.__name__ == "BatchNormalization" for base in type(layer).__mro__)


class TimeDistributed(NestedPaths, Layer):
    """Applies ``layer`` to each step: inputs ``(batch, steps, ...)`` give
    ``(batch, steps, *layer's output for (batch, ...))``.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.TimeDistributed(lamina.layers.Dense(2))
        >>> layer(lamina.ops.ones((4, 5, 3))).shape
        (4, 5, 2)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError("The 'layer' argument of TimeDistributed must be a layer "
                             f"instance. Got layer={layer!r} instead.")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _step_shape(self, input_shape):
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}' expects inputs of at least 3 dimensions "
                f"(batch, steps, ...) but got shape {shape}. Add the steps axis, or apply "
                f"{type(self.layer).__name__} directly.")
        return (shape[0],) + shape[2:]

    def build(self, input_shape):
        step = self._step_shape(input_shape)
        if not self.layer.built:
            self.layer._maybe_build(step)
        self._set_path_prefix(self._path_prefix)
        self.built = True

    def compute_output_shape(self, input_shape):
        step = self.layer.compute_output_shape(self._step_shape(input_shape))
        return (step[0], tuple(input_shape)[1]) + tuple(step[1:])

    def call(self, inputs, training=None, mask=None):
        shape = tuple(inputs.shape)
        batch, steps = shape[0], shape[1]
        if mask is not None and tuple(mask.shape)[:2] != (batch, steps):
            raise ValueError(
                f"TimeDistributed '{self.name}' received a mask of shape {tuple(mask.shape)} "
                f"for inputs of shape {shape}; the mask must start with (batch, steps) = "
                f"{(batch, steps)}.")
        kwargs = {"training": training}
        if _per_step(self.layer):
            outs = [self.layer(ops.getitem(inputs, (slice(None), t)), **kwargs)
                    for t in range(steps)]
            return ops.stack(outs, axis=1)
        flat = ops.reshape(inputs, (batch * steps,) + shape[2:])
        if mask is not None and len(mask.shape) == 2:
            kwargs["mask"] = ops.reshape(mask, (batch * steps,))
        out = self.layer(flat, **kwargs)
        return ops.reshape(out, (batch, steps) + tuple(out.shape[1:]))

    def compute_mask(self, inputs, mask=None):
        return mask

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["layer"] = importlib.import_module("lamina.layers").serialize(self.layer)
        return config_

    @classmethod
    def from_config(cls, config_: dict, custom_objects=None):
        config_ = dict(config_)
        if isinstance(config_.get("layer"), dict):
            config_["layer"] = importlib.import_module("lamina.layers").deserialize(
                config_["layer"], custom_objects=custom_objects)
        return super().from_config(config_)
