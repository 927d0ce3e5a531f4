"""rag.sentences: boundaries that keep titles and initials inside their sentence, with exact offsets."""

from rag.sentences import split_sentences


def test_sentences_keep_titles_and_initials_together():
    text = "Retired Lt. Gen. Keith Kellogg spoke. The U.S. Army agreed at 5 p.m. on Monday. J. Smith left!\nNew line"
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "Retired Lt. Gen. Keith Kellogg spoke.", "The U.S. Army agreed at 5 p.m. on Monday.", "J. Smith left!",
        "New line",
    ]  # fmt: skip


def test_sentence_offsets_are_exact_and_shifted_by_offset():
    text = "  “Quoted,” he said. Then more.  Last one? Yes."
    assert split_sentences(text) == [(2, 20), (21, 31), (33, 42), (43, 47)]
    assert [text[s:e] for s, e in split_sentences(text)] == ["“Quoted,” he said.", "Then more.", "Last one?", "Yes."]
    assert split_sentences(text, offset=10) == [(12, 30), (31, 41), (43, 52), (53, 57)]


def test_closing_quotes_stay_with_their_sentence():
    text = 'He said "Go home." Then he left.'
    assert [text[s:e] for s, e in split_sentences(text)] == ['He said "Go home."', "Then he left."]


def test_blank_text_has_no_sentences():
    assert split_sentences("  \n \n") == []


def test_a_dateline_is_where_the_report_was_filed():
    from rag.sentences import dateline_end

    for text, dateline in [("KELLBROOK — About 1,150 nurses", "KELLBROOK — "),
                           ("PORT ALDIS — The leased ferry", "PORT ALDIS — "),
                           ("WASHINGTON (Reuters) - The Senate", "WASHINGTON (Reuters) - "),
                           ("ST. BRENDAN, Ore. — A hospital", "ST. BRENDAN, Ore. — ")]:  # fmt: skip
        assert text[: dateline_end(text)] == dateline
    assert dateline_end("A senior aide to President Biden said — in a call — that") == 0
    assert dateline_end("US growth slowed in the fourth quarter.") == 0
