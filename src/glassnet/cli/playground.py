"""``glassnet playground``: a page in the browser where a small network learns a 2-D data set while you
watch, and any weight or neuron can be clicked for the worked solution of the step glassnet just took.

Choose a data set (spirals, moons, circles, blobs, the logic gates), its noise and test split, the input
features (x1, x2, x1², x2², x1·x2, sin x1, sin x2), the hidden layers, activation, loss, optimizer (and its
convention), learning rate, batch size and regularization; then play, pause, step or reset. The page
exports the network as a glassnet model file, its settings as a ``glassnet train`` run file, and a worked
step as Markdown or LaTeX. Everything the page loads comes from glassnet: it works offline.

Needs the ``playground`` extra (aiohttp): pip install "glassnet[playground]".
"""

from __future__ import annotations

import argparse

from glassnet.cli.help import plain


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "playground",
        help="a page in the browser: watch a network learn, click a weight for its worked gradient",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="the port (default 8765)")
    parser.add_argument(
        "--idle", type=float, default=900.0, help="seconds after which a tab's session left alone is freed"
    )
    parser.set_defaults(run=run)


def run(args) -> int:
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be in [0, 65535], got {args.port}")
    from glassnet.playground.server import serve  # noqa: PLC0415 - the server needs an optional extra

    serve(args.host, args.port, idle_seconds=args.idle)
    return 0
