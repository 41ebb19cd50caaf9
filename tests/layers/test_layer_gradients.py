"""Every differentiable layer's gradients against float64 central differences, from one registry.

The cases are in ``cases_*.py`` (one file per layer family); see ``layer_gradients.py``.
"""

import importlib
import inspect
import os

import pytest
from layer_gradients import check_layer

import lamina
from lamina import layers

_HERE = os.path.dirname(__file__)
CASES = []
for _name in sorted(os.listdir(_HERE)):
    if _name.startswith("cases_") and _name.endswith(".py"):
        CASES.extend(importlib.import_module(_name[:-3]).CASES)

# Public layers with nothing to differentiate: they pass values through, draw random values
# only when training, or hold no computation of their own.
NO_GRADIENT = {"Input", "InputLayer", "InputSpec", "KerasTensor", "Layer"}
# Host-side lookups and encodings: their outputs are indices or counts, not differentiable.
NO_GRADIENT |= {"CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "StringLookup",
                "TextVectorization"}
NO_GRADIENT |= {"HashedCrossing"}  # integer bins of hashed feature crosses


@pytest.fixture(autouse=True)
def _float64():
    lamina.config.set_floatx("float64")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_layer_gradient_matches_finite_differences(case):
    check_layer(case)


def test_every_public_layer_has_a_gradient_case():
    # Classes, not names: Keras's aliases (MaxPool2D for MaxPooling2D) are the same class.
    public = {getattr(layers, name) for name in layers.__all__
              if inspect.isclass(getattr(layers, name))}
    covered = {getattr(layers, name) for c in CASES for name in c.classes}
    exempt = {getattr(layers, name) for name in NO_GRADIENT}
    missing = sorted(cls.__name__ for cls in public - covered - exempt)
    assert not missing, (
        f"lamina.layers exports {missing} with no gradient case: add one to a cases_*.py file "
        "in tests/layers (or to NO_GRADIENT if the layer has nothing to differentiate).")
