"""Wake-ups for the live streams: tell the waiting ``/ops/stream`` readers that new events may be there.

The ``LiveEvent`` table stays the bus and each stream's ``events.Cursor`` the source of truth; this module
only shortens the wait between two reads.

- Writers: ``events.emit`` / ``emit_many`` call ``announce()`` inside the action's transaction. On
  PostgreSQL it runs ``pg_notify('k3i_live', '')``, which PostgreSQL delivers only if and when the
  transaction commits (never for a rollback); once per transaction, however many events it writes.
  Where no listener of this process is connected (SQLite, or PostgreSQL while the listener reconnects)
  the streams of this process are also woken right after the commit (``transaction.on_commit``).
- Readers: one ``Hub`` per process; each waiting stream holds an ``asyncio.Event`` in it (``hub.waiter()``),
  and ``hub.wake()`` (from any thread) sets them all — one callback per event loop, coalesced.
- One ``Listener`` per process (PostgreSQL only): a daemon thread with its own psycopg connection (not
  from Django's pool, not per client) that runs ``LISTEN k3i_live`` and wakes the hub on every
  notification. The first stream starts it. A new connection must first receive a test notification of
  its own (behind a pooler in transaction mode LISTEN receives nothing: the streams then keep polling).
  It reconnects with back-off when its connection drops (and wakes every stream when it is back, since
  notifications may have been missed), and it closes itself ``LINGER_SECONDS`` after the last stream of
  the process has ended.

Nothing here holds a database connection per client, and a stream holds none while it waits. A lost
notification or a dropped listener costs latency, never an event: the streams keep a slower fallback poll.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

log = logging.getLogger("k3i.stream")

CHANNEL = "k3i_live"
LINGER_SECONDS = 2.0  # the listener stays this long after the last stream of the process ended
TICK_SECONDS = 0.5  # how often the listener looks up from its connection (stop, linger, health check)
PING_SECONDS = 15.0  # a quiet listener checks its connection this often (a dead link shows as an error)
BACKOFF = (0.5, 30.0)  # first and longest pause before reconnecting
PROBE_SECONDS = 5.0  # a new listening connection must receive its own test notification within this time


class Waiter:
    """One stream's place in the hub: ``clear()`` before reading, ``await wait(timeout)`` after."""

    def __init__(self, hub: Hub, loop: asyncio.AbstractEventLoop) -> None:
        self.hub, self.loop = hub, loop
        self.event = asyncio.Event()
        self.parked = False  # inside wait(): the stream reads nothing until woken or timed out

    def clear(self) -> None:
        self.event.clear()

    async def wait(self, timeout: float) -> bool:
        """True when woken, False when ``timeout`` seconds passed first."""
        if self.event.is_set():
            return True
        self.parked = True
        try:
            async with asyncio.timeout(timeout):
                await self.event.wait()
        except TimeoutError:
            return False
        finally:
            self.parked = False
        return True

    def close(self) -> None:
        self.hub._remove(self)


class Hub:
    """The waiting streams of this process, by event loop (uvicorn: one loop per process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[asyncio.AbstractEventLoop, set[Waiter]] = {}
        self._pending: set[asyncio.AbstractEventLoop] = set()  # loops with a wake-up already on its way
        self._empty_since: float = time.monotonic()
        self.wakes = 0  # wake() calls so far (for tests and diagnostics)

    def waiter(self) -> Waiter:
        """Register a waiter for the running event loop; ``close()`` it when the stream ends."""
        loop = asyncio.get_running_loop()
        w = Waiter(self, loop)
        with self._lock:
            self._waiters.setdefault(loop, set()).add(w)
        return w

    def _remove(self, w: Waiter) -> None:
        with self._lock:
            group = self._waiters.get(w.loop)
            if group is not None:
                group.discard(w)
                if not group:
                    del self._waiters[w.loop]
                    self._pending.discard(w.loop)
            if not self._waiters:
                self._empty_since = time.monotonic()

    def parked(self) -> int:
        """How many streams of this process are waiting right now (for tests and diagnostics)."""
        with self._lock:
            return sum(w.parked for group in self._waiters.values() for w in group)

    def idle_for(self) -> float:
        """Seconds since the last waiter left (0 while a stream waits). Waiters of closed loops do not count."""
        with self._lock:
            for loop in [lp for lp in self._waiters if lp.is_closed()]:
                del self._waiters[loop]
                self._pending.discard(loop)
                if not self._waiters:
                    self._empty_since = time.monotonic()
            return 0.0 if self._waiters else time.monotonic() - self._empty_since

    def wake(self) -> None:
        """Wake every waiting stream of this process. Safe from any thread; cheap when nobody waits."""
        with self._lock:
            self.wakes += 1
            loops = [lp for lp in self._waiters if lp not in self._pending]
            self._pending.update(loops)
        for loop in loops:
            try:
                loop.call_soon_threadsafe(self._set_all, loop)
            except RuntimeError:  # the loop is closed: its streams are gone
                with self._lock:
                    self._waiters.pop(loop, None)
                    self._pending.discard(loop)

    def _set_all(self, loop: asyncio.AbstractEventLoop) -> None:
        # In ``loop``'s thread. A wake() that came while this was pending is covered: it happened before
        # the events are set below, so every stream reads again after it.
        with self._lock:
            self._pending.discard(loop)
            waiters = list(self._waiters.get(loop, ()))
        for w in waiters:
            w.event.set()


hub = Hub()


def _postgresql() -> bool:
    return bool(settings.DATABASES[DEFAULT_DB_ALIAS]["ENGINE"] == "django.db.backends.postgresql")


class _Run:
    """One listener thread's own state (a thread that is ending never touches its successor's)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.connected = False
        self.pid: int | None = None


class Listener:
    """``LISTEN k3i_live`` on a connection of its own, in a daemon thread; wakes ``hub`` on each notification."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.connects = 0  # successful connections so far (for tests and diagnostics)
        self._lock = threading.Lock()
        self._run: _Run | None = None
        self._thread: threading.Thread | None = None

    @property
    def connected(self) -> bool:
        """LISTEN is in place: the streams of this process may wait longer between reads."""
        run = self._run
        return run is not None and run.connected

    @property
    def pid(self) -> int | None:
        """The PostgreSQL backend of the listening connection, while connected."""
        run = self._run
        return run.pid if run is not None else None

    def ensure(self) -> None:
        """Start the listener if this process has none (PostgreSQL only). Cheap: streams call it every round."""
        if self._run is not None or not _postgresql():
            return
        with self._lock:
            if self._run is None:
                self._run = _Run()
                self._thread = threading.Thread(target=self._main, args=(self._run,), name="k3i-live-listener",
                                                daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listening connection and end the thread (tests, shutdown)."""
        with self._lock:
            run, thread = self._run, self._thread
            self._run = self._thread = None
        if run is not None:
            run.stop.set()
        if thread is not None:
            thread.join(timeout)

    def _params(self) -> dict[str, Any]:
        params = dict(connections[DEFAULT_DB_ALIAS].get_connection_params())
        for key in ("cursor_factory", "context", "prepare_threshold"):
            params.pop(key, None)
        params.setdefault("application_name", "k3i-live-listener")
        # A dead link shows as an error within about half a minute instead of TCP's many minutes.
        params.update(keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3)
        params.setdefault("connect_timeout", 10)
        return params

    def _done(self, run: _Run) -> bool:
        """Stopped, or no stream in this process for ``LINGER_SECONDS``: then this listener ends."""
        if run.stop.is_set():
            return True
        with self._lock:
            if self.hub.idle_for() >= LINGER_SECONDS:
                if self._run is run:
                    self._run = self._thread = None  # a stream arriving now starts a new listener
                run.stop.set()
                return True
        return False

    def _main(self, run: _Run) -> None:
        import psycopg

        delay, failing = BACKOFF[0], False
        try:
            while not self._done(run):
                try:
                    with psycopg.connect(**self._params(), autocommit=True) as conn:
                        conn.execute(f"LISTEN {CHANNEL}")
                        self._probe(conn)
                        self.hub.wake()  # notifications may have been missed while nobody listened
                        run.pid, run.connected = conn.info.backend_pid, True
                        self.connects += 1
                        if failing:
                            log.warning("pendengar peristiwa langsung tersambung kembali")
                        delay, failing = BACKOFF[0], False
                        self._listen(conn, run)
                except Exception as exc:
                    if not failing:
                        log.warning("pendengar peristiwa langsung terputus (%s); aliran kembali membaca berkala",
                                    str(exc).strip() or type(exc).__name__)
                    failing = True
                finally:
                    run.connected, run.pid = False, None
                if run.stop.wait(delay):
                    break
                delay = min(delay * 2, BACKOFF[1])
        finally:
            run.connected = False
            with self._lock:
                if self._run is run:
                    self._run = self._thread = None

    def _probe(self, conn: Any) -> None:
        """Check that notifications really arrive on this connection (not so behind a pooler in transaction
        mode, for one): else the streams would wait for the fallback poll after every write."""
        probe = f"uji {os.getpid()} {time.monotonic()}"
        conn.execute("SELECT pg_notify(%s, %s)", [CHANNEL, probe])
        for n in conn.notifies(timeout=PROBE_SECONDS):
            if n.payload == probe:
                return
        raise RuntimeError("LISTEN tidak menerima notifikasi (pooler dalam mode transaksi?)")

    def _listen(self, conn: Any, run: _Run) -> None:
        quiet_since = time.monotonic()
        while not self._done(run):
            for _ in conn.notifies(timeout=TICK_SECONDS):
                self.hub.wake()
                quiet_since = time.monotonic()
            if time.monotonic() - quiet_since >= PING_SECONDS:
                conn.execute("SELECT 1")
                quiet_since = time.monotonic()


listener = Listener(hub)


def _after_commit() -> None:
    """Runs once after a transaction that wrote live events committed."""
    if not listener.connected:  # otherwise the listener's notification wakes this process's streams too
        hub.wake()


def announce(using: str = DEFAULT_DB_ALIAS) -> None:
    """Called inside a transaction that wrote live events: wake the streams when (and if) it commits.

    Once per transaction: a second call finds the first one's ``on_commit`` entry (Django drops that
    entry, together with PostgreSQL's pending notification, when a savepoint around it rolls back).
    """
    conn = connections[using]
    if any(entry[1] is _after_commit for entry in getattr(conn, "run_on_commit", ())):
        return
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SELECT pg_notify(%s, '')", [CHANNEL])
    transaction.on_commit(_after_commit, using=using)
