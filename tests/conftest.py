import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _float32_default():
    import lamina

    lamina.config.set_floatx("float32")
    yield
    lamina.config.set_floatx("float32")
