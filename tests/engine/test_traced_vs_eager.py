"""Every layer and model kind trains to the same numbers traced (the engine) and eagerly.

Each model is trained twice from the same seed: once with the default
``compile()`` (``train_step`` traced once per batch signature, then the plan
replayed) and once with ``run_eagerly=True`` (the tape, step by step). The
History, the weights (moving statistics included) and the predictions must
agree: bit for bit when the engine does not fold Dense biases into the matrix
products (``fold.FOLD_BIAS = False``), to float32 rounding when it does (the
default); dropout draws its masks in the same order on both paths.
"""

import numpy as np
import pytest

import lamina
from lamina import layers, ops
from lamina.engine import fold


@pytest.fixture(params=["exact", "folded"])
def folding(request, monkeypatch):
    """Both ways: no folding (bit for bit, atol 0) and Dense biases folded (rounding, 1e-5)."""
    monkeypatch.setattr(fold, "FOLD_BIAS", request.param == "folded")
    return 0.0 if request.param == "exact" else 1e-5

RNG = np.random.default_rng(0)
X = RNG.normal(3.0, 2.0, size=(75, 6)).astype("float32")  # 75 = 2 * 32 + 11: a short last batch
Y_REG = (X[:, :2].sum(axis=1, keepdims=True) / 4.0).astype("float32")
Y_CLS = (X[:, 0] > 3.0).astype("int32") + (X[:, 1] > 4.0).astype("int32")
X_VAL = RNG.normal(3.0, 2.0, size=(20, 6)).astype("float32")
Y_VAL = (X_VAL[:, :2].sum(axis=1, keepdims=True) / 4.0).astype("float32")


def _wine_like():
    return [layers.Dense(16, activation="relu"), layers.Dropout(0.3), layers.BatchNormalization(),
            layers.Dense(16, activation="relu"), layers.Dropout(0.3), layers.BatchNormalization(),
            layers.Dense(1)]


def _bn_first():
    return [layers.BatchNormalization(), layers.Dense(12, activation="relu"),
            layers.BatchNormalization(momentum=0.9, epsilon=1e-5), layers.Dense(1)]


def _bn_variants():
    return [layers.Dense(8, activation="tanh"), layers.BatchNormalization(center=False),
            layers.Dense(8, activation="sigmoid"), layers.BatchNormalization(scale=False),
            layers.Dense(8, activation="relu"),
            layers.BatchNormalization(center=False, scale=False), layers.Dense(1)]


def _bn_regularized():
    return [layers.Dense(8, activation="relu"),
            layers.BatchNormalization(gamma_regularizer=lamina.regularizers.L2(0.01),
                                      beta_regularizer=lamina.regularizers.L1(0.01),
                                      gamma_constraint="non_neg"),
            layers.Dense(1)]


def _noise_layers():
    return [layers.GaussianNoise(0.2), layers.Dense(8, activation="tanh"),
            layers.AlphaDropout(0.2), layers.Dense(8, activation="relu"),
            layers.GaussianDropout(0.3), layers.Dense(8, activation="relu"),
            layers.Dropout(0.25, noise_shape=(1, None), seed=5), layers.Dense(1)]


def _normalization_first():
    norm = layers.Normalization()
    norm.adapt(X)
    return [norm, layers.Dense(8, activation="relu"), layers.Dropout(0.2), layers.Dense(1)]


def _regularized_dense():
    r = lamina.regularizers
    return [layers.Dense(8, activation="elu", kernel_regularizer=r.L1L2(0.01, 0.02),
                         bias_regularizer=r.L2(0.1), kernel_constraint="max_norm"),
            layers.LayerNormalization(), layers.Dense(8, activation="selu",
                                                       activity_regularizer=r.L2(0.01)),
            layers.UnitNormalization(), layers.Dense(1)]


def _reshapes():
    return [layers.Reshape((2, 3)), layers.Dense(4, activation="gelu"), layers.Flatten(),
            layers.Dense(5, activation="softplus"), layers.Activation("swish"), layers.Dense(1)]


def _classifier():
    return [layers.Dense(10, activation="relu"), layers.BatchNormalization(),
            layers.Dropout(0.4), layers.Dense(3, activation="softmax")]


CASES = {
    "dense_dropout_bn": (_wine_like, "mae", Y_REG),
    "bn_first_layer": (_bn_first, "mse", Y_REG),
    "bn_center_scale_variants": (_bn_variants, "mse", Y_REG),
    "bn_regularized_constrained": (_bn_regularized, "mse", Y_REG),
    "noise_layers": (_noise_layers, "mse", Y_REG),
    "normalization_first": (_normalization_first, "mse", Y_REG),
    "regularizers_and_norms": (_regularized_dense, "huber", Y_REG),
    "reshapes_and_activations": (_reshapes, "mean_squared_logarithmic_error", np.abs(Y_REG)),
    "classifier": (_classifier, "sparse_categorical_crossentropy", Y_CLS),
}


def train(make_layers, loss, y, run_eagerly, frozen_bn=False):
    lamina.utils.set_random_seed(123)
    model = lamina.Sequential([lamina.Input((6,)), *make_layers()])
    if frozen_bn:
        for layer in model.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.moving_mean.assign(np.full(layer.moving_mean.shape, 0.5))
                layer.trainable = False
    metrics = ["accuracy"] if loss.startswith("sparse") else ["mae"]
    model.compile(optimizer="adam", loss=loss, metrics=metrics, run_eagerly=run_eagerly)
    kwargs = {"validation_data": (X_VAL, Y_VAL)} if y is Y_REG else {}
    history = model.fit(X, y, batch_size=32, epochs=3, verbose=0, **kwargs)
    step = model.make_train_function()
    assert isinstance(step, lamina.engine.Function) != run_eagerly
    if not run_eagerly:
        assert not step.eager, step.eager_reason
    return model, history.history


def assert_same_training(traced, eager, atol=0.0):
    (m1, h1), (m2, h2) = traced, eager
    assert list(h1) == list(h2)
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=atol, atol=atol, err_msg=key)
    for w, a, b in zip(m1.weights, m1.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(a, b, rtol=atol, atol=atol, err_msg=w.path)
    np.testing.assert_allclose(m1.predict(X, verbose=0), m2.predict(X, verbose=0),
                               rtol=atol, atol=atol)


@pytest.mark.parametrize("case", list(CASES))
def test_traced_and_eager_training_agree(case, folding):
    make_layers, loss, y = CASES[case]
    assert_same_training(train(make_layers, loss, y, False), train(make_layers, loss, y, True),
                         folding)


def test_frozen_batch_normalization_traced_and_eager(folding):
    traced = train(_wine_like, "mse", Y_REG, False, frozen_bn=True)
    eager = train(_wine_like, "mse", Y_REG, True, frozen_bn=True)
    assert_same_training(traced, eager, folding)
    bn = [layer for layer in traced[0].layers if isinstance(layer, layers.BatchNormalization)][0]
    np.testing.assert_array_equal(bn.moving_mean.numpy(), 0.5)


def test_dropout_draws_new_masks_every_step_when_replayed():
    lamina.utils.set_random_seed(1)
    model = lamina.Sequential([lamina.Input((6,)), layers.Dropout(0.5)])
    step = lamina.engine.Function(lambda x: model(x, training=True))
    x = np.ones((4, 6), "float32")
    masks = [step(x).numpy() for _ in range(5)]  # traced twice, then replayed
    assert step.compiled_for((x,)) is not None
    assert len({m.tobytes() for m in masks}) == 5


# -- model kinds -----------------------------------------------------------------------------------

def _sequential():
    return lamina.Sequential([lamina.Input((1,)), layers.Dense(16, activation="relu"),
                              layers.Dense(32, activation="relu"),
                              layers.Dense(2, activation="softmax")])


def _functional():
    i = lamina.Input((1,))
    h = layers.Dense(16, activation="relu")(i)
    h = layers.Dense(32, activation="relu")(h)
    return lamina.Model(i, layers.Dense(2, activation="softmax")(h))


class _Subclassed(lamina.Model):
    def __init__(self):
        super().__init__()
        self.a = layers.Dense(16, activation="relu")
        self.b = layers.Dense(32, activation="relu")
        self.c = layers.Dense(2, activation="softmax")

    def call(self, x):
        return self.c(self.b(self.a(x)))


class _MyDense(layers.Layer):
    def __init__(self, units, activation=None):
        super().__init__()
        self.units = units
        self.act = lamina.activations.get(activation)

    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        return self.act(ops.matmul(x, self.w) + self.b)


def _custom_layers():
    return lamina.Sequential([lamina.Input((1,)), _MyDense(16, "relu"), _MyDense(32, "relu"),
                              _MyDense(2, "softmax")])


KINDS = {"sequential": _sequential, "functional": _functional, "subclassed": _Subclassed,
         "custom_layer": _custom_layers}


def _fit_kind(make, run_eagerly):
    lamina.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((203, 1), dtype=np.float32)
    y = (x[:, 0] > 0.5).astype("int64")
    model = make()
    model.compile(optimizer=lamina.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  run_eagerly=run_eagerly)
    history = model.fit(x, y, batch_size=10, epochs=2, verbose=0, validation_split=0.1)
    return model, history.history


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_model_kind_trains_the_same_traced_and_eagerly(kind, folding):
    traced = _fit_kind(KINDS[kind], False)
    eager = _fit_kind(KINDS[kind], True)
    np.testing.assert_allclose(traced[0].get_weights()[0], eager[0].get_weights()[0], atol=1e-6)
    for key in traced[1]:
        np.testing.assert_allclose(traced[1][key], eager[1][key], atol=1e-6, err_msg=key)


def test_every_model_kind_reaches_the_same_weights():
    weights = [_fit_kind(make, False)[0].get_weights() for make in KINDS.values()]
    for other in weights[1:]:
        for a, b in zip(weights[0], other):
            np.testing.assert_allclose(a, b, atol=1e-6)
