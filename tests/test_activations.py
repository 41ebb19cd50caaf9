"""Tests for lamina.activations: values, float64 gradients, pinned kinks, Keras fixtures, registry."""

import json
import math
import os

import numpy as np
import pytest
from gradcheck import check_gradients
from scipy.special import erf

import lamina
from lamina import activations, ops

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# Points away from every kink (0, +-0.5, +-1, +-3, 6) for the finite-difference checks.
X1 = np.array([-4.2, -2.7, -1.6, -0.8, -0.3, 0.2, 0.7, 1.3, 2.4, 3.6, 5.1, 6.8])
X2 = X1.reshape(3, 4)
ALIASES = {"swish", "hard_swish"}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _sparsemax(x):
    # Reference: sort, find the support size k, tau = (sum of the k largest - 1) / k.
    out = np.empty_like(x)
    for i, row in enumerate(x.reshape(-1, x.shape[-1])):
        z = np.sort(row)[::-1]
        k = np.arange(1, len(z) + 1)
        cs = np.cumsum(z)
        kk = k[1 + k * z > cs].max()
        out.reshape(-1, x.shape[-1])[i] = np.maximum(row - (cs[kk - 1] - 1) / kk, 0)
    return out


# name -> (kwargs, input, numpy reference). Every registered activation appears here.
CASES = {
    "relu": ({}, X1, lambda x: np.maximum(x, 0)),
    "relu_slope": ({"negative_slope": 0.1}, X1, lambda x: np.where(x > 0, x, 0.1 * x)),
    "relu_max": ({"max_value": 2.0}, X1, lambda x: np.clip(x, 0, 2.0)),
    "relu_max6": ({"max_value": 6.0}, X1, lambda x: np.clip(x, 0, 6.0)),
    "relu_threshold": ({"threshold": 0.5}, X1, lambda x: np.where(x > 0.5, x, 0)),
    "relu_combined": (
        {"negative_slope": 0.1, "max_value": 2.0, "threshold": 0.5},
        X1,
        lambda x: np.where(x > 0.5, np.minimum(x, 2.0), 0.1 * (x - 0.5)),
    ),
    "relu_max6_slope": (
        {"negative_slope": 0.3, "max_value": 6},
        X1,
        lambda x: np.where(x > 0, np.minimum(x, 6.0), 0.3 * x),
    ),
    "leaky_relu": ({}, X1, lambda x: np.where(x > 0, x, 0.2 * x)),
    "relu6": ({}, X1, lambda x: np.clip(x, 0, 6)),
    "sigmoid": ({}, X1, _sigmoid),
    "softmax": ({}, X2, _softmax),
    "softmax_axis0": ({"axis": 0}, X2, lambda x: _softmax(x, axis=0)),
    "log_softmax": ({}, X2, lambda x: np.log(_softmax(x))),
    "tanh": ({}, X1, np.tanh),
    "linear": ({}, X1, lambda x: x),
    "exponential": ({}, X1, np.exp),
    "elu": ({}, X1, lambda x: np.where(x > 0, x, np.expm1(x))),
    "elu_alpha": ({"alpha": 0.5}, X1, lambda x: np.where(x > 0, x, 0.5 * np.expm1(x))),
    "selu": ({}, X1, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x))),
    "celu": ({"alpha": 2.0}, X1, lambda x: np.maximum(x, 0) + 2.0 * np.expm1(np.minimum(x, 0) / 2)),
    "gelu": ({}, X1, lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2)))),
    "gelu_approximate": (
        {"approximate": True},
        X1,
        lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))),
    ),
    "softplus": ({}, X1, _softplus),
    "softsign": ({}, X1, lambda x: x / (1 + np.abs(x))),
    "silu": ({}, X1, lambda x: x * _sigmoid(x)),
    "mish": ({}, X1, lambda x: x * np.tanh(_softplus(x))),
    "hard_sigmoid": ({}, X1, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "hard_silu": ({}, X1, lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    "hard_tanh": ({}, X1, lambda x: np.clip(x, -1, 1)),
    "hard_shrink": ({}, X1, lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    "soft_shrink": ({}, X1, lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0)),
    "tanh_shrink": ({}, X1, lambda x: x - np.tanh(x)),
    "threshold": (
        {"threshold": 1.0, "default_value": -2.0},
        X1,
        lambda x: np.where(x > 1, x, -2.0),
    ),
    "sparse_plus": ({}, X1, lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x))),
    "sparse_sigmoid": ({}, X1, lambda x: np.clip((x + 1) / 2, 0, 1)),
    "squareplus": ({"b": 3}, X1, lambda x: (x + np.sqrt(x * x + 3)) / 2),
    "log_sigmoid": ({}, X1, lambda x: np.log(_sigmoid(x))),
    "glu": ({}, X2, lambda x: x[:, :2] * _sigmoid(x[:, 2:])),
    # Rows with 1, 2 and 3 entries in the support, none on a support boundary.
    "sparsemax": (
        {},
        np.array([[2.0, 0.1, -0.4, 0.3], [0.9, 0.5, -1.2, 0.1], [0.4, 0.3, 0.2, -0.9]]),
        _sparsemax,
    ),
}


_BASE = {
    "relu_slope": "relu",
    "relu_max": "relu",
    "relu_max6": "relu",
    "relu_threshold": "relu",
    "relu_combined": "relu",
    "relu_max6_slope": "relu",
    "softmax_axis0": "softmax",
    "elu_alpha": "elu",
    "gelu_approximate": "gelu",
}


def _fn(case_name):
    return activations.get(_BASE.get(case_name, case_name))


def test_every_registered_activation_has_a_case():
    covered = {_BASE.get(name, name) for name in CASES}
    missing = set(activations._REGISTRY) - ALIASES - covered
    assert not missing, f"activations without value/gradient cases: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_reference(name):
    kwargs, x, ref = CASES[name]
    fn = _fn(name)
    got = fn(ops.convert_to_tensor(x), **kwargs)
    np.testing.assert_allclose(np.asarray(got), ref(x), rtol=1e-12, atol=1e-12)
    assert np.asarray(got).dtype == np.float64


@pytest.mark.parametrize("name", sorted(CASES))
def test_float64_gradient(name):
    kwargs, x, ref = CASES[name]
    fn = _fn(name)
    # A weighted sum, so that outputs summing to a constant (softmax) still test the gradient.
    weights = np.random.default_rng(7).normal(size=ref(x).shape)
    check_gradients(lambda t: ops.multiply(fn(t, **kwargs), weights), [x], atol=1e-6, rtol=1e-5)


def _grad_at(fn, x, **kwargs):
    t = ops.convert_to_tensor(np.array(x, dtype=np.float64))
    with lamina.GradientTape() as tape:
        tape.watch(t)
        y = ops.sum(fn(t, **kwargs))
    return np.asarray(tape.gradient(y, t))


# Gradients exactly at kinks: TensorFlow's conventions, which the Keras fixtures also hold.
KINKS = [
    ("relu", {}, [0.0], [0.0]),
    ("relu", {"negative_slope": 0.1}, [0.0], [0.1]),
    ("relu", {"threshold": 0.5}, [0.5], [0.0]),
    ("relu", {"max_value": 2.0}, [0.0, 2.0], [0.0, 1.0]),
    ("relu", {"max_value": 6.0}, [0.0, 6.0], [0.0, 0.0]),
    ("relu6", {}, [0.0, 6.0], [0.0, 0.0]),
    ("leaky_relu", {}, [0.0], [0.2]),
    ("hard_sigmoid", {}, [-3.0, 3.0], [0.0, 0.0]),
    ("hard_silu", {}, [-3.0, 3.0], [0.0, 1.0]),
    ("elu", {}, [0.0], [1.0]),
    ("elu", {"alpha": 0.5}, [0.0], [0.5]),
    ("selu", {}, [0.0], [SELU_SCALE]),
    ("celu", {}, [0.0], [2.0]),
    ("softsign", {}, [0.0], [1.0]),
    ("hard_tanh", {}, [-1.0, 1.0], [1.0, 1.0]),
    ("hard_shrink", {}, [-0.5, 0.5], [0.0, 0.0]),
]


@pytest.mark.parametrize("name,kwargs,x,expected", KINKS)
def test_gradient_at_kinks(name, kwargs, x, expected):
    np.testing.assert_allclose(_grad_at(activations.get(name), x, **kwargs), expected, atol=1e-12)


def _fixture_cases():
    path = os.path.join(FIXTURES, "activations.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return json.load(f)


@pytest.mark.skipif(
    not os.path.exists(os.path.join(FIXTURES, "activations.npz")),
    reason="Keras fixtures tests/fixtures/keras/activations.* not generated yet",
)
@pytest.mark.parametrize("case", _fixture_cases(), ids=lambda c: c["id"])
def test_matches_keras_fixture(case):
    arrays = np.load(os.path.join(FIXTURES, "activations.npz"))
    x, c = arrays[f"{case['id']}/x"], arrays[f"{case['id']}/c"]
    fn = activations.get(case["fn"])
    t = ops.convert_to_tensor(x)
    with lamina.GradientTape() as tape:
        tape.watch(t)
        y = fn(t, **case["config"])
        s = ops.sum(ops.multiply(y, c))
    dx = tape.gradient(s, t)
    assert np.asarray(y).dtype == np.float32
    np.testing.assert_allclose(np.asarray(y), arrays[f"{case['id']}/y"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(dx), arrays[f"{case['id']}/dx"], rtol=1e-5, atol=1e-6)
    assert activations.serialize(fn) == case["keras_config"]


def test_relu_keras_doc_values():
    x = [-10.0, -5.0, 0.0, 5.0, 10.0]
    np.testing.assert_array_equal(activations.relu(x, threshold=5.0).numpy(), [0, 0, 0, 0, 10])
    np.testing.assert_array_equal(activations.relu(x, max_value=5.0).numpy(), [0, 0, 0, 5, 5])
    # Keras quirk kept: a negative threshold without max_value lets (threshold, 0) through.
    np.testing.assert_allclose(activations.relu([-0.5, -2.0], threshold=-1.0).numpy(), [-0.5, 0])


def test_sparsemax_projects_onto_the_simplex():
    # Keras 3.15 returns [0, 0, 0.25] here (keras-team/keras#23425); the projection is below.
    out = activations.sparsemax([[0.0, 0.5, 1.0]]).numpy()
    np.testing.assert_allclose(out, [[0.0, 0.25, 0.75]], atol=1e-7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 7))
    np.testing.assert_allclose(np.asarray(activations.sparsemax(x)).sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(
        np.asarray(activations.sparsemax(x, axis=0)), _sparsemax(x.T).T, atol=1e-12
    )


def test_glu_rejects_odd_axis():
    with pytest.raises(ValueError, match=r"even size.*x\.shape=\(2, 3\)"):
        activations.glu(np.zeros((2, 3)))


@pytest.mark.parametrize("name", sorted(set(activations._REGISTRY) - {"linear", "threshold"}))
def test_dtypes_are_kept(name):
    fn = activations.get(name)
    x32 = np.array([[0.3, -0.7]], dtype=np.float32)
    assert np.asarray(fn(x32)).dtype == np.float32
    assert np.asarray(fn(x32.astype(np.float64))).dtype == np.float64
    assert np.asarray(fn([[0.3, -0.7]])).dtype == np.float32  # lists become floatx


def test_sigmoid_and_softmax_remember_logits():
    x = ops.convert_to_tensor([[1.0, 2.0]])
    assert activations.softmax(x)._keras_logits is x
    assert activations.sigmoid(x)._keras_logits is x


def test_get():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu

    def custom(x):
        return x

    assert activations.get(custom) is custom
    assert activations.get({"class_name": "function", "config": "elu"}) is activations.elu


def test_get_unknown_name_lists_names_and_closest():
    with pytest.raises(
        ValueError,
        match=r"Unknown activation 'rellu'\. Valid names: .*'relu'.*"
        r"Did you mean 'relu'\?",
    ):
        activations.get("rellu")
    with pytest.raises(ValueError, match=r"Did you mean 'relu'\?"):
        activations.get("ReLU")
    with pytest.raises(ValueError, match=r"Got 3 of type int"):
        activations.get(3)


@pytest.mark.parametrize("name", sorted(activations._REGISTRY))
def test_serialize_round_trip(name):
    fn = activations.get(name)
    config = activations.serialize(fn)
    assert config == fn.__name__
    assert activations.deserialize(config) is fn
    assert activations.get(config) is fn


def test_serialize_custom_function_and_load_with_custom_objects():
    def my_act(x):
        return ops.multiply(x, 2.0)

    config = activations.serialize(my_act)
    assert config["class_name"] == "function" and config["config"] == "my_act"
    assert activations.deserialize(config, custom_objects={"my_act": my_act}) is my_act
    with pytest.raises(ValueError, match=r"Unknown activation 'my_act'"):
        activations.deserialize(config)


def test_every_export_has_a_docstring():
    for name in activations.__all__:
        obj = getattr(activations, name)
        assert obj.__doc__ and obj.__doc__.strip(), name


def test_deserialize_an_activation_layer_config():
    layers = pytest.importorskip("lamina.layers")
    if not hasattr(layers, "Activation"):
        pytest.skip("lamina.layers.Activation not available yet")
    config = {
        "module": "keras.layers",
        "class_name": "Activation",
        "config": {"activation": "tanh"},
    }
    layer = activations.deserialize(config)
    assert isinstance(layer, layers.Activation)
    np.testing.assert_allclose(np.asarray(layer(np.array([[0.5]]))), np.tanh([[0.5]]), rtol=1e-6)
    with pytest.raises(ValueError, match=r"Unknown activation 'NoSuchLayer'. Valid names"):
        activations.deserialize({"module": "keras.layers", "class_name": "NoSuchLayer"})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(set(activations._REGISTRY) - {"exponential"}))
def test_large_inputs_stay_finite(name, dtype):
    # The branch a where() does not take must neither overflow nor poison the gradient.
    x = np.array([[-1000.0, -60.0, 60.0, 1000.0]], dtype=dtype)
    fn = activations.get(name)
    kwargs = {"threshold": 0.0, "default_value": 0.0} if name == "threshold" else {}
    t = ops.convert_to_tensor(x)
    with lamina.GradientTape() as tape:
        tape.watch(t)
        y = ops.sum(fn(t, **kwargs))
    assert np.isfinite(np.asarray(y)), name
    assert np.isfinite(tape.gradient(y, t).numpy()).all(), name


def test_an_older_config_naming_a_function_as_its_class_still_loads():
    assert activations.deserialize({"class_name": "relu", "config": "relu"}) is activations.relu


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_gradient_is_the_incoming_gradient_where_x_is_positive(dtype):
    from lamina.ops import _prim_math as pm

    x = np.array([-2.0, -0.0, 0.0, 1e-30, 3.0, np.inf, np.nan, -np.inf], dtype)
    out, saved = pm._relu_fwd(x)
    g = np.arange(1, 9, dtype=dtype)
    (got,) = pm._relu_vjp(g, saved, (True,))
    # relu'(0) = 0, and 0 where x is NaN (TensorFlow's g * (x > 0))
    np.testing.assert_array_equal(got, np.array([0, 0, 0, 4, 5, 6, 0, 0], dtype))
    assert got.dtype == np.dtype(dtype)
    (scalar,) = pm._relu_vjp(np.float32(2.0), pm._relu_fwd(np.float32(0.5))[1], (True,))
    assert float(scalar) == 2.0
