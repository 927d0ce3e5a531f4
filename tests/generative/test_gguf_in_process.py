"""RAG_LLM_GGUF: a local GGUF model run in process by llama-cpp-python through llama-index's LlamaCPP."""

import pytest

from evals.llm_models import smollm2
from index.build import index_paths
from rag.pipeline import Pipeline
from rag.settings import Settings
from tests.conftest import SEEDS

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_in_process_gguf_streams_and_verifies(tmp_path):
    settings = Settings(home=tmp_path / "home", llm_gguf=smollm2(), llm_max_tokens=48)
    index_paths([SEEDS], settings)
    pipeline = Pipeline(settings)
    events = list(pipeline.generate_events(pipeline.prepare("What did Zelensky call for?")))
    *deltas, answer = events
    assert len(deltas) >= 2 and all(isinstance(d, str) for d in deltas)
    assert answer.mode == "generative" and "in process" in answer.model
    assert answer.statements and answer.statements[0].text.split()[0] in "".join(deltas)


def test_a_missing_gguf_file_is_a_clear_error(tmp_path):
    from rag.errors import RagError

    settings = Settings(home=tmp_path / "home", llm_gguf=tmp_path / "nope.gguf")
    index_paths([SEEDS], settings)
    pipeline = Pipeline(settings)
    with pytest.raises(RagError, match="no model file at"):
        list(pipeline.generate_events(pipeline.prepare("What did Zelensky call for?")))
