"""The small conversions around a training loop: batch logs as Keras gives them to callbacks,
results of ``evaluate``, argument checks shared by ``fit``/``evaluate``/``predict``."""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor

__all__ = ["pythonify"]


def to_numpy(out):
    if isinstance(out, Tensor):
        return out.value
    if isinstance(out, dict):
        return {k: to_numpy(o) for k, o in out.items()}
    if isinstance(out, (list, tuple)):
        return [to_numpy(o) for o in out]
    return np.asarray(out)


def _plain(value):
    """``value`` for a message: NumPy scalars as the Python numbers they hold."""
    return value.item() if isinstance(value, np.generic) else value


def positive_int(value, name, fn):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"The '{name}' argument of {fn} must be a positive integer. Got {_plain(value)!r} "
            "instead."
        )
    return int(value)


def non_negative_int(value, name, fn):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(
            f"The '{name}' argument of {fn} must be a non-negative integer. Got "
            f"{_plain(value)!r} instead."
        )
    return int(value)


def logs_out(logs, model, return_dict):
    """``evaluate``'s result: the logs dict, or their values in Keras's order.

    The order is the loss, then (one output) the compiled metrics in compile order, or
    (several outputs) each output's loss in output order and the rest by name, as Keras
    lists them.
    """
    if return_dict:
        return logs
    multi = model.__dict__.get("_multi")
    names = ["loss"]
    if multi is None:
        names += [m.name for m, _ in (model._compile_metrics or [])]
    else:
        names += [t.name for t in multi.trackers.values()]
    names = [n for n in names if n in logs]
    names += sorted(k for k in logs if k not in names)
    ordered = [logs[n] for n in names]
    return ordered[0] if len(ordered) == 1 else ordered


def metric_name(metric):
    return metric.name


def pythonify(logs) -> dict:
    """Logs as Keras hands them to callbacks: sorted by name, numbers as Python floats."""
    out = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            out.update(pythonify(value))
            continue
        try:
            value = float(np.asarray(to_numpy(value)))
        except (TypeError, ValueError):
            pass
        out[key] = value
    return out


def first(a):
    """The first array of ``a`` (the first input or output of several)."""
    if isinstance(a, dict):
        return a[sorted(a)[0]] if a else None
    return first(a[0]) if isinstance(a, list) and a else a


def batch_len(x) -> int:
    x = first(x)
    return int(x.shape[0]) if hasattr(x, "shape") and len(x.shape) else 1


def resolve_verbose(verbose):
    if verbose == "auto":
        from lamina.utils.progbar import resolve_verbose

        return resolve_verbose(verbose)
    if verbose not in (0, 1, 2, True, False):
        raise ValueError(f"The 'verbose' argument must be 'auto', 0, 1 or 2. Got {verbose!r} instead.")
    return int(verbose)
