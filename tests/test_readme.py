"""The README documents every setting, so a new one cannot ship undocumented."""

from pathlib import Path

from rag.settings import Settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    missing = [f"RAG_{name.upper()}" for name in Settings.model_fields if f"`RAG_{name.upper()}`" not in README]
    assert missing == []


def test_readme_keeps_the_two_setup_commands():
    assert "make run" in README and "make test" in README
