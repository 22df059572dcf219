"""Reopening starts a new service cycle (SLA timers, breach alerts and the escalation run again; the first
cycle's times stay in the timeline and the ledger; /lacak/ shows the current cycle), and reopening a duplicate
unlinks it from its main report — through the actions and POST /api/v1/incidents/{id}/reopen and /close."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from k3i.core.audit import WIB, Channel
from k3i.core.events import latest_id
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import advance_assignment, dispatch_unit
from k3i.dispatch.tests.helpers import BULU_LOR, assert_error, make_incident, post
from k3i.incidents import sla
from k3i.incidents.actions import link_duplicate
from k3i.incidents.lifecycle import close_incident, reopen_incident
from k3i.incidents.models import Incident, IncidentLog


def reopen_url(incident: Incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/reopen"


def close_url(incident: Incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/close"


def _served_and_closed(world, *, priority: int = 1) -> Incident:
    """A P1 escalated and alerted in its first cycle, then dispatched, arrived and closed; its report an hour
    old by the time it is reopened."""
    incident = make_incident(world, category="CURAS", priority=priority, text="dibegal di jalan, pelaku bawa celurit")
    t0 = incident.created_at
    assert sla.escalate_overdue(now=t0 + timedelta(seconds=61)).escalated == [incident.pk]
    a = dispatch_unit(None, incident, world.units["semarang_tengah"], channel=Channel.SYSTEM, override_reason="uji")
    advance_assignment(None, a, "tiba", channel=Channel.SYSTEM)
    close_incident(None, incident, status="selesai", disposition="pelaku_diamankan", note="pelaku diamankan",
                   channel=Channel.SYSTEM)
    hour = timedelta(hours=1)
    Incident.objects.filter(pk=incident.pk).update(created_at=t0 - hour)
    IncidentLog.objects.filter(incident=incident).update(created_at=t0 - hour)
    incident.refresh_from_db()
    assert incident.escalated_at and incident.dispatched_at and incident.arrived_at
    return incident


def test_a_reopened_p1_escalates_and_alerts_again_from_the_reopening(world, login):
    incident = _served_and_closed(world)
    first = {"ditugaskan": incident.dispatched_at.isoformat(), "tiba": incident.arrived_at.isoformat(),
             "dinaikkan": incident.escalated_at.isoformat()}
    r = post(login("operator"), reopen_url(incident), {"reason": "pelapor menelepon lagi: pelaku kembali"})
    assert r.status_code == 200, r.content
    assert r.json()["dispatched_at"] is None and r.json()["arrived_at"] is None
    incident.refresh_from_db()
    start = incident.cycle_started_at
    assert start is not None and incident.escalated_at is None and incident.status == "baru"

    # the first cycle is kept in the timeline and the ledger
    log = IncidentLog.objects.get(incident=incident, kind="dibuka_kembali")
    assert {k: log.data["previous_cycle"][k] for k in first} == first
    entry = AuditEntry.objects.get(action="kejadian.dibuka_kembali", object_id=str(incident.pk))
    assert {k: entry.changes["siklus_sebelumnya"][k] for k in first} == first
    assert entry.changes["siklus_baru_mulai"] == start.isoformat()

    # timers run from the reopening, not from the report an hour earlier
    t = sla.timers(incident, now=start + timedelta(seconds=40))
    assert t["dispatch"].remaining == pytest.approx(20) and not t["dispatch"].breached
    assert not sla.escalate_overdue(now=start + timedelta(seconds=30))
    result = sla.escalate_overdue(now=start + timedelta(seconds=61))
    assert result.escalated == [incident.pk] and (incident.pk, "dispatch") in result.breaches
    incident.refresh_from_db()
    assert incident.escalated_at == start + timedelta(seconds=61)
    raised = IncidentLog.objects.filter(incident=incident, kind="dinaikkan").order_by("id")
    assert raised.count() == 2 and "setelah 61 detik" in raised.last().message
    alerts = IncidentLog.objects.filter(incident=incident, kind="sla.terlewati", data__target="dispatch")
    assert alerts.count() == 2 and "sejak dibuka kembali" in alerts.order_by("id").last().message
    # and once per cycle only
    assert not sla.escalate_overdue(now=start + timedelta(seconds=90))

    # dispatched again: the new cycle's times are measured from the reopening
    dispatch_unit(None, incident, world.units["semarang_tengah"], channel=Channel.SYSTEM, override_reason="uji")
    incident.refresh_from_db()
    assert incident.dispatched_at is not None and incident.dispatched_at >= start
    assert sla.timers(incident)["dispatch"].seconds == pytest.approx(
        (incident.dispatched_at - start).total_seconds())


def test_the_tracking_page_shows_the_current_cycle(world, login, client):
    incident = _served_and_closed(world)
    assert post(login("operator"), reopen_url(incident), {"reason": "pelaku kembali ke lokasi"}).status_code == 200
    body = client.get(f"/api/v1/public/track/{incident.tracking_code}").json()
    assert body["status"] == "baru"
    assert [(s["key"], s["done"]) for s in body["steps"]] == [
        ("diterima", True), ("diverifikasi", False), ("dibuka_kembali", True), ("ditugaskan", False),
        ("tiba", False), ("selesai", False)]
    assert body["message"].startswith("Laporan dibuka kembali untuk ditangani lagi.")
    assert "pelaku kembali" not in str(body)  # the reason is for staff only
    html = client.get(f"/lacak/{incident.tracking_code}/").content.decode()
    assert "Dibuka kembali untuk ditangani lagi" in html
    incident.refresh_from_db()
    dispatch_unit(None, incident, world.units["semarang_tengah"], channel=Channel.SYSTEM, override_reason="uji")
    steps = {s["key"]: s["done"] for s in client.get(f"/api/v1/public/track/{incident.tracking_code}").json()["steps"]}
    assert steps["ditugaskan"] and not steps["tiba"]


def test_report_measures_a_reopened_incident_from_the_reopening(world):
    base = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)
    incident = make_incident(world, category="CURAS", priority=1)
    Incident.objects.filter(pk=incident.pk).update(
        created_at=base, cycle_started_at=base + timedelta(hours=2),
        dispatched_at=base + timedelta(hours=2, seconds=30), arrived_at=base + timedelta(hours=2, minutes=5),
        status="ditangani")
    report = sla.report_for(world.user("kapolres"), group="priority", now=base + timedelta(days=1))
    row = report["baris"][0]
    assert row["dispatch"]["p50_detik"] == 30 and row["dispatch"]["dalam_target"] == 1
    assert row["tiba"]["p50_detik"] == 300 and row["tiba"]["dalam_target"] == 1


# --- duplicates --------------------------------------------------------------------------------------------


def _linked(world) -> tuple[Incident, Incident, Incident]:
    """A main report in Semarang Tengah with two duplicates, one from Semarang Utara: Bagops by many reports
    from two Polsek (its own category has no outside partner)."""
    op = world.user("operator")
    main = make_incident(world, category="CURANMOR", priority=2, text="motor dicuri di depan warung")
    near = make_incident(world, category="CURANMOR", priority=2, text="motor dicuri di depan warung")
    far = make_incident(world, at=BULU_LOR, category="CURANMOR", priority=2, text="motor dicuri di depan warung")
    link_duplicate(op, near, duplicate_of=main, channel="web")
    link_duplicate(op, far, duplicate_of=main, channel="web")
    main.refresh_from_db()
    assert main.bagops and len(main.bagops_reasons) == 2
    return main, near, far


def test_reopening_a_duplicate_unlinks_it_and_recounts_the_main_report(world, login, client):
    main, near, far = _linked(world)
    c = login("operator")
    assert_error(post(c, reopen_url(far), {"reason": ""}), 422, "reason")
    since = latest_id()
    r = post(c, reopen_url(far), {"reason": "salah tautan: kejadian lain di Bulu Lor"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "baru" and r.json()["closed_at"] is None
    far.refresh_from_db()
    main.refresh_from_db()
    assert far.duplicate_of_id is None and far.is_open and far.cycle_started_at is not None
    # two reports from one Polsek are no longer a Bagops problem: it leaves the queue, and says so
    assert not main.bagops and main.bagops_reasons == []
    assert IncidentLog.objects.get(incident=main, kind="tautan_dilepas").message == (
        f"Laporan {far.number} dilepas dari kejadian ini: salah tautan: kejadian lain di Bulu Lor")
    left = IncidentLog.objects.get(incident=main, kind="bagops", message__startswith="Keluar")
    assert "banyak laporan" in left.message and "lintas wilayah" in left.message
    log = IncidentLog.objects.get(incident=far, kind="dibuka_kembali")
    assert log.message.startswith(f"Tautan duplikat ke {main.number} dilepas") and log.data["duplicate_of"] == main.pk
    entry = AuditEntry.objects.get(action="kejadian.dibuka_kembali", object_id=str(far.pk))
    assert entry.changes["status"] == ["duplikat", "baru"] and entry.changes["duplikat_dari"] == main.number
    assert entry.changes["bagops_utama"] == [True, False] and entry.changes["alasan"].startswith("salah tautan")
    updated = {e.payload["id"] for e in LiveEvent.objects.filter(id__gt=since, kind="kejadian.diperbarui")}
    assert updated == {far.pk, main.pk}
    # the main report lists one linked report; the unlinked one tracks its own progress again
    assert [x["id"] for x in c.get(f"/api/v1/incidents/{main.pk}").json()["linked_reports"]] == [near.pk]
    track = client.get(f"/api/v1/public/track/{far.tracking_code}").json()
    assert track["merged"] is False and track["status"] == "baru"
    # and it can be linked again (to the right report) or dispatched
    assert post(c, f"/api/v1/incidents/{far.pk}/dispatches",
                {"unit_id": world.units["semarang_utara"].pk}).status_code == 201


def test_unlinking_needs_the_main_report_in_scope(world, login):
    main, near, far = _linked(world)
    # Semarang Utara's desk sees the duplicate from Bulu Lor, not the main report in Semarang Tengah
    assert_error(post(login("operator_semarang_utara"), reopen_url(far), {"reason": "salah tautan"}), 404)
    far.refresh_from_db()
    main.refresh_from_db()
    assert far.status == "duplikat" and far.duplicate_of_id == main.pk and main.bagops
    assert not AuditEntry.objects.filter(action="kejadian.dibuka_kembali").exists()
    # a role without change_incident: 403
    assert_error(post(login("anggota_semarang_tengah"), reopen_url(near), {"reason": "salah tautan"}), 403)


def test_close_and_reopen_answer_consistently(world, login):
    main, near, _far = _linked(world)
    c = login("operator")
    # a duplicate is closed: closing it again is a conflict, reopening it is allowed
    body = assert_error(post(c, close_url(near), {"status": "selesai", "disposition": "mediasi", "note": "damai"}),
                        409, "status")
    assert "sudah ditutup" in body["detail"] and body["errors"][0]["message"] == "kejadian sudah ditutup"
    # an open incident is open: reopening it is a conflict with the opposite message
    body = assert_error(post(c, reopen_url(main), {"reason": "buka lagi"}), 409, "status")
    assert "masih terbuka" in body["detail"] and body["errors"][0]["message"] == "kejadian masih terbuka"
    assert post(c, reopen_url(near), {"reason": "salah tautan"}).status_code == 200
    body = assert_error(post(c, reopen_url(near), {"reason": "salah tautan"}), 409, "status")
    assert "masih terbuka" in body["detail"]


def test_reopen_action_by_the_system(world):
    main, near, _far = _linked(world)
    reopened = reopen_incident(None, near, reason="dilepas oleh sistem", channel=Channel.SYSTEM)
    assert reopened.status == Incident.Status.BARU and reopened.duplicate_of_id is None
    main.refresh_from_db()
    # two reports left, from two Polsek: still Bagops, for that reason only
    assert main.bagops and main.bagops_reasons == ["lintas wilayah: laporan dari 2 Polsek"]
    assert IncidentLog.objects.filter(incident=main, kind="bagops").order_by("id").last().message == (
        "Alasan Bagops diperbarui setelah tautan duplikat dilepas: lintas wilayah: laporan dari 2 Polsek")
    assert timezone.now() - reopened.cycle_started_at < timedelta(minutes=1)


def test_queue_countdowns_run_from_the_reopening(world):
    """The ops room's queues count down from the start of the current cycle, not from the first report."""
    from k3i.ops.room import dispatch_target_seconds, queues

    incident = _served_and_closed(world)
    reopen_incident(world.user("operator"), incident, reason="korban melapor pelaku kembali", channel=Channel.WEB)
    incident.refresh_from_db()
    rows = [r for q in queues(world.user("operator")) for r in q.rows if r.incident.pk == incident.pk]
    assert rows, "the reopened incident is in a queue"
    assert incident.cycle_started_at is not None and incident.cycle_started_at > incident.created_at
    assert rows[0].deadline == incident.cycle_started_at + timedelta(seconds=dispatch_target_seconds(1))
