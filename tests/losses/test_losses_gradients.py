"""Float64 finite-difference gradient checks for every loss class, driven by one table.

Each entry gives constructor arguments and inputs chosen away from kinks
(clipping bounds, ``|error| == delta``, hinge margins, ties in a max), so
the loss is smooth around them. A loss class exported by ``lamina.losses``
without an entry here fails ``test_every_loss_class_has_a_gradient_case``.
"""

import inspect

import numpy as np
import pytest
from gradcheck import check_gradients

import lamina
import lamina.losses as L

RNG = np.random.default_rng(20240611)
N, K = 4, 3


def _away_from_zero(shape, low=0.2, high=1.5):
    return RNG.uniform(low, high, shape) * RNG.choice([-1.0, 1.0], shape)


def _probs(shape, axis=-1):
    p = RNG.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True)


def _onehot(n=N, k=K):
    return np.eye(k)[RNG.integers(0, k, n)]


REG_TRUE = RNG.standard_normal((N, K))
REG_PRED = REG_TRUE + _away_from_zero((N, K))
PM_LABELS = RNG.choice([-1.0, 1.0], (N, K))
# y * y_pred = m with m kept at least 0.2 away from the hinge at 1
HINGE_PRED = PM_LABELS * (
    RNG.choice([-0.5, 0.3, 0.6, 1.5, 2.0], (N, K)) + RNG.uniform(-0.1, 0.1, (N, K))
)
SOFT_LABELS = RNG.uniform(0.0, 1.0, (N, K))
BIN_LABELS = RNG.integers(0, 2, (N, K)).astype(float)
BIN_PROBS = RNG.uniform(0.05, 0.95, (N, K))
LOGITS = RNG.standard_normal((N, K)) * 2
SPARSE_LABELS = np.array([0.0, 2.0, 1.0, 0.0])
# categorical hinge: distinct scores, so the max over wrong classes has no tie
CAT_HINGE_PRED = np.array([[0.1, 0.9, -0.4], [1.3, -0.2, 0.5], [0.0, 0.6, 1.1], [-0.7, 0.3, 0.2]])

# class name -> list of (id, constructor kwargs, y_true, y_pred, y_true is differentiable)
CASES = {
    "MeanSquaredError": [("default", {}, REG_TRUE, REG_PRED, True)],
    "MeanAbsoluteError": [("default", {}, REG_TRUE, REG_PRED, True)],
    "MeanAbsolutePercentageError": [
        ("default", {}, _away_from_zero((N, K), 0.5, 2.0), REG_PRED, True)
    ],
    "MeanSquaredLogarithmicError": [
        ("default", {}, RNG.uniform(0.1, 3.0, (N, K)), RNG.uniform(0.1, 3.0, (N, K)), True)
    ],
    "Huber": [
        ("delta1", {}, REG_TRUE, REG_TRUE + np.array([0.3, -2.0, 0.6]), True),
        ("delta0.5", {"delta": 0.5}, REG_TRUE, REG_TRUE + np.array([0.2, -2.0, 0.9]), True),
    ],
    "LogCosh": [("default", {}, REG_TRUE, REG_PRED * 3, True)],
    "BinaryCrossentropy": [
        ("probs", {}, BIN_LABELS, BIN_PROBS, True),
        ("soft_labels", {}, SOFT_LABELS, BIN_PROBS, True),
        ("logits", {"from_logits": True}, BIN_LABELS, LOGITS, True),
        ("smoothing", {"label_smoothing": 0.1}, BIN_LABELS, BIN_PROBS, True),
        ("axis0", {"axis": 0}, BIN_LABELS, BIN_PROBS, True),
    ],
    "BinaryFocalCrossentropy": [
        ("probs", {}, BIN_LABELS, BIN_PROBS, True),
        ("logits", {"from_logits": True}, BIN_LABELS, LOGITS, True),
        (
            "balanced_smoothing",
            {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5, "label_smoothing": 0.1},
            BIN_LABELS,
            BIN_PROBS,
            True,
        ),
    ],
    "CategoricalCrossentropy": [
        ("probs", {}, _onehot(), _probs((N, K)), True),
        ("unnormalised", {}, _probs((N, K)), RNG.uniform(0.3, 2.0, (N, K)), True),
        ("logits", {"from_logits": True}, _probs((N, K)), LOGITS, True),
        ("smoothing", {"label_smoothing": 0.2}, _onehot(), _probs((N, K)), True),
        ("axis1_3d", {"axis": 1}, _probs((N, K, 2), axis=1), _probs((N, K, 2), axis=1), True),
    ],
    "CategoricalFocalCrossentropy": [
        ("probs", {}, _onehot(), _probs((N, K)), True),
        ("logits", {"from_logits": True, "gamma": 1.0}, _onehot(), LOGITS, True),
    ],
    "SparseCategoricalCrossentropy": [
        ("probs", {}, SPARSE_LABELS, _probs((N, K)), False),
        ("unnormalised", {}, SPARSE_LABELS, RNG.uniform(0.1, 0.9, (N, K)), False),
        ("logits", {"from_logits": True}, SPARSE_LABELS, LOGITS, False),
        ("ignore_class", {"ignore_class": 0}, SPARSE_LABELS, _probs((N, K)), False),
        ("ignore_logits", {"ignore_class": 2, "from_logits": True}, SPARSE_LABELS, LOGITS, False),
    ],
    "Hinge": [
        ("pm_labels", {}, PM_LABELS, HINGE_PRED, True),
        ("01_labels", {}, (PM_LABELS + 1) / 2, HINGE_PRED, False),
    ],
    "SquaredHinge": [
        ("pm_labels", {}, PM_LABELS, HINGE_PRED, True),
        ("01_labels", {}, (PM_LABELS + 1) / 2, HINGE_PRED, False),
    ],
    "CategoricalHinge": [("default", {}, np.eye(K)[[1, 0, 2, 1]], CAT_HINGE_PRED, False)],
    "KLDivergence": [("default", {}, _probs((N, K)), _probs((N, K)), True)],
    "Poisson": [
        (
            "default",
            {},
            RNG.integers(0, 4, (N, K)).astype(float),
            RNG.uniform(0.2, 3.0, (N, K)),
            True,
        )
    ],
    "CosineSimilarity": [
        ("last_axis", {}, REG_TRUE, REG_PRED, True),
        ("axis0", {"axis": 0}, REG_TRUE, REG_PRED, True),
    ],
}

PARAMS = [
    pytest.param(name, *case[1:], id=f"{name}-{case[0]}")
    for name, cases in CASES.items()
    for case in cases
]


def _loss_classes():
    return sorted(
        name
        for name in L.__all__
        if inspect.isclass(getattr(L, name))
        and issubclass(getattr(L, name), L.Loss)
        and name not in ("Loss", "LossFunctionWrapper")
    )


def test_every_loss_class_has_a_gradient_case():
    assert sorted(CASES) == _loss_classes()


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "none"])
@pytest.mark.parametrize("name, kwargs, y_true, y_pred, true_differentiable", PARAMS)
def test_loss_gradients_match_finite_differences(
    name, kwargs, y_true, y_pred, true_differentiable, reduction
):
    loss = getattr(L, name)(reduction=reduction, dtype="float64", **kwargs)
    wrt = [0, 1] if true_differentiable else [1]
    check_gradients(lambda t, p: loss(t, p), [y_true, y_pred], wrt=wrt)


@pytest.mark.parametrize("name, kwargs, y_true, y_pred, true_differentiable", PARAMS)
def test_loss_with_sample_weight_gradients(name, kwargs, y_true, y_pred, true_differentiable):
    loss = getattr(L, name)(dtype="float64", **kwargs)
    per_sample = getattr(L, name)(reduction="none", **kwargs)(y_true, y_pred)
    weights = np.resize([1.0, 0.5, 0.0, 2.0, 0.7], per_sample.shape)
    check_gradients(lambda t, p: loss(t, p, sample_weight=weights), [y_true, y_pred], wrt=[1])


def my_loss(y_true, y_pred):
    return lamina.ops.mean(lamina.ops.square(y_true - y_pred), axis=-1)


def test_plain_function_loss_gets_gradients():
    assert L.get(my_loss) is my_loss
    check_gradients(my_loss, [REG_TRUE, REG_PRED])
    wrapped = L.LossFunctionWrapper(my_loss, dtype="float64")
    check_gradients(lambda t, p: wrapped(t, p), [REG_TRUE, REG_PRED])
    # and it equals the built-in mean squared error, gradient included
    y_pred = lamina.ops.convert_to_tensor(REG_PRED.astype("float32"))
    grads = []
    for fn in (L.LossFunctionWrapper(my_loss), L.MeanSquaredError()):
        with lamina.GradientTape() as tape:
            tape.watch(y_pred)
            value = fn(REG_TRUE.astype("float32"), y_pred)
        grads.append(tape.gradient(value, y_pred).numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)


def test_softmax_output_uses_its_logits():
    # A softmax made by lamina.ops carries its logits, so the loss (and its
    # gradient) stay finite even where the probabilities underflow to 0.
    logits = lamina.ops.convert_to_tensor(np.array([[0.0, 200.0, -200.0]], dtype="float32"))
    with lamina.GradientTape() as tape:
        tape.watch(logits)
        value = L.CategoricalCrossentropy()([[0.0, 0.0, 1.0]], lamina.ops.softmax(logits))
    grad = tape.gradient(value, logits).numpy()
    np.testing.assert_allclose(float(value), 400.0, rtol=1e-6)
    np.testing.assert_allclose(grad, [[0.0, 1.0, -1.0]], atol=1e-6)


@pytest.mark.parametrize(
    "loss, y_true, make_output",
    [
        (L.BinaryCrossentropy(), [[1.0], [0.0]], lamina.ops.sigmoid),
        (L.BinaryFocalCrossentropy(gamma=0.0), [[1.0], [0.0]], lamina.ops.sigmoid),
        (L.SparseCategoricalCrossentropy(), [2, 0], lamina.ops.softmax),
    ],
    ids=["bce", "binary_focal", "sparse_cce"],
)
def test_activation_outputs_use_their_logits(loss, y_true, make_output):
    # Saturated outputs: probabilities round to 0 or 1, yet loss and gradient
    # equal the from_logits ones, as in Keras.
    logits = np.array([[-120.0], [150.0]]) if "Binary" in type(loss).__name__ else None
    if logits is None:
        logits = np.array([[0.0, 90.0, -90.0], [-100.0, 5.0, 100.0]])
    logits = lamina.ops.convert_to_tensor(logits.astype("float32"))
    reference = type(loss)(**{**loss.get_config(), "from_logits": True})
    results = []
    for fn, x in ((loss, make_output), (reference, lambda t: t)):
        with lamina.GradientTape() as tape:
            tape.watch(logits)
            value = fn(y_true, x(logits))
        results.append((float(value), tape.gradient(value, logits).numpy()))
    assert np.isfinite(results[0][0]) and results[0][0] > 50
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6, atol=1e-7)
