"""Tests for lamina.initializers: statistics, exact values, seeding, dtypes, configs, registry."""

import math

import numpy as np
import pytest

import lamina
from lamina import initializers as I
from lamina.random import SeedGenerator

TRUNC = 0.87962566103423978
BIG = (400, 500)  # 200,000 draws: sample moments within ~1% of the truth


def _std_truncated(stddev):
    return stddev * TRUNC


def test_truncation_constant_is_the_std_of_a_two_sigma_truncated_normal():
    # Var of N(0,1) truncated to [-2, 2] is 1 - 2*2*phi(2) / (Phi(2) - Phi(-2)).
    phi = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert math.isclose(math.sqrt(1 - 4 * phi / mass), TRUNC, rel_tol=1e-12)


@pytest.mark.parametrize(
    "init,mean,std,bound",
    [
        (I.RandomNormal(mean=1.0, stddev=2.0, seed=1), 1.0, 2.0, None),
        (I.RandomNormal(seed=1), 0.0, 0.05, None),
        (I.RandomUniform(-0.3, 0.7, seed=2), 0.2, 1.0 / math.sqrt(12), (-0.3, 0.7)),
        (I.RandomUniform(seed=2), 0.0, 0.1 / math.sqrt(12), (-0.05, 0.05)),
        (I.TruncatedNormal(mean=0.5, stddev=2.0, seed=3), 0.5, 2.0 * TRUNC, (-3.5, 4.5)),
        (I.TruncatedNormal(seed=3), 0.0, 0.05 * TRUNC, (-0.1, 0.1)),
    ],
    ids=[
        "normal",
        "normal_default",
        "uniform",
        "uniform_default",
        "truncated",
        "truncated_default",
    ],
)
def test_distribution_statistics(init, mean, std, bound):
    w = init(BIG, dtype="float64")
    assert w.shape == BIG
    assert abs(w.mean() - mean) < 0.01 * std + 1e-12 + 3 * std / math.sqrt(w.size)
    assert abs(w.std() / std - 1) < 0.01
    if bound is not None:
        assert w.min() >= bound[0] and w.max() <= bound[1]


@pytest.mark.parametrize(
    "shape,fans",
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((3, 5), (3, 5)),
        ((3, 16, 32), (48, 96)),
        ((3, 3, 16, 32), (144, 288)),
        ((2, 3, 3, 4, 8), (72, 144)),
        ((0, 4), (0, 4)),
    ],
)
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


def test_compute_fans_with_axes():
    assert I.compute_fans((2, 3, 4, 5), input_axes=[0, 1], output_axes=[2, 3]) == (6, 20)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_statistics(mode, distribution):
    shape = (5, 5, 40, 80)  # conv kernel: receptive field 25 -> fan_in 1000, fan_out 2000
    n = {"fan_in": 1000, "fan_out": 2000, "fan_avg": 1500}[mode]
    init = I.VarianceScaling(scale=3.0, mode=mode, distribution=distribution, seed=4)
    w = init(shape, dtype="float64")
    target = math.sqrt(3.0 / n)
    assert abs(w.std() / target - 1) < 0.01
    assert abs(w.mean()) < 4 * target / math.sqrt(w.size)
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(3.0) * target
    if distribution == "truncated_normal":
        assert np.abs(w).max() <= 2 * target / TRUNC


@pytest.mark.parametrize(
    "cls,scale,mode,uniform",
    [
        (I.GlorotUniform, 1.0, "fan_avg", True),
        (I.GlorotNormal, 1.0, "fan_avg", False),
        (I.HeUniform, 2.0, "fan_in", True),
        (I.HeNormal, 2.0, "fan_in", False),
        (I.LecunUniform, 1.0, "fan_in", True),
        (I.LecunNormal, 1.0, "fan_in", False),
    ],
)
def test_presets(cls, scale, mode, uniform):
    shape = (300, 700)
    n = {"fan_in": 300, "fan_avg": 500}[mode]
    w = cls(seed=5)(shape, dtype="float64")
    target = math.sqrt(scale / n)
    assert abs(w.std() / target - 1) < 0.015
    bound = math.sqrt(3.0) * target if uniform else 2 * target / TRUNC
    assert np.abs(w).max() <= bound
    # The preset equals VarianceScaling with its arguments, draw for draw.
    explicit = I.VarianceScaling(scale, mode, "uniform" if uniform else "truncated_normal", seed=5)
    np.testing.assert_array_equal(w, explicit(shape, dtype="float64"))


def test_glorot_uniform_limit_on_a_conv_kernel():
    w = I.GlorotUniform(seed=0)((3, 3, 8, 16), dtype="float64")
    limit = math.sqrt(6.0 / (72 + 144))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit


def test_fan_of_zero_is_treated_as_one():
    w = I.VarianceScaling(distribution="uniform", seed=0)((0, 4))
    assert w.shape == (0, 4)
    w = I.HeUniform(seed=0)((1,))
    assert abs(w[0]) <= math.sqrt(6.0)


@pytest.mark.parametrize("shape", [(4, 4), (10, 3), (3, 10), (2, 3, 5), (3, 3, 2, 4)])
def test_orthogonal(shape):
    q = I.Orthogonal(gain=1.5, seed=6)(shape, dtype="float64")
    assert q.shape == shape
    m = q.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        np.testing.assert_allclose(m.T @ m, 2.25 * np.eye(m.shape[1]), atol=1e-12)
    else:
        np.testing.assert_allclose(m @ m.T, 2.25 * np.eye(m.shape[0]), atol=1e-12)


def test_orthogonal_rejects_1d():
    with pytest.raises(ValueError, match=r"at least 2 dimensions; got shape=\(5,\)"):
        I.Orthogonal()((5,))


def test_deterministic_values():
    np.testing.assert_array_equal(I.Zeros()((2, 3)), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(I.Ones()((2,)), np.ones(2, np.float32))
    np.testing.assert_array_equal(I.Constant(3.5)((2, 2)), np.full((2, 2), 3.5, np.float32))
    np.testing.assert_array_equal(I.Constant([1.0, 2.0])((2, 2)), [[1, 2], [1, 2]])
    np.testing.assert_array_equal(I.Identity()((3, 3)), np.eye(3, dtype=np.float32))
    np.testing.assert_array_equal(I.Identity(gain=3.0)((2, 3)), 3.0 * np.eye(2, 3))
    assert I.Zeros()((2,), dtype="int32").dtype == np.int32
    assert I.Ones()(3, dtype="bool").tolist() == [True, True, True]


def test_constant_rejects_unbroadcastable_value():
    with pytest.raises(ValueError, match=r"value of shape \(3,\) cannot fill shape \(2, 2\)"):
        I.Constant([1.0, 2.0, 3.0])((2, 2))


def test_identity_rejects_non_matrix():
    with pytest.raises(ValueError, match=r"only makes 2-D matrices; got shape=\(2, 2, 2\)"):
        I.Identity()((2, 2, 2))


RANDOM = [
    lambda seed: I.RandomNormal(seed=seed),
    lambda seed: I.RandomUniform(seed=seed),
    lambda seed: I.TruncatedNormal(seed=seed),
    lambda seed: I.VarianceScaling(seed=seed),
    lambda seed: I.VarianceScaling(distribution="untruncated_normal", seed=seed),
    lambda seed: I.GlorotUniform(seed=seed),
    lambda seed: I.GlorotNormal(seed=seed),
    lambda seed: I.HeNormal(seed=seed),
    lambda seed: I.HeUniform(seed=seed),
    lambda seed: I.LecunNormal(seed=seed),
    lambda seed: I.LecunUniform(seed=seed),
    lambda seed: I.Orthogonal(seed=seed),
]
RANDOM_IDS = [
    "normal",
    "uniform",
    "truncated",
    "vs",
    "vs_untruncated",
    "glorot_u",
    "glorot_n",
    "he_n",
    "he_u",
    "lecun_n",
    "lecun_u",
    "orthogonal",
]


@pytest.mark.parametrize("make", RANDOM, ids=RANDOM_IDS)
def test_int_seed_gives_the_same_values_every_call(make):
    a = make(42)
    first = a((6, 5))
    np.testing.assert_array_equal(first, a((6, 5)))
    np.testing.assert_array_equal(first, make(42)((6, 5)))
    assert not np.array_equal(first, make(43)((6, 5)))


@pytest.mark.parametrize("make", RANDOM, ids=RANDOM_IDS)
def test_seed_generator_advances(make):
    init = make(SeedGenerator(7))
    first, second = init((6, 5)), init((6, 5))
    assert not np.array_equal(first, second)
    again = make(SeedGenerator(7))
    np.testing.assert_array_equal(first, again((6, 5)))


@pytest.mark.parametrize("make", RANDOM, ids=RANDOM_IDS)
def test_unseeded_draws_follow_set_random_seed(make):
    init = make(None)
    lamina.random.set_global_seed(123)
    first, second = init((6, 5)), init((6, 5))
    assert not np.array_equal(first, second)
    lamina.random.set_global_seed(123)
    np.testing.assert_array_equal(first, init((6, 5)))


@pytest.mark.parametrize("make", RANDOM, ids=RANDOM_IDS)
def test_dtypes(make):
    init = make(0)
    assert init((4, 3)).dtype == np.float32
    w64 = init((4, 3), dtype="float64")
    assert w64.dtype == np.float64
    np.testing.assert_allclose(init((4, 3), dtype=np.float64), w64)
    np.testing.assert_allclose(init((4, 3)), w64.astype(np.float32))
    with pytest.raises(ValueError, match=r"dtype must be a float type.*Got dtype='int32'"):
        init((4, 3), dtype="int32")


def test_floatx_is_the_default_dtype():
    lamina.config.set_floatx("float64")
    assert I.GlorotUniform(seed=0)((2, 2)).dtype == np.float64
    assert I.Zeros()((2,)).dtype == np.float64


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"'seed' argument of RandomNormal must be an int"):
        I.RandomNormal(seed="abc")
    with pytest.raises(ValueError, match=r"'scale' .* positive float\. Got scale=0"):
        I.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match=r"'mode' .* Got mode='fan'"):
        I.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match=r"'distribution' .* Got distribution='gaussian'"):
        I.VarianceScaling(distribution="gaussian")
    assert I.VarianceScaling(distribution="Normal").distribution == "truncated_normal"


ALL_INSTANCES = [
    I.Zeros(),
    I.Ones(),
    I.Constant(0.25),
    I.Identity(gain=2.0),
    I.RandomNormal(mean=1.0, stddev=0.5, seed=3),
    I.RandomUniform(-1.0, 2.0, seed=3),
    I.TruncatedNormal(stddev=0.2, seed=3),
    I.VarianceScaling(2.0, "fan_out", "uniform", seed=3, input_axes=[0], output_axes=[1]),
    I.GlorotUniform(seed=3),
    I.GlorotNormal(seed=3),
    I.HeNormal(seed=3),
    I.HeUniform(seed=3),
    I.LecunNormal(seed=3),
    I.LecunUniform(seed=3),
    I.Orthogonal(gain=0.5, seed=3),
]


@pytest.mark.parametrize("init", ALL_INSTANCES, ids=lambda i: type(i).__name__)
def test_config_round_trip(init):
    config = init.get_config()
    clone = type(init).from_config(config)
    assert clone.get_config() == config
    np.testing.assert_array_equal(clone((4, 4)), init((4, 4)))
    loaded = I.deserialize(I.serialize(init))
    assert type(loaded) is type(init) and loaded.get_config() == config
    np.testing.assert_array_equal(I.get(I.serialize(init))((4, 4)), init((4, 4)))


def test_configs_match_keras():
    assert I.GlorotUniform().get_config() == {"seed": None, "input_axes": None, "output_axes": None}
    assert I.RandomNormal(seed=1).get_config() == {"seed": 1, "mean": 0.0, "stddev": 0.05}
    assert I.VarianceScaling().get_config() == {
        "seed": None,
        "scale": 1.0,
        "mode": "fan_in",
        "distribution": "truncated_normal",
        "input_axes": None,
        "output_axes": None,
    }
    assert I.Orthogonal().get_config() == {"seed": None, "gain": 1.0}
    assert I.Constant(2).get_config() == {"value": 2}
    # A config exactly as Keras 3.15.1 writes it in a Dense layer.
    keras_config = {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": None, "input_axes": None, "output_axes": None},
        "registered_name": None,
    }
    assert I.serialize(I.GlorotUniform()) == keras_config
    assert isinstance(I.get(keras_config), I.GlorotUniform)


def test_seed_generator_config_round_trip():
    init = I.RandomNormal(seed=SeedGenerator(11))
    config = init.get_config()
    assert config["seed"] == {"class_name": "SeedGenerator", "config": {"seed": 11}}
    np.testing.assert_array_equal(
        I.RandomNormal.from_config(config)((3,)), I.RandomNormal(seed=SeedGenerator(11))((3,))
    )


def test_constant_array_value_config():
    init = I.Constant(np.array([1.0, 2.0]))
    config = init.get_config()
    assert config["value"]["class_name"] == "__numpy__"
    np.testing.assert_array_equal(I.Constant.from_config(config)((2,)), [1.0, 2.0])


@pytest.mark.parametrize(
    "name,cls",
    [
        ("glorot_uniform", I.GlorotUniform),
        ("GlorotUniform", I.GlorotUniform),
        ("zeros", I.Zeros),
        ("zero", I.Zeros),
        ("ones", I.Ones),
        ("one", I.Ones),
        ("he_normal", I.HeNormal),
        ("he_uniform", I.HeUniform),
        ("lecun_normal", I.LecunNormal),
        ("lecun_uniform", I.LecunUniform),
        ("glorot_normal", I.GlorotNormal),
        ("random_normal", I.RandomNormal),
        ("normal", I.RandomNormal),
        ("random_uniform", I.RandomUniform),
        ("uniform", I.RandomUniform),
        ("truncated_normal", I.TruncatedNormal),
        ("orthogonal", I.Orthogonal),
        ("OrthogonalInitializer", I.Orthogonal),
        ("identity", I.Identity),
        ("IdentityInitializer", I.Identity),
        ("constant", I.Constant),
        ("variance_scaling", I.VarianceScaling),
    ],
)
def test_get_by_name(name, cls):
    init = I.get(name)
    assert type(init) is cls


def test_lower_case_aliases_are_the_classes():
    assert I.glorot_uniform is I.GlorotUniform and I.he_normal is I.HeNormal
    assert I.zeros is I.Zeros and I.ones is I.Ones and I.constant is I.Constant


def test_get_other_identifiers():
    assert I.get(None) is None
    init = I.HeNormal(seed=1)
    assert I.get(init) is init
    assert type(I.get(I.HeNormal)) is I.HeNormal

    def fn(shape, dtype=None):
        return np.zeros(shape)

    assert I.get(fn) is fn
    from_array = I.get(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(from_array((2, 3)), np.arange(6.0).reshape(2, 3))
    assert from_array((2, 3)).dtype == np.float32
    with pytest.raises(
        ValueError, match=r"array of shape \(2, 3\), but a weight of shape \(3, 2\)"
    ):
        from_array((3, 2))
    with pytest.raises(ValueError, match=r"Got 5 of type int"):
        I.get(5)


def test_unknown_name_lists_names_and_closest():
    with pytest.raises(
        ValueError,
        match=r"Unknown initializer 'glorot_unifrom'\. Valid names: "
        r".*'he_normal'.* Did you mean 'glorot_uniform'\?",
    ):
        I.get("glorot_unifrom")
    with pytest.raises(ValueError, match=r"Unknown initializer 'Xavier'"):
        I.deserialize({"class_name": "Xavier", "config": {}})


def test_custom_initializer_round_trip():
    class Twos(I.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 2.0, dtype=dtype or "float32")

    config = I.serialize(Twos())
    assert config["class_name"] == "Twos" and config["registered_name"] == "Twos"
    assert type(I.deserialize(config, custom_objects={"Twos": Twos})) is Twos
    with pytest.raises(ValueError, match=r"Unknown initializer 'Twos'"):
        I.deserialize(config)


def test_base_class():
    with pytest.raises(NotImplementedError, match=r"must implement __call__"):
        I.Initializer()((2,))
    assert repr(I.RandomUniform(seed=1)) == "RandomUniform(seed=1, minval=-0.05, maxval=0.05)"
    assert I.HeNormal(seed=2).clone().get_config() == I.HeNormal(seed=2).get_config()


def test_used_by_variable():
    v = lamina.Variable(I.get("ones"), shape=(2, 2))
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 2)))


def test_every_export_has_a_docstring():
    for name in I.__all__:
        obj = getattr(I, name)
        assert obj.__doc__ and obj.__doc__.strip(), name
