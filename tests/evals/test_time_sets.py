"""The dated sets are what they claim: each question's quote is in its article, its answers in its quote, its
article the one its kind requires (newest, oldest, newest up to its date), and no story in two splits."""

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from evals.cli import TIME2_ARTICLES, TIME_ARTICLES, TIME_QUESTIONS

NEWEST = ("latest", "change", "what_happened")


def _articles(folder: Path) -> dict[str, dict]:
    return {a["id"]: a for a in (json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*/*.json"))}


ARTICLES = {**_articles(TIME_ARTICLES), **_articles(TIME2_ARTICLES)}


def _questions(split: str) -> list[dict]:
    return [json.loads(line) for line in TIME_QUESTIONS[split].read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("split", sorted(TIME_QUESTIONS))
def test_each_question_points_at_the_report_its_kind_requires(split):
    questions = _questions(split)
    assert Counter(q["kind"] for q in questions) == dict.fromkeys(
        ("latest", "as_of", "earliest", "change", "what_happened", "stable"), 6
    )
    for q in questions:
        article = ARTICLES[q["evidence"]["article_id"]]
        assert q["evidence"]["quote"] in article["text"], q["id"]
        assert all(a in q["evidence"]["quote"] for a in q["answers"]), q["id"]
        story = [a for a in ARTICLES.values() if a["id"].split("/")[1] == q["story"]]
        days = sorted(date.fromisoformat(a["published"]) for a in story)
        published = date.fromisoformat(article["published"])
        if q["kind"] in NEWEST:
            assert published == days[-1], q["id"]
        elif q["kind"] == "earliest":
            assert published == days[0], q["id"]
        elif q["kind"] == "as_of":
            assert published == max(d for d in days if d <= date.fromisoformat(q["as_of"])), q["id"]
        else:  # a control: the same answer in every report of the story
            assert all(any(a in s["text"] for a in q["answers"]) for s in story), q["id"]


def test_no_story_is_in_two_splits():
    stories = {split: {q["story"] for q in _questions(split)} for split in TIME_QUESTIONS}
    splits = sorted(stories)
    for i, a in enumerate(splits):
        for b in splits[i + 1 :]:
            assert not stories[a] & stories[b], (a, b)


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_the_unanswerable_questions_name_their_own_story(split):
    """Questions about a time2 story that no report of it answers: each names its story and no answer."""
    path = TIME_QUESTIONS["dev2"].parent / f"time2_unanswerable_{split}.jsonl"
    questions = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert len(questions) == 30 and all(q["unanswerable"] and not q["answers"] for q in questions)
    assert {q["story"] for q in questions} == {q["story"] for q in _questions(f"{split}2")}  # the split's stories
