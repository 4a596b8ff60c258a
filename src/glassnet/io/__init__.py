"""Files at the edge of glassnet: whole-model save and load.

Importing it gives every ``nn.Module`` a ``save(path)`` method and puts ``load_model`` in ``glassnet.nn``
(``nn.load_model(path)``), as the public vocabulary has it.
"""

from glassnet import nn
from glassnet.io.model_file import FORMAT, VERSION, ModelFileError, load_model, save_model
from glassnet.nn.module import Module


def install() -> None:
    """Attach ``Module.save`` and ``nn.load_model`` (idempotent)."""
    Module.save = save_model
    nn.load_model = load_model


install()

__all__ = ["save_model", "load_model", "ModelFileError", "FORMAT", "VERSION", "install"]
