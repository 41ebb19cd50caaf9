"""ONNX export: every layer kind's file, run by onnxruntime, gives ``predict``'s numbers.

Each case builds a small model with seeded weights, exports it once, and runs the file on
batches of 1 and 5 rows (the batch dimension is dynamic), comparing with ``model.predict``
to 1e-5 in float32.
"""

import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import lamina as keras  # noqa: E402
from lamina import layers  # noqa: E402
from lamina.export import DEFAULT_OPSET, ExportError, supported_layers  # noqa: E402

TOL = 1e-5


def seeded(model, seed=0):
    """Every weight drawn from a seeded generator (variances kept positive)."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        v = rng.normal(0.0, 0.5, size=tuple(w.shape))
        if "variance" in w.name:
            v = np.abs(v) + 0.5
        values.append(v.astype(w.dtype))
    model.set_weights(values)
    return model


def data(shape, seed, dtype="float32", high=None):
    rng = np.random.default_rng(seed)
    if high is not None:
        return rng.integers(0, high, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def run_export(model, tmp_path, name="model.onnx", **kwargs):
    path = os.path.join(tmp_path, name)
    model.export(path, format="onnx", verbose=False, **kwargs)
    return path, ort.InferenceSession(path, providers=["CPUExecutionProvider"])


def check(model, tmp_path, inputs, seed=0):
    """Export once; batches of 1 and 5 from ``inputs(batch)`` match predict."""
    path, session = run_export(model, tmp_path)
    names = [i.name for i in session.get_inputs()]
    for batch in (1, 5):
        xs = inputs(batch)
        xs = xs if isinstance(xs, list) else [xs]
        got = session.run(None, dict(zip(names, xs)))
        want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        want = [want[k] for k in sorted(want)] if isinstance(want, dict) else \
            (list(want) if isinstance(want, (list, tuple)) else [want])
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=TOL, atol=TOL)
    return path


def sequential(input_shape, *stack, seed=0):
    return seeded(keras.Sequential([keras.Input(input_shape), *stack]), seed)


ACTIVATIONS = sorted(set(keras.activations._REGISTRY) - {"threshold", "glu"})


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_dense_with_every_activation(tmp_path, name):
    model = sequential((4,), layers.Dense(6, activation=name))
    check(model, tmp_path, lambda n: data((n, 4), n) * 2)


def test_glu_and_softmax_activation_layers(tmp_path):
    inputs = keras.Input((3, 4))
    x = layers.Activation("glu")(inputs)
    y = layers.Activation("softmax")(inputs)
    model = seeded(keras.Model(inputs, [x, y]))
    check(model, tmp_path, lambda n: data((n, 3, 4), n))


ACTIVATION_LAYERS = [
    lambda: layers.ReLU(),
    lambda: layers.ReLU(max_value=1.5),
    lambda: layers.ReLU(max_value=6.0),
    lambda: layers.ReLU(negative_slope=0.1),
    lambda: layers.ReLU(threshold=0.5),
    lambda: layers.ReLU(max_value=2.0, negative_slope=0.2, threshold=0.3),
    lambda: layers.LeakyReLU(),
    lambda: layers.LeakyReLU(negative_slope=0.05),
    lambda: layers.PReLU(),
    lambda: layers.PReLU(shared_axes=[1]),
    lambda: layers.ELU(alpha=0.7),
    lambda: layers.Softmax(),
    lambda: layers.Softmax(axis=1),
    lambda: layers.Softmax(axis=[1, 2]),
]


@pytest.mark.parametrize("make", ACTIVATION_LAYERS)
def test_activation_layers(tmp_path, make):
    model = sequential((3, 4), make())
    check(model, tmp_path, lambda n: data((n, 3, 4), n) * 2)


@pytest.mark.parametrize("make", [
    lambda: layers.Dropout(0.5), lambda: layers.SpatialDropout1D(0.3),
    lambda: layers.GaussianNoise(1.0), lambda: layers.GaussianDropout(0.4),
    lambda: layers.AlphaDropout(0.2)])
def test_noise_layers_are_identities(tmp_path, make):
    model = sequential((3, 4), layers.Dense(4), make(), layers.Dense(2))
    check(model, tmp_path, lambda n: data((n, 3, 4), n))


NORMALIZATIONS = [
    ((3, 4), lambda: layers.BatchNormalization()),
    ((4, 4, 3), lambda: layers.BatchNormalization(axis=1, center=False)),
    ((3, 4), lambda: layers.BatchNormalization(scale=False, epsilon=0.1)),
    ((3, 4), lambda: layers.LayerNormalization()),
    ((3, 4), lambda: layers.LayerNormalization(axis=[1, 2], center=False)),
    ((3, 4), lambda: layers.LayerNormalization(rms_scaling=True)),
    ((3, 4), lambda: layers.UnitNormalization()),
    ((3, 4), lambda: layers.UnitNormalization(axis=[1, 2])),
    ((2, 2, 3), lambda: layers.Rescaling(1 / 255.0, offset=-0.5)),
    ((2, 2, 3), lambda: layers.Rescaling([0.5, 2.0, -1.0], offset=[0.0, 1.0, 2.0])),
]


@pytest.mark.filterwarnings("ignore:LayerNormalization.rms_scaling=True. is deprecated")
@pytest.mark.parametrize("shape, make", NORMALIZATIONS)
def test_normalization_layers(tmp_path, shape, make):
    model = sequential(shape, make())
    check(model, tmp_path, lambda n: data((n, *shape), n) * 3 + 1)


@pytest.mark.parametrize("invert", [False, True])
def test_adapted_normalization(tmp_path, invert):
    layer = layers.Normalization(invert=invert)
    layer.adapt(data((20, 3), 7) * 4 + 2)
    model = keras.Sequential([keras.Input((3,)), layer, layers.Dense(2)])
    seeded_dense = np.random.default_rng(1).normal(size=(3, 2)).astype("float32")
    model.layers[-1].set_weights([seeded_dense, np.zeros(2, "float32")])
    check(model, tmp_path, lambda n: data((n, 3), n) * 4)


def test_discretization_ids(tmp_path):
    adapted = layers.Discretization(num_bins=4)
    adapted.adapt(data((50, 3), 3))
    for layer in (layers.Discretization(bin_boundaries=[-0.5, 0.0, 0.1, 1.0]), adapted):
        model = keras.Sequential([keras.Input((3,)), layer])
        path, session = run_export(model, tmp_path, f"{id(layer)}.onnx")
        xs = np.concatenate([data((5, 3), 1), [[0.1, -0.5, 1.0]]]).astype("float32")
        got = session.run(None, {session.get_inputs()[0].name: xs})[0]
        want = model.predict(xs, verbose=0)
        assert got.dtype == want.dtype == np.int32
        np.testing.assert_array_equal(got, want)


def test_normalization_with_given_statistics(tmp_path):
    model = keras.Sequential([keras.Input((2,)), layers.Normalization(mean=[1.0, -2.0],
                                                                      variance=[4.0, 0.25])])
    check(model, tmp_path, lambda n: data((n, 2), n))


RESHAPES = [
    ((2, 3, 2), lambda: layers.Flatten()),
    ((2, 3, 2), lambda: layers.Flatten(data_format="channels_first")),
    ((2, 3, 2), lambda: layers.Reshape((3, -1))),
    ((2, 3, 4), lambda: layers.Permute((3, 1, 2))),
    ((5,), lambda: layers.RepeatVector(3)),
    ((2, 3), lambda: layers.Identity()),
    ((5, 2), lambda: layers.ZeroPadding1D((1, 2))),
    ((3, 3, 2), lambda: layers.ZeroPadding2D(((1, 0), (2, 1)))),
    ((3, 3, 2), lambda: layers.ZeroPadding2D(1, data_format="channels_first")),
    ((2, 2, 2, 1), lambda: layers.ZeroPadding3D(1)),
    ((6, 2), lambda: layers.Cropping1D((1, 2))),
    ((5, 5, 2), lambda: layers.Cropping2D(((1, 0), (2, 1)))),
    ((4, 4, 4, 1), lambda: layers.Cropping3D(((1, 1), (0, 1), (1, 0)))),
    ((3, 2), lambda: layers.UpSampling1D(3)),
    ((2, 3, 2), lambda: layers.UpSampling2D((2, 3))),
    ((2, 3, 2), lambda: layers.UpSampling2D(2, interpolation="bilinear")),
    ((2, 3, 2), lambda: layers.UpSampling2D(2, data_format="channels_first")),
    ((2, 2, 2, 1), lambda: layers.UpSampling3D((1, 2, 2))),
]


@pytest.mark.parametrize("shape, make", RESHAPES)
def test_reshaping_layers(tmp_path, shape, make):
    model = sequential(shape, make())
    check(model, tmp_path, lambda n: data((n, *shape), n))


IMAGES = [
    ((4, 6, 2), lambda: layers.Resizing(7, 9)),
    ((8, 6, 2), lambda: layers.Resizing(3, 4)),
    ((4, 6, 2), lambda: layers.Resizing(7, 9, interpolation="nearest")),
    ((8, 7, 2), lambda: layers.Resizing(3, 5, interpolation="nearest")),
    ((2, 5, 6), lambda: layers.Resizing(3, 8, data_format="channels_first")),
    ((6, 5, 2), lambda: layers.CenterCrop(3, 4)),
    ((4, 5, 2), lambda: layers.CenterCrop(6, 3)),
    ((6, 9, 2), lambda: layers.Resizing(4, 4, crop_to_aspect_ratio=True)),
    ((6, 9, 2), lambda: layers.Resizing(4, 4, pad_to_aspect_ratio=True, fill_value=0.5)),
    ((9, 6, 2), lambda: layers.Resizing(4, 5, pad_to_aspect_ratio=True)),
    ((6, 9, 2), lambda: layers.RandomCrop(4, 5)),
    ((6, 5, 2), lambda: layers.RandomFlip()),
    ((6, 5, 2), lambda: layers.RandomRotation(0.2)),
    ((6, 5, 2), lambda: layers.RandomContrast(0.5)),
]


@pytest.mark.parametrize("shape, make", IMAGES)
def test_image_preprocessing_layers(tmp_path, shape, make):
    model = sequential(shape, make())
    check(model, tmp_path, lambda n: data((n, *shape), n))


CONVS = [
    ((7, 2), lambda: layers.Conv1D(3, 3, strides=2, padding="same", activation="tanh")),
    ((6, 2), lambda: layers.Conv1D(2, 2, padding="causal", dilation_rate=2)),
    ((6, 4), lambda: layers.Conv1D(4, 3, groups=2, use_bias=False)),
    ((5, 4, 2), lambda: layers.Conv2D(3, (3, 2), padding="same", activation="relu")),
    ((6, 7, 2), lambda: layers.Conv2D(3, 3, strides=2, padding="same")),
    ((4, 5, 5), lambda: layers.Conv2D(4, 3, groups=2, data_format="channels_first")),
    ((6, 6, 2), lambda: layers.Conv2D(2, 3, dilation_rate=2)),
    ((3, 3, 3, 2), lambda: layers.Conv3D(2, 2, padding="same")),
    ((6, 2), lambda: layers.DepthwiseConv1D(3, depth_multiplier=2)),
    ((5, 5, 3), lambda: layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2)),
    ((6, 6, 2), lambda: layers.DepthwiseConv2D(3, strides=2, activation="relu")),
    ((7, 3), lambda: layers.SeparableConv1D(4, 3, padding="same", depth_multiplier=2)),
    ((6, 5, 3), lambda: layers.SeparableConv2D(4, 3, strides=2)),
    ((4, 3), lambda: layers.Conv1DTranspose(2, 3, strides=2)),
    ((3, 3, 2), lambda: layers.Conv2DTranspose(2, 3, strides=2, padding="same")),
    ((3, 4, 2), lambda: layers.Conv2DTranspose(3, (3, 2), strides=(2, 3), padding="valid")),
    ((3, 3, 2), lambda: layers.Conv2DTranspose(2, 3, strides=2, output_padding=1)),
    ((3, 3, 2), lambda: layers.Conv2DTranspose(2, 4, strides=2, padding="same")),
    ((4, 2), lambda: layers.Conv1DTranspose(2, 3, strides=3, padding="same", output_padding=1)),
    ((2, 3, 3), lambda: layers.Conv2DTranspose(2, 2, data_format="channels_first")),
    ((2, 2, 2, 2), lambda: layers.Conv3DTranspose(2, 2, strides=(1, 2, 1))),
]


@pytest.mark.parametrize("shape, make", CONVS)
def test_convolution_layers(tmp_path, shape, make):
    model = sequential(shape, make())
    check(model, tmp_path, lambda n: data((n, *shape), n))


POOLS = [
    ((7, 2), lambda: layers.MaxPooling1D(2)),
    ((7, 2), lambda: layers.AveragePooling1D(3, strides=2, padding="same")),
    ((5, 6, 2), lambda: layers.MaxPooling2D((2, 3), padding="same")),
    ((5, 6, 2), lambda: layers.AveragePooling2D(2, strides=1)),
    ((5, 5, 2), lambda: layers.AveragePooling2D(3, strides=2, padding="same")),
    ((2, 5, 6), lambda: layers.MaxPooling2D(2, data_format="channels_first")),
    ((4, 4, 4, 1), lambda: layers.MaxPooling3D(2)),
    ((3, 5, 4, 2), lambda: layers.AveragePooling3D(2, padding="same")),
    ((5, 2), lambda: layers.GlobalAveragePooling1D()),
    ((5, 2), lambda: layers.GlobalMaxPooling1D(keepdims=True)),
    ((3, 4, 2), lambda: layers.GlobalAveragePooling2D()),
    ((3, 4, 2), lambda: layers.GlobalMaxPooling2D(data_format="channels_first")),
    ((2, 3, 4, 2), lambda: layers.GlobalAveragePooling3D(keepdims=True)),
    ((2, 3, 4, 2), lambda: layers.GlobalMaxPooling3D()),
]


@pytest.mark.parametrize("shape, make", POOLS)
def test_pooling_layers(tmp_path, shape, make):
    model = sequential(shape, make())
    check(model, tmp_path, lambda n: data((n, *shape), n))


@pytest.mark.parametrize("dtype", ["int32", "float32"])
def test_embedding(tmp_path, dtype):
    inputs = keras.Input((4,), dtype=dtype)
    x = layers.Embedding(10, 3)(inputs)
    model = seeded(keras.Model(inputs, layers.Flatten()(x)))
    check(model, tmp_path, lambda n: data((n, 4), n, dtype=dtype, high=10))


RECURRENT = [
    lambda: layers.LSTM(4),
    lambda: layers.LSTM(3, return_sequences=True, go_backwards=True),
    lambda: layers.LSTM(3, activation="relu", use_bias=False, return_sequences=True),
    lambda: layers.GRU(4),
    lambda: layers.GRU(3, reset_after=False, return_sequences=True),
    lambda: layers.GRU(3, go_backwards=True, recurrent_activation="tanh"),
    lambda: layers.SimpleRNN(4, return_sequences=True),
    lambda: layers.SimpleRNN(3, activation="relu", go_backwards=True),
    lambda: layers.Bidirectional(layers.LSTM(3, return_sequences=True)),
    lambda: layers.Bidirectional(layers.GRU(3), merge_mode="sum"),
    lambda: layers.Bidirectional(layers.SimpleRNN(2, return_sequences=True),
                                 merge_mode="ave"),
    lambda: layers.Bidirectional(layers.LSTM(2), merge_mode="mul"),
    lambda: layers.TimeDistributed(layers.Dense(2, activation="tanh")),
    lambda: layers.RNN(layers.LSTMCell(3), return_sequences=True),
    lambda: layers.RNN(layers.GRUCell(2), go_backwards=True),
]


@pytest.mark.parametrize("make", RECURRENT)
def test_recurrent_layers(tmp_path, make):
    model = sequential((5, 3), make())
    check(model, tmp_path, lambda n: data((n, 5, 3), n))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_recurrent_states_in_and_out(tmp_path, kind):
    count = 2 if kind == "LSTM" else 1
    x = keras.Input((4, 3), name="x")
    states = [keras.Input((2,), name=f"s{i}") for i in range(count)]
    outs = getattr(layers, kind)(2, return_state=True)(x, initial_state=states)
    model = seeded(keras.Model([x, *states], outs))
    check(model, tmp_path, lambda n: [data((n, 4, 3), n)] +
          [data((n, 2), n + i + 1) for i in range(count)])


@pytest.mark.parametrize("shape, make", [
    ((4,), lambda: layers.EinsumDense("ab,bc->ac", output_shape=3, bias_axes="c")),
    ((3, 4), lambda: layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3),
                                        bias_axes="de", activation="gelu")),
    ((3, 4), lambda: layers.EinsumDense("...b,bc->...c", output_shape=5)),
])
def test_einsum_dense(tmp_path, shape, make):
    model = sequential(shape, make())
    check(model, tmp_path, lambda n: data((n, *shape), n))


ATTENTION = [
    dict(num_heads=2, key_dim=3),
    dict(num_heads=2, key_dim=3, value_dim=2, use_bias=False, output_shape=(5,)),
    dict(num_heads=1, key_dim=4, dropout=0.3),
]


@pytest.mark.parametrize("options", ATTENTION)
@pytest.mark.parametrize("call", [{}, {"use_causal_mask": True},
                                  {"return_attention_scores": True}])
def test_multi_head_attention(tmp_path, options, call):
    q, v = keras.Input((4, 6), name="q"), keras.Input((4, 5), name="v")
    out = layers.MultiHeadAttention(**options)(q, v, **call)
    model = seeded(keras.Model([q, v], out))
    check(model, tmp_path, lambda n: [data((n, 4, 6), n), data((n, 4, 5), n + 3)])


def test_self_attention_with_key_and_two_attention_axes(tmp_path):
    x = keras.Input((3, 4, 5), name="x")
    k = keras.Input((3, 4, 2), name="k")
    out = layers.MultiHeadAttention(2, 3, attention_axes=(1, 2))(x, x, k)
    model = seeded(keras.Model([x, k], out))
    check(model, tmp_path, lambda n: [data((n, 3, 4, 5), n), data((n, 3, 4, 2), n + 1)])


def test_causal_attention_over_sequences_of_any_length(tmp_path):
    x = keras.Input((None, 6), name="x")
    model = seeded(keras.Model(x, layers.MultiHeadAttention(2, 3)(x, x, use_causal_mask=True)))
    path, session = run_export(model, tmp_path)
    for steps in (1, 4, 7):
        xs = data((3, steps, 6), steps)
        np.testing.assert_allclose(session.run(None, {"x": xs})[0],
                                   model.predict(xs, verbose=0), rtol=TOL, atol=TOL)


@pytest.mark.parametrize("make", [
    lambda: layers.Attention(), lambda: layers.Attention(use_scale=True, score_mode="concat"),
    lambda: layers.AdditiveAttention(), lambda: layers.AdditiveAttention(use_scale=False)])
@pytest.mark.parametrize("call", [{}, {"use_causal_mask": True},
                                  {"return_attention_scores": True}])
def test_dot_and_additive_attention(tmp_path, make, call):
    q, v, k = (keras.Input((steps, 4), name=name) for steps, name in
               ((3, "q"), (5, "v"), (5, "k")))
    model = seeded(keras.Model([q, v, k], make()([q, v, k], **call)))
    check(model, tmp_path, lambda n: [data((n, 3, 4), n), data((n, 5, 4), n + 1),
                                      data((n, 5, 4), n + 2)])


def test_transformer_block(tmp_path):
    x = keras.Input((5, 8), name="tokens")
    h = layers.MultiHeadAttention(2, 4)(x, x, use_causal_mask=True)
    h = layers.LayerNormalization()(layers.Add()([x, h]))
    f = layers.Dense(8)(layers.Dense(16, activation="gelu")(h))
    out = layers.LayerNormalization()(layers.Add()([h, f]))
    model = seeded(keras.Model(x, layers.GlobalAveragePooling1D()(out)))
    check(model, tmp_path, lambda n: data((n, 5, 8), n))


MERGES = [lambda: layers.Add(), lambda: layers.Multiply(), lambda: layers.Average(),
          lambda: layers.Maximum(), lambda: layers.Minimum(), lambda: layers.Concatenate(),
          lambda: layers.Concatenate(axis=1)]


@pytest.mark.parametrize("make", MERGES)
def test_merge_layers_with_three_inputs(tmp_path, make):
    inputs = [keras.Input((2, 3), name=f"in_{i}") for i in range(3)]
    model = seeded(keras.Model(inputs, make()([layers.Dense(3)(x) for x in inputs])))
    check(model, tmp_path, lambda n: [data((n, 2, 3), n + i) for i in range(3)])


def test_subtract_and_lower_rank_merge(tmp_path):
    a, b = keras.Input((2, 3), name="a"), keras.Input((3,), name="b")
    model = keras.Model([a, b], [layers.Subtract()([a, b]), layers.Add()([a, b])])
    check(model, tmp_path, lambda n: [data((n, 2, 3), n), data((n, 3), n + 1)])


@pytest.mark.parametrize("shapes, axes, normalize", [
    (((4,), (4,)), 1, False), (((4,), (4,)), 1, True), (((3, 4), (5, 4)), 2, False),
    (((3, 4), (3, 5)), 1, True), (((4,), (5, 4)), (1, 2), False),
    (((3, 4), (4,)), (2, 1), False)])
def test_dot(tmp_path, shapes, axes, normalize):
    a, b = keras.Input(shapes[0], name="a"), keras.Input(shapes[1], name="b")
    model = keras.Model([a, b], layers.Dot(axes, normalize=normalize)([a, b]))
    check(model, tmp_path, lambda n: [data((n, *shapes[0]), n), data((n, *shapes[1]), n + 9)])


def test_multi_input_dict_output_and_nested_models(tmp_path):
    block = keras.Sequential([keras.Input((4,)), layers.Dense(4, activation="tanh"),
                              layers.BatchNormalization()], name="block")
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, [layers.Dense(2)(inner_in), layers.Dense(3)(inner_in)],
                        name="inner")
    x1, x2 = keras.Input((4,), name="first"), keras.Input((4,), name="second")
    h = block(layers.Add()([x1, x2]))
    p, q = inner(h)
    model = seeded(keras.Model([x1, x2], {"p": p, "q": layers.Dense(1)(q)}))
    path = check(model, tmp_path, lambda n: [data((n, 4), n), data((n, 4), n + 1)])
    proto = onnx.load(path)
    assert [i.name for i in proto.graph.input] == ["first", "second"]
    assert [o.name for o in proto.graph.output] == ["p", "q"]
    assert any(node.name.startswith("block/") for node in proto.graph.node)


def test_functional_model_inside_sequential(tmp_path):
    inner_in = keras.Input((3,))
    inner = keras.Model(inner_in, layers.Dense(4, activation="relu")(inner_in), name="inner")
    model = sequential((3,), inner, layers.Dropout(0.5), layers.Dense(2, activation="softmax"))
    check(model, tmp_path, lambda n: data((n, 3), n))


def test_time_distributed_convolution(tmp_path):
    model = sequential((3, 5, 5, 2), layers.TimeDistributed(layers.Conv2D(2, 3)),
                       layers.TimeDistributed(layers.Flatten()), layers.GRU(2))
    check(model, tmp_path, lambda n: data((n, 3, 5, 5, 2), n))


def test_small_cnn(tmp_path):
    model = sequential((8, 8, 3), layers.Rescaling(0.5), layers.Conv2D(4, 3, padding="same"),
                       layers.BatchNormalization(), layers.ReLU(), layers.MaxPooling2D(),
                       layers.SeparableConv2D(4, 3), layers.GlobalAveragePooling2D(),
                       layers.Dropout(0.2), layers.Dense(3, activation="softmax"))
    check(model, tmp_path, lambda n: data((n, 8, 8, 3), n))


KERAS_FILES = os.path.join(os.path.dirname(os.path.dirname(__file__)), "fixtures",
                           "keras_files")
# Files that real Keras 3.15.1 saved with its own predictions (tools/make_keras_file_fixtures.py)
# whose models lamina exports; the ONNX file must give Keras's numbers.
KERAS_CASES = ["activation_layers", "activation_softmax", "batchnorm", "cnn", "conv1d_family",
               "conv2d_family", "conv3d_family", "dense_full_config", "dense_linear",
               "dense_relu_nobias", "dict_outputs", "dropout", "flatten_reshape",
               "functional_in_functional", "functional_nested", "functional_shared",
               "layernorm", "mha_causal_scores", "multi_io", "noise_layers", "normalization",
               "trained_classifier",
               # with Keras masks (Embedding(mask_zero=True), Masking) read downstream:
               "embedding_masking", "mha_encoder", "rnn_bidirectional", "rnn_gru", "rnn_lstm"]


def _keras_arrays(npz, prefix, names=None):
    keys = sorted(k for k in npz.files if k == prefix or k.startswith(prefix + "#"))
    if keys:
        return [npz[k] for k in keys]
    keys = sorted(k for k in npz.files if k.startswith(prefix + "."))
    if names is not None:  # dict inputs: keyed by the inputs' names
        return [npz[f"{prefix}.{name}"] for name in names]
    return [npz[k] for k in keys]


@pytest.mark.parametrize("case", KERAS_CASES)
def test_files_saved_by_keras_export_to_keras_numbers(tmp_path, case):
    base = os.path.join(KERAS_FILES, f"keras_{case}")
    model = keras.models.load_model(base + ".keras", compile=False)
    npz = np.load(base + ".npz")
    _, session = run_export(model, tmp_path)
    names = [i.name for i in session.get_inputs()]
    types = [i.type for i in session.get_inputs()]
    xs = [x.astype("float32") if t == "tensor(float)" else x
          for x, t in zip(_keras_arrays(npz, "x", names), types)]
    got = session.run(None, dict(zip(names, xs)))
    want = _keras_arrays(npz, "y")
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=TOL, atol=TOL)


def test_file_states_opset_and_dynamic_batch(tmp_path):
    model = sequential((3,), layers.Dense(2))
    path, session = run_export(model, tmp_path)
    proto = onnx.load(path)
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", DEFAULT_OPSET)]
    assert DEFAULT_OPSET == 18
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 3
    onnx.checker.check_model(proto)
    assert [f for f in os.listdir(tmp_path)] == ["model.onnx"]  # no temporary file left
    path19, _ = run_export(model, tmp_path, "m19.onnx", opset_version=19)
    assert onnx.load(path19).opset_import[0].version == 19
    with pytest.raises(ValueError, match="opset_version=11"):
        model.export(os.path.join(tmp_path, "old.onnx"), format="onnx", opset_version=11)


def test_input_signature_renames_and_checks(tmp_path):
    model = sequential((3,), layers.Dense(2))
    spec = keras.layers.InputSpec(shape=(None, 3), name="features")
    path, session = run_export(model, tmp_path, input_signature=[spec])
    assert [i.name for i in session.get_inputs()] == ["features"]
    with pytest.raises(ValueError, match=r"input_signature: the spec \(None, 4\) does not fit"):
        model.export(os.path.join(tmp_path, "x.onnx"), format="onnx",
                     input_signature=[keras.layers.InputSpec(shape=(None, 4))])


def test_sequential_built_on_data(tmp_path):
    model = keras.Sequential([layers.Dense(3, activation="relu"), layers.Dense(1)])
    model.predict(np.ones((2, 4), "float32"), verbose=0)
    seeded(model)
    check(model, tmp_path, lambda n: data((n, 4), n))


def test_verbose_prints_the_path(tmp_path, capsys):
    model = sequential((3,), layers.Dense(2))
    path = os.path.join(tmp_path, "m.onnx")
    model.export(path, format="onnx")
    assert capsys.readouterr().out.strip() == f"Saved artifact at '{path}'."


class Doubler(keras.layers.Layer):
    def call(self, x):
        return x * 2.0


def test_layer_without_converter_is_named(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dense(2)(Doubler(name="twice")(inputs)))
    path = os.path.join(tmp_path, "bad.onnx")
    with pytest.raises(ExportError, match=r"Layer 'twice' \(Doubler\).*no ONNX converter.*"
                                          r"Layers that export: .*Conv2D.*Dense"):
        model.export(path, format="onnx", verbose=False)
    assert os.listdir(tmp_path) == []  # nothing written, no temporary file left


def test_nested_unsupported_layer_names_its_model(tmp_path):
    inner = keras.Sequential([keras.Input((3,)), Doubler(name="twice")], name="inner")
    model = sequential((3,), inner)
    with pytest.raises(ExportError, match=r"\(Doubler\) in model 'inner'"):
        model.export(os.path.join(tmp_path, "m.onnx"), format="onnx", verbose=False)


def test_subclassed_and_unbuilt_models_are_refused(tmp_path):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net.predict(np.ones((1, 3), "float32"), verbose=0)
    with pytest.raises(ExportError, match="subclassed model.*Sequential or functional"):
        net.export(os.path.join(tmp_path, "m.onnx"), format="onnx")
    with pytest.raises(ExportError, match="not built"):
        keras.Sequential([layers.Dense(2)]).export(os.path.join(tmp_path, "m.onnx"),
                                                   format="onnx")


def test_a_layer_called_with_training_true_is_refused(tmp_path):
    inputs = keras.Input((3,))
    model = keras.Model(inputs, layers.Dropout(0.5, name="always")(inputs, training=True))
    with pytest.raises(ExportError, match="'always'.*training=True"):
        model.export(os.path.join(tmp_path, "m.onnx"), format="onnx")


def test_custom_activation_is_named(tmp_path):
    def cube(x):
        return x * x * x

    model = sequential((3,), layers.Dense(2, activation=cube, name="cubed"))
    with pytest.raises(ExportError, match=r"Layer 'cubed' \(Dense\) uses the activation "
                                          r"'cube'.*Activations that export: .*gelu"):
        model.export(os.path.join(tmp_path, "m.onnx"), format="onnx")


def ids_with_padding(n, steps=6, seed=0, empty=False):
    """Token ids with padding (0) after, before and inside the rows (and, with ``empty``, a
    row all padding: a masked average of it is 0 / 0 in lamina and Keras)."""
    ids = data((n, steps), seed, dtype="int32", high=9) + 1
    ids[0, -2:] = 0
    if n > 1:
        ids[1, :3] = 0
        ids[-1, 1::2] = 0
    if n > 3 and empty:
        ids[2] = 0
    return ids


MASKED = [
    lambda: [layers.LSTM(3)],
    lambda: [layers.LSTM(3, return_sequences=True), layers.GRU(2)],
    lambda: [layers.GRU(3, return_sequences=True, go_backwards=True),
             layers.GlobalAveragePooling1D()],
    lambda: [layers.SimpleRNN(3, return_sequences=True, zero_output_for_mask=True),
             layers.Dense(2), layers.GlobalAveragePooling1D()],
    lambda: [layers.Bidirectional(layers.LSTM(2, return_sequences=True)),
             layers.TimeDistributed(layers.Dense(2)), layers.Bidirectional(layers.GRU(2))],
    lambda: [layers.RNN([layers.LSTMCell(2), layers.GRUCell(3)], return_sequences=True),
             layers.GlobalMaxPooling1D()],
    lambda: [layers.Dense(4), layers.Dropout(0.1), layers.GlobalAveragePooling1D()],
]


@pytest.mark.parametrize("make", MASKED)
def test_masks_from_embedding(tmp_path, make):
    stack = make()
    empty = not any(isinstance(layer, layers.GlobalAveragePooling1D) for layer in stack)
    model = sequential((6,), layers.Embedding(10, 4, mask_zero=True), *stack)
    check(model, tmp_path, lambda n: ids_with_padding(n, empty=empty).astype("float32"))


def test_masked_attention_block(tmp_path):
    ids = keras.Input((6,), dtype="int32", name="ids")
    x = layers.Embedding(10, 4, mask_zero=True)(ids)
    h = layers.Add()([x, layers.MultiHeadAttention(2, 3)(x, x)])
    out = layers.GlobalAveragePooling1D()(layers.LayerNormalization()(h))
    model = seeded(keras.Model(ids, out))
    check(model, tmp_path, lambda n: ids_with_padding(n))


def test_masking_layer(tmp_path):
    def inputs(n):
        x = data((n, 5, 3), n)
        x[0, -2:] = 0.0
        x[-1, :2] = 0.0
        return x

    model = sequential((5, 3), layers.Masking(0.0), layers.GRU(2, return_sequences=True),
                       layers.LSTM(2))
    check(model, tmp_path, inputs)


def test_a_layer_that_reads_a_mask_is_refused(tmp_path):
    model = sequential((4,), layers.Embedding(5, 2, mask_zero=True), layers.Softmax(name="sm"))
    with pytest.raises(ExportError, match=r"Layer 'sm' \(Softmax\).*receives a Keras mask.*"
                                          r"Masks export through: .*LSTM"):
        model.export(os.path.join(tmp_path, "m.onnx"), format="onnx")


@pytest.mark.parametrize("fmt", ["tf_saved_model", "litert", "openvino", "torch"])
def test_other_formats_need_their_frameworks(tmp_path, fmt):
    model = sequential((3,), layers.Dense(2))
    path = os.path.join(tmp_path, "m")
    with pytest.raises(ValueError, match=r"needs (TensorFlow|OpenVINO|PyTorch).*format='onnx'"):
        model.export(path, format=fmt)
    if fmt == "tf_saved_model":  # Keras's default format
        with pytest.raises(ValueError, match="needs TensorFlow"):
            model.export(path)
    assert not os.path.exists(path)


def test_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"Unrecognized format='pb'.*'onnx'"):
        sequential((3,), layers.Dense(2)).export(os.path.join(tmp_path, "m"), format="pb")


def test_supported_layers_lists_the_families():
    names = supported_layers()
    for name in ["Dense", "Conv2D", "Conv2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
                 "MaxPooling2D", "GlobalAveragePooling1D", "BatchNormalization",
                 "LayerNormalization", "Embedding", "Concatenate", "Dot", "Normalization",
                 "Rescaling", "ZeroPadding2D", "Cropping1D", "UpSampling2D", "PReLU"]:
        assert name in names
