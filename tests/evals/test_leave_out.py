"""evals.leave_out: which titles are left out of the index, and what their questions become."""

import json

import pytest

from evals.dataset import EvalItem
from evals.leave_out import LEFT_OUT, choose_left_out, mark_left_out, write_kept
from rag.errors import BadInput

ITEMS = [EvalItem(f"q{n}", f"Question {n}?", ["x"], evidence_article_id=f"a{n % 10}-p{n % 3}") for n in range(60)]
TITLES = {f"a{t}-p{p}": f"Title {t}" for t in range(10) for p in range(3)}


def test_the_same_seed_leaves_out_the_same_titles():
    first = choose_left_out(ITEMS, TITLES, 0.3, seed=13)
    assert first == choose_left_out(ITEMS, TITLES, 0.3, seed=13)
    assert len(first) == 3 and first <= set(TITLES.values())
    assert first != choose_left_out(ITEMS, TITLES, 0.3, seed=14)


def test_questions_about_left_out_titles_become_unanswerable():
    left_out = {"Title 1"}
    marked = mark_left_out(ITEMS, TITLES, left_out)
    for before, after in zip(ITEMS, marked, strict=True):
        if TITLES[before.evidence_article_id] == "Title 1":
            assert after.unanswerable and after.answers == before.answers and after.kind == LEFT_OUT
        else:
            assert after == before


def test_without_titles_each_article_is_its_own_unit():
    left_out = choose_left_out(ITEMS, {}, 0.2, seed=1)
    assert left_out <= {i.evidence_article_id for i in ITEMS} and len(left_out) == 6


@pytest.mark.parametrize("fraction", [0, 1, 1.5, -0.1])
def test_a_fraction_outside_0_1_is_refused(fraction):
    with pytest.raises(BadInput, match="between 0 and 1"):
        choose_left_out(ITEMS, TITLES, fraction, seed=1)


def test_kept_articles_are_written_with_their_ids_and_titles(tmp_path):
    corpus = tmp_path / "news"
    corpus.mkdir()
    (corpus / "a.json").write_text(json.dumps({"id": "a", "title": "Harbour", "text": "The harbour reopened.",
                                               "published": "2024-03-04"}))  # fmt: skip
    (corpus / "b.json").write_text(json.dumps({"id": "b", "title": "Bridge", "text": "The bridge opened."}))
    folder, titles = write_kept([corpus], {"b"}, tmp_path / "kept")
    records = [json.loads(line) for line in (folder / "articles.jsonl").read_text().splitlines()]
    assert [(r["id"], r["title"], r["published"]) for r in records] == [("a", "Harbour", "2024-03-04")]
    assert titles == {"a": "Harbour", "b": "Bridge"}
