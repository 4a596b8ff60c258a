"""Hostile and broken model files: each is refused in one line naming the member or key, within 1 GiB of
address space and a time limit, or (valid input) loads correctly. See hostile_harness.py."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))  # the builders beside this file (tests are not a package)
from hostile_files import deflated_zeros, load_harness, raw_member, raw_zip, zip_members  # noqa: E402

sys.path.pop(0)

from glassnet import nn, optim  # noqa: E402
from glassnet.io import load_model  # noqa: E402

harness = load_harness()


def _model():
    model = nn.Sequential([nn.Dense(3, activation="relu"), nn.Dense(2)], input_shape=(4,))
    model.compile(optimizer=optim.SGD(lr=0.1, momentum=0.9), loss="mse", metrics=["mae"])
    model.fit(np.ones((4, 4), np.float32), np.zeros((4, 2), np.float32), epochs=1, verbose=0)
    return model


def _tampered(root: Path, change) -> Path:
    """A valid model file, rewritten member by member: ``change(members)`` edits the list of (name, bytes)."""
    path = _model().save(root / "model.glassnet")
    members = zip_members(path)
    change(members)
    return raw_zip(path, [raw_member(name, data) for name, data in members])


def _edit_manifest(root: Path, edit) -> Path:
    def change(members):
        manifest = json.loads(members[0][1])
        edit(manifest)
        members[0] = ("glassnet.json", json.dumps(manifest).encode())

    return _tampered(root, change)


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _replace_member(name: str, data: bytes):
    def change(members):
        members[:] = [(n, data if n == name else d) for n, d in members]

    return change


# --- the cases: each builds its files under root and returns what a user would do with them ----------


def valid_model_loads(root):
    model = _model()
    path = model.save(root / "out" / "model.glassnet")
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    return lambda: bool(np.array_equal(load_model(path).predict(x), model.predict(x)))


def zip_bomb_declared_size(root):
    path = _model().save(root / "model.glassnet")
    members = [raw_member(n, d) for n, d in zip_members(path)]
    name, body, method, crc, _ = members[0]
    members[0] = (name, body, method, crc, 3 << 30)  # the manifest "inflates" to 3 GiB
    raw_zip(path, members)
    return lambda: load_model(path)


def manifest_inflates_past_limit(root):
    body, crc, size = deflated_zeros(40 << 20, prefix=b'{"format": "glassnet-model", "x": "')
    path = raw_zip(root / "model.glassnet", [("glassnet.json", body, 8, crc, size)])
    return lambda: load_model(path)


def manifest_longer_than_declared(root):
    body, crc, size = deflated_zeros(8 << 20, prefix=b'{"format": "glassnet-model"}')
    path = raw_zip(root / "model.glassnet", [("glassnet.json", body, 8, crc, 1000)])
    return lambda: load_model(path)


def npy_followed_by_zeros(root):
    path = _model().save(root / "model.glassnet")
    members = [raw_member(n, d) for n, d in zip_members(path)]
    index = next(i for i, m in enumerate(members) if m[0] == "weights/0.bias.npy")
    body, crc, size = deflated_zeros(200 << 20, prefix=_npy(np.zeros(3, np.float32)))
    members[index] = ("weights/0.bias.npy", body, 8, crc, size)
    raw_zip(path, members)
    return lambda: load_model(path)


def npy_header_claims_huge_shape(root):
    header = _npy(np.zeros(3, np.float32)).replace(b"(3,)", b"(1000000, 1000000)")
    path = _tampered(root, _replace_member("weights/0.bias.npy", header))
    return lambda: load_model(path)


def npy_huge_shape_without_manifest_shapes(root):
    big = _npy(np.zeros(3, np.float32)).replace(b"(3,)", b"(10**12,)".replace(b"10**12", b"1000000000000"))

    def change(members):
        manifest = json.loads(members[0][1])
        del manifest["shapes"]  # as the first version-1 files were written
        members[0] = ("glassnet.json", json.dumps(manifest).encode())
        _replace_member("weights/0.bias.npy", big)(members)

    path = _tampered(root, change)
    return lambda: load_model(path)


def dense_with_1e8_units(root):
    def edit(manifest):
        manifest["model"]["config"]["layers"][0]["config"]["units"] = 10**8

    path = _edit_manifest(root, edit)
    return lambda: load_model(path)


def input_shape_of_1e9_values(root):
    def edit(manifest):
        manifest["model"]["config"]["input_shape"] = [10**9]

    path = _edit_manifest(root, edit)
    return lambda: load_model(path)


def weights_that_do_not_fit(root):
    path = _tampered(root, _replace_member("weights/0.bias.npy", _npy(np.zeros(5, np.float32))))

    def change(members):
        manifest = json.loads(members[0][1])
        manifest["shapes"]["weights/0.bias.npy"] = [5]
        members[0] = ("glassnet.json", json.dumps(manifest).encode())

    members = zip_members(path)
    change(members)
    raw_zip(path, [raw_member(n, d) for n, d in members])
    return lambda: load_model(path)


def duplicated_member(root):
    path = _tampered(root, lambda m: m.append(("weights/0.weight.npy", _npy(np.ones((4, 3), np.float32)))))
    return lambda: load_model(path)


def unlisted_member(root):
    path = _tampered(root, lambda m: m.append(("run_me.py", b"print('hello')")))
    return lambda: load_model(path)


def bzip2_member(root):
    path = _model().save(root / "model.glassnet")
    members = [raw_member(n, d) for n, d in zip_members(path)]
    name, body, _, crc, size = members[1]
    members[1] = (name, body, 12, crc, size)  # method 12: bzip2, whose ratio has no useful bound
    raw_zip(path, members)
    return lambda: load_model(path)


def text_typed_weight(root):
    def change(members):
        _replace_member("weights/0.bias.npy", _npy(np.array(["a", "b", "c"])))(members)
        manifest = json.loads(members[0][1])
        members[0] = ("glassnet.json", json.dumps(manifest).encode())

    path = _tampered(root, change)
    return lambda: load_model(path)


def optimizer_class_outside_optimizers(root):
    path = _edit_manifest(root, lambda m: m["compile"]["optimizer"].update({"class": "get"}))
    return lambda: load_model(path)


def unknown_metric(root):
    path = _edit_manifest(root, lambda m: m["compile"]["metrics"][0].update({"class": "Accurazy"}))
    return lambda: load_model(path)


def weights_is_a_string(root):
    path = _edit_manifest(root, lambda m: m.update({"weights": "0.weight"}))
    return lambda: load_model(path)


def weights_missing(root):
    path = _edit_manifest(root, lambda m: m.pop("weights"))
    return lambda: load_model(path)


def units_is_a_string(root):
    path = _edit_manifest(
        root, lambda m: m["model"]["config"]["layers"][0]["config"].update({"units": "ten"})
    )
    return lambda: load_model(path)


def model_is_a_list(root):
    path = _edit_manifest(root, lambda m: m.update({"model": [1, 2]}))
    return lambda: load_model(path)


def optimizer_step_index_not_a_number(root):
    path = _edit_manifest(root, lambda m: m["compile"]["optimizer"].update({"steps": {"x": 1}}))
    return lambda: load_model(path)


def deeply_nested_manifest(root):
    deep = b'{"format": "glassnet-model", "version": 1, "model": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    path = raw_zip(root / "model.glassnet", [raw_member("glassnet.json", deep)])
    return lambda: load_model(path)


def flipped_byte_in_deflated_member(root):
    path = _model().save(root / "model.glassnet")
    members = [raw_member(n, d) for n, d in zip_members(path)]
    name, body, method, crc, size = members[0]
    middle = len(body) // 2
    members[0] = (name, body[:middle] + bytes([body[middle] ^ 0xFF]) + body[middle + 1 :], method, crc, size)
    raw_zip(path, members)
    return lambda: load_model(path)


def non_utf8_manifest(root):
    path = raw_zip(root / "model.glassnet", [raw_member("glassnet.json", b'{"format": "\xff\xfe"}')])
    return lambda: load_model(path)


def directory_as_model_file(root):
    (root / "model.glassnet").mkdir()
    return lambda: load_model(root / "model.glassnet")


CASES = {
    "valid_model_loads": ("ok", "True"),
    "zip_bomb_declared_size": (
        "ModelFileError",
        r"member glassnet\.json: expected at most .* \(a zip bomb\?\)",
    ),
    "manifest_inflates_past_limit": ("ModelFileError", r"glassnet\.json: expected at most 16,777,216 bytes"),
    "manifest_longer_than_declared": ("ModelFileError", r"member glassnet\.json is damaged \(Bad CRC-32"),
    "npy_followed_by_zeros": (
        "ModelFileError",
        r"weights/0\.bias\.npy: its header promises shape \(3,\) of float32, 140 bytes in all, but the "
        r"member declares 209,715,340",
    ),
    "npy_header_claims_huge_shape": (
        "ModelFileError",
        r"weights/0\.bias\.npy: expected shape \(3,\) \(the manifest's\), found \(1000000, 1000000\)",
    ),
    "npy_huge_shape_without_manifest_shapes": (
        "ModelFileError",
        r"header promises shape \(1000000000000,\) of float32, 4,000,000,000,128 bytes",
    ),
    "dense_with_1e8_units": (
        "ModelFileError",
        r"model\.config\.layers\[0\]\.config\.units: expected a size of at most 64 .*found 100,000,000",
    ),
    "input_shape_of_1e9_values": (
        "ModelFileError",
        r"model\.config\.input_shape: expected at most 16,777,216 values per sample, found 1,000,000,000",
    ),
    "weights_that_do_not_fit": (
        "ModelFileError",
        r"weights do not fit the architecture: .*'0\.bias' has shape",
    ),
    "duplicated_member": ("ModelFileError", r"member weights/0\.weight\.npy: expected once, found it twice"),
    "unlisted_member": ("ModelFileError", r"member run_me\.py: expected only glassnet\.json and the arrays"),
    "bzip2_member": ("ModelFileError", r"expected stored or deflated data, found compression method 12"),
    "text_typed_weight": (
        "ModelFileError",
        r"weights/0\.bias\.npy: expected a numeric array .*found dtype <U1",
    ),
    "optimizer_class_outside_optimizers": (
        "ModelFileError",
        r"compile\.optimizer\.class: expected one of Adadelta, Adagrad, Adam, AdamW, Nadam, RMSProp, SGD, "
        r"found the string 'get'",
    ),
    "unknown_metric": ("ModelFileError", r"compile\.metrics\[0\]\.class: expected one of .*'Accurazy'"),
    "weights_is_a_string": ("ModelFileError", r"glassnet\.json: weights: expected a list, found the string"),
    "weights_missing": ("ModelFileError", r"glassnet\.json: weights: missing; expected a list"),
    "units_is_a_string": ("ModelFileError", r"model: cannot rebuild it \(Dense: units must be a positive"),
    "model_is_a_list": ("ModelFileError", r"glassnet\.json: model: expected a table, found a list of 2"),
    "optimizer_step_index_not_a_number": (
        "ModelFileError",
        r"compile\.optimizer\.steps: expected a parameter index, found the string 'x'",
    ),
    "deeply_nested_manifest": ("ModelFileError", r"glassnet\.json: expected JSON, found nesting too deep"),
    "flipped_byte_in_deflated_member": ("ModelFileError", r"member glassnet\.json is damaged"),
    "non_utf8_manifest": ("ModelFileError", r"glassnet\.json: expected UTF-8 JSON, found invalid"),
    "directory_as_model_file": ("ModelFileError", r"expected a model file, found a directory"),
}


outcomes, test_hostile_model_file = harness.family(__file__, CASES, "hostile-models")
