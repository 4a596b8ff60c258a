"""The table of ops: one row per op (and per interesting case of it), run by every harness in tests/ops.

A row names the case, says how to draw its inputs, and gives the glassnet call and its PyTorch
counterpart (``torch_op=None`` when the same callable works on both: operators, shared method names).
``test_op_gradcheck`` runs every row through finite differences, ``test_op_torch_parity`` through PyTorch
2.13, ``test_op_float32`` checks that float32 stays float32. A new op is tested by adding a row here.

Inputs are drawn per seed; seed 0 uses batch size 1. Shapes are written with letters: ``"N"`` is the batch,
any other letter a size from 2 to 4 drawn once per case (so ``normal("N", "K")`` and ``normal("K", "M")``
multiply). Values stay at least ``GAP`` away from the kinks of the op (0 for abs and relu, the bounds of
clip, ±delta for Huber, ties for max), except in the rows that test ties on purpose, so that central
differences see a smooth function. This module imports without PyTorch: the PyTorch side of a row is
looked up only when a parity test calls it.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import ops
from glassnet.ops import loss

GAP = 0.05  # the least distance between a value and a kink of the op it feeds


# --- drawing inputs ---------------------------------------------------------------------------------------
class Draw:
    """Random shapes and values for one case, from a generator seeded by the test's seed."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.sizes = {"N": 1 if seed == 0 else int(self.rng.integers(2, 5))}

    def shape(self, dims) -> tuple:
        for d in dims:
            if isinstance(d, str) and d not in self.sizes:
                self.sizes[d] = int(self.rng.integers(2, 5))
        return tuple(self.sizes[d] if isinstance(d, str) else d for d in dims)

    def normal(self, shape):
        return self.rng.standard_normal(shape)

    def avoiding(self, shape, kinks=(0.0,), low=-2.0, high=2.0):
        """Uniform on (low, high), redrawn wherever a value lies within GAP of a kink."""
        values = self.rng.uniform(low, high, shape)
        while True:
            near = np.zeros(np.shape(values), dtype=bool)
            for kink in kinks:
                near |= np.abs(values - kink) < GAP
            if not near.any():
                return values
            values = np.where(near, self.rng.uniform(low, high, shape), values)

    def positive(self, shape):
        return self.rng.uniform(0.5, 2.0, shape)

    def unit(self, shape):
        """Probabilities of a binary outcome, away from 0 and 1."""
        return self.rng.uniform(0.05, 0.95, shape)

    def distinct(self, shape):
        """Values at least 0.2 - GAP apart from each other, in random order: no ties anywhere."""
        size = int(np.prod(shape))
        grid = self.rng.permutation(size) * 0.2 - 0.1 * size
        return (grid + self.rng.uniform(0, GAP, size)).reshape(shape)

    def probabilities(self, shape):
        """Rows on the last axis that sum to 1 (a softmax of normal draws)."""
        e = np.exp(self.rng.standard_normal(shape))
        return e / e.sum(axis=-1, keepdims=True)

    def one_hot(self, shape):
        return np.eye(shape[-1])[self.rng.integers(0, shape[-1], shape[:-1])]

    def bits(self, shape):
        return self.rng.integers(0, 2, shape).astype(np.float64)

    def labels(self, shape, classes):
        return self.rng.integers(0, self.shape((classes,))[0], shape)

    def mask(self, shape):
        mask = self.rng.random(shape) < 0.5
        mask.reshape(-1)[0] = True  # never empty
        return mask


@dataclass(frozen=True)
class Spec:
    """One input: ``Draw.<kind>(shape, **options)``."""

    kind: str
    dims: tuple
    options: dict = field(default_factory=dict)

    def __call__(self, draw: Draw):
        return getattr(draw, self.kind)(draw.shape(self.dims), **self.options)


def normal(*dims):
    return Spec("normal", dims)


def nonzero(*dims):
    return Spec("avoiding", dims, {"kinks": (0.0,)})


def avoiding(*dims, kinks):
    return Spec("avoiding", dims, {"kinks": kinks})


def positive(*dims):
    return Spec("positive", dims)


def unit(*dims):
    return Spec("unit", dims)


def distinct(*dims):
    return Spec("distinct", dims)


def probabilities(*dims):
    return Spec("probabilities", dims)


def one_hot(*dims):
    return Spec("one_hot", dims)


def bits(*dims):
    return Spec("bits", dims)


def labels(*dims, classes):
    return Spec("labels", dims, {"classes": classes})


def mask(*dims):
    return Spec("mask", dims)


@dataclass(frozen=True)
class ErrorPair:
    """(prediction, target) whose difference stays GAP away from ``kinks`` (for |e|, Huber's ±delta)."""

    dims: tuple
    kinks: tuple

    def __call__(self, draw: Draw):
        shape = draw.shape(self.dims)
        prediction = draw.normal(shape)
        return prediction, prediction - draw.avoiding(shape, kinks=self.kinks, low=-2.5, high=2.5)


@dataclass(frozen=True)
class DistinctPair:
    """(a, b) with no value of one near any value of the other (maximum and minimum without ties)."""

    dims_a: tuple
    dims_b: tuple

    def __call__(self, draw: Draw):
        shape_a, shape_b = draw.shape(self.dims_a), draw.shape(self.dims_b)
        size_a = int(np.prod(shape_a))
        values = draw.distinct((size_a + int(np.prod(shape_b)),))
        return values[:size_a].reshape(shape_a), values[size_a:].reshape(shape_b)


@dataclass(frozen=True)
class TiedPair:
    """(a, b) of one shape with b = a at about half the entries: maximum and minimum split ties in half."""

    dims: tuple

    def __call__(self, draw: Draw):
        a, b = DistinctPair(self.dims, self.dims)(draw)
        return a, np.where(draw.mask(a.shape), a, b)


@dataclass(frozen=True)
class TiedExtreme:
    """Distinct values, then each slice's max (or min) over ``axis`` copied to one more place: a 2-way tie.

    Two-way ties are where finite differences agree with the split-in-half rule: raising one tied value
    moves the max by eps, lowering it does not move it, so the central difference is 1/2.
    """

    dims: tuple
    axis: int | None
    reduce: str

    def __call__(self, draw: Draw):
        x = draw.distinct(draw.shape(self.dims))
        moved = x.reshape(1, -1) if self.axis is None else np.moveaxis(x, self.axis, -1)
        rows = moved.reshape(-1, moved.shape[-1])  # one reduced slice per row
        best = rows.argmax(axis=1) if self.reduce == "max" else rows.argmin(axis=1)
        every = np.arange(len(rows))
        rows[every, (best + 1) % rows.shape[1]] = rows[every, best]
        if self.axis is None:
            return rows.reshape(x.shape)
        # Moved back, the array is not contiguous: the harnesses see such inputs too.
        return np.moveaxis(rows.reshape(moved.shape), -1, self.axis)


# --- the PyTorch side -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Torch:
    """A PyTorch function named by its path (``"F.elu"``, ``"torch.where"``) with fixed keyword arguments,
    looked up only when called, so that the table imports without PyTorch."""

    path: str
    kwargs: dict = field(default_factory=dict)

    def __call__(self, *args):
        module, _, name = self.path.rpartition(".")
        module = {"F": "torch.nn.functional"}.get(module, module)
        return getattr(importlib.import_module(module), name)(*args, **self.kwargs)


def torch_fn(path, **kwargs):
    return Torch(path, kwargs)


def torch_step(x, threshold=0.0):
    # (x > θ) has no gradient in PyTorch; adding 0·x gives it the step's derivative, 0.
    return (x > threshold).to(x.dtype) + 0 * x


def torch_linear(x, weight, bias=None):
    # PyTorch's weight is (outputs, inputs); glassnet's is (inputs, outputs), as the notes' w_ab.
    return torch_fn("F.linear")(x, weight.T, bias)


def torch_categorical_ce(probabilities, target):
    return -(target * probabilities.log()).sum(-1)


def _keras_clip(p):
    return p.clamp(loss.KERAS_EPSILON, 1 - loss.KERAS_EPSILON)


def torch_bce_keras(p, y):
    # Keras 3's binary_crossentropy on the torch backend: clip, then the log.
    c = _keras_clip(p)
    return -(y * c.log() + (1 - y) * (1 - c).log())


def torch_categorical_ce_keras(p, y):
    # Keras 3's categorical_crossentropy: rows divided by their sum, clipped, then the log.
    return -(y * _keras_clip(p / p.sum(-1, keepdim=True)).log()).sum(-1)


def torch_sparse_ce_keras(p, labels):
    one_hot = torch_fn("F.one_hot")(labels, p.shape[-1]).to(p.dtype)
    return torch_categorical_ce_keras(p, one_hot)


def _classes_second(x):
    """PyTorch's losses want classes on axis 1; glassnet's sit on the last axis."""
    return x.movedim(-1, 1) if x.ndim > 2 else x


def torch_cross_entropy(logits, target):
    target = _classes_second(target) if target.is_floating_point() else target
    return torch_fn("F.cross_entropy", reduction="none")(_classes_second(logits), target)


def torch_nll_of_probabilities(probabilities, labels):
    return torch_fn("F.nll_loss", reduction="none")(_classes_second(probabilities.log()), labels)


def torch_prelu_keras(x, slope):
    # Keras's PReLU layout: a slope per element of an example (1 along shared axes); F.prelu takes vectors.
    return torch_fn("torch.where")(x > 0, x, slope * x)


def torch_dropout_seeded(x):
    # The mask glassnet draws after manual_seed(0): keep where a uniform draw >= rate.
    keep = np.random.default_rng(0).random(tuple(x.shape)) >= 0.5
    return x * torch_fn("torch.from_numpy")(keep).to(x.dtype) / 0.5


# --- calls that need a name: fixed arguments, tensors in a list; most serve glassnet and PyTorch alike ---
def plus_scalar(x):
    return x + 2.5


def scalar_plus(x):
    return 2.5 + x


def minus_scalar(x):
    return x - 1.5


def scalar_minus(x):
    return 2.0 - x


def squared_by_mul(x):
    return x * x


def times_scalar(x):
    return x * 3.0


def scalar_times(x):
    return 3.0 * x


def over_scalar(x):
    return x / 4.0


def scalar_over(x):
    return 2.0 / x


def cubed(x):
    return x**3


def to_power_2_5(x):
    return x**2.5


def two_to_the(x):
    return 2.0**x


def transposed(x):
    return x.T


def permute_102(x):
    return x.transpose((1, 0, 2)) if isinstance(x, gn.Tensor) else x.permute(1, 0, 2)


def permute_reversed(x):
    return x.transpose() if isinstance(x, gn.Tensor) else x.permute(2, 1, 0)


def permute_negative_axes(x):
    return x.transpose(0, -1, -2) if isinstance(x, gn.Tensor) else x.permute(0, 2, 1)


def slice_basic(x):
    return x[1:, ::2, -1]


def slice_with_none_and_ellipsis(x):
    return x[..., None, 1:3]


def index_rows_with_repeats(x):
    return x[[0, 2, 0, 1, 2]]


def index_pairs_with_repeats(x):
    return x[[0, 1, 0, 2], [2, 2, 2, 0]]


def index_mask(x, keep):
    return x[keep]


def concatenate_axis1(*xs):
    return gn.concatenate(xs, axis=1)


def concatenate_last(*xs):
    return gn.concatenate(xs, axis=-1)


def torch_cat_axis1(*xs):
    return torch_fn("torch.cat", dim=1)(xs)


def torch_cat_last(*xs):
    return torch_fn("torch.cat", dim=-1)(xs)


def stack_axis(axis, *xs):
    return gn.stack(xs, axis=axis)


def torch_stack_axis(axis, *xs):
    return torch_fn("torch.stack", dim=axis)(xs)


def unbind_used(axis, x, unbind=None):
    """The first and last slices used, the middle ones not (their gradient is zeros)."""
    parts = (unbind or gn.unbind)(x, axis)
    return parts[0] * parts[-1] + parts[0]


def torch_unbind_used(axis, x):
    return unbind_used(axis, x, lambda x, axis: torch_fn("torch.unbind", dim=axis)(x))


def dropout_seeded(x):
    gn.manual_seed(0)
    return ops.dropout_fn(x, 0.5)


def mean_squared_error(prediction, target):
    return loss.SquaredError.apply(prediction, target).mean()


# --- the rows -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One case of one op.

    Args:
        name: the test id.
        inputs: one callable per input (or per pair of inputs) taking a ``Draw``.
        op: the glassnet call, taking the inputs in order.
        torch_op: its PyTorch counterpart; None when ``op`` itself works on PyTorch tensors.
        constants: indices of float inputs that are data (targets), not differentiated.
        gradcheck_options: keyword arguments for ``gn.gradcheck`` where the defaults do not fit.
        keeps_dtype: False for casts, whose output dtype is not the input's.
    """

    name: str
    inputs: tuple
    op: Callable
    torch_op: Callable | None = None
    constants: tuple = ()
    gradcheck_options: dict = field(default_factory=dict)
    keeps_dtype: bool = True

    def draw(self, seed: int) -> list:
        draw, arrays = Draw(seed), []
        for make in self.inputs:
            made = make(draw)
            arrays.extend(made if isinstance(made, tuple) else (made,))
        return arrays

    def differentiable(self, arrays) -> list:
        return [i for i, a in enumerate(arrays) if a.dtype.kind == "f" and i not in self.constants]

    @property
    def reference(self) -> Callable:
        return self.op if self.torch_op is None else self.torch_op


def method(name, *args, **kwargs):
    """``x.name(*args, **kwargs)``, for glassnet and PyTorch alike."""
    return operator.methodcaller(name, *args, **kwargs)


CUBE = (normal("N", "C", "K"),)


def reduction_rows(reduce, inputs=CUBE, torch_reduce=None):
    """sum, mean, max, min over every kind of axis; PyTorch calls max and min over axes amax and amin."""
    rows = []
    for suffix, kwargs in [("all", {}), ("axis1", {"axis": 1}), ("axis-1", {"axis": -1}),
                           ("axes0,2", {"axis": (0, 2)}), ("all_keepdims", {"axis": None, "keepdims": True}),
                           ("axes0,2_keepdims", {"axis": (0, 2), "keepdims": True}),
                           ("axis1_keepdims", {"axis": 1, "keepdims": True})]:
        torch_op = None if torch_reduce is None else method(torch_reduce, **kwargs)
        rows.append(Row(f"{reduce}_{suffix}", inputs, method(reduce, **kwargs), torch_op))
    return rows


def tie_rows(reduce, torch_reduce):
    return [
        Row(f"{reduce}_ties_all", (TiedExtreme(("N", "C", "K"), None, reduce),), method(reduce),
            method(torch_reduce)),
        Row(f"{reduce}_ties_axis1", (TiedExtreme(("N", "C", "K"), 1, reduce),), method(reduce, axis=1),
            method(torch_reduce, axis=1)),
        Row(f"{reduce}_ties_axis-1_keepdims", (TiedExtreme(("N", "C", "K"), -1, reduce),),
            method(reduce, axis=-1, keepdims=True), method(torch_reduce, axis=-1, keepdims=True)),
    ]


ARITHMETIC = [
    Row("add", (normal("N", "C"), normal("N", "C")), operator.add),
    Row("add_broadcast", (normal("N", 1, "C"), normal("K", 1)), operator.add),
    Row("add_scalar", (normal("N", "C"),), plus_scalar),
    Row("add_scalar_left", (normal("N", "C"),), scalar_plus),
    Row("sub", (normal("N", "C"), normal("N", "C")), operator.sub),
    Row("sub_broadcast", (normal("C"), normal("N", "C")), operator.sub),
    Row("sub_scalar", (normal("N", "C"),), minus_scalar),
    Row("sub_scalar_left", (normal("N", "C"),), scalar_minus),
    Row("mul", (normal("N", "C"), normal("N", "C")), operator.mul),
    Row("mul_broadcast", (normal("N", "C", 1), normal("K")), operator.mul),
    Row("mul_same_tensor", (normal("N", "C"),), squared_by_mul),
    Row("mul_scalar", (normal("N", "C"),), times_scalar),
    Row("mul_scalar_left", (normal("N", "C"),), scalar_times),
    Row("div", (normal("N", "C"), nonzero("N", "C")), operator.truediv),
    Row("div_broadcast", (normal("N", "C"), nonzero("C")), operator.truediv),
    Row("div_scalar", (normal("N", "C"),), over_scalar),
    Row("div_scalar_left", (nonzero("N", "C"),), scalar_over),
    Row("neg", (normal("N", "C"),), operator.neg),
    Row("pow_scalar_int", (normal("N", "C"),), cubed),
    Row("pow_scalar_fraction", (positive("N", "C"),), to_power_2_5),
    Row("pow_tensor", (positive("N", "C"), normal("N", "C")), operator.pow),
    Row("pow_tensor_broadcast", (positive("N", "C"), normal("C")), operator.pow),
    Row("pow_scalar_base", (normal("N", "C"),), two_to_the),
]

ELEMENTWISE = [
    Row("exp", (normal("N", "C"),), method("exp")),
    Row("log", (positive("N", "C"),), method("log")),
    Row("sqrt", (positive("N", "C"),), method("sqrt")),
    Row("abs", (nonzero("N", "C"),), method("abs")),
    Row("clip_both", (avoiding("N", "C", kinks=(-0.5, 0.5)),), partial(ops.clip, low=-0.5, high=0.5),
        torch_fn("torch.clamp", min=-0.5, max=0.5)),
    Row("clip_low", (avoiding("N", "C", kinks=(0.2,)),), partial(ops.clip, low=0.2),
        torch_fn("torch.clamp", min=0.2)),
    Row("clip_high", (avoiding("N", "C", kinks=(-0.3,)),), partial(ops.clip, high=-0.3),
        torch_fn("torch.clamp", max=-0.3)),
    Row("where", (mask("N", "C"), normal("N", "C"), normal("N", "C")), gn.where, torch_fn("torch.where")),
    Row("where_broadcast", (mask("N", "C"), normal("N", 1), normal("C")), gn.where, torch_fn("torch.where")),
    Row("maximum", (DistinctPair(("N", "C"), ("N", "C")),), ops.maximum, torch_fn("torch.maximum")),
    Row("maximum_broadcast", (DistinctPair(("N", "C"), ("C",)),), ops.maximum, torch_fn("torch.maximum")),
    Row("maximum_ties", (TiedPair(("N", "C")),), ops.maximum, torch_fn("torch.maximum")),
    Row("minimum", (DistinctPair(("N", "C"), ("N", "C")),), ops.minimum, torch_fn("torch.minimum")),
    Row("minimum_broadcast", (DistinctPair(("N", 1), ("C",)),), ops.minimum, torch_fn("torch.minimum")),
    Row("minimum_ties", (TiedPair(("N", "C")),), ops.minimum, torch_fn("torch.minimum")),
    # A float32 output moves in steps of ~1e-7: a wider difference step keeps the rounding out of the check.
    Row("cast_float32", (normal("N", "C"),), method("float"), gradcheck_options={"eps": 1e-2, "atol": 1e-4},
        keeps_dtype=False),
    Row("cast_float64", (normal("N", "C"),), method("double"), keeps_dtype=False),
]

REDUCTION = [
    *reduction_rows("sum"),
    *reduction_rows("mean"),
    *reduction_rows("max", (distinct("N", "C", "K"),), "amax"),
    *reduction_rows("min", (distinct("N", "C", "K"),), "amin"),
    *tie_rows("max", "amax"),
    *tie_rows("min", "amin"),
]

SHAPE = [
    Row("reshape_flat", (normal("N", "C", "K"),), method("reshape", -1)),
    Row("reshape_split", (normal("N", 6),), method("reshape", (3, -1))),
    Row("flatten", (normal("N", "C", "K"),), method("flatten", 1)),
    Row("transpose_2d", (normal("N", "C"),), transposed),
    Row("transpose_axes", (normal("N", "C", "K"),), permute_102),
    Row("transpose_reversed", (normal("N", "C", "K"),), permute_reversed),
    Row("transpose_negative_axes", (normal("N", "C", "K"),), permute_negative_axes),
    Row("getitem_slices", (normal(4, "C", "K"),), slice_basic),
    Row("getitem_none_ellipsis", (normal("N", "C", 4),), slice_with_none_and_ellipsis),
    Row("getitem_int", (normal("N", "C"),), operator.itemgetter((slice(None), 0))),
    Row("getitem_array_repeats", (normal(3, "C"),), index_rows_with_repeats),
    Row("getitem_arrays_pairs", (normal(3, 3),), index_pairs_with_repeats),
    Row("getitem_mask", (normal("N", "C"), mask("N", "C")), index_mask),
    Row("getitem_mask_rows", (normal("N", "C"), mask("N")), index_mask),
    Row("concatenate_axis1", (normal("N", 2, "K"), normal("N", 3, "K"), normal("N", 1, "K")),
        concatenate_axis1, torch_cat_axis1),
    Row("concatenate_last", (normal("N", 2), normal("N", "C")), concatenate_last, torch_cat_last),
    Row("stack_axis0", (normal("N", "C"), normal("N", "C"), normal("N", "C")), partial(stack_axis, 0),
        partial(torch_stack_axis, 0)),
    Row("stack_axis1", (normal("N", "C"), normal("N", "C")), partial(stack_axis, 1),
        partial(torch_stack_axis, 1)),
    Row("stack_last", (normal("N", "C"), normal("N", "C")), partial(stack_axis, -1),
        partial(torch_stack_axis, -1)),
    Row("unbind_axis0", (normal(3, "N", "C"),), partial(unbind_used, 0), partial(torch_unbind_used, 0)),
    Row("unbind_axis_last", (normal("N", "C", 4),), partial(unbind_used, -1),
        partial(torch_unbind_used, -1)),
]

LINALG = [
    Row("matmul_2d", (normal("N", "K"), normal("K", "M")), operator.matmul),
    Row("matmul_batched_broadcast", (normal(2, 1, "N", "K"), normal(3, "K", "M")), operator.matmul),
    Row("matmul_batched_shared", (normal("N", "T", "K"), normal("K", "M")), operator.matmul),
    Row("matmul_1d_2d", (normal("K"), normal("K", "M")), operator.matmul),
    Row("matmul_2d_1d", (normal("N", "K"), normal("K")), operator.matmul),
    Row("matmul_1d_1d", (normal("K"), normal("K")), operator.matmul),
    Row("matmul_1d_batched", (normal("K"), normal("N", "K", "M")), operator.matmul),
    Row("matmul_batched_1d", (normal("N", "T", "K"), normal("K")), operator.matmul),
    Row("linear", (normal("N", "K"), normal("K", "M"), normal("M")), ops.linear, torch_linear),
    Row("linear_no_bias", (normal("N", "K"), normal("K", "M")), ops.linear, torch_linear),
    Row("linear_3d", (normal("N", "T", "K"), normal("K", "M"), normal("M")), ops.linear, torch_linear),
]

ACTIVATION = [
    Row("step", (nonzero("N", "C"),), ops.step, torch_step),
    Row("step_threshold", (avoiding("N", "C", kinks=(0.5,)),), partial(ops.step, threshold=0.5),
        partial(torch_step, threshold=0.5)),
    Row("sigmoid", (normal("N", "C"),), method("sigmoid")),
    Row("tanh", (normal("N", "C"),), method("tanh")),
    Row("relu", (nonzero("N", "C"),), method("relu")),
    Row("leaky_relu", (nonzero("N", "C"),), ops.leaky_relu, torch_fn("F.leaky_relu")),
    Row("leaky_relu_0.2", (nonzero("N", "C"),), partial(ops.leaky_relu, alpha=0.2),
        torch_fn("F.leaky_relu", negative_slope=0.2)),
    Row("rrelu_eval", (nonzero("N", "C"),), ops.rrelu, torch_fn("F.rrelu", training=False)),
    Row("rrelu_eval_bounds", (nonzero("N", "C"),), partial(ops.rrelu, lower=0.1, upper=0.3),
        torch_fn("F.rrelu", lower=0.1, upper=0.3, training=False)),
    Row("prelu_shared", (nonzero("N", "C"), positive(1)), ops.prelu, torch_fn("F.prelu")),
    Row("prelu_channels", (nonzero("N", "C"), positive("C")), ops.prelu, torch_fn("F.prelu")),
    Row("prelu_channels_3d", (nonzero("N", "C", "K"), positive("C")), ops.prelu, torch_fn("F.prelu")),
    Row("prelu_keras_per_element", (nonzero("N", "C", "K"), normal("C", "K")), ops.prelu, torch_prelu_keras),
    Row("prelu_keras_shared_axis", (nonzero("N", "C", "K"), normal(1, "K")), ops.prelu, torch_prelu_keras),
    Row("elu", (nonzero("N", "C"),), ops.elu, torch_fn("F.elu")),
    Row("elu_alpha0.5", (nonzero("N", "C"),), partial(ops.elu, alpha=0.5), torch_fn("F.elu", alpha=0.5)),
    Row("selu", (nonzero("N", "C"),), ops.selu, torch_fn("F.selu")),
    Row("silu", (normal("N", "C"),), ops.silu, torch_fn("F.silu")),
    Row("gelu", (normal("N", "C"),), ops.gelu, torch_fn("F.gelu")),
    Row("gelu_tanh", (normal("N", "C"),), partial(ops.gelu, approximate="tanh"),
        torch_fn("F.gelu", approximate="tanh")),
    Row("identity_op", (normal("N", "C"),), ops.activation.Identity.apply, torch_fn("torch.clone")),
    Row("softmax_last", (normal("N", "C"),), method("softmax", -1)),
    Row("softmax_axis0", (normal("N", "C"),), method("softmax", 0)),
    Row("softmax_3d_axis1", (normal("N", "C", "K"),), method("softmax", 1)),
    Row("log_softmax_last", (normal("N", "C"),), method("log_softmax", -1)),
    Row("log_softmax_axis0", (normal("N", "C"),), method("log_softmax", 0)),
    Row("dropout_seeded", (normal("N", "C"),), dropout_seeded, torch_dropout_seeded),
]

LOSS = [
    Row("squared_error", (normal("N", "C"), normal("N", "C")), loss.SquaredError.apply,
        torch_fn("F.mse_loss", reduction="none")),
    Row("squared_error_3d", (normal("N", "T", "C"), normal("N", "T", "C")), loss.SquaredError.apply,
        torch_fn("F.mse_loss", reduction="none")),
    Row("squared_error_mean", (normal("N", "C"), normal("N", "C")), mean_squared_error,
        torch_fn("F.mse_loss")),
    Row("absolute_error", (ErrorPair(("N", "C"), (0.0,)),), loss.AbsoluteError.apply,
        torch_fn("F.l1_loss", reduction="none")),
    Row("huber_delta1", (ErrorPair(("N", "C"), (-1.0, 1.0)),), partial(loss.HuberError.apply, delta=1.0),
        torch_fn("F.huber_loss", reduction="none", delta=1.0)),
    Row("huber_delta0.5", (ErrorPair(("N", "T", "C"), (-0.5, 0.5)),),
        partial(loss.HuberError.apply, delta=0.5),
        torch_fn("F.huber_loss", reduction="none", delta=0.5)),
    Row("bce", (unit("N", 1), bits("N", 1)), loss.BinaryCrossEntropy.apply,
        torch_fn("F.binary_cross_entropy", reduction="none"), constants=(1,)),
    Row("bce_soft_targets_3d", (unit("N", "T", "C"), unit("N", "T", "C")), loss.BinaryCrossEntropy.apply,
        torch_fn("F.binary_cross_entropy", reduction="none"), constants=(1,)),
    Row("bce_keras", (unit("N", "C"), unit("N", "C")),
        partial(loss.BinaryCrossEntropy.apply, convention="keras"), torch_bce_keras, constants=(1,)),
    Row("bce_logits", (normal("N", "C"), bits("N", "C")), loss.BinaryCrossEntropyWithLogits.apply,
        torch_fn("F.binary_cross_entropy_with_logits", reduction="none"), constants=(1,)),
    Row("bce_logits_soft_targets_3d", (normal("N", "T", "C"), unit("N", "T", "C")),
        loss.BinaryCrossEntropyWithLogits.apply,
        torch_fn("F.binary_cross_entropy_with_logits", reduction="none"), constants=(1,)),
    Row("categorical_ce_one_hot", (probabilities("N", "C"), one_hot("N", "C")),
        loss.CategoricalCrossEntropy.apply, torch_categorical_ce, constants=(1,)),
    Row("categorical_ce_soft", (probabilities("N", "C"), probabilities("N", "C")),
        loss.CategoricalCrossEntropy.apply, torch_categorical_ce, constants=(1,)),
    Row("categorical_ce_3d", (probabilities("N", "T", "C"), one_hot("N", "T", "C")),
        loss.CategoricalCrossEntropy.apply, torch_categorical_ce, constants=(1,)),
    Row("categorical_ce_keras_unnormalized", (unit("N", "C"), one_hot("N", "C")),
        partial(loss.CategoricalCrossEntropy.apply, convention="keras"), torch_categorical_ce_keras,
        constants=(1,)),
    Row("categorical_ce_keras_soft_3d", (probabilities("N", "T", "C"), probabilities("N", "T", "C")),
        partial(loss.CategoricalCrossEntropy.apply, convention="keras"), torch_categorical_ce_keras,
        constants=(1,)),
    Row("softmax_ce_one_hot", (normal("N", "C"), one_hot("N", "C")), loss.SoftmaxCrossEntropy.apply,
        torch_cross_entropy, constants=(1,)),
    Row("softmax_ce_soft", (normal("N", "C"), probabilities("N", "C")), loss.SoftmaxCrossEntropy.apply,
        torch_cross_entropy, constants=(1,)),
    Row("softmax_ce_3d", (normal("N", "T", "C"), probabilities("N", "T", "C")),
        loss.SoftmaxCrossEntropy.apply,
        torch_cross_entropy, constants=(1,)),
    Row("sparse_ce", (probabilities("N", "C"), labels("N", classes="C")),
        loss.SparseCategoricalCrossEntropy.apply, torch_nll_of_probabilities),
    Row("sparse_ce_3d", (probabilities("N", "T", "C"), labels("N", "T", classes="C")),
        loss.SparseCategoricalCrossEntropy.apply, torch_nll_of_probabilities),
    Row("sparse_ce_keras_unnormalized", (unit("N", "T", "C"), labels("N", "T", classes="C")),
        partial(loss.SparseCategoricalCrossEntropy.apply, convention="keras"), torch_sparse_ce_keras),
    Row("sparse_softmax_ce", (normal("N", "C"), labels("N", classes="C")),
        loss.SparseSoftmaxCrossEntropy.apply,
        torch_cross_entropy),
    Row("sparse_softmax_ce_3d", (normal("N", "T", "C"), labels("N", "T", classes="C")),
        loss.SparseSoftmaxCrossEntropy.apply, torch_cross_entropy),
]

ROWS = [*ARITHMETIC, *ELEMENTWISE, *REDUCTION, *SHAPE, *LINALG, *ACTIVATION, *LOSS]
SEEDS = (0, 1, 2)

# Op families with many cases keep their rows in files of their own beside this one, op_table_<family>.py,
# each defining ROWS with the helpers above (``from op_table import Row, normal, ...``).
for _path in sorted(Path(__file__).parent.glob("op_table_*.py")):
    ROWS += importlib.import_module(_path.stem).ROWS

_names = [row.name for row in ROWS]
if len(set(_names)) != len(_names):
    raise ValueError(f"row names must be unique: {sorted(n for n in set(_names) if _names.count(n) > 1)}")


def glassnet_inputs(row: Row, arrays, dtype=np.float64) -> list:
    """Float arrays become tensors of ``dtype`` (requiring a gradient unless they are constants);
    labels and masks stay arrays, as a user passes them."""
    differentiable = row.differentiable(arrays)
    return [
        gn.Tensor(a.astype(dtype), requires_grad=i in differentiable) if a.dtype.kind == "f" else a
        for i, a in enumerate(arrays)
    ]


def case_id(value) -> str:
    return value.name if isinstance(value, Row) else f"seed{value}"
