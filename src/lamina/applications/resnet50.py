"""``keras.applications.resnet50``: the same ResNet50 as ``lamina.applications.resnet``."""

from __future__ import annotations

from lamina.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
