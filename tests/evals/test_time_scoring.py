"""How a question about time is scored: a superseded figure is wrong even when most of its words match."""

from evals.run import is_right_for_kind


def record(kind: str, short: str | None, gold: list[str], f1: float, containment: float = 0.0) -> dict:
    return {"kind": kind, "short_answer": short, "gold_answers": gold,
            "scores": {"f1": f1, "answer_containment": containment}}  # fmt: skip


def test_a_superseded_number_is_wrong_though_its_words_overlap():
    gold = ["4,800 gallons", "about 4,800 gallons"]
    assert not is_right_for_kind(record("latest", "about 4,200 gallons", gold, f1=0.667))
    assert is_right_for_kind(record("latest", "4800 gallons", gold, f1=0.667))
    assert is_right_for_kind(record("latest", "about 4,800 gallons", gold, f1=1.0))


def test_answers_without_numbers_keep_the_f1_rule():
    assert is_right_for_kind(record("stable", "Harlow", ["Harlow River", "the Harlow"], f1=0.667))
    assert not is_right_for_kind(record("latest", "Wenlow", ["Harlow River"], f1=0.0))


def test_text_answers_must_hold_the_newest_state():
    assert is_right_for_kind(record("change", None, ["14"], f1=0.0, containment=1.0))
    assert not is_right_for_kind(record("what_happened", "closed", ["reopened"], f1=0.0, containment=0.0))
