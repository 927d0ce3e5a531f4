"""Small generated news articles, distinct in their words and numbers: corpora of any size for tests."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

TOWNS = ["Port Elm", "Lindholm", "Carrow", "Brisk Bay", "Tallis", "Oakmere", "Vennford", "Saltash Cove"]
TOPICS = ["harbour", "bridge", "library", "railway", "school", "hospital", "market", "museum", "ferry"]
PEOPLE = ["Ana Duarte", "Ben Okafor", "Chen Wei", "Dara Nolan", "Eva Lindqvist", "Farid Haddad", "Greta Moss"]


def generated_article(i: int, paragraphs: int = 2) -> str:
    """Article number ``i``: the same text for the same ``i``, different from every other ``i``."""
    r = random.Random(i)
    town, topic, person = r.choice(TOWNS), r.choice(TOPICS), r.choice(PEOPLE)
    body = [
        f"The {topic} in {town} reopened on day {i * 7 + p} of project {i}. "
        f"{person} said the work cost {r.randint(1, 90)}.{r.randint(0, 9)} million euros over "
        f"{r.randint(2, 30)} weeks. Residents counted {r.randint(100, 9999)} visitors in report {i}-{p}, "
        f"up {r.randint(1, 60)} percent. Officials expect {r.randint(1000, 90000)} people by {2025 + p}."
        for p in range(paragraphs)
    ]
    return f"Title: {topic.title()} news {i} from {town}\n\n" + "\n\n".join(body) + "\n"


def write_corpus(folder: Path, articles: dict[str, str]) -> Path:
    """``folder`` holding exactly ``articles`` (name -> text); whatever was there before is removed."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder
