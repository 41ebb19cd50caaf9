"""``Embedding``: integer ids to learned vectors; ``Masking``: steps to skip in sequences.

With ``mask_zero=True`` an ``Embedding`` marks the id 0 as padding: its output carries a
mask (``False`` at padded steps) that the layers after it (recurrent layers, pooling,
attention) and the loss and metrics respect, as in Keras. ``Masking`` does the same for
float sequences whose padded steps are all ``mask_value``.
"""

from __future__ import annotations

import warnings

import numpy as np

from lamina import constraints, initializers, ops, regularizers
from lamina.autodiff import hooks
from lamina.layers.layer import Layer

__all__ = ["Embedding", "Masking"]


def _check_ids(ids, input_dim, name):
    values = ops.convert_to_numpy(ids)
    if values.size and (values.min() < 0 or values.max() >= input_dim):
        bad = values.max() if values.max() >= input_dim else values.min()
        raise ValueError(
            f"Embedding '{name}' got the token id {bad:g}, but input_dim={input_dim} allows ids "
            f"0..{input_dim - 1} only (the largest id in this batch is {values.max():g}). Give "
            "the layer input_dim=<largest id + 1>, or map the unknown ids to a reserved one "
            "(e.g. with a vocabulary's out-of-vocabulary index).")


class Embedding(Layer):
    """A lookup table of ``input_dim`` vectors of size ``output_dim``.

    Args:
        input_dim: the number of ids (the largest id + 1).
        output_dim: the size of each vector.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint: as for weights.
        mask_zero: treat id 0 as padding (the output gets a mask; then id 0 must not be a
            real token, so ``input_dim`` is the vocabulary size + 1).
        weights: optional initial table, shape ``(input_dim, output_dim)``.
        input_length: Keras 2's argument, accepted and ignored (with a warning, as in Keras).

    Example:
        >>> import lamina
        >>> layer = lamina.layers.Embedding(10, 3)
        >>> layer(lamina.ops.convert_to_tensor([[1, 2, 0]])).shape
        (1, 3, 3)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, lora_rank=None, lora_alpha=None, quantization_config=None,
                 **kwargs):
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Embedding: the argument `input_length` is deprecated (Keras 3 "
                          "ignores it); remove it.", stacklevel=2)
        super().__init__(**kwargs)
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
                raise ValueError(f"Embedding: `{arg}` must be a positive integer; got "
                                 f"{value!r}.")
        if lora_rank or quantization_config is not None:
            raise ValueError("Embedding: LoRA and quantization are not supported by lamina.")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.autocast = False  # the ids stay integers
        if weights is not None:
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1
                             else [weights])

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer, regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint)
        self.built = True

    def call(self, inputs):
        if inputs.dtype.kind not in "iu":
            inputs = ops.cast(inputs, "int32")
        # Checked at every step (a traced step replays the check): an id out of range is an
        # error, never a silent lookup of another row.
        hooks.host(_check_ids, inputs, self.input_dim, self.name)
        return ops.take(self.embeddings, inputs, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_.update(
            input_dim=self.input_dim, output_dim=self.output_dim,
            embeddings_initializer=initializers.serialize(self.embeddings_initializer),
            embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
            activity_regularizer=regularizers.serialize(self.activity_regularizer),
            embeddings_constraint=constraints.serialize(self.embeddings_constraint),
            mask_zero=self.mask_zero, quantization_config=None)
        return config_


class Masking(Layer):
    """Marks the steps whose every feature equals ``mask_value`` as padding.

    The output is the input with those steps set to 0, and carries a mask (``False``
    at those steps) for the layers after it.

    Example:
        >>> import numpy as np, lamina
        >>> x = np.array([[[1.0], [0.0], [2.0]]], "float32")
        >>> lamina.layers.Masking()(x)._keras_mask.numpy()
        array([[ True, False,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        outputs = ops.where(keep, inputs, ops.zeros((), dtype=inputs.dtype))
        outputs._keras_mask = ops.squeeze(keep, axis=-1)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config_ = super().get_config()
        config_["mask_value"] = self.mask_value
        return config_
