import pytest

from tests.generative.servers import llama_server


@pytest.fixture(scope="session")
def llm_url():
    """One real llama.cpp server (SmolLM2-135M) for every generative test."""
    with llama_server() as url:
        yield url
