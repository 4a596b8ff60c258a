"""Files at the edge of glassnet: whole-model save and load, weights in other frameworks' layouts.

Importing it hands ``nn.Module.save(path)``, ``export_onnx(path, input_shape=...)`` (ONNX,
``glassnet.io.onnx``), ``save_weights``/``load_weights`` (safetensors), ``get_weights``/``set_weights``
(Keras's lists) and ``to_torch_state_dict``/``load_torch_state_dict`` their implementations, and puts
``load_model`` in ``glassnet.nn`` (``nn.load_model(path)``), as the public vocabulary has it.
"""

from glassnet import nn
from glassnet.io import weights
from glassnet.io.keras_file import KerasFileError, load_keras_weights
from glassnet.io.model_file import FORMAT, VERSION, ModelFileError, load_model, save_model
from glassnet.io.onnx import export_onnx
from glassnet.io.weights import (
    WeightsFileError,
    from_torch_state_dict,
    get_weights,
    load_weights,
    save_weights,
    set_weights,
    to_torch_state_dict,
)
from glassnet.nn.module import TRAINING, Module


def install() -> None:
    """Hand ``Module.save``, ``export_onnx`` and the weights methods their implementations, and put
    ``nn.load_model`` (idempotent)."""
    TRAINING["save"] = save_model
    TRAINING["save_weights"] = weights.save_weights
    TRAINING["load_weights"] = weights.load_weights
    TRAINING["get_weights"] = weights.get_weights
    TRAINING["set_weights"] = weights.set_weights
    TRAINING["to_torch_state_dict"] = weights.to_torch_state_dict
    TRAINING["load_torch_state_dict"] = weights.from_torch_state_dict
    TRAINING["export_onnx"] = export_onnx
    Module.save.__doc__ = save_model.__doc__
    nn.load_model = load_model


install()

__all__ = ["save_model", "load_model", "export_onnx", "ModelFileError", "FORMAT", "VERSION", "install"]
__all__ += ["save_weights", "load_weights", "get_weights", "set_weights", "WeightsFileError"]
__all__ += ["to_torch_state_dict", "from_torch_state_dict", "load_keras_weights", "KerasFileError"]
