"""History: per-epoch logs, epochs, params, model.history, pandas, Keras 2 key names."""

import pytest

from lamina.callbacks import CallbackList, History


class FakeModel:
    stop_training = False


def fit_epochs(cbs, logs_per_epoch):
    cbs.on_train_begin()
    for epoch, logs in enumerate(logs_per_epoch):
        cbs.on_epoch_begin(epoch)
        cbs.on_epoch_end(epoch, logs)
    cbs.on_train_end()


LOGS = [
    {"loss": 0.9, "accuracy": 0.5, "val_loss": 1.0, "val_accuracy": 0.4},
    {"loss": 0.7, "accuracy": 0.75, "val_loss": 0.8, "val_accuracy": 0.6},
]


def test_history_records_each_epoch_in_keras_key_order():
    model = FakeModel()
    cbs = CallbackList(None, add_history=True, model=model, verbose=0, epochs=2, steps=4)
    fit_epochs(cbs, LOGS)
    history = model.history
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"] == [0.9, 0.7]
    assert history.history["val_accuracy"] == [0.4, 0.6]
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 4}
    assert history.model is model


def test_history_to_dataframe():
    pd = pytest.importorskip("pandas")
    history = History()
    fit_epochs(CallbackList([history]), LOGS)
    frame = pd.DataFrame(history.history)
    assert frame.shape == (2, 4)
    assert list(frame.columns) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert frame["loss"].tolist() == [0.9, 0.7]


def test_keras2_names_are_understood_but_not_listed():
    history = History()
    fit_epochs(CallbackList([history]), LOGS)
    assert history.history["acc"] == [0.5, 0.75]
    assert history.history["val_acc"] == [0.4, 0.6]
    assert history.history.get("acc") == [0.5, 0.75]
    assert "acc" not in history.history and len(history.history) == 4
    with pytest.raises(KeyError):
        history.history["precision"]
    assert history.history.get("precision", "none") == "none"


def test_reused_history_extends_values_but_restarts_epochs_as_keras():
    history = History()
    fit_epochs(CallbackList([history]), LOGS)
    fit_epochs(CallbackList([history]), LOGS[:1])
    assert history.history["loss"] == [0.9, 0.7, 0.9]
    assert history.epoch == [0]
