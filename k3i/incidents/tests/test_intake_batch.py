"""Reports arriving at the same moment are written together (intake group commit) — and each is complete:
its own number, timeline entry, ledger entry and live event; a retry gets the first report back.

The threads write on their own connections, so the data must be committed: PostgreSQL with
``transaction=True``, SQLite through a file database in a subprocess (as the dispatch race test does).
"""

from __future__ import annotations

import re
import threading
import time

import pytest
from django.db import close_old_connections, connection

from k3i.core.models import AuditEntry, LiveEvent
from k3i.incidents import actions
from k3i.incidents.models import Incident, IncidentLog
from k3i.testing import run_on_sqlite_file

POINTS = [(-6.98, 110.41), (-6.98, 110.43), (-6.94, 110.43)]


def burst(world, n: int = 12) -> dict[str, object]:
    """``n`` reports from as many threads at once (three with one key, one retry of report 0), written while
    the writer holds report 0 so that the others have to queue and share batches."""
    op = world.users["operator"]
    gate = threading.Event()
    original = actions._write
    held = {"first": True}

    entered = threading.Event()

    def slow_write(drafts):  # the first batch (report 0 alone) waits until everybody has queued behind it
        if held.pop("first", False):
            entered.set()
            gate.wait(10)
        return original(drafts)

    actions._write = slow_write
    answers: dict[int, object] = {}

    def go(idx: int) -> None:
        lat, lon = POINTS[idx % 3]
        # 5, 6, 7: one report (key and text) three times in one batch; 8: a retry of report 0, written in an
        # earlier batch
        key = "sama" if idx in (5, 6, 7) else "k0" if idx == 8 else f"k{idx}"
        try:
            incident, created = actions.create_incident(
                op, polres=world.polres, channel="110", text=f"ada maling motor di gang {key}", lat=lat, lon=lon,
                reporter_phone="081234567890", idempotency_key=key, audit_channel="api")
            answers[idx] = (incident.pk, incident.number, created)
        except Exception as exc:  # noqa: BLE001 - reported to the assertions
            answers[idx] = repr(exc)
        finally:
            close_old_connections()
            connection.close()

    batches0, items0 = actions._intake.batches, actions._intake.items
    try:
        threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
        threads[0].start()
        assert entered.wait(10)
        for t in threads[1:]:
            t.start()
        deadline = time.monotonic() + 10
        while len(actions._intake._queue) < n - 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        gate.set()
        for t in threads:
            t.join(30)
    finally:
        actions._write = original
    ids = [a[0] for a in answers.values() if isinstance(a, tuple)]
    return {
        "answers": {str(k): v for k, v in answers.items()},
        "batches": actions._intake.batches - batches0,
        "items": actions._intake.items - items0,
        "incidents": Incident.objects.filter(pk__in=ids).count(),
        "numbers": sorted(str(n) for n in Incident.objects.filter(pk__in=ids).values_list("number", flat=True)),
        "logs": IncidentLog.objects.filter(incident_id__in=ids, kind="dibuat").count(),
        # each located report names its kelurahan's Bhabinkamtibmas (or the gap) on its own timeline
        "bhabin_notes": sorted(IncidentLog.objects.filter(incident_id__in=ids, kind="bhabinkamtibmas").values_list(
            "incident_id", flat=True)),
        "audit": AuditEntry.objects.filter(action="kejadian.dibuat", object_id__in=[str(i) for i in ids]).count(),
        "events": sorted(e.payload["id"] for e in LiveEvent.objects.filter(kind="kejadian.baru")
                         if e.payload.get("id") in ids),
        "n": n,
    }


def check(r: dict) -> None:
    n = r["n"]
    answers = r["answers"]
    assert len(answers) == n and all(isinstance(a, list | tuple) for a in answers.values()), answers
    made = {a[0] for a in answers.values()}
    written = n - 3  # three submissions with one key: one report; and one retry of report 0
    assert len(made) == written
    same = {tuple(answers[str(i)][:2]) for i in (5, 6, 7)}
    assert len(same) == 1 and sum(answers[str(i)][2] for i in (5, 6, 7)) == 1
    assert answers["8"][:2] == answers["0"][:2] and answers["8"][2] is False and answers["0"][2] is True
    assert r["incidents"] == written and r["logs"] == written and r["audit"] == written
    assert r["bhabin_notes"] == sorted(made)
    assert r["events"] == sorted(made)
    assert len(set(r["numbers"])) == written
    assert all(re.fullmatch(r"LK-3374-\d{8}-\d{6}", x) for x in r["numbers"]), r["numbers"]
    for pk, number, _ in answers.values():
        assert number.endswith(f"-{pk:06d}")
    assert r["items"] == n and r["batches"] < n  # they did share batches


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_reports_on_postgresql(world):
    if connection.vendor != "postgresql":
        pytest.skip("hanya PostgreSQL (K3I_DATABASE_URL); SQLite diuji dengan berkas di uji berikut")
    check(burst(world))


def test_a_burst_of_reports_on_a_sqlite_file(tmp_path):
    check(run_on_sqlite_file(tmp_path, "k3i.incidents.tests.test_intake_batch", "burst"))


def test_inside_a_transaction_the_report_is_written_in_it(world):
    """The caller's transaction (here: the test's) holds the report: no other thread writes it."""
    batches0 = actions._intake.batches
    incident, created = actions.create_incident(
        world.users["operator"], polres=world.polres, channel="110", text="ada tawuran pelajar", lat=-6.98,
        lon=110.41, audit_channel="api")
    assert created and incident.number.endswith(f"-{incident.pk:06d}")
    assert actions._intake.batches == batches0
    assert IncidentLog.objects.filter(incident=incident, kind="dibuat").count() == 1
