"""The reader's training data: only the allowed SQuAD-Shifts sets, held-out titles, honest negatives."""

import pytest

from evals.metrics import normalize_answer
from evals.train_reader import TRAIN_SETS, _mentions, _without_answer_sentence, held_out, training_file


@pytest.mark.parametrize("name", ["squaddev_v1.1.json", "nyt_v1.0.json", "seed_questions.jsonl",
                                  "../new_wiki_v1.0.json", "new_wiki_v1.0.json.bak"])  # fmt: skip
def test_training_loader_refuses_every_other_file(name):
    with pytest.raises(ValueError, match="held out"):
        training_file(name)


def test_only_the_three_allowed_sets():
    assert set(TRAIN_SETS) == {"new_wiki_v1.0.json", "reddit_v1.0.json", "amazon_reviews_v1.0.json"}


def test_held_out_split_is_deterministic_and_about_one_in_ten():
    titles = [f"title {n}" for n in range(2000)]
    share = sum(map(held_out, titles)) / len(titles)
    assert 0.07 < share < 0.13
    assert [held_out(t) for t in titles[:50]] == [held_out(t) for t in titles[:50]]


def test_sentence_cut_negative_loses_the_answer():
    context = "The bridge opened in May. Engineer Tomas Berg designed it. Cyclists use it every day."
    start = context.index("Tomas Berg")
    cut = _without_answer_sentence(context, start, ("Tomas Berg",))
    assert cut == "The bridge opened in May. Cyclists use it every day."
    # when the answer is repeated elsewhere, the pair would not be unanswerable: no negative
    again = context + " Tomas Berg is proud."
    assert _without_answer_sentence(again, start, ("Tomas Berg",)) is None


def test_mentions_is_word_bounded():
    text = f" {normalize_answer('It lasted 50 years.')} "
    assert not _mentions(text, ("5",))
    assert _mentions(text, ("50",))
