"""The vocabulary table that ``StringLookup``, ``IntegerLookup`` and ``TextVectorization`` share.

Index layout (Keras's): in ``"int"`` mode with a ``mask_token``, index 0 is the
mask; then ``num_oov_indices`` out-of-vocabulary slots; then the vocabulary.
``adapt`` counts tokens and keeps the most frequent (``max_tokens`` minus the
special slots), ties broken by the tokens' sort order, highest first. Several
OOV slots are chosen by FarmHash (strings) or ``value % n`` (integers). The
vocabulary lives on the host (a dict); a call is one host step, so a traced
model replays it. The vocabulary is saved as ``vocabulary.txt`` in the
``.keras`` file's assets, as Keras saves it.
"""

from __future__ import annotations

import collections
import os

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

__all__ = ["IndexLookup", "adapt_batches"]

_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def adapt_batches(data, steps, layer_name, whole=(list, tuple)):
    """The batches ``adapt`` reads: the data itself for arrays (and, unless ``whole=()``,
    lists: Keras's lookups take a list at once, ``Discretization`` batch by batch), else
    its batches."""
    from lamina.autodiff.tensor import Tensor

    if isinstance(data, (np.ndarray, Tensor, str) + tuple(whole)) or np.isscalar(data):
        return [data]
    if hasattr(data, "to_numpy"):
        return [data.to_numpy()]
    if not hasattr(data, "__iter__"):
        raise TypeError(
            f"{layer_name}.adapt() takes an array, a list, a lamina.data.Dataset or an iterable "
            f"of batches; got {type(data).__name__}.")
    batches = []
    for i, batch in enumerate(data):
        if steps is not None and i >= steps:
            break
        if isinstance(batch, tuple):  # (x, y) batches: adapt to x
            batch = batch[0]
        if isinstance(batch, dict):
            raise TypeError(
                f"{layer_name}.adapt() received a dict batch; map the dataset to the one "
                "feature first, e.g. `ds.map(lambda d: d['text'])`.")
        batches.append(batch)
    return batches


class IndexLookup(Layer):
    """Base of the lookup layers (not exported): a token ↔ index table with Keras's layout."""

    _vocabulary_kind = "string"  # or "int64"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, **kwargs):
        cls = type(self).__name__
        frozen_size = kwargs.pop("vocabulary_size", None)
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("vocabulary_dtype", None)
        kwargs.pop("dtype", None)  # (Keras ignores it too: the outputs' dtype follows the mode)
        super().__init__(**kwargs)
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"The 'max_tokens' argument of {cls} must be greater than 1 (or None). Got "
                f"max_tokens={max_tokens!r} instead.")
        if num_oov_indices is None or num_oov_indices < 0:
            raise ValueError(
                f"The 'num_oov_indices' argument of {cls} must be >= 0. Got "
                f"num_oov_indices={num_oov_indices!r} instead.")
        self.output_mode = check_mode(cls, output_mode, _MODES)
        if invert and self.output_mode != "int":
            raise ValueError(
                f"{cls}(invert=True) turns indices back into tokens, so output_mode must be "
                f"'int'. Got output_mode={self.output_mode!r}.")
        check_sparse(cls, sparse)
        if idf_weights is not None and self.output_mode != "tf_idf":
            raise ValueError(
                f"{cls}: `idf_weights` is only used with output_mode='tf_idf'; got "
                f"output_mode={self.output_mode!r}.")
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"The 'oov_method' argument of {cls} must be 'floormod' or 'farmhash'. Got "
                f"oov_method={oov_method!r} instead.")
        if salt is not None:
            if isinstance(salt, (list, tuple)) and len(salt) == 2:
                salt = [int(s) for s in salt]
            elif isinstance(salt, int) and not isinstance(salt, bool):
                salt = [salt, salt]
            else:
                raise ValueError(
                    f"The 'salt' argument of {cls} must be an int or a pair of ints. Got "
                    f"salt={salt!r} instead.")
        self.invert = bool(invert)
        self.max_tokens = max_tokens
        self.num_oov_indices = int(num_oov_indices)
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.sparse = False
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_size
        self.input_vocabulary = None if isinstance(vocabulary, str) else vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = bool(has_input)
        self._tokens: list = []
        self._table: dict = {}
        self.idf_weights = None
        if self.output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError(
                f"{cls}: with a given `vocabulary` and output_mode='tf_idf', `idf_weights` "
                "must be given too (one weight per token).")
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self._reset_counts()

    # -- layout ---------------------------------------------------------------------------
    def _oov_start_index(self) -> int:
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self) -> int:
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self) -> int:
        """The number of indices in use: the special slots plus the vocabulary."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The vocabulary, index by index (``False``: without the mask and OOV tokens)."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        return vocab if include_special_tokens else vocab[self._token_start_index():]

    def _depth(self) -> int:
        if self.pad_to_max_tokens and self.max_tokens is not None:
            return self.max_tokens
        if not self._tokens and self._frozen_vocab_size is not None:
            return int(self._frozen_vocab_size)  # (a loaded layer before its vocabulary arrives)
        return self.vocabulary_size()

    # -- the vocabulary -------------------------------------------------------------------
    def _as_tokens(self, values) -> list:
        """Tokens as Python ``str`` or ``int`` (the kind of this layer's vocabulary)."""
        arr = as_host_array(values).reshape(-1)
        if self._vocabulary_kind == "string":
            return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in arr.tolist()]
        return [int(v) for v in arr.tolist()]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (a list/array of tokens, or the path of a text file, one per line)."""
        cls = type(self).__name__
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{cls}: `idf_weights` must be given with output_mode='tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(
                f"{cls}: `idf_weights` is only used with output_mode='tf_idf'; got "
                f"output_mode={self.output_mode!r}.")
        if isinstance(vocabulary, str):
            vocabulary = self._read_vocabulary_file(vocabulary)
        tokens = self._as_tokens(vocabulary)
        if not tokens:
            raise ValueError(f"{cls}: cannot set an empty vocabulary.")
        start = self._token_start_index()
        special = [self.mask_token] * self._oov_start_index() + [self.oov_token] * \
            self.num_oov_indices
        found_special = len(tokens) >= start and tokens[:start] == special
        if found_special:
            tokens = tokens[start:]
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(
                f"{cls}: the vocabulary repeats {repeated!r}; each token may appear once.")
        if self.mask_token is not None and self.mask_token in tokens:
            raise ValueError(
                f"{cls}: the mask token {self.mask_token!r} appears inside the vocabulary. Leave "
                f"the mask and OOV tokens out, or put them first in this order: {special!r}.")
        if self.invert and self.oov_token is not None and self.oov_token in tokens:
            raise ValueError(
                f"{cls}: the OOV token {self.oov_token!r} appears inside the vocabulary. Leave "
                f"the mask and OOV tokens out, or put them first in this order: {special!r}.")
        if self.max_tokens is not None and start + len(tokens) > self.max_tokens:
            raise ValueError(
                f"{cls}: a vocabulary of {start + len(tokens)} entries (with the special "
                f"tokens) is larger than max_tokens={self.max_tokens}.")
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            weights = np.asarray(as_host_array(idf_weights), dtype=np.float64)
            if weights.ndim != 1:
                raise ValueError(f"{cls}: `idf_weights` must be 1-D; got shape {weights.shape}.")
            given = len(tokens) + (start if found_special else 0)
            if len(weights) != given:
                raise ValueError(
                    f"{cls}: `idf_weights` has {len(weights)} entries but the vocabulary has "
                    f"{given}; give one weight per token.")
            front = 0 if found_special else start
            back = self.max_tokens - front - len(weights) if (
                self.pad_to_max_tokens and self.max_tokens is not None) else 0
            weights = np.pad(weights, (front, back), constant_values=(np.mean(weights), 0))
            self.idf_weights = weights.astype(np.float32)

    def _read_vocabulary_file(self, path):
        if not os.path.isfile(path):
            raise ValueError(f"{type(self).__name__}: the vocabulary file {path!r} does not exist.")
        if self.output_mode == "tf_idf":
            raise ValueError(
                f"{type(self).__name__}: output_mode='tf_idf' cannot read its vocabulary from a "
                "file; pass the tokens and `idf_weights` as lists.")
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return lines

    def _set_tokens(self, tokens):
        self._tokens = list(tokens)
        start = self._token_start_index()
        self._table = {t: i + start for i, t in enumerate(self._tokens)}
        if self.output_mode != "int" and not self.pad_to_max_tokens:
            if self.built and self._frozen_vocab_size not in (None, self.vocabulary_size()):
                raise RuntimeError(
                    f"{type(self).__name__} '{self.name}': with output_mode="
                    f"{self.output_mode!r} the vocabulary size cannot change after the layer "
                    f"was called (it was {self._frozen_vocab_size}, now "
                    f"{self.vocabulary_size()}). Use pad_to_max_tokens=True.")
        self._frozen_vocab_size = self.vocabulary_size()

    # -- adapt ----------------------------------------------------------------------------
    def _reset_counts(self):
        self._counts = collections.Counter()
        self._doc_counts = collections.Counter()
        self._num_documents = 0

    def reset_state(self):
        self._reset_counts()

    def adapt(self, data, steps=None):
        """Learn the vocabulary from ``data``: the most frequent tokens, ties highest first."""
        self.reset_state()
        for batch in adapt_batches(data, steps, type(self).__name__):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        if self._has_input_vocabulary:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' was given a vocabulary; it cannot adapt. "
                "Create the layer without `vocabulary` to learn one.")
        self._count_rows(self._rows_of(data))

    def _rows_of(self, data):
        """The data as rows of tokens (one row per sample)."""
        arr = as_host_array(data) if not isinstance(data, list) else np.asarray(data)
        if arr.ndim <= 1:
            arr = arr.reshape(1, -1)
        return [self._as_tokens(row) for row in arr.reshape(arr.shape[0], -1)]

    def _count_rows(self, rows):
        for row in rows:
            self._counts.update(row)
            if self.output_mode == "tf_idf":
                self._doc_counts.update(set(row))
                self._num_documents += 1

    def finalize_state(self):
        if self._has_input_vocabulary or not self._counts:
            return
        counts = dict(self._counts)
        counts.pop(self.mask_token, None)
        counts.pop(self.oov_token, None)
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            docs = np.array([self._doc_counts[t] for t in tokens], dtype=np.float64)
            idf = np.log(1 + self._num_documents / (1 + docs)).astype(np.float32)
            weights = np.pad(idf, (self._token_start_index(), 0),
                             constant_values=np.mean(idf, dtype=np.float32))
            if self.pad_to_max_tokens and self.max_tokens is not None:
                weights = np.pad(weights, (0, self.max_tokens - len(weights)))
            self.idf_weights = weights.astype(np.float32)
        self._reset_counts()

    # -- calling --------------------------------------------------------------------------
    def build(self, input_shape=None):
        self.built = True

    def build_from_config(self, config):
        self.build(None)  # (nothing to create: a call on zeros would not be text)

    def _check_ready(self):
        if self.output_mode != "int" and not self.pad_to_max_tokens and not self._tokens:
            raise RuntimeError(
                f"{type(self).__name__} '{self.name}' with output_mode={self.output_mode!r} "
                "needs its vocabulary before it is called: pass `vocabulary=` or call "
                "adapt(data) first.")

    def call(self, inputs):
        self._check_ready()
        return host_call(self._lookup, inputs)

    def _lookup(self, inputs):
        arr = self._prepare(as_host_array(inputs))
        if self.invert:
            return self._invert(arr)
        ids, keep = self._indices(arr)
        return self._encode(ids, keep)

    def _prepare(self, arr):
        return arr

    def _indices(self, arr):
        """Integer indices of the tokens in ``arr`` and where they count (mask tokens do not
        in the non-int modes)."""
        flat = arr.reshape(-1)
        uniques, inverse = np.unique(flat, return_inverse=True)
        keys = self._as_tokens(uniques)
        default = self._oov_start_index() if self.num_oov_indices == 1 else -1
        looked = np.array([self._table.get(k, default) for k in keys], dtype=np.int64)
        if self.num_oov_indices == 0 and (looked == -1).any():
            missing = [k for k, v in zip(keys, looked) if v == -1 and k != self.mask_token]
            if missing:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}' has num_oov_indices=0, so every input "
                    f"must be in the vocabulary; found {missing[:10]!r}. Set num_oov_indices=1 "
                    "to map unknown tokens to an OOV index.")
        if self.num_oov_indices > 1:
            for j, (k, v) in enumerate(zip(keys, looked)):
                if v == -1:
                    looked[j] = self._oov_bucket(k) + self._oov_start_index()
        keep = np.ones(len(keys), dtype=bool)
        if self.mask_token is not None:
            is_mask = np.array([k == self.mask_token for k in keys], dtype=bool)
            looked[is_mask] = 0
            keep = ~is_mask if self.output_mode != "int" else keep
        ids = looked[inverse].reshape(arr.shape)
        return ids, keep[inverse].reshape(arr.shape)

    def _oov_bucket(self, token) -> int:
        n = self.num_oov_indices
        if isinstance(token, int) and self.oov_method != "farmhash":
            return token % n
        data = str(token).encode("utf-8")
        if self.salt is not None:
            return _hashes.siphash24(data, self.salt[0], self.salt[1]) % n
        return _hashes.fingerprint64(data) % n

    def _invert(self, arr):
        ids = arr.astype(np.int64)
        vocab = self.get_vocabulary()
        out = np.empty(ids.shape, dtype=object)
        flat = ids.reshape(-1)
        start = self._token_start_index()
        values = [vocab[i] if start <= i < len(vocab) else self.oov_token for i in flat.tolist()]
        if self.mask_token is not None:
            values = [self.mask_token if i == 0 else v for i, v in zip(flat.tolist(), values)]
        out.reshape(-1)[:] = values
        if self._vocabulary_kind == "string":
            return out.astype(str) if out.size else np.zeros(ids.shape, dtype="<U1")
        return out.astype(np.int64)

    def _encode(self, ids, keep):
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        if ids.ndim == 0 and mode != "int":
            ids, keep = ids.reshape(1), keep.reshape(1)
        out = encode(ids, mode, self._depth(), np.int64, keep=keep)
        if self.output_mode == "tf_idf":
            out = out.astype(np.float32) * self.idf_weights
        return out

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self._depth())

    # -- configuration and saving -----------------------------------------------------------
    def get_config(self) -> dict:
        config = super().get_config()
        vocab = self.input_vocabulary
        idf = self.input_idf_weights
        config.update(
            invert=self.invert, max_tokens=self.max_tokens,
            num_oov_indices=self.num_oov_indices, oov_token=self.oov_token,
            mask_token=self.mask_token, output_mode=self.output_mode, sparse=self.sparse,
            pad_to_max_tokens=self.pad_to_max_tokens,
            idf_weights=None if idf is None else np.asarray(idf).tolist(),
            vocabulary=None if vocab is None else self._as_tokens(vocab),
            vocabulary_size=self._frozen_vocab_size, oov_method=self.oov_method,
            salt=self.salt)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if isinstance(config.get("vocabulary"), str):
            raise ValueError(
                f"{cls.__name__}: a saved config names the vocabulary file "
                f"{config['vocabulary']!r}; lamina never reads files named inside a loaded "
                "model. A model's vocabulary travels inside the .keras file's assets.")
        return cls(**config)

    def save_own_variables(self, store):
        if self.output_mode == "tf_idf" and self.idf_weights is not None:
            store["idf_weights"] = np.asarray(self.idf_weights)

    def load_own_variables(self, store):
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self.idf_weights = np.asarray(store["idf_weights"], dtype=np.float32)

    def save_assets(self, dir_path):
        """Write the vocabulary as ``vocabulary.txt`` (one token a line), as Keras does."""
        if self.input_vocabulary is not None:
            return
        lines = [str(w) for w in self.get_vocabulary(include_special_tokens=True)]
        with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines))

    def load_assets(self, dir_path):
        """Read the vocabulary written by ``save_assets`` (by lamina or Keras)."""
        if self.input_vocabulary is not None:
            return
        path = os.path.join(dir_path, "vocabulary.txt")
        if not os.path.isfile(path):
            return
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        values = lines if self._vocabulary_kind == "string" else [int(v) for v in lines]
        if not values:
            return
        idf = self.idf_weights if self.output_mode == "tf_idf" else None
        self._frozen_vocab_size = None
        self.set_vocabulary(values, idf_weights=idf)
