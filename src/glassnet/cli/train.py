"""``glassnet train [RUN.toml]``: train the model a run file describes (or the embedded default)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from glassnet.data import DownloadError
from glassnet.explain import plot_history
from glassnet.io.config import DEFAULT_CONFIG, RunFileError, load_config
from glassnet.models import sample_ids
from glassnet.train.callbacks import GANMonitor, save_image_grid

HELP = """Train the model that RUN.toml describes: its data, layers, optimizer, loss, metrics and epochs
(the format is the default run's; print it with --show-default). With no file, train the embedded
default: an MLP on scikit-learn's bundled digits (needs scikit-learn: pip install "glassnet[sklearn]").

It prints progress and the test accuracy, and writes NAME.glassnet (the model, loadable with
nn.load_model) and NAME-loss.png (the loss curve, with matplotlib) to --output. A text run also writes
NAME.tokenizer.json and prints generated text; a series run prints the test MAE beside the naive
forecast's. A graph run (a planetoid, karate_club or stochastic_block_model source and a GCN, GAT or
GraphSAGE) trains full-batch on the training mask's nodes, validates on the validation mask's and tests
on the test mask's. A GAN run (architecture = "DCGAN" or "MLPGAN") trains on the images alone, prints the
last epoch's d_loss, g_loss, mean D(x) and D(G(z)), warns when the discriminator wins, and writes
NAME-samples.png (a grid of 64 generated images) beside the model (both networks, both optimizers) and the
loss curves."""

SAMPLE_LENGTH = 300  # ids of generated text after a text run


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
    parser.add_argument("--epochs", type=int, help="override [fit] epochs (1 or more)")
    parser.add_argument("--output", default=".", help="folder for the model and the plot (default: .)")
    parser.add_argument("--seed", type=int, help="override the run's seed")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--show-default", action="store_true", help="print the embedded default run and exit")
    parser.set_defaults(run=run)


def run(args) -> int:
    if args.show_default:
        print(DEFAULT_CONFIG.strip())
        return 0
    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"--epochs must be 1 or more, got {args.epochs}")
    config = read_run_file(args.run_file)
    if args.seed is not None:
        config.seed = args.seed
    output = Path(args.output)  # every file this run writes, checked before an hour of training
    model_file, tokenizer_file, plot_file, samples_file = (
        output_file(output, config.name, suffix, config.source)
        for suffix in (".glassnet", ".tokenizer.json", "-loss.png", "-samples.png")
    )
    fit_args = config.fit_arguments()
    if args.epochs is not None:
        fit_args["epochs"] = args.epochs
    if args.quiet:
        fit_args["verbose"] = 0
    say = (lambda *a: None) if args.quiet else print
    start = time.perf_counter()
    (x_train, y_train), test = load_run_data(config)
    if config.graph is not None:
        model = config.build_model(None)
        _graph_fit_arguments(config, fit_args)
        say(f"{config.name}: {graph_report(config.graph)}")
    else:
        model = config.build_model(x_train.shape[1:])
        say(f"{config.name}: {len(x_train)} training samples"
            + (f", {len(test[0])} test samples" if test else ""))
    model.compile(**config.compile_arguments())
    model.summary(print_fn=say)
    if config.gan:
        history = _fit_gan(model, x_train, config, fit_args)
        last = {key: values[-1] for key, values in history.history.items()}
        say("last epoch: " + "  ".join(f"{key} {value:.4f}" for key, value in last.items()))
    else:
        history = model.fit(x_train, y_train, **fit_args)
        results = model.evaluate(*(test or (x_train, y_train)), return_dict=True)
        where = "test" if test else "training"
        say(f"{where}: " + "  ".join(f"{key} {value:.4f}" for key, value in results.items()))
    if "series" in config.prepared:
        say(_forecast_report(model, config.prepared["series"]))
    model_path = model.save(model_file)
    say(f"saved the model to {model_path}")
    if "tokenizer" in config.prepared:
        tokenizer = config.prepared["tokenizer"]
        say(f"saved the tokenizer to {tokenizer.save(tokenizer_file)}")
        prompt = (test or (x_train, y_train))[0][0]
        sample = sample_ids(model, prompt, SAMPLE_LENGTH, temperature=0.8, window=len(prompt))
        say(sample_report(tokenizer.decode(prompt), tokenizer.decode(sample)))
    if config.gan and len(model.image_shape) == 3:
        try:
            grid = save_image_grid(model.generate(64), samples_file, value_range=model.output_range)
            say(f"saved a grid of samples to {grid}")
        except ImportError as error:
            say(f"no sample grid: {error}")
    try:
        plot_path = plot_history(history, plot_file)
        say(f"saved the loss curve to {plot_path}")
    except ImportError as error:
        say(f"no loss curve: {error}")
    say(f"done in {time.perf_counter() - start:.1f}s")
    return 0


def _fit_gan(model, images, config, fit_args):
    """A GAN trains on the images alone, mapped from the run's stated range; a GANMonitor warns when the
    discriminator wins. Images outside the generator's range name the run file's key that states theirs."""
    fit_args = dict(fit_args)
    callbacks = [GANMonitor(), *fit_args.pop("callbacks", [])]  # with [fit] early_stopping's, if any
    try:
        return model.fit(images, input_range=config.gan_input_range(), callbacks=callbacks, **fit_args)
    except ValueError as error:
        if "input_range" not in str(error):
            raise
        raise RunFileError(
            f"{config.source}: [data]: {error}; in a run file: input_range = [low, high] in [data]"
        ) from None


def graph_report(graph) -> str:
    """The graph's size and how many nodes each mask holds.

    Example:
        >>> import numpy as np
        >>> from glassnet.data import Graph
        >>> mask = np.array([True, False, False])
        >>> print(graph_report(Graph(np.eye(3), [[0, 1], [1, 2]], y=[0, 1, 1], train_mask=mask)))
        a graph of 3 nodes, 2 edges, 3 features; 1 training nodes
    """
    counts = [f"{int(getattr(graph, f'{part}_mask').sum())} {word} nodes"
              for part, word in (("train", "training"), ("val", "validation"), ("test", "test"))
              if getattr(graph, f"{part}_mask") is not None]
    return (f"a graph of {graph.num_nodes} nodes, {graph.num_edges} edges, {graph.num_features} features; "
            + ", ".join(counts))


def _graph_fit_arguments(config, fit_args: dict) -> None:
    """Full batch: the whole graph each step, validated on its validation mask (no split of nodes)."""
    if fit_args.pop("validation_split", None):
        raise RunFileError(f"{config.source}: [fit] validation_split: a graph is validated on its own "
                           "validation mask; remove validation_split")
    fit_args.pop("batch_size", None)
    fit_args.pop("shuffle", None)
    if config.graph.val_mask is not None:
        fit_args["validation_data"] = config.graph


def read_run_file(path) -> object:
    """The run of ``path`` (the embedded default for None); a model file given instead is named as one."""
    if path is not None and Path(path).is_file():
        with open(path, "rb") as file:
            if file.read(4) == _ZIP_MAGIC:
                raise RunFileError(
                    f"{path} is a model file (written by model.save), not a run file: glassnet train "
                    f"reads a TOML run (glassnet train --show-default prints one); to see this model: "
                    f"glassnet summary {path}"
                )
    return load_config(path)


_ZIP_MAGIC = b"PK\x03\x04"  # a .glassnet model file is a zip archive


def load_run_data(config):
    """``config.load_data()``; a download that fails says where to put a copy the user already has."""
    try:
        return config.load_data()
    except DownloadError as error:
        raise DownloadError(
            f'{config.source}: [data]: {error} In a run file, path = "..." in [data] names a copy you have.'
        ) from None


def sample_report(prompt: str, sample: str) -> str:
    """The generated text after its prompt, both as text (not as Python strings with escapes).

    Example:
        >>> print(sample_report("ROMEO:\\n", "Good morrow."))
        a sample after the prompt
        --- prompt ---
        ROMEO:
        --- generated ---
        Good morrow.
    """
    return f"a sample after the prompt\n--- prompt ---\n{prompt.rstrip()}\n--- generated ---\n{sample}"


def output_file(output: Path, name: str, suffix: str, source: str) -> Path:
    """``output/NAME+suffix``, refused unless it is a plain file inside ``output`` (a name from a run file
    never leads elsewhere: ``name = "../../escaped"`` is an error, not two folders up).

    Example:
        >>> output_file(Path("out"), "digits", ".glassnet", "run.toml")
        PosixPath('out/digits.glassnet')
    """
    target = output / f"{name}{suffix}"
    if Path(target.name) != Path(f"{name}{suffix}") or target.name.startswith("."):
        raise RunFileError(f"{source}: name: expected a plain file name (no folders), found {name!r}")
    return target


def _forecast_report(model, series) -> str:
    """The test MAE of the model and of the naive forecast (each window's last value), in series units."""
    predicted = model.predict(series.x_test).astype(np.float64)
    actual, naive = series.y_test.astype(np.float64), series.x_test[:, -1].astype(np.float64)
    if series.scaler is not None:
        predicted, actual, naive = (series.scaler.inverse_transform(a) for a in (predicted, actual, naive))
    model_mae, naive_mae = (float(np.abs(a - actual).mean()) for a in (predicted, naive))
    verdict = "beats" if model_mae < naive_mae else "does not beat"
    return f"test MAE {model_mae:.4f} in the series' units; naive last value {naive_mae:.4f} ({verdict} it)"
