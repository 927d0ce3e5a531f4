"""Cited-answer Q&A over news articles: the core shared by indexing, serving and evals.

Importing ``rag`` pins the process to offline operation before any model library is imported:
every model this project uses is loaded from a local path, and a library that tries the network
anyway would otherwise stall for minutes on retries.
"""

import os

for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ORT_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_name, _value)

__version__ = "0.1.0"
