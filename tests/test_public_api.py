"""Every exported name of every lamina package has a docstring, and the Keras namespace is complete."""

import importlib
import inspect

import pytest

import lamina

PACKAGES = [
    "lamina", "lamina.activations", "lamina.callbacks", "lamina.constraints", "lamina.datasets",
    "lamina.initializers", "lamina.layers", "lamina.losses", "lamina.metrics", "lamina.models",
    "lamina.ops", "lamina.optimizers", "lamina.optimizers.schedules", "lamina.regularizers",
    "lamina.saving", "lamina.utils", "lamina.config", "lamina.random", "lamina.compat",
]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_has_a_docstring(package):
    module = importlib.import_module(package)
    assert module.__doc__, f"{package} has no module docstring"
    missing = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        if inspect.ismodule(obj) or not (inspect.isclass(obj) or callable(obj)):
            continue
        if not inspect.getdoc(obj):
            missing.append(name)
    assert not missing, f"{package}: no docstring for {missing}"


def test_keras_namespace():
    for name in ["Sequential", "Model", "Input", "layers", "models", "optimizers", "losses",
                 "metrics", "callbacks", "regularizers", "initializers", "constraints",
                 "activations", "ops", "utils", "config", "GradientTape", "Variable"]:
        assert getattr(lamina, name) is not None
    assert lamina.optimizers.schedules.ExponentialDecay
    assert lamina.config.floatx() == "float32" and lamina.config.epsilon() == 1e-7


def test_import_prints_nothing():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import lamina"], capture_output=True, text=True,
                         check=True)
    assert out.stdout == "" and out.stderr == ""
