"""Report files, the threshold check, config parsing and the eval command's options (no models)."""

import argparse
import json

import pytest

from evals.cli import SEED_QUESTIONS, add_eval_parser
from evals.gate import THRESHOLDS, check, check_all, load_thresholds
from evals.report import format_intervals, format_table, write_report
from evals.run import CONFIGS, DEFAULT_CONFIGS, MAIN_CONFIG, diagnose, parse_configs, worst_questions
from rag.errors import BadInput


def record(id_, unanswerable=False, abstained=False, short=None, confidence=0.9, **scores):
    return {"id": id_, "question": f"question {id_}?", "kind": "k", "unanswerable": unanswerable,
            "gold_answers": [] if unanswerable else ["Keith Kellogg"], "short_answer": short,
            "answer": None if abstained else f"{short} said so. [1]", "abstained": abstained,
            "confidence": confidence, "error": None, "scores": scores}  # fmt: skip


PERFECT = record(
    "ok",
    short="Keith Kellogg",
    **{
        "hit@1": 1.0,
        "hit@5": 1.0,
        "mrr": 1.0,
        "exact_match": 1.0,
        "f1": 1.0,
        "answer_containment": 1.0,
        "citation_precision": 1.0,
    },
)
WRONG_SPAN = record(
    "span",
    short="Biden",
    **{
        "hit@1": 1.0,
        "hit@5": 1.0,
        "mrr": 1.0,
        "exact_match": 0.0,
        "f1": 0.0,
        "answer_containment": 1.0,
        "citation_precision": 1.0,
    },
)
MISSED = record(
    "miss",
    abstained=True,
    confidence=0.7,
    **{"hit@1": 0.0, "hit@5": 0.0, "mrr": 0.0, "exact_match": 0.0, "f1": 0.0, "answer_containment": 0.0},
)
OVERCONFIDENT = record("unans", unanswerable=True, short="Canberra", confidence=0.8)
REPORT = {
    "dense": {"hit@5": 0.5, "mrr": 0.25, "f1": None, "questions": 4},
    MAIN_CONFIG: {"hit@5": 1.0, "mrr": 0.875, "f1": 0.5, "questions": 4},
    "per_question": {"dense": [], MAIN_CONFIG: [PERFECT, WRONG_SPAN, MISSED, OVERCONFIDENT]},
    "worst": worst_questions([PERFECT, WRONG_SPAN, MISSED, OVERCONFIDENT]),
    "main": MAIN_CONFIG,
    "meta": {"name": "unit"},
}  # fmt: skip


def test_worst_questions_rank_and_explain():
    worst = worst_questions([PERFECT, WRONG_SPAN, MISSED, OVERCONFIDENT])
    assert [w["id"] for w in worst] == ["unans", "miss", "span"]  # perfect questions are not "worst"
    assert "answered an unanswerable question" in worst[0]["problems"][0]
    assert any("retrieval miss" in p for p in worst[1]["problems"])
    assert "short answer 'Biden' (wrong span: the cited text holds 'Keith Kellogg', F1 0.00)" in diagnose(WRONG_SPAN)


def test_table_has_metric_rows_and_config_columns():
    table = format_table(REPORT, rows=["hit@5", "mrr", "f1", "questions"])
    lines = table.splitlines()
    assert lines[0] == f"| metric | dense | **{MAIN_CONFIG}** |"
    assert lines[2] == "| hit@5 | 0.500 | 1.000 |"
    assert lines[4] == "| f1 | n/a | 0.500 |"
    assert lines[5] == "| questions | 4 | 4 |"


def test_write_report(tmp_path):
    out = write_report(REPORT, tmp_path / "results")
    assert json.loads((out / "report.json").read_text())["main"] == MAIN_CONFIG
    markdown = (out / "report.md").read_text()
    assert "| hit@5 | 0.500 | 1.000 |" in markdown and "question unans?" in markdown
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_main_config_s_intervals_are_a_table_of_their_own():
    with_spans = {**REPORT, MAIN_CONFIG: {**REPORT[MAIN_CONFIG], "intervals": {"f1": [0.31, 0.72], "ece": None}}}
    assert format_intervals(with_spans).splitlines()[2] == "| f1 | 0.500 | 0.310–0.720 |"
    assert "ece" not in format_intervals(with_spans)  # undefined in most draws: no row
    assert format_intervals(REPORT) == ""


def test_check_names_every_metric_below_threshold():
    failures = check({"hit@5": 0.9, "mrr": 0.95, "f1": None}, {"hit@5": 0.95, "mrr": 0.9, "f1": 0.2, "em": 0.1})
    assert failures == ["hit@5: 0.900 < threshold 0.950", "f1: not measured (threshold 0.200)",
                        "em: not measured (threshold 0.100)"]  # fmt: skip
    assert check({"hit@5": 0.95}, {"hit@5": 0.95}) == []


def test_upper_bounds_fail_above_them():
    assert check({"selective_risk": 0.2, "ece": 0.04}, {"selective_risk": 0.15, "ece": 0.05}, upper=True) == [
        "selective_risk: 0.200 > maximum 0.150"]  # fmt: skip


def test_check_all_reads_minimums_and_maximums(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"metrics": {"f1": 0.5}, "metrics_max": {"ece": 0.05}}))
    assert check_all({"f1": 0.6, "ece": 0.04}, path) == []
    assert check_all({"f1": 0.4, "ece": 0.06}, path) == ["f1: 0.400 < threshold 0.500", "ece: 0.060 > maximum 0.050"]


def test_shipped_thresholds_are_valid():
    thresholds = load_thresholds()
    assert {"hit@5", "mrr", "exact_match", "f1", "citation_precision", "abstention_precision",
            "abstention_recall", "coverage"} <= set(thresholds)  # fmt: skip
    assert {"selective_risk", "ece"} <= set(load_thresholds(key="metrics_max"))
    assert json.loads(THRESHOLDS.read_text())["config"] == MAIN_CONFIG


@pytest.mark.parametrize("bad", [{"metrics": {"f1": 0}}, {"metrics": {"f1": 1.5}}, {"metrics": {}}, []])
def test_bad_thresholds_raise(tmp_path, bad):
    path = tmp_path / "t.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(BadInput):
        load_thresholds(path)


def test_parse_configs():
    assert [c.name for c in parse_configs(None)] == list(DEFAULT_CONFIGS)
    assert "generative" in CONFIGS and "generative" not in DEFAULT_CONFIGS  # it needs an LLM: asked for by name
    assert parse_configs("generative")[0].mode == "generative"
    assert [(c.retrieval, c.rerank) for c in parse_configs("hybrid+rerank, dense")] == [
        ("hybrid", True),
        ("dense", False),
    ]
    with pytest.raises(BadInput, match="unknown config colbert"):
        parse_configs("dense,colbert")


def test_eval_options():
    parser = argparse.ArgumentParser(prog="rag")
    add_eval_parser(parser.add_subparsers(dest="command"), func=lambda args: 0)
    args = parser.parse_args(["eval"])
    assert args.questions == SEED_QUESTIONS and args.articles is None and args.seed == 13
    assert args.configs == "dense,bm25,hybrid,hybrid+rerank" and not args.check and not args.json
    args = parser.parse_args(["eval", "--squad-dev", "--sample", "500", "--configs", "hybrid", "--check"])
    assert args.squad_dev and args.sample == 500 and args.check and args.func(args) == 0
    with pytest.raises(SystemExit):
        parser.parse_args(["eval", "--squad", "x.json", "--squad-dev"])
