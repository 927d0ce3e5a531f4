"""The one way in for follow-ups: the rule resolver and the LLM condenser answer the same protocol; an unresolved
reference searches with the previous turn instead of committing to a rewrite."""

from rag.followup.conversation import Turn
from rag.followup.resolver import LLMCondenser, RuleResolver

KELLOGG = [Turn("Who proposed delaying NATO membership?", "Keith Kellogg", ("seed",))]


def test_the_rules_resolve_a_pronoun_and_keep_the_previous_articles():
    resolution = RuleResolver().resolve("What job did Trump pick him for?", KELLOGG)
    assert resolution.standalone == "What job did Trump pick Keith Kellogg for?"
    assert resolution.search == resolution.standalone and resolution.keeps_articles


def test_an_ellipsis_may_leave_the_previous_articles():
    resolution = RuleResolver().resolve("What about Michael Carpenter?", [Turn("What did Keith Kellogg propose?", "x")])
    assert resolution.standalone == "What did Michael Carpenter propose?" and not resolution.keeps_articles


def test_a_reference_nothing_fits_searches_with_the_previous_turn_and_is_not_shown_as_a_rewrite():
    turns = [Turn("How many seats does the stadium have?", "42,000")]
    resolution = RuleResolver().resolve("When did she say so?", turns)
    assert resolution.standalone == "When did she say so?"  # no person was named: nothing to rewrite it with
    assert resolution.rule == "unresolved" and resolution.keeps_articles
    assert resolution.search == "When did she say so? How many seats does the stadium have? 42,000"


def test_a_question_with_no_reference_is_searched_as_asked():
    resolution = RuleResolver().resolve("Who runs the Halvorsen Museum?", KELLOGG)
    assert resolution.search == resolution.standalone == "Who runs the Halvorsen Museum?"


def test_the_condenser_uses_the_model_reply_and_falls_back_to_the_rules_when_it_is_unusable():
    replies = iter(['"What job did Trump pick Keith Kellogg for?"\nExplanation: …', "", "x" * 500])
    condenser = LLMCondenser(lambda question, turns: next(replies), max_chars=300)
    first = condenser.resolve("What job did Trump pick him for?", KELLOGG)
    assert (first.standalone, first.rule, first.keeps_articles) == ("What job did Trump pick Keith Kellogg for?",
                                                                      "llm", True)  # fmt: skip
    for _ in range(2):  # an empty reply, then one over the question limit: the rules answer instead
        fallback = condenser.resolve("What job did Trump pick him for?", KELLOGG)
        assert (fallback.standalone, fallback.rule) == ("What job did Trump pick Keith Kellogg for?", "pronoun")
    assert LLMCondenser(lambda q, t: 1 / 0, 300).resolve("Who?", []).standalone == "Who?"  # no turns: not asked


def test_there_after_a_where_answer_is_that_place_preposition_and_all():
    turns = [Turn("Where did the nurses picket when they walked out?", "At the main entrance on Larch Avenue")]
    resolution = RuleResolver().resolve("Who arrived there by bus?", turns)
    assert resolution.standalone == "Who arrived at the main entrance on Larch Avenue by bus?"
    assert resolution.rule == "there"
