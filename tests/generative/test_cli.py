"""`rag ask --generative` with a real LLM: the draft streams to stderr, the verified answer goes to stdout."""

import json

import pytest

from index.build import index_paths
from rag.settings import Settings
from tests.conftest import SEEDS
from ui.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.integration]


def test_ask_generative_prints_the_verified_answer(rag_home, llm_url, monkeypatch, capsys):
    index_paths([SEEDS], Settings(home=rag_home))
    monkeypatch.setenv("RAG_LLM_URL", llm_url)
    monkeypatch.setenv("RAG_LLM_MAX_TOKENS", "64")
    capsys.readouterr()
    assert main(["ask", "What did Zelensky call for?", "--generative", "--json"]) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    assert answer["mode"] == "generative" and answer["model"]
    assert answer["statements"]
    assert answer["statements"][0]["text"].split()[0] in err  # the draft was streamed to stderr first
