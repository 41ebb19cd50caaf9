"""Regression, cross-entropy and hinge metrics: NumPy references and lamina.losses agreement."""

import warnings

import numpy as np
import pytest

import lamina
from lamina import metrics as M

RNG = np.random.default_rng(11)


def weighted(values, w=None):
    values = np.asarray(values, np.float64)
    if w is None:
        return values.mean()
    return np.sum(values * w) / np.sum(w)


def probs(n, k):
    p = RNG.random((n, k)) + 0.05
    return (p / p.sum(-1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize(
    "cls, ref",
    [
        (M.MeanSquaredError, lambda y, p: np.mean((y - p) ** 2, axis=-1)),
        (M.MeanAbsoluteError, lambda y, p: np.mean(np.abs(y - p), axis=-1)),
        (
            M.MeanAbsolutePercentageError,
            lambda y, p: 100 * np.mean(np.abs(y - p) / np.maximum(np.abs(y), 1e-7), axis=-1),
        ),
        (
            M.MeanSquaredLogarithmicError,
            lambda y, p: np.mean(
                (np.log1p(np.maximum(p, 1e-7)) - np.log1p(np.maximum(y, 1e-7))) ** 2, axis=-1
            ),
        ),
        (M.LogCoshError, lambda y, p: np.mean(np.log(np.cosh(p - y)), axis=-1)),
    ],
)
def test_mean_errors_against_numpy(cls, ref):
    y = RNG.normal(size=(8, 3))
    p = RNG.normal(size=(8, 3))
    w = RNG.random(8)
    m = cls()
    m.update_state(y[:5], p[:5], sample_weight=w[:5])
    m.update_state(y[5:], p[5:], sample_weight=w[5:])
    np.testing.assert_allclose(float(m.result()), weighted(ref(y, p), w), rtol=2e-6)


def test_column_targets_against_flat_labels():
    # (n,) targets against (n, 1) outputs are aligned, not broadcast to (n, n).
    y = RNG.normal(size=10)
    p = RNG.normal(size=(10, 1))
    m = M.MeanSquaredError()
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), np.mean((y - p[:, 0]) ** 2), rtol=1e-6)


def test_root_mean_squared_error():
    y = RNG.normal(size=(12, 2))
    p = RNG.normal(size=(12, 2))
    w = RNG.random(12)
    m = M.RootMeanSquaredError()
    m.update_state(y[:6], p[:6], sample_weight=w[:6])
    m.update_state(y[6:], p[6:], sample_weight=w[6:])
    expected = np.sqrt(weighted(np.mean((y - p) ** 2, axis=1), w))
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)


def test_cosine_similarity_metric_and_axis():
    y = RNG.normal(size=(5, 4))
    p = RNG.normal(size=(5, 4))
    cos = np.sum(y * p, -1) / np.linalg.norm(y, axis=-1) / np.linalg.norm(p, axis=-1)
    m = M.CosineSimilarity()
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), cos.mean(), rtol=1e-5)
    cos0 = np.sum(y * p, 0) / np.linalg.norm(y, axis=0) / np.linalg.norm(p, axis=0)
    m0 = M.CosineSimilarity(axis=0)
    m0.update_state(y, p)
    # One value per column: the mean counts the 4 columns as samples, as in Keras.
    np.testing.assert_allclose(float(m0.result()), cos0.mean(), rtol=1e-5)
    np.testing.assert_allclose(M.cosine_similarity(y, p).numpy(), cos, rtol=1e-5)
    zero = M.CosineSimilarity()
    zero.update_state([[0.0, 0.0]], [[1.0, 0.0]])
    assert float(zero.result()) == 0.0


def r2_reference(y, p, w=None):
    w = np.ones(len(y)) if w is None else w
    w = w[:, None]
    mean = np.sum(w * y, 0) / np.sum(w, 0)
    ss_tot = np.sum(w * (y - mean) ** 2, 0)
    ss_res = np.sum(w * (y - p) ** 2, 0)
    return 1 - ss_res / ss_tot, ss_tot


def test_r2_score_aggregations():
    y = RNG.normal(size=(30, 3))
    p = y + 0.5 * RNG.normal(size=(30, 3))
    w = RNG.random(30)
    raw, ss_tot = r2_reference(y, p, w)
    for aggregation, expected in [
        ("uniform_average", raw.mean()),
        ("variance_weighted_average", np.sum(raw * ss_tot) / np.sum(ss_tot)),
        (None, raw),
    ]:
        m = M.R2Score(class_aggregation=aggregation, dtype="float64")
        m.update_state(y[:10], p[:10], sample_weight=w[:10])
        m.update_state(y[10:], p[10:], sample_weight=w[10:])
        np.testing.assert_allclose(np.asarray(m.result()), expected, rtol=1e-10)


def test_r2_adjusted_and_errors():
    y = RNG.normal(size=(30, 1))
    p = y + 0.5 * RNG.normal(size=(30, 1))
    raw, _ = r2_reference(y, p)
    m = M.R2Score(num_regressors=3, dtype="float64")
    m.update_state(y, p)
    n, k = 30, 3
    np.testing.assert_allclose(
        float(m.result()), 1 - (1 - raw[0]) * (n - 1) / (n - k - 1), rtol=1e-10
    )
    with pytest.raises(ValueError, match=r"y\.reshape\(-1, 1\)"):
        M.R2Score().update_state(np.ones(3), np.ones(3))
    with pytest.raises(ValueError, match="'class_aggregation' argument of R2Score"):
        M.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="'num_regressors' argument of R2Score"):
        M.R2Score(num_regressors=-1)
    few = M.R2Score(num_regressors=5)
    few.update_state(y[:3], p[:3])
    with pytest.warns(UserWarning, match="More independent predictors"):
        few.result()


# ---------------------------------------------------------------------------
# Every loss-based metric averages exactly what the lamina.losses function returns.

LOSS_METRICS = [
    (M.MeanSquaredError, "mean_squared_error", {}, "regression"),
    (M.MeanAbsoluteError, "mean_absolute_error", {}, "regression"),
    (M.MeanAbsolutePercentageError, "mean_absolute_percentage_error", {}, "regression"),
    (M.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error", {}, "positive"),
    (M.LogCoshError, "log_cosh", {}, "regression"),
    (M.KLDivergence, "kl_divergence", {}, "probs"),
    (M.Poisson, "poisson", {}, "positive"),
    (M.Hinge, "hinge", {}, "binary"),
    (M.SquaredHinge, "squared_hinge", {}, "binary"),
    (M.CategoricalHinge, "categorical_hinge", {}, "onehot"),
    (M.BinaryCrossentropy, "binary_crossentropy", {}, "binary"),
    (
        M.BinaryCrossentropy,
        "binary_crossentropy",
        {"from_logits": True, "label_smoothing": 0.2},
        "binary_logits",
    ),
    (M.CategoricalCrossentropy, "categorical_crossentropy", {}, "onehot"),
    (
        M.CategoricalCrossentropy,
        "categorical_crossentropy",
        {"from_logits": True, "label_smoothing": 0.1},
        "onehot_logits",
    ),
    (M.SparseCategoricalCrossentropy, "sparse_categorical_crossentropy", {}, "sparse"),
    (
        M.SparseCategoricalCrossentropy,
        "sparse_categorical_crossentropy",
        {"from_logits": True},
        "sparse_logits",
    ),
]


def make_data(kind, dtype):
    n, k = 9, 4
    if kind == "regression":
        return RNG.normal(size=(n, k)).astype(dtype), RNG.normal(size=(n, k)).astype(dtype)
    if kind == "positive":
        return (RNG.random((n, k)) * 3).astype(dtype), (RNG.random((n, k)) * 3).astype(dtype)
    if kind == "probs":
        return probs(n, k).astype(dtype), probs(n, k).astype(dtype)
    if kind == "binary":
        return RNG.integers(0, 2, (n, k)).astype(dtype), RNG.random((n, k)).astype(dtype)
    if kind == "binary_logits":
        return RNG.integers(0, 2, (n, k)).astype(dtype), RNG.normal(size=(n, k)).astype(dtype)
    labels = RNG.integers(0, k, n)
    if kind == "onehot":
        return np.eye(k, dtype=dtype)[labels], probs(n, k).astype(dtype)
    if kind == "onehot_logits":
        return np.eye(k, dtype=dtype)[labels], RNG.normal(size=(n, k)).astype(dtype)
    if kind == "sparse":
        return labels, probs(n, k).astype(dtype)
    return labels.reshape(-1, 1), RNG.normal(size=(n, k)).astype(dtype)


@pytest.mark.parametrize(
    "cls, fn_name, kwargs, kind", LOSS_METRICS, ids=lambda x: x if isinstance(x, str) else None
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_metric_matches_loss_function(cls, fn_name, kwargs, kind, dtype):
    y, p = make_data(kind, dtype)
    w = RNG.random(len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_sample = np.asarray(getattr(lamina.losses, fn_name)(y, p, **kwargs), np.float64)
    metric_dtype = "float64" if dtype == np.float64 else "float32"
    m = cls(dtype=metric_dtype, **kwargs)
    m.update_state(y, p, sample_weight=w)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(float(m.result()), weighted(per_sample, w), rtol=rtol)
    # The function forms exported by lamina.metrics are the loss functions themselves.
    assert getattr(M, fn_name) is getattr(lamina.losses, fn_name)


def test_sparse_crossentropy_rejects_bad_labels():
    m = M.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\).*subtract 1"):
        m.update_state([1, 3], [[0.2, 0.3, 0.5]] * 2)
    with pytest.raises(ValueError, match="For one-hot labels use CategoricalCrossentropy"):
        m.update_state(np.eye(3), [[0.2, 0.3, 0.5]] * 3)


def test_categorical_crossentropy_rejects_integer_labels():
    m = M.CategoricalCrossentropy()
    with pytest.raises(ValueError, match="For integer labels use SparseCategoricalCrossentropy"):
        m.update_state([0, 2], [[0.2, 0.3, 0.5]] * 2)


def test_binary_crossentropy_aligns_flat_labels():
    y = RNG.integers(0, 2, 10)
    p = RNG.random((10, 1)).astype(np.float32)
    m = M.BinaryCrossentropy()
    m.update_state(y, p)
    p32 = np.clip(p[:, 0], 1e-7, 1 - 1e-7)
    expected = -np.mean(y * np.log(p32) + (1 - y) * np.log(1 - p32))
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-5)


def test_sparse_crossentropy_ignore_class():
    y = np.array([0, 1, 2, 1])
    p = probs(4, 3)
    ce = -np.log(p[np.arange(4), y])
    ce[0] = 0.0
    m = M.SparseCategoricalCrossentropy(ignore_class=0)
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), ce.mean(), rtol=1e-5)  # counted, as Keras
    m = M.SparseCategoricalCrossentropy(ignore_class=0)
    m.update_state(y, p, sample_weight=np.ones(4))
    np.testing.assert_allclose(float(m.result()), ce.sum() / 3, rtol=1e-5)
