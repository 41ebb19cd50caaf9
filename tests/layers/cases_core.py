"""Gradient cases of the core, reshaping, normalization and regularization layers."""

import numpy as np
from layer_gradients import LayerCase

from lamina import layers, ops

_RNG = np.random.default_rng(11)


def normal(*shape):
    return _RNG.standard_normal(shape)


def _adapted_normalization():
    layer = layers.Normalization()
    layer.adapt(normal(20, 3) * 3 + 1)
    return layer


class _WithPenalty(layers.Layer):
    """ActivityRegularization's output plus its penalty, so the check covers the penalty too."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.ActivityRegularization(l1=0.3, l2=0.7)

    def call(self, x):
        out = self.inner(x)
        return ops.add(out, self.inner.losses[0])


CASES = [
    LayerCase("Dense", lambda: layers.Dense(3, activation="tanh"), normal(4, 5)),
    LayerCase("Dense/3d_input", lambda: layers.Dense(2), normal(2, 3, 4), covers=("Dense",)),
    LayerCase("Activation", lambda: layers.Activation("softplus"), normal(3, 4)),
    LayerCase("ReLU", lambda: layers.ReLU(max_value=1.5, negative_slope=0.1, threshold=0.2),
              np.array([[-1.3, -0.5, 0.4, 0.9, 1.2, 2.5]])),
    LayerCase("LeakyReLU", layers.LeakyReLU, np.array([[-1.3, -0.5, 0.4, 0.9]])),
    LayerCase("ELU", lambda: layers.ELU(alpha=0.7), np.array([[-1.3, -0.5, 0.4, 0.9]])),
    LayerCase("PReLU", lambda: layers.PReLU(alpha_initializer="ones", shared_axes=[1]),
              np.array([[[-1.3, 0.5], [0.4, -0.9]], [[1.1, -0.2], [-0.7, 0.3]]])),
    LayerCase("Softmax", layers.Softmax, normal(3, 4)),
    LayerCase("Softmax/masked", layers.Softmax, normal(2, 4), covers=("Softmax",),
              kwargs={"mask": np.array([[True, True, False, True], [False, True, True, True]])}),
    LayerCase("Flatten", layers.Flatten, normal(2, 3, 2)),
    LayerCase("Reshape", lambda: layers.Reshape((3, 2)), normal(2, 6)),
    LayerCase("Permute", lambda: layers.Permute((2, 1)), normal(2, 3, 4)),
    LayerCase("RepeatVector", lambda: layers.RepeatVector(3), normal(2, 4)),
    LayerCase("Identity", layers.Identity, normal(2, 3)),
    LayerCase("Lambda", lambda: layers.Lambda(lambda t: ops.tanh(t) * t), normal(2, 3)),
    LayerCase("BatchNormalization", layers.BatchNormalization, normal(6, 3), training=True),
    LayerCase("BatchNormalization/inference", layers.BatchNormalization, normal(6, 3),
              covers=("BatchNormalization",)),
    LayerCase("LayerNormalization", layers.LayerNormalization, normal(4, 5)),
    LayerCase("UnitNormalization", layers.UnitNormalization, normal(3, 4)),
    LayerCase("Normalization", _adapted_normalization, normal(4, 3)),
    # The dropout family passes values through outside training (what is differentiable there).
    LayerCase("Dropout", lambda: layers.Dropout(0.5), normal(3, 4)),
    LayerCase("GaussianNoise", lambda: layers.GaussianNoise(0.3), normal(3, 4)),
    LayerCase("GaussianDropout", lambda: layers.GaussianDropout(0.3), normal(3, 4)),
    LayerCase("AlphaDropout", lambda: layers.AlphaDropout(0.3), normal(3, 4)),
    LayerCase("SpatialDropout1D", lambda: layers.SpatialDropout1D(0.3), normal(2, 3, 4)),
    LayerCase("SpatialDropout2D", lambda: layers.SpatialDropout2D(0.3), normal(2, 3, 3, 2)),
    LayerCase("SpatialDropout3D", lambda: layers.SpatialDropout3D(0.3), normal(1, 2, 2, 2, 2)),
    LayerCase("ActivityRegularization", lambda: layers.ActivityRegularization(0.1, 0.2),
              normal(3, 4)),
    LayerCase("ActivityRegularization/penalty", _WithPenalty, normal(3, 4) + 0.5,
              covers=("ActivityRegularization",)),
]
