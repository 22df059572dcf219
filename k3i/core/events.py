"""Live events: written in the action's transaction, read by ``/ops/stream``."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q

from .access import Scope, can, scope_for
from .models import LiveEvent


def emit(
    kind: str,
    payload: dict[str, Any],
    *,
    polres_id: int | None,
    polsek_id: int | None = None,
    kelurahan_kode: str = "",
    fungsi_kode: str = "",
) -> LiveEvent:
    if not connection.in_atomic_block:
        raise RuntimeError("events.emit harus dipanggil di dalam transaksi aksi")
    return LiveEvent.objects.create(
        kind=kind, payload=payload, polres_id=polres_id, polsek_id=polsek_id,
        kelurahan_kode=kelurahan_kode or "", fungsi_kode=fungsi_kode or "",
    )


def event_scope_q(scope: Scope) -> Q:
    """Events a scope may see: its Polres; within it, its Polsek/kelurahan, or Polres-wide events."""
    q = Q(polres_id=scope.polres_id)
    if scope.polsek_ids is not None:
        territorial = Q(polsek_id__in=scope.polsek_ids)
        if scope.kelurahan_codes is not None:
            territorial &= Q(kelurahan_kode="") | Q(kelurahan_kode__in=scope.kelurahan_codes)
        q &= territorial | (Q(polsek_id__isnull=True) & Q(kelurahan_kode=""))
    return q


def events_for(user: Any, after_id: int, limit: int = 200) -> list[LiveEvent]:
    if not can(user, "view_liveevent"):
        return []
    scope = scope_for(user)
    return list(LiveEvent.objects.filter(event_scope_q(scope), id__gt=after_id).order_by("id")[:limit])
