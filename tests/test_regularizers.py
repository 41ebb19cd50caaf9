"""Tests for lamina.regularizers: Keras's values, float64 gradients, validation, registry."""

import numpy as np
import pytest
from gradcheck import check_gradients

import lamina
from lamina import ops
from lamina import regularizers as R

RNG = np.random.default_rng(0)
W = RNG.normal(size=(4, 3))  # no exact zeros, so |x| is differentiable everywhere here


def _orthogonal_reference(x, factor, mode):
    m = x if mode == "rows" else x.T
    u = m / np.linalg.norm(m, axis=1, keepdims=True)
    dots = u @ u.T
    n = len(u)
    pairs = [abs(dots[i, j]) for i in range(n) for j in range(i + 1, n)]
    return factor * np.mean(pairs)


@pytest.mark.parametrize(
    "reg,ref",
    [
        (R.L1(), lambda x: 0.01 * np.abs(x).sum()),
        (R.L1(0.3), lambda x: 0.3 * np.abs(x).sum()),
        (R.L2(), lambda x: 0.01 * np.square(x).sum()),
        (R.L2(0.2), lambda x: 0.2 * np.square(x).sum()),
        (R.L1L2(l1=0.1, l2=0.2), lambda x: 0.1 * np.abs(x).sum() + 0.2 * np.square(x).sum()),
        (R.L1L2(l2=0.2), lambda x: 0.2 * np.square(x).sum()),
        (R.L1L2(), lambda x: 0.0),
        (R.OrthogonalRegularizer(), lambda x: _orthogonal_reference(x, 0.01, "rows")),
        (
            R.OrthogonalRegularizer(0.5, mode="columns"),
            lambda x: _orthogonal_reference(x, 0.5, "columns"),
        ),
    ],
    ids=[
        "l1",
        "l1_0.3",
        "l2",
        "l2_0.2",
        "l1l2",
        "l1l2_only_l2",
        "l1l2_zero",
        "orth_rows",
        "orth_columns",
    ],
)
def test_values_and_dtypes(reg, ref):
    out64 = reg(W)
    assert isinstance(out64, lamina.Tensor) and out64.shape == ()
    assert out64.dtype == np.float64
    np.testing.assert_allclose(float(out64), ref(W), rtol=1e-12, atol=1e-15)
    out32 = reg(W.astype(np.float32))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(float(out32), ref(W), rtol=1e-5, atol=1e-7)


def test_keras_doc_values():
    # Keras: L1(0.3) on a 5x5 tensor of 2.0 -> 0.3 * 50 = 15; L2 has no factor 1/2.
    assert float(R.L1(0.3)(np.full((5, 5), 2.0))) == pytest.approx(15.0)
    assert float(R.L2(0.5)(np.ones((5, 5)))) == pytest.approx(12.5)
    assert float(R.L1(0.01)(np.ones((5, 5)))) == pytest.approx(0.25)


@pytest.mark.parametrize(
    "reg",
    [
        R.L1(0.3),
        R.L2(0.2),
        R.L1L2(0.1, 0.2),
        R.OrthogonalRegularizer(0.7),
        R.OrthogonalRegularizer(0.7, mode="columns"),
    ],
    ids=["l1", "l2", "l1l2", "orth_rows", "orth_columns"],
)
def test_float64_gradient(reg):
    check_gradients(lambda t: reg(t), [W], atol=1e-7, rtol=1e-6)


def test_l1_gradient_at_zero_is_zero():
    t = lamina.Variable(np.array([0.0, 2.0, -1.0]), dtype="float64")
    with lamina.GradientTape() as tape:
        penalty = R.L1(0.5)(t)
    np.testing.assert_array_equal(tape.gradient(penalty, t).numpy(), [0.0, 0.5, -0.5])


def test_penalty_of_a_variable_is_differentiable():
    v = lamina.Variable(W.astype(np.float32))
    with lamina.GradientTape() as tape:
        penalty = R.L2(0.1)(v)
    np.testing.assert_allclose(tape.gradient(penalty, v).numpy(), 0.2 * W, rtol=1e-6)


def test_orthogonal_special_cases():
    reg = R.OrthogonalRegularizer(factor=1.0)
    assert float(reg(np.eye(3))) == 0.0
    assert float(reg([[1.0, 0.0], [2.0, 0.0]])) == pytest.approx(1.0)
    assert float(reg([[1.0, 2.0, 3.0]])) == 0.0  # one row: no pairs (Keras gives NaN)
    # An all-zero row counts as orthogonal to everything and has a finite gradient.
    x = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, -1.0]])
    assert float(reg(x)) == pytest.approx(0.0, abs=1e-12)
    t = lamina.Variable(x, dtype="float64")
    with lamina.GradientTape() as tape:
        penalty = reg(t)
    assert np.isfinite(tape.gradient(penalty, t).numpy()).all()
    with pytest.raises(ValueError, match=r"needs a 2-D weight .* got shape \(2, 2, 2\)"):
        reg(np.ones((2, 2, 2)))


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: R.L1(-0.1), r"'l1' argument of L1 must be a non-negative float\. Got l1=-0\.1"),
        (lambda: R.L2(float("nan")), r"'l2' argument of L2 must be"),
        (lambda: R.L1L2(l2=float("inf")), r"'l2' argument of L1L2 must be"),
        (lambda: R.L2("0.1"), r"Got l2='0\.1'"),
        (lambda: R.OrthogonalRegularizer(-1.0), r"'factor' argument"),
        (lambda: R.OrthogonalRegularizer(mode="diag"), r"'rows' or 'columns'\. Got mode='diag'"),
    ],
)
def test_invalid_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_none_factors_mean_defaults():
    assert R.L1(None).l1 == 0.01 and R.L2(None).l2 == 0.01
    assert R.L1L2(None, None).get_config() == {"l1": 0.0, "l2": 0.0}


@pytest.mark.parametrize(
    "name,cls,config",
    [
        ("l1", R.L1, {"l1": 0.01}),
        ("L1", R.L1, {"l1": 0.01}),
        ("l2", R.L2, {"l2": 0.01}),
        ("L2", R.L2, {"l2": 0.01}),
        ("l1_l2", R.L1L2, {"l1": 0.01, "l2": 0.01}),
        # Keras 3: the class names give the class defaults (both 0).
        ("L1L2", R.L1L2, {"l1": 0.0, "l2": 0.0}),
        ("l1l2", R.L1L2, {"l1": 0.0, "l2": 0.0}),
        ("orthogonal_regularizer", R.OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
        ("OrthogonalRegularizer", R.OrthogonalRegularizer, {"factor": 0.01, "mode": "rows"}),
    ],
)
def test_get_by_name(name, cls, config):
    reg = R.get(name)
    assert type(reg) is cls and reg.get_config() == config


def test_get_other_identifiers():
    assert R.get(None) is None
    reg = R.L2(0.3)
    assert R.get(reg) is reg
    assert type(R.get(R.L1)) is R.L1

    def custom(x):
        return ops.sum(x)

    assert R.get(custom) is custom
    assert R.get({"class_name": "L2", "config": {"l2": 0.3}}).l2 == 0.3
    with pytest.raises(ValueError, match=r"Got 0\.1 of type float"):
        R.get(0.1)


def test_lower_case_aliases_are_the_classes():
    assert R.l1 is R.L1 and R.l2 is R.L2 and R.l1_l2 is R.L1L2
    assert R.orthogonal_regularizer is R.OrthogonalRegularizer


def test_unknown_name():
    with pytest.raises(
        ValueError,
        match=r"Unknown regularizer 'l3'\. Valid names: .*'l1_l2'.*"
        r"Did you mean 'l[12]'\?",
    ):
        R.get("l3")
    with pytest.raises(ValueError, match=r"Did you mean 'l1_l2'\?"):
        R.get("l1_l3")


@pytest.mark.parametrize(
    "reg",
    [R.L1(0.2), R.L2(0.3), R.L1L2(0.1, 0.4), R.OrthogonalRegularizer(0.2, "columns")],
    ids=lambda r: type(r).__name__,
)
def test_config_round_trip(reg):
    config = reg.get_config()
    assert type(reg).from_config(config).get_config() == config
    serialized = R.serialize(reg)
    assert serialized == {
        "module": "keras.regularizers",
        "class_name": type(reg).__name__,
        "config": config,
        "registered_name": None,
    }
    loaded = R.deserialize(serialized)
    assert type(loaded) is type(reg) and loaded.get_config() == config
    np.testing.assert_allclose(float(loaded(W)), float(reg(W)))


def test_serialize_none_and_custom():
    assert R.serialize(None) is None

    class Sum(R.Regularizer):
        def __call__(self, x):
            return ops.sum(x)

        def get_config(self):
            return {}

    config = R.serialize(Sum())
    assert config["registered_name"] == "Sum"
    assert type(R.deserialize(config, custom_objects={"Sum": Sum})) is Sum
    with pytest.raises(ValueError, match=r"Unknown regularizer 'Sum'"):
        R.deserialize(config)


def test_base_class():
    assert R.Regularizer()(W) == 0.0
    with pytest.raises(NotImplementedError, match=r"does not implement get_config"):
        R.Regularizer().get_config()
    assert repr(R.L1L2(0.1, 0.2)) == "L1L2(l1=0.1, l2=0.2)"


def test_every_export_has_a_docstring():
    for name in R.__all__:
        obj = getattr(R, name)
        assert obj.__doc__ and obj.__doc__.strip(), name
