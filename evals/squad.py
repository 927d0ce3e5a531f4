"""SQuAD v1.1 / v2.0 as an eval set: paragraphs become articles, questions become :class:`EvalItem` objects.

Each paragraph is one article (id ``<title-slug>-p<n>``, ``n`` its position under its SQuAD title, title the
SQuAD title), written as one ``.jsonl`` file per title so ``rag index`` reads them like any article folder.
Paragraphs whose text repeats an earlier one are stored once and their questions point at the first copy
(the indexer would drop the repeat as a duplicate anyway).

The SQuAD v1.1 dev set ships inside the PyPI source archive of ``bigbench==1.0.0``; :func:`find_squad_dev`
extracts that one file into a cache folder. SQuAD data is never written into the repository.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import tarfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from evals.corpora import cache_dir
from evals.dataset import EvalItem
from index.load import clean_text
from rag.errors import BadInput

SQUAD_DEV_NAME = "squaddev_v1.1.json"
BIGBENCH_ARCHIVE = "bigbench-1.0.0.tar.gz"
SQUAD_SHIFTS_DIR = "bigbench-1.0.0/bigbench/benchmark_tasks/squad_shifts/"
BIGBENCH_MEMBER = SQUAD_SHIFTS_DIR + SQUAD_DEV_NAME


@dataclass
class SquadSet:
    version: str
    articles: list[dict] = field(default_factory=list)  # {"id", "title", "text"}
    items: list[EvalItem] = field(default_factory=list)


def slugify(title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "article"


def _unique(values: list[str]) -> list[str]:
    seen: set[str] = set()
    return [v for v in values if not (v in seen or seen.add(v))]


def load_squad(path: Path | str) -> SquadSet:
    """Read a SQuAD JSON file (v1.1 or v2.0). Raises :class:`BadInput` when it is not one."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"SQuAD file not found: {path}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"cannot read SQuAD file {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise BadInput(f"{path} is not SQuAD JSON: expected an object with a 'data' list")

    squad = SquadSet(version=str(doc.get("version", "")))
    slugs_used: dict[str, str] = {}  # slug -> title, so two titles never share ids
    first_by_text: dict[str, str] = {}
    ids_seen: set[str] = set()
    for t, entry in enumerate(doc["data"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("paragraphs"), list):
            raise BadInput(f"{path}: data[{t}] has no 'paragraphs' list")
        title = str(entry.get("title") or f"untitled-{t}")
        slug = slugify(title)
        while slugs_used.setdefault(slug, title) != title:
            slug = f"{slug}-{t}"
        for n, paragraph in enumerate(entry["paragraphs"]):
            context = paragraph.get("context") if isinstance(paragraph, dict) else None
            if not isinstance(context, str) or not context.strip():
                raise BadInput(f"{path}: data[{t}].paragraphs[{n}] has no 'context' text")
            article_id = f"{slug}-p{n}"
            key = clean_text(context)
            if key in first_by_text:
                article_id = first_by_text[key]
            else:
                first_by_text[key] = article_id
                squad.articles.append({"id": article_id, "title": title, "text": context})
            for q, qa in enumerate(paragraph.get("qas") or []):
                item = _item(qa, article_id, title, f"data[{t}].paragraphs[{n}].qas[{q}]", path)
                if item.id in ids_seen:
                    raise BadInput(f"{path}: duplicate question id {item.id!r}")
                ids_seen.add(item.id)
                squad.items.append(item)
    if not squad.items:
        raise BadInput(f"{path} holds no questions")
    return squad


def _item(qa: object, article_id: str, title: str, where: str, path: Path) -> EvalItem:
    if not isinstance(qa, dict) or not isinstance(qa.get("question"), str) or not qa["question"].strip():
        raise BadInput(f"{path}: {where} has no 'question'")
    impossible = bool(qa.get("is_impossible", False))
    answers = [] if impossible else _unique(
        [a["text"].strip() for a in qa.get("answers") or [] if isinstance(a, dict) and str(a.get("text", "")).strip()]
    )  # fmt: skip
    if not impossible and not answers:
        raise BadInput(f"{path}: {where} is answerable but has no answers")
    return EvalItem(
        id=str(qa.get("id") or f"{article_id}-{where}"),
        question=qa["question"].strip(),
        answers=answers,
        evidence_article_id=article_id,
        evidence_quote=None,
        unanswerable=impossible,
        kind=f"squad:{title}",
    )


def sample_items(items: list[EvalItem], n: int | None, seed: int) -> list[EvalItem]:
    """``n`` questions drawn without replacement, the same ones for the same seed; kept in file order."""
    if n is None or n >= len(items):
        return list(items)
    if n < 1:
        raise BadInput(f"--sample must be at least 1, got {n}")
    chosen = set(random.Random(seed).sample(range(len(items)), n))
    return [item for i, item in enumerate(items) if i in chosen]


def write_articles(articles: list[dict], folder: Path) -> Path:
    """One ``<title-slug>.jsonl`` per SQuAD title under ``folder``; files of titles no longer present go."""
    folder.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list[str]] = {}
    for article in articles:
        slug = article["id"].rsplit("-p", 1)[0]
        by_file.setdefault(f"{slug}.jsonl", []).append(json.dumps(article, ensure_ascii=False))
    for stale in folder.glob("*.jsonl"):
        if stale.name not in by_file:
            stale.unlink()
    for name, lines in by_file.items():
        target = folder / name
        content = "\n".join(lines) + "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != content:
            target.write_text(content, encoding="utf-8")
    return folder


def find_squad_dev(cache: Path | None = None) -> Path:
    """The SQuAD v1.1 dev file in the cache, extracted from the bigbench source archive on first use."""
    return squad_shifts_file(SQUAD_DEV_NAME, cache)


def squad_shifts_file(name: str, cache: Path | None = None) -> Path:
    """``squad_shifts/<name>`` from the bigbench source archive, extracted once into the cache."""
    cache = cache or cache_dir()
    target = cache / name
    if target.is_file():
        return target
    member_name = SQUAD_SHIFTS_DIR + name
    archives = [cache / BIGBENCH_ARCHIVE, cache / "dl" / BIGBENCH_ARCHIVE]
    archive = next((a for a in archives if a.is_file()), None)
    if archive is None:
        raise BadInput(
            f"{name} not found: no {target} and no {BIGBENCH_ARCHIVE} in {cache} or {cache / 'dl'}. "
            f"Download the archive (358 MB) with:\n"
            f"  pip download --no-deps --no-binary :all: bigbench==1.0.0 -d {cache / 'dl'}\n"
            f"then run again (or set RAG_DATA_CACHE to the folder that holds it)."
        )
    partial = target.with_suffix(".json.partial")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            try:
                member = tar.getmember(member_name)
            except KeyError:
                raise BadInput(f"{archive} has no {member_name}: is it bigbench 1.0.0?") from None
            source = tar.extractfile(member)
            if source is None:
                raise BadInput(f"{archive}: {member_name} is not a regular file")
            cache.mkdir(parents=True, exist_ok=True)
            with source, open(partial, "wb") as out:
                shutil.copyfileobj(source, out)
    except (tarfile.TarError, EOFError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise BadInput(f"cannot extract {member_name} from {archive} (incomplete download?): {exc}") from None
    partial.replace(target)
    return target
