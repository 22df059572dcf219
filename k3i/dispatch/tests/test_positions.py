"""Unit positions (POST /api/v1/units/{id}/positions), unit states with configurable labels, and staleness."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from k3i.core.audit import Channel
from k3i.core.errors import PermissionDenied, ValidationFailed
from k3i.core.events import latest_id
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import dispatch_unit, record_positions, set_unit_status
from k3i.dispatch.models import UnitPosition, UnitStatus
from k3i.dispatch.staleness import is_stale, status_label, status_labels

from .helpers import assert_error, make_incident, post, put_at, sign_on_crew


def url(unit) -> str:
    return f"/api/v1/units/{unit.pk}/positions"


def iso(minutes_ago: float = 0.0) -> str:
    return timezone.localtime(timezone.now() - timedelta(minutes=minutes_ago)).isoformat()


def test_single_position_moves_the_unit_with_one_event_and_audit_entry(world, login):
    unit = world.units["semarang_tengah"]
    sign_on_crew(world, "semarang_tengah")
    before = latest_id()
    r = post(login("anggota_semarang_tengah"), url(unit),
             {"lat": -6.975, "lon": 110.415, "device_time": iso(1), "speed_kmh": 32.5, "heading": 90, "accuracy_m": 8})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["stored"] == 1
    assert body["unit"]["last_lat"] == -6.975 and body["unit"]["last_lon"] == 110.415
    assert body["unit"]["stale"] is False
    unit.refresh_from_db()
    assert unit.last_position_at is not None
    p = UnitPosition.objects.get(unit=unit)
    assert (p.speed_kmh, p.heading, p.accuracy_m) == (32.5, 90, 8)
    events = list(LiveEvent.objects.filter(id__gt=before))
    assert [e.kind for e in events] == ["unit.posisi"]
    assert events[0].payload["callsign"] == unit.callsign and events[0].payload["polsek_id"] == unit.polsek_id
    entry = AuditEntry.objects.filter(action="unit.posisi").get()
    assert entry.actor_username == "anggota_semarang_tengah" and entry.changes["jumlah"] == 1


def test_a_batch_is_one_event_and_the_latest_device_time_wins(world, login):
    unit = world.units["semarang_tengah"]
    before = latest_id()
    batch = [
        {"lat": -6.970, "lon": 110.410, "device_time": iso(3)},
        {"lat": -6.972, "lon": 110.412, "device_time": iso(1)},  # the latest, sent in the middle
        {"lat": -6.971, "lon": 110.411, "device_time": iso(2)},
    ]
    r = post(login("operator"), url(unit), batch)
    assert r.status_code == 201, r.content
    assert r.json()["stored"] == 3
    unit.refresh_from_db()
    assert (unit.last_lat, unit.last_lon) == (-6.972, 110.412)
    assert LiveEvent.objects.filter(id__gt=before, kind="unit.posisi").count() == 1
    assert UnitPosition.objects.filter(unit=unit).count() == 3


def test_an_older_position_is_stored_but_does_not_move_the_unit(world):
    unit = put_at(world.units["semarang_tengah"], -6.97, 110.41, minutes_ago=1)
    latest = unit.last_position_at
    n = record_positions(None, unit, [{"lat": -6.99, "lon": 110.43, "device_time": timezone.now() - timedelta(minutes=5)}],
                         channel=Channel.SYSTEM)
    assert n == 1
    unit.refresh_from_db()
    assert (unit.last_lat, unit.last_lon, unit.last_position_at) == (-6.97, 110.41, latest)
    assert UnitPosition.objects.filter(unit=unit).count() == 2


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"lat": -6.97, "lon": 110.41, "device_time": "2099-01-01T00:00:00+07:00"}, "device_time"),  # future
        ({"lat": -6.97, "lon": 110.41, "device_time": "2026-01-01T08:00:00"}, "device_time"),  # no zone
        ({"lat": 40.0, "lon": 110.41, "device_time": "NOW"}, "lat"),  # outside Indonesia
        ({"lat": -6.97, "lon": 110.41}, "device_time"),  # missing
        ({"lat": -6.97, "lon": 110.41, "device_time": "NOW", "speed_kmh": -3}, "speed_kmh"),
        ({"lat": -6.97, "lon": 110.41, "device_time": "NOW", "heading": 400}, "heading"),
        ([{"lat": -6.97, "lon": 110.41, "device_time": "NOW"}, {"lat": -6.97, "lon": 110.41,
                                                                  "device_time": "2099-01-01T00:00:00Z"}], "1.device_time"),
        ([], "positions"),
    ],
)
def test_bad_positions_are_refused_and_nothing_is_written(world, login, data, field):
    unit = world.units["semarang_tengah"]
    now = iso()
    if isinstance(data, dict):
        data = {k: (now if v == "NOW" else v) for k, v in data.items()}
    else:
        data = [{k: (now if v == "NOW" else v) for k, v in d.items()} for d in data]
    before = (UnitPosition.objects.count(), LiveEvent.objects.count(), AuditEntry.objects.count())
    body = assert_error(post(login("operator"), url(unit), data), 422, field)
    assert all(e["message"] for e in body["errors"])
    assert (UnitPosition.objects.count(), LiveEvent.objects.count(), AuditEntry.objects.count()) == before
    unit.refresh_from_db()
    assert unit.last_position_at is None


def test_a_small_clock_skew_is_accepted(world):
    unit = world.units["semarang_tengah"]
    record_positions(None, unit, [{"lat": -6.97, "lon": 110.41, "device_time": timezone.now() + timedelta(seconds=30)}],
                     channel=Channel.SYSTEM)
    unit.refresh_from_db()
    assert unit.last_lat == -6.97


# user → status code when posting a position for the Semarang Tengah unit
POSITION_ACCESS = {
    "anggota_semarang_tengah": 201,  # the unit's own crew (signed on to it)
    "operator": 201, "operator_semarang_tengah": 201, "kapolsek_semarang_tengah": 201, "kabagops": 201,
    "admin": 201,  # device accounts
    "bhabin_miroto": 403,  # sees the unit but does not report for it
    "analis": 403, "kapolres": 403,
    "anggota_semarang_utara": 404, "kapolsek_semarang_utara": 404, "operator_semarang_utara": 404,
    "spkt": 404, "propam": 404,  # may not see units at all
    "kasat_reskrim": 404,  # function scope: Sat Reskrim only
}


@pytest.mark.parametrize(("username", "status"), sorted(POSITION_ACCESS.items()))
def test_who_may_report_a_position(world, login, username, status):
    unit = world.units["semarang_tengah"]
    sign_on_crew(world)
    r = post(login(username), url(unit), {"lat": -6.97, "lon": 110.41, "device_time": iso()})
    assert r.status_code == status, (username, r.content)
    assert UnitPosition.objects.filter(unit=unit).exists() == (status == 201)


def test_an_anggota_who_is_not_a_member_of_the_units_polsek_may_not_report(world):
    from k3i.accounts.models import User

    stranger = User.objects.create_user(username="anggota_tanpa_personel", password="x" * 12, role="anggota",
                                        polres=world.polres, lingkup="polsek", scope_polsek=world.polsek["semarang_tengah"])
    with pytest.raises(PermissionDenied):
        record_positions(stranger, world.units["semarang_tengah"],
                         [{"lat": -6.97, "lon": 110.41, "device_time": timezone.now()}], channel=Channel.API)


def test_unknown_unit_and_anonymous(world, login, client):
    assert_error(post(login("operator"), "/api/v1/units/999999/positions",
                      {"lat": -6.97, "lon": 110.41, "device_time": iso()}), 404)
    assert post(client, url(world.units["semarang_tengah"]),
                {"lat": -6.97, "lon": 110.41, "device_time": iso()}).status_code == 401


# --- staleness ------------------------------------------------------------------------------------


def test_a_unit_is_stale_after_the_configured_minutes(world, login, settings):
    unit = put_at(world.units["semarang_tengah"], -6.97, 110.41, minutes_ago=31)
    never = world.units["semarang_utara"]
    assert is_stale(unit) is True
    assert is_stale(never) is False  # never reported: position unknown, not stale
    c = login("operator")
    items = {u["callsign"]: u for u in c.get("/api/v1/units").json()["items"]}
    assert items[unit.callsign]["stale"] is True
    assert items[never.callsign]["stale"] is False and items[never.callsign]["last_position_at"] is None
    assert [u["callsign"] for u in c.get("/api/v1/units?stale=true").json()["items"]] == [unit.callsign]
    assert unit.callsign not in {u["callsign"] for u in c.get("/api/v1/units?stale=false").json()["items"]}

    settings.K3I_STALE_MINUTES = 60
    assert is_stale(unit) is False
    assert c.get(f"/api/v1/units/{unit.pk}").json()["stale"] is False


def test_a_fresh_position_clears_staleness(world):
    unit = put_at(world.units["semarang_tengah"], -6.97, 110.41, minutes_ago=45)
    assert is_stale(unit)
    unit = put_at(unit, -6.971, 110.411)
    assert not is_stale(unit)


# --- unit states and their labels -------------------------------------------------------------------


def test_status_labels_default_to_the_model_and_can_be_configured(world, login, settings):
    assert status_label("menuju") == "Menuju TKP"
    settings.K3I_UNIT_STATUS_LABELS = '{"tersedia": "Siaga", "menuju": "OTW TKP"}'
    assert status_label("tersedia") == "Siaga" and status_label("menuju") == "OTW TKP"
    assert status_labels()["darurat"] == "Darurat"  # not configured: the model's label
    body = login("operator").get(f"/api/v1/units/{world.units['semarang_tengah'].pk}").json()
    assert (body["status"], body["status_label"]) == ("tersedia", "Siaga")


@pytest.mark.parametrize("raw", ["{not json", '["Siaga"]', '{"santai": "Santai"}', '{"tersedia": ""}'])
def test_bad_status_label_settings_fail_loudly(settings, raw):
    settings.K3I_UNIT_STATUS_LABELS = raw
    with pytest.raises(ImproperlyConfigured):
        status_label("tersedia")


def test_the_crew_sets_its_state_and_the_ops_room_sees_it(world, login):
    unit = world.units["semarang_tengah"]
    sign_on_crew(world)
    before = latest_id()
    r = post(login("anggota_semarang_tengah"), f"/api/v1/units/{unit.pk}/status",
             {"status": "tidak_tersedia", "note": "ban bocor"})
    assert r.status_code == 200, r.content
    assert (r.json()["status"], r.json()["status_label"]) == ("tidak_tersedia", "Tidak tersedia")
    ev = LiveEvent.objects.filter(id__gt=before).get()
    assert ev.kind == "unit.status" and ev.payload["status"] == "tidak_tersedia"
    entry = AuditEntry.objects.filter(action="unit.status").get()
    assert entry.changes["status"] == ["tersedia", "tidak_tersedia"] and entry.changes["catatan"] == "ban bocor"
    assert_error(post(login("anggota_semarang_tengah"), f"/api/v1/units/{unit.pk}/status", {"status": "santai"}),
                 422, "status")
    assert_error(post(login("bhabin_miroto"), f"/api/v1/units/{unit.pk}/status", {"status": "tersedia"}), 403)
    assert_error(post(login("anggota_semarang_utara"), f"/api/v1/units/{unit.pk}/status", {"status": "tersedia"}), 404)


def test_a_busy_unit_cannot_be_made_free_by_hand(world):
    unit = world.units["semarang_tengah"]
    sign_on_crew(world, "semarang_tengah")
    incident = make_incident(world)
    dispatch_unit(world.user("operator"), incident, unit, channel=Channel.API)
    with pytest.raises(Exception) as exc:
        set_unit_status(world.user("anggota_semarang_tengah"), unit, UnitStatus.TERSEDIA, channel=Channel.API)
    assert getattr(exc.value, "status", None) == 409
    # but it may report handling the incident, or an emergency
    unit = set_unit_status(world.user("anggota_semarang_tengah"), unit, UnitStatus.MENANGANI, channel=Channel.API)
    assert unit.status == UnitStatus.MENANGANI
    with pytest.raises(ValidationFailed):
        set_unit_status(None, unit, "santai", channel=Channel.SYSTEM)
