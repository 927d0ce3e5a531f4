"""rag.judging.grounding: the question's specific terms, and whether an article holds them (pure logic, no models)."""

import pytest

from rag.judging.grounding import ArticleWords, check, specific_terms

ARTICLE = (
    "President-elect Trump's pick for special envoy for Ukraine and Russia, retired Lt. Gen. Keith Kellogg, has "
    "proposed putting off NATO membership for Ukraine. NATO has 32 members. The Spanish foreign minister spoke "
    "of two weeks of talks in the film “A Long Winter”."
)


def terms(question: str) -> dict[str, str]:
    return {t.text: t.kind for t in specific_terms(question)}


def missing(question: str) -> list[str]:
    return [t.text for t in check(specific_terms(question), ArticleWords(ARTICLE)).missing]


def test_names_numbers_quotes_and_words_are_told_apart():
    found = terms('Did Keith Kellogg say "A Long Winter" ran 32 weeks in the Bank of England?')
    assert found == {"A Long Winter": "quoted", "Keith Kellogg": "name", "Bank of England": "name",
                     "32": "number", "ran": "word", "weeks": "word"}  # fmt: skip


def test_question_words_and_a_possessive_are_not_names():
    assert terms("Who is Kellogg's deputy?") == {"Kellogg": "name", "deputy": "word"}


def test_two_names_joined_by_and_stay_two():
    assert [t for t, k in terms("When did Boeing sack Michael Sears and Darleen Druyun?").items() if k == "name"] == [
        "Boeing", "Michael Sears", "Darleen Druyun"]  # fmt: skip


def test_a_number_inside_a_name_is_not_a_number():
    assert "4" not in terms("What stake will Shell own in the Qatargas-4 project?")


@pytest.mark.parametrize(
    "question",
    [
        "Who proposed delaying NATO membership?",
        "What did Kellogg propose?",  # surname for the full name
        "What did General Keith Kelogg propose?",  # a typo in the question, a title the article writes Gen.
        "How many members does NATO have, 32?",
        "Which Ukrainian envoy proposed a delay?",  # demonym for the country
        "How many weeks did Spain's minister talk of?",  # a country for its demonym, a possessive
        "Did talks last two weeks?",
        "Did talks last 2 weeks?",  # a number the article writes as a word
        "Was it in the film 'A Long Winter'?",
    ],
)
def test_variants_writers_use_count_as_found(question):
    assert not [t for t in check(specific_terms(question), ArticleWords(ARTICLE)).missing if t.kind != "word"]


@pytest.mark.parametrize(
    ("question", "absent"),
    [
        ("What did Platon Lebedev tell the court?", "Platon Lebedev"),
        ("How many members did NATO have in 1949?", "1949"),
        ("What happened in the film 'A Short Summer'?", "A Short Summer"),
        ("Who is the envoy for Moldova?", "Moldova"),
    ],
)
def test_what_the_article_never_names_is_missing(question, absent):
    assert absent in missing(question)


def test_rare_words_are_weighted_by_the_index():
    rarity = {"envoy": 5.0, "propos": 0.5}.get
    words = {t.text: t.weight for t in specific_terms("Which envoy proposed it?", lambda s: rarity(s, 1.0))}
    assert words == {"envoy": 5.0, "proposed": 0.5}


def test_missing_share_weighs_words_by_rarity():
    grounding = check(specific_terms("Which envoy resigned?", {"envoy": 1.0, "resign": 3.0}.get),
                      ArticleWords(ARTICLE))  # fmt: skip
    assert [t.text for t in grounding.missing] == ["resigned"]
    assert grounding.missing_share == pytest.approx(0.75)


def test_the_story_check_wants_a_places_distinctive_word_and_a_persons_surname():
    """Strictly, "Loxbury Park" is not in an article about a state park (its rarest word is missing), while
    "Keith Kellogg" is in one that says "Kellogg"; the confidence's check stays as it was fitted."""
    common = {"park": 1.0, "loxburi": 6.0, "loxbury": 6.0}
    rarity = lambda stem: common.get(stem, 5.0)  # noqa: E731
    question = "What was the budget of the Loxbury Park library?"
    [place] = [t for t in specific_terms(question, rarity) if t.kind == "name"]
    [person] = [t for t in specific_terms("Who is Keith Kellogg?", rarity) if t.kind == "name"]
    assert place.key == "loxbury" and person.key == ""
    trail = ArticleWords("The state park closed the trail after a landslide.")
    assert trail.has(place) and not trail.has(place, strict=True)
    assert ArticleWords("The Loxbury branch reopens in May.").has(place, strict=True)
    assert ArticleWords("Kellogg spoke on Monday.").has(person, strict=True)
