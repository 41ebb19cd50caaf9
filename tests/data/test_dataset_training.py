"""``fit``/``evaluate``/``predict`` on ``lamina.data.Dataset``: Keras's rules for tf.data input.

The steps are traced and replayed by the engine (the conftest makes a fallback to eager an
error), and batches from a dataset give the numbers of the same batches from arrays.
"""

import warnings

import numpy as np
import pytest

import lamina
from lamina.data import Dataset

RNG = np.random.default_rng(0)
X = RNG.random((96, 6), dtype=np.float32)
Y = (X.sum(axis=1) > 3).astype("int64")
SW = RNG.random(96).astype("float32")


def _model(seed=1, metrics=("accuracy",)):
    lamina.utils.set_random_seed(seed)
    model = lamina.Sequential([lamina.Input((6,)), lamina.layers.Dense(8, activation="relu"),
                               lamina.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=list(metrics))
    return model


def test_fit_on_a_dataset_gives_the_numbers_of_the_same_batches_from_arrays():
    from_arrays = _model().fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    ds = Dataset.from_tensor_slices((X, Y)).batch(16)
    from_dataset = _model().fit(ds, epochs=3, verbose=0)
    assert from_dataset.history.keys() == from_arrays.history.keys()
    for key, values in from_arrays.history.items():  # "accuracy" resolved for sparse labels
        np.testing.assert_allclose(from_dataset.history[key], values, rtol=1e-6, atol=1e-7)


def test_sample_weights_validation_data_evaluate_and_predict():
    weighted = Dataset.from_tensor_slices((X, Y, SW)).batch(32)
    model = _model()
    history = model.fit(weighted, epochs=2, verbose=0,
                        validation_data=Dataset.from_tensor_slices((X, Y)).batch(48))
    reference = _model().fit(X, Y, sample_weight=SW, batch_size=32, epochs=2, shuffle=False,
                             verbose=0, validation_data=(X, Y), validation_batch_size=48)
    for key, values in reference.history.items():
        np.testing.assert_allclose(history.history[key], values, rtol=1e-6, atol=1e-7)
    val = model.evaluate(Dataset.from_tensor_slices((X, Y)).batch(48), verbose=0,
                         return_dict=True)
    np.testing.assert_allclose(val["loss"], history.history["val_loss"][-1], rtol=1e-6)
    expected = model.predict(X, verbose=0)
    for source in (Dataset.from_tensor_slices(X), Dataset.from_tensor_slices((X,)),
                   Dataset.from_tensor_slices((X, Y))):  # predict takes x from any form
        np.testing.assert_allclose(model.predict(source.batch(40), verbose=0), expected,
                                   rtol=1e-6)
    endless = Dataset.from_tensor_slices(X).batch(32).repeat()
    assert model.predict(endless, steps=2, verbose=0).shape == (64, 2)


def test_a_custom_train_step_receives_the_elements_as_they_are():
    seen = []

    class Recording(lamina.Model):
        def __init__(self):
            super().__init__()
            self.dense = lamina.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            seen.append(type(data).__name__ + str(len(data)) if isinstance(data, tuple)
                        else type(data).__name__)
            x, y = data
            return super().train_step((x, y))

    model = Recording()
    model.compile("sgd", "mse", run_eagerly=True)
    model.fit(Dataset.from_tensor_slices((X, X[:, :1])).batch(32), epochs=1, verbose=0)
    assert seen == ["tuple2"] * 3  # (x, y) as the dataset yields it, every batch


def test_steps_per_epoch_continue_across_epochs_and_restart_when_the_data_ends():
    seen = []

    class Probe(lamina.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)

    model = _model()
    ds = Dataset.from_tensor_slices((X, Y)).batch(16)  # 6 batches
    with pytest.warns(UserWarning, match=r"ran out after 2 batches of this epoch \(steps=4\)"):
        model.fit(ds, epochs=3, steps_per_epoch=4, verbose=0, callbacks=[Probe()])
    assert seen == [0, 1, 2, 3, 0, 1, 0, 1, 2, 3]  # 4, then the last 2, then a new pass
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(ds.repeat(), epochs=2, steps_per_epoch=5, verbose=0)


def test_unknown_cardinality_runs_to_the_end_and_infinite_needs_steps():
    counted = []

    class Count(lamina.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            counted.append(epoch)

    model = _model()
    filtered = Dataset.from_tensor_slices((X, Y)).filter(lambda x, y: y >= 0).batch(32)
    assert int(filtered.cardinality()) == -2
    history = model.fit(filtered, epochs=2, verbose=0, callbacks=[Count()])
    assert len(history.history["loss"]) == 2 and counted == [0, 1]
    endless = Dataset.from_tensor_slices((X, Y)).batch(32).repeat()
    with pytest.raises(ValueError, match="repeats forever.*steps_per_epoch"):
        model.fit(endless, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="repeats forever.*steps=... to evaluate"):
        model.evaluate(endless, verbose=0)
    assert np.isfinite(model.evaluate(endless, steps=2, verbose=0)[0])


def test_arguments_keras_refuses_with_a_dataset():
    model = _model()
    ds = Dataset.from_tensor_slices((X, Y)).batch(16)
    with pytest.raises(ValueError, match="batch_size=64 was given with a Dataset"):
        model.fit(ds, batch_size=64, verbose=0)
    with pytest.raises(ValueError, match="`y` cannot be given when x is a Dataset"):
        model.fit(ds, Y, verbose=0)
    with pytest.raises(ValueError, match="`sample_weight` cannot be given when x is a Dataset"):
        model.evaluate(ds, sample_weight=SW, verbose=0)
    with pytest.raises(ValueError, match="has no elements"):
        model.fit(ds.take(0), verbose=0)


def test_an_unbatched_dataset_is_pointed_out():
    model = _model()
    with pytest.warns(UserWarning, match=r"look like single samples.*add \.batch\(32\)"), \
            pytest.raises(ValueError, match="expects inputs with at least 2 dimensions"):
        model.fit(Dataset.from_tensor_slices((X, Y)), epochs=1, verbose=0)


def test_named_inputs_as_a_dict_and_a_prefetched_map_with_lamina_ops():
    a, b = lamina.Input((4,), name="a"), lamina.Input((2,), name="b")
    out = lamina.layers.Dense(1)(lamina.layers.Concatenate()([a, b]))
    lamina.utils.set_random_seed(0)
    model = lamina.Model({"a": a, "b": b}, out)
    model.compile("adam", "mse")
    ds = (Dataset.from_tensor_slices(({"a": X[:, :4], "b": X[:, 4:]}, X.sum(axis=1)))
          .map(lambda x, y: ({"a": lamina.ops.multiply(x["a"], 2.0), "b": x["b"]}, y))
          .shuffle(32, seed=0).batch(16).prefetch(2))
    history = model.fit(ds, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(ds, verbose=0).shape == (96, 1)


def test_any_batch_size_is_refused_with_a_dataset_and_sample_weight_in_fit():
    model = _model()
    ds = Dataset.from_tensor_slices((X, Y)).batch(16)
    for call in (lambda: model.fit(ds, batch_size=32, verbose=0),
                 lambda: model.evaluate(ds, batch_size=32, verbose=0),
                 lambda: model.predict(ds.map(lambda x, y: x), batch_size=32, verbose=0)):
        with pytest.raises(ValueError, match="batch_size=32 was given with a Dataset"):
            call()
    with pytest.raises(ValueError, match="yield \\(x, y, sample_weight\\) batches"):
        model.fit(ds, sample_weight=SW, verbose=0)


def test_class_weight_with_a_dataset_equals_class_weight_with_arrays():
    weights = {0: 0.3, 1: 2.0}
    from_arrays = _model().fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                               class_weight=weights)
    ds = Dataset.from_tensor_slices((X, Y)).batch(16)
    from_dataset = _model().fit(ds, epochs=2, verbose=0, class_weight=weights)
    np.testing.assert_allclose(from_dataset.history["loss"], from_arrays.history["loss"],
                               rtol=1e-6)


def test_a_cached_dataset_is_read_once_and_fit_does_not_call_its_epochs_partial(caplog):
    reads = []

    def note(x, y):
        reads.append(1)
        return x, y

    ds = Dataset.from_tensor_slices((X, Y)).map(note).batch(16).cache()
    with caplog.at_level("WARNING"):
        history = _model().fit(ds, epochs=3, verbose=0)
    assert not [r for r in caplog.records if "cache" in r.getMessage()]
    assert len(reads) == len(X)  # the first epoch filled the cache; the others replayed it
    from_arrays = _model().fit(X, Y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], from_arrays.history["loss"], rtol=1e-6)
