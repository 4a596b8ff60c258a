"""Callbacks of the fit loop."""

from glassnet.train.callbacks.base import Callback, CallbackList
from glassnet.train.callbacks.checkpoint import ModelCheckpoint
from glassnet.train.callbacks.csv_logger import CSVLogger
from glassnet.train.callbacks.early_stopping import EarlyStopping
from glassnet.train.callbacks.gan_monitor import GANMonitor, GANWarning, save_image_grid
from glassnet.train.callbacks.history import History
from glassnet.train.callbacks.lr_scheduler import LearningRateScheduler
from glassnet.train.callbacks.misc import LambdaCallback, TerminateOnNaN
from glassnet.train.callbacks.progress import ProgressBar
from glassnet.train.callbacks.reduce_lr import ReduceLROnPlateau
from glassnet.train.callbacks.tensorboard import TensorBoard

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "EarlyStopping",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "ProgressBar",
    "GANMonitor",
    "GANWarning",
    "save_image_grid",
    "TerminateOnNaN",
    "LambdaCallback",
    "ReduceLROnPlateau",
    "CSVLogger",
    "TensorBoard",
]
