"""``CategoryEncoding`` and the one helper every categorical layer encodes its indices with.

``encode(ids, output_mode, depth, dtype)`` is Keras's rule: ``"int"`` casts;
``"one_hot"`` adds a last axis of ``depth`` (a last axis of size 1 is replaced);
``"multi_hot"`` and ``"count"`` collapse axis 1 (axis 0 of 1-D input, which is one
sample) into ``depth`` slots, marking presence or counting (optionally weighted).
It runs on the host as one ``lamina.ops`` host call, so a traced step replays it.
"""

from __future__ import annotations

import numpy as np

from lamina.autodiff import hooks
from lamina.autodiff.tensor import Tensor, raw_value
from lamina.layers.layer import Layer

__all__ = ["CategoryEncoding", "MissingArgumentError", "encode", "encoded_shape", "host_call"]

_MODES = ("one_hot", "multi_hot", "count")


class MissingArgumentError(TypeError, ValueError):
    """A required constructor argument is missing (a ``ValueError`` in Keras, a ``TypeError``
    by Python's convention for missing arguments: both ``except`` clauses catch it)."""


def encode(ids, output_mode, depth, dtype, count_weights=None, keep=None) -> np.ndarray:
    """Encode integer ``ids``; positions where ``keep`` is False (or ids outside
    ``[0, depth)``) contribute nothing."""
    ids = np.asarray(ids)
    if output_mode == "int":
        return ids.astype(dtype)
    if count_weights is not None:
        count_weights = np.asarray(count_weights)
        dtype = count_weights.dtype
    if ids.ndim == 0:
        ids = ids.reshape(1)
        keep = None if keep is None else np.reshape(keep, (1,))
        count_weights = None if count_weights is None else count_weights.reshape(1)
    valid = (ids >= 0) & (ids < depth)
    if keep is not None:
        valid &= keep
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids, valid = ids[..., 0], valid[..., 0]
        out = np.zeros(ids.shape + (depth,), dtype=dtype)
        where = np.nonzero(valid)
        out[where + (ids[where],)] = 1
        return out
    # multi_hot / count: collapse axis 1 (the sample's values) into depth slots.
    if ids.ndim == 1:
        ids, valid = ids[None], valid[None]
        count_weights = None if count_weights is None else count_weights[None]
        squeeze = True
    else:
        squeeze = False
    moved = np.moveaxis(ids, 1, -1)
    rest = moved.shape[:-1]
    flat_ids = moved.reshape(-1, moved.shape[-1])
    flat_valid = np.moveaxis(valid, 1, -1).reshape(flat_ids.shape)
    rows = np.broadcast_to(np.arange(flat_ids.shape[0])[:, None], flat_ids.shape)
    slots = (rows * depth + flat_ids)[flat_valid]
    if output_mode == "multi_hot":
        out = np.zeros(flat_ids.shape[0] * depth, dtype=dtype)
        out[slots] = 1
    else:
        weights = None
        if count_weights is not None:
            weights = np.moveaxis(np.broadcast_to(count_weights, ids.shape), 1, -1).reshape(
                flat_ids.shape)[flat_valid]
        out = np.bincount(slots, weights=weights, minlength=flat_ids.shape[0] * depth)
        out = out.astype(dtype)
    out = out.reshape(rest + (depth,))
    return out[0] if squeeze else out


def encoded_shape(input_shape, output_mode, depth) -> tuple:
    """The output shape of ``encode`` for inputs of ``input_shape`` (``None`` = unknown)."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) == 1:
        return (depth,)
    return (input_shape[0],) + input_shape[2:] + (depth,)


def check_mode(layer_name, output_mode, allowed):
    if output_mode == "binary":
        output_mode = "multi_hot"
    if output_mode == "tf-idf":
        output_mode = "tf_idf"
    if output_mode not in allowed:
        raise ValueError(
            f"The 'output_mode' argument of {layer_name} must be one of "
            f"{', '.join(repr(m) for m in allowed)}. Got output_mode={output_mode!r} instead.")
    return output_mode


def check_sparse(layer_name, sparse):
    if sparse:
        raise ValueError(
            f"{layer_name}(sparse=True): lamina has no sparse tensors; its outputs are dense "
            "NumPy arrays. Use sparse=False.")


def host_call(fn, *args):
    """``fn(*arrays)`` as one host step of a traced plan (or now, eagerly), as a tensor."""
    out = hooks.host(fn, *args, effect=False, arrays=True)
    return out if isinstance(out, Tensor) else Tensor(out)


def as_host_array(x) -> np.ndarray:
    return raw_value(x) if isinstance(x, Tensor) else np.asarray(x)


class CategoryEncoding(Layer):
    """Encodes integer category ids as one-hot, multi-hot or count vectors.

    ``output_mode="one_hot"``: each id becomes a vector of ``num_tokens`` zeros
    with a one at the id (a last input axis of size 1 is replaced by the
    encoding). ``"multi_hot"`` (default): one vector per sample with a one at each
    id it holds. ``"count"``: how often each id occurs, or the sum of
    ``count_weights`` at its positions. Ids must lie in ``[0, num_tokens)``.

    Args:
        num_tokens: the number of categories (the output's last dimension).
        output_mode: ``"multi_hot"``, ``"one_hot"`` or ``"count"``.
        sparse: only ``False`` (lamina's arrays are dense).

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
        >>> layer(np.array([[0, 1], [3, 3]])).numpy()
        array([[1., 1., 0., 0.],
               [0., 0., 0., 1.]], dtype=float32)
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        self.output_mode = check_mode("CategoryEncoding", output_mode, _MODES)
        if num_tokens is None:
            raise MissingArgumentError(
                "CategoryEncoding needs `num_tokens` (the number of categories). If it is not "
                "known in advance, use IntegerLookup, which learns it with adapt().")
        if int(num_tokens) < 1:
            raise ValueError(
                f"The 'num_tokens' argument of CategoryEncoding must be >= 1. Got "
                f"num_tokens={num_tokens!r} instead.")
        check_sparse("CategoryEncoding", sparse)
        self.num_tokens = int(num_tokens)
        self.sparse = False

    def build(self, input_shape=None):
        self.built = True

    def build_from_config(self, config):
        self.build(None)  # (nothing to create: a call on zeros would not be text)

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(
                "CategoryEncoding: `count_weights` is only used with output_mode='count'; got "
                f"output_mode={self.output_mode!r}.")
        return host_call(self._encode, inputs, count_weights)

    def _encode(self, inputs, count_weights):
        ids = as_host_array(inputs)
        if ids.dtype.kind not in "iub" and not (
                ids.dtype.kind == "f" and np.all(np.mod(ids, 1) == 0)):
            raise TypeError(
                f"CategoryEncoding '{self.name}' expects integer category ids; got an array of "
                f"dtype {ids.dtype}.")
        if ids.size and (ids.min() < 0 or ids.max() >= self.num_tokens):
            raise ValueError(
                f"CategoryEncoding '{self.name}' has num_tokens={self.num_tokens}, so ids must lie "
                f"in [0, {self.num_tokens}); got values from {ids.min()} to {ids.max()}. Raise "
                "num_tokens, or map the values first (IntegerLookup).")
        if count_weights is not None:
            count_weights = as_host_array(count_weights).astype(self.dtype)
        return encode(ids.astype(np.int64), self.output_mode, self.num_tokens, self.dtype,
                      count_weights)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(num_tokens=self.num_tokens, output_mode=self.output_mode)
        return config
