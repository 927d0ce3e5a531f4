"""The extractive reader: the network trained by ``evals/train_reader.py`` (model and weights), its export to ONNX,
and span decoding into exact article offsets; answers ``(question, passage)`` pairs in batches.

Imports, besides the base modules of rag/: encoders.
"""
