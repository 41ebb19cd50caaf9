"""Sample weights, masks, reductions, shapes and dtypes of loss objects (Keras 3 rules)."""

import numpy as np
import pytest

import lamina
import lamina.losses as L
from lamina.losses import loss as loss_module

Y_TRUE = np.array([[0.0, 1.0], [0.0, 0.0], [1.0, 1.0], [0.5, -1.0]], dtype="float32")
Y_PRED = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 3.0], [0.5, 1.0]], dtype="float32")
PER_SAMPLE = np.mean((Y_TRUE - Y_PRED) ** 2, axis=-1)  # [0.5, 0.5, 2.5, 2.0]
WEIGHTS = np.array([0.7, 0.3, 0.0, 2.0], dtype="float32")


def _mse(reduction, **kwargs):
    return L.MeanSquaredError(reduction=reduction)(Y_TRUE, Y_PRED, **kwargs).numpy()


def test_keras_docstring_numbers():
    y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]
    mse = L.MeanSquaredError()
    assert float(mse(y_true, y_pred)) == pytest.approx(0.5)
    assert float(mse(y_true, y_pred, sample_weight=[0.7, 0.3])) == pytest.approx(0.25)
    assert float(L.MeanSquaredError(reduction="sum")(y_true, y_pred)) == pytest.approx(1.0)
    np.testing.assert_allclose(L.MeanSquaredError(reduction=None)(y_true, y_pred), [0.5, 0.5])


@pytest.mark.parametrize(
    "reduction, expected",
    [
        ("sum_over_batch_size", PER_SAMPLE.mean()),
        ("mean", PER_SAMPLE.mean()),
        ("mean_with_sample_weight", PER_SAMPLE.mean()),  # no weights: plain mean
        ("sum", PER_SAMPLE.sum()),
        ("none", PER_SAMPLE),
        (None, PER_SAMPLE),
    ],
)
def test_reductions_without_weights(reduction, expected):
    np.testing.assert_allclose(_mse(reduction), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "reduction, expected",
    [
        ("sum_over_batch_size", (WEIGHTS * PER_SAMPLE).sum() / 4),  # divides by the count
        ("mean", (WEIGHTS * PER_SAMPLE).sum() / 4),
        ("mean_with_sample_weight", (WEIGHTS * PER_SAMPLE).sum() / WEIGHTS.sum()),
        ("sum", (WEIGHTS * PER_SAMPLE).sum()),
        ("none", WEIGHTS * PER_SAMPLE),
    ],
)
@pytest.mark.parametrize("weight_shape", [(4,), (4, 1)])
def test_reductions_with_sample_weight(reduction, expected, weight_shape):
    got = _mse(reduction, sample_weight=WEIGHTS.reshape(weight_shape))
    if reduction == "none":
        # Keras expands the (n,) losses to meet (n, 1) weights, and keeps that shape.
        expected = expected.reshape(weight_shape)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_scalar_sample_weight_scales_the_loss():
    np.testing.assert_allclose(
        _mse("sum_over_batch_size", sample_weight=2.0), 2 * PER_SAMPLE.mean()
    )


def test_zero_weights_give_zero_not_nan():
    got = _mse("mean_with_sample_weight", sample_weight=np.zeros(4, "float32"))
    assert got == 0.0


def test_per_timestep_sample_weight():
    y_true = np.arange(24, dtype="float32").reshape(2, 3, 4) / 10
    y_pred = y_true[::-1]
    per_step = np.mean((y_true - y_pred) ** 2, axis=-1)  # (2, 3)
    weights = np.array([[1.0, 0.0, 2.0], [0.5, 0.5, 0.0]], dtype="float32")
    got = L.MeanSquaredError()(y_true, y_pred, sample_weight=weights)
    np.testing.assert_allclose(float(got), (weights * per_step).sum() / 6, rtol=1e-6)


def test_sample_weight_of_wrong_length_is_explained():
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\).*losses of shape \(4,\)"):
        L.MeanSquaredError()(Y_TRUE, Y_PRED, sample_weight=[1.0, 2.0, 3.0])


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_scalar_loss_from_call_is_not_divided(reduction):
    class Total(L.Loss):
        def call(self, y_true, y_pred):
            return lamina.ops.sum(lamina.ops.abs(y_true - y_pred))

    assert float(Total(reduction=reduction)([1.0, 2.0], [0.0, 0.0])) == 3.0


def test_empty_batch_gives_empty_losses():
    out = L.MeanSquaredError()(np.zeros((0, 2)), np.zeros((0, 2)))
    assert out.shape == (0,)


# ---------------------------------------------------------------------------
# ignore_class: a mask on the per-sample losses


LABELS = np.array([0, 2, 1, 0, 2])
PROBS = np.array(
    [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4], [0.25, 0.25, 0.5]],
    dtype="float32",
)
NLL = -np.log(PROBS[np.arange(5), LABELS])
VALID = LABELS != 0


@pytest.mark.parametrize(
    "reduction, expected",
    [
        ("sum_over_batch_size", NLL[VALID].mean()),  # averaged over the valid entries only
        ("mean", NLL[VALID].mean()),
        ("sum", NLL[VALID].sum()),
        ("mean_with_sample_weight", NLL[VALID].mean()),
        ("none", np.where(VALID, NLL, 0.0)),
    ],
)
def test_ignore_class_masks_the_reduction(reduction, expected):
    loss = L.SparseCategoricalCrossentropy(ignore_class=0, reduction=reduction)
    np.testing.assert_allclose(loss(LABELS, PROBS).numpy(), expected, rtol=1e-5)


def test_ignore_class_with_sample_weight():
    w = np.array([1.0, 2.0, 0.5, 3.0, 1.0], dtype="float32")
    loss = L.SparseCategoricalCrossentropy(ignore_class=0)
    expected = (w * NLL * VALID).sum() * (5 / VALID.sum()) / 5
    np.testing.assert_allclose(float(loss(LABELS, PROBS, sample_weight=w)), expected, rtol=1e-5)
    loss = L.SparseCategoricalCrossentropy(ignore_class=0, reduction="mean_with_sample_weight")
    expected = (w * NLL * VALID).sum() / (w * VALID).sum()
    np.testing.assert_allclose(float(loss(LABELS, PROBS, sample_weight=w)), expected, rtol=1e-5)


def test_all_ignored_gives_zero():
    loss = L.SparseCategoricalCrossentropy(ignore_class=0)
    assert float(loss([0, 0], PROBS[:2])) == 0.0


def test_ignore_class_function_zeroes_entries_and_ignores_segmentation_void():
    labels = np.array([[0, 255], [1, 1]])  # 255 = "void" pixels
    probs = np.full((2, 2, 2), 0.5, dtype="float32")
    out = L.sparse_categorical_crossentropy(labels, probs, ignore_class=255)
    np.testing.assert_allclose(out.numpy(), [[np.log(2), 0.0], [np.log(2), np.log(2)]], rtol=1e-6)
    loss = L.SparseCategoricalCrossentropy(ignore_class=255)
    np.testing.assert_allclose(float(loss(labels, probs)), np.log(2), rtol=1e-6)


def test_masks_are_released_with_their_tensors():
    before = len(loss_module._MASKS)
    for _ in range(50):
        L.SparseCategoricalCrossentropy(ignore_class=0)(LABELS, PROBS)
    assert len(loss_module._MASKS) <= before + 1


# ---------------------------------------------------------------------------
# shapes, inputs and dtypes


def test_column_targets_against_flat_predictions_do_not_broadcast():
    y = np.array([1.0, 2.0, 3.0], dtype="float32")
    p = np.array([[1.5], [2.0], [2.0]], dtype="float32")
    expected = np.mean((y - p[:, 0]) ** 2)
    assert float(L.MeanSquaredError()(y, p)) == pytest.approx(expected)
    assert float(L.MeanSquaredError()(p, y)) == pytest.approx(expected)
    assert L.mean_squared_error(y, p).shape == (3,)
    bce = L.BinaryCrossentropy()
    labels, probs = np.array([1.0, 0.0, 1.0]), np.array([[0.9], [0.2], [0.6]])
    expected = -np.mean(labels * np.log(probs[:, 0]) + (1 - labels) * np.log(1 - probs[:, 0]))
    assert float(bce(labels, probs)) == pytest.approx(expected, rel=1e-5)


def test_sparse_labels_as_column_or_float():
    flat = L.SparseCategoricalCrossentropy()(LABELS, PROBS)
    column = L.SparseCategoricalCrossentropy()(LABELS.reshape(-1, 1), PROBS)
    floats = L.SparseCategoricalCrossentropy()(LABELS.astype("float64"), PROBS)
    assert float(flat) == pytest.approx(NLL.mean(), rel=1e-5)
    assert float(column) == float(flat) == float(floats)


def test_inputs_may_be_lists_arrays_or_tensors():
    expected = PER_SAMPLE.mean()
    loss = L.MeanSquaredError()
    assert float(loss(Y_TRUE.tolist(), Y_PRED.tolist())) == pytest.approx(expected)
    assert float(loss(Y_TRUE.astype("float64"), Y_PRED)) == pytest.approx(expected)
    tensors = lamina.ops.convert_to_tensor(Y_TRUE), lamina.ops.convert_to_tensor(Y_PRED)
    assert float(loss(*tensors)) == pytest.approx(expected)


def test_pandas_inputs():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(Y_TRUE, columns=["a", "b"])
    assert float(L.MeanSquaredError()(frame, Y_PRED)) == pytest.approx(PER_SAMPLE.mean())
    series = pd.Series([1.0, 0.0])
    assert float(L.BinaryCrossentropy()(series, [[0.5], [0.5]])) == pytest.approx(np.log(2))


def test_loss_dtype():
    assert L.MeanSquaredError().dtype == "float32"
    out = L.MeanSquaredError()(Y_TRUE.astype("float64"), Y_PRED.astype("float64"))
    assert out.dtype == np.float32  # cast to the loss's dtype, as in Keras
    out = L.MeanSquaredError(dtype="float64")(Y_TRUE, Y_PRED)
    assert out.dtype == np.float64
    lamina.config.set_floatx("float64")
    assert L.Huber().dtype == "float64"


def test_invalid_reduction_is_explained():
    with pytest.raises(ValueError, match=r"'reduction' argument.*Got 'avg' instead"):
        L.MeanSquaredError(reduction="avg")


def test_keras2_auto_reduction_means_sum_over_batch_size():
    assert L.MeanSquaredError(reduction="auto").reduction == "sum_over_batch_size"


def test_names():
    class MyCustomLoss(L.Loss):
        def call(self, y_true, y_pred):
            return y_pred

    first, second = MyCustomLoss(), MyCustomLoss()
    assert first.name.startswith("my_custom_loss")
    assert second.name != first.name
    assert L.Huber().name == "huber_loss"
    assert L.KLDivergence().name == "kl_divergence"
    with pytest.raises(NotImplementedError, match="must implement call"):
        L.Loss()([1.0], [1.0])


# ---------------------------------------------------------------------------
# Focal losses have no Keras fixture: check them against NumPy formulas.


def test_binary_focal_crossentropy_formula():
    rng = np.random.default_rng(5)
    t = rng.integers(0, 2, (4, 3)).astype("float64")
    p = rng.uniform(0.05, 0.95, (4, 3))
    s, alpha, gamma = 0.1, 0.3, 1.5
    ts = t * (1 - s) + 0.5 * s
    bce = -(ts * np.log(p) + (1 - ts) * np.log(1 - p))
    p_t = ts * p + (1 - ts) * (1 - p)
    weight = ts * alpha + (1 - ts) * (1 - alpha)
    expected = np.mean(weight * (1 - p_t) ** gamma * bce, axis=-1)
    got = L.binary_focal_crossentropy(
        t, p, apply_class_balancing=True, alpha=alpha, gamma=gamma, label_smoothing=s
    )
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-10)
    logits = np.log(p / (1 - p))
    from_logits = L.binary_focal_crossentropy(
        t,
        logits,
        apply_class_balancing=True,
        alpha=alpha,
        gamma=gamma,
        label_smoothing=s,
        from_logits=True,
    )
    np.testing.assert_allclose(from_logits.numpy(), expected, rtol=1e-8)


def test_categorical_focal_crossentropy_formula():
    rng = np.random.default_rng(6)
    t = np.eye(3)[rng.integers(0, 3, 4)]
    p = rng.uniform(0.1, 1.0, (4, 3))
    q = p / p.sum(-1, keepdims=True)
    expected = np.sum(-0.25 * (1 - q) ** 2.0 * t * np.log(q), axis=-1)
    np.testing.assert_allclose(L.categorical_focal_crossentropy(t, p).numpy(), expected, rtol=1e-10)
    logits = np.log(q) + 3.0
    got = L.categorical_focal_crossentropy(t, logits, from_logits=True)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-8)
