"""Calling the user's functions (``map``, ``filter``, generators) the way tf.data calls them.

A tuple element is unpacked into positional arguments; anything else is one
argument. An exception names the transformation, the function (with its
file and line) and the index of the element it failed on.

lamina's autodiff keeps its tracing state in one process-wide slot, so a
function that calls ``lamina.ops`` in a prefetch thread while the main thread
traces a training step would be recorded into that step. A prefetch thread
therefore runs user functions only while its consumer waits for the next
element (``guarded``), until a function has shown that it returns NumPy
values only; NumPy-only functions then run freely ahead of the consumer.
"""

from __future__ import annotations

import inspect
import os
import threading

from lamina.autodiff.tensor import Tensor

__all__ = ["UserFunction", "describe_function", "guard_for_this_thread", "guarded", "is_peeking",
           "peeking"]

_LOCAL = threading.local()


def guard_for_this_thread(lock, peek=False) -> None:
    """Make user functions called in this (prefetch) thread hold ``lock`` while they run
    (``peek``: the thread serves a pass that only looks, see ``peeking``)."""
    _LOCAL.guard = lock
    _LOCAL.peeking = peek


class peeking:
    """While active in this thread, passes are only looked at (for ``element_spec``)."""

    def __enter__(self):
        self.previous = getattr(_LOCAL, "peeking", False)
        _LOCAL.peeking = True

    def __exit__(self, *exc):
        _LOCAL.peeking = self.previous
        return False


def is_peeking() -> bool:
    """Whether this thread is only looking at a dataset's first element."""
    return getattr(_LOCAL, "peeking", False)


def describe_function(fn) -> str:
    """``name (file.py:line)`` for a function, for messages."""
    name = getattr(fn, "__name__", None) or repr(fn)
    code = getattr(fn, "__code__", None)
    if code is not None:
        return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"
    return name


def _contains_tensor(value) -> bool:
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (tuple, list)):
        return any(_contains_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_tensor(v) for v in value.values())
    return False


def _reraise(exc, message):
    """``exc`` again, with ``message`` in front, keeping its type where it can."""
    try:
        new = type(exc)(message)
    except Exception:  # noqa: BLE001 - exception classes with other signatures
        new = RuntimeError(message)
    raise new.with_traceback(exc.__traceback__) from exc


def guarded(iterator):
    """``iterator``'s items (a user's generator), each taken under this thread's guard until
    one comes without lamina tensors."""
    guard = getattr(_LOCAL, "guard", None)
    if guard is not None:
        while True:
            with guard:
                item = next(iterator, _DONE)
            if item is _DONE:
                return
            yield item
            if not _contains_tensor(item):
                break
    yield from iterator


_DONE = object()


class UserFunction:
    """A user's function, called per element with tf.data's argument conventions."""

    def __init__(self, fn, method):
        if not callable(fn):
            raise TypeError(
                f"Dataset.{method} needs a function; got {type(fn).__name__} {fn!r}."
            )
        self.fn = fn
        self.method = method
        self.numpy_only = False  # set once a call returned no lamina tensor

    def caller(self):
        """``call(element, index)`` for the thread that asks (a prefetch thread guards calls)."""
        fn, guard = self.fn, getattr(_LOCAL, "guard", None)
        if guard is None:
            def call(element, index):
                try:
                    return fn(*element) if type(element) is tuple else fn(element)
                except Exception as exc:  # noqa: BLE001 - re-raised with the element's index
                    self._failed(exc, element if type(element) is tuple else (element,), index)
            return call
        return self

    def __call__(self, element, index):
        args = element if type(element) is tuple else (element,)
        guard = getattr(_LOCAL, "guard", None)
        try:
            if guard is None or self.numpy_only:
                out = self.fn(*args)
            else:
                with guard:
                    out = self.fn(*args)
                if not _contains_tensor(out):
                    self.numpy_only = True
        except Exception as exc:  # noqa: BLE001 - re-raised with the element's index
            self._failed(exc, args, index)
        return out

    def _failed(self, exc, args, index):
        hint = ""
        if isinstance(exc, TypeError):
            try:
                inspect.signature(self.fn).bind(*args)
            except TypeError:
                hint = (f" The element has {len(args)} component(s), passed as "
                        f"{len(args)} positional argument(s) (tf.data unpacks a tuple element; "
                        "write e.g. `lambda x, y: ...` for (x, y) elements).")
            except ValueError:
                pass
        elif isinstance(exc, ValueError) and "read-only" in str(exc):
            hint = (" Dataset elements are read-only (as tf.data's tensors are immutable); "
                    "compute a new array instead of changing one in place (x = x / 255, not "
                    "x /= 255).")
        text = str(exc).rstrip(".") + "." if hint else str(exc)
        _reraise(exc, f"Dataset.{self.method}: {describe_function(self.fn)} raised "
                      f"{type(exc).__name__} on element {index}: {text}{hint}")
