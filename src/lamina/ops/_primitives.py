"""The derivative table: every differentiable primitive, forward beside its VJP.

Each entry is ``fwd(*arrays, **params) -> (out, saved)`` and
``vjp(g, saved, needs) -> tuple`` with one gradient (or ``None``) per input;
``needs[i]`` says whether input ``i`` wants one, so costly products are
skipped. Gradients may have the broadcast shape: ``autodiff.tape.unbroadcast``
reduces them. Everything else in ``lamina.ops`` is composed from these.
Primitives without a gradient (comparisons, rounding, arg-max) are in the
table too: a traced step records every operation that reads values.

The definitions live in ``_prim_math.py`` (elementwise, reductions, softmax)
``_prim_array.py`` (shapes, indexing, linear algebra, fused ops) and
``_prim_nn.py`` (fused batch and layer normalization), ``_prim_image.py`` (resize, affine
resampling, crops at traced offsets), ``_prim_rnn.py`` (fused recurrent sequences; the common LSTM's loops in ``_prim_lstm.py``),
``_prim_einsum.py`` (einsum, as BLAS products where it can); this module is the one place
to import them from.
"""

from lamina.ops._prim_array import *  # noqa: F403
from lamina.ops._prim_array import _along_axis_index  # noqa: F401
from lamina.ops._prim_conv import *  # noqa: F403
from lamina.ops._prim_einsum import *  # noqa: F403
from lamina.ops._prim_image import *  # noqa: F403
from lamina.ops._prim_math import *  # noqa: F403
from lamina.ops._prim_math import _sigmoid  # noqa: F401
from lamina.ops._prim_nn import *  # noqa: F403
from lamina.ops._prim_rnn import *  # noqa: F403
from lamina.ops._table import PRIMITIVES  # noqa: F401
