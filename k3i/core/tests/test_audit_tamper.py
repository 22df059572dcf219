"""Tampering directly in the database (raw SQL, past the ORM's append-only guard) is caught by
``k3i audit verify``, which exits non-zero naming the first bad entry. Works on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from k3i.cli import main
from k3i.core import audit
from k3i.core.models import AuditChainHead, AuditEntry

T = AuditEntry._meta.db_table
H = AuditChainHead._meta.db_table


@pytest.fixture
def ledger(db) -> list[AuditEntry]:
    """Six sealed entries (as actions write them), oldest first."""
    with transaction.atomic():
        for i in range(6):
            audit.record(None, "uji.tulis", channel=audit.Channel.SYSTEM, object_type="uji.benda", object_id=i,
                         object_repr=f"benda {i}", changes={"nilai": [i, i + 1], "catatan": "asli"})
    assert audit.seal_pending() == 6
    return list(AuditEntry.objects.order_by("seq"))


def sql(statement: str, params: list | None = None) -> None:  # type: ignore[type-arg]
    with connection.cursor() as cur:
        cur.execute(statement, params or [])


def verify_cli(capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code = main(["audit", "verify"])
    return code, capsys.readouterr().out


def test_intact_ledger_exits_zero(ledger, capsys):
    code, out = verify_cli(capsys)
    assert code == 0, out
    assert "utuh" in out


@pytest.mark.parametrize("column,value", [
    ("object_repr", "benda lain"),
    ("actor_username", "orang_lain"),
    ("action", "uji.lain"),
    ("channel", "web"),
    ("changes", '{"nilai": [2, 3], "catatan": "diubah"}'),
])
def test_edited_content_is_caught(ledger, capsys, column, value):
    victim = ledger[2]
    sql(f"UPDATE {T} SET {column} = %s WHERE id = %s", [value, victim.pk])
    code, out = verify_cli(capsys)
    assert code != 0
    assert f"entri #{victim.pk} (urutan 3)" in out and "isi entri diubah" in out


def test_edited_time_is_caught(ledger, capsys):
    victim = ledger[1]
    newer = victim.created_at.replace(microsecond=(victim.created_at.microsecond + 1) % 1_000_000)
    sql(f"UPDATE {T} SET created_at = %s WHERE id = %s",
        [connection.ops.adapt_datetimefield_value(newer), victim.pk])
    code, out = verify_cli(capsys)
    assert code != 0 and f"entri #{victim.pk}" in out


def test_edit_with_recomputed_content_hash_is_caught_by_the_chain(ledger, capsys):
    victim = ledger[3]
    forged = AuditEntry.objects.get(pk=victim.pk)
    forged.object_repr = "dipalsukan"
    sql(f"UPDATE {T} SET object_repr = %s, content_hash = %s WHERE id = %s",
        ["dipalsukan", audit.content_hash(forged), victim.pk])
    code, out = verify_cli(capsys)
    assert code != 0
    assert f"entri #{victim.pk} (urutan 4)" in out and "hash rantai" in out


@pytest.mark.parametrize("column", ["content_hash", "prev_hash", "chain_hash"])
def test_edited_hashes_are_caught(ledger, capsys, column):
    victim = ledger[2]
    sql(f"UPDATE {T} SET {column} = %s WHERE id = %s", ["f" * 64, victim.pk])
    code, out = verify_cli(capsys)
    assert code != 0
    assert f"entri #{victim.pk} (urutan 3)" in out or "urutan 4" in out


def test_rewriting_the_whole_tail_is_caught_by_the_head(ledger, capsys):
    # Re-chaining every entry after an edit still leaves the head (kept apart, printed by verify) behind.
    victim = ledger[4]
    e = AuditEntry.objects.get(pk=victim.pk)
    e.object_repr = "dipalsukan"
    content = audit.content_hash(e)
    chain = audit.chain_hash(e.prev_hash, e.seq, e.pk, content)
    sql(f"UPDATE {T} SET object_repr = %s, content_hash = %s, chain_hash = %s WHERE id = %s",
        ["dipalsukan", content, chain, e.pk])
    last = ledger[5]
    sql(f"UPDATE {T} SET prev_hash = %s, chain_hash = %s WHERE id = %s",
        [chain, audit.chain_hash(chain, last.seq, last.pk, last.content_hash), last.pk])
    code, out = verify_cli(capsys)
    assert code != 0 and "kepala rantai" in out


def test_deleted_entry_in_the_middle_is_caught(ledger, capsys):
    sql(f"DELETE FROM {T} WHERE id = %s", [ledger[2].pk])
    code, out = verify_cli(capsys)
    assert code != 0
    assert "urutan 3" in out and "hilang" in out


def test_deleted_last_sealed_entry_is_caught(ledger, capsys):
    sql(f"DELETE FROM {T} WHERE id = %s", [ledger[-1].pk])
    code, out = verify_cli(capsys)
    assert code != 0
    assert "urutan 6" in out and "hilang" in out


def test_deleted_first_entry_is_caught(ledger, capsys):
    sql(f"DELETE FROM {T} WHERE id = %s", [ledger[0].pk])
    code, out = verify_cli(capsys)
    assert code != 0 and "urutan 1" in out


def test_swapped_order_is_caught(ledger, capsys):
    a, b = ledger[1], ledger[2]  # seq 2 and 3 trade places
    sql(f"UPDATE {T} SET seq = %s WHERE id = %s", [-1, a.pk])
    sql(f"UPDATE {T} SET seq = %s WHERE id = %s", [a.seq, b.pk])
    sql(f"UPDATE {T} SET seq = %s WHERE id = %s", [b.seq, a.pk])
    code, out = verify_cli(capsys)
    assert code != 0
    assert f"entri #{b.pk} (urutan 2)" in out


def test_swapped_content_is_caught(ledger, capsys):
    a, b = ledger[1], ledger[2]
    cols = ["created_at", "object_id", "object_repr", "changes", "content_hash"]
    ra = AuditEntry.objects.filter(pk=a.pk).values_list(*cols).get()
    rb = AuditEntry.objects.filter(pk=b.pk).values_list(*cols).get()
    assign = ", ".join(f"{c} = %s" for c in cols)
    import json

    def params(row):  # type: ignore[no-untyped-def]
        created, *rest = row
        return [connection.ops.adapt_datetimefield_value(created),
                *(json.dumps(v) if isinstance(v, dict) else v for v in rest)]

    sql(f"UPDATE {T} SET {assign} WHERE id = %s", [*params(rb), a.pk])
    sql(f"UPDATE {T} SET {assign} WHERE id = %s", [*params(ra), b.pk])
    code, out = verify_cli(capsys)
    assert code != 0
    assert f"entri #{a.pk} (urutan 2)" in out


def test_renumbered_past_the_head_is_caught(ledger, capsys):
    sql(f"UPDATE {T} SET seq = %s WHERE id = %s", [1000, ledger[-1].pk])
    code, out = verify_cli(capsys)
    assert code != 0 and "urutan 6" in out


def test_edited_head_is_caught(ledger, capsys):
    sql(f"UPDATE {H} SET chain_hash = %s", ["a" * 64])
    code, out = verify_cli(capsys)
    assert code != 0 and "kepala rantai" in out


def test_edited_unsealed_entry_is_caught(ledger, capsys):
    with transaction.atomic():
        fresh = audit.record(None, "uji.baru", channel=audit.Channel.SYSTEM, changes={"x": 1})
    sql(f"UPDATE {T} SET changes = %s WHERE id = %s", ['{"x": 2}', fresh.pk])
    # checked as it is (still unsealed) …
    checked, problem = audit.verify()
    assert problem is not None and problem.entry_id == fresh.pk and problem.seq is None
    # … and by the CLI, which seals first: the stored content hash still does not match.
    code, out = verify_cli(capsys)
    assert code != 0 and f"entri #{fresh.pk}" in out
