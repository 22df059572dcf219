"""Group commit: writes that arrive at the same time share one transaction.

Under load, reports reach a web process concurrently, one per request thread. Written one by one, each
pays a transaction of its own (BEGIN, every INSERT, COMMIT and its flush to disk). ``GroupCommit`` lets
them queue instead: the first thread to arrive becomes the *leader* and writes what is queued, up to
``max_batch`` items, in one transaction with multi-row INSERTs; the others wait for their result. When
the leader is done, the next waiting thread (if any) leads the next batch with everything that queued
meanwhile. Nobody waits for a timer: alone, an item is written at once, exactly as before; the batches
form only while the database is busy.

Each caller gets back its own result, or its own exception — the ``write`` function decides per item
(a retried report, for instance, must not fail the others of its batch). An exception that ``write``
raises for the whole batch goes to every item of it. A result is handed out only after ``write``
returned, that is after its transaction committed: a caller is answered only for what is stored.

The leader writes on its own thread's database connection; callers that are already inside a
transaction must not use this (their write would leave their transaction) — see
``k3i.incidents.actions.create_incident``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class _Job(Generic[T, R]):
    __slots__ = ("item", "done", "lead", "result", "error")

    def __init__(self, item: T) -> None:
        self.item = item
        self.done = threading.Event()
        self.lead = False  # woken to lead the next batch rather than with a result
        self.result: R | None = None
        self.error: BaseException | None = None


class GroupCommit(Generic[T, R]):
    """``submit(item)`` returns ``write([.., item, ..])``'s entry for ``item`` (or raises its exception).

    ``write(items)`` must return one entry per item, in order: a result, or an exception instance for an
    item that failed on its own.
    """

    def __init__(self, write: Callable[[Sequence[T]], Sequence[R | BaseException]], max_batch: int = 64) -> None:
        self._write = write
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Job[T, R]] = []
        self._writing = False
        # For benchmarks and tests: how many batches and items were written (read without the lock).
        self.batches = 0
        self.items = 0

    def submit(self, item: T) -> R:
        job: _Job[T, R] = _Job(item)
        with self._lock:
            self._queue.append(job)
            leading = not self._writing
            self._writing = True
        if not leading:
            job.done.wait()
        if leading or job.lead:
            self._lead()  # this thread's job is first in the queue: it is in the batch it writes
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _lead(self) -> None:
        with self._lock:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch:]
        try:
            try:
                results = list(self._write([j.item for j in batch]))
                if len(results) != len(batch):
                    raise RuntimeError(f"write returned {len(results)} results for {len(batch)} items")
            except BaseException as exc:  # noqa: BLE001 - handed to every caller of the batch
                results = [exc] * len(batch)
            self.batches += 1
            self.items += len(batch)
            for job, result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    job.error = result
                else:
                    job.result = result
        finally:
            with self._lock:
                nxt = self._queue[0] if self._queue else None
                if nxt is None:
                    self._writing = False
                else:
                    nxt.lead = True
            for job in batch:
                job.done.set()
            if nxt is not None:
                nxt.done.set()
