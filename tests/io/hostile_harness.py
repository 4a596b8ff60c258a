"""Runs hostile-file cases in a child process with an address-space limit (RLIMIT_AS, 1 GiB) and a time limit.

A case is a function ``case(root)`` of a test module: it builds its (small) files under ``root`` and returns
a function of no arguments that does what a user would do with them (load the model, call the command
line). ``run_cases`` runs a module's cases, one after another, in one child process (each under its own
``root`` and time limit) and returns, per case, what happened: the exception's type and message, or the
value returned, the text written to stderr, the seconds taken, and every file created outside
``root/out`` (the only place a case may write).

The family's tests then check each outcome: one clear line, within the limits, nothing written elsewhere.
Files are built small (a zip bomb is a small archive whose header claims a huge size; a gzip bomb is
compressed chunk by chunk), never inflated while building.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

MEMORY_LIMIT = 1 << 30  # bytes of address space for the child: ~1 GiB
_PROGRESS = "glassnet: downloading "  # a download's progress line, not an error
CASE_SECONDS = 15  # per case, on a loaded 2-core machine; a bounded reader needs well under a second


@dataclass
class Outcome:
    """What one case did: ``kind`` "error" (``error_type``, ``message``), "ok" (``value``) or "timeout"."""

    kind: str
    error_type: str = ""
    message: str = ""
    value: str = ""
    stderr: str = ""
    seconds: float = 0.0
    written: list = field(default_factory=list)  # the files and folders it created in its output folder
    written_outside: list = field(default_factory=list)

    def one_line(self) -> str:
        """The single line the user sees: the error's message, or the one line on stderr (beside the
        progress lines that say which URL is being downloaded)."""
        text = self.message if self.kind == "error" else self.stderr
        lines = [line for line in text.splitlines() if line.strip() and not line.startswith(_PROGRESS)]
        assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{text}"
        return lines[0]


def check(outcome: Outcome, expected: str, pattern: str) -> None:
    """Assert that a case ended as ``expected`` ("ok", "exit N" for the command line, or an error type's
    name) in one line matching ``pattern``, within the limits, writing nothing outside ``out``."""
    assert outcome.kind != "timeout", f"no answer within {CASE_SECONDS} s"
    assert outcome.seconds < CASE_SECONDS
    assert outcome.written_outside == [], f"written outside the output folder: {outcome.written_outside}"
    if expected == "ok":
        assert outcome.kind == "ok", outcome
        assert re.search(pattern, outcome.value), outcome.value
    elif expected.startswith("exit "):
        assert outcome.kind == "ok" and outcome.value == expected.split()[1], outcome
        assert "Traceback" not in outcome.stderr
        assert re.search(pattern, outcome.one_line()), outcome.stderr
    else:
        assert (outcome.kind, outcome.error_type) == ("error", expected), outcome
        assert re.search(pattern, outcome.one_line()), outcome.message


def family(module_file, cases: dict, label: str) -> tuple:
    """The fixture ``outcomes`` (the module's ``cases`` run once, in one child) and the test that checks
    each case against its row (expected, pattern) of ``cases``: assign both in the test module."""

    @pytest.fixture(scope="module")
    def outcomes(tmp_path_factory):
        return run_cases(module_file, list(cases), tmp_path_factory.mktemp(label))

    @pytest.mark.parametrize("name", cases)
    def test_case(outcomes, name):
        check(outcomes[name], *cases[name])

    return outcomes, test_case


def run_cases(module_path, names, tmp_path) -> dict:
    """Run the cases ``names`` of the module at ``module_path`` in one limited child; name -> Outcome."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    env["XDG_CACHE_HOME"] = str(Path(tmp_path) / "cache")  # a download goes nowhere but here
    env.pop("GLASSNET_DATA", None)
    command = [sys.executable, __file__, str(module_path), str(tmp_path), *names]
    done = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=CASE_SECONDS * len(names) + 60,
        preexec_fn=_limit_memory,
    )
    outcomes = {}
    for line in done.stdout.splitlines():
        if line.startswith("OUTCOME "):
            record = json.loads(line[len("OUTCOME ") :])
            name = record.pop("name")
            outcomes[name] = Outcome(**record)
    missing = [name for name in names if name not in outcomes]
    assert not missing, (
        f"the child stopped (status {done.returncode}) before {missing}:\n{done.stderr[-3000:]}"
    )
    return outcomes


def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


class _TimeUp(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _TimeUp


def _files(root: Path) -> set:
    """Every file and folder under ``root`` (folders end in "/")."""
    return {str(p.relative_to(root)) + ("/" if p.is_dir() else "") for p in root.rglob("*")}


def _run_one(module, name: str, tmp: Path) -> Outcome:
    root = tmp / name
    (root / "out").mkdir(parents=True)
    act = getattr(module, name)(root)
    before = _files(tmp)
    stderr = io.StringIO()
    start = time.perf_counter()
    signal.alarm(CASE_SECONDS)
    try:
        with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
            value = act()
        outcome = Outcome("ok", value=repr(value))
    except _TimeUp:
        outcome = Outcome("timeout")
    except BaseException as error:  # noqa: BLE001 - the outcome records whatever came out
        outcome = Outcome("error", error_type=type(error).__name__, message=str(error))
    finally:
        signal.alarm(0)
    outcome.seconds = time.perf_counter() - start
    outcome.stderr = stderr.getvalue()
    allowed, new = f"{name}/out/", _files(tmp) - before
    outcome.written = sorted(path[len(allowed) :] for path in new if path.startswith(allowed))
    outcome.written_outside = sorted(
        path for path in new if not path.startswith(allowed) and not path.startswith("cache/")
    )
    return outcome


def main(argv) -> None:
    module_path, tmp, names = Path(argv[0]), Path(argv[1]), argv[2:]
    spec = importlib.util.spec_from_file_location("hostile_cases", module_path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    signal.signal(signal.SIGALRM, _on_alarm)
    for name in names:
        outcome = _run_one(module, name, tmp)
        print("OUTCOME " + json.dumps({"name": name, **outcome.__dict__}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
