"""Dispatch: POST /incidents/{id}/dispatches (override reason, busy units, pulling, the race for one unit),
POST /dispatches/{id}/status (the timestamp chain; unit and incident states follow), by role and territory."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from k3i.core.audit import Channel
from k3i.core.errors import Conflict, ValidationFailed
from k3i.core.events import latest_id
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import advance_assignment, dispatch_unit
from k3i.dispatch.models import Assignment, PatrolUnit, UnitStatus
from k3i.incidents.models import Incident, IncidentLog
from k3i.testing import run_on_sqlite_file

from .helpers import BRUMBUNGAN, assert_error, make_incident, post, put_at, sign_on_crew


def dispatch_url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/dispatches"


def status_url(a) -> str:
    return f"/api/v1/dispatches/{a['id'] if isinstance(a, dict) else a.pk}/status"


def test_dispatching_the_first_suggestion(world, login):
    incident = make_incident(world, category="TAWURAN", priority=2)
    unit = world.units["semarang_tengah"]
    before = latest_id()
    r = post(login("operator"), dispatch_url(incident), {"unit_id": unit.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["unit_id"], body["status"], body["recommended_rank"], body["assigned_by"]) == \
        (unit.pk, "ditugaskan", 1, "operator")
    assert body["eta_seconds"] > 0 and body["assigned_at"]
    unit.refresh_from_db()
    incident.refresh_from_db()
    assert unit.status == UnitStatus.DITUGASKAN and unit.status_at is not None
    assert incident.status == Incident.Status.DITUGASKAN and incident.dispatched_at is not None
    kinds = [e.kind for e in LiveEvent.objects.filter(id__gt=before).order_by("id")]
    assert kinds == ["penugasan.baru", "unit.status", "kejadian.diperbarui"]
    entry = AuditEntry.objects.get(action="penugasan.dibuat")
    assert entry.changes["unit"] == unit.pk and entry.changes["peringkat_saat_ini"] == 1
    assert IncidentLog.objects.filter(incident=incident, kind="ditugaskan").exists()


def test_another_unit_than_the_first_suggestion_needs_a_reason(world, login):
    incident = make_incident(world, category="TAWURAN", priority=2)
    second = world.units["semarang_utara"]
    c = login("operator")
    body = assert_error(post(c, dispatch_url(incident), {"unit_id": second.pk}), 422, "override_reason")
    assert "alasan" in body["detail"]
    assert not Assignment.objects.exists()
    assert_error(post(c, dispatch_url(incident), {"unit_id": second.pk, "override_reason": "   "}), 422,
                 "override_reason")
    r = post(c, dispatch_url(incident), {"unit_id": second.pk, "override_reason": "unit Tengah sedang makan siang"})
    assert r.status_code == 201, r.content
    assert r.json()["override_reason"] == "unit Tengah sedang makan siang"
    assert r.json()["recommended_rank"] > 1
    log = IncidentLog.objects.get(incident=incident, kind="ditugaskan")
    assert "unit Tengah sedang makan siang" in log.message


def test_the_rank_a_client_claims_does_not_replace_the_reason(world, login):
    """``recommended_rank`` is informational: the server's current ranking decides whether a reason is needed
    (here the Utara unit is rank 3 for a report in Miroto)."""
    incident = make_incident(world, category="TAWURAN", priority=2)
    utara = world.units["semarang_utara"]
    c = login("operator")
    body = assert_error(post(c, dispatch_url(incident), {"unit_id": utara.pk, "recommended_rank": 1}), 422,
                        "override_reason")
    assert body["detail"].startswith("Peringkat unit berubah: kini peringkat 3 (sebelumnya peringkat 1)")
    with pytest.raises(ValidationFailed, match="Peringkat unit berubah: kini peringkat 3"):
        dispatch_unit(world.user("operator"), incident, utara, channel=Channel.API, recommended_rank=1)
    assert not Assignment.objects.exists()
    # with a reason it goes through, and both ranks are kept
    r = post(c, dispatch_url(incident), {"unit_id": utara.pk, "recommended_rank": 1, "override_reason": "diminta"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["recommended_rank"], body["current_rank"], body["ranking_size"]) == (1, 3, 3)
    entry = AuditEntry.objects.get(action="penugasan.dibuat")
    assert (entry.changes["peringkat_dilihat"], entry.changes["peringkat_saat_ini"]) == (1, 3)
    assert entry.changes["tanpa_peringkat"] is False


def test_a_rank_shown_that_has_since_improved_to_first_needs_no_reason(world):
    incident = make_incident(world, category="TAWURAN", priority=2)
    a = dispatch_unit(world.user("operator"), incident, world.units["semarang_tengah"], channel=Channel.API,
                      recommended_rank=2)
    assert (a.recommended_rank, a.current_rank, a.override_reason) == (2, 1, "")


def test_a_busy_unit_gets_409_and_can_be_pulled_only_from_a_less_urgent_task(world, login):
    c = login("operator")
    unit = world.units["semarang_tengah"]
    p3 = make_incident(world, at=BRUMBUNGAN, category="CURAT", priority=3, text="rumah dibobol kemarin")
    first = post(c, dispatch_url(p3), {"unit_id": unit.pk, "override_reason": "uji"}).json()
    p3.refresh_from_db()
    assert p3.status == Incident.Status.DITUGASKAN

    p3b = make_incident(world, at=BRUMBUNGAN, category="CURAT", priority=3, text="rumah lain dibobol")
    body = assert_error(post(c, dispatch_url(p3b), {"unit_id": unit.pk, "override_reason": "uji"}), 409, "unit_id")
    assert unit.callsign in body["detail"] and p3.number in body["detail"]
    body = assert_error(post(c, dispatch_url(p3b), {"unit_id": unit.pk, "override_reason": "uji", "pull": True}), 409)
    assert "tidak dapat ditarik" in body["detail"]

    p1 = make_incident(world, category="CURAS", priority=1, text="begal bawa celurit, pelaku masih di lokasi")
    body = assert_error(post(c, dispatch_url(p1), {"unit_id": unit.pk, "override_reason": "uji"}), 409)
    assert "tarik" in body["detail"]
    before = latest_id()
    r = post(c, dispatch_url(p1), {"unit_id": unit.pk, "pull": True, "override_reason": "paling dekat"})
    assert r.status_code == 201, r.content
    assert r.json()["pulled_from_id"] == first["id"]
    old = Assignment.objects.get(pk=first["id"])
    assert old.status == Assignment.Status.DIBATALKAN and old.cancelled_at is not None
    p3.refresh_from_db()
    assert p3.status == Incident.Status.BARU and p3.dispatched_at is not None  # waits for a unit again
    assert IncidentLog.objects.filter(incident=p3, kind="unit_ditarik").exists()
    kinds = [e.kind for e in LiveEvent.objects.filter(id__gt=before).order_by("id")]
    assert "penugasan.status" in kinds and "penugasan.baru" in kinds
    unit.refresh_from_db()
    assert unit.status == UnitStatus.DITUGASKAN
    assert Assignment.objects.filter(unit=unit, status__in=Assignment.ACTIVE).count() == 1


def test_the_same_unit_twice_to_one_incident(world, login):
    incident = make_incident(world)
    c = login("operator")
    unit = world.units["semarang_tengah"]
    assert post(c, dispatch_url(incident), {"unit_id": unit.pk}).status_code == 201
    body = assert_error(post(c, dispatch_url(incident), {"unit_id": unit.pk, "override_reason": "x"}), 409)
    assert "sudah ditugaskan ke kejadian ini" in body["detail"]


def test_unavailable_inactive_and_closed(world, login):
    from k3i.dispatch.actions import set_unit_status, update_patrol_unit
    from k3i.incidents.lifecycle import close_incident

    c = login("operator")
    incident = make_incident(world)
    unit = world.units["semarang_utara"]
    set_unit_status(None, unit, UnitStatus.DARURAT, channel=Channel.SYSTEM)
    assert_error(post(c, dispatch_url(incident), {"unit_id": unit.pk, "override_reason": "x"}), 409)
    update_patrol_unit(None, world.units["reskrim"], channel=Channel.SYSTEM, aktif=False)
    assert_error(post(c, dispatch_url(incident), {"unit_id": world.units["reskrim"].pk, "override_reason": "x"}), 409)
    close_incident(None, incident, status="dibatalkan", disposition="kesalahan_input", note="salah input",
                   channel=Channel.SYSTEM)
    body = assert_error(post(c, dispatch_url(incident), {"unit_id": world.units["semarang_tengah"].pk}), 409)
    assert "ditutup" in body["detail"]
    assert not Assignment.objects.exists()


def test_bad_dispatch_requests(world, login):
    incident = make_incident(world)
    c = login("operator")
    assert_error(post(c, dispatch_url(incident), {}), 422, "unit_id")
    assert_error(post(c, dispatch_url(incident), {"unit_id": 999999}), 404)
    assert_error(post(c, dispatch_url(incident), {"unit_id": world.units["semarang_tengah"].pk, "extra": 1}), 422)
    assert_error(post(c, "/api/v1/incidents/999999/dispatches", {"unit_id": world.units["semarang_tengah"].pk}), 404)
    assert_error(post(c, dispatch_url(incident), {"unit_id": world.units["semarang_tengah"].pk,
                                                  "override_reason": "x" * 301}), 422, "override_reason")


# user → status of POST /incidents/{Miroto}/dispatches with the Semarang Tengah unit
DISPATCH_ACCESS = {
    "operator": 201, "kabagops": 201, "operator_semarang_tengah": 201, "kapolsek_semarang_tengah": 201,
    "anggota_semarang_tengah": 403, "bhabin_miroto": 403, "analis": 403, "kapolres": 403,
    "operator_semarang_utara": 404, "kapolsek_semarang_utara": 404, "anggota_semarang_utara": 404,
    "spkt": 404,  # sees the incident, not the units
    "kasat_reskrim": 404,  # Sat Reskrim only: not a Samapta unit
    "admin": 404, "propam": 404,
}


@pytest.mark.parametrize(("username", "status"), sorted(DISPATCH_ACCESS.items()))
def test_who_may_dispatch(world, login, username, status):
    incident = make_incident(world)
    r = post(login(username), dispatch_url(incident), {"unit_id": world.units["semarang_tengah"].pk})
    assert r.status_code == status, (username, r.content)
    assert Assignment.objects.exists() == (status == 201)
    if status != 201:
        assert_error(r, status)


# --- the timestamp chain ------------------------------------------------------------------------------


def test_the_timestamp_chain_drives_unit_and_incident(world, login):
    incident = make_incident(world, category="TAWURAN", priority=2)
    tengah, utara = world.units["semarang_tengah"], world.units["semarang_utara"]
    c = login("operator")
    a = post(c, dispatch_url(incident), {"unit_id": tengah.pk}).json()
    sign_on_crew(world, "semarang_tengah")
    crew = login("anggota_semarang_tengah")  # the unit's own officer (signed on to it), from their phone

    r = post(crew, status_url(a), {"status": "diterima"})
    assert r.status_code == 200 and r.json()["accepted_at"]
    tengah.refresh_from_db()
    assert tengah.status == UnitStatus.DITUGASKAN

    r = post(crew, status_url(a), {"status": "menuju"})
    assert r.json()["enroute_at"]
    tengah.refresh_from_db()
    assert tengah.status == UnitStatus.MENUJU

    before = latest_id()
    r = post(crew, status_url(a), {"status": "tiba"})
    assert r.json()["arrived_at"]
    tengah.refresh_from_db()
    incident.refresh_from_db()
    assert tengah.status == UnitStatus.TIBA
    assert incident.status == Incident.Status.DITANGANI
    first_arrival = incident.arrived_at
    assert first_arrival is not None
    kinds = [e.kind for e in LiveEvent.objects.filter(id__gt=before).order_by("id")]
    assert kinds == ["penugasan.status", "unit.status", "kejadian.diperbarui"]

    # a second unit arriving later does not move the incident's first arrival
    b = post(c, dispatch_url(incident), {"unit_id": utara.pk, "override_reason": "bantuan"}).json()
    post(c, status_url(b), {"status": "tiba"})
    incident.refresh_from_db()
    assert incident.arrived_at == first_arrival and incident.status == Incident.Status.DITANGANI

    # repeating a step changes nothing; going back or finishing an ended assignment is a conflict
    same = post(crew, status_url(a), {"status": "tiba"})
    assert same.status_code == 200 and same.json()["arrived_at"] == r.json()["arrived_at"]
    assert_error(post(crew, status_url(a), {"status": "menuju"}), 409)
    r = post(crew, status_url(a), {"status": "selesai"})
    assert r.json()["status"] == "selesai" and r.json()["completed_at"]
    tengah.refresh_from_db()
    assert tengah.status == UnitStatus.TERSEDIA
    assert_error(post(crew, status_url(a), {"status": "dibatalkan"}), 409)
    assert_error(post(crew, status_url(a), {"status": "santai"}), 422, "status")
    chain = [e.changes["status"] for e in AuditEntry.objects.filter(action="penugasan.status", object_id=str(a["id"]))
             .order_by("id")]
    assert chain == [["ditugaskan", "diterima"], ["diterima", "menuju"], ["menuju", "tiba"], ["tiba", "selesai"]]


def test_finishing_before_arrival_is_refused_and_cancelling_puts_the_incident_back(world, login):
    incident = make_incident(world)
    c = login("operator")
    a = post(c, dispatch_url(incident), {"unit_id": world.units["semarang_tengah"].pk}).json()
    body = assert_error(post(c, status_url(a), {"status": "selesai"}), 409)
    assert "belum tiba" in body["detail"]
    r = post(c, status_url(a), {"status": "dibatalkan"})
    assert r.status_code == 200 and r.json()["cancelled_at"]
    incident.refresh_from_db()
    assert incident.status == Incident.Status.BARU
    unit = PatrolUnit.objects.get(pk=world.units["semarang_tengah"].pk)
    assert unit.status == UnitStatus.TERSEDIA
    # the unit is free again: it can be sent once more
    assert post(c, dispatch_url(incident), {"unit_id": unit.pk}).status_code == 201


# user → status of POST /dispatches/{id}/status (menuju) for the Tengah unit on the Miroto incident
STATUS_ACCESS = {
    "operator": 200, "operator_semarang_tengah": 200, "kapolsek_semarang_tengah": 200, "kabagops": 200,
    "anggota_semarang_tengah": 200,
    "bhabin_miroto": 403, "analis": 403, "kapolres": 403, "spkt": 403,
    "anggota_semarang_utara": 404, "operator_semarang_utara": 404, "kapolsek_semarang_utara": 404,
}


@pytest.mark.parametrize(("username", "status"), sorted(STATUS_ACCESS.items()))
def test_who_may_advance_an_assignment(world, login, username, status):
    sign_on_crew(world)
    incident = make_incident(world)
    a = dispatch_unit(world.user("operator"), incident, world.units["semarang_tengah"], channel=Channel.API)
    r = post(login(username), status_url(a), {"status": "menuju"})
    assert r.status_code == status, (username, r.content)
    a.refresh_from_db()
    assert (a.status == "menuju") == (status == 200)


def test_unknown_assignment(world, login):
    assert_error(post(login("operator"), "/api/v1/dispatches/999999/status", {"status": "menuju"}), 404)


def test_listing_an_incidents_dispatches(world, login):
    incident = make_incident(world)
    dispatch_unit(world.user("operator"), incident, world.units["semarang_tengah"], channel=Channel.API)
    items = login("kapolsek_semarang_tengah").get(dispatch_url(incident)).json()
    assert [i["callsign"] for i in items] == [world.units["semarang_tengah"].callsign]
    assert_error(login("kapolsek_semarang_utara").get(dispatch_url(incident)), 404)


def test_a_unit_position_moves_the_recommendation_and_the_eta_is_stored(world, login):
    incident = make_incident(world, category="TAWURAN", priority=2)
    put_at(world.units["semarang_tengah"], -6.9805, 110.4105)
    a = post(login("operator"), dispatch_url(incident), {"unit_id": world.units["semarang_tengah"].pk}).json()
    assert a["eta_seconds"] < 60


# --- the race for one unit -----------------------------------------------------------------------------

def _race_once(world, incidents: list[Incident], unit: PatrolUnit) -> list[str]:
    from django.db import close_old_connections

    barrier = threading.Barrier(2)
    results: list[str] = []

    def go(incident: Incident, user: object) -> None:
        try:
            barrier.wait()
            a = dispatch_unit(user, incident, unit, channel=Channel.API, override_reason="uji balapan")
            results.append(f"ok:{a.incident_id}")
        except Conflict as exc:
            results.append("409:" + exc.detail)
        except Exception as exc:  # noqa: BLE001 — reported to the test
            results.append(f"error:{type(exc).__name__}:{exc}")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=go, args=(incidents[i], world.user(u)))
               for i, u in enumerate(["operator", "operator_semarang_tengah"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(results)


def race(world) -> dict[str, object]:
    """Two dispatchers send the same unit to two incidents at the same moment (and twice to one incident)."""
    unit = world.units["semarang_tengah"]
    out: dict[str, object] = {}
    for label, targets in (("two_incidents", 2), ("one_incident", 1)):
        Assignment.objects.filter(status__in=Assignment.ACTIVE).update(status="dibatalkan")
        PatrolUnit.objects.update(status="tersedia")
        incidents = [make_incident(world), make_incident(world, at=BRUMBUNGAN)] if targets == 2 else \
            [make_incident(world)] * 2
        out[label] = _race_once(world, incidents, unit)
        out[label + "_active"] = Assignment.objects.filter(unit=unit, status__in=Assignment.ACTIVE).count()
    return out


def _check_race(result: dict[str, object]) -> None:
    for label in ("two_incidents", "one_incident"):
        outcomes = result[label]
        assert isinstance(outcomes, list) and len(outcomes) == 2, result
        assert sum(o.startswith("ok:") for o in outcomes) == 1, result
        loser = next(o for o in outcomes if not o.startswith("ok:"))
        assert loser.startswith("409:") and "SEMARANG-TENGAH-R2-01" in loser, result
        assert result[label + "_active"] == 1, result


def test_two_dispatchers_race_for_one_unit_on_sqlite_file(tmp_path):
    _check_race(run_on_sqlite_file(tmp_path, "k3i.dispatch.tests.test_dispatch", "race"))


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_race_for_one_unit_on_postgresql(world):
    if connection.vendor != "postgresql":
        pytest.skip("hanya PostgreSQL (K3I_DATABASE_URL); SQLite diuji dengan berkas di uji sebelumnya")
    _check_race(race(world))


def test_a_conflict_is_409_over_http(world, login):
    incident = make_incident(world)
    other = make_incident(world, at=BRUMBUNGAN)
    unit = world.units["semarang_tengah"]
    advance_assignment(None, dispatch_unit(None, other, unit, channel=Channel.SYSTEM), "menuju", channel=Channel.SYSTEM)
    body = assert_error(post(login("operator"), dispatch_url(incident), {"unit_id": unit.pk, "override_reason": "x"}),
                        409, "unit_id")
    assert "sedang bertugas" in body["detail"] and other.number in body["detail"]
