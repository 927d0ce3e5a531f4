"""The CI gate for questions about time: the dated sets' dev splits through ``rag eval --time [dev2]``, on a real
index of their dated stories among BBC News distractors; each question kind keeps its right share
(evals/thresholds.json, ``time`` and ``time_dev2``). The held-out splits are not gated here: they are the measure
that judges, run by hand."""

import argparse
import json

import pytest

from evals.cli import add_eval_parser, cmd_eval
from evals.gate import load_thresholds
from evals.run import MAIN_CONFIG

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("split", "thresholds"), [("dev", "time"), ("dev2", "time_dev2")])
def test_every_kind_of_time_question_keeps_its_right_share(split, thresholds, rag_home, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="rag")
    add_eval_parser(parser.add_subparsers(dest="command"), cmd_eval)
    out = tmp_path / "results"
    args = parser.parse_args(["eval", "--time", split, "--configs", MAIN_CONFIG, "--json", "--out", str(out)])
    assert args.func(args) == 0
    capsys.readouterr()
    by_kind = json.loads((out / "report.json").read_text())["by_kind"]
    minimums = load_thresholds(key=thresholds)
    assert set(by_kind) == set(minimums)
    below = {k: (by_kind[k]["right"], low) for k, low in minimums.items() if by_kind[k]["right"] < low}
    assert below == {}, f"right share under its minimum (got, minimum): {below}"
