"""Finding passages: the Chroma store (articles, chunks, vectors), the BM25 side that follows it, their fusion
with filters, and sentence-level support scores (the optional rerank; the generative verifier borrows them).

Imports, besides the base modules of rag/: encoders.
"""
