"""keras.applications with weights=None: Keras's layers, weights, names and numbers.

tools/make_keras_applications_fixtures.py recorded, for each case, what Keras 3.15.1 builds
(name, parameter count, output shape, layers, weights) and, for two small cases, Keras's
outputs with every weight drawn from one seeded generator in the order of model.weights.
"""

import json
import os
import time

import numpy as np
import pytest

import lamina
import lamina.compat
from lamina import applications

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras")
with open(os.path.join(FIXTURES, "applications.json")) as _f:
    CASES = json.load(_f)["cases"]
SLOW = {"vgg16_default"}  # 138 million weights to initialize


def _seeded_values(weights, seed=7):
    """The fixture tool's seeded_values: the same draws in the same order."""
    rng = np.random.default_rng(seed)
    values = []
    for w in weights:
        leaf = w.path.split("/")[-1]
        shape = tuple(w.shape)
        if leaf in ("gamma", "moving_variance", "variance"):
            v = rng.random(shape) * 0.5 + 0.75
        elif leaf == "count":
            v = np.full(shape, 10.0)
        else:
            v = rng.standard_normal(shape) * 0.1
        values.append(np.asarray(v, dtype=w.dtype))
    return values


def _build(case):
    lamina.utils.clear_session()
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    return getattr(applications, case["fn"])(weights=None, **kwargs)


@pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.slow) if c["id"] in SLOW
                                  else c for c in CASES], ids=[c["id"] for c in CASES])
def test_architecture_matches_keras(case):
    model = _build(case)
    assert model.name == case["name"]
    assert model.count_params() == case["params"]
    assert list(model.output.shape) == case["output_shape"]
    assert [[layer.name, type(layer).__name__] for layer in model.layers] == case["layers"]
    # lamina prefixes a functional model's variable paths with the model's name; Keras does not
    prefix = f"{model.name}/"
    paths = [w.path[len(prefix):] if w.path.startswith(prefix) else w.path for w in model.weights]
    assert [[p, list(w.shape)] for p, w in zip(paths, model.weights)] == case["weights"]


@pytest.mark.parametrize("case", [c for c in CASES if c["outputs"]], ids=lambda c: c["id"])
def test_outputs_match_keras_on_seeded_weights(case):
    model = _build(case)
    for w, v in zip(model.weights, _seeded_values(model.weights)):
        w.assign(v)
    with np.load(os.path.join(FIXTURES, "applications.npz")) as ref:
        x, expected = ref[f"{case['id']}/x"], ref[f"{case['id']}/y"]
    got = model.predict(x, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_imagenet_weights_and_class_index_come_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"mobilenet_v2_weights_tf_dim_ordering_tf_"
                                                r"kernels_0\.35_96_no_top\.h5"):
        applications.MobileNetV2(alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    from lamina.applications import imagenet_utils, mobilenet_v2

    monkeypatch.setattr(imagenet_utils, "_class_index", None)
    preds = np.zeros((1, 1000))
    preds[0, 7] = 0.9
    with pytest.raises(FileNotFoundError, match="imagenet_class_index.json"):
        mobilenet_v2.decode_predictions(preds)
    (tmp_path / "models").mkdir(exist_ok=True)
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (tmp_path / "models" / "imagenet_class_index.json").write_text(json.dumps(index))
    top = mobilenet_v2.decode_predictions(preds, top=2)
    assert top[0][0] == ("n00000007", "class_7", 0.9) and len(top[0]) == 2
    with pytest.raises(ValueError, match=r"\(samples, 1000\)"):
        mobilenet_v2.decode_predictions(np.zeros((1, 10)))
    monkeypatch.setattr(imagenet_utils, "_class_index", None)


def test_weights_file_saved_by_lamina_loads_back(tmp_path):
    model = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(32, 32, 3),
                                     classes=3)
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    again = applications.MobileNetV2(weights=str(path), alpha=0.35, input_shape=(32, 32, 3),
                                     classes=3)
    x = np.random.default_rng(0).random((1, 32, 32, 3)).astype("float32") * 255
    np.testing.assert_array_equal(model.predict(x, verbose=0), again.predict(x, verbose=0))


def test_preprocess_input_modes():
    from lamina.applications import efficientnet, imagenet_utils, resnet50, vgg16

    x = np.array([[[[0.0, 127.5, 255.0]]]])
    np.testing.assert_allclose(applications.mobilenet_v2.preprocess_input(x.copy()),
                               [[[[-1.0, 0.0, 1.0]]]])
    caffe = vgg16.preprocess_input(x.copy())
    np.testing.assert_allclose(caffe, [[[[255.0 - 103.939, 127.5 - 116.779, -123.68]]]])
    np.testing.assert_allclose(resnet50.preprocess_input(x.copy()), caffe)
    torch = imagenet_utils.preprocess_input(x.copy(), mode="torch")
    np.testing.assert_allclose(torch, [[[[-0.485 / 0.229, (0.5 - 0.456) / 0.224,
                                          (1 - 0.406) / 0.225]]]], rtol=1e-6)
    first = imagenet_utils.preprocess_input(np.transpose(x, (0, 3, 1, 2)).copy(),
                                            data_format="channels_first")
    np.testing.assert_allclose(np.transpose(first, (0, 2, 3, 1)), caffe)
    assert efficientnet.preprocess_input(x) is x
    assert imagenet_utils.preprocess_input(np.zeros((1, 2, 2, 3), "uint8")).dtype == "float32"
    with pytest.raises(ValueError, match="'mode' argument"):
        imagenet_utils.preprocess_input(x, mode="keras")


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="'weights' argument of ResNet50"):
        applications.ResNet50(weights="imagenet21k")
    with pytest.raises(ValueError, match="1000 classes"):
        applications.VGG16(classes=10)
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.EfficientNetB0(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="fixed input_shape"):
        applications.MobileNetV2(weights=None, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="'pooling' argument"):
        applications.ResNet50(weights=None, include_top=False, pooling="mean")
    with pytest.raises(ValueError, match="classifier_activation must be 'softmax'"):
        applications.MobileNetV2(alpha=0.35, classifier_activation="relu",
                                 weights=os.devnull)


def test_lazy_package_and_keras_paths():
    assert {"MobileNetV2", "ResNet50", "VGG16", "EfficientNetB0", "mobilenet_v2"} <= set(
        dir(applications))
    assert lamina.applications is applications
    lamina.compat.install()
    try:
        import keras
        from keras.applications.mobilenet_v2 import preprocess_input

        assert keras.applications.ResNet50 is applications.ResNet50
        assert preprocess_input is applications.mobilenet_v2.preprocess_input
    finally:
        lamina.compat.uninstall()


def test_fine_tuning_a_small_network_trains():
    start = time.perf_counter()
    base = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                                    input_shape=(32, 32, 3), pooling="avg")
    base.trainable = False
    inputs = lamina.Input((32, 32, 3))
    outputs = lamina.layers.Dense(2, activation="softmax")(base(inputs, training=False))
    model = lamina.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(1).random((8, 32, 32, 3)).astype("float32")
    history = model.fit(x, np.arange(8) % 2, epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2 and len(model.trainable_weights) == 2
    assert time.perf_counter() - start < 60


def test_docstring_examples_run():
    from helpers import run_doctests

    from lamina.applications import efficientnet, imagenet_utils, mobilenet_v2, resnet, vgg16

    ran = sum(run_doctests(m) for m in (applications, efficientnet, imagenet_utils,
                                        mobilenet_v2, resnet, vgg16))
    assert ran >= 6


def test_imagenet_weights_load_from_keras_file_name(tmp_path, monkeypatch):
    """A file in the layout of Keras's downloads (Keras 2 weights: layer_names at the root)."""
    h5py = pytest.importorskip("h5py")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    source = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                                      input_shape=(96, 96, 3))
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96_no_top.h5"
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [layer.name.encode() for layer in source.layers]
        for layer in source.layers:
            group = f.create_group(layer.name)
            weights = layer.trainable_weights + layer.non_trainable_weights
            group.attrs["weight_names"] = [f"{layer.name}/{w.name}:0".encode() for w in weights]
            for w in weights:
                group.create_dataset(f"{layer.name}/{w.name}:0", data=w.numpy())
    model = applications.MobileNetV2(alpha=0.35, include_top=False, input_shape=(96, 96, 3))
    x = np.random.default_rng(2).random((1, 96, 96, 3)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), source.predict(x, verbose=0))


def test_vgg19_has_keras_parameter_counts_and_layer_names():
    # Keras 3.15.1: 143,667,240 with the top; 20,024,384 without it on 32x32 inputs.
    from lamina.applications import VGG19

    model = VGG19(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert model.count_params() == 20_024_384
    names = [layer.name for layer in model.layers[1:]]
    assert names[:3] == ["block1_conv1", "block1_conv2", "block1_pool"]
    assert "block5_conv4" in names and len(model.layers) == 22
    assert model.name == "vgg19"
