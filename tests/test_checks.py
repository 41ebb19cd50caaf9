"""Mistakes explained before the first step of fit: labels, output layer and loss together."""

import numpy as np
import pytest

import lamina as keras
from lamina import layers


def model_with(units, activation, loss, input_dim=3):
    model = keras.Sequential([keras.Input((input_dim,)), layers.Dense(units, activation=activation)])
    model.compile(optimizer="adam", loss=loss)
    return model


X = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")


def test_one_hot_labels_with_sparse_loss():
    y = np.eye(3)[np.arange(12) % 3]
    model = model_with(3, "softmax", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"one-hot.*categorical_crossentropy.*argmax"):
        model.fit(X, y, verbose=0)


def test_integer_labels_with_categorical_loss():
    model = model_with(3, "softmax", "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*to_categorical"):
        model.fit(X, np.arange(12) % 3, verbose=0)


def test_labels_numbered_from_one():
    model = model_with(3, "softmax", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"from 1 to 3.*Subtract 1"):
        model.fit(X, np.arange(12) % 3 + 1, verbose=0)


def test_labels_beyond_the_output_units():
    model = model_with(3, "softmax", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"run from 0 to 5.*Dense\(6\)"):
        model.fit(X, np.arange(12) % 6, verbose=0)


def test_softmax_on_one_unit_warns():
    model = model_with(1, "softmax", "binary_crossentropy")
    with pytest.warns(UserWarning, match="softmax to a single unit"):
        model.fit(X, np.arange(12) % 2, epochs=1, verbose=0)


def test_sigmoid_with_categorical_crossentropy_warns():
    model = model_with(3, "sigmoid", "categorical_crossentropy")
    with pytest.warns(UserWarning, match="sigmoid on 3 units"):
        model.fit(X, np.eye(3)[np.arange(12) % 3], epochs=1, verbose=0)


def test_binary_crossentropy_with_labels_outside_zero_one():
    model = model_with(1, "sigmoid", "binary_crossentropy")
    with pytest.raises(ValueError, match=r"between 0 and 1.*from 0 to 4"):
        model.fit(X, np.arange(12) % 5, verbose=0)


def test_nan_in_a_named_column():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["sugars", "fiber", "protein"])
    frame.loc[4, "fiber"] = np.nan
    model = model_with(1, None, "mae")
    with pytest.raises(ValueError, match=r"NaN in column 1 \('fiber'\) \(1 row\).*dropna"):
        model.fit(frame, np.zeros(12), verbose=0)


def test_non_numeric_columns_are_named():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": [1.0, 2.0], "name": ["x", "y"], "c": [0.0, 1.0]})
    model = model_with(1, None, "mae")
    with pytest.raises(TypeError, match=r"non-numeric columns: 'name'"):
        model.fit(frame, [0.0, 1.0], verbose=0)


def test_x_and_y_lengths_differ():
    model = model_with(1, None, "mae")
    with pytest.raises(ValueError, match=r"x has 12 rows, y has 11"):
        model.fit(X, np.zeros(11), verbose=0)


def test_wrong_feature_count_names_the_layer_and_suggests_the_target_column():
    model = model_with(1, None, "mae", input_dim=11)
    with pytest.raises(ValueError, match=r"Dense 'dense.*' expects inputs with last dimension 11 "
                       r"but got shape \(5, 12\)\. Did you leave the target column"):
        model.predict(np.zeros((5, 12)), verbose=0)


def test_the_second_tutorial_setup_is_not_flagged():
    # Two sigmoid units with sparse categorical cross-entropy: runs in Keras, so it runs here.
    model = model_with(2, "sigmoid", "sparse_categorical_crossentropy")
    model.fit(X, np.arange(12) % 2, epochs=1, verbose=0)
