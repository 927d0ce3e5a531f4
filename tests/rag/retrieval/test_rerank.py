"""rag.retrieval.rerank: sentences of retrieved passages scored once each, and passages ordered by their best sentence
(the fake embedder stands in for MiniLM)."""

from rag.retrieval.rerank import rerank_passages, score_sentences
from rag.retrieval.support import SentenceScorer
from rag.types import Passage

HARBOUR = (
    "The harbour of Port Elm reopened on Monday. Mayor Ana Duarte said the repairs cost 4.2 million euros. "
    "Fishing crews returned to the docks before dawn."
)
ORCHARD = "Apple growers in Vale reported a record harvest. Cider presses ran through the night."
BRIDGE = "The bridge in Lindholm opened to cyclists. Engineer Tomas Berg designed it."
TEXTS = {"harbour": HARBOUR, "orchard": ORCHARD, "bridge": BRIDGE}


def passage(article_id: str, start: int = 0, end: int | None = None, chunk: str = "") -> Passage:
    text = TEXTS[article_id]
    end = len(text) if end is None else end
    return Passage(chunk_id=chunk or f"{article_id}-{start}", article_id=article_id, text=text[start:end],
                   start=start, end=end)  # fmt: skip


def test_sentences_repeated_by_overlapping_chunks_are_scored_once(fake_embedder):
    cut = HARBOUR.index("Fishing")
    first, second = passage("harbour", 0, cut - 1), passage("harbour", HARBOUR.index("Mayor"))
    sentences = score_sentences(SentenceScorer(fake_embedder), "What did the repairs cost?", None, [first, second])
    assert sorted(s.text for s in sentences) == sorted(
        ["The harbour of Port Elm reopened on Monday.", "Mayor Ana Duarte said the repairs cost 4.2 million euros.",
         "Fishing crews returned to the docks before dawn."]
    )  # fmt: skip
    mayor = next(s for s in sentences if s.text.startswith("Mayor"))
    assert mayor.passage is first  # the first passage holding it keeps it
    for s in sentences:
        assert HARBOUR[s.start : s.end] == s.text


def test_the_same_sentence_in_two_articles_is_kept_for_each(fake_embedder):
    copy = Passage(chunk_id="copy", article_id="copy", text=ORCHARD, start=0, end=len(ORCHARD))
    sentences = score_sentences(SentenceScorer(fake_embedder), "cider", None, [passage("orchard"), copy])
    assert len(sentences) == 4


def test_sentences_come_best_first(fake_embedder):
    passages = [passage("harbour"), passage("orchard"), passage("bridge")]
    sentences = score_sentences(SentenceScorer(fake_embedder), "Which engineer designed the bridge?", None, passages)
    scores = [s.score for s in sentences]
    assert scores == sorted(scores, reverse=True)
    assert sentences[0].text == "Engineer Tomas Berg designed it."


def test_query_vector_is_used_for_the_cosine(fake_embedder):
    passages = [passage("harbour"), passage("orchard")]
    # "walrus" shares no word (nor hash bucket of the fake embedder) with any sentence: only a given vector scores.
    vector = fake_embedder.get_query_embedding("apple harvest cider presses")
    plain = score_sentences(SentenceScorer(fake_embedder), "walrus", None, passages)
    given = score_sentences(SentenceScorer(fake_embedder), "walrus", vector, passages)
    assert max(s.score for s in plain) == 0.0
    assert given[0].passage.article_id == "orchard" and given[0].score > 0


def test_passages_are_ordered_by_their_best_sentence(fake_embedder):
    fused = [passage("harbour"), passage("orchard"), passage("bridge")]
    question = "Which growers reported a record apple harvest in Vale?"
    sentences = score_sentences(SentenceScorer(fake_embedder), question, None, fused)
    ranked = rerank_passages(sentences, fused)
    assert [p.article_id for p in ranked][0] == "orchard"
    assert [p.scores["fused_rank"] for p in fused] == [0, 1, 2]
    best = {p.chunk_id: max(s.score for s in sentences if s.passage.chunk_id == p.chunk_id) for p in fused}
    assert [p.scores["sentence"] for p in ranked] == sorted(best.values(), reverse=True)


def test_ties_keep_the_fused_order(fake_embedder):
    twins = [Passage(chunk_id=f"c{i}", article_id=f"a{i}", text=ORCHARD, start=0, end=len(ORCHARD)) for i in range(3)]
    fused = [twins[2], twins[0], twins[1]]
    sentences = score_sentences(SentenceScorer(fake_embedder), "record apple harvest", None, fused)
    assert len({s.score for s in sentences if s.text.startswith("Apple")}) == 1
    assert [p.chunk_id for p in rerank_passages(sentences, fused)] == ["c2", "c0", "c1"]


def test_passages_without_scored_sentences_go_last_in_fused_order(fake_embedder):
    fused = [passage("harbour"), passage("orchard"), passage("bridge")]
    sentences = score_sentences(SentenceScorer(fake_embedder), "Lindholm bridge", None, fused[2:])
    ranked = rerank_passages(sentences, fused)
    assert [p.article_id for p in ranked] == ["bridge", "harbour", "orchard"]
    assert ranked[1].scores["sentence"] == ranked[2].scores["sentence"] == 0.0


def test_nothing_to_rerank(fake_embedder):
    assert score_sentences(SentenceScorer(fake_embedder), "anything", None, []) == []
    assert rerank_passages([], []) == []
