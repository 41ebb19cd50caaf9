"""Precision, Recall, confusion counts and AUC against brute-force references."""

import numpy as np
import pytest

from lamina import metrics as M

RNG = np.random.default_rng(5)
EPS = 1e-7


def brute_counts(y, p, thresholds, w=None):
    """TP, FP, TN, FN per threshold by direct comparison ``p > t``."""
    y = np.asarray(y).reshape(-1) != 0
    p = np.asarray(p, np.float64).reshape(-1)
    w = np.ones_like(p) if w is None else np.broadcast_to(w, p.shape).astype(np.float64)
    out = []
    for t in thresholds:
        pos = p > t
        out.append(
            [
                np.sum(w * (y & pos)),
                np.sum(w * (~y & pos)),
                np.sum(w * (~y & ~pos)),
                np.sum(w * (y & ~pos)),
            ]
        )
    return np.array(out).T  # rows: tp, fp, tn, fn


def safe_div(a, b):
    return np.where(b != 0, a / np.where(b != 0, b, 1), 0.0)


def data(n=60):
    y = RNG.integers(0, 2, n)
    p = RNG.random(n).astype(np.float32)
    w = RNG.random(n).astype(np.float32)
    return y, p, w


@pytest.mark.parametrize("thresholds", [None, 0.3, [0.2, 0.5, 0.8], [0.0, 0.25, 0.5, 0.75, 1.0]])
@pytest.mark.parametrize("weighted", [False, True])
def test_counts_precision_recall(thresholds, weighted):
    y, p, w = data()
    w = w if weighted else None
    ts = [0.5] if thresholds is None else np.atleast_1d(thresholds).tolist()
    tp, fp, tn, fn = brute_counts(y, p, ts, w)
    single = len(ts) == 1
    for cls, expected in [
        (M.TruePositives, tp),
        (M.FalsePositives, fp),
        (M.TrueNegatives, tn),
        (M.FalseNegatives, fn),
        (M.Precision, safe_div(tp, tp + fp)),
        (M.Recall, safe_div(tp, tp + fn)),
    ]:
        m = cls(thresholds=thresholds)
        m.update_state(y[:25], p[:25], sample_weight=None if w is None else w[:25])
        m.update_state(y[25:], p[25:], sample_weight=None if w is None else w[25:])
        got = np.asarray(m.result())
        assert got.shape == (() if single else (len(ts),))
        # Evenly spaced thresholds count TN as (all negatives - FP) in float32, as Keras
        # does: a zero may come out as -5e-7.
        np.testing.assert_allclose(
            got, expected[0] if single else expected, rtol=1e-5, atol=2e-6, err_msg=cls.__name__
        )


def test_precision_recall_undefined_is_zero():
    m = M.Precision()
    m.update_state([1, 1], [0.1, 0.2])  # nothing predicted positive
    assert float(m.result()) == 0.0
    r = M.Recall()
    r.update_state([0, 0], [0.9, 0.2])  # no positives
    assert float(r.result()) == 0.0


def test_precision_recall_top_k_and_class_id():
    y = RNG.integers(0, 2, (30, 4))
    p = RNG.random((30, 4))
    # top_k=2: only the two best scores of each row count as predicted positive.
    top2 = np.zeros_like(p, dtype=bool)
    np.put_along_axis(top2, np.argsort(-p, axis=1)[:, :2], True, axis=1)
    tp = np.sum(top2 & (y == 1))
    fp = np.sum(top2 & (y == 0))
    fn = np.sum(~top2 & (y == 1))
    m = M.Precision(top_k=2)
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), tp / (tp + fp), rtol=1e-6)
    r = M.Recall(top_k=2)
    r.update_state(y, p)
    np.testing.assert_allclose(float(r.result()), tp / (tp + fn), rtol=1e-6)
    # class_id=1 looks at column 1 only, at threshold 0.5.
    c_tp, c_fp = np.sum((p[:, 1] > 0.5) & (y[:, 1] == 1)), np.sum((p[:, 1] > 0.5) & (y[:, 1] == 0))
    c = M.Precision(class_id=1)
    c.update_state(y, p)
    np.testing.assert_allclose(float(c.result()), c_tp / (c_tp + c_fp), rtol=1e-6)


def test_class_id_needs_2d_predictions():
    with pytest.raises(ValueError, match="With class_id, y_pred must be 2-D"):
        M.Precision(class_id=1).update_state([1, 0], [0.3, 0.9])


def test_thresholds_are_checked():
    with pytest.raises(ValueError, match=r"'thresholds' argument of Precision.*\[1.5\]"):
        M.Precision(thresholds=[0.5, 1.5])


# ---------------------------------------------------------------------------
# AUC


def keras_thresholds(num_thresholds):
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return [-EPS] + inner + [1 + EPS]


def brute_auc(y, p, thresholds, w=None, curve="ROC", summation="interpolation"):
    tp, fp, tn, fn = brute_counts(y, np.clip(p, 0, 1), thresholds, w)
    recall = safe_div(tp, tp + fn)
    if curve == "ROC":
        x, h = safe_div(fp, fp + tn), recall
    else:
        x, h = recall, safe_div(tp, tp + fp)
    if summation == "interpolation":
        heights = (h[:-1] + h[1:]) / 2
    elif summation == "minoring":
        heights = np.minimum(h[:-1], h[1:])
    else:
        heights = np.maximum(h[:-1], h[1:])
    return np.sum((x[:-1] - x[1:]) * heights)


@pytest.mark.parametrize("num_thresholds", [3, 7, 200])
@pytest.mark.parametrize(
    "curve, summation",
    [
        ("ROC", "interpolation"),
        ("ROC", "minoring"),
        ("ROC", "majoring"),
        ("PR", "minoring"),
        ("PR", "majoring"),
    ],
)
def test_auc_against_brute_force(num_thresholds, curve, summation):
    y, p, w = data(80)
    m = M.AUC(num_thresholds=num_thresholds, curve=curve, summation_method=summation)
    m.update_state(y[:30], p[:30], sample_weight=w[:30])
    m.update_state(y[30:], p[30:], sample_weight=w[30:])
    expected = brute_auc(y, p, keras_thresholds(num_thresholds), w, curve, summation)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-5, atol=1e-7)


def rank_auc(y, p):
    """Exact ROC AUC: the probability that a positive outranks a negative (ties count half)."""
    pos, neg = p[y == 1], p[y == 0]
    greater = np.sum(pos[:, None] > neg[None, :])
    ties = np.sum(pos[:, None] == neg[None, :])
    return (greater + 0.5 * ties) / (len(pos) * len(neg))


def test_auc_with_every_prediction_as_threshold_is_exact():
    y = RNG.integers(0, 2, 50)
    p = np.round(RNG.random(50), 2)  # ties between positives and negatives
    p = np.clip(p, 0.01, 0.99)
    m = M.AUC(thresholds=np.unique(p).tolist(), dtype="float64")
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), rank_auc(y, p), rtol=1e-10)
    try:
        from sklearn.metrics import roc_auc_score
    except ImportError:
        return
    np.testing.assert_allclose(float(m.result()), roc_auc_score(y, p), rtol=1e-10)


def test_auc_sklearn_if_available():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    y, p, _ = data(200)
    m = M.AUC(num_thresholds=2000)
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), sklearn_metrics.roc_auc_score(y, p), atol=2e-3)


def test_auc_many_thresholds_approaches_rank_auc():
    y, p, _ = data(300)
    m = M.AUC(num_thresholds=5000, dtype="float64")
    m.update_state(y, p)
    assert float(m.result()) == pytest.approx(rank_auc(y, p), abs=1e-3)


def interpolated_pr_area(y, p, thresholds, w=None, steps=4000):
    """Integrate precision over recall with TP and FP linear between thresholds (Davis &
    Goadrich), numerically."""
    tp, fp, _, fn = brute_counts(y, np.clip(p, 0, 1), thresholds, w)
    positives = tp[0] + fn[0]
    area = 0.0
    for i in range(len(thresholds) - 1):
        if tp[i] == tp[i + 1]:
            continue  # recall does not move
        s = (np.arange(steps) + 0.5) / steps  # midpoints along the interval
        tps = tp[i + 1] + s * (tp[i] - tp[i + 1])
        fps = fp[i + 1] + s * (fp[i] - fp[i + 1])
        precision = safe_div(tps, tps + fps)
        area += np.sum(precision) / steps * (tp[i] - tp[i + 1]) / positives
    return area


@pytest.mark.parametrize("num_thresholds", [5, 50])
def test_pr_auc_interpolation_integrates_the_interpolated_curve(num_thresholds):
    y, p, w = data(80)
    m = M.AUC(num_thresholds=num_thresholds, curve="PR", dtype="float64")
    m.update_state(y, p, sample_weight=w)
    expected = interpolated_pr_area(y, p, keras_thresholds(num_thresholds), w)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-4)


def test_auc_multi_label_averages_per_label_aucs():
    y = RNG.integers(0, 2, (40, 3))
    p = RNG.random((40, 3))
    m = M.AUC(multi_label=True, num_thresholds=50)
    m.update_state(y, p)
    singles = []
    for j in range(3):
        s = M.AUC(num_thresholds=50)
        s.update_state(y[:, j], p[:, j])
        singles.append(float(s.result()))
    np.testing.assert_allclose(float(m.result()), np.mean(singles), rtol=1e-6)
    lw = np.array([0.2, 1.0, 3.0])
    mw = M.AUC(multi_label=True, num_thresholds=50, label_weights=lw)
    mw.update_state(y, p)
    np.testing.assert_allclose(float(mw.result()), np.sum(lw * singles) / lw.sum(), rtol=1e-6)
    assert [v.shape for v in m.variables] == [(50, 3)] * 4


def test_auc_pooled_labels_and_label_weights():
    y = RNG.integers(0, 2, (40, 3))
    p = RNG.random((40, 3)).astype(np.float32)
    m = M.AUC(num_thresholds=20)
    m.update_state(y, p)
    flat = M.AUC(num_thresholds=20)
    flat.update_state(y.reshape(-1), p.reshape(-1))
    np.testing.assert_allclose(float(m.result()), float(flat.result()), rtol=1e-6)
    lw = np.array([0.5, 1.0, 2.0])
    weighted = M.AUC(num_thresholds=20, label_weights=lw)
    weighted.update_state(y, p)
    expected = brute_auc(y, p, keras_thresholds(20), w=np.broadcast_to(lw, y.shape).reshape(-1))
    np.testing.assert_allclose(float(weighted.result()), expected, rtol=1e-5)


def test_auc_from_logits_equals_auc_of_sigmoid():
    y = RNG.integers(0, 2, 50)
    logits = RNG.normal(size=50) * 2
    a = M.AUC(from_logits=True)
    a.update_state(y, logits)
    b = M.AUC()
    b.update_state(y, 1 / (1 + np.exp(-logits)))
    np.testing.assert_allclose(float(a.result()), float(b.result()), rtol=1e-6)


def test_auc_perfect_and_reversed_and_reset():
    m = M.AUC()
    m.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert float(m.result()) == pytest.approx(1.0)
    m.reset_state()
    assert float(m.result()) == 0.0
    m.update_state([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])
    assert float(m.result()) == pytest.approx(0.0, abs=1e-6)


def test_auc_arguments_are_checked():
    with pytest.raises(ValueError, match="'curve' argument of AUC"):
        M.AUC(curve="XYZ")
    with pytest.raises(ValueError, match="'summation_method' argument of AUC"):
        M.AUC(summation_method="simpson")
    with pytest.raises(ValueError, match="'num_thresholds' argument of AUC"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="only used with multi_label=True"):
        M.AUC(num_labels=3)
    with pytest.raises(ValueError, match="needs y_pred of rank 2"):
        M.AUC(multi_label=True).update_state(np.ones(4), np.ones(4))
    assert M.AUC(curve="pr", summation_method="Minoring").curve == "PR"


def test_auc_thresholds_property():
    m = M.AUC(num_thresholds=3)
    np.testing.assert_allclose(m.thresholds, [-EPS, 0.5, 1 + EPS])
    m = M.AUC(thresholds=[0.7, 0.2])
    np.testing.assert_allclose(m.thresholds, [-EPS, 0.2, 0.7, 1 + EPS])
    assert m.get_config()["thresholds"] == [0.2, 0.7]


# ---------------------------------------------------------------------------
# Values at a constraint


@pytest.mark.parametrize(
    "cls, value, constrained, dependent",
    [
        (M.SensitivityAtSpecificity, 0.6, "specificity", "sensitivity"),
        (M.SpecificityAtSensitivity, 0.7, "sensitivity", "specificity"),
        (M.PrecisionAtRecall, 0.5, "sensitivity", "precision"),
        (M.RecallAtPrecision, 0.6, "precision", "sensitivity"),
    ],
)
def test_value_at_constraint(cls, value, constrained, dependent):
    y, p, w = data(80)
    m = cls(value, num_thresholds=30)
    m.update_state(y, p, sample_weight=w)
    ts = [0.0] + [(i + 1) / 29 for i in range(28)] + [1.0]
    tp, fp, tn, fn = brute_counts(y, np.clip(p, 0, 1), ts, w)
    rates = {
        "sensitivity": safe_div(tp, tp + fn),
        "specificity": safe_div(tn, tn + fp),
        "precision": safe_div(tp, tp + fp),
    }
    feasible = rates[constrained] >= value
    expected = np.max(np.where(feasible, rates[dependent], 0.0), initial=0.0)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-5)


def test_value_at_constraint_arguments_are_checked():
    with pytest.raises(ValueError, match="'specificity' argument"):
        M.SensitivityAtSpecificity(1.5)
    with pytest.raises(ValueError, match="'num_thresholds' argument"):
        M.RecallAtPrecision(0.5, num_thresholds=0)


def test_confusion_metric_float64_dtype():
    y, p, w = data()
    m = M.AUC(dtype="float64")
    m.update_state(y, p.astype(np.float64), sample_weight=w)
    assert m.result().dtype == np.float64
    assert all(v.dtype == np.float64 for v in m.variables)
    expected = brute_auc(y, p.astype(np.float64), keras_thresholds(200), w)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-10)
