"""What the wrappers need from scikit-learn, across its versions (1.3 and later).

scikit-learn is imported here, once, when a wrapper is first used; without it
the base classes are empty stand-ins and building a wrapper says what to
install. ``TargetReshaper`` turns 1-D targets into columns (the encoders want
2-D input) and back.
"""

from __future__ import annotations

import numpy as np

try:
    import sklearn
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, TransformerMixin
except ImportError:  # the wrappers then refuse to be built, with the fix
    sklearn = None

    class BaseEstimator:
        """Stand-in for scikit-learn's ``BaseEstimator`` (scikit-learn is not installed)."""

    class ClassifierMixin:
        """Stand-in for scikit-learn's ``ClassifierMixin``."""

    class RegressorMixin:
        """Stand-in for scikit-learn's ``RegressorMixin``."""

    class TransformerMixin:
        """Stand-in for scikit-learn's ``TransformerMixin``."""


__all__ = ["BaseEstimator", "ClassifierMixin", "RegressorMixin", "TargetReshaper",
           "TransformerMixin", "require_sklearn", "routing_enabled", "sklearn", "target_type",
           "validate_data"]


def require_sklearn(owner: str) -> None:
    """Raise ImportError naming ``owner`` and the install command when scikit-learn is missing."""
    if sklearn is None:
        raise ImportError(f"{owner} needs scikit-learn, which is not installed. Install it with "
                          "`pip install scikit-learn` (or `pip install lamina[sklearn]`).")


def validate_data(estimator, *args, **kwargs):
    """scikit-learn's input validation: ``validate_data`` (>= 1.6) or the older method."""
    try:
        from sklearn.utils.validation import validate_data as validate
    except ImportError:  # scikit-learn < 1.6
        return estimator._validate_data(*args, **kwargs)
    return validate(estimator, *args, **kwargs)


def target_type(y) -> str:
    """scikit-learn's ``type_of_target``; an unknown kind of target raises ValueError."""
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind == "unknown":
        raise ValueError(f"Unknown label type for y: {y!r}. Expected numbers or class labels.")
    return kind


def routing_enabled() -> bool:
    """Whether scikit-learn's metadata routing is switched on."""
    return bool(sklearn is not None and sklearn.get_config().get("enable_metadata_routing"))


class TargetReshaper(TransformerMixin, BaseEstimator):
    """Makes a 1-D target a column for the encoders, and squeezes predictions back.

    Attributes:
        ndim_: the number of dimensions of the target it was fitted on.
    """

    def fit(self, y):
        """Remember ``y``'s number of dimensions; returns ``self``."""
        self.ndim_ = np.ndim(y)
        return self

    def transform(self, y):
        """``y`` with at least 2 dimensions (a 1-D target becomes one column)."""
        y = np.asarray(y)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def inverse_transform(self, y):
        """Undo ``transform``: one column becomes 1-D again when the target was 1-D."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        y = np.asarray(y)
        if self.ndim_ == 1 and y.ndim == 2 and y.shape[1] == 1:
            return y[:, 0]
        return y
