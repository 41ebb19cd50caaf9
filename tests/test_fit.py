"""fit / evaluate / predict behaviour: Keras's data rules, seeding, Ctrl-C, custom steps."""

import os
import signal
import warnings

import numpy as np
import pytest

import lamina as keras
from lamina import layers


def small_model(units=3, activation="softmax", seed=0, input_dim=4):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((input_dim,)),
        layers.Dense(8, activation="relu"),
        layers.Dense(units, activation=activation),
    ])


def class_data(n=60, seed=0, classes=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1).astype("int64")
    return x, np.minimum(y, classes - 1)


def test_fit_returns_history_with_keras_keys_and_params():
    x, y = class_data()
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.epoch == [0, 1, 2]
    assert history.params["epochs"] == 3 and history.params["steps"] == 3  # 45 rows / 16
    assert history.model is model
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(history.history)
    assert frame.shape == (3, 4)


def test_acc_alias_is_reported_under_the_name_written():
    x, y = class_data()
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    history = model.fit(x, y, epochs=1, verbose=0)
    assert "acc" in history.history


def test_seeded_runs_are_bit_identical():
    x, y = class_data()

    def run():
        model = small_model(seed=123)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=8, verbose=0)  # shuffles with lamina's generator
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_refit_continues_from_current_weights():
    x, y = class_data()
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    first = model.fit(x, y, epochs=3, verbose=0).history["loss"]
    second = model.fit(x, y, epochs=1, verbose=0).history["loss"]
    assert second[0] < first[0]


def test_epoch_loss_is_batch_size_weighted_mean_including_partial_batch():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(10, 2)).astype("float32")
    y = rng.normal(size=(10, 1)).astype("float32")
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    history = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    pred = model.predict(x, verbose=0)
    batch_losses = [np.mean((pred[s] - y[s]) ** 2) for s in (slice(0, 4), slice(4, 8), slice(8, 10))]
    expected = (4 * batch_losses[0] + 4 * batch_losses[1] + 2 * batch_losses[2]) / 10
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)


def test_validation_split_takes_last_rows_and_warns_on_sorted_labels(capsys):
    x, y = class_data(n=40, classes=2)
    order = np.argsort(y, kind="stable")
    x, y = x[order], y[order]  # sorted: the last rows are all class 1
    model = small_model(units=2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="LAST 8 rows"):
        model.fit(x, y, epochs=1, validation_split=0.2, verbose=2)
    assert "rows 32-39" in capsys.readouterr().out


def test_one_d_input_to_a_one_feature_model_is_a_column():
    model = keras.Sequential([layers.Dense(1, input_shape=[1])])
    out = model.predict(np.linspace(-1, 1, 7), verbose=0)
    assert out.shape == (7, 1)


def test_predict_accepts_lists_dataframes_and_tensors():
    model = small_model()
    x, _ = class_data(n=5)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x.tolist(), verbose=0), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(keras.ops.convert_to_tensor(x), verbose=0), expected)
    pd = pytest.importorskip("pandas")
    np.testing.assert_allclose(model.predict(pd.DataFrame(x), verbose=0), expected, rtol=1e-6)


def test_evaluate_returns_loss_and_metrics_in_keras_order():
    x, y = class_data()
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, acc = model.evaluate(x, y, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs == {"accuracy": acc, "loss": loss}
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_fit_before_compile_explains():
    model = small_model()
    with pytest.raises(RuntimeError, match=r"compile\(\) before fit\(\)"):
        model.fit(np.zeros((2, 4)), np.zeros(2))


def test_sample_weight_zero_rows_do_not_train():
    x, y = class_data()
    model = small_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    model.fit(x, y, sample_weight=np.zeros(len(x)), epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_class_weight_follows_keras_and_rejects_keys_that_are_not_classes():
    x, y = class_data(classes=3)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, class_weight={0: 1.0, 1: 2.0}, epochs=1, verbose=0)  # class 2 weighs 1.0
    with pytest.raises(ValueError, match=r"keys \[7\] that are not classes.*classes 0 to 2"):
        model.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 1.0, 7: 1.0}, verbose=0)
    model.fit(x, y, class_weight="balanced", epochs=1, verbose=0)


def test_repeated_and_weighted_metric_names_follow_keras():
    x, y = class_data(classes=2)
    model = small_model(units=1, activation="sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["binary_accuracy", "binary_accuracy"],
                  weighted_metrics=["binary_accuracy"])
    history = model.fit(x, y, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "binary_accuracy", "binary_accuracy_1",
                                    "weighted_binary_accuracy"}


def test_generators_and_pydataset_like_objects_train():
    x, y = class_data()

    class Batches:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            s = slice(i * 15, (i + 1) * 15)
            return x[s], y[s]

    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(Batches(), epochs=2, verbose=0)
    assert history.params["steps"] == 4 and len(history.history["loss"]) == 2

    def gen():
        while True:
            for i in range(4):
                yield x[i * 15:(i + 1) * 15], y[i * 15:(i + 1) * 15]

    history = model.fit(gen(), steps_per_epoch=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_ctrl_c_stops_after_the_current_batch_and_keeps_history():
    x, y = class_data(n=200)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    seen = []

    def interrupt(batch, logs):
        seen.append(batch)
        if len(seen) == 30:
            os.kill(os.getpid(), signal.SIGINT)

    cb = keras.callbacks.LambdaCallback(on_train_batch_end=interrupt)
    before = signal.getsignal(signal.SIGINT)  # (ignored when the tests run in the background)
    history = model.fit(x, y, batch_size=10, epochs=5, callbacks=[cb], verbose=0)
    assert len(seen) == 30  # stopped right after the batch that saw Ctrl-C
    assert len(history.history["loss"]) == 2  # epoch 1 complete, epoch 2 reported partially
    assert signal.getsignal(signal.SIGINT) is before  # the handler fit replaced is back


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_custom_train_step_is_used(run_eagerly):
    x, y = class_data()
    calls = []

    class Custom(keras.Sequential):
        def train_step(self, data):
            calls.append(1)  # Python side effect: every batch eagerly, only when traced else
            logs = super().train_step(data)
            return {**logs, "twice_loss": logs["loss"] * 2.0}

    keras.utils.set_random_seed(0)
    model = Custom([keras.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  run_eagerly=run_eagerly)
    seen = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs))
    model.fit(x, y, batch_size=20, epochs=2, verbose=0, callbacks=[cb])
    # Eagerly the step runs once per batch; traced, it runs (and is traced) on the first two
    # batches, then the engine replays the plan.
    assert len(calls) == (6 if run_eagerly else 2)
    assert len(seen) == 6
    for logs in seen:
        assert logs["twice_loss"] == pytest.approx(2 * logs["loss"])


def test_subclassed_model_trains_on_the_generic_path():
    x, y = class_data()

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(3)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    keras.utils.set_random_seed(0)
    model = Net()
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.trainable_weights) == 4


def test_gradient_tape_custom_loop_learns_a_line():
    keras.utils.set_random_seed(0)
    x = np.linspace(-1, 1, 32).reshape(-1, 1).astype("float32")
    y = 3 * x + 0.5
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1)])
    optimizer = keras.optimizers.SGD(learning_rate=0.5)
    loss_fn = keras.losses.MeanSquaredError()
    for _ in range(100):
        with keras.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
    w, b = model.get_weights()
    np.testing.assert_allclose([w[0, 0], b[0]], [3.0, 0.5], atol=1e-3)


def test_train_on_batch_and_test_on_batch():
    x, y = class_data(n=16)
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, acc = model.train_on_batch(x, y)
    assert np.isfinite(loss) and 0 <= acc <= 1
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"accuracy", "loss"}
    assert model.predict_on_batch(x).shape == (16, 3)


def test_float64_models_train_in_float64():
    keras.config.set_floatx("float64")
    x, y = class_data()
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(x, verbose=0).dtype == np.float64


def test_no_warnings_on_a_plain_run():
    x, y = class_data()
    model = small_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, epochs=1, verbose=0)
        model.evaluate(x, y, verbose=0)
        model.predict(x, verbose=0)


def test_fused_predict_matches_the_layer_by_layer_forward():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((4,)), layers.Dense(8, activation="tanh"), layers.Dense(5, activation="relu"),
        layers.Activation("sigmoid"), layers.Dense(3, activation="softmax"),
    ])
    x = np.random.default_rng(0).normal(size=(70, 4))
    fused = model.predict(x, batch_size=32, verbose=0)
    assert model.__dict__["_compiled_predict"] is not None
    np.testing.assert_allclose(fused, model(x).numpy(), rtol=1e-6, atol=1e-7)
    model.pop()
    assert model.predict(x, verbose=0).shape == (70, 5)  # the stack changed: rebuilt


@pytest.mark.parametrize("loss,units,activation", [
    ("sparse_categorical_crossentropy", 3, "softmax"), ("mae", 1, None),
    ("binary_crossentropy", 1, "sigmoid"), ("mse", 2, "tanh"),
])
def test_fused_evaluate_matches_test_step(loss, units, activation):
    x, y = class_data(classes=2 if units == 1 else 3)
    if loss in ("mse",):
        y = np.stack([y, y], axis=1).astype("float32")
    keras.utils.set_random_seed(5)
    model = keras.Sequential([
        keras.Input((4,)),
        layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.l2(0.01)),
        layers.Dropout(0.3), layers.BatchNormalization(),
        layers.Dense(units, activation=activation),
    ])
    model.compile(optimizer="adam", loss=loss,
                  metrics=["accuracy"] if "crossentropy" in loss else ["mae"])
    model.fit(x, y, epochs=1, verbose=0)
    fused = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert not model._test_function().eager  # traced and replayed
    model.run_eagerly = True
    generic = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert model._test_function() == model.test_step
    assert fused.keys() == generic.keys()
    for key in fused:
        np.testing.assert_allclose(fused[key], generic[key], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("how", ["validation_data", "dataset"])
def test_an_empty_validation_set_is_left_out_of_the_logs_with_a_warning(how):
    # Keras skips validation that yields no batches (and warns); a val_loss of 0.0 would look
    # like a perfect model
    x = np.random.default_rng(0).random((16, 3), dtype=np.float32)
    y = x.sum(axis=1, keepdims=True)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    if how == "validation_data":
        val = (x[:0], y[:0])
    else:
        from lamina.data import Dataset

        val = Dataset.from_tensor_slices((x, y)).filter(
            lambda a, b: keras.ops.sum(a) < -1).batch(4)
    with pytest.warns(UserWarning, match="validation data gave no batches"):
        history = model.fit(x, y, validation_data=val, epochs=2, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert len(history.history["loss"]) == 2


def test_a_custom_step_returning_other_keys_than_its_metrics_logs_what_it_returned():
    # The VAE example's pattern: a tracker named "total_loss" returned as "loss". Keras 3.15.1
    # logs the last step's dict then: history keys extra/loss/val_loss/val_other, below.
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)
            self.tracker = keras.metrics.Mean(name="total_loss")

        def call(self, x):
            return self.d(x)

        @property
        def metrics(self):
            return [self.tracker]

        def train_step(self, data):
            self.tracker.update_state(3.0)
            return {"loss": self.tracker.result(), "extra": 1.5}

        def test_step(self, data):
            self.tracker.update_state(2.0)
            return {"loss": self.tracker.result(), "other": 7.0}

    model = Custom()
    model.compile("sgd")
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    history = model.fit(x, y, epochs=2, verbose=0, validation_data=(x[:4], y[:4])).history
    assert history == {"loss": [3.0, 3.0], "extra": [1.5, 1.5], "val_loss": [2.0, 2.0],
                       "val_other": [7.0, 7.0]}
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": 2.0, "other": 7.0}
