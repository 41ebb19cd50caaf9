"""lamina.metrics: get / serialize / deserialize, compile-time resolution, exports, docs."""

import importlib
import inspect

import numpy as np
import pytest
from helpers import run_doctests

import lamina
from lamina import metrics as M

METRIC_MODULES = [
    "lamina.metrics",
    "lamina.metrics.metric",
    "lamina.metrics.reduction_metrics",
    "lamina.metrics.accuracy_metrics",
    "lamina.metrics.regression_metrics",
    "lamina.metrics.probabilistic_metrics",
    "lamina.metrics.confusion_metrics",
    "lamina.metrics.confusion_counts",
    "lamina.metrics.auc",
]

# One non-default configuration per class, for the round trips.
CONFIGURED = [
    M.Mean(name="m", dtype="float64"),
    M.Sum(name="s"),
    M.MeanMetricWrapper(M.binary_accuracy, name="wrapped", threshold=0.3),
    M.Accuracy(name="acc"),
    M.BinaryAccuracy(threshold=0.7),
    M.CategoricalAccuracy(),
    M.SparseCategoricalAccuracy(),
    M.TopKCategoricalAccuracy(k=3),
    M.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
    M.MeanSquaredError(),
    M.MeanAbsoluteError(),
    M.MeanAbsolutePercentageError(),
    M.MeanSquaredLogarithmicError(),
    M.RootMeanSquaredError(),
    M.CosineSimilarity(axis=0),
    M.LogCoshError(),
    M.R2Score(class_aggregation=None, num_regressors=2),
    M.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    M.CategoricalCrossentropy(label_smoothing=0.2, axis=-1),
    M.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    M.KLDivergence(),
    M.Poisson(),
    M.Hinge(),
    M.SquaredHinge(),
    M.CategoricalHinge(),
    M.TruePositives(thresholds=[0.2, 0.6]),
    M.FalsePositives(),
    M.TrueNegatives(thresholds=0.3),
    M.FalseNegatives(),
    M.Precision(thresholds=[0.3, 0.5], class_id=1),
    M.Recall(top_k=2),
    M.AUC(num_thresholds=50, curve="PR", summation_method="majoring"),
    M.AUC(
        thresholds=[0.2, 0.4, 0.9],
        multi_label=True,
        num_labels=3,
        label_weights=[1.0, 2.0, 0.5],
        from_logits=True,
    ),
    M.SensitivityAtSpecificity(0.4, num_thresholds=20, class_id=0),
    M.SpecificityAtSensitivity(0.6),
    M.PrecisionAtRecall(0.3),
    M.RecallAtPrecision(0.8),
]


# ---------------------------------------------------------------------------
# get


@pytest.mark.parametrize(
    "name, cls",
    [
        ("mse", M.MeanSquaredError),
        ("MSE", M.MeanSquaredError),
        ("mae", M.MeanAbsoluteError),
        ("mape", M.MeanAbsolutePercentageError),
        ("msle", M.MeanSquaredLogarithmicError),
        ("bce", M.BinaryCrossentropy),
        ("auc", M.AUC),
        ("AUC", M.AUC),
        ("precision", M.Precision),
        ("recall", M.Recall),
        ("accuracy", M.Accuracy),
        ("binary_accuracy", M.BinaryAccuracy),
        ("categorical_accuracy", M.CategoricalAccuracy),
        ("sparse_categorical_accuracy", M.SparseCategoricalAccuracy),
        ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy),
        ("sparse_top_k_categorical_accuracy", M.SparseTopKCategoricalAccuracy),
        ("binary_crossentropy", M.BinaryCrossentropy),
        ("categorical_crossentropy", M.CategoricalCrossentropy),
        ("sparse_categorical_crossentropy", M.SparseCategoricalCrossentropy),
        ("mean_squared_error", M.MeanSquaredError),
        ("MeanSquaredError", M.MeanSquaredError),
        ("root_mean_squared_error", M.RootMeanSquaredError),
        ("r2_score", M.R2Score),
        ("kl_divergence", M.KLDivergence),
        ("log_cosh_error", M.LogCoshError),
        ("cosine_similarity", M.CosineSimilarity),
        ("true_positives", M.TruePositives),
        ("kld", M.KLDivergence),
        ("logcosh", M.LogCoshError),
    ],
)
def test_get_name_gives_instance(name, cls):
    metric = M.get(name)
    assert type(metric) is cls


def test_get_function_only_name_wraps_the_loss_function():
    metric = M.get("huber")
    assert isinstance(metric, M.MeanMetricWrapper)
    assert metric.name == "huber"
    metric.update_state([[0.0], [3.0]], [[0.5], [0.0]])
    # huber with delta 1: 0.5 * 0.25 and 1 * 3 - 0.5
    assert float(metric.result()) == pytest.approx((0.125 + 2.5) / 2)


def test_get_passes_through_instances_functions_and_builds_classes():
    m = M.Recall()
    assert M.get(m) is m
    wrapped = M.get(M.binary_accuracy)  # functions are averaged, named after themselves
    assert isinstance(wrapped, M.MeanMetricWrapper) and wrapped._fn is M.binary_accuracy
    assert wrapped.name == "binary_accuracy"
    loss = M.get(lamina.losses.MeanAbsoluteError(name="l1"))
    assert isinstance(loss, M.MeanMetricWrapper) and loss.name == "l1"
    assert type(M.get(M.AUC)) is M.AUC
    assert M.get(None) is None


def test_get_dict():
    m = M.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.8, "name": "b"}})
    assert type(m) is M.BinaryAccuracy and m.threshold == 0.8 and m.name == "b"


def test_get_unknown_name_lists_valid_names_and_closest():
    with pytest.raises(
        ValueError,
        match=r"Unknown metric 'precison'.*Valid names: .*'mae'.*"
        r"Did you mean 'precision'\?",
    ):
        M.get("precison")
    with pytest.raises(ValueError, match="Did you mean 'accuracy'"):
        M.get("acuracy")
    with pytest.raises(ValueError, match="Valid names"):
        M.get("f1")


def test_get_rejects_non_callables():
    with pytest.raises(TypeError, match="Could not interpret metric identifier 3"):
        M.get(3)


# ---------------------------------------------------------------------------
# compile-time resolution


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((8,), (8, 1), M.BinaryAccuracy),
        ((8, 1), (8, 1), M.BinaryAccuracy),
        ((8,), (8, 3), M.SparseCategoricalAccuracy),
        ((8, 1), (8, 3), M.SparseCategoricalAccuracy),
        ((8, 3), (8, 3), M.CategoricalAccuracy),
        ((8, 4), (8, 4), M.CategoricalAccuracy),  # multi-label sigmoid: Keras 3 picks categorical
    ],
)
def test_resolve_accuracy(y_true_shape, y_pred_shape, expected):
    assert M.resolve_accuracy(y_true_shape, y_pred_shape) is expected
    m = M.get_metric("accuracy", np.zeros(y_true_shape), np.zeros(y_pred_shape))
    assert type(m) is expected and m.name == "accuracy"


def test_get_metric_from_shapes_and_missing_shapes():
    m = M.get_metric("acc", y_true_shape=(16,), y_pred_shape=(16, 5))
    assert type(m) is M.SparseCategoricalAccuracy and m.name == "acc"
    assert type(M.get_metric("mse")) is M.MeanSquaredError  # no shapes needed
    with pytest.raises(ValueError, match="needs the shapes of a batch of labels"):
        M.get_metric("accuracy")
    with pytest.raises(ValueError, match="'sparse_categorical_accuracy'"):
        M.resolve_accuracy((8,), None)


def test_get_metric_keeps_the_spelling_as_name():
    assert M.get_metric("acc", np.zeros(4), np.zeros((4, 1))).name == "acc"
    assert M.get_metric("ACC", np.zeros(4), np.zeros((4, 1))).name == "ACC"
    m = M.get_metric("mae", np.zeros(4), np.zeros((4, 1)))
    assert type(m) is M.MeanAbsoluteError and m.name == "mae"


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((8,), (8, 1), M.BinaryCrossentropy),
        ((8,), (8, 3), M.SparseCategoricalCrossentropy),
        ((8, 3), (8, 3), M.CategoricalCrossentropy),
    ],
)
def test_get_metric_crossentropy(y_true_shape, y_pred_shape, expected):
    m = M.get_metric("crossentropy", np.zeros(y_true_shape), np.zeros(y_pred_shape))
    assert type(m) is expected and m.name == "crossentropy"


def test_get_metric_function_and_instance_names():
    def myMetric(y_true, y_pred):  # noqa: N802 - checks the snake_case naming
        return np.abs(np.asarray(y_true) - np.asarray(y_pred))[:, 0]

    m = M.get_metric(myMetric, np.zeros((3, 1)), np.zeros((3, 1)))
    assert isinstance(m, M.MeanMetricWrapper) and m.name == "my_metric"
    m.update_state(np.array([[1.0], [2.0], [3.0]]), np.array([[1.0], [2.5], [4.0]]))
    assert float(m.result()) == pytest.approx(0.5)
    inst = M.AUC(name="roc")
    assert M.get_metric(inst, np.zeros(3), np.zeros(3)) is inst and inst.name == "roc"
    loss_fn = M.get_metric(lamina.losses.mean_squared_error, np.zeros(3), np.zeros(3))
    assert loss_fn.name == "mean_squared_error" and loss_fn._direction == "down"


def test_get_metric_none_is_an_error():
    with pytest.raises(ValueError, match="got None"):
        M.get_metric(None, np.zeros(3), np.zeros(3))


# ---------------------------------------------------------------------------
# serialize / deserialize / config


@pytest.mark.parametrize("metric", CONFIGURED, ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    config = metric.get_config()
    rebuilt = type(metric).from_config(config)
    assert rebuilt.get_config() == config
    again = M.deserialize(M.serialize(metric))
    assert type(again) is type(metric)
    assert again.get_config() == config
    import json

    json.dumps(M.serialize(metric))  # plain JSON


def test_serialize_format_matches_keras():
    config = M.serialize(M.BinaryAccuracy(name="ba", threshold=0.7))
    assert config == {
        "module": "keras.metrics",
        "class_name": "BinaryAccuracy",
        "config": {"name": "ba", "dtype": "float32", "threshold": 0.7},
        "registered_name": None,
    }


def test_mean_metric_wrapper_config_stores_function_by_name():
    m = M.MeanMetricWrapper(lamina.losses.mean_absolute_error, name="mae_wrapped")
    config = m.get_config()
    assert config["fn"]["config"] == "mean_absolute_error"
    assert config["fn"]["class_name"] == "function"
    rebuilt = M.MeanMetricWrapper.from_config(config)
    assert rebuilt._fn is lamina.losses.mean_absolute_error


def test_wrapper_of_loss_object_round_trip():
    m = M.MeanMetricWrapper(lamina.losses.Huber(delta=2.0), name="huber2")
    rebuilt = M.MeanMetricWrapper.from_config(m.get_config())
    assert type(rebuilt._fn) is lamina.losses.Huber and rebuilt._fn.delta == 2.0


def test_custom_function_round_trip_with_custom_objects():
    def my_err(y_true, y_pred):
        return abs(y_true - y_pred)

    config = M.MeanMetricWrapper(my_err, name="e").get_config()
    assert config["fn"]["config"] == "my_err"
    with pytest.raises(ValueError, match="Unknown metric function 'my_err'"):
        M.MeanMetricWrapper.from_config(config)
    rebuilt = M.deserialize(
        {"class_name": "MeanMetricWrapper", "config": config}, custom_objects={"my_err": my_err}
    )
    assert rebuilt._fn is my_err and rebuilt.name == "e"


def test_custom_metric_serialization_needs_custom_objects():
    class Twice(M.Mean):
        """Twice the mean."""

        def result(self):
            return super().result() * 2

    config = M.serialize(Twice(name="twice"))
    assert config["registered_name"] == "Twice"
    with pytest.raises(ValueError, match="Unknown metric class 'Twice'"):
        M.deserialize(config)
    m = M.deserialize(config, custom_objects={"Twice": Twice})
    assert type(m) is Twice and m.name == "twice"


def test_lambda_cannot_be_serialized():
    m = M.MeanMetricWrapper(lambda t, p: p, name="lam")
    with pytest.raises(ValueError, match="lambda cannot be saved"):
        m.get_config()


def test_deserialize_function_names():
    assert M.deserialize({"class_name": "function", "config": "mse"}) is (
        lamina.losses.mean_squared_error
    )
    assert M.deserialize(
        {
            "module": "keras.metrics",
            "class_name": "function",
            "config": "binary_accuracy",
            "registered_name": None,
        }
    ) is (M.binary_accuracy)
    with pytest.raises(ValueError, match="Unknown metric function 'nope'"):
        M.deserialize({"class_name": "function", "config": "nope"})


def test_deserialize_rejects_junk():
    with pytest.raises(TypeError, match="expects a name or a dict"):
        M.deserialize(42)


# ---------------------------------------------------------------------------
# Loss functions re-exported, as in keras.metrics


@pytest.mark.parametrize(
    "name, target",
    [
        ("categorical_crossentropy", "categorical_crossentropy"),
        ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
        ("binary_crossentropy", "binary_crossentropy"),
        ("mean_squared_error", "mean_squared_error"),
        ("mse", "mean_squared_error"),
        ("mae", "mean_absolute_error"),
        ("mape", "mean_absolute_percentage_error"),
        ("msle", "mean_squared_logarithmic_error"),
        ("MSE", "mean_squared_error"),
        ("kld", "kl_divergence"),
        ("logcosh", "log_cosh"),
        ("hinge", "hinge"),
        ("poisson", "poisson"),
        ("huber", "huber"),
    ],
)
def test_loss_functions_are_metric_functions(name, target):
    assert getattr(M, name) is getattr(lamina.losses, target)


def test_tutorial_import_resolves():
    import lamina as keras
    from lamina.metrics import categorical_crossentropy  # noqa: F401

    assert keras.metrics.categorical_crossentropy is lamina.losses.categorical_crossentropy
    assert keras.metrics.Metric is lamina.Metric


def test_unknown_attribute():
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        M.nothing  # noqa: B018


# ---------------------------------------------------------------------------
# Public API and documentation


def test_every_export_exists_and_has_a_docstring():
    for name in M.__all__:
        obj = getattr(M, name)
        assert inspect.getdoc(obj), name
    for cls in [type(m) for m in CONFIGURED]:
        for meth in ("update_state", "result", "reset_state", "get_config", "from_config"):
            assert inspect.getdoc(getattr(cls, meth)), f"{cls.__name__}.{meth}"


def test_nested_metrics_and_direct_variables_are_tracked():
    class Pair(M.Metric):
        """Mean and sum of the same values."""

        def __init__(self, name="pair"):
            super().__init__(name=name)
            self.mean = M.Mean()
            self.sum = M.Sum()
            self.extra = lamina.Variable(0.0, trainable=False, name="extra")

        def update_state(self, values):
            self.mean.update_state(values)
            self.sum.update_state(values)

        def result(self):
            return {"mean": self.mean.result(), "sum": self.sum.result()}

    m = Pair()
    assert [v.name for v in m.variables] == ["extra", "total", "count", "total"]
    m.update_state([1.0, 3.0])
    assert float(m.result()["sum"]) == 4.0
    m.reset_state()
    assert float(m.result()["mean"]) == 0.0


def test_metric_top_level_alias():
    assert lamina.Metric is M.Metric


@pytest.mark.parametrize("module_name", METRIC_MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    assert run_doctests(module, module_name) >= 1
