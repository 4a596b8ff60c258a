"""Optimizers: each ``step()`` reads ``param.grad`` and updates ``param.data`` in place.

Every optimizer takes ``convention="notes"`` (default: the lecture notes' formulas), ``"pytorch"``
(``torch.optim`` exactly) or ``"keras"`` (Keras 3 exactly); its docstring shows the three rules side by side.

Example:
    >>> get("adam")
    Adam(lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-08, amsgrad=False, weight_decay=0.0, convention='notes')
"""

from __future__ import annotations

from glassnet.optim import hooks, schedules
from glassnet.optim.adadelta import Adadelta
from glassnet.optim.adagrad import Adagrad
from glassnet.optim.adam import Adam, AdamW
from glassnet.optim.averaging import AveragedModel
from glassnet.optim.nadam import Nadam
from glassnet.optim.optimizer import CONVENTIONS, Optimizer
from glassnet.optim.rmsprop import RMSProp
from glassnet.optim.sgd import SGD

# Keras spells it RMSprop; both names are the same class.
RMSprop = RMSProp

__all__ = ["Optimizer", "SGD", "Adagrad", "Adadelta", "RMSProp", "RMSprop", "Adam", "AdamW", "Nadam"]
__all__ += ["CONVENTIONS", "AveragedModel"]
__all__ += ["get", "hooks", "schedules"]

_OPTIMIZERS = {
    "sgd": SGD, "adagrad": Adagrad, "adadelta": Adadelta, "rmsprop": RMSProp,
    "adam": Adam, "adamw": AdamW, "nadam": Nadam,
}  # fmt: skip


def get(identifier) -> Optimizer:
    """An optimizer from its name (``"adam"``, any case; a new one with the notes' defaults) or as given.

    Raises ``ValueError`` listing the valid names for an unknown name, ``TypeError`` for anything else.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise ValueError(f"unknown optimizer {identifier!r}; valid names: {', '.join(_OPTIMIZERS)}")
        return cls()
    raise TypeError(f"an optimizer is a name ({', '.join(_OPTIMIZERS)}) or an Optimizer, got {identifier!r}")
