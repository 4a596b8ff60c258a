"""Saving and loading whole models: architecture, weights, compile settings and optimizer state, in one file.

The file is a zip archive (no pickle anywhere, so loading a file cannot run code):

- ``glassnet.json``: the format name and version, the model's architecture (``nn.serialization``), the
  compile settings (optimizer class, convention and hyperparameters, loss, metrics), the optimizer's
  per-parameter step counts and hyperparameters per group, and the list of arrays;
- ``weights/<name>.npy``: each entry of the model's ``state_dict`` (parameters and buffers);
- ``optimizer/<index>.<state>.npy``: the optimizer's state arrays (momentum, squared-gradient sums, ...).

Arrays are ``.npy`` files read with ``allow_pickle=False``. Writing is atomic: the archive is written to a
temporary file beside the target and renamed over it, so an interrupted save leaves the old file intact.
Frozen parameters (``trainable=False``) stay frozen after loading.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from glassnet import optim
from glassnet.backend import get_rng
from glassnet.nn.module import Module
from glassnet.nn.serialization import deserialize, serialize
from glassnet.train import metrics as metrics_module

__all__ = ["save_model", "load_model", "ModelFileError", "FORMAT", "VERSION"]

FORMAT, VERSION = "glassnet-model", 1
_MANIFEST = "glassnet.json"


class ModelFileError(ValueError):
    """The file is not a glassnet model, or it is damaged."""


def _npy_bytes(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _compile_config(model) -> dict | None:
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        return None
    optimizer = model.optimizer
    state = optimizer.state_dict()
    return {
        "optimizer": {
            "class": type(optimizer).__name__,
            "convention": optimizer.convention,
            "hyperparameters": optimizer.defaults,
            "clipping": {
                key: getattr(optimizer, key, None) for key in ("clipnorm", "clipvalue", "global_clipnorm")
            },
            "param_groups": state["param_groups"],
            "steps": {str(index): entry["step"] for index, entry in state["state"].items()},
        },
        "loss": serialize(model.loss),
        "metrics": [metrics_module.metric_config(metric) for metric in model.compiled_metrics],
    }


def save_model(model: Module, path) -> Path:
    """Write ``model`` to ``path`` (any name; ".glassnet" by convention), atomically. Returns the path."""
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
        for index, entry in model.optimizer.state_dict()["state"].items():
            for key, value in entry.items():
                if key != "step":
                    arrays[f"optimizer/{index}.{key}.npy"] = value
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "model": serialize(model),
        "weights": list(state),
        "frozen": [name for name, flag in trainable.items() if not flag],
        "compile": compiled,
        "arrays": sorted(arrays),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot save {value!r} in a model file")


def _open(path: Path) -> tuple:
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ModelFileError(
            f"{path} is not a glassnet model file (not a zip archive, or truncated)"
        ) from None
    try:
        manifest = json.loads(archive.read(_MANIFEST))
    except KeyError:
        archive.close()
        raise ModelFileError(f"{path} is a zip archive but not a glassnet model (no {_MANIFEST})") from None
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        archive.close()
        raise ModelFileError(f"{path} is damaged: {error}") from None
    if manifest.get("format") != FORMAT:
        archive.close()
        raise ModelFileError(f"{path} is not a glassnet model file (format {manifest.get('format')!r})")
    if manifest.get("version", 0) > VERSION:
        archive.close()
        raise ModelFileError(
            f"{path} was written by a newer glassnet (format version {manifest['version']}); "
            "upgrade glassnet to read it"
        )
    return archive, manifest


def _read_array(archive, name: str, path: Path):
    try:
        return np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
    except KeyError:
        raise ModelFileError(f"{path} is damaged: the array {name} is missing") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise ModelFileError(f"{path} is damaged: cannot read {name} ({error})") from None


def load_model(path, custom_objects=None, compile: bool = True) -> Module:  # noqa: A002 - Keras's word
    """Rebuild the model saved at ``path``: it predicts identically and, when it was compiled, resumes
    training exactly where it stopped (optimizer state included).

    Args:
        path: a file written by ``model.save``.
        custom_objects: {"ClassName": cls} for your own layer classes.
        compile: restore the optimizer, loss and metrics (when the model was compiled).

    Loading draws no random numbers: the global generator is left as it was.
    """
    path = Path(path)
    archive, manifest = _open(path)
    with archive:
        rng_state = get_rng().bit_generator.state  # building layers draws initial weights: undo that
        try:
            model = deserialize(manifest["model"], custom_objects)
        finally:
            get_rng().bit_generator.state = rng_state
        if not model.built:
            raise ModelFileError(f"{path}: the saved model has no input shape, so it cannot be rebuilt")
        state = {name: _read_array(archive, f"weights/{name}.npy", path) for name in manifest["weights"]}
        model.load_state_dict(state)
        frozen = set(manifest.get("frozen", []))
        for name, parameter in model.named_parameters():
            parameter.trainable = name not in frozen
        compiled = manifest.get("compile")
        if compile and compiled is not None:
            _restore_compile(model, compiled, archive, path, custom_objects)
    return model


def _restore_compile(model, compiled: dict, archive, path: Path, custom_objects) -> None:
    saved = compiled["optimizer"]
    optimizer_class = getattr(optim, saved["class"], None)
    if optimizer_class is None:
        raise ModelFileError(f"{path}: unknown optimizer {saved['class']!r}")
    optimizer = optimizer_class(
        convention=saved["convention"], **saved.get("clipping", {}), **saved["hyperparameters"]
    )
    metric_classes = {
        cls.__name__: cls
        for cls in vars(metrics_module).values()
        if isinstance(cls, type) and issubclass(cls, metrics_module.Metric)
    }
    metric_objects = [metric_classes[m["class"]](**m["config"]) for m in compiled["metrics"]]
    loss = deserialize(compiled["loss"], custom_objects)  # a name as given, or a loss's saved config
    model.compile(optimizer=optimizer, loss=loss, metrics=metric_objects)
    state = {index: {"step": step} for index, step in saved["steps"].items()}
    prefix = "optimizer/"
    for name in archive.namelist():
        if name.startswith(prefix) and name.endswith(".npy"):
            index, key = name[len(prefix) : -len(".npy")].split(".", 1)
            state.setdefault(index, {"step": 0})[key] = _read_array(archive, name, path)
    optimizer.load_state_dict(
        {
            "optimizer": saved["class"],
            "convention": saved["convention"],
            "state": {int(k): v for k, v in state.items()},
            "param_groups": saved["param_groups"],
        }
    )
