"""The fused kernels of the noise and normalization layers (src/lamina/trainers/fast_kernels.py).

Each model is trained twice with the same seed, once on the fused step and
once on the generic tape step (``make_train_function`` returning
``train_step``): the weights (moving statistics included) and the History
must agree to 1e-6. Dropout draws its mask through one helper on both paths,
so the same entries are dropped. The kernels' backward passes are also
compared directly with the tape's gradients in float64.
"""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.trainers import fast_kernels, fast_path

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
    return [layers.Dense(8, activation="tanh"),
            layers.BatchNormalization(center=False),
            layers.Dense(8, activation="sigmoid"),
            layers.BatchNormalization(scale=False),
            layers.Dense(8, activation="relu"),
            layers.BatchNormalization(center=False, scale=False),
            layers.Dense(1)]


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


def _seeded_dropouts():
    return [layers.Dense(12, activation="relu"), layers.Dropout(0.5, seed=11),
            layers.Dense(12, activation="relu"), layers.Dropout(0.2, seed=12), layers.Dense(1)]


def _normalization_first():
    norm = layers.Normalization()
    norm.adapt(X)
    return [norm, layers.Dense(8, activation="relu"), layers.Dropout(0.2), layers.Dense(1)]


def _classifier():
    return [layers.Dense(10, activation="relu"), layers.BatchNormalization(),
            layers.Dropout(0.4), layers.Dense(3, activation="softmax")]


CASES = {
    "dense_dropout_bn": (_wine_like, "mae", Y_REG),
    "bn_first_layer": (_bn_first, "mse", Y_REG),
    "bn_center_scale_variants": (_bn_variants, "mse", Y_REG),
    "bn_regularized_constrained": (_bn_regularized, "mse", Y_REG),
    "noise_layers": (_noise_layers, "mse", Y_REG),
    "seeded_dropouts": (_seeded_dropouts, "mae", Y_REG),
    "normalization_first": (_normalization_first, "mse", Y_REG),
    "classifier": (_classifier, "sparse_categorical_crossentropy", Y_CLS),
}


def _train(make_layers, loss, y, generic, frozen_bn=False, validation=True):
    lamina.utils.set_random_seed(123)
    model = lamina.Sequential([lamina.Input((6,)), *make_layers()])
    if frozen_bn:
        for layer in model.layers:
            if isinstance(layer, layers.BatchNormalization):
                layer.moving_mean.assign(np.full(layer.moving_mean.shape, 0.5))
                layer.trainable = False
    metrics = ["accuracy"] if loss.startswith("sparse") else ["mae"]
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    if generic:
        model.make_train_function = lambda force=False: model.train_step
    kwargs = {"validation_data": (X_VAL, Y_VAL)} if validation and y is Y_REG else {}
    history = model.fit(X, y, batch_size=32, epochs=3, verbose=0, **kwargs)
    step = model.make_train_function()
    return model, history.history, step


def _noise_only_biases(model):
    """Biases of Dense layers that feed a BatchNormalization directly.

    When such a unit is active on every row of a batch, BN removes the bias
    exactly, so its true gradient is 0 and both steps compute only rounding
    noise (~1e-9), different on each path. Adam divides by sqrt(v) + 1e-7 and
    turns that noise into steps of up to ~1e-5; these weights are compared
    with atol=1e-4 (everything else with 1e-6).
    """
    out = set()
    for layer, after in zip(model.layers, model.layers[1:]):
        if isinstance(layer, layers.Dense) and isinstance(after, layers.BatchNormalization):
            if layer.bias is not None:
                out.add(layer.bias.path)
    return out


def _assert_same(fused, generic):
    (m1, h1, step1), (m2, h2, step2) = fused, generic
    assert isinstance(step1, fast_path._FusedStep), "the fused step was not used"
    assert not isinstance(step2, fast_path._FusedStep)
    assert list(h1) == list(h2)
    for key in h1:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-6, atol=1e-7, err_msg=key)
    noisy = _noise_only_biases(m1)
    for w, a, b in zip(m1.weights, m1.get_weights(), m2.get_weights()):
        atol = 1e-4 if w.path in noisy else 1e-6
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=atol, err_msg=w.path)
    np.testing.assert_array_equal(m1.predict(X, verbose=0), m1.predict(X, verbose=0))


@pytest.mark.parametrize("case", list(CASES))
def test_fused_and_generic_steps_give_the_same_training(case):
    make_layers, loss, y = CASES[case]
    fused = _train(make_layers, loss, y, generic=False)
    generic = _train(make_layers, loss, y, generic=True)
    _assert_same(fused, generic)


def test_frozen_batch_normalization_fused_and_generic():
    fused = _train(_wine_like, "mse", Y_REG, generic=False, frozen_bn=True)
    generic = _train(_wine_like, "mse", Y_REG, generic=True, frozen_bn=True)
    _assert_same(fused, generic)
    bn = [layer for layer in fused[0].layers if isinstance(layer, layers.BatchNormalization)][0]
    np.testing.assert_array_equal(bn.moving_mean.numpy(), 0.5)  # frozen statistics


@pytest.mark.parametrize("case", ["dense_dropout_bn", "bn_first_layer", "seeded_dropouts",
                                  "normalization_first"])
def test_relu_dropout_batchnorm_stacks_with_mae_agree_on_both_paths(case):
    """Dense(relu)/Dropout/BatchNormalization with MAE (whose gradient is a sign).

    The fused Dense folds its bias into the product ([x, 1] @ [kernel; bias]),
    which rounds differently from x @ kernel + bias in the last bit only.
    """
    make_layers, _, _ = CASES[case]
    fused = _train(make_layers, "mae", Y_REG, generic=False)
    generic = _train(make_layers, "mae", Y_REG, generic=True)
    _assert_same(fused, generic)


def test_dense_layers_fold_their_bias_and_feed_the_next_one():
    model, _, step = _train(lambda: [layers.Dense(8, activation="relu"), layers.Dense(8),
                                     layers.Dropout(0.1), layers.Dense(4, activation="tanh"),
                                     layers.Dense(1)], "mse", Y_REG, generic=False)
    dense = [k for k in step.kernels if isinstance(k, fast_path.DenseKernel)]
    assert [k.augmented for k in dense] == [True, True, True, True]
    assert [k.feeds for k in dense] == [dense[1], None, dense[3], None]  # not across Dropout


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_folded_dense_kernel_matches_the_plain_one_in_float64(activation):
    lamina.utils.set_random_seed(2)
    first = layers.Dense(5, activation=activation, dtype="float64")
    second = layers.Dense(3, dtype="float64")
    model = lamina.Sequential([lamina.Input((4,)), first, second])
    variables = model.trainable_variables
    flat = fast_path.consolidate(variables)
    flat[:] = np.random.default_rng(3).normal(size=flat.size)
    grads = {}
    g_flat = np.zeros_like(flat)
    offset = 0
    for v in variables:
        grads[id(v)] = g_flat[offset:offset + v.value.size].reshape(v.value.shape)
        offset += v.value.size
    x = np.random.default_rng(4).normal(size=(6, 4))
    g_out = np.random.default_rng(5).normal(size=(6, 3))
    results = []
    for folded in (False, True):
        k1, k2 = fast_path.DenseKernel(first, grads), fast_path.DenseKernel(second, grads)
        if folded:
            assert k2.augment(None) and k1.augment(k2)
        out = k2.forward(k1.forward(x, True), True)
        dx = k1.backward(k2.backward(g_out, True), True)
        results.append((out.copy(), dx.copy(), g_flat.copy()))
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_dropout_masks_are_bit_identical_on_both_paths():
    """With SGD(0) nothing learns: the losses are the dropout-perturbed losses, exactly."""

    def run(generic):
        lamina.utils.set_random_seed(5)
        model = lamina.Sequential([lamina.Input((6,)), layers.Dense(4, kernel_initializer="ones"),
                                   layers.Dropout(0.5), layers.Dense(1, kernel_initializer="ones")])
        model.compile(optimizer=lamina.optimizers.SGD(0.0), loss="mse")
        if generic:
            model.make_train_function = lambda force=False: model.train_step
        return model.fit(X, Y_REG, batch_size=32, epochs=4, verbose=0).history["loss"]

    fused, generic = run(False), run(True)
    np.testing.assert_allclose(fused, generic, rtol=1e-7)
    assert len(set(fused)) == 4  # each epoch drew new masks


def test_fused_training_is_bit_identical_across_runs():
    a = _train(_wine_like, "mae", Y_REG, generic=False)
    b = _train(_wine_like, "mae", Y_REG, generic=False)
    assert a[1] == b[1]
    for x, y in zip(a[0].get_weights(), b[0].get_weights()):
        np.testing.assert_array_equal(x, y)


def test_kernels_are_registered():
    fast_path._register_builtin_kernels()
    assert fast_path._KERNELS[layers.Dropout] is fast_kernels.DropoutKernel
    assert fast_path._KERNELS[layers.SpatialDropout1D] is fast_kernels.DropoutKernel
    assert fast_path._KERNELS[layers.GaussianDropout] is fast_kernels.DropoutKernel
    assert fast_path._KERNELS[layers.GaussianNoise] is fast_kernels.NoiseKernel
    assert fast_path._KERNELS[layers.AlphaDropout] is fast_kernels.NoiseKernel
    assert fast_path._KERNELS[layers.BatchNormalization] is fast_kernels.BatchNormalizationKernel
    assert fast_path._KERNELS[layers.Normalization] is fast_kernels.NormalizationKernel


def test_activity_regularizer_falls_back_to_the_generic_step():
    model = lamina.Sequential([lamina.Input((6,)), layers.Dense(4),
                               layers.BatchNormalization(activity_regularizer="l2"),
                               layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    assert fast_path.build(model) is None


# -- kernel backward against the tape, float64 ---------------------------------------------------


def _tape_gradients(layer, x, c, training):
    tx = lamina.ops.convert_to_tensor(x)
    variables = layer.trainable_variables
    with lamina.GradientTape() as tape:
        tape.watch(tx)
        out = layer(tx, training=training)
        total = lamina.ops.sum(lamina.ops.multiply(out, c))
    grads = tape.gradient(total, [tx, *variables], unconnected_gradients="zero")
    return out.numpy(), [np.asarray(g) for g in grads]


def _kernel_gradients(layer, x, c, training):
    layer._maybe_build(x.shape)  # fit builds every layer before the first step
    grads = {id(v): np.zeros_like(v.value) for v in layer.trainable_variables}
    kernel = fast_path._KERNELS[type(layer)](layer, grads)
    out = kernel.forward(x, training)
    dx = kernel.backward(c, True)
    return out, [dx, *[grads[id(v)] for v in layer.trainable_variables]]


@pytest.mark.parametrize("trainable", [True, False], ids=["batch_stats", "frozen"])
@pytest.mark.parametrize("shape,axis", [((7, 5), -1), ((4, 3, 5), 1), ((4, 3, 5), -1)])
def test_batchnorm_kernel_matches_tape_float64(shape, axis, trainable):
    fast_path._register_builtin_kernels()
    rng = np.random.default_rng(1)
    x, c = rng.normal(size=shape), rng.normal(size=shape)

    def fresh():
        layer = layers.BatchNormalization(axis=axis, dtype="float64")
        layer.build(shape)
        layer.set_weights([rng_w.uniform(0.5, 1.5, size=w.shape) for w in layer.weights])
        layer.trainable = trainable
        return layer

    rng_w = np.random.default_rng(2)
    tape_layer = fresh()
    rng_w = np.random.default_rng(2)
    kernel_layer = fresh()
    out_t, grads_t = _tape_gradients(tape_layer, x, c, True)
    out_k, grads_k = _kernel_gradients(kernel_layer, x, c, True)
    np.testing.assert_array_equal(out_k, out_t)  # same forward arithmetic
    for gt, gk in zip(grads_t, grads_k):
        np.testing.assert_array_equal(gk, gt)  # one shared backward function
    for a, b in zip(tape_layer.get_weights(), kernel_layer.get_weights()):
        np.testing.assert_array_equal(a, b)  # moving statistics updated alike


@pytest.mark.parametrize("make", [
    lambda: layers.Dropout(0.4, seed=1),
    lambda: layers.GaussianNoise(0.5, seed=1),
    lambda: layers.GaussianDropout(0.4, seed=1),
    lambda: layers.AlphaDropout(0.4, seed=1),
    lambda: layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.0, 0.25]),
    lambda: layers.Normalization(mean=1.0, variance=4.0, invert=True),
], ids=["dropout", "gaussian_noise", "gaussian_dropout", "alpha_dropout", "normalization",
        "normalization_invert"])
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_elementwise_kernels_match_tape_float64(make, training):
    fast_path._register_builtin_kernels()
    rng = np.random.default_rng(3)
    x, c = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    lamina.config.set_floatx("float64")
    out_t, grads_t = _tape_gradients(make(), x, c, training)
    out_k, grads_k = _kernel_gradients(make(), x, c, training)
    np.testing.assert_array_equal(out_k, out_t)
    np.testing.assert_array_equal(grads_k[0], grads_t[0])


def test_first_layer_kernels_skip_the_input_gradient():
    fast_path._register_builtin_kernels()
    layer = layers.Dropout(0.5, seed=0)
    kernel = fast_kernels.DropoutKernel(layer, {})
    kernel.forward(np.ones((2, 3)), True)
    assert kernel.backward(np.ones((2, 3)), need_dx=False) is None


@pytest.mark.parametrize("case", list(CASES))
def test_fused_predict_equals_the_layers_inference_call(case):
    make_layers, loss, y = CASES[case]
    model, _, _ = _train(make_layers, loss, y, generic=False, validation=False)
    assert fast_path.build_predict(model) is not None  # predict takes the fused path
    before = [w.copy() for w in model.get_weights()]
    fused = model.predict(X, batch_size=len(X), verbose=0)
    np.testing.assert_array_equal(fused, model(X, training=False).numpy())
    np.testing.assert_array_equal(model.predict(X, batch_size=len(X), verbose=0), fused)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # inference never moves the BN statistics
