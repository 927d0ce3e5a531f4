"""The CI gate: the seed question set through ``rag eval --check`` for the main config, on a real index.

Fails, printing the metrics table, when a metric of the main config (hybrid: the reader on hybrid
retrieval) falls below its minimum in evals/thresholds.json, or a risk above its maximum (``metrics_max``:
selective risk, calibration error).
To raise the bar after an improvement, see evals/README.md.
"""

import argparse
import json

import pytest

from evals.cli import add_eval_parser, cmd_eval
from evals.gate import check_all, load_thresholds
from evals.report import format_table
from evals.run import MAIN_CONFIG

pytestmark = pytest.mark.slow


def test_seed_set_meets_thresholds(rag_home, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="rag")
    add_eval_parser(parser.add_subparsers(dest="command"), cmd_eval)
    out = tmp_path / "results"
    args = parser.parse_args(["eval", "--configs", MAIN_CONFIG, "--check", "--json", "--out", str(out)])

    code = args.func(args)

    captured = capsys.readouterr()
    metrics = json.loads(captured.out)  # --json: stdout holds only the metrics object
    assert list(metrics) == [MAIN_CONFIG]
    assert (rag_home / "evals").is_dir()  # indexed into its own home under RAG_HOME, not the user's index
    report = json.loads((out / "report.json").read_text())
    thresholds = {**load_thresholds(), **load_thresholds(key="metrics_max")}
    table = format_table(report, rows=list(thresholds))
    worst = "\n".join(f"  {w['id']}: {w['question']} -> {'; '.join(w['problems'])}" for w in report["worst"])
    print(table)
    failures = check_all(metrics[MAIN_CONFIG])
    assert not failures and code == 0, (
        f"{MAIN_CONFIG} fell outside evals/thresholds.json:\n  " + "\n  ".join(failures)
        + f"\n\n{table}\n\nworst questions:\n{worst}"
    )  # fmt: skip
    assert metrics[MAIN_CONFIG]["questions"] == 81 and metrics[MAIN_CONFIG]["refused"] == 0
