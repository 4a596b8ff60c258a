"""Learning-rate schedules: each over 100 steps equals torch.optim.lr_scheduler's sequence (float64, 1e-12),
from a hand-written loop and from fit; Keras's and nanoGPT's against transcriptions of their code; errors."""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn import Parameter
from glassnet.optim import schedules as S
from glassnet.optim.hooks import step_listener
from glassnet.train import LearningRateScheduler, ReduceLROnPlateau

torch = pytest.importorskip("torch")
T = torch.optim.lr_scheduler

STEPS = 100
LRS = (0.1, 0.03)  # two parameter groups, each with its own base rate


def close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64), expected, rtol=1e-12, atol=1e-18)


# name -> (glassnet schedule on an optimizer, torch scheduler on an optimizer)
ROWS = {
    "LinearLR warm-up": (lambda o: S.LinearLR(o, 0.1, 1.0, 30), lambda o: T.LinearLR(o, 0.1, 1.0, 30)),
    "LinearLR decay": (
        lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=60),
        lambda o: T.LinearLR(o, start_factor=1.0, end_factor=0.05, total_iters=60),
    ),
    "ConstantLR": (lambda o: S.ConstantLR(o, 0.5, 10), lambda o: T.ConstantLR(o, 0.5, 10)),
    "CosineAnnealingLR (past T_max)": (
        lambda o: S.CosineAnnealingLR(o, T_max=40, eta_min=1e-3),
        lambda o: T.CosineAnnealingLR(o, T_max=40, eta_min=1e-3),
    ),
    "CosineAnnealingLR": (lambda o: S.CosineAnnealingLR(o, T_max=99), lambda o: T.CosineAnnealingLR(o, 99)),
    "StepLR": (lambda o: S.StepLR(o, step_size=7, gamma=0.5), lambda o: T.StepLR(o, 7, 0.5)),
    "MultiStepLR": (
        lambda o: S.MultiStepLR(o, milestones=[30, 10, 30, 70], gamma=0.3),
        lambda o: T.MultiStepLR(o, milestones=[30, 10, 30, 70], gamma=0.3),
    ),
    "ExponentialLR": (lambda o: S.ExponentialLR(o, gamma=0.97), lambda o: T.ExponentialLR(o, 0.97)),
    "LambdaLR": (
        lambda o: S.LambdaLR(o, lambda t: 1 / (1 + 0.05 * t)),
        lambda o: T.LambdaLR(o, lambda t: 1 / (1 + 0.05 * t)),
    ),
    "SequentialLR warm-up then cosine": (
        lambda o: S.SequentialLR(
            o, [S.LinearLR(None, 0.01, 1.0, 20), S.CosineAnnealingLR(None, T_max=80, eta_min=1e-4)], [20]
        ),
        lambda o: T.SequentialLR(
            o, [T.LinearLR(o, 0.01, 1.0, 20), T.CosineAnnealingLR(o, T_max=80, eta_min=1e-4)], [20]
        ),
    ),
    "SequentialLR of three": (
        lambda o: S.SequentialLR(
            o, [S.ConstantLR(None, 0.1, 5), S.ExponentialLR(None, 0.95), S.StepLR(None, 10, 0.5)], [20, 50]
        ),
        lambda o: T.SequentialLR(
            o, [T.ConstantLR(o, 0.1, 5), T.ExponentialLR(o, 0.95), T.StepLR(o, 10, 0.5)], [20, 50]
        ),
    ),
    "WarmupCosine (nanoGPT)": (
        lambda o: S.WarmupCosine(o, warmup_steps=10, decay_steps=99, min_lr=1e-3),
        lambda o: T.SequentialLR(
            o, [T.LinearLR(o, 1 / 11, 1.0, 10), T.CosineAnnealingLR(o, T_max=89, eta_min=1e-3)], [10]
        ),
    ),
    "OneCycleLR": (
        lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=100),
        lambda o: T.OneCycleLR(o, max_lr=0.5, total_steps=100),
    ),
    "OneCycleLR linear": (
        lambda o: S.OneCycleLR(o, 0.4, 100, pct_start=0.25, anneal_strategy="linear", div_factor=10.0),
        lambda o: T.OneCycleLR(o, 0.4, 100, pct_start=0.25, anneal_strategy="linear", div_factor=10.0),
    ),
}


def glassnet_optimizer():
    groups = [{"params": [Parameter(np.ones(2))], "lr": lr} for lr in LRS]
    return optim.SGD(groups, momentum=0.9, convention="pytorch")


def torch_sequence(make):
    groups = [{"params": [torch.ones(2, dtype=torch.float64, requires_grad=True)], "lr": lr} for lr in LRS]
    opt = torch.optim.SGD(groups, momentum=0.9)
    scheduler = make(opt)
    rates, momenta = [], []
    for _ in range(STEPS):
        rates.append([group["lr"] for group in opt.param_groups])
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()
        scheduler.step()
    return np.array(rates), np.array(momenta)


@pytest.mark.parametrize("name", list(ROWS))
def test_each_schedule_equals_torch_over_100_steps_in_a_hand_loop(name):
    ours, theirs = ROWS[name]
    expected, momenta = torch_sequence(theirs)
    opt = glassnet_optimizer()
    sched = ours(opt)
    rates, our_momenta = [], []
    for _ in range(STEPS):
        rates.append(sched.get_last_lr())
        assert [group["lr"] for group in opt.param_groups] == rates[-1]
        our_momenta.append(opt.param_groups[0]["momentum"])
        sched.step()
    close(rates, expected)
    close(our_momenta, momenta)  # OneCycleLR cycles the momentum; the others leave it at 0.9
    assert len(set(np.round(expected[:, 0], 12))) > 1  # the row really schedules something


@pytest.mark.parametrize("name", list(ROWS))
def test_fit_per_batch_uses_the_torch_sequence_update_by_update(name):
    ours, theirs = ROWS[name]
    expected = torch_sequence(theirs)[0][:, 0]
    gn.manual_seed(0)
    x, y = np.random.default_rng(0).normal(size=(40, 3)), np.random.default_rng(1).normal(size=(40, 1))
    model = nn.Sequential([nn.Dense(1)], input_shape=(3,))
    model.compile(optimizer=optim.SGD(lr=LRS[0], momentum=0.9, convention="pytorch"), loss="mse")
    used = []
    with step_listener(lambda record: used.append(record.hyperparameters["lr"])):
        scheduler = LearningRateScheduler(ours(None), update_freq="batch")
        model.fit(x, y, epochs=10, batch_size=4, callbacks=[scheduler], verbose=0)
    close(used[::2], expected)  # two parameters (kernel, bias) per update
    close(used[1::2], expected)


def test_fit_per_epoch_and_resume_continue_the_schedule():
    gn.manual_seed(0)
    x, y = np.random.default_rng(0).normal(size=(8, 3)), np.random.default_rng(1).normal(size=(8, 1))
    expected = torch_sequence(ROWS["CosineAnnealingLR (past T_max)"][1])[0][:, 0]
    model = nn.Sequential([nn.Dense(1)], input_shape=(3,))
    model.compile(optimizer=optim.SGD(lr=LRS[0]), loss="mse")
    schedule = S.CosineAnnealingLR(None, T_max=40, eta_min=1e-3)
    history = model.fit(x, y, epochs=6, callbacks=[LearningRateScheduler(schedule)], verbose=0)
    close(history["lr"], expected[:6])
    # a fresh schedule on the same optimizer keeps the saved base rate (initial_lr), not the decayed one
    state = model.optimizer.state_dict()
    again = nn.Sequential([nn.Dense(1)], input_shape=(3,))
    again.compile(optimizer=optim.SGD(again.parameters(), lr=0.5), loss="mse")
    again.optimizer.load_state_dict(state)
    resumed = again.fit(
        x,
        y,
        epochs=9,
        initial_epoch=6,
        verbose=0,
        callbacks=[LearningRateScheduler(S.CosineAnnealingLR(None, T_max=40, eta_min=1e-3))],
    )
    close(resumed["lr"], expected[6:9])


def test_model_file_keeps_the_base_rate(tmp_path):
    model = nn.Sequential([nn.Dense(1)], input_shape=(3,))
    model.compile(optimizer=optim.Adam(model.parameters(), lr=0.2), loss="mse")
    S.ExponentialLR(model.optimizer, gamma=0.5).step_to(3)
    assert model.optimizer.param_groups[0]["lr"] == 0.025
    model.save(tmp_path / "m.glassnet")
    loaded = nn.load_model(tmp_path / "m.glassnet")
    assert loaded.optimizer.param_groups[0]["lr"] == 0.025
    sched = S.ExponentialLR(loaded.optimizer, gamma=0.5)
    assert sched.get_last_lr() == [0.2]  # step 0 of the saved base: resume with step_to or load_state_dict
    sched.step_to(4)
    assert sched.get_last_lr() == [0.0125]


def test_state_dict_round_trip():
    opt = glassnet_optimizer()
    sched = S.StepLR(opt, step_size=3, gamma=0.5)
    for _ in range(7):
        sched.step()
    state = sched.state_dict()
    assert state == {"schedule": "StepLR", "last_step": 7, "base_lrs": list(LRS)}
    other = glassnet_optimizer()
    for group in other.param_groups:
        group["lr"] = 9.0
    restored = S.StepLR(other, step_size=3, gamma=0.5)
    restored.load_state_dict(state)
    close(restored.get_last_lr(), [0.025, 0.0075])
    restored.step_to(9)
    close(restored.get_last_lr(), [0.0125, 0.00375])
    with pytest.raises(ValueError, match="saved by StepLR, not ExponentialLR"):
        S.ExponentialLR(glassnet_optimizer(), 0.9).load_state_dict(state)


def test_reduce_lr_on_plateau_composes_with_a_schedule():
    """A reduction scales the schedule's base, so the next steps stay reduced instead of undoing it."""
    opt = glassnet_optimizer()
    sched = S.ExponentialLR(opt, gamma=0.9)
    sched.step_to(2)
    S.scale_lr(opt, 0.5)
    close(opt.param_groups[0]["lr"], 0.1 * 0.81 * 0.5)
    sched.step()
    close(sched.get_last_lr(), [0.1 * 0.5 * 0.9**3, 0.03 * 0.5 * 0.9**3])
    # and from fit: a loss that never improves after epoch 0 lowers the rate after epochs 2 and 4
    model = nn.Sequential([nn.Dense(1)], input_shape=(3,))
    model.compile(optimizer=optim.SGD(lr=0.1), loss="mse")
    plateau = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, min_delta=1e9)
    scheduler = LearningRateScheduler(S.ExponentialLR(None, gamma=0.9))
    x, y = np.ones((4, 3)), np.ones((4, 1))
    history = model.fit(x, y, epochs=5, callbacks=[scheduler, plateau], verbose=0)
    close(history["lr"], [0.1, 0.09, 0.081, 0.1 * 0.9**3 * 0.5, 0.1 * 0.9**4 * 0.5])  # logged, then lowered
    assert [epoch for epoch, _ in plateau.reductions] == [2, 4]
    close(model.optimizer.param_groups[0]["lr"], 0.1 * 0.9**4 * 0.25)


def test_keras_cosine_decay_matches_keras_formula():
    def keras(step, initial, decay_steps, alpha, target, warmup):  # keras/src/optimizers/schedules
        if step < warmup:
            return step / warmup * (target - initial) + initial
        peak = initial if target is None else target
        fraction = min(step - warmup, decay_steps) / decay_steps
        return peak * ((1 - alpha) * 0.5 * (1.0 + math.cos(math.pi * fraction)) + alpha)

    schedule = S.CosineDecay(1e-4, 80, alpha=0.1, warmup_target=1e-2, warmup_steps=15)
    close([schedule(t) for t in range(120)], [keras(t, 1e-4, 80, 0.1, 1e-2, 15) for t in range(120)])
    plain = S.CosineDecay(0.1, decay_steps=40, alpha=0.01)
    close([plain(t) for t in range(120)], [keras(t, 0.1, 40, 0.01, None, 0) for t in range(120)])
    # bound: it sets the optimizer's rates; the decay part is CosineAnnealingLR with eta_min = alpha * peak
    opt = glassnet_optimizer()
    bound = S.CosineDecay(decay_steps=50, alpha=0.2, optimizer=opt)
    expected = torch_sequence(lambda o: T.CosineAnnealingLR(o, T_max=50, eta_min=0.02))[0][:51, 0]
    rates = [bound.get_last_lr()[0]] + [bound.step() or bound.get_last_lr()[0] for _ in range(50)]
    close(rates, expected)  # both groups take the first group's base: Keras has one rate


def test_a_schedule_given_as_lr_steps_with_the_optimizer():
    """Keras's way: update k runs at schedule(k), in a hand loop and in fit alike."""
    schedule = S.CosineDecay(1e-4, 30, alpha=0.1, warmup_target=1e-2, warmup_steps=5)
    expected = [schedule(k) for k in range(40)]
    w = Parameter(np.ones(3))
    opt = optim.Adam([w], lr=schedule)
    used = []
    with step_listener(lambda record: used.append(record.hyperparameters["lr"])):
        for _ in range(40):
            w.grad = np.ones(3)
            opt.step()
    close(used, expected)
    model = nn.Sequential([nn.Dense(1, use_bias=False)], input_shape=(3,))
    model.compile(optimizer=optim.Adam(lr=S.CosineDecay(1e-4, 30, alpha=0.1, warmup_target=1e-2,
                                                       warmup_steps=5)), loss="mse")  # fmt: skip
    used.clear()
    with step_listener(lambda record: used.append(record.hyperparameters["lr"])):
        model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=5, batch_size=1, verbose=0)
    close(used, expected)
    with pytest.raises(ValueError, match="a schedule given as lr needs its own initial rate"):
        optim.SGD(lr=S.StepLR(None, 3))
    with pytest.raises(ValueError, match="the optimizer already steps this schedule"):
        twice = LearningRateScheduler(model.optimizer.schedule)
        model.fit(np.ones((8, 3)), np.ones((8, 1)), callbacks=[twice], verbose=0)


def test_warmup_cosine_matches_nanogpt_and_holds_the_floor():
    def get_lr(it, learning_rate=1e-3, warmup_iters=100, lr_decay_iters=2000, min_lr=1e-4):  # nanoGPT's
        if it < warmup_iters:
            return learning_rate * (it + 1) / (warmup_iters + 1)
        if it > lr_decay_iters:
            return min_lr
        decay_ratio = (it - warmup_iters) / (lr_decay_iters - warmup_iters)
        coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
        return min_lr + coeff * (learning_rate - min_lr)

    opt = optim.AdamW([Parameter(np.ones(1))], lr=1e-3)
    schedule = S.WarmupCosine(opt, warmup_steps=100, decay_steps=2000, min_lr=1e-4)
    steps = [0, 1, 50, 99, 100, 101, 1000, 1999, 2000, 2001, 5000]
    close([schedule(t) for t in steps], [get_lr(t) for t in steps])


def test_bad_input_names_the_schedule_and_the_fix():
    opt = glassnet_optimizer()
    with pytest.raises(ValueError, match="StepLR: step_size must be at least 1, got -3"):
        S.StepLR(opt, step_size=-3)
    with pytest.raises(ValueError, match="CosineAnnealingLR: T_max must be at least 1, got 0"):
        S.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(TypeError, match="LinearLR: total_iters must be a whole number, got 2.5"):
        S.LinearLR(opt, total_iters=2.5)
    with pytest.raises(ValueError, match=r"warmup_steps \(200\) must be fewer than decay_steps \(100\)"):
        S.WarmupCosine(opt, warmup_steps=200, decay_steps=100)
    with pytest.raises(ValueError, match="WarmupCosine: warmup_steps must be at least 0, got -1"):
        S.WarmupCosine(opt, warmup_steps=-1, decay_steps=100)
    with pytest.raises(ValueError, match="warmup_steps=5 needs a warmup_target"):
        S.CosineDecay(0.1, 10, warmup_steps=5)
    with pytest.raises(ValueError, match=r"LinearLR: start_factor must be in \(0, 1\], got 0"):
        S.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="2 schedules need 1 milestones, got 2"):
        S.SequentialLR(opt, [S.ConstantLR(), S.ConstantLR()], [3, 4])
    with pytest.raises(ValueError, match="ExponentialLR: the step must be at least 0, got -1"):
        S.ExponentialLR(opt, 0.9).step_to(-1)
    one_cycle = S.OneCycleLR(glassnet_optimizer(), max_lr=0.1, total_steps=10)
    with pytest.raises(ValueError, match="OneCycleLR: step 11 is past total_steps=10"):
        one_cycle.step_to(11)
    with pytest.raises(ValueError, match="update_freq must be 'epoch' or 'batch', got 'step'"):
        LearningRateScheduler(S.StepLR(None, 2), update_freq="step")
    with pytest.raises(RuntimeError, match="ExponentialLR is not bound to an optimizer"):
        S.ExponentialLR(None, 0.9).step()
