"""``Hashing``: values to one of ``num_bins`` buckets by FarmHash (or SipHash with a ``salt``)."""

from __future__ import annotations

import numpy as np

from lamina.layers.layer import Layer
from lamina.layers.text_preprocessing import _hashes
from lamina.layers.text_preprocessing.encoding import (
    as_host_array,
    check_mode,
    check_sparse,
    encode,
    encoded_shape,
    host_call,
)

__all__ = ["Hashing"]


def _as_hash_text(arr: np.ndarray) -> list:
    """The strings TensorFlow hashes: the text itself, or the decimal form of a number
    (floats are truncated to integers first)."""
    flat = arr.reshape(-1)
    if arr.dtype.kind == "f":
        return [str(int(v)).encode() for v in np.trunc(flat).astype(np.int64).tolist()]
    if arr.dtype.kind in "iub":
        return [str(int(v)).encode() for v in flat.tolist()]
    out = []
    for v in flat.tolist():
        if isinstance(v, bytes):
            out.append(v)
        elif isinstance(v, str):
            out.append(v.encode("utf-8"))
        else:
            raise TypeError(
                f"Hashing expects strings or numbers; got an element of type {type(v).__name__}.")
    return out


class Hashing(Layer):
    """Hashes strings or integers into ``num_bins`` bins (the hashing trick).

    The bin of a value is ``Fingerprint64(text) % num_bins`` (FarmHash, as
    TensorFlow's ``to_hash_bucket_fast``), where numbers are hashed as their
    decimal text; with a ``salt``, SipHash-2-4 keyed by it. With ``mask_value``
    set, that value goes to bin 0 and the others to bins ``1..num_bins-1``.

    Args:
        num_bins: the number of bins (mask bin included).
        mask_value: the value that means padding (``None``: none).
        salt: an int or a pair of ints keying SipHash (``None``: FarmHash).
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"`` or ``"count"``.
        sparse: only ``False``.

    Example:
        >>> import lamina
        >>> lamina.layers.Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).numpy()
        array([[1],
               [0],
               [1],
               [1],
               [2]])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        output_mode = check_mode("Hashing", output_mode, ("int", "one_hot", "multi_hot", "count"))
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                f"The 'num_bins' argument of Hashing must be a positive int. Got "
                f"num_bins={num_bins!r} instead.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "Hashing with output_mode='int' needs an integer dtype ('int32' or 'int64'); "
                f"got dtype={self.dtype!r}.")
        check_sparse("Hashing", sparse)
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.output_mode = output_mode
        self.sparse = False
        self.strong_hash = salt is not None
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The 'salt' argument of Hashing must be an int or a pair of ints. Got "
                    f"salt={salt!r} instead.")

    def build(self, input_shape=None):
        self.built = True

    def build_from_config(self, config):
        self.build(None)  # (nothing to create: a call on zeros would not be text)

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)) or (
                isinstance(inputs, np.ndarray) and inputs.dtype == object):
            from lamina.layers.text_preprocessing._strings import as_text_array

            arr = np.asarray(inputs) if not isinstance(inputs, np.ndarray) else inputs
            if arr.dtype.kind not in "iufb":
                inputs = as_text_array(inputs, f"Hashing '{self.name}'")
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        return host_call(self._hash, inputs)

    def _bins(self, arr: np.ndarray) -> np.ndarray:
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = arr == self.mask_value
        texts = _as_hash_text(arr)
        if self.strong_hash:
            k0, k1 = self.salt
            values = [_hashes.siphash24(t, k0, k1) % bins for t in texts]
        else:
            values = [_hashes.fingerprint64(t) % bins for t in texts]
        out = np.asarray(values, dtype=np.int64).reshape(arr.shape)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def _hash(self, inputs):
        arr = as_host_array(inputs)
        if self.output_mode == "one_hot" and arr.ndim and arr.shape[-1] == 1:
            arr = arr[..., 0]
        ids = self._bins(arr)
        return encode(ids, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if not input_shape:
            return (self.num_bins,)
        return input_shape[:-1] + (self.num_bins,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(num_bins=self.num_bins, salt=self.salt, mask_value=self.mask_value,
                      output_mode=self.output_mode, sparse=self.sparse)
        return config


_ = encoded_shape  # (Hashing's vector shape is Keras's own rule above)
