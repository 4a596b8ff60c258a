"""ONNX export (glassnet.io.onnx): every row of tests/io/onnx_table.py exported, checked by
``onnx.checker`` (full check) and run by ONNX Runtime at two batch sizes, whose outputs must equal
glassnet's (float32, evaluation mode) to 1e-5 relative (to the output's largest magnitude); a row or a
NOT_EXPORTABLE reason for every public layer class; and the bad inputs, which raise one clear error and
write no file."""

import inspect
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the table beside this file (tests are not a package)
from onnx_table import KNOWN_OPTIONS, ROWS  # noqa: E402

sys.path.pop(0)

import glassnet as gn  # noqa: E402
from glassnet import nn  # noqa: E402
from glassnet.io.onnx import CONVERTERS, NOT_EXPORTABLE, NotExportable, export_onnx  # noqa: E402
from glassnet.nn.losses import Loss  # noqa: E402
from glassnet.nn.module import Module  # noqa: E402

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

RTOL = 1e-5
BATCHES = (1, 3)
OPSETS = (17, 21)  # the default (oldest) and a current one: the ops whose form changed in between
PUBLIC_MODULES = (nn, nn.activations, nn.layers)


def draw(row, batch, rng):
    if row.ids:
        return rng.integers(0, row.ids, (batch, *row.shape)).astype(np.int64)
    return rng.standard_normal((batch, *row.shape)).astype(np.float32)


def randomize(model, rng):
    """Every weight and floating buffer random (biases and running statistics too, so a wrong layout shows;
    counters such as a moving average's n_averaged keep their integer values)."""
    state = {
        key: rng.uniform(0.5, 1.5, value.shape) if "running_var" in key else rng.normal(0, 0.5, value.shape)
        for key, value in model.state_dict().items()
        if np.issubdtype(value.dtype, np.floating)
    }
    current = model.state_dict()
    model.load_state_dict({key: np.float32(state[key]) if key in state else current[key] for key in current})


def flat(result):
    if isinstance(result, (list, tuple)):
        return [array for item in result for array in flat(item)]
    return [np.asarray(getattr(result, "data", result))]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_onnx_runtime_matches_glassnet(row, tmp_path):
    rng = np.random.default_rng(0)
    model = row.make()
    call(model, row, rng, 0)  # builds it
    model.eval()  # after building: a block that makes its layers in build() must reach them too
    randomize(model, rng)
    sessions = []
    for opset in (max(OPSETS[0], row.opset), OPSETS[1]):
        path = model.export_onnx(tmp_path / f"model{opset}.onnx", input_shape=row.shape, opset=opset)
        proto = onnx.load(str(path))
        assert proto.opset_import[0].version == opset
        onnx.checker.check_model(proto, full_check=True)
        sessions.append(ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]))
    for k, batch in enumerate(BATCHES):  # two batch sizes (two graphs of other node and edge counts)
        xs = row.feed(rng, k + 1) if row.feed else [draw(row, batch, rng)]
        want = flat(call(model, row, xs=xs))
        for session in sessions:
            got = session.run(None, {spec.name: x for spec, x in zip(session.get_inputs(), xs, strict=True)})
            assert len(got) == len(want)
            for ours, theirs in zip(want, got):
                assert theirs.shape == ours.shape
                scale = max(float(np.abs(ours).max()), 1e-30)
                np.testing.assert_allclose(theirs, ours, rtol=RTOL, atol=RTOL * scale)


def call(model, row, rng=None, k=0, xs=None):
    """glassnet's output on the row's inputs (drawn for size k when not given)."""
    if xs is None:
        xs = row.feed(rng, k) if row.feed else [draw(row, 2, rng)]
    if row.spread:
        return model(*xs)
    return model(xs if len(xs) > 1 else xs[0])


def _classes(model):
    return {type(module).__name__ for module in model.modules()}


def test_every_public_layer_has_an_export_row_or_a_reason():
    public = {
        getattr(module, name).__name__
        for module in PUBLIC_MODULES
        for name in module.__all__
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), Module)
        and not issubclass(getattr(module, name), Loss)
    }
    covered = set().union(*(_classes(row.make()) for row in ROWS))
    missing = public - covered - set(NOT_EXPORTABLE)
    assert not missing, f"public layers with no row in onnx_table.py nor NOT_EXPORTABLE: {sorted(missing)}"
    assert not set(NOT_EXPORTABLE) - public, "NOT_EXPORTABLE names a class glassnet.nn no longer exports"
    exported = {type(row.make()).__name__ for row in ROWS}
    assert not set(NOT_EXPORTABLE) & exported, "a class is both exported by a row and NOT_EXPORTABLE"
    untested = {cls.__name__ for cls in CONVERTERS} - covered
    assert not untested, f"converters with no row: {sorted(untested)}"
    assert len({row.name for row in ROWS}) == len(ROWS)


def test_recurrent_gate_orders_are_onnx_s():
    """ONNX's LSTM takes the gate blocks i, o, f, c and GRU z, r, h; glassnet's LSTM stores i, f, g, o and
    its PyTorch-convention GRU r, z, n."""
    from glassnet.io.onnx.recurrent import onnx_weights

    lstm, gru = nn.LSTM(1, use_bias=False), nn.GRU(1, convention="pytorch")
    lstm.build((None, 2, 1)), gru.build((None, 2, 1))
    lstm.kernel.data[...] = [[0, 1, 2, 3]]  # i, f, g, o
    gru.kernel.data[...] = [[0, 1, 2]]  # r, z, n
    gru.bias.data[...], gru.recurrent_bias.data[...] = [0, 1, 2], [3, 4, 5]
    assert onnx_weights(lstm)[0].ravel().tolist() == [0, 3, 1, 2] and onnx_weights(lstm)[2] is None
    w, _, bias = onnx_weights(gru)
    assert w.ravel().tolist() == [1, 0, 2] and bias.ravel().tolist() == [1, 0, 2, 4, 3, 5]


# --- bad input ---------------------------------------------------------------------------------------------
class Twice(Module):
    def forward(self, x):
        return x * 2


def _refused(model, tmp_path, match, input_shape=None, error=NotExportable):
    path = tmp_path / "refused.onnx"
    with pytest.raises(error, match=match):
        export_onnx(model, path, input_shape=input_shape)
    assert not path.exists(), "a refused export must not leave a file"


def test_a_custom_module_is_refused_by_name(tmp_path):
    model = nn.Sequential([nn.Dense(2), Twice(name="twice")], input_shape=(3,))
    _refused(model, tmp_path, r"cannot export Twice 'twice' \(in sequential.*\) to ONNX: no ONNX converter")


def test_what_graph_and_decoder_export_refuses_is_named(tmp_path):
    _refused(nn.SAGEConv(2, aggregator="max"), tmp_path, r"cannot export \S+ at opset 17: its max .*opset=18",
             input_shape=(3,))  # fmt: skip
    _refused(nn.GCNConv(2), tmp_path, r"GCNConv .* takes \(x, edge_index\); give input_shape=\(F,\)",
             error=ValueError)  # fmt: skip
    decoder = nn.TransformerDecoderLayer(4, 2, dim_feedforward=5)
    _refused(decoder, tmp_path, r"TransformerDecoderLayer .*on one input: it takes \[target, memory\]",
             input_shape=(3, 4))  # fmt: skip
    target, memory = nn.Input((3, 4)), nn.Input((5, 4))
    padded = decoder([target, memory], tgt_key_padding_mask=np.zeros((1, 3), bool))
    _refused(nn.Model([target, memory], padded), tmp_path, r"tgt_key_padding_mask.*differs per example")
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer .* needs the encoder's output"):
        decoder(np.zeros((1, 3, 4), np.float32))


def test_a_never_built_model_needs_input_shape(tmp_path):
    model = nn.Sequential([nn.Dense(2)])
    _refused(model, tmp_path, r"never built.*give input_shape", error=ValueError)
    _refused(model, tmp_path, r"input_shape must be positive sizes", input_shape=(0, 3), error=ValueError)
    with pytest.raises(ValueError, match=r"opset must be an integer from 17 to \d+ .*, got 12"):
        export_onnx(model, tmp_path / "old.onnx", input_shape=(3,), opset=12)
    assert export_onnx(model, tmp_path / "ok.onnx", input_shape=(3,)).exists()


def test_masks_and_stateful_layers_are_refused(tmp_path):
    masked = nn.Sequential([nn.Embedding(5, 3, mask_zero=True), nn.LSTM(2)], input_shape=(4,))
    _refused(masked, tmp_path, r"LSTM .*padding mask")
    for zero_output in (True, False):  # the option only acts on masked steps, which stay refused
        gru = nn.GRU(2, go_backwards=True, return_sequences=True, zero_output_for_mask=zero_output)
        masked = nn.Sequential([nn.Embedding(5, 3, mask_zero=True), gru], input_shape=(4,))
        _refused(masked, tmp_path, r"GRU .*padding mask.*without mask_zero")
    unmasked = nn.Sequential([nn.Embedding(5, 3, mask_zero=True), nn.Flatten()], input_shape=(4,))
    assert export_onnx(unmasked, tmp_path / "ok.onnx").exists()  # no layer reads the mask
    _refused(nn.GRU(2, stateful=True), tmp_path, r"GRU .*stateful", input_shape=(3, 2))


def test_a_training_float64_model_exports_its_evaluation_pass_in_float32(tmp_path, float64):
    model = nn.Sequential([nn.Dense(6, activation="relu"), nn.Dropout(0.5), nn.BatchNorm(), nn.Dense(2)],
                          input_shape=(4,))  # fmt: skip
    randomize(model, np.random.default_rng(3))
    model.train()
    proto = onnx.load(str(export_onnx(model, tmp_path / "m.onnx")))
    assert model.training and all(layer.training for layer in model.layers), "the mode is given back"
    kinds = {t.data_type for t in proto.graph.initializer}
    assert onnx.TensorProto.FLOAT in kinds and onnx.TensorProto.DOUBLE not in kinds
    x = np.random.default_rng(4).standard_normal((3, 4))
    got = ort.InferenceSession(proto.SerializeToString()).run(None, {"input": x.astype(np.float32)})[0]
    want = model.eval()(x).data
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5 * np.abs(want).max())


def test_a_model_of_two_inputs_names_them(tmp_path):
    image, extra = nn.Input((1, 6, 6), name="image"), nn.Input((3,), name="extra")
    features = nn.Flatten()(nn.Conv2D(2, 3, activation="relu")(image))
    model = nn.Model([image, extra], nn.Dense(2)(nn.Concatenate()([features, nn.Dense(4)(extra)])))
    session = ort.InferenceSession(str(export_onnx(model, tmp_path / "two.onnx")))
    assert [i.name for i in session.get_inputs()] == ["image", "extra"]
    rng = np.random.default_rng(2)
    x = [rng.standard_normal((2, 1, 6, 6)).astype(np.float32), rng.standard_normal((2, 3)).astype(np.float32)]
    got = session.run(None, {"image": x[0], "extra": x[1]})[0]
    np.testing.assert_allclose(got, model(x).data, rtol=1e-5, atol=1e-6)


def test_a_dynamic_sequence_length_stays_dynamic(tmp_path):
    model = gn.models.CharRNN(7, embedding_dim=3, units=4).eval()  # built for (None, None)
    session = ort.InferenceSession(str(export_onnx(model, tmp_path / "m.onnx")))
    for length in (2, 5):
        ids = np.arange(2 * length).reshape(2, length) % 7
        got = session.run(None, {"input": ids})[0]
        np.testing.assert_allclose(got, model(ids).data, rtol=1e-5, atol=1e-6)


# --- the command -----------------------------------------------------------------------------------------
def test_glassnet_export_writes_a_file_onnx_runtime_runs(tmp_path, capsys):
    from glassnet.cli.main import main

    model = gn.models.LeNet5(input_shape=(1, 28, 28))
    model.save(tmp_path / "lenet.glassnet")
    out = tmp_path / "lenet.onnx"
    assert main(["export", str(tmp_path / "lenet.glassnet"), "--onnx", str(out)]) == 0
    assert f"wrote {out}: opset 17" in capsys.readouterr().out
    x = np.random.default_rng(1).standard_normal((2, 1, 28, 28)).astype(np.float32)
    got = ort.InferenceSession(str(out)).run(None, {"input": x})[0]
    np.testing.assert_allclose(got, model.eval()(x).data, rtol=1e-5, atol=1e-5 * np.abs(got).max())


def test_glassnet_export_errors_are_one_line_with_status_2(tmp_path, capsys):
    from glassnet.cli.main import main

    nn.Sequential([nn.Dense(2), nn.GELU()], input_shape=(3,)).save(tmp_path / "m.glassnet")
    cases = [
        (["export", str(tmp_path / "gone.glassnet"), "--onnx", str(tmp_path / "a.onnx")], "gone.glassnet"),
        (["export", str(tmp_path / "m.glassnet")], "--onnx OUT"),
        (["export", str(tmp_path / "m.glassnet"), "--onnx", str(tmp_path / "b.onnx"), "--input-shape", "4"],
         "Dense"),  # fmt: skip
    ]
    for argv, named in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("glassnet export: ") and named in err and err.count("\n") == 1, err
    assert not list(tmp_path.glob("*.onnx"))
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(tmp_path / "m.glassnet"), "--onnx", "x.onnx", "--input-shape", "1,-2"])
    assert exit_info.value.code == 2 and "positive sizes" in capsys.readouterr().err


def test_a_graph_that_fails_the_checker_is_never_written(tmp_path, monkeypatch):
    from glassnet.io.onnx.graph import Value

    def wrong(b, layer, x):  # a converter whose MatMul cannot fit its input
        return Value(b.op("MatMul", [x.name, b.weight(np.ones((5, 2)), "w")]), x.shape)

    monkeypatch.setitem(CONVERTERS, Twice, wrong)
    _refused(Twice(name="twice"), tmp_path, r"Twice 'twice' fails onnx.checker.*bug", input_shape=(3,))


def _options(cls) -> set:
    """The constructor's parameters over the class's ancestry (the ones **kwargs hands on), less name and
    dtype."""
    names = set()
    for ancestor in cls.__mro__:
        if "__init__" in ancestor.__dict__:
            for name, parameter in inspect.signature(ancestor.__dict__["__init__"]).parameters.items():
                if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL):
                    names.add(name)
    return names - {"self", "name", "dtype"}


def test_converters_know_every_option():
    """A layer option the converter was not written for would be exported as if absent: a wrong file."""
    for cls in CONVERTERS:
        known = set(KNOWN_OPTIONS[cls.__name__].split())
        new = _options(cls) - known
        assert not new, f"{cls.__name__} has options {sorted(new)} its ONNX converter does not know; teach it"


def test_a_graph_model_takes_x_and_edge_index_of_any_size(tmp_path):
    from glassnet.models import GCN  # noqa: PLC0415 - only this test

    path = GCN(3, hidden=4, num_features=5).export_onnx(tmp_path / "gcn.onnx")
    graph = onnx.load(str(path)).graph

    def dims(value):
        return [d.dim_param or d.dim_value for d in value.type.tensor_type.shape.dim]

    assert [(v.name, v.type.tensor_type.elem_type, dims(v)) for v in graph.input] == [
        ("x", onnx.TensorProto.FLOAT, ["nodes", 5]),
        ("edge_index", onnx.TensorProto.INT64, [2, "edges"]),
    ]
    assert dims(graph.output[0]) == ["nodes", 3]
    assert {"ScatterElements", "Gather", "Compress"} <= {node.op_type for node in graph.node}
