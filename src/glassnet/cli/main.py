"""``glassnet``: train a model from a small TOML file, show a model's summary, export it to ONNX.

One file per subcommand (train.py, summary.py); this one parses the arguments and dispatches, and turns
every error that comes from the user's files or data (a damaged model file, a run file with a wrong key, a
download that failed) into one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import re
import sys

from glassnet import __version__
from glassnet.cli import exercise, explain, export, playground, summary, train, tune
from glassnet.nn.serialization import known_classes

# What a user's files and data can raise: every FileFormatError (a ValueError), DownloadError and
# FileNotFoundError (OSErrors), the data's own ValueErrors and TypeErrors, a missing optional package
# (ImportError), and data too large for this machine (MemoryError).
USER_ERRORS = (ValueError, TypeError, KeyError, OSError, ImportError, MemoryError)

EXAMPLES = """examples:
  glassnet train                         train the embedded default: an MLP on scikit-learn's digits
  glassnet train run.toml --epochs 5     train the run described in run.toml (see `glassnet train --help`)
  glassnet train --show-default > run.toml
                                         write the default run to a file, to edit
  glassnet summary digits-mlp.glassnet   layers, output shapes and parameter counts of a saved model
  glassnet summary run.toml              the same for the model a run file describes
  glassnet explain examples/explain/notes_2x2_image.toml --format md
                                         the worked solution of a training step, in Markdown
  glassnet exercise --kind backprop --seed 7 --solution
                                         a fresh backpropagation exercise and its worked solution
  glassnet exercise check answers.toml   mark a student's answers
  glassnet playground --port 8765        a page in the browser: watch a network learn, click a weight
  glassnet export digits-mlp.glassnet --onnx digits-mlp.onnx
                                         the saved model as an ONNX file (for ONNX Runtime)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="glassnet",
        description="glassnet: a deep-learning framework on NumPy that shows its work.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    train.add_parser(commands)
    summary.add_parser(commands)
    explain.add_parser(commands)
    exercise.add_parser(commands)
    tune.add_parser(commands)
    playground.add_parser(commands)
    export.add_parser(commands)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.run(args) or 0
    except USER_ERRORS as error:
        print(f"glassnet {args.command}: {one_line(error)}{keyword_hint(error)}", file=sys.stderr)
        return 2


_UNEXPECTED = re.compile(r"(\w+)\.__init__\(\) got an unexpected keyword argument '(\w+)'")


def keyword_hint(error: BaseException) -> str:
    """For a layer (or loss, optimizer...) given an argument it does not take, the close names it does
    take: a run file's ``activaton = "relu"`` gets "; did you mean 'activation'?".

    Example:
        >>> keyword_hint(TypeError("run.toml: layer 1 (Dense): Dense.__init__() got an unexpected keyword "
        ...                        "argument 'activaton'"))
        "; did you mean 'activation'?"
    """
    if "did you mean" in str(error) or " it takes: " in str(error):
        return ""  # the constructor named the close match itself (nn.Module's own check)
    found = _UNEXPECTED.search(str(error))
    cls = known_classes().get(found.group(1)) if found else None
    if cls is None:
        return ""
    taken = [name for name in inspect.signature(cls).parameters if name not in ("self", "args", "kwargs")]
    close = difflib.get_close_matches(found.group(2), taken, n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; {cls.__name__} takes: {', '.join(taken)}"


def one_line(error: BaseException) -> str:
    """The error's message on one line (a download's report lists its mirrors on several).

    Example:
        >>> one_line(KeyError("weights")), one_line(OSError("could not download x:\\n  a: refused\\nRetry."))
        ('weights', 'could not download x: a: refused; Retry.')
    """
    message = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    if isinstance(error, MemoryError):
        message = f"not enough memory{': ' + message if message else ''}"
    text = ""
    for line in (line.strip() for line in message.splitlines() if line.strip()):
        text += line if not text else (" " if text.endswith(":") else "; ") + line
    return text or type(error).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
