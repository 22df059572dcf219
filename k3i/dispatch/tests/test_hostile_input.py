"""Hostile and malformed input to the call & command centre API (positions, crew, unit status, dispatch, steps,
closing, reports and the signed webhook), and retries that must not write twice.

What a client may rely on: a 4xx with the structured Indonesian error naming the field, and nothing written —
never a 500, never a half-written record, on SQLite and PostgreSQL alike (PostgreSQL refuses NUL in text and
jsonb: NUL in free text is dropped, as in the close note; in a short field it is refused). A retry (the same
report under its key, the same message ID, a position sent again) returns or keeps the first and writes
nothing; the same key or message ID for something else is 409. Lenient on purpose: JSON sent as text/plain is
read (simple devices); a session still needs its CSRF token.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from k3i.accounts.actions import create_token
from k3i.core.audit import Channel
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import advance_assignment, dispatch_unit
from k3i.dispatch.models import Assignment, PatrolUnit, UnitPosition
from k3i.incidents import intake
from k3i.incidents.models import Incident, IncidentLog

from .helpers import MIROTO, assert_error, make_incident, put_at
from .helpers import post as _post

SECRET = "rahasia-gateway-uji-0123456789abcdef"
TENGAH = "semarang_tengah"


def counts() -> tuple[int, ...]:
    return (Incident.objects.count(), IncidentLog.objects.count(), Assignment.objects.count(),
            UnitPosition.objects.count(), AuditEntry.objects.count(), LiveEvent.objects.count())


def raw_post(c: Client, url: str, raw: str | bytes, content_type: str = "application/json", **extra: Any) -> Any:
    c.raise_request_exception = False  # a crash is answered as a server would: 500
    return c.post(url, data=raw, content_type=content_type, **extra)


def post(c: Client, url: str, data: Any) -> Any:
    c.raise_request_exception = False
    return _post(c, url, data)


def iso(minutes_ago: float = 0.0) -> str:
    return timezone.localtime(timezone.now() - timedelta(minutes=minutes_ago)).isoformat()


def pos_url(unit: PatrolUnit) -> str:
    return f"/api/v1/units/{unit.pk}/positions"


def report(**kw: Any) -> dict[str, Any]:
    data = {"text": "motor saya dicuri di parkiran pasar", "lat": MIROTO[0], "lon": MIROTO[1], "channel": "110"}
    data.update(kw)
    return data


def unit_snapshot(unit: PatrolUnit) -> tuple[Any, ...]:
    unit.refresh_from_db()
    return unit.last_lat, unit.last_lon, unit.last_position_at, unit.status


# --- positions: numbers JSON can carry but a float cannot hold --------------------------------------------


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"lat": 1' + "0" * 400 + ', "lon": 110.41, "device_time": "{now}"}', "lat"),
        ('{"lat": -6.97, "lon": -1' + "0" * 400 + ', "device_time": "{now}"}', "lon"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "{now}", "speed_kmh": %s}' % ("9" * 400), "speed_kmh"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "{now}", "heading": %s}' % ("9" * 400), "heading"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "{now}", "accuracy_m": %s}' % ("9" * 400), "accuracy_m"),
    ],
)
def test_a_position_with_an_integer_too_large_for_a_float_is_422_not_500(world, login, raw, field):
    unit = world.units[TENGAH]
    before, snap = counts(), unit_snapshot(unit)
    r = raw_post(login("operator"), pos_url(unit), raw.replace("{now}", iso()))
    assert_error(r, 422, field)
    assert counts() == before and unit_snapshot(unit) == snap


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"lat": NaN, "lon": 110.41, "device_time": "{now}"}', "lat"),
        ('{"lat": -6.97, "lon": Infinity, "device_time": "{now}"}', "lon"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "{now}", "speed_kmh": -Infinity}', "speed_kmh"),
        ('{"lat": 1e999, "lon": 110.41, "device_time": "{now}"}', "lat"),
        ('{"lat": "-6.97", "lon": 110.41, "device_time": "{now}"}', "lat"),
        ('{"lat": true, "lon": 110.41, "device_time": "{now}"}', "lat"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": 1767225600}', "device_time"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "2026-05-01"}', "device_time"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "1970-01-01T00:00:00Z"}', "device_time"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "0001-01-01T00:00:00+14:00"}', "device_time"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "9999-12-31T23:59:59-14:00"}', "device_time"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "2026-05-01T08:30:00+25:00"}', "device_time"),
        ('{"lat": -6.97, "lon": 110.41, "device_time": "bukan\\u0000waktu"}', "device_time"),
        ("[null]", "positions"),
        ("[[1, 2]]", "positions"),
        ('"-6.97,110.41"', "body"),
        ("null", "body"),
        ("", "body"),
    ],
)
def test_non_finite_mistyped_and_absurd_positions_are_422_and_write_nothing(world, login, raw, field):
    unit = put_at(world.units[TENGAH], -6.97, 110.41, minutes_ago=5)
    before, snap = counts(), unit_snapshot(unit)
    r = raw_post(login("operator"), pos_url(unit), raw.replace("{now}", iso()))
    assert_error(r, 422, field)
    assert counts() == before and unit_snapshot(unit) == snap


@pytest.mark.parametrize("n", [501, 10_000])
def test_an_oversized_batch_is_refused_whole(world, login, n):
    unit = world.units[TENGAH]
    now = iso()
    batch = [{"lat": -6.97, "lon": 110.41, "device_time": now}] * n
    before = counts()
    body = assert_error(post(login("operator"), pos_url(unit), batch), 422, "positions")
    assert str(n) in body["detail"]
    assert counts() == before


def test_one_bad_position_in_a_batch_of_500_writes_none_of_them(world, login):
    unit = world.units[TENGAH]
    batch = [{"lat": -6.97, "lon": 110.41, "device_time": iso(i / 10)} for i in range(500)]
    batch[499] = {**batch[499], "lat": float("nan")}
    before = counts()
    raw = json.dumps(batch)  # NaN as JSON's non-standard literal, as sloppy device firmware sends it
    assert_error(raw_post(login("operator"), pos_url(unit), raw), 422, "499.lat")
    assert counts() == before
    unit.refresh_from_db()
    assert unit.last_position_at is None


def test_a_resent_position_is_not_stored_twice(world, login):
    """A phone that lost the 201 resends the same fix: the track holds it once, nothing else is written."""
    unit = world.units[TENGAH]
    c = login("operator")
    fix = {"lat": -6.97, "lon": 110.41, "device_time": iso(1)}
    assert post(c, pos_url(unit), fix).json()["stored"] == 1
    before, snap = counts(), unit_snapshot(unit)
    r = post(c, pos_url(unit), fix)
    assert r.status_code == 201 and r.json()["stored"] == 0, r.content
    assert counts() == before and unit_snapshot(unit) == snap
    # a buffer sent again with one new fix, and a fix repeated within the call: only the new one is stored
    later = {"lat": -6.971, "lon": 110.411, "device_time": iso(0.5)}
    r = post(c, pos_url(unit), [fix, later, later])
    assert r.status_code == 201 and r.json()["stored"] == 1, r.content
    assert UnitPosition.objects.filter(unit=unit).count() == 2
    assert AuditEntry.objects.filter(action="unit.posisi").latest("id").changes["ganda_dilewati"] == 2
    # the same moment at another place is another position, not a resend
    assert post(c, pos_url(unit), {**fix, "lon": 110.42}).json()["stored"] == 1


def test_json_sent_as_text_plain_is_read_but_a_session_still_needs_csrf(world):
    """Lenient for simple devices (an AVL box that cannot set Content-Type): the body is read as JSON. The
    content type is no CSRF defence here: a session's request without the CSRF token is refused either way."""
    from k3i.accounts.testing import force_login_verified

    unit = world.units[TENGAH]
    _, token = create_token(None, world.user("operator"), name="avl", write=True, channel="cli")
    raw = json.dumps({"lat": -6.97, "lon": 110.41, "device_time": iso()})
    r = raw_post(Client(), pos_url(unit), raw, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201 and r.json()["stored"] == 1, r.content
    r = raw_post(Client(), "/api/v1/incidents", json.dumps(report()), content_type="text/plain",
                 HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 201, r.content
    before = counts()
    session = force_login_verified(Client(enforce_csrf_checks=True), world.user("operator"))
    raw = json.dumps({"lat": -6.96, "lon": 110.42, "device_time": iso()})
    assert "CSRF" in assert_error(raw_post(session, pos_url(unit), raw, content_type="text/plain"), 403)["detail"]
    assert "CSRF" in assert_error(raw_post(session, "/api/v1/incidents", json.dumps(report(text="kebakaran gudang")),
                                           content_type="text/plain"), 403)["detail"]
    assert counts() == before


# --- NUL bytes and control characters in free text (PostgreSQL: text and jsonb refuse \x00) ---------------


def test_nul_in_the_override_reason_is_dropped(world, login):
    incident = make_incident(world)
    unit = world.units["reskrim"]  # not rank 1: the reason is required
    r = post(login("operator"), f"/api/v1/incidents/{incident.pk}/dispatches",
             {"unit_id": unit.pk, "override_reason": "unit terdekat\x00 mogok"})
    assert r.status_code == 201, r.content
    assert Assignment.objects.get(pk=r.json()["id"]).override_reason == "unit terdekat mogok"
    assert AuditEntry.objects.get(action="penugasan.dibuat").changes["alasan_lain"] == "unit terdekat mogok"
    # only NUL is no reason at all
    other = make_incident(world, at=MIROTO, text="ada keributan lagi")
    before = counts()
    assert_error(post(login("operator"), f"/api/v1/incidents/{other.pk}/dispatches",
                      {"unit_id": unit.pk, "override_reason": "\x00 \x00"}), 422, "override_reason")
    assert counts() == before


def test_nul_in_a_unit_status_note_is_dropped(world, login):
    unit = world.units[TENGAH]
    r = post(login("operator"), f"/api/v1/units/{unit.pk}/status", {"status": "tidak_tersedia",
                                                                     "note": "ban\x00 bocor"})
    assert r.status_code == 200, r.content
    assert AuditEntry.objects.get(action="unit.status").changes["catatan"] == "ban bocor"
    assert LiveEvent.objects.filter(kind="unit.status").latest("id").payload["note"] == "ban bocor"


@pytest.mark.parametrize("field", ["reporter_name", "alamat", "reporter_phone", "idempotency_key"])
def test_nul_in_a_short_text_field_is_422_naming_it(world, login, field):
    before = counts()
    value = {"reporter_phone": "0812\x0034567890"}.get(field, "Budi\x00 Santoso")
    assert_error(post(login("operator"), "/api/v1/incidents", report(**{field: value})), 422, field)
    assert counts() == before


def test_nul_in_the_report_text_is_dropped_and_the_report_stored(world, login):
    r = post(login("operator"), "/api/v1/incidents", report(text="motor\x00 saya dicuri di pasar"))
    assert r.status_code == 201, r.content
    assert Incident.objects.get(pk=r.json()["id"]).text == "motor saya dicuri di pasar"


def test_nul_in_the_close_note_is_dropped(world, login):
    incident = make_incident(world)
    r = post(login("operator"), f"/api/v1/incidents/{incident.pk}/close",
             {"status": "selesai", "disposition": "mediasi", "note": "damai\x00 di tempat"})
    assert r.status_code == 200, r.content
    incident.refresh_from_db()
    assert incident.disposition_note == "damai di tempat"


def test_nul_in_a_signed_message_text_is_dropped(world, settings):
    settings.K3I_INTAKE_WEBHOOK_SECRET = SECRET
    raw = json.dumps({"phone": "081211112222", "text": "ada maling\x00 di miroto", "message_id": "wa-nul"}).encode()
    r = Client().post("/api/v1/intake/messages", data=raw, content_type="application/json",
                      HTTP_X_K3I_SIGNATURE=intake.sign(raw, SECRET))
    assert r.status_code == 201, r.content
    assert "\x00" not in Incident.objects.get().text


# --- incidents: text fields, phone numbers, idempotency, content type -------------------------------------


def test_a_reporter_name_one_character_too_long_is_422(world, login):
    before = counts()
    assert_error(post(login("operator"), "/api/v1/incidents", report(reporter_name="B" * 121)), 422,
                 "reporter_name")
    assert counts() == before


@pytest.mark.parametrize("phone", ["0812ABCD5678", "telp 0812-3456-7890", "08x1x2x3x4x5x6",
                                   "0812\u00a03456\u00a07890", "\u0660\u0668\u0661\u0662\u0663\u0664\u0665\u0666\u0667"])
def test_a_phone_number_with_letters_is_422_not_silently_rewritten(world, login, phone):
    """Dropping the letters turns '0812ABCD5678' into another, wrong number the desk would call back."""
    before = counts()
    body = assert_error(post(login("operator"), "/api/v1/incidents", report(reporter_phone=phone)), 422,
                        "reporter_phone")
    assert "hanya boleh berisi angka" in body["errors"][0]["message"]
    assert counts() == before


@pytest.mark.parametrize(("phone", "stored"), [("+62 812-3456-7890", "+6281234567890"), ("(024) 123456", "024123456"),
                                               ("0812.3456.7890", "081234567890"), (" 0812 3456 7890 ", "081234567890")])
def test_the_usual_ways_of_writing_a_phone_number_are_accepted(world, login, phone, stored):
    r = post(login("operator"), "/api/v1/incidents", report(reporter_phone=phone))
    assert r.status_code == 201, r.content
    assert Incident.objects.get(pk=r.json()["id"]).reporter_phone == stored


def test_an_idempotency_key_reused_with_another_report_is_refused(world, login):
    """A retry carries the same report; a different report under the same key must not vanish into the first."""
    c = login("operator")
    first = post(c, "/api/v1/incidents", report(idempotency_key="desk-7-0001"))
    assert first.status_code == 201, first.content
    before = counts()
    r = post(c, "/api/v1/incidents", report(idempotency_key="desk-7-0001", text="ada kebakaran rumah di gang 3",
                                            priority=1))
    assert "isi lain" in assert_error(r, 409, "idempotency_key")["detail"]
    assert counts() == before
    # a retry is the same text as stored (NUL and spaces cleaned); place and category may differ (the desk may
    # have corrected them on the first incident since): it returns the first incident
    again = post(c, "/api/v1/incidents", report(idempotency_key="desk-7-0001", category="CURANMOR", lat=-6.98,
                                                lon=110.43, text="  motor saya dicuri\x00 di parkiran pasar "))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"], again.content
    assert counts() == before


def test_a_message_id_reused_for_another_message_is_refused(world, settings):
    settings.K3I_INTAKE_WEBHOOK_SECRET = SECRET

    def send(data: dict[str, Any]) -> Any:
        raw = json.dumps(data).encode()
        return Client().post("/api/v1/intake/messages", data=raw, content_type="application/json",
                             HTTP_X_K3I_SIGNATURE=intake.sign(raw, SECRET))

    first = send({"phone": "081211112222", "text": "ada maling di miroto", "message_id": "wa-1"})
    assert first.status_code == 201
    before = counts()
    for other in ({"phone": "081299998888", "text": "kebakaran di bulu lor"},  # another message
                  {"phone": "081211112222", "text": "kebakaran di bulu lor"},  # another text, same sender
                  {"phone": "081299998888", "text": "ada maling di miroto"}):  # the same text from another sender
        assert_error(send({**other, "message_id": "wa-1"}), 409, "message_id")
    assert counts() == before
    # the same message, the number written another way: a retry
    r = send({"phone": "0812-1111-2222", "text": "ada maling di miroto", "message_id": "wa-1"})
    assert r.status_code == 200 and r.json()["number"] == first.json()["number"], r.content
    assert counts() == before


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("application/x-www-form-urlencoded", "text=motor+dicuri&channel=110&lat=-6.98&lon=110.41"),
        ("multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n"
                                              "motor dicuri\r\n--xyz--\r\n"),
    ],
)
def test_a_report_that_is_not_json_is_4xx_and_writes_nothing(world, content_type, raw):
    _, token = create_token(None, world.user("operator"), name="cad", write=True, channel="cli")
    before = counts()
    r = raw_post(Client(), "/api/v1/incidents", raw, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert 400 <= r.status_code < 500 and r.status_code != 201, r.content
    assert_error(r, r.status_code)
    assert counts() == before


def test_a_body_over_the_upload_limit_is_413_not_500(world, login, settings):
    before = counts()
    big = json.dumps(report(text="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 2_621_440)))
    r = raw_post(login("operator"), "/api/v1/incidents", big)
    assert r.status_code in (400, 413, 422), r.status_code
    assert_error(r, r.status_code)
    assert counts() == before


def test_a_huge_integer_coordinate_in_a_report_is_422(world, login):
    before = counts()
    raw = json.dumps(report()).replace(str(MIROTO[0]), "-" + "9" * 400)
    assert_error(raw_post(login("operator"), "/api/v1/incidents", raw), 422, "lat")
    assert counts() == before


# --- ids and query parameters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/incidents?limit=-1", "/api/v1/incidents?limit=501", "/api/v1/incidents?limit=1e3",
        "/api/v1/incidents?offset=-5", f"/api/v1/incidents?offset={2**64}", "/api/v1/incidents?priority=satu",
        f"/api/v1/incidents?polsek={2**63}", "/api/v1/incidents?open=mungkin", "/api/v1/incidents?category=%00",
        "/api/v1/units?limit=99999999999999999999", "/api/v1/units?stale=2", "/api/v1/units?fungsi=SAT%00X",
        f"/api/v1/units?polsek={2**64}", "/api/v1/units?status=hilang",
        "/api/v1/incidents/{id}/recommendations?limit=0", "/api/v1/incidents/{id}/recommendations?limit=51",
        "/api/v1/incidents/{id}/recommendations?limit=-3", "/api/v1/incidents/{id}/recommendations?include_stale=x",
        f"/api/v1/incidents/{2**64}", "/api/v1/incidents/-1", f"/api/v1/incidents/{2**63}/recommendations",
        "/api/v1/incidents/1.5",
    ],
)
def test_bad_query_parameters_and_ids_are_422(world, login, url):
    incident = make_incident(world)
    body = assert_error(login("operator").get(url.replace("{id}", str(incident.pk))), 422)
    assert body["errors"] and all(e["field"] != "—" and e["message"] for e in body["errors"]), body


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (f"/api/v1/dispatches/{2**64}/status", {"status": "diterima"}),
        (f"/api/v1/units/{2**64}/positions", {"lat": -6.97, "lon": 110.41, "device_time": "NOW"}),
        (f"/api/v1/units/{2**64}/crew", {}),
        (f"/api/v1/incidents/{2**64}/close", {"status": "selesai", "disposition": "mediasi", "note": "x"}),
        (f"/api/v1/incidents/{2**64}/dispatches", {"unit_id": 1}),
        ("/api/v1/incidents/{id}/dispatches", {"unit_id": 2**64}),
        ("/api/v1/incidents/{id}/dispatches", {"unit_id": 1.5}),
        ("/api/v1/incidents/{id}/dispatches", {"unit_id": None}),
        ("/api/v1/incidents/{id}/dispatches", {"unit_id": "{unit}", "recommended_rank": 0}),
        ("/api/v1/incidents/{id}/dispatches", {"unit_id": "{unit}", "pull": "ya"}),
        ("/api/v1/units/{unit}/crew", {"user_id": 2**64}),
        ("/api/v1/units/{unit}/crew", {"user_id": True}),
        ("/api/v1/units/{unit}/crew", {"user_id": 1.5}),
    ],
)
def test_overflowing_and_mistyped_ids_in_writes_are_422_and_write_nothing(world, login, url, data):
    incident = make_incident(world)
    unit = world.units[TENGAH]
    url = url.replace("{id}", str(incident.pk)).replace("{unit}", str(unit.pk))
    data = {k: (unit.pk if v == "{unit}" else iso() if v == "NOW" else v) for k, v in data.items()}
    before = counts()
    assert_error(post(login("operator"), url, data), 422)
    assert counts() == before


def test_delete_crew_with_a_non_numeric_or_overflowing_user_id_is_422(world, login):
    unit = world.units[TENGAH]
    c = login("operator")
    before = counts()
    assert_error(c.delete(f"/api/v1/units/{unit.pk}/crew?user_id=abc"), 422, "user_id")
    assert_error(c.delete(f"/api/v1/units/{unit.pk}/crew?user_id={2**64}"), 422, "user_id")
    assert counts() == before


# --- assignment steps out of order or repeated; closing -------------------------------------------------


def _assignment(world: Any) -> Assignment:
    incident = make_incident(world)
    put_at(world.units[TENGAH], *MIROTO, minutes_ago=1)
    return dispatch_unit(world.user("operator"), incident, world.units[TENGAH], channel=Channel.API)


def step(c: Client, a: Assignment, status: Any) -> Any:
    return post(c, f"/api/v1/dispatches/{a.pk}/status", {"status": status})


def test_steps_repeated_skipped_backwards_and_after_the_end(world, login):
    a = _assignment(world)
    c = login("operator")
    assert step(c, a, "tiba").status_code == 200  # skipping diterima and menuju is allowed
    before = counts()
    r = step(c, a, "tiba")  # the same step again changes nothing
    assert r.status_code == 200 and counts() == before
    arrived = r.json()["arrived_at"]
    assert_error(step(c, a, "menuju"), 409, "status")
    assert_error(step(c, a, "ditugaskan"), 422, "status")
    assert_error(step(c, a, "TIBA"), 422, "status")
    assert_error(step(c, a, None), 422, "status")
    assert_error(step(c, a, ["selesai"]), 422, "status")
    assert counts() == before
    assert step(c, a, "selesai").status_code == 200
    after = counts()
    for late in ("dibatalkan", "tiba", "diterima"):
        assert_error(step(c, a, late), 409, "status")
    assert step(c, a, "selesai").status_code == 200  # a resent "selesai" is still harmless
    assert counts() == after
    a.refresh_from_db()
    assert a.status == "selesai" and a.arrived_at.isoformat().startswith(arrived[:19])


def test_a_step_for_an_assignment_of_a_closed_incident_is_409(world, login):
    a = _assignment(world)
    c = login("operator")
    assert post(c, f"/api/v1/incidents/{a.incident_id}/close",
                {"status": "dibatalkan", "disposition": "kesalahan_input", "note": "salah input"}).status_code == 200
    before = counts()
    assert_error(step(c, a, "tiba"), 409, "status")
    assert counts() == before


@pytest.mark.parametrize(
    "data",
    [
        {"status": "selesai", "disposition": "tidak_dikenal", "note": "catatan"},
        {"status": "selesai", "disposition": "", "note": "catatan"},
        {"status": "selesai", "disposition": "MEDIASI", "note": "catatan"},
        {"status": "selesai", "disposition": "mediasi\x00", "note": "catatan"},
        {"status": "selesai", "disposition": "__class__", "note": "catatan"},
        {"status": "selesai", "disposition": None, "note": "catatan"},
        {"status": "selesai", "disposition": ["mediasi"], "note": "catatan"},
        {"status": "selesai", "disposition": "mediasi", "note": "\x00\x00 "},
        {"status": "selesai", "disposition": "mediasi", "note": "x" * 2001},
    ],
)
def test_close_with_an_unknown_disposition_or_empty_note_is_422_and_writes_nothing(world, login, data):
    a = _assignment(world)
    advance_assignment(world.user("operator"), a, "tiba", channel=Channel.API)
    before = counts()
    body = assert_error(post(login("operator"), f"/api/v1/incidents/{a.incident_id}/close", data), 422)
    assert {e["field"] for e in body["errors"]} & {"disposition", "note"}, body
    assert counts() == before
    a.refresh_from_db()
    assert a.status == "tiba"


# --- JSON that parses badly: nesting deeper than the parser's recursion, integers longer than Python reads ---

DEEP = "[" * 100_000 + "]" * 100_000
LONG_INT = '{"text": "motor dicuri", "channel": "110", "lat": -6.98, "lon": 1' + "0" * 5000 + "}"


@pytest.mark.parametrize(
    ("url", "raw"),
    [
        ("/api/v1/units/{unit}/positions", DEEP),
        ("/api/v1/units/{unit}/crew", DEEP),
        ("/api/v1/incidents", DEEP),
        ("/api/v1/incidents/{id}/dispatches", DEEP),
        ("/api/v1/incidents", LONG_INT),
        ("/api/v1/units/{unit}/positions", '{"lat": -6.97, "lon": 1' + "0" * 5000 + ', "device_time": "x"}'),
        ("/api/v1/incidents/{id}/close", '{"status": "selesai", "disposition": "mediasi", "note": 1' + "0" * 5000 + "}"),
    ],
)
def test_pathological_json_is_4xx_not_500(world, login, url, raw):
    incident = make_incident(world)
    url = url.replace("{id}", str(incident.pk)).replace("{unit}", str(world.units[TENGAH].pk))
    before = counts()
    r = raw_post(login("operator"), url, raw)
    assert 400 <= r.status_code < 500, (r.status_code, r.content)
    body = assert_error(r, r.status_code)
    if "/units/" in url:  # the routes that parse their own JSON: 422 on body
        assert r.status_code == 422 and [e["field"] for e in body["errors"]] == ["body"], body
    assert counts() == before


@pytest.mark.parametrize("raw", [DEEP, '{"phone": "081211112222", "text": "maling", "message_id": "wa-x", "lat": 1'
                                 + "0" * 5000 + "}"])
def test_pathological_json_to_the_signed_webhook_is_4xx_not_500(world, settings, raw):
    settings.K3I_INTAKE_WEBHOOK_SECRET = SECRET
    before = counts()
    c = Client(raise_request_exception=False)
    r = c.post("/api/v1/intake/messages", data=raw.encode(), content_type="application/json",
               HTTP_X_K3I_SIGNATURE=intake.sign(raw.encode(), SECRET))
    assert 400 <= r.status_code < 500, (r.status_code, r.content)
    assert_error(r, r.status_code)
    assert counts() == before
