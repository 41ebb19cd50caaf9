"""End-to-end checks of the generalisation workflow against real Keras 3.15.1.

The reference numbers come from tools/make_keras_classification_fixtures.py
(tests/fixtures/keras/classification.json + .npz), which also stores the
breast-cancer data (scikit-learn's copy, split and standardised), so these
tests need neither TensorFlow nor scikit-learn.

* The tutorial's binary classifier with ``EarlyStopping`` reaches Keras's
  validation accuracy from the same initial weights (shuffles differ, so the
  comparison is with the range of Keras's runs over several seeds).
* Without shuffling, whole fits match Keras to 1e-4: plain, BatchNormalization
  with L2/L1 penalties, ``class_weight``, ``sample_weight`` with weighted
  metrics, ``validation_split``; on the fused step and on the GradientTape step.
* ``Dropout`` is the identity in ``predict``/``evaluate``.
* On the red-wine data, ``EarlyStopping(restore_best_weights=True)`` leaves the
  model with exactly the best epoch's weights.
"""

import json
import os

import numpy as np
import pytest

import lamina as keras

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras")
JSON_PATH = os.path.join(FIXTURES, "classification.json")
NPZ_PATH = os.path.join(FIXTURES, "classification.npz")

if os.path.exists(JSON_PATH) and os.path.exists(NPZ_PATH):
    with open(JSON_PATH) as f:
        CASES = {case["id"]: case for case in json.load(f)}
    ARRAYS = np.load(NPZ_PATH, allow_pickle=False)
else:  # pragma: no cover - the fixtures are part of the repository
    CASES, ARRAYS = {}, None

needs_fixtures = pytest.mark.skipif(
    ARRAYS is None,
    reason="tests/fixtures/keras/classification.{json,npz} missing; make them with "
    "/opt/keras-ref/bin/python tools/make_keras_classification_fixtures.py",
)

RTOL, ATOL = 1e-4, 1e-6


def _arr(case_id, name):
    return ARRAYS[f"{case_id}/{name}"]


def _data():
    return tuple(_arr("breast_cancer", k) for k in ("x_train", "y_train", "x_val", "y_val"))


def _model(kind="plain"):
    """The same models as the fixture script, written as a tutorial would."""
    L = keras.layers
    if kind == "plain":
        layers = [L.Dense(16, activation="relu"), L.Dense(8, activation="relu"),
                  L.Dense(1, activation="sigmoid")]
    elif kind == "dropout":
        layers = [L.Dense(16, activation="relu"), L.Dropout(0.5),
                  L.Dense(8, activation="relu"), L.Dropout(0.5),
                  L.Dense(1, activation="sigmoid")]
    elif kind == "bn_l2":
        layers = [L.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.l2(0.01)),
                  L.BatchNormalization(gamma_regularizer=keras.regularizers.l2(0.01),
                                       beta_regularizer=keras.regularizers.l1(0.001)),
                  L.Dense(1, activation="sigmoid",
                          bias_regularizer=keras.regularizers.l2(0.01))]
    else:  # pragma: no cover
        raise ValueError(kind)
    return keras.Sequential([keras.Input((30,)), *layers])


def _start(case_id, kind="plain", path="fused", monkeypatch=None, **compile_kwargs):
    """The model of ``case_id`` with Keras's initial weights, compiled like Keras's."""
    case = CASES[case_id]
    model = _model(kind)
    n = len(model.weights)
    assert n == len(case["weight_names"])
    model.set_weights([_arr(case_id, f"w{i}_init") for i in range(n)])
    compile_kwargs = {"loss": "binary_crossentropy", "metrics": ["binary_accuracy"],
                      **compile_kwargs}
    model.compile(optimizer=keras.optimizers.Adam(), **compile_kwargs)
    if path == "generic":
        monkeypatch.setattr(model, "make_train_function", lambda force=False: model.train_step)
    return model


def _assert_matches(case_id, model, history, path, expected_history=None):
    case = CASES[case_id]
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(
            w, _arr(case_id, f"w{i}_final"), rtol=RTOL, atol=ATOL,
            err_msg=f"{case_id}: weight {case['weight_names'][i]} after fit ({path} step)")
    expected_history = case["history"] if expected_history is None else expected_history
    assert sorted(history.history) == sorted(expected_history)
    for key, values in expected_history.items():
        np.testing.assert_allclose(history.history[key], values, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{case_id}: history['{key}'] ({path} step)")


PATHS = pytest.mark.parametrize("path", ["fused", "generic"])


# -- the data -------------------------------------------------------------------------------


@needs_fixtures
def test_breast_cancer_fixture_is_the_standardised_split():
    x_train, y_train, x_val, y_val = _data()
    assert x_train.shape == (426, 30) and x_val.shape == (143, 30)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int32
    assert set(np.unique(y_train)) == {0, 1} and set(np.unique(y_val)) == {0, 1}
    # 212 malignant and 357 benign in all; the split is stratified.
    assert int((y_train == 0).sum() + (y_val == 0).sum()) == 212
    np.testing.assert_allclose(x_train.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(x_train.std(axis=0), 1.0, atol=1e-5)


# -- 1. the tutorial run with EarlyStopping ----------------------------------------------------


@needs_fixtures
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_stopping_classifier_reaches_keras_accuracy(seed):
    case = CASES["bc_early_stopping"]
    x_train, y_train, x_val, y_val = _data()
    keras.utils.set_random_seed(seed)
    model = _start("bc_early_stopping")
    stopper = keras.callbacks.EarlyStopping(patience=10, restore_best_weights=True,
                                            monitor="val_loss")
    history = model.fit(x_train, y_train, batch_size=32, epochs=200,
                        validation_data=(x_val, y_val), callbacks=[stopper], verbose=0)
    epochs_run = len(history.history["loss"])
    assert stopper.stopped_epoch > 0 and epochs_run < 200, "EarlyStopping never stopped"
    assert stopper.stopped_epoch == epochs_run - 1
    assert stopper.best_epoch == stopper.stopped_epoch - 10
    assert int(np.argmin(history.history["val_loss"])) == stopper.best_epoch

    val_loss, val_accuracy = model.evaluate(x_val, y_val, batch_size=32, verbose=0)
    keras_accuracy = case["summary"]["val_binary_accuracy"]
    keras_loss = case["summary"]["val_loss"]
    assert val_accuracy >= keras_accuracy["min"] - 0.01, (
        f"lamina's validation accuracy {val_accuracy:.4f} is below Keras's "
        f"({keras_accuracy['min']:.4f}-{keras_accuracy['max']:.4f} over {len(case['runs'])} runs)")
    assert val_loss <= keras_loss["max"] * 1.25, (
        f"lamina's validation loss {val_loss:.4f} is well above Keras's "
        f"({keras_loss['min']:.4f}-{keras_loss['max']:.4f})")
    # The restored weights are the best epoch's.
    np.testing.assert_allclose(val_loss, history.history["val_loss"][stopper.best_epoch],
                               rtol=1e-6)


@needs_fixtures
@PATHS
def test_unshuffled_fit_matches_keras(path, monkeypatch):
    case_id = "bc_noshuffle"
    x_train, y_train, x_val, y_val = _data()
    model = _start(case_id, path=path, monkeypatch=monkeypatch)
    history = model.fit(x_train, y_train, batch_size=32, epochs=3, shuffle=False,
                        validation_data=(x_val, y_val), verbose=0)
    _assert_matches(case_id, model, history, path)
    result = model.evaluate(x_val, y_val, batch_size=32, verbose=0, return_dict=True)
    assert sorted(result) == sorted(CASES[case_id]["evaluate_val"])
    for key, value in CASES[case_id]["evaluate_val"].items():
        np.testing.assert_allclose(result[key], value, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(model.predict(x_val, verbose=0), _arr(case_id, "predict_val"),
                               rtol=RTOL, atol=ATOL)


# -- 2. EarlyStopping on the red-wine data ---------------------------------------------------------


def test_red_wine_early_stopping_restores_the_best_epoch():
    from lamina.datasets import red_wine

    (x_train, y_train), (x_valid, y_valid) = red_wine.load_data()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((11,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1),
    ])
    model.compile(optimizer="adam", loss="mae")
    stopper = keras.callbacks.EarlyStopping(min_delta=0.001, patience=20,
                                            restore_best_weights=True)
    snapshots = []
    keep = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights()))
    history = model.fit(x_train, y_train, validation_data=(x_valid, y_valid), batch_size=256,
                        epochs=500, callbacks=[stopper, keep], verbose=0)
    val_loss = history.history["val_loss"]
    assert len(val_loss) < 500, "EarlyStopping never stopped"
    assert stopper.stopped_epoch == len(val_loss) - 1
    # The best epoch is the last one that beat the best so far by more than min_delta.
    best, best_epoch = np.inf, None
    for epoch, value in enumerate(val_loss):
        if value < best - 0.001:
            best, best_epoch = value, epoch
    assert stopper.best_epoch == best_epoch
    assert stopper.stopped_epoch - stopper.best_epoch == 20
    # The model ends with exactly the best epoch's weights ...
    for restored, best_weights in zip(model.get_weights(), snapshots[stopper.best_epoch]):
        np.testing.assert_array_equal(restored, best_weights)
    # ... so evaluate gives that epoch's val_loss (batches of 32 here, 256 in fit).
    np.testing.assert_allclose(model.evaluate(x_valid, y_valid, verbose=0),
                               val_loss[stopper.best_epoch], rtol=1e-5)


# -- 3. Dropout at inference; BatchNormalization with penalties ---------------------------------


@needs_fixtures
def test_dropout_is_the_identity_at_inference():
    case_id = "bc_dropout_inference"
    _, _, x_val, y_val = _data()
    model = _start(case_id, kind="dropout")
    expected = _arr(case_id, "predict_val")
    np.testing.assert_allclose(model.predict(x_val, batch_size=32, verbose=0), expected,
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(model(x_val, training=False).numpy(),
                               _arr(case_id, "call_training_false"), rtol=1e-6, atol=1e-6)
    result = model.evaluate(x_val, y_val, batch_size=32, verbose=0, return_dict=True)
    for key, value in CASES[case_id]["evaluate_val"].items():
        np.testing.assert_allclose(result[key], value, rtol=1e-6, atol=1e-6)
    # In training mode the same layers do drop units.
    keras.utils.set_random_seed(0)
    assert not np.allclose(model(x_val, training=True).numpy(), expected, atol=1e-3)


@needs_fixtures
@PATHS
def test_batchnorm_with_penalties_matches_keras(path, monkeypatch):
    case_id = "bc_batchnorm_l2"
    case = CASES[case_id]
    x_train, y_train, x_val, y_val = _data()
    model = _start(case_id, kind="bn_l2", path=path, monkeypatch=monkeypatch)
    assert [v.path.split("/")[-1] for v in model.weights] == [
        n.split("/")[-1] for n in case["weight_names"]]
    history = model.fit(x_train, y_train, batch_size=32, epochs=2, shuffle=False,
                        validation_data=(x_val, y_val), verbose=0)
    _assert_matches(case_id, model, history, path)
    penalty = sum(float(np.asarray(loss.numpy() if hasattr(loss, "numpy") else loss))
                  for loss in model.losses)
    np.testing.assert_allclose(penalty, case["regularization_after"], rtol=RTOL)
    result = model.evaluate(x_val, y_val, batch_size=32, verbose=0, return_dict=True)
    for key, value in case["evaluate_val"].items():
        np.testing.assert_allclose(result[key], value, rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(model.predict(x_val, verbose=0), _arr(case_id, "predict_val"),
                               rtol=RTOL, atol=ATOL)


# -- 4. class_weight, sample_weight, validation_split ------------------------------------------


def _weighted_fit(case_id, path, monkeypatch, metrics):
    """Fit like the fixture's class_weight / sample_weight runs; ``metrics`` as given."""
    case = CASES[case_id]
    x_train, y_train, x_val, y_val = _data()
    model = _start(case_id, path=path, monkeypatch=monkeypatch, metrics=metrics,
                   weighted_metrics=["binary_accuracy"])
    kwargs = {"validation_data": (x_val, y_val)}
    if "class_weight" in case["config"]["fit_kwargs"]:
        kwargs["class_weight"] = {
            int(k): v for k, v in case["config"]["fit_kwargs"]["class_weight"].items()}
    else:
        kwargs["sample_weight"] = _arr(case_id, "sample_weight")
        kwargs["validation_data"] = (x_val, y_val, _arr(case_id, "val_sample_weight"))
    if case_id == "bc_class_weight_partial":
        # Keys {1, 2} for a one-unit (binary) model: Keras ignores key 2; lamina refuses a key
        # that is not a class of the model, and names it.
        with pytest.raises(ValueError, match=r"keys \[2\] that are not classes.*0 to 1"):
            model.fit(x_train, y_train, batch_size=32, epochs=1, shuffle=False, verbose=0,
                      **kwargs)
        pytest.skip("lamina refuses class_weight keys that are not classes of the model")
    else:
        history = model.fit(x_train, y_train, batch_size=32, epochs=1, shuffle=False,
                            verbose=0, **kwargs)
    return model, history


WEIGHTED_CASES = ["bc_class_weight", "bc_class_weight_partial", "bc_sample_weight"]


@needs_fixtures
@PATHS
@pytest.mark.parametrize("case_id", WEIGHTED_CASES)
def test_class_and_sample_weights_match_keras(case_id, path, monkeypatch):
    # Only the weighted metric is compiled, so its log name is plain "binary_accuracy"
    # (Keras logs it as "weighted_binary_accuracy" in the fixture, next to the unweighted one).
    model, history = _weighted_fit(case_id, path, monkeypatch, metrics=[])
    keras_history = CASES[case_id]["history"]
    expected = {key.replace("weighted_", ""): keras_history[key]
                for key in ("loss", "val_loss", "weighted_binary_accuracy",
                            "val_weighted_binary_accuracy")}
    _assert_matches(case_id, model, history, path, expected_history=expected)


@needs_fixtures
def test_weighted_evaluate_matches_keras():
    case_id = "bc_sample_weight"
    _, _, x_val, y_val = _data()
    model = _start(case_id, metrics=[], weighted_metrics=["binary_accuracy"])
    n = len(model.weights)
    model.set_weights([_arr(case_id, f"w{i}_final") for i in range(n)])
    result = model.evaluate(x_val, y_val, sample_weight=_arr(case_id, "val_sample_weight"),
                            batch_size=32, verbose=0, return_dict=True)
    expected = CASES[case_id]["evaluate_val_weighted"]
    np.testing.assert_allclose(result["loss"], expected["loss"], rtol=RTOL)
    np.testing.assert_allclose(result["binary_accuracy"], expected["weighted_binary_accuracy"],
                               rtol=RTOL)


@needs_fixtures
@pytest.mark.parametrize("case_id", ["bc_class_weight", "bc_sample_weight"])
def test_metric_and_weighted_metric_of_one_name_are_both_logged(case_id, monkeypatch):
    model, history = _weighted_fit(case_id, "fused", monkeypatch, metrics=["binary_accuracy"])
    _assert_matches(case_id, model, history, "fused")


def test_class_weight_follows_keras_for_missing_keys_and_refuses_wrong_ones():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 3)).astype("float32")
    y = (rng.random(24) < 0.5).astype("int64")
    y[:2] = [0, 1]

    def fit(class_weight, labels=y):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy")
        model.fit(x, labels, batch_size=8, epochs=1, shuffle=False, verbose=0,
                  class_weight=class_weight)
        return model.get_weights()

    full = fit({0: 1.0, 1: 3.0})
    # A class without a key weighs 1.0, as in Keras.
    for same in ({1: 3.0}, {"1": 3.0}):
        for a, b in zip(fit(same), full):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(fit({0: 1.0, 1: 3.0}, labels=y[:, None].astype("float32")), full):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not all(np.array_equal(a, b) for a, b in zip(fit({0: 1.0, 1: 1.0}), full))
    # A key that is not a class of the model is a mistake (Keras ignores it): lamina says so.
    for wrong in ({0: 1.0, 1: 3.0, 7: 0.5}, {1: 3.0, 2: 5.0}):
        with pytest.raises(ValueError, match=r"not classes of this model.*classes 0 to 1"):
            fit(wrong)


@needs_fixtures
@PATHS
def test_validation_split_takes_the_last_rows_like_keras(path, monkeypatch):
    case_id = "bc_validation_split"
    x_train, y_train, _, _ = _data()
    model = _start(case_id, path=path, monkeypatch=monkeypatch)
    history = model.fit(x_train, y_train, batch_size=32, epochs=2, shuffle=False,
                        validation_split=0.2, verbose=0)
    _assert_matches(case_id, model, history, path)
