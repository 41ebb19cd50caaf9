"""Learning-rate schedules: Keras 3.15.1 reference values, formulas, config and errors."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from lamina import optimizers
from lamina.optimizers import schedules

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"


def _load():
    json_path, npz_path = FIXTURES / "schedules.json", FIXTURES / "schedules.npz"
    if not (json_path.exists() and npz_path.exists()):
        return None, None
    return json.loads(json_path.read_text()), np.load(npz_path, allow_pickle=False)


CASES, ARRAYS = _load()


@pytest.mark.parametrize(
    "case", CASES or [None], ids=[c["id"] for c in CASES] if CASES else ["missing"]
)
def test_matches_keras_values(case):
    if case is None:
        pytest.skip(f"Keras fixtures not found in {FIXTURES} (tools/make_keras_fixtures.py)")
    schedule = getattr(schedules, case["class"])(**case["config"])
    steps = ARRAYS[f"{case['id']}/steps"]
    expected = ARRAYS[f"{case['id']}/values"]
    one_by_one = np.array([float(schedule(int(s))) for s in steps])
    vectorised = np.asarray(schedule(steps), dtype=np.float64)
    np.testing.assert_allclose(one_by_one, expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(vectorised, expected, rtol=1e-6, atol=1e-9)
    assert schedule(3).dtype == np.float32
    assert schedule.get_config() == case["keras_config"]


# Each schedule against its formula evaluated in float64 (independent of the implementation).
def _cosine_restarts(step, lr0, first, t_mul, m_mul, alpha):
    fraction = step / first
    if t_mul == 1.0:
        i = math.floor(fraction)
        fraction -= i
    else:
        i = math.floor(math.log(1 - fraction * (1 - t_mul)) / math.log(t_mul))
        fraction = (fraction - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i
    return lr0 * ((1 - alpha) * 0.5 * m_mul**i * (1 + math.cos(math.pi * fraction)) + alpha)


FORMULAS = [
    (schedules.ExponentialDecay(0.1, 3, 0.7), lambda s: 0.1 * 0.7 ** (s / 3)),
    (schedules.ExponentialDecay(0.1, 3, 0.7, staircase=True), lambda s: 0.1 * 0.7 ** (s // 3)),
    (schedules.InverseTimeDecay(0.2, 2, 0.3), lambda s: 0.2 / (1 + 0.3 * s / 2)),
    (schedules.InverseTimeDecay(0.2, 2, 0.3, True), lambda s: 0.2 / (1 + 0.3 * (s // 2))),
    (
        schedules.PiecewiseConstantDecay([3, 7], [0.3, 0.2, 0.1]),
        lambda s: 0.3 if s <= 3 else 0.2 if s <= 7 else 0.1,
    ),
    (
        schedules.PolynomialDecay(0.1, 8, 0.02, power=0.5),
        lambda s: (0.1 - 0.02) * (1 - min(s, 8) / 8) ** 0.5 + 0.02,
    ),
    (
        schedules.PolynomialDecay(0.1, 4, 0.0, cycle=True),
        lambda s: 0.1 * (1 - s / (4 * max(1, math.ceil(s / 4)))),
    ),
    (
        schedules.CosineDecay(0.1, 10, alpha=0.2),
        lambda s: 0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi * min(s, 10) / 10)) + 0.2),
    ),
    (
        schedules.CosineDecay(0.01, 10, warmup_target=0.1, warmup_steps=4),
        lambda s: (
            0.01 + (0.1 - 0.01) * s / 4
            if s < 4
            else 0.1 * 0.5 * (1 + math.cos(math.pi * min(s - 4, 10) / 10))
        ),
    ),
    (schedules.CosineDecayRestarts(0.1, 4), lambda s: _cosine_restarts(s, 0.1, 4, 2.0, 1.0, 0.0)),
    (
        schedules.CosineDecayRestarts(0.1, 3, t_mul=1.0, m_mul=0.5, alpha=0.1),
        lambda s: _cosine_restarts(s, 0.1, 3, 1.0, 0.5, 0.1),
    ),
]


@pytest.mark.parametrize("schedule, formula", FORMULAS, ids=lambda x: type(x).__name__)
def test_follows_formula(schedule, formula):
    steps = np.arange(0, 40)
    got = np.asarray(schedule(steps), dtype=np.float64)
    expected = np.array([formula(int(s)) for s in steps])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)
    clone = type(schedule).from_config(schedule.get_config())
    np.testing.assert_array_equal(np.asarray(clone(steps)), np.asarray(schedule(steps)))
    again = schedules.deserialize(json.loads(json.dumps(schedules.serialize(schedule))))
    assert again.get_config() == schedule.get_config()


def test_keras_defaults():
    assert schedules.ExponentialDecay(0.1, 1, 0.5).get_config()["staircase"] is False
    assert schedules.PolynomialDecay(0.1, 5).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 5,
        "end_learning_rate": 0.0001,
        "power": 1.0,
        "cycle": False,
        "name": "PolynomialDecay",
    }
    assert schedules.CosineDecay(0.1, 5).get_config() == {
        "initial_learning_rate": 0.1,
        "decay_steps": 5,
        "alpha": 0.0,
        "name": "CosineDecay",
        "warmup_target": None,
        "warmup_steps": 0,
    }
    assert schedules.CosineDecayRestarts(0.1, 5).get_config() == {
        "initial_learning_rate": 0.1,
        "first_decay_steps": 5,
        "t_mul": 2.0,
        "m_mul": 1.0,
        "alpha": 0.0,
        "name": "SGDRDecay",
    }
    assert schedules.PiecewiseConstantDecay([1], [1.0, 0.5]).name == "PiecewiseConstant"


def test_serialize_format():
    out = schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.9))
    assert out == {
        "module": "keras.optimizers.schedules",
        "class_name": "ExponentialDecay",
        "config": {
            "initial_learning_rate": 0.1,
            "decay_steps": 10,
            "decay_rate": 0.9,
            "staircase": False,
            "name": "ExponentialDecay",
        },
        "registered_name": None,
    }


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), r"'decay_steps'.*> 0.*decay_steps=0"),
        (lambda: schedules.InverseTimeDecay(0.1, -2, 0.5), r"'decay_steps'.*> 0"),
        (lambda: schedules.PolynomialDecay(0.1, 0), r"'decay_steps'"),
        (lambda: schedules.CosineDecay(0.1, 0), r"'decay_steps'"),
        (lambda: schedules.CosineDecayRestarts(0.1, 0), r"'first_decay_steps'"),
        (lambda: schedules.ExponentialDecay("0.1", 10, 0.5), r"'initial_learning_rate'.*number"),
        (lambda: schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5]), r"one more value"),
        (
            lambda: schedules.deserialize({"class_name": "ExponentialDecey", "config": {}}),
            r"Unknown learning rate schedule 'ExponentialDecey'.*Did you mean 'ExponentialDecay'",
        ),
    ],
)
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_custom_schedule_drives_an_optimizer():
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 1.0 * 0.5 ** int(step)

        def get_config(self):
            return {}

    import lamina

    w = lamina.Variable([0.0])
    opt = optimizers.SGD(learning_rate=Halving())
    for _ in range(3):
        opt.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w.numpy(), [-1.75])
    restored = optimizers.SGD.from_config(opt.get_config(), custom_objects={"Halving": Halving})
    assert isinstance(restored._learning_rate, Halving)

    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)
