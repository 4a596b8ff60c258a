"""A character-level LSTM language model on a text file (default: tiny Shakespeare, from ../shared/data
beside the checkout, else glassnet's cache, downloaded on first use), printing samples as it trains, with
the validation cross-entropy in nats per character.

    python examples/char_lm.py [--text PATH] [--minutes 30] [--epochs 50] [--out DIR]

The first 90 % of the text trains, the last 10 % validates (seeded). Model: Embedding(64) -> 2 x LSTM(256)
-> Dense(vocab), windows of 100 characters, batch 64, Adam (lr 2e-3) with global gradient clipping at 5.
Training stops after ``--epochs`` or ``--minutes``, whichever comes first; with ``--out`` the model and
its tokenizer are saved there (``char_lm.glassnet`` + ``char_lm.tokenizer.json``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import CharTokenizer, DataLoader, language_model_dataset, load_tiny_shakespeare
from glassnet.models import CharRNN

SHARED_COPY = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare" / "input.txt"


def validation_loss(model, ids, seq_len: int, batch_size: int = 128) -> float:
    """Mean cross-entropy (nats per character) over non-overlapping windows of the validation ids."""
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True, reduction="sum")
    total, count = 0.0, 0
    with gn.no_grad():
        for xb, yb in DataLoader(language_model_dataset(ids, seq_len), batch_size=batch_size):
            total += loss_fn(model(xb), yb.data).item()
            count += yb.size
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--text", default=None, help="a UTF-8 text file (default: tiny Shakespeare)")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seq-len", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--units", type=int, default=256)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--eval-every", type=int, default=200, help="batches between validation and sample")
    parser.add_argument("--max-batches", type=int, default=None, help="stop after this many batches")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()

    gn.manual_seed(0)
    if args.text is not None:
        text = Path(args.text).read_text(encoding="utf-8")
    else:
        text = load_tiny_shakespeare(SHARED_COPY if SHARED_COPY.is_file() else None)
    split = int(len(text) * 0.9)
    tokenizer = CharTokenizer().fit(text[:split])
    train_ids, val_ids = tokenizer.encode(text[:split]), tokenizer.encode(text[split:])
    model = CharRNN(tokenizer.vocab_size, embedding_dim=64, units=args.units, num_layers=2)
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    opt = optim.Adam(model.parameters(), lr=args.lr, global_clipnorm=5.0)
    print(f"{len(text):,} characters, vocabulary {tokenizer.vocab_size}, {model.count_params():,} parameters")

    start, seen, batches, best = time.perf_counter(), 0, 0, float("inf")
    done = False
    for epoch in range(args.epochs):
        # a new offset each epoch, so that the windows do not always cut the text at the same places
        offset = int(gn.backend.get_rng().integers(0, args.seq_len))
        loader = DataLoader(
            language_model_dataset(train_ids[offset:], args.seq_len),
            args.batch_size,
            shuffle=True,
            drop_last=True,
        )
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb.data)
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += yb.size
            batches += 1
            elapsed = time.perf_counter() - start
            if batches % args.eval_every == 0:
                val = validation_loss(model, val_ids, args.seq_len)
                best = min(best, val)
                sample = tokenizer.decode(model.generate(tokenizer.encode("ROMEO:\n"), 200, temperature=0.8))
                print(
                    f"epoch {epoch + 1} batch {batches}: train loss {loss.item():.3f}, val loss {val:.3f} "
                    f"nats/char, {seen / elapsed:,.0f} chars/s, {elapsed / 60:.1f} min\n"
                    f"---\nROMEO:\n{sample}\n---",
                    flush=True,
                )
            if elapsed > args.minutes * 60 or (args.max_batches and batches >= args.max_batches):
                done = True
                break
        if done:
            break
    val = validation_loss(model, val_ids, args.seq_len)
    best = min(best, val)
    elapsed = time.perf_counter() - start
    print(
        f"final: val loss {val:.3f} nats/char (best {best:.3f}) after {batches} batches, "
        f"{seen:,} characters, {elapsed / 60:.1f} min ({seen / elapsed:,.0f} chars/s)"
    )
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        model.save(out / "char_lm.glassnet")
        tokenizer.save(out / "char_lm.tokenizer.json")
        print(f"saved to {out}")


if __name__ == "__main__":
    main()
