"""The einsum equations of multi-head attention, for inputs of any rank.

A projected tensor has the axes ``(batch, <other axes>, <attention axes>, heads, channels)``.
The projections map ``(batch, ..., features)`` to ``(batch, ..., heads, channels)`` and back;
the scores contract the channels of the key and the query into
``(batch, <other axes>, heads, <query attention axes>, <key attention axes>)``, and the
combination contracts the key attention axes of the scores with the value. Letters are
``a``, ``b``, ... in axis order, as Keras writes them.
"""

from __future__ import annotations

import string

__all__ = ["attention_equations", "projection_equation"]


def projection_equation(free: int, bound: int, out: int) -> tuple:
    """``(equation, bias_axes, output rank)`` of a projection: ``free`` axes kept, ``bound``
    contracted with the kernel, ``out`` new axes made by it (the bias runs along those).

    Example:
        >>> projection_equation(2, 1, 2)
        ('abc,cde->abde', 'de', 4)
    """
    letters = string.ascii_lowercase
    kept = letters[:free]
    contracted = letters[free:free + bound]
    made = letters[free + bound:free + bound + out]
    return f"{kept}{contracted},{contracted}{made}->{kept}{made}", made, free + out


def attention_equations(rank: int, attention_axes: tuple) -> tuple:
    """``(scores equation, combination equation, scores rank)`` for projected tensors of
    ``rank`` axes attending over ``attention_axes``.

    The scores equation takes the key first and the query second (as Keras does); the
    combination takes the scores and the value.

    Example:
        >>> attention_equations(4, (1,))
        ('aecd,abcd->acbe', 'acbe,aecd->abcd', 4)
    """
    letters = string.ascii_lowercase
    query = letters[:rank]
    batch = [i for i in range(rank - 1) if i not in attention_axes]
    fresh = iter(letters[rank:])
    key = "".join(next(fresh) if i in attention_axes else query[i] for i in range(rank))
    scores = "".join([query[i] for i in batch] + [query[i] for i in attention_axes]
                     + [key[i] for i in attention_axes])
    return f"{key},{query}->{scores}", f"{scores},{key}->{query}", len(scores)
