"""The quick check that lets a re-index of unchanged files skip reading them and the store (as make and rsync do).

After each run over files, the indexer keeps each file's size and modification time (and the run's report, its
skipped files included: an unchanged bad file fails the same way) together with
the store's state (generation stamp and counts) in a small file under ``RAG_HOME/derived/``. A later run over
the same paths with the same settings has nothing to do when every file still has that size and time and the
store is exactly as that run left it: same generation, same counts and no write recorded in the change log
since (so not another indexer, an upload, a DELETE, nor a killed run). Anything else — a file added, removed or
touched; any write by anyone — takes the full path, which diffs against Chroma, the
ledger. At 100k chunks this turns a no-op re-index from reading ~52k files and every article record into
reading their sizes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from index.load import files_under
from rag.encoders.backends import embed_identity
from rag.retrieval.store import Store
from rag.settings import Settings
from rag.types import stable_hash

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Manifest:
    file: Path
    paths: list[Path]

    @classmethod
    def for_run(cls, settings: Settings, paths: list[Path], first_line_title: bool) -> Manifest:
        roots = sorted(str(Path(p).resolve()) for p in paths)
        key = stable_hash(settings.chroma_url or "", settings.collection, settings.chunk_size, settings.chunk_overlap,
                          embed_identity(settings), first_line_title, *roots, length=16)  # fmt: skip
        return cls(settings.home / "derived" / f"index-{key}.json", [Path(r) for r in roots])

    def _files(self) -> dict[str, list[int]]:
        out = {}
        for root in self.paths:
            for file in files_under(root):
                stat = file.stat()
                out[str(file)] = [stat.st_size, stat.st_mtime_ns]
        return out

    @staticmethod
    def _state(store: Store) -> dict:
        return {"store": str(store.chunks.id), "generation": store.generation(), "counts": list(store.counts()),
                "pending": store.has_pending_writes()}  # fmt: skip

    def unchanged(self, store: Store) -> dict | None:
        """The saved report when nothing changed since the recorded run, else None (and the record is dropped,
        so a run killed from here on leaves none behind)."""
        try:
            saved = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        self.forget()
        try:
            same = saved["store"] == self._state(store) and saved["files"] == self._files()
        except (OSError, KeyError, TypeError):
            return None
        if not same:
            return None
        self.save(store, saved["report"], saved["files"])  # still valid for the next run
        return saved["report"]

    def save(self, store: Store, report: dict, files: dict[str, list[int]] | None = None) -> None:
        """Record a finished run and the store's state after it."""
        try:
            record = {"store": self._state(store), "files": files if files is not None else self._files(),
                      "report": report}  # fmt: skip
            self.file.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(record)
            fd, tmp = tempfile.mkstemp(prefix=".index-", dir=self.file.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            Path(tmp).replace(self.file)
        except OSError as exc:  # only the quick check is lost: the next run takes the full path
            log.warning("could not record the index run under %s: %s", self.file.parent, exc)

    def forget(self) -> None:
        self.file.unlink(missing_ok=True)
