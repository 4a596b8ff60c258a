"""``glassnet export MODEL_FILE --onnx OUT``: a saved model as a file other runtimes read (ONNX)."""

from __future__ import annotations

import argparse

from glassnet.io import load_model
from glassnet.io.onnx import OPSET, to_onnx, write_onnx

EXAMPLES = """examples:
  glassnet export digits-mlp.glassnet --onnx digits-mlp.onnx
  glassnet export lenet.glassnet --onnx lenet.onnx --input-shape 1,32,32
  glassnet export char-rnn.glassnet --onnx char-rnn.onnx --input-shape ?     (any sequence length)
"""


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "export",
        help="write a saved model as an ONNX file (for ONNX Runtime and other runtimes)",
        description="Write a model saved by model.save as an ONNX file: its forward pass in evaluation mode "
        "(Dropout the identity, BatchNorm on its running statistics), float32 weights, a dynamic batch axis; "
        "checked by onnx.checker before it is written. Needs the onnx extra: pip install 'glassnet[onnx]'.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="MODEL_FILE", help="a model file written by model.save")
    parser.add_argument("--onnx", metavar="OUT", help="the ONNX file to write")
    parser.add_argument(
        "--input-shape",
        metavar="SHAPE",
        type=parse_shape,
        help="one example's shape without the batch axis, e.g. 1,28,28 ('?' for a dynamic size); default: "
        "the shape the model was built for",
    )
    parser.add_argument("--opset", type=int, default=OPSET, help=f"the ONNX opset (default {OPSET})")
    parser.set_defaults(run=run)


def parse_shape(text: str) -> tuple:
    """"1,28,28" -> (1, 28, 28); "?" (or "None") is a dynamic size.

    Example:
        >>> parse_shape("1, 28,28"), parse_shape("?,5")
        ((1, 28, 28), (None, 5))
    """
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if part in ("?", "None"):
            sizes.append(None)
        elif part.isdigit() and int(part) > 0:
            sizes.append(int(part))
        else:
            raise argparse.ArgumentTypeError(
                "expected positive sizes separated by commas ('?' for a dynamic one), e.g. 1,28,28; "
                f"got {text!r}"
            )
    return tuple(sizes)


def run(args) -> int:
    if not args.onnx:
        raise ValueError("give the format and file to write: --onnx OUT")
    model = load_model(args.file, compile=False)
    proto = to_onnx(model, args.input_shape, args.opset)  # converted and checked before any file is written
    path = write_onnx(proto, args.onnx)
    inputs = ", ".join(_describe(value) for value in proto.graph.input)
    outputs = ", ".join(_describe(value) for value in proto.graph.output)
    nodes = len(proto.graph.node)
    print(f"wrote {path}: opset {args.opset}, {nodes} nodes, inputs {inputs}, outputs {outputs}")
    return 0


def _describe(value) -> str:
    dims = [d.dim_param or str(d.dim_value) for d in value.type.tensor_type.shape.dim]
    return f"{value.name} ({', '.join(dims)})"
