"""Table-driven tests: every optimizer, in several configurations, on the same problems.

(a) Keras 3.15.1 reference trajectories (tests/fixtures/keras/optimizers.json/.npz);
(b) a least-squares problem the optimizer must make progress on;
(c) flat-buffer and per-variable modes must agree bit for bit;
(d) get_config / from_config / serialize round trips;
(e) float64 variables stay float64 and follow the textbook equations.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import optimizers
from lamina.optimizers import _apply as apply_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "keras"

# id, class name, constructor arguments. Every optimizer appears, with its
# variants and with each of the base-class features.
CONFIGS = [
    ("sgd", "SGD", {}),
    ("sgd_momentum", "SGD", {"momentum": 0.9}),
    ("sgd_nesterov", "SGD", {"momentum": 0.9, "nesterov": True}),
    ("adam", "Adam", {}),
    ("adam_amsgrad", "Adam", {"amsgrad": True}),
    ("adamw", "AdamW", {}),
    ("adamw_amsgrad", "AdamW", {"weight_decay": 0.1, "amsgrad": True}),
    ("rmsprop", "RMSprop", {}),
    ("rmsprop_momentum", "RMSprop", {"momentum": 0.5}),
    ("rmsprop_centered", "RMSprop", {"centered": True, "momentum": 0.3}),
    ("adagrad", "Adagrad", {}),
    ("adadelta", "Adadelta", {"learning_rate": 1.0}),
    ("adamax", "Adamax", {}),
    ("nadam", "Nadam", {}),
    ("sgd_clipnorm", "SGD", {"momentum": 0.5, "clipnorm": 0.5}),
    ("adam_global_clipnorm", "Adam", {"global_clipnorm": 0.7}),
    ("rmsprop_clipvalue", "RMSprop", {"clipvalue": 0.2}),
    ("nadam_weight_decay", "Nadam", {"weight_decay": 0.05}),
    (
        "adagrad_ema",
        "Adagrad",
        {"use_ema": True, "ema_momentum": 0.9, "ema_overwrite_frequency": 3},
    ),
    ("adamax_accumulate", "Adamax", {"gradient_accumulation_steps": 2}),
    ("adadelta_loss_scale", "Adadelta", {"learning_rate": 1.0, "loss_scale_factor": 8.0}),
    (
        "adam_schedule",
        "Adam",
        {"learning_rate": optimizers.schedules.ExponentialDecay(0.05, 20, 0.5)},
    ),
]
IDS = [c[0] for c in CONFIGS]


def make(cls_name, kwargs, **extra):
    return getattr(optimizers, cls_name)(**{**kwargs, **extra})


# -- (a) Keras reference trajectories --------------------------------------------------


def _load(category):
    json_path, npz_path = FIXTURES / f"{category}.json", FIXTURES / f"{category}.npz"
    if not (json_path.exists() and npz_path.exists()):
        return None, None
    return json.loads(json_path.read_text()), np.load(npz_path, allow_pickle=False)


KERAS_CASES, KERAS_ARRAYS = _load("optimizers")


def _keras_kwargs(config):
    kwargs = dict(config)
    lr = kwargs.get("learning_rate")
    if isinstance(lr, dict):
        lr = dict(lr)
        kwargs["learning_rate"] = getattr(optimizers.schedules, lr.pop("schedule"))(**lr)
    return kwargs


@pytest.mark.parametrize(
    "case",
    KERAS_CASES or [None],
    ids=[c["id"] for c in KERAS_CASES] if KERAS_CASES else ["missing"],
)
@pytest.mark.parametrize("flat", [False, True], ids=["per_variable", "flat"])
def test_matches_keras_trajectory(case, flat):
    if case is None:
        pytest.skip(f"Keras fixtures not found in {FIXTURES} (tools/make_keras_fixtures.py)")

    def arr(name):
        return KERAS_ARRAYS[f"{case['id']}/{name}"]

    opt = getattr(optimizers, case["class"])(**_keras_kwargs(case["config"]))
    inits = [arr("v0_init"), arr("v1_init")]
    variables = flat_variables(inits) if flat else [lamina.Variable(a) for a in inits]
    for k in range(case["steps"]):
        if k == 0:
            opt.build(variables)
            assert opt.is_flat == flat
        np.testing.assert_allclose(float(opt.learning_rate), arr("lr")[k], rtol=1e-6)
        opt.apply_gradients(zip([arr(f"g0_step{k}"), arr(f"g1_step{k}")], variables))
        for i, v in enumerate(variables):
            assert v.value.dtype == np.float32
            np.testing.assert_allclose(
                v.numpy(),
                arr(f"v{i}_step{k}"),
                rtol=1e-5,
                atol=1e-6,
                err_msg=f"{case['id']}: variable {i} after step {k}",
            )
    config = opt.get_config()
    for key, value in case["keras_config"].items():
        if key != "name":
            assert config[key] == value, key


def test_keras_fixture_cover_every_optimizer():
    if KERAS_CASES is None:
        pytest.skip(f"Keras fixtures not found in {FIXTURES}")
    covered = {c["class"] for c in KERAS_CASES}
    assert covered == {cls.__name__ for cls in optimizers._BUILTIN}


# -- (b) progress on a least-squares problem -------------------------------------------


def least_squares(dtype=np.float32):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((64, 5)).astype(dtype)
    w_true = rng.standard_normal((5, 3)).astype(dtype)
    y = (x @ w_true + 0.5).astype(dtype)

    def loss_and_grads(w, b):
        r = x @ w + b - y
        n = r.size
        return float(np.mean(r**2)), [(2 / n) * x.T @ r, (2 / n) * r.sum(axis=0)]

    return loss_and_grads, [np.zeros((5, 3), dtype), np.zeros((3,), dtype)]


# A learning rate that suits this problem, per optimizer.
PROBLEM_LR = {
    "SGD": 0.05,
    "Adam": 0.05,
    "AdamW": 0.05,
    "RMSprop": 0.02,
    "Adagrad": 0.5,
    "Adadelta": 1.0,
    "Adamax": 0.1,
    "Nadam": 0.05,
}


@pytest.mark.parametrize("cid, cls_name, kwargs", CONFIGS, ids=IDS)
def test_decreases_least_squares_loss(cid, cls_name, kwargs):
    loss_and_grads, inits = least_squares()
    if not isinstance(kwargs.get("learning_rate"), optimizers.schedules.LearningRateSchedule):
        kwargs = {**kwargs, "learning_rate": PROBLEM_LR[cls_name]}
    opt = make(cls_name, kwargs)
    variables = [lamina.Variable(a) for a in inits]
    start, _ = loss_and_grads(*[v.value for v in variables])
    for _ in range(60):
        _, grads = loss_and_grads(*[v.value for v in variables])
        opt.apply_gradients(zip(grads, variables))
    opt.finalize_variable_values(variables)
    end, _ = loss_and_grads(*[v.value for v in variables])
    assert np.isfinite(end)
    # Adadelta's first steps are of size sqrt(epsilon): it starts slowly by design.
    target = 0.95 if cls_name == "Adadelta" else 0.5
    assert end < target * start, f"{cid}: loss {start:.4f} -> {end:.4f}"


# -- (c) flat layout == per-variable, bit for bit -------------------------------------------

SHAPES = [(3, 4), (4,), (2, 2, 3), (), (5, 1)]


def flat_variables(arrays, dtype=None):
    """Variables whose arrays are back-to-back views into one buffer (as the trainer lays them out)."""
    dtype = dtype or arrays[0].dtype
    buffer = np.concatenate([np.ravel(a) for a in arrays]).astype(dtype)
    out, offset = [], 0
    for i, a in enumerate(arrays):
        a = np.asarray(a)
        v = lamina.Variable(a.astype(dtype), name=f"w{i}")
        v.value = buffer[offset : offset + a.size].reshape(a.shape)
        offset += a.size
        out.append(v)
    return out


def random_problem(dtype=np.float32, steps=7, shapes=SHAPES):
    rng = np.random.default_rng(3)
    inits = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [
        [(rng.standard_normal(s) * (2.0 if k % 2 else 0.1)).astype(dtype) for s in shapes]
        for k in range(steps)
    ]
    return inits, grads


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def assert_same_state(opt_a, vars_a, opt_b, vars_b):
    for x, y in zip(vars_a, vars_b):
        assert same_bits(x.value, y.value), x.path
    assert len(opt_a.variables) == len(opt_b.variables)
    for x, y in zip(opt_a.variables, opt_b.variables):
        assert same_bits(np.asarray(x.value), np.asarray(y.value)), x.path


@pytest.mark.parametrize("cid, cls_name, kwargs", CONFIGS, ids=IDS)
@pytest.mark.parametrize("exclude", [False, True], ids=["all_decay", "exclude_w1"])
def test_flat_and_per_variable_agree_bitwise(cid, cls_name, kwargs, exclude):
    inits, grads = random_problem()
    per_var = [lamina.Variable(a, name=f"w{i}") for i, a in enumerate(inits)]
    flat = flat_variables(inits)
    flat_direct = flat_variables(inits)
    opts = [make(cls_name, kwargs) for _ in range(3)]
    if exclude:
        for opt in opts:
            opt.exclude_from_weight_decay(var_names=["w1"])
            opt.weight_decay = opt.weight_decay or 0.02
    opts[2].build(flat_direct)
    for g in grads:
        opts[0].apply_gradients(zip(g, per_var))
        opts[1].apply_gradients(zip(g, flat))
        opts[2].apply_flat(np.concatenate([x.ravel() for x in g]))
    assert not opts[0].is_flat and opts[1].is_flat and opts[2].is_flat
    assert_same_state(opts[0], per_var, opts[1], flat)
    assert_same_state(opts[0], per_var, opts[2], flat_direct)


@pytest.mark.parametrize("cid, cls_name, kwargs", CONFIGS[:14], ids=IDS[:14])
def test_flat_mode_with_a_missing_gradient_matches_per_variable(cid, cls_name, kwargs):
    inits, grads = random_problem(steps=4)
    per_var = [lamina.Variable(a, name=f"w{i}") for i, a in enumerate(inits)]
    flat = flat_variables(inits)
    a, b = make(cls_name, kwargs), make(cls_name, kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k, g in enumerate(grads):
            g = list(g)
            if k == 2:
                g[1] = None  # that variable sits this step out, in both modes
            a.apply_gradients(zip(g, per_var))
            b.apply_gradients(zip(g, flat))
    assert_same_state(a, per_var, b, flat)


def test_large_variables_updated_block_by_block_match(monkeypatch):
    inits, grads = random_problem(shapes=[(40, 30), (7,)])
    results = []
    for block in (1 << 16, 8):  # default (one call) and tiny blocks (many calls)
        monkeypatch.setattr(apply_module, "_BLOCK", block)
        variables = flat_variables(inits)
        opt = optimizers.Nadam(weight_decay=0.01)
        for g in grads:
            opt.apply_gradients(zip(g, variables))
        results.append(np.concatenate([v.value.ravel() for v in variables]))
    assert same_bits(results[0], results[1])


def test_flat_layout_detected_when_variables_move_after_build():
    inits, grads = random_problem(steps=3)
    variables = [lamina.Variable(a, name=f"w{i}") for i, a in enumerate(inits)]
    reference = [lamina.Variable(a, name=f"w{i}") for i, a in enumerate(inits)]
    opt, ref_opt = optimizers.Adam(), optimizers.Adam()
    opt.apply_gradients(zip(grads[0], variables))
    ref_opt.apply_gradients(zip(grads[0], reference))
    assert not opt.is_flat
    # Move the (already updated) variables into one buffer, as a trainer may do later.
    moved = flat_variables([v.value for v in variables])
    for v, m in zip(variables, moved):
        v.value = m.value
    assert opt.is_flat
    for g in grads[1:]:
        opt.apply_gradients(zip(g, variables))
        ref_opt.apply_gradients(zip(g, reference))
    assert_same_state(opt, variables, ref_opt, reference)


def test_updates_are_in_place():
    inits, grads = random_problem(steps=3)
    variables = flat_variables(inits)
    opt = optimizers.Adam(clipnorm=1.0, use_ema=True)
    opt.build(variables)
    arrays = [v.value for v in variables] + [s.value for s in opt.variables]
    flat_grad = np.concatenate([x.ravel() for x in grads[0]])
    given = flat_grad.copy()
    for _ in range(3):
        opt.apply_flat(flat_grad)
    assert same_bits(flat_grad, given)  # the caller's gradient is never modified
    assert all(
        a is b
        for a, b in zip(arrays, [v.value for v in variables] + [s.value for s in opt.variables])
    )
    # The slots of all variables share one flat array per slot kind.
    momenta = [s.value for s in opt.variables if s.name.endswith("_momentum")]
    assert len({id(m.base if m.base is not None else m) for m in momenta}) == 1


# -- (d) config round trips --------------------------------------------------------------


@pytest.mark.parametrize("cid, cls_name, kwargs", CONFIGS, ids=IDS)
def test_config_round_trip(cid, cls_name, kwargs):
    opt = make(cls_name, kwargs)
    config = opt.get_config()
    json.dumps(config)  # JSON-safe, as saved in .keras files
    clone = type(opt).from_config(config)
    assert type(clone) is type(opt)
    assert clone.get_config() == config
    for key, value in kwargs.items():
        if key != "learning_rate":
            assert config[key] == value
    again = optimizers.deserialize(json.loads(json.dumps(optimizers.serialize(opt))))
    assert again.get_config() == config
    assert optimizers.get(optimizers.serialize(opt)).get_config() == config


# -- (e) float64 ---------------------------------------------------------------------------


def textbook_step(cls_name, kw, state, w, g, t, lr, product):
    """The update equations written plainly in float64 (independent of the kernels).

    ``product`` is Nadam's running product of momentum coefficients, shared by all variables.
    """
    b1, b2 = kw.get("beta_1", 0.9), kw.get("beta_2", 0.999)
    eps = kw.get("epsilon", 1e-7)
    if cls_name == "SGD":
        mom = kw.get("momentum", 0.0)
        if mom == 0:
            return w - lr * g
        state["m"] = mom * state.get("m", 0 * w) - lr * g
        if kw.get("nesterov"):
            return w + mom * state["m"] - lr * g
        return w + state["m"]
    if cls_name in ("Adam", "AdamW"):
        if cls_name == "AdamW":
            w = w - w * kw.get("weight_decay", 0.004) * lr
        m = state["m"] = b1 * state.get("m", 0 * w) + (1 - b1) * g
        v = state["v"] = b2 * state.get("v", 0 * w) + (1 - b2) * g * g
        if kw.get("amsgrad"):
            v = state["vh"] = np.maximum(state.get("vh", 0 * w), v)
        alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        return w - alpha * m / (np.sqrt(v) + eps)
    if cls_name == "RMSprop":
        rho, mom = kw.get("rho", 0.9), kw.get("momentum", 0.0)
        v = state["v"] = rho * state.get("v", 0 * w) + (1 - rho) * g * g
        denom = v + eps
        if kw.get("centered"):
            a = state["a"] = rho * state.get("a", 0 * w) + (1 - rho) * g
            denom = v - a * a + eps
        step = lr * g / np.sqrt(denom)
        if mom > 0:
            step = state["s"] = mom * state.get("s", 0 * w) + step
        return w - step
    if cls_name == "Adagrad":
        a = state["a"] = state.get("a", 0 * w + kw.get("initial_accumulator_value", 0.1)) + g * g
        return w - lr * g / np.sqrt(a + eps)
    if cls_name == "Adadelta":
        rho = kw.get("rho", 0.95)
        a = state["a"] = rho * state.get("a", 0 * w) + (1 - rho) * g * g
        d = state.get("d", 0 * w)
        delta = -np.sqrt(d + eps) * g / np.sqrt(a + eps)
        state["d"] = rho * d + (1 - rho) * delta * delta
        return w + lr * delta
    if cls_name == "Adamax":
        m = state["m"] = b1 * state.get("m", 0 * w) + (1 - b1) * g
        u = state["u"] = np.maximum(b2 * state.get("u", 0 * w), np.abs(g))
        return w - lr * m / ((1 - b1**t) * (u + eps))
    if cls_name == "Nadam":
        mu_t, mu_next = nadam_mu(t, b1), nadam_mu(t + 1, b1)
        m = state["m"] = b1 * state.get("m", 0 * w) + (1 - b1) * g
        v = state["v"] = b2 * state.get("v", 0 * w) + (1 - b2) * g * g
        m_hat = mu_next * m / (1 - product * mu_next) + (1 - mu_t) * g / (1 - product)
        return w - lr * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)
    raise AssertionError(cls_name)


def nadam_mu(t, beta_1):
    return beta_1 * (1 - 0.5 * 0.96**t)


PLAIN = CONFIGS[:14]


@pytest.mark.parametrize("cid, cls_name, kwargs", PLAIN, ids=[c[0] for c in PLAIN])
@pytest.mark.parametrize("flat", [False, True], ids=["per_variable", "flat"])
def test_float64_follows_textbook_equations(cid, cls_name, kwargs, flat):
    lamina.config.set_floatx("float64")  # the learning-rate variable is float64 too
    inits, grads = random_problem(dtype=np.float64, steps=5)
    variables = flat_variables(inits) if flat else [lamina.Variable(a) for a in inits]
    opt = make(cls_name, kwargs)
    lr = float(opt.learning_rate)
    expected = [a.copy() for a in inits]
    states = [{} for _ in inits]
    product = 1.0
    for t, g in enumerate(grads, start=1):
        opt.apply_gradients(zip(g, variables))
        product *= nadam_mu(t, kwargs.get("beta_1", 0.9))
        for i, state in enumerate(states):
            expected[i] = textbook_step(cls_name, kwargs, state, expected[i], g[i], t, lr, product)
    assert opt.is_flat == flat
    for v, e in zip(variables, expected):
        assert v.value.dtype == np.float64
        np.testing.assert_allclose(v.value, e, rtol=1e-11, atol=1e-13)
    for s in opt.variables[2:]:
        assert s.value.dtype == np.float64, s.path
