"""Answer-quality metrics. Each is a pure function of the gold items and what the system returned, and
returns ``(aggregate, per_question)``: ``per_question[i]`` belongs to ``items[i]`` and is ``None`` where the
metric does not apply (e.g. retrieval hits for an unanswerable question); the aggregate is the mean of the
values that apply, or ``None`` when none do.

An answer of ``None`` means the pipeline refused the question (``BadQuestion``): it counts as an abstention
with no short answer, no citations and no timings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from evals.dataset import EvalItem
from evals.tables import percentile
from rag import Answer, Passage
from rag.question import normalize_answer  # noqa: F401  (one SQuAD normalisation, re-exported)

PerQuestion = list[float | None]


def mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 4) if present else None


def _aggregate(per: PerQuestion) -> tuple[float | None, PerQuestion]:
    return mean(per), per


# -- text normalisation ------------------------------------------------------------------------------------
def _contains_phrase(haystack: str, needle: str) -> bool:
    """``needle`` occurs in ``haystack`` on token boundaries (both already normalised)."""
    return bool(needle) and f" {needle} " in f" {haystack} "


def holds_answer(text: str, answers: Sequence[str]) -> bool:
    """A gold answer occurs in ``text``, both SQuAD-normalised, on word boundaries: the containment of a full
    answer text, a statement or a brief."""
    normalized = normalize_answer(text)
    return any(_contains_phrase(normalized, normalize_answer(g)) for g in answers)


def exact_match_score(prediction: str | None, gold: Sequence[str]) -> float:
    if not prediction or not gold:
        return 0.0
    predicted = normalize_answer(prediction)
    return float(any(predicted == normalize_answer(g) for g in gold))


def f1_score(prediction: str | None, gold: Sequence[str]) -> float:
    """Token-overlap F1 of the prediction against the best-matching gold answer."""
    if not prediction or not gold:
        return 0.0
    return max(_token_f1(normalize_answer(prediction).split(), normalize_answer(g).split()) for g in gold)


def _token_f1(predicted: list[str], gold: list[str]) -> float:
    if not predicted or not gold:
        return float(predicted == gold)
    same = sum((Counter(predicted) & Counter(gold)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(predicted), same / len(gold)
    return 2 * precision * recall / (precision + recall)


# -- retrieval --------------------------------------------------------------------------------------------
def has_gold(item: EvalItem) -> bool:
    return item.answerable and bool(item.answers or item.evidence_quote)


def is_relevant(passage: Passage, item: EvalItem) -> bool:
    """A passage from the gold article (any article when the item names none) that holds a gold answer, or, for
    an item with no answers, the evidence quote; SQuAD-normalised and on word boundaries ("5" is not in "50")."""
    if item.evidence_article_id and passage.article_id != item.evidence_article_id:
        return False
    text = normalize_answer(passage.text)
    needles = item.answers or ([item.evidence_quote] if item.evidence_quote else [])
    return any(_contains_phrase(text, normalize_answer(n)) for n in needles if n.strip())


def _ranking_ids(item: EvalItem, ranking: Sequence[Passage]) -> tuple[list[str], list[str]]:
    # Relevance is judged by content (the answer string in the passage), not by chunk ids known in advance:
    # chunk boundaries depend on the chunking settings. So the "expected ids" handed to llama-index's
    # metrics are the retrieved chunks that qualify as relevant.
    retrieved = [p.chunk_id for p in ranking]
    expected = [p.chunk_id for p in ranking if is_relevant(p, item)]
    return retrieved, expected


def _ranking_metric(items: Sequence[EvalItem], rankings: Sequence[Sequence[Passage]], metric, k: int | None):
    """Per question, a llama-index retrieval metric over the first ``k`` retrieved; no relevant chunk retrieved
    (or nothing at all) scores 0, since the llama-index metrics raise on empty id lists."""
    per: PerQuestion = []
    for item, ranking in zip(items, rankings, strict=True):
        if not has_gold(item):
            per.append(None)
            continue
        retrieved, expected = _ranking_ids(item, ranking)
        score = metric.compute(expected_ids=expected, retrieved_ids=retrieved[:k]).score if expected else 0.0
        per.append(round(score, 4))
    return _aggregate(per)


def hit_at_k(items: Sequence[EvalItem], rankings: Sequence[Sequence[Passage]], k: int):
    """1 when a relevant passage is among the first ``k`` retrieved (llama-index ``HitRate``)."""
    from llama_index.core.evaluation.retrieval.metrics import HitRate

    return _ranking_metric(items, rankings, HitRate(), k)


def mrr(items: Sequence[EvalItem], rankings: Sequence[Sequence[Passage]]):
    """Reciprocal rank of the first relevant passage, 0 when none was retrieved (llama-index ``MRR``)."""
    from llama_index.core.evaluation.retrieval.metrics import MRR

    return _ranking_metric(items, rankings, MRR(), None)


def _short(answer: Answer | None) -> str | None:
    return None if answer is None or answer.abstained else answer.short_answer


def exact_match(items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    """Short answer equals a gold answer after SQuAD normalisation; over questions with gold answers."""
    per: PerQuestion = [
        exact_match_score(_short(a), item.answers) if item.answerable and item.answers else None
        for item, a in zip(items, answers, strict=True)
    ]
    return _aggregate(per)


def token_f1(items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    """SQuAD token F1 of the short answer, max over gold answers; a null short answer scores 0."""
    per: PerQuestion = [
        round(f1_score(_short(a), item.answers), 4) if item.answerable and item.answers else None
        for item, a in zip(items, answers, strict=True)
    ]
    return _aggregate(per)


def answer_containment(items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    """A normalised gold answer appears (on word boundaries) in the normalised full answer text."""
    per: PerQuestion = []
    for item, answer in zip(items, answers, strict=True):
        if not (item.answerable and item.answers):
            per.append(None)
        elif answer is None or answer.abstained:
            per.append(0.0)
        else:
            per.append(float(holds_answer(answer.answer, item.answers)))
    return _aggregate(per)


def citation_supports(quote: str, item: EvalItem) -> bool:
    """The cited sentence holds a gold answer, or is (part of) the evidence quote, or contains it."""
    text = normalize_answer(quote)
    if any(_contains_phrase(text, normalize_answer(g)) for g in item.answers):
        return True
    if item.evidence_quote:
        evidence = normalize_answer(item.evidence_quote)
        return bool(text) and (_contains_phrase(text, evidence) or _contains_phrase(evidence, text))
    return False


def citation_precision(items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    """Fraction of an answer's citations that support it; over answerable questions the system answered."""
    per: PerQuestion = []
    for item, answer in zip(items, answers, strict=True):
        if not has_gold(item) or answer is None or answer.abstained:
            per.append(None)
        elif not answer.citations:
            per.append(0.0)
        else:
            good = sum(citation_supports(c.quote, item) for c in answer.citations)
            per.append(round(good / len(answer.citations), 4))
    return _aggregate(per)


def citation_offsets(answers: Sequence[Answer | None], article_texts: Mapping[str, str]):
    """Fraction of an answer's citations whose offsets point at their quote in the original article
    (``article_text[start:end] == quote``); over every answer that cites anything."""
    per: PerQuestion = []
    for answer in answers:
        if answer is None or not answer.citations:
            per.append(None)
            continue
        exact = sum(article_texts.get(c.article_id, "")[c.start : c.end] == c.quote for c in answer.citations)
        per.append(round(exact / len(answer.citations), 4))
    return _aggregate(per)


# -- abstention (positive class: the system abstained; truth: the question is unanswerable) --------------
def _abstained(answer: Answer | None) -> bool:
    return answer is None or answer.abstained


def abstention_precision(items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    """Of the questions the system abstained on, the fraction that were unanswerable."""
    per: PerQuestion = [
        float(item.unanswerable) if _abstained(a) else None for item, a in zip(items, answers, strict=True)
    ]
    return _aggregate(per)


def abstention_recall(items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    """Of the unanswerable questions, the fraction the system abstained on."""
    per: PerQuestion = [
        float(_abstained(a)) if item.unanswerable else None for item, a in zip(items, answers, strict=True)
    ]
    return _aggregate(per)


# -- latency ----------------------------------------------------------------------------------------------
def latency(answers: Sequence[Answer | None], stage: str):
    """``({"p50": ms, "p95": ms}, per-question ms)`` for one stage of ``timings_ms`` (retrieve, rerank,
    answer, total); refused questions have no timing."""
    per: PerQuestion = [a.timings_ms.get(stage) if a is not None else None for a in answers]
    present = [v for v in per if v is not None]
    return {"p50": percentile(present, 50), "p95": percentile(present, 95)}, per


# -- trust: coverage, selective risk, risk-coverage, calibration --------------------------------------------
RIGHT_F1 = 0.5  # a short answer with token F1 under this is wrong (the definition of a wrong answer)


def is_right(item: EvalItem, span: str | None) -> bool:
    """The short answer (or the span the system would have given) is right: F1 >= 0.5 on an answerable question."""
    return item.answerable and bool(item.answers) and f1_score(span, item.answers) >= RIGHT_F1


def coverage(items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    """Answered share of the answerable questions."""
    per: PerQuestion = [
        float(not _abstained(a)) if item.answerable else None for item, a in zip(items, answers, strict=True)
    ]
    return _aggregate(per)


def selective_risk(items: Sequence[EvalItem], answers: Sequence[Answer | None]):
    """Wrong share of the answered questions: an answer to an unanswerable question, or a short answer with F1
    under :data:`RIGHT_F1` (no short answer counts as wrong)."""
    per: PerQuestion = [
        None if _abstained(a) else float(not is_right(item, a.short_answer))
        for item, a in zip(items, answers, strict=True)
    ]
    return _aggregate(per)


def risk_coverage(probabilities: Sequence[float], right: Sequence[bool]) -> tuple[float | None, list[tuple]]:
    """The risk-coverage curve of answering the questions in order of confidence (coverage here is the share of
    *all* questions answered, risk the wrong share of those), and its area (AURC: the mean risk over every
    coverage; lower is better, the minimum is set by how many questions have a right answer at all)."""
    order = sorted(range(len(probabilities)), key=lambda i: -probabilities[i])
    curve, wrong = [], 0
    for k, i in enumerate(order, start=1):
        wrong += not right[i]
        curve.append((k / len(order), wrong / k, probabilities[i]))
    aurc = round(sum(r for _, r, _ in curve) / len(curve), 4) if curve else None
    return aurc, curve


def calibration(probabilities: Sequence[float], right: Sequence[bool], bins: int = 10):
    """Expected calibration error of ``probabilities`` as the chance of being right, over equal-width bins, and
    the bins as ``(mean probability, share right, count)`` for a reliability chart."""
    table = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        members = [i for i, p in enumerate(probabilities) if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if members:
            mean_p = sum(probabilities[i] for i in members) / len(members)
            table.append((mean_p, sum(right[i] for i in members) / len(members), len(members)))
    n = len(probabilities)
    ece = round(sum(c * abs(p - r) for p, r, c in table) / n, 4) if n else None
    return ece, table


def calibration_floor(probabilities: Sequence[float], rounds: int = 500, seed: int = 13) -> float | None:
    """The ECE a perfectly calibrated confidence would show on these questions: the mean ECE when each question's
    outcome is drawn with its own confidence as the chance of being right. Binned ECE reads high on few questions
    (about 0.09 on a hundred of this project's confidences, 0.03 on eight hundred), so a measured ECE is judged
    against this floor, not against zero."""
    import random

    if not probabilities:
        return None
    rng = random.Random(seed)
    draws = [calibration(probabilities, [rng.random() < p for p in probabilities])[0] for _ in range(rounds)]
    return round(sum(draws) / len(draws), 4)


def bootstrap_interval(statistic: Callable[[list[int]], float | None], groups: Sequence[str], rounds: int = 1000,
                       seed: int = 13, level: float = 0.95) -> tuple[float, float] | None:  # fmt: skip
    """The ``level`` percentile interval of ``statistic`` (a function of the question indices it is computed
    over) when the questions are drawn again with replacement, a whole group (an article) at a time: questions
    about one article stand or fall together, so drawing them one by one would make the interval too narrow.
    ``None`` when the statistic is undefined in most draws (too few questions it applies to)."""
    import random

    members: dict[str, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    clusters = list(members.values())
    rng = random.Random(seed)
    values = []
    for _ in range(rounds):
        drawn = [i for _ in clusters for i in rng.choice(clusters)]
        value = statistic(drawn)
        if value is not None:
            values.append(value)
    if len(values) < rounds / 2:
        return None
    values.sort()
    tail = (1 - level) / 2
    return (round(values[int(tail * (len(values) - 1))], 4), round(values[int((1 - tail) * (len(values) - 1))], 4))


# -- generative statements ----------------------------------------------------------------------------------
STATEMENT_COUNTS = ("statements", "statements_supported", "statements_supported_wrong", "statements_unsupported",
                    "statements_contradicted", "statements_contradicted_right", "written_answer_replaced")  # fmt: skip


def statement_is_right(item: EvalItem, text: str, main: bool) -> bool | None:
    """Right when the statement holds a gold answer (normalised, on word boundaries); the statement that answers
    the question (the answer's first) is wrong when it holds none or the question has no answer in the articles;
    any other statement without a gold answer is not judged (``None``): it may say something else that is true."""
    if item.answerable and holds_answer(text, item.answers):
        return True
    return False if main else None


def statement_verdicts(items: Sequence[EvalItem], answers: Sequence[Answer | None]) -> dict[str, int | None]:
    """Generative answers: statements by verdict, the supported ones that are wrong (the number that must be 0),
    the contradicted ones that were right (the check's false alarms), and answers whose written text was replaced
    by the extracted one. ``None`` everywhere for a config that wrote nothing."""
    counts = dict.fromkeys(STATEMENT_COUNTS, 0)
    for item, answer in zip(items, answers, strict=True):
        if answer is None or answer.mode != "generative" or not answer.statements:
            continue
        counts["written_answer_replaced"] += answer.note is not None
        for n, statement in enumerate(answer.statements):
            right = statement_is_right(item, statement.text, main=n == 0)
            counts["statements"] += 1
            counts[f"statements_{statement.verdict}"] += 1
            counts["statements_supported_wrong"] += statement.verdict == "supported" and right is False
            counts["statements_contradicted_right"] += statement.verdict == "contradicted" and right is True
    return counts if counts["statements"] else dict.fromkeys(STATEMENT_COUNTS)
