"""``/ops/stream``: live events as server-sent events (SSE).

Each event goes out as ``id: <LiveEvent.id>``, ``event: <kind>``, ``data: <payload as JSON>``. A browser's
``EventSource`` reconnects by itself and sends ``Last-Event-ID``; the stream then resumes right after
that event (``?last_event_id=`` does the same for clients that cannot set headers). Without either it
starts from "now". A comment line (``: ping``) goes out when nothing was sent for
``settings.SSE_HEARTBEAT_SECONDS``, so that proxies keep the connection open and dead clients are noticed.

The ``LiveEvent`` table is the bus: an event written by any process on the same database (another web
worker, the simulator, the MQTT ingester) reaches every stream, on SQLite as on PostgreSQL, through the
gap-safe ``Cursor``. Streams do not poll it blindly: writing an event wakes them
(``k3i.core.notify``) — on PostgreSQL through ``NOTIFY k3i_live`` and one listening connection per server
process, and within a process right after the commit. A woken reader reads at once (at most once per
``SSE_MIN_READ_SECONDS``). Unwoken, it reads every ``SSE_FALLBACK_POLL_SECONDS`` while the process's
listener is connected (a lost notification costs only that much latency), every ``SSE_POLL_SECONDS``
without one (SQLite: writes of other processes are seen that way), and every 0.25 s at most while an
event is still in flight. Each user receives only the events of their territory and function
(``k3i.core.events.events_for``, the rules of ``restrict``).

Under uvicorn (``k3i serve``, ASGI) the view streams from an async generator, and the streams of a process
(of an event loop) share one reader, ``_SharedReader``: one gap-safe ``Cursor`` and one task that, on each
wake-up, reads the new events once, of every territory (``Cursor.read_all``), formats each once and hands
every joined stream those its ``events.EventFilter`` lets through (the rule of ``event_scope_q`` in
memory, rebuilt at each re-check of the reader) — two queries per wake-up whatever the number of
dashboards, instead of two per stream. A stream joins it only where it stands: a new stream ("now") at
once (the first one hands its cursor over and starts the task; the task ends when the last stream
leaves), a reconnect with an older ``Last-Event-ID`` after catching up on its own with its own cursor.
From then on it receives every later event exactly once, in id order (ids up to its own position are
skipped), and the gap rule is the shared cursor's. Each joined stream has its own queue, so a slow
client holds up nobody; beyond ``BUFFER`` events waiting (``settings.SSE_STREAM_BUFFER``) it leaves the
shared reader, sends what it has, reads on its own from there and joins again once caught up. If the
shared read fails, every joined stream goes on on its own likewise. ``SSE_SHARED_READER = False``
makes every stream read on its own (as before the shared reader).

All database work runs outside the event loop, in threads (``sync_to_async(..., thread_sensitive=False)``
with one-thread executors: one per stream, one for the shared reader), so a waiting stream holds no worker
thread and no database connection (it is given back after each read), and each thread's connection is
closed when it ends. Under WSGI (``manage runserver``, the plain test client) the stream keeps reading on
its own, as a blocking generator that polls every ``SSE_POLL_SECONDS``.

Access: anonymous → 401; a role without ``view_liveevent`` → 404. Every few heartbeats the stream
checks again that the user is still active and still logged in (or the token still valid) and ends
otherwise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections, connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from k3i.core import notify
from k3i.core.access import can
from k3i.core.errors import K3iError
from k3i.core.events import Cursor, EventFilter, LiveEvent, latest_id

log = logging.getLogger("k3i.stream")

BATCH = 200  # events per read; a longer backlog is sent in several reads without waiting
RETRY_MS = 3000  # the browser waits this long before reconnecting
RECHECK_SECONDS = 60.0  # how often the stream re-checks that its reader may still read
GAP_GRACE_SECONDS = 5.0  # how long to wait for an event still in flight (see k3i.core.events.Cursor)
FALLBACK_POLL_SECONDS = 1.5  # between reads while nothing wakes the stream (settings.SSE_FALLBACK_POLL_SECONDS)
MIN_READ_SECONDS = 0.1  # at most one read per this many seconds however often woken (SSE_MIN_READ_SECONDS)
GAP_POLL_SECONDS = 0.25  # at most this long between reads while an event is still in flight
CONCURRENT_READS = 4  # streams of one process reading at the same time (settings.SSE_CONCURRENT_READS)
BUFFER = 1000  # events waiting for one stream at most; beyond that a slow stream reads on its own again

# One write wakes every stream of the process at once; a gate per event loop (uvicorn: per process) lets
# only a few read at a time, so that the burst needs a few pooled database connections, not one per stream.
_gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = weakref.WeakKeyDictionary()


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(int(getattr(settings, "SSE_CONCURRENT_READS", CONCURRENT_READS)))
    return gate


def format_event(event_id: int, kind: str, payload: Any) -> str:
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
    # JSON has no raw newlines, but a kind is free text: keep each field on one line.
    kind = kind.replace("\n", " ").replace("\r", " ")
    return f"id: {event_id}\nevent: {kind}\ndata: {data}\n\n"


def _parse_last_id(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    raw = raw.strip()
    if not raw.isdigit() or len(raw) > 19:
        return None
    return int(raw)


class _Reader:
    """Who reads the stream: the user, and how they authenticated (re-checked while the stream runs)."""

    def __init__(self, request: HttpRequest) -> None:
        self.user: Any = None
        self.token_id: int | None = None
        self.session_key: str | None = None
        self.error: HttpResponse | None = None
        self._authenticate(request)

    def _authenticate(self, request: HttpRequest) -> None:
        auth = request.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            from k3i.accounts.auth import TokenAuth

            try:
                user = TokenAuth().authenticate(request, auth[7:].strip())
            except K3iError as exc:
                self.error = JsonResponse(exc.as_dict(), status=401)
                return
            self.user = user
            token = getattr(request, "api_token", None)
            self.token_id = token.pk if token is not None else None
        else:
            from k3i.accounts.security import second_factor_ok

            user = request.user
            if second_factor_ok(user):
                self.user = user
                self.session_key = request.session.session_key
        if self.user is None:
            self.error = JsonResponse(
                {"detail": "Perlu autentikasi: login atau kirim token API yang sah.", "errors": []}, status=401
            )

    def still_allowed(self) -> bool:
        """Re-read the user (role and scope may have changed) and the login behind the stream."""
        from k3i.accounts.models import ApiToken, User

        fresh = User.objects.filter(pk=self.user.pk, is_active=True).first()
        if fresh is None or not can(fresh, "view_liveevent"):
            return False
        if self.token_id is not None:
            token = ApiToken.objects.filter(pk=self.token_id).first()
            if token is None or not token.is_valid():
                return False
        elif self.session_key:
            store = import_module(settings.SESSION_ENGINE).SessionStore(self.session_key)
            if str(store.load().get(SESSION_KEY, "")) != str(fresh.pk):
                return False  # logged out or expired
        self.user = fresh
        return True


class _Feed:
    """The stream's state and one step of its loop, shared by the async and the blocking variant."""

    def __init__(self, reader: _Reader, after_id: int, fresh: bool = False) -> None:
        self.reader = reader
        self.cursor = _cursor(after_id)
        self.fresh = fresh  # starts from "now" (no Last-Event-ID): nothing to catch up on
        self.last_sent = time.monotonic()
        self.last_check = time.monotonic()
        self.parked = False  # waiting for a wake-up or for its shared reader (see ``parked()``)
        self.sub: _Subscriber | None = None  # joined to the process's shared reader
        self.shared: _SharedReader | None = None

    @property
    def full(self) -> bool:
        """The last read stopped at a full batch: read again without waiting."""
        return self.cursor.full

    def preamble(self) -> str:
        return f"retry: {RETRY_MS}\n: K3i peristiwa langsung, mulai setelah id {self.cursor.after_id}\n\n"

    def heartbeat_due(self, now: float) -> bool:
        return now - self.last_sent >= settings.SSE_HEARTBEAT_SECONDS

    def step(self) -> str | None:
        """Read new events (and say whether a heartbeat is due). ``None``: the stream must end."""
        now = time.monotonic()
        if now - self.last_check >= RECHECK_SECONDS:
            self.last_check = now
            if not self.reader.still_allowed():
                return None
        events = self.cursor.read(self.reader.user, BATCH)
        out = "".join(format_event(e.pk, e.kind, e.payload) for e in events)
        if not out and self.heartbeat_due(now):
            out = ": ping\n\n"
        if out:
            self.last_sent = now
        return out


def _cursor(after_id: int) -> Cursor:
    return Cursor(after_id, grace=float(getattr(settings, "SSE_GAP_GRACE_SECONDS", GAP_GRACE_SECONDS)))


def _close_db() -> None:
    connections.close_all()


def _step_in_own_thread(feed: _Feed) -> str | None:
    # The stream's thread is outside any request: renew a broken or too old connection, like Django does
    # at the start of each request.
    close_old_connections()
    try:
        return feed.step()
    finally:
        # Give the connection back between polls (to the PostgreSQL pool), so that an idle dashboard holds none.
        close_old_connections()


def _open_in_own_thread(request: HttpRequest) -> _Feed | HttpResponse:
    try:
        return _open(request)
    finally:
        close_old_connections()  # back to the pool until the first read


def _release(executor: ThreadPoolExecutor) -> None:
    """Close the stream's database connection in the thread that opened it, then let the thread go."""
    executor.submit(_close_db)
    executor.shutdown(wait=False)


def _wait_seconds(cursor: Cursor) -> float:
    """How long a reader may wait for a wake-up before it reads anyway."""
    poll = float(settings.SSE_POLL_SECONDS)
    if cursor.blocked:
        # An event still in flight: its transaction may end in a rollback, which announces nothing.
        return min(poll, GAP_POLL_SECONDS)
    if not notify.listener.connected:
        # SQLite (writes of other processes are not announced) or no PostgreSQL listener (yet).
        return poll
    return max(poll, float(getattr(settings, "SSE_FALLBACK_POLL_SECONDS", FALLBACK_POLL_SECONDS)))


def _min_gap() -> float:
    return min(float(getattr(settings, "SSE_MIN_READ_SECONDS", MIN_READ_SECONDS)), float(settings.SSE_POLL_SECONDS))


# --- the shared reader: one read per wake-up for all the streams of the process ---------------------------

class _Subscriber:
    """A stream joined to its process's shared reader: the events handed to it and not sent yet."""

    def __init__(self, after_id: int, accept: EventFilter) -> None:
        self.after_id = after_id  # every event up to here is sent or queued: the shared reader skips it
        self.accept = accept  # the stream's reader's territory (rebuilt when the stream re-checks them)
        self.chunks: list[str] = []
        self.queued = 0  # events in ``chunks``
        self.detached = False  # too far behind, or the shared reader stopped: read on its own from ``after_id``
        self.ready = asyncio.Event()  # something in ``chunks``, or detached

    def detach(self) -> None:
        self.detached = True
        self.ready.set()


def _read_all_in_own_thread(cursor: Cursor) -> list[tuple[LiveEvent, str]]:
    close_old_connections()
    try:
        return [(e, format_event(e.pk, e.kind, e.payload)) for e in cursor.read_all(BATCH)]
    finally:
        close_old_connections()


class _SharedReader:
    """The streams of one event loop (uvicorn: one process) read the event log together.

    One ``Cursor`` and one task: on each wake-up it reads the new events once, of every territory, and hands
    each joined stream those its ``EventFilter`` lets through (formatted once), in id order. Everything runs
    in the loop's thread but the read itself (a thread of the reader's own), so joining, leaving and
    handing out never race. A stream joins only where the reader stands or behind it (``join``): from then
    on it receives every later event exactly once; the ids up to its own position are skipped.
    """

    def __init__(self) -> None:
        self.cursor: Cursor | None = None  # None: no task (no stream joined yet, or all left)
        self.position = 0  # every event up to here has been handed out
        self.subscribers: set[_Subscriber] = set()
        self.task: asyncio.Task[None] | None = None
        self.waiter: notify.Waiter | None = None
        self.parked = False  # waiting for a wake-up (see ``parked()``)
        self.reads = 0  # reads so far (tests, diagnostics)

    def join(self, cursor: Cursor, at_head: bool, accept: EventFilter) -> _Subscriber | None:
        """Join a stream that has read (on its own) up to ``cursor``; ``None``: it must catch up first.

        Without a running reader the stream starts it, handing over its cursor, once it stands at the end of
        the log (``at_head``). With one, the stream may join at or past the reader's position.
        """
        if self.cursor is None:
            if not at_head:
                return None
            self.cursor, self.position = cursor, cursor.after_id
            sub = _Subscriber(cursor.after_id, accept)
            self.subscribers.add(sub)
            self.task = asyncio.get_running_loop().create_task(self._run())
            return sub
        if cursor.after_id < self.position:
            return None
        sub = _Subscriber(cursor.after_id, accept)
        self.subscribers.add(sub)
        return sub

    def leave(self, sub: _Subscriber) -> None:
        self.subscribers.discard(sub)
        if not self.subscribers and self.waiter is not None:
            self.waiter.event.set()  # the task ends now instead of after its next wait

    def _hand_out(self, events: list[tuple[LiveEvent, str]], position: int) -> None:
        limit = int(getattr(settings, "SSE_STREAM_BUFFER", BUFFER))
        for sub in list(self.subscribers):
            mine = [text for e, text in events if e.pk > sub.after_id and sub.accept(e)]
            if mine:
                if sub.queued + len(mine) > limit:
                    # A slow client: it goes on reading on its own from what it has, and nobody waits for it.
                    self.subscribers.discard(sub)
                    sub.detach()
                    continue
                sub.chunks.append("".join(mine))
                sub.queued += len(mine)
                sub.ready.set()
            sub.after_id = max(sub.after_id, position)
        self.position = position

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="k3i-sse-shared")
        read = sync_to_async(_read_all_in_own_thread, thread_sensitive=False, executor=executor)
        self.waiter = waiter = notify.hub.waiter()
        try:
            while self.subscribers:
                notify.listener.ensure()
                waiter.clear()
                started = loop.time()
                cursor = self.cursor
                assert cursor is not None
                try:
                    async with _gate():
                        events = await read(cursor)
                except Exception:
                    # Every joined stream goes on on its own (and ends if the database keeps failing).
                    log.warning("pembaca bersama peristiwa langsung gagal membaca basis data", exc_info=True)
                    return
                self.reads += 1
                self._hand_out(events, cursor.after_id)
                if cursor.full:
                    continue
                if not self.subscribers:
                    break
                self.parked = True
                try:
                    await waiter.wait(_wait_seconds(cursor))
                finally:
                    self.parked = False
                rest = _min_gap() - (loop.time() - started)
                if rest > 0:  # woken again right away (a burst of writes): let a few more gather first
                    await asyncio.sleep(rest)
        finally:
            for sub in self.subscribers:
                sub.detach()
            self.subscribers = set()
            self.cursor = self.task = self.waiter = None
            waiter.close()
            _release(executor)


_shared_readers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _SharedReader] = weakref.WeakKeyDictionary()
_feeds: weakref.WeakSet[_Feed] = weakref.WeakSet()  # the async streams running now


def _shared() -> _SharedReader:
    loop = asyncio.get_running_loop()
    reader = _shared_readers.get(loop)
    if reader is None:
        reader = _shared_readers[loop] = _SharedReader()
    return reader


def parked() -> int:
    """Streams of this process waiting with no read of theirs under way (0 while a shared reader reads).

    For tests and diagnostics: from the moment it returns ``n`` until the next write, nothing reads the log.
    """
    if any(r.task is not None and not r.parked for r in list(_shared_readers.values())):
        return 0
    return sum(1 for f in list(_feeds) if f.parked)


def _filter_in_own_thread(reader: _Reader, recheck: bool) -> EventFilter | None:
    """The reader's ``EventFilter`` (``None``: re-checked and no longer allowed: the stream ends)."""
    close_old_connections()
    try:
        if recheck and not reader.still_allowed():
            return None
        return EventFilter.for_user(reader.user)
    finally:
        close_old_connections()


async def _async_stream(feed: _Feed, executor: ThreadPoolExecutor) -> AsyncIterator[str]:
    """The stream under ASGI: it reads on its own until it stands where the process's shared reader stands
    (a reconnect with an older ``Last-Event-ID``), then joins it; back on its own if it falls too far behind."""
    step = sync_to_async(_step_in_own_thread, thread_sensitive=False, executor=executor)
    accept_for = sync_to_async(_filter_in_own_thread, thread_sensitive=False, executor=executor)
    loop = asyncio.get_running_loop()
    waiter = notify.hub.waiter()
    shared = feed.shared = _shared()
    at_head = feed.fresh
    _feeds.add(feed)
    try:
        yield feed.preamble()
        while True:
            notify.listener.ensure()  # PostgreSQL: the process's one listener (started by the first stream)
            if feed.sub is None and getattr(settings, "SSE_SHARED_READER", True) and (
                    shared.cursor is None and at_head or shared.cursor is not None
                    and feed.cursor.after_id >= shared.position):
                try:
                    async with _gate():
                        accept = await accept_for(feed.reader, False)
                except Exception:
                    log.warning("aliran peristiwa dihentikan: pembacaan basis data gagal", exc_info=True)
                    return
                assert accept is not None
                feed.sub = shared.join(feed.cursor, at_head, accept)  # None: the reader moved on meanwhile
            if feed.sub is not None:
                async for chunk in _joined(feed, accept_for):
                    if chunk is None:
                        return
                    yield chunk
                at_head = False  # detached: read on from what was sent, then join again
                continue
            waiter.clear()  # a wake-up from now on means: read again after this read
            started = loop.time()
            try:
                async with _gate():
                    chunk = await step(feed)
            except Exception:
                # The database failed: end the stream. The browser reconnects after ``retry`` with
                # Last-Event-ID, so nothing is lost, and a lasting failure shows as a failed request.
                log.warning("aliran peristiwa dihentikan: pembacaan basis data gagal", exc_info=True)
                return
            if chunk is None:
                return
            if chunk:
                yield chunk
            at_head = not feed.full
            if feed.full:
                continue
            if shared.cursor is not None and feed.cursor.after_id >= shared.position:
                continue  # caught up: join at once
            feed.parked = True
            try:
                await waiter.wait(_wait_seconds(feed.cursor))
            finally:
                feed.parked = False
            rest = _min_gap() - (loop.time() - started)
            if rest > 0:  # woken again right away (a burst of writes): let a few more gather first
                await asyncio.sleep(rest)
    finally:
        _feeds.discard(feed)
        waiter.close()
        if feed.sub is not None:
            shared.leave(feed.sub)
        _release(executor)


async def _joined(feed: _Feed, accept_for: Any) -> AsyncIterator[str | None]:
    """Send what the shared reader hands over; ``None``: the stream must end. Returns when detached, with
    ``feed.cursor`` where the stream goes on reading on its own."""
    sub = feed.sub
    assert sub is not None
    while True:
        now = time.monotonic()
        if now - feed.last_check >= RECHECK_SECONDS:
            feed.last_check = now
            try:
                async with _gate():
                    accept = await accept_for(feed.reader, True)
            except Exception:
                log.warning("aliran peristiwa dihentikan: pembacaan basis data gagal", exc_info=True)
                accept = None
            if accept is None:
                yield None
                return
            sub.accept = accept
        if sub.chunks:
            chunk = "".join(sub.chunks)
            sub.chunks.clear()
            sub.queued = 0
            feed.last_sent = time.monotonic()
            yield chunk
            continue
        if sub.detached:
            feed.cursor = _cursor(sub.after_id)
            feed.sub = None
            return
        sub.ready.clear()
        due = min(settings.SSE_HEARTBEAT_SECONDS - (now - feed.last_sent), RECHECK_SECONDS - (now - feed.last_check))
        feed.parked = True
        try:
            async with asyncio.timeout(max(due, 0.01)):
                await sub.ready.wait()
        except TimeoutError:
            pass
        finally:
            feed.parked = False
        if not sub.chunks and not sub.detached and feed.heartbeat_due(time.monotonic()):
            feed.last_sent = time.monotonic()
            yield ": ping\n\n"


def _blocking_stream(feed: _Feed) -> Iterator[str]:
    yield feed.preamble()
    while True:
        chunk = feed.step()
        if chunk is None:
            return
        if chunk:
            yield chunk
        if not feed.full:
            time.sleep(settings.SSE_POLL_SECONDS)


def _open(request: HttpRequest) -> _Feed | HttpResponse:
    """Authenticate and find where to start (runs in the request's sync thread)."""
    reader = _Reader(request)
    if reader.error is not None:
        return reader.error
    if not can(reader.user, "view_liveevent"):
        raise Http404
    after = _parse_last_id(request)
    return _Feed(reader, latest_id() if after is None else after, fresh=after is None)


async def stream(request: HttpRequest) -> HttpResponseBase:
    if request.method != "GET":
        return JsonResponse({"detail": "Gunakan GET untuk aliran peristiwa.", "errors": []}, status=405)
    if not isinstance(request, ASGIRequest):  # WSGI: everything in the request's own thread
        opened = await sync_to_async(_open)(request)
        if isinstance(opened, HttpResponse):
            return opened
        return _response(_blocking_stream(opened))
    # ASGI: the stream's own thread does all its database work, from authentication on, so that the
    # stream holds exactly one connection, closed when it ends.
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="k3i-sse")
    try:
        async with _gate():  # after a server restart every browser connects at once
            opened = await sync_to_async(_open_in_own_thread, thread_sensitive=False, executor=executor)(request)
    except BaseException:
        _release(executor)
        raise
    if isinstance(opened, HttpResponse):
        _release(executor)
        return opened
    return _response(_async_stream(opened, executor))


def _response(content: Any) -> StreamingHttpResponse:
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event through at once
    return response
