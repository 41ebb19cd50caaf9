"""F1Score / FBetaScore and ActivityRegularization against Keras 3.15.1's numbers.

The fixtures come from tools/make_keras_metrics_more_fixtures.py (run with the reference
environment); the tests only read them.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import layers, metrics

FIXTURES = Path(__file__).parent / "fixtures" / "keras"
RECORD = json.loads((FIXTURES / "metrics_more.json").read_text())
ARRAYS = np.load(FIXTURES / "metrics_more.npz")
CASES = RECORD["f_scores"]


def _batch(case, b):
    kind, weights = case["kind"], case["weights"]
    sw = None if weights is None else ARRAYS[f"{weights}_{b}"]
    return ARRAYS[f"{kind}_true_{b}"], ARRAYS[f"{kind}_pred_{b}"], sw


@pytest.mark.parametrize("name", sorted(CASES))
def test_f_score_matches_keras_after_every_update(name):
    case = CASES[name]
    metric = getattr(metrics, case["class_name"])(**case["kwargs"])
    for b, expected in enumerate(case["steps"]):
        y_true, y_pred, sw = _batch(case, b)
        metric.update_state(y_true, y_pred, sample_weight=sw)
        got = np.asarray(metric.result())
        assert got.shape == np.shape(expected)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6, err_msg=name)
    metric.reset_state()
    np.testing.assert_array_equal(np.asarray(metric.result()), case["after_reset"])
    assert metric.get_config() == case["config"]
    again = type(metric).from_config(metric.get_config())
    assert again.get_config() == case["config"]


def test_f_score_result_dtype_follows_the_metric_dtype():
    case = CASES["f1_named_float64"]
    metric = metrics.F1Score(**case["kwargs"])
    metric.update_state(*_batch(case, 0)[:2])
    assert np.asarray(metric.result()).dtype == np.float64
    assert metrics.F1Score().name == "f1_score" and metrics.FBetaScore().name == "fbeta_score"


def test_f_score_names_resolve_and_serialize():
    assert isinstance(metrics.get("f1_score"), metrics.F1Score)
    assert isinstance(metrics.get("FBetaScore"), metrics.FBetaScore)
    config = metrics.serialize(metrics.FBetaScore(beta=2.0, average="micro", threshold=0.5))
    assert config["class_name"] == "FBetaScore" and config["module"] == "keras.metrics"
    m = metrics.deserialize(config)
    assert (m.beta, m.average, m.threshold) == (2.0, "micro", 0.5)


def test_per_cell_weights_sum_per_class():
    # Keras 3.15.1 mishandles weights of shape (batch, classes) (see the fixture script);
    # lamina weighs each label by its own weight.
    y_true, y_pred = ARRAYS["multilabel_true_0"], ARRAYS["multilabel_pred_0"]
    cells = np.random.default_rng(3).uniform(0.0, 2.0, y_true.shape).astype("float32")
    m = metrics.F1Score(threshold=0.5)
    m.update_state(y_true, y_pred, sample_weight=cells)
    hit = (y_pred > 0.5).astype("float32")
    np.testing.assert_allclose(m.true_positives.value, (hit * y_true * cells).sum(0), rtol=1e-6)
    np.testing.assert_allclose(m.false_positives.value, (hit * (1 - y_true) * cells).sum(0),
                               rtol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    ({"average": "foo"}, r"'average' argument of FBetaScore must be one of None.*Got 'foo'"),
    ({"beta": 0.0}, r"'beta' argument of FBetaScore must be > 0.*Got beta=0.0"),
    ({"beta": -1.0}, r"'beta' argument .* > 0"),
    ({"beta": "2"}, r"'beta' argument of FBetaScore must be a number.*Got '2' of type str"),
    ({"threshold": 1.5}, r"'threshold' argument of FBetaScore must be None or a number in "
                         r"\(0, 1\]. Got threshold=1.5"),
    ({"threshold": 0.0}, r"'threshold' argument"),
])
def test_bad_arguments_name_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        metrics.FBetaScore(**kwargs)


def test_f1_bad_average_names_f1score():
    with pytest.raises(ValueError, match=r"'average' argument of F1Score .*Got 'mean'"):
        metrics.F1Score(average="mean")


def test_f_score_refuses_integer_labels_with_the_fix():
    m = metrics.F1Score()
    with pytest.raises(ValueError, match=r"2-D .*y_true.shape=\(3,\).*to_categorical"):
        m.update_state(np.array([0, 1, 2]), np.eye(3))
    m.update_state(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match=r"number of classes it first saw.*\(2, 4\)"):
        m.update_state(np.eye(4)[:2], np.eye(4)[:2])


def test_integer_beta_and_threshold_are_accepted_as_floats():
    m = metrics.FBetaScore(beta=2, threshold=1)
    assert m.get_config()["beta"] == 2.0 and isinstance(m.beta, float)
    assert isinstance(m.threshold, float)


# -- ActivityRegularization ---------------------------------------------------------------


def _build():
    return lamina.Sequential([
        lamina.Input((5,)),
        layers.Dense(6, activation="tanh"),
        layers.ActivityRegularization(l1=0.01, l2=0.05),
        layers.Dense(3, activation="softmax"),
    ])


def _run(run_eagerly):
    lamina.utils.clear_session()
    model = _build()
    model.set_weights([ARRAYS[f"run_w{i}"] for i in range(4)])
    model.compile(optimizer=lamina.optimizers.SGD(0.1), loss="categorical_crossentropy",
                  metrics=[metrics.F1Score(average="macro"),
                           metrics.FBetaScore(beta=2.0, average="weighted", threshold=0.4)],
                  run_eagerly=run_eagerly)
    x, y = ARRAYS["run_x"], ARRAYS["run_y"]
    before = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0).history
    after = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    return model, before, history, after


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["traced", "eager"])
def test_activity_regularization_losses_and_f_scores_match_keras_in_fit(run_eagerly):
    expected = RECORD["activity_regularization_run"]
    model, before, history, after = _run(run_eagerly)
    for got, want in ((before, expected["evaluate_before"]), (after, expected["evaluate_after"])):
        assert set(got) == set(want)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=2e-5, atol=2e-6, err_msg=key)
    assert set(history) == set(expected["history"])
    for key, values in expected["history"].items():
        np.testing.assert_allclose(history[key], values, rtol=2e-5, atol=2e-6, err_msg=key)
    # The penalty is part of the loss: the plain cross-entropy is lower.
    plain = float(np.mean(lamina.losses.categorical_crossentropy(
        ARRAYS["run_y"], model.predict(ARRAYS["run_x"], verbose=0))))
    np.testing.assert_allclose(plain, expected["crossentropy_after"], rtol=2e-5)
    assert after["loss"] > plain + 1e-3


def test_activity_regularization_layer_contract():
    layer = layers.ActivityRegularization(l1=0.01, l2=0.05, name="act_reg")
    assert layer.get_config() == RECORD["activity_regularization_config"]
    again = layers.ActivityRegularization.from_config(layer.get_config())
    assert (again.l1, again.l2) == (0.01, 0.05)
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]], "float32")
    out = layer(x)
    np.testing.assert_array_equal(np.asarray(out), x)
    penalty = (0.01 * np.abs(x).sum() + 0.05 * np.square(x).sum()) / 2  # per sample
    np.testing.assert_allclose(float(layer.losses[0]), penalty, rtol=1e-6)
    assert layer.supports_masking and layer.compute_output_shape((None, 3)) == (None, 3)
    masked = layers.Masking()(np.array([[[0.0], [1.0]]], "float32"))
    assert np.asarray(layers.ActivityRegularization(l1=0.1)(masked)._keras_mask).tolist() == \
        [[False, True]]


def test_activity_regularization_bad_factor_names_the_argument():
    with pytest.raises(ValueError, match=r"'l1' argument of ActivityRegularization.*l1=-0.1"):
        layers.ActivityRegularization(l1=-0.1)
    with pytest.raises(TypeError, match="remove the 'activity_regularizer'"):
        layers.ActivityRegularization(activity_regularizer="l2")


@pytest.mark.parametrize("run_eagerly", [False, True], ids=["traced", "eager"])
def test_a_keras_saved_activity_regularization_model_trains_with_keras_losses(run_eagerly):
    folder = FIXTURES.parent / "keras_files"
    expected = RECORD["keras_file_run"]
    model = lamina.models.load_model(folder / "keras_activity_regularization.keras")
    weight_sum = sum(np.sum(w, dtype="float64") for w in model.get_weights())
    assert weight_sum == pytest.approx(expected["weight_sum"], rel=1e-9), (
        "keras_activity_regularization.keras changed: rerun "
        "tools/make_keras_metrics_more_fixtures.py")
    assert isinstance(model.layers[1], layers.ActivityRegularization)
    assert (model.layers[1].l1, model.layers[1].l2) == (0.01, 0.02)
    x = np.load(folder / "keras_activity_regularization.npz")["x"]
    target = np.zeros((len(x), 2), "float32")
    model.compile(optimizer=lamina.optimizers.SGD(0.05), loss="mse", run_eagerly=run_eagerly)
    evaluated = model.evaluate(x, target, batch_size=6, verbose=0)
    np.testing.assert_allclose(evaluated, expected["evaluate"], rtol=1e-6)
    mse = float(np.mean(np.square(model.predict(x, verbose=0))))
    assert evaluated > mse + 1e-3  # the penalty is in the loss
    history = model.fit(x, target, batch_size=3, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(history["loss"], expected["history_loss"], rtol=2e-6)


# -- IoU family ---------------------------------------------------------------------------

IOU_CASES = RECORD["ious"]


def _iou_batch(case, b):
    kind, weights = case["kind"], case["weights"]
    key = f"maps_{weights}" if kind == "maps" and weights else weights
    sw = None if weights is None else ARRAYS[f"iou_{key}_{b}"]
    return ARRAYS[f"iou_{kind}_true_{b}"], ARRAYS[f"iou_{kind}_pred_{b}"], sw


def _without_name(config):
    return {k: v for k, v in config.items() if k != "name"}


@pytest.mark.parametrize("name", sorted(IOU_CASES))
def test_iou_matches_keras_after_every_update(name, recwarn):
    case = IOU_CASES[name]
    metric = getattr(metrics, case["class_name"])(**case["kwargs"])
    for b, expected in enumerate(case["steps"]):
        metric.update_state(*_iou_batch(case, b))
        np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-6, atol=1e-7,
                                   err_msg=name)
    np.testing.assert_allclose(metric.total_cm.value, case["matrix"], rtol=1e-6)
    assert np.asarray(metric.result()).dtype == np.float32
    metric.reset_state()
    assert float(metric.result()) == case["after_reset"]
    assert _without_name(metric.get_config()) == _without_name(case["config"])
    again = type(metric).from_config(metric.get_config())
    assert again.get_config() == metric.get_config()
    truncating = case["weights"] == "float" and "dtype" not in case["kwargs"]
    assert any("truncated" in str(w.message) for w in recwarn) == truncating


def test_iou_names_and_bad_arguments():
    assert metrics.MeanIoU(3).name.startswith("mean_io_u")
    assert isinstance(metrics.get({"class_name": "OneHotMeanIoU",
                                   "config": {"num_classes": 2}}), metrics.OneHotMeanIoU)
    with pytest.raises(ValueError, match=r"'target_class_ids' argument of IoU .*\[0, 3\).*"
                                         r"Got \[0, 3\]"):
        metrics.IoU(num_classes=3, target_class_ids=[0, 3])
    with pytest.raises(ValueError, match=r"'num_classes' argument of MeanIoU must be a positive"):
        metrics.MeanIoU(num_classes=0)
    with pytest.raises(ValueError, match=r"'threshold' argument of BinaryIoU"):
        metrics.BinaryIoU(threshold="high")
    m = metrics.MeanIoU(num_classes=3)
    with pytest.raises(ValueError, match=r"one prediction per label.*OneHotIoU"):
        m.update_state([0, 1, 2], np.eye(3))


def test_f_scores_and_iou_run_in_a_traced_fit_and_evaluate():
    lamina.utils.clear_session()
    rng = np.random.default_rng(2)
    x = rng.standard_normal((24, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[np.argmax(x[:, :3], axis=1)]
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=[metrics.F1Score(), metrics.OneHotMeanIoU(num_classes=3)])
    history = model.fit(x, y, batch_size=6, epochs=2, verbose=0).history
    assert np.shape(history["f1_score"][-1]) == (3,)
    logs = model.evaluate(x, y, batch_size=6, verbose=0, return_dict=True)
    # The logs equal a fresh metric fed the same predictions.
    pred = model.predict(x, verbose=0)
    f1, iou = metrics.F1Score(), metrics.OneHotMeanIoU(num_classes=3)
    f1.update_state(y, pred)
    iou.update_state(y, pred)
    np.testing.assert_allclose(logs["f1_score"], np.asarray(f1.result()), rtol=1e-6)
    np.testing.assert_allclose(logs["one_hot_mean_io_u"], float(iou.result()), rtol=1e-6)


def test_binary_f1_accepts_rank_1_labels_for_one_output_column():
    y = np.array([1, 0, 1, 1], "float32")
    p = np.array([[0.9], [0.6], [0.2], [0.7]], "float32")
    a, b = metrics.F1Score(threshold=0.5), metrics.F1Score(threshold=0.5)
    a.update_state(y, p)
    b.update_state(y[:, None], p)
    np.testing.assert_array_equal(np.asarray(a.result()), np.asarray(b.result()))
    np.testing.assert_allclose(np.asarray(a.result()), [2 / 3], rtol=1e-6)


def test_a_name_that_needs_arguments_says_to_pass_an_instance():
    with pytest.raises(TypeError, match=r"'mean_io_u' is not enough to build MeanIoU.*num_classes"
                                        r".*lamina.metrics.MeanIoU\(...\)"):
        metrics.get("mean_io_u")
