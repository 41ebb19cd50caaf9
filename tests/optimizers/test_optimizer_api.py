"""The optimizer API: arguments, errors, registry, state, and Keras's step semantics."""

import doctest
import importlib
import pkgutil
import warnings

import numpy as np
import pytest

import lamina
from lamina import ops, optimizers

ALL = [
    optimizers.SGD,
    optimizers.Adam,
    optimizers.AdamW,
    optimizers.RMSprop,
    optimizers.Adagrad,
    optimizers.Adadelta,
    optimizers.Adamax,
    optimizers.Nadam,
]

# Keras 3's defaults, to the digit.
KERAS_DEFAULTS = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "Adam": {
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
        "amsgrad": False,
    },
    "AdamW": {
        "learning_rate": 0.001,
        "weight_decay": 0.004,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
        "amsgrad": False,
    },
    "RMSprop": {
        "learning_rate": 0.001,
        "rho": 0.9,
        "momentum": 0.0,
        "epsilon": 1e-7,
        "centered": False,
    },
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "Adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
    "Adamax": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}
BASE_DEFAULTS = {
    "weight_decay": None,
    "clipnorm": None,
    "clipvalue": None,
    "global_clipnorm": None,
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
    "name": None,
}


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
def test_defaults_are_keras_defaults(cls):
    import inspect

    params = inspect.signature(cls.__init__).parameters
    expected = {**BASE_DEFAULTS, **KERAS_DEFAULTS[cls.__name__]}
    got = {k: p.default for k, p in params.items() if k in expected}
    assert got == expected
    config = cls().get_config()
    for key, value in KERAS_DEFAULTS[cls.__name__].items():
        if key == "learning_rate":
            assert config[key] == float(np.float32(value))  # Keras keeps it in a float32 variable
        else:
            assert config[key] == value


def var(values, name="v"):
    return lamina.Variable(np.array(values, dtype="float32"), name=name)


# -- arguments and errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: optimizers.Adam(learning_rate=-0.1), r"'learning_rate'.*>= 0.*-0\.1"),
        (lambda: optimizers.SGD(learning_rate="fast"), r"'learning_rate'.*'fast'"),
        (lambda: optimizers.SGD(learning_rate=None), r"'learning_rate'"),
        (lambda: optimizers.Adam(learning_rate=float("nan")), r"'learning_rate'"),
        (lambda: optimizers.Adam(beta1=0.9), r"beta1.*did you mean 'beta_1'"),
        (lambda: optimizers.SGD(momentom=0.9), r"momentom.*did you mean 'momentum'"),
        (lambda: optimizers.SGD(momentum=1.5), r"'momentum'.*\[0, 1\].*1\.5"),
        (lambda: optimizers.SGD(momentum="high"), r"'momentum'.*number"),
        (lambda: optimizers.Adam(beta_1=1.0), r"'beta_1'.*\[0, 1\)"),
        (lambda: optimizers.Adam(epsilon=-1e-7), r"'epsilon'.*>= 0"),
        (lambda: optimizers.RMSprop(rho=2), r"'rho'"),
        (lambda: optimizers.Adagrad(initial_accumulator_value=-1), r"'initial_accumulator"),
        (lambda: optimizers.AdamW(weight_decay=None), r"'weight_decay'.*AdamW.*Adam"),
        (lambda: optimizers.SGD(weight_decay="l2"), r"'weight_decay'"),
        (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=1.0), r"only one of `clipnorm`"),
        (lambda: optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0), r"only one of"),
        (
            lambda: optimizers.SGD(gradient_accumulation_steps=1),
            r"gradient_accumulation_steps.*>= 2",
        ),
        (lambda: optimizers.SGD(use_ema=True, ema_momentum=1.5), r"'ema_momentum'"),
        (lambda: optimizers.SGD(use_ema=True, ema_overwrite_frequency=0), r"ema_overwrite_freq"),
        (lambda: optimizers.SGD(loss_scale_factor=0), r"'loss_scale_factor'.*> 0"),
        (lambda: optimizers.SGD(name=3), r"'name'"),
    ],
)
def test_bad_arguments_are_reported_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_integer_learning_rate_accepted():
    assert float(optimizers.SGD(learning_rate=1).learning_rate) == 1.0


def test_lr_alias_warns_and_shows_the_replacement():
    with pytest.warns(DeprecationWarning, match=r"learning_rate=0\.05"):
        opt = optimizers.Adam(lr=0.05)
    assert float(opt.learning_rate) == pytest.approx(0.05)
    with pytest.warns(DeprecationWarning, match="optimizer.learning_rate"):
        assert float(opt.lr) == pytest.approx(0.05)
    with pytest.warns(DeprecationWarning):
        opt.lr = 0.5
    assert float(opt.learning_rate) == 0.5


def test_lr_warning_points_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        optimizers.AdamW(lr=0.01)
    assert caught and caught[0].filename == __file__


def test_legacy_decay_is_ignored_with_the_schedule_to_use():
    with pytest.warns(
        UserWarning, match=r"InverseTimeDecay\(0\.1, decay_steps=1, decay_rate=0\.01\)"
    ):
        opt = optimizers.SGD(learning_rate=0.1, decay=0.01)
    assert "decay" not in opt.get_config()


# -- registry ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "adam",
        "sgd",
        "rmsprop",
        "adamw",
        "adagrad",
        "adadelta",
        "adamax",
        "nadam",
        "Adam",
        "RMSprop",
        "SGD",
        "NADAM",
    ],
)
def test_get_by_name_any_case(name):
    opt = optimizers.get(name)
    assert type(opt).__name__.lower() == name.lower()


def test_get_unknown_name_lists_valid_names_and_closest():
    with pytest.raises(
        ValueError, match=r"Unknown optimizer 'adamm'.*'adam'.*'sgd'.*Did you mean 'adam'"
    ):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match=r"rmsprop.*Did you mean 'rmsprop'"):
        optimizers.get("rmsprob")


def test_get_dicts_instances_classes_none():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    assert isinstance(optimizers.get(optimizers.Nadam), optimizers.Nadam)
    from_dict = optimizers.get({"class_name": "SGD", "config": {"momentum": 0.5}})
    assert isinstance(from_dict, optimizers.SGD) and from_dict.momentum == 0.5
    keras_dict = {
        "module": "keras.optimizers",
        "class_name": "Adam",
        "registered_name": None,
        "config": {
            "learning_rate": {
                "module": "keras.optimizers.schedules",
                "class_name": "CosineDecay",
                "registered_name": None,
                "config": {"initial_learning_rate": 0.1, "decay_steps": 5},
            }
        },
    }
    sched = optimizers.get(keras_dict)
    assert isinstance(sched._learning_rate, optimizers.schedules.CosineDecay)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(3.5)
    with pytest.raises(ValueError, match="Unknown optimizer 'Adamz'"):
        optimizers.deserialize({"class_name": "Adamz", "config": {}})


def test_serialize_format():
    out = optimizers.serialize(optimizers.RMSprop(rho=0.8, name="r"))
    assert out["module"] == "keras.optimizers" and out["class_name"] == "RMSprop"
    assert out["registered_name"] is None and out["config"]["rho"] == 0.8
    assert out["config"]["name"] == "r"


def test_auto_names_follow_keras():
    from lamina.utils import naming

    naming.reset_uids()
    assert [optimizers.Adam().name, optimizers.Adam().name] == ["adam", "adam_1"]
    assert optimizers.RMSprop().name == "rm_sprop" and optimizers.AdamW().name == "adam_w"


# -- state variables -------------------------------------------------------------------------


def test_variables_order_and_names():
    w, b = var([[1.0, 2.0]], "kernel"), var([0.0], "bias")
    opt = optimizers.Adam(name="adam")
    opt.build([w, b])
    assert [v.name for v in opt.variables] == [
        "iteration",
        "learning_rate",
        "kernel_momentum",
        "kernel_velocity",
        "bias_momentum",
        "bias_velocity",
    ]
    assert opt.variables[0].value.dtype == np.int64
    assert opt.variables[2].path == "adam/kernel_momentum"

    opt = optimizers.SGD(
        learning_rate=optimizers.schedules.ExponentialDecay(0.1, 2, 0.5),
        momentum=0.5,
        use_ema=True,
        gradient_accumulation_steps=2,
    )
    opt.build([w, b])
    assert [v.name for v in opt.variables] == [
        "iteration",
        "kernel_average",
        "bias_average",
        "kernel_gradient_accumulator",
        "bias_gradient_accumulator",
        "kernel_momentum",
        "bias_momentum",
    ]
    opt = optimizers.Nadam()
    opt.build([w])
    assert [v.name for v in opt.variables][-1] == "u_product"
    opt = optimizers.SGD()
    opt.build([w])
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate"]


def test_iterations_and_learning_rate():
    w = var([1.0, 2.0])
    opt = optimizers.Adam(learning_rate=0.5)
    assert int(opt.iterations) == 0
    for _ in range(3):
        assert opt.apply_gradients([(np.ones(2), w)]) is opt.iterations
    assert int(opt.iterations) == 3 and opt.iterations.numpy() == 3
    assert float(opt.learning_rate) == 0.5
    opt.learning_rate = 0.25
    assert float(opt.learning_rate) == 0.25 and opt.get_config()["learning_rate"] == 0.25
    with pytest.raises(ValueError, match="'learning_rate'"):
        opt.learning_rate = -1.0

    sched = optimizers.schedules.PiecewiseConstantDecay([1], [1.0, 0.5])
    opt = optimizers.SGD(learning_rate=sched)
    for expected in (1.0, 1.0, 0.5):
        assert float(opt.learning_rate) == expected
        opt.apply_gradients([(np.ones(2), w)])
    with pytest.raises(TypeError, match="float `learning_rate`"):
        opt.learning_rate = 0.1
    opt.learning_rate = lambda: 0.125  # a callable is always accepted
    assert opt.learning_rate == 0.125


def test_callable_learning_rate_used_each_step():
    w = var([1.0])
    rates = iter([0.5, 0.25])
    current = {"lr": 0.0}

    def lr():
        return current["lr"]

    opt = optimizers.SGD(learning_rate=lr)
    for _ in range(2):
        current["lr"] = next(rates)
        opt.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w.numpy(), [0.25])
    assert [v.name for v in opt.variables] == ["iteration"]


def test_set_weights_save_and_load_own_variables():
    w = var([[1.0, 2.0], [3.0, 4.0]])
    a = optimizers.Adam()
    a.apply_gradients([(np.ones((2, 2)), w)])
    b = optimizers.Adam()
    with pytest.raises(ValueError, match="not been built"):
        b.set_weights([v.value for v in a.variables])
    b.build([w])
    b.set_weights([v.numpy() for v in a.variables])
    store = {}
    a.save_own_variables(store)
    assert sorted(store) == ["0", "1", "2", "3"] and store["0"] == 1
    w2 = var(w.numpy())
    c = optimizers.Adam()
    c.build([w2])
    c.load_own_variables(store)
    for x, y, z in zip(a.variables, b.variables, c.variables):
        np.testing.assert_array_equal(x.value, y.value)
        np.testing.assert_array_equal(x.value, z.value)
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        optimizers.Adam().load_own_variables(store)
    # Loaded state drives the next step exactly like the original.
    a.apply_gradients([(np.ones((2, 2)), w)])
    c.apply_gradients([(np.ones((2, 2)), w2)])
    np.testing.assert_array_equal(w.value, w2.value)


# -- Keras's step semantics ------------------------------------------------------------------


def test_missing_gradients_are_skipped_with_a_warning():
    v1, v2 = var([[3.0, 4.0]], "a"), var([[3.0, 4.0]], "b")
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply_gradients([(None, v1)])
    opt = optimizers.SGD(learning_rate=1.0)
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['a'\]"):
        opt.apply_gradients([(None, v1), (np.ones((1, 2)), v2)])
    np.testing.assert_array_equal(v1.numpy(), [[3.0, 4.0]])
    np.testing.assert_array_equal(v2.numpy(), [[2.0, 3.0]])


def test_gradient_errors_name_the_variable():
    w = var([1.0, 2.0], "kernel")
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match=r"'kernel' has shape \(3,\).*\(2,\)"):
        opt.apply_gradients([(np.ones(3), w)])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply_gradients([(np.ones(2), var([1.0, 2.0], "other"))])
    with pytest.raises(ValueError, match="1-D gradient of 2 elements"):
        opt.apply_flat(np.ones(3))
    with pytest.raises(ValueError, match="build"):
        optimizers.SGD().apply_flat(np.ones(2))


def test_accepts_tensors_lists_and_other_dtypes():
    w = var([1.0, 2.0])
    opt = optimizers.SGD(learning_rate=0.5)
    opt.apply_gradients([(ops.convert_to_tensor([1.0, 1.0]), w)])
    opt.apply_gradients([([1.0, 1.0], w)])
    opt.apply_gradients([(np.ones(2, dtype=np.float64), w)])
    opt.apply([np.ones(2)])
    assert w.value.dtype == np.float32
    np.testing.assert_allclose(w.numpy(), [-1.0, 0.0])


def test_gradient_tape_integration():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3).astype("float32")
    w = lamina.Variable(np.zeros((3, 1)), name="w")
    b = lamina.Variable(np.zeros((1,)), name="b")
    opt = optimizers.Adam(learning_rate=0.1)
    losses = []
    for _ in range(100):
        with lamina.GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(x, w) + b - y))
        opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        losses.append(float(loss))
    assert losses[-1] < 1e-2 * losses[0]


def test_clipnorm_is_per_variable_and_global_clipnorm_joint():
    g1, g2 = np.array([3.0, 4.0]), np.array([0.0, 0.3])  # norms 5 and 0.3
    a, b = var([0.0, 0.0]), var([0.0, 0.0])
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply_gradients([(g1, a), (g2, b)])
    np.testing.assert_allclose(a.numpy(), [-0.6, -0.8], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [0.0, -0.3], rtol=1e-6)  # under the limit: unchanged
    a, b = var([0.0, 0.0]), var([0.0, 0.0])
    optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0).apply_gradients([(g1, a), (g2, b)])
    total = np.sqrt(25 + 0.09)
    np.testing.assert_allclose(a.numpy(), -g1 / total, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), -g2 / total, rtol=1e-6)
    a = var([0.0, 0.0])
    optimizers.SGD(learning_rate=1.0, clipvalue=0.5).apply_gradients([(np.array([3.0, -0.2]), a)])
    np.testing.assert_allclose(a.numpy(), [-0.5, 0.2], rtol=1e-6)


def test_weight_decay_before_the_step_and_exclusions():
    # w -= w * wd * lr, then the optimizer's own step (here SGD with a zero gradient).
    w, bias = var([2.0], "kernel"), var([2.0], "bias")
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply_gradients([(np.zeros(1), w), (np.zeros(1), bias)])
    np.testing.assert_allclose(w.numpy(), [1.9])
    np.testing.assert_allclose(bias.numpy(), [2.0])
    opt.exclude_from_weight_decay(var_list=[w])  # replaces the previous exclusions
    opt.apply_gradients([(np.zeros(1), w), (np.zeros(1), bias)])
    np.testing.assert_allclose(w.numpy(), [1.9])
    np.testing.assert_allclose(bias.numpy(), [1.9])


def test_moving_average_of_the_weights():
    v = var([[3.0, 4.0], [5.0, 6.0]])
    grads = np.ones((2, 2))
    opt = optimizers.SGD(
        learning_rate=1.0, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3
    )
    opt.apply_gradients([(grads, v)])
    average = opt._model_variables_moving_average[0]
    np.testing.assert_allclose(v.numpy(), [[2.0, 3.0], [4.0, 5.0]])
    np.testing.assert_allclose(average.numpy(), [[2.0, 3.0], [4.0, 5.0]])  # starts at w
    opt.apply_gradients([(grads, v)])
    np.testing.assert_allclose(average.numpy(), [[1.9, 2.9], [3.9, 4.9]], rtol=1e-6)
    opt.apply_gradients([(grads, v)])  # third step: the weights take the average
    np.testing.assert_allclose(v.numpy(), [[1.71, 2.71], [3.71, 4.71]], rtol=1e-6)

    w = var([1.0])
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    for _ in range(2):
        opt.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w.numpy(), [-1.0])
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [-0.5])


def test_gradient_accumulation():
    v = var([[1.0, 2.0], [3.0, 4.0]])
    opt = optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=3)
    grads = np.ones((2, 2))
    for k in range(1, 5):
        opt.apply_gradients([(grads * k, v)])
        accumulated = opt._accumulated_gradients[0].numpy()
        if k < 3:
            np.testing.assert_array_equal(v.numpy(), [[1.0, 2.0], [3.0, 4.0]])
            np.testing.assert_array_equal(accumulated, np.full((2, 2), k * (k + 1) / 2))
        elif k == 3:
            np.testing.assert_array_equal(v.numpy(), [[-1.0, 0.0], [1.0, 2.0]])  # mean of 1,2,3
            np.testing.assert_array_equal(accumulated, np.zeros((2, 2)))
        else:
            np.testing.assert_array_equal(accumulated, np.full((2, 2), 4.0))
        assert int(opt._iterations) == k and int(opt.iterations) == k // 3


def test_loss_scaling():
    v = var([[1.0, 2.0], [3.0, 4.0]])
    opt = optimizers.SGD(learning_rate=1.0, loss_scale_factor=1024.0)
    opt.apply_gradients([(np.array([[1.0, 2.0], [3.0, 4.0]]) * 1024.0, v)])
    assert opt.scale_loss(1.0) == 1024.0
    np.testing.assert_array_equal(v.numpy(), np.zeros((2, 2)))


def test_constraints_are_applied_after_the_step():
    v = var([[0.5, -0.5]])
    v.constraint = lambda x: ops.maximum(x, 0.0)
    optimizers.SGD(learning_rate=1.0).apply_gradients([(np.ones((1, 2)), v)])
    np.testing.assert_array_equal(v.numpy(), [[0.0, 0.0]])


def test_changed_hyperparameter_takes_effect():
    w = var([1.0])
    opt = optimizers.SGD(learning_rate=1.0, momentum=0.5)
    opt.apply_gradients([(np.ones(1), w)])
    opt.momentum = 0.0  # the cached constants must follow
    opt.apply_gradients([(np.ones(1), w)])
    np.testing.assert_allclose(w.numpy(), [1.0 - 1.0 - 1.0])


def test_update_step_on_a_built_optimizer():
    w = var([1.0, 1.0])
    opt = optimizers.SGD(learning_rate=0.5)
    opt.build([w])
    opt.update_step(np.array([1.0, 2.0]), w, 0.5)
    np.testing.assert_allclose(w.numpy(), [0.5, 0.0])


def test_custom_optimizer_with_ops_update_step_and_slots():
    class SignMomentum(optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def build(self, variables):
            super().build(variables)
            self.momenta = [self.add_variable_from_reference(v, "m") for v in variables]

        def update_step(self, gradient, variable, learning_rate):
            m = self.momenta[self._get_variable_index(variable)]
            self.assign(m, ops.add(ops.multiply(m, 0.5), gradient))
            self.assign_sub(variable, ops.multiply(ops.sign(m), learning_rate))

    w = var([1.0, 1.0], "w")
    opt = SignMomentum(weight_decay=0.5, clipnorm=1.0)
    for _ in range(2):
        opt.apply_gradients([(np.array([3.0, -1.0]), w)])
    # each step: decay by 5% then move 0.1 against the momentum's sign
    np.testing.assert_allclose(
        w.numpy(), [(0.95 - 0.1) * 0.95 - 0.1, (0.95 + 0.1) * 0.95 + 0.1], rtol=1e-6
    )
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate", "w_m"]
    assert not opt.is_flat

    class Incomplete(optimizers.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match="update_step"):
        Incomplete(learning_rate=0.1).apply_gradients([(np.ones(2), w)])


# -- docs ---------------------------------------------------------------------------------------


def test_public_names_have_docstrings():
    for name in optimizers.__all__:
        obj = getattr(optimizers, name)
        assert obj.__doc__ and obj.__doc__.strip(), name
    for name in optimizers.schedules.__all__:
        assert getattr(optimizers.schedules, name).__doc__, name


def test_docstring_examples_run():
    import lamina.optimizers as package

    failures = 0
    for info in pkgutil.walk_packages(package.__path__, "lamina.optimizers."):
        module = importlib.import_module(info.name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        failures += result.failed
    failures += doctest.testmod(package, optionflags=doctest.ELLIPSIS).failed
    assert failures == 0


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_pickled_or_copied_optimizer_continues_identically(how):
    import copy
    import pickle

    rng = np.random.default_rng(0)
    buffer = rng.standard_normal(7).astype("float32")
    w, b = var([0.0]), var([0.0], "bias")
    w.value, b.value = buffer[:4].reshape(2, 2), buffer[4:]  # one flat buffer
    opt = optimizers.Adam(learning_rate=0.1, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_list=[b])
    grads = [rng.standard_normal((2, 2)), rng.standard_normal(3)]
    opt.apply_gradients(zip(grads, [w, b]))
    assert opt.is_flat
    state = (opt, w, b)
    opt2, w2, b2 = pickle.loads(pickle.dumps(state)) if how == "pickle" else copy.deepcopy(state)
    for _ in range(3):
        opt.apply_gradients(zip(grads, [w, b]))
        opt2.apply_gradients(zip(grads, [w2, b2]))
    np.testing.assert_array_equal(w.value, w2.value)
    np.testing.assert_array_equal(b.value, b2.value)
    for x, y in zip(opt.variables, opt2.variables):
        np.testing.assert_array_equal(x.value, y.value)
