"""Counters shared by every process of an installation: the per-address limit of the public report form
(``/lapor/``) and the lock-out of usernames that do not exist (``k3i.accounts.security``).

A counter counts the events of one key in a window that begins with the key's first event and lasts
``window_seconds``; the first event after the window starts a new one. ``block(key, seconds)`` holds a key for a
while (a lock-out), ``blocked(key)`` asks. Under ``k3i serve --workers N`` every worker sees the same counts,
so a limit is never N times weaker (a per-process cache would be).

Backends:

- **the database** (default, nothing else to run): one ``RateCounter`` row per key, counted by one
  ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement (PostgreSQL, SQLite ≥ 3.35; older SQLite takes a
  locked read-modify-write, which its single writer makes just as safe). Every process on one database shares
  it. Expired rows are deleted by the scheduled job ``counters`` (``k3i.core.jobs``, at most once a minute per
  process); a leftover row is harmless, since an expired window counts as empty.
- **Redis** when ``K3I_REDIS_URL`` is set: ``SET key 0 EX window NX`` + ``INCR`` in one MULTI/EXEC; keys
  expire by themselves.

If Redis is set but cannot be reached, each call falls back to the database for that call, with a warning
in the log (at most once a minute per process), and Redis is tried again 30 s later. The public form stays
open and stays limited, and the lock-out still holds. During an outage the counts in Redis and in the
database add up separately, so a limit can be at most twice as loose, and a lock-out set in Redis is not
seen until Redis returns.

Keys never hold a raw IP address or username: callers pass those through ``digest()`` (an HMAC with the
installation's secret key), and rows and Redis keys go away when their window ends.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.crypto import salted_hmac

from .models import RateCounter

log = logging.getLogger("k3i.counters")

REDIS_PREFIX = "k3i:counter:"  # every Redis key of this module starts with it
REDIS_RETRY_SECONDS = 30.0  # after a failure, Redis is left alone this long (the database counts meanwhile)
WARN_EVERY_SECONDS = 60.0
PURGE_EVERY_SECONDS = 60.0

_lock = threading.Lock()
_clients: dict[str, Any] = {}
_down_until: dict[str, float] = {}
_warned_at = 0.0
_purged_at = 0.0


def digest(value: str) -> str:
    """A key part for an IP address or username that does not reveal it (HMAC-SHA256 with the secret key)."""
    return salted_hmac("k3i.core.counters", value, algorithm="sha256").hexdigest()[:40]


# --- the public API ---------------------------------------------------------------------------------

def hit(key: str, window_seconds: int) -> int:
    """Count one event for ``key``; returns the number of events in the running window, this one included."""
    window = int(window_seconds)
    if window < 1:
        raise ValueError("window_seconds harus minimal 1")
    client = _redis()
    if client is not None:
        try:
            pipe = client.pipeline(transaction=True)
            pipe.set(REDIS_PREFIX + key, 0, ex=window, nx=True)
            pipe.incr(REDIS_PREFIX + key)
            return int(pipe.execute()[1])
        except _redis_errors() as exc:
            _redis_failed(exc)
    return _db_hit(key, window)


def peek(key: str) -> int:
    """The number of events for ``key`` in its running window (0 when none), without counting one."""
    client = _redis()
    if client is not None:
        try:
            value = client.get(REDIS_PREFIX + key)
            return int(value) if value is not None else 0
        except _redis_errors() as exc:
            _redis_failed(exc)
    row = RateCounter.objects.filter(key=key, expires_at__gt=_now()).values_list("hits", flat=True).first()
    return int(row or 0)


def block(key: str, seconds: int) -> None:
    """Hold ``key`` for ``seconds`` from now (a later block replaces an earlier one)."""
    seconds = max(1, int(seconds))
    client = _redis()
    if client is not None:
        try:
            client.set(REDIS_PREFIX + key, 1, ex=seconds)
            return
        except _redis_errors() as exc:
            _redis_failed(exc)
    expires = _now() + seconds
    with transaction.atomic():
        if not RateCounter.objects.filter(key=key).update(hits=1, expires_at=expires):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, hits=1, expires_at=expires)
            except IntegrityError:  # another process blocked it at the same moment
                RateCounter.objects.filter(key=key).update(hits=1, expires_at=expires)


def blocked(key: str) -> bool:
    """True while a ``block`` on ``key`` lasts."""
    return peek(key) > 0


def purge_expired(now: datetime | None = None) -> int:
    """The scheduled job (``k3i.core.jobs``): delete database counters whose window has ended. Runs at most
    once a minute per process; returns the number of rows deleted."""
    global _purged_at
    started = time.monotonic()
    if _purged_at and started - _purged_at < PURGE_EVERY_SECONDS:
        return 0
    _purged_at = started
    cutoff = int(now.timestamp()) if now is not None else _now()
    deleted, _ = RateCounter.objects.filter(expires_at__lte=cutoff).delete()
    return deleted


# --- the database backend ---------------------------------------------------------------------------

def _now() -> int:
    return int(time.time())


def _upsert_supported() -> bool:
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 35)


def _db_hit(key: str, window: int) -> int:
    now = _now()
    if not _upsert_supported():
        return _db_hit_locked(key, window, now)
    q = connection.ops.quote_name
    table = q(RateCounter._meta.db_table)
    key_col, hits, expires = q("key"), q("hits"), q("expires_at")
    sql = (
        f"INSERT INTO {table} ({key_col}, {hits}, {expires}) VALUES (%s, 1, %s) "
        f"ON CONFLICT ({key_col}) DO UPDATE SET "
        f"{hits} = CASE WHEN {table}.{expires} <= %s THEN 1 ELSE {table}.{hits} + 1 END, "
        f"{expires} = CASE WHEN {table}.{expires} <= %s THEN excluded.{expires} ELSE {table}.{expires} END "
        f"RETURNING {hits}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [key, now + window, now, now])
        row = cursor.fetchone()
    return int(row[0])


def _db_hit_locked(key: str, window: int, now: int) -> int:
    """The same count as one read-modify-write under a row lock (databases without INSERT … ON CONFLICT …
    RETURNING, e.g. SQLite before 3.35, where the IMMEDIATE transaction already admits one writer at a time)."""
    with transaction.atomic():
        row = RateCounter.objects.select_for_update().filter(key=key).first()
        if row is None:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, hits=1, expires_at=now + window)
                return 1
            except IntegrityError:  # another process counted the first event at the same moment
                row = RateCounter.objects.select_for_update().get(key=key)
        if row.expires_at <= now:
            row.hits, row.expires_at = 1, now + window
        else:
            row.hits += 1
        row.save(update_fields=["hits", "expires_at"])
        return row.hits


# --- the Redis backend ------------------------------------------------------------------------------

def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


def _redis() -> Any:
    """The Redis client for ``K3I_REDIS_URL`` (one connection pool per process), or None when Redis is not
    configured or is resting after a failure."""
    url = str(getattr(settings, "K3I_REDIS_URL", "") or "")
    if not url or time.monotonic() < _down_until.get(url, 0.0):
        return None
    with _lock:
        client = _clients.get(url)
        if client is None:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5,
                                          retry=Retry(NoBackoff(), 1))
            _clients[url] = client
    return client


def _redis_failed(exc: BaseException) -> None:
    global _warned_at
    url = str(getattr(settings, "K3I_REDIS_URL", "") or "")
    now = time.monotonic()
    _down_until[url] = now + REDIS_RETRY_SECONDS
    if not _warned_at or now - _warned_at >= WARN_EVERY_SECONDS:
        _warned_at = now
        log.warning("Redis penghitung (K3I_REDIS_URL) tidak terjangkau: %s; penghitung memakai basis data "
                    "selama %d detik", exc, REDIS_RETRY_SECONDS)
