"""ui.render: citations are highlighted only where the article still holds the quoted words."""

from rag.types import Citation
from ui.render import answer_html, card

TEXT = "Intro line. Keith Kellogg proposed the delay. More text."
QUOTE = "Keith Kellogg proposed the delay."


def citation(**changes) -> Citation:
    start = TEXT.index(QUOTE)
    fields = dict(n=1, article_id="a", title="T", author="Jane Roe", chunk_id="c", passage=TEXT, quote=QUOTE,
                  start=start, end=start + len(QUOTE), score=0.9, article_hash="h1")  # fmt: skip
    return Citation(**{**fields, **changes})


def test_the_quote_is_highlighted_in_the_passage_and_in_the_article():
    html = card(citation(), TEXT, "[1]")
    assert html.count(f"<mark>{QUOTE}</mark>") == 2
    assert "by Jane Roe" in html


def test_a_changed_article_gets_no_highlight_at_stale_offsets():
    changed = "A new first sentence was added. " + TEXT  # re-indexed: the old offsets now point elsewhere
    html = card(citation(), changed, "[1]")
    assert "has changed since this answer was found" in html
    assert html.count("<mark>") == 1  # the passage (its own copy of the text) only


def test_article_text_is_escaped():
    evil = citation(quote="<script>x</script>", passage="<script>x</script>", start=0, end=18)
    html = answer_html_for(evil, "<script>x</script>")
    assert "<script>" not in html and "&lt;script&gt;" in html


def answer_html_for(c: Citation, text: str) -> str:
    from rag.types import Answer

    answer = Answer(question="q", answer=f"{c.quote} [1]", abstained=False, confidence=0.9, citations=[c])
    return answer_html(answer, {c.article_id: text})


def test_a_contradicted_written_answer_is_shown_struck_through_beside_the_extracted_one():
    from rag.types import Answer, Statement

    swapped = Statement(text="Michael Carpenter proposed the delay.", supported=False, verdict="contradicted",
                        score=0.7, evidence_says="Keith Kellogg", note="the passage names Keith Kellogg")  # fmt: skip
    answer = Answer(question="Who proposed the delay?", mode="generative", answer=f"{QUOTE} [1]",
                    short_answer="Keith Kellogg", abstained=False, confidence=0.6, citations=[citation()],
                    statements=[swapped], note="The written answer disagreed with its sources.")  # fmt: skip
    html = answer_html(answer, {"a": TEXT})
    shown, written = html.split("What the model wrote")
    assert "Keith Kellogg" in shown and "Carpenter" not in shown  # the answer itself is the extracted one
    assert "The written answer disagreed with its sources." in shown
    assert 'class="rag-contradicted"' in written and ">contradicted</span>" in written and "Carpenter" in written
