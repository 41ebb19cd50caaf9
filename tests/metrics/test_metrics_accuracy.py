"""Accuracy metrics against hand-computed NumPy references."""

import numpy as np
import pytest

import lamina
from lamina import metrics as M

RNG = np.random.default_rng(3)


def weighted_mean(matches, w=None):
    matches = np.asarray(matches, np.float64)
    if w is None:
        return matches.mean()
    return np.sum(matches * w) / np.sum(w)


@pytest.mark.parametrize(
    "true_shape, pred_shape",
    [((12,), (12, 1)), ((12, 1), (12, 1)), ((12, 1), (12,)), ((12,), (12,))],
)
def test_binary_accuracy_shapes(true_shape, pred_shape):
    y = RNG.integers(0, 2, 12)
    p = RNG.random(12).astype(np.float32)
    w = RNG.random(12)
    m = M.BinaryAccuracy()
    m.update_state(y.reshape(true_shape), p.reshape(pred_shape), sample_weight=w)
    expected = weighted_mean(y == (p > 0.5), w)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)


def test_binary_accuracy_threshold_is_strict():
    m = M.BinaryAccuracy(threshold=0.5)
    m.update_state([1, 0, 1], [0.5, 0.5, 0.51])
    assert float(m.result()) == pytest.approx(2 / 3)
    m = M.BinaryAccuracy(threshold=0.0)
    m.update_state([1.0, 0.0], [0.0, -1.0])  # logits with threshold 0
    assert float(m.result()) == 0.5


def test_binary_accuracy_multilabel_averages_per_sample():
    y = RNG.integers(0, 2, (6, 4))
    p = RNG.random((6, 4))
    m = M.BinaryAccuracy(threshold=0.3)
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), np.mean(y == (p > 0.3)), rtol=1e-6)


def test_categorical_accuracy():
    labels = RNG.integers(0, 4, 20)
    p = RNG.random((20, 4))
    w = RNG.random(20)
    m = M.CategoricalAccuracy()
    m.update_state(np.eye(4)[labels], p, sample_weight=w)
    np.testing.assert_allclose(
        float(m.result()), weighted_mean(labels == p.argmax(1), w), rtol=1e-6
    )


@pytest.mark.parametrize(
    "shape, dtype",
    [((20,), np.int64), ((20, 1), np.int32), ((20,), np.float32), ((20, 1), np.float64)],
)
def test_sparse_categorical_accuracy_label_forms(shape, dtype):
    labels = RNG.integers(0, 4, 20)
    p = RNG.random((20, 4)).astype(np.float32)
    m = M.SparseCategoricalAccuracy()
    m.update_state(labels.reshape(shape).astype(dtype), p)
    np.testing.assert_allclose(float(m.result()), np.mean(labels == p.argmax(1)), rtol=1e-6)


def test_sparse_categorical_accuracy_non_integer_labels_never_match():
    m = M.SparseCategoricalAccuracy()
    m.update_state([1.5, 1.0], [[0.1, 0.9], [0.1, 0.9]])
    assert float(m.result()) == 0.5


def test_sparse_categorical_accuracy_sequence_outputs():
    labels = RNG.integers(0, 3, (4, 5))
    p = RNG.random((4, 5, 3))
    m = M.SparseCategoricalAccuracy()
    m.update_state(labels, p)
    np.testing.assert_allclose(float(m.result()), np.mean(labels == p.argmax(-1)), rtol=1e-6)


def test_argmax_ties_pick_the_first_class():
    m = M.SparseCategoricalAccuracy()
    m.update_state([0, 1], [[0.5, 0.5], [0.5, 0.5]])
    assert float(m.result()) == 0.5


def brute_top_k(labels, p, k):
    # Ties at the boundary count as inside: fewer than k strictly higher scores.
    higher = np.sum(p > p[np.arange(len(labels)), labels][:, None], axis=1)
    return higher < k


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_accuracies(k):
    labels = RNG.integers(0, 5, 30)
    p = np.round(RNG.random((30, 5)), 1)  # rounding makes ties
    w = RNG.random(30)
    expected = weighted_mean(brute_top_k(labels, p, k), w)
    m = M.TopKCategoricalAccuracy(k=k)
    m.update_state(np.eye(5)[labels], p, sample_weight=w)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)
    s = M.SparseTopKCategoricalAccuracy(k=k)
    s.update_state(labels.reshape(-1, 1), p, sample_weight=w)
    np.testing.assert_allclose(float(s.result()), expected, rtol=1e-6)


def test_in_top_k_ties_out_of_range_and_non_finite():
    from lamina.metrics.accuracy_metrics import in_top_k

    p = np.array([[0.3, 0.3, 0.3, 0.1], [0.1, 0.2, 0.3, 0.4], [np.nan, 0.1, 0.2, 0.3]])
    np.testing.assert_array_equal(in_top_k(np.array([2, 7, 0]), p, 1), [True, False, False])
    np.testing.assert_array_equal(in_top_k(np.array([3, -1, 3]), p, 1), [False, False, True])


def test_sparse_top_k_from_sorted_ids():
    ids = np.array([[3, 1, 0], [2, 0, 1]])
    m = M.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    m.update_state([1, 1], ids)
    assert float(m.result()) == 0.5


def test_accuracy_exact_match():
    m = M.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 0.5


@pytest.mark.parametrize(
    "fn, args, expected",
    [
        (M.binary_accuracy, ([[1], [0]], [[0.7], [0.6]]), [[1.0], [0.0]]),
        (M.categorical_accuracy, ([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]]), [1.0, 0.0]),
        (M.sparse_categorical_accuracy, ([[1], [0]], [[0.2, 0.8], [0.3, 0.7]]), [1.0, 0.0]),
        # k defaults to 5: with 3 classes every label is in the top k.
        (M.top_k_categorical_accuracy, ([[0, 0, 1]], [[0.5, 0.3, 0.2]]), [1.0]),
        (M.sparse_top_k_categorical_accuracy, ([2], [[0.5, 0.3, 0.2]]), [1.0]),
        (M.accuracy, ([1, 2], [1.0, 3.0]), [1.0, 0.0]),
    ],
)
def test_function_forms(fn, args, expected):
    out = fn(*args)
    assert isinstance(out, lamina.Tensor) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), np.asarray(expected, np.float32))


def test_top_k_function_k():
    out = M.top_k_categorical_accuracy([[0, 0, 1], [1, 0, 0]], [[0.5, 0.3, 0.2]] * 2, k=2)
    np.testing.assert_array_equal(out.numpy(), [0.0, 1.0])


def test_function_forms_follow_floatx():
    lamina.config.set_floatx("float64")
    assert M.binary_accuracy([1.0], [0.9]).dtype == np.float64
    assert M.SparseCategoricalAccuracy().dtype == "float64"


def test_float64_inputs_and_metric():
    y = RNG.integers(0, 2, 50)
    p = RNG.random(50)  # float64 predictions
    m = M.BinaryAccuracy(dtype="float64")
    m.update_state(y, p)
    assert m.result().dtype == np.float64
    assert float(m.result()) == pytest.approx(np.mean(y == (p > 0.5)), rel=1e-15)


def test_accumulates_across_batches_and_resets():
    m = M.SparseCategoricalAccuracy()
    labels = RNG.integers(0, 3, 40)
    p = RNG.random((40, 3))
    for i in range(0, 40, 10):
        m.update_state(labels[i : i + 10], p[i : i + 10])
    np.testing.assert_allclose(float(m.result()), np.mean(labels == p.argmax(1)), rtol=1e-6)
    m.reset_state()
    assert float(m.result()) == 0.0
