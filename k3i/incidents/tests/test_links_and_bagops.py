"""Linking a duplicate ends its units' assignments (so a reopened duplicate starts a clean cycle), and the Bagops
flag follows one rule on every path (``actions.recompute_bagops``): reasons from the current category, the
reports linked now and their Polsek — none outlives what gave it — with a timeline line when it changes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from k3i.core.audit import Channel
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import advance_assignment, dispatch_unit
from k3i.dispatch.models import Assignment
from k3i.dispatch.tests.helpers import BULU_LOR, make_incident, post
from k3i.incidents import sla
from k3i.incidents.actions import confirm_location, confirm_triage, link_duplicate
from k3i.incidents.lifecycle import reopen_incident
from k3i.incidents.models import Incident, IncidentLog
from k3i.ops.room import queues


def _queue_of(user, incident: Incident) -> set[str]:
    return {q.key for q in queues(user) for r in q.rows if r.incident.pk == incident.pk}


# --- A: a duplicate holds no unit --------------------------------------------------------------------------


def test_linking_ends_the_duplicates_assignments_and_reopening_starts_clean(world, login):
    op = world.user("operator")
    main = make_incident(world, text="keributan di pasar")
    dup = make_incident(world, text="keributan di pasar, ramai", priority=1)
    tengah, utara = world.units["semarang_tengah"], world.units["semarang_utara"]
    on_way = dispatch_unit(op, dup, tengah, channel=Channel.WEB, override_reason="terdekat")
    there = dispatch_unit(op, dup, utara, channel=Channel.WEB, override_reason="bantuan")
    advance_assignment(op, there, "tiba", channel=Channel.WEB)
    c = login("operator")

    r = post(c, f"/api/v1/incidents/{dup.pk}/link", {"duplicate_of": main.pk})
    assert r.status_code == 200, r.content
    on_way.refresh_from_db()
    there.refresh_from_db()
    tengah.refresh_from_db()
    utara.refresh_from_db()
    # ended as closing ends them: the one on its way cancelled, the one that arrived completed; units free
    assert (on_way.status, there.status) == ("dibatalkan", "selesai")
    assert tengah.status == utara.status == "tersedia"
    notes = {e.object_id: e.changes["catatan"] for e in AuditEntry.objects.filter(action="penugasan.status")
             if e.changes.get("catatan", "").startswith("laporan ditautkan")}
    assert notes == {str(on_way.pk): f"laporan ditautkan ke {main.number}",
                     str(there.pk): f"laporan ditautkan ke {main.number}"}
    linked = IncidentLog.objects.get(incident=dup, kind="ditautkan")
    assert "penugasan diakhiri, unit bebas" in linked.message and tengah.callsign in linked.message
    entry = AuditEntry.objects.get(action="kejadian.ditautkan", object_id=str(dup.pk))
    assert {(e["penugasan"], e["status"]) for e in entry.changes["penugasan_diakhiri"]} == {
        (on_way.pk, "dibatalkan"), (there.pk, "selesai")}
    # the freed unit can be sent to the main report at once
    assert post(c, f"/api/v1/incidents/{main.pk}/dispatches",
                {"unit_id": tengah.pk, "override_reason": "dari duplikat"}).status_code == 201

    r = post(c, f"/api/v1/incidents/{dup.pk}/reopen", {"reason": "ternyata kejadian lain"})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "baru" and r.json()["dispatched_at"] is None
    # no unit is on it any more: it really waits for dispatch, in a new cycle
    body = c.get(f"/api/v1/incidents/{dup.pk}").json()
    assert body["dispatched_at"] is None and body["arrived_at"] is None and body["cycle_started_at"]
    assert not Assignment.objects.filter(incident=dup, status__in=Assignment.ACTIVE).exists()
    dup.refresh_from_db()
    assert _queue_of(op, dup) & {"baru", "menunggu"} and "aktif" not in _queue_of(op, dup)


def test_a_duplicate_that_still_holds_a_unit_is_reopened_as_served(world, login):
    """Data from before linking ended assignments: the duplicate still has units on it. Reopening keeps the
    cycle going instead of showing it as waiting for dispatch (no reset clocks, no false escalation)."""
    op = world.user("operator")
    main = make_incident(world, text="keributan di pasar")
    dup = make_incident(world, text="keributan di pasar, ramai", priority=1)
    a = dispatch_unit(op, dup, world.units["semarang_tengah"], channel=Channel.WEB, override_reason="terdekat")
    dup.refresh_from_db()
    dispatched = dup.dispatched_at
    Incident.objects.filter(pk=dup.pk).update(status="duplikat", duplicate_of=main, closed_at=timezone.now())

    r = post(login("operator"), f"/api/v1/incidents/{dup.pk}/reopen", {"reason": "bukan kejadian yang sama"})
    assert r.status_code == 200, r.content
    dup.refresh_from_db()
    assert dup.status == "ditugaskan" and dup.dispatched_at == dispatched and dup.cycle_started_at is None
    assert dup.duplicate_of_id is None and dup.closed_at is None
    assert "aktif" in _queue_of(op, dup) and not _queue_of(op, dup) & {"baru", "menunggu"}
    assert dup.pk not in sla.escalate_overdue(now=timezone.now() + timedelta(minutes=5)).escalated
    log = IncidentLog.objects.get(incident=dup, kind="dibuka_kembali")
    assert "siklus berlanjut, 1 unit masih bertugas" in log.message and log.data["units_on_it"] == 1
    entry = AuditEntry.objects.get(action="kejadian.dibuka_kembali", object_id=str(dup.pk))
    assert entry.changes["status"] == ["duplikat", "ditugaskan"] and entry.changes["siklus_baru_mulai"] is None

    # the same with a unit that arrived: handled
    advance_assignment(op, a, "tiba", channel=Channel.WEB)
    Incident.objects.filter(pk=dup.pk).update(status="duplikat", duplicate_of=main, closed_at=timezone.now())
    reopen_incident(op, dup, reason="bukan kejadian yang sama", channel=Channel.WEB)
    dup.refresh_from_db()
    assert dup.status == "ditangani" and dup.arrived_at is not None and dup.dispatched_at == dispatched


# --- B: one rule for the Bagops flag ----------------------------------------------------------------------


def test_a_reopened_former_main_report_counts_only_its_current_links(world, login):
    op = world.user("operator")
    kind = {"category": "CURANMOR", "priority": 2, "text": "motor dicuri di depan warung"}  # not Bagops alone
    a = make_incident(world, **kind)
    d1, d2, b = (make_incident(world, **kind) for _ in range(3))
    link_duplicate(op, d1, duplicate_of=a, channel="web")
    link_duplicate(op, d2, duplicate_of=a, channel="web")
    a.refresh_from_db()
    assert a.bagops_reasons == ["banyak laporan: 3 laporan untuk kejadian yang sama"]

    link_duplicate(op, a, duplicate_of=b, channel="web")  # A's duplicates move to B along with it
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.bagops_reasons == ["banyak laporan: 4 laporan untuk kejadian yang sama"]
    assert not a.bagops and a.bagops_reasons == []  # its reports went to B
    left = IncidentLog.objects.filter(incident=a, kind="bagops").order_by("id").last()
    assert left.message.startswith("Keluar dari antrean Bagops setelah ditautkan sebagai duplikat")
    entered = IncidentLog.objects.filter(incident=b, kind="bagops").order_by("id").last()
    assert entered.message == "Diangkat ke Bagops: banyak laporan: 4 laporan untuk kejadian yang sama"

    since = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first()
    c = login("operator")
    r = post(c, f"/api/v1/incidents/{a.pk}/reopen", {"reason": "bukan kejadian yang sama"})
    assert r.status_code == 200, r.content
    body = c.get(f"/api/v1/incidents/{a.pk}").json()
    assert body["bagops"] is False and body["bagops_reasons"] == [] and body["linked_reports"] == []
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.is_open and "bagops" not in _queue_of(op, a)
    assert b.bagops_reasons == ["banyak laporan: 3 laporan untuk kejadian yang sama"]
    assert IncidentLog.objects.filter(incident=b, kind="bagops").order_by("id").last().message == (
        "Alasan Bagops diperbarui setelah tautan duplikat dilepas: banyak laporan: 3 laporan untuk kejadian yang sama")
    events = LiveEvent.objects.filter(id__gt=since, kind="kejadian.diperbarui")
    assert {e.payload["id"]: e.payload["bagops"] for e in events} == {a.pk: False, b.pk: True}


def test_a_reopened_incident_lifted_by_its_category_returns_to_the_bagops_queue(world):
    op = world.user("operator")
    main = make_incident(world, category="CURANMOR", text="motor dicuri")
    fire = make_incident(world, category="KEBAKARAN", text="rumah terbakar")  # Damkar: Bagops by its routing
    assert fire.bagops
    link_duplicate(op, fire, duplicate_of=main, channel="web")
    reopen_incident(op, fire, reason="kejadian lain", channel=Channel.WEB)
    fire.refresh_from_db()
    assert fire.bagops and fire.bagops_reasons[0].startswith("lintas fungsi dan instansi")
    assert "bagops" in _queue_of(op, fire)


def test_moving_a_report_out_of_another_polsek_takes_it_out_of_bagops(world):
    """Before, a location correction could only lift an incident to Bagops ("once lifted it stays")."""
    op = world.user("operator")
    kind = {"category": "CURANMOR", "priority": 2, "text": "motor dicuri di depan warung"}
    main = make_incident(world, at=BULU_LOR, **kind)  # Semarang Utara
    dup = make_incident(world, **kind)  # Semarang Tengah
    link_duplicate(op, dup, duplicate_of=main, channel="web")
    main.refresh_from_db()
    assert main.bagops_reasons == ["lintas wilayah: laporan dari 2 Polsek"]

    confirm_location(op, main, lat=-6.98, lon=110.41, channel="web")  # it was in Semarang Tengah after all
    main.refresh_from_db()
    assert not main.bagops and main.bagops_reasons == []
    left = IncidentLog.objects.filter(incident=main, kind="bagops").order_by("id").last()
    assert left.message.startswith("Keluar dari antrean Bagops setelah koreksi lokasi") and "lintas wilayah" in left.message
    # and a triage confirmation afterwards does not bring the old reason back
    confirm_triage(op, main, channel="web")
    main.refresh_from_db()
    assert not main.bagops and main.bagops_reasons == []

    confirm_location(op, main, lat=BULU_LOR[0], lon=BULU_LOR[1], channel="web")  # and back: lifted again
    main.refresh_from_db()
    assert main.bagops and main.bagops_reasons == ["lintas wilayah: laporan dari 2 Polsek"]
    assert IncidentLog.objects.filter(incident=main, kind="bagops").order_by("id").last().message == (
        "Diangkat ke Bagops: lintas wilayah: laporan dari 2 Polsek")
