"""``Optimizer``: the base of every optimizer; parameter groups, state, conventions, saving, step listeners.

An optimizer updates parameters in place from their gradients. A parameter is any object with ``.data``
(an array, updated in place: other code keeps references to it), ``.grad`` (an array of the same shape,
or ``None``) and ``.requires_grad`` (``False`` freezes it); in glassnet that is ``nn.Parameter``.

Each optimizer file holds one update rule written three ways, one per ``convention``:

- ``"notes"`` (the default): the formulas of the lecture notes (CURRICULUM section 6).
- ``"pytorch"``: ``torch.optim`` 2.13 exactly, including its defaults and where epsilon sits.
- ``"keras"``: Keras 3 exactly, including its defaults and its decoupled weight decay.

Gradient clipping, the same for every optimizer, lives here too (``clipnorm``, ``clipvalue``,
``global_clipnorm``, as Keras's): the update reads clipped copies of the gradients, made before weight decay
is added; ``param.grad`` itself is left as backward made it.

Weight decay, the same for every optimizer, lives here: with ``"notes"`` and ``"pytorch"`` it is an L2 term
added to the gradient, g <- g + wd * w (coupled); with ``"keras"`` it shrinks the weight before the update,
w <- w - lr * wd * w (decoupled, Keras 3 ``base_optimizer._apply_weight_decay``).

A subclass declares its tables and writes its rule; the base class does the rest:

- ``hyperparameters``: name -> (notes default, pytorch default, keras default, rule), the one source of
  defaults, validation, the constructor's signature and the docstring's table of defaults (written where
  the docstring says ``{hyperparameter_table}``). ``UNUSED`` marks a hyperparameter a convention does not
  have.
- ``aliases``: other spellings accepted (``learning_rate`` for ``lr``, ``epsilon`` for ``eps``).
- ``state_names``: the state arrays it keeps per parameter (what ``state_dict`` saves); ``decaying``: those
  that shrink geometrically while the gradient is 0, which ``_apply`` keeps out of the subnormal range.
- ``_update_notes``, ``_update_pytorch``, ``_update_keras``: the rule, updating ``data`` in place and
  returning the named terms it computed on the way (``lr_t``, the per-weight ``denominator`` ...): a step
  record's derived quantities (``lr_effective``, see ``Optimizer._explain``) are made from those very
  terms, never from a second copy of the rule.
"""

from __future__ import annotations

import inspect
import numbers
from functools import cache

from glassnet.backend import get_array_module
from glassnet.optim import hooks
from glassnet.optim.schedules import Schedule

__all__ = ["Optimizer", "CONVENTIONS", "UNUSED"]

CONVENTIONS = ("notes", "pytorch", "keras")
_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")


class _Unused:
    """Marks, in a hyperparameter table, a convention that does not have that hyperparameter."""

    def __repr__(self) -> str:
        return "UNUSED"


UNUSED = _Unused()

# The rules a hyperparameter table may name, and how an error message says them.
_RULE_WORDS = {
    ">= 0": ">= 0",
    "> 0": "> 0",
    "[0, 1)": "in [0, 1)",
    "[0, 1]": "in [0, 1]",
    "bool": "True or False",
}


def _satisfies(value: float, rule: str) -> bool:
    if rule == ">= 0":
        return value >= 0
    if rule == "> 0":
        return value > 0
    if rule == "[0, 1)":
        return 0 <= value < 1
    return 0 <= value <= 1  # "[0, 1]"


def _default_text(value) -> str:
    """A default as the docstring tables show it: 0.001, 1e-8, False, and — for ``UNUSED``."""
    if value is UNUSED:
        return "—"
    if isinstance(value, bool):
        return str(value)
    mantissa, exponent_mark, exponent = f"{value:g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent_mark else mantissa


def hyperparameter_table(hyperparameters: dict) -> str:
    """The table of defaults a docstring shows: one row per hyperparameter, one column per convention and
    the rule its values must satisfy, as a reStructuredText simple table.

    Example:
        >>> print(hyperparameter_table({"lr": (0.01, 1e-3, UNUSED, ">= 0")}))
        ====  =====  =======  =====  =======
        name  notes  pytorch  keras  allowed
        ====  =====  =======  =====  =======
        lr    0.01   0.001    —      >= 0
        ====  =====  =======  =====  =======
    """
    rows = [("name", *CONVENTIONS, "allowed")]
    for name, (*defaults, rule) in hyperparameters.items():
        rows.append((name, *map(_default_text, defaults), _RULE_WORDS[rule].removeprefix("in ")))
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    rule_line = "  ".join("=" * width for width in widths)
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join([rule_line, lines[0], rule_line, *lines[1:], rule_line])


@cache
def _smallest_normal(xp, dtype) -> float:
    """``finfo(dtype).tiny``: the smallest positive normal float (1.2e-38 in float32, 2.2e-308 in float64)."""
    return float(xp.finfo(dtype).tiny)


# Every FLUSH_EVERY-th update of a parameter flushes its decaying state (see _flush_subnormals).
FLUSH_EVERY = 16


def _flush_subnormals(array, scratch, xp) -> None:
    """Set the entries of a state array below the smallest normal float to 0: x <- 0 where |x| < tiny
    (``finfo(dtype).tiny``: 1.2e-38 in float32, 2.2e-308 in float64).

    Why: a state that decays geometrically, V <- β V while the gradient is 0 (the weights of a pixel that
    is almost always black), falls below tiny into the subnormal range, where x86 arithmetic can be slow
    (on the AMD EPYC this was measured on, an Adam step on all-subnormal state took 1.5 times as long;
    Intel cores are known to take many times as long), and it stays there: rounded to nearest, k units of
    the smallest subnormal times β is k units again once k (1 − β) < 1/2, so V stalls at 4 or 5 units for
    β = 0.9 and S at 500 for β = 0.999, subnormal for the rest of training. A flush ends that. The results
    change below float rounding: a flushed V moves a weight by less than lr · tiny / D, and a flushed S
    changes D = √S + ε by less than √tiny, below D's rounding for ε ≥ ``_smallest_flushable_eps`` (2e-12
    in float32, 1e-138 in float64; the defaults are 1e-10 to 1e-6). With a smaller ε (ε = 0: V / √S) the
    flush is skipped, as it would change the step.

    Cost and schedule: three passes (|x| into ``scratch``, the comparison, the masked copy; ``putmask``
    was slower, a multiply by the mask or a test of the exponent bits about the same); run on every update
    they added a quarter to a half to Adam's step on the MLP 784-256-128-10, so ``Optimizer._apply`` runs
    them every ``FLUSH_EVERY`` (16) updates of a parameter, which costs a sixteenth of that (Adam's CPU
    time per Fashion-MNIST epoch was the same within noise): no entry stays subnormal for 16 updates.
    """
    magnitude = xp.abs(array, out=scratch)
    xp.copyto(array, 0, where=magnitude < _smallest_normal(xp, array.dtype))


@cache
def _smallest_flushable_eps(xp, dtype) -> float:
    """2 √tiny / machine ε: from this ε up, √S + ε with S < tiny rounds as ε alone does (see above)."""
    return 2 * _smallest_normal(xp, dtype) ** 0.5 / float(xp.finfo(dtype).eps)


class Optimizer:
    """The base class: holds parameter groups and per-parameter state, and runs the update rule.

    Args:
        params: an iterable of parameters, or of dicts (parameter groups, as in PyTorch: ``{"params": [...],
            "lr": 0.1}``; keys not given take the optimizer's values). ``None`` binds later with ``bind``.
        convention: ``"notes"`` (default), ``"pytorch"`` or ``"keras"``: which published form of the rule
            and which defaults to use.
        clipnorm: rescale each parameter's gradient g to norm at most ``clipnorm``:
            g <- g · clipnorm / max(||g||, clipnorm) (Keras's ``clipnorm``; the cure for exploding
            gradients in recurrent networks).
        clipvalue: clip each gradient entry to [-clipvalue, clipvalue].
        global_clipnorm: rescale all gradients together so that the norm of their concatenation is at most
            ``global_clipnorm`` (Keras's ``global_clipnorm``, PyTorch's ``clip_grad_norm_`` without the
            1e-6). At most one of ``clipnorm`` and ``global_clipnorm``; ``clipvalue`` applies first.
        *positional, **hyperparameters: the subclass's hyperparameters (``lr``, ``weight_decay``, ...), by
            name or by position in the order of its ``hyperparameters`` table; ``None`` means the
            convention's default. Aliases such as ``learning_rate`` (Keras) are accepted. ``lr`` may be a
            schedule with its own initial rate (Keras's way: ``Adam(lr=schedules.CosineDecay(1e-3, 1000))``):
            update k then runs at the schedule's rate of step k.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` and every hyperparameter; a learning-rate
            schedule (``optim.schedules``) sets ``group["lr"]`` and keeps its base rate as
            ``group["initial_lr"]``, which ``state_dict`` saves with the group.
        schedule: the schedule given as ``lr``, or ``None``. iterations: ``step()`` calls so far.
        defaults: the hyperparameters given at construction, defaults filled in.
        state: per-parameter state, keyed by ``id(param)``: ``{"step": t, <state_names>: arrays}``.
    """

    hyperparameters: dict = {}
    aliases: dict = {"learning_rate": "lr", "epsilon": "eps"}
    state_names: tuple = ()
    decaying: tuple = ()
    # What the effective learning rate (``lr_effective``) multiplies in the update, for explain's tables.
    direction = "g"
    # Weight decay as w <- w - lr wd w before the rule in every convention (AdamW), not only Keras's.
    decoupled_weight_decay = False

    def __init_subclass__(cls, **kwargs):
        """Make the subclass's signature and its docstring's table of defaults from ``hyperparameters``."""
        super().__init_subclass__(**kwargs)
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [
            inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None),
            *(
                inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
                for name in cls.hyperparameters
            ),
            inspect.Parameter("convention", keyword, default="notes"),
            *(inspect.Parameter(name, keyword, default=None) for name in _CLIPPING),
            inspect.Parameter("aliases", inspect.Parameter.VAR_KEYWORD),
        ]
        cls.__signature__ = inspect.Signature(parameters)
        if cls.__doc__ and "{hyperparameter_table}" in cls.__doc__:
            line = next(line for line in cls.__doc__.splitlines() if "{hyperparameter_table}" in line)
            indent = line[: len(line) - len(line.lstrip())]
            table = hyperparameter_table(cls.hyperparameters).replace("\n", "\n" + indent)
            cls.__doc__ = cls.__doc__.replace("{hyperparameter_table}", table)

    def __init__(
        self,
        params=None,
        *positional,
        convention: str = "notes",
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        **hyperparameters,
    ):
        name = type(self).__name__
        if convention not in CONVENTIONS:
            raise ValueError(
                f"{name}: convention must be one of {', '.join(map(repr, CONVENTIONS))}, got {convention!r}"
            )
        clipping = dict(zip(_CLIPPING, (clipnorm, clipvalue, global_clipnorm)))
        for key, value in clipping.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value <= 0:
                raise ValueError(f"{name}: {key} must be a number > 0, got {value!r}")
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"{name}: give clipnorm or global_clipnorm, not both")
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.convention = convention
        given = self._canonical({**self._by_position(positional, hyperparameters), **hyperparameters})
        self.schedule, self.iterations = None, 0
        schedule = given.get("lr")
        if isinstance(schedule, Schedule):
            given["lr"] = self._scheduled_start(schedule)
        self.defaults = {}
        for key, (notes, pytorch, keras, _rule) in self.hyperparameters.items():
            default = {"notes": notes, "pytorch": pytorch, "keras": keras}[convention]
            if default is not UNUSED:
                self.defaults[key] = default
        self.defaults.update(self._validated(given))
        self._check_group(self.defaults)
        self._update = getattr(self, f"_update_{convention}")
        self._decoupled_weight_decay = self.decoupled_weight_decay or convention == "keras"
        self.param_groups: list[dict] = []
        self.state: dict[int, dict] = {}
        if params is not None:
            self.bind(params)
        if isinstance(schedule, Schedule):
            self.attach_schedule(schedule)

    def _scheduled_start(self, schedule: Schedule) -> float:
        """The rate of step 0 of a schedule given as ``lr``; it must carry its own initial rate."""
        if getattr(schedule, "initial_learning_rate", None) is None:
            raise ValueError(
                f"{type(self).__name__}: a schedule given as lr needs its own initial rate "
                f"(CosineDecay(initial_learning_rate, ...)); bind {type(schedule).__name__} to the "
                "optimizer instead: schedule = " + type(schedule).__name__ + "(optimizer, ...)"
            )
        return schedule(0)

    def attach_schedule(self, schedule: Schedule) -> Schedule:
        """Step ``schedule`` with the updates: update k (from 0, counted by ``iterations``) runs at the
        schedule's rate of step k, as ``lr=schedule`` does; a schedule without its own initial rate takes
        each group's rate as its base. Returns the schedule (bound to this optimizer)."""
        if not isinstance(schedule, Schedule):
            raise TypeError(f"{type(self).__name__}.attach_schedule expects a schedule, got {schedule!r}")
        self.schedule = schedule.bind(self)
        return schedule

    # --- hyperparameters: validated once, at the edge ---
    def _by_position(self, positional: tuple, by_keyword: dict) -> dict:
        """Hyperparameters given by position, named in the table's order (``SGD(params, 0.1)``: lr = 0.1)."""
        name, names = type(self).__name__, list(self.hyperparameters)
        if len(positional) > len(names):
            raise TypeError(
                f"{name} takes at most {len(names)} hyperparameters by position ({', '.join(names)}), "
                f"got {len(positional)}"
            )
        named = dict(zip(names, positional))
        twice = [key for key in named if key in by_keyword]
        if twice:
            raise TypeError(f"{name}: {twice[0]} given twice (by position and by name)")
        return named

    def _canonical(self, given: dict) -> dict:
        """Map aliases to canonical names, drop ``None`` (= default) and reject unknown names."""
        name = type(self).__name__
        canonical = {}
        for key, value in given.items():
            target = self.aliases.get(key, key)
            if target not in self.hyperparameters and not isinstance(target, tuple):
                valid = sorted([*self.hyperparameters, *self.aliases])
                raise TypeError(f"{name} got an unexpected hyperparameter {key!r}; valid: {', '.join(valid)}")
            if value is None:
                continue
            if isinstance(target, tuple):  # one alias for several hyperparameters: betas=(beta_1, beta_2)
                if not isinstance(value, (tuple, list)) or len(value) != len(target):
                    raise TypeError(f"{name}: {key} must be a pair ({', '.join(target)}), got {value!r}")
                pairs = zip(target, value)
            else:
                pairs = [(target, value)]
            for target_name, target_value in pairs:
                if target_name in canonical:
                    raise TypeError(f"{name}: {target_name} given twice (as {key!r} and under another name)")
                canonical[target_name] = target_value
        return canonical

    def _validated(self, given: dict) -> dict:
        """Check each value against the table's rule; numbers become Python floats (keeps float32 math)."""
        name = type(self).__name__
        checked = {}
        for key, value in given.items():
            *defaults, rule = self.hyperparameters[key]
            if dict(zip(CONVENTIONS, defaults))[self.convention] is UNUSED:
                users = [c for c, d in zip(CONVENTIONS, defaults) if d is not UNUSED]
                users = " and ".join(map(repr, users))
                raise ValueError(
                    f"{name}: {key} is used only by convention {users}; "
                    f"this optimizer's convention is {self.convention!r}"
                )
            if rule == "bool":
                if not isinstance(value, bool):
                    raise TypeError(f"{name}: {key} must be True or False, got {value!r}")
                checked[key] = value
                continue
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name}: {key} must be a number, got {value!r}")
            if not _satisfies(float(value), rule):
                raise ValueError(f"{name}: {key} must be {_RULE_WORDS[rule]}, got {value!r}")
            checked[key] = float(value)
        return checked

    def _check_group(self, group: dict) -> None:
        """Constraints between hyperparameters (a subclass overrides; one-value rules live in the table)."""

    # --- parameters ---
    def bind(self, params) -> Optimizer:
        """Give the optimizer its parameters (for ``compile(optimizer=Adam(lr=1e-3))``); returns ``self``.

        Binding again to the same parameters does nothing; binding to others raises ``ValueError``.
        """
        if hasattr(params, "data") or isinstance(params, dict):
            raise TypeError(
                f"{type(self).__name__} expects an iterable of parameters or of parameter groups "
                f"(dicts), got {type(params).__name__}"
            )
        items = list(params)
        if self.param_groups:
            current = [id(p) for group in self.param_groups for p in group["params"]]
            incoming = [
                id(p) for item in items for p in (item["params"] if isinstance(item, dict) else [item])
            ]
            if incoming == current:
                return self
            raise ValueError(
                f"{type(self).__name__} is already bound to {len(current)} parameters; "
                "create a new optimizer, or use add_param_group for more parameters"
            )
        if not items:
            raise ValueError(f"{type(self).__name__} got an empty list of parameters")
        if all(isinstance(item, dict) for item in items):
            for group in items:
                self.add_param_group(group)
        elif any(isinstance(item, dict) for item in items):
            raise TypeError(f"{type(self).__name__}: params must be all parameters or all dicts, not a mix")
        else:
            self.add_param_group({"params": items})
        return self

    def add_param_group(self, group: dict) -> None:
        """Add a group ``{"params": [...], <hyperparameter>: value, ...}``; missing keys take ``defaults``."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a parameter group is a dict with a 'params' key, got {group!r}")
        params = group["params"]
        params = [params] if hasattr(params, "data") else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for param in params:
            if not (hasattr(param, "data") and hasattr(param, "grad")):
                raise TypeError(
                    f"{name} expects parameters (objects with .data and .grad), got {type(param).__name__}"
                )
            if id(param) in seen:
                raise ValueError(f"{name}: a parameter appears in more than one group (or twice in one)")
            seen.add(id(param))
        overrides = self._validated(self._canonical({k: v for k, v in group.items() if k != "params"}))
        resolved = {**self.defaults, **overrides}
        self._check_group(resolved)
        self.param_groups.append({"params": params, **resolved})

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Clear gradients: fill the existing buffers with 0 in place (default), or set them to ``None``.

        Filling keeps the buffers, so the next backward pass accumulates into them without allocating.
        """
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is not None:
                    if set_to_none:
                        param.grad = None
                    else:
                        param.grad.fill(0)

    # --- the update ---
    def step(self) -> None:
        """Update every parameter that requires a gradient and has one, in place."""
        if not self.param_groups:
            raise RuntimeError(
                f"{type(self).__name__} has no parameters: pass them to the constructor or call bind(params)"
            )
        if self.schedule is not None:
            self.schedule.step_to(self.iterations)
        self.iterations += 1
        clipped = self._clipped_gradients()
        if hooks._step_listeners:
            self._step_and_record(clipped)
            return
        for group in self.param_groups:
            for param in group["params"]:
                grad = param.grad
                if grad is not None and param.requires_grad:
                    self._apply(param, clipped.get(id(param), grad), group)

    def _clipped_gradients(self) -> dict:
        """Clipped copies of the gradients, by ``id(param)``; empty when no clipping is asked for."""
        if self.clipnorm is None and self.clipvalue is None and self.global_clipnorm is None:
            return {}
        clipped = {}
        params = [p for group in self.param_groups for p in group["params"]]
        for param in (p for p in params if p.grad is not None and p.requires_grad):
            grad = param.grad
            xp = get_array_module(grad)
            if self.clipvalue is not None:
                grad = xp.clip(grad, -self.clipvalue, self.clipvalue)
            if self.clipnorm is not None:
                norm = float(xp.sqrt((grad.astype(xp.float64) ** 2).sum()))
                if norm > self.clipnorm:
                    grad = grad * (self.clipnorm / norm)
            clipped[id(param)] = grad
        if self.global_clipnorm is not None:
            total = sum(float((g.astype("float64") ** 2).sum()) for g in clipped.values()) ** 0.5
            if total > self.global_clipnorm:
                scale = self.global_clipnorm / total
                clipped = {key: g * scale for key, g in clipped.items()}
        return clipped

    def _apply(self, param, grad, group: dict) -> dict:
        """One parameter: count the step, apply weight decay, then the rule of the chosen convention; every
        ``FLUSH_EVERY`` steps, flush the decaying state's subnormals. Returns the rule's named terms."""
        data = param.data
        xp = get_array_module(data)
        state = self.state.get(id(param))
        if state is None:
            state = self.state[id(param)] = {"step": 0}
        state["step"] += 1
        weight_decay = group["weight_decay"]
        if weight_decay != 0:
            if self._decoupled_weight_decay:  # keras: w <- w - lr * wd * w, before the rule
                xp.multiply(data, 1.0 - group["lr"] * weight_decay, out=data)
            else:  # notes, pytorch: g <- g + wd * w, never written back into param.grad
                decayed = self._buffer(state, "_decayed_grad", data, xp, fill=None)
                xp.multiply(data, weight_decay, out=decayed)
                decayed += grad
                grad = decayed
        terms = self._update(data, grad, state, group, xp)
        if state["step"] % FLUSH_EVERY == 0 and self._flushable(group, data.dtype, xp):
            for key in self.decaying:
                if key in state:
                    _flush_subnormals(state[key], state["_scratch"], xp)
        return terms

    @staticmethod
    def _flushable(group: dict, dtype, xp) -> bool:
        """Whether a flush changes results below rounding: always without ε (SGD), else for ε big enough."""
        return group.get("eps", 1.0) >= _smallest_flushable_eps(xp, dtype)

    @staticmethod
    def _divide_and_step(data, numerator, lr_t, denominator, state: dict, xp) -> dict:
        """w ← w − lr_t · (numerator / D), in that order; returns the terms ``lr_t`` and ``denominator``."""
        scratch = state["_scratch"]
        data -= xp.multiply(xp.divide(numerator, denominator, out=scratch), lr_t, out=scratch)
        return {"lr_t": lr_t, "denominator": denominator}

    @staticmethod
    def _buffer(state: dict, key: str, like, xp, fill=0.0):
        """The state array ``key``, made on first use like ``like`` (``fill=None``: uninitialised scratch)."""
        array = state.get(key)
        if array is None:
            array = xp.empty_like(like) if fill is None else xp.full_like(like, fill)
            state[key] = array
        return array

    @staticmethod
    def _explain(terms: dict) -> dict:
        """A step record's derived quantities, made from the terms the rule computed (``terms``).

        The effective learning rate η_t (``lr_effective``) is the factor multiplying the step's direction
        (g, or Adam's V): the rule's rate ``lr_t``, times its per-weight ``ratio`` R where it has one
        (Adadelta), divided by its per-weight ``denominator`` D where it has one (Adagrad, RMSProp, Adam):
        η_t = lr_t · R / D. Other terms (Adam's bias corrections) are reported as they are.
        """
        derived = {key: value for key, value in terms.items() if key not in ("lr_t", "ratio", "denominator")}
        lr_effective = terms["lr_t"]
        if "ratio" in terms:
            lr_effective = lr_effective * terms["ratio"]
        if "denominator" in terms:
            lr_effective = lr_effective / terms["denominator"]
        derived["lr_effective"] = lr_effective
        return derived

    def _public_state(self, state: dict) -> dict:
        return {key: state[key].copy() for key in self.state_names if key in state}

    def _step_and_record(self, clipped=None) -> None:
        """``step()`` while someone listens: the same updates, each reported as a ``StepRecord``."""
        clipped = clipped or {}
        for group in self.param_groups:
            hyperparameters = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                grad = param.grad
                if grad is None or not param.requires_grad:
                    continue
                grad = clipped.get(id(param), grad)
                value_before, grad_copy = param.data.copy(), grad.copy()
                terms = self._apply(param, grad, group)
                state = self.state[id(param)]
                recorded = self._public_state(state)
                recorded.update(self._explain(terms))
                record = hooks.StepRecord(
                    optimizer=type(self).__name__,
                    convention=self.convention,
                    param=param,
                    step=state["step"],
                    hyperparameters=dict(hyperparameters),
                    value_before=value_before,
                    grad=grad_copy,
                    state=recorded,
                    value_after=param.data.copy(),
                )
                for listener in list(hooks._step_listeners):
                    listener(record)

    # --- saving ---
    def state_dict(self) -> dict:
        """Plain data to save: state keyed by parameter index (in ``param_groups`` order), arrays copied.

        Returns ``{"optimizer": name, "convention": ..., "state": {index: {"step": t, name: array}},
        "param_groups": [{<hyperparameters>, "params": [indices]}]}``.
        """
        state, groups, index = {}, [], 0
        for group in self.param_groups:
            indices = []
            for param in group["params"]:
                entry = self.state.get(id(param))
                if entry is not None:
                    arrays = {key: _to_numpy(value) for key, value in self._public_state(entry).items()}
                    state[index] = {"step": entry["step"], **arrays}
                indices.append(index)
                index += 1
            hyperparameters = {key: value for key, value in group.items() if key != "params"}
            groups.append({**hyperparameters, "params": indices})
        return {
            "optimizer": type(self).__name__,
            "convention": self.convention,
            "state": state,
            "param_groups": groups,
        }

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what ``state_dict`` saved, into an optimizer bound to the same parameter shapes.

        Everything is checked before anything changes: a mismatch (optimizer, convention, number of groups
        or parameters, unknown state, shapes) raises ``ValueError`` and leaves this optimizer as it was.
        """
        name = type(self).__name__
        where = f"{name}.load_state_dict"
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= state_dict.keys():
            raise TypeError(f"{where} expects the dict made by state_dict(), with 'state' and 'param_groups'")
        saved_name = state_dict.get("optimizer", name)
        if saved_name != name:
            raise ValueError(f"{where}: the state dict was saved by {saved_name}, not {name}")
        saved_convention = state_dict.get("convention", self.convention)
        if saved_convention != self.convention:
            raise ValueError(
                f"{where}: the state dict uses convention {saved_convention!r}, "
                f"this optimizer {self.convention!r}"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{where}: expected {len(self.param_groups)} parameter groups, "
                f"the state dict has {len(saved_groups)}"
            )
        param_of_index, hyperparameters = {}, []
        for number, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{where}: group {number} has {len(group['params'])} parameters, "
                    f"the state dict has {len(saved['params'])}"
                )
            param_of_index.update(zip(saved["params"], group["params"]))
            saved = {k: v for k, v in saved.items() if k != "params"}
            base = {"initial_lr": saved.pop("initial_lr")} if "initial_lr" in saved else {}  # a schedule's
            resolved = {**group, **self._validated(saved), **self._validated_base(base)}
            self._check_group(resolved)
            hyperparameters.append(resolved)
        new_state = {}
        for index, saved in state_dict["state"].items():
            param = param_of_index.get(int(index))
            if param is None:
                raise ValueError(
                    f"{where}: state for parameter {index}, but the optimizer has "
                    f"{len(param_of_index)} parameters"
                )
            shape, xp = param.data.shape, get_array_module(param.data)
            entry = {"step": int(saved["step"])}
            for key, value in saved.items():
                if key == "step":
                    continue
                if key not in self.state_names:
                    raise ValueError(
                        f"{where}: unknown state {key!r} for parameter {index}; {name} keeps "
                        f"{', '.join(self.state_names)}"
                    )
                array = xp.array(value, dtype=param.data.dtype)  # a copy, on the parameter's device
                if array.shape != shape:
                    raise ValueError(
                        f"{where}: state {key!r} of parameter {index} has shape {array.shape}, "
                        f"the parameter has shape {shape}"
                    )
                entry[key] = array
            new_state[id(param)] = entry
        for group, resolved in zip(self.param_groups, hyperparameters):
            group.update(resolved)
        self.state = new_state

    def _validated_base(self, base: dict) -> dict:
        """A schedule's base rate ``initial_lr`` (``optim.schedules``) saved with a group: a number >= 0."""
        value = base.get("initial_lr")
        if value is None:
            return {}
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
            raise ValueError(
                f"{type(self).__name__}: a group's initial_lr must be a number >= 0, got {value!r}"
            )
        return {"initial_lr": float(value)}

    def __repr__(self) -> str:
        groups = self.param_groups or [self.defaults]
        lines = [
            ", ".join(f"{k}={v!r}" for k, v in group.items() if k not in ("params", "initial_lr"))
            for group in groups
        ]
        if len(lines) == 1:
            return f"{type(self).__name__}({lines[0]}, convention={self.convention!r})"
        body = "".join(f"\n  group {number}: {line}" for number, line in enumerate(lines))
        return f"{type(self).__name__}(convention={self.convention!r},{body}\n)"


def _to_numpy(array):
    """A NumPy copy of a state array (CuPy arrays come back from the device with ``.get()``)."""
    return array.get() if hasattr(array, "get") else array.copy()
