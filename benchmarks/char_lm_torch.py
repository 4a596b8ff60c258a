"""The character language model of examples/char_lm.py trained in PyTorch, for comparison: the same text
split, tokenizer, windows, batches (glassnet's DataLoader with the same seed), model shape (Embedding 64 ->
2 x LSTM 256 -> Linear), Adam lr 2e-3 and global gradient clipping at 5; prints the validation
cross-entropy (nats per character) and the wall time at each evaluation.

    python benchmarks/char_lm_torch.py [--max-batches 2000] [--eval-every 200]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

import glassnet as gn
from glassnet.data import CharTokenizer, DataLoader, language_model_dataset

DEFAULT_TEXT = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare" / "input.txt"


class CharLSTM(torch.nn.Module):
    def __init__(self, vocab: int, units: int):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, 64)
        self.lstm = torch.nn.LSTM(64, units, num_layers=2, batch_first=True)
        self.head = torch.nn.Linear(units, vocab)

    def forward(self, x):
        return self.head(self.lstm(self.embedding(x))[0])


def validation_loss(model, ids, seq_len: int) -> float:
    total, count = 0.0, 0
    with torch.no_grad():
        for xb, yb in DataLoader(language_model_dataset(ids, seq_len), batch_size=128):
            logits = model(torch.from_numpy(np.ascontiguousarray(xb.data)))
            total += torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), torch.from_numpy(yb.data).reshape(-1), reduction="sum"
            ).item()
            count += yb.size
    return total / count


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--text", default=str(DEFAULT_TEXT))
    parser.add_argument("--max-batches", type=int, default=2000)
    parser.add_argument("--eval-every", type=int, default=200)
    args = parser.parse_args()
    gn.manual_seed(0)
    torch.manual_seed(0)
    text = Path(args.text).read_text(encoding="utf-8")
    split = int(len(text) * 0.9)
    tokenizer = CharTokenizer().fit(text[:split])
    train_ids, val_ids = tokenizer.encode(text[:split]), tokenizer.encode(text[split:])
    model = CharLSTM(tokenizer.vocab_size, 256)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    start, batches, seq_len = time.perf_counter(), 0, 100
    while batches < args.max_batches:  # epochs, each with a new window offset, as the example
        offset = int(gn.backend.get_rng().integers(0, seq_len))
        loader = DataLoader(
            language_model_dataset(train_ids[offset:], seq_len), 64, shuffle=True, drop_last=True
        )
        for xb, yb in loader:
            logits = model(torch.from_numpy(np.ascontiguousarray(xb.data)))
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                torch.from_numpy(np.ascontiguousarray(yb.data)).reshape(-1),
            )
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            batches += 1
            if batches % args.eval_every == 0:
                elapsed = time.perf_counter() - start
                print(
                    f"pytorch batch {batches}: train loss {loss.item():.3f}, val loss "
                    f"{validation_loss(model, val_ids, seq_len):.3f} nats/char, {elapsed / 60:.1f} min",
                    flush=True,
                )
            if batches >= args.max_batches:
                return


if __name__ == "__main__":
    main()
