"""Run files with a learning-rate schedule: [compile.schedule] gives the optimizer a schedule it steps."""

import math

import numpy as np
import pytest

from glassnet.io.config import RunFileError, parse_config
from glassnet.optim import schedules
from glassnet.optim.hooks import step_listener

RUN = """
[data]
source = "gate"
name = "xor"
[model]
layers = [{{ type = "Dense", units = 4, activation = "tanh" }}, {{ type = "Dense", units = 1 }}]
[compile]
optimizer = {{ type = "SGD", lr = 0.5 }}
loss = "mse"
[compile.schedule]
{schedule}
[fit]
epochs = 6
batch_size = 2
verbose = 0
"""


def run(schedule: str):
    config = parse_config(RUN.format(schedule=schedule), "run.toml")
    (x, y), _ = config.load_data()
    model = config.build_model(x.shape[1:])
    model.compile(**config.compile_arguments())
    used = []
    with step_listener(lambda record: used.append(record.hyperparameters["lr"])):
        model.fit(x, y, **config.fit)
    return model, used[:: len(model.parameters())]  # one rate per update


def test_warmup_cosine_from_a_run_file_steps_with_every_update():
    model, used = run('type = "WarmupCosine"\nwarmup_steps = 3\ndecay_steps = 9\nmin_lr = 0.05')
    assert isinstance(model.optimizer.schedule, schedules.WarmupCosine) and len(used) == 12
    expected = [0.5 * (t + 1) / 4 for t in range(3)]
    expected += [0.05 + 0.5 * (0.5 - 0.05) * (1 + math.cos(math.pi * (t - 3) / 6)) for t in range(3, 10)]
    np.testing.assert_allclose(used, expected + [0.05, 0.05], rtol=1e-12)


def test_sequential_schedule_from_nested_tables():
    schedule = (
        'type = "SequentialLR"\nmilestones = [4]\n'
        'schedulers = [{ type = "ConstantLR", factor = 0.1, total_iters = 4 }, '
        '{ type = "ExponentialLR", gamma = 0.5 }]'
    )
    _, used = run(schedule)
    np.testing.assert_allclose(used, [0.05] * 4 + [0.5 * 0.5**t for t in range(8)], rtol=1e-12)


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ('type = "Cosine"', r"run.toml: \[compile.schedule\] type 'Cosine'; valid: LinearLR, ConstantLR"),
        ('type = "LambdaLR"', "type 'LambdaLR'; valid:"),
        ('type = "StepLR"\nstep_size = -2', "compile.schedule: StepLR: step_size must be at least 1, got -2"),
        ('type = "WarmupCosine"\nwarmup_steps = 50\ndecay_steps = 10', r"warmup_steps \(50\) must be fewer"),
        (
            'type = "StepLR"\nstep_size = 2\nsize = 3',
            "unexpected keyword argument 'size'",
        ),
        ("step_size = 2", "compile.schedule.type"),
    ],
)
def test_bad_schedule_tables_name_the_key(schedule, message):
    with pytest.raises(RunFileError, match=message):
        run(schedule)
