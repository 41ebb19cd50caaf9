"""Refusing allocations that cannot fit, before NumPy tries them.

``check_allocation(nbytes, what, fix)`` raises ``AllocationTooLargeError``
(a ``MemoryError``) when ``nbytes`` exceed the memory this process could
still get: the machine's available memory (``MemAvailable`` on Linux, the
physical memory elsewhere) and, when set, the address-space limit
(``RLIMIT_AS``) less what the process already maps. The message says how
much the object needs, how much there is, and what to change.
"""

from __future__ import annotations

import math
import os

__all__ = ["AllocationTooLargeError", "available_bytes", "check_allocation", "check_array", "format_bytes"]


class AllocationTooLargeError(MemoryError):
    """An array was refused up front because it cannot fit in memory."""


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units (``"21.8 TiB"``)."""
    n = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{int(n)} bytes" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"  # pragma: no cover


def _meminfo_available() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _address_space_left() -> int | None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    used = 0
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    used = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    return max(soft - used, 0)


def available_bytes() -> int:
    """The memory this process could still allocate (an upper bound; never raises)."""
    candidates = [_meminfo_available(), _address_space_left()]
    if candidates[0] is None:
        try:
            candidates[0] = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):  # pragma: no cover
            candidates[0] = None
    known = [c for c in candidates if c is not None]
    return min(known) if known else 2**62


def check_allocation(nbytes: float, what: str, fix: str = "") -> None:
    """Raise ``AllocationTooLargeError`` if ``nbytes`` cannot fit in the memory left.

    Args:
        nbytes: the bytes the allocation needs at its peak.
        what: the object, for the message ("the kernel of Dense 'dense' (shape (3, 10**12))").
        fix: one sentence on what to change.
    """
    if math.isfinite(nbytes) and nbytes <= 2**26:  # 64 MiB always goes ahead
        return
    free = available_bytes()
    if nbytes <= free:
        return
    raise AllocationTooLargeError(
        f"{what} would need {format_bytes(nbytes)} of memory, but only {format_bytes(free)} "
        f"is available, so it was refused before allocating anything. {fix}".rstrip()
    )


def check_array(shape, dtype, what: str, fix: str = "") -> None:
    """``check_allocation`` for a new array of ``shape`` and ``dtype``.

    The peak counts a float64 draw beside the array (random initializers draw in
    float64 and cast), so a weight is refused when the draw could not fit.
    """
    import numpy as np

    count = math.prod(int(d) for d in shape)
    itemsize = np.dtype(dtype).itemsize
    if count * (itemsize + 8) <= 2**26:
        return
    check_allocation(count * (itemsize + 8), f"{what} (shape {tuple(int(d) for d in shape)}, "
                     f"{count:,} {np.dtype(dtype).name} values: {format_bytes(count * itemsize)}, "
                     f"plus a float64 draw while it is initialized)", fix)
