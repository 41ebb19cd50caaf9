"""Metric base class, Mean, Sum and MeanMetricWrapper against hand-computed NumPy values."""

import numpy as np
import pytest

import lamina
from lamina import metrics as M

RNG = np.random.default_rng(7)


def test_mean_unweighted_and_weighted():
    m = M.Mean()
    m.update_state([1.0, 3.0, 5.0, 7.0])
    assert float(m.result()) == 4.0
    m.update_state([2.0, 2.0], sample_weight=[3.0, 1.0])
    # total = 16 + 8, count = 4 + 4
    assert float(m.result()) == 3.0
    np.testing.assert_array_equal([v.numpy() for v in m.variables], [24.0, 8.0])


def test_mean_per_sample_reduction_with_weights():
    values = RNG.normal(size=(5, 3)).astype(np.float32)
    w = RNG.random(5).astype(np.float32)
    m = M.Mean()
    m.update_state(values, sample_weight=w)
    expected = np.sum(values.mean(axis=1) * w) / np.sum(w)
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)


def test_mean_unweighted_multi_axis_counts_samples():
    values = RNG.normal(size=(4, 2, 3)).astype(np.float32)
    m = M.Mean()
    m.update_state(values)
    assert float(m.count.numpy()) == 4.0
    np.testing.assert_allclose(float(m.result()), values.mean(), rtol=1e-6)


def test_mean_elementwise_weights():
    values = RNG.normal(size=(4, 3)).astype(np.float32)
    w = RNG.random((4, 3)).astype(np.float32)
    m = M.Mean()
    m.update_state(values, sample_weight=w)
    # Keras: values * w averaged per sample, divided by the per-sample mean weight.
    expected = np.sum((values * w).mean(axis=1)) / np.sum(w.mean(axis=1))
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)


def test_mean_scalar_weight_counts_batch_as_weight():
    # Keras: a scalar weight averages the batch first; the batch counts `w` times.
    m = M.Mean()
    m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=2.0)
    assert float(m.total.numpy()) == 8.0 and float(m.count.numpy()) == 2.0
    assert float(m.result()) == 4.0


def test_mean_column_values_with_flat_weights():
    m = M.Mean()
    m.update_state(np.array([[1.0], [2.0], [4.0]]), sample_weight=[1.0, 0.0, 1.0])
    assert float(m.result()) == 2.5


def test_mean_of_batch_losses_weighted_by_batch_size():
    # How fit tracks the loss: one number per batch, weighted by the batch size.
    m = M.Mean(name="loss")
    m.update_state(lamina.ops.convert_to_tensor(2.0), sample_weight=10)
    m.update_state(np.float32(1.0), sample_weight=np.int64(30))
    m.update_state(np.array(4.0), sample_weight=np.ones(()) * 10)  # 0-d array weight
    assert float(m.count.numpy()) == 50.0
    assert float(m.result()) == pytest.approx((20 + 30 + 40) / 50)


def test_mean_scalar_value_counts_one():
    m = M.Mean()
    m.update_state(3.0)
    m.update_state(5.0)
    assert float(m.result()) == 4.0 and float(m.count.numpy()) == 2.0


def test_mean_bad_weight_shape_is_explained():
    m = M.Mean()
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\).*shape \(4,\)"):
        m.update_state(np.ones(4), sample_weight=np.ones(3))


def test_empty_result_is_zero_and_reset_works():
    m = M.Mean()
    assert float(m.result()) == 0.0
    m.update_state([1.0, 2.0])
    total_view = m.total.value
    m.reset_state()
    assert float(m.result()) == 0.0
    assert m.total.value is total_view  # reset writes in place
    m.update_state([4.0])
    assert float(m.result()) == 4.0
    m.reset_states()  # Keras 2 spelling
    assert float(m.count.numpy()) == 0.0


def test_zero_total_weight_gives_zero_not_nan():
    m = M.Mean()
    m.update_state([1.0, 2.0], sample_weight=[0.0, 0.0])
    assert float(m.result()) == 0.0


def test_sum():
    m = M.Sum()
    m.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 4.0
    m.update_state(np.ones((2, 3)))  # per-sample sums: 3 + 3
    assert float(m.result()) == 10.0
    m.reset_state()
    assert float(m.result()) == 0.0


def test_result_is_a_float32_tensor_and_call_updates():
    m = M.Mean()
    r = m([1.0, 2.0])
    assert isinstance(r, lamina.Tensor) and r.shape == () and r.dtype == np.float32
    assert float(r) == 1.5
    assert float(m([3.0])) == 2.0
    assert f"{m.result():.2f}" == "2.00"


def test_accepts_tensors_lists_and_arrays():
    for values in ([1.0, 2.0], np.array([1.0, 2.0]), lamina.ops.convert_to_tensor([1.0, 2.0])):
        m = M.Mean()
        m.update_state(values)
        assert float(m.result()) == 1.5


def test_float32_accumulation_like_keras():
    # 0.1 added 10000 times: float32 accumulation drifts, as it does in Keras.
    m = M.Sum()
    for _ in range(10000):
        m.update_state(np.float32(0.1))
    total = np.float32(0)
    for _ in range(10000):
        total = np.float32(total + np.float32(0.1))
    assert float(m.result()) == float(total)
    assert float(m.result()) != pytest.approx(1000.0, abs=1e-4)


def test_float64_metric_accumulates_in_float64():
    m = M.Sum(dtype="float64")
    for _ in range(10000):
        m.update_state(0.1)
    assert m.result().dtype == np.float64
    assert float(m.result()) == pytest.approx(1000.0, abs=1e-9)
    mean = M.Mean(dtype="float64")
    x = RNG.normal(size=100)
    mean.update_state(x)
    assert float(mean.result()) == pytest.approx(float(np.mean(x)), rel=1e-14)


def test_floatx_float64_is_the_default_dtype():
    lamina.config.set_floatx("float64")
    m = M.Mean()
    assert m.dtype == "float64"
    m.update_state([0.1, 0.2])
    assert m.result().dtype == np.float64


def test_dtype_argument_is_checked():
    with pytest.raises(ValueError, match="'dtype' argument of a metric"):
        M.Mean(dtype="not-a-dtype")


def test_automatic_names_are_unique():
    lamina.utils.clear_session()
    assert M.AUC().name == "auc"
    assert M.AUC().name == "auc_1"
    assert M.Mean().name == "mean"  # a default name, not automatic


def test_variables_are_non_trainable_and_named():
    m = M.Mean(name="loss_mean")
    assert [v.name for v in m.variables] == ["total", "count"]
    assert [v.path for v in m.variables] == ["loss_mean/total", "loss_mean/count"]
    assert not any(v.trainable for v in m.variables)


def test_subclass_without_super_init_is_explained():
    class Broken(M.Metric):
        """No super().__init__()."""

        def __init__(self):
            self.v = self.add_variable(shape=())

    with pytest.raises(RuntimeError, match=r"super\(\).__init__"):
        Broken()


def test_custom_metric_subclass():
    class BinaryTruePositives(M.Metric):
        """Counts true positives."""

        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(
                shape=(), initializer="zeros", name="true_positives"
            )

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = np.logical_and(np.asarray(y_true, bool), np.asarray(y_pred, bool))
            self.true_positives.assign_add(np.sum(values))

        def result(self):
            return self.true_positives

    m = BinaryTruePositives()
    m.update_state([1, 1, 0], [1, 0, 1])
    m.update_state([1], [1])
    assert float(m.result()) == 2.0
    m.reset_state()
    assert float(m.result()) == 0.0
    assert m.get_config() == {"name": "binary_true_positives", "dtype": "float32"}


def test_base_class_methods_must_be_implemented():
    class Empty(M.Metric):
        """Nothing."""

    with pytest.raises(NotImplementedError, match="update_state"):
        Empty().update_state(1, 2)
    with pytest.raises(NotImplementedError, match="result"):
        Empty().result()


# ---------------------------------------------------------------------------
# MeanMetricWrapper


def test_wrapper_with_numpy_function_and_kwargs():
    def within(y_true, y_pred, tol):
        return (np.abs(np.asarray(y_true) - np.asarray(y_pred)) <= tol).astype(np.float32)

    m = M.MeanMetricWrapper(within, name="within", tol=0.5)
    m.update_state([1.0, 2.0, 3.0, 4.0], [1.2, 2.9, 3.0, 5.0])
    assert float(m.result()) == 0.5
    assert m.get_config()["tol"] == 0.5


def test_wrapper_with_lamina_ops_function():
    def abs_err(y_true, y_pred):
        return lamina.ops.mean(lamina.ops.abs(y_true - y_pred), axis=-1)

    m = M.MeanMetricWrapper(abs_err)
    y, p = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2))
    m.update_state(
        lamina.ops.convert_to_tensor(y),
        lamina.ops.convert_to_tensor(p),
        sample_weight=np.arange(6.0),
    )
    expected = np.sum(np.abs(y - p).mean(axis=1) * np.arange(6.0)) / 15.0
    np.testing.assert_allclose(float(m.result()), expected, rtol=1e-6)


def test_wrapper_of_loss_object_counts_batches():
    # A Loss object returns one reduced number per batch: each batch counts once.
    m = M.MeanMetricWrapper(lamina.losses.MeanSquaredError(), name="mse_obj")
    m.update_state([[0.0], [0.0]], [[1.0], [3.0]])  # 5
    m.update_state([[0.0]], [[1.0]])  # 1
    assert float(m.result()) == 3.0
    assert m._direction == "down"


def test_wrapper_applies_loss_mask_only_with_weights():
    # sparse_categorical_crossentropy(ignore_class=0) marks ignored samples; like Keras,
    # the mask reaches the count only when sample weights are given.
    y = np.array([0, 1, 2, 1])
    p = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.3, 0.4, 0.3]], dtype=np.float32
    )
    ce = -np.log(p[np.arange(4), y])
    ce[0] = 0.0
    fn = lamina.losses.sparse_categorical_crossentropy
    m = M.MeanMetricWrapper(fn, ignore_class=0)
    m.update_state(y, p)
    np.testing.assert_allclose(float(m.result()), ce.sum() / 4, rtol=1e-6)
    m = M.MeanMetricWrapper(fn, ignore_class=0)
    m.update_state(y, p, sample_weight=np.ones(4))
    np.testing.assert_allclose(float(m.result()), ce.sum() / 3, rtol=1e-6)


def test_wrapper_needs_a_callable():
    with pytest.raises(TypeError, match="'fn' argument of MeanMetricWrapper"):
        M.MeanMetricWrapper("mse")
