"""glassnet: a deep-learning framework on NumPy that shows its work.

The public names: ``tensor``, ``Tensor``, ``no_grad``, ``manual_seed``, ``set_default_dtype``,
``set_num_threads``, ``gradcheck``, ``load_model``, and the packages ``nn``, ``optim``, ``data``,
``train``, ``models``.
Importing glassnet also gives every ``nn.Module`` its ``compile``/``fit``/``evaluate``/``predict`` (from
``glassnet.train``) and ``save`` (from ``glassnet.io``) methods.
"""

from glassnet import data, io, models, nn, ops, optim, train
from glassnet.autograd import (
    Function,
    GradcheckError,
    Tensor,
    enable_grad,
    gradcheck,
    is_grad_enabled,
    no_grad,
    ones,
    rand,
    randn,
    set_grad_enabled,
    tensor,
    zeros,
)
from glassnet.backend import (
    get_default_dtype,
    get_num_threads,
    manual_seed,
    set_default_dtype,
    set_num_threads,
)
from glassnet.io import load_model
from glassnet.ops import concatenate, stack, unbind, where

__version__ = "0.1.0"

__all__ = [
    "Tensor",
    "tensor",
    "zeros",
    "ones",
    "randn",
    "rand",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "set_grad_enabled",
    "manual_seed",
    "set_default_dtype",
    "get_default_dtype",
    "set_num_threads",
    "get_num_threads",
    "gradcheck",
    "GradcheckError",
    "Function",
    "nn",
    "ops",
    "optim",
    "data",
    "train",
    "models",
    "io",
    "load_model",
    "concatenate",
    "stack",
    "unbind",
    "where",
    "__version__",
]
