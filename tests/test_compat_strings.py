"""``tf.strings`` under ``lamina run``; expected values are TensorFlow 2.21's for the same calls."""

import re
import string

import numpy as np
import pytest

from lamina.compat_strings import strings_functions

S = strings_functions()


def test_the_text_classification_standardizer():
    x = np.array([[b"Hello<br />World!"], [b"FOO, bar."]])
    y = S["regex_replace"](S["lower"](x), "<br />", " ")
    assert y.tolist() == [[b"hello world!"], [b"foo, bar."]]
    z = S["regex_replace"](y, f"[{re.escape(string.punctuation)}]", "")
    assert z.tolist() == [[b"hello world"], [b"foo bar"]]
    # str in, str out; a Python string stays a string
    assert S["lower"](np.array(["AbC"])).tolist() == ["abc"] and S["lower"]("ABC") == "abc"


def test_the_other_functions_match_tensorflow():
    assert S["length"](np.array(["ab", "é"])).tolist() == [2, 2]
    assert S["length"](np.array(["ab", "é"]), unit="UTF8_CHAR").tolist() == [2, 1]
    assert S["join"]([np.array(["a", "b"]), "x"], "-").tolist() == ["a-x", "b-x"]
    assert S["to_number"](np.array(["1.5", "2"])).tolist() == [1.5, 2.0]
    assert S["as_string"](np.array([1.5, 2.0]), precision=2).tolist() == ["1.50", "2.00"]
    assert S["reduce_join"](np.array([["a", "b"], ["c", "d"]]), axis=1,
                            separator=" ").tolist() == ["a b", "c d"]
    assert S["regex_replace"](b"aaa", "a", "b", replace_global=False) == b"baa"
    assert S["strip"](b"  x ") == b"x" and S["substr"](b"hello", 1, 3) == b"ell"
    assert S["regex_full_match"](np.array(["ab1", "x"]), "[a-z]+[0-9]").tolist() == [True, False]
    assert S["split"]("a b c") == ["a", "b", "c"]


def test_numbers_are_refused_with_the_fix():
    with pytest.raises(TypeError, match="expected strings.*as_string"):
        S["lower"](np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="'x1' is not a number"):
        S["to_number"](np.array(["1", "x1"]))


def test_string_elements_of_a_dataset_are_bytes_as_tensorflow_gives_them():
    # TF 2.21: `text.numpy()[0]` of a string batch is b'good movie' (scripts .decode() it), and
    # as_numpy_iterator gives bytes too; the model-facing values stay NumPy strings
    from lamina import compat

    compat.install()
    try:
        import tensorflow as tf

        ds = tf.data.Dataset.from_tensor_slices((["good movie", "bad film"], [1, 0])).batch(2)
        text, label = next(iter(ds))
        assert text.numpy().tolist() == [b"good movie", b"bad film"]
        assert text.numpy()[0].decode("utf-8") == "good movie"
        assert label.numpy().tolist() == [1, 0] and text.tolist() == ["good movie", "bad film"]
        first, _ = next(iter(ds.unbatch()))
        assert first.numpy() == b"good movie"
        assert next(ds.unbatch().as_numpy_iterator())[0] == b"good movie"
    finally:
        compat.uninstall()
    from lamina.data import Dataset

    plain = Dataset.from_tensor_slices(["a"]).as_numpy_iterator()
    assert next(plain) == "a"  # uninstall() gave back lamina's own strings
