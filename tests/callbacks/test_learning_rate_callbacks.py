"""ReduceLROnPlateau and LearningRateScheduler on a stand-in model and optimizer."""

import numpy as np
import pytest

from lamina.callbacks import CallbackList, LearningRateScheduler, ReduceLROnPlateau


class FakeOptimizer:
    """Stores the rate in float32, as Keras's (and lamina's) optimizer variable does."""

    def __init__(self, learning_rate):
        self._lr = np.float32(learning_rate)

    @property
    def learning_rate(self):
        return float(self._lr)

    @learning_rate.setter
    def learning_rate(self, value):
        self._lr = np.float32(value)


class FakeModel:
    def __init__(self, learning_rate=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)


def lr_trace(callback, values, model=None, monitor="val_loss"):
    """Learning rate after each epoch end."""
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    trace = []
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {monitor: value})
        trace.append(model.optimizer.learning_rate)
    return trace


# ------------------------------------------------------------ ReduceLROnPlateau


def test_reduces_after_patience_epochs_without_improvement():
    cb = ReduceLROnPlateau(factor=0.5, patience=2)
    trace = lr_trace(cb, [1.0, 0.9, 0.9, 0.9, 0.9, 0.9])
    np.testing.assert_allclose(trace, [0.1, 0.1, 0.1, 0.05, 0.05, 0.025], rtol=1e-6)


def test_min_delta_default_1e_4():
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    trace = lr_trace(cb, [1.0, 0.99995, 0.9], monitor="loss")
    np.testing.assert_allclose(trace, [0.1, 0.05, 0.05], rtol=1e-6)


def test_cooldown_pauses_counting_after_a_reduction():
    cb = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2)
    trace = lr_trace(cb, [1.0] * 7)
    np.testing.assert_allclose(trace, [0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125], rtol=1e-6)


def test_min_lr_is_a_floor():
    cb = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.005)
    trace = lr_trace(cb, [1.0] * 5)
    np.testing.assert_allclose(trace, [0.1, 0.01, 0.005, 0.005, 0.005], rtol=1e-6)


def test_max_mode_for_accuracy():
    cb = ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1)
    trace = lr_trace(cb, [0.5, 0.6, 0.55], monitor="val_accuracy")
    np.testing.assert_allclose(trace, [0.1, 0.1, 0.05], rtol=1e-6)


def test_learning_rate_is_added_to_logs_and_history():
    model = FakeModel(0.1)
    cbs = CallbackList(
        [ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)],
        add_history=True,
        model=model,
        verbose=0,
        epochs=3,
        steps=1,
    )
    cbs.on_train_begin()
    for epoch in range(3):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, {"loss": 1.0})
    cbs.on_train_end()
    # As in Keras, the rate is logged before this epoch's reduction.
    np.testing.assert_allclose(model.history.history["learning_rate"], [0.1, 0.1, 0.05], rtol=1e-6)
    assert list(model.history.history) == ["loss", "learning_rate"]


def test_verbose_message(capsys):
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, verbose=1)
    lr_trace(cb, [1.0, 1.0], model=FakeModel(0.5), monitor="loss")
    assert capsys.readouterr().out == "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.25.\n"


def test_reduce_lr_argument_errors():
    with pytest.raises(ValueError, match="factor >= 1.0.*factor=1.5"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.raises(TypeError, match="'patiance'.*Did you mean 'patience'"):
        ReduceLROnPlateau(patiance=3)
    with pytest.warns(UserWarning, match="min_delta"):
        cb = ReduceLROnPlateau(epsilon=0.01)
    assert cb.min_delta == 0.01


def test_reduce_lr_unknown_monitor_and_missing_optimizer():
    cb = ReduceLROnPlateau(monitor="los")
    cb.set_model(FakeModel())
    cb.on_train_begin()
    with pytest.raises(ValueError, match="Available keys: 'loss', 'learning_rate'"):
        cb.on_epoch_end(0, {"loss": 1.0})
    cb = ReduceLROnPlateau()
    cb.set_model(type("Bare", (), {"stop_training": False})())
    with pytest.raises(ValueError, match=r"model has no optimizer.*model.compile"):
        cb.on_epoch_end(0, {"val_loss": 1.0})


def test_reduce_lr_skips_epochs_without_validation():
    cb = ReduceLROnPlateau(factor=0.5, patience=1)
    model = FakeModel()
    cb.set_model(model)
    cb.on_train_begin()
    for epoch in range(4):
        logs = {"loss": 1.0}
        if epoch % 2:
            logs["val_loss"] = 1.0
        cb.on_epoch_end(epoch, logs)
    assert model.optimizer.learning_rate == pytest.approx(0.05)


# --------------------------------------------------------- LearningRateScheduler


def test_schedule_with_epoch_and_lr():
    cb = LearningRateScheduler(lambda epoch, lr: lr if epoch < 2 else lr * 0.5)
    trace = lr_trace(cb, [0.0] * 4)
    np.testing.assert_allclose(trace, [0.1, 0.1, 0.05, 0.025], rtol=1e-6)


def test_schedule_with_epoch_only():
    cb = LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    trace = lr_trace(cb, [0.0] * 3)
    np.testing.assert_allclose(trace, [0.01, 0.02, 0.03], rtol=1e-6)


def test_keras_docstring_schedule_value():
    # keras.callbacks.LearningRateScheduler's example: 15 epochs, exp decay after 10.
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * np.exp(-0.1)

    model = FakeModel(0.01)
    lr_trace(LearningRateScheduler(scheduler), [0.0] * 15, model=model)
    assert round(model.optimizer.learning_rate, 5) == 0.00607


def test_schedule_errors_are_not_swallowed():
    def broken(epoch, lr):
        raise TypeError("bug inside the schedule")

    cb = LearningRateScheduler(broken)
    cb.set_model(FakeModel())
    with pytest.raises(TypeError, match="bug inside the schedule"):
        cb.on_epoch_begin(0)


def test_schedule_output_must_be_a_number():
    cb = LearningRateScheduler(lambda epoch: "fast")
    cb.set_model(FakeModel())
    with pytest.raises(ValueError, match="should be a float. Got: 'fast'"):
        cb.on_epoch_begin(0)
    cb = LearningRateScheduler(lambda epoch: np.array([0.5]))
    cb.set_model(FakeModel())
    cb.on_epoch_begin(0)
    assert cb.model.optimizer.learning_rate == 0.5
    with pytest.raises(TypeError, match="must be a function"):
        LearningRateScheduler(0.1)


def test_scheduler_logs_and_verbose(capsys):
    model = FakeModel(0.1)
    cbs = CallbackList(
        [LearningRateScheduler(lambda e, lr: 0.5 / (e + 1), verbose=1)],
        add_history=True,
        model=model,
        verbose=0,
        epochs=2,
        steps=1,
    )
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, {"loss": 1.0})
    cbs.on_train_end()
    np.testing.assert_allclose(model.history.history["learning_rate"], [0.5, 0.25])
    assert capsys.readouterr().out == (
        "Epoch 1: LearningRateScheduler setting learning rate to 0.5.\n"
        "Epoch 2: LearningRateScheduler setting learning rate to 0.25.\n"
    )
