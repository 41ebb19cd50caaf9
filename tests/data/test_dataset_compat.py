"""``tf.data`` under ``lamina run`` / ``lamina.compat``: tutorial scripts run as written."""

import sys
import textwrap

import numpy as np
import pytest

import lamina
import lamina.compat
from lamina.cli import main

SCRIPT = """
    import numpy as np
    import tensorflow as tf
    from tensorflow import keras

    rng = np.random.default_rng(0)
    x = rng.random((256, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 1).astype("int32")
    tf.random.set_seed(1)
    AUTOTUNE = tf.data.AUTOTUNE
    train = (tf.data.Dataset.from_tensor_slices((x[:192], y[:192]))
             .map(lambda a, b: (tf.cast(a, tf.float32) * 2.0 - 1.0, b),
                  num_parallel_calls=AUTOTUNE)
             .cache().shuffle(buffer_size=192).batch(32).prefetch(AUTOTUNE))
    val = tf.data.Dataset.from_tensor_slices((x[192:] * 2 - 1, y[192:])).batch(32)
    print("cardinality", tf.data.experimental.cardinality(train).numpy(), len(val))
    print("spec", train.element_spec)
    model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(train, validation_data=val, epochs=15, verbose=0)
    loss, acc = model.evaluate(val, verbose=0)
    print("epochs", len(history.history["val_accuracy"]), "accuracy", acc > 0.85, acc)
    for images, labels in train.take(1):
        print("batch", images.shape, labels.dtype)
"""


@pytest.fixture(autouse=True)
def _clean():
    yield
    lamina.compat.uninstall()


def test_lamina_run_a_tf_data_tutorial(tmp_path, capsys):
    path = tmp_path / "tf_data_tutorial.py"
    path.write_text(textwrap.dedent(SCRIPT), encoding="utf-8")
    assert main(["run", str(path)]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "cardinality 6 2" in out
    assert "spec (TensorSpec(shape=(None, 4), dtype=float32, name=None), TensorSpec(shape=(None,)," \
           " dtype=int32, name=None))" in out
    assert "epochs 15 accuracy True" in out and "batch (32, 4) int32" in out
    assert "keras" not in sys.modules or not hasattr(sys.modules["keras"], "_what")


def test_the_guides_custom_train_step_on_tf_data_is_traced():
    lamina.compat.install()
    import tensorflow as tf
    from tensorflow import keras

    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(gradients, self.trainable_variables)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    rng = np.random.default_rng(0)
    x = rng.random((100, 8), dtype=np.float32)
    y = x @ rng.random((8, 1), dtype=np.float32)

    def run(run_eagerly):
        keras.utils.set_random_seed(1)
        inputs = keras.Input(shape=(8,))
        model = CustomModel(inputs, keras.layers.Dense(1)(inputs))
        model.compile(optimizer="adam", loss="mse", metrics=["mae"], run_eagerly=run_eagerly)
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
        return model.fit(ds, epochs=3, verbose=0).history

    traced, eager = run(False), run(True)
    for key in eager:
        np.testing.assert_allclose(traced[key], eager[key], rtol=1e-6)
    assert tf.TensorSpec is lamina.data.TensorSpec
    with pytest.raises(AttributeError, match="tensorflow.data.TextLineDataset is a TensorFlow "
                                             "API that lamina does not provide"):
        tf.data.TextLineDataset("lines.txt")


def test_tf_data_elements_answer_numpy_under_compat_only():
    ds = lamina.data.Dataset.from_tensor_slices((np.arange(6.0).reshape(3, 2), [0, 1, 2]))
    lamina.compat.install()
    try:
        x, y = next(iter(ds.batch(2)))
        assert x.numpy().tolist() == [[0.0, 1.0], [2.0, 3.0]] and y.numpy().tolist() == [0, 1]
        assert type(x.numpy()) is np.ndarray
        # fit still reads plain arrays
        model = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1)])
        model.compile("sgd", "mse")
        model.fit(ds.map(lambda a, b: (a, np.float32(b))).batch(2), epochs=1, verbose=0)
    finally:
        lamina.compat.uninstall()
    x, _ = next(iter(ds.batch(2)))
    assert type(x) is np.ndarray and not hasattr(x, "numpy")
