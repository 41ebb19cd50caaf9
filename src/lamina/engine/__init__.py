"""The engine: trace a step once per input signature into a plan of primitive calls, replay it.

Read it in this order: ``trace.py`` (how one real run of a step is written
down), ``plan.py`` (the list of operations and how two traces are compared),
``codegen.py`` (the plan as straight-line Python), ``compiled.py`` (the
signature cache and the eager fallback). The engine sees only primitives,
variables and host functions: it never imports layers, models or trainers.
"""

from lamina.engine.compiled import Function, function

__all__ = ["Function", "function"]
