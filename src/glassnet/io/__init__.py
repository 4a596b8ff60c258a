"""Files at the edge of glassnet: whole-model save and load.

Importing it hands ``nn.Module.save(path)`` and ``nn.Module.export_onnx(path, input_shape=...)`` (ONNX,
``glassnet.io.onnx``) their implementations and puts ``load_model`` in ``glassnet.nn``
(``nn.load_model(path)``), as the public vocabulary has it.
"""

from glassnet import nn
from glassnet.io.model_file import FORMAT, VERSION, ModelFileError, load_model, save_model
from glassnet.io.onnx import export_onnx
from glassnet.nn.module import TRAINING, Module


def install() -> None:
    """Hand ``Module.save`` and ``Module.export_onnx`` their implementations, and put ``nn.load_model``
    (idempotent)."""
    TRAINING["save"] = save_model
    TRAINING["export_onnx"] = export_onnx
    Module.save.__doc__ = save_model.__doc__
    nn.load_model = load_model


install()

__all__ = ["save_model", "load_model", "export_onnx", "ModelFileError", "FORMAT", "VERSION", "install"]
