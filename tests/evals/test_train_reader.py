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
    # a stable hash, not Python's per-process salted hash(): the split must be the same on every machine
    assert [n for n in range(40) if held_out(f"title {n}")] == [7, 8, 26]


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


def test_bm25_neighbours_are_on_topic_unanswerable_and_stay_in_their_split():
    from evals.train_reader import Pair, add_bm25_neighbours

    def answer(question, context, answer, dev=False, title="t"):
        return Pair(question, context, (answer,), context.index(answer), "answer", dev, title)

    pairs = [
        answer("Who designed the Lindholm bridge?", "Engineer Tomas Berg designed the Lindholm bridge.", "Tomas Berg"),
        answer("When did the Lindholm bridge open?", "The Lindholm bridge opened to cyclists in June.", "June"),
        answer("What do cats eat?", "Cats eat fish and mice.", "fish"),
        answer("Who built the Lindholm tower?", "The Lindholm tower was built by Ana Duarte.", "Ana Duarte", dev=True),
    ]
    out = add_bm25_neighbours(pairs, share=1.0, seed=13)
    negatives = [p for p in out if p.kind == "bm25-neighbour"]
    by_question = {p.question: p for p in negatives}
    assert by_question["Who designed the Lindholm bridge?"].context == "The Lindholm bridge opened to cyclists in June."
    assert all(p.answer_start is None and not any(a in p.context for a in p.answers) for p in negatives)
    assert "Who built the Lindholm tower?" not in by_question  # the only held-out paragraph is its own
    assert all(not p.dev for p in negatives)
