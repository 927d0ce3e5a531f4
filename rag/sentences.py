"""Sentence boundaries with character offsets, tuned for news prose.

Punkt (as shipped with llama-index) splits "retired Lt. Gen. Keith Kellogg" into three sentences, which would
cut the very quote an answer must cite; this splitter knows titles and abbreviations and never splits inside
initials ("U.S.", "J. Smith").
"""

from __future__ import annotations

import re

ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "lt", "col", "maj", "capt", "cpt", "sgt", "adm",
    "cmdr", "st", "jr", "sr", "inc", "corp", "co", "ltd", "vs", "etc", "no", "nos", "vol", "fig", "est", "approx",
    "dept", "univ", "ave", "blvd", "rd", "mt", "ft", "rev", "hon", "pres", "supt", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "a.m", "p.m", "e.g", "i.e", "u.s", "u.k", "u.n",
}  # fmt: skip

# A news dateline, where the report was filed: "KELLBROOK — ", "PORT ALDIS — ", "WASHINGTON (Reuters) - ".
_DATELINE = re.compile(
    r"[A-Z][A-Z'.]+(?:[ -][A-Z][A-Z'.]+)*(?:, [A-Z][A-Za-z.]+)?(?: \([^)]{1,40}\))?\s+(?:—|–|--|-)\s+"
)

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)")
_NEXT_STARTS_SENTENCE = re.compile(r"\s+[\"'“‘(\[]?[A-Z0-9]")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of the sentences of ``text`` (shifted by ``offset``), whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    for block_start, block in _blocks(text):
        start = 0
        for match in _BOUNDARY.finditer(block):
            end = match.end()
            if not _NEXT_STARTS_SENTENCE.match(block, end) or _is_abbreviation(block, match.start()):
                continue
            spans.append((block_start + start, block_start + end))
            start = end
        spans.append((block_start + start, block_start + len(block)))
    return [(s + offset, e + offset) for s, e in (_trim(text, s, e) for s, e in spans) if e > s]


def _blocks(text: str):
    at = 0
    for line in text.split("\n"):
        yield at, line
        at += len(line) + 1


def _is_abbreviation(block: str, dot: int) -> bool:
    word = re.search(r"[\w.]*$", block[:dot]).group(0)
    if not word:
        return False
    bare = word.lower().rstrip(".")
    return bare in ABBREVIATIONS or (len(bare) == 1 and bare.isalpha()) or ("." in bare and len(bare) <= 5)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def dateline_end(text: str) -> int:
    """Where an article's dateline ends (0 when it has none): the place a report was filed from is not what it
    reports, and a reader that takes "QUORLEY BEND" for the utility whose customers lost power is wrong."""
    match = _DATELINE.match(text)
    return match.end() if match else 0
