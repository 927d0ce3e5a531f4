"""Span decoding from logits: pure logic, small hand-made arrays."""

import numpy as np

from rag.reading.decode import best_token_span, sentence_of_tokens


def test_picks_the_highest_start_plus_end_inside_the_context():
    start = np.array([9.0, 0.0, 3.0, 0.0, 0.0, 0.0])
    end = np.array([9.0, 0.0, 0.0, 0.0, 4.0, 0.0])
    context = np.array([False, True, True, True, True, False])  # [CLS] ... [SEP] never answer
    span = best_token_span(start, end, context)
    assert (span.start_token, span.end_token, span.score) == (2, 4, 7.0)


def test_end_never_before_start_and_length_is_capped():
    start = np.array([0.0, 0.0, 0.0, 5.0, 0.0])
    end = np.array([0.0, 2.0, 0.0, 0.0, 1.0])
    context = np.ones(5, dtype=bool)
    span = best_token_span(start, end, context)
    assert span.start_token <= span.end_token
    assert (span.start_token, span.end_token) == (3, 4)  # 3→1 would score more but ends before it starts
    capped = best_token_span(np.array([5.0, 0, 0, 0]), np.array([0, 0, 0, 5.0]), np.ones(4, dtype=bool), max_tokens=2)
    assert capped.end_token - capped.start_token < 2


def test_a_span_never_crosses_a_gap_in_the_context():
    start = np.array([0.0, 5.0, 0.0, 0.0])
    end = np.array([0.0, 0.0, 0.0, 5.0])
    context = np.array([False, True, False, True])
    span = best_token_span(start, end, context)
    assert (span.start_token, span.end_token) in {(1, 1), (3, 3)}


def test_no_context_no_span():
    assert best_token_span(np.zeros(3), np.zeros(3), np.zeros(3, dtype=bool)) is None


def test_a_span_stays_inside_one_sentence():
    start = np.array([0.0, 5.0, 0.0, 0.0, 0.0])
    end = np.array([0.0, 0.0, 0.0, 6.0, 1.0])
    context = np.array([False, True, True, True, True])
    offsets = [(0, 0), (0, 4), (5, 9), (11, 15), (16, 20)]  # "Tom said. Ann came" style: sentence 2 starts at 11
    segments = sentence_of_tokens(offsets, context, [0, 11])
    assert segments.tolist() == [-1, 0, 0, 1, 1]
    span = best_token_span(start, end, context, segments=segments)
    assert segments[span.start_token] == segments[span.end_token]
    assert best_token_span(start, end, context).end_token == 3  # without sentences it would cross the stop


def test_allowed_narrows_the_span_but_not_its_probability_denominator():
    start, end = np.array([0.0, 5.0, 0.0, 4.0]), np.array([0.0, 5.0, 0.0, 4.0])
    context = np.ones(4, dtype=bool)
    best = best_token_span(start, end, context)
    narrowed = best_token_span(start, end, context, allowed=np.array([True, False, True, True]))
    assert (best.start_token, narrowed.start_token, narrowed.end_token) == (1, 3, 3)
    assert narrowed.probability < best.probability  # the same denominator: the ruled-out span still weighs
    assert best_token_span(start, end, context, allowed=np.zeros(4, dtype=bool)) is None
