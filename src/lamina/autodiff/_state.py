"""The one piece of global state the engine's tracer needs: the active recorder (or ``None``).

The recorder belongs to the thread that traces (``owner``): code running in another thread at
the same time (a data pipeline's prefetch thread calling ``lamina.ops``) must not be recorded
into the trace, so the doors that read ``current`` check the thread once a recorder is set.
"""

from threading import get_ident

current = None
owner = None  # the thread ident of the tracing thread while ``current`` is set


def active():
    """The recorder if this thread installed it, else ``None``."""
    rec = current
    if rec is not None and owner != get_ident():
        return None
    return rec
