"""Training speed of nanoGPT's "baby GPT" (examples/gpt_shakespeare.py), glassnet against the same model in
PyTorch, as tokens per second.

    python benchmarks/gpt.py [--steps 10] [--repeats 3]       both in this process, taking turns: a quick look
    python benchmarks/suite.py --only gpt_train               each framework alone in its own process

The model: 4 pre-norm blocks of 4 heads, width 128, context 64, no biases, tied output weights (0.80M
parameters), batches of 12 windows, float32, softmax cross-entropy at every position, AdamW (PyTorch's
rule, nanoGPT's decay groups) with gradient clipping at global norm 1.0. The PyTorch twin is the one
examples/gpt_shakespeare.py trains with ``--torch`` (``nn.TransformerEncoderLayer`` blocks, glassnet's
initial weights). Random ids: the speed does not depend on the text.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from timing import available, best_rates, report

VOCAB, BATCH, CONTEXT = 65, 12, 64
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _example():
    """examples/gpt_shakespeare.py as a module: its config, model builder, decay groups and twin."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    import gpt_shakespeare  # noqa: PLC0415 - lives beside the benchmarks, in examples/

    return gpt_shakespeare


def make_data(steps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, VOCAB, (steps, BATCH, CONTEXT + 1))
    return ids[..., :-1], ids[..., 1:]


def _model():
    import glassnet as gn

    example = _example()
    gn.manual_seed(0)
    config = example.CONFIGS["baby"]
    return example, config, example.build_model(VOCAB, config)


def glassnet_runner(x, y):
    from glassnet import nn, optim

    example, config, model = _model()
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    groups = example.decay_groups(model.named_parameters(), config.weight_decay)
    opt = optim.AdamW(groups, lr=config.lr, betas=config.betas, convention="pytorch", global_clipnorm=1.0)

    def run(steps):
        for i in range(steps):
            loss = loss_fn(model(x[i % len(x)]), y[i % len(y)])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return run


def torch_runner(x, y):
    import torch

    example, config, model = _model()
    twin = example.torch_twin(model)
    groups = example.decay_groups(twin.named_parameters(), config.weight_decay)
    opt = torch.optim.AdamW(groups, lr=config.lr, betas=config.betas)
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)

    def run(steps):
        for i in range(steps):
            logits = twin(inputs[i % len(inputs)])
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, VOCAB), labels[i % len(labels)].reshape(-1)
            )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(twin.parameters(), 1.0)
            opt.step()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    x, y = make_data(args.steps)
    runners = available((("glassnet", glassnet_runner), ("pytorch", torch_runner)), x, y)
    rates = best_rates(runners, args.steps, args.repeats, BATCH * CONTEXT, warmup=2)
    report(
        f"baby GPT training (4 x 128, 4 heads, context {CONTEXT}, batch {BATCH}, float32, AdamW): tokens/s "
        f"(best of {args.repeats}; same process, turns)",
        rates,
    )


if __name__ == "__main__":
    main()
