"""The audit ledger: append-only, hash-chained, sealed in batches.

``record`` is called by every action inside its transaction: it stores the entry with the SHA-256 of its
own content and takes no lock beyond the row it inserts. ``seal_pending`` gives unsealed entries their
place in the chain, in order, under a lock on the single chain-head row: only sealers wait for each
other, never the platform's writes. ``verify`` recomputes every content hash and the whole chain and
names the first entry that was edited, deleted or reordered.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


class Channel:
    WEB = "web"
    API = "api"
    CLI = "cli"
    MQTT = "mqtt"
    SIM = "simulator"
    SYSTEM = "sistem"


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def content_hash(e: AuditEntry) -> str:
    created = e.created_at.astimezone(UTC) if e.created_at.tzinfo else e.created_at
    body = {
        "t": created.isoformat(timespec="microseconds"),
        "uid": e.actor_id,
        "u": e.actor_username,
        "r": e.actor_role,
        "a": e.action,
        "ot": e.object_type,
        "oi": e.object_id,
        "or": e.object_repr,
        "c": e.changes,
        "ch": e.channel,
        "p": e.polres_id,
    }
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def chain_hash(prev: str, seq: int, entry_id: int, content: str) -> str:
    return hashlib.sha256(f"{prev}|{seq}|{entry_id}|{content}".encode()).hexdigest()


def record(
    actor: Any,
    action: str,
    obj: Any = None,
    *,
    channel: str,
    changes: dict[str, Any] | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
    polres_id: int | None = None,
) -> AuditEntry:
    """Write one ledger entry. Must run inside the action's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record harus dipanggil di dalam transaksi aksi")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = object_repr if object_repr is not None else str(obj)[:200]
    user_ok = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditEntry(
        created_at=timezone.now(),
        actor_id=actor.pk if user_ok else None,
        actor_username=actor.get_username() if user_ok else "",
        actor_role=getattr(actor, "role", "") if user_ok else "",
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        object_repr=(object_repr or "")[:200],
        changes=json.loads(_canonical(changes or {})),
        channel=channel,
        polres_id=polres_id if polres_id is not None else (getattr(actor, "polres_id", None) if user_ok else None),
    )
    entry.content_hash = content_hash(entry)
    entry.save(force_insert=True)
    return entry


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{"field": [old, new]}`` for fields that changed."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def seal_pending(batch_size: int = 5000) -> int:
    """Seal unsealed entries in id order; returns how many were sealed."""
    total = 0
    while True:
        with transaction.atomic():
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
            pending = list(AuditEntry.objects.filter(seq__isnull=True).order_by("id")[:batch_size])
            if not pending:
                return total
            now = timezone.now()
            seq, prev = head.seq, head.chain_hash
            for e in pending:
                seq += 1
                e.seq, e.prev_hash, e.sealed_at = seq, prev, now
                e.chain_hash = chain_hash(prev, seq, e.pk, e.content_hash)
                prev = e.chain_hash
            AuditEntry.objects.bulk_update(pending, ["seq", "prev_hash", "chain_hash", "sealed_at"], batch_size=1000)
            head.seq, head.chain_hash = seq, prev
            head.save()
            total += len(pending)
            if len(pending) < batch_size:
                return total


@dataclass
class Problem:
    entry_id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"entri #{self.entry_id}" if self.entry_id is not None else "rantai"
        if self.seq is not None:
            where += f" (urutan {self.seq})"
        return f"{where}: {self.reason}"


def _iter_sealed(chunk: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:chunk])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq or last


def verify() -> tuple[int, Problem | None]:
    """Check the whole ledger. Returns (entries checked, first problem or None)."""
    checked = 0
    prev, expected_seq = GENESIS, 1
    for e in _iter_sealed():
        checked += 1
        if e.seq != expected_seq:
            return checked, Problem(e.pk, e.seq, f"urutan {expected_seq} hilang (entri dihapus atau diubah urutannya)")
        if content_hash(e) != e.content_hash:
            return checked, Problem(e.pk, e.seq, "isi entri diubah (hash isi tidak cocok)")
        if e.prev_hash != prev:
            return checked, Problem(e.pk, e.seq, "rantai putus: hash sebelumnya tidak cocok (entri dihapus/ditukar)")
        if chain_hash(prev, e.seq, e.pk, e.content_hash) != e.chain_hash:
            return checked, Problem(e.pk, e.seq, "hash rantai tidak cocok (entri diubah atau ditukar)")
        prev = e.chain_hash
        expected_seq += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.chain_hash != prev):
        return checked, Problem(None, head.seq, f"kepala rantai mencatat urutan {head.seq}, tetapi entri terakhir "
                                f"yang utuh berurutan {last_seq} (entri terakhir dihapus?)")
    if head is None and last_seq > 0:
        return checked, Problem(None, None, "kepala rantai hilang")
    for e in AuditEntry.objects.filter(seq__isnull=True).order_by("id").iterator(chunk_size=2000):
        checked += 1
        if content_hash(e) != e.content_hash:
            return checked, Problem(e.pk, None, "isi entri (belum disegel) diubah")
    return checked, None


class Sealer(threading.Thread):
    """Background sealer for server processes: seals every ``interval`` seconds."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="k3i-audit-sealer", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:  # pragma: no cover - exercised by the running server
        import logging

        from django.db import close_old_connections

        log = logging.getLogger("k3i.audit")
        while not self.stopped.wait(self.interval):
            try:
                seal_pending()
            except Exception:  # keep sealing on the next tick; the entries stay unsealed, not lost
                log.exception("penyegelan audit gagal")
            finally:
                close_old_connections()


def as_row(e: AuditEntry) -> dict[str, Any]:
    created: datetime = timezone.localtime(e.created_at)
    return {
        "id": e.pk, "seq": e.seq, "waktu": created.isoformat(), "pengguna": e.actor_username,
        "peran": e.actor_role, "aksi": e.action, "objek": f"{e.object_type}:{e.object_id}",
        "keterangan": e.object_repr, "perubahan": e.changes, "kanal": e.channel,
    }
