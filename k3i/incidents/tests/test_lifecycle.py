"""Closing an incident with a disposition (assignments end, units freed) and reopening it, through the
actions and POST /api/v1/incidents/{id}/close and /reopen, by role and territory."""

from __future__ import annotations

import pytest

from k3i.core.audit import Channel
from k3i.core.errors import Conflict, ValidationFailed
from k3i.core.events import latest_id
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import advance_assignment, dispatch_unit
from k3i.dispatch.models import Assignment, PatrolUnit, UnitStatus
from k3i.dispatch.tests.helpers import assert_error, make_incident, post
from k3i.incidents.lifecycle import DISPOSITIONS, close_incident, reopen_incident
from k3i.incidents.models import Incident, IncidentLog


def close_url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/close"


def reopen_url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/reopen"


def test_closing_ends_assignments_and_frees_units(world, login):
    incident = make_incident(world, category="TAWURAN", priority=2)
    tengah, utara = world.units["semarang_tengah"], world.units["semarang_utara"]
    arrived = dispatch_unit(None, incident, tengah, channel=Channel.SYSTEM)
    advance_assignment(None, arrived, "tiba", channel=Channel.SYSTEM)
    on_the_way = dispatch_unit(None, incident, utara, channel=Channel.SYSTEM, override_reason="bantuan")
    advance_assignment(None, on_the_way, "menuju", channel=Channel.SYSTEM)
    before = latest_id()

    r = post(login("operator"), close_url(incident),
             {"status": "selesai", "disposition": "pelaku_diamankan", "note": "dua pelaku dibawa ke Polsek"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["status"], body["disposition"], body["disposition_note"]) == \
        ("selesai", "pelaku_diamankan", "dua pelaku dibawa ke Polsek")
    assert body["closed_at"] and body["arrived_at"] and body["dispatched_at"]
    arrived.refresh_from_db()
    on_the_way.refresh_from_db()
    assert arrived.status == Assignment.Status.SELESAI and arrived.completed_at is not None
    assert on_the_way.status == Assignment.Status.DIBATALKAN and on_the_way.cancelled_at is not None
    assert set(PatrolUnit.objects.filter(pk__in=[tengah.pk, utara.pk]).values_list("status", flat=True)) == \
        {UnitStatus.TERSEDIA}
    kinds = [e.kind for e in LiveEvent.objects.filter(id__gt=before).order_by("id")]
    assert kinds.count("penugasan.status") == 2 and kinds.count("unit.status") == 2
    assert kinds[-1] == "kejadian.diperbarui"
    entry = AuditEntry.objects.get(action="kejadian.ditutup")
    assert entry.changes["hasil"] == "pelaku_diamankan" and len(entry.changes["penugasan_diakhiri"]) == 2
    assert IncidentLog.objects.filter(incident=incident, kind="ditutup").exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"status": "selesai", "disposition": "laporan_palsu", "note": "catatan"}, "disposition"),  # wrong status
        ({"status": "selesai", "disposition": "mediasi", "note": " "}, "note"),
        ({"status": "selesai", "disposition": "mediasi"}, "note"),
        ({"status": "duplikat", "disposition": "mediasi", "note": "catatan"}, "status"),
        ({"status": "baru", "disposition": "mediasi", "note": "catatan"}, "status"),
        ({"disposition": "mediasi", "note": "catatan"}, "status"),
    ],
)
def test_closing_needs_a_valid_disposition_and_a_note(world, login, data, field):
    incident = make_incident(world)
    assert_error(post(login("operator"), close_url(incident), data), 422, field)
    incident.refresh_from_db()
    assert incident.is_open and incident.closed_at is None
    assert not AuditEntry.objects.filter(action="kejadian.ditutup").exists()


@pytest.mark.parametrize("status", ["selesai", "tidak_terbukti", "dibatalkan"])
def test_every_closing_status_has_its_dispositions(world, status):
    incident = make_incident(world)
    code = next(iter(DISPOSITIONS[status]))
    closed = close_incident(world.user("kapolsek_semarang_tengah"), incident, status=status, disposition=code,
                            note="ditutup untuk uji", channel=Channel.WEB)
    assert closed.status == status and closed.disposition == code and not closed.is_open


def test_closing_twice_is_a_conflict(world, login):
    incident = make_incident(world)
    c = login("operator")
    data = {"status": "tidak_terbukti", "disposition": "tidak_ditemukan", "note": "tidak ada apa-apa di lokasi"}
    assert post(c, close_url(incident), data).status_code == 200
    assert_error(post(c, close_url(incident), data), 409)


def test_reopening_is_possible_and_recorded(world, login):
    incident = make_incident(world)
    a = dispatch_unit(None, incident, world.units["semarang_tengah"], channel=Channel.SYSTEM)
    advance_assignment(None, a, "tiba", channel=Channel.SYSTEM)
    close_incident(None, incident, status="tidak_terbukti", disposition="tidak_ditemukan", note="nihil",
                   channel=Channel.SYSTEM)
    incident.refresh_from_db()
    dispatched_at, arrived_at = incident.dispatched_at, incident.arrived_at

    c = login("operator")
    assert_error(post(c, reopen_url(incident), {"reason": ""}), 422, "reason")
    r = post(c, reopen_url(incident), {"reason": "pelapor menelepon lagi: pelaku kembali"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "baru" and body["closed_at"] is None and body["disposition"] == ""
    incident.refresh_from_db()
    # a new service cycle: the first one's times are in the timeline and the ledger, no longer on the record
    assert incident.is_open and incident.dispatched_at is None and incident.arrived_at is None
    assert incident.cycle_started_at is not None and incident.service_started_at == incident.cycle_started_at
    log = IncidentLog.objects.get(incident=incident, kind="dibuka_kembali")
    assert "pelaku kembali" in log.message and log.data["previous_disposition"] == "tidak_ditemukan"
    assert log.data["previous_cycle"]["ditugaskan"] == dispatched_at.isoformat()
    assert log.data["previous_cycle"]["tiba"] == arrived_at.isoformat()
    assert "siklus sebelumnya" in log.message
    entry = AuditEntry.objects.get(action="kejadian.dibuka_kembali")
    assert entry.changes["status"] == ["tidak_terbukti", "baru"]
    assert entry.changes["hasil_sebelumnya"] == "tidak_ditemukan"
    assert entry.changes["siklus_sebelumnya"]["ditugaskan"] == dispatched_at.isoformat()
    assert entry.changes["siklus_sebelumnya"]["mulai"] == incident.created_at.isoformat()
    # open again: it can be dispatched and closed once more; reopening an open incident is a conflict
    assert_error(post(c, reopen_url(incident), {"reason": "lagi"}), 409)
    assert post(c, f"/api/v1/incidents/{incident.pk}/dispatches",
                {"unit_id": world.units["semarang_tengah"].pk}).status_code == 201
    assert post(c, close_url(incident), {"status": "selesai", "disposition": "pelaku_diamankan",
                                         "note": "pelaku diamankan"}).status_code == 200


def test_a_verified_incident_reopens_as_verified(world):
    from k3i.incidents.actions import confirm_triage

    incident = make_incident(world)
    confirm_triage(world.user("operator"), incident, channel=Channel.WEB)
    close_incident(None, incident, status="dibatalkan", disposition="dibatalkan_pelapor", note="pelapor batal",
                   channel=Channel.SYSTEM)
    reopened = reopen_incident(None, incident, reason="ternyata benar terjadi", channel=Channel.SYSTEM)
    assert reopened.status == Incident.Status.DIVERIFIKASI


def test_action_errors(world):
    incident = make_incident(world)
    with pytest.raises(ValidationFailed):
        close_incident(None, incident, status="selesai", disposition="tidak_ada", note="x" * 10, channel="web")
    with pytest.raises(Conflict):
        reopen_incident(None, incident, reason="belum ditutup", channel="web")


# user → status of POST /incidents/{Miroto}/close
CLOSE_ACCESS = {
    "operator": 200, "kabagops": 200, "operator_semarang_tengah": 200, "kapolsek_semarang_tengah": 200,
    "anggota_semarang_tengah": 403, "bhabin_miroto": 403, "spkt": 403, "analis": 403, "kapolres": 403,
    "propam": 403,
    "kapolsek_semarang_utara": 404, "operator_semarang_utara": 404, "anggota_semarang_utara": 404,
    "admin": 404,
}


@pytest.mark.parametrize(("username", "status"), sorted(CLOSE_ACCESS.items()))
def test_who_may_close_and_reopen(world, login, username, status):
    incident = make_incident(world)
    c = login(username)
    r = post(c, close_url(incident), {"status": "selesai", "disposition": "mediasi", "note": "damai"})
    assert r.status_code == status, (username, r.content)
    incident.refresh_from_db()
    assert incident.is_open == (status != 200)
    if status == 200:
        assert post(c, reopen_url(incident), {"reason": "dibuka lagi"}).status_code == 200
    else:
        close_incident(None, incident, status="selesai", disposition="mediasi", note="damai", channel="web")
        assert post(c, reopen_url(incident), {"reason": "dibuka lagi"}).status_code == status
