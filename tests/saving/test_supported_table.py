"""SUPPORTED.md lists what lamina's registries really hold."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
TOOL = REPO / "tools" / "make_supported_table.py"
FOLDER = REPO / "tests" / "fixtures" / "keras_files"


def _tool():
    spec = importlib.util.spec_from_file_location("make_supported_table", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not (FOLDER / "keras_names.json").exists(),
                    reason="run tools/make_keras_file_fixtures.py for Keras's names")
def test_supported_table_is_up_to_date():
    expected = _tool().render()
    current = (FOLDER / "SUPPORTED.md").read_text() if (FOLDER / "SUPPORTED.md").exists() else ""
    assert current == expected, (
        "tests/fixtures/keras_files/SUPPORTED.md is out of date: run "
        "`PYTHONPATH=src python3 tools/make_supported_table.py`."
    )


@pytest.mark.skipif(not (FOLDER / "keras_names.json").exists(),
                    reason="run tools/make_keras_file_fixtures.py for Keras's names")
def test_every_supported_layer_loads_from_a_keras_config():
    import lamina
    import lamina.saving

    tool = _tool()
    for name in sorted(tool.lamina_names("layers", "layer")):
        cls = lamina.saving.serialization.builtin_classes("layer")[name]
        assert issubclass(cls, lamina.layers.Layer)
    assert {"Dense", "Activation", "Flatten", "Reshape", "InputLayer"} <= tool.lamina_names(
        "layers", "layer")
