"""After a layer is made from its config: its weights created from the saved ``build_config``,
and a model compiled from its ``compile_config``, as Keras does when it loads a file."""

from __future__ import annotations

from lamina.saving.deserialization import _deserialize, current_context

__all__ = ["build_from_config", "compile_from_config"]


def build_from_config(layer, build_config) -> None:
    """Create a layer's weights from its saved ``build_config`` (as Keras does on loading)."""
    layer.build_from_config(build_config)


def compile_from_config(model, compile_config, ctx=None) -> None:
    """Compile ``model`` with the saved ``compile_config`` and build its optimizer."""
    ctx = ctx or current_context()
    optimizer = _deserialize(compile_config.get("optimizer"), ctx, "optimizer")
    loss = compile_config.get("loss")
    loss = _deserialize(loss, ctx, "loss") if isinstance(loss, (dict, list)) else loss
    metrics = _deserialize(compile_config.get("metrics"), ctx, "metric")
    weighted = _deserialize(compile_config.get("weighted_metrics"), ctx, "metric")
    model.compile(
        optimizer=optimizer if optimizer is not None else "rmsprop",
        loss=loss,
        loss_weights=compile_config.get("loss_weights"),
        metrics=_flatten_metrics(metrics),
        weighted_metrics=_flatten_metrics(weighted),
    )
    if model.built and model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)


def _flatten_metrics(metrics):
    """Keras 2 files nest metrics per output ([["accuracy"]]); lamina takes one flat list."""
    if metrics is None:
        return None
    if isinstance(metrics, dict):
        metrics = list(metrics.values())
    flat = []
    for m in metrics:
        if isinstance(m, (list, tuple)):
            flat.extend(_flatten_metrics(list(m)))
        else:
            flat.append(m)
    return flat or None
