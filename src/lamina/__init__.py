"""lamina: the Keras way of building and training networks, on NumPy alone.

``import lamina as keras`` gives Keras's namespace: ``Sequential``, ``Model``,
``Input``, ``layers``, ``models``, ``optimizers``, ``losses``, ``metrics``,
``callbacks``, ``regularizers``, ``initializers``, ``constraints``,
``activations``, ``ops``, ``utils``, ``config``, plus ``GradientTape``.
Submodules load on first use, so ``import lamina`` stays fast and silent.

Example:
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.layers.Dense(1, input_shape=[3])])
    >>> model.count_params()
    4
"""

from __future__ import annotations

import importlib

from lamina import config as config
from lamina.autodiff import GradientTape as GradientTape
from lamina.autodiff import Tensor as Tensor
from lamina.autodiff import Variable as Variable
from lamina.version import __version__ as __version__
from lamina.version import version as version

_SUBMODULES = {
    "applications", "activations", "callbacks", "constraints", "datasets", "initializers", "layers", "losses",
    "metrics", "models", "ops", "optimizers", "random", "regularizers", "utils", "compat", "saving",
    "tree", "wrappers", "distribute", "backend", "preprocessing",
}
_LAZY = {
    "Sequential": ("lamina.models", "Sequential"),
    "Model": ("lamina.models", "Model"),
    "Input": ("lamina.layers", "Input"),
    "InputLayer": ("lamina.layers", "InputLayer"),
    "InputSpec": ("lamina.layers", "InputSpec"),
    "KerasTensor": ("lamina.layers", "KerasTensor"),
    "Layer": ("lamina.layers", "Layer"),
    "Loss": ("lamina.losses", "Loss"),
    "Optimizer": ("lamina.optimizers", "Optimizer"),
    "Metric": ("lamina.metrics", "Metric"),
}

__all__ = sorted(
    ["GradientTape", "Tensor", "Variable", "config", "__version__", "version", *_SUBMODULES, *_LAZY]
)


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f"lamina.{name}")
        globals()[name] = module
        return module
    if name in _LAZY:
        module_name, attr = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lamina' has no attribute {name!r}")


def __dir__():
    # Public names only (not the modules and helpers this module imports).
    return sorted(__all__)
