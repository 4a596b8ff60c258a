"""``glassnet summary FILE``: the layers, output shapes and parameter counts of a model."""

from __future__ import annotations

import argparse

from glassnet.io import load_model
from glassnet.io.config import load_config


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "summary",
        help="print a model's layers, output shapes and parameter counts",
        description="Print the summary of a saved model (a .glassnet file) or of the model a TOML run file "
        "describes.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file", metavar="FILE", help="a model file written by model.save, or a run file (.toml)"
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    if str(args.file).endswith(".toml"):
        config = load_config(args.file)
        (x_train, _), _ = config.load_data()
        model = config.build_model(x_train.shape[1:])
    else:
        model = load_model(args.file, compile=False)
    model.summary()
    return 0
