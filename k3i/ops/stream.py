"""``/ops/stream``: live events as server-sent events (SSE).

Each event goes out as ``id: <LiveEvent.id>``, ``event: <kind>``, ``data: <payload as JSON>``. A browser's
``EventSource`` reconnects by itself and sends ``Last-Event-ID``; the stream then resumes right after
that event (``?last_event_id=`` does the same for clients that cannot set headers). Without either it
starts from "now". A comment line (``: ping``) goes out when nothing was sent for
``settings.SSE_HEARTBEAT_SECONDS``, so that proxies keep the connection open and dead clients are noticed.

The ``LiveEvent`` table is the bus: an event written by any process on the same database (another web
worker, the simulator, the MQTT ingester) reaches every stream, on SQLite as on PostgreSQL, through the
stream's gap-safe ``Cursor``. Streams do not poll it blindly: writing an event wakes them
(``k3i.core.notify``) — on PostgreSQL through ``NOTIFY k3i_live`` and one listening connection per server
process, and within a process right after the commit. A woken stream reads at once (at most once per
``SSE_MIN_READ_SECONDS``). Unwoken, it reads every ``SSE_FALLBACK_POLL_SECONDS`` while the process's
listener is connected (a lost notification costs only that much latency), every ``SSE_POLL_SECONDS``
without one (SQLite: writes of other processes are seen that way), and every 0.25 s at most while an
event is still in flight. Each user receives only the events of their territory and function
(``k3i.core.events.events_for``, the rules of ``restrict``).

Under uvicorn (``k3i serve``, ASGI) the view streams from an async generator; the database is read in a
thread of the stream's own (``sync_to_async(..., thread_sensitive=False)`` with a one-thread executor),
so a waiting stream holds no worker thread and no database connection (it is given back after each
read), and its thread's connection is closed when it ends. Under WSGI (``manage runserver``, the plain
test client) the same loop runs as a blocking generator that polls every ``SSE_POLL_SECONDS``.

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
from k3i.core.events import Cursor, latest_id

log = logging.getLogger("k3i.stream")

BATCH = 200  # events per read; a longer backlog is sent in several reads without waiting
RETRY_MS = 3000  # the browser waits this long before reconnecting
RECHECK_SECONDS = 60.0  # how often the stream re-checks that its reader may still read
GAP_GRACE_SECONDS = 5.0  # how long to wait for an event still in flight (see k3i.core.events.Cursor)
FALLBACK_POLL_SECONDS = 1.5  # between reads while nothing wakes the stream (settings.SSE_FALLBACK_POLL_SECONDS)
MIN_READ_SECONDS = 0.1  # at most one read per this many seconds however often woken (SSE_MIN_READ_SECONDS)
GAP_POLL_SECONDS = 0.25  # at most this long between reads while an event is still in flight
CONCURRENT_READS = 4  # streams of one process reading at the same time (settings.SSE_CONCURRENT_READS)

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

    def __init__(self, reader: _Reader, after_id: int) -> None:
        self.reader = reader
        self.cursor = Cursor(after_id, grace=float(getattr(settings, "SSE_GAP_GRACE_SECONDS", GAP_GRACE_SECONDS)))
        self.last_sent = time.monotonic()
        self.last_check = time.monotonic()

    @property
    def full(self) -> bool:
        """The last read stopped at a full batch: read again without waiting."""
        return self.cursor.full

    def preamble(self) -> str:
        return f"retry: {RETRY_MS}\n: K3i peristiwa langsung, mulai setelah id {self.cursor.after_id}\n\n"

    def step(self) -> str | None:
        """Read new events (and say whether a heartbeat is due). ``None``: the stream must end."""
        now = time.monotonic()
        if now - self.last_check >= RECHECK_SECONDS:
            self.last_check = now
            if not self.reader.still_allowed():
                return None
        events = self.cursor.read(self.reader.user, BATCH)
        out = "".join(format_event(e.pk, e.kind, e.payload) for e in events)
        if not out and now - self.last_sent >= settings.SSE_HEARTBEAT_SECONDS:
            out = ": ping\n\n"
        if out:
            self.last_sent = now
        return out


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


def _wait_seconds(feed: _Feed) -> float:
    """How long a stream may wait for a wake-up before it reads anyway."""
    poll = float(settings.SSE_POLL_SECONDS)
    if feed.cursor.blocked:
        # An event still in flight: its transaction may end in a rollback, which announces nothing.
        return min(poll, GAP_POLL_SECONDS)
    if not notify.listener.connected:
        # SQLite (writes of other processes are not announced) or no PostgreSQL listener (yet).
        return poll
    return max(poll, float(getattr(settings, "SSE_FALLBACK_POLL_SECONDS", FALLBACK_POLL_SECONDS)))


async def _async_stream(feed: _Feed, executor: ThreadPoolExecutor) -> AsyncIterator[str]:
    step = sync_to_async(_step_in_own_thread, thread_sensitive=False, executor=executor)
    loop = asyncio.get_running_loop()
    waiter = notify.hub.waiter()
    min_gap = min(float(getattr(settings, "SSE_MIN_READ_SECONDS", MIN_READ_SECONDS)),
                  float(settings.SSE_POLL_SECONDS))
    try:
        yield feed.preamble()
        while True:
            notify.listener.ensure()  # PostgreSQL: the process's one listener (started by the first stream)
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
            if feed.full:
                continue
            await waiter.wait(_wait_seconds(feed))
            rest = min_gap - (loop.time() - started)
            if rest > 0:  # woken again right away (a burst of writes): let a few more gather first
                await asyncio.sleep(rest)
    finally:
        waiter.close()
        _release(executor)


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
    return _Feed(reader, latest_id() if after is None else after)


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
