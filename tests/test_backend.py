"""The backend's process-wide settings: how freed memory is kept (``keep_freed_memory``)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from glassnet import backend

# One LSTM training step's worth of arrays, allocated and freed the same way every step; the page faults
# of the last two steps are printed.
_STEPS = """
import resource
import numpy as np
import glassnet as gn
from glassnet import nn

gn.manual_seed(0)
model = nn.Sequential([nn.LSTM(128), nn.Dense(10)], input_shape=(50, 32))
x = gn.tensor(np.random.default_rng(0).standard_normal((64, 50, 32)).astype(np.float32))
for step in range(4):
    if step == 2:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    model.zero_grad()
    model(x).sum().backward()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 2)
"""


def _faults_per_step(**env) -> int:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    environment.update(env)
    done = subprocess.run(
        [sys.executable, "-c", _STEPS], env=environment, capture_output=True, text=True, check=True
    )
    return int(done.stdout.split()[-1])


glibc_only = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and backend._glibc()),
    reason="keep_freed_memory tunes glibc's malloc; this system has another C library",
)


@glibc_only
def test_repeated_steps_reuse_freed_memory_instead_of_faulting_pages_in_again():
    kept = _faults_per_step()
    returned = _faults_per_step(GLASSNET_KEEP_FREED_MEMORY="0")
    # measured: 0 against about 2,000 (each fault zeroes a 4 KB page)
    assert kept < 100, kept
    assert returned > 10 * max(kept, 10), (kept, returned)


def test_keep_freed_memory_leaves_the_users_own_settings_alone(monkeypatch):
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1000000")
    assert backend.keep_freed_memory() is False
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setenv("GLASSNET_KEEP_FREED_MEMORY", "0")
    assert backend.keep_freed_memory() is False
