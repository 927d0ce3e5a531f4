"""rag.retrieval.support: sentence support scores (cosine + content-word coverage) with the fake embedder, and the
scorer's embedding cache."""

import pytest

from rag.retrieval.support import RERANK, VERIFY, SentenceScorer, Weights, coverage_weights, sentences_of
from rag.types import Passage

HARBOUR = (
    "The harbour of Port Elm reopened on Monday. Mayor Ana Duarte said the repairs cost 4.2 million euros. "
    "Fishing crews returned to the docks before dawn."
)


class CountingEmbedder:
    """Hands texts to the fake embedder and remembers every text it was asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.embedded: list[str] = []

    def get_text_embedding_batch(self, texts, **kwargs):
        self.embedded.extend(texts)
        return self.inner.get_text_embedding_batch(texts, **kwargs)


def passage(text: str, start: int = 0, article_id: str = "harbour") -> Passage:
    return Passage(chunk_id=f"{article_id}-{start}", article_id=article_id, text=text, start=start,
                   end=start + len(text))  # fmt: skip


def test_sentences_of_have_article_offsets():
    late = 100
    sentences = sentences_of(passage(HARBOUR, start=late))
    assert [s.text for s in sentences] == [
        "The harbour of Port Elm reopened on Monday.", "Mayor Ana Duarte said the repairs cost 4.2 million euros.",
        "Fishing crews returned to the docks before dawn.",
    ]  # fmt: skip
    article = " " * late + HARBOUR
    for s in sentences:
        assert article[s.start : s.end] == s.text
        assert s.score == 0.0


def test_sentences_of_leave_out_a_withheld_span():
    at = HARBOUR.index("Ana Duarte")
    kept = sentences_of(passage(HARBOUR, start=7), withheld=[(at, at + len("Ana Duarte"))])
    assert [s.text for s in kept] == [
        "The harbour of Port Elm reopened on Monday.", "Fishing crews returned to the docks before dawn.",
    ]  # fmt: skip
    assert len(sentences_of(passage(HARBOUR), withheld=[(0, len(HARBOUR))])) == 0
    assert len(sentences_of(passage(HARBOUR), withheld=[(len(HARBOUR), len(HARBOUR) + 5)])) == 3


def test_the_sentence_sharing_the_words_scores_highest(fake_embedder):
    scorer = SentenceScorer(fake_embedder)
    sentences = sentences_of(passage(HARBOUR))
    for weights in (RERANK, VERIFY):
        scored = scorer.score("How much did the repairs cost Mayor Duarte?", sentences, weights)
        assert [s.text for s in scored] == [s.text for s in sentences]  # same order as given
        best = max(scored, key=lambda s: s.score)
        assert best.text.startswith("Mayor Ana Duarte")
        assert all(0.0 <= s.score <= 1.0 for s in scored)


def test_a_sentence_holding_every_word_scores_one(fake_embedder):
    scorer = SentenceScorer(fake_embedder)
    [scored] = scorer.score("Fishing crews returned", [sentences_of(passage("Fishing crews returned."))[0]], VERIFY)
    assert scored.score == pytest.approx(1.0, abs=1e-5)
    [none] = scorer.score("zeppelin hangar", [sentences_of(passage("Fishing crews returned."))[0]], VERIFY)
    assert none.score == pytest.approx(0.0, abs=1e-6)


def test_no_sentences_no_scores(fake_embedder):
    assert SentenceScorer(fake_embedder).score("anything", [], RERANK) == []


def test_rerank_weights_rare_words_and_verify_does_not(fake_embedder):
    # "harbour" and "wall" are in every candidate but one; "Duarte" in one: only the idf weighting lets it win.
    text = "Harbour wall Duarte"
    candidates = "The harbour wall was repaired. Duarte. The harbour wall closed. The harbour wall was painted."
    sentences = sentences_of(passage(candidates))
    scorer = SentenceScorer(fake_embedder)
    rerank = {s.text: s.score for s in scorer.score(text, sentences, RERANK)}
    verify = {s.text: s.score for s in scorer.score(text, sentences, VERIFY)}
    assert rerank["Duarte."] > rerank["The harbour wall was repaired."]
    assert verify["Duarte."] < verify["The harbour wall was repaired."]


def test_coverage_weights():
    stems = {"harbour", "duart"}
    found = [{"harbour", "wall"}, {"harbour"}, {"duart"}]
    assert coverage_weights(stems, found, idf=False) == {"harbour": 1.0, "duart": 1.0}
    idf = coverage_weights(stems, found, idf=True)
    assert idf["duart"] > idf["harbour"] > 0
    assert coverage_weights({"zeppelin"}, found, idf=True)["zeppelin"] > idf["duart"]  # unseen: rarest of all


def test_dense_weight_splits_cosine_and_coverage(fake_embedder):
    scorer = SentenceScorer(fake_embedder)
    sentence = sentences_of(passage("Fishing crews returned to the docks."))
    only_words = scorer.score("fishing boats", sentence, Weights(dense=0.0, idf=False))[0].score
    assert only_words == pytest.approx(0.5)  # one of the two content words


def test_embed_cache_is_reused(fake_embedder):
    counting = CountingEmbedder(fake_embedder)
    scorer = SentenceScorer(counting)
    sentences = sentences_of(passage(HARBOUR))
    first = scorer.score("Who is the mayor?", sentences, RERANK)
    assert sorted(counting.embedded) == sorted([s.text for s in sentences] + ["Who is the mayor?"])
    counting.embedded.clear()
    second = scorer.score("Who is the mayor?", sentences, RERANK)
    assert counting.embedded == []
    assert [s.score for s in second] == [s.score for s in first]
    scorer.score("A new question", sentences, RERANK, vector=fake_embedder.get_query_embedding("A new question"))
    assert counting.embedded == []  # a given vector is not embedded again


def test_embed_keeps_order_and_embeds_repeats_once(fake_embedder):
    counting = CountingEmbedder(fake_embedder)
    scorer = SentenceScorer(counting)
    vectors = scorer.embed(["apple harvest", "sea wall", "apple harvest"])
    assert counting.embedded.count("apple harvest") == 1
    assert vectors.shape == (3, 64)
    assert (vectors[0] == vectors[2]).all() and not (vectors[0] == vectors[1]).all()


def test_embed_cache_is_bounded_and_evicts_the_least_recent(fake_embedder):
    counting = CountingEmbedder(fake_embedder)
    scorer = SentenceScorer(counting, cache_size=2)
    for text in ("one apple", "two pears", "three plums"):
        scorer.embed([text])
    assert len(scorer.cache) == 2
    counting.embedded.clear()
    scorer.embed(["three plums"])
    assert counting.embedded == []  # the most recent stayed
    scorer.embed(["one apple"])
    assert counting.embedded == ["one apple"]  # the oldest was evicted


def test_a_full_cache_still_serves_a_call_mixing_hits_and_misses(fake_embedder):
    scorer = SentenceScorer(fake_embedder, cache_size=2)
    scorer.embed(["one apple", "two pears"])
    vectors = scorer.embed(["one apple", "three plums"])
    assert vectors.shape == (2, 64)
    assert len(scorer.cache) == 2
