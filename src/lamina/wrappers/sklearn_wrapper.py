"""``SKLearnClassifier``, ``SKLearnRegressor``, ``SKLearnTransformer``: Keras 3's wrappers.

A wrapper stores its four arguments and nothing else (scikit-learn's rule).
``fit`` validates ``X`` and ``y`` with scikit-learn, encodes the target
(classifiers: one-hot columns from ``OneHotEncoder``, in the order of
``classes_``; regressors and transformers: a 1-D target becomes one column),
then gets a model: the previous fit's with ``warm_start=True``, a
``clone_model`` of the given compiled model (the given model itself with
``warm_start=True``), or ``model(X=X, y=y, **model_kwargs)`` when ``model`` is
a function. ``fit_kwargs`` and ``fit``'s own keywords (which win) go to
``Model.fit``; its ``History`` is kept as ``history_`` and the model as
``model_``. Fitted wrappers pickle: the model travels as ``.keras`` bytes.

Deliberate differences from Keras 3.15, each a Keras bug: ``clone`` keeps
``fit_kwargs`` (Keras drops them), ``fit`` never writes its keywords into
``fit_kwargs``, ``set_fit_request`` routes to ``fit`` (Keras routes to
``score``) and ``epoch_`` counts the epochs of the last fit (Keras's raises).
"""

from __future__ import annotations

import io

import numpy as np

from lamina.wrappers._sklearn_compat import (
    BaseEstimator,
    ClassifierMixin,
    RegressorMixin,
    TargetReshaper,
    TransformerMixin,
    require_sklearn,
    routing_enabled,
    target_type,
    validate_data,
)

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]

_ARGS_DOC = """
    Args:
        model: a compiled ``Model``, or a function returning one, called as
            ``model(X=X, y=y, **model_kwargs)`` with the validated features and
            the encoded target. A given model is cloned (``clone_model``, with its
            compile settings) at each ``fit`` unless ``warm_start=True``.
        warm_start: reuse the weights of the previous ``fit`` (and train the given
            model itself, uncloned, at the first one). Default ``False``.
        model_kwargs: keyword arguments for ``model`` when it is a function.
        fit_kwargs: keyword arguments for ``Model.fit`` (``epochs``,
            ``batch_size``, ``verbose``, ...); keywords given to ``fit`` win.
"""


def _keras_bytes(model) -> bytes:
    buffer = io.BytesIO()
    model.save(buffer)
    return buffer.getvalue()


def _from_keras_bytes(data: bytes):
    from lamina.saving import load_model

    return load_model(io.BytesIO(data))


class _SKLBase(BaseEstimator):
    """What the three wrappers share: arguments, getting the model, fit and predict."""

    def __init__(self, model, warm_start=False, model_kwargs=None, fit_kwargs=None):
        require_sklearn(type(self).__name__)
        self.model = model
        self.warm_start = warm_start
        self.model_kwargs = model_kwargs
        self.fit_kwargs = fit_kwargs

    # -- scikit-learn's protocol ------------------------------------------------------------

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = True
        return tags

    def __sklearn_clone__(self):
        """A new unfitted wrapper with the same arguments (a given model is shared, not copied)."""
        return type(self)(model=self.model, warm_start=self.warm_start,
                          model_kwargs=self.model_kwargs, fit_kwargs=self.fit_kwargs)

    @property
    def epoch_(self) -> int:
        """The number of epochs the last ``fit`` ran (0 before any)."""
        history = getattr(self, "history_", None)
        return len(getattr(history, "epoch", ())) if history is not None else 0

    def set_fit_request(self, **kwargs):
        """Ask scikit-learn's metadata routing to pass ``fit`` these arguments.

        Args:
            **kwargs: ``param=alias`` with alias ``True``, ``False``, ``None`` or a
                string, e.g. ``set_fit_request(sample_weight=True)``.

        Returns:
            self
        """
        if not routing_enabled():
            raise RuntimeError(
                f"{type(self).__name__}.set_fit_request works only with metadata routing "
                "on: call sklearn.set_config(enable_metadata_routing=True) first.")
        from sklearn.utils.metadata_routing import MetadataRequest

        request = MetadataRequest(owner=type(self).__name__)
        for param, alias in kwargs.items():
            request.fit.add_request(param=param, alias=alias)
        self._metadata_request = request
        return self

    def __getstate__(self):
        state = dict(super().__getstate__())  # scikit-learn adds its version
        for key in ("model", "model_"):
            if _is_model(state.get(key)):
                state[key] = ("lamina.keras", _keras_bytes(state[key]))
        history = state.get("history_")
        if history is not None and getattr(history, "model", None) is not None:
            from lamina.callbacks import History

            light = History()
            light.history, light.epoch = history.history, history.epoch
            light.params = getattr(history, "params", {})
            state["history_"] = light
        return state

    def __setstate__(self, state):
        for key in ("model", "model_"):
            value = state.get(key)
            if isinstance(value, tuple) and len(value) == 2 and value[0] == "lamina.keras":
                state[key] = _from_keras_bytes(value[1])
        super().__setstate__(state)

    # -- fitting ----------------------------------------------------------------------------

    def _get_model(self, X, y):
        if self.warm_start and hasattr(self, "model_"):
            return self.model_
        if _is_model(self.model):
            if self.warm_start:
                return self.model
            return _clone_compiled(self.model)
        if not callable(self.model):
            raise TypeError(
                f"The 'model' parameter of {type(self).__name__} must be a compiled lamina "
                f"Model or a function model(X, y, **model_kwargs) returning one. Got "
                f"{type(self.model).__name__} instead.")
        model = self.model(X=X, y=y, **(self.model_kwargs or {}))
        if not _is_model(model):
            raise TypeError(
                f"{type(self).__name__}: the function given as 'model' must return a compiled "
                f"lamina Model; it returned {type(model).__name__}.")
        return model

    def fit(self, X, y, **kwargs):
        """Train a model on ``X`` (n_samples, n_features) and ``y``; returns ``self``.

        Args:
            X: the features, an array-like of shape ``(n_samples, n_features)``.
            y: the targets, shape ``(n_samples,)``.
            **kwargs: passed on to ``Model.fit`` (they win over ``fit_kwargs``).
        """
        X, y = validate_data(self, X, y)
        y = self._process_target(y, reset=True)
        model = self._get_model(X, y)
        _check_compiled(model, type(self).__name__)
        fit_kwargs = {**(self.fit_kwargs or {}), **kwargs}
        self.history_ = model.fit(X, y, **fit_kwargs)
        self.model_ = model
        return self

    def predict(self, X):
        """The fitted model's predictions for ``X``, decoded back into target values."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._reverse_process_target(np.asarray(self.model_.predict(X)))

    def _process_target(self, y, reset=False):
        target_type(y)
        if reset:
            self._target_encoder = TargetReshaper().fit(y)
        return self._target_encoder.transform(y)

    def _reverse_process_target(self, y):
        return self._target_encoder.inverse_transform(y)


def _is_model(obj) -> bool:
    from lamina.models import Model

    return isinstance(obj, Model)


def _clone_compiled(model):
    """``clone_model`` with the original's compile settings (a fresh optimizer), as Keras's does."""
    from lamina.models import clone_model

    clone = clone_model(model)
    if getattr(model, "compiled", False) and not getattr(clone, "compiled", False):
        config = model.get_compile_config()
        if config:
            clone.compile_from_config(config)
    return clone


def _check_compiled(model, owner):
    if not getattr(model, "compiled", False) or not model.loss or not model.optimizer:
        raise RuntimeError(
            f"{owner}: the model needs to be compiled with a loss and an optimizer; call "
            "model.compile(optimizer=..., loss=...) before wrapping it (or inside the function "
            "that builds it).")


class SKLearnClassifier(ClassifierMixin, _SKLBase):
    """A lamina model as a scikit-learn classifier.

    The labels are one-hot encoded for the model (``OneHotEncoder``, columns in
    the order of ``classes_``), so a function building the model sees ``y`` of
    shape ``(n_samples, n_classes)`` and usually ends in
    ``Dense(y.shape[1], activation="softmax")`` with a categorical
    cross-entropy. ``predict`` returns the label of the largest output and
    ``decision_function`` the raw outputs.
    {args}
    Attributes:
        model_: the fitted model.
        history_: the ``History`` its ``fit`` returned.
        classes_: the class labels, sorted.

    Example:
        >>> import numpy as np, lamina
        >>> from lamina.wrappers import SKLearnClassifier
        >>> def build(X, y, hidden=8):
        ...     model = lamina.Sequential([lamina.Input((X.shape[1],)),
        ...         lamina.layers.Dense(hidden, activation="relu"),
        ...         lamina.layers.Dense(y.shape[1], activation="softmax")])
        ...     model.compile(loss="categorical_crossentropy", optimizer="adam")
        ...     return model
        >>> X = np.random.default_rng(0).normal(size=(40, 3))
        >>> y = np.where(X[:, 0] > 0, "up", "down")
        >>> clf = SKLearnClassifier(build, model_kwargs={{"hidden": 4}},
        ...                         fit_kwargs={{"epochs": 2, "verbose": 0}}).fit(X, y)
        >>> clf.classes_.tolist(), clf.model_.output_shape
        (['down', 'up'], (None, 2))
    """

    __doc__ = __doc__.format(args=_ARGS_DOC)

    def decision_function(self, X):
        """The fitted model's raw outputs for ``X``, one column per class."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X))

    def _process_target(self, y, reset=False):
        kind = target_type(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__} supports binary and multiclass targets; this y is "
                f"{kind!r}. For continuous targets use SKLearnRegressor.")
        if reset:
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import OneHotEncoder

            self._target_encoder = make_pipeline(
                TargetReshaper(), OneHotEncoder(sparse_output=False)).fit(y)
            self.classes_ = np.unique(y)
            if len(self.classes_) == 1:
                raise ValueError(
                    "Classifier can't train when only one class is present: every label is "
                    f"{self.classes_[0].item()!r}. Give it examples of at least 2 classes.")
        return self._target_encoder.transform(y)

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True, "poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags


class SKLearnRegressor(RegressorMixin, _SKLBase):
    """A lamina model as a scikit-learn regressor.

    A 1-D target reaches the model as one column (``y.shape == (n_samples, 1)``)
    and ``predict`` returns a 1-D array again; ``score`` is R².
    {args}
    Attributes:
        model_: the fitted model.
        history_: the ``History`` its ``fit`` returned.

    Example:
        >>> import numpy as np, lamina
        >>> from lamina.wrappers import SKLearnRegressor
        >>> def build(X, y):
        ...     model = lamina.Sequential([lamina.Input((X.shape[1],)),
        ...                                lamina.layers.Dense(y.shape[1])])
        ...     model.compile(loss="mse", optimizer="adam")
        ...     return model
        >>> X = np.random.default_rng(0).normal(size=(20, 2))
        >>> reg = SKLearnRegressor(build, fit_kwargs={{"epochs": 1, "verbose": 0}})
        >>> reg.fit(X, X.sum(axis=1)).predict(X[:3]).shape
        (3,)
    """

    __doc__ = __doc__.format(args=_ARGS_DOC)

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True, "poor_score": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        return tags


class SKLearnTransformer(TransformerMixin, _SKLBase):
    """A lamina model as a scikit-learn transformer: ``transform`` returns its outputs.

    A transformer in scikit-learn's sense (a pipeline step), e.g. a model that
    gives embeddings of its input. ``fit`` trains it on ``(X, y)`` like the
    regressor does; ``transform(X)`` is the fitted model's ``predict``.
    {args}
    Attributes:
        model_: the fitted model.
        history_: the ``History`` its ``fit`` returned.

    Example:
        >>> import numpy as np, lamina
        >>> from lamina.wrappers import SKLearnTransformer
        >>> def build(X, y):
        ...     model = lamina.Sequential([lamina.Input((X.shape[1],)),
        ...                                lamina.layers.Dense(y.shape[1])])
        ...     model.compile(loss="mse", optimizer="adam")
        ...     return model
        >>> X = np.random.default_rng(0).normal(size=(20, 2))
        >>> trs = SKLearnTransformer(build, fit_kwargs={{"epochs": 1, "verbose": 0}})
        >>> trs.fit(X, X[:, 0]).transform(X).shape
        (20, 1)
    """

    __doc__ = __doc__.format(args=_ARGS_DOC)

    def transform(self, X):
        """The fitted model's outputs for ``X`` (shape ``(n_samples, n_outputs)``)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return np.asarray(self.model_.predict(X))

    def _more_tags(self):  # scikit-learn < 1.6
        return {"non_deterministic": True, "preserves_dtype": []}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []
        return tags

