"""``keras.ops.nn`` / ``numpy`` / ``linalg``: Keras 3's sub-namespaces answer with lamina.ops."""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.ops._namespaces import NAMESPACES


@pytest.mark.parametrize("name", sorted(NAMESPACES))
def test_every_listed_name_lamina_has_is_the_same_function(name):
    namespace = getattr(ops, name)
    present = dir(namespace)
    assert present and set(present) <= set(NAMESPACES[name]) & set(ops.__all__)
    for op in present:
        assert getattr(namespace, op) is getattr(ops, op)


def test_a_keras_program_using_the_namespaces_runs():
    inputs = lamina.Input((4,))
    x = lamina.ops.nn.relu(lamina.layers.Dense(3)(inputs))
    model = lamina.Model(inputs, lamina.ops.numpy.sum(x, axis=-1))
    out = model.predict(np.ones((2, 4), "float32"), verbose=0)
    assert out.shape == (2,)
    from lamina.ops import nn

    assert nn.softmax is ops.softmax and "relu" in dir(nn)


def test_names_keras_has_and_lamina_lacks_say_so():
    missing = next(n for n in NAMESPACES["linalg"] if n not in ops.__all__)
    with pytest.raises(AttributeError, match=f"keras.ops.linalg.{missing} is a Keras 3 op that "
                                             "lamina does not have yet"):
        getattr(ops.linalg, missing)
    assert not hasattr(ops.nn, "no_such_op")
    with pytest.raises(AttributeError, match="not a Keras 3 op under keras.ops.nn"):
        ops.nn.no_such_op  # noqa: B018
