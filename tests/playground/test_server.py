"""``glassnet playground``'s server, without a browser: an HTTP client against a real server on a free port.
Two tabs training at once do not interfere; bad requests get one line and leave the server answering; the
gradient the page is served is glassnet's own; idle sessions are freed; the exports load; the page's files
come from glassnet alone."""

import json
import re
import threading
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

pytest.importorskip("aiohttp")

from glassnet import nn  # noqa: E402
from glassnet.autograd.tensor import Tensor  # noqa: E402
from glassnet.io.config import parse_config  # noqa: E402
from glassnet.playground.server import STATIC_FILES, Playground, ServerThread  # noqa: E402

SMALL = {"samples": 60, "hidden": [4, 3], "batch_size": 8}


@pytest.fixture(scope="module")
def server():
    running = ServerThread(playground=Playground(idle_seconds=600)).start()
    yield running
    running.stop()


def call(server, method, path, body=None, raw=None):
    """(status, parsed JSON or bytes) of one request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(
        server.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, payload


def new_session(server, **settings):
    status, data = call(server, "POST", "/api/session", {"settings": {**SMALL, **settings}})
    assert status == 200, data
    return data["id"], data


def test_two_tabs_training_at_once_do_not_interfere(server):
    settings = [
        {"dataset": "spirals", "optimizer": "Adam", "seed": 1},
        {"dataset": "circles", "optimizer": "SGD", "lr": 0.3, "seed": 2, "regularization": "l2"},
    ]

    def train(key, results, slot):
        for _ in range(8):
            status, state = call(server, "POST", f"/api/session/{key}/train", {"steps": 5})
            assert status == 200, state
        results[slot] = state

    alone = []
    for options in settings:  # each tab by itself, one after the other
        key, _ = new_session(server, **options)
        results = [None]
        train(key, results, 0)
        alone.append(results[0])
    together = [None, None]
    keys = [new_session(server, **options)[0] for options in settings]
    threads = [threading.Thread(target=train, args=(key, together, k)) for k, key in enumerate(keys)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for by_itself, side_by_side in zip(alone, together):
        assert side_by_side["steps"] == 40
        assert side_by_side["layers"] == by_itself["layers"]  # the same weights to the last bit
        assert side_by_side["test_loss"] == by_itself["test_loss"]
    assert together[0]["layers"] != together[1]["layers"]


BAD_REQUESTS = [
    ("POST", "/api/session", None, b"not json", "the request body must be a JSON object"),
    ("POST", "/api/session", None, b"[1, 2]", "must be a JSON object, found list"),
    ("POST", "/api/session", {"settings": [1]}, None, "expected a table"),
    ("POST", "/api/session", {"settings": {"dataset": "spiral"}}, None, "dataset: expected one of 'spirals'"),
    ("POST", "/api/session", {"settings": {"hiden": [3]}}, None, "did you mean 'hidden'"),
    ("POST", "/api/session", {"settings": {"hidden": [0]}}, None, r"hidden\[0\]: expected an integer in"),
    ("POST", "/api/session", {"settings": {"hidden": [9] * 7}}, None, "hidden: expected a list in"),
    ("POST", "/api/session", {"settings": {"lr": "fast"}}, None, "lr: expected a number"),
    ("POST", "/api/session", None, b'{"settings": {"lr": NaN}}', "lr: expected a finite number, found nan"),
    ("POST", "/api/session", {"settings": {"features": []}}, None, "features: expected a list in"),
    ("POST", "/api/session", {"settings": {"features": ["x1", "x1"]}}, None, "each feature once"),
    ("POST", "/api/session", {"settings": {"samples": 10**9}}, None, "samples: expected an integer in"),
    ("POST", "/api/session", {"settings": {"convention": "jax"}}, None, "convention: expected one of"),
    ("POST", "/api/session/KEY/train", {"steps": 10**6}, None, r"steps: expected an integer in \[1, 200\]"),
    ("POST", "/api/session/KEY/train", {"steps": 1, "since": -1}, None, "since: expected an integer >= 0"),
    ("POST", "/api/session/nothere/train", {"steps": 1}, None, "no session 'nothere'"),
    (
        "POST",
        "/api/session/KEY/explain",
        {"parameter": "7.weight", "index": [0, 0]},
        None,
        "parameter: expected",
    ),
    ("POST", "/api/session/KEY/explain", {"parameter": "0.weight", "index": [99, 0]}, None, "is outside"),
    (
        "GET",
        "/api/session/KEY/export/step?parameter=0.weight&index=a&format=md",
        None,
        None,
        "index: expected",
    ),
    (
        "POST",
        "/api/session",
        None,
        b'{"settings": {"noise": 0.1}, "pad": "' + b"x" * 70000 + b'"}',
        "Too Large",
    ),
]


def test_twenty_bad_requests_get_one_line_and_leave_the_server_answering(server):
    assert len(BAD_REQUESTS) == 20
    key, _ = new_session(server)
    assert call(server, "POST", f"/api/session/{key}/train", {"steps": 2})[0] == 200
    for method, path, body, raw, message in BAD_REQUESTS:
        status, data = call(server, method, path.replace("KEY", key), body, raw)
        assert 400 <= status < 500, (path, status, data)
        assert isinstance(data, dict) and re.search(message, data["error"]), (path, data)
        assert "\n" not in data["error"] and "Traceback" not in data["error"]
    status, state = call(server, "POST", f"/api/session/{key}/train", {"steps": 3})
    assert status == 200 and state["steps"] == 5
    assert call(server, "GET", "/")[0] == 200


def test_the_gradient_served_is_glassnets_own(server):
    key, _ = new_session(server, dataset="moons", regularization="l2", rate=0.01, optimizer="RMSProp")
    assert call(server, "POST", f"/api/session/{key}/train", {"steps": 7})[0] == 200
    status, worked = call(
        server, "POST", f"/api/session/{key}/explain", {"parameter": "1.weight", "index": [2, 1]}
    )
    assert status == 200, worked
    status, last = call(server, "GET", f"/api/session/{key}/last-step")
    assert status == 200 and worked["step"] == 7
    # glassnet's own gradient of that step, computed here from the weights before it and its batch
    penalty = nn.L2(0.01)
    model = nn.Sequential(
        [
            nn.Dense(4, activation="tanh", weight_regularizer=penalty, dtype="float64"),
            nn.Dense(3, activation="tanh", weight_regularizer=penalty, dtype="float64"),
            nn.Dense(1, activation="sigmoid", weight_regularizer=penalty, dtype="float64"),
        ],
        input_shape=(7,),
    )
    model.load_state_dict({name: np.array(value) for name, value in last["parameters"].items()})
    x, y = np.array(last["x"]), np.array(last["y"])
    loss = nn.losses.get("binary_crossentropy")(model(Tensor(x)), Tensor(y)) + model.regularization_loss()
    loss.backward()
    expected = model[1].weight.grad[2, 1]
    assert worked["gradient"] == pytest.approx(expected, abs=1e-12)
    assert f"{expected:.6f}" in worked["document"]  # the worked page shows it to 6 decimals
    assert worked["before"] == last["parameters"]["1.weight"][2][1]
    for fmt, mark in (("md", "$$"), ("tex", r"\section*")):
        status, text = call(
            server, "GET", f"/api/session/{key}/export/step?parameter=1.weight&index=2,1&format={fmt}"
        )
        assert status == 200 and mark in text.decode() and f"{expected:.6f}" in text.decode()


def test_idle_sessions_are_freed():
    playground = Playground(idle_seconds=0.05)
    running = ServerThread(playground=playground).start()
    try:
        key, _ = new_session(running)
        assert key in playground.sessions
        deadline = time.monotonic() + 5
        while playground.sessions and time.monotonic() < deadline:  # the server's own sweeper frees it
            time.sleep(0.02)
        assert not playground.sessions
        status, data = call(running, "POST", f"/api/session/{key}/train", {"steps": 1})
        assert status == 404 and "freed after 0.05 s idle; reload the page" in data["error"]
        key, _ = new_session(running)
        assert call(running, "POST", f"/api/session/{key}/close")[0] == 200 and not playground.sessions
    finally:
        running.stop()


def test_sweep_frees_only_the_sessions_left_alone():
    playground = Playground(idle_seconds=30)
    old, _ = playground.create(SMALL)
    recent, _ = playground.create(SMALL)
    playground.sessions[old].touched -= 31
    assert playground.sweep() == 1 and list(playground.sessions) == [recent]
    with pytest.raises(ValueError, match="idle_seconds must be > 0"):
        Playground(idle_seconds=0)


def test_a_full_server_says_so():
    running = ServerThread(playground=Playground(max_sessions=1)).start()
    try:
        new_session(running)
        status, data = call(running, "POST", "/api/session", {"settings": SMALL})
        assert status == 400 and "holds 1 sessions, its limit" in data["error"]
    finally:
        running.stop()


def test_the_exports_are_a_model_file_and_a_run_file(server, tmp_path):
    from glassnet.io.model_file import load_model

    key, _ = new_session(server, dataset="xor", hidden=[3], lr=0.5, regularization="l1", rate=0.001)
    call(server, "POST", f"/api/session/{key}/train", {"steps": 4})
    status, state = call(server, "GET", f"/api/session/{key}/state")
    status, payload = call(server, "GET", f"/api/session/{key}/export/model")
    assert status == 200 and payload[:2] == b"PK"
    (tmp_path / "m.glassnet").write_bytes(payload)
    model = load_model(tmp_path / "m.glassnet")
    np.testing.assert_array_equal(model[0].weight.data, state["layers"][0]["weight"])
    status, text = call(server, "GET", f"/api/session/{key}/export/run")
    run = parse_config(text.decode(), "playground.toml")
    (x_train, y_train), test = run.load_data()
    assert x_train.shape == (4, 7) and test is None
    built = run.build_model(x_train.shape[1:])
    assert [layer.units for layer in built] == [3, 1]
    assert built[0].weight.regularizer.l1 == 0.001
    assert run.compile["optimizer"] == {"type": "Adam", "lr": 0.5, "convention": "notes"}


def test_the_page_loads_only_files_glassnet_serves(server):
    status, page = call(server, "GET", "/")
    page = page.decode()
    assert status == 200 and "<title>glassnet playground</title>" in page
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert links and all(link.startswith("/static/") or link == "data:," for link in links), links
    for name in STATIC_FILES:
        status, text = call(server, "GET", f"/static/{name}")
        assert status == 200 and len(text) > 500
        external = re.findall(r"https?://[^\s\"')]+", text.decode())
        assert set(external) <= {"http://www.w3.org/2000/svg"}, external  # an XML namespace, never fetched
    assert call(server, "GET", "/static/server.py")[0] == 404


@pytest.mark.parametrize(
    "options",
    [
        {"dataset": name, "optimizer": optimizer, "convention": convention, "activation": activation}
        for name, optimizer, convention, activation in [
            ("moons", "SGD", "pytorch", "relu"),
            ("circles", "Adagrad", "keras", "sigmoid"),
            ("blobs", "Adadelta", "notes", "elu"),
            ("nand", "Nadam", "pytorch", "leaky_relu"),
            ("spirals", "RMSProp", "keras", "linear"),
        ]
    ],
)
def test_every_data_set_optimizer_and_convention_trains_and_exports(options):
    from glassnet.playground.session import Session, check_settings

    session = Session(check_settings({**SMALL, "loss": "mse", "features": ["x1", "x2", "x1*x2"], **options}))
    session.train(3)
    state = session.state()
    assert state["steps"] == 3 and len(state["grid"]) == state["grid_size"] ** 2
    assert all(0.0 <= p <= 1.0 for p in state["grid"])
    assert np.isfinite(state["test_loss"])
    run = parse_config(session.run_file(), "playground.toml")
    assert run.compile["optimizer"]["convention"] == options["convention"]
    (x_train, _), _ = run.load_data()
    assert x_train.shape[1] == 3
    worked = session.explain("0.weight", [2, 0], "md")
    assert worked["step"] == 3 and "Summed over the batch" in worked["document"]
