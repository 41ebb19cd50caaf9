#!/usr/bin/env python
"""Reference vocabularies and matrices of Keras 1's ``keras.preprocessing.text.Tokenizer``.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1), outside the repository:

    /opt/keras-ref/bin/python tools/make_keras_legacy_text_fixtures.py

Writes tests/fixtures/keras/legacy_text.json: for each Tokenizer setting, the word index,
the sequences and sequence texts of held-out texts, and every matrix mode.
"""

import json
import os
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"

TEXTS = [
    "The cat sat on the mat.", "The dog ate my homework!", "A cat, a dog; a bird?",
    "Dogs and cats: friends or foes", "the THE the", "", "Zebra zebra apple Apple",
]
HELD_OUT = ["the cat and the zebra", "unknown words only", "Apple? dog!"]
SETTINGS = [
    {}, {"num_words": 5}, {"oov_token": "<OOV>"}, {"num_words": 6, "oov_token": "<OOV>"},
    {"lower": False}, {"char_level": True}, {"filters": "", "split": " "},
]
MODES = ["binary", "count", "freq", "tfidf"]


def main():
    from tensorflow import keras

    text = keras.preprocessing.text
    cases = []
    for setting in SETTINGS:
        tok = text.Tokenizer(**setting)
        tok.fit_on_texts(TEXTS)
        seqs = tok.texts_to_sequences(HELD_OUT)
        cases.append({
            "setting": setting, "word_index": tok.word_index,
            "word_counts": dict(tok.word_counts), "document_count": tok.document_count,
            "sequences": seqs, "texts": tok.sequences_to_texts(seqs),
            "matrices": {m: tok.texts_to_matrix(HELD_OUT, mode=m).tolist() for m in MODES},
        })
    words = [text.text_to_word_sequence(t) for t in TEXTS]
    md5 = [text.hashing_trick(t, 17, hash_function="md5") for t in TEXTS]
    with open(OUT / "legacy_text.json", "w") as f:
        json.dump({"keras": keras.__version__, "texts": TEXTS, "held_out": HELD_OUT,
                   "cases": cases, "words": words, "md5_17": md5}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
