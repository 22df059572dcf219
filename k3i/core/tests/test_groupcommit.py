"""Group commit (k3i.core.groupcommit): concurrent submissions share a batch, each gets its own answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import pytest

from k3i.core.groupcommit import GroupCommit


class Recorder:
    """A ``write`` that keeps the batches it got; the first batch waits until ``release`` is set, so that the
    other submissions queue behind it."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.release = threading.Event()
        self.writing = threading.Event()
        self.finished: set[int] = set()

    def __call__(self, items: Sequence[int]) -> list[object]:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.writing.set()
            assert self.release.wait(10)
        out: list[object] = []
        for i in items:
            out.append(ValueError(f"item {i} ditolak") if i % 10 == 7 else i * 100)
        self.finished.update(items)
        return out


def run_threads(gc: GroupCommit[int, int], items: list[int]) -> dict[int, object]:
    answers: dict[int, object] = {}

    def go(i: int) -> None:
        try:
            answers[i] = gc.submit(i)
        except Exception as exc:  # noqa: BLE001 - recorded for the assertions
            answers[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in items]
    for t in threads:
        t.start()
    return answers, threads  # type: ignore[return-value]


def test_alone_an_item_is_written_at_once_in_a_batch_of_one():
    rec = Recorder()
    rec.release.set()
    gc: GroupCommit[int, int] = GroupCommit(rec, max_batch=8)
    assert gc.submit(3) == 300
    assert gc.submit(4) == 400
    assert rec.batches == [[3], [4]]


def test_items_that_arrive_while_a_batch_is_written_share_the_next_batches():
    rec = Recorder()
    gc: GroupCommit[int, int] = GroupCommit(rec, max_batch=4)
    answers, first = run_threads(gc, [0])
    assert rec.writing.wait(5)  # item 0 is being written and holds the writer
    more, threads = run_threads(gc, list(range(1, 11)))
    deadline = time.monotonic() + 5
    while len(gc._queue) < 10 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert len(gc._queue) == 10  # all queued behind the running batch, none written on its own
    rec.release.set()
    for t in [*first, *threads]:
        t.join(10)
    answers.update(more)
    assert rec.batches[0] == [0]
    assert sorted(len(b) for b in rec.batches[1:]) == [2, 4, 4]  # max_batch respected, nothing left behind
    assert sorted(i for b in rec.batches for i in b) == list(range(11))
    for i in range(11):
        if i == 7:  # its own failure, nobody else's
            assert isinstance(answers[i], ValueError) and "item 7" in str(answers[i])
        else:
            assert answers[i] == i * 100
    assert gc.batches == 4 and gc.items == 11
    assert not gc._writing and gc._queue == []


def test_a_failing_batch_fails_only_its_own_items_and_the_next_batch_still_runs():
    calls: list[list[int]] = []
    gate = threading.Event()
    started = threading.Event()

    def write(items: Sequence[int]) -> list[object]:
        calls.append(list(items))
        if len(calls) == 1:
            started.set()
            assert gate.wait(10)
        if len(calls) == 2:
            raise RuntimeError("basis data mati")
        return [i for i in items]

    gc: GroupCommit[int, int] = GroupCommit(write, max_batch=3)
    answers, threads = run_threads(gc, [1])
    assert started.wait(5)
    more, threads2 = run_threads(gc, [2, 3, 4, 5])
    deadline = time.monotonic() + 5
    while len(gc._queue) < 4 and time.monotonic() < deadline:
        time.sleep(0.005)
    gate.set()
    for t in [*threads, *threads2]:
        t.join(10)
    answers.update(more)
    failed = [i for i, a in answers.items() if isinstance(a, RuntimeError)]
    assert sorted(failed) == sorted(calls[1])  # the second batch, and only it
    assert all(answers[i] == i for i in answers if i not in failed)
    assert len(calls) == 3 and not gc._writing


def test_an_answer_comes_only_after_write_returned():
    rec = Recorder()
    gc: GroupCommit[int, int] = GroupCommit(rec, max_batch=8)
    answers, threads = run_threads(gc, [1, 2, 3])
    assert rec.writing.wait(5)
    time.sleep(0.05)
    assert answers == {}  # everybody waits while the first batch is not written
    rec.release.set()
    for t in threads:
        t.join(10)
    assert set(answers) == {1, 2, 3}


@pytest.mark.parametrize("n", [1, 50])
def test_many_threads_no_deadlock(n):
    gc: GroupCommit[int, int] = GroupCommit(lambda items: [i + 1 for i in items], max_batch=7)
    answers, threads = run_threads(gc, list(range(n)))
    for t in threads:
        t.join(10)
    assert answers == {i: i + 1 for i in range(n)}
    assert gc.items == n and not gc._writing
