"""The audit ledger: append-only, hash-chained, sealed in batches.

``record`` is called by every action inside its transaction: it stores the entry with the SHA-256 of its
own content and takes no lock beyond the row it inserts. ``seal_pending`` gives unsealed entries their
place in the chain, in order, under a lock on the single chain-head row: only sealers wait for each
other, never the platform's writes. ``verify`` recomputes every content hash and the whole chain and
names the first entry that was edited, deleted or reordered.

The content hash must come out the same after the row went through the database, on SQLite and on
PostgreSQL alike. So ``record`` first cleans what it stores (text without NUL, JSON-safe values, no NaN,
no negative zero) and the hash reads numbers the way both databases give them back: PostgreSQL's jsonb
returns ``1e16`` as the integer ``10000000000000000``, so an integral float is hashed as that integer.
Times are hashed in UTC with microseconds (both databases keep microseconds).

The entries are append-only at the ORM level too (``AuditEntry.save``/``delete``, see ``models.py``);
what an ORM cannot stop — raw SQL on the database — ``verify`` (``k3i audit verify``) detects.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from .access import can
from .errors import PermissionDenied, ValidationFailed
from .models import AuditChainHead, AuditEntry

GENESIS = "0" * 64
WIB = ZoneInfo("Asia/Jakarta")


class Channel:
    WEB = "web"
    API = "api"
    CLI = "cli"
    MQTT = "mqtt"
    SIM = "simulator"
    SYSTEM = "sistem"

    ALL = (WEB, API, CLI, MQTT, SIM, SYSTEM)


# --- content and its hash -----------------------------------------------------------------------------

def _text(value: Any, limit: int) -> str:
    """Text as both databases store it: no NUL (PostgreSQL refuses it), valid UTF-8, at most ``limit``."""
    text = "" if value is None else str(value)
    text = text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")
    return text[:limit]


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _text(key, 10_000)
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)  # what json.dumps does with such keys: 1 → "1", True → "true"
    return _text(key, 10_000)


def clean(value: Any, _depth: int = 0) -> Any:
    """A JSON value that round-trips identically through SQLite and PostgreSQL (jsonb)."""
    if _depth > 64:
        raise ValueError("perubahan audit terlalu dalam bersarang")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)  # JSON has no NaN/Infinity; jsonb refuses them
        return value + 0.0  # -0.0 → 0.0 (numeric has no negative zero)
    if isinstance(value, str):
        return _text(value, 1_000_000)
    if isinstance(value, dict):
        return {_key(k): clean(v, _depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v, _depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((clean(v, _depth + 1) for v in value), key=_canonical)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return clean(value.pk, _depth + 1)
    return _text(value, 1_000_000)


def _hashable(value: Any) -> Any:
    """Numbers as both databases return them: an integral float is the integer of its JSON text."""
    if isinstance(value, float) and value.is_integer():
        return int(Decimal(repr(value)))
    if isinstance(value, dict):
        return {k: _hashable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hashable(v) for v in value]
    return value


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


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
        "c": _hashable(e.changes),
        "ch": e.channel,
        "p": e.polres_id,
    }
    return hashlib.sha256(_canonical(body).encode()).hexdigest()


def chain_hash(prev: str, seq: int, entry_id: int, content: str) -> str:
    return hashlib.sha256(f"{prev}|{seq}|{entry_id}|{content}".encode()).hexdigest()


# --- writing ----------------------------------------------------------------------------------------

class EntryFields(TypedDict, total=False):
    """What an entry may say besides actor, action, object and channel (``entry``, ``record``)."""

    changes: dict[str, Any] | None  # what changed, e.g. ``diff(before, after)``
    object_type: str | None  # default: the object's model label
    object_id: Any  # default: the object's primary key
    object_repr: str | None  # default: ``str(obj)``
    polres_id: int | None  # default: the actor's Polres


def entry(actor: Any, action: str, obj: Any = None, *, channel: str, **fields: Unpack[EntryFields]) -> AuditEntry:
    """One ledger entry, with its content hash, not yet written (``record`` / ``record_many`` write it)."""
    if not action or len(action) > 80 or not channel or len(channel) > 20:
        raise ValueError(f"nama aksi/kanal audit tidak sah: {action!r}/{channel!r}")
    object_type, object_id, object_repr = fields.get("object_type"), fields.get("object_id"), fields.get("object_repr")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = object_repr if object_repr is not None else str(obj)
    polres_id = fields.get("polres_id")
    user_ok = actor is not None and getattr(actor, "is_authenticated", False)
    e = AuditEntry(
        created_at=timezone.now(),
        actor_id=actor.pk if user_ok else None,
        actor_username=_text(actor.get_username(), 150) if user_ok else "",
        actor_role=_text(getattr(actor, "role", ""), 40) if user_ok else "",
        action=action,
        object_type=_text(object_type, 80),
        object_id=_text(object_id, 64),
        object_repr=_text(object_repr, 200),
        changes=clean(fields.get("changes") or {}),
        channel=channel,
        polres_id=polres_id if polres_id is not None else (getattr(actor, "polres_id", None) if user_ok else None),
    )
    e.content_hash = content_hash(e)
    return e


def _require_transaction(name: str) -> None:
    if not connection.in_atomic_block:
        raise RuntimeError(f"audit.{name} harus dipanggil di dalam transaksi aksi")


def record(actor: Any, action: str, obj: Any = None, *, channel: str, **fields: Unpack[EntryFields]) -> AuditEntry:
    """Write one ledger entry. Must run inside the action's transaction."""
    _require_transaction("record")
    e = entry(actor, action, obj, channel=channel, **fields)
    e.save(force_insert=True)
    return e


def record_many(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Write entries made by ``entry`` with one multi-row INSERT. Must run inside the action's transaction."""
    _require_transaction("record_many")
    return AuditEntry.objects.bulk_create(entries) if entries else []


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{"field": [old, new]}`` for fields that changed."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


# --- sealing ----------------------------------------------------------------------------------------

def _head_row() -> None:
    """Make sure the one chain-head row exists (two first sealers may race to create it)."""
    if not AuditChainHead.objects.filter(pk=1).exists():
        with transaction.atomic():
            AuditChainHead.objects.get_or_create(pk=1)


def _write_seals(entries: list[AuditEntry]) -> int:
    """Store the seal columns of ``entries`` (only where still unsealed); returns the rows written.

    One prepared ``UPDATE … WHERE id = ? AND seq IS NULL`` run for every entry (``executemany``):
    ``bulk_update`` builds one ``CASE`` over the whole batch instead, which costs quadratic time.
    Like ``AuditQuerySet.update``, it can only ever fill the seal columns of an unsealed entry.
    """
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    sealed_at = AuditEntry._meta.get_field("sealed_at")
    rows = [(e.seq, e.prev_hash, e.chain_hash, sealed_at.get_db_prep_value(e.sealed_at, connection), e.pk)
            for e in entries]
    with connection.cursor() as cur:
        cur.executemany(
            f"UPDATE {table} SET seq = %s, prev_hash = %s, chain_hash = %s, sealed_at = %s "  # noqa: S608
            "WHERE id = %s AND seq IS NULL",
            rows,
        )
        return int(cur.rowcount)


def seal_pending(batch_size: int = 5000) -> int:
    """Seal unsealed entries in id order, in batches; returns how many were sealed.

    Only the chain-head row is locked (``SELECT … FOR UPDATE``), and only for one batch: writers never
    wait for it. Entries that commit later than entries with a higher id are simply sealed later — the
    chain order is ``seq``, not ``id``.
    """
    if not AuditEntry.objects.filter(seq__isnull=True).exists():
        return 0
    _head_row()
    total = 0
    while True:
        with transaction.atomic():
            head = AuditChainHead.objects.select_for_update().get(pk=1)
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
            done = _write_seals(pending)
            if done != len(pending):  # pragma: no cover - only if someone sealed behind the lock's back
                raise RuntimeError(f"penyegelan audit: {done} dari {len(pending)} entri tersegel; dibatalkan")
            head.seq, head.chain_hash = seq, prev
            head.save()
            total += len(pending)
            if len(pending) < batch_size:
                return total


# --- verification -----------------------------------------------------------------------------------

@dataclass
class Problem:
    entry_id: int | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        if self.entry_id is not None:
            where = f"entri #{self.entry_id}"
            if self.seq is not None:
                where += f" (urutan {self.seq})"
        elif self.seq is not None:
            where = f"urutan {self.seq}"
        else:
            where = "rantai"
        return f"{where}: {self.reason}"


def _iter_sealed(upto: int, chunk: int = 5000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last, seq__lte=upto).order_by("seq")[:chunk])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq or last


def verify() -> tuple[int, Problem | None]:
    """Check the whole ledger. Returns (entries checked, first problem or None).

    The chain is checked up to the head as read at the start, so a sealer running at the same time
    (every server process runs one) cannot cause a false alarm.
    """
    head = AuditChainHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.chain_hash) if head else (0, GENESIS)
    checked = 0
    prev, expected = GENESIS, 1
    last: AuditEntry | None = None
    for e in _iter_sealed(head_seq):
        checked += 1
        if e.seq != expected:
            return checked, Problem(None, expected, "entri hilang dari rantai (dihapus, atau urutannya diubah; "
                                                    f"entri berikutnya yang ada: #{e.pk} urutan {e.seq})")
        if content_hash(e) != e.content_hash:
            return checked, Problem(e.pk, e.seq, "isi entri diubah (hash isi tidak cocok)")
        if e.prev_hash != prev:
            return checked, Problem(e.pk, e.seq, "rantai putus: hash entri sebelumnya tidak cocok "
                                                 "(entri sebelumnya diubah, dihapus atau ditukar)")
        if chain_hash(prev, expected, e.pk, e.content_hash) != e.chain_hash:
            return checked, Problem(e.pk, e.seq, "hash rantai tidak cocok (entri diubah atau ditukar)")
        prev, last = e.chain_hash, e
        expected += 1
    if head is None and AuditEntry.objects.filter(seq__isnull=False).exists():
        return checked, Problem(None, None, "kepala rantai hilang, padahal ada entri yang sudah disegel")
    if expected - 1 != head_seq:
        return checked, Problem(None, expected, f"entri hilang: kepala rantai mencatat urutan {head_seq}, "
                                                f"tetapi rantai berhenti di urutan {expected - 1} "
                                                "(entri terakhir dihapus atau urutannya diubah)")
    if prev != head_hash:
        return checked, Problem(last.pk if last else None, head_seq,
                                "hash rantai tidak cocok dengan kepala rantai (kepala atau entri terakhir diubah)")
    # Entries sealed after the start are checked next time; a row numbered past the head now is forged.
    head_now = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    stray = AuditEntry.objects.filter(seq__gt=max(head_now, head_seq)).order_by("seq").first()
    if stray is not None:
        return checked, Problem(stray.pk, stray.seq, "bernomor urut melewati kepala rantai (urutan diubah?)")
    for e in AuditEntry.objects.filter(seq__isnull=True).order_by("id").iterator(chunk_size=2000):
        checked += 1
        if content_hash(e) != e.content_hash:
            return checked, Problem(e.pk, None, "isi entri (belum disegel) diubah (hash isi tidak cocok)")
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
                close_old_connections()
                seal_pending()
            except Exception:  # keep sealing on the next tick; the entries stay unsealed, not lost
                log.exception("penyegelan audit gagal")
            finally:
                close_old_connections()

    def stop(self) -> None:
        self.stopped.set()


# --- reading the ledger (Siwas/Propam): every search and check is itself recorded ---------------------

@dataclass(frozen=True)
class Filters:
    """What the ledger page and ``GET /api/v1/audit`` search by. Dates are days in WIB."""

    pengguna: str = ""
    aksi: str = ""
    jenis_objek: str = ""
    id_objek: str = ""
    kanal: str = ""
    dari: date | None = None
    sampai: date | None = None
    teks: str = ""

    def __post_init__(self) -> None:
        if self.dari and self.sampai and self.dari > self.sampai:
            raise ValidationFailed.field("sampai", "Tanggal 'sampai' tidak boleh sebelum tanggal 'dari'.")
        if self.kanal and self.kanal not in Channel.ALL:
            raise ValidationFailed.field("kanal", f"Kanal '{self.kanal}' tidak dikenal "
                                                  f"(pilih: {', '.join(Channel.ALL)}).")

    def as_dict(self) -> dict[str, str]:
        """The filters that were set, for the audit entry of the search."""
        return {k: (v.isoformat() if isinstance(v, date) else str(v)) for k, v in asdict(self).items() if v}


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=WIB)


def search(user: Any, f: Filters) -> QuerySet[AuditEntry]:
    """Entries ``user`` may read (``view_audit``, own Polres), filtered, newest first. Reads only."""
    qs = AuditEntry.objects.restrict(user, "view")
    if f.pengguna:
        qs = qs.filter(actor_username__iexact=f.pengguna.strip())
    if f.aksi:
        qs = qs.filter(action__startswith=f.aksi.strip())
    if f.jenis_objek:
        qs = qs.filter(object_type=f.jenis_objek.strip().lower())
    if f.id_objek:
        qs = qs.filter(object_id=f.id_objek.strip())
    if f.kanal:
        qs = qs.filter(channel=f.kanal)
    if f.dari:
        qs = qs.filter(created_at__gte=_day_start(f.dari))
    if f.sampai:
        qs = qs.filter(created_at__lt=_day_start(f.sampai + timedelta(days=1)))
    if f.teks:
        qs = qs.filter(object_repr__icontains=f.teks.strip())
    return qs.order_by("-created_at", "-id")


@transaction.atomic
def record_search(actor: Any, f: Filters, *, channel: str, found: int, page: int = 1) -> AuditEntry:
    """Reading the ledger is itself accounted for: one ``audit.dicari`` entry per search/page."""
    if not can(actor, "view_audit"):
        raise PermissionDenied()
    return record(actor, "audit.dicari", channel=channel, object_type="core.auditentry",
                  object_repr="pencarian buku audit",
                  changes={"filter": f.as_dict(), "jumlah": found, "halaman": page})


def check(actor: Any, *, channel: str) -> tuple[int, Problem | None]:
    """"Periksa keutuhan": verify the ledger (outside any transaction), then record that it was checked."""
    if not can(actor, "view_audit"):
        raise PermissionDenied()
    checked, problem = verify()
    with transaction.atomic():
        record(actor, "audit.diperiksa", channel=channel, object_type="core.auditentry",
               object_repr="pemeriksaan keutuhan buku audit",
               changes={"utuh": problem is None, "diperiksa": checked, "masalah": str(problem) if problem else ""})
    return checked, problem


@transaction.atomic
def seal(actor: Any, *, channel: str) -> tuple[int, AuditChainHead]:
    """Seal what is pending now (admin, Propam) and tell the operations room (live event ``audit.disegel``)."""
    from .events import emit

    if not can(actor, "seal_audit"):
        raise PermissionDenied("Hanya admin sistem dan Propam yang boleh menyegel buku audit.")
    sealed = seal_pending()
    _head_row()
    head = AuditChainHead.objects.get(pk=1)
    record(actor, "audit.disegel", head, channel=channel, object_repr=f"kepala rantai urutan {head.seq}",
           changes={"jumlah": sealed, "urutan": head.seq, "hash": head.chain_hash})
    emit("audit.disegel", {"jumlah": sealed, "urutan": head.seq, "hash": head.chain_hash},
         polres_id=getattr(actor, "polres_id", None))
    return sealed, head


def status() -> dict[str, Any]:
    """Head of the chain and how many entries wait for their seal (for the page)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    return {
        "urutan": head.seq if head else 0,
        "hash": head.chain_hash if head else GENESIS,
        "disegel_pada": head.updated_at if head else None,
        "menunggu": AuditEntry.objects.filter(seq__isnull=True).count(),
    }


def as_row(e: AuditEntry) -> dict[str, Any]:
    created: datetime = timezone.localtime(e.created_at, WIB)
    return {
        "id": e.pk, "urutan": e.seq, "disegel": e.seq is not None, "waktu": created.isoformat(),
        "pengguna": e.actor_username, "peran": e.actor_role, "aksi": e.action,
        "jenis_objek": e.object_type, "id_objek": e.object_id, "keterangan": e.object_repr,
        "perubahan": e.changes, "kanal": e.channel,
    }
