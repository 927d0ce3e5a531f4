"""Run a question set through ablation configs of one shared :class:`~rag.pipeline.Pipeline` and score it."""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from evals import metrics as m
from evals.dataset import EvalItem
from evals.leave_out import LEFT_OUT
from rag import Answer, Passage, Settings
from rag.errors import BadInput, BadQuestion
from rag.judging.confidence import FEATURES


@dataclass(frozen=True)
class Config:
    name: str
    retrieval: str
    rerank: bool
    mode: str = "extractive"


CONFIGS: dict[str, Config] = {
    c.name: c
    for c in (
        Config("dense", "dense", False),
        Config("bm25", "bm25", False),
        Config("hybrid", "hybrid", False),
        Config("hybrid+rerank", "hybrid", True),
        Config("generative", "hybrid", True, "generative"),  # needs RAG_LLM_URL or RAG_LLM_GGUF
    )
}
DEFAULT_CONFIGS = ("dense", "bm25", "hybrid", "hybrid+rerank")
MAIN_CONFIG = "hybrid"  # the default answer path: hybrid retrieval, then the reader
TOP_K = 5  # passages judged for hit@k / MRR, and the pipeline's default top_k (answers are unchanged by it)
STAGES = ("resolve", "retrieve", "rerank", "read", "judge", "answer", "first_token", "generate", "verify", "total")
WORST = 10

# Row order of tables and the JSON report. Latency rows are appended per stage.
QUALITY_METRICS = ("hit@1", "hit@3", "hit@5", "mrr", "exact_match", "f1", "answer_containment",
                   "citation_precision", "citation_offsets", "abstention_precision", "abstention_recall",
                   "left_out_abstained", "coverage", "selective_risk", "aurc", "ece", "ece_floor")  # fmt: skip
COUNT_METRICS = ("questions", "answerable", "answered", "abstained", "refused", "left_out_told_elsewhere",
                 *m.STATEMENT_COUNTS)


def parse_configs(spec: str | Sequence[str] | None) -> list[Config]:
    names = spec.split(",") if isinstance(spec, str) else list(spec or DEFAULT_CONFIGS)
    names = [n.strip() for n in names if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise BadInput(f"unknown config {', '.join(unknown) or '(none)'}: choose from {', '.join(CONFIGS)}")
    return [CONFIGS[n] for n in dict.fromkeys(names)]


def main_config(configs: Sequence[Config]) -> str:
    names = [c.name for c in configs]
    return MAIN_CONFIG if MAIN_CONFIG in names else names[-1]


Scores = tuple[dict[str, float | None], dict[str, list]]


def score(items: Sequence[EvalItem], answers: Sequence[Answer | None], rankings: Sequence[Sequence[Passage]],
          article_texts: Mapping[str, str] | None = None,
          judged: Sequence[tuple[float, str | None] | None] | None = None) -> Scores:  # fmt: skip
    """All metrics for one config: the aggregates, and the per-question values by metric name.

    ``article_texts`` (id -> original text of every cited article) enables the citation-offset check; ``judged``
    (per question: the confidence of the best span and the span, answered or not) the risk-coverage and
    calibration metrics."""
    results = {
        "hit@1": m.hit_at_k(items, rankings, 1),
        "hit@3": m.hit_at_k(items, rankings, 3),
        "hit@5": m.hit_at_k(items, rankings, 5),
        "mrr": m.mrr(items, rankings),
        "exact_match": m.exact_match(items, answers),
        "f1": m.token_f1(items, answers),
        "answer_containment": m.answer_containment(items, answers),
        "citation_precision": m.citation_precision(items, answers),
        "citation_offsets": m.citation_offsets(answers, article_texts)
        if article_texts is not None
        else (None, [None] * len(items)),
        "abstention_precision": m.abstention_precision(items, answers),
        "abstention_recall": m.abstention_recall(items, answers),
        "left_out_abstained": m.abstention_recall(*_only(LEFT_OUT, items, answers)),
        "coverage": m.coverage(items, answers),
        "selective_risk": m.selective_risk(items, answers),
    }  # fmt: skip
    aggregates: dict[str, float | None] = {name: agg for name, (agg, _) in results.items()}
    per = {name: values for name, (_, values) in results.items() if name != "left_out_abstained"}
    aggregates.update(trust(items, judged))
    aggregates["ece_floor"] = m.calibration_floor([j[0] for j in judged or [] if j is not None])
    left_out, left_answers = _only(LEFT_OUT, items, answers)
    aggregates["left_out_told_elsewhere"] = sum(  # answered right from another article of the same story
        1 for i, a in zip(left_out, left_answers, strict=True)
        if a is not None and not a.abstained and i.answers and m.f1_score(a.short_answer, i.answers) >= m.RIGHT_F1
    ) if left_out else None
    for stage in STAGES:
        (percentiles, values) = m.latency(answers, stage)
        aggregates[f"latency_{stage}_p50_ms"] = percentiles["p50"]
        aggregates[f"latency_{stage}_p95_ms"] = percentiles["p95"]
        per[f"latency_{stage}_ms"] = values
    aggregates.update({
        "questions": len(items),
        "answerable": sum(i.answerable for i in items),
        "answered": sum(a is not None and not a.abstained for a in answers),
        "abstained": sum(a is not None and a.abstained for a in answers),
        "refused": sum(a is None for a in answers),
    })  # fmt: skip
    aggregates.update(m.statement_verdicts(items, answers))
    return aggregates, per


INTERVAL_METRICS = ("f1", "abstention_precision", "abstention_recall", "left_out_abstained", "coverage",
                    "selective_risk", "aurc", "ece")  # fmt: skip


def intervals(items: Sequence[EvalItem], per: Mapping[str, Sequence[float | None]],
              judged: Sequence[tuple[float, str | None] | None] | None) -> dict[str, tuple[float, float] | None]:
    """95 % intervals of the trust metrics, by drawing the articles again (:func:`evals.metrics.bootstrap_interval`;
    the questions one by one when one article holds more than a tenth of them):
    on sets of a hundred questions, one question moves a rate by one to four points, and a change smaller than the
    interval's width is not yet a measured change."""
    groups = [item.evidence_article_id or item.id for item in items]
    if max(Counter(groups).values()) > max(1, len(items) // 10):  # one article holds much of the set (the seed
        groups = [item.id for item in items]  # article): drawing articles would leave it in or out wholesale
    values = {**per, "left_out_abstained": [v if item.kind == LEFT_OUT else None
                                            for item, v in zip(items, per["abstention_recall"], strict=True)]}

    def mean_of(name: str):
        return lambda drawn: m.mean([values[name][i] for i in drawn])

    drawn_trust: dict[tuple[int, ...], dict] = {}  # AURC and ECE of one draw, computed once for both

    def trust_of(name: str):
        def statistic(drawn: list[int]) -> float | None:
            key = tuple(drawn)
            if key not in drawn_trust:
                drawn_trust[key] = trust([items[i] for i in drawn], [judged[i] for i in drawn] if judged else None)
            return drawn_trust[key][name]
        return statistic

    return {name: m.bootstrap_interval(trust_of(name) if name in ("aurc", "ece") else mean_of(name), groups)
            for name in INTERVAL_METRICS}


def _only(kind: str, items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    pairs = [(i, a) for i, a in zip(items, answers, strict=True) if i.kind == kind]
    return [i for i, _ in pairs], [a for _, a in pairs]


def trust(items: Sequence[EvalItem], judged: Sequence[tuple[float, str | None] | None] | None) -> dict:
    """AURC and ECE over the questions the system judged (refused ones have no confidence)."""
    pairs = [(p, m.is_right(item, span)) for item, j in zip(items, judged or [None] * len(items), strict=True)
             if j is not None for p, span in [j]]  # fmt: skip
    if not pairs:
        return {"aurc": None, "ece": None}
    probabilities, right = [p for p, _ in pairs], [r for _, r in pairs]
    return {"aurc": m.risk_coverage(probabilities, right)[0], "ece": m.calibration(probabilities, right)[0]}


def _record(item: EvalItem, answer: Answer | None, ranking: Sequence[Passage], error: str | None,
            values: dict[str, float | None], judged: tuple[float, str | None] | None = None) -> dict:  # fmt: skip
    return {
        "id": item.id,
        "question": item.question,
        "kind": item.kind,
        "unanswerable": item.unanswerable,
        "gold_answers": item.answers,
        "gold_article_id": item.evidence_article_id,
        "short_answer": answer.short_answer if answer else None,
        "answer": answer.answer if answer else None,
        "abstained": answer.abstained if answer else True,
        "confidence": answer.confidence if answer else None,
        "p_right": judged[0] if judged else None,  # the confidence of the best span, answered or not
        "best_span": judged[1] if judged else None,
        "abstain_reason": answer.abstain_reason if answer else None,
        "citations": [
            {"article_id": c.article_id, "quote": c.quote, "start": c.start, "end": c.end}
            for c in (answer.citations if answer else [])
        ],  # fmt: skip
        "retrieved": [
            {"article_id": p.article_id, "chunk_id": p.chunk_id, "relevant": m.is_relevant(p, item)} for p in ranking
        ],  # fmt: skip
        "error": error,
        "scores": values,
        **({"statements": [st.model_dump() for st in answer.statements], "model": answer.model, "note": answer.note}
           if answer and answer.mode == "generative" else {}),
    }  # fmt: skip


def cited_texts(pipeline, answers: Sequence[Answer | None], cache: dict[str, str]) -> dict[str, str]:
    """Original text of every article the answers cite, read from the pipeline's store (cached)."""
    for answer in answers:
        for c in answer.citations if answer else []:
            if c.article_id not in cache:
                article = pipeline.store.get_article(c.article_id)
                cache[c.article_id] = article.text if article else ""
    return cache


def run_config(pipeline, items: Sequence[EvalItem], config: Config, bar=None,
               texts: dict[str, str] | None = None) -> tuple[dict, list[dict]]:  # fmt: skip
    answers: list[Answer | None] = []
    rankings: list[list[Passage]] = []
    errors: list[str | None] = []
    judged: list[tuple[float, str | None] | None] = []
    signals: list[dict | None] = []  # the best reading's confidence inputs, for the checks' cost table
    # Each config starts from a cold sentence-embedding cache, or later configs would look faster only because
    # an earlier one embedded the same passages; then one untimed question warms this config's code path.
    pipeline.clear_caches()
    options = {"retrieval": config.retrieval, "rerank": config.rerank, "mode": config.mode}
    pipeline.run("warm up", **options)
    for item in items:
        try:
            result = pipeline.run(item.question, top_k=TOP_K, as_of=item.as_of, **options)
            answers.append(result.answer)
            rankings.append(list(result.passages))
            errors.append(None)
            evidence = result.evidence
            best = evidence.best if evidence else None
            judged.append((evidence.strength, best.text if best else None) if evidence else None)
            signals.append(dict(zip(FEATURES, evidence.judged[0].signals.features(), strict=True))
                           if evidence and evidence.judged else None)  # fmt: skip
        except BadQuestion as exc:
            answers.append(None)
            rankings.append([])
            errors.append(f"refused: {exc}")
            judged.append(None)
            signals.append(None)
        if bar is not None:
            bar.update(1)
    texts = cited_texts(pipeline, answers, {} if texts is None else texts)
    aggregates, per = score(items, answers, rankings, texts, judged)
    aggregates["intervals"] = intervals(items, per, judged)
    records = [
        {**_record(item, answers[i], rankings[i], errors[i], {name: values[i] for name, values in per.items()},
                   judged[i]), "signals": signals[i]}
        for i, item in enumerate(items)
    ]
    return aggregates, records


def run_eval(items: Sequence[EvalItem], settings: Settings, configs: Sequence[Config | str] | str | None = None,
             progress: bool = True) -> dict:  # fmt: skip
    """Every question through every config on one shared pipeline (models loaded once).

    Returns ``{config: {metric: value}, "per_question": {config: [record]}, "worst": [record],
    "main": config name}``.
    """
    from tqdm import tqdm

    from rag import Pipeline

    if not items:
        raise BadInput("no questions to evaluate")
    chosen = parse_configs([c.name if isinstance(c, Config) else c for c in configs]
                           if configs is not None and not isinstance(configs, str) else configs)  # fmt: skip
    pipeline = Pipeline(settings)
    pipeline.warm_up()  # spaCy and the BM25 index load here, not inside the first question's timings
    report: dict = {"per_question": {}}
    texts: dict[str, str] = {}
    with tqdm(total=len(items) * len(chosen), desc="eval", unit="q", file=sys.stderr, disable=not progress) as bar:
        for config in chosen:
            bar.set_postfix_str(config.name)
            aggregates, records = run_config(pipeline, items, config, bar, texts)
            report[config.name] = aggregates
            report["per_question"][config.name] = records
    report["main"] = main_config(chosen)
    report["worst"] = worst_questions(report["per_question"][report["main"]])
    report["by_type"] = by_question_type(report["per_question"][report["main"]])
    report["by_kind"] = by_kind(report["per_question"][report["main"]])
    return report


SPAN_KINDS = ("change", "what_happened")  # answered by a text that must hold the newest state, not by a span


def is_right_for_kind(record: dict) -> bool:
    """A question about time is answered right when its short answer matches (F1 ≥ 0.5), or, for the kinds
    answered with text (change, what happened), when the answer text holds the gold. A number must be the gold's
    number: "about 4,200 gallons" shares two of three words with "about 4,800 gallons", and is the superseded
    figure a question about time most often gets wrong."""
    scores = record["scores"]
    if record["kind"] in SPAN_KINDS:
        return (scores.get("answer_containment") or 0.0) >= 1.0
    counted = [_numbers(g) for g in record["gold_answers"] if _numbers(g)]
    if counted and not any(n <= _numbers(record["short_answer"]) for n in counted):
        return False
    return (scores.get("f1") or 0.0) >= m.RIGHT_F1


def _numbers(text: str | None) -> set[str]:
    return set(re.findall(r"\d+(?:\.\d+)?", (text or "").replace(",", "")))


def by_kind(records: Sequence[dict]) -> dict[str, dict]:
    """Right share per question kind (the time set's latest / as_of / earliest / change / what_happened /
    stable), over answerable questions."""
    groups: dict[str, list[dict]] = {}
    for r in records:
        if not r["unanswerable"] and r["kind"]:
            groups.setdefault(r["kind"], []).append(r)
    return {
        kind: {"questions": len(rs), "right": round(sum(map(is_right_for_kind, rs)) / len(rs), 3),
               "answered": round(sum(not r["abstained"] for r in rs) / len(rs), 3)}
        for kind, rs in sorted(groups.items())
    }  # fmt: skip


# -- by question type -------------------------------------------------------------------------------------
QUESTION_TYPES = (("how many", "how many/much"), ("how much", "how many/much"), ("who", "who"), ("whom", "who"),
                  ("whose", "who"), ("when", "when"), ("what year", "when"), ("where", "where"), ("why", "why"),
                  ("which", "what/which"), ("what", "what/which"), ("how", "how"))  # fmt: skip


def question_type(question: str) -> str:
    """The question's wh-phrase, as a reader of the report groups them (the first one in the question)."""
    lowered = " " + " ".join(re.sub(r"[^a-z0-9]+", " ", question.lower()).split()) + " "
    found = [(lowered.find(f" {w} "), -len(w), kind) for w, kind in QUESTION_TYPES if f" {w} " in lowered]
    return min(found)[2] if found else "other"


def by_question_type(records: Sequence[dict]) -> dict[str, dict]:
    """EM/F1/containment and answered share per question type, over answerable questions."""
    groups: dict[str, list[dict]] = {}
    for r in records:
        if not r["unanswerable"]:
            groups.setdefault(question_type(r["question"]), []).append(r)
    out = {}
    for kind, rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):

        def mean(metric: str, rs=rs) -> float | None:
            values = [r["scores"].get(metric) for r in rs if r["scores"].get(metric) is not None]
            return round(sum(values) / len(values), 4) if values else None

        out[kind] = {"questions": len(rs), "exact_match": mean("exact_match"), "f1": mean("f1"),
                     "answer_containment": mean("answer_containment"),
                     "answered": round(sum(not r["abstained"] for r in rs) / len(rs), 4)}  # fmt: skip
    return out


# -- what went wrong --------------------------------------------------------------------------------------
def _badness(record: dict) -> float:
    """0 = perfect; answerable questions lose for a miss at each stage, unanswerable ones for answering."""
    s = record["scores"]
    if record["unanswerable"]:
        return 0.0 if record["abstained"] else 1.0 + (record["confidence"] or 0.0)
    parts = [s.get("hit@5"), s.get("f1"), s.get("answer_containment"), s.get("citation_precision")]
    parts = [p for p in parts if p is not None]
    if record["abstained"]:
        parts.append(0.0)
    return 1.0 - sum(parts) / len(parts) if parts else 0.0


def diagnose(record: dict) -> list[str]:
    """What went wrong with one question, stage by stage, in words."""
    s = record["scores"]
    problems: list[str] = []
    if record["error"]:
        problems.append(record["error"])
    if record["unanswerable"]:
        if not record["abstained"]:
            said = f"short answer {record['short_answer']!r}" if record["short_answer"] else "no short answer"
            problems.append(f"answered an unanswerable question ({said}, confidence {record['confidence']:.2f})")
        return problems
    gold = record["gold_answers"]
    if s.get("hit@5") == 0.0:
        problems.append("retrieval miss: no top-5 passage from the gold article holds the answer")
    elif s.get("hit@1") == 0.0:
        problems.append(f"answer passage not ranked first (reciprocal rank {s.get('mrr')})")
    if record["abstained"]:
        if not record["error"]:
            where = "although the answer passage was retrieved" if s.get("hit@5") else "(answer passage not retrieved)"
            problems.append(f"abstained {where}: evidence under the threshold (confidence {record['confidence']:.2f})")
        return problems
    if s.get("answer_containment") == 0.0:
        problems.append("wrong evidence: the cited sentences do not contain the gold answer")
    if record["short_answer"] is None:
        problems.append("no short answer span")
    elif gold and not s.get("exact_match"):
        why = "wrong span: the cited text holds" if s.get("answer_containment") else "expected"
        problems.append(f"short answer {record['short_answer']!r} ({why} {gold[0]!r}, F1 {s['f1']:.2f})")
    if s.get("citation_precision") is not None and s["citation_precision"] < 1.0:
        problems.append(f"citation precision {s['citation_precision']:.2f}: a cited sentence lacks the evidence")
    if s.get("citation_offsets") is not None and s["citation_offsets"] < 1.0:
        problems.append("citation offsets do not point at the quote in the article text")
    return problems


def worst_questions(records: Sequence[dict], n: int = WORST) -> list[dict]:
    # Ties: a confident answer that is wrong ranks worse than an abstention.
    ranked = sorted(records, key=lambda r: (-_badness(r), r["abstained"], -(r["confidence"] or 0.0)))
    worst = [r for r in ranked if _badness(r) > 0][:n]
    return [{
        "id": r["id"], "question": r["question"], "kind": r["kind"], "gold_answers": r["gold_answers"],
        "short_answer": r["short_answer"], "answer": r["answer"], "abstained": r["abstained"],
        "confidence": r["confidence"], "problems": diagnose(r), "badness": round(_badness(r), 4),
    } for r in worst]  # fmt: skip
