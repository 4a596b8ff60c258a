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


def _with_version(source: Path, target: Path, version: int, drop=()) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.namelist():
            content = old.read(item)
            if item == "glassnet.json":
                manifest = json.loads(content)
                manifest["version"] = version
                for key in drop:
                    manifest.pop(key, None)
                content = json.dumps(manifest).encode()
            new.writestr(item, content)
    return target


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
