"""``TextVectorization``: raw strings to token indices (or bag-of-words vectors), on the host."""

from __future__ import annotations

import importlib

import numpy as np

from lamina.layers.input_spec import KerasTensor
from lamina.layers.layer import Layer
from lamina.layers.text_preprocessing import _strings
from lamina.layers.text_preprocessing.encoding import (
    as_host_array,
    check_mode,
    check_sparse,
    host_call,
)
from lamina.layers.text_preprocessing.index_lookup import adapt_batches
from lamina.layers.text_preprocessing.lookups import StringLookup

__all__ = ["TextVectorization"]

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _check_choice(arg, value, allowed):
    if value is None or callable(value) or value in allowed:
        return value
    raise ValueError(
        f"The '{arg}' argument of TextVectorization must be one of "
        f"{', '.join(repr(a) for a in allowed)}, None or a callable. Got {arg}={value!r} instead.")


class TextVectorization(Layer):
    """Turns strings into sequences of token indices, or into multi-hot/count/TF-IDF vectors.

    Each string is standardized (``"lower_and_strip_punctuation"``: ASCII letters
    lowercased and ASCII punctuation removed, as TensorFlow does), split
    (``"whitespace"`` or ``"character"``), optionally joined into ``ngrams``, and
    looked up in a vocabulary: index 0 is padding, 1 the OOV token ``"[UNK]"``,
    then the tokens, most frequent first after ``adapt`` (ties: the later token in
    sort order first). ``output_mode="int"`` gives ``(batch, length)`` int64 indices,
    zero-padded to the longest string in the batch or to ``output_sequence_length``
    (cut or padded); ``"multi_hot"``, ``"count"`` and ``"tf_idf"`` give one vector
    of ``vocabulary_size()`` (or ``max_tokens`` with ``pad_to_max_tokens``) per string.

    Use it in the data pipeline (``dataset.map(vectorize)``) or as a model's first
    layer after ``keras.Input(shape=(1,), dtype="string")``; inside a model give it
    an ``output_sequence_length`` so every batch has the same shape.

    Args:
        max_tokens: the largest vocabulary, padding and OOV included (``None``: no limit).
        standardize: ``"lower_and_strip_punctuation"`` (default), ``"lower"``,
            ``"strip_punctuation"``, ``None`` or a callable (array of str → array of str).
        split: ``"whitespace"`` (default), ``"character"``, ``None`` (each string is one
            token) or a callable (1-D array of str → a list of token lists).
        ngrams: ``None``, an int ``n`` (all widths 1..n) or a tuple of widths.
        output_mode: ``"int"`` (default), ``"multi_hot"``, ``"count"``, ``"tf_idf"``
            (``"one_hot"`` is accepted as Keras accepts it).
        output_sequence_length: in ``"int"`` mode, the fixed length of every output row.
        pad_to_max_tokens: make vector outputs ``max_tokens`` wide.
        vocabulary: a list of tokens or the path of a text file, one per line.
        idf_weights: with ``output_mode="tf_idf"`` and a vocabulary, one weight per token.
        sparse, ragged: only ``False`` (lamina's outputs are dense).
        encoding: the text encoding of bytes inputs (``"utf-8"``).

    Example:
        >>> import lamina
        >>> layer = lamina.layers.TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["the cat sat", "the dog"])
        >>> layer.get_vocabulary()
        ['', '[UNK]', 'the', 'sat', 'dog', 'cat']
        >>> layer(["The cat ran!"]).numpy()
        array([[2, 5, 1, 0]])
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        self._standardize = _check_choice("standardize", standardize, _STANDARDIZE)
        self._split = _check_choice("split", split, _SPLIT)
        output_mode = check_mode("TextVectorization", output_mode,
                                 ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        if not (ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
                or (isinstance(ngrams, (tuple, list))
                    and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(
                "The 'ngrams' argument of TextVectorization must be None, an int or a tuple of "
                f"ints. Got ngrams={ngrams!r} instead.")
        if output_mode == "int" and not (output_sequence_length is None or (
                isinstance(output_sequence_length, int) and output_sequence_length > 0)):
            raise ValueError(
                "The 'output_sequence_length' argument of TextVectorization must be None or a "
                f"positive int. Got output_sequence_length={output_sequence_length!r} instead.")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "TextVectorization: `output_sequence_length` only applies to output_mode='int'; "
                f"got output_mode={output_mode!r} with "
                f"output_sequence_length={output_sequence_length}.")
        check_sparse("TextVectorization", sparse)
        if ragged:
            raise ValueError(
                "TextVectorization(ragged=True): lamina has no ragged tensors. Use "
                "output_sequence_length (or the default padding to the longest string).")
        has_input = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self._ngrams_arg = tuple(ngrams) if isinstance(ngrams, list) else ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else self._ngrams_arg
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            has_input_vocabulary=has_input, encoding=encoding, vocabulary_size=vocabulary_size)

    # -- text -----------------------------------------------------------------------------
    def _standardized(self, text: np.ndarray) -> np.ndarray:
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            text = _strings.lower(text)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            text = _strings.strip_punctuation(text)
        if callable(self._standardize):
            text = _strings.as_text_array(self._standardize(text),
                                          f"TextVectorization '{self.name}' (standardize)")
        return text

    def _tokens(self, inputs):
        """``(rows, array)``: token lists per sample, or (``split=None``) the array itself."""
        text = _strings.as_text_array(inputs, f"TextVectorization '{self.name}'")
        text = self._standardized(text)
        if self._split is None:
            if self._ngrams is None:
                return None, text
            rows = [list(r) for r in text.reshape(text.shape[0] if text.ndim else 1, -1)]
        else:
            if text.ndim > 1:
                if text.shape[-1] != 1:
                    raise ValueError(
                        f"TextVectorization '{self.name}' splits strings, so its input must be "
                        "1-D or end in a dimension of size 1 (one string per sample); got "
                        f"shape {text.shape}.")
                text = text[..., 0]
            if self._split == "whitespace":
                rows = _strings.split_whitespace(text)
            elif self._split == "character":
                rows = _strings.split_characters(text)
            else:
                rows = [[str(t) for t in row] for row in self._split(text)]
        if self._ngrams is not None:
            rows = _strings.ngrams(rows, self._ngrams)
        return rows, None

    # -- adapt ----------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary (and document frequencies for ``"tf_idf"``) from text."""
        self.reset_state()
        for batch in adapt_batches(data, steps, "TextVectorization"):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        lookup = self._lookup_layer
        if lookup._has_input_vocabulary:
            raise ValueError(
                f"TextVectorization '{self.name}' was given a vocabulary; it cannot adapt. "
                "Create it without `vocabulary` to learn one.")
        rows, array = self._tokens(data)
        if rows is None:
            array = array.reshape(-1, 1) if array.ndim <= 1 else array.reshape(len(array), -1)
            rows = [[str(t) for t in r] for r in array]
        lookup._count_rows(rows)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True) -> list:
        """The vocabulary, index by index (``False``: without padding and ``"[UNK]"``)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        """The number of indices in use, padding and OOV included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Replace the vocabulary (and, for ``"tf_idf"``, the IDF weights)."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- calling --------------------------------------------------------------------------
    def build(self, input_shape=None):
        self.built = True

    def build_from_config(self, config):
        self.build(None)  # (nothing to create: a call on zeros would not be text)

    def __call__(self, inputs, *args, **kwargs):
        if not isinstance(inputs, KerasTensor):
            inputs = _strings.as_text_array(inputs, f"TextVectorization '{self.name}'")
        return super().__call__(inputs, *args, **kwargs)

    def call(self, inputs):
        self._lookup_layer._check_ready()
        return host_call(self._vectorize, inputs)

    def _vectorize(self, inputs):
        lookup = self._lookup_layer
        arr = as_host_array(inputs)
        scalar = arr.ndim == 0
        rows, array = self._tokens(arr.reshape(1) if scalar else arr)
        if rows is None:  # split=None: each string is one token
            ids, keep = lookup._indices(array)
            out = self._finish_dense(lookup._encode(ids, keep) if self._output_mode != "int"
                                     else ids)
            return out
        lengths = [len(r) for r in rows]
        width = max(lengths, default=0)
        if self._output_mode == "int" and self._output_sequence_length is not None:
            width = self._output_sequence_length
        flat = np.asarray([t for r in rows for t in r[:width]], dtype=str)
        ids = np.zeros((len(rows), width), dtype=np.int64)
        keep = np.zeros((len(rows), width), dtype=bool)
        if flat.size:
            looked, kept = lookup._indices(flat)
            row_of = np.repeat(np.arange(len(rows)), [min(n, width) for n in lengths])
            col_of = np.concatenate([np.arange(min(n, width)) for n in lengths])
            ids[row_of, col_of] = looked
            keep[row_of, col_of] = kept
        if self._output_mode == "int":
            return ids[0] if scalar else ids
        out = lookup._encode(ids, keep)
        return out[0] if scalar and out.ndim > 1 else out

    def _finish_dense(self, ids):
        n = self._output_sequence_length
        if self._output_mode != "int" or n is None or ids.ndim == 0:
            return ids
        ids = ids[..., :n]
        if ids.shape[-1] < n:
            pad = [(0, 0)] * (ids.ndim - 1) + [(0, n - ids.shape[-1])]
            ids = np.pad(ids, pad)
        return ids

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            if self._split is None and self._ngrams is None:
                if self._output_sequence_length is None:
                    return input_shape
                return input_shape[:-1] + (self._output_sequence_length,)
            return (input_shape[0] if input_shape else None, self._output_sequence_length)
        if self._split is None:
            shape = input_shape + (1,) if len(input_shape) <= 1 else input_shape
        else:
            shape = (input_shape[0] if input_shape else None, None)
        return self._lookup_layer.compute_output_shape(shape)

    # -- configuration and saving -----------------------------------------------------------
    def get_config(self) -> dict:
        config = super().get_config()
        lookup = self._lookup_layer
        config.update(
            max_tokens=lookup.max_tokens, standardize=_serialize_fn(self._standardize),
            split=_serialize_fn(self._split), ngrams=self._ngrams_arg,
            output_mode=self._output_mode, output_sequence_length=self._output_sequence_length,
            pad_to_max_tokens=lookup.pad_to_max_tokens, sparse=False, ragged=False,
            vocabulary=None if lookup.input_vocabulary is None else lookup._as_tokens(
                lookup.input_vocabulary),
            idf_weights=None if lookup.input_idf_weights is None else np.asarray(
                lookup.input_idf_weights).tolist(),
            encoding=self._encoding, vocabulary_size=self.vocabulary_size())
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("vocabulary"), str):
            raise ValueError(
                f"TextVectorization: a saved config names the vocabulary file "
                f"{config['vocabulary']!r}; lamina never reads files named inside a loaded "
                "model. A model's vocabulary travels inside the .keras file's assets.")
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str):
                config[key] = importlib.import_module("lamina.saving").deserialize_keras_object(
                    config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)

    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        """The vocabulary as ``vocabulary.txt``, as Keras saves it."""
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        """Read ``vocabulary.txt`` (written by lamina or Keras)."""
        self._lookup_layer.load_assets(dir_path)


def _serialize_fn(fn):
    if fn is None or isinstance(fn, str):
        return fn
    return importlib.import_module("lamina.saving").serialize_keras_object(fn)
