r"""Learning-rate schedules: the rate η_t as a function of the step t, written into the optimizer.

A schedule is bound to an optimizer and sets each parameter group's ``"lr"``; it steps once per
iteration (per batch) or once per epoch, as the caller chooses: the formulas count steps, whatever a step
is. Use it as PyTorch's ``torch.optim.lr_scheduler`` (the names and arguments are PyTorch's, and so is
every sequence, tested over 100 steps):

    >>> import numpy as np; from glassnet.nn import Parameter; from glassnet.optim import SGD
    >>> opt = SGD([Parameter(np.zeros(2))], lr=0.1)
    >>> sched = CosineAnnealingLR(opt, T_max=4)
    >>> for step in range(4):
    ...     pass  # forward, backward, opt.step() at the rate opt.param_groups[0]["lr"]
    ...     sched.step()
    >>> [round(lr, 6) for lr in sched.history]
    [0.1, 0.085355, 0.05, 0.014645, 0.0]

or from ``fit`` with the ``LearningRateScheduler`` callback (``update_freq="batch"`` or ``"epoch"``), which
calls ``step_to(t)`` with t counted from the epoch and batch numbers, so that a resumed run
(``initial_epoch``) continues the schedule where it stopped.

Every schedule is a closed form η_t = f(t, η_0) of the step and the group's base rate η_0, kept in the
group as ``"initial_lr"`` (PyTorch's key), which the optimizer's ``state_dict`` and the model file save:
a schedule bound to a restored optimizer starts from the saved base, not from the decayed rate.
``ReduceLROnPlateau`` (the callback) scales ``initial_lr`` with the rate, so that it composes with a
schedule instead of being overwritten at the next step. The shapes of the curves are two functions,
``linear_anneal`` and ``cosine_anneal``; each schedule's docstring gives its formula.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right

__all__ = [
    "Schedule", "LinearLR", "ConstantLR", "CosineAnnealingLR", "StepLR", "MultiStepLR", "ExponentialLR",
    "LambdaLR", "SequentialLR", "OneCycleLR", "CosineDecay", "WarmupCosine", "FunctionLR",
    "linear_anneal", "cosine_anneal", "as_schedule", "scale_lr",
]  # fmt: skip


def linear_anneal(start: float, end: float, fraction: float) -> float:
    r"""The straight line from ``start`` to ``end``: :math:`a + (b - a)\,p` at fraction :math:`p \in [0, 1]`.

    >>> linear_anneal(1.0, 3.0, 0.25)
    1.5
    """
    return (end - start) * fraction + start


def cosine_anneal(start: float, end: float, fraction: float) -> float:
    r"""Half a cosine from ``start`` to ``end``: :math:`b + \tfrac12 (a - b)\,(1 + \cos \pi p)`.

    >>> cosine_anneal(1.0, 0.0, 0.5)
    0.5
    """
    return end + (start - end) / 2.0 * (1.0 + math.cos(math.pi * fraction))


def _count(owner: str, name: str, value, minimum: int = 1) -> int:
    """An integer argument checked at the edge: a whole number >= ``minimum``, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be a whole number, got {value!r}")
    if value < minimum:
        raise ValueError(f"{owner}: {name} must be at least {minimum}, got {value}")
    return int(value)


def _number(owner: str, name: str, value, low: float = 0.0, high: float = math.inf, closed=(True, True)):
    """A real argument in [low, high] (or an open end where ``closed`` says so), or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise TypeError(f"{owner}: {name} must be a number, got {value!r}")
    value = float(value)
    if value < low or value > high or (value == low and not closed[0]) or (value == high and not closed[1]):
        interval = f"{'[' if closed[0] else '('}{low:g}, {high:g}{']' if closed[1] else ')'}"
        raise ValueError(f"{owner}: {name} must be in {interval}, got {value:g}")
    return value


class Schedule:
    r"""The base of every schedule: binding, stepping, ``get_last_lr``, saving.

    A subclass writes ``lr_at(t, base_lr)``, its closed form η_t = f(t, η_0). Bound to an optimizer, the
    schedule sets every group's rate to f(0, η_0) at once (as PyTorch's do), and ``step()`` moves to the
    next step; ``step_to(t)`` jumps to step t (the ``fit`` callback's way, exact on resume).

    Args:
        optimizer: the optimizer whose groups' ``"lr"`` it sets, or ``None`` for a schedule used inside
            ``SequentialLR`` or bound later with ``bind``.

    Attributes:
        last_step: the step whose rates are set (0 after binding; PyTorch's ``last_epoch``).
        history: the rate of the first group at each step set so far (for plots and tests).
    """

    sets_on_bind = True  # set step 0's rates when bound (PyTorch's schedulers do)

    def __init__(self, optimizer=None):
        self.optimizer, self.last_step, self.history, self._last_lr = None, -1, [], []
        if optimizer is not None:
            self.bind(optimizer)

    # --- the formula ---
    def lr_at(self, t: int, base_lr: float) -> float:
        """The rate at step ``t`` for a group whose base rate is ``base_lr`` (a subclass's closed form)."""
        raise NotImplementedError(f"{type(self).__name__} must define lr_at(t, base_lr)")

    def _values(self, t: int) -> list:
        return [self.lr_at(t, group["initial_lr"]) for group in self.optimizer.param_groups]

    # --- binding and stepping ---
    def bind(self, optimizer) -> Schedule:
        """Set the rates of ``optimizer``'s groups from now on; each group's ``initial_lr`` (its base rate
        η_0) is its current rate unless it has one already (a restored optimizer). Returns ``self``."""
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(self).__name__} expects an optimizer, got {type(optimizer).__name__}")
        if self.optimizer is not None and self.optimizer is not optimizer:
            raise ValueError(f"{type(self).__name__} is already bound to another optimizer")
        self.optimizer = optimizer
        self._set_bases()
        if optimizer.param_groups and self.last_step < 0 and self.sets_on_bind:
            self.step_to(0)
        return self

    def _set_bases(self) -> None:
        for group in self.optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])

    def step(self) -> None:
        """Move to the next step and set its rates (call it after ``optimizer.step()``, as in PyTorch)."""
        self.step_to(self.last_step + 1)

    def step_to(self, t: int) -> None:
        """Set the rates of step ``t`` (0, 1, 2, ...) in every group."""
        t = _count(type(self).__name__, "the step", t, minimum=0)
        if self.optimizer is None:
            raise RuntimeError(f"{type(self).__name__} is not bound to an optimizer: pass it or call bind()")
        if not self.optimizer.param_groups:
            raise RuntimeError(f"{type(self).__name__}: the optimizer has no parameters yet")
        self._set_bases()  # groups added since binding
        values = self._values(t)
        for group, value in zip(self.optimizer.param_groups, values):
            group["lr"] = float(value)
        if t != self.last_step:
            self.history.append(float(values[0]))
        self.last_step, self._last_lr = t, [float(value) for value in values]

    def get_last_lr(self) -> list:
        """The rates last set, one per parameter group (PyTorch's ``get_last_lr``)."""
        return list(self._last_lr)

    def __call__(self, step: int) -> float:
        """The rate at ``step`` for the first group's base (Keras's ``schedule(step)``), setting nothing."""
        base = getattr(self, "initial_learning_rate", None)
        if base is None:
            if self.optimizer is None or not self.optimizer.param_groups:
                raise RuntimeError(f"{type(self).__name__} has no base rate: bind it to an optimizer first")
            base = self.optimizer.param_groups[0].get("initial_lr", self.optimizer.param_groups[0]["lr"])
        return float(self.lr_at(_count(type(self).__name__, "the step", step, minimum=0), base))

    # --- saving ---
    def state_dict(self) -> dict:
        """``{"schedule": class name, "last_step": t, "base_lrs": [η_0 per group]}`` (plain data)."""
        groups = self.optimizer.param_groups if self.optimizer is not None else []
        return {
            "schedule": type(self).__name__,
            "last_step": self.last_step,
            "base_lrs": [group["initial_lr"] for group in groups],
        }

    def load_state_dict(self, state: dict) -> None:
        """Restore what ``state_dict`` saved (the step and the base rates), and set that step's rates."""
        name = type(self).__name__
        if not isinstance(state, dict) or not {"last_step", "base_lrs"} <= state.keys():
            raise TypeError(f"{name}.load_state_dict expects the dict made by state_dict()")
        if state.get("schedule", name) != name:
            raise ValueError(
                f"{name}.load_state_dict: the state was saved by {state['schedule']}, not {name}"
            )
        if self.optimizer is None:
            raise RuntimeError(f"{name}.load_state_dict: bind the schedule to an optimizer first")
        groups = self.optimizer.param_groups
        if len(state["base_lrs"]) != len(groups):
            raise ValueError(
                f"{name}.load_state_dict: the state has {len(state['base_lrs'])} base rates, "
                f"the optimizer {len(groups)} parameter groups"
            )
        for group, base in zip(groups, state["base_lrs"]):
            group["initial_lr"] = _number(name, "a base rate", base)
        if state["last_step"] >= 0:
            self.step_to(state["last_step"])

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value!r}" for key, value in self._config().items())
        return f"{type(self).__name__}({settings})"

    def _config(self) -> dict:
        return {}


class LinearLR(Schedule):
    r"""Linear warm-up (or decay) of the rate's factor from ``start_factor`` to ``end_factor`` over
    ``total_iters`` steps, then constant (PyTorch's ``LinearLR``):

    .. math:: \eta_t = \eta_0 \left(s + (e - s)\,\frac{\min(t, T)}{T}\right)

    Args:
        optimizer: the optimizer (or ``None``, see ``Schedule``).
        start_factor: s, in (0, 1]. end_factor: e, in [0, 1]. total_iters: T >= 1.
    """

    def __init__(self, optimizer=None, start_factor=1.0 / 3, end_factor=1.0, total_iters=5):
        name = type(self).__name__
        self.start_factor = _number(name, "start_factor", start_factor, 0.0, 1.0, closed=(False, True))
        self.end_factor = _number(name, "end_factor", end_factor, 0.0, 1.0)
        self.total_iters = _count(name, "total_iters", total_iters)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        fraction = min(self.total_iters, t) / self.total_iters
        return base_lr * linear_anneal(self.start_factor, self.end_factor, fraction)

    def _config(self):
        return {"start_factor": self.start_factor, "end_factor": self.end_factor,
                "total_iters": self.total_iters}  # fmt: skip


class ConstantLR(Schedule):
    r"""The rate times ``factor`` for the first ``total_iters`` steps, then the base rate (PyTorch's):

    .. math:: \eta_t = \eta_0 \cdot \begin{cases} f & t < T \\ 1 & t \ge T \end{cases}
    """

    def __init__(self, optimizer=None, factor=1.0 / 3, total_iters=5):
        name = type(self).__name__
        self.factor = _number(name, "factor", factor, 0.0, 1.0)
        self.total_iters = _count(name, "total_iters", total_iters, minimum=0)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return base_lr * (self.factor if t < self.total_iters else 1.0)

    def _config(self):
        return {"factor": self.factor, "total_iters": self.total_iters}


class CosineAnnealingLR(Schedule):
    r"""Cosine decay from the base rate to ``eta_min`` over ``T_max`` steps (PyTorch's ``CosineAnnealingLR``,
    SGDR without restarts):

    .. math:: \eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min}) \left(1 + \cos \frac{\pi t}{T_{max}}\right)

    Past ``T_max`` the cosine goes on (back up to η_0 at 2 T_max), as PyTorch's does; ``CosineDecay`` and
    ``WarmupCosine`` stay at the floor instead.
    """

    def __init__(self, optimizer=None, T_max=None, eta_min=0.0):  # noqa: N803 - PyTorch's name
        name = type(self).__name__
        self.T_max = _count(name, "T_max", T_max)
        self.eta_min = _number(name, "eta_min", eta_min)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return cosine_anneal(base_lr, self.eta_min, t / self.T_max)

    def _config(self):
        return {"T_max": self.T_max, "eta_min": self.eta_min}


class StepLR(Schedule):
    r"""The rate times ``gamma`` every ``step_size`` steps (PyTorch's ``StepLR``):

    .. math:: \eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}
    """

    def __init__(self, optimizer=None, step_size=None, gamma=0.1):
        name = type(self).__name__
        self.step_size = _count(name, "step_size", step_size)
        self.gamma = _number(name, "gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return base_lr * self.gamma ** (t // self.step_size)

    def _config(self):
        return {"step_size": self.step_size, "gamma": self.gamma}


class MultiStepLR(Schedule):
    r"""The rate times ``gamma`` at each of the ``milestones`` (PyTorch's ``MultiStepLR``):

    .. math:: \eta_t = \eta_0\, \gamma^{\#\{i \,:\, m_i \le t\}}
    """

    def __init__(self, optimizer=None, milestones=(), gamma=0.1):
        name = type(self).__name__
        self.milestones = sorted(_count(name, "a milestone", m) for m in milestones)
        self.gamma = _number(name, "gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return base_lr * self.gamma ** bisect_right(self.milestones, t)

    def _config(self):
        return {"milestones": self.milestones, "gamma": self.gamma}


class ExponentialLR(Schedule):
    r"""The rate times ``gamma`` every step (PyTorch's ``ExponentialLR``):

    .. math:: \eta_t = \eta_0\, \gamma^{t}
    """

    def __init__(self, optimizer=None, gamma=None):
        self.gamma = _number(type(self).__name__, "gamma", gamma)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return base_lr * self.gamma**t

    def _config(self):
        return {"gamma": self.gamma}


class LambdaLR(Schedule):
    r"""The base rate times a function of the step (PyTorch's ``LambdaLR``):

    .. math:: \eta_t = \eta_0\, \lambda(t)
    """

    def __init__(self, optimizer=None, lr_lambda=None):
        if not callable(lr_lambda):
            raise TypeError(f"LambdaLR: lr_lambda must be a function of the step, got {lr_lambda!r}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        return base_lr * float(self.lr_lambda(t))


class FunctionLR(Schedule):
    r"""Keras's ``LearningRateScheduler`` function: the next rate from the step and the current rate,

    .. math:: \eta_t = f(t, \eta_{t-1})

    (the only schedule here that is not a closed form: it reads the group's current rate, so a resumed run
    continues from the restored rate). Binding sets nothing: f(0, η) is set at step 0.
    """

    sets_on_bind = False

    def __init__(self, optimizer=None, function=None):
        if not callable(function):
            raise TypeError(f"FunctionLR: function must be f(step, lr) -> lr, got {function!r}")
        self.function = function
        super().__init__(optimizer)

    def _values(self, t):
        values = [float(self.function(t, group["lr"])) for group in self.optimizer.param_groups]
        for value in values:
            if not value >= 0:
                raise ValueError(f"FunctionLR: the function returned lr={value} for step {t}; expected >= 0")
        return values


class SequentialLR(Schedule):
    r"""Several schedules one after another: schedule i runs from milestone m_{i-1} (its own step 0) to
    m_i (PyTorch's ``SequentialLR``), all on the same base rate:

    .. math:: \eta_t = S_i(t - m_{i-1},\ \eta_0) \quad \text{for } m_{i-1} \le t < m_i,\ m_0 = 0

    Example, linear warm-up for 100 steps then cosine decay: ``SequentialLR(opt, [LinearLR(None, 0.01,
    total_iters=100), CosineAnnealingLR(None, T_max=900)], milestones=[100])``.
    """

    def __init__(self, optimizer=None, schedulers=(), milestones=()):
        name = type(self).__name__
        self.schedulers = list(schedulers)
        if not self.schedulers or not all(isinstance(s, Schedule) for s in self.schedulers):
            raise TypeError(f"{name}: schedulers must be a non-empty list of schedules, got {schedulers!r}")
        self.milestones = [_count(name, "a milestone", m) for m in milestones]
        if len(self.milestones) != len(self.schedulers) - 1:
            raise ValueError(
                f"{name}: {len(self.schedulers)} schedules need {len(self.schedulers) - 1} milestones, "
                f"got {len(self.milestones)}"
            )
        if self.milestones != sorted(set(self.milestones)):
            raise ValueError(f"{name}: milestones must increase, got {self.milestones}")
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        index = bisect_right(self.milestones, t)
        start = self.milestones[index - 1] if index else 0
        return self.schedulers[index].lr_at(t - start, base_lr)

    def _config(self):
        return {"schedulers": self.schedulers, "milestones": self.milestones}


class OneCycleLR(Schedule):
    r"""The 1cycle policy (Smith): up from η_max / d to η_max over the first ``pct_start`` of
    ``total_steps``, then down to η_max / (d · d_f) (PyTorch's ``OneCycleLR``, two phases). With
    p the fraction of the current phase and a(x, y, p) the anneal (``cosine_anneal`` or ``linear_anneal``):

    .. math::
        \eta_t = \begin{cases} a(\eta_{max}/d,\ \eta_{max},\ p) & t \le T_1 = \text{pct\_start}\,T - 1 \\
        a(\eta_{max},\ \eta_{max}/(d\,d_f),\ p) & T_1 < t \le T - 1 \end{cases}

    The momentum (``momentum`` for SGD, ``beta_1`` for Adam and its kin) goes the other way, from
    ``max_momentum`` to ``base_momentum`` and back, when ``cycle_momentum``. Binding sets each group's
    ``initial_lr`` to η_max / d, as PyTorch does. A step past ``total_steps`` raises ``ValueError``.
    """

    def __init__(self, optimizer=None, max_lr=None, total_steps=None, pct_start=0.3, anneal_strategy="cos",
                 cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4):  # fmt: skip
        name = type(self).__name__
        self.max_lr = _number(name, "max_lr", max_lr, closed=(False, True))
        self.total_steps = _count(name, "total_steps", total_steps)
        self.pct_start = _number(name, "pct_start", pct_start, 0.0, 1.0)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self._anneal = cosine_anneal if anneal_strategy == "cos" else linear_anneal
        self.cycle_momentum = bool(cycle_momentum)
        self.base_momentum = _number(name, "base_momentum", base_momentum, 0.0, 1.0)
        self.max_momentum = _number(name, "max_momentum", max_momentum, 0.0, 1.0)
        self.div_factor = _number(name, "div_factor", div_factor, closed=(False, True))
        self.final_div_factor = _number(name, "final_div_factor", final_div_factor, closed=(False, True))
        self._ends = [self.pct_start * self.total_steps - 1, self.total_steps - 1]
        super().__init__(optimizer)

    def _set_bases(self):
        for group in self.optimizer.param_groups:
            group.setdefault("initial_lr", self.max_lr / self.div_factor)

    def _phase(self, t: int) -> tuple:
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: step {t} is past total_steps={self.total_steps}")
        if t <= self._ends[0]:
            return 0, t / self._ends[0]
        return 1, (t - self._ends[0]) / (self._ends[1] - self._ends[0])

    def lr_at(self, t, base_lr):
        phase, fraction = self._phase(t)
        peak = base_lr * self.div_factor
        if phase == 0:
            return self._anneal(base_lr, peak, fraction)
        return self._anneal(peak, base_lr / self.final_div_factor, fraction)

    def _values(self, t):
        if self.cycle_momentum:
            phase, fraction = self._phase(t)
            ends = (self.max_momentum, self.base_momentum)
            momentum = self._anneal(*(ends if phase == 0 else ends[::-1]), fraction)
            for group in self.optimizer.param_groups:
                key = "momentum" if "momentum" in group else "beta_1" if "beta_1" in group else None
                if key is None:
                    raise ValueError("OneCycleLR: cycle_momentum needs an optimizer with momentum or beta_1")
                group[key] = momentum
        return super()._values(t)

    def _config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps, "pct_start": self.pct_start}


class CosineDecay(Schedule):
    r"""Keras's ``keras.optimizers.schedules.CosineDecay``: an optional linear warm-up from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then a cosine decay of the peak
    η_p (``warmup_target``, or ``initial_learning_rate`` without warm-up) to α η_p over ``decay_steps``,
    held there after:

    .. math::
        \eta_t = \begin{cases} \eta_0 + (\eta_p - \eta_0)\,t / W & t < W \\
        \eta_p \left(\alpha + \tfrac12 (1 - \alpha)\left(1 + \cos\frac{\pi \min(t - W, D)}{D}\right)\right)
        & t \ge W \end{cases}

    Args:
        initial_learning_rate: η_0; ``None`` takes the optimizer's rate.
        decay_steps: D >= 1. alpha: α in [0, 1], the floor as a fraction of the peak.
        warmup_target: η_p (``None``: no warm-up). warmup_steps: W >= 0.
        optimizer: the optimizer to bind to (keyword: the first arguments are Keras's).
    """

    def __init__(self, initial_learning_rate=None, decay_steps=None, alpha=0.0, *, warmup_target=None,
                 warmup_steps=0, optimizer=None):  # fmt: skip
        name = type(self).__name__
        if initial_learning_rate is not None:
            initial_learning_rate = _number(name, "initial_learning_rate", initial_learning_rate)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _count(name, "decay_steps", decay_steps)
        self.alpha = _number(name, "alpha", alpha, 0.0, 1.0)
        self.warmup_steps = _count(name, "warmup_steps", warmup_steps, minimum=0)
        if warmup_target is None and self.warmup_steps:
            raise ValueError(
                f"{name}: warmup_steps={self.warmup_steps} needs a warmup_target (the peak rate)"
            )
        self.warmup_target = None if warmup_target is None else _number(name, "warmup_target", warmup_target)
        super().__init__(optimizer)

    def _set_bases(self):
        for group in self.optimizer.param_groups:
            if self.initial_learning_rate is not None:
                group["initial_lr"] = self.initial_learning_rate
            group.setdefault("initial_lr", group["lr"])

    def lr_at(self, t, base_lr):
        peak = base_lr if self.warmup_target is None else self.warmup_target
        if t < self.warmup_steps:
            return linear_anneal(base_lr, peak, t / self.warmup_steps)
        fraction = min(t - self.warmup_steps, self.decay_steps) / self.decay_steps
        return peak * cosine_anneal(1.0, self.alpha, fraction)

    def _config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}  # fmt: skip


class WarmupCosine(Schedule):
    r"""nanoGPT's ``get_lr``: linear warm-up over ``warmup_steps``, cosine decay to ``min_lr`` at
    ``decay_steps`` (counted from step 0), ``min_lr`` after:

    .. math::
        \eta_t = \begin{cases} \eta_0\,\frac{t + 1}{W + 1} & t < W \\
        \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})\left(1 + \cos \frac{\pi (t - W)}{D - W}\right)
        & W \le t \le D \\ \eta_{min} & t > D \end{cases}

    It is ``SequentialLR([LinearLR(start_factor=1/(W+1), total_iters=W), CosineAnnealingLR(T_max=D-W,
    eta_min)], milestones=[W])`` up to step D, then held (PyTorch's cosine would rise again).
    """

    def __init__(self, optimizer=None, warmup_steps=None, decay_steps=None, min_lr=0.0):
        name = type(self).__name__
        self.warmup_steps = _count(name, "warmup_steps", warmup_steps, minimum=0)
        self.decay_steps = _count(name, "decay_steps", decay_steps)
        if self.warmup_steps >= self.decay_steps:
            raise ValueError(
                f"{name}: warmup_steps ({self.warmup_steps}) must be fewer than decay_steps "
                f"({self.decay_steps}), the step where the decay ends; make the warm-up shorter"
            )
        self.min_lr = _number(name, "min_lr", min_lr)
        super().__init__(optimizer)

    def lr_at(self, t, base_lr):
        if t < self.warmup_steps:
            return base_lr * linear_anneal(1.0 / (self.warmup_steps + 1), 1.0, t / self.warmup_steps)
        fraction = min(t - self.warmup_steps, self.decay_steps - self.warmup_steps)
        return cosine_anneal(base_lr, self.min_lr, fraction / (self.decay_steps - self.warmup_steps))

    def _config(self):
        return {"warmup_steps": self.warmup_steps, "decay_steps": self.decay_steps, "min_lr": self.min_lr}


def as_schedule(schedule) -> Schedule:
    """A ``Schedule`` as given, or Keras's function f(epoch, lr) -> lr wrapped as ``FunctionLR``."""
    if isinstance(schedule, Schedule):
        return schedule
    if callable(schedule):
        return FunctionLR(None, schedule)
    raise TypeError(
        f"a learning-rate schedule is a Schedule or a function (step, lr) -> lr, got {schedule!r}"
    )


def scale_lr(optimizer, factor_or_lr, min_lr: float = 0.0, absolute: bool = False) -> float:
    """Multiply every group's rate by ``factor`` (or set it to ``factor_or_lr`` with ``absolute``), at least
    ``min_lr``; a schedule's base rate (``initial_lr``) is scaled by the same ratio, so that the schedule
    keeps the change. Returns the first group's new rate. ``ReduceLROnPlateau`` lowers rates through this.
    """
    for group in optimizer.param_groups:
        old = group["lr"]
        new = max(factor_or_lr if absolute else old * factor_or_lr, min_lr)
        if "initial_lr" in group and old > 0:
            group["initial_lr"] *= new / old
        group["lr"] = new
    return optimizer.param_groups[0]["lr"]
