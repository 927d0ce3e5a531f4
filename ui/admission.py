"""Admission control for questions: a bounded worker pool and a bounded queue, so a burst of users gets fast
refusals it can retry instead of waits that grow without end.

At most ``workers`` questions compute at once (retrieval, reading, verification); at most ``queue`` more wait
for a worker; any question beyond that is refused at once with :class:`~rag.errors.Overloaded` (HTTP 503 with
``Retry-After``). The models themselves are safe to share: each exported runtime serialises its own calls.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rag.errors import Overloaded


class Admission:
    def __init__(self, workers: int, queue: int) -> None:
        self.workers = workers
        self.limit = workers + queue
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._admitted = 0
        self._waiting = 0  # admitted questions blocked on a worker slot: the queue
        self._busy = 0  # worker slots taken
        self._recent_seconds = 0.2  # moving estimate of one question's compute time, for Retry-After

    @property
    def admitted(self) -> int:
        return self._admitted

    @property
    def waiting(self) -> int:
        """Questions waiting for a worker now (an LLM writing holds no slot and is not counted)."""
        return self._waiting

    @property
    def busy(self) -> int:
        """Worker slots computing now."""
        return self._busy

    @contextmanager
    def request(self) -> Iterator[None]:
        """Hold a place for one question from its arrival to its last byte; refuse at once when all are taken."""
        with self._lock:
            if self._admitted >= self.limit:
                waiting = self._admitted - self.workers
                retry = max(1, math.ceil(self._recent_seconds * (waiting + 1) / self.workers))
                raise Overloaded(f"the server is busy ({self.workers} questions being answered, {waiting} waiting): "
                                 f"try again in {retry} s", retry_after=retry)  # fmt: skip
            self._admitted += 1
        try:
            yield
        finally:
            with self._lock:
                self._admitted -= 1

    def worker(self) -> _Worker:
        """One of the ``workers`` compute slots, as a context manager that may be entered again after it exits
        (the generative path computes twice per question: before and after the model writes)."""
        return _Worker(self)

    def _done(self, seconds: float) -> None:
        """A worker slot is given back after ``seconds`` of compute."""
        with self._lock:
            self._recent_seconds = 0.8 * self._recent_seconds + 0.2 * seconds
            self._busy -= 1

    def _count(self, waiting: int, busy: int) -> None:
        with self._lock:
            self._waiting += waiting
            self._busy += busy


class _Worker:
    def __init__(self, admission: Admission) -> None:
        self.admission = admission
        self.started = 0.0

    def __enter__(self) -> None:
        self.admission._count(waiting=1, busy=0)
        self.admission._slots.acquire()
        self.admission._count(waiting=-1, busy=1)
        self.started = time.perf_counter()

    def __exit__(self, *exc) -> None:
        self.admission._done(time.perf_counter() - self.started)
        self.admission._slots.release()
