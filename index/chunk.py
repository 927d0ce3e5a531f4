"""Split an article into overlapping chunks with llama-index's ``SentenceSplitter``, keeping character offsets.

The splitter returns strings; we locate each one in the article text so that every chunk satisfies
``article.text[start:end] == chunk.text``, which is what lets answers cite exact spans.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.types import Article, Chunk


@lru_cache(maxsize=8)
def make_splitter(chunk_size: int, chunk_overlap: int):
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap, paragraph_separator="\n\n")


def chunk_article(article: Article, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    splitter = make_splitter(chunk_size, chunk_overlap)
    chunks: list[Chunk] = []
    cursor = 0
    for piece in splitter.split_text(article.text):
        span = locate(article.text, piece, cursor)
        if span is None:  # the splitter changed the text beyond whitespace: never expected, never silent
            raise ValueError(f"chunk not found in article {article.id!r}: {piece[:60]!r}")
        start, end = span
        chunks.append(Chunk(article.id, article.text[start:end], start, end))
        cursor = start + 1
    return chunks


def locate(text: str, piece: str, cursor: int) -> tuple[int, int] | None:
    """Offsets of ``piece`` in ``text`` at or after ``cursor``; tolerates whitespace the splitter rewrote."""
    piece = piece.strip()
    at = text.find(piece, cursor)
    if at < 0:
        at = text.find(piece)
    if at >= 0:
        return at, at + len(piece)
    pattern = r"\s+".join(re.escape(word) for word in piece.split())
    match = re.compile(pattern).search(text, cursor) or re.compile(pattern).search(text)
    return (match.start(), match.end()) if match else None
