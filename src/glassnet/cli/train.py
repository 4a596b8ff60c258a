"""``glassnet train [RUN.toml]``: train the model a run file describes (or the embedded default)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from glassnet.explain import plot_history
from glassnet.io.config import DEFAULT_CONFIG, load_config

HELP = """Train the model that RUN.toml describes: its data, layers, optimizer, loss, metrics and epochs
(the format is the default run's; print it with --show-default). With no file, train the embedded
default: an MLP on scikit-learn's bundled digits (needs scikit-learn: pip install "glassnet[sklearn]").

It prints progress and the test accuracy, and writes NAME.glassnet (the model, loadable with
nn.load_model) and NAME-loss.png (the loss curve, with matplotlib) to --output."""


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "train",
        help="train a model from a TOML run file (default: digits MLP)",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "run_file", nargs="?", metavar="RUN.toml", help="the run to train (default: embedded)"
    )
    parser.add_argument("--epochs", type=int, help="override [fit] epochs")
    parser.add_argument("--output", default=".", help="folder for the model and the plot (default: .)")
    parser.add_argument("--seed", type=int, help="override the run's seed")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--show-default", action="store_true", help="print the embedded default run and exit")
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.show_default:
        print(DEFAULT_CONFIG.strip())
        return 0
    config = load_config(args.run_file)
    if args.seed is not None:
        config.seed = args.seed
    fit_args = {"epochs": 10, "batch_size": 32, **config.fit}
    if args.epochs is not None:
        fit_args["epochs"] = args.epochs
    if args.quiet:
        fit_args["verbose"] = 0
    say = (lambda *a: None) if args.quiet else print
    start = time.perf_counter()
    (x_train, y_train), test = config.load_data()
    model = config.build_model(x_train.shape[1:])
    model.compile(**config.compile_arguments())
    say(
        f"{config.name}: {len(x_train)} training samples" + (f", {len(test[0])} test samples" if test else "")
    )
    model.summary(print_fn=say)
    history = model.fit(x_train, y_train, **fit_args)
    results = model.evaluate(*(test or (x_train, y_train)), return_dict=True)
    where = "test" if test else "training"
    say(f"{where}: " + "  ".join(f"{key} {value:.4f}" for key, value in results.items()))
    output = Path(args.output)
    model_path = model.save(output / f"{config.name}.glassnet")
    say(f"saved the model to {model_path}")
    try:
        plot_path = plot_history(history, output / f"{config.name}-loss.png")
        say(f"saved the loss curve to {plot_path}")
    except ImportError as error:
        say(f"no loss curve: {error}")
    say(f"done in {time.perf_counter() - start:.1f}s")
    return 0
