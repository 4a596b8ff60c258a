"""``glassnet summary FILE``: the layers, output shapes and parameter counts of a model."""

from __future__ import annotations

import argparse

from glassnet.cli.train import load_run_data, read_run_file
from glassnet.io import load_model

# The input shape of the data sets whose loading is slow (tens of megabytes, perhaps a download): a
# summary needs only the shape, (flattened, as NCHW images) as ``RunConfig.load_data`` gives them.
_KNOWN_SHAPES = {
    "mnist": ((784,), (1, 28, 28)),
    "fashion_mnist": ((784,), (1, 28, 28)),
}


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "summary",
        help="print a model's layers, output shapes and parameter counts",
        description="Print the summary of a saved model (a .glassnet file) or of the model a TOML run file "
        "describes (the data is read only where the model needs it: a text source's vocabulary, a table's "
        "number of columns).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file", metavar="FILE", help="a model file written by model.save, or a run file (.toml)"
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    if str(args.file).endswith(".toml"):
        config = read_run_file(args.file)
        model = config.build_model(input_shape(config))
    else:
        model = load_model(args.file, compile=False)
    model.summary()
    return 0


def input_shape(config) -> tuple:
    """The shape of one input of the run's data (without the batch axis), read from the data only when
    it is not known beforehand."""
    source = config.data.get("source")
    if source in _KNOWN_SHAPES:
        flat, images = _KNOWN_SHAPES[source]
        return images if not config.data.get("flatten", not config.convolutional) else flat
    (x_train, _), _ = load_run_data(config)
    return None if config.graph is not None else x_train.shape[1:]
