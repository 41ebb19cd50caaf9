"""The TensorBoard callback: Keras's folders, tags and steps, in event files read back here."""

import glob
import os
import struct

import numpy as np
import pytest

import lamina
from lamina import callbacks, layers

tensorboardX = pytest.importorskip("tensorboardX")
from tensorboardX.proto import event_pb2  # noqa: E402


def _events(folder):
    """``{tag: [(step, value or histogram)]}`` from every event file in ``folder``."""
    out = {}
    for path in sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*"))):
        data = open(path, "rb").read()
        offset = 0
        while offset < len(data):  # TFRecord: length, its CRC, the record, its CRC
            (length,) = struct.unpack("<Q", data[offset:offset + 8])
            record = data[offset + 12:offset + 12 + length]
            offset += 12 + length + 4
            event = event_pb2.Event.FromString(record)
            for value in event.summary.value:
                kind = value.WhichOneof("value")
                item = {"simple_value": value.simple_value, "histo": value.histo,
                        "tensor": value.tensor}[kind]
                out.setdefault(value.tag, []).append((event.step, item))
                if value.tag == "keras":
                    out["keras_plugin"] = [(value.metadata.plugin_data.plugin_name, None)]
    return out


def _model():
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(4, activation="relu",
                                                                 name="hidden"),
                               layers.Dense(1, activation="sigmoid", name="out")],
                              name="sequential")  # (the tags below name it, in any test order)
    model.compile(lamina.optimizers.SGD(0.05), "binary_crossentropy", metrics=["accuracy"])
    return model


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype("float32")
    return x, (x[:, :1] > 0).astype("float32")


def test_epoch_scalars_in_train_and_validation(tmp_path):
    x, y = _data()
    board = callbacks.TensorBoard(log_dir=tmp_path, histogram_freq=2)
    history = _model().fit(x, y, validation_split=0.25, epochs=3, batch_size=10, verbose=0,
                           callbacks=[board])
    assert sorted(os.listdir(tmp_path)) == ["train", "validation"]
    train, val = _events(tmp_path / "train"), _events(tmp_path / "validation")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(train)
    assert [s for s, _ in train["epoch_loss"]] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in train["epoch_loss"]], history.history["loss"],
                               rtol=1e-6)
    np.testing.assert_allclose([v for _, v in val["epoch_loss"]], history.history["val_loss"],
                               rtol=1e-6)
    assert [v for _, v in train["epoch_learning_rate"]] == pytest.approx([0.05] * 3)
    # after each validation: the evaluation at the optimizer's iteration count (3 batches/epoch)
    assert [s for s, _ in val["evaluation_loss_vs_iterations"]] == [3, 6, 9]
    hist = train["sequential/hidden/kernel/histogram"]
    assert [s for s, _ in hist] == [0, 2] and hist[0][1].num == 12
    assert not any(tag.startswith("batch_") for tag in train)


def test_batch_logging_every_n_batches_with_steps_per_second(tmp_path):
    x, y = _data()
    board = callbacks.TensorBoard(log_dir=str(tmp_path), update_freq=2,
                                  write_steps_per_second=True)
    _model().fit(x, y, epochs=2, batch_size=10, verbose=0, callbacks=[board])  # 4 batches/epoch
    train = _events(tmp_path / "train")
    assert [s for s, _ in train["batch_loss"]] == [2, 4, 6, 8]
    assert [s for s, _ in train["batch_steps_per_second"]] == [2, 4, 6, 8]
    assert all(v > 0 for _, v in train["epoch_steps_per_second"])
    assert not os.path.exists(tmp_path / "validation")


def test_update_freq_batch_is_every_batch_and_arguments_are_checked(tmp_path):
    x, y = _data()
    board = callbacks.TensorBoard(log_dir=tmp_path, update_freq="batch")
    assert board.update_freq == 1
    _model().fit(x, y, epochs=1, batch_size=20, verbose=0, callbacks=[board])
    assert [s for s, _ in _events(tmp_path / "train")["batch_loss"]] == [1, 2]
    with pytest.raises(ValueError, match="'update_freq' argument of TensorBoard"):
        callbacks.TensorBoard(update_freq="step")
    with pytest.raises(ValueError, match="'histogram_freq'"):
        callbacks.TensorBoard(histogram_freq=-1)
    with pytest.warns(UserWarning, match="write_images"):
        callbacks.TensorBoard(write_images=True)


def test_epoch_only_board_leaves_the_batch_hooks_out(tmp_path):
    board = callbacks.TensorBoard(log_dir=tmp_path)
    cbs = callbacks.CallbackList([board], model=_model())
    assert not cbs.needs_batch_logs and not cbs.has_train_batch_hooks


def test_missing_tensorboardx_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tensorboardX", None)
    x, y = _data()
    with pytest.raises(ImportError, match="pip install tensorboardX"):
        _model().fit(x, y, epochs=1, verbose=0,
                     callbacks=[callbacks.TensorBoard(log_dir=tmp_path)])


def _keras_cases():
    import json

    path = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras", "tensorboard.json")
    with open(path) as f:
        return json.load(f)["cases"]


KERAS_CASES = _keras_cases()


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_folders_tags_and_steps_match_keras(tmp_path, case):
    """tools/make_keras_tensorboard_fixtures.py read Keras's event files for the same runs."""
    ref = KERAS_CASES[case]
    x, y = _data()
    board = callbacks.TensorBoard(log_dir=tmp_path, **{"write_graph": False, **ref["board"]})
    _model().fit(x, y, verbose=0, shuffle=False, callbacks=[board], **ref["fit"])

    def normalized(tags):  # the model's own name (sequential, sequential_3, ...) aside
        return {("/".join(["model", *t.split("/")[1:]]) if t.endswith("/histogram") else t):
                steps for t, steps in tags.items()}

    got = {sub: normalized({t: [s if t != "keras_plugin" else p for s, p in
                                ((a if t != "keras_plugin" else b, a) for a, b in v)]
                            for t, v in _events(tmp_path / sub).items()})
           for sub in sorted(os.listdir(tmp_path))}
    assert got == {sub: normalized(tags) for sub, tags in ref["tags"].items()}


def test_evaluate_alone_writes_and_closes(tmp_path):
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0, callbacks=[callbacks.TensorBoard(log_dir=tmp_path,
                                                                    write_graph=False)])
    assert [s for s, _ in _events(tmp_path / "validation")["evaluation_loss_vs_iterations"]] \
        == [2]  # 40 rows, batches of 32: two iterations


def test_the_model_config_is_written_for_the_graphs_tab(tmp_path):
    import json

    model = _model()
    board = callbacks.TensorBoard(log_dir=tmp_path)
    board.set_model(model)
    board.on_train_end()  # closes the writers (tensorboardX writes in a thread)
    events = _events(tmp_path / "train")
    (step, tensor), = events["keras"]
    assert step == 0 and json.loads(tensor.string_val[0]) == json.loads(model.to_json())
    assert events["keras_plugin"][0][0] == "graph_keras_model"


def test_docstring_example_runs():
    from helpers import run_doctests

    from lamina.callbacks import tensorboard

    assert run_doctests(tensorboard) >= 1
