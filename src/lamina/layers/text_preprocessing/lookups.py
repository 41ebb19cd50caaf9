"""``StringLookup`` and ``IntegerLookup``: tokens to indices (and back) with a learned vocabulary."""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor
from lamina.layers.input_spec import KerasTensor
from lamina.layers.text_preprocessing._strings import as_text_array
from lamina.layers.text_preprocessing.index_lookup import IndexLookup

__all__ = ["IntegerLookup", "StringLookup"]


class StringLookup(IndexLookup):
    """Maps strings to integer indices from a vocabulary (given, or learned by ``adapt``).

    Indices follow Keras: with ``mask_token`` set (and ``output_mode="int"``) index
    0 is the mask; then ``num_oov_indices`` slots for unknown strings (hashed into
    them with FarmHash when there are several); then the vocabulary, most frequent
    first after ``adapt`` (ties: the later string in sort order first).
    ``output_mode`` ``"one_hot"``, ``"multi_hot"``, ``"count"`` or ``"tf_idf"``
    encodes the indices instead (``"tf_idf"`` weighs counts by
    ``log(1 + documents / (1 + documents with the token))``). ``invert=True`` maps
    indices back to strings. Runs on the host, inside or outside a model.

    Args:
        max_tokens: the largest vocabulary size, special tokens included (``None``: no limit).
        num_oov_indices: slots for out-of-vocabulary strings (default 1).
        mask_token: the string that means padding (``None``: no mask slot).
        oov_token: the string ``invert`` gives for unknown indices (default ``"[UNK]"``).
        vocabulary: a list/array of strings, or the path of a text file, one per line.
        idf_weights: with ``output_mode="tf_idf"`` and a given vocabulary, one weight per token.
        invert: map indices to strings.
        output_mode: ``"int"`` (default), ``"one_hot"``, ``"multi_hot"``, ``"count"``, ``"tf_idf"``.
        pad_to_max_tokens: make encoded outputs ``max_tokens`` wide.
        sparse: only ``False``.
        encoding: the text encoding of bytes inputs (``"utf-8"``).
        salt: a key (int or pair) that switches OOV hashing to SipHash.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.StringLookup(vocabulary=["a", "b", "c"])
        >>> layer([["a", "c"], ["d", "b"]]).numpy()
        array([[1, 3],
               [0, 2]])
    """

    _vocabulary_kind = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        self.encoding = encoding
        oov_method = kwargs.pop("oov_method", "floormod")  # (strings are always hashed)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)

    def __call__(self, inputs, *args, **kwargs):
        # (a lamina tensor is converted at call time: converting a traced input here would
        # freeze one batch's text into the replayed plan)
        if not self.invert and not isinstance(inputs, (KerasTensor, Tensor)):
            inputs = as_text_array(inputs, f"StringLookup '{self.name}'")
        return super().__call__(inputs, *args, **kwargs)

    def _prepare(self, arr):
        if self.invert:
            return arr
        return as_text_array(arr, f"StringLookup '{self.name}'")

    def get_config(self) -> dict:
        config = super().get_config()
        config["encoding"] = self.encoding
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices from a vocabulary (given, or learned by ``adapt``).

    The index layout and ``adapt`` are ``StringLookup``'s (ties: the larger integer
    first); unknown integers go to ``value % num_oov_indices`` among the OOV slots
    (``oov_method="farmhash"``: FarmHash of their decimal text).

    Args:
        max_tokens: the largest vocabulary size, special tokens included (``None``: no limit).
        num_oov_indices: slots for out-of-vocabulary values (default 1).
        mask_token: the value that means padding (``None``: no mask slot).
        oov_token: the value ``invert`` gives for unknown indices (default ``-1``).
        vocabulary: a list/array of integers, or the path of a text file, one per line.
        vocabulary_dtype: only ``"int64"``.
        idf_weights, invert, output_mode, sparse, pad_to_max_tokens, salt: as in ``StringLookup``.
        oov_method: ``"floormod"`` (default) or ``"farmhash"``.

    Example:
        >>> import lamina
        >>> layer = lamina.layers.IntegerLookup(vocabulary=[12, 36, 1138, 42])
        >>> layer([[12, 1138], [42, 7]]).numpy()
        array([[1, 3],
               [4, 0]])
    """

    _vocabulary_kind = "int64"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(
                "IntegerLookup supports only vocabulary_dtype='int64'. Got "
                f"vocabulary_dtype={vocabulary_dtype!r} instead.")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)

    def _prepare(self, arr):
        arr = np.asarray(arr)
        if arr.dtype.kind not in "iub" and not (arr.dtype.kind == "f" and np.all(np.mod(arr, 1) == 0)):
            raise TypeError(
                f"IntegerLookup '{self.name}' expects integers; got an array of dtype "
                f"{arr.dtype}. Use StringLookup for text, Discretization for real values.")
        return arr.astype(np.int64)

    def get_config(self) -> dict:
        config = super().get_config()
        config["vocabulary_dtype"] = "int64"
        return config
