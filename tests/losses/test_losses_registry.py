"""``lamina.losses.get`` / ``serialize`` / ``deserialize``, error messages, and docs."""

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
from helpers import run_doctests

import lamina
import lamina.losses as L
from lamina.losses import loss as loss_module
from lamina.losses import probabilistic as probabilistic_module
from lamina.losses import regression as regression_module

ALIASES = {
    "mse": L.mean_squared_error,
    "MSE": L.mean_squared_error,
    "mae": L.mean_absolute_error,
    "MAE": L.mean_absolute_error,
    "mape": L.mean_absolute_percentage_error,
    "MAPE": L.mean_absolute_percentage_error,
    "msle": L.mean_squared_logarithmic_error,
    "MSLE": L.mean_squared_logarithmic_error,
    "bce": L.binary_crossentropy,
    "BCE": L.binary_crossentropy,
    "kld": L.kl_divergence,
    "KLD": L.kl_divergence,
    "kullback_leibler_divergence": L.kl_divergence,
    "logcosh": L.log_cosh,
    "huber_loss": L.huber,
}
LOSS_CLASSES = [
    getattr(L, n)
    for n in L.__all__
    if inspect.isclass(getattr(L, n))
    and issubclass(getattr(L, n), L.Loss)
    and n not in ("Loss", "LossFunctionWrapper")
]
LOSS_FUNCTIONS = [getattr(L, n) for n in L.__all__ if inspect.isfunction(getattr(L, n))]
LOSS_FUNCTIONS = [f for f in LOSS_FUNCTIONS if f not in (L.get, L.serialize, L.deserialize)]
LOSS_FUNCTIONS = [f for f in LOSS_FUNCTIONS
                  if f.__module__ in (probabilistic_module.__name__, regression_module.__name__)]


def my_loss(y_true, y_pred):
    return lamina.ops.mean(lamina.ops.square(y_true - y_pred), axis=-1)


@pytest.mark.parametrize("alias, fn", ALIASES.items())
def test_aliases(alias, fn):
    assert L.get(alias) is fn


@pytest.mark.parametrize("fn", LOSS_FUNCTIONS, ids=lambda f: f.__name__)
def test_function_names(fn):
    assert L.get(fn.__name__) is fn
    assert L.deserialize(L.serialize(fn)) is fn


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_class_names_give_default_instances(cls):
    obj = L.get(cls.__name__)
    assert type(obj) is cls
    assert obj.reduction == "sum_over_batch_size"
    assert type(L.get(cls)) is cls
    assert L.get(obj) is obj


NON_DEFAULT = {
    "Huber": {"delta": 0.5},
    "BinaryCrossentropy": {"from_logits": True, "label_smoothing": 0.1, "axis": 0},
    "BinaryFocalCrossentropy": {"apply_class_balancing": True, "alpha": 0.4, "gamma": 1.0},
    "CategoricalCrossentropy": {"from_logits": True, "label_smoothing": 0.2},
    "CategoricalFocalCrossentropy": {"alpha": 0.5, "gamma": 3.0},
    "SparseCategoricalCrossentropy": {"from_logits": True, "ignore_class": 255},
    "CosineSimilarity": {"axis": 0},
}


@pytest.mark.parametrize("cls", LOSS_CLASSES, ids=lambda c: c.__name__)
def test_serialize_round_trip(cls):
    obj = cls(reduction="sum", name="my_name", **NON_DEFAULT.get(cls.__name__, {}))
    config = L.serialize(obj)
    assert config["module"] == "keras.losses"
    assert config["class_name"] == cls.__name__
    json.dumps(config)  # plain JSON, as stored in a .keras file
    again = L.deserialize(config)
    assert type(again) is cls
    assert again.get_config() == obj.get_config()
    assert L.get(config).get_config() == obj.get_config()
    assert type(cls.from_config(obj.get_config())) is cls


def test_get_config_keeps_what_keras_drops():
    # Keras 3.15 leaves Huber's delta and CosineSimilarity's axis out of the
    # config; lamina keeps them so a saved loss comes back unchanged.
    assert L.deserialize(L.serialize(L.Huber(delta=0.5))).delta == 0.5
    assert L.deserialize(L.serialize(L.CosineSimilarity(axis=0))).axis == 0


def test_keras_written_configs_load():
    path = Path(__file__).resolve().parent.parent / "fixtures" / "keras" / "losses.json"
    if not path.exists():
        pytest.skip("tests/fixtures/keras/losses.json missing: run tools/make_keras_fixtures.py")
    for case in json.loads(path.read_text()):
        config = {
            "module": "keras.losses",
            "class_name": case["class"],
            "config": case["keras_config"],
            "registered_name": None,
        }
        obj = L.deserialize(config)
        assert type(obj).__name__ == case["class"]
        for key, value in case["keras_config"].items():
            assert obj.get_config()[key] == value


def test_keras_function_config_loads():
    config = {
        "module": "builtins",
        "class_name": "function",
        "config": "mean_squared_error",
        "registered_name": "function",
    }
    assert L.deserialize(config) is L.mean_squared_error
    assert L.serialize(L.mean_squared_error) == config


def test_deserialize_names():
    assert L.deserialize("mse") is L.mean_squared_error
    assert type(L.deserialize("Poisson")) is L.Poisson


def test_get_none_and_callables():
    assert L.get(None) is None
    assert L.get(my_loss) is my_loss


def test_custom_function_round_trip():
    wrapper = L.LossFunctionWrapper(my_loss, reduction="sum", name="mine")
    config = L.serialize(wrapper)
    assert config["config"]["fn"]["config"] == "my_loss"
    with pytest.raises(ValueError, match="Unknown loss 'my_loss'"):
        L.deserialize(config)
    again = L.deserialize(config, custom_objects={"my_loss": my_loss})
    assert type(again) is L.LossFunctionWrapper
    assert again.fn is my_loss and again.reduction == "sum" and again.name == "mine"
    assert L.deserialize(L.serialize(my_loss), custom_objects={"my_loss": my_loss}) is my_loss


def test_builtin_function_wrapper_round_trip():
    wrapper = L.LossFunctionWrapper(L.huber, delta=0.3)
    again = L.deserialize(L.serialize(wrapper))
    assert type(again) is L.LossFunctionWrapper
    assert again.fn is L.huber and again.get_config() == wrapper.get_config()
    y_true, y_pred = [[0.0, 1.0]], [[0.2, 2.0]]
    assert float(again(y_true, y_pred)) == pytest.approx(float(wrapper(y_true, y_pred)))


def test_custom_loss_class_round_trip():
    class ScaledError(L.Loss):
        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * lamina.ops.mean(lamina.ops.abs(y_true - y_pred), axis=-1)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    config = L.serialize(ScaledError(scale=3.0))
    assert config["registered_name"] == "ScaledError"
    again = L.deserialize(config, custom_objects={"ScaledError": ScaledError})
    assert again.scale == 3.0 and float(again([[1.0]], [[0.0]])) == 3.0


def test_unknown_name_lists_valid_names_and_closest():
    with pytest.raises(ValueError) as info:
        L.get("mean_sqared_error")
    message = str(info.value)
    assert "Unknown loss 'mean_sqared_error'" in message
    assert "Did you mean 'mean_squared_error'?" in message
    for name in ("'mse'", "'CategoricalCrossentropy'", "'sparse_categorical_crossentropy'"):
        assert name in message
    with pytest.raises(ValueError, match="Did you mean 'BinaryCrossentropy'"):
        L.get("BinaryCrossEntropy")
    with pytest.raises(ValueError, match="Unknown loss 'Dense'"):
        L.deserialize({"class_name": "Dense", "config": {}})


def test_bad_identifiers():
    with pytest.raises(ValueError, match="Could not interpret loss identifier 42"):
        L.get(42)
    with pytest.raises(ValueError, match="lambda cannot be saved"):
        L.serialize(lambda y_true, y_pred: y_pred)
    with pytest.raises(TypeError, match="expects a Loss instance or a loss function"):
        L.serialize(3)


# ---------------------------------------------------------------------------
# Messages for the usual label / loss mix-ups


def test_one_hot_labels_with_sparse_loss():
    with pytest.raises(ValueError, match="looks one-hot encoded: use categorical_crossentropy"):
        L.SparseCategoricalCrossentropy()(np.eye(3), np.full((3, 3), 1 / 3))


def test_labels_counted_from_one():
    with pytest.raises(ValueError, match="seem to run from 1: subtract 1"):
        L.SparseCategoricalCrossentropy()([1, 2, 3], np.full((3, 3), 1 / 3))
    with pytest.raises(ValueError, match="class ids from -1"):
        L.sparse_categorical_crossentropy([-1, 0], np.full((2, 3), 1 / 3))


def test_integer_labels_with_categorical_loss():
    with pytest.raises(ValueError, match="looks like integer class ids: use sparse_categorical"):
        L.CategoricalCrossentropy()([0, 2, 1], np.full((3, 3), 1 / 3))


def test_binary_loss_with_two_columns():
    with pytest.raises(ValueError, match="one sigmoid output unit"):
        L.BinaryCrossentropy()([0.0, 1.0], np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match=r"same shape.*\(2,\).*\(2, 1\)"):
        L.binary_crossentropy([0.0, 1.0], [[0.5], [0.5]])


def test_one_unit_categorical_warns():
    with pytest.warns(SyntaxWarning, match="use binary_crossentropy"):
        L.categorical_crossentropy([[1.0], [1.0]], [[1.0], [1.0]])
    with pytest.raises(ValueError, match="'axis' argument.*must be an int"):
        L.categorical_crossentropy([[1.0, 0.0]], [[0.5, 0.5]], axis=True)


# ---------------------------------------------------------------------------
# Public API and documentation


def test_every_export_has_a_docstring():
    for name in L.__all__:
        obj = getattr(L, name)
        assert inspect.getdoc(obj), name
    for cls in LOSS_CLASSES + [L.Loss, L.LossFunctionWrapper]:
        for meth in ("__call__", "call", "get_config", "from_config"):
            assert inspect.getdoc(getattr(cls, meth)), f"{cls.__name__}.{meth}"


def test_loss_is_exported_at_top_level():
    assert lamina.Loss is L.Loss


@pytest.mark.parametrize("module", [L, loss_module, probabilistic_module, regression_module],
                         ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    assert run_doctests(module) >= 1
