"""``model.export(path, format=...)``: the formats Keras names, and the ONNX file lamina writes.

The ONNX graph is built layer by layer from each layer's config and weights (``walk.py`` and
the converter modules), with the ``onnx`` package's helpers; the file is written through a
temporary name and renamed. Inputs keep the model's input names, outputs the names of the
layers that make them (or the keys of a dict of outputs); the batch dimension is symbolic.
"""

from __future__ import annotations

import numpy as np

from lamina import tree
from lamina.export.graph import Graph, Value
from lamina.export.walk import ExportError, convert_model, model_inputs, model_outputs_struct
from lamina.utils.files import atomic_write

__all__ = ["DEFAULT_OPSET", "FORMATS", "ExportError", "build_onnx", "export_model", "export_onnx"]

# The opset lamina's converters are written for (ONNX 1.13, onnxruntime >= 1.14 run it).
DEFAULT_OPSET = 18
# Keras 3's export formats; lamina writes "onnx", the others need TensorFlow, OpenVINO or torch.
FORMATS = ("tf_saved_model", "onnx", "openvino", "litert", "torch")
_NEEDS = {"tf_saved_model": "TensorFlow (a TF SavedModel is written by TensorFlow itself)",
          "litert": "TensorFlow (LiteRT/TFLite files are made by TensorFlow's converter)",
          "openvino": "OpenVINO (its converter runs a TensorFlow, JAX or torch graph)",
          "torch": "PyTorch (torch.export traces a torch-backend model)"}


def export_model(model, filepath, format="tf_saved_model", verbose=None, input_signature=None,
                 **kwargs) -> None:
    """``Model.export``: write the model as an inference artifact in ``format``.

    lamina writes ``format="onnx"`` (see ``export_onnx``); Keras's other formats need
    TensorFlow, OpenVINO or PyTorch and raise a ``ValueError`` that says so.
    """
    if format not in FORMATS:
        raise ValueError(f"Unrecognized format={format!r}. Supported formats are: "
                         f"{list(FORMATS)}; lamina writes format='onnx'.")
    if format != "onnx":
        raise ValueError(
            f"model.export(format={format!r}) needs {_NEEDS[format]}, which lamina (NumPy only) "
            "does not use. lamina writes ONNX: model.export(path, format='onnx'), which "
            "onnxruntime, OpenVINO and TensorRT load (and tf2onnx/onnx2tf convert further).")
    export_onnx(model, filepath, verbose=verbose, input_signature=input_signature, **kwargs)


def _onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError(
            "model.export(format='onnx') needs the `onnx` package: pip install onnx "
            "(or pip install 'lamina[onnx]', which adds onnxruntime to run the file).") from None
    return onnx


def _input_specs(model, input_signature) -> list:
    """(name, shape, dtype) of each graph input, the batch dimension left symbolic."""
    inputs = model_inputs(model)
    specs = [(kt._keras_history[0].name if kt._keras_history else (kt.name or f"input_{i}"),
              (None,) + tuple(kt.shape[1:]), np.dtype(kt.dtype)) for i, kt in enumerate(inputs)]
    if input_signature is None:
        return specs
    given = tree.flatten(input_signature)
    if len(given) != len(specs):
        raise ValueError(f"input_signature has {len(given)} specs but model '{model.name}' has "
                         f"{len(specs)} inputs.")
    out = []
    for (name, shape, dtype), spec in zip(specs, given):
        spec_shape = tuple(getattr(spec, "shape", None) or ())
        if len(spec_shape) != len(shape) or any(
                a is not None and b is not None and a != b
                for a, b in zip(spec_shape[1:], shape[1:])):
            raise ValueError(
                f"input_signature: the spec {spec_shape} does not fit input '{name}' of shape "
                f"{shape}. lamina exports the shapes the model was built for (the batch "
                "dimension is always dynamic); leave input_signature=None.")
        spec_dtype = getattr(spec, "dtype", None)
        out.append((getattr(spec, "name", None) or name, shape,
                    np.dtype(spec_dtype) if spec_dtype is not None else dtype))
    return out


def _output_names(model, count: int) -> list:
    struct = model_outputs_struct(model)
    names = sorted(struct) if isinstance(struct, dict) else list(model.output_names)
    if len(names) != count or len(set(names)) != count:
        names = [f"output_{i}" for i in range(count)]
    return names


def build_onnx(model, opset=None, input_signature=None):
    """The model as an ``onnx.ModelProto`` (not written anywhere)."""
    onnx = _onnx()
    opset = DEFAULT_OPSET if opset is None else int(opset)
    newest = onnx.defs.onnx_opset_version()
    if not DEFAULT_OPSET <= opset <= newest:
        raise ValueError(f"opset_version={opset}: lamina's ONNX converters need opset "
                         f"{DEFAULT_OPSET} or later, and the installed onnx {onnx.__version__} "
                         f"knows up to {newest}.")
    dtype = np.dtype(getattr(model, "compute_dtype", None) or "float32")
    if dtype.kind != "f":
        dtype = np.dtype("float32")
    graph = Graph(onnx, dtype)
    specs = _input_specs(model, input_signature)
    inputs = []
    for name, shape, in_dtype in specs:
        inputs.append(Value(graph.reserve(name), shape, in_dtype))
    outputs = convert_model(graph, model, inputs, top=True)
    names = _output_names(model, len(outputs))
    out_infos = []
    for value, name in zip(outputs, names):
        name = graph.reserve(name)
        graph.nodes.append(graph.helper.make_node("Identity", [value.name], [name],
                                                  name=f"{name}/output"))
        out_infos.append(graph.value_info(name, (None,) + tuple(value.shape[1:]), value.dtype))
    in_infos = [graph.value_info(v.name, v.shape, v.dtype) for v in inputs]
    return graph.model(in_infos, out_infos, opset, model.name,
                       doc=f"lamina model '{model.name}', opset {opset}")


def export_onnx(model, filepath, verbose=None, input_signature=None, opset_version=None,
                **kwargs) -> None:
    """Write ``model`` (Sequential or functional, nested models included) as an ONNX file.

    Args:
        model: a built lamina model.
        filepath: where to write the ``.onnx`` file (written atomically).
        verbose: print a line when done (default ``True``, as Keras).
        input_signature: optional specs (anything with ``shape``, ``dtype``, ``name``) to
            rename the inputs; their shapes must be the model's (the batch stays dynamic).
        opset_version: the ONNX opset (default ``DEFAULT_OPSET``, 18); recorded in the file.

    Raises:
        ExportError: a layer without a converter (named, with the list of those that have
            one), or a model that is not built or is subclassed.

    Example:
        >>> import os, tempfile, lamina
        >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.onnx")
        >>> model.export(path, format="onnx", verbose=False)  # doctest: +SKIP
    """
    if kwargs:
        raise TypeError(f"export(format='onnx') got unexpected arguments {sorted(kwargs)}; it "
                        "takes verbose, input_signature and opset_version.")
    proto = build_onnx(model, opset=opset_version, input_signature=input_signature)
    data = proto.SerializeToString()
    with atomic_write(filepath, "wb") as f:
        f.write(data)
    if verbose is None or verbose:
        print(f"Saved artifact at '{filepath}'.")

