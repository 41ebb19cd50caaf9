"""The one piece of global state the engine's tracer needs: the active recorder (or ``None``)."""

current = None
