"""rag.settings: RAG_* variables read into one frozen Settings; a bad value is a RagError naming the variable."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from index.load import load_paths
from rag.encoders.backends import embed_identity
from rag.errors import RagError
from rag.limits import TOP_K_MAX
from rag.settings import PROJECT_ROOT, Settings, load_settings, seeds_folder


def test_defaults_and_home_from_the_environment(rag_home):
    settings = load_settings()
    assert settings.home == rag_home
    assert (settings.top_k, settings.chunk_size, settings.chunk_overlap) == (5, 200, 40)
    assert settings.embed_model  # the packaged model's folder when RAG_EMBED_MODEL is empty
    assert Path(settings.embed_model).is_dir()
    assert settings.embed_model_name == "all-MiniLM-L6-v2"
    assert not settings.generative


def test_environment_values_are_read(monkeypatch):
    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_EMBED_BACKEND", " ONNX ")
    monkeypatch.setenv("RAG_CORS_ORIGINS", '["http://localhost:3000"]')
    monkeypatch.setenv("RAG_LLM_URL", "http://127.0.0.1:8080/v1")
    settings = load_settings()
    assert settings.top_k == 7
    assert settings.embed_backend == "onnx"
    assert settings.cors_origins == ["http://localhost:3000"]
    assert settings.generative


def test_overrides_win_over_the_environment(monkeypatch):
    monkeypatch.setenv("RAG_TOP_K", "7")
    assert load_settings(top_k=3).top_k == 3


def test_settings_are_frozen():
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.top_k = 3


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RAG_TOP_K", "0"),
        ("RAG_TOP_K", str(TOP_K_MAX + 1)),
        ("RAG_TOP_K", "many"),
        ("RAG_EMBED_BACKEND", "cuda"),
        ("RAG_PORT", "70000"),
        ("RAG_ABSTAIN_BELOW", "1.5"),
    ],
)
def test_bad_value_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(RagError, match=f"^bad setting {name}: "):
        load_settings()


def test_overlap_not_below_chunk_size_is_refused(monkeypatch):
    monkeypatch.setenv("RAG_CHUNK_SIZE", "100")
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", "150")
    with pytest.raises(RagError, match=r"chunk_overlap \(150\) must be smaller than chunk_size \(100\)"):
        load_settings()
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", "100")
    with pytest.raises(RagError, match="chunk_overlap"):
        load_settings()
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", "99")
    assert load_settings().chunk_overlap == 99


def test_overlap_error_names_the_variable(monkeypatch):
    monkeypatch.setenv("RAG_CHUNK_SIZE", "100")
    monkeypatch.setenv("RAG_CHUNK_OVERLAP", "150")
    with pytest.raises(RagError, match="RAG_CHUNK_OVERLAP"):
        load_settings()


def test_non_json_list_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("RAG_CORS_ORIGINS", "http://localhost:3000")
    try:
        load_settings()
    except RagError as exc:
        assert "RAG_CORS_ORIGINS" in str(exc)
    except Exception as exc:
        raise AssertionError(f"not a RagError: {type(exc).__name__}: {exc}") from exc
    else:
        raise AssertionError("accepted")


def test_embed_identity_marks_inexact_backends():
    assert embed_identity(load_settings(embed_backend="onnx")) == "all-MiniLM-L6-v2"
    assert embed_identity(load_settings(embed_backend="torch")) == "all-MiniLM-L6-v2"
    assert embed_identity(load_settings(embed_backend="onnx-int8")) == "all-MiniLM-L6-v2 [onnx-int8]"


def test_data_cache_follows_its_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("RAG_DATA_CACHE", str(tmp_path / "data"))
    assert load_settings().data_cache == tmp_path / "data"


def test_data_cache_defaults_under_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("RAG_DATA_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings().data_cache == tmp_path / ".cache" / "rag-news"


def test_seeds_folder_holds_the_seed_article(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no seeds/ here: the project's own
    folder = seeds_folder()
    assert folder == PROJECT_ROOT / "seeds"
    articles = load_paths([folder]).articles
    seed = {a.id: a for a in articles}["000_6ce29fcde6849a77"]
    assert "Keith Kellogg" in seed.text


def test_seeds_folder_prefers_the_working_directory(monkeypatch, tmp_path):
    (tmp_path / "seeds").mkdir()
    monkeypatch.chdir(tmp_path)
    assert seeds_folder().resolve() == tmp_path / "seeds"
