"""Training (layer 5 of glassnet): compile, fit, evaluate, predict, metrics and callbacks.

``nn.Module`` declares the methods ``compile``, ``fit``, ``evaluate`` and ``predict``; importing this package
hands them their implementations (``train/model.py``).
"""

from glassnet.train import metrics
from glassnet.train.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    History,
    LambdaCallback,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
    TensorBoard,
    TerminateOnNaN,
)
from glassnet.train.loop import run_epoch
from glassnet.train.model import compile, evaluate, fit, install, predict  # noqa: A004 - Keras's word

install()

__all__ = [
    "compile",
    "fit",
    "evaluate",
    "predict",
    "run_epoch",
    "metrics",
    "Callback",
    "EarlyStopping",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "TerminateOnNaN",
    "LambdaCallback",
    "ReduceLROnPlateau",
    "CSVLogger",
    "TensorBoard",
]
