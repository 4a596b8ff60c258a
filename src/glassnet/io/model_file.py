"""Saving and loading whole models: architecture, weights, compile settings and optimizer state, in one file.

The file is a zip archive (no pickle anywhere, so loading a file cannot run code):

- ``glassnet.json``: the format name and version, the model's architecture (``nn.serialization``), the
  compile settings (optimizer class, convention and hyperparameters, loss, metrics), the optimizer's
  per-parameter step counts and hyperparameters per group, the list of arrays and their shapes;
- ``weights/<name>.npy``: each entry of the model's ``state_dict`` (parameters and buffers);
- ``optimizer/<index>.<state>.npy``: the optimizer's state arrays (momentum, squared-gradient sums, ...).

Arrays are ``.npy`` files read with ``allow_pickle=False``. Writing is atomic: the archive is written to a
temporary file beside the target and renamed over it, so an interrupted save leaves the old file intact;
the next save to the same path removes the temporary files that killed saves left behind.
Frozen parameters (``trainable=False``) stay frozen after loading.

Reading trusts nothing in the file, and bounds what it inflates and allocates by what the format needs:

- members are stored or deflated (deflate inflates at most 1032-fold, so a member that declares more is a
  zip bomb), each read in chunks up to its declared size, the manifest up to 16 MiB; a duplicated member,
  or one the manifest does not list, is refused;
- each ``.npy`` header is read first: a numeric dtype, a shape whose bytes are the member's declared size
  and, for files that record them, the manifest's shape; only then is the array allocated;
- the manifest is checked against a schema (types, required keys), and every size in the architecture
  (units, filters, kernel sizes, vocabulary, ...) against the arrays present before anything is built:
  each such size is a dimension of some weight, so a ``Dense`` with 10^8 units over a 784 x 10 weight is
  refused before its 10^8-column matrix is allocated;
- the optimizer and metrics are looked up among glassnet's optimizer and metric classes only.

Every problem is one ``ModelFileError`` naming the file, the member or key, what was expected and found.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np

from glassnet import optim
from glassnet.backend import get_rng
from glassnet.data.schema import Field, FileFormatError, Schema, check_value, describe
from glassnet.nn.module import Module
from glassnet.nn.serialization import deserialize, serialize
from glassnet.train import metrics as metrics_module

__all__ = ["save_model", "load_model", "ModelFileError", "FORMAT", "VERSION", "FORMAT_VERSIONS"]

FORMAT, VERSION = "glassnet-model", 2
# The format's versions, what each one holds (the README's table). A reader refuses a file of a version above
# its own VERSION (written by a newer glassnet) and reads every version up to it.
FORMAT_VERSIONS = {
    1: "glassnet.json (format, version, model, weights, frozen, compile, arrays; shapes since the first "
    "release, absent in the earliest files), weights/<name>.npy, optimizer/<index>.<state>.npy",
    2: "version 1, and rng in glassnet.json: the global generator's state when the model was saved "
    "(load_model(path, restore_rng=True) continues the random stream from it)",
}
_MANIFEST = "glassnet.json"
_MANIFEST_LIMIT = 16 << 20  # bytes; ResNet-34's manifest is about 60 kB
_CHUNK = 1 << 20  # bytes inflated at a time
_DEFLATE_RATIO = 1032  # the most that deflate can inflate: 258 bytes per 2-bit code, plus headers
_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
_NUMERIC_KINDS = "biuf"  # boolean, integer, unsigned, float: what a weight or optimizer state can be
_SMALL_SIZE = 64  # sizes up to this pass without weights to match (strides, pool sizes, layer counts)
_INPUT_LIMIT = 1 << 24  # values per sample of a saved input shape, beyond the arrays' total
_STALE_AGE = 600.0  # seconds after which a temporary file without a live owner is stale


class ModelFileError(FileFormatError):
    """The file is not a glassnet model, or it is damaged or hostile; the message names the file and the
    member or key."""


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _optimizer_config(optimizer, model) -> dict:
    state = optimizer.state_dict()
    config = {
        "class": type(optimizer).__name__,
        "convention": optimizer.convention,
        "hyperparameters": optimizer.defaults,
        "clipping": {
            key: getattr(optimizer, key, None) for key in ("clipnorm", "clipvalue", "global_clipnorm")
        },
        "param_groups": state["param_groups"],
        "steps": {str(index): entry["step"] for index, entry in state["state"].items()},
    }
    groups = _group_positions(optimizer, model)
    if groups is not None:
        config["groups"] = groups
    return config


def _group_positions(optimizer, model) -> list | None:
    """Several parameter groups (weight decay on the matrices only, say): each group's parameters as
    positions in ``model.parameters()``, so that loading can rebuild the groups; None for one group (bound
    to the model's parameters in order) or for parameters that are not the model's."""
    if len(optimizer.param_groups) < 2:
        return None
    position = {id(p): k for k, p in enumerate(model.parameters())}
    groups = [[position.get(id(p)) for p in group["params"]] for group in optimizer.param_groups]
    return None if any(k is None for group in groups for k in group) else groups


def _several_optimizers(model) -> dict | None:
    """{name: optimizer} of a model compiled by its own ``compile`` with several optimizers (a GAN: its
    ``optimizers`` and the other arguments of its compile in ``compile_settings``); None otherwise."""
    if getattr(model, "compile_settings", None) is None or not getattr(model, "optimizers", None):
        return None
    return model.optimizers


def _compile_config(model) -> dict | None:
    several = _several_optimizers(model)
    if several is not None:
        return {
            "optimizers": {name: _optimizer_config(optimizer, model) for name, optimizer in several.items()},
            "settings": model.compile_settings,
            "loss": serialize(model.loss),
            "metrics": [],
        }
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        return None
    return {
        "optimizer": _optimizer_config(model.optimizer, model),
        "loss": serialize(model.loss),
        "metrics": [metrics_module.metric_config(metric) for metric in model.compiled_metrics],
    }


def _optimizer_members(model) -> list:
    """[(member prefix, optimizer)]: "optimizer/" for the one optimizer, "optimizers/<name>/" for each of
    several."""
    several = _several_optimizers(model)
    if several is not None:
        return [(f"optimizers/{name}/", optimizer) for name, optimizer in several.items()]
    return [("optimizer/", model.optimizer)]


def save_model(model: Module, path) -> Path:
    """Write ``model`` to ``path`` (any name; ".glassnet" by convention), atomically. Returns the path.

    Temporary files that earlier saves to the same path left behind (a save killed mid-way) are removed.
    """
    if not model.built:
        raise RuntimeError(
            f"save: '{model.name}' has no weights yet; build it (input_shape= or one call) first"
        )
    path = Path(path)
    state = model.state_dict()
    trainable = {name: p.requires_grad for name, p in model.named_parameters()}
    compiled = _compile_config(model)
    arrays = {f"weights/{name}.npy": value for name, value in state.items()}
    if compiled is not None:
        for prefix, optimizer in _optimizer_members(model):
            for index, entry in optimizer.state_dict()["state"].items():
                for key, value in entry.items():
                    if key != "step":
                        arrays[f"{prefix}{index}.{key}.npy"] = value
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "model": serialize(model),
        "weights": list(state),
        "frozen": [name for name, flag in trainable.items() if not flag],
        "compile": compiled,
        "arrays": sorted(arrays),
        "shapes": {name: list(np.shape(value)) for name, value in sorted(arrays.items())},
        "rng": get_rng().bit_generator.state,  # the random stream, for a run that resumes step for step
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_stale_temporaries(path)
    handle, temporary = tempfile.mkstemp(prefix=_temporary_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                archive.writestr(_MANIFEST, json.dumps(manifest, indent=1, default=_json_default))
                for name, value in arrays.items():
                    archive.writestr(name, _npy_bytes(value))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a saved model is an ordinary file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _temporary_prefix(path: Path, pid: int | None = None) -> str:
    """``.NAME.PID.``: the temporary files of saves to ``path`` by process ``pid`` start with it."""
    return f".{path.name}.{os.getpid() if pid is None else pid}."


def _sweep_stale_temporaries(path: Path) -> None:
    """Remove the temporary files of earlier saves to ``path`` whose process is gone (killed mid-save).

    A temporary file of a process that still runs is another save in progress, and stays; one whose
    owner cannot be told (another machine on a shared disk) is removed once it is older than ten minutes.
    """
    prefix = f".{path.name}."
    for candidate in path.parent.glob(f"{_glob_escape(prefix)}*.tmp"):
        owner = candidate.name[len(prefix) :].split(".", 1)[0]
        if owner.isdigit() and int(owner) == os.getpid():
            continue
        try:
            stale = not _alive(int(owner)) if owner.isdigit() else False
            stale = stale or time.time() - candidate.stat().st_mtime > _STALE_AGE
            if stale:
                candidate.unlink()
        except OSError:  # removed meanwhile by another save, or not ours to remove
            continue


def _glob_escape(text: str) -> str:
    """``text`` with glob's special characters made literal."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def _alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # no cheap test; the age rule applies
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot save {value!r} in a model file")


# --- reading: the archive, bounded ------------------------------------------------------------------


def _members(archive: zipfile.ZipFile, path: Path, error=None) -> dict:
    """Name -> ZipInfo, after refusing duplicated names, unknown compression and impossible sizes (raising
    ``error``, a ``FileFormatError`` class: ``ModelFileError`` by default)."""
    failure = error or ModelFileError
    members = {}
    for info in archive.infolist():
        if info.filename in members:
            raise failure(f"{path}: member {info.filename}: expected once, found it twice")
        if info.compress_type not in _METHODS:
            raise failure(
                f"{path}: member {info.filename}: expected stored or deflated data, found compression "
                f"method {info.compress_type}"
            )
        ceiling = info.compress_size
        if info.compress_type == zipfile.ZIP_DEFLATED:
            ceiling = info.compress_size * _DEFLATE_RATIO + 1024
        if info.file_size > ceiling:
            raise failure(
                f"{path}: member {info.filename}: expected at most {ceiling:,} bytes from "
                f"{info.compress_size:,} compressed bytes, found a declared size of {info.file_size:,} "
                "(a zip bomb?)"
            )
        members[info.filename] = info
    return members


def _read_member(archive, info, path: Path, into=None, error=None) -> bytes | bytearray:
    """The bytes of member ``info``, inflated in chunks and never beyond its declared size."""
    failure = error or ModelFileError
    size = info.file_size
    buffer = into if into is not None else bytearray(size)
    view, filled = memoryview(buffer), 0
    try:
        with archive.open(info) as stream:
            while filled < size:
                count = stream.readinto(view[filled : filled + _CHUNK])
                if not count:
                    break
                filled += count
            extra = stream.read(1)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise failure(f"{path}: member {info.filename} is damaged ({error})") from None
    if filled != size or extra:
        found = f"{filled:,}" if filled < size else "more"
        raise failure(
            f"{path}: member {info.filename}: expected {size:,} bytes (its declared size), found {found}"
        )
    return buffer


def _open(path: Path) -> tuple:
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    if not path.is_file():
        raise ModelFileError(f"{path}: expected a model file, found a directory or a special file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise ModelFileError(
            f"{path} is not a glassnet model file (not a zip archive, or truncated)"
        ) from None
    try:
        members = _members(archive, path)
        if _MANIFEST not in members:
            raise ModelFileError(f"{path} is a zip archive but not a glassnet model (no {_MANIFEST})")
        info = members[_MANIFEST]
        if info.file_size > _MANIFEST_LIMIT:
            raise ModelFileError(
                f"{path}: member {_MANIFEST}: expected at most {_MANIFEST_LIMIT:,} bytes, found a declared "
                f"size of {info.file_size:,}"
            )
        manifest = _parse_manifest(bytes(_read_member(archive, info, path)), path)
        _check_members(manifest, members, path)
    except BaseException:
        archive.close()
        raise
    return archive, manifest, members


def _parse_manifest(data: bytes, path: Path) -> dict:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ModelFileError(f"{path}: {_MANIFEST}: expected UTF-8 JSON, found {error.reason}") from None
    except RecursionError:
        raise ModelFileError(f"{path}: {_MANIFEST}: expected JSON, found nesting too deep to read") from None
    except ValueError as error:
        raise ModelFileError(f"{path} is damaged: {_MANIFEST} is not JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else describe(manifest)
        raise ModelFileError(f"{path} is not a glassnet model file (format {found!r})")
    version = manifest.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise ModelFileError(
            f"{path} was written by a newer glassnet (format version {version}); upgrade glassnet to read it"
        )
    return _MANIFEST_SCHEMA.check(manifest, ModelFileError, f"{path}: {_MANIFEST}")


_OBJECT = Schema({"class": Field((str,), required=True), "config": Field((dict,), required=True)})
_NAMES = Field((list,), items=Field((str,), minimum=1, maximum=1000, label="a name (a non-empty string)"))
_SHAPE = Field((list,), maximum=32, items=Field((int,), minimum=0), label="a shape (a list of sizes)")
_OPTIMIZER_SCHEMA = Schema(
    {
        "class": Field((str,), required=True),
        "convention": Field((str,), required=True),
        "hyperparameters": Field((dict,), required=True),
        "clipping": Field((dict,)),
        "param_groups": Field((list,), required=True, items=Field((dict,))),
        "steps": Field((dict,), required=True),
        "groups": Field((list,), items=Field((list,))),  # positions in model.parameters(), per group
    }
)
_COMPILE_SCHEMA = Schema(
    {
        "optimizer": Field((dict,), table=_OPTIMIZER_SCHEMA),
        "optimizers": Field((dict,)),  # several, by name, each as "optimizer" (a GAN's two)
        "settings": Field((dict,)),  # the other arguments of such a model's own compile
        "loss": Field((dict, str), required=True),
        "metrics": Field((list,), required=True, items=Field((dict,), table=_OBJECT)),
    }
)
_MANIFEST_SCHEMA = Schema(
    {
        "format": Field((str,), required=True),
        "version": Field((int,), required=True, minimum=1, maximum=VERSION),
        "model": Field((dict,), required=True, table=_OBJECT),
        "weights": Field(_NAMES.types, required=True, items=_NAMES.items),
        "frozen": _NAMES,
        "compile": Field((dict, type(None)), table=_COMPILE_SCHEMA),
        "arrays": _NAMES,
        "shapes": Field((dict,)),
        "rng": Field((dict,)),
    }
)


def _check_members(manifest: dict, members: dict, path: Path) -> None:
    """Every array the manifest names is a member, and every member is the manifest or a listed array."""
    listed = manifest.get("arrays")
    if listed is None:  # an early version-1 file: the names that loading reads
        listed = [name for name in members if name != _MANIFEST]
    wanted = {f"weights/{name}.npy" for name in manifest["weights"]} | set(listed)
    for name in sorted(wanted):
        if name not in members:
            raise ModelFileError(f"{path} is damaged: the array {name} is missing")
    for name in members:
        if name != _MANIFEST and name not in wanted:
            raise ModelFileError(
                f"{path}: member {name}: expected only {_MANIFEST} and the arrays it lists, found an "
                "unlisted member"
            )
    for name, shape in manifest.get("shapes", {}).items():
        check_value(shape, _SHAPE, ModelFileError, f"{path}: {_MANIFEST}", f"shapes.{name}")


def _array_header(archive, info, path: Path, expected_shape) -> tuple:
    """(shape, dtype, fortran_order, header bytes) of a ``.npy`` member, checked before any allocation."""
    head_size = min(info.file_size, 1 << 16)
    with archive.open(info) as stream:
        try:
            head = io.BytesIO(stream.read(head_size))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
            raise ModelFileError(f"{path}: member {info.filename} is damaged ({error})") from None
    try:
        major, _ = np.lib.format.read_magic(head)
        reader = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, fortran_order, dtype = reader(head)
    except (ValueError, SyntaxError, TypeError, OSError, EOFError) as error:
        raise ModelFileError(
            f"{path}: member {info.filename}: expected a .npy array header, found damaged data ({error})"
        ) from None
    if dtype.hasobject or dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None:
        raise ModelFileError(
            f"{path}: member {info.filename}: expected a numeric array (float, integer or boolean), found "
            f"dtype {dtype.str} ({dtype.name})"
        )
    if expected_shape is not None and list(shape) != list(expected_shape):
        raise ModelFileError(
            f"{path}: member {info.filename}: expected shape {tuple(expected_shape)} (the manifest's), "
            f"found {tuple(shape)} in its header"
        )
    data_bytes = math.prod(shape) * dtype.itemsize
    if head.tell() + data_bytes != info.file_size:
        raise ModelFileError(
            f"{path}: member {info.filename}: its header promises shape {tuple(shape)} of {dtype.name}, "
            f"{head.tell() + data_bytes:,} bytes in all, but the member declares {info.file_size:,}"
        )
    return tuple(shape), dtype, fortran_order, head.tell()


def _read_array(archive, header: tuple, info, path: Path) -> np.ndarray:
    """The array of a member whose header ``_array_header`` checked: one buffer of its declared size."""
    shape, dtype, fortran_order, offset = header
    try:
        buffer = bytearray(info.file_size)
    except MemoryError:
        raise ModelFileError(
            f"{path}: member {info.filename}: {info.file_size:,} bytes do not fit in memory"
        ) from None
    _read_member(archive, info, path, into=buffer)
    array = np.frombuffer(buffer, dtype=dtype, count=math.prod(shape), offset=offset)
    return array.reshape(shape, order="F" if fortran_order else "C")


# --- reading: the model ----------------------------------------------------------------------------


def _check_sizes(config, headers: dict, path: Path) -> None:
    """Refuse an architecture whose sizes the arrays present cannot back, before anything is built.

    Every size that makes a parameter (units, filters, kernel sizes, vocabulary, embedding width) is a
    dimension of some weight, so an integer of the architecture larger than every dimension of every
    array (and than 64, for strides, pool sizes and counts) is a claim without weights behind it. The
    input shape is the data's, not a weight's: it may hold at most as many values as the arrays together
    (or 2^24).
    """
    largest = max((size for shape, *_ in headers.values() for size in shape), default=0)
    bound = max(largest, _SMALL_SIZE)
    total = sum(math.prod(shape) for shape, *_ in headers.values())

    def walk(value, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "input_shape" and isinstance(item, list):
                    _check_input_shape(item, f"{where}.{key}", max(total, _INPUT_LIMIT), path)
                elif key != "target_shape":  # a reshape's target allocates nothing
                    walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        elif isinstance(value, int) and not isinstance(value, bool) and value > bound:
            raise ModelFileError(
                f"{path}: {_MANIFEST}: {where}: expected a size of at most {bound:,} (the largest dimension "
                f"of the arrays in the file), found {value:,}"
            )

    walk(config, "model")


def _check_input_shape(shape: list, where: str, limit: int, path: Path) -> None:
    sizes = [size for size in shape if size is not None]
    if not all(isinstance(size, int) and not isinstance(size, bool) and size >= 1 for size in sizes):
        raise ModelFileError(f"{path}: {_MANIFEST}: {where}: expected positive sizes, found {shape}")
    if math.prod(sizes) > limit:
        raise ModelFileError(
            f"{path}: {_MANIFEST}: {where}: expected at most {limit:,} values per sample, found "
            f"{math.prod(sizes):,}"
        )


def load_model(
    path,
    custom_objects=None,
    compile: bool = True,  # noqa: A002 - Keras's word
    restore_rng: bool = False,
) -> Module:
    """Rebuild the model saved at ``path``: it predicts identically and, when it was compiled, resumes
    training exactly where it stopped (optimizer state included).

    Args:
        path: a file written by ``model.save``.
        custom_objects: {"ClassName": cls} for your own layer classes.
        compile: restore the optimizer, loss and metrics (when the model was compiled).
        restore_rng: also set glassnet's global generator to its state when the model was saved (files
            of version 2 on), so that the shuffles, dropout masks and a GAN's noise continue as they would
            have: ``fit`` then resumes step for step, as if the run had not stopped.

    Raises:
        FileNotFoundError: no file at ``path``.
        ModelFileError: the file is not a glassnet model, or is damaged or hostile (one line naming the
            member or key, what was expected and what was found).

    Loading draws no random numbers: the global generator is left as it was (unless ``restore_rng``).
    """
    path = Path(path)
    archive, manifest, members = _open(path)
    with archive:
        shapes = manifest.get("shapes", {})
        headers = {
            name: _array_header(archive, members[name], path, shapes.get(name))
            for name in members
            if name != _MANIFEST
        }
        _check_sizes(manifest["model"], headers, path)
        model = _build(manifest["model"], custom_objects, path)
        state = {}
        for name in manifest["weights"]:
            member = f"weights/{name}.npy"
            state[name] = _read_array(archive, headers[member], members[member], path)
        try:
            model.load_state_dict(state)
        except (KeyError, ValueError, RuntimeError) as error:
            message = error.args[0] if error.args else error
            raise ModelFileError(f"{path}: the weights do not fit the architecture: {message}") from None
        frozen = set(manifest.get("frozen", []))
        for name, parameter in model.named_parameters():
            parameter.trainable = name not in frozen
        compiled = manifest.get("compile")
        if compile and compiled is not None:
            _restore_compile(model, compiled, archive, (headers, members), path, custom_objects)
    if restore_rng:
        _restore_rng(manifest.get("rng"), path)
    return model


def _restore_rng(state, path: Path) -> None:
    """Set the global generator to a saved state, checked: it must be the generator glassnet draws from."""
    generator = get_rng().bit_generator
    if state is None:
        raise ModelFileError(
            f"{path}: restore_rng: the file holds no generator state (it was written before format "
            "version 2); load it without restore_rng"
        )
    if state.get("bit_generator") != type(generator).__name__:
        raise ModelFileError(
            f"{path}: {_MANIFEST}: rng: a {state.get('bit_generator')!r} state, but glassnet draws from "
            f"{type(generator).__name__}"
        )
    current = generator.state
    try:
        generator.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        generator.state = current
        raise ModelFileError(f"{path}: {_MANIFEST}: rng: not a generator state ({error})") from None


def _build(config: dict, custom_objects, path: Path) -> Module:
    """The module the manifest describes, built without drawing from the global generator."""
    rng_state = get_rng().bit_generator.state  # building layers draws initial weights: undo that
    try:
        model = deserialize(config, custom_objects)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError) as error:
        message = error.args[0] if error.args else type(error).__name__
        raise ModelFileError(f"{path}: {_MANIFEST}: model: cannot rebuild it ({message})") from None
    except RecursionError:
        raise ModelFileError(f"{path}: {_MANIFEST}: model: nesting too deep to rebuild") from None
    except MemoryError:
        raise ModelFileError(f"{path}: {_MANIFEST}: model: its layers do not fit in memory") from None
    finally:
        get_rng().bit_generator.state = rng_state
    if not isinstance(model, Module):
        raise ModelFileError(f"{path}: {_MANIFEST}: model: expected a module, found {describe(model)}")
    if not model.built:
        raise ModelFileError(f"{path}: the saved model has no input shape, so it cannot be rebuilt")
    return model


def _optimizer_classes() -> dict:
    """The optimizer classes a file may name: glassnet's ``Optimizer`` subclasses, and nothing else."""
    return {
        value.__name__: value
        for value in vars(optim).values()
        if isinstance(value, type) and issubclass(value, optim.Optimizer) and value is not optim.Optimizer
    }


def _metric_classes() -> dict:
    return {
        value.__name__: value
        for value in vars(metrics_module).values()
        if isinstance(value, type)
        and issubclass(value, metrics_module.Metric)
        and value is not metrics_module.Metric
    }


def _optimizer_class(saved: dict, where: str, optimizers: dict):
    """The optimizer class ``saved`` names, among glassnet's classes only."""
    if saved["class"] not in optimizers:
        names = ", ".join(sorted(optimizers))
        raise ModelFileError(f"{where}.class: expected one of {names}, found {describe(saved['class'])}")
    return optimizers[saved["class"]]


def _new_optimizer(cls, saved: dict, model, where: str):
    """The optimizer ``saved`` describes; bound to its parameter groups when it had several."""
    optimizer = cls(convention=saved["convention"], **saved.get("clipping", {}), **saved["hyperparameters"])
    if "groups" not in saved:
        return optimizer
    parameters = model.parameters()
    positions = [k for group in saved["groups"] for k in group]
    count = len(parameters)
    if (
        not all(isinstance(k, int) and not isinstance(k, bool) and 0 <= k < count for k in positions)
        or len(set(positions)) != len(positions)
        or len(saved["groups"]) != len(saved["param_groups"])
    ):
        raise ModelFileError(
            f"{where}.groups: expected {len(saved['param_groups'])} lists of distinct parameter positions in "
            f"0..{len(parameters) - 1}, found {describe(saved['groups'])}"
        )
    return optimizer.bind([{"params": [parameters[k] for k in group]} for group in saved["groups"]])


def _restore_several(model, compiled: dict, archive, arrays: tuple, path: Path) -> None:
    """A model compiled with several optimizers: its own compile, called with them and its settings."""
    where = f"{path}: {_MANIFEST}: compile"
    optimizers, entries, classes = _optimizer_classes(), {}, {}
    for name, saved in compiled["optimizers"].items():
        entries[name] = _OPTIMIZER_SCHEMA.check(saved, ModelFileError, f"{where}.optimizers.{name}")
        classes[name] = _optimizer_class(entries[name], f"{where}.optimizers.{name}", optimizers)
    try:
        built = {
            name: _new_optimizer(classes[name], saved, model, f"{where}.optimizers.{name}")
            for name, saved in entries.items()
        }
        model.compile(**{f"{name}_optimizer": item for name, item in built.items()},
                      **compiled.get("settings", {}))
    except (TypeError, ValueError, KeyError) as error:
        message = error.args[0] if error.args else type(error).__name__
        raise ModelFileError(f"{where}: cannot restore the settings ({message})") from None
    for name, optimizer in built.items():
        _load_optimizer_state(optimizer, entries[name], archive, arrays, f"optimizers/{name}/", path)


def _restore_compile(model, compiled: dict, archive, arrays: tuple, path: Path, custom_objects) -> None:
    where = f"{path}: {_MANIFEST}: compile"
    if "optimizers" in compiled:
        _restore_several(model, compiled, archive, arrays, path)
        return
    if "optimizer" not in compiled:
        raise ModelFileError(f"{where}: expected the key 'optimizer', found none")
    saved = compiled["optimizer"]
    optimizers, metric_classes = _optimizer_classes(), _metric_classes()
    cls = _optimizer_class(saved, f"{where}.optimizer", optimizers)
    for index, metric in enumerate(compiled["metrics"]):
        if metric["class"] not in metric_classes:
            raise ModelFileError(
                f"{where}.metrics[{index}].class: expected one of {', '.join(sorted(metric_classes))}, "
                f"found {describe(metric['class'])}"
            )
    try:
        optimizer = _new_optimizer(cls, saved, model, f"{where}.optimizer")
        metric_objects = [metric_classes[m["class"]](**m["config"]) for m in compiled["metrics"]]
        loss = deserialize(compiled["loss"], custom_objects)  # a name as given, or a loss's saved config
        model.compile(optimizer=optimizer, loss=loss, metrics=metric_objects)
    except (TypeError, ValueError, KeyError) as error:
        message = error.args[0] if error.args else type(error).__name__
        raise ModelFileError(f"{where}: cannot restore the settings ({message})") from None
    _load_optimizer_state(optimizer, saved, archive, arrays, "optimizer/", path)


def _load_optimizer_state(optimizer, saved: dict, archive, arrays: tuple, prefix: str, path: Path) -> None:
    """The step counts of ``saved`` and the state arrays under ``prefix``, loaded into ``optimizer``."""
    where = f"{path}: {_MANIFEST}: compile"
    state = {}
    for index, step in saved["steps"].items():
        state[_state_index(index, f"{_MANIFEST}: compile.optimizer.steps", path)] = {"step": step}
    headers, members = arrays
    for name in sorted(members):
        if name.startswith(prefix) and name.endswith(".npy"):
            index, _, key = name[len(prefix) : -len(".npy")].partition(".")
            index = _state_index(index, f"member {name}", path)
            state.setdefault(index, {"step": 0})[key] = _read_array(
                archive, headers[name], members[name], path
            )
    try:
        optimizer.load_state_dict(
            {
                "optimizer": saved["class"],
                "convention": saved["convention"],
                "state": state,
                "param_groups": saved["param_groups"],
            }
        )
    except (TypeError, ValueError, KeyError, IndexError) as error:
        message = error.args[0] if error.args else type(error).__name__
        raise ModelFileError(f"{where}: the optimizer state does not fit the model ({message})") from None


def _state_index(text: str, where: str, path: Path) -> int:
    if not text.isdigit() or len(text) > 9:
        raise ModelFileError(f"{path}: {where}: expected a parameter index, found {describe(text)}")
    return int(text)
