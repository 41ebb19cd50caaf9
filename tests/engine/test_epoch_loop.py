"""The engine's epoch loop (``lamina.engine.loop``) and its deferred bookkeeping.

When no callback looks at single batches, ``fit`` (and ``evaluate``) hand an
epoch of in-memory data to the engine: it replays the step batch after batch
and makes the metric updates once per block of batches (``engine/defer.py``).
Everything it reports must equal, to the last bit, what the batch-by-batch
loop reports: the tests run each fit twice, once as is and once with a
callback that has an ``on_train_batch_end`` hook (which forces the
batch-by-batch loop, with one replay and one set of metric updates per batch).
"""

import io
import os
import signal
import sys

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.engine import defer, fold, loop
from lamina.engine.layout import consolidate

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
    assert not m1.make_train_function().eager
    assert h1.history == h2.history  # every logged number, bit for bit
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(m1.optimizer.iterations) == int(m2.optimizer.iterations)


def test_the_common_steps_defer_their_bookkeeping():
    model, _, _ = _fit("sparse_ce_accuracy", batch_hook=False, epochs=2)
    step = model.make_train_function()
    deferred = [e.deferred(16, "d") for e in step._entries.values() if e.compiled is not None]
    deferred = [d for d in deferred if d is not None]
    assert deferred, "the full batches' plan defers nothing"
    names = {h.name for h in deferred[0].hosts}
    assert any("'loss'" in n for n in names) and any("'accuracy'" in n for n in names)
    assert "softmax" in {s.fn.name for s, _ in deferred[0].sunk}  # needed by accuracy only


def test_epoch_loop_runs_only_without_batch_hooks(monkeypatch):
    calls = []
    original = loop.run_batches

    def spy(function, args, batch_size, *rest, **kwargs):
        calls.append(batch_size)
        return original(function, args, batch_size, *rest, **kwargs)

    monkeypatch.setattr(loop, "run_batches", spy)
    _fit("sparse_ce_accuracy", batch_hook=False, epochs=2)
    assert calls == [16, 16]
    calls.clear()
    _fit("sparse_ce_accuracy", batch_hook=True, epochs=2)
    assert calls == []


@pytest.mark.parametrize("case", ["mse_with_penalty", "sparse_ce_weighted", "one_hot_labels",
                                  "sparse_ce_accuracy"])
@pytest.mark.parametrize("block", [1, 50])
def test_bookkeeping_done_block_by_block_gives_the_same_numbers(monkeypatch, case, block):
    """The loop stashes a block of batches (here one batch, or a few) and does their
    bookkeeping when it is full: the logs and weights must not depend on the block size."""
    m1, h1, _ = _fit(case, batch_hook=False)
    monkeypatch.setattr(defer, "BLOCK_VALUES", block)
    m2, h2, _ = _fit(case, batch_hook=False)
    assert h1.history == h2.history
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    evaluated = m2.evaluate(X, CASES[case]["y"], batch_size=7, verbose=0, return_dict=True)
    monkeypatch.setattr(defer, "BLOCK_VALUES", 1 << 18)
    assert evaluated == m1.evaluate(X, CASES[case]["y"], batch_size=7, verbose=0,
                                    return_dict=True)


def test_ctrl_c_inside_the_epoch_loop_stops_after_the_current_batch(monkeypatch):
    original = lamina.optimizers.Adam._flat_update_function
    steps = []

    def counting(self):
        update = original(self)

        def step(g):
            update(g)
            steps.append(1)
            if len(steps) == 3:  # the fifth batch (the first two are traced, not replayed)
                os.kill(os.getpid(), signal.SIGINT)

        return step

    monkeypatch.setattr(lamina.optimizers.Adam, "_flat_update_function", counting)
    model, history, _ = _fit("sparse_ce_accuracy", batch_hook=False, epochs=5)
    assert len(steps) == 3 and int(model.optimizer.iterations) == 5
    assert len(history.history["loss"]) == 1  # the interrupted epoch, over its 5 batches
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
        consolidate(variables)
        opt = make()
        opt.build(variables)
        update = opt.flat_update(variables) if use_function else opt.apply_flat
        assert update is not None
        for _ in range(5):
            update(rng.normal(size=16).astype("float32"))
        results.append([v.numpy().copy() for v in variables] + [int(opt.iterations)])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("options", [dict(clipnorm=1.0), dict(use_ema=True),
                                     dict(gradient_accumulation_steps=2),
                                     dict(loss_scale_factor=2.0)])
def test_the_lean_flat_update_declines_options_it_does_not_handle(options):
    variables = [lamina.Variable(np.ones((2, 2), "float32")), lamina.Variable(np.ones(2, "float32"))]
    consolidate(variables)
    opt = lamina.optimizers.Adam(**options)
    opt.build(variables)
    assert opt._flat_update_function() is None
    assert opt.flat_update(variables) == opt.apply_flat  # the general path instead


def test_a_changed_option_sends_the_lean_update_to_the_general_path():
    results = []
    for lean in (True, False):
        variables = [lamina.Variable(np.ones((2, 2), "float32")),
                     lamina.Variable(np.ones(2, "float32"))]
        consolidate(variables)
        opt = lamina.optimizers.Adam(0.1)
        opt.build(variables)
        update = opt.flat_update(variables) if lean else opt.apply_flat
        update(np.ones(6, "float32"))
        opt.clipvalue = 1e-3  # after the lean function was made: it must honour it
        update(np.full(6, 100.0, "float32"))
        results.append(variables[0].numpy())
        assert opt.flat_update(variables[:1]) is None  # not the variables it was built with
    np.testing.assert_array_equal(results[0], results[1])


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
    if block is not None:
        monkeypatch.setattr(defer, "BLOCK_VALUES", block)
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
        results[hook] = model.fit(X, Y_CLS, batch_size=16, epochs=2, verbose=1,
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
    fast = [model.evaluate(X, y, batch_size=7, verbose=0, return_dict=True, **kwargs)
            for _ in range(3)]  # traced, traced again, replayed
    slow = model.evaluate(X, y, batch_size=7, verbose=0, return_dict=True,
                          callbacks=[_TestBatchHook()], **kwargs)
    assert fast[0] == fast[1] == fast[2] == slow


@pytest.mark.parametrize("loss,activation,units,y", [
    (lamina.losses.SparseCategoricalCrossentropy(from_logits=True), "softmax", 3, Y_CLS),
    (lamina.losses.BinaryCrossentropy(from_logits=True), "sigmoid", 1, (Y_CLS > 0) * 1.0),
    (lamina.losses.SparseCategoricalCrossentropy(from_logits=True), None, 3, Y_CLS),
])
def test_from_logits_takes_the_output_as_the_logits_traced_and_eagerly(loss, activation, units,
                                                                         y, monkeypatch):
    """from_logits=True on a softmax/sigmoid output: Keras applies the loss's softmax again."""
    monkeypatch.setattr(fold, "FOLD_BIAS", False)  # (bit for bit: see test_traced_vs_eager)

    def run(run_eagerly):
        lamina.utils.set_random_seed(4)
        model = lamina.Sequential([lamina.Input((5,)), layers.Dense(units, activation=activation)])
        model.compile(optimizer="sgd", loss=loss, run_eagerly=run_eagerly)
        history = model.fit(X, y, batch_size=16, epochs=2, verbose=0).history
        return history, model.evaluate(X, y, verbose=0), model.get_weights()

    (h1, e1, w1), (h2, e2, w2) = run(False), run(True)
    assert h1 == h2 and e1 == e2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("hidden", [True, False])
@pytest.mark.parametrize("loss,units,activation", [("binary_crossentropy", 1, "sigmoid"),
                                                    ("mse", 1, None),
                                                    ("categorical_crossentropy", 2, "softmax")])
def test_integer_labels_train_in_the_output_dtype_traced_and_eagerly(loss, units, activation,
                                                                      hidden, monkeypatch):
    """Integer labels are cast to the output's dtype (float32), as Keras casts y_true."""
    monkeypatch.setattr(fold, "FOLD_BIAS", False)
    y = (X[:, 0] > 0).astype("int64")
    if units == 2:
        y = np.eye(2, dtype="int64")[y]

    def run(run_eagerly):
        lamina.utils.set_random_seed(8)
        stack = [layers.Dense(4, activation="relu")] if hidden else []
        model = lamina.Sequential([lamina.Input((5,)), *stack,
                                   layers.Dense(units, activation=activation)])
        model.compile(optimizer="adam", loss=loss, run_eagerly=run_eagerly)
        return model.fit(X, y, batch_size=16, epochs=2, verbose=0).history["loss"], model

    (h1, m1), (h2, m2) = run(False), run(True)
    assert h1 == h2
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_many_rows_train_as_in_the_batch_loop():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2500, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")

    def run(hook):
        lamina.utils.set_random_seed(6)
        model = lamina.Sequential([lamina.Input((5,)), layers.Dense(6, activation="relu"),
                                   layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        history = model.fit(x, y, batch_size=500, epochs=3, verbose=0,
                            callbacks=[_BatchHook()] if hook else [])
        return model, history.history

    (m1, h1), (m2, h2) = run(False), run(True)
    assert h1 == h2
    for a, b in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_array_equal(a, b)


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
def test_replaced_weight_arrays_are_used_by_the_next_fit(which, monkeypatch):
    """A layer's kernel or bias given a new array (not assigned in place) between two fits."""
    monkeypatch.setattr(fold, "FOLD_BIAS", False)
    results = []
    for run_eagerly in (False, True):
        model = _model("regressor")
        model.compile(optimizer="sgd", loss="mse", run_eagerly=run_eagerly)
        model.fit(X, Y_REG, batch_size=16, epochs=3, verbose=0)
        variable = getattr(model.layers[0], which)
        variable.value = np.full(variable.value.shape, 0.25, "float32")  # a new array
        history = model.fit(X, Y_REG, batch_size=16, epochs=3, verbose=0)
        results.append((history.history["loss"], getattr(model.layers[0], which).numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])


def test_an_input_with_one_column_too_many_is_refused():
    model = _model("regressor")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, Y_REG, epochs=3, verbose=0)
    with pytest.raises(ValueError, match="last dimension 5"):
        model.train_on_batch(np.ones((4, 6), "float32"), np.ones((4, 1), "float32"))


def test_plans_are_kept_for_a_few_batch_sizes_only():
    model = _model("regressor")
    model.compile(optimizer="sgd", loss="mse")
    for n in range(1, 30):
        for _ in range(3):
            model.train_on_batch(X[:n], Y_REG[:n])
    from lamina.engine import compiled

    assert len(model.make_train_function()._entries) <= compiled.MAX_PLANS
