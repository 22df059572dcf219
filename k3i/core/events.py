"""Live events: written in the action's transaction, read by ``/ops/stream`` (``k3i.ops.stream``).

An event carries the territory it belongs to (Polres, and optionally Polsek, kelurahan and function),
so that each user receives only what ``restrict`` would show them: the same rule for every reader,
whichever process wrote the event — in SQL (``event_scope_q``) and in memory (``EventFilter``, for the
stream's shared reader, which reads each new event once for all the streams of a process). Writing also
announces the events (``k3i.core.notify``): PostgreSQL's NOTIFY on commit and an in-process wake-up, so
that waiting streams read at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from django.db import connection
from django.db.models import Q

from .access import Scope, can, scope_for
from .audit import clean
from .models import LiveEvent
from .notify import announce


class Territory(TypedDict, total=False):
    """Where an event belongs below its Polres (``emit``; each item of ``emit_many`` names these by key too)."""

    polsek_id: int | None
    kelurahan_kode: str
    fungsi_kode: str


def _event(kind: str, payload: dict[str, Any], *, polres_id: int | None, **where: Unpack[Territory]) -> LiveEvent:
    unknown = set(where) - Territory.__optional_keys__
    if unknown:  # a misspelt territory would silently widen who sees the event
        raise TypeError(f"wilayah peristiwa tidak dikenal: {', '.join(sorted(unknown))}")
    return LiveEvent(  # the payload as the ledger stores changes: no NUL (jsonb refuses it), no NaN, plain JSON
        kind=kind, payload=clean(payload), polres_id=polres_id, polsek_id=where.get("polsek_id"),
        kelurahan_kode=where.get("kelurahan_kode") or "", fungsi_kode=where.get("fungsi_kode") or "",
    )


def _require_transaction(name: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(f"events.{name} harus dipanggil di dalam transaksi aksi")


def emit(kind: str, payload: dict[str, Any], *, polres_id: int | None, **where: Unpack[Territory]) -> LiveEvent:
    """Write one live event. Must run inside the action's transaction (it is seen only if that commits)."""
    _require_transaction("emit")
    event = _event(kind, payload, polres_id=polres_id, **where)
    event.save(force_insert=True)
    announce()
    return event


def emit_many(items: Iterable[Mapping[str, Any]]) -> list[LiveEvent]:
    """Write many live events at once: one INSERT (``bulk_create``) and one wake-up for the whole batch.

    Each item has the arguments of ``emit`` by name: ``{"kind": ..., "payload": ..., "polres_id": ...,
    "polsek_id": ..., "kelurahan_kode": ..., "fungsi_kode": ...}`` (the last three optional). Must run inside
    the caller's transaction, like ``emit``. Returns the events in the given order, with their ids
    (ascending, so streams hand them out in that order).
    """
    _require_transaction("emit_many")
    events = [_event(**item) for item in items]
    if not events:
        return []
    made = LiveEvent.objects.bulk_create(events)
    announce()
    return made


def event_scope_q(scope: Scope) -> Q:
    """Events a scope may see.

    - Only its own Polres (a user without a Polres sees nothing).
    - Polres-wide scope: everything of the Polres.
    - Otherwise (a Polsek, or a list of kelurahan): events located in one of its kelurahan, whichever
      Polsek wrote them; and events of its Polsek that name no kelurahan. An event in another kelurahan — of
      another Polsek or of its own — is not shown, and neither is a Polres-level event (no Polsek, no
      kelurahan: an incident not yet located, a Mapolres unit, the ledger), as ``restrict`` hides such records
      from a narrower scope.
    - A function-limited scope (e.g. Sat Reskrim only) also drops events of other functions; events that
      name no function stay visible.

    The same rule in memory: ``EventFilter`` (change both together).
    """
    if scope.polres_id is None:
        return Q(pk__in=[])
    q = Q(polres_id=scope.polres_id)
    if not scope.polres_wide:
        codes = scope.kelurahan_codes or frozenset()
        polsek_ids = scope.polsek_ids or frozenset()
        q &= (
            Q(kelurahan_kode__in=codes) | (Q(kelurahan_kode="") & Q(polsek_id__in=polsek_ids))
        )
    if scope.fungsi_ids is not None:
        from k3i.organization.models import Fungsi

        kodes = Fungsi.objects.filter(id__in=scope.fungsi_ids).values("kode")
        q &= Q(fungsi_kode="") | Q(fungsi_kode__in=kodes)
    return q


class EventFilter:
    """``event_scope_q`` as an in-memory test of one event, for the stream's shared reader (``k3i.ops.stream``).

    The same rule as ``event_scope_q`` and ``events_for`` (kept side by side with them: change both together;
    ``k3i/core/tests/test_event_filter.py`` checks that they agree for every user). Built once per stream
    (``for_user``; it reads the function codes of a function-limited scope once), rebuilt when the stream
    re-checks its reader.
    """

    def __init__(self, scope: Scope | None) -> None:
        self.polres_id = scope.polres_id if scope is not None else None
        self.polres_wide = scope is not None and scope.polres_wide
        self.kelurahan_codes = (scope.kelurahan_codes if scope is not None else None) or frozenset()
        self.polsek_ids = (scope.polsek_ids if scope is not None else None) or frozenset()
        self.fungsi_kodes: frozenset[str] | None = None
        if scope is not None and scope.polres_id is not None and scope.fungsi_ids is not None:
            from k3i.organization.models import Fungsi

            self.fungsi_kodes = frozenset(Fungsi.objects.filter(id__in=scope.fungsi_ids).values_list("kode", flat=True))

    @classmethod
    def for_user(cls, user: Any) -> EventFilter:
        """What ``events_for(user, ...)`` lets through (nothing without ``view_liveevent``)."""
        return cls(scope_for(user) if can(user, "view_liveevent") else None)

    def __call__(self, event: LiveEvent) -> bool:
        if self.polres_id is None or event.polres_id != self.polres_id:
            return False
        if not self.polres_wide:
            kel = event.kelurahan_kode
            if not (kel in self.kelurahan_codes or (kel == "" and event.polsek_id in self.polsek_ids)):
                return False
        return self.fungsi_kodes is None or event.fungsi_kode == "" or event.fungsi_kode in self.fungsi_kodes


def latest_id() -> int:
    """The id of the newest event: where a stream without ``Last-Event-ID`` starts ("now")."""
    return LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def events_for(user: Any, after_id: int, limit: int = 200, upto: int | None = None) -> list[LiveEvent]:
    """Events after ``after_id`` (and up to ``upto``) that ``user`` may see, oldest first (at most ``limit``)."""
    if not can(user, "view_liveevent"):
        return []
    scope = scope_for(user)
    qs = LiveEvent.objects.filter(event_scope_q(scope), id__gt=after_id)
    if upto is not None:
        qs = qs.filter(id__lte=upto)
    return list(qs.order_by("id")[:limit])


@dataclass
class _Gap:
    position: int  # the last id before the gap
    seen_at: float  # monotonic time when this reader first met it
    horizon: int | None  # PostgreSQL: the next transaction id at that moment


def _snapshot(part: str) -> int:
    """PostgreSQL: ``xmin`` (oldest transaction still running) or ``xmax`` (next transaction id)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT pg_snapshot_{part}(pg_current_snapshot())::text::bigint")
        return int(cur.fetchone()[0])


class Cursor:
    """Where one reader stands in the event log; hands out events strictly in id order, none skipped.

    An event's id is taken when its transaction inserts it, but the event is seen only once that
    transaction commits. On PostgreSQL two actions can commit in the opposite order: id 11 is visible
    while 10 is still in flight. A reader that moved on to 11 would never see 10 — and neither would a
    browser resuming with ``Last-Event-ID: 11``. So the cursor stops before such a gap until every
    transaction that was running when the gap was first seen has ended (the snapshot's ``xmin`` has
    passed the ``xmax`` noted then): then the missing event either is visible or never will be (its
    action rolled back), and the cursor moves on. It never waits longer than ``grace`` seconds.
    SQLite lets one writer at a time commit, in id order: a gap there is never in flight.
    """

    def __init__(self, after_id: int, grace: float = 5.0) -> None:
        self.after_id = after_id
        self.grace = grace
        self.full = False  # the last read stopped at ``limit``: there is more to read right away
        self.blocked = False  # the last read stopped before a gap: look again soon (it may settle unannounced)
        self._gap: _Gap | None = None

    def _safe_upto(self, limit: int) -> tuple[int, int]:
        """The highest id up to which every event is visible or given up on; and how many ids were read."""
        vendor = connection.vendor
        # Taken before reading the ids: a transaction that ended before this snapshot shows in the read.
        xmin = _snapshot("xmin") if vendor == "postgresql" and self._gap and self._gap.horizon else None
        ids = list(LiveEvent.objects.filter(id__gt=self.after_id).order_by("id").values_list("id", flat=True)[:limit])
        safe = self.after_id
        for i in ids:
            if i != safe + 1 and vendor != "sqlite":
                gap = self._gap
                if gap is None or gap.position != safe:
                    horizon = _snapshot("xmax") if vendor == "postgresql" else None
                    self._gap = _Gap(safe, time.monotonic(), horizon)
                    break  # decide on the next read
                settled = xmin is not None and gap.horizon is not None and xmin >= gap.horizon
                if not settled and time.monotonic() - gap.seen_at < self.grace:
                    break
            safe = i
        self.blocked = bool(ids) and safe < ids[-1]
        return safe, len(ids)

    def read(self, user: Any, limit: int = 200) -> list[LiveEvent]:
        """The next events ``user`` may see (at most ``limit``); advances the cursor."""
        safe, seen = self._safe_upto(limit)
        self.full = seen == limit and safe > self.after_id
        if safe == self.after_id:
            return []
        events = events_for(user, self.after_id, limit, upto=safe)
        self.after_id = safe
        return events

    def read_all(self, limit: int = 200) -> list[LiveEvent]:
        """The next events of every territory (at most ``limit``), unfiltered; advances the cursor.

        For the stream's shared reader, which hands each stream what its ``EventFilter`` lets through.
        """
        safe, seen = self._safe_upto(limit)
        self.full = seen == limit and safe > self.after_id
        if safe == self.after_id:
            return []
        events = list(LiveEvent.objects.filter(id__gt=self.after_id, id__lte=safe).order_by("id"))
        self.after_id = safe
        return events
