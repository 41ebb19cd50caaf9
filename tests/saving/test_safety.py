"""Hostile model files are refused with clear errors, and loading writes nothing anywhere."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest

import lamina
import lamina.saving
from lamina.saving import safety

h5py = pytest.importorskip("h5py")


def _good_model_bytes(_unused=None):
    """The entries of a valid .keras file (made in memory)."""
    model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
    buffer = io.BytesIO()
    lamina.saving.save_model(model, buffer)
    with zipfile.ZipFile(buffer) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write_zip(path, entries, infos=()):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for info, data in infos:
            zf.writestr(info, data)
    return path


def _snapshot(folder):
    return sorted(
        (os.path.relpath(os.path.join(root, f), folder))
        for root, dirs, files in os.walk(folder) for f in files + dirs
    )


@pytest.fixture
def sandbox(tmp_path):
    """A folder whose contents (and its parent's) must not change while loading."""
    inner = tmp_path / "inner"
    inner.mkdir()
    before = _snapshot(tmp_path)
    yield inner
    after = [p for p in _snapshot(tmp_path) if not p.startswith("inner")]
    assert after == [p for p in before if not p.startswith("inner")]


def test_path_traversal_entry_is_refused_and_nothing_is_written(tmp_path, sandbox):
    entries = _good_model_bytes()
    path = _write_zip(sandbox / "evil.keras", {**entries, "../../escaped.txt": b"owned"})
    before = _snapshot(tmp_path)
    with pytest.raises(lamina.saving.UnsafeFileError, match=r"'\.\./\.\./escaped\.txt'.*'\.\.'"):
        lamina.models.load_model(path)
    assert _snapshot(tmp_path) == before
    assert not (tmp_path / "escaped.txt").exists()


@pytest.mark.parametrize("name", ["/etc/passwd_copy", "C:/windows/x", "\\\\server\\share"])
def test_absolute_entry_names_are_refused(tmp_path, name):
    entries = _good_model_bytes(tmp_path)
    path = _write_zip(tmp_path / "evil.keras", {**entries, name: b"x"})
    with pytest.raises(lamina.saving.UnsafeFileError, match="absolute path"):
        lamina.models.load_model(path)


def test_symlink_entry_is_refused(tmp_path, sandbox):
    entries = _good_model_bytes(tmp_path)
    info = zipfile.ZipInfo("assets/link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    path = _write_zip(sandbox / "evil.keras", entries, [(info, "/etc/passwd")])
    with pytest.raises(lamina.saving.UnsafeFileError, match="symbolic link"):
        lamina.models.load_model(path)
    assert _snapshot(sandbox) == ["evil.keras"]


def test_duplicate_entries_are_refused(tmp_path):
    entries = _good_model_bytes(tmp_path)
    path = tmp_path / "dup.keras"
    with pytest.warns(UserWarning):  # zipfile itself warns about the duplicate name
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in entries.items():
                zf.writestr(name, data)
            zf.writestr("config.json", entries["config.json"])
    with pytest.raises(lamina.saving.UnsafeFileError, match="appears twice"):
        lamina.models.load_model(path)


def test_oversized_config_is_refused(tmp_path, monkeypatch):
    entries = _good_model_bytes(tmp_path)
    monkeypatch.setattr(safety, "MAX_JSON_BYTES", 1000)
    padded = entries["config.json"] + b" " * 2000
    path = _write_zip(tmp_path / "big.keras", {**entries, "config.json": padded})
    with pytest.raises(lamina.saving.UnsafeFileError, match="config.json.*above the limit"):
        lamina.models.load_model(path)


def test_decompression_bomb_is_refused_before_reading(tmp_path, monkeypatch):
    entries = _good_model_bytes(tmp_path)
    monkeypatch.setattr(safety, "BOMB_FLOOR_BYTES", 10_000)
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        zf.writestr("assets/zeros.bin", b"\0" * 5_000_000)
    with pytest.raises(lamina.saving.UnsafeFileError, match="decompression bomb"):
        lamina.models.load_model(path)


def test_deeply_nested_config_is_refused(tmp_path):
    entries = _good_model_bytes(tmp_path)
    deep = "[" * 100_000 + "]" * 100_000
    path = _write_zip(tmp_path / "deep.keras", {**entries, "config.json": deep})
    with pytest.raises(lamina.saving.UnsafeFileError, match="nested more than"):
        lamina.models.load_model(path)


def test_not_a_zip_says_what_it_is(tmp_path):
    path = tmp_path / "text.keras"
    path.write_text("hello")
    with pytest.raises(ValueError, match="not a zip archive"):
        lamina.models.load_model(path)


def test_unknown_and_non_keras_classes_are_never_imported(tmp_path, monkeypatch):
    entries = _good_model_bytes(tmp_path)
    called = []
    monkeypatch.setattr(os, "system", lambda *a: called.append(a))
    for module, class_name in [("os", "system"), ("subprocess", "Popen"),
                               ("keras.layers", "MelSpectrogram"), (None, "Custom>Evil")]:
        config = {"module": module, "class_name": class_name,
                  "config": {"name": "x", "args": "rm -rf /"}, "registered_name": class_name}
        path = _write_zip(tmp_path / "c.keras",
                          {**entries, "config.json": json.dumps(config).encode()})
        with pytest.raises(lamina.saving.UnknownObjectError, match=class_name):
            lamina.models.load_model(path)
    assert called == []


def test_pickled_numpy_arrays_are_not_loaded():
    config = {"class_name": "__numpy__", "config": {"value": [1, 2], "dtype": "object"}}
    with pytest.raises(ValueError, match="only numeric arrays"):
        lamina.saving.deserialize_keras_object(config)


def _keras_zip_with_weights(tmp_path, entries, weights):
    return _write_zip(tmp_path / "w.keras", {**entries, "model.weights.h5": weights})


def _h5_bytes(build):
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        build(f)
    return buffer.getvalue()


def test_h5_links_to_other_places_or_files_are_refused(tmp_path):
    entries = _good_model_bytes(tmp_path)
    secret = tmp_path / "secret.h5"
    with h5py.File(secret, "w") as f:
        f.create_dataset("data", data=np.zeros((3, 2), "float32"))

    def external(f):
        f.create_group("vars")
        group = f.create_group("layers/dense/vars")
        group["0"] = h5py.ExternalLink(str(secret), "/data")
        group.create_dataset("1", data=np.zeros(2, "float32"))

    def soft(f):
        f.create_group("vars")
        f.create_dataset("elsewhere", data=np.zeros((3, 2), "float32"))
        group = f.create_group("layers/dense/vars")
        group["0"] = h5py.SoftLink("/elsewhere")
        group.create_dataset("1", data=np.zeros(2, "float32"))

    for build, kind in ((external, "ExternalLink"), (soft, "SoftLink")):
        path = _keras_zip_with_weights(tmp_path, entries, _h5_bytes(build))
        with pytest.raises(lamina.saving.UnsafeFileError, match=kind):
            lamina.models.load_model(path)


def test_h5_non_numeric_data_is_refused(tmp_path):
    entries = _good_model_bytes(tmp_path)

    def strings(f):
        f.create_group("vars")
        group = f.create_group("layers/dense/vars")
        group.create_dataset("0", data=np.array([b"a", b"b"]))
        group.create_dataset("1", data=np.zeros(2, "float32"))

    path = _keras_zip_with_weights(tmp_path, entries, _h5_bytes(strings))
    with pytest.raises(lamina.saving.UnsafeFileError, match="not a plain number type"):
        lamina.models.load_model(path)


def test_h5_shape_bomb_is_refused(tmp_path, monkeypatch):
    entries = _good_model_bytes(tmp_path)
    monkeypatch.setattr(safety, "H5_BOMB_FLOOR_BYTES", 1000)

    def bomb(f):
        f.create_group("vars")
        group = f.create_group("layers/dense/vars")
        group.create_dataset("0", shape=(3000, 3000), dtype="float32", chunks=(100, 100),
                             compression="gzip", fillvalue=0.0)
        group.create_dataset("1", data=np.zeros(2, "float32"))

    path = _keras_zip_with_weights(tmp_path, entries, _h5_bytes(bomb))
    with pytest.raises(lamina.saving.UnsafeFileError, match="decompression bomb"):
        lamina.models.load_model(path)


def test_lambda_configs_are_refused_in_safe_mode_and_never_executed():
    code = {"class_name": "__lambda__",
            "config": {"code": "ZXhpdCgp", "defaults": None, "closure": None}}
    with pytest.raises(ValueError, match="lamina never runs code"):
        lamina.saving.deserialize_keras_object({"function": code})
    with pytest.raises(ValueError, match="even with safe_mode=False"):
        lamina.saving.deserialize_keras_object(code, safe_mode=False)


def test_saving_a_lambda_is_refused():
    with pytest.raises(ValueError, match="never stores Python code"):
        lamina.saving.serialize_keras_object(lambda x: x)
    model = lamina.Sequential([lamina.Input((2,)), lamina.layers.Dense(1)])
    model.compile(optimizer="sgd", loss=lambda t, p: (t - p) ** 2)
    with pytest.raises(ValueError, match="never stores Python code"):
        model.to_json()


def test_atomic_write_keeps_the_old_file_when_the_body_fails(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with safety.atomic_write(path) as f:
            f.write(b"new but incomplete")
            raise RuntimeError("crash")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["data.bin"]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with safety.atomic_write(tmp_path / "missing" / "x.bin"):
            pass


def _trained_adam_model():
    model = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(3, use_bias=False)])
    model.compile(optimizer="adam", loss="mse")
    x = np.ones((8, 4), "float32")
    model.fit(x, np.ones((8, 3), "float32"), verbose=0)
    return model


def test_optimizer_state_from_another_file_is_refused(tmp_path):
    secret = tmp_path / "secret.bin"
    np.arange(12, dtype="float32").tofile(secret)
    path = str(tmp_path / "evil.weights.h5")
    _trained_adam_model().save_weights(path)
    with h5py.File(path, "a") as f:
        group = f["optimizer/vars"]
        key = next(k for k in group.keys() if group[k].shape == (4, 3))
        del group[key]
        group.create_dataset(key, shape=(4, 3), dtype="float32", external=[(str(secret), 0, 48)])
    with pytest.raises(lamina.saving.UnsafeFileError, match="another file"):
        _trained_adam_model().load_weights(path)


def test_optimizer_shape_mismatch_is_skipped_with_a_warning(tmp_path):
    path = str(tmp_path / "m.weights.h5")
    _trained_adam_model().save_weights(path)
    other = lamina.Sequential([lamina.Input((4,)), lamina.layers.Dense(5, use_bias=False)])
    other.compile(optimizer="adam", loss="mse")
    other.fit(np.ones((8, 4), "float32"), np.ones((8, 5), "float32"), verbose=0)
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        other.load_weights(path, skip_mismatch=True)
