"""rag.limits: the top_k bounds every entry point shares, and the abstention phrase."""

import re

import pytest

from rag.answering.prompt import messages
from rag.answering.verify import is_refusal, parse_claims
from rag.errors import BadQuestion
from rag.limits import ABSTAIN_MESSAGE, TOP_K_MAX, check_top_k


@pytest.mark.parametrize("top_k", [1, 7, TOP_K_MAX])
def test_top_k_in_bounds_is_returned(top_k):
    assert check_top_k(top_k) == top_k


def test_no_top_k_means_the_default():
    assert check_top_k(None) is None


@pytest.mark.parametrize("top_k", [0, -1, TOP_K_MAX + 1, True, False])
def test_top_k_out_of_bounds_says_the_bounds(top_k):
    with pytest.raises(BadQuestion) as caught:
        check_top_k(top_k)
    assert str(caught.value) == f"top_k must be between 1 and {TOP_K_MAX}, got {top_k}"


def test_a_model_that_replies_with_the_abstention_phrase_is_taken_as_abstaining():
    """The phrase the prompt tells the model to reply when the passages do not answer is the one the verifier
    recognises as a refusal: prompt and verification share it."""
    system = dict(messages("Who met?", []))["system"]
    told = re.search(r"reply exactly: (.+)", system)
    assert told is not None and told.group(1) == ABSTAIN_MESSAGE
    assert is_refusal(parse_claims(ABSTAIN_MESSAGE, 3))
    assert is_refusal(parse_claims(ABSTAIN_MESSAGE.upper(), 3))
    assert not is_refusal(parse_claims(f"Keith Kellogg proposed it [1]. {ABSTAIN_MESSAGE}", 3))
