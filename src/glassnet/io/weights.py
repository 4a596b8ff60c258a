"""Weights in and out: safetensors files, PyTorch state dicts and Keras's ``get_weights()`` lists.

A model's arrays go out in one of three layouts, walked through ``glassnet.io.layouts.LAYOUTS``:

- ``"glassnet"``: ``model.state_dict()`` as it is (dotted names, glassnet's shapes);
- ``"pytorch"``: the names and shapes of the matching PyTorch modules, so that
  ``torch_model.load_state_dict(safetensors.torch.load_file(path))`` takes the file;
- ``"keras"``: Keras 3's ``model.get_weights()`` order and shapes (a list).

Every layer with a row contributes its slots under its dotted path; a container (Sequential, a model
class, a Transformer block) contributes its children's; a module without a row that holds arrays of its
own (a user's model with a ``class_token``) gives them under their own names. Loading checks every name and
shape first and lists the first mismatches, then copies (``load_state_dict``), so a file from another
architecture changes nothing.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.data.schema import FileFormatError
from glassnet.io.layouts import FOREIGN, Slot, attribute, row_for
from glassnet.nn.module import Module

__all__ = [
    "LAYOUT_NAMES",
    "WeightsFileError",
    "to_layout",
    "from_layout",
    "to_torch_state_dict",
    "from_torch_state_dict",
    "get_weights",
    "set_weights",
    "save_weights",
    "load_weights",
]

LAYOUT_NAMES = ("glassnet", *FOREIGN)
_SHOWN = 5  # mismatches listed in an error


class WeightsFileError(FileFormatError):
    """A weights file (safetensors, .keras) that is damaged or does not fit the model."""


def _check_layout(layout) -> str:
    if layout not in LAYOUT_NAMES:
        raise ValueError(
            f"unknown weights layout {layout!r}: expected one of {', '.join(map(repr, LAYOUT_NAMES))}"
        )
    return layout


def _check_built(model: Module) -> None:
    """A layer with weights that is not built has no arrays yet: refuse, naming it."""
    unbuilt = [
        (path, module)
        for path, module in model.named_modules()
        if not module.built and (row := row_for(module)) is not None and (row.pytorch or row.keras)
    ]
    if not unbuilt and not model.built and not model.state_dict():
        unbuilt = [("", model)]
    if unbuilt:
        path, module = unbuilt[0]
        where = f": its layer '{path}' ({type(module).__name__})" if path else ""
        raise ValueError(
            f"{type(model).__name__} '{model.name}'{where} is not built, so its weights have no shapes "
            "yet; call the model once on an input (or build(input_shape)) before moving weights"
        )


def _array(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _slots(model: Module, layout: str) -> list:
    """(foreign name prefix, our name prefix, module, slot) for every slot of the model, in order."""
    found = []

    def walk(module, path: str, theirs_prefix: str) -> None:
        row = row_for(module)
        make = None if row is None else getattr(row, layout)
        dot = f"{path}." if path else ""
        claimed = ()
        if make is not None:
            found.extend((theirs_prefix, dot, module, slot) for slot in make(module))
            claimed = row.claims
        else:  # no counterpart: the module's own arrays by their glassnet names
            for name in [*module._parameters, *module._buffers]:
                if getattr(module, name) is not None:
                    found.append(
                        (theirs_prefix, dot, module, Slot((name,), (name,), lambda a: (a,), lambda v: (v,)))
                    )
        for name, child in module._modules.items():
            if name not in claimed:
                walk(child, f"{dot}{name}", f"{theirs_prefix}{name}{'/' if layout == 'keras' else '.'}")

    walk(model, "", "")
    return found


def to_layout(model: Module, layout: str = "pytorch") -> OrderedDict:
    """The model's arrays in ``layout`` ("glassnet", "pytorch" or "keras"), by foreign name, in order
    (copies, C-contiguous)."""
    _check_layout(layout)
    _check_built(model)
    if layout == "glassnet":
        return model.state_dict()
    out = OrderedDict()
    for theirs_prefix, _, module, slot in _slots(model, layout):
        arrays = slot.out(*(_array(attribute(module, name)) for name in slot.ours))
        for name, array in zip(slot.theirs, arrays):
            out[theirs_prefix + name] = np.array(array, order="C", copy=True)
    return out


def _mismatch_error(model: Module, what: str, lines: list) -> ValueError:
    shown = "; ".join(lines[:_SHOWN]) + (f"; and {len(lines) - _SHOWN} more" if len(lines) > _SHOWN else "")
    return ValueError(
        f"{what} does not fit {type(model).__name__} '{model.name}': {shown}. The weights come from a "
        "different architecture (or layer order, or layout): build the same model, or pass the right layout="
    )


def from_layout(
    model: Module, arrays, layout: str = "pytorch", strict: bool = True, what: str = "the weights"
):
    """Copy ``arrays`` (a mapping foreign name -> array or tensor, in ``layout``) into the built model, in
    place. Every name and shape is checked first: a mismatch raises one ValueError listing the first few
    (missing, unexpected with ``strict``, or of another shape), and nothing is copied."""
    _check_layout(layout)
    _check_built(model)
    arrays = {name: _array(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
              for name, value in arrays.items()}  # fmt: skip
    expected = to_layout(model, layout)
    problems = [
        f"missing '{name}' {tuple(array.shape)}" for name, array in expected.items() if name not in arrays
    ]
    if strict:
        problems += [
            f"unexpected '{name}' {tuple(arrays[name].shape)}" for name in arrays if name not in expected
        ]
    problems += [
        f"'{name}' has shape {tuple(arrays[name].shape)}, the model's {tuple(array.shape)}"
        for name, array in expected.items()
        if name in arrays and tuple(arrays[name].shape) != tuple(array.shape)
    ]
    if problems:
        raise _mismatch_error(model, what, problems)
    if layout == "glassnet":
        model.load_state_dict(arrays, strict=False)
        return model
    state = {}
    for theirs_prefix, ours_prefix, _module, slot in _slots(model, layout):
        values = slot.back(*(arrays[theirs_prefix + name] for name in slot.theirs))
        state.update((ours_prefix + name, value) for name, value in zip(slot.ours, values))
    model.load_state_dict(state, strict=False)
    return model


# --- PyTorch ---
def to_torch_state_dict(model: Module) -> OrderedDict:
    """The model's weights with PyTorch's names and layouts (NumPy arrays; ``torch.from_numpy`` each, or
    save them with ``save_weights(path, layout="pytorch")``)."""
    return to_layout(model, "pytorch")


def from_torch_state_dict(model: Module, state_dict, prefix: str = "", strict: bool = True) -> Module:
    """Copy a PyTorch ``state_dict()`` (tensors or arrays) into the built glassnet ``model``, through the
    layout table; ``prefix`` picks the model's part out of a larger state dict ("encoder.layers.0.")."""
    what = "the PyTorch state dict"
    if prefix:
        state_dict = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
        what += f" (its names under {prefix!r})"
    return from_layout(model, state_dict, "pytorch", strict, what=what)


# --- Keras ---
def get_weights(model: Module) -> list:
    """The model's weights as Keras 3's ``model.get_weights()`` lists them: layer by layer, each layer's in
    Keras's order and shapes (Dense kernel (in, out) then bias, BatchNorm gamma, beta, moving_mean,
    moving_variance, a GRU's bias (2, 3·units), ...)."""
    return list(to_layout(model, "keras").values())


def set_weights(model: Module, weights, what: str = "the list of weights") -> Module:
    """Copy a Keras ``get_weights()`` list into the built model; a list of another length or shapes raises
    one error listing the first mismatches, by the glassnet layer and Keras weight they meet."""
    expected = to_layout(model, "keras")
    weights = [np.asarray(w) for w in weights]
    if len(weights) != len(expected):
        lines = [
            f"{len(weights)} arrays given, the model has {len(expected)} ({', '.join(list(expected)[:8])}...)"
        ]
        raise _mismatch_error(model, what, lines + _shape_lines(expected, weights))
    lines = _shape_lines(expected, weights)
    if lines:
        raise _mismatch_error(model, what, lines)
    return from_layout(model, dict(zip(expected, weights)), "keras", what=what)


def _shape_lines(expected: OrderedDict, weights: list) -> list:
    return [
        f"weight {k} for '{name}' has shape {tuple(w.shape)}, the model's {tuple(array.shape)}"
        for k, ((name, array), w) in enumerate(zip(expected.items(), weights))
        if tuple(w.shape) != tuple(array.shape)
    ]


# --- safetensors files ---
def save_weights(model: Module, path, layout: str = "glassnet") -> Path:
    """Write the model's weights to a safetensors file in ``layout`` ("glassnet" or "pytorch"); the layout
    is noted in the file's metadata, which ``load_weights`` reads."""
    _check_layout(layout)
    if layout == "keras":
        raise ValueError(
            "save_weights: layout 'keras' is a list (get_weights()); save 'glassnet' or 'pytorch'"
        )
    safetensors_numpy = _safetensors()
    arrays = to_layout(model, layout)
    path = Path(path)
    safetensors_numpy.save_file(dict(arrays), str(path), metadata={"format": "pt", "glassnet_layout": layout})
    return path


def load_weights(model: Module, path, layout: str | None = None, strict: bool = True) -> Module:
    """Read a safetensors file into the built model; ``layout`` None takes the file's own (written by
    ``save_weights``; "glassnet" for a file without one, "pytorch" for ``safetensors.torch.save_file``'s
    output when asked). A ``.keras`` file goes to ``load_keras_weights``."""
    path = Path(path)
    if path.suffix == ".keras":
        from glassnet.io.keras_file import load_keras_weights  # noqa: PLC0415 - keras_file imports this module

        return load_keras_weights(model, path)
    if layout is not None:
        _check_layout(layout)
    safetensors_numpy = _safetensors()
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}")
    _check_file_size(model, path)
    try:
        from safetensors import safe_open  # noqa: PLC0415 - an optional extra (safetensors)

        with safe_open(str(path), framework="numpy") as handle:
            saved = (handle.metadata() or {}).get("glassnet_layout", "glassnet")
        arrays = safetensors_numpy.load_file(str(path))
    except Exception as error:  # the library's own errors name no file
        raise WeightsFileError(f"{path}: not a safetensors file glassnet can read ({error})") from None
    if layout is None:
        layout = saved if saved in LAYOUT_NAMES else "glassnet"
    return from_layout(model, arrays, layout, strict, what=f"the weights file {path} (layout {layout!r})")


_HEADER_ALLOWANCE = 1 << 20  # bytes: the JSON header, and small extras such as num_batches_tracked


def _check_file_size(model: Module, path: Path) -> None:
    """Refuse, before reading it, a file larger than this model's weights can be: all its numbers at 8
    bytes (float64) and an allowance for the header. Loading reads every tensor of a file before the
    names are compared, so a stray large file would otherwise be read whole."""
    _check_built(model)
    numbers = sum(_array(value).size for value in model.state_dict().values())
    limit = 8 * numbers + _HEADER_ALLOWANCE
    size = path.stat().st_size
    if size > limit:
        raise WeightsFileError(
            f"{path}: {size:,} bytes, more than this model's weights can take ({numbers:,} numbers: at most "
            f"{limit:,} bytes at float64 with the header); it is not a weights file for this model"
        )


def _safetensors():
    try:
        import safetensors.numpy  # noqa: PLC0415 - an optional extra (safetensors)
    except ImportError:
        raise ImportError(
            "weights files need the safetensors package: pip install 'glassnet[safetensors]'"
        ) from None
    return safetensors.numpy
