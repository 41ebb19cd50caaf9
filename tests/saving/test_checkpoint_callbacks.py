"""ModelCheckpoint and BackupAndRestore: what they save, when, and exact resumption."""

from __future__ import annotations

import os

import numpy as np
import pytest

import lamina
from lamina import callbacks, layers

pytest.importorskip("h5py")


def _data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int32")
    return x, y


def _model(dropout=True):
    lamina.utils.set_random_seed(3)
    stack = [lamina.Input((5,)), layers.Dense(8, activation="relu")]
    if dropout:
        stack.append(layers.Dropout(0.3))
    stack += [layers.BatchNormalization(), layers.Dense(2, activation="softmax")]
    model = lamina.Sequential(stack)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# -- ModelCheckpoint -----------------------------------------------------------------------------


def test_checkpoint_formats_epoch_and_metrics_into_the_name(tmp_path):
    x, y = _data()
    pattern = str(tmp_path / "ckpt" / "{epoch:02d}-{val_loss:.2f}.keras")
    ckpt = callbacks.ModelCheckpoint(pattern)
    history = _model().fit(x, y, validation_split=0.25, epochs=3, verbose=0, callbacks=[ckpt])
    expected = sorted(f"{e + 1:02d}-{loss:.2f}.keras"
                      for e, loss in enumerate(history.history["val_loss"]))
    assert sorted(os.listdir(tmp_path / "ckpt")) == expected
    model = lamina.models.load_model(tmp_path / "ckpt" / expected[-1])
    assert model.compiled


def test_save_best_only_keeps_the_best_epoch(tmp_path, capsys):
    x, y = _data()
    path = tmp_path / "best.weights.h5"
    # "max" on the loss: only the first epoch is the best, so later epochs never save.
    ckpt = callbacks.ModelCheckpoint(path, monitor="loss", mode="max", save_best_only=True,
                                     save_weights_only=True, verbose=1)
    model = _model(dropout=False)
    model.fit(x, y, epochs=3, shuffle=False, verbose=0, callbacks=[ckpt])
    out = capsys.readouterr().out
    assert "Epoch 1: loss improved from None to" in out
    assert "Epoch 2: loss did not improve from" in out
    fresh = _model(dropout=False)
    fresh.load_weights(path)
    first_epoch = _model(dropout=False)
    first_epoch.fit(x, y, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(fresh.get_weights(), first_epoch.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_initial_value_threshold_must_be_beaten(tmp_path):
    x, y = _data()
    path = tmp_path / "m.keras"
    ckpt = callbacks.ModelCheckpoint(path, monitor="loss", save_best_only=True,
                                     initial_value_threshold=0.0)
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[ckpt])
    assert not path.exists()


def test_save_freq_in_batches(tmp_path):
    x, y = _data()
    pattern = str(tmp_path / "e{epoch}-b{batch}.weights.h5")
    ckpt = callbacks.ModelCheckpoint(pattern, save_weights_only=True, save_freq=3)
    _model().fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[ckpt])  # 4 batches/epoch
    assert sorted(os.listdir(tmp_path)) == ["e1-b3.weights.h5", "e2-b2.weights.h5"]


def test_checkpoint_argument_errors_show_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"'\.keras' files.*best\.keras"):
        callbacks.ModelCheckpoint(str(tmp_path / "best.hdf5"))
    with pytest.raises(ValueError, match=r"'\.weights\.h5'.*w\.weights\.h5"):
        callbacks.ModelCheckpoint(str(tmp_path / "w.h5"), save_weights_only=True)
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="batch")
    with pytest.raises(TypeError, match="save_freq"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), period=2)
    x, y = _data()
    ckpt = callbacks.ModelCheckpoint(str(tmp_path / "{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match="val_acc"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[ckpt])


def test_checkpoint_leaves_no_temporary_files(tmp_path):
    x, y = _data()
    ckpt = callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="loss")
    _model().fit(x, y, epochs=3, verbose=0, callbacks=[ckpt])
    assert os.listdir(tmp_path) == ["m.keras"]


# -- BackupAndRestore ----------------------------------------------------------------------------


class _Interrupt(callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch = at_epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise RuntimeError("simulated crash")


def test_interrupted_fit_resumes_and_ends_with_the_same_weights(tmp_path):
    x, y = _data()
    fit = dict(batch_size=16, epochs=6, verbose=0)  # shuffled, with dropout

    reference = _model()
    ref_history = reference.fit(x, y, **fit).history["loss"]

    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    first = _model()
    with pytest.raises(RuntimeError, match="simulated crash"):
        first.fit(x, y, callbacks=[backup, _Interrupt(3)], **fit)
    assert (tmp_path / "backup" / "latest.weights.h5").exists()

    lamina.utils.set_random_seed(12345)  # whatever happened in between
    resumed = _model()
    history = resumed.fit(x, y, callbacks=[backup], **fit).history["loss"]
    assert history == ref_history[3:]  # only the remaining epochs ran
    for a, b in zip(resumed.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(resumed.optimizer.variables, reference.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not (tmp_path / "backup").exists()  # delete_checkpoint=True removed it


def test_backup_is_kept_when_asked_and_other_files_are_never_deleted(tmp_path):
    x, y = _data()
    folder = tmp_path / "backup"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    _model().fit(x, y, epochs=2, verbose=0,
                 callbacks=[callbacks.BackupAndRestore(folder, delete_checkpoint=False)])
    assert sorted(os.listdir(folder)) == ["latest.weights.h5", "notes.txt",
                                          "training_metadata.json"]
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(folder)])
    assert os.listdir(folder) == ["notes.txt"]


def test_a_completed_backup_means_nothing_left_to_do(tmp_path):
    x, y = _data()
    folder = tmp_path / "b"
    _model().fit(x, y, epochs=2, verbose=0,
                 callbacks=[callbacks.BackupAndRestore(folder, delete_checkpoint=False)])
    history = _model().fit(x, y, epochs=2, verbose=0,
                           callbacks=[callbacks.BackupAndRestore(folder)])
    assert history.history == {}


def test_backup_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="backup_dir"):
        callbacks.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.BackupAndRestore(tmp_path, save_freq=0)
