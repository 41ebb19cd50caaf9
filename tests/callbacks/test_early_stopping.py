"""EarlyStopping with a stand-in model: Keras 3.15 semantics, plus lamina's clear errors."""

import logging
from types import SimpleNamespace

import numpy as np
import pytest

from lamina.callbacks import CallbackList, EarlyStopping


class FakeModel:
    """Weights live in arrays updated in place, as lamina's Variables are."""

    def __init__(self, metrics=()):
        self.stop_training = False
        self.weights = [np.zeros((2, 2), dtype="float32"), np.zeros(2, dtype="float32")]
        self.metrics = list(metrics)

    def get_weights(self):
        return self.weights  # the live arrays: EarlyStopping must copy them

    def set_weights(self, weights):
        for var, value in zip(self.weights, weights):
            var[...] = value

    def train_epoch(self, epoch):
        for w in self.weights:
            w[...] = epoch


def run(stopper, values, monitor=None, model=None, extra=None):
    """Feed one monitored value per epoch; returns (model, epochs trained)."""
    model = model or FakeModel()
    stopper.set_model(model)
    stopper.on_train_begin()
    trained = 0
    for epoch, value in enumerate(values):
        trained += 1
        model.train_epoch(epoch)
        logs = {monitor or stopper.monitor: value, **(extra or {})}
        stopper.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    stopper.on_train_end()
    return model, trained


@pytest.mark.parametrize("patience", [0, 1, 2, 3])
def test_patience(patience):
    # Keras's own case: the best loss is at epoch 2; it stops `max(patience, 1)` epochs later.
    stopper = EarlyStopping(monitor="loss", patience=patience)
    run(stopper, [10.0, 9.0, 8.0, 9.0, 8.9, 8.8, 8.7, 8.6, 8.5])
    assert stopper.stopped_epoch == max(patience, 1) + 2
    assert stopper.best == 8.0 and stopper.best_epoch == 2


def test_min_delta_small_changes_do_not_count():
    values = [1.0, 0.995, 0.99, 0.985, 0.98]
    stopper = EarlyStopping(monitor="loss", patience=2, min_delta=0.01)
    _, trained = run(stopper, values)
    assert (stopper.stopped_epoch, trained, stopper.best_epoch) == (2, 3, 0)
    stopper = EarlyStopping(monitor="loss", patience=2)
    _, trained = run(stopper, values)
    assert trained == 5 and stopper.stopped_epoch == 0
    # min_delta is a magnitude: a negative one behaves the same.
    assert EarlyStopping(monitor="loss", min_delta=-0.01).min_delta == 0.01


def test_min_delta_in_max_mode():
    stopper = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05)
    _, trained = run(stopper, [0.5, 0.54, 0.7])
    assert trained == 2 and stopper.stopped_epoch == 1


@pytest.mark.parametrize(
    "monitor, mode, expected",
    [
        ("loss", "auto", np.less),
        ("val_loss", "auto", np.less),
        ("val_accuracy", "auto", np.greater),
        ("acc", "auto", np.greater),
        ("val_mean_squared_error", "auto", np.less),
        ("mae", "auto", np.less),
        ("auc_1", "auto", np.greater),
        ("val_f1_score", "auto", np.greater),
        ("output_a_loss", "auto", np.less),
        ("val_accuracy", "min", np.less),
        ("loss", "max", np.greater),
    ],
)
def test_mode_direction(monitor, mode, expected):
    stopper = EarlyStopping(monitor=monitor, mode=mode)
    run(stopper, [0.5])
    assert stopper.monitor_op is expected


def test_mode_decides_what_counts_as_better():
    accuracy = [0.5, 0.6, 0.55, 0.54]
    stopper = EarlyStopping(monitor="accuracy", patience=1)  # auto -> max
    run(stopper, accuracy)
    assert stopper.stopped_epoch == 2 and stopper.best == 0.6
    stopper = EarlyStopping(monitor="accuracy", patience=1, mode="min")
    run(stopper, accuracy)
    assert stopper.stopped_epoch == 1 and stopper.best == 0.5


def test_auto_mode_reads_metric_direction_from_model():
    metric = SimpleNamespace(name="my_score", _direction="up")
    container = SimpleNamespace(name="compile_metrics", metrics=[metric])
    stopper = EarlyStopping(monitor="val_my_score")
    run(stopper, [0.1], model=FakeModel(metrics=[container]))
    assert stopper.monitor_op is np.greater


def test_auto_mode_unknown_direction_asks_for_mode():
    with pytest.raises(ValueError, match="mode='max'.*mode='min'"):
        run(EarlyStopping(monitor="my_score"), [0.1])
    stopper = EarlyStopping(monitor="my_score", mode="max", patience=0)
    run(stopper, [0.1, 0.2, 0.15])
    assert stopper.stopped_epoch == 2


def test_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(UserWarning, match="mode 'maximum' is unknown"):
        stopper = EarlyStopping(monitor="val_accuracy", mode="maximum")
    assert stopper.mode == "auto"


def test_baseline_never_beaten_stops_after_patience_and_restores_best():
    # Keras's own case: nothing beats baseline 0.5, so it trains `patience` epochs.
    stopper = EarlyStopping(monitor="val_loss", patience=5, baseline=0.5, restore_best_weights=True)
    model, trained = run(stopper, [0.9, 0.8, 0.7, 0.71, 0.72, 0.73])
    assert trained == 5 and stopper.stopped_epoch == 4
    assert stopper.best_epoch == 2
    assert np.all(model.weights[0] == 2)


def test_baseline_beaten_resets_the_wait():
    stopper = EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    _, trained = run(stopper, [0.9, 0.4, 0.45, 0.46, 0.47])
    assert stopper.best == 0.4 and trained == 4 and stopper.stopped_epoch == 3


def test_restore_best_weights_picks_the_best_epoch_and_copies_them():
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model, trained = run(stopper, [0.2, 0.15, 0.1, 0.11, 0.12])
    assert trained == 5 and stopper.stopped_epoch == 4 and stopper.best_epoch == 2
    # The model's arrays were overwritten in place each epoch; the restore brings epoch 2 back.
    assert np.all(model.weights[0] == 2) and np.all(model.weights[1] == 2)
    assert model.weights[0].dtype == np.float32


def test_restore_best_weights_also_when_training_runs_to_the_end():
    stopper = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    model, trained = run(stopper, [0.3, 0.1, 0.2])
    assert trained == 3 and stopper.stopped_epoch == 0
    assert np.all(model.weights[0] == 1)


def test_without_restore_weights_stay_final():
    stopper = EarlyStopping(monitor="val_loss", patience=2)
    model, _ = run(stopper, [0.2, 0.15, 0.1, 0.11, 0.12])
    assert np.all(model.weights[0] == 4) and stopper.best_weights is None


def test_restore_message_printed_with_verbose(capsys):
    stopper = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True, verbose=1)
    run(stopper, [0.2, 0.1, 0.3])
    out = capsys.readouterr().out
    assert out == (
        "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_restore_message_logged_when_silent(capsys, caplog):
    stopper = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    with caplog.at_level(logging.INFO, logger="lamina"):
        run(stopper, [0.2, 0.1, 0.3])
    assert capsys.readouterr().out == ""
    assert "Restoring model weights from the end of the best epoch: 2." in caplog.text


def test_start_from_epoch_gives_a_warm_up():
    rising = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    stopper = EarlyStopping(monitor="loss", patience=0)
    _, trained = run(stopper, rising)
    assert trained == 2
    stopper = EarlyStopping(monitor="loss", patience=0, start_from_epoch=2)
    _, trained = run(stopper, rising)
    assert trained == 4 and stopper.best_epoch == 2 and stopper.stopped_epoch == 3
    stopper = EarlyStopping(monitor="loss", patience=2, start_from_epoch=2)
    _, trained = run(stopper, rising)
    assert trained == 5 and stopper.stopped_epoch == 4


def test_unknown_monitor_lists_available_keys():
    stopper = EarlyStopping(monitor="val_los")
    with pytest.raises(ValueError) as info:
        run(stopper, [None], monitor="loss", extra={"val_loss": 0.3})
    message = str(info.value)
    assert "'val_los'" in message and "epoch 1" in message
    assert "Available keys: 'loss', 'val_loss'" in message
    assert "Did you mean monitor='val_loss'?" in message


def test_training_metric_missing_fails_at_first_epoch():
    stopper = EarlyStopping(monitor="accuracy")
    stopper.set_model(FakeModel())
    stopper.on_train_begin()
    with pytest.raises(ValueError, match=r"'accuracy'.*Available keys: 'loss'.*compile"):
        stopper.on_epoch_end(0, {"loss": 0.5})


def test_val_monitor_skips_epochs_without_validation():
    # validation_freq=2: val_loss only on epochs 1, 3, 5.
    stopper = EarlyStopping(monitor="val_loss", patience=1)
    model = FakeModel()
    stopper.set_model(model)
    stopper.on_train_begin()
    val = {1: 0.5, 3: 0.6, 5: 0.7}
    stopped_at = None
    for epoch in range(6):
        logs = {"loss": 1.0}
        if epoch in val:
            logs["val_loss"] = val[epoch]
        stopper.on_epoch_end(epoch, logs)
        if model.stop_training:
            stopped_at = epoch
            break
    assert stopped_at == 3 and stopper.best_epoch == 1


def test_val_monitor_without_any_validation_warns_at_end():
    stopper = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match="no validation ran.*validation_data"):
        _, trained = run(stopper, [0.5, 0.6, 0.7], monitor="loss")
    assert trained == 3


def test_keras2_metric_names_are_understood():
    stopper = EarlyStopping(monitor="val_acc", patience=0)
    _, trained = run(stopper, [0.5, 0.4, 0.3], monitor="val_accuracy")
    assert trained == 2 and stopper.monitor_op is np.greater


def test_instance_can_be_reused_across_fits():
    stopper = EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    run(stopper, [0.1, 0.2, 0.3])
    assert stopper.stopped_epoch == 1
    _, trained = run(stopper, [5.0, 4.0, 3.0, 2.0])
    assert trained == 4 and stopper.stopped_epoch == 0 and stopper.best == 2.0


def test_through_callback_list_with_numpy_logs():
    model = FakeModel()
    stopper = EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)
    cbs = CallbackList([stopper], add_history=True, model=model, verbose=0, epochs=10, steps=1)
    cbs.on_train_begin()
    for epoch, value in enumerate([0.5, 0.4, 0.45, 0.6, 0.1]):
        cbs.on_epoch_begin(epoch)
        model.train_epoch(epoch)
        cbs.on_epoch_end(epoch, {"loss": np.float32(1.0), "val_loss": np.float32(value)})
        if model.stop_training:
            break
    cbs.on_train_end()
    assert model.history.epoch == [0, 1, 2]
    assert stopper.best_epoch == 1 and np.all(model.weights[0] == 1)
