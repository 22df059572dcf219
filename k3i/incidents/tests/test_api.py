"""Incidents over the API: create (idempotent retry, bad input writes nothing), the scoped list and
detail (roles × territories, 404 outside scope), the reporter's identity (only ``view_reporter`` roles,
every view in the ledger), triage confirmation and location confirmation, for every route."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from k3i.accounts.actions import create_token
from k3i.core.models import AuditEntry, LiveEvent
from k3i.core.roles import PERMISSIONS
from k3i.core.tests.neighbour import add_neighbour
from k3i.incidents.actions import create_incident
from k3i.incidents.models import Incident, IncidentLog

MIROTO = (-6.98, 110.41)
BULU_LOR = (-6.94, 110.43)
OUTSIDE = (-7.36, 110.49)  # Polres Salatiga (the neighbour), not ours
SEA = (-6.5, 110.0)  # no kelurahan at all

ALL = {"miroto", "brumbungan", "bulu_lor"}
TENGAH = {"miroto", "brumbungan"}
UTARA = {"bulu_lor"}
# user → the incidents of the `incidents` fixture they may see
VISIBLE: dict[str, set[str]] = {
    "admin": set(), "kapolres": ALL, "kabagops": ALL, "operator": ALL, "propam": ALL, "analis": ALL, "spkt": ALL,
    "kasat_reskrim": ALL,
    "kapolsek_semarang_tengah": TENGAH, "anggota_semarang_tengah": TENGAH, "operator_semarang_tengah": TENGAH,
    "kapolsek_semarang_utara": UTARA, "anggota_semarang_utara": UTARA, "operator_semarang_utara": UTARA,
    "bhabin_miroto": {"miroto"},
}
REPORTER_ROLES = {r.value for r in PERMISSIONS["view_reporter"]}
CHANGE_ROLES = {r.value for r in PERMISSIONS["change_incident"]}


def post(c: Client, url: str, data: Any, **extra: Any):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return c.post(url, data=body, content_type="application/json", **extra)


def assert_error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"], body
    return body


def counts() -> tuple[int, int, int, int]:
    return Incident.objects.count(), IncidentLog.objects.count(), AuditEntry.objects.count(), LiveEvent.objects.count()


def report(**kw: Any) -> dict[str, Any]:
    data = {"text": "motor saya dicuri di parkiran pasar", "lat": MIROTO[0], "lon": MIROTO[1], "channel": "110"}
    data.update(kw)
    return data


# --- create ---------------------------------------------------------------------------------------


def test_create_answers_201_with_number_code_and_routing(world, login):
    c = login("operator")
    before = counts()
    r = post(c, "/api/v1/incidents", report(reporter_name="Siti", reporter_phone="0812-3456-7890"))
    assert r.status_code == 201, r.content
    body = r.json()
    assert {"id", "number", "tracking_code", "category", "priority", "kelurahan", "polsek", "status"} <= set(body)
    assert body["kelurahan"] == {"kode": "33.74.01.1001", "nama": "Miroto"}
    assert body["polsek"]["id"] == world.polsek["semarang_tengah"].pk
    assert body["status"] == "baru" and body["number"].startswith("LK-3374-")
    assert len(body["tracking_code"]) == 10
    assert "reporter_name" not in body and "reporter_phone" not in body
    inc = Incident.objects.get(pk=body["id"])
    assert inc.reporter_phone == "081234567890" and inc.created_by == world.user("operator")
    # one incident, one timeline line, one ledger entry, one live event
    # one incident; two timeline lines (received, the kelurahan's Bhabinkamtibmas); one ledger entry; one event
    assert counts() == (before[0] + 1, before[1] + 2, before[2] + 1, before[3] + 1)
    e = AuditEntry.objects.get(action="kejadian.dibuat", object_id=str(inc.pk))
    assert e.channel == "api" and e.actor_username == "operator"
    ev = LiveEvent.objects.get(kind="kejadian.baru")
    assert ev.payload["number"] == inc.number and "reporter_phone" not in ev.payload


def test_retry_with_same_idempotency_key_returns_the_first_incident(world, login):
    c = login("operator")
    first = post(c, "/api/v1/incidents", report(idempotency_key="call-2026-0001"))
    assert first.status_code == 201
    before = counts()
    again = post(c, "/api/v1/incidents", report(idempotency_key="call-2026-0001"))  # another text: 409
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert counts() == before


def test_idempotency_key_of_another_user_is_refused_not_revealed(world, login):
    r = post(login("operator"), "/api/v1/incidents", report(idempotency_key="shared-key"))
    assert r.status_code == 201
    other = post(login("kapolsek_semarang_tengah"), "/api/v1/incidents", report(idempotency_key="shared-key"))
    body = assert_error(other, 409)
    assert body["errors"][0]["field"] == "idempotency_key"
    assert r.json()["tracking_code"] not in other.content.decode()


def test_officer_initiated_report_lp_model_a(world, login):
    c = login("anggota_semarang_utara")
    r = post(c, "/api/v1/incidents", report(channel="petugas", lat=BULU_LOR[0], lon=BULU_LOR[1],
                                            text="LP model A: ditemukan pengedar sabu di gang belakang pasar"))
    assert r.status_code == 201, r.content
    inc = Incident.objects.get(pk=r.json()["id"])
    assert inc.channel == "petugas" and inc.polsek == world.polsek["semarang_utara"]
    assert inc.created_by == world.user("anggota_semarang_utara")
    # and the officer sees it in their own list
    listed = c.get("/api/v1/incidents").json()
    assert inc.pk in [i["id"] for i in listed["items"]]
    bhabin = post(login("bhabin_miroto"), "/api/v1/incidents", report(channel="petugas"))
    assert bhabin.status_code == 201


@pytest.mark.parametrize("username", sorted(set(VISIBLE) - {"admin"}))
def test_create_permission_per_role(world, login, username):
    role = world.user(username).role
    r = post(login(username), "/api/v1/incidents", report())
    if role in {x.value for x in PERMISSIONS["create_incident"]}:
        assert r.status_code == 201, r.content
    else:
        assert_error(r, 403)
        assert Incident.objects.count() == 0


def test_create_needs_authentication(world, client):
    assert_error(post(client, "/api/v1/incidents", report()), 401)
    assert Incident.objects.count() == 0


def test_tokens_read_only_refused_write_token_creates(world):
    _, ro = create_token(None, world.user("operator"), name="baca", channel="cli")
    _, rw = create_token(None, world.user("operator"), name="tulis", write=True, channel="cli")
    assert_error(post(Client(), "/api/v1/incidents", report(), HTTP_AUTHORIZATION=f"Bearer {ro}"), 403)
    assert Incident.objects.count() == 0
    r = post(Client(), "/api/v1/incidents", report(), HTTP_AUTHORIZATION=f"Bearer {rw}")
    assert r.status_code == 201, r.content
    assert Client().get("/api/v1/incidents", HTTP_AUTHORIZATION=f"Bearer {ro}").json()["count"] == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (report(lat=OUTSIDE[0], lon=OUTSIDE[1]), "lat"),  # another Polres
        (report(lat=SEA[0], lon=SEA[1]), "lat"),  # no kelurahan at all
        (report(lat=91.0), "lat"),
        (report(category="BEGAL_BESAR"), "category"),
        (report(text="x" * 100_000), "text"),
        (report(text=""), "text"),
        (report(text="   "), "text"),
        (report(text=123), "text"),
        (report(lat="-6.98"), "lat"),
        (report(lat=True), "lat"),
        (report(priority="1"), "priority"),
        (report(priority=True), "priority"),
        (report(priority=7), "priority"),
        (report(channel="telegram"), "channel"),
        (report(reporter_phone="12"), "reporter_phone"),
        (report(kelurahan="33.73.01.1001", lat=None, lon=None), "kelurahan"),  # the neighbour's kelurahan
        (report(extra_field=1), "extra_field"),
        ({"lat": MIROTO[0], "lon": MIROTO[1], "channel": "110"}, "text"),
    ],
)
def test_bad_input_answers_4xx_with_indonesian_field_errors_and_writes_nothing(world, login, data, field):
    add_neighbour(world)
    c = login("operator")
    before = counts()
    r = post(c, "/api/v1/incidents", data)
    body = assert_error(r, 422)
    assert field in [e["field"] for e in body["errors"]], body
    assert all(e["message"] for e in body["errors"])
    assert counts() == before


def test_invalid_utf8_and_broken_json_write_nothing(world, login):
    c = login("operator")
    before = counts()
    raw = b'{"text": "motor dicuri \xff\xfe", "lat": -6.98, "lon": 110.41, "channel": "110"}'
    r = c.post("/api/v1/incidents", data=raw, content_type="application/json")
    assert 400 <= r.status_code < 500
    assert r.json()["detail"]
    r = c.post("/api/v1/incidents", data=b'{"text": ', content_type="application/json")
    assert 400 <= r.status_code < 500
    assert counts() == before


def test_text_without_location_and_kelurahan_without_point(world, login):
    c = login("operator")
    r = post(c, "/api/v1/incidents", report(lat=None, lon=None, kelurahan="33.74.02.1002"))
    assert r.status_code == 201, r.content
    assert r.json()["polsek"]["id"] == world.polsek["semarang_utara"].pk
    inc = Incident.objects.get(pk=r.json()["id"])
    assert inc.location_source == "kelurahan" and inc.lat is None


# --- list and detail by role and territory -----------------------------------------------------------


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_list_and_detail_follow_the_territory(world, incidents, login, username):
    c = login(username)
    n = add_neighbour(world)
    theirs, _ = create_incident(None, polres=n["polres"], channel="web", text="rumah kebakaran di noborejo",
                                lat=-7.36, lon=110.49, audit_channel="web")
    allowed = VISIBLE[username]
    r = c.get("/api/v1/incidents?limit=500")
    if not allowed and world.user(username).role not in {x.value for x in PERMISSIONS["view_incident"]}:
        assert r.status_code == 200 and r.json()["count"] == 0
    listed = {i["number"] for i in r.json()["items"]}
    assert listed == {incidents[k].number for k in allowed}
    for key, inc in incidents.items():
        d = c.get(f"/api/v1/incidents/{inc.pk}")
        if key in allowed:
            assert d.status_code == 200, d.content
            body = d.json()
            assert body["number"] == inc.number and body["timeline"][0]["kind"] == "dibuat"
            assert "reporter_name" not in body and "reporter_phone" not in body
            assert "Budi" not in d.content.decode() and "081234567890" not in d.content.decode()
        else:
            assert_error(d, 404)
    assert_error(c.get(f"/api/v1/incidents/{theirs.pk}"), 404)


def test_list_filters_and_pagination(world, incidents, login):
    c = login("operator")
    ps = world.polsek["semarang_utara"].pk
    assert {i["number"] for i in c.get(f"/api/v1/incidents?polsek={ps}").json()["items"]} == {
        incidents["bulu_lor"].number
    }
    assert c.get("/api/v1/incidents?status=baru").json()["count"] == 3
    assert c.get("/api/v1/incidents?status=selesai").json()["count"] == 0
    assert c.get("/api/v1/incidents?open=true").json()["count"] == 3
    assert c.get("/api/v1/incidents?open=false").json()["count"] == 0
    cat = incidents["bulu_lor"].category
    assert incidents["bulu_lor"].number in {i["number"] for i in c.get(f"/api/v1/incidents?category={cat}").json()["items"]}
    p1 = incidents["miroto"].priority
    assert all(i["priority"] == p1 for i in c.get(f"/api/v1/incidents?priority={p1}").json()["items"])
    assert c.get("/api/v1/incidents?bagops=true").json()["count"] == Incident.objects.filter(bagops=True).count()
    page = c.get("/api/v1/incidents?limit=2&offset=0").json()
    assert page["count"] == 3 and len(page["items"]) == 2
    page2 = c.get("/api/v1/incidents?limit=2&offset=2").json()
    assert len(page2["items"]) == 1
    assert_error(c.get("/api/v1/incidents?status=kacau"), 422)
    assert_error(c.get("/api/v1/incidents?limit=0"), 422)


# --- the reporter's identity --------------------------------------------------------------------------


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_reporter_identity_only_for_view_reporter_roles_and_every_view_audited(world, incidents, login, username):
    c = login(username)
    inc = incidents["miroto"]
    before = AuditEntry.objects.filter(action="kejadian.identitas_pelapor_dilihat").count()
    r = c.get(f"/api/v1/incidents/{inc.pk}/reporter")
    role = world.user(username).role
    if "miroto" not in VISIBLE[username]:
        assert_error(r, 404)
    elif role in REPORTER_ROLES:
        assert r.status_code == 200, r.content
        assert r.json() == {"reporter_name": "Budi Santoso", "reporter_phone": "081234567890"}
        entries = AuditEntry.objects.filter(action="kejadian.identitas_pelapor_dilihat")
        assert entries.count() == before + 1
        e = entries.latest("id")
        assert e.actor_username == username and e.object_id == str(inc.pk) and e.channel == "api"
        c.get(f"/api/v1/incidents/{inc.pk}/reporter")
        assert entries.count() == before + 2  # each view, not once
        return
    else:
        assert_error(r, 403)
    assert AuditEntry.objects.filter(action="kejadian.identitas_pelapor_dilihat").count() == before


# --- triage and location -------------------------------------------------------------------------------


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_triage_confirm_by_role_and_territory(world, incidents, login, username):
    c = login(username)
    inc = incidents["bulu_lor"]
    r = post(c, f"/api/v1/incidents/{inc.pk}/triage", {"category": "LAKA_LANTAS", "priority": 1})
    role = world.user(username).role
    if "bulu_lor" not in VISIBLE[username]:
        assert_error(r, 404)
    elif role in CHANGE_ROLES:
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["status"] == "diverifikasi" and body["priority"] == 1 and body["category"] == "LAKA_LANTAS"
        assert AuditEntry.objects.filter(action="kejadian.diverifikasi", object_id=str(inc.pk)).exists()
        return
    else:
        assert_error(r, 403)
    inc.refresh_from_db()
    assert inc.status == "baru"


def test_triage_override_is_kept_and_bad_values_refused(world, incidents, login):
    c = login("operator")
    inc = incidents["miroto"]
    suggested = inc.triage["category"]
    other = "PENIPUAN" if suggested != "PENIPUAN" else "CURAT"
    assert_error(post(c, f"/api/v1/incidents/{inc.pk}/triage", {"category": "NGAWUR"}), 422)
    assert_error(post(c, f"/api/v1/incidents/{inc.pk}/triage", {"priority": 9}), 422)
    inc.refresh_from_db()
    assert inc.status == "baru"
    r = post(c, f"/api/v1/incidents/{inc.pk}/triage", {"category": other})
    assert r.status_code == 200
    assert r.json()["triage_overridden"] is True and r.json()["triage"]["category"] == suggested


def test_confirm_location_from_kelurahan_and_point(world, login):
    inc, _ = create_incident(None, polres=world.polres, channel="pesan", text="ada maling di bulu lor",
                             kelurahan=world.kelurahan["Bulu Lor"], location_confirmed=False, audit_channel="api")
    assert inc.location_confirmed is False and inc.location_source == "teks"
    c = login("operator")
    r = post(c, f"/api/v1/incidents/{inc.pk}/location", {})
    assert r.status_code == 200, r.content
    assert r.json()["location_confirmed"] is True and r.json()["kelurahan"]["nama"] == "Bulu Lor"
    r = post(c, f"/api/v1/incidents/{inc.pk}/location", {"lat": MIROTO[0], "lon": MIROTO[1]})
    body = r.json()
    assert body["kelurahan"]["nama"] == "Miroto" and body["polsek"]["id"] == world.polsek["semarang_tengah"].pk
    assert body["location_source"] == "peta"
    assert AuditEntry.objects.filter(action="kejadian.lokasi_dikonfirmasi", object_id=str(inc.pk)).count() == 2
    before = counts()
    assert_error(post(c, f"/api/v1/incidents/{inc.pk}/location", {"lat": SEA[0], "lon": SEA[1]}), 422)
    assert_error(post(c, f"/api/v1/incidents/{inc.pk}/location", {"kelurahan": "33.99.01.1001"}), 422)
    assert counts() == before
    # a Polsek desk of the other Polsek no longer sees it; a role without change_incident may not
    assert_error(post(login("operator_semarang_utara"), f"/api/v1/incidents/{inc.pk}/location", {}), 404)
    assert_error(post(login("anggota_semarang_tengah"), f"/api/v1/incidents/{inc.pk}/location", {}), 403)


def test_ids_out_of_range_are_422_or_404(world, login):
    c = login("operator")
    assert_error(c.get("/api/v1/incidents/0"), 422)
    assert_error(c.get(f"/api/v1/incidents/{2**70}"), 422)
    assert_error(c.get("/api/v1/incidents/999999"), 404)
