"""CallbackList: hook order as in Keras's fit, batch-hook skipping, logs, History, LambdaCallback."""

import numpy as np
import pytest

from lamina.callbacks import (
    Callback,
    CallbackList,
    EarlyStopping,
    History,
    LambdaCallback,
    ProgbarLogger,
    TerminateOnNaN,
)
from lamina.callbacks.callback import overrides


class FakeModel:
    def __init__(self):
        self.stop_training = False


class Recorder(Callback):
    """Overrides every hook and records (hook, index) in call order."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def _rec(self, name, index=None):
        self.calls.append(name if index is None else (name, index))

    def on_train_begin(self, logs=None):
        self._rec("train_begin")

    def on_train_end(self, logs=None):
        self._rec("train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self._rec("epoch_begin", epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._rec("epoch_end", epoch)

    def on_batch_begin(self, batch, logs=None):
        self._rec("batch_begin", batch)

    def on_batch_end(self, batch, logs=None):
        self._rec("batch_end", batch)

    def on_train_batch_begin(self, batch, logs=None):
        self._rec("train_batch_begin", batch)
        super().on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._rec("train_batch_end", batch)
        super().on_train_batch_end(batch, logs)

    def on_test_begin(self, logs=None):
        self._rec("test_begin")

    def on_test_end(self, logs=None):
        self._rec("test_end")

    def on_test_batch_begin(self, batch, logs=None):
        self._rec("test_batch_begin", batch)

    def on_test_batch_end(self, batch, logs=None):
        self._rec("test_batch_end", batch)

    def on_predict_begin(self, logs=None):
        self._rec("predict_begin")

    def on_predict_end(self, logs=None):
        self._rec("predict_end")

    def on_predict_batch_begin(self, batch, logs=None):
        self._rec("predict_batch_begin", batch)

    def on_predict_batch_end(self, batch, logs=None):
        self._rec("predict_batch_end", batch)


def run_fit(callbacks, model, epochs, steps, val_steps=0, validation_freq=1, losses=None):
    """Drive a CallbackList exactly as Keras 3's fit does (validation through evaluate)."""
    callbacks.on_train_begin()
    training_logs = None
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        logs = {}
        for step in range(steps):
            callbacks.on_train_batch_begin(step)
            loss = losses[epoch] if losses else 1.0 / (epoch + 1)
            logs = {"loss": np.float32(loss)}
            callbacks.on_train_batch_end(step, logs)
            if model.stop_training:
                break
        epoch_logs = dict(logs)
        if val_steps and (epoch + 1) % validation_freq == 0:
            callbacks.on_test_begin()
            for step in range(val_steps):
                callbacks.on_test_batch_begin(step)
                callbacks.on_test_batch_end(step, {"loss": 2.0})
            callbacks.on_test_end({"loss": 2.0})
            epoch_logs["val_loss"] = 2.0
        callbacks.on_epoch_end(epoch, epoch_logs)
        training_logs = epoch_logs
        if model.stop_training:
            break
    callbacks.on_train_end(training_logs)


def test_hook_order_matches_keras_fit():
    rec = Recorder()
    model = FakeModel()
    cbs = CallbackList([rec], add_history=True, model=model, verbose=0, epochs=2, steps=2)
    run_fit(cbs, model, epochs=2, steps=2, val_steps=1)
    epoch = lambda e: [  # noqa: E731
        ("epoch_begin", e),
        ("train_batch_begin", 0),
        ("batch_begin", 0),
        ("train_batch_end", 0),
        ("batch_end", 0),
        ("train_batch_begin", 1),
        ("batch_begin", 1),
        ("train_batch_end", 1),
        ("batch_end", 1),
        "test_begin",
        ("test_batch_begin", 0),
        ("test_batch_end", 0),
        "test_end",
        ("epoch_end", e),
    ]
    assert rec.calls == ["train_begin", *epoch(0), *epoch(1), "train_end"]


def test_predict_hooks_and_alias_calls():
    rec = Recorder()
    cbs = CallbackList([rec])
    cbs.on_predict_begin()
    cbs.on_predict_batch_begin(0)
    cbs.on_predict_batch_end(0, {"outputs": np.zeros((2, 1))})
    cbs.on_predict_end()
    assert rec.calls == [
        "predict_begin",
        ("predict_batch_begin", 0),
        ("predict_batch_end", 0),
        "predict_end",
    ]


def test_default_callbacks_order_history_then_progbar_and_no_duplicates():
    user = Recorder()
    cbs = CallbackList([user], add_history=True, add_progbar=True, verbose=1, epochs=1, steps=1)
    assert [type(cb) for cb in cbs.callbacks] == [Recorder, History, ProgbarLogger]
    history, progbar = History(), ProgbarLogger()
    cbs = CallbackList([progbar, history], add_history=True, add_progbar=True)
    assert cbs.callbacks == [progbar, history]


def test_set_model_and_params_reach_every_callback_and_model_gets_history():
    rec = Recorder()
    model = FakeModel()
    CallbackList([rec], add_history=True, model=model, verbose=2, epochs=3, steps=7)
    assert rec.model is model and rec.params == {"verbose": 2, "epochs": 3, "steps": 7}
    assert isinstance(model.history, History)
    assert model.history.params == {"verbose": 2, "epochs": 3, "steps": 7}


def test_nested_lists_single_callback_and_append():
    a, b, c = Recorder(), Recorder(), Recorder()
    assert CallbackList([a, [b, (c,)]]).callbacks == [a, b, c]
    assert CallbackList(a).callbacks == [a]
    model = FakeModel()
    cbs = CallbackList([], model=model, verbose=0, epochs=1, steps=1)
    assert not cbs.needs_batch_logs
    cbs.append(a)
    assert a.model is model and a.params["steps"] == 1
    assert cbs.needs_batch_logs


def test_class_instead_of_instance_is_explained():
    with pytest.raises(TypeError, match=r"got the class EarlyStopping. Call it: EarlyStopping\("):
        CallbackList([EarlyStopping])
    with pytest.raises(TypeError, match="LambdaCallback"):
        CallbackList([print])


def test_logs_are_sorted_flattened_floats_and_shared_between_callbacks():
    seen = []

    class AddKey(Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.0

    class Read(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(dict(logs))

    cbs = CallbackList([AddKey(), Read()])
    cbs.on_epoch_end(0, {"loss": np.float32(0.5), "accuracy": np.array(1.0), "out": {"mae": 2}})
    assert list(seen[0]) == ["accuracy", "loss", "mae", "extra"]
    assert all(type(v) is float for v in seen[0].values())
    assert seen[0]["loss"] == 0.5


class EpochOnly(Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


class IterSpy(dict):
    """A logs dict that records whether anybody looked at its keys."""

    touched = False

    def __iter__(self):
        IterSpy.touched = True
        return super().__iter__()


def test_callbacks_without_batch_hooks_are_skipped_and_logs_not_read():
    cbs = CallbackList([EpochOnly(), History()], add_history=True)
    assert cbs.needs_batch_logs is False
    assert cbs.needs_test_batch_logs is False
    assert cbs.needs_predict_batch_outputs is False
    assert not (
        cbs.has_train_batch_hooks or cbs.has_test_batch_hooks or cbs.has_predict_batch_hooks
    )
    IterSpy.touched = False
    for step in range(3):
        cbs.on_train_batch_begin(step)
        cbs.on_train_batch_end(step, IterSpy(loss=1.0))
        cbs.on_test_batch_end(step, IterSpy(loss=1.0))
        cbs.on_predict_batch_end(step, IterSpy(outputs=1.0))
    assert IterSpy.touched is False


def test_only_overriding_callbacks_are_called_per_batch():
    calls = []

    class BatchEnd(Callback):
        def on_train_batch_end(self, batch, logs=None):
            calls.append(("end", batch, logs["loss"]))

    class OldName(Callback):  # Keras 2 style: on_batch_end only
        def on_batch_end(self, batch, logs=None):
            calls.append(("old", batch))

    epoch_only, batch_end, old = EpochOnly(), BatchEnd(), OldName()
    cbs = CallbackList([epoch_only, batch_end, old])
    assert cbs._on_train_batch_end == [batch_end, old]
    assert cbs._on_train_batch_begin == []
    assert cbs.needs_batch_logs and not cbs.needs_test_batch_logs
    assert cbs.has_train_batch_hooks and not cbs.has_test_batch_hooks
    cbs.on_train_batch_end(4, {"loss": np.float64(0.25)})
    assert calls == [("end", 4, 0.25), ("old", 4)]


def test_override_detection():
    assert not overrides(Callback(), "on_train_batch_end")
    assert overrides(TerminateOnNaN(), "on_train_batch_end")  # via on_batch_end
    assert not overrides(TerminateOnNaN(), "on_test_batch_end")
    assert overrides(LambdaCallback(on_train_batch_end=lambda b, logs: None), "on_train_batch_end")
    assert overrides(LambdaCallback(on_batch_end=lambda b, logs: None), "on_train_batch_end")
    assert not overrides(LambdaCallback(on_epoch_end=lambda e, logs: None), "on_train_batch_end")
    nested = CallbackList([CallbackList([TerminateOnNaN()])])
    assert nested.needs_batch_logs and not nested.needs_test_batch_logs


def test_lambda_callback_calls_functions_like_keras():
    events = []
    cb = LambdaCallback(
        on_epoch_begin=lambda epoch, logs: events.append(("eb", epoch)),
        on_epoch_end=lambda epoch, logs: events.append(("ee", epoch, logs["loss"])),
        on_train_begin=lambda logs: events.append("tb"),
        on_train_end=lambda logs: events.append("te"),
        on_train_batch_begin=lambda batch, logs: events.append(("bb", batch)),
        on_train_batch_end=lambda batch, logs: events.append(("be", batch)),
        on_test_end=lambda logs: events.append(("test_end", logs["loss"])),
    )
    model = FakeModel()
    cbs = CallbackList([cb], model=model, verbose=0, epochs=1, steps=2)
    run_fit(cbs, model, epochs=1, steps=2, val_steps=1, losses=[0.5])
    assert events == [
        "tb",
        ("eb", 0),
        ("bb", 0),
        ("be", 0),
        ("bb", 1),
        ("be", 1),
        ("test_end", 2.0),
        ("ee", 0, 0.5),
        "te",
    ]


def test_lambda_callback_rejects_unknown_hooks_and_non_functions():
    with pytest.raises(ValueError, match="Did you mean 'on_epoch_end'"):
        LambdaCallback(on_epoch_ends=print)
    with pytest.raises(TypeError, match="'on_epoch_end' must be a function"):
        LambdaCallback(on_epoch_end=3)


def test_subclass_without_super_init_still_works():
    class NoSuper(Callback):
        def __init__(self):
            self.count = 0

        def on_epoch_end(self, epoch, logs=None):
            self.count += 1

    cb = NoSuper()
    assert cb.model is None and cb.params is None
    model = FakeModel()
    cbs = CallbackList([cb], model=model, verbose=0, epochs=1, steps=1)
    run_fit(cbs, model, epochs=2, steps=1)
    assert cb.model is model and cb.count == 2


def test_stop_training_from_a_callback_ends_fit():
    class StopAtBatch(Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    model = FakeModel()
    cbs = CallbackList([StopAtBatch()], add_history=True, model=model, verbose=0, epochs=5, steps=3)
    run_fit(cbs, model, epochs=5, steps=3)
    assert model.history.epoch == [0]
