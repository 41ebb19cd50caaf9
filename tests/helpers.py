"""Checks shared by several test modules (importable: conftest puts tests/ on sys.path)."""

import doctest
import json
import os

import pytest

import lamina
from lamina import layers

KERAS_DEFAULTS = os.path.join(os.path.dirname(__file__), "fixtures", "keras_files",
                              "keras_default_configs.json")


def run_doctests(module, name=None) -> int:
    """Run the docstring examples of ``module``; assert none fails; return how many ran."""
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name or module.__name__) if t.examples]
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    return len(tests)


def keras_default(class_name):
    """What real Keras 3.15.1 serialized for ``class_name(**kwargs)`` (fixture by another tool)."""
    if not os.path.exists(KERAS_DEFAULTS):
        pytest.skip("tests/fixtures/keras_files/keras_default_configs.json is missing")
    with open(KERAS_DEFAULTS) as f:
        table = json.load(f)["layer"]
    if class_name not in table:
        pytest.skip(f"{class_name} is not in keras_default_configs.json")
    return table[class_name]


def assert_serializes_like_keras(class_name):
    """A layer made with the fixture's arguments serializes as Keras did, and deserializes."""
    entry = keras_default(class_name)
    layer = getattr(layers, class_name)(**entry["kwargs"])
    mine = json.loads(json.dumps(lamina.layers.serialize(layer)))
    mine.pop("build_config", None)
    mine["config"]["name"] = entry["serialized"]["config"]["name"]
    assert mine == entry["serialized"]
    restored = lamina.layers.deserialize(entry["serialized"])
    assert type(restored) is type(layer)
    return layer, restored
