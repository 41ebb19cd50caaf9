"""Tests for lamina.constraints: Keras's formulas (epsilon included), dtypes, registry."""

import numpy as np
import pytest

import lamina
from lamina import constraints as C

EPS = 1e-7
RNG = np.random.default_rng(0)
W = RNG.normal(size=(5, 4)) * np.array([0.1, 1.0, 3.0, 10.0])  # column norms on both sides of 1


def _norms(w, axis):
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [0, 1, [0, 1]])
def test_max_norm(axis):
    out = C.MaxNorm(max_value=2.0, axis=axis)(W)
    n = _norms(W, tuple(axis) if isinstance(axis, list) else axis)
    np.testing.assert_allclose(np.asarray(out), W * np.clip(n, 0, 2.0) / (EPS + n), rtol=1e-14)
    assert np.all(
        _norms(np.asarray(out), tuple(axis) if isinstance(axis, list) else axis) <= 2.0 + 1e-12
    )


def test_max_norm_on_a_conv_kernel():
    w = RNG.normal(size=(3, 3, 2, 4))
    out = np.asarray(C.MaxNorm(1.0, axis=[0, 1, 2])(w))
    per_filter = np.sqrt((out**2).sum(axis=(0, 1, 2)))
    np.testing.assert_allclose(per_filter, 1.0, rtol=1e-6)


def test_keras_epsilon_also_shrinks_small_vectors_slightly():
    # A column already inside the ball is scaled by n / (n + eps), exactly as Keras does.
    w = np.array([[3e-7], [4e-7]])  # norm 5e-7
    np.testing.assert_allclose(np.asarray(C.MaxNorm(2.0)(w)), w * 5e-7 / 6e-7, rtol=1e-12)


def test_zero_vectors_stay_zero():
    w = np.zeros((3, 2))
    for c in [C.MaxNorm(), C.MinMaxNorm(min_value=1.0), C.UnitNorm(), C.NonNeg()]:
        out = np.asarray(c(w))
        assert np.all(out == 0.0), type(c).__name__


@pytest.mark.parametrize("rate", [1.0, 0.5, 0.0])
def test_min_max_norm(rate):
    out = C.MinMaxNorm(min_value=0.5, max_value=2.0, rate=rate, axis=0)(W)
    n = _norms(W, 0)
    desired = rate * np.clip(n, 0.5, 2.0) + (1 - rate) * n
    np.testing.assert_allclose(np.asarray(out), W * desired / (EPS + n), rtol=1e-14)
    if rate == 1.0:
        new = _norms(np.asarray(out), 0)
        assert np.all((new >= 0.5 - 1e-6) & (new <= 2.0 + 1e-12))


def test_unit_norm():
    out = np.asarray(C.UnitNorm(axis=1)(W))
    n = _norms(W, 1)
    np.testing.assert_allclose(out, W / (EPS + n), rtol=1e-14)
    np.testing.assert_allclose(_norms(out, 1), 1.0, rtol=1e-6)


def test_non_neg():
    np.testing.assert_array_equal(np.asarray(C.NonNeg()(W)), np.maximum(W, 0))


@pytest.mark.parametrize(
    "c", [C.MaxNorm(), C.MinMaxNorm(), C.NonNeg(), C.UnitNorm()], ids=lambda c: type(c).__name__
)
def test_dtypes_and_inputs(c):
    assert c(W).dtype == np.float64
    assert c(W.astype(np.float32)).dtype == np.float32
    assert c(W.tolist()).dtype == np.float32  # lists become floatx
    v = lamina.Variable(W.astype(np.float32))
    v.assign(c(v))  # how the trainer applies it
    np.testing.assert_allclose(v.numpy(), np.asarray(c(W)), rtol=1e-5, atol=1e-6)


def test_base_constraint_is_the_identity():
    assert C.Constraint()(W) is W
    assert C.Constraint().get_config() == {}


@pytest.mark.parametrize(
    "name,cls",
    [
        ("max_norm", C.MaxNorm),
        ("MaxNorm", C.MaxNorm),
        ("min_max_norm", C.MinMaxNorm),
        ("MinMaxNorm", C.MinMaxNorm),
        ("non_neg", C.NonNeg),
        ("NonNeg", C.NonNeg),
        ("unit_norm", C.UnitNorm),
        ("UnitNorm", C.UnitNorm),
    ],
)
def test_get_by_name(name, cls):
    assert type(C.get(name)) is cls


def test_defaults_match_keras():
    assert C.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert C.MinMaxNorm().get_config() == {
        "min_value": 0.0,
        "max_value": 1.0,
        "rate": 1.0,
        "axis": 0,
    }
    assert C.UnitNorm().get_config() == {"axis": 0}
    assert C.NonNeg().get_config() == {}


def test_lower_case_aliases_are_the_classes():
    assert C.max_norm is C.MaxNorm and C.min_max_norm is C.MinMaxNorm
    assert C.non_neg is C.NonNeg and C.unit_norm is C.UnitNorm


def test_get_other_identifiers():
    assert C.get(None) is None
    c = C.MaxNorm(3)
    assert C.get(c) is c
    assert type(C.get(C.UnitNorm)) is C.UnitNorm

    def clip(w):
        return w

    assert C.get(clip) is clip
    with pytest.raises(ValueError, match=r"Got 2 of type int"):
        C.get(2)


def test_unknown_name():
    with pytest.raises(
        ValueError,
        match=r"Unknown constraint 'maxnorm'\. Valid names: "
        r".*'non_neg'.* Did you mean 'max_norm'\?",
    ):
        C.get("maxnorm")


@pytest.mark.parametrize(
    "c",
    [C.MaxNorm(3.0, axis=[0, 1]), C.MinMaxNorm(0.2, 0.9, 0.5, 1), C.NonNeg(), C.UnitNorm(1)],
    ids=lambda c: type(c).__name__,
)
def test_config_round_trip(c):
    config = c.get_config()
    serialized = C.serialize(c)
    assert serialized == {
        "module": "keras.constraints",
        "class_name": type(c).__name__,
        "config": config,
        "registered_name": None,
    }
    loaded = C.deserialize(serialized)
    assert type(loaded) is type(c) and loaded.get_config() == config
    np.testing.assert_array_equal(np.asarray(loaded(W)), np.asarray(c(W)))


def test_serialize_none_and_custom():
    assert C.serialize(None) is None

    class Clip(C.Constraint):
        def __call__(self, w):
            return lamina.ops.clip(w, -1.0, 1.0)

    config = C.serialize(Clip())
    assert config["registered_name"] == "Clip"
    assert type(C.deserialize(config, custom_objects={"Clip": Clip})) is Clip
    with pytest.raises(ValueError, match=r"Unknown constraint 'Clip'"):
        C.deserialize(config)


def test_every_export_has_a_docstring():
    for name in C.__all__:
        obj = getattr(C, name)
        assert obj.__doc__ and obj.__doc__.strip(), name
