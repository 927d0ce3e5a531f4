"""Writing the answer from the evidence: the extractive answer and its citations, the generative answer (prompt,
LLM, verification of every statement by support scores and by the reader's own reading), and the abstention.

Imports, besides the base modules of rag/: retrieval, reading, judging, followup, evidence.
"""
