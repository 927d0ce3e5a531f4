"""How often the claim check contradicts a true statement, and how often it catches a swapped one.

Built from SQuAD-Shifts ``new_wiki`` titles held out from reader training (data the project may tune on), split
by title into a dev half (where ``RAG_CHECK_CONFIDENT`` is chosen) and a held-out half (the number that counts).
For each question whose answer is a name, place, number or date: the *true* statement is the paragraph's sentence
holding the gold answer; the *swapped* statement is that sentence with the answer replaced by another thing of the
same kind from the same paragraph ("Tesla moved to Paris" → "Edison moved to Paris"). The checker gets the question,
the reader's reading of it on the paragraph as the evidence's answer, and the statement citing the sentence it came
from, as the verifier would cite it.

    python -m evals.contradictions --questions 400
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time

from evals.bench import cpu_name
from evals.train_reader import held_out, training_file
from rag.answering.claim_check import ClaimChecker, same_thing, slots
from rag.pipeline import packaged_embedding_model
from rag.reading.reader import load_reader
from rag.retrieval.support import Sentence
from rag.sentences import split_sentences
from rag.settings import load_settings
from rag.types import Passage

BARS = (0.3, 0.5, 0.7, 0.9)


def is_dev(title: str) -> bool:
    return int(hashlib.sha256(f"contradictions:{title}".encode()).hexdigest(), 16) % 2 == 0


def cases(questions: int, seed: int) -> list[dict]:
    """``{split, question, passage, sentence, true, swapped}`` for up to ``questions`` questions."""
    doc = json.loads(training_file("new_wiki_v1.0.json").read_text(encoding="utf-8"))
    rows = []
    for entry in doc["data"]:
        if not held_out(entry["title"]):
            continue
        for n, paragraph in enumerate(entry["paragraphs"]):
            for qa in paragraph["qas"]:
                rows.append((entry["title"], n, paragraph["context"], qa))
    random.Random(seed).shuffle(rows)
    out = []
    for title, n, context, qa in rows:
        if len(out) >= questions:
            break
        case = _case(title, n, context, qa)
        if case:
            out.append(case)
    return out


def _case(title: str, n: int, context: str, qa: dict) -> dict | None:
    gold = qa["answers"][0]
    lo, hi = gold["answer_start"], gold["answer_start"] + len(gold["text"])
    bounds = [(s, e) for s, e in split_sentences(context) if s <= lo < e and hi <= e]
    if not bounds:
        return None
    s, e = bounds[0]
    sentence = context[s:e]
    answer_kind = [x.kind for x in slots(sentence) if x.start < hi - s and lo - s < x.end]
    if not answer_kind:
        return None
    rivals = [
        x for x in slots(context)
        if x.kind == answer_kind[-1] and not same_thing(x.text, gold["text"]) and x.text not in sentence
        and x.text.lower() not in qa["question"].lower()
    ]  # fmt: skip
    if not rivals:
        return None
    swapped = sentence[: lo - s] + rivals[0].text + sentence[hi - s :]
    passage = Passage(chunk_id=f"{title}-{n}", article_id=f"{title}-{n}", text=context, start=0, end=len(context))
    return {"split": "dev" if is_dev(title) else "held-out", "question": qa["question"], "passage": passage,
            "sentence": Sentence(passage, s, e, sentence), "true": sentence, "swapped": swapped}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=400)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--show", type=int, default=3, metavar="N", help="print N held-out swaps caught, with evidence")
    args = parser.parse_args(argv)
    settings = load_settings()
    reader = load_reader(packaged_embedding_model(), str(settings.model_cache), settings.reader_backend)
    built = cases(args.questions, args.seed)
    answers = reader.read_pairs([(c["question"], c["passage"]) for c in built])
    print(f"{len(built)} cases ({sum(c['split'] == 'dev' for c in built)} dev); CPU: {cpu_name()}")
    print("| split | bar | true contradicted | true flagged (contradicted or unstated) | swapped contradicted "
          "| swapped flagged | ms per statement |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for split in ("dev", "held-out"):
        chosen = [(c, a) for c, a in zip(built, answers, strict=True) if c["split"] == split]
        for bar in BARS:
            checker = ClaimChecker(reader.read_pairs, bar)
            counts = {"true": 0, "swapped": 0}
            flagged = {"true": 0, "swapped": 0}
            started = time.perf_counter()
            for case, answer in chosen:
                evidence_answer = answer if answer is not None and answer.answerable >= bar else None
                for kind in counts:
                    found = checker.check(case["question"], evidence_answer, [(case[kind], [case["sentence"]])])[0]
                    counts[kind] += any(f.verdict == "contradicted" for f in found)
                    flagged[kind] += any(f.verdict in ("contradicted", "unstated") for f in found)
            ms = (time.perf_counter() - started) * 1000 / max(1, 2 * len(chosen))
            n = max(1, len(chosen))
            print(f"| {split} | {bar} | {counts['true'] / n:.3f} | {flagged['true'] / n:.3f} | "
                  f"{counts['swapped'] / n:.3f} | {flagged['swapped'] / n:.3f} | {ms:.0f} |")
    checker = ClaimChecker(reader.read_pairs, settings.check_confident)
    shown = 0
    for case, answer in zip(built, answers, strict=True):
        if shown >= args.show or case["split"] != "held-out":
            continue
        evidence_answer = answer if answer is not None and answer.answerable >= settings.check_confident else None
        found = checker.check(case["question"], evidence_answer, [(case["swapped"], [case["sentence"]])])[0]
        for finding in (f for f in found if f.verdict == "contradicted"):
            print(f"\n- statement: {case['swapped']}\n  {finding.describe()}\n  evidence: {finding.quote}")
            shown += 1
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
