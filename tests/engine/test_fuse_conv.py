"""``conv_pool`` (convolution + bias + ReLU + a tiling max pool, fused) and the pass that uses it.

The primitive is checked against loops over the definition (float32 and float64,
strides, dilation, padding, 1-D to 3-D, pools that drop rows, ties), and a
training step that has the chain is checked to use it, to train as the eager
tape does, and to stay deterministic; the pass leaves alone what it must not fuse.
"""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.engine import fold, fuse_conv
from lamina.ops import _prim_conv as pc


def _naive(x, kernel, bias, strides, padding, dilation, pool, relu, g):
    """Loops over the definition: the output, and the gradients for the output gradient ``g``."""
    nd = x.ndim - 2
    xp = np.pad(x, ((0, 0), *padding, (0, 0)))
    ks = kernel.shape[:nd]
    out = tuple((xp.shape[1 + i] - (ks[i] - 1) * dilation[i] - 1) // strides[i] + 1
                for i in range(nd))
    z = np.zeros((x.shape[0], *out, kernel.shape[-1]), x.dtype)
    for b, *pos in np.ndindex(x.shape[0], *out):
        for off in np.ndindex(*ks):
            src = tuple(p * s + o * d for p, s, o, d in zip(pos, strides, off, dilation))
            z[(b, *pos)] += xp[(b, *src)] @ kernel[off]
    z += bias
    a = np.maximum(z, 0) if relu else z
    pooled = tuple(o // p for o, p in zip(out, pool))
    y = np.zeros((x.shape[0], *pooled, z.shape[-1]), x.dtype)
    da = np.zeros_like(z)
    for b, *pos, f in np.ndindex(*y.shape):
        window = [(b, *(q * p + c for q, p, c in zip(pos, pool, corner)), f)
                  for corner in np.ndindex(*pool)]
        values = [a[w] for w in window]
        first = int(np.argmax(values))  # the first maximum in row-major order
        y[(b, *pos, f)] = values[first]
        da[window[first]] += g[(b, *pos, f)]
    dz = da * (z > 0) if relu else da
    dxp = np.zeros_like(xp)
    dk = np.zeros_like(kernel)
    for b, *pos in np.ndindex(x.shape[0], *out):
        for off in np.ndindex(*ks):
            src = (b, *(p * s + o * d for p, s, o, d in zip(pos, strides, off, dilation)))
            dk[off] += np.outer(xp[src], dz[(b, *pos)])
            dxp[src] += kernel[off] @ dz[(b, *pos)]
    inner = (slice(None),) + tuple(slice(lo, lo + n) for (lo, _), n in
                                   zip(padding, x.shape[1:-1]))
    return y, dxp[inner], dk, dz.reshape(-1, dz.shape[-1]).sum(axis=0)


GEOMETRIES = [  # shape, kernel size, strides, padding, dilation, pool
    ((2, 8, 8, 3), (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), (2, 2)),       # valid, rows dropped
    ((2, 7, 9, 2), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (2, 2)),       # "same"
    ((1, 11, 10, 2), (3, 2), (2, 1), ((1, 1), (0, 1)), (1, 2), (2, 3)),     # strided, dilated
    ((3, 12, 4), (3,), (1,), ((1, 1),), (2,), (3,)),                         # 1-D
    ((1, 5, 6, 5, 2), (2, 2, 2), (1, 1, 1), ((0, 0),) * 3, (1, 1, 1), (2, 2, 2)),  # 3-D
    ((2, 6, 6, 1), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1), (2, 2)),       # pointwise
    ((2, 8, 7, 1), (3, 3), (1, 2), ((1, 1), (0, 0)), (1, 1), (2, 2)),       # one channel
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=range(len(GEOMETRIES)))
def test_conv_pool_matches_loops_over_the_definition(geometry, relu, dtype):
    shape, ks, strides, padding, dilation, pool = geometry
    rng = np.random.default_rng(len(shape) + int(relu))
    # Small integers: exact sums, many ties (equal maxima, and zeros after the ReLU).
    x = rng.integers(-2, 3, shape).astype(dtype)
    kernel = rng.integers(-1, 2, (*ks, shape[-1], 4)).astype(dtype)
    bias = np.array([0, 1, -1, 0.5], dtype)
    y, saved = pc._conv_pool_fwd(x, kernel, bias, strides=strides, padding=padding,
                                 dilation=dilation, pool_size=pool, relu=relu)
    g = rng.standard_normal(y.shape).astype(dtype)
    want_y, want_dx, want_dk, want_db = _naive(x, kernel, bias, strides, padding, dilation,
                                               pool, relu, g)
    assert y.dtype == dtype and y.shape == want_y.shape
    np.testing.assert_array_equal(y, want_y)
    dx, dk, db = pc._conv_pool_vjp(g, saved, (True, True, True))
    tol = 1e-5 if dtype == "float32" else 1e-12
    for got, want in ((dx, want_dx), (dk, want_dk), (db, want_db)):
        assert got.shape == want.shape and got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    # Ties send nothing elsewhere: the same positions get a gradient.
    dz_naive = np.count_nonzero(want_dx)
    assert np.count_nonzero(dx) == dz_naive


def test_conv_pool_writes_into_given_buffers_and_skips_what_is_not_needed():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 6, 6, 3))
    kernel, bias = rng.standard_normal((3, 3, 3, 4)), rng.standard_normal(4)
    params = dict(strides=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), pool_size=(2, 2),
                  relu=True)
    y, saved = pc._conv_pool_fwd(x, kernel, bias, **params)
    g = rng.standard_normal(y.shape)
    dx, dk, db = pc._conv_pool_vjp(g, saved, (True, True, True))
    out_k, out_b = np.empty_like(kernel), np.empty_like(bias)
    none, into_k, into_b = pc._conv_pool_vjp_into(g, saved, (False, True, True),
                                                  (None, out_k, out_b))
    assert none is None and into_k is out_k and into_b is out_b
    np.testing.assert_array_equal(out_k, dk)
    np.testing.assert_array_equal(out_b, db)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("strides,dilation", [((1, 1), (1, 1)), ((2, 1), (1, 2))])
def test_the_windows_matrix_is_the_windows(channels, strides, dilation):
    x = np.random.default_rng(channels).standard_normal((2, 9, 8, channels))
    out = pc._geometry(x.shape, (3, 2), strides, ((0, 0), (0, 0)), dilation)
    cols = pc._im2col(x, (3, 2), out, strides, dilation)
    for b, i, j, u, v in np.ndindex(2, *out, 3, 2):
        src = x[b, i * strides[0] + u * dilation[0], j * strides[1] + v * dilation[1]]
        np.testing.assert_array_equal(cols[b, i, j, u, v], src)


# -- the pass, on training steps ----------------------------------------------------------------


def _cnn(pool=None, padding="valid"):
    return [lamina.Input((9, 9, 2)), layers.Conv2D(4, 3, activation="relu", padding=padding),
            pool or layers.MaxPooling2D(), layers.Conv2D(3, 2, activation="relu"),
            layers.MaxPooling2D(), layers.Flatten(), layers.Dense(3, activation="softmax")]


DATA = np.random.default_rng(0).normal(size=(48, 9, 9, 2)).astype("float32")
LABELS = (DATA[:, :4].mean(axis=(1, 2, 3)) > 0).astype("int64") + (DATA[:, 0, 0, 0] > 0)


def _train(stack, run_eagerly=False, epochs=2):
    lamina.utils.set_random_seed(2)
    model = lamina.Sequential(stack())
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], run_eagerly=run_eagerly)
    history = model.fit(DATA, LABELS, batch_size=16, epochs=epochs, verbose=0)
    return model, history.history


def _fused_steps(model):
    return model.make_train_function().describe().count("# conv_pool\n")


def test_a_training_step_fuses_each_conv_relu_pool_chain_and_trains_as_eagerly():
    traced, h_traced = _train(_cnn)
    assert _fused_steps(traced) == 2
    eager, h_eager = _train(_cnn, run_eagerly=True)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_traced["loss"], h_eager["loss"], rtol=1e-5)
    again, h_again = _train(_cnn)  # seeded runs: bit for bit
    for a, b in zip(traced.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert h_again == h_traced


def test_without_folding_the_traced_step_is_the_eager_one_bit_for_bit(monkeypatch):
    monkeypatch.setattr(fold, "FOLD_BIAS", False)
    traced, h_traced = _train(_cnn, epochs=1)
    assert _fused_steps(traced) == 0
    eager, h_eager = _train(_cnn, run_eagerly=True, epochs=1)
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert h_traced == h_eager


def test_the_flag_turns_the_pass_off(monkeypatch):
    monkeypatch.setattr(fuse_conv, "FUSE_CONV_POOL", False)
    model, _ = _train(_cnn, epochs=1)
    assert _fused_steps(model) == 0


@pytest.mark.parametrize("pool", [
    lambda: layers.MaxPooling2D(3, strides=2),          # overlapping windows
    lambda: layers.MaxPooling2D(2, padding="same"),     # a padded pool (7 is odd)
    lambda: layers.AveragePooling2D(2),                 # not a max pool
])
def test_chains_that_do_not_tile_are_left_alone(pool):
    model, _ = _train(lambda: _cnn(pool()), epochs=1)
    assert _fused_steps(model) == 1  # only the second convolution's chain


@pytest.mark.parametrize("rank,activation", [(1, "relu"), (3, "relu"), (1, None), (3, None)])
def test_one_and_three_dimensional_chains_fuse_with_or_without_relu(rank, activation):
    conv, pool = {1: (layers.Conv1D, layers.MaxPooling1D),
                  3: (layers.Conv3D, layers.MaxPooling3D)}[rank]
    shape = {1: (12, 3), 3: (5, 6, 5, 2)}[rank]
    x = np.random.default_rng(rank).normal(size=(16,) + shape).astype("float32")
    y = (x.reshape(16, -1).mean(axis=1) > 0).astype("int64")

    def run(run_eagerly):
        lamina.utils.set_random_seed(4)
        model = lamina.Sequential([lamina.Input(shape), conv(3, 2, activation=activation), pool(),
                                   layers.Flatten(), layers.Dense(2, activation="softmax")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      run_eagerly=run_eagerly)
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return model

    traced, eager = run(False), run(True)
    assert _fused_steps(traced) == 1
    for a, b in zip(traced.get_weights(), eager.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_channels_first_is_left_alone_and_trains_as_eagerly():
    def stack():
        return [lamina.Input((2, 9, 9)),
                layers.Conv2D(4, 3, activation="relu", data_format="channels_first"),
                layers.MaxPooling2D(data_format="channels_first"), layers.Flatten(),
                layers.Dense(3, activation="softmax")]

    data = DATA.transpose(0, 3, 1, 2).copy()
    models = []
    for run_eagerly in (False, True):
        lamina.utils.set_random_seed(2)
        model = lamina.Sequential(stack())
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      run_eagerly=run_eagerly)
        model.fit(data, LABELS, batch_size=16, epochs=1, verbose=0)
        models.append(model)
    assert _fused_steps(models[0]) == 0
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_an_activation_read_elsewhere_is_not_fused():
    def stack():
        inputs = lamina.Input((9, 9, 2))
        h = layers.Conv2D(4, 3, activation="relu")(inputs)
        pooled = layers.Flatten()(layers.MaxPooling2D()(h))
        direct = layers.GlobalAveragePooling2D()(h)  # the ReLU's output, read a second time
        outputs = layers.Dense(3, activation="softmax")(layers.Concatenate()([pooled, direct]))
        return lamina.Model(inputs, outputs)

    lamina.utils.set_random_seed(2)
    model = stack()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(DATA, LABELS, batch_size=16, epochs=1, verbose=0)
    assert _fused_steps(model) == 0


def test_predictions_are_not_fused():
    model, _ = _train(_cnn, epochs=1)
    model.predict(DATA, batch_size=16, verbose=0)
    model.predict(DATA, batch_size=16, verbose=0)
    assert "conv_pool" not in model.make_predict_function().describe()
