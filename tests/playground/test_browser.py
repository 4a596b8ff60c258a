"""The playground in a real headless browser: the system's Chromium driven by Playwright (never
``playwright install``; CI installs Debian's ``chromium``). Open the page, pick spirals, press play, see the
test loss fall below a threshold in time, pause, click a weight, and read a gradient equal to glassnet's own
for that step to 6 decimals. No request leaves for another site: the page works offline.

Set GLASSNET_PLAYGROUND_SCREENSHOTS to a folder to keep screenshots of the page at start and after training.
"""

import json
import os
import shutil
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("aiohttp")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")

from glassnet import nn  # noqa: E402
from glassnet.autograd.tensor import Tensor  # noqa: E402
from glassnet.playground.server import ServerThread  # noqa: E402

CHROMIUM = next(
    (path for path in ("/usr/bin/chromium", shutil.which("chromium") or "") if path and os.path.exists(path)),
    None,
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium at /usr/bin/chromium or on PATH (apt-get install chromium)"
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEST_LOSS = 0.1  # spirals with the default network (two tanh layers of 8, Adam) get there in seconds
TIME_LIMIT_MS = 20_000


def own_gradient(url: str, key: str, parameter: str, index) -> tuple:
    """glassnet's gradient of the last step, computed in this process from the weights before it and its
    batch (the default network: 7 features, 8-8 tanh, a sigmoid output, binary cross-entropy)."""
    with urllib.request.urlopen(f"{url}/api/session/{key}/last-step", timeout=30) as response:
        last = json.loads(response.read())
    model = nn.Sequential(
        [
            nn.Dense(8, activation="tanh", dtype="float64"),
            nn.Dense(8, activation="tanh", dtype="float64"),
            nn.Dense(1, activation="sigmoid", dtype="float64"),
        ],
        input_shape=(7,),
    )
    model.load_state_dict({name: np.array(value) for name, value in last["parameters"].items()})
    loss = nn.losses.get("binary_crossentropy")(
        model(Tensor(np.array(last["x"]))), Tensor(np.array(last["y"]))
    )
    loss.backward()
    return float(dict(model.named_parameters())[parameter].grad[index]), last


def test_train_spirals_in_the_browser_and_read_a_weights_gradient():
    started = time.monotonic()
    server = ServerThread().start()
    screenshots = os.environ.get("GLASSNET_PLAYGROUND_SCREENSHOTS")
    elsewhere, errors = [], []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.on("pageerror", lambda error: errors.append(str(error)))

            def only_glassnet(route):
                if route.request.url.startswith(server.url) or route.request.url.startswith("data:"):
                    route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    route.abort()

            page.route("**/*", only_glassnet)
            page.goto(server.url + "/")
            page.wait_for_selector("body[data-ready=true]", timeout=15_000)
            start_loss = float(page.get_attribute("#test-loss", "data-value"))
            if screenshots:
                page.screenshot(path=str(Path(screenshots) / "play-start.png"))

            page.fill("#hidden", "8, 99")  # a bad setting: the server says why, on the page
            page.press("#hidden", "Enter")
            page.wait_for_selector("#error:not([hidden])")
            message = page.text_content("#error")
            assert "hidden[1]: expected an integer in [1, 8], found the integer 99" in message
            page.fill("#hidden", "8, 8")
            page.select_option("#dataset", "moons")
            page.wait_for_selector("body[data-resets='2']")
            assert page.is_hidden("#error")
            page.select_option("#dataset", "spirals")  # pick spirals
            page.wait_for_selector("body[data-resets='3']")
            page.click("#play")
            page.wait_for_function(
                f"Number(document.querySelector('#test-loss').dataset.value) < {TEST_LOSS}",
                timeout=TIME_LIMIT_MS,
            )
            page.click("#play")  # pause
            page.wait_for_selector("body[data-busy=false]")
            trained_loss = float(page.get_attribute("#test-loss", "data-value"))
            steps = int(page.text_content("#steps"))
            assert trained_loss < TEST_LOSS < start_loss and steps > 0

            page.locator("#w-1-2-3").dispatch_event("click")  # the weight from unit 3 to unit 4 of layer 2
            page.wait_for_selector("#gradient-line:not([hidden])")
            assert int(page.text_content("#gradient-step")) == steps
            shown = float(page.text_content("#gradient"))
            assert "Summed over the batch" in page.text_content("#worked")
            if screenshots:
                page.screenshot(path=str(Path(screenshots) / "play-trained.png"))
            page.locator("#b-0-1").dispatch_event("click")  # a neuron: its bias
            page.wait_for_function(
                "document.querySelector('#gradient-name').textContent.startsWith('∂L/∂b₂⁽¹⁾')"
            )
            bias_shown = float(page.text_content("#gradient"))
            key = page.get_attribute("body", "data-session")
            browser.close()
        expected, last = own_gradient(server.url, key, "1.weight", (2, 3))
        bias_expected, _ = own_gradient(server.url, key, "0.bias", (1,))
    finally:
        server.stop()
    assert not errors, errors
    assert not elsewhere, f"the page asked another site for {elsewhere}"
    assert last["parameters"]["1.weight"][2][3] != 0.0
    assert round(shown, 6) == round(expected, 6) and abs(shown - expected) < 1e-9
    assert round(bias_shown, 6) == round(bias_expected, 6)
    assert time.monotonic() - started < 60
