"""Keras's ``Lambda`` layer (``lamina.layers.Lambda``) as loading sees it.

Keras stores a ``Lambda``'s function as Python byte code, which lamina never
runs. The function comes from you instead: with ``safe_mode=False`` and
``custom_objects={"<layer name>": function}`` the layer calls your function.
Without them, loading stops with an explanation (see ``serialization``).
"""

from __future__ import annotations

from lamina.layers.core_lambda import Lambda as LambdaStandIn

__all__ = ["LambdaStandIn"]
