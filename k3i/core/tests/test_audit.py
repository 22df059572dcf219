"""The audit ledger: entries written by actions, sealed in order, verified; append-only at the ORM level.

Content hashes must survive the round trip through the database on SQLite and PostgreSQL alike (the
suite runs on both): awkward JSON (floats, key order, unicode, NaN, nested data) and microseconds.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import transaction

from k3i.cli import main
from k3i.core import audit
from k3i.core.models import AppendOnlyError, AuditChainHead, AuditEntry
from k3i.dispatch.actions import update_patrol_unit


def _write(n: int, actor=None, **changes) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    out = []
    with transaction.atomic():
        for i in range(n):
            out.append(audit.record(actor, "uji.tulis", channel=audit.Channel.SYSTEM, changes={"i": i, **changes}))
    return out


def test_record_needs_the_actions_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        audit.record(None, "uji.tulis", channel=audit.Channel.SYSTEM)


def test_action_writes_an_unsealed_entry_that_the_sealer_chains(world):
    unit = world.units["semarang_tengah"]
    update_patrol_unit(world.user("operator"), unit, channel=audit.Channel.WEB, aktif=False)
    e = AuditEntry.objects.get(action="unit.diperbarui")
    assert e.seq is None and e.chain_hash == ""
    assert e.actor_username == "operator" and e.actor_role == "operator"
    assert e.object_type == "dispatch.patrolunit" and e.object_id == str(unit.pk)
    assert e.changes == {"aktif": [True, False]}
    assert e.polres_id == world.polres.pk

    assert audit.seal_pending() >= 1
    e.refresh_from_db()
    head = AuditChainHead.objects.get(pk=1)
    assert e.seq is not None and e.sealed_at is not None
    assert audit.verify() == (AuditEntry.objects.count(), None)
    assert head.seq == AuditEntry.objects.count()


def test_seal_in_batches_keeps_one_unbroken_chain(db):
    _write(7)
    assert audit.seal_pending(batch_size=3) == 7
    _write(2)
    assert audit.seal_pending(batch_size=3) == 2
    assert audit.seal_pending() == 0
    rows = list(AuditEntry.objects.order_by("seq"))
    assert [e.seq for e in rows] == list(range(1, 10))
    prev = audit.GENESIS
    for e in rows:
        assert e.prev_hash == prev
        assert e.chain_hash == audit.chain_hash(prev, e.seq, e.pk, e.content_hash)
        prev = e.chain_hash
    assert AuditChainHead.objects.get(pk=1).chain_hash == prev
    assert audit.verify() == (9, None)


AWKWARD = {
    "z": 1, "a": [3, 2, 1], "Ä": "ümlaut — tanda", "float": 0.1, "besar": 1e16, "besar2": 1.2345678901234567e20,
    "kecil": 1.5e-05, "nol_negatif": -0.0, "bulat": 3.0, "nan": math.nan, "tak_hingga": -math.inf,
    "bersarang": {"y": {"x": [1.25, None, True, "a\x00b"]}}, 5: "kunci angka", "waktu": datetime(2026, 1, 2, 3, 4, 5),
    "tanggal": date(2026, 1, 31), "desimal": Decimal("12.50"), "himpunan": {3, 1, 2}, "int_besar": 2**70,
}


def test_awkward_content_round_trips_and_verifies(db):
    with transaction.atomic():
        e = audit.record(None, "uji.aneh", channel=audit.Channel.SYSTEM, changes=AWKWARD,
                         object_repr="nama\x00dengan NUL " + "x" * 300)
    stored = AuditEntry.objects.get(pk=e.pk)  # as the database gives it back
    assert audit.content_hash(stored) == stored.content_hash
    assert stored.changes["5"] == "kunci angka"
    assert stored.changes["nan"] == "nan" and stored.changes["tak_hingga"] == "-inf"
    assert stored.changes["himpunan"] == [1, 2, 3]
    assert stored.changes["bersarang"]["y"]["x"][3] == "a\ufffdb"
    assert len(stored.object_repr) == 200 and "\x00" not in stored.object_repr
    assert stored.created_at.microsecond == e.created_at.microsecond
    audit.seal_pending()
    assert audit.verify() == (1, None)


def test_content_hash_ignores_key_order_but_not_values(db):
    with transaction.atomic():
        a = audit.record(None, "uji.urutan", channel=audit.Channel.SYSTEM, changes={"a": 1, "b": 2})
    b = AuditEntry(**{f.attname: getattr(a, f.attname) for f in AuditEntry._meta.concrete_fields})
    b.changes = {"b": 2, "a": 1}
    assert audit.content_hash(b) == a.content_hash
    b.changes = {"a": 1, "b": 3}
    assert audit.content_hash(b) != a.content_hash
    b.changes = {"a": 1, "b": 2}
    b.created_at = a.created_at.replace(microsecond=(a.created_at.microsecond + 1) % 1_000_000)
    assert audit.content_hash(b) != a.content_hash


def test_integral_floats_hash_as_postgres_returns_them():
    # jsonb gives 1e16 back as the integer 10000000000000000, and 1.2345678901234567e20 as the integer of
    # its shortest text: the hash must be the same either way.
    for f in (1e16, 1.2345678901234567e20, 3.0, 1e300):
        as_int = int(Decimal(repr(f)))
        assert audit._canonical(audit._hashable({"v": f})) == audit._canonical(audit._hashable({"v": as_int}))
    assert audit._canonical(audit._hashable({"v": 0.1})) == '{"v":0.1}'


def test_entries_cannot_be_changed_or_deleted_through_the_orm(db):
    (e,) = _write(1)
    e.object_repr = "diubah"
    with pytest.raises(AppendOnlyError):
        e.save()
    with pytest.raises(AppendOnlyError):
        e.save(update_fields=["object_repr"])
    with pytest.raises(AppendOnlyError):
        e.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=e.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=e.pk).update(changes={})
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(action="lain")
    # the sealer may still give it its place — once
    assert audit.seal_pending() == 1
    assert AuditEntry.objects.filter(pk=e.pk).update(seq=99) == 0
    fresh = AuditEntry.objects.get(pk=e.pk)
    assert fresh.seq == 1 and fresh.object_repr == ""
    assert audit.verify() == (1, None)


def test_verify_is_not_fooled_by_entries_sealed_while_it_runs(db, monkeypatch):
    _write(3)
    audit.seal_pending()
    real = audit._iter_sealed

    def sealing_meanwhile(upto, chunk=5000):  # type: ignore[no-untyped-def]
        yield from real(upto, chunk)
        _write(2)
        audit.seal_pending()  # another process's sealer

    monkeypatch.setattr(audit, "_iter_sealed", sealing_meanwhile)
    checked, problem = audit.verify()
    assert problem is None


def test_cli_verify_seals_then_reports_intact(db, capsys):
    _write(4)
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "utuh" in out and "4 entri" in out
    assert AuditEntry.objects.filter(seq__isnull=True).count() == 0


def test_cli_seal(db, capsys):
    _write(2)
    assert main(["audit", "seal"]) == 0
    assert "2 entri disegel" in capsys.readouterr().out


def test_seal_action_emits_live_event(world):
    from k3i.core.errors import PermissionDenied
    from k3i.core.models import LiveEvent

    _write(3)
    with pytest.raises(PermissionDenied):
        audit.seal(world.user("operator"), channel=audit.Channel.API)
    sealed, head = audit.seal(world.user("propam"), channel=audit.Channel.API)
    assert sealed >= 3 and head.seq >= 3
    ev = LiveEvent.objects.get(kind="audit.disegel")
    assert ev.payload["urutan"] == head.seq and ev.polres_id == world.polres.pk
    assert AuditEntry.objects.filter(action="audit.disegel", actor_username="propam").exists()


def test_created_at_is_stored_in_utc_with_microseconds(db):
    (e,) = _write(1)
    stored = AuditEntry.objects.get(pk=e.pk)
    assert stored.created_at == e.created_at
    assert stored.created_at.astimezone(UTC).isoformat(timespec="microseconds") == \
        e.created_at.astimezone(UTC).isoformat(timespec="microseconds")
