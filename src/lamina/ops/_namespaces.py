"""``keras.ops.nn``, ``keras.ops.numpy`` and ``keras.ops.linalg``: Keras 3's sub-namespaces of
``keras.ops``, as views of ``lamina.ops``.

Keras files every op under one of them as well as at the top (``keras.ops.nn.relu`` is
``keras.ops.relu``). Each namespace here answers the names Keras lists under it with the
``lamina.ops`` function of that name; a name Keras lists that lamina does not have yet gets
an ``AttributeError`` that says so, so a script learns what to do instead.

Example:
    >>> from lamina import ops
    >>> ops.nn.relu is ops.relu
    True
"""

from __future__ import annotations

import sys
import types

__all__ = ["NAMESPACES", "namespace"]

# The names Keras 3.15.1 exports under each (dir(keras.ops.<namespace>)).
NAMESPACES = {
    "nn": """
    adaptive_average_pool adaptive_max_pool average_pool batch_normalization
    binary_crossentropy categorical_crossentropy celu conv conv_transpose ctc_decode ctc_loss
    depth_to_space depthwise_conv dot_product_attention elu fold gelu glu hard_shrink
    hard_sigmoid hard_silu hard_swish hard_tanh layer_normalization leaky_relu log_sigmoid
    log_softmax max_pool moments multi_hot normalize one_hot polar psnr relu relu6
    rms_normalization selu separable_conv sigmoid silu soft_shrink softmax softplus softsign
    space_to_depth sparse_categorical_crossentropy sparse_plus sparse_sigmoid sparsemax
    squareplus swish tanh_shrink threshold unfold
""".split(),
    "numpy": """
    abs absolute add all allclose amax amin angle any append arange arccos arccosh arcsin
    arcsinh arctan arctan2 arctanh argmax argmin argpartition argsort array array_split average
    bartlett bincount bitwise_and bitwise_invert bitwise_left_shift bitwise_not bitwise_or
    bitwise_right_shift bitwise_xor blackman broadcast_to cbrt ceil clip concatenate conj
    conjugate copy corrcoef correlate cos cosh count_nonzero cross cumprod cumsum deg2rad diag
    diagflat diagonal diff digitize divide divide_no_nan dot dsplit dstack einsum empty
    empty_like equal exp exp2 expand_dims expm1 eye fabs flip fliplr flipud floor floor_divide
    fmax fmin fmod full full_like gcd geomspace get_item greater greater_equal hamming hanning
    heaviside histogram hsplit hstack hypot i0 identity imag inner isclose isfinite isin isinf
    isnan isneginf isposinf isreal kaiser kron lcm ldexp left_shift less less_equal linspace
    log log10 log1p log2 logaddexp logaddexp2 logical_and logical_not logical_or logical_xor
    logspace matmul max maximum mean median meshgrid min minimum mod moveaxis multiply
    nan_to_num nanargmax nanargmin nancumprod nancumsum nanmax nanmean nanmedian nanmin
    nanpercentile nanprod nanquantile nanstd nansum nanvar ndim negative nextafter nonzero
    not_equal ones ones_like outer pad percentile power prod ptp quantile rad2deg ravel real
    reciprocal repeat reshape right_shift roll rot90 round searchsorted select sign signbit sin
    sinc sinh size slogdet sort split sqrt square squeeze stack std subtract sum swapaxes take
    take_along_axis tan tanh tensordot tile trace transpose trapezoid tri tril triu true_divide
    trunc unique unravel_index vander var vdot vectorize view vsplit vstack where zeros
    zeros_like
""".split(),
    "linalg": """
    cholesky cholesky_inverse det eig eigh inv jvp lstsq lu_factor matrix_rank norm pinv qr
    solve solve_triangular svd
""".split(),
}


class _Namespace(types.ModuleType):
    def __init__(self, name, names):
        super().__init__(f"lamina.ops.{name}")
        self._keras_names = frozenset(names)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        from lamina import ops

        short = self.__name__.rsplit(".", 1)[1]
        if name in self._keras_names:
            if name in ops.__all__:
                return getattr(ops, name)
            raise AttributeError(
                f"keras.ops.{short}.{name} is a Keras 3 op that lamina does not have yet. "
                "Write it with the lamina.ops functions it is made of (they get gradients), "
                f"or see dir(lamina.ops.{short}) for the ones there are.")
        raise AttributeError(f"module 'keras.ops.{short}' has no attribute {name!r} (not a "
                             f"Keras 3 op under keras.ops.{short})")

    def __dir__(self):
        from lamina import ops

        return sorted(n for n in self._keras_names if n in ops.__all__)


def namespace(name):
    """The module ``lamina.ops.<name>`` (made once, and registered for ``import``)."""
    full = f"lamina.ops.{name}"
    module = sys.modules.get(full)
    if module is None:
        module = sys.modules[full] = _Namespace(name, NAMESPACES[name])
    return module
