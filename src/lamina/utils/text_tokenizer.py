"""Keras 1's text utilities (``keras.preprocessing.text``): ``Tokenizer`` and its helpers.

Many tutorials still turn texts into integer sequences with ``Tokenizer`` and
``pad_sequences`` rather than with the ``TextVectorization`` layer; TensorFlow's Keras keeps
them, so lamina does too, with the same vocabularies: words are indexed from 1 by falling
count, words of equal count in the order they were first seen, the out-of-vocabulary token
(when given) first. ``one_hot``/``hashing_trick`` hash words with Python's ``hash`` by
default, as Keras does, so their numbers change between processes unless ``PYTHONHASHSEED``
is fixed; pass ``hash_function="md5"`` for stable ones.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict

import numpy as np

__all__ = ["Tokenizer", "hashing_trick", "one_hot", "text_to_word_sequence",
           "tokenizer_from_json"]

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def text_to_word_sequence(input_text, filters=FILTERS, lower=True, split=" "):
    """The words of ``input_text``: lower-cased, ``filters`` characters turned into ``split``."""
    text = input_text.lower() if lower else input_text
    text = text.translate(str.maketrans(dict.fromkeys(filters, split)))
    return [word for word in text.split(split) if word]


def hashing_trick(text, n, hash_function=None, filters=FILTERS, lower=True, split=" ",
                  analyzer=None):
    """Each word of ``text`` as an index in ``[1, n - 1]`` by hashing (0 is kept for padding)."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = lambda word: int(hashlib.md5(word.encode()).hexdigest(), 16)  # noqa: E731
    words = analyzer(text) if analyzer is not None else text_to_word_sequence(
        text, filters=filters, lower=lower, split=split)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(input_text, n, filters=FILTERS, lower=True, split=" ", analyzer=None):
    """``hashing_trick`` with Python's ``hash`` (Keras's name for it)."""
    return hashing_trick(input_text, n, hash_function=hash, filters=filters, lower=lower,
                         split=split, analyzer=analyzer)


class Tokenizer:
    """Builds a word index from texts and turns texts into index sequences or matrices."""

    def __init__(self, num_words=None, filters=FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, analyzer=None, **kwargs):
        if "nb_words" in kwargs:  # Keras 1's name
            num_words = kwargs.pop("nb_words")
        self.document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(f"Tokenizer: unknown keyword arguments {sorted(kwargs)}; it takes "
                            "num_words, filters, lower, split, char_level, oov_token, analyzer.")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.word_counts: dict = {}
        self.word_docs: defaultdict = defaultdict(int)
        self.index_docs: defaultdict = defaultdict(int)
        self.word_index: dict = {}
        self.index_word: dict = {}

    def _tokens(self, text):
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(text, filters=self.filters, lower=self.lower,
                                     split=self.split)

    def fit_on_texts(self, texts):
        """Count the words of ``texts`` (strings, or lists of tokens) and rebuild the index."""
        if isinstance(texts, str):
            raise TypeError("Tokenizer.fit_on_texts expects a list of texts, got one string; "
                            "wrap it in a list: fit_on_texts([text]).")
        counts = Counter(self.word_counts)
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for word in tokens:
                if word not in counts:
                    self.word_counts[word] = 0  # keeps first-seen order for ties
                counts[word] += 1
            for word in set(tokens):
                self.word_docs[word] += 1
        for word in self.word_counts:
            self.word_counts[word] = counts[word]
        # sorted() is stable: equal counts stay in the order the words were first seen.
        ranked = sorted(self.word_counts, key=lambda w: self.word_counts[w], reverse=True)
        vocabulary = ([self.oov_token] if self.oov_token is not None else []) + ranked
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        for word, docs in self.word_docs.items():
            self.index_docs[self.word_index[word]] = docs

    def fit_on_sequences(self, sequences):
        """Count documents per index from index sequences (what ``tfidf`` mode needs)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] += 1

    def texts_to_sequences_generator(self, texts):
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            seq = []
            for word in self._tokens(text):
                i = self.word_index.get(word)
                if i is not None and not (self.num_words and i >= self.num_words):
                    seq.append(i)
                elif oov is not None:
                    seq.append(oov)
            yield seq

    def texts_to_sequences(self, texts):
        """Each text as a list of word indices (rare words past ``num_words`` dropped or OOV)."""
        return list(self.texts_to_sequences_generator(texts))

    def sequences_to_texts_generator(self, sequences):
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for i in seq:
                word = self.index_word.get(i)
                if word is not None and not (self.num_words and i >= self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def sequences_to_texts(self, sequences):
        return list(self.sequences_to_texts_generator(sequences))

    def texts_to_matrix(self, texts, mode="binary"):
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """One row per sequence: ``binary``, ``count``, ``freq`` or ``tfidf`` per word index."""
        if mode not in ("binary", "count", "freq", "tfidf"):
            raise ValueError(f"Tokenizer: mode={mode!r} is not one of 'binary', 'count', "
                             "'freq', 'tfidf'.")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("Tokenizer.sequences_to_matrix needs a width: pass num_words= to "
                             "Tokenizer, or call fit_on_texts first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: tfidf mode needs document counts; call fit_on_texts "
                             "(or fit_on_sequences) first.")
        matrix = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            counts = Counter(i for i in seq if i < width)
            for i, c in counts.items():
                if mode == "binary":
                    matrix[row, i] = 1
                elif mode == "count":
                    matrix[row, i] = c
                elif mode == "freq":
                    matrix[row, i] = c / len(seq)
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(i, 0)))
                    matrix[row, i] = (1 + np.log(c)) * idf
        return matrix

    def get_config(self):
        return {
            "num_words": self.num_words, "filters": self.filters, "lower": self.lower,
            "split": self.split, "char_level": self.char_level, "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts), "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs), "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """A ``Tokenizer`` back from ``to_json``'s string (plain data; nothing is executed)."""
    config = dict(json.loads(json_string).get("config", {}))
    tables = {key: json.loads(config.pop(key, "{}")) for key in
              ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**{k: config[k] for k in config if k in (
        "num_words", "filters", "lower", "split", "char_level", "oov_token", "document_count")})
    tokenizer.word_counts = tables["word_counts"]
    tokenizer.word_docs = defaultdict(int, tables["word_docs"])
    tokenizer.index_docs = defaultdict(int, {int(k): v for k, v in tables["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    tokenizer.word_index = tables["word_index"]
    return tokenizer
