"""Keras 3 ``.keras`` files: the weights of a model saved by Keras, read into the matching glassnet model.

A ``.keras`` file is a zip archive of ``config.json`` (the architecture), ``metadata.json`` and
``model.weights.h5`` (the weights, an HDF5 file read with h5py, an optional extra). The HDF5 file keeps each
layer's weights under ``layers/<layer name>/vars/<k>``, a recurrent layer's under ``.../cell/vars``, a
wrapper's under ``forward_layer``/``backward_layer``, an attention layer's under its four projections. This
reader takes the layers in ``config.json``'s order and each layer's arrays in Keras's ``get_weights()``
order, then hands the list to ``set_weights`` (``glassnet.io.weights``), which checks it against the model.

The archive is treated as hostile: member sizes are bounded before anything is inflated, and each array's
shape, dtype and size are checked before it is read.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np

from glassnet.data.schema import FileFormatError
from glassnet.io.model_file import _members, _read_member
from glassnet.io.weights import set_weights
from glassnet.nn.module import Module

__all__ = ["KerasFileError", "load_keras_weights", "read_keras_weights"]

_CONFIG_LIMIT = 16 * 2**20
_WEIGHTS_MEMBER, _CONFIG_MEMBER = "model.weights.h5", "config.json"
_MAX_DEPTH, _MAX_RANK = 12, 8
# Sub-objects in the order Keras lists their weights (the HDF5 file sorts groups by name).
_ORDER = (
    "cell",
    "forward_layer",
    "backward_layer",
    "query_dense",
    "key_dense",
    "value_dense",
    "output_dense",
)


class KerasFileError(FileFormatError):
    """A ``.keras`` file that is damaged, a bomb, or not Keras 3's format."""


def _h5py():
    try:
        import h5py  # noqa: PLC0415 - an optional extra (keras)
    except ImportError:
        raise ImportError("reading .keras files needs h5py: pip install 'glassnet[keras]'") from None
    return h5py


def _snake_case(name: str) -> str:
    """Keras's ``naming.to_snake_case``: "MultiHeadAttention" -> "multi_head_attention"."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _saved_layers(config, path: Path) -> list:
    """(group name, layer config) of each layer of a Sequential or functional model's config, in order.

    Keras names a layer's group after its class, not its name ("dense", "dense_1", ... in the order of the
    model's layers, the input layer included), so that two instances of a model share one file layout."""
    inner = config.get("config") if isinstance(config, dict) else None
    layers = inner.get("layers") if isinstance(inner, dict) else None
    if not isinstance(layers, list):
        return []
    saved, used = [], {}
    for entry in layers:
        kind = entry.get("class_name") if isinstance(entry, dict) else None
        if not isinstance(kind, str):
            raise KerasFileError(
                f"{path}: config.json: expected each layer with a class_name, found {entry!r:.80}"
            )
        name = _snake_case(kind)
        used[name] = used.get(name, -1) + 1
        saved.append((name if used[name] == 0 else f"{name}_{used[name]}", entry))
    return saved


def _arrays(group, config, path: Path, budget: list, where: str, depth: int = 0) -> list:
    """The arrays under ``group`` in Keras's order: its own vars, then its layers (in ``config``'s order,
    where it lists them) and other sub-objects (in Keras's order, else by name)."""
    h5py = _h5py()
    if depth > _MAX_DEPTH:
        raise KerasFileError(f"{path}: {where}: nested deeper than {_MAX_DEPTH} groups")
    _check_links(group, path, where, h5py)
    out = []
    if "vars" in group:
        variables = group["vars"]
        _check_links(variables, path, f"{where}/vars", h5py)
        keys = sorted(variables, key=lambda k: int(k) if re.fullmatch(r"\d{1,6}", k) else -1)
        for key in keys:
            out.append(_read_dataset(variables[key], path, f"{where}/vars/{key}", budget, h5py))
    children = [k for k in group if k not in ("vars", "layers")]
    if "layers" in group:
        layers, listed = group["layers"], dict(_saved_layers(config, path))
        order = [name for name in listed if name in layers]
        order += sorted((name for name in layers if name not in listed), key=_natural)
        for name in order:
            out += _arrays(layers[name], listed.get(name), path, budget, f"{where}/layers/{name}", depth + 1)
    rank = {name: k for k, name in enumerate(_ORDER)}
    for name in sorted(children, key=lambda n: (rank.get(n.lstrip("_"), len(_ORDER)), _natural(n))):
        if isinstance(group[name], h5py.Group):
            out += _arrays(group[name], None, path, budget, f"{where}/{name}", depth + 1)
    return out


def _check_links(group, path: Path, where: str, h5py) -> None:
    """Only the file's own objects: an external or soft link would make h5py open another file."""
    for name in group:
        link = group.get(name, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise KerasFileError(
                f"{path}: {where}/{name}: expected an array or group of this file, found a "
                f"{type(link).__name__} (a link to somewhere else)"
            )


def _natural(name: str) -> tuple:
    """ "dense_10" after "dense_2"."""
    found = re.fullmatch(r"(.*?)(?:_(\d{1,6}))?", name)
    return found.group(1), int(found.group(2) or -1)


def _read_dataset(dataset, path: Path, where: str, budget: list, h5py) -> np.ndarray:
    if not isinstance(dataset, h5py.Dataset):
        raise KerasFileError(f"{path}: {where}: expected an array, found a group")
    if dataset.is_virtual:
        raise KerasFileError(f"{path}: {where}: expected an array of this file, found a virtual dataset")
    if dataset.dtype.kind not in "fiub" or len(dataset.shape) > _MAX_RANK:
        raise KerasFileError(
            f"{path}: {where}: expected a numeric array of rank <= {_MAX_RANK}, found {dataset.dtype} "
            f"{dataset.shape}"
        )
    size = int(np.prod(dataset.shape, dtype=np.int64)) * dataset.dtype.itemsize
    budget[0] -= size
    if budget[0] < 0:
        raise KerasFileError(f"{path}: {where}: the arrays exceed the limit of the weights member's size")
    return np.asarray(dataset[()])


def read_keras_weights(path, max_bytes: int = 2**31) -> list:
    """The arrays of a Keras 3 ``.keras`` file, in the order of ``model.get_weights()``; ``max_bytes`` bounds
    the weights member (and so every array read from it)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no .keras file at {path}")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise KerasFileError(f"{path} is not a .keras file (not a zip archive, or truncated)") from None
    with archive:
        members = _members(archive, path, error=KerasFileError)
        for name, limit in ((_CONFIG_MEMBER, _CONFIG_LIMIT), (_WEIGHTS_MEMBER, max_bytes)):
            if name not in members:
                raise KerasFileError(
                    f"{path}: expected a Keras 3 archive with {name}, found {sorted(members)[:6]}"
                )
            if members[name].file_size > limit:
                raise KerasFileError(
                    f"{path}: member {name}: expected at most {limit:,} bytes, found a declared size of "
                    f"{members[name].file_size:,}"
                )
        try:
            config = json.loads(
                bytes(_read_member(archive, members[_CONFIG_MEMBER], path, error=KerasFileError))
            )
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise KerasFileError(f"{path}: config.json is not JSON ({error})") from None
        data = _read_member(archive, members[_WEIGHTS_MEMBER], path, error=KerasFileError)
    h5py = _h5py()
    try:
        with h5py.File(io.BytesIO(bytes(data)), "r") as weights:
            if "layers" not in weights:
                return []
            return _arrays(weights, config, path, [len(data)], "")
    except OSError as error:
        raise KerasFileError(
            f"{path}: {_WEIGHTS_MEMBER} is not an HDF5 file h5py can read ({error})"
        ) from None


def load_keras_weights(model: Module, path, max_bytes: int = 2**31) -> Module:
    """Copy the weights of a Keras 3 ``.keras`` file into the matching built glassnet ``model`` (the same
    layers with weights, in the same order: ``model.get_weights()`` and Keras's must agree in count and
    shapes). A file of another architecture raises one error listing the first mismatches."""
    arrays = read_keras_weights(path, max_bytes)
    return set_weights(model, arrays, what=f"the Keras file {Path(path).name}")
