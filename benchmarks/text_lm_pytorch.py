"""The recipe of ``python -m numpyflow train-text`` run in PyTorch, for comparison.

    python -m benchmarks.text_lm_pytorch --model lstm --time-limit 2 [--threads 2] [train-text's options]

Same models (``numpyflow/cli/text_models.py`` itself, loaded with PyTorch's ``nn`` in place
of NumpyFlow's), same corpus, held-out split and vocabulary, same batches step by step
(drawn from the same seeds), same optimizer, warm-up and cosine schedule (over the steps,
or over the time limit when it ends the run first), clipping and evaluations (which count
towards the time limit, as in train-text).  The initial weights come from PyTorch's own
generator.  Prints one line per evaluation and the final held-out bits per character.
"""

from __future__ import annotations

import argparse
import math
import time
import types

import numpyflow.cli.text_models as text_models
from numpyflow.cli import text_data, train_text


def torch_text_models() -> types.ModuleType:
    """``numpyflow/cli/text_models.py`` with PyTorch's ``nn``: the same source, one import changed."""
    with open(text_models.__file__) as f:
        source = f.read()
    assert "from .. import nn\n" in source
    module = types.ModuleType("text_models_torch")
    exec(
        compile(source.replace("from .. import nn\n", "from torch import nn\n"), text_models.__file__, "exec"),
        module.__dict__,
    )
    return module


def evaluate(torch, model, ids, args) -> float:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in text_data.held_out_batches(ids, args.seq_len, args.eval_batch_size, args.eval_chars):
            logits, _ = model(torch.from_numpy(x))
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1)
            )
            total += loss.item() * y.size
            count += y.size
    model.train()
    return total / count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    train_text.add_arguments(parser)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.lr is None:
        args.lr = train_text.DEFAULT_LR[args.model]

    import torch

    torch.set_num_threads(args.threads)
    corpus = train_text.read_text(args)
    vocab = text_data.Vocabulary.of(corpus.train + corpus.held_out)
    train_ids, held_ids = vocab.encode(corpus.train), vocab.encode(corpus.held_out)
    per_epoch = text_data.steps_per_epoch(len(train_ids), args.seq_len, args.batch_size)
    if args.steps is not None:
        total = args.steps
    elif args.epochs is not None:
        total = max(1, round(args.epochs * per_epoch))
    else:
        total = None if args.time_limit is not None else train_text.DEFAULT_STEPS
    limit = 60 * args.time_limit if args.time_limit is not None else math.inf

    torch.manual_seed(args.seed)
    model = torch_text_models().build_model(
        args.model, len(vocab), args.embed, args.hidden, args.layers, args.dropout, args.heads, args.seq_len
    )
    cls = torch.optim.AdamW if args.optimizer == "adamw" else torch.optim.Adam
    optimizer = cls(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"PyTorch {torch.__version__}, {args.threads} threads: {args.model} ({n_params:,} parameters) on "
        f"{corpus.name}, {total or 'unlimited'} steps, time limit {args.time_limit} min",
        flush=True,
    )
    start = time.perf_counter()
    step, losses, bpc = 0, [], math.nan
    model.train()
    while total is None or step < total:
        elapsed = time.perf_counter() - start
        if elapsed >= limit:
            break
        fraction = max(([step / total] if total else []) + ([elapsed / limit] if limit < math.inf else []))
        for group in optimizer.param_groups:
            group["lr"] = train_text.learning_rate(args, step, fraction)
        x, y = text_data.train_batch(train_ids, args.seq_len, args.batch_size, args.seed, step)
        logits, _ = model(torch.from_numpy(x))
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(y).reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        if args.clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        optimizer.step()
        losses.append(loss.item())
        step += 1
        if step % args.eval_every == 0 or step == total or time.perf_counter() - start >= limit:
            bpc = evaluate(torch, model, held_ids, args) / math.log(2)
            print(
                f"step {step}: train loss {sum(losses) / len(losses):.4f} | held-out {bpc:.3f} bpc | "
                f"{time.perf_counter() - start:.0f} s",
                flush=True,
            )
            losses = []
    print(f"PyTorch {args.model}: held-out {bpc:.3f} bpc after {step} steps, {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
