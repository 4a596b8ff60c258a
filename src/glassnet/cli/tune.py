"""``glassnet tune RUN.toml``: search the values that the run file's ``[search]`` section lists."""

from __future__ import annotations

import argparse
from pathlib import Path

from glassnet import tune
from glassnet.cli.train import output_file
from glassnet.io.config import GRAPH_SOURCES, SEARCH_DOMAINS, RunFileError, load_config

HELP = """Search the hyperparameters that RUN.toml's [search] section lists: each trial is the run with the
trial's values put in place (its [model], [compile] and [fit] keys, or the hidden-layer keys), trained
on the training part and scored on the validation split after each epoch. See `glassnet train --help`
for the run format and glassnet.io.config for [search]; examples/runs/lab_search.toml is the notes' lab.

It prints a line per trial and the table, and writes to --output (default NAME-search/): trials.jsonl
(every ended trial, as it ends: run the same command again to resume after Ctrl-C), results.csv,
best.glassnet (the best trial's model, also scored on the test set), scores.png and curves.png."""


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "tune",
        help="grid or random search over a run file's [search] section",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_file", metavar="RUN.toml", help="a run file with a [search] section")
    parser.add_argument("--output", help="the results folder (default: NAME-search)")
    parser.add_argument("--epochs", type=int, help="override [fit] epochs")
    parser.add_argument("--trials", type=int, help="override [search] n_trials (random search)")
    parser.add_argument("--executor", choices=("auto", "serial", "processes", "ray"), help="override")
    parser.add_argument("--workers", type=int, help="worker processes (default: the free cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(run=run)


def search_space(table: dict, source: str) -> dict:
    """``glassnet.tune`` domains from ``[search.space]``: a list is grid values, a table names a domain
    (``{ loguniform = [1e-4, 0.1] }``, optionally ``when = { hidden_layers = 2 }``), anything else is fixed.

    Example:
        >>> search_space({"hidden_layers": [1, 2], "fit.batch_size": {"choice": [16, 64]}}, "run.toml")
        {'hidden_layers': grid([1, 2]), 'fit.batch_size': choice([16, 64])}
    """
    space = {}
    for key, value in table.items():
        where = f"{source}: search.space.{key}"
        if isinstance(value, list):
            space[key] = tune.grid(value)
            continue
        if not isinstance(value, dict):
            space[key] = value
            continue
        kinds = [name for name in value if name in SEARCH_DOMAINS]
        if len(kinds) != 1 or set(value) - {*kinds, "when"}:
            raise RunFileError(
                f"{where}: expected a table with one of {', '.join(SEARCH_DOMAINS)} (and when), "
                f"found keys {sorted(value)}"
            )
        space[key] = _domain(kinds[0], value[kinds[0]], where)
        if "when" in value:
            when = value["when"]
            if not (isinstance(when, dict) and len(when) == 1 and isinstance(next(iter(when.values())), int)):
                raise RunFileError(f"{where}: when: expected {{ key = count }}, e.g. {{ hidden_layers = 2 }}")
            ((condition, at_least),) = when.items()
            space[key] = space[key].when(condition, at_least)
    try:
        tune.random_points(space, 1, 0)  # a condition must name a key declared before it
    except ValueError as error:
        raise RunFileError(f"{source}: [search.space]: {error}") from None
    return space


def _domain(kind: str, arguments, where: str):
    try:
        if kind in ("choice", "grid"):
            if not isinstance(arguments, list):
                raise ValueError(f"expected a list of values, found {arguments!r}")
            return getattr(tune, kind)(arguments)
        if not (isinstance(arguments, list) and len(arguments) == 2):
            raise ValueError(f"expected [low, high], found {arguments!r}")
        return getattr(tune, kind)(*arguments)
    except (TypeError, ValueError) as error:
        raise RunFileError(f"{where}: {kind}: {error}") from None


def run(args) -> int:
    config = load_config(args.run_file)
    if config.search is None:
        raise RunFileError(
            f"{config.source}: no [search] section: nothing to tune (see glassnet tune --help)"
        )
    if config.data.get("source") in GRAPH_SOURCES:
        raise RunFileError(
            f"{config.source}: glassnet tune searches over arrays split by validation_split; a graph source "
            f"({config.data['source']}) is not supported (train it with glassnet train)"
        )
    settings = dict(config.search)
    space = search_space(settings["space"], config.source)
    for point in tune.random_points(space, 1, 0):  # a key that leads nowhere: refused before any trial
        config.with_hyperparameters(point)
    output = (
        Path(args.output) if args.output else output_file(Path("."), config.name, "-search", config.source)
    )
    fit_args = {**config.fit_arguments(), "verbose": 0}
    if args.epochs is not None:
        fit_args["epochs"] = args.epochs
    if not fit_args.get("validation_split"):
        raise RunFileError(f"{config.source}: [fit] needs validation_split > 0: trials are scored on it")
    say = (lambda *a: None) if args.quiet else print
    (x_train, y_train), test = config.load_data()
    input_shape = x_train.shape[1:]

    def build_model(hyperparameters):
        trial = config.with_hyperparameters(hyperparameters)
        model = trial.build_model(input_shape)
        model.compile(**trial.compile_arguments())
        return model

    options = {
        "objective": settings.get("objective", "val_accuracy"),
        "mode": settings.get("mode"),
        "scheduler": _scheduler(settings.get("scheduler")),
        "executor": args.executor or settings.get("executor", "auto"),
        "n_workers": args.workers or settings.get("workers"),
        "directory": output,
        "seed": settings.get("seed", config.seed),
        "verbose": 0 if args.quiet else 1,
        "ray_address": settings.get("ray_address"),
    }
    if settings.get("algorithm", "random") == "grid":
        searcher = tune.GridSearch(build_model, space, **options)
    else:
        n_trials = args.trials or settings.get("n_trials", 10)
        searcher = tune.RandomSearch(build_model, space, n_trials=n_trials, **options)
    result = searcher.search(x_train, y_train, **fit_args)
    say(_own_settings(config, result))
    if result.best_model is not None and test is not None:
        scores = result.best_model.evaluate(*test, return_dict=True)
        say("best trial on the test set: " + "  ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    try:
        plots = result.plot_scores(output / "scores.png"), result.plot_curves(output / "curves.png")
        say(f"saved {plots[0]} and {plots[1]}")
    except ImportError as error:
        say(f"no plots: {error}")
    say(
        f"results in {output}/ (results.csv, trials.jsonl"
        + (", best.glassnet)" if result.best_model else ")")
    )
    return 130 if result.interrupted else 0


def _scheduler(spec):
    if spec is None:
        return None
    options = {key: value for key, value in spec.items() if key != "type"}
    return tune.ASHA(**options)


def _own_settings(config, result) -> str:
    """Where the run file's own values (its [model], [compile] and [fit] without the search) came out."""
    own = (config.layers, config.architecture, config.compile, config.fit)
    for trial in result.trials:
        candidate = config.with_hyperparameters(trial.params)
        if (candidate.layers, candidate.architecture, candidate.compile, candidate.fit) == own:
            score = trial.best_score(result.sign)
            text = f"{result.objective} {score:.4f}" if score is not None else trial.status
            return f"the run file's own settings are trial {trial.trial_id}: {text}"
    return "the run file's own settings are not among the trials"
