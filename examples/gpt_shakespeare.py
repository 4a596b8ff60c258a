"""nanoGPT's "baby GPT" on tiny Shakespeare, character by character, with the same model in PyTorch on the
same batches for comparison.

    python examples/gpt_shakespeare.py [--config baby|larger] [--iters N] [--minutes M] [--torch]
                                       [--attention-plot out.png] [--text PATH] [--out DIR]

``--config baby`` (the default) is nanoGPT's ``config/train_shakespeare_char.py`` with the README's CPU
overrides: ``models.TransformerLM`` with 4 pre-norm blocks of 4 heads, width 128, context 64, no biases,
dropout 0, the output weights tied to the token embedding (as nanoGPT's); batches of 12 windows drawn at
random offsets (nanoGPT's ``get_batch``); 2,000 iterations of AdamW (lr 1e-3, betas (0.9, 0.99), weight
decay 0.1 on the matrices and embeddings only, PyTorch's rule), gradient clipping at global norm 1.0, the
learning rate warming up linearly over 100 iterations and then decaying on a cosine to 1e-4 at the last
iteration (``optim.schedules.WarmupCosine``, nanoGPT's ``get_lr``). 0.80M parameters as nanoGPT counts
them (without the position table). nanoGPT's published result for this run is a validation loss of about
1.88 nats per character.

``--config larger`` is a bigger model for a run of ``--minutes`` (45 by default) on a small CPU: 6 blocks
of 6 heads, width 192, context 128, batch 24. The number of iterations is set by the clock: after twelve
timed iterations the run plans as many as fit in the minutes left (evaluations included), and the cosine
decays over exactly those, so the run ends on the schedule's floor instead of being cut off mid-decay.

The text's first 90 % trains, the last 10 % validates (nanoGPT's split, as examples/char_lm.py). The loss
is estimated as nanoGPT's ``estimate_loss`` does: the mean over ``--eval-iters`` random batches of each
split, every ``--eval-interval`` iterations and at the end (with ``--final-eval-iters`` batches, for a
steadier last figure). A sample of 500 characters (temperature 0.8, top-k 200, nanoGPT's ``sample.py``)
is printed at the end, and the cache is checked: ``context`` - 1 characters generated from the same seed
with the key/value cache and without it are the same, and both speeds are printed.

``--torch`` then trains the same model in PyTorch 2.13 (``nn.TransformerEncoderLayer`` blocks, pre-norm,
GELU, no biases; ``torch.optim.AdamW``; ``clip_grad_norm_``) from glassnet's initial weights, on the same
batches (the same seeded stream of offsets) with the same schedule, and prints both losses at equal
iterations and both wall times. The two run one after the other in this process; for speed figures use
benchmarks/gpt.py, which runs each framework alone in its own process.

``--attention-plot out.png`` draws every block's and head's attention map for the start of the validation
text through the trained model (``explain.plots.plot_lm_attention``; causal: lower-triangular).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import CharTokenizer, load_tiny_shakespeare
from glassnet.models import TransformerLM
from glassnet.optim.schedules import WarmupCosine

SHARED_COPY = Path(__file__).resolve().parents[2] / "shared" / "data" / "tinyshakespeare" / "input.txt"


@dataclass(frozen=True)
class Config:
    """One training run's settings (nanoGPT's names where it has them)."""

    num_layers: int
    num_heads: int
    d_model: int
    context: int  # nanoGPT's block_size
    batch_size: int
    dropout: float = 0.0
    bias: bool = False
    max_iters: int = 2000
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_iters: int = 100
    betas: tuple = (0.9, 0.99)
    weight_decay: float = 0.1
    grad_clip: float = 1.0
    eval_interval: int = 250
    eval_iters: int = 20
    minutes: float | None = None  # a time budget: the iterations are planned to fit it


CONFIGS = {
    "baby": Config(num_layers=4, num_heads=4, d_model=128, context=64, batch_size=12),
    "larger": Config(
        num_layers=6, num_heads=6, d_model=192, context=128, batch_size=24, max_iters=10**6, minutes=45.0
    ),
}


def learning_rate(it: int, config: Config) -> float:
    """nanoGPT's ``get_lr`` at iteration ``it``: ``optim.schedules.WarmupCosine``'s rate, linear warm-up to
    ``lr`` over ``warmup_iters``, then a cosine down to ``min_lr`` at ``max_iters`` (nanoGPT's
    ``lr_decay_iters``). A pure function of the iteration, so that the PyTorch twin gets the same rates.
    A run shorter than the warm-up stays in it."""
    decay = max(config.max_iters, config.warmup_iters + 1)
    return WarmupCosine(None, config.warmup_iters, decay, config.min_lr).lr_at(it, config.lr)


# --- the data: nanoGPT's random windows, drawn from a seeded stream both frameworks share ---
class Batches:
    """Windows of ``context`` ids at random offsets, ``x`` and ``y`` (the same, one id on): nanoGPT's
    ``get_batch``. The offsets come from a NumPy generator of their own, so two runs with the same seed
    (glassnet's and PyTorch's) see the same batches in the same order."""

    def __init__(self, ids: np.ndarray, context: int, batch_size: int, seed: int):
        if len(ids) <= context + 1:
            raise ValueError(
                f"the text has {len(ids)} ids in this split; it needs more than context + 1 = {context + 1}"
            )
        self.ids, self.context, self.batch_size = ids, context, batch_size
        self.rng = np.random.default_rng(seed)

    def next(self) -> tuple:
        starts = self.rng.integers(0, len(self.ids) - self.context, self.batch_size)
        rows = starts[:, None] + np.arange(self.context + 1)
        windows = self.ids[rows]
        return windows[:, :-1], windows[:, 1:]


def eval_batches(ids, config: Config, seed: int, it: int, count: int) -> list:
    """The ``count`` batches of an evaluation at iteration ``it``: fresh each time, the same for both
    frameworks."""
    stream = Batches(ids, config.context, config.batch_size, seed=(seed, 1, it))
    return [stream.next() for _ in range(count)]


# --- glassnet ---
def build_model(vocab_size: int, config: Config) -> TransformerLM:
    return TransformerLM(
        vocab_size,
        context=config.context,
        d_model=config.d_model,
        num_layers=config.num_layers,
        num_heads=config.num_heads,
        dropout=config.dropout,
        bias=config.bias,
        tie_weights=True,
    )


def decay_groups(named_parameters, weight_decay: float) -> list:
    """nanoGPT's two groups: weight decay on every matrix and embedding (2-D and up), none on the layer
    norms' gains and the biases (glassnet's parameters or PyTorch's alike)."""
    named = list(named_parameters)
    return [
        {"params": [p for _, p in named if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for _, p in named if p.ndim < 2], "weight_decay": 0.0},
    ]


def nanogpt_parameter_count(model: TransformerLM) -> int:
    """nanoGPT's ``get_num_params()``: every parameter but the position table."""
    return model.count_params() - model.position_embedding.weight.size


class Run:
    """What one framework's run reports: the loss of each iteration, the evaluations, the time."""

    def __init__(self, name: str):
        self.name, self.losses, self.evaluations, self.seconds = name, [], {}, 0.0
        self.config = None  # the settings it ran with (the planned iterations, with a time budget)


def train_glassnet(model, train_ids, val_ids, config: Config, seed: int, final_eval_iters: int) -> Run:
    loss_fn = nn.SparseCategoricalCrossEntropy(from_logits=True)
    groups = decay_groups(model.named_parameters(), config.weight_decay)
    opt = optim.AdamW(
        groups, lr=config.lr, betas=config.betas, convention="pytorch", global_clipnorm=config.grad_clip
    )

    def evaluate(it, count):
        model.eval()
        with gn.no_grad():
            losses = {
                split: np.mean(
                    [loss_fn(model(x), y).item() for x, y in eval_batches(ids, config, seed, it, count)]
                )
                for split, ids in (("train", train_ids), ("val", val_ids))
            }
        model.train()
        return losses

    def step(x, y, lr):
        for group in opt.param_groups:
            group["lr"] = lr
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return _train(Run("glassnet"), step, evaluate, train_ids, config, seed, final_eval_iters)


def _train(run: Run, step, evaluate, train_ids, config: Config, seed: int, final_eval_iters: int) -> Run:
    """The loop both frameworks share: ``step(x, y, lr)`` -> the batch's loss, ``evaluate(it, count)`` ->
    {"train": loss, "val": loss}. ``run.seconds`` counts the training steps only (the evaluations left
    out). With ``config.minutes``, the iterations are planned after twelve timed ones (see the module's
    docstring)."""
    batches = Batches(train_ids, config.context, config.batch_size, seed)
    start, it = time.perf_counter(), 0
    while it < config.max_iters:
        if it % config.eval_interval == 0:
            run.evaluations[it] = evaluate(it, config.eval_iters)
            report(run, it, learning_rate(it, config), start)
        begin = time.perf_counter()
        run.losses.append(step(*batches.next(), learning_rate(it, config)))
        run.seconds += time.perf_counter() - begin
        it += 1
        if config.minutes is None:
            continue
        if it == 12:
            config = plan(config, run.seconds / it, start, final_eval_iters)
            print(
                f"{run.name}: planned {config.max_iters} iterations for {config.minutes:g} minutes",
                flush=True,
            )
        elif time.perf_counter() - start > config.minutes * 60:  # the plan was too hopeful: stop on time
            print(f"{run.name}: out of time at iteration {it} of {config.max_iters}", flush=True)
            break
    run.evaluations[it] = evaluate(it, final_eval_iters)
    report(run, it, learning_rate(it, config), start, final=True)
    run.config = config
    return run


def plan(config: Config, seconds_per_iter: float, start: float, final_eval_iters: int = 0) -> Config:
    """As many iterations as fit in the minutes left, at ``seconds_per_iter`` a training step, with the
    evaluations (a forward pass per batch and split, about a third of a training step each; the last one
    of ``final_eval_iters`` batches) counted in and 5 % kept in reserve."""
    left = config.minutes * 60 * 0.95 - (time.perf_counter() - start)
    left -= seconds_per_iter * 2 * final_eval_iters / 3
    per_iter = seconds_per_iter * (1 + 2 * config.eval_iters / (3 * config.eval_interval))
    return replace(config, max_iters=max(config.warmup_iters + 1, 12 + int(left / per_iter)))


def report(run: Run, it: int, lr: float, start: float, final: bool = False) -> None:
    losses = run.evaluations[it]
    minutes = (time.perf_counter() - start) / 60
    label = "final" if final else "step"
    print(
        f"{run.name} {label} {it}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}, "
        f"lr {lr:.2e}, {minutes:.1f} min",
        flush=True,
    )


def generation_check(model: TransformerLM, tokenizer, seed: int) -> None:
    """Generate ``context`` - 1 characters after a newline twice from the same seed, with the key/value
    cache and without it (re-reading the whole text for every new character): the same characters, and
    the tokens per second of each."""
    count, runs = model.context - 1, {}
    for use_cache in (True, False):
        gn.manual_seed(seed)
        start = time.perf_counter()
        ids = model.generate(tokenizer.encode("\n"), count, temperature=0.8, top_k=200, use_cache=use_cache)
        runs[use_cache] = (ids, count / (time.perf_counter() - start))
    same = "the same" if np.array_equal(runs[True][0], runs[False][0]) else "DIFFERENT"
    print(
        f"generation of {count} characters: {same} characters with and without the cache; "
        f"{runs[True][1]:,.0f} tokens/s with it, {runs[False][1]:,.0f} without",
        flush=True,
    )


# --- the PyTorch twin ---
def torch_twin(model: TransformerLM):
    """The same GPT in PyTorch (``nn.TransformerEncoderLayer`` blocks: pre-norm, GELU, batch first), with
    glassnet's weights copied in; ``strict`` loading checks every tensor is mapped."""
    import torch  # noqa: PLC0415 - PyTorch is only needed for --torch

    class GPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            d = model.d_model
            self.token = torch.nn.Embedding(model.vocab_size, d)
            self.position = torch.nn.Parameter(torch.zeros(model.context, d))
            self.drop = torch.nn.Dropout(model.dropout_rate)
            self.blocks = torch.nn.ModuleList(
                torch.nn.TransformerEncoderLayer(
                    d,
                    model.num_heads,
                    model.dim_feedforward,
                    dropout=model.dropout_rate,
                    activation="gelu",
                    batch_first=True,
                    norm_first=True,
                    bias=model.bias,
                )  # fmt: skip
                for _ in model.blocks
            )
            self.norm = torch.nn.LayerNorm(d, bias=model.bias)

        def forward(self, ids):
            length = ids.shape[1]
            h = self.drop(self.token(ids) + self.position[:length])
            mask = torch.nn.Transformer.generate_square_subsequent_mask(length)
            for block in self.blocks:
                h = block(h, src_mask=mask, is_causal=True)
            return self.norm(h) @ self.token.weight.T  # tied: the embedding is the output projection

    twin = GPT()
    state = {
        "token.weight": model.token_embedding.weight.data,
        "position": model.position_embedding.weight.data,
    }
    state["norm.weight"] = model.norm.gamma.data
    if model.bias:
        state["norm.bias"] = model.norm.beta.data
    for k, block in enumerate(model.blocks):
        state.update({f"blocks.{k}.{name}": value for name, value in block_state(block).items()})
    twin.load_state_dict(
        {name: torch.from_numpy(np.array(value)) for name, value in state.items()}, strict=True
    )
    return twin


def block_state(block) -> dict:
    """A glassnet ``TransformerEncoderLayer``'s weights under PyTorch's names and layouts: the inverse of
    its ``load_torch_state_dict`` (linear weights transposed back to (out, in))."""
    attention = block.self_attn
    state = {
        "self_attn.in_proj_weight": attention.in_proj_weight.data,
        "self_attn.out_proj.weight": attention.out_proj_weight.data,
        "linear1.weight": block.linear1.weight.data.T,
        "linear2.weight": block.linear2.weight.data.T,
        "norm1.weight": block.norm1.gamma.data,
        "norm2.weight": block.norm2.gamma.data,
    }
    if block.bias:
        state.update(
            {
                "self_attn.in_proj_bias": attention.in_proj_bias.data,
                "self_attn.out_proj.bias": attention.out_proj_bias.data,
                "linear1.bias": block.linear1.bias.data,
                "linear2.bias": block.linear2.bias.data,
                "norm1.bias": block.norm1.beta.data,
                "norm2.bias": block.norm2.beta.data,
            }
        )
    return state


def train_torch(
    model: TransformerLM, train_ids, val_ids, config: Config, seed: int, final_eval_iters: int
) -> Run:
    import torch  # noqa: PLC0415

    twin = torch_twin(model)
    cross_entropy = torch.nn.functional.cross_entropy
    opt = torch.optim.AdamW(
        decay_groups(twin.named_parameters(), config.weight_decay), lr=config.lr, betas=config.betas
    )

    def loss_of(x, y):
        logits = twin(torch.from_numpy(x))
        return cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1))

    def evaluate(it, count):
        twin.eval()
        with torch.no_grad():
            losses = {
                split: float(
                    np.mean([loss_of(x, y).item() for x, y in eval_batches(ids, config, seed, it, count)])
                )
                for split, ids in (("train", train_ids), ("val", val_ids))
            }
        twin.train()
        return losses

    def step(x, y, lr):
        for group in opt.param_groups:
            group["lr"] = lr
        loss = loss_of(x, y)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(twin.parameters(), config.grad_clip)
        opt.step()
        return loss.item()

    return _train(Run("pytorch"), step, evaluate, train_ids, config, seed, final_eval_iters)


def compare(ours: Run, theirs: Run) -> None:
    """Both runs' losses at the same iterations, and their wall times."""
    print("\niteration  glassnet train  pytorch train  glassnet val  pytorch val")
    for it in sorted(set(ours.evaluations) & set(theirs.evaluations)):
        a, b = ours.evaluations[it], theirs.evaluations[it]
        print(f"{it:>9}  {a['train']:>14.4f}  {b['train']:>13.4f}  {a['val']:>12.4f}  {b['val']:>11.4f}")
    first = min(10, len(ours.losses), len(theirs.losses))
    gap = max(abs(a - b) for a, b in zip(ours.losses[:first], theirs.losses[:first]))
    print(f"training loss, first {first} iterations: largest |glassnet - pytorch| = {gap:.2e}")
    print(
        f"time in the training steps (evaluations left out): glassnet {ours.seconds:.1f} s, "
        f"pytorch {theirs.seconds:.1f} s, glassnet/pytorch speed {theirs.seconds / ours.seconds:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", choices=sorted(CONFIGS), default="baby")
    parser.add_argument("--iters", type=int, default=None, help="iterations (default: the config's)")
    parser.add_argument("--minutes", type=float, default=None, help="plan the iterations to fit this time")
    parser.add_argument("--eval-interval", type=int, default=None)
    parser.add_argument("--eval-iters", type=int, default=None, help="batches per evaluation (20)")
    parser.add_argument("--final-eval-iters", type=int, default=200, help="batches of the last evaluation")
    parser.add_argument("--text", default=None, help="a UTF-8 text file (default: tiny Shakespeare)")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--torch", action="store_true", help="then train the same model in PyTorch")
    parser.add_argument("--attention-plot", default=None, metavar="PNG", help="draw the attention maps")
    parser.add_argument("--sample-length", type=int, default=500)
    parser.add_argument("--out", default=None, help="save the model and its tokenizer in this folder")
    args = parser.parse_args()

    config = CONFIGS[args.config]
    changes = {"max_iters": args.iters, "minutes": args.minutes, "eval_interval": args.eval_interval,
               "eval_iters": args.eval_iters}  # fmt: skip
    config = replace(config, **{key: value for key, value in changes.items() if value is not None})
    if args.iters is not None and args.minutes is None:
        config = replace(config, minutes=None)  # a number of iterations given: no time plan
    if args.text is not None:
        text = Path(args.text).read_text(encoding="utf-8")
    else:
        text = load_tiny_shakespeare(SHARED_COPY if SHARED_COPY.is_file() else None)
    tokenizer = CharTokenizer(reserved=False).fit(text)  # nanoGPT's vocabulary: the characters alone
    ids = tokenizer.encode(text)
    split = int(len(ids) * 0.9)
    train_ids, val_ids = ids[:split], ids[split:]

    gn.manual_seed(args.seed)
    model = build_model(tokenizer.vocab_size, config)
    initial = {name: value.copy() for name, value in model.state_dict().items()}
    print(
        f"{args.config} GPT: {config.num_layers} layers, {config.num_heads} heads, width {config.d_model}, "
        f"context {config.context}, batch {config.batch_size}, dropout {config.dropout}, "
        f"{'biases' if config.bias else 'no biases'}\n"
        f"{len(text):,} characters, vocabulary {tokenizer.vocab_size}; train {len(train_ids):,}, "
        f"val {len(val_ids):,}\n"
        f"{nanogpt_parameter_count(model) / 1e6:.2f}M parameters (nanoGPT's count, without the position "
        f"table; {model.count_params():,} in all)",
        flush=True,
    )
    ours = train_glassnet(model, train_ids, val_ids, config, args.seed, args.final_eval_iters)
    final = ours.evaluations[max(ours.evaluations)]
    tokens = config.batch_size * config.context * len(ours.losses)
    print(
        f"glassnet: val loss {final['val']:.4f} nats/char after {len(ours.losses)} iterations, "
        f"{ours.seconds / 60:.1f} min of training ({tokens / ours.seconds:,.0f} tokens/s)"
    )
    gn.manual_seed(args.seed)
    sample = model.generate(tokenizer.encode("\n"), args.sample_length, temperature=0.8, top_k=200)
    print(f"--- sample ---\n{tokenizer.decode(sample)}\n---", flush=True)
    generation_check(model, tokenizer, args.seed)
    if args.attention_plot:
        from glassnet.explain.plots import plot_lm_attention  # noqa: PLC0415 - matplotlib, an optional extra

        piece = tokenizer.decode(val_ids[: min(32, config.context)])
        print(
            f"attention maps of {piece!r}: {plot_lm_attention(model, piece, tokenizer, args.attention_plot)}"
        )
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        model.save(out / "gpt_shakespeare.glassnet")
        tokenizer.save(out / "gpt_shakespeare.tokenizer.json")
        print(f"saved to {out}")
    if args.torch:
        model.load_state_dict(initial)  # the twin starts where glassnet started
        plan_taken = replace(config, max_iters=ours.config.max_iters, minutes=None)
        theirs = train_torch(model, train_ids, val_ids, plan_taken, args.seed, args.final_eval_iters)
        compare(ours, theirs)


if __name__ == "__main__":
    main()
