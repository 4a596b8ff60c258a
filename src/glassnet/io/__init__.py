"""Files at the edge of glassnet: whole-model save and load.

Importing it hands ``nn.Module.save(path)`` its implementation and puts ``load_model`` in ``glassnet.nn``
(``nn.load_model(path)``), as the public vocabulary has it.
"""

from glassnet import nn
from glassnet.io.model_file import FORMAT, VERSION, ModelFileError, load_model, save_model
from glassnet.nn.module import TRAINING, Module


def install() -> None:
    """Hand ``Module.save`` its implementation, and put ``nn.load_model`` (idempotent)."""
    TRAINING["save"] = save_model
    Module.save.__doc__ = save_model.__doc__
    nn.load_model = load_model


install()

__all__ = ["save_model", "load_model", "ModelFileError", "FORMAT", "VERSION", "install"]
