"""Questions about time over a small stream of dated reports, end to end with the real models: the newest report
answers the present, an as-of date picks the report of its day, "first" the oldest; older answers come along."""

from datetime import date

import pytest

from index.build import index_paths
from rag.pipeline import Pipeline
from rag.settings import PROJECT_ROOT, Settings
from tests.conftest import SEEDS, write_json_article

pytestmark = pytest.mark.slow

REPORTS = {
    "2025-03-02": "Northgate Savings said on Sunday that a data breach exposed the records of 12,000 customers. "
                  "The bank's systems in Dunmore were accessed through a supplier's account, it said.",
    "2025-03-09": "Northgate Savings now says the breach exposed the records of 48,000 customers, four times its "
                  "first estimate. The intrusion came through a supplier's account, the bank said.",
    "2025-03-20": "The number of customers whose records were exposed in the Northgate Savings breach has risen "
                  "to 61,500, the bank said on Thursday. Its chief executive, Mara Lind, apologised.",
}  # fmt: skip


# A follow-up report recaps what the first said: "had originally targeted" is not the date it reports now
BRIDGE = {
    "2025-03-04": "MARROWFIELD — The Tilden Street Bridge will close for repairs, Dunmore County officials said "
                  "Tuesday. The county expects to reopen the bridge on April 15.",
    "2025-03-27": "MARROWFIELD — The Tilden Street Bridge over the Harlow River will stay closed until at least July "
                  "1, Dunmore County officials said Wednesday, after inspections found corrosion in two more steel "
                  "girders. The county had originally targeted an April 15 reopening.",
}  # fmt: skip


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    home, folder = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("reports")
    for day, text in REPORTS.items():
        write_json_article(folder / f"{day}.json", id=f"breach-{day}", title=f"Northgate breach update ({day})",
                           source="Dunmore Ledger", published=day, text=text)  # fmt: skip
    for day, text in BRIDGE.items():
        write_json_article(folder / f"bridge-{day}.json", id=f"bridge-{day}", title=f"Tilden Street Bridge ({day})",
                           source="Dunmore Ledger", published=day, text=text)  # fmt: skip
    write_json_article(folder / "other-story.json", id="harwell-breach", title="Harwell Credit breach",
                       source="Dunmore Ledger", published="2025-03-28",
                       text="A breach at Harwell Credit exposed the records of 9,000 customers, the lender said on "
                            "Friday. Harwell's systems were accessed through a stolen password.")  # fmt: skip
    settings = Settings(home=home)
    index_paths([SEEDS, folder], settings)
    return Pipeline(settings)


def test_the_present_is_answered_from_the_newest_report_with_what_earlier_ones_said(pipeline):
    answer = pipeline.ask("How many customers are affected by the Northgate breach?", as_of=date(2025, 4, 1))
    assert not answer.abstained and "61,500" in answer.short_answer
    assert answer.as_of == date(2025, 3, 20)
    said = [e.answer for e in answer.earlier]
    assert any("48,000" in s for s in said) and [e.published for e in answer.earlier] == sorted(
        [e.published for e in answer.earlier], reverse=True
    )


def test_a_date_in_the_question_picks_the_report_of_its_day(pipeline):
    answer = pipeline.ask("How many customers had the breach exposed as of March 10, 2025?", as_of=date(2025, 4, 1))
    assert not answer.abstained and "48,000" in answer.short_answer
    assert answer.citations[0].published == date(2025, 3, 9)


def test_first_asks_for_the_oldest_report(pipeline):
    answer = pipeline.ask("What was the first estimate of customers exposed in the Northgate breach?")
    assert not answer.abstained and "12,000" in answer.short_answer


def test_a_question_about_an_event_keeps_its_best_answer(pipeline):
    """No time asked for: the reference question is answered as always, from the seed article."""
    answer = pipeline.ask("Who proposed delaying NATO membership?")
    assert answer.short_answer.endswith("Keith Kellogg") and answer.as_of is None


def test_what_happened_is_a_dated_brief_ending_with_the_newest_state(pipeline):
    answer = pipeline.ask("What happened with the Northgate Savings breach?", as_of=date(2025, 4, 1))
    assert not answer.abstained and len(answer.citations) >= 2
    days = [c.published for c in answer.citations]
    assert days == sorted(days) and days[-1] == date(2025, 3, 20) == answer.as_of
    assert "61,500" in answer.answer.splitlines()[-1]  # it ends with the newest state
    assert all(f"[{c.n}]" in answer.answer for c in answer.citations)
    assert answer.short_answer is None  # the brief is the answer: no fragment of the last report above it


def test_how_a_named_value_changed_is_a_brief_headed_by_the_newest_value(pipeline):
    answer = pipeline.ask("How has the number of customers exposed in the Northgate Savings breach changed?",
                          as_of=date(2025, 4, 1))  # fmt: skip
    assert not answer.abstained and len(answer.citations) >= 2
    assert "61,500" in answer.answer.splitlines()[-1] and "61,500" in answer.short_answer


def test_an_event_asked_with_no_word_of_time_gets_the_newest_account_of_it(pipeline):
    """Reports revise the count of an event: the newest revision answers, the superseded figures come along; a
    newer report of another story (Harwell's 9,000) is not a revision."""
    answer = pipeline.ask("How many customers had their records exposed in the Northgate breach?")
    assert not answer.abstained and "61,500" in answer.short_answer
    assert answer.as_of == date(2025, 3, 20)
    assert {e.published for e in answer.earlier} <= {date(2025, 3, 2), date(2025, 3, 9)} and answer.earlier
    assert all("9,000" not in c.quote for c in answer.citations[:1])


def test_a_reports_recap_of_an_earlier_report_is_not_its_answer(pipeline):
    answer = pipeline.ask("As of April 30, 2025, when was the Tilden Street Bridge expected to reopen?")
    assert not answer.abstained and "July 1" in answer.short_answer
    assert answer.citations[0].published == date(2025, 3, 27)


def test_a_follow_up_to_a_brief_refers_to_the_story_the_question_named(tmp_path):
    """A brief's sentences name other things (the library system, a contractor): "it" is still the renovation the
    question named. With the brief's text as the turn's answer, "How much did it cost?" searched the cost of "the
    Merriwick Public Library"."""
    story = PROJECT_ROOT / "evals" / "data" / "time2" / "articles" / "loxbury-park-library-renovation"
    settings = Settings(home=tmp_path / "home")
    index_paths([SEEDS, story], settings)
    pipeline = Pipeline(settings)
    brief = pipeline.ask("What happened with the Loxbury Park library renovation?")
    assert not brief.abstained and brief.short_answer is None and len(brief.citations) >= 2
    turn = brief.history_turn()
    assert turn["answer"] == ""
    answer = pipeline.ask("How much did it cost?", history=[turn])
    assert "Loxbury Park" in answer.standalone_question, answer.standalone_question
