"""Rerank passages by their best sentence: MiniLM similarity of question and sentence plus lexical coverage.

No cross-encoder ships in any installable package, so the default reranker works at sentence level with the
bi-encoder we have: a passage is as good as the sentence in it that best matches the question. A real
sentence-transformers ``CrossEncoder`` (llama-index's ``SentenceTransformerRerank``) replaces the passage
order when ``RAG_CROSS_ENCODER`` names a local model folder.
"""

from __future__ import annotations

from rag.retrieval.support import RERANK, Sentence, SentenceScorer, sentences_of
from rag.types import Passage


def score_sentences(scorer: SentenceScorer, question: str, query_vector, passages: list[Passage]) -> list[Sentence]:
    """Every sentence of ``passages`` (once, though overlapping chunks repeat some), best support first."""
    unique: dict[tuple[str, int], Sentence] = {}
    for passage in passages:
        for sentence in sentences_of(passage):
            unique.setdefault((passage.article_id, sentence.start), sentence)
    scored = scorer.score(question, list(unique.values()), RERANK, vector=query_vector)
    return sorted(scored, key=lambda s: s.score, reverse=True)


def rerank_passages(sentences: list[Sentence], passages: list[Passage]) -> list[Passage]:
    """Passages ordered by their best sentence's score (ties keep the fused order)."""
    best: dict[str, float] = {}
    for s in sentences:
        best.setdefault(s.passage.chunk_id, s.score)
    for rank, passage in enumerate(passages):
        passage.scores["fused_rank"] = rank
        passage.scores["sentence"] = best.get(passage.chunk_id, 0.0)
    return sorted(passages, key=lambda p: (-p.scores["sentence"], p.scores["fused_rank"]))


class CrossEncoderReranker:
    """llama-index's ``SentenceTransformerRerank`` over a local CrossEncoder folder."""

    def __init__(self, model_path: str, top_n: int) -> None:
        from llama_index.core.postprocessor import SentenceTransformerRerank

        self.postprocessor = SentenceTransformerRerank(model=model_path, top_n=top_n, device="cpu")

    def rerank(self, question: str, passages: list[Passage]) -> list[Passage]:
        from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

        by_id = {p.chunk_id: p for p in passages}
        nodes = [NodeWithScore(node=TextNode(id_=p.chunk_id, text=p.text), score=p.score) for p in passages]
        ranked = self.postprocessor.postprocess_nodes(nodes, query_bundle=QueryBundle(question))
        out = []
        for node in ranked:
            passage = by_id[node.node.node_id]
            passage.scores["cross_encoder"] = float(node.score or 0.0)
            out.append(passage)
        return out
