"""An LSTM and a Transformer side by side on the same text: what each step sees, their parameters, their
cost per token (counted and measured), and the loss each reaches on the same batches.

    python examples/rnn_vs_transformer.py [--iters 1000] [--batch-size 12] [--seq-len 64] [--text PATH]

The notes introduce the Transformer as the step after recurrent networks; this puts the two next to
each other on one task, next-character prediction on tiny Shakespeare (the first 90 % trains, the last
10 % validates, as in examples/char_lm.py and examples/gpt_shakespeare.py):

- the LSTM of examples/char_lm.py: Embedding(64) -> 2 x LSTM(256) -> Dense(vocab), 0.88M parameters;
- nanoGPT's baby GPT (``models.TransformerLM``): 4 pre-norm blocks of 4 heads, width 128, no biases,
  tied output weights, 0.80M parameters.

Both read the same windows of ``--seq-len`` characters in the same order (one seeded ``DataLoader``), for
the same number of iterations, each with its usual optimizer at a constant rate: Adam (lr 2e-3) for the
LSTM, AdamW (lr 1e-3, betas (0.9, 0.99), weight decay 0.1) for the GPT, gradients clipped at global norm
1.0. Both start every window from nothing (zero states; no earlier positions), so the loss at position t
of a window shows how much of the t - 1 characters before it a model can use: the table gives the
validation loss at the window's first 8 positions, the next 24 and the rest.

The cost per token is counted from the shapes (multiply-adds × 2, the forward pass; training costs about 3
times that) and measured as wall time per training token and generated tokens per second (``seq-len`` - 1
new tokens after a newline: the GPT with its key/value cache, within its context). Wall times on a shared
machine are indicative only.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import CharTokenizer, DataLoader, language_model_dataset, load_tiny_shakespeare
from glassnet.models import CharRNN, TransformerLM

SHARED_COPY = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare" / "input.txt"
POSITIONS = ((0, 8), (8, 32), (32, None))  # the table's slices of a window's positions


def lstm_flops_per_token(model: CharRNN) -> int:
    """Forward FLOPs (2 per multiply-add) of one character through the LSTM: each layer's four gates are
    one product of [x_t, h_{t-1}] (in + units) with a (in + units, 4·units) matrix, 2·4·units·(in + units);
    the head 2·units·vocab. The embedding is a lookup; the gates' elementwise work is left out (O(units))."""
    flops, inputs = 0, model.embedding_dim
    for _ in model.recurrent:
        flops += 2 * 4 * model.units * (inputs + model.units)
        inputs = model.units
    return flops + 2 * model.units * model.vocab_size


def transformer_flops_per_token(model: TransformerLM, seen: int) -> int:
    """Forward FLOPs of one token through the GPT when it attends to ``seen`` positions (itself included):
    per block, the query/key/value and output projections 2·4·d², the feed-forward network 2·2·d·ff, and
    attention itself 2·2·seen·d (scores q·k for each position, then the weighted sum of the values); the
    tied head 2·d·vocab. Over a training window of T the average ``seen`` is (T + 1)/2 if only the
    unmasked scores were computed; the fused op computes all T of them, so ``seen`` = T is what it costs."""
    d, ff = model.d_model, model.dim_feedforward
    block = 2 * 4 * d * d + 2 * 2 * d * ff + 2 * 2 * seen * d
    return model.num_layers * block + 2 * d * model.vocab_size


def log_probabilities(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def loss_by_position(model, windows, batch_size: int = 64) -> np.ndarray:
    """The mean cross-entropy (nats) at each position of the validation windows, in evaluation mode."""
    x, y = windows
    total = np.zeros(x.shape[1])
    model.eval()
    with gn.no_grad():
        for start in range(0, len(x), batch_size):
            logp = log_probabilities(np.asarray(model(x[start : start + batch_size]).data, dtype=np.float64))
            targets = y[start : start + batch_size]
            total -= np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0].sum(axis=0)
    model.train()
    return total / len(x)


def train(model, opt, loader_factory, iters: int) -> tuple:
    """``iters`` steps on the loader's batches; the last loss and the seconds taken."""
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    done, start, loss = 0, time.perf_counter(), None
    while done < iters:
        for xb, yb in loader_factory():
            loss = loss_fn(model(xb), yb.data)
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done == iters:
                break
    return loss.item(), time.perf_counter() - start


def generation_speed(model, prompt, count: int) -> float:
    """New tokens per second of ``model.generate`` (the GPT with its cache, which holds while the text
    fits its context: beyond it the positions shift and the window is re-read), after a warm-up call."""
    model.generate(prompt, 2)
    start = time.perf_counter()
    model.generate(prompt, count)
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--iters", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=12)
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--val-windows", type=int, default=300, help="validation windows scored")
    parser.add_argument("--text", default=None, help="a UTF-8 text file (default: tiny Shakespeare)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    if args.text is not None:
        text = Path(args.text).read_text(encoding="utf-8")
    else:
        text = load_tiny_shakespeare(SHARED_COPY if SHARED_COPY.is_file() else None)
    tokenizer = CharTokenizer(reserved=False).fit(text)  # the characters alone, as nanoGPT
    ids = tokenizer.encode(text)
    split = int(len(ids) * 0.9)
    train_ids, val_ids = ids[:split], ids[split:]
    val = language_model_dataset(val_ids, args.seq_len).arrays
    val = (val[0][: args.val_windows], val[1][: args.val_windows])
    vocab, length = tokenizer.vocab_size, args.seq_len

    def loader():  # the same windows in the same order for both models: reseeded for each
        return DataLoader(
            language_model_dataset(train_ids, length), args.batch_size, shuffle=True, drop_last=True
        )

    gn.manual_seed(args.seed)
    lstm = CharRNN(vocab, embedding_dim=64, units=256, num_layers=2)
    gpt = TransformerLM(
        vocab, context=length, d_model=128, num_layers=4, num_heads=4, bias=False, tie_weights=True
    )
    optimizers = {
        "LSTM": optim.Adam(lstm.parameters(), lr=2e-3, convention="pytorch", global_clipnorm=1.0),
        "GPT": optim.AdamW(
            [
                {"params": [p for p in gpt.parameters() if p.ndim >= 2], "weight_decay": 0.1},
                {"params": [p for p in gpt.parameters() if p.ndim < 2], "weight_decay": 0.0},
            ],
            lr=1e-3,
            betas=(0.9, 0.99),
            convention="pytorch",
            global_clipnorm=1.0,
        ),
    }
    results = {}
    for name, model in (("LSTM", lstm), ("GPT", gpt)):
        gn.manual_seed(args.seed + 1)  # the loader's shuffles: the same for both
        last, seconds = train(model, optimizers[name], loader, args.iters)
        by_position = loss_by_position(model, val)
        gn.manual_seed(args.seed + 2)
        speed = generation_speed(model, tokenizer.encode("\n"), length - 1)  # within the GPT's context
        results[name] = {"loss": last, "seconds": seconds, "positions": by_position, "generate": speed}
        print(
            f"{name}: {args.iters} iterations in {seconds:.1f} s, last training loss {last:.3f}", flush=True
        )

    tokens = args.iters * args.batch_size * length
    lstm_flops, gpt_flops = lstm_flops_per_token(lstm), transformer_flops_per_token(gpt, length)
    gpt_cached = transformer_flops_per_token(gpt, (length + 1) // 2)
    rows = [
        ("what step t sees", "x_t and h_{t-1}: 256 numbers", f"x_1..x_t (at most {length}), each directly"),
        ("path from x_1 to step t", "t - 1 recurrent steps", "1 attention step per block"),
        ("parameters", f"{lstm.count_params():,}", f"{gpt.count_params():,}"),
        ("forward FLOPs per token", f"{lstm_flops / 1e6:.2f}M", f"{gpt_flops / 1e6:.2f}M (window {length})"),
        ("  generating, per new token", f"{lstm_flops / 1e6:.2f}M", f"{gpt_cached / 1e6:.2f}M (cache, mean)"),
        ("steps in sequence per window", f"{length} (one after another)", "1 (all positions at once)"),
    ]
    for name in ("LSTM", "GPT"):
        results[name]["per_token"] = results[name]["seconds"] / tokens * 1e6
    rows += [
        ("training time per token", *(f"{results[n]['per_token']:.1f} µs" for n in ("LSTM", "GPT"))),
        ("generated tokens per second", *(f"{results[n]['generate']:,.0f}" for n in ("LSTM", "GPT"))),
    ]
    for start, stop in (slice_ for slice_ in POSITIONS if slice_[0] < length):
        label = f"val loss, positions {start + 1}-{min(stop or length, length)}"
        rows.append((label, *(f"{results[n]['positions'][start:stop].mean():.3f}" for n in ("LSTM", "GPT"))))
    rows.append(
        ("val loss, all positions", *(f"{results[n]['positions'].mean():.3f}" for n in ("LSTM", "GPT")))
    )
    print(f"\nthe same {tokens:,} training characters ({args.iters} batches of {args.batch_size} x {length})")
    widths = [max(len(row[k]) for row in rows) for k in range(3)]
    header = ("", "LSTM (2 x 256)", "GPT (4 x 128, 4 heads)")
    widths = [max(w, len(h)) for w, h in zip(widths, header)]
    for row in (header, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


if __name__ == "__main__":
    main()
