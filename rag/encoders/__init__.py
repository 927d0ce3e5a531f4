"""Sentence encoders: the packaged MiniLM behind llama-index's embedding interface, and the runtimes it runs on
(torch, ONNX Runtime, OpenVINO; exported once into the model cache and checked against torch there).

Imports only the base modules of rag/.
"""
