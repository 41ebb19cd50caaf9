"""Attention layers: ``MultiHeadAttention``, ``Attention``, ``AdditiveAttention``.

One module per concern: ``equations.py`` writes the einsum equations of the projections and
of the scores, ``masks.py`` makes and checks the masks (padding, causal, explicit) and holds
the numbers Keras puts at masked scores, ``symbolic.py`` records calls with several tensor
arguments in functional graphs, and each layer has a module of its own. The probabilities
are normalized by ``lamina.layers.Softmax`` (``activations.py``), as in Keras.
"""

from lamina.layers.attention.additive_attention import AdditiveAttention
from lamina.layers.attention.attention import Attention
from lamina.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "MultiHeadAttention"]
