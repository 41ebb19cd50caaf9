"""``lamina.engine.Function``: trace per signature, compare two traces, replay, or fall back."""

import logging

import numpy as np
import pytest

import lamina
from lamina import engine, layers, ops
from lamina.engine import compiled as function_module


@pytest.fixture
def lenient(monkeypatch):
    """Let a fallback to eager execution log instead of raising (as it does for users)."""
    monkeypatch.setattr(function_module, "_STRICT", False)


def _sgd_step(w):
    def step(x):
        with lamina.GradientTape() as tape:
            loss = ops.mean(ops.square(ops.relu(ops.matmul(x, w))))
        w.assign_sub(tape.gradient(loss, w) * 0.1)
        return loss

    return step


def test_a_step_is_traced_twice_then_replayed_with_the_eager_numbers():
    w1 = lamina.Variable(np.array([[1.0, -2.0], [3.0, 4.0]], "float32"))
    w2 = lamina.Variable(np.array([[1.0, -2.0], [3.0, 4.0]], "float32"))
    eager, traced = _sgd_step(w1), engine.Function(_sgd_step(w2))
    x = np.random.default_rng(0).normal(size=(5, 2)).astype("float32")
    for i in range(6):
        a, b = eager(x + i), traced(x + i)
        assert float(a) == float(b)  # bit for bit
        np.testing.assert_array_equal(w1.numpy(), w2.numpy())
        assert (traced.compiled_for((x,)) is not None) == (i >= 1)
    assert "matmul" in traced.describe() and "assign_sub" in traced.describe()


def test_each_signature_gets_its_own_plan_and_the_cache_is_bounded():
    calls = []

    def fn(x):
        calls.append(x.shape)
        return ops.sum(x * 2.0)

    f = engine.Function(fn)
    for rows in range(1, function_module.MAX_PLANS + 3):
        x = np.ones((rows, 3), "float32")
        for _ in range(3):
            assert float(f(x)) == 6.0 * rows
    assert len(calls) == 2 * (function_module.MAX_PLANS + 2)  # two traces per signature
    assert len(f._entries) == function_module.MAX_PLANS
    f(np.ones((2, 3), "float64"))  # a new dtype: a new signature
    assert f.compiled_for((np.ones((2, 3), "float64"),)) is None


def test_python_values_and_none_are_part_of_the_signature():
    f = engine.Function(lambda x, scale, bias: x * scale if bias is None else x * scale + bias)
    x = np.ones(3, "float32")
    for _ in range(3):
        np.testing.assert_array_equal(f(x, 2.0, None).numpy(), 2.0)
        np.testing.assert_array_equal(f(x, 3.0, None).numpy(), 3.0)
        np.testing.assert_array_equal(f(x, 3.0, np.ones(3, "float32")).numpy(), 4.0)


def test_reading_a_value_in_python_falls_back_to_eager_with_one_log_line(lenient, caplog):
    def step(x):
        y = ops.sum(x)
        if float(y) > 0:  # Python control flow on a tensor's value
            return y
        return -y

    f = engine.Function(step, name="my step")
    with caplog.at_level(logging.WARNING, logger="lamina"):
        results = [float(f(np.full(2, v, "float32"))) for v in (1.0, -1.0, 2.0, -3.0)]
    assert results == [2.0, 2.0, 4.0, 6.0]  # every call ran eagerly: the right branch each time
    assert f.eager
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "my step runs eagerly" in message and "test_function.py" in message


def test_a_value_read_through_numpy_names_the_users_line(lenient, caplog):
    def step(x):
        return ops.sum(x) * float(np.mean(ops.square(x)))  # NumPy reads the value

    f = engine.Function(step, name="numpy step")
    with caplog.at_level(logging.WARNING, logger="lamina"):
        f(np.ones(2, "float32"))
    message = caplog.records[0].getMessage()
    assert "test_function.py" in message and "(step)" in message, message
    assert "numpy" not in message.split(" at ", 1)[1].split(" (for example")[0], message


def test_numpy_randomness_in_a_custom_layer_is_caught(lenient, caplog):
    class NoisyLayer(layers.Layer):
        def call(self, x):
            return x + np.random.normal(size=x.shape).astype("float32")  # not lamina.random

    layer = NoisyLayer()
    f = engine.Function(lambda x: layer(x))
    x = np.zeros((2, 2), "float32")
    with caplog.at_level(logging.WARNING, logger="lamina"):
        outs = [f(x).numpy() for _ in range(4)]
    assert f.eager
    assert "changed from one batch to the next" in caplog.records[0].getMessage()
    assert len({o.tobytes() for o in outs}) == 4  # fresh noise every call, as eagerly


def test_a_strict_fallback_raises_in_lamina_tests():
    f = engine.Function(lambda x: float(ops.sum(x)))
    with pytest.raises(RuntimeError, match="runs eagerly"):
        f(np.ones(2, "float32"))


def test_a_first_call_that_builds_things_gets_a_third_trace():
    layer = layers.Dense(3)

    def step(x):
        if not layer.built:  # the first call builds the layer (and runs one op more)
            layer.build(x.shape)
            ops.add(x, 0.0)
        return layer(x)

    f = engine.Function(step)
    x = np.ones((4, 2), "float32")
    for _ in range(4):
        np.testing.assert_allclose(f(x).numpy(), layer(x).numpy())
    assert not f.eager and f.compiled_for((x,)) is not None


def test_replayed_plans_read_variables_at_replay_time():
    model = lamina.Sequential([lamina.Input((2,)), layers.Dense(1)])
    x = np.ones((3, 2), "float32")
    for _ in range(3):
        model.predict(x, verbose=0)
    model.layers[0].kernel.assign(np.full((2, 1), 5.0))
    model.layers[0].bias.assign([1.0])
    np.testing.assert_array_equal(model.predict(x, verbose=0), 11.0)
    model.layers[0].kernel.value = np.full((2, 1), 2.0, "float32")  # a new array altogether
    np.testing.assert_array_equal(model.predict(x, verbose=0), 5.0)


def test_a_call_inside_another_trace_is_recorded_by_the_outer_one():
    inner = engine.Function(lambda x: x * 2.0)
    outer = engine.Function(lambda x: inner(x) + 1.0)
    x = np.ones(2, "float32")
    for _ in range(3):
        np.testing.assert_array_equal(outer(x).numpy(), 3.0)
    assert outer.compiled_for((x,)) is not None and inner.compiled_for((x,)) is None


def test_run_eagerly_uses_the_step_itself():
    model = lamina.Sequential([lamina.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    assert model.make_train_function() == model.train_step
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.make_train_function(), engine.Function)


def test_freezing_layers_between_fits_retraces():
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential([lamina.Input((2,)), layers.Dense(3), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    model.layers[0].trainable = False
    frozen = model.layers[0].kernel.numpy()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), frozen)


def test_custom_model_built_functionally_overrides_train_step():
    """The Keras guide "customizing what happens in fit": CustomModel(inputs, outputs)."""

    class CustomModel(lamina.Model):
        def train_step(self, data):
            x, y = data  # Keras passes (x, y) when there are no sample weights
            with lamina.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    inputs = lamina.Input(shape=(32,))
    model = CustomModel(inputs, layers.Dense(1)(inputs))
    assert isinstance(model, CustomModel) and type(model).__name__ == "CustomModel"
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    history = model.fit(rng.random((100, 32)), rng.random((100, 1)), epochs=3, verbose=0)
    assert not model.make_train_function().eager
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert set(history.history) == {"loss", "mae"}


def test_a_subclass_with_wrong_arguments_says_what_it_needs():
    class Net(lamina.Model):
        pass

    with pytest.raises(TypeError, match="symbolic tensors"):
        Net(np.ones(3), np.ones(3))


def test_dense_biases_are_folded_and_replaced_arrays_unfold_the_plan():
    lamina.utils.set_random_seed(2)
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(4, activation="relu"),
                               layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = x[:, :1] * 2.0
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    source = model.make_train_function().describe()
    assert "bias folded in" in source and "relu (into a buffer)" in source
    layer = model.layers[0]
    layer.kernel.value = np.full((3, 4), 0.5, "float32")  # a new array: the folded view is stale
    reference = lamina.models.clone_model(model)
    reference.set_weights(model.get_weights())
    reference.compile(optimizer="sgd", loss="mse", run_eagerly=True)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    reference.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_ops_in_another_thread_are_not_recorded_into_a_trace():
    import threading

    import lamina
    from lamina import engine, ops

    seen = []
    go, done = threading.Event(), threading.Event()

    def worker():
        go.wait()
        seen.append(ops.add(np.ones(2, "float32"), 1.0).numpy())  # while the main thread traces
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()

    def step(x):
        go.set()
        done.wait(5)
        return ops.multiply(x, 2.0)

    fn = engine.Function(step, name="threaded")
    x = np.ones(3, "float32")
    for _ in range(3):
        np.testing.assert_array_equal(fn(x).numpy(), 2 * x)
    thread.join()
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    assert fn.eager_reason is None and lamina.ops  # the plan holds the step's ops only
    assert "add" not in fn.describe()


def test_a_value_computed_from_shapes_alone_may_be_read_and_the_step_stays_traced():
    # keras-io's miniature GPT tiles its causal mask by a tensor made from ops.shape(x)[0]:
    # ops.tile reads that tensor, whose value the signature (the shapes) fixes
    def step(x):
        repeats = ops.concatenate([ops.expand_dims(ops.shape(x)[0], -1),
                                   ops.convert_to_tensor([1])], 0)
        return ops.tile(ops.ones((1, 3)), repeats) * ops.sum(x)

    f = engine.Function(step)  # strict in lamina's tests: a fallback to eager would raise
    for rows in (2, 5, 2):
        x = np.full((rows, 1), 2.0, "float32")
        np.testing.assert_array_equal(f(x).numpy(), np.full((rows, 3), 2.0 * rows))
    assert not f.eager
