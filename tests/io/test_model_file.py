"""Whole-model files: identical predictions, exact resumption, frozen flags, clear errors."""

import json
import zipfile

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.io import ModelFileError, load_model


def data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    return x, (x[:, 0] - x[:, 2] > 0).astype(np.int64)


def make_model(optimizer=None):
    model = nn.Sequential(
        [
            nn.Dense(6, activation=nn.LeakyReLU(0.2), weight_regularizer=nn.L2(1e-3)),
            nn.BatchNorm(),
            nn.Dropout(0.1),
            nn.Dense(5, activation="prelu"),
            nn.Dense(2),
        ],
        input_shape=(4,),
    )
    model.compile(
        optimizer=optimizer or optim.Adam(lr=0.01, convention="keras"),
        loss=nn.SparseCategoricalCrossEntropy(from_logits=True),
        metrics=["accuracy", "f1"],
    )
    return model


def test_round_trip_predicts_identically_and_keeps_settings(tmp_path):
    x, y = data()
    model = make_model()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = model.save(tmp_path / "model.glassnet")
    loaded = load_model(path)
    assert nn.load_model is load_model
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.format_summary() == model.format_summary()
    assert isinstance(loaded[0].activation, nn.LeakyReLU) and loaded[0].activation.alpha == 0.2
    assert loaded[0].weight_regularizer.l2 == 1e-3
    assert loaded.optimizer.convention == "keras" and loaded.optimizer.defaults["lr"] == 0.01
    assert [m.name for m in loaded.compiled_metrics] == ["accuracy", "f1"]
    assert loaded.loss.from_logits
    np.testing.assert_array_equal(loaded[1].running_var, model[1].running_var)


@pytest.mark.parametrize(
    "optimizer",
    [
        optim.SGD(lr=0.1, momentum=0.9),
        optim.Adam(lr=0.01),
        optim.RMSProp(lr=0.01, convention="pytorch"),
        optim.Adagrad(lr=0.1),
        optim.Adadelta(),
    ],
    ids=lambda o: type(o).__name__,
)
def test_resumed_training_equals_uninterrupted_training(tmp_path, optimizer):
    x, y = data()
    gn.manual_seed(5)
    straight = make_model(optimizer)
    state = straight.state_dict()
    straight.fit(x, y, epochs=4, batch_size=16, verbose=0)

    gn.manual_seed(5)
    first = make_model(type(optimizer)(convention=optimizer.convention, **optimizer.defaults))
    first.load_state_dict(state)
    first.fit(x, y, epochs=2, batch_size=16, verbose=0)
    first.save(tmp_path / "half.glassnet")
    resumed = load_model(tmp_path / "half.glassnet")  # draws no random numbers: shuffling continues alike
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0)
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_frozen_flags_survive(tmp_path):
    model = make_model()
    model[0].trainable = False
    loaded = load_model(model.save(tmp_path / "frozen.glassnet"))
    assert not loaded[0].trainable and loaded[3].trainable


def test_uncompiled_and_compile_false(tmp_path):
    model = nn.Sequential([nn.Dense(3, activation="tanh"), nn.Dense(1)], input_shape=(2,))
    loaded = load_model(model.save(tmp_path / "plain.glassnet"))
    assert loaded.optimizer is None
    compiled = load_model(make_model().save(tmp_path / "c.glassnet"), compile=False)
    assert compiled.optimizer is None


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "model.glassnet"
    model = make_model()
    model.save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", broken)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["model.glassnet"]


def test_truncated_foreign_and_damaged_files_are_refused(tmp_path):
    good = make_model().save(tmp_path / "good.glassnet")
    truncated = tmp_path / "truncated.glassnet"
    truncated.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(
        ModelFileError, match="not a glassnet model file \\(not a zip archive, or truncated\\)"
    ):
        load_model(truncated)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a zip archive"):
        load_model(text)
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("data.csv", "a,b\n")
    with pytest.raises(ModelFileError, match="a zip archive but not a glassnet model"):
        load_model(foreign)
    missing = tmp_path / "missing.glassnet"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(missing, "w") as target:
        for item in source.namelist():
            if item != "weights/0.weight.npy":
                target.writestr(item, source.read(item))
    with pytest.raises(ModelFileError, match="damaged: the array weights/0.weight.npy is missing"):
        load_model(missing)
    newer = tmp_path / "newer.glassnet"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(newer, "w") as target:
        for item in source.namelist():
            content = source.read(item)
            if item == "glassnet.json":
                manifest = json.loads(content)
                manifest["version"] = 99
                content = json.dumps(manifest)
            target.writestr(item, content)
    with pytest.raises(ModelFileError, match="newer glassnet"):
        load_model(newer)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nothing.glassnet")


def test_files_hold_no_pickle(tmp_path):
    path = make_model().save(tmp_path / "m.glassnet")
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.endswith(".npy"):
                np.load(archive.open(name), allow_pickle=False)  # raises if an object array were stored


def test_custom_layers_round_trip_with_custom_objects(tmp_path):
    class Scale(nn.Module):
        def __init__(self, factor=2.0, name=None):
            super().__init__(name=name)
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    model = nn.Sequential([nn.Dense(2), Scale(3.0)], input_shape=(2,))
    path = model.save(tmp_path / "custom.glassnet")
    x = np.ones((1, 2), np.float32)
    np.testing.assert_array_equal(
        load_model(path, custom_objects={"Scale": Scale}).predict(x), model.predict(x)
    )


def test_gradient_clipping_survives_saving(tmp_path):
    model = make_model(optim.SGD(lr=0.1, momentum=0.9, clipnorm=0.5, clipvalue=0.1))
    loaded = load_model(model.save(tmp_path / "clipped.glassnet"))
    optimizer = loaded.optimizer
    assert (optimizer.clipnorm, optimizer.clipvalue, optimizer.global_clipnorm) == (0.5, 0.1, None)


def _grouped_adamw(model):
    """nanoGPT's groups: weight decay on the matrices, none on the vectors (biases, norms)."""
    parameters = model.parameters()
    return optim.AdamW(
        [
            {"params": [p for p in parameters if p.ndim < 2], "weight_decay": 0.0},
            {"params": [p for p in parameters if p.ndim >= 2], "weight_decay": 0.1},
        ],
        lr=0.01,
        convention="pytorch",
    )


def _grouped_model():
    model = nn.Sequential([nn.Dense(6, activation="tanh"), nn.LayerNorm(), nn.Dense(2)], input_shape=(4,))
    model.compile(optimizer=_grouped_adamw(model), loss=nn.SparseCategoricalCrossEntropy(from_logits=True))
    return model


def test_parameter_groups_survive_saving_and_resume_exactly(tmp_path):
    x, y = data()
    gn.manual_seed(3)
    straight = _grouped_model()
    state = straight.state_dict()
    straight.fit(x, y, epochs=4, batch_size=16, verbose=0)
    gn.manual_seed(3)
    first = _grouped_model()
    first.load_state_dict(state)
    first.fit(x, y, epochs=2, batch_size=16, verbose=0)
    resumed = load_model(first.save(tmp_path / "groups.glassnet"))
    groups = resumed.optimizer.param_groups
    assert [g["weight_decay"] for g in groups] == [0.0, 0.1]
    assert [[p.ndim for p in g["params"]] for g in groups] == [[1, 1, 1, 1], [2, 2]]
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0)
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize(
    "groups", [[[0, 1, 2, 9], [3, 4, 5]], [[0, 0, 1, 2], [3, 4]], [[0, 1], [2], [3, 4, 5]], [["0"], [1]]]
)
def test_hostile_parameter_groups_are_refused(tmp_path, groups):
    good = _grouped_model().save(tmp_path / "good.glassnet")
    bad = tmp_path / "bad.glassnet"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for item in source.namelist():
            content = source.read(item)
            if item == "glassnet.json":
                manifest = json.loads(content)
                manifest["compile"]["optimizer"]["groups"] = groups
                content = json.dumps(manifest)
            target.writestr(item, content)
    expected = r"compile.optimizer.groups: expected 2 lists of distinct parameter positions in 0..5"
    with pytest.raises(ModelFileError, match=expected):
        load_model(bad)
