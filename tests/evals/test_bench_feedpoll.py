"""The feed-poll benchmark runs, and an unchanged feed costs one conditional request and no feed bytes."""

import pytest

from evals.bench import main

pytestmark = pytest.mark.slow


def test_an_unchanged_feed_costs_one_request_and_no_body(capsys):
    assert main(["feedpoll", "--polls", "3"]) == 0
    table = capsys.readouterr().out
    unchanged = next(line for line in table.splitlines() if line.startswith("unchanged"))
    cells = [c.strip() for c in unchanged.split("|")]
    assert cells[2:] == ["1.00", "0.00"]
