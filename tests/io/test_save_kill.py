"""kill -9 during saves: the file on disk is always a whole model (the old or the new one), and the next
save removes the temporary files that the killed saves left behind."""

import os
import random
import signal
import sys
import time

import numpy as np
import pytest

from glassnet import nn
from glassnet.io import load_model

KILLS = 20


def _model(offset: float):
    model = nn.Sequential([nn.Dense(1000), nn.Dense(1000)], input_shape=(500,))  # 1.5 M parameters, 6 MB
    for parameter in model.parameters():
        parameter.data[...] = offset
    return model


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(os, "fork"), reason="needs fork and SIGKILL")
def test_kill_during_saves_leaves_old_or_new_model_and_next_save_sweeps(tmp_path):
    path = tmp_path / "model.glassnet"
    old, new = _model(1.0), _model(2.0)
    old.save(path)
    rng = random.Random(0)
    left_behind = []  # temporary files found after each kill
    for _ in range(KILLS):
        pid = os.fork()
        if pid == 0:  # the child saves the two models in turn until it is killed
            try:
                while True:
                    new.save(path)
                    old.save(path)
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0.02, 0.6))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        loaded = load_model(path)
        value = float(loaded[0].weight.data[0, 0])
        assert value in (1.0, 2.0)
        for parameter in loaded.parameters():
            np.testing.assert_array_equal(parameter.data, value)  # whole: every weight from the same save
        left_behind.append(len(list(tmp_path.glob(".model.glassnet.*.tmp"))))
    assert max(left_behind) >= 1  # kills mid-save did leave temporary files (each save sweeps the older ones)
    old.save(path)
    assert list(tmp_path.glob(".model.glassnet.*.tmp")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.glassnet"]
