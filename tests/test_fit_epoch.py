"""The fused epoch loop (``_FusedStep.fit_epoch``).

When no callback looks at single batches, ``fit`` hands a whole epoch of
in-memory data to the fused step: it trains batch after batch, keeps the
outputs, and computes the loss and the metrics once at the end. Everything it
reports must equal, to the last bit, what the batch-by-batch loop reports: the
tests run each fit twice, once as is and once with a callback that has an
``on_train_batch_end`` hook (which forces the batch-by-batch loop).
"""

import io
import os
import signal
import sys

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.trainers import fast_path

RNG = np.random.default_rng(7)
X = RNG.normal(size=(103, 5)).astype("float32")  # 103 = 6 * 16 + 7: a short last batch
Y_CLS = (X[:, 0] + X[:, 1] > 0).astype("int64") + (X[:, 2] > 0.5)
Y_REG = (X[:, :2].sum(axis=1, keepdims=True) / 3.0).astype("float32")
SW = RNG.uniform(0.0, 2.0, size=len(X)).astype("float32")


class _BatchHook(lamina.callbacks.Callback):
    """Reads every training batch's logs: fit must then run batch by batch."""

    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def _user_metric(y_true, y_pred):
    return np.abs(y_true.reshape(-1) - y_pred.reshape(-1)) ** 1.5


def _model(kind, seed=3):
    lamina.utils.set_random_seed(seed)
    reg = lamina.regularizers.L2(0.01)
    if kind == "sigmoid_regressor":  # an autoencoder-like output: MSE on a sigmoid
        return lamina.Sequential([lamina.Input((5,)), layers.Dense(8, activation="relu"),
                                  layers.Dense(1, activation="sigmoid")])
    if kind == "float64_layers":  # float64 layers in a float32 (floatx) model
        return lamina.Sequential([lamina.Input((5,)),
                                  layers.Dense(8, activation="relu", dtype="float64"),
                                  layers.Dense(1, dtype="float64")])
    if kind == "zero_penalty":  # a regularizer whose coefficient is 0, among others
        r = lamina.regularizers
        return lamina.Sequential([lamina.Input((5,)),
                                  layers.Dense(7, activation="tanh", kernel_regularizer=r.L2(0.0)),
                                  layers.Dense(1, kernel_regularizer=r.L2(0.013),
                                               bias_regularizer=r.L1(0.0071))])
    if kind == "classifier":
        return lamina.Sequential([lamina.Input((5,)), layers.Dense(8, activation="relu"),
                                  layers.Dropout(0.2), layers.Dense(3, activation="softmax")])
    return lamina.Sequential([lamina.Input((5,)),
                              layers.Dense(8, activation="tanh", kernel_regularizer=reg),
                              layers.BatchNormalization(), layers.Dense(1)])


CASES = {
    "sparse_ce_accuracy": dict(kind="classifier", loss="sparse_categorical_crossentropy",
                               metrics=["accuracy", "sparse_top_k_categorical_accuracy"], y=Y_CLS),
    "sparse_ce_weighted": dict(kind="classifier", loss="sparse_categorical_crossentropy",
                               metrics=["accuracy"], weighted_metrics=["accuracy"], y=Y_CLS,
                               sample_weight=SW),
    "sparse_ce_class_weight": dict(kind="classifier", loss="sparse_categorical_crossentropy",
                                   metrics=["accuracy"], y=Y_CLS,
                                   class_weight={0: 1.0, 1: 2.5, 2: 0.5}),
    "float_labels": dict(kind="classifier", loss="sparse_categorical_crossentropy",
                         metrics=["accuracy"], y=Y_CLS.astype("float32")),
    "one_hot_labels": dict(kind="classifier", loss="categorical_crossentropy",
                           metrics=["accuracy", "auc"], y=np.eye(3, dtype="float32")[Y_CLS]),
    "mse_with_penalty": dict(kind="regressor", loss="mse", metrics=["mae", "mse"], y=Y_REG),
    "mae_rmse_r2": dict(kind="regressor", loss="mae",
                        metrics=[lamina.metrics.RootMeanSquaredError(), "r2_score"], y=Y_REG),
    "user_metric": dict(kind="regressor", loss="mse", metrics=[_user_metric], y=Y_REG),
    "steps_per_epoch": dict(kind="regressor", loss="mse", metrics=["mae"], y=Y_REG,
                            steps_per_epoch=4),
    "mse_on_sigmoid": dict(kind="sigmoid_regressor", loss="mse", metrics=["mae"],
                           y=(Y_REG > 0) * 0.8),
    "float64_layers": dict(kind="float64_layers", loss="mse", metrics=["mae"], y=Y_REG),
    "zero_penalty": dict(kind="zero_penalty", loss="mse", metrics=["mae"], y=Y_REG,
                         batch_size=4),
    "batch_larger_than_data": dict(kind="regressor", loss="mse", metrics=["mae"], y=Y_REG,
                                   batch_size=10**9),
    "sample_weight_column": dict(kind="regressor", loss="mse", metrics=["mae"], y=Y_REG,
                                 sample_weight=SW[:, None]),
    "no_shuffle": dict(kind="classifier", loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"], y=Y_CLS, shuffle=False),
}


def _fit(case, batch_hook, epochs=3, **extra):
    c = dict(CASES[case])
    model = _model(c.pop("kind"))
    model.compile(optimizer="adam", loss=c.pop("loss"), metrics=c.pop("metrics"),
                  weighted_metrics=c.pop("weighted_metrics", None))
    y = c.pop("y")
    hook = _BatchHook()
    c.setdefault("batch_size", 16)
    history = model.fit(X, y, epochs=epochs, verbose=0,
                        callbacks=[hook] if batch_hook else [], **c, **extra)
    return model, history, hook


@pytest.mark.parametrize("case", sorted(CASES))
def test_epoch_loop_reports_what_the_batch_loop_reports(case):
    m1, h1, _ = _fit(case, batch_hook=False)
    m2, h2, hook = _fit(case, batch_hook=True)
    assert hook.batches > 0
    assert isinstance(m1.make_train_function(), fast_path._FusedStep)
    assert h1.history == h2.history  # every logged number, bit for bit
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(m1.optimizer.iterations) == int(m2.optimizer.iterations)


def test_epoch_loop_runs_only_without_batch_hooks(monkeypatch):
    calls = []
    original = fast_path._FusedStep.fit_epoch

    def spy(self, data, interrupt, progress=None):
        calls.append(data.batch_size)
        return original(self, data, interrupt, progress)

    monkeypatch.setattr(fast_path._FusedStep, "fit_epoch", spy)
    _fit("sparse_ce_accuracy", batch_hook=False, epochs=2)
    assert calls == [16, 16]
    calls.clear()
    _fit("sparse_ce_accuracy", batch_hook=True, epochs=2)
    assert calls == []


@pytest.mark.parametrize("case", ["mse_with_penalty", "sparse_ce_weighted", "one_hot_labels"])
@pytest.mark.parametrize("block", [1, 50])
def test_outputs_counted_block_by_block_give_the_same_numbers(monkeypatch, case, block):
    """The epoch loop keeps a block of outputs (here one batch, or a few) and counts it when
    full: the logs and weights must not depend on the block size."""
    m1, h1, _ = _fit(case, batch_hook=False)
    monkeypatch.setattr(fast_path, "_BLOCK_ELEMENTS", block)
    m2, h2, _ = _fit(case, batch_hook=False)
    assert h1.history == h2.history
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    evaluated = m2.evaluate(X, CASES[case]["y"], batch_size=7, verbose=0, return_dict=True)
    monkeypatch.setattr(fast_path, "_BLOCK_ELEMENTS", 1 << 18)
    assert evaluated == m2.evaluate(X, CASES[case]["y"], batch_size=7, verbose=0,
                                    return_dict=True)


def test_ctrl_c_inside_the_epoch_loop_stops_after_the_current_batch(monkeypatch):
    original = lamina.optimizers.Adam._flat_update_function
    steps = []

    def counting(self):
        update = original(self)

        def step(g):
            update(g)
            steps.append(1)
            if len(steps) == 3:
                os.kill(os.getpid(), signal.SIGINT)

        return step

    monkeypatch.setattr(lamina.optimizers.Adam, "_flat_update_function", counting)
    model, history, _ = _fit("sparse_ce_accuracy", batch_hook=False, epochs=5)
    assert len(steps) == 3 and int(model.optimizer.iterations) == 3
    assert len(history.history["loss"]) == 1  # the interrupted epoch, over its 3 batches
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("make", [
    lambda: lamina.optimizers.Adam(0.01),
    lambda: lamina.optimizers.AdamW(0.01, weight_decay=0.1),
    lambda: lamina.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    lambda: lamina.optimizers.RMSprop(0.01, centered=True),
    lambda: lamina.optimizers.Nadam(0.01),
])
def test_flat_update_function_equals_apply_flat(make):
    rng = np.random.default_rng(0)
    results = []
    for use_function in (False, True):
        variables = [lamina.Variable(rng.normal(size=s).astype("float32")) for s in ((3, 4), (4,))]
        rng = np.random.default_rng(0)
        variables[0].assign(rng.normal(size=(3, 4)).astype("float32"))
        variables[1].assign(rng.normal(size=4).astype("float32"))
        fast_path.consolidate(variables)
        opt = make()
        opt.build(variables)
        update = opt._flat_update_function() if use_function else opt.apply_flat
        assert update is not None
        for _ in range(5):
            update(rng.normal(size=16).astype("float32"))
        results.append([v.numpy().copy() for v in variables] + [int(opt.iterations)])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("options", [dict(clipnorm=1.0), dict(use_ema=True),
                                     dict(gradient_accumulation_steps=2),
                                     dict(loss_scale_factor=2.0)])
def test_flat_update_function_declines_options_it_does_not_handle(options):
    variables = [lamina.Variable(np.ones((2, 2), "float32")), lamina.Variable(np.ones(2, "float32"))]
    fast_path.consolidate(variables)
    opt = lamina.optimizers.Adam(**options)
    opt.build(variables)
    assert opt._flat_update_function() is None


class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("block", [None, 16 * 3])  # default, or one batch per block
def test_live_progress_bar_gets_the_logs_of_the_batches_it_draws(monkeypatch, block):
    """A live bar (the only reader of batch logs) does not force the batch-by-batch loop.

    The epoch loop computes a batch's logs only when the bar would redraw (here:
    every third batch); they must be the logs the batch loop gives at that batch.
    """
    monkeypatch.setattr(sys, "stdout", _Terminal())
    if block is not None:  # a block ends right after a drawn batch: nothing left to count
        monkeypatch.setattr(fast_path, "_BLOCK_ELEMENTS", block)
    seen = {True: {}, False: {}}
    hooked = [False]
    original = lamina.callbacks.ProgbarLogger.on_train_batch_end

    def record(self, batch, logs=None):
        seen[hooked[0]][batch] = dict(logs)
        return original(self, batch, logs)

    monkeypatch.setattr(lamina.callbacks.ProgbarLogger, "on_train_batch_end", record)
    monkeypatch.setattr(lamina.callbacks.ProgbarLogger, "would_draw",
                        lambda self, batch: batch % 3 == 0)
    results = {}
    for hook in (False, True):
        hooked[0] = hook
        model = _model("classifier")
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        callbacks = [_BatchHook()] if hook else []
        results[hook] = model.fit(X, Y_CLS, batch_size=16, epochs=1, verbose=1,
                                  callbacks=callbacks).history
    assert sorted(seen[False]) == [0, 3, 6]  # 7 batches, drawn every third
    assert sorted(seen[True]) == list(range(7))
    for batch, logs in seen[False].items():
        assert logs == seen[True][batch]
    assert results[False] == results[True]
    assert "\r" in sys.stdout.getvalue()


class _TestBatchHook(lamina.callbacks.Callback):
    def on_test_batch_end(self, batch, logs=None):
        pass


@pytest.mark.parametrize("case", sorted(CASES))
def test_evaluate_counts_the_batches_as_the_batch_loop_does(case):
    c = CASES[case]
    model, _, _ = _fit(case, batch_hook=False, epochs=1)
    kwargs = {} if c.get("sample_weight") is None else {"sample_weight": c["sample_weight"]}
    y = c["y"]
    fast = model.evaluate(X, y, batch_size=7, verbose=0, return_dict=True, **kwargs)
    slow = model.evaluate(X, y, batch_size=7, verbose=0, return_dict=True,
                          callbacks=[_TestBatchHook()], **kwargs)
    assert fast == slow


@pytest.mark.parametrize("loss,activation,units,y", [
    (lamina.losses.SparseCategoricalCrossentropy(from_logits=True), "softmax", 3, Y_CLS),
    (lamina.losses.BinaryCrossentropy(from_logits=True), "sigmoid", 1, (Y_CLS > 0) * 1.0),
    (lamina.losses.SparseCategoricalCrossentropy(from_logits=True), None, 3, Y_CLS),
])
def test_from_logits_takes_the_output_as_the_logits_on_both_paths(loss, activation, units, y):
    """from_logits=True on a softmax/sigmoid output: Keras applies the loss's softmax again."""

    def run(generic):
        lamina.utils.set_random_seed(4)
        model = lamina.Sequential([lamina.Input((5,)), layers.Dense(units, activation=activation)])
        model.compile(optimizer="sgd", loss=loss)
        if generic:
            model.make_train_function = lambda force=False: model.train_step
            model._test_function = lambda: model.test_step
        history = model.fit(X, y, batch_size=16, epochs=2, verbose=0).history
        return history, model.evaluate(X, y, verbose=0), model.get_weights()

    (h1, e1, w1), (h2, e2, w2) = run(False), run(True)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-6)
    np.testing.assert_allclose(e1, e2, rtol=1e-6)
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("hidden", [True, False])
@pytest.mark.parametrize("loss,units,activation", [("binary_crossentropy", 1, "sigmoid"),
                                                    ("mse", 1, None),
                                                    ("categorical_crossentropy", 2, "softmax")])
def test_integer_labels_train_in_the_output_dtype_on_both_paths(loss, units, activation, hidden):
    """Integer labels are cast to the output's dtype (float32), as Keras casts y_true."""
    y = (X[:, 0] > 0).astype("int64")
    if units == 2:
        y = np.eye(2, dtype="int64")[y]

    def run(generic):
        lamina.utils.set_random_seed(8)
        stack = [layers.Dense(4, activation="relu")] if hidden else []
        model = lamina.Sequential([lamina.Input((5,)), *stack,
                                   layers.Dense(units, activation=activation)])
        model.compile(optimizer="adam", loss=loss)
        if generic:
            model.make_train_function = lambda force=False: model.train_step
        return model.fit(X, y, batch_size=16, epochs=2, verbose=0).history["loss"], model

    (h1, m1), (h2, m2) = run(False), run(True)
    assert isinstance(m1.make_train_function(), fast_path._FusedStep)
    np.testing.assert_allclose(h1, h2, rtol=1e-6)
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_many_rows_are_gathered_in_blocks_and_released_after_the_epoch():
    """2,500 shuffled rows (more than one gathering block) train as in the batch loop."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2500, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def run(hook):
        lamina.utils.set_random_seed(6)
        model = lamina.Sequential([lamina.Input((5,)), layers.Dense(6, activation="relu"),
                                   layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, y, batch_size=500, epochs=2, verbose=0,
                            callbacks=[_BatchHook()] if hook else [])
        return model, history.history

    (m1, h1), (m2, h2) = run(False), run(True)
    assert h1 == h2
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    step = m1.make_train_function()
    assert all(getattr(k, "x", None) is None and getattr(k, "xa", None) is None
               for k in step.kernels)  # no kernel keeps the last epoch's rows alive


def test_sample_weight_column_counts_like_a_vector():
    """sample_weight of shape (n, 1) weighs rows as the (n,) vector does (Keras squeezes it)."""
    _, h_column, _ = _fit("sample_weight_column", batch_hook=False)
    c = dict(CASES["sample_weight_column"], sample_weight=SW)
    CASES["_vector"] = c
    try:
        _, h_vector, _ = _fit("_vector", batch_hook=False)
    finally:
        del CASES["_vector"]
    assert h_column.history == h_vector.history


@pytest.mark.parametrize("which", ["kernel", "bias"])
def test_replaced_weight_arrays_are_used_by_the_next_fit(which):
    """A layer's kernel or bias given a new array (not assigned in place) between two fits."""
    results = []
    for generic in (False, True):  # the fused step against the tape
        model = _model("regressor")
        model.compile(optimizer="sgd", loss="mse")
        if generic:
            model.make_train_function = lambda force=False, m=model: m.train_step
        model.fit(X, Y_REG, batch_size=16, epochs=1, verbose=0)
        variable = getattr(model.layers[0], which)
        variable.value = np.full(variable.value.shape, 0.25, "float32")  # a new array
        history = model.fit(X, Y_REG, batch_size=16, epochs=1, verbose=0)
        results.append((history.history["loss"], getattr(model.layers[0], which).numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-5, atol=1e-6)


def test_an_input_with_one_column_too_many_is_refused():
    model = _model("regressor")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y_REG, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="last dimension 5"):
        model.train_on_batch(np.ones((4, 6), "float32"), np.ones((4, 1), "float32"))


def test_dense_input_buffers_are_kept_for_a_few_batch_sizes_only():
    model = _model("regressor")
    model.compile(optimizer="sgd", loss="mse")
    for n in range(1, 30):
        model.train_on_batch(X[:n], Y_REG[:n])
    dense = [k for k in model.make_train_function().kernels
             if isinstance(k, fast_path.DenseKernel)]
    assert all(len(k.buffers) <= 4 and len(k.outs) <= 4 for k in dense)


def test_stop_training_set_at_epoch_begin_stops_after_one_batch():
    class StopAtBegin(lamina.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.model.stop_training = True

    model = _model("classifier")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(X, Y_CLS, batch_size=16, epochs=3, verbose=0, callbacks=[StopAtBegin()])
    assert int(model.optimizer.iterations) == 1  # as the batch loop (and Keras) do


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_zero_coefficient_penalty_is_a_number_of_the_weights_dtype(dtype):
    """(A Python 0.0 among float32 penalties made the epoch loop add them in float64.)"""
    value, _ = fast_path._penalty_fn(lamina.regularizers.L2(0.0))
    result = value(np.ones((2, 2), dtype))
    assert result == 0 and result.dtype == np.dtype(dtype)
