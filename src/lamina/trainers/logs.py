"""The small conversions around a training loop: batch logs as Keras gives them to callbacks,
results of ``evaluate``, argument checks shared by ``fit``/``evaluate``/``predict``."""

from __future__ import annotations

import numpy as np

from lamina.autodiff.tensor import Tensor

__all__ = ["pythonify"]


def to_numpy(out):
    if isinstance(out, Tensor):
        return out.value
    if isinstance(out, (list, tuple)):
        return [to_numpy(o) for o in out]
    return np.asarray(out)


def positive_int(value, name, fn):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(
            f"The '{name}' argument of {fn} must be a positive integer. Got {value!r} instead."
        )
    return int(value)


def logs_out(logs, model, return_dict):
    if return_dict:
        return logs
    ordered = [logs["loss"]] + [logs[m.name] for m, _ in (model._compile_metrics or [])]
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
    return a[0] if isinstance(a, list) else a


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
