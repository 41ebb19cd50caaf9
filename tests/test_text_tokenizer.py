"""Keras 1's ``Tokenizer`` and text helpers, against Keras 3.15.1's legacy implementation."""

import json
from pathlib import Path

import numpy as np
import pytest

from lamina.utils import text_tokenizer as T

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "keras" / "legacy_text.json")
                     .read_text())


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=lambda c: json.dumps(c["setting"]))
def test_vocabulary_sequences_and_matrices_match_keras(case):
    tok = T.Tokenizer(**case["setting"])
    tok.fit_on_texts(FIXTURE["texts"])
    assert tok.word_index == case["word_index"]
    assert list(tok.word_index) == list(case["word_index"])  # the order of ties too
    assert dict(tok.word_counts) == case["word_counts"]
    assert tok.document_count == case["document_count"]
    seqs = tok.texts_to_sequences(FIXTURE["held_out"])
    assert seqs == case["sequences"]
    assert tok.sequences_to_texts(seqs) == case["texts"]
    for mode, expected in case["matrices"].items():
        np.testing.assert_allclose(tok.texts_to_matrix(FIXTURE["held_out"], mode=mode),
                                   expected, rtol=1e-12)


def test_word_sequences_and_md5_hashing_match_keras():
    assert [T.text_to_word_sequence(t) for t in FIXTURE["texts"]] == FIXTURE["words"]
    assert [T.hashing_trick(t, 17, hash_function="md5")
            for t in FIXTURE["texts"]] == FIXTURE["md5_17"]


def test_json_round_trip_keeps_the_tokenizer():
    tok = T.Tokenizer(num_words=6, oov_token="<OOV>")
    tok.fit_on_texts(FIXTURE["texts"])
    again = T.tokenizer_from_json(tok.to_json())
    assert again.word_index == tok.word_index
    assert again.texts_to_sequences(FIXTURE["held_out"]) == tok.texts_to_sequences(
        FIXTURE["held_out"])
    np.testing.assert_array_equal(again.texts_to_matrix(FIXTURE["held_out"], mode="tfidf"),
                                  tok.texts_to_matrix(FIXTURE["held_out"], mode="tfidf"))


def test_bad_arguments_say_what_to_do():
    with pytest.raises(TypeError, match=r"wrap it in a list"):
        T.Tokenizer().fit_on_texts("one string")
    with pytest.raises(ValueError, match="num_words= .* or call fit_on_texts"):
        T.Tokenizer().sequences_to_matrix([[1, 2]])
    with pytest.raises(ValueError, match="mode='bogus'"):
        T.Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="bogus")
    with pytest.raises(TypeError, match="unknown keyword arguments"):
        T.Tokenizer(num_word=3)


def test_keras_preprocessing_text_under_compat():
    from lamina import compat

    compat.install()
    try:
        from tensorflow.keras.preprocessing.text import Tokenizer

        assert Tokenizer is T.Tokenizer
    finally:
        compat.uninstall()


def test_keras_preprocessing_sequence_and_dataset_loaders_under_compat():
    from lamina import compat
    from lamina.utils.sequences import pad_sequences

    compat.install()
    try:
        from tensorflow import keras

        assert keras.preprocessing.sequence.pad_sequences is pad_sequences
        assert keras.preprocessing.sequence.pad_sequences([[1], [1, 2]]).tolist() == [[0, 1],
                                                                                   [1, 2]]
        assert callable(keras.preprocessing.text_dataset_from_directory)
        assert callable(keras.preprocessing.timeseries_dataset_from_array)
    finally:
        compat.uninstall()
