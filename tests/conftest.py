import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
# In lamina's own tests a traced step that falls back to eager execution is an error, unless
# the test expects it (it then sets lamina.engine.compiled._STRICT to False).
os.environ.setdefault("LAMINA_ENGINE_STRICT", "1")


@pytest.fixture(autouse=True)
def _float32_default():
    import lamina

    lamina.config.set_floatx("float32")
    yield
    lamina.config.set_floatx("float32")
