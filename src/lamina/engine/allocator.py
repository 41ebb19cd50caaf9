"""The C allocator's policy for the arrays a replayed plan makes and frees each step.

A training step makes and frees the same large arrays (hundreds of kilobytes to megabytes) on
every replay. glibc's ``malloc`` decides by a threshold it adjusts as it goes whether such an
array comes from the heap or from a fresh ``mmap``, and returns freed memory at the top of the
heap to the system once more than twice that threshold lies free there. Which of these a step
meets depends on the order of its allocations: one order keeps the memory in the process,
another hands it back and takes it again every step, each page zeroed by the kernel on first
touch. Measured on W6 (a Transformer block): 181,000 page faults and twice the step time, after
a change to a layer normalization's temporaries alone.

:func:`keep_freed_memory` fixes the policy once, the first time the engine compiles a plan:
arrays up to 32 MiB come from the heap, and freed memory stays in the process until 256 MiB of
it lie free at the top. The cost is what a caching allocator costs (PyTorch's and TensorFlow's
keep freed memory too): the process keeps the memory of its largest step. It applies to glibc
on Linux only, and not at all when the environment sets glibc's own ``MALLOC_*`` tunables or
``LAMINA_MALLOC_TUNING=0``.
"""

from __future__ import annotations

import os
import sys

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
MMAP_THRESHOLD = 32 * 2**20  # (glibc's largest)
TRIM_THRESHOLD = 256 * 2**20
_GLIBC_TUNABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_",
                   "MALLOC_MMAP_MAX_")
_done = []


def keep_freed_memory(libc=None, environ=None, platform=None) -> list:
    """Set the policy above (once per process); the ``(parameter, value)`` pairs set.

    ``libc``, ``environ`` and ``platform`` are for tests (default: the process's C library,
    ``os.environ`` and ``sys.platform``).
    """
    if libc is None and _done:
        return []
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if libc is None:
        _done.append(True)
    if not platform.startswith("linux") or environ.get("LAMINA_MALLOC_TUNING", "1") == "0" or \
            any(name in environ for name in _GLIBC_TUNABLES) or \
            "glibc.malloc" in environ.get("GLIBC_TUNABLES", ""):
        return []
    if libc is None:
        import ctypes

        try:
            libc = ctypes.CDLL(None)
            if not hasattr(libc, "gnu_get_libc_version"):  # (musl's mallopt does nothing)
                return []
            libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
            libc.mallopt.restype = ctypes.c_int
        except (OSError, AttributeError):
            return []
    elif not hasattr(libc, "gnu_get_libc_version"):
        return []
    done = []
    for parameter, value in ((M_MMAP_THRESHOLD, MMAP_THRESHOLD),
                             (M_TRIM_THRESHOLD, TRIM_THRESHOLD)):
        if libc.mallopt(parameter, value) == 1:
            done.append((parameter, value))
    return done
