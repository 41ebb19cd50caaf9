"""model.save("m.h5") and ModelCheckpoint("best.h5"): Keras 3's legacy .h5 layout, read by Keras.

tools/make_keras_h5_fixtures.py saved lamina_h5_<case>.h5 with lamina, loaded it with Keras
3.15.1 (checking Keras predicts what lamina predicts) and recorded Keras's predictions and the
layout Keras writes when it saves the loaded model as .h5 again.
"""

import json
import os
from pathlib import Path

import numpy as np
import pytest

import lamina
from lamina import callbacks, layers

h5py = pytest.importorskip("h5py")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "keras_files"
with open(FIXTURES / "lamina_h5_files.json") as _f:
    REF = json.load(_f)["cases"]


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _layout(path):
    """Layer names, and per layer group its weights as (last name part, shape)."""
    with h5py.File(path, "r") as f:
        group = f["model_weights"]
        weights = {name: [[_text(n).split("/")[-1], list(group[name][_text(n)].shape)]
                          for n in group[name].attrs["weight_names"]] for name in group}
        return sorted(f.attrs), [_text(n) for n in group.attrs["layer_names"]], weights


def _expected_layout(case):
    ref = REF[case]["keras_layout"]
    weights = {g: [[n.split("/")[-1], s] for n, s in ws] for g, ws in ref["weights"].items()}
    return ref["root_attrs"], ref["layer_names"], weights


@pytest.mark.parametrize("case", sorted(REF))
def test_keras_read_lamina_files_and_lamina_writes_keras_layout(tmp_path, case):
    data = np.load(FIXTURES / f"lamina_h5_{case}.npz")
    model = lamina.models.load_model(FIXTURES / f"lamina_h5_{case}.h5", compile=False)
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["keras_y"], atol=1e-5)
    if REF[case]["compiled"]:
        with pytest.warns(UserWarning, match="optimizer starts fresh"):
            compiled = lamina.models.load_model(FIXTURES / f"lamina_h5_{case}.h5")
        assert type(compiled.optimizer).__name__ == REF[case]["optimizer"]
        assert float(compiled.optimizer.learning_rate) == pytest.approx(
            REF[case]["learning_rate"])
        model = compiled
    again = tmp_path / "again.h5"
    model.save(again)
    assert _layout(again) == _expected_layout(case)
    with h5py.File(again, "r") as new, h5py.File(FIXTURES / f"lamina_h5_{case}.h5", "r") as old:
        for name in old["model_weights"]:
            for w in old["model_weights"][name].attrs["weight_names"]:
                np.testing.assert_array_equal(new["model_weights"][name][_text(w)],
                                              old["model_weights"][name][_text(w)])


def _trained(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((40, 4)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(5, activation="relu"),
                               layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model, x, y


def test_checkpoint_saves_the_best_model_as_h5(tmp_path):
    model, x, y = _trained()
    path = tmp_path / "best_model.h5"
    ckpt = callbacks.ModelCheckpoint(str(path), monitor="val_loss", save_best_only=True)
    history = model.fit(x, y, validation_split=0.25, epochs=4, batch_size=10, verbose=0,
                        callbacks=[ckpt])
    best = int(np.argmin(history.history["val_loss"]))
    with pytest.warns(UserWarning, match="optimizer starts fresh"):
        restored = lamina.models.load_model(path)
    assert restored.evaluate(x[30:], y[30:], verbose=0, return_dict=True)["loss"] == \
        pytest.approx(history.history["val_loss"][best], rel=1e-5)
    assert [f for f in os.listdir(tmp_path)] == ["best_model.h5"]  # no temporary files left
    with h5py.File(path, "r") as f:
        assert "optimizer_weights" in f and _text(f.attrs["keras_version"]).startswith("3.")


def test_overwrite_and_failed_saves_leave_the_old_file(tmp_path, monkeypatch):
    model, x, _ = _trained()
    path = tmp_path / "m.h5"
    model.save(path, include_optimizer=False)
    with h5py.File(path, "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(path, overwrite=False)
    before = path.read_bytes()
    from lamina.saving import h5_legacy_write

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(h5_legacy_write, "_put_weights", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.h5"]


def test_long_name_lists_are_split_as_keras_splits_them(tmp_path):
    from lamina.saving import h5_legacy_write

    names = [f"layer_{i:05d}_" + "x" * 200 for i in range(400)]  # ~84 kB of names
    with h5py.File(tmp_path / "a.h5", "w") as f:
        h5_legacy_write._put_names(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names1" in f.attrs
        from lamina.saving.h5_legacy import _attr_list

        assert _attr_list(f, "layer_names") == names
