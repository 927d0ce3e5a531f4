"""rag.timeframe: what a question asks of time, resolved against an as-of date, and which report it means."""

from datetime import date

import pytest

from rag.timeframe import EARLIEST, LATEST, Timeframe, choose, names_a_value, recaps, timeframe, without_time_words

AS_OF = date(2025, 9, 1)


@pytest.mark.parametrize(("question", "start", "end"), [
    ("How contained was the fire on August 4?", None, date(2025, 8, 4)),  # the state on that day
    ("What did the council decide in April 2025?", date(2025, 4, 1), date(2025, 4, 30)),
    ("Who won the election in 2004?", date(2004, 1, 1), date(2004, 12, 31)),
    ("What did the mayor promise last year?", date(2024, 1, 1), date(2024, 12, 31)),
    ("How many votes had been counted as of March 3, 2025?", None, date(2025, 3, 3)),
    # the news way of writing dates: AP-style months are days, not the year the parser took them for; parts of a
    # month and seasons are ranges
    ("How many homes were without power on Jan. 22, 2025?", None, date(2025, 1, 22)),
    ("What was the plan on Sept. 17, 2024?", None, date(2024, 9, 17)),
    ("As of mid-March 2025, what was the estimate?", None, date(2025, 3, 20)),
    ("What was the count in early August 2025?", date(2025, 8, 1), date(2025, 8, 10)),
    ("What was the cost estimate in the spring of 2025?", date(2025, 3, 1), date(2025, 5, 31)),
    ("What was the fare in winter 2023?", date(2023, 12, 1), date(2024, 2, 29)),
])  # fmt: skip
def test_dates_in_a_question_become_ranges_resolved_against_as_of(question, start, end):
    frame = timeframe(question, AS_OF)
    assert (frame.start, frame.end) == (start, end)


def test_a_day_asks_for_the_state_on_that_day():
    assert timeframe("How contained was the fire on August 4?", AS_OF).want == LATEST


def test_words_for_now_and_first_and_present_tense_states():
    assert timeframe("Who is currently running the museum?", AS_OF).want == LATEST
    assert timeframe("Who is the museum's director?", AS_OF).want == LATEST  # a state, in the present tense
    assert timeframe("How many customers are affected?", AS_OF).end == AS_OF
    assert timeframe("What was the first reported cause of the spill?", AS_OF).want == EARLIEST
    assert not timeframe("Who proposed delaying NATO membership?", AS_OF).asks  # an event: no preference
    assert not timeframe("What did Carpenter say about Syria?", AS_OF).asks
    assert not timeframe("Who may attend the meeting?", AS_OF).start  # "may" is a verb, not a month
    assert timeframe("When will the bridge reopen?", AS_OF).want == LATEST  # a plan: news moves dates
    assert timeframe("When is the library expected to reopen?", AS_OF).want == LATEST
    assert not timeframe("When was the bridge closed?", AS_OF).asks


def test_choose_takes_the_newest_up_to_the_end_or_the_earliest():
    reports = [("a", date(2025, 8, 1)), ("b", date(2025, 8, 4)), ("c", date(2025, 8, 9))]
    assert choose(Timeframe(AS_OF, end=AS_OF, want=LATEST), reports) == "c"
    assert choose(Timeframe(AS_OF, end=date(2025, 8, 5), want=LATEST), reports) == "b"
    assert choose(Timeframe(AS_OF, want=EARLIEST), reports) == "a"
    assert choose(Timeframe(AS_OF, date(2025, 8, 2), date(2025, 8, 8), LATEST), reports) == "b"  # inside the range
    assert choose(Timeframe(AS_OF, end=date(2025, 7, 1), want=LATEST), reports) is None  # nothing that early
    assert choose(Timeframe(AS_OF), reports) is None  # the question says nothing of time


def test_a_reports_recap_of_what_was_said_before_is_recognised():
    assert recaps("The county had originally targeted an April 15 reopening.")
    assert recaps("Norvale had said on February 9 that about 12,400 members were affected.")
    assert recaps("The hospital initially offered a 9 percent raise.")
    assert not recaps("The bridge will stay closed until at least July 1, officials said Wednesday.")
    assert not recaps("He had a long career in the county's road department.")  # "had", but no earlier report


def test_the_words_that_set_a_range_leave_the_question():
    question = "What was the count in early August 2025?"
    assert without_time_words(question, timeframe(question, AS_OF)).split() == ["What", "was", "the", "count", "in",
                                                                                "?"]  # fmt: skip


@pytest.mark.parametrize(("question", "named"), [
    ("How has the cost of the renovation changed?", True),  # read as "What is the cost of the renovation?"
    ("What is the latest estimate of the damage from the ice storm?", True),
    ("What are the latest figures?", True),
    ("What happened with the library renovation?", False),
    ("What's the latest on the Northgate breach?", False),
    ("What is the latest news about the strike?", False),
    ("How did the hospital merger unfold?", False),
])  # fmt: skip
def test_a_brief_is_headed_by_a_value_only_when_the_question_names_one(question, named):
    assert names_a_value(question) is named
