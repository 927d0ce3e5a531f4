"""ui.admission: a bounded worker pool and queue; beyond them a question is refused at once, with when to retry."""

import threading
import time

import pytest

from rag.errors import Overloaded
from ui.admission import Admission


def test_questions_beyond_workers_and_queue_are_refused_at_once():
    admission = Admission(workers=1, queue=1)
    with admission.request(), admission.request():
        started = time.monotonic()
        with pytest.raises(Overloaded, match="1 questions being answered, 1 waiting") as refused, admission.request():
            pass
        assert time.monotonic() - started < 0.1 and refused.value.retry_after >= 1
    with admission.request():  # places are given back
        assert admission.admitted == 1
    assert admission.admitted == 0


def test_at_most_workers_compute_at_once_and_a_slot_can_be_taken_again():
    admission = Admission(workers=2, queue=10)
    running, peak, lock = [0], [0], threading.Lock()

    def question():
        with admission.request():
            worker = admission.worker()
            for _ in range(2):  # before and after an LLM would write
                with worker:
                    with lock:
                        running[0] += 1
                        peak[0] = max(peak[0], running[0])
                    time.sleep(0.02)
                    with lock:
                        running[0] -= 1

    threads = [threading.Thread(target=question) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 2 and admission.admitted == 0


def test_busy_workers_and_the_queue_are_counted_for_the_metrics():
    admission = Admission(workers=1, queue=2)
    entered = threading.Event()

    def waiter():
        with admission.request(), admission.worker():
            entered.set()

    with admission.request(), admission.worker():
        thread = threading.Thread(target=waiter)
        thread.start()
        deadline = time.monotonic() + 5
        while admission.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (admission.admitted, admission.busy, admission.waiting) == (2, 1, 1)
    thread.join(timeout=5)
    assert entered.is_set() and (admission.admitted, admission.busy, admission.waiting) == (0, 0, 0)
