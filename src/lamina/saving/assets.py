"""Layer assets in ``.keras`` files: what ``save_assets``/``load_assets`` write and read.

Keras stores a layer's files (a lookup layer's ``vocabulary.txt``) under
``assets/<layer path>/`` in the zip, the layer path being the one its weights
have in ``model.weights.h5``. A layer writes into, and reads from, a fresh
temporary folder that holds only its own entries, so nothing outside the archive
is ever read; entry names were checked by ``safety.read_zip``.
"""

from __future__ import annotations

import os
import tempfile

from lamina.saving import weights_h5

__all__ = ["ASSETS", "asset_entries", "load_assets"]

ASSETS = "assets/"


def _has(obj, method: str) -> bool:
    """Whether a layer's class defines ``method`` (Keras's asset hooks)."""
    from lamina.layers.keras_api import KerasLayerAPI

    return isinstance(obj, KerasLayerAPI) and callable(getattr(type(obj), method, None))


def _prefix(path: str) -> str:
    return f"{ASSETS}{path}/" if path else ASSETS


def asset_entries(model) -> dict:
    """``{zip entry name: bytes}`` for every layer of ``model`` that saves assets."""
    entries: dict = {}

    def visit(obj, path):
        if not _has(obj, "save_assets"):
            return
        with tempfile.TemporaryDirectory() as folder:
            obj.save_assets(folder)
            for name in sorted(os.listdir(folder)):
                full = os.path.join(folder, name)
                if os.path.isfile(full) and not os.path.islink(full):
                    with open(full, "rb") as f:
                        entries[_prefix(path) + name] = f.read()

    weights_h5._walk(model, "", visit, set())
    return entries


def load_assets(model, entries: dict) -> None:
    """Hand each layer that loads assets the files saved under its path (if any)."""
    if not entries:
        return

    def visit(obj, path):
        if not _has(obj, "load_assets"):
            return
        prefix = _prefix(path)
        files = {name[len(prefix):]: data for name, data in entries.items()
                 if name.startswith(prefix) and "/" not in name[len(prefix):]
                 and name[len(prefix):] not in ("", ".", "..")}
        if not files:
            return
        with tempfile.TemporaryDirectory() as folder:
            for name, data in files.items():
                with open(os.path.join(folder, name), "wb") as f:
                    f.write(data)
            obj.load_assets(folder)

    weights_h5._walk(model, "", visit, set())
