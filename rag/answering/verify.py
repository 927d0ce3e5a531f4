"""Check a generated answer against the passages it cites.

A model's ``[n]`` is a claim, not a fact. Each sentence of the answer is matched against the sentences of the
passages it cites; the best one becomes the citation's quote (with exact article offsets, the same contract as
extractive answers) and the statement counts as supported only if that quote backs it (the support score of
:mod:`rag.retrieval.support`, with its :data:`~rag.retrieval.support.VERIFY` weights). Markers that point at no
passage are dropped and noted; sentences without a marker, or whose cited passages do not back them, are flagged
unsupported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answering.claim_check import ClaimChecker
from rag.answering.extractive import citation, quote_of
from rag.answering.prompt import injection_spans
from rag.limits import ABSTAIN_MESSAGE
from rag.reading.reader import ReadSpan
from rag.retrieval.support import VERIFY, Sentence, SentenceScorer, sentences_of
from rag.sentences import split_sentences
from rag.types import Citation, Passage, Statement

_MARKERS = re.compile(r"\s*\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_REFUSAL = re.compile(
    r"(passages?|articles?|context|text|sources?) (do not|does not|don't|doesn't) (say|mention|contain|provide|"
    r"include|specify|state)|(cannot|can't|unable to) (answer|find|determine)|no information",
    re.IGNORECASE,
)


@dataclass
class Claim:
    """A sentence of the generated answer and the passage numbers it cites (1-based, as in the prompt)."""

    text: str
    cited: list[int] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # markers that name no passage


def parse_claims(answer: str, n_passages: int) -> list[Claim]:
    """Split the model's text into sentences and their markers; a sentence of markers alone joins the one before."""
    claims: list[Claim] = []
    for start, end in split_sentences(answer):
        piece = answer[start:end]
        numbers = [int(n) for group in _MARKERS.findall(piece) for n in re.split(r"[,;]", group)]
        text = _MARKERS.sub("", piece).strip()
        if not text and claims:
            claim = claims[-1]
        elif not text:
            continue
        else:
            claim = Claim(text)
            claims.append(claim)
        for n in numbers:
            bucket = claim.cited if 1 <= n <= n_passages else claim.dropped
            if n not in bucket:
                bucket.append(n)
    return claims


def is_refusal(claims: list[Claim]) -> bool:
    """The model said the passages do not answer the question (as told to in the prompt)."""
    return bool(claims) and (ABSTAIN_MESSAGE.lower() in claims[0].text.lower() or bool(_REFUSAL.search(claims[0].text)))


def candidates(passage: Passage) -> list[Sentence]:
    """Sentences of a passage that may serve as support: everything but text that addressed the model."""
    return sentences_of(passage, injection_spans(passage.text))


class Verifier:
    """Scores each claim against the sentences it cites, then asks the reader whether they answer the way it says
    (:mod:`rag.answering.claim_check`): a statement is supported when its cited sentences back it and nothing it
    names is contradicted, or when it states the evidence's confident answer to the question; contradicted when the
    evidence names something else in its place."""

    def __init__(self, scorer: SentenceScorer, threshold: float, checker: ClaimChecker | None = None) -> None:
        self.scorer = scorer
        self.threshold = threshold
        self.checker = checker

    def best_sentences(self, claim: str, passages: list[Passage]) -> list[tuple[float, Sentence]]:
        """``(score, sentence)`` of the best-backing sentence of each passage, best first."""
        out = []
        for passage in passages:
            scored = self.scorer.score(claim, candidates(passage), VERIFY)
            if scored:
                best = max(scored, key=lambda s: s.score)
                out.append((best.score, best))
        return sorted(out, key=lambda pair: -pair[0])

    def backing(self, claim: Claim, passages: list[Passage]) -> tuple[list[tuple[float, Sentence]], list, bool]:
        """The claim's scored cited sentences, those that back it, and whether backing came from a passage it did
        not cite (a missing or wrong marker)."""
        scored = self.best_sentences(claim.text, [passages[n - 1] for n in claim.cited])
        backing = [pair for pair in scored if pair[0] >= self.threshold]
        if backing:
            return scored, backing, False
        others = [p for n, p in enumerate(passages, start=1) if n not in claim.cited]
        backing = [pair for pair in self.best_sentences(claim.text, others)[:1] if pair[0] >= self.threshold]
        return scored, backing, bool(backing)

    def verify(self, claims: list[Claim], passages: list[Passage], question: str = "",
               answer: ReadSpan | None = None) -> tuple[list[Statement], list[Citation], str]:  # fmt: skip
        """Statements with their verdicts, the citations they use (numbered in order of use), and the answer text
        rewritten with those citation numbers (contradicted statements left out). ``answer``: the evidence's
        confident answer to ``question``, which a statement answering the question must name."""
        weighed = [(claim, *self.backing(claim, passages)) for claim in claims]
        cited = [(claim.text, [s for _, s in backing or scored]) for claim, scored, backing, _ in weighed]
        findings = self.checker.check(question, answer, cited) if self.checker else [[] for _ in claims]
        citations: list[Citation] = []
        by_quote: dict[tuple[str, int], int] = {}
        statements, parts = [], []
        for (claim, scored, backing, moved), found in zip(weighed, findings, strict=True):
            contradiction = next((f for f in found if f.verdict == "contradicted"), None)
            states_answer = any(f.verdict == "confirmed" and f.users_question for f in found)
            unstated = next((f for f in found if f.verdict == "unstated"), None)
            if contradiction is None and not backing and states_answer and answer is not None:
                backing = [(answer.answerable, quote_of(answer))]  # the reader's reading backs what words did not
            supported = bool(backing) and contradiction is None and unstated is None
            numbers = []
            for score, sentence in backing or scored[:1] if contradiction is None else []:
                key = (sentence.passage.article_id, sentence.start)
                if key not in by_quote:
                    by_quote[key] = len(citations) + 1
                    citations.append(citation(by_quote[key], sentence, score))
                numbers.append(by_quote[key])
            best_score = max([pair[0] for pair in scored + backing], default=0.0)
            verdict = "contradicted" if contradiction else "supported" if supported else "unsupported"
            statements.append(
                Statement(
                    text=claim.text, citations=numbers if supported else [], supported=supported, verdict=verdict,
                    score=round(best_score, 4), evidence_says=(contradiction or unstated).said
                    if contradiction or unstated else None,
                    note=(contradiction or unstated).describe() if contradiction or unstated
                    else _note(claim, bool(scored), bool(backing), moved),
                )
            )  # fmt: skip
            if contradiction is None:
                parts.append(claim.text + "".join(f" [{n}]" for n in numbers))
        return statements, citations, " ".join(parts)


def _note(claim: Claim, cited: bool, backed: bool, moved: bool) -> str | None:
    notes = []
    if claim.dropped:
        notes.append("dropped marker(s) " + ", ".join(f"[{n}]" for n in claim.dropped) + ": no such passage")
    if moved:
        notes.append("citation added by the verifier: the model cited no passage that backs it")
    elif not cited:
        notes.append("no citation")
    elif not backed:
        notes.append("the cited passage does not back this statement")
    return "; ".join(notes) or None
