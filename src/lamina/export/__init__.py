"""``lamina.export``: models as ONNX files (``model.export(path, format="onnx")``).

The converter walks the model's layers (Sequential, functional with several inputs and
outputs, models inside models) and writes each layer's ONNX nodes from its config and
weights, in inference form (dropout and noise are identities, batch normalization uses its
moving statistics). Tensors keep Keras's layout (channels last); convolutions and pooling
transpose to ONNX's channels-first layout and back. The batch dimension is dynamic and the
opset is ``DEFAULT_OPSET`` (18) unless ``opset_version=`` says otherwise.

Example:
    >>> from lamina.export import DEFAULT_OPSET, supported_layers
    >>> DEFAULT_OPSET, "Conv2D" in supported_layers()
    (18, True)
"""

from lamina.export.onnx_file import (
    DEFAULT_OPSET,
    FORMATS,
    ExportError,
    build_onnx,
    export_model,
    export_onnx,
)
from lamina.export.registry import supported_layers

__all__ = ["DEFAULT_OPSET", "FORMATS", "ExportError", "build_onnx", "export_model",
           "export_onnx", "supported_layers"]
