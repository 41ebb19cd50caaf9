"""``lamina.ops.image.resize`` with every interpolation: one rule shared with image files."""

import numpy as np
import pytest
from gradcheck import check_gradients

from lamina import ops
from lamina.utils import image_resize


@pytest.mark.parametrize("method", ["bilinear", "nearest", "bicubic", "area", "lanczos3",
                                    "lanczos5"])
def test_resize_equals_the_image_file_resize(method):
    x = np.random.default_rng(0).random((2, 7, 9, 3)).astype("float32")
    got = ops.image.resize(x, (5, 12), interpolation=method).numpy()
    np.testing.assert_allclose(got, image_resize.resize(x, (5, 12), method), rtol=1e-6,
                               atol=1e-6)


@pytest.mark.parametrize("method", ["bicubic", "area", "lanczos3"])
def test_resize_gradients(method):
    rng = np.random.default_rng(1)
    check_gradients(lambda x: ops.image.resize(x, (3, 5), interpolation=method),
                    [rng.standard_normal((1, 4, 3, 2))])
