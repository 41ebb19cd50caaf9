"""Models with a string Input take text arrays in fit/evaluate/predict, as Keras's do."""

import numpy as np
import pytest

import lamina as keras

TEXTS = np.array(["good movie", "bad film", "great fun", "awful plot"] * 8)
LABELS = np.array([1, 0, 1, 0] * 8)


def _text_model():
    vec = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vec.adapt(TEXTS)
    inp = keras.Input(shape=(1,), dtype="string")
    x = keras.layers.Embedding(20, 4)(vec(inp))
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(inp, out)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def test_fit_evaluate_and_predict_take_text_arrays_and_lists():
    model = _text_model()
    history = model.fit(TEXTS, LABELS, epochs=2, verbose=0,
                        validation_data=(TEXTS[:8], LABELS[:8]))
    assert len(history.history["val_loss"]) == 2
    loss, acc = model.evaluate(TEXTS, LABELS, verbose=0)
    assert np.isfinite(loss) and 0 <= acc <= 1
    from_list = model.predict(["good fun", "awful film"], verbose=0)
    from_array = model.predict(np.array([["good fun"], ["awful film"]], dtype=object), verbose=0)
    np.testing.assert_allclose(from_list, from_array)
    assert from_list.shape == (2, 1)
    logs = model.train_on_batch(TEXTS[:4], LABELS[:4], return_dict=True)
    assert set(logs) == {"loss", "accuracy"}


def test_a_numeric_model_still_explains_text_input():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match="'x' holds text"):
        model.fit(np.array([["a", "b"]]), np.zeros((1, 1)), verbose=0)


def test_train_on_batch_returns_python_numbers_as_keras():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    out = model.train_on_batch(np.ones((4, 2)), np.ones((4, 1)))
    assert all(type(v) is float for v in out)
    logs = model.train_on_batch(np.ones((4, 2)), np.ones((4, 1)), return_dict=True)
    assert all(type(v) is float for v in logs.values())
