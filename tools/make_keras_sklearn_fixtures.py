#!/usr/bin/env python
"""How Keras 3.15's scikit-learn wrappers behave, for lamina's tests of ``lamina.wrappers``.

Run with the reference environment (TensorFlow 2.21, Keras 3.15.1, scikit-learn):

    /opt/keras-ref/bin/python tools/make_keras_sklearn_fixtures.py

Writes tests/fixtures/keras/sklearn_wrappers.json: the wrappers' parameters and their
defaults, scikit-learn's tags, the target each wrapper hands the model-building function,
``classes_`` and the shapes ``predict``/``decision_function``/``transform`` return, and the
outcome of every check of ``sklearn.utils.estimator_checks.check_estimator`` for the same
configuration lamina's test runs (seeded initializers and ``shuffle=False``, so that a fit is
repeatable). Deterministic: rerunning it writes the same file.
"""

import json
import os
import warnings
from pathlib import Path

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["CUDA_VISIBLE_DEVICES"] = ""

import keras  # noqa: E402
import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from keras.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402
from sklearn.utils import get_tags  # noqa: E402
from sklearn.utils.estimator_checks import check_estimator  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keras"
QUIET = {"verbose": 0, "shuffle": False}
SEEN = {}


def build(X, y, loss="mse", activation=None, hidden=0, seed=0, learning_rate=0.001):
    """The same builder as tests/wrappers/test_sklearn.py."""
    SEEN["y"] = np.asarray(y).tolist()
    stack = [keras.Input((X.shape[1],))]
    if hidden:
        stack.append(keras.layers.Dense(
            hidden, activation="relu", kernel_initializer=keras.initializers.GlorotUniform(seed)))
    stack.append(keras.layers.Dense(
        y.shape[1], activation=activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed + 1)))
    model = keras.Sequential(stack)
    model.compile(loss=loss, optimizer=keras.optimizers.Adam(learning_rate))
    return model


def classifier():
    return SKLearnClassifier(
        build, model_kwargs={"loss": "categorical_crossentropy", "activation": "softmax",
                             "hidden": 20}, fit_kwargs={"epochs": 5, **QUIET})


def estimators():
    return {"SKLearnClassifier": classifier(),
            "SKLearnRegressor": SKLearnRegressor(build, fit_kwargs=QUIET),
            "SKLearnTransformer": SKLearnTransformer(build, fit_kwargs=QUIET)}


def tags_of(estimator):
    tags = get_tags(estimator)
    return {
        "estimator_type": tags.estimator_type,
        "non_deterministic": tags.non_deterministic,
        "target_required": tags.target_tags.required,
        "poor_score": (tags.classifier_tags.poor_score if tags.classifier_tags else
                       tags.regressor_tags.poor_score if tags.regressor_tags else None),
        "preserves_dtype": tags.transformer_tags.preserves_dtype if tags.transformer_tags
        else None,
    }


def behaviour():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(6, 3))
    out = {}
    for name, est in estimators().items():
        params = est.get_params()
        out[name] = {"params": sorted(params), "defaults": {
            k: v for k, v in type(est)(build).get_params().items() if k != "model"},
            "tags": tags_of(est)}
    labels = np.array(["b", "a", "c", "a", "b", "c"])
    clf = classifier().fit(X, labels)
    out["SKLearnClassifier"].update(
        model_y=SEEN["y"], classes=clf.classes_.tolist(),
        predict_shape=list(clf.predict(X).shape), predict_kind=clf.predict(X).dtype.kind,
        decision_shape=list(clf.decision_function(X).shape))
    reg = SKLearnRegressor(build, fit_kwargs=QUIET).fit(X, X[:, 0])
    out["SKLearnRegressor"].update(model_y_shape=list(np.shape(SEEN["y"])),
                                   predict_shape=list(reg.predict(X).shape))
    trs = SKLearnTransformer(build, fit_kwargs=QUIET).fit(X, X[:, 0])
    out["SKLearnTransformer"].update(transform_shape=list(trs.transform(X).shape))
    return out


def checks():
    results = {}
    for name, est in estimators().items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = check_estimator(est, on_fail=None)
        statuses, skipped = {}, {}
        for r in found:  # a check that runs several times counts as failed if one run fails
            if statuses.get(r["check_name"]) != "failed":
                statuses[r["check_name"]] = r["status"]
            if r["status"] == "skipped":
                skipped[r["check_name"]] = str(r["exception"])
        results[name] = dict(sorted(statuses.items()))
        results[name + " skip reasons"] = dict(sorted(skipped.items()))
    return results


def main():
    keras.utils.set_random_seed(0)
    data = {"keras": keras.__version__, "sklearn": sklearn.__version__,
            "backend": keras.config.backend(), "behaviour": behaviour(), "checks": checks()}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "sklearn_wrappers.json").write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    print("wrote", OUT / "sklearn_wrappers.json")


if __name__ == "__main__":
    main()
