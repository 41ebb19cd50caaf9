"""``load_img``, ``img_to_array``, ``array_to_img``, ``save_img``, ``smart_resize`` and the resize.

Reference numbers come from real Keras 3.15.1 / TensorFlow 2.21
(``tools/make_keras_image_data_fixtures.py`` → ``tests/fixtures/keras_image_data/``).
"""

import io
import json
import os
import sys

import numpy as np
import pytest

import lamina
from lamina.utils import array_to_img, image_resize, image_utils, img_to_array, load_img, save_img

Image = pytest.importorskip("PIL.Image")

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "keras_image_data")
TREE = os.path.join(FIXTURES, "tree")


@pytest.fixture(scope="module")
def keras_ref():
    with open(os.path.join(FIXTURES, "keras_image_data.json")) as f:
        table = json.load(f)
    with np.load(os.path.join(FIXTURES, "keras_image_data.npz")) as f:
        arrays = dict(f)
    return table, arrays


def _png(path, array, mode=None):
    Image.fromarray(array, mode).save(path)
    return path


# --------------------------------------------------------------------------------------------
# load_img / img_to_array against Keras


def test_load_img_color_modes_match_keras(keras_ref):
    table, arrays = keras_ref
    cases = [e for e in table["image_utils"]["load_img"] if "target_size" not in e]
    assert len(cases) == 18
    for entry in cases:
        img = load_img(os.path.join(TREE, entry["file"]), color_mode=entry["color_mode"])
        assert (img.mode, list(img.size)) == (entry["mode"], entry["size"]), entry["key"]
        x = img_to_array(img)
        assert x.dtype == np.float32
        np.testing.assert_array_equal(x, arrays[entry["key"]], err_msg=entry["key"])


def test_load_img_target_size_interpolations_and_aspect_ratio_match_keras(keras_ref):
    table, arrays = keras_ref
    cases = [e for e in table["image_utils"]["load_img"] if "target_size" in e]
    assert {e["interpolation"] for e in cases} == {"nearest", "bilinear", "bicubic", "hamming",
                                                   "box", "lanczos"}
    for entry in cases:
        img = load_img(os.path.join(TREE, entry["file"]), target_size=entry["target_size"],
                       interpolation=entry["interpolation"],
                       keep_aspect_ratio=entry["keep_aspect_ratio"])
        assert list(img.size) == entry["size"] == [6, 4]  # PIL sizes are (width, height)
        np.testing.assert_array_equal(img_to_array(img), arrays[entry["key"]],
                                      err_msg=entry["key"])


def test_load_img_accepts_paths_bytesio_and_keeps_no_file_open(tmp_path):
    path = _png(tmp_path / "a.png", np.full((3, 5, 3), 7, np.uint8))
    for source in (str(path), path, os.fsencode(str(path))):
        assert load_img(source).size == (5, 3)
    buf = io.BytesIO(path.read_bytes())
    assert img_to_array(load_img(buf, color_mode="grayscale")).shape == (3, 5, 1)
    os.remove(path)  # load_img read the bytes and closed the file


def test_load_img_same_size_skips_the_interpolation_check(tmp_path):
    path = _png(tmp_path / "a.png", np.zeros((3, 5, 3), np.uint8))
    assert load_img(path, target_size=(3, 5), interpolation="no-such").size == (5, 3)  # as Keras


def test_load_img_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no image file at .*missing.png"):
        load_img(tmp_path / "missing.png")
    bad = tmp_path / "bad.png"
    bad.write_text("this is not a picture")
    with pytest.raises(ValueError, match=r"could not read '.*bad.png' as an image"):
        load_img(bad)
    good = _png(tmp_path / "ok.png", np.zeros((2, 2, 3), np.uint8))
    with pytest.raises(ValueError, match="'color_mode'.*'grayscale', 'rgb', 'rgba'.*'rgbx'"):
        load_img(good, color_mode="rgbx")
    with pytest.raises(ValueError, match="'interpolation'.*'lanczos'.*'cubic'"):
        load_img(good, target_size=(4, 4), interpolation="cubic")
    with pytest.raises(TypeError, match="file path or an io.BytesIO.*int"):
        load_img(3)


# --------------------------------------------------------------------------------------------
# img_to_array / array_to_img / save_img


def test_img_to_array_layouts_and_dtype():
    img = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    assert img_to_array(img).shape == (3, 4, 1)
    assert img_to_array(img, data_format="channels_first").shape == (1, 3, 4)
    rgb = Image.fromarray(np.zeros((3, 4, 3), np.uint8))
    assert img_to_array(rgb, data_format="channels_first").shape == (3, 3, 4)
    assert img_to_array(rgb, dtype="uint8").dtype == np.uint8
    lamina.config.set_floatx("float64")
    assert img_to_array(rgb).dtype == np.float64  # default dtype: floatx, as Keras
    with pytest.raises(ValueError, match="'data_format'.*channels_last.*'NHWC'"):
        img_to_array(rgb, data_format="NHWC")
    with pytest.raises(ValueError, match=r"2-D \(grayscale\) or 3-D.*\(2, 3, 4, 5\)"):
        img_to_array(np.zeros((2, 3, 4, 5)))


def test_array_to_img_matches_keras(keras_ref):
    _, arrays = keras_ref
    for channels in (1, 3, 4):
        x = arrays[f"array_to_img/input/{channels}"]
        for scale in (True, False):
            img = array_to_img(x * (1 if scale else 100), scale=scale)
            assert img.mode == {1: "L", 3: "RGB", 4: "RGBA"}[channels]
            np.testing.assert_array_equal(np.asarray(img), arrays[f"array_to_img/{channels}/{scale}"])
    big = array_to_img(arrays["array_to_img/input/big"], scale=False)
    assert big.mode == keras_ref[0]["image_utils"]["array_to_img_big_mode"] == "I"
    np.testing.assert_array_equal(np.asarray(big), arrays["array_to_img/big"])


def test_array_to_img_does_not_change_its_input_and_checks_shapes():
    x = np.linspace(0, 1, 24, dtype=np.float32).reshape(2, 4, 3)
    before = x.copy()
    array_to_img(x)
    np.testing.assert_array_equal(x, before)
    assert array_to_img(x.transpose(2, 0, 1), data_format="channels_first").size == (4, 2)
    with pytest.raises(ValueError, match=r"rank 3.*\(1, 2, 4, 3\).*array_to_img\(x\[0\]\)"):
        array_to_img(x[None])
    with pytest.raises(ValueError, match="1, 3 or 4 channels; got 2"):
        array_to_img(np.zeros((2, 2, 2)))


@pytest.mark.parametrize("ext", ["png", "bmp", "gif"])
def test_save_img_then_load_img_round_trip_is_exact(tmp_path, ext):
    x = np.random.RandomState(0).randint(0, 256, (5, 7, 3)).astype("float32")
    path = tmp_path / f"img.{ext}"
    save_img(path, x, scale=False)
    back = img_to_array(load_img(path))
    if ext == "gif":  # a palette of at most 256 colours: close, not exact
        assert back.shape == x.shape
    else:
        np.testing.assert_array_equal(back, x)


def test_save_img_grayscale_rgba_jpeg_and_file_objects(tmp_path):
    gray = np.arange(20, dtype="float32").reshape(4, 5, 1)
    save_img(tmp_path / "g.png", gray, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(tmp_path / "g.png", "grayscale")), gray)
    rgba = np.random.RandomState(1).randint(0, 256, (4, 5, 4)).astype("float32")
    save_img(tmp_path / "a.png", rgba, scale=False)
    np.testing.assert_array_equal(img_to_array(load_img(tmp_path / "a.png", "rgba")), rgba)
    with pytest.warns(UserWarning, match="JPEG has no alpha channel"):
        save_img(tmp_path / "a.jpg", rgba)
    assert load_img(tmp_path / "a.jpg").mode == "RGB"
    buf = io.BytesIO()
    save_img(buf, rgba[..., :3], file_format="png", scale=False)
    buf.seek(0)
    np.testing.assert_array_equal(img_to_array(load_img(buf)), rgba[..., :3])
    save_img(tmp_path / "q.jpeg", rgba[..., :3], quality=100)  # kwargs go to PIL's save
    assert load_img(tmp_path / "q.jpeg").size == (5, 4)


def test_scale_stretches_to_0_255():
    img = array_to_img(np.array([[[-1.0], [0.0], [3.0]]]))
    np.testing.assert_array_equal(np.asarray(img), [[0, 63, 255]])


# --------------------------------------------------------------------------------------------
# resizing


def test_smart_resize_matches_keras(keras_ref):
    _, arrays = keras_ref
    x = arrays["smart_resize/input"]
    for interp in ("bilinear", "nearest", "bicubic"):
        for size in ((4, 4), (5, 8)):
            out = image_utils.smart_resize(x, size, interpolation=interp)
            ref = arrays[f"smart_resize/{interp}/{size[0]}x{size[1]}"]
            assert out.shape == ref.shape and out.dtype == ref.dtype
            if interp == "bicubic":
                np.testing.assert_allclose(out, ref, atol=1e-5)
            else:
                np.testing.assert_array_equal(out, ref)  # TensorFlow's float32 steps, bit for bit
    batch = image_utils.smart_resize(np.stack([x, x[::-1]]), (5, 8))
    np.testing.assert_array_equal(batch, arrays["smart_resize/batch/bilinear/5x8"])
    first = image_utils.smart_resize(x.transpose(2, 0, 1), (5, 8), data_format="channels_first")
    np.testing.assert_array_equal(first.transpose(1, 2, 0), arrays["smart_resize/bilinear/5x8"])
    with pytest.raises(ValueError, match=r"\(height, width, channels\) or a batch"):
        image_utils.smart_resize(np.zeros((4, 4)), (2, 2))


def test_resize_same_size_is_identity_and_nearest_keeps_dtype():
    x = np.random.RandomState(0).randint(0, 256, (5, 6, 3)).astype("uint8")
    for method in image_resize.INTERPOLATIONS:
        out = image_resize.resize(x, (5, 6), method)
        assert out.dtype == (np.uint8 if method == "nearest" else np.float32)
        if method not in ("gaussian", "mitchellcubic"):  # these two blur, in TensorFlow too
            np.testing.assert_allclose(out, x, atol=1e-3, err_msg=method)
    with pytest.raises(ValueError, match="'interpolation'.*'bilinear'.*'cubic'"):
        image_resize.resize(x, (2, 2), "cubic")


def test_resize_with_pad_centres_the_image():
    x = np.full((2, 8, 1), 100, np.uint8)
    out = image_resize.resize_with_pad(x, (6, 8), "bilinear")
    assert out.shape == (6, 8, 1)
    np.testing.assert_array_equal(out[:2, :, 0], 0)
    np.testing.assert_array_equal(out[2:4, :, 0], 100)
    np.testing.assert_array_equal(out[4:, :, 0], 0)


# --------------------------------------------------------------------------------------------
# Pillow is optional


def test_missing_pillow_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "lamina\[image\]"'):
        load_img(tmp_path / "a.png")
    with pytest.raises(ImportError, match="needs Pillow"):
        array_to_img(np.zeros((2, 2, 3)))


def test_importing_lamina_utils_does_not_import_pillow():
    import subprocess

    code = ("import sys, lamina, lamina.utils; lamina.utils.load_img; "
            "print('PIL' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tensorflow_keras_paths_resolve_to_lamina():
    lamina.compat.install()
    try:
        import tensorflow as tf
        from tensorflow.keras.preprocessing.image import img_to_array as tf_img_to_array

        assert tf.keras.utils.load_img is load_img
        assert tf.keras.preprocessing.image.load_img is load_img
        assert tf_img_to_array is img_to_array
        assert tf.keras.preprocessing.image.smart_resize is image_utils.smart_resize
        assert tf.keras.utils.save_img is save_img and tf.keras.utils.array_to_img is array_to_img
    finally:
        lamina.compat.uninstall()


def test_docstring_examples_run():
    from helpers import run_doctests

    assert run_doctests(image_utils) >= 2
    assert run_doctests(image_resize) >= 1
