"""The README is the front door and docs/ holds the rest: every setting is documented, the two set-up commands are
on the first screen, the README stays short, and no relative link or image points at nothing."""

import re
from pathlib import Path

from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README_PATH = ROOT / "README.md"
README = README_PATH.read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").glob("*.md"))
OPERATIONS = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")

FIRST_SCREEN = 40  # lines a newcomer sees before scrolling
README_MAX_LINES = 200

# [text](target) and ![alt](target), with an optional "title"; reference-style links are not used here
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")


def _relative_targets(text: str) -> list[str]:
    """Link and image targets outside code blocks and code spans that are not URLs (in-page anchors included)."""
    prose = _CODE.sub("", _FENCE.sub("", text))
    return [t for t in _LINK.findall(prose) if not re.match(r"[a-z][a-z0-9+.-]*:", t, re.IGNORECASE)]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE)}


def test_every_setting_is_in_the_operations_doc():
    missing = [f"RAG_{name.upper()}" for name in Settings.model_fields if f"`RAG_{name.upper()}`" not in OPERATIONS]
    assert missing == []


def test_readme_shows_the_two_setup_commands_on_the_first_screen():
    first_screen = "\n".join(README.splitlines()[:FIRST_SCREEN])
    assert "make run" in first_screen and "make test" in first_screen


def test_readme_stays_short():
    assert len(README.splitlines()) <= README_MAX_LINES


def test_every_relative_link_points_at_a_file_that_exists():
    broken = []
    for page in [README_PATH, *DOCS]:
        for target in _relative_targets(page.read_text(encoding="utf-8")):
            path_part, _, anchor = target.partition("#")
            resolved = (page.parent / path_part).resolve() if path_part else page
            if not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_the_link_check_sees_links_and_images():
    text = "See [the API](docs/api.md#errors), ![a chart](chart.png) and [below](#layout), not `[code](x.md)` or [web](https://x.org)."
    assert _relative_targets(text) == ["docs/api.md#errors", "chart.png", "#layout"]
    assert _slug("Trust: abstention and `confidence`") == "trust-abstention-and-confidence"
