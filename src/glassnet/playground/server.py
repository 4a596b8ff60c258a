"""The playground's web server (aiohttp, the ``playground`` extra): one page, its scripts, and a small JSON
API over the tabs' sessions.

- ``GET /``: the page; ``GET /static/NAME``: its script and style, from glassnet's package data (no
  other site is contacted: the page works offline);
- ``POST /api/session``: a new session (one per tab) from the page's settings;
- ``POST /api/session/ID/reset``, ``/train`` (``steps``), ``/explain`` (``parameter``, ``index``,
  ``format``), ``/close``; ``GET /api/session/ID/state``, ``/last-step``, ``/export/model``,
  ``/export/run``, ``/export/step?parameter=&index=&format=md|tex``.

A bad request gets status 400 and ``{"error": "one line"}``, which the page shows; nothing a page sends
stops the server. Sessions left alone for ``idle_seconds`` are freed.
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
import threading
import time
from importlib import resources

from glassnet.playground.session import DEFAULTS, SETTINGS, Session, SettingsError, check_settings

__all__ = ["Playground", "make_app", "serve", "ServerThread", "STATIC_FILES"]

#: The files the page loads, served from the package (name: content type).
STATIC_FILES = {
    "index.html": "text/html",
    "playground.js": "application/javascript",
    "playground.css": "text/css",
}
_REQUEST_LIMIT = 64 * 1024  # bytes: settings and clicks are small


class Playground:
    """The sessions of every tab: created, looked up (touching them), freed when idle or closed."""

    def __init__(self, idle_seconds: float = 900.0, max_sessions: int = 64):
        if not idle_seconds > 0 or max_sessions < 1:
            raise ValueError(
                f"idle_seconds must be > 0 and max_sessions >= 1, got {idle_seconds} and {max_sessions}"
            )
        self.idle_seconds, self.max_sessions = float(idle_seconds), int(max_sessions)
        self.sessions: dict = {}
        self._lock = threading.Lock()

    def create(self, raw) -> tuple:
        """A new session from the page's settings: (its id, the session)."""
        settings = check_settings(raw)
        self.sweep()
        with self._lock:
            if len(self.sessions) >= self.max_sessions:
                raise SettingsError(
                    f"the server holds {self.max_sessions} sessions, its limit; close a tab or wait until "
                    f"idle ones are freed ({self.idle_seconds:g} s)"
                )
        session = Session(settings)
        key = secrets.token_hex(16)
        with self._lock:
            self.sessions[key] = session
        return key, session

    def get(self, key: str) -> Session:
        """The session ``key``, touched; a ``KeyError`` with the reason when it is gone."""
        with self._lock:
            session = self.sessions.get(key)
        if session is None:
            raise KeyError(
                f"no session {key[:12]!r}: it was closed or freed after {self.idle_seconds:g} s idle; "
                "reload the page"
            )
        session.touched = time.monotonic()
        return session

    def replace(self, key: str, raw) -> Session:
        """Session ``key`` rebuilt from new settings (reset)."""
        self.get(key)
        session = Session(check_settings(raw))
        with self._lock:
            self.sessions[key] = session
        return session

    def close(self, key: str) -> None:
        """Free session ``key`` now (the tab was closed)."""
        with self._lock:
            self.sessions.pop(key, None)

    def sweep(self) -> int:
        """Free the sessions idle for longer than ``idle_seconds``; returns how many."""
        now = time.monotonic()
        with self._lock:
            idle = [key for key, s in self.sessions.items() if now - s.touched > self.idle_seconds]
            for key in idle:
                del self.sessions[key]
        return len(idle)


def make_app(playground: Playground | None = None):
    """The aiohttp application serving the page and the API of ``playground``."""
    from aiohttp import web  # noqa: PLC0415 - an optional extra: pip install glassnet[playground]

    playground = playground or Playground()

    def error(status: int, message: str):
        return web.json_response({"error": message}, status=status)

    async def compute(key: str | None, function):
        """Run ``function(session)`` in a worker thread (training is CPU work), one request per session
        at a time; errors become the page's one-line messages."""
        try:
            session = playground.get(key) if key is not None else None

            def work():
                if session is None:
                    return function(None)
                with session.lock:
                    return function(session)

            result = await asyncio.get_running_loop().run_in_executor(None, work)
            return web.json_response(result, dumps=_dumps)
        except KeyError as failure:
            return error(404, failure.args[0])
        except (SettingsError, ValueError, TypeError, FloatingPointError, OverflowError) as failure:
            return error(400, str(failure).splitlines()[0] if str(failure) else type(failure).__name__)
        except MemoryError:
            return error(400, "that network or data set needs more memory than this machine has")

    async def body(request) -> dict:
        try:
            data = await request.json()
        except (ValueError, UnicodeDecodeError):
            raise SettingsError("the request body must be a JSON object") from None
        if not isinstance(data, dict):
            raise SettingsError(f"the request body must be a JSON object, found {type(data).__name__}")
        return data

    async def index(request):
        return static_file("index.html")

    def static_file(name: str):
        if name not in STATIC_FILES:
            return error(404, f"no file {name!r}; the page's files are {', '.join(STATIC_FILES)}")
        text = resources.files("glassnet.playground").joinpath("static", name).read_text(encoding="utf-8")
        return web.Response(text=text, content_type=STATIC_FILES[name], charset="utf-8")

    async def static(request):
        return static_file(request.match_info["name"])

    async def defaults(request):
        choices = {key: list(field.choices) for key, field in SETTINGS.fields.items() if field.choices}
        choices["features"] = list(SETTINGS.fields["features"].items.choices)
        return web.json_response({"defaults": DEFAULTS, "choices": choices})

    async def with_body(request, handler):
        try:
            data = await body(request)
        except SettingsError as failure:
            return error(400, str(failure))
        return await handler(data)

    async def create(request):
        async def handler(data):
            def work(_):
                key, session = playground.create(data.get("settings", {}))
                return {"id": key, "points": session.points(), "state": session.state()}

            return await compute(None, work)

        return await with_body(request, handler)

    async def reset(request):
        key = request.match_info["key"]

        async def handler(data):
            def work(_):
                session = playground.replace(key, data.get("settings", {}))
                return {"points": session.points(), "state": session.state()}

            return await compute(None, work)

        return await with_body(request, handler)

    async def train(request):
        key = request.match_info["key"]

        async def handler(data):
            steps, since = data.get("steps", 1), data.get("since", 0)
            if isinstance(since, bool) or not isinstance(since, int) or since < 0:
                return error(400, f"since: expected an integer >= 0, found {since!r}")

            def work(session):
                session.train(steps)
                return session.state(since)

            return await compute(key, work)

        return await with_body(request, handler)

    async def state(request):
        return await compute(request.match_info["key"], lambda session: session.state())

    async def explain(request):
        key = request.match_info["key"]

        async def handler(data):
            return await compute(
                key,
                lambda s: s.explain(data.get("parameter"), data.get("index"), data.get("format", "html")),
            )

        return await with_body(request, handler)

    async def last_step(request):
        return await compute(request.match_info["key"], lambda session: session.last_step())

    async def close(request):
        playground.close(request.match_info["key"])
        return web.json_response({"closed": True})

    async def export(request):
        key, what = request.match_info["key"], request.match_info["what"]
        try:
            session = playground.get(key)
        except KeyError as failure:
            return error(404, failure.args[0])
        loop = asyncio.get_running_loop()
        try:
            if what == "model":
                data = await loop.run_in_executor(None, session.model_file)
                return _download(data, "playground.glassnet", "application/zip")
            if what == "run":
                return _download(session.run_file().encode(), "playground.toml", "application/toml")
            if what == "step":
                query = request.query
                fmt = query.get("format", "md")
                text = query.get("index", "")
                if not all(i.strip().isdigit() for i in text.split(",")):
                    raise SettingsError(f"index: expected integers separated by commas, found {text!r}")
                index = [int(i) for i in text.split(",")]
                worked = await loop.run_in_executor(
                    None, _locked, session, session.explain, query.get("parameter"), index, fmt
                )
                suffix = {"md": "md", "tex": "tex", "html": "html"}[fmt]
                return _download(worked["document"].encode(), f"step-{worked['step']}.{suffix}", "text/plain")
        except (SettingsError, ValueError) as failure:
            return error(400, str(failure).splitlines()[0])
        return error(404, f"export {what!r}: expected model, run or step")

    def _download(data: bytes, name: str, content_type: str):
        return web.Response(
            body=data,
            content_type=content_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def sweeper(app):
        async def loop():
            while True:
                await asyncio.sleep(min(30.0, playground.idle_seconds / 4))
                playground.sweep()

        task = asyncio.get_running_loop().create_task(loop())
        yield
        task.cancel()

    @web.middleware
    async def never_crash(request, handler):
        """Whatever goes wrong answers with a message; the server keeps serving."""
        try:
            return await handler(request)
        except web.HTTPException as failure:
            if failure.status >= 400:
                return error(failure.status, failure.reason)
            raise
        except Exception as failure:  # noqa: BLE001 - one bad request must not stop the server
            return error(500, f"internal error: {type(failure).__name__}: {failure}"[:300])

    app = web.Application(client_max_size=_REQUEST_LIMIT, middlewares=[never_crash])
    app.cleanup_ctx.append(sweeper)
    app.add_routes(
        [
            web.get("/", index),
            web.get("/static/{name}", static),
            web.get("/api/defaults", defaults),
            web.post("/api/session", create),
            web.post("/api/session/{key}/reset", reset),
            web.post("/api/session/{key}/train", train),
            web.get("/api/session/{key}/state", state),
            web.post("/api/session/{key}/explain", explain),
            web.get("/api/session/{key}/last-step", last_step),
            web.post("/api/session/{key}/close", close),
            web.get("/api/session/{key}/export/{what}", export),
        ]
    )
    return app


def _finite(value):
    """``value`` with every NaN or infinity made None (JSON has no such numbers; the page shows a gap)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _dumps(value) -> str:
    return json.dumps(_finite(value), allow_nan=False)


def _locked(session, function, *args):
    with session.lock:
        return function(*args)


def serve(host: str = "127.0.0.1", port: int = 8765, idle_seconds: float = 900.0) -> None:
    """Serve the playground until interrupted, printing its address."""
    from aiohttp import web  # noqa: PLC0415 - an optional extra: pip install glassnet[playground]

    app = make_app(Playground(idle_seconds=idle_seconds))
    print(f"glassnet playground: open http://{host}:{port}/ in a browser (Ctrl-C stops it)", flush=True)
    web.run_app(app, host=host, port=port, print=None)


class ServerThread:
    """The playground served from a background thread (tests, notebooks): ``url`` once started;
    ``stop()`` ends it. Port 0 picks a free port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, playground: Playground | None = None):
        self.host, self.port = host, port
        self.playground = playground or Playground()
        self.url = None
        self._loop = None
        self._thread = None
        self._runner = None

    def start(self) -> ServerThread:
        """Start serving; returns self once the port is open (``url`` is set)."""
        from aiohttp import web  # noqa: PLC0415 - an optional extra: pip install glassnet[playground]

        ready = threading.Event()
        failures = []

        async def begin():
            self._runner = web.AppRunner(make_app(self.playground))
            await self._runner.setup()
            site = web.TCPSite(self._runner, self.host, self.port)
            await site.start()
            port = self._runner.addresses[0][1]
            self.url = f"http://{self.host}:{port}"

        def run():
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(begin())
            except Exception as failure:  # noqa: BLE001 - reported to the caller of start()
                failures.append(failure)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="glassnet-playground", daemon=True)
        self._thread.start()
        ready.wait(30)
        if failures:
            raise failures[0]
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
