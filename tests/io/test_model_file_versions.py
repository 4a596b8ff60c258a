"""The model file's format versions: the README's table lists each one of ``FORMAT_VERSIONS`` up to
``VERSION``; a file of every listed version is read, one of a newer version is refused."""

import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.io import VERSION, ModelFileError, load_model
from glassnet.io.model_file import FORMAT_VERSIONS


def _with_manifest(source: Path, target: Path, edit) -> Path:
    """A copy of the model file ``source`` whose manifest ``edit(manifest)`` has changed in place."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.namelist():
            content = old.read(item)
            if item == "glassnet.json":
                manifest = json.loads(content)
                edit(manifest)
                content = json.dumps(manifest).encode()
            new.writestr(item, content)
    return target


def _with_version(source: Path, target: Path, version: int, drop=()) -> Path:
    def edit(manifest):
        manifest["version"] = version
        for key in drop:
            manifest.pop(key, None)

    return _with_manifest(source, target, edit)


def test_the_readme_lists_every_version():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Model file versions", 1)[1]
    listed = [int(v) for v in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)]
    assert listed == sorted(FORMAT_VERSIONS) == list(range(1, VERSION + 1))
    for version, holds in FORMAT_VERSIONS.items():
        assert f"| {version} | glassnet 0.1 | {holds} |" in section


def test_every_older_version_is_read_and_a_newer_one_refused(tmp_path):
    model = nn.Sequential([nn.Dense(3), nn.Dense(2)], input_shape=(4,))
    path = model.save(tmp_path / "m.glassnet")
    x = np.ones((1, 4), np.float32)
    for version in FORMAT_VERSIONS:  # the earliest files of each version lack the later optional keys
        old = _with_version(path, tmp_path / f"v{version}.glassnet", version, drop=("shapes",))
        np.testing.assert_array_equal(load_model(old)(gn.tensor(x)).data, model(gn.tensor(x)).data)
    newer = _with_version(path, tmp_path / "newer.glassnet", VERSION + 1)
    with pytest.raises(ModelFileError, match=f"newer glassnet \\(format version {VERSION + 1}\\); upgrade"):
        load_model(newer)
    with pytest.raises(ModelFileError, match="version"):
        load_model(_with_version(path, tmp_path / "zero.glassnet", 0))


def test_restore_rng_continues_the_random_stream_of_the_save(tmp_path):
    gn.manual_seed(3)
    model = nn.Sequential([nn.Dense(2)], input_shape=(4,))
    path = model.save(tmp_path / "m.glassnet")
    expected = gn.backend.get_rng().random(5)
    gn.manual_seed(77)
    load_model(path)  # without restore_rng the generator is left alone
    np.testing.assert_array_equal(gn.backend.get_rng().random(5), np.random.default_rng(77).random(5))
    load_model(path, restore_rng=True)
    np.testing.assert_array_equal(gn.backend.get_rng().random(5), expected)

    old = _with_version(path, tmp_path / "v1.glassnet", 1, drop=("rng",))
    with pytest.raises(ModelFileError, match="holds no generator state.*load it without restore_rng"):
        load_model(old, restore_rng=True)


@pytest.mark.parametrize(
    "rng, message",
    [
        ({"bit_generator": "MT19937", "state": {}}, "a 'MT19937' state, but glassnet draws from PCG64"),
        ({"bit_generator": "PCG64", "state": {"state": "x"}}, "rng: not a generator state"),
    ],
)
def test_a_bad_generator_state_is_refused_and_the_generator_left_as_it_was(tmp_path, rng, message):
    model = nn.Sequential([nn.Dense(2)], input_shape=(4,))
    path = model.save(tmp_path / "m.glassnet")
    bad = _with_manifest(path, tmp_path / "bad.glassnet", lambda manifest: manifest.update(rng=rng))
    gn.manual_seed(5)
    with pytest.raises(ModelFileError, match=message):
        load_model(bad, restore_rng=True)
    np.testing.assert_array_equal(gn.backend.get_rng().random(3), np.random.default_rng(5).random(3))
