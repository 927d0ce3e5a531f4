"""Resolution alone, without retrieval or reading: each follow-up of a conversation set resolved by a resolver
against the gold history (the person's standalone questions and the first gold answers), scored as
``rag eval --conversations`` scores it. Milliseconds a follow-up, so every rule can be ablated on every set.

``python -m evals.resolution`` prints resolution accuracy per set; ``--ablate`` repeats it with each rule or word
list of the resolver switched off, so a rule that helps only the corpus it was written on shows as such (the fresh
sets are over articles no rule was written on; their held-out half is the one that judges).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from unittest import mock

from evals.conversations import CONVERSATIONS, Conversation, load_conversations, resolution_correct
from rag.followup import conversation as rules
from rag.followup import mentions
from rag.followup.conversation import Turn
from rag.followup.resolver import Resolver, RuleResolver

SETS = {
    "old eval": CONVERSATIONS,
    "old dev": CONVERSATIONS.with_name("conversations_dev.jsonl"),
    "fresh dev": CONVERSATIONS.with_name("conversations_fresh_dev.jsonl"),
    "fresh dev2": CONVERSATIONS.with_name("conversations_fresh_dev2.jsonl"),
    "fresh held-out": CONVERSATIONS.with_name("conversations_fresh_heldout.jsonl"),
}


def resolution(conversations: Sequence[Conversation], resolver: Resolver) -> tuple[float, list[float]]:
    """Share of follow-ups resolved right, and the milliseconds each took."""
    right, took = [], []
    for conversation in conversations:
        first = conversation.first
        history = [Turn(first.question, first.answers[0] if first.answers else "")]
        for follow in conversation.follow_ups:
            started = time.perf_counter()
            said = resolver.resolve(follow.item.question, history).standalone
            took.append((time.perf_counter() - started) * 1000)
            right.append(resolution_correct(said, follow))
            history.append(Turn(follow.standalone, follow.item.answers[0] if follow.item.answers else ""))
    return sum(right) / len(right), took


def _never(*_args, **_kwargs):
    return None


NEVER_MATCHES = re.compile(r"(?!x)x")
# Each ablation switches one rule or word list off, by patching the module attribute it reads.
ABLATIONS: dict[str, Callable[[], list]] = {
    "ellipsis": lambda: [mock.patch.object(rules, "_ELLIPSIS", NEVER_MATCHES)],
    "demonstratives": lambda: [mock.patch.object(rules, "_demonstrative", _never)],
    "expletive it": lambda: [mock.patch.object(rules, "_expletive", lambda token: token.dep_ == "expl")],
    "previous answer as a name": lambda: [mock.patch.object(rules, "_proper_answer", _never)],
    "there after a where-answer": lambda: [mock.patch.object(rules, "_where_answer", _never)],
    "topic phrase said twice": lambda: [mock.patch.object(rules, "_kind",
                                                          lambda c, kinds, mentions: next((k for k in kinds if k in c.labels), None))],  # noqa: E501
    "same-event nouns": lambda: [mock.patch.object(rules, "_SAME_EVENT", [])],
    "noun kinds (that region → a place)": lambda: [mock.patch.object(rules, "_NOUN_KINDS", {})],
    "definite descriptions (the insurer)": lambda: [mock.patch.object(rules, "_described", _never)],
    "first names (she is no Carl)": lambda: [mock.patch.object(rules, "given_name", _never),
                                             mock.patch.object(mentions, "given_name", _never)],
}


@contextmanager
def ablated(name: str) -> Iterator[None]:
    patches = ABLATIONS[name]()
    for patch in patches:
        patch.start()
    mentions.candidates.cache_clear()  # candidates are cached per turn: built again with the rule off
    try:
        yield
    finally:
        for patch in reversed(patches):
            patch.stop()
        mentions.candidates.cache_clear()


def llm_resolver() -> Resolver:
    """What a pipeline built with ``RAG_RESOLVER=llm`` resolves with: the configured model's condense
    (:func:`rag.answering.generative.condense`), the rules as its fallback; no index, reader or scorer."""
    from rag import load_settings
    from rag.answering.generative import condense
    from rag.answering.llm import describe, load_llm
    from rag.followup.resolver import LLMCondenser

    settings = load_settings()
    llm, where = load_llm(settings), describe(settings) or ""
    return LLMCondenser(lambda question, turns: condense(llm, question, turns, settings.llm_timeout, where),
                        settings.max_question_chars)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ablate", action="store_true", help="also with each rule or word list switched off")
    parser.add_argument("--resolver", choices=("rules", "llm"), default="rules",
                        help="llm: the configured model's condense (RAG_LLM_URL or RAG_LLM_GGUF), rules as fallback")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names (default: all)")
    args = parser.parse_args(argv)
    sets = {name: load_conversations(SETS[name]) for name in (n.strip() for n in args.sets.split(","))}
    resolver = RuleResolver() if args.resolver == "rules" else llm_resolver()
    base = {name: resolution(conversations, resolver) for name, conversations in sets.items()}
    print(f"| {args.resolver} | " + " | ".join(f"{name} ({len(took)})" for name, (_, took) in base.items()) + " |")
    print("|---|" + "---:|" * len(sets))
    print("| all | " + " | ".join(f"{acc:.3f}" for acc, _ in base.values()) + " |")
    if args.ablate:
        for name in ABLATIONS:
            with ablated(name):
                scores = [resolution(conversations, resolver)[0] for conversations in sets.values()]
            cells = [f"{s:+.3f}".replace("+0.000", "0") for s in (s - acc for s, (acc, _) in zip(scores, base.values(),
                                                                                               strict=True))]
            print(f"| without {name} | " + " | ".join(cells) + " |")
    took = [t for _, ts in base.values() for t in ts]
    print(f"\nresolve p50 {statistics.median(took):.1f} ms / p95 {statistics.quantiles(took, n=20)[-1]:.1f} ms over "
          f"{len(took)} follow-ups (parses cached as served)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
