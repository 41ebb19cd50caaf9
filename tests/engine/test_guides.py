"""The patterns of Keras's guides on customizing ``fit`` and writing training loops.

Written the way the guides' TensorFlow flavour writes them (``tf.GradientTape``,
``@tf.function``, ``x, y = data``), under ``lamina.compat``; each step is
traced and replayed by the engine, and gives the numbers of the same step run
eagerly (``run_eagerly=True``, or without ``@tf.function``).
"""

import numpy as np
import pytest

import lamina
import lamina.compat


@pytest.fixture
def tf_keras():
    lamina.compat.install()
    import keras
    import tensorflow as tf

    yield tf, keras
    lamina.compat.uninstall()


RNG = np.random.default_rng(0)
X = RNG.random((200, 8), dtype=np.float32)
Y = (X @ RNG.random((8, 1), dtype=np.float32) - 2.0).astype("float32")
SW = RNG.random((200, 1), dtype=np.float32)


def _custom_model_class(tf, keras, with_weights=False):
    class CustomModel(keras.Model):
        def train_step(self, data):
            if with_weights and len(data) == 3:
                x, y, sample_weight = data
            else:
                sample_weight = None
                x, y = data
            with tf.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            trainable_vars = self.trainable_variables
            gradients = tape.gradient(loss, trainable_vars)
            self.optimizer.apply(gradients, trainable_vars)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)
            return {m.name: m.result() for m in self.metrics}

    return CustomModel


def _fit_custom(tf, keras, run_eagerly, with_weights=False):
    keras.utils.set_random_seed(1)
    inputs = keras.Input(shape=(8,))
    outputs = keras.layers.Dense(1)(keras.layers.Dense(16, activation="relu")(inputs))
    model = _custom_model_class(tf, keras, with_weights)(inputs, outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"], run_eagerly=run_eagerly)
    kwargs = {"sample_weight": SW} if with_weights else {}
    history = model.fit(X, Y, epochs=3, batch_size=32, verbose=0, **kwargs)
    return model, history.history


@pytest.mark.parametrize("with_weights", [False, True])
def test_a_custom_train_step_with_gradient_tape_is_traced(tf_keras, with_weights):
    tf, keras = tf_keras
    model, traced = _fit_custom(tf, keras, False, with_weights)
    assert not model.make_train_function().eager
    _, eager = _fit_custom(tf, keras, True, with_weights)
    assert set(traced) == {"loss", "mae"}
    for key in traced:
        np.testing.assert_allclose(traced[key], eager[key], rtol=1e-5, atol=1e-6)
    assert traced["loss"][-1] < traced["loss"][0]


def test_own_metrics_and_a_compile_without_loss(tf_keras):
    tf, keras = tf_keras

    class CustomModel(keras.Model):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            with tf.GradientTape() as tape:
                loss = self.loss_fn(y, self(x, training=True))
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(gradients, self.trainable_variables)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, self(x, training=False))
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):  # reset at the start of every epoch
            return [self.loss_tracker, self.mae_metric]

    keras.utils.set_random_seed(2)
    inputs = keras.Input(shape=(8,))
    model = CustomModel(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="adam")
    seen = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs))
    history = model.fit(X, Y, epochs=4, batch_size=50, verbose=0, callbacks=[cb]).history
    assert not model.make_train_function().eager
    assert set(history) == {"loss", "mae"}
    assert history["loss"][-1] < history["loss"][0]
    # Each epoch's log is the mean of that epoch's batches (the trackers were reset).
    epoch_means = [np.mean([float(s["loss"]) for s in seen[i * 4:(i + 1) * 4][-1:]])
                   for i in range(4)]
    np.testing.assert_allclose(history["loss"], epoch_means, rtol=1e-6)


def test_a_custom_test_step(tf_keras):
    tf, keras = tf_keras

    class CustomModel(keras.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    keras.utils.set_random_seed(3)
    inputs = keras.Input(shape=(8,))
    model = CustomModel(inputs, keras.layers.Dense(1)(inputs))
    model.compile(loss="mse", metrics=["mae"])
    results = [model.evaluate(X, Y, verbose=0, return_dict=True) for _ in range(3)]
    assert results[0] == results[1] == results[2]
    pred = model.predict(X, verbose=0)
    np.testing.assert_allclose(results[0]["mae"], np.mean(np.abs(pred - Y)), rtol=1e-5)
    assert not model._test_function().eager


def _gan(tf, keras, run_eagerly):
    keras.utils.set_random_seed(4)
    latent_dim = 6
    discriminator = keras.Sequential([keras.Input(shape=(8,)),
                                      keras.layers.Dense(16, activation="leaky_relu"),
                                      keras.layers.Dense(1)], name="discriminator")
    generator = keras.Sequential([keras.Input(shape=(latent_dim,)),
                                  keras.layers.Dense(16, activation="leaky_relu"),
                                  keras.layers.Dense(8, activation="sigmoid")], name="generator")

    class GAN(keras.Model):
        def __init__(self, discriminator, generator, latent_dim):
            super().__init__()
            self.discriminator = discriminator
            self.generator = generator
            self.latent_dim = latent_dim
            self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
            self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
            self.seed_generator = keras.random.SeedGenerator(1337)

        @property
        def metrics(self):
            return [self.d_loss_tracker, self.g_loss_tracker]

        def compile(self, d_optimizer, g_optimizer, loss_fn):
            super().compile(run_eagerly=run_eagerly)
            self.d_optimizer = d_optimizer
            self.g_optimizer = g_optimizer
            self.loss_fn = loss_fn

        def train_step(self, real_images):
            if isinstance(real_images, tuple):
                real_images = real_images[0]
            batch_size = tf.shape(real_images)[0]
            noise = keras.random.normal(shape=(batch_size, self.latent_dim),
                                        seed=self.seed_generator)
            combined = tf.concat([self.generator(noise), real_images], axis=0)
            labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
            labels += 0.05 * keras.random.uniform(tf.shape(labels), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                d_loss = self.loss_fn(labels, self.discriminator(combined))
            grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
            self.d_optimizer.apply(grads, self.discriminator.trainable_weights)
            noise = keras.random.normal(shape=(batch_size, self.latent_dim),
                                        seed=self.seed_generator)
            misleading_labels = tf.zeros((batch_size, 1))
            with tf.GradientTape() as tape:
                predictions = self.discriminator(self.generator(noise))
                g_loss = self.loss_fn(misleading_labels, predictions)
            grads = tape.gradient(g_loss, self.generator.trainable_weights)
            self.g_optimizer.apply(grads, self.generator.trainable_weights)
            self.d_loss_tracker.update_state(d_loss)
            self.g_loss_tracker.update_state(g_loss)
            return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    gan = GAN(discriminator, generator, latent_dim)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
                g_optimizer=keras.optimizers.Adam(learning_rate=0.0003),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    history = gan.fit(X, epochs=3, batch_size=40, verbose=0).history  # no targets: x alone
    return gan, history


def test_a_gan_with_two_optimizers_and_random_noise_is_traced(tf_keras):
    tf, keras = tf_keras
    gan, traced = _gan(tf, keras, False)
    assert not gan.make_train_function().eager
    assert set(traced) == {"d_loss", "g_loss"}
    _, eager = _gan(tf, keras, True)
    for key in traced:  # same noise, drawn in the same order, on both paths
        np.testing.assert_allclose(traced[key], eager[key], rtol=1e-5, atol=1e-6)


def test_a_training_loop_with_tf_function(tf_keras):
    tf, keras = tf_keras

    def run(decorate):
        keras.utils.set_random_seed(5)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(1)])
        optimizer = keras.optimizers.SGD(learning_rate=0.05)
        loss_fn = keras.losses.MeanSquaredError()
        metric = keras.metrics.MeanAbsoluteError()

        def train_step(x, y):
            with tf.GradientTape() as tape:
                loss_value = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            metric.update_state(y, model(x, training=False))
            return loss_value

        step = tf.function(train_step) if decorate else train_step
        losses = []
        for _epoch in range(3):
            for lo in range(0, 200, 50):
                losses.append(float(step(X[lo:lo + 50], Y[lo:lo + 50])))
        return losses, float(metric.result()), step

    traced, mae, step = run(True)
    eager, mae_eager, _ = run(False)
    assert step.compiled_for((X[:50], Y[:50])) is not None
    np.testing.assert_allclose(traced, eager, rtol=1e-6)
    np.testing.assert_allclose(mae, mae_eager, rtol=1e-6)
    assert traced[-1] < traced[0]


def test_unpack_and_pack_x_y_sample_weight():
    from lamina.utils import pack_x_y_sample_weight, unpack_x_y_sample_weight

    x, y, sw = np.ones(3), np.zeros(3), np.full(3, 2.0)
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight(x, y, sw))[2] is sw
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight(x, y))[2] is None
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight(x))[0] is x
    assert unpack_x_y_sample_weight(pack_x_y_sample_weight([x, x]))[0] == [x, x]
    assert unpack_x_y_sample_weight([x, y])[1] is y
    with pytest.raises(ValueError, match="x, \\(x,\\), \\(x, y\\) or"):
        unpack_x_y_sample_weight((x, y, sw, sw))
