"""rag.limits: the top_k bounds every entry point shares, and the abstention phrase."""

import pytest

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


def test_abstain_message_is_a_sentence():
    assert ABSTAIN_MESSAGE == "The articles don't say."
