"""``keras.wrappers``: lamina models as scikit-learn estimators.

``SKLearnClassifier``, ``SKLearnRegressor`` and ``SKLearnTransformer`` take a
compiled model, or a function ``model(X, y, **model_kwargs)`` that builds and
compiles one, and give it scikit-learn's ``fit``/``predict``/``transform``, so
it fits in a ``Pipeline``, ``GridSearchCV`` or ``cross_val_score``.
scikit-learn is an optional dependency (``pip install lamina[sklearn]``): it
is imported when one of these names is first used.

Example:
    >>> import lamina
    >>> sorted(lamina.wrappers.__all__)
    ['SKLearnClassifier', 'SKLearnRegressor', 'SKLearnTransformer']
"""

from __future__ import annotations

import importlib

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]


def __getattr__(name):
    if name in __all__:
        value = getattr(importlib.import_module("lamina.wrappers.sklearn_wrapper"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lamina.wrappers' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
