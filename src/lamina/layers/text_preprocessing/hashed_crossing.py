"""``HashedCrossing``: crosses of categorical features, hashed into ``num_bins`` bins.

The bin of a row is TensorFlow's ``sparse_cross_hashed`` number: starting from
the key ``0xDECAFCAFFE``, each feature's value (an integer as its 64-bit pattern,
a string as its FarmHash ``Fingerprint64``) is folded in with FarmHash's
``FingerprintCat64``, and the result taken modulo ``num_bins``.
"""

from __future__ import annotations

import numpy as np

from lamina.layers.layer import Layer
from lamina.layers.text_preprocessing import _hashes
from lamina.layers.text_preprocessing.encoding import (
    as_host_array,
    check_mode,
    check_sparse,
    encode,
    host_call,
)

__all__ = ["HashedCrossing"]

_M = (1 << 64) - 1
_MUL = 0xC6A4A7935BD1E995
_CROSS_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash key


def _shift_mix(v: int) -> int:
    return v ^ (v >> 47)


def _fingerprint_cat(fp1: int, fp2: int) -> int:
    """FarmHash's ``FingerprintCat64``: two 64-bit fingerprints combined into one."""
    out = fp1 ^ _MUL
    out ^= (_shift_mix((fp2 * _MUL) & _M) * _MUL) & _M
    out = (out * _MUL) & _M
    out = (_shift_mix(out) * _MUL) & _M
    return _shift_mix(out)


def _feature_hashes(arr: np.ndarray, layer_name: str) -> list:
    flat = arr.reshape(-1)
    if arr.dtype.kind in "iub":
        return [int(v) & _M for v in flat.tolist()]
    out = []
    for v in flat.tolist():
        if isinstance(v, str):
            v = v.encode("utf-8")
        if not isinstance(v, bytes):
            raise TypeError(
                f"HashedCrossing '{layer_name}' crosses integer or string features; got an "
                f"element of type {type(v).__name__} ({v!r}). Cast floats to integers (or "
                "bucket them with Discretization) first.")
        out.append(_hashes.fingerprint64(v))
    return out


class HashedCrossing(Layer):
    """Crosses two or more categorical features with the hashing trick.

    Each row's values (one per feature) are combined into one hash, as
    TensorFlow's ``tf.sparse.cross_hashed`` does, and bucketed into
    ``num_bins`` bins; the bins match Keras's numbers.

    Args:
        num_bins: the number of hash bins.
        output_mode: ``"int"`` (default, int64 bins) or ``"one_hot"``.
        sparse: only ``False`` (lamina's arrays are dense).

    Inputs: a list or tuple of at least two integer or string arrays of the
    same shape, ``()``, ``(batch,)`` or ``(batch, 1)``.

    Example:
        >>> import numpy as np, lamina
        >>> layer = lamina.layers.HashedCrossing(num_bins=5)
        >>> feat1, feat2 = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
        >>> layer((feat1, feat2)).numpy()
        array([1, 4, 1, 1, 3])
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        output_mode = check_mode("HashedCrossing", output_mode, ("int", "one_hot"))
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        check_sparse("HashedCrossing", sparse)
        if num_bins is None or isinstance(num_bins, bool) or int(num_bins) <= 0:
            raise ValueError(
                "The 'num_bins' argument of HashedCrossing must be a positive int. Got "
                f"num_bins={num_bins!r} instead.")
        self.num_bins = int(num_bins)
        self.output_mode = output_mode
        self.sparse = False

    def build(self, input_shape=None):
        self.built = True

    def build_from_config(self, config):
        self.build(None)

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"HashedCrossing '{self.name}' is called on a list or tuple of features; got "
                f"{type(inputs).__name__}. Pass e.g. `layer([feature_a, feature_b])`.")
        if len(inputs) < 2:
            raise ValueError(
                f"HashedCrossing '{self.name}' crosses at least two features; got "
                f"{len(inputs)}.")
        from lamina.layers.text_preprocessing._strings import as_text_array

        fixed = []
        for x in inputs:
            if isinstance(x, (int, float)):
                x = np.asarray(x)
            if isinstance(x, (list, str, bytes)) or (
                    isinstance(x, np.ndarray) and x.dtype.kind in "OSU"):
                arr = np.asarray(x)
                if arr.dtype.kind not in "iub":
                    x = as_text_array(x, f"HashedCrossing '{self.name}'")
                else:
                    x = arr
            # (only arrays: lamina's symbolic outputs of lookups say float32)
            if isinstance(x, np.ndarray) and x.dtype.kind in "fc":
                raise TypeError(
                    f"HashedCrossing '{self.name}' crosses integer or string features; got an "
                    f"input of dtype {x.dtype}. Cast floats to integers (or bucket them with "
                    "Discretization) first.")
            fixed.append(x)
        return super().__call__(list(fixed), *args, **kwargs)

    def call(self, inputs):
        return host_call(self._cross, *inputs)

    def _check_shapes(self, arrays):
        first = arrays[0].shape
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(
                f"HashedCrossing '{self.name}' crosses scalar features: inputs of shape (), "
                f"(batch,) or (batch, 1); got shape {first}.")
        for a in arrays[1:]:
            if a.shape != first:
                raise ValueError(
                    f"HashedCrossing '{self.name}' needs inputs of one shape; got shapes "
                    f"{[tuple(b.shape) for b in arrays]}.")

    def _cross(self, *inputs):
        arrays = [as_host_array(x) for x in inputs]
        self._check_shapes(arrays)
        shape = arrays[0].shape
        columns = [_feature_hashes(a, self.name) for a in arrays]
        bins = []
        for row in zip(*columns):
            h = _CROSS_KEY
            for v in row:
                h = _fingerprint_cat(h, v)
            bins.append(h % self.num_bins)
        ids = np.asarray(bins, dtype=np.int64).reshape(shape)
        if self.output_mode == "int":
            return ids.astype(self.dtype)
        if ids.ndim and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return encode(ids, "one_hot", self.num_bins, self.compute_dtype)

    def compute_output_shape(self, input_shape):
        first = tuple(input_shape[0])
        if self.output_mode == "int":
            return first
        if first and first[-1] == 1:
            first = first[:-1]
        return first + (self.num_bins,)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(num_bins=self.num_bins, output_mode=self.output_mode, sparse=self.sparse)
        return config
