"""Patrol units over the API: list/detail by role and territory, and PATCH through ``update_patrol_unit``
(permission, validation with nothing written, audit entry and live event)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from k3i.core.models import AuditEntry, LiveEvent
from k3i.core.roles import PERMISSIONS
from k3i.core.tests.neighbour import add_neighbour
from k3i.dispatch.models import PatrolUnit

ALL_WORLD = {"SEMARANG-TENGAH-R2-01", "SEMARANG-UTARA-R2-01", "RESKRIM-R4-01"}
TENGAH = {"SEMARANG-TENGAH-R2-01"}
UTARA = {"SEMARANG-UTARA-R2-01"}
# user → the units they may see (empty: the role may not see units at all)
VISIBLE: dict[str, set[str]] = {
    "admin": ALL_WORLD, "kapolres": ALL_WORLD, "kabagops": ALL_WORLD, "operator": ALL_WORLD, "analis": ALL_WORLD,
    "propam": set(), "spkt": set(),
    "kasat_reskrim": {"RESKRIM-R4-01"},  # function scope: Sat Reskrim only
    "kapolsek_semarang_tengah": TENGAH, "anggota_semarang_tengah": TENGAH, "operator_semarang_tengah": TENGAH,
    "kapolsek_semarang_utara": UTARA, "anggota_semarang_utara": UTARA, "operator_semarang_utara": UTARA,
    "bhabin_miroto": TENGAH,
}
# user → the units they may change through PATCH
CHANGE: dict[str, set[str]] = {
    "admin": ALL_WORLD, "operator": ALL_WORLD, "kapolsek_semarang_tengah": TENGAH, "operator_semarang_tengah": TENGAH,
    "kapolsek_semarang_utara": UTARA, "operator_semarang_utara": UTARA,
}


@pytest.fixture
def neighbour(world) -> dict[str, Any]:
    return add_neighbour(world)


def all_units(world, neighbour) -> list[PatrolUnit]:
    return [*world.units.values(), neighbour["unit"], neighbour["unit_reskrim"]]


def patch(c: Client, unit: PatrolUnit, data: Any, **extra: Any):
    body = data if isinstance(data, str) else json.dumps(data)
    return c.patch(f"/api/v1/units/{unit.pk}", data=body, content_type="application/json", **extra)


def assert_error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"], body
    return body


def snapshot(unit: PatrolUnit) -> tuple[Any, ...]:
    unit.refresh_from_db()
    return unit.aktif, unit.home_lat, unit.home_lon


def test_tables_follow_permissions():
    """The expectations above agree with the role table (a role change must update these tests)."""
    from k3i.core.roles import Role

    change_roles = {r.value for r in PERMISSIONS["change_patrolunit"]}
    assert change_roles == {Role.ADMIN, Role.OPERATOR, Role.KAPOLSEK}
    assert Role.PROPAM not in PERMISSIONS["view_patrolunit"] and Role.SPKT not in PERMISSIONS["view_patrolunit"]


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_units_list_and_detail_by_role_and_territory(world, neighbour, login, username):
    c = login(username)
    body = c.get("/api/v1/units").json()
    assert {u["callsign"] for u in body["items"]} == VISIBLE[username]
    assert body["count"] == len(VISIBLE[username])
    for unit in all_units(world, neighbour):
        r = c.get(f"/api/v1/units/{unit.pk}")
        if unit.callsign in VISIBLE[username]:
            assert r.status_code == 200 and r.json()["callsign"] == unit.callsign
        else:
            assert assert_error(r, 404)["detail"] == "Unit patroli tidak ditemukan."


def test_units_filters(world, login):
    c = login("operator")
    calls = lambda q: {u["callsign"] for u in c.get(f"/api/v1/units?{q}").json()["items"]}  # noqa: E731
    assert calls("tipe=R4") == {"RESKRIM-R4-01"}
    assert calls("fungsi=SAT_SAMAPTA") == TENGAH | UTARA
    assert calls(f"polsek={world.polsek['semarang_utara'].pk}") == UTARA
    assert calls("mapolres=true") == {"RESKRIM-R4-01"}
    PatrolUnit.objects.filter(pk=world.units["reskrim"].pk).update(aktif=False)  # test data, not a user write
    assert calls("aktif=false") == {"RESKRIM-R4-01"}
    assert calls("aktif=true") == TENGAH | UTARA
    page = c.get("/api/v1/units?limit=1&offset=1").json()
    assert page["count"] == 3 and len(page["items"]) == 1
    for bad, field in [("tipe=R9", "tipe"), ("fungsi=TIDAK_ADA", "fungsi"), ("limit=1000", "limit")]:
        assert field in [e["field"] for e in assert_error(c.get(f"/api/v1/units?{bad}"), 422)["errors"]]


# --- PATCH ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_patch_by_role_and_territory(world, neighbour, login, username):
    c = login(username)
    for unit in all_units(world, neighbour):
        before = snapshot(unit)
        r = patch(c, unit, {"aktif": not unit.aktif})
        if unit.callsign in CHANGE.get(username, set()):
            assert r.status_code == 200, r.content
            assert r.json()["aktif"] is (not before[0])
            assert snapshot(unit)[0] is (not before[0])
        elif unit.callsign in VISIBLE[username]:
            assert assert_error(r, 403)["detail"] == "Anda tidak berwenang mengubah unit patroli ini."
            assert snapshot(unit) == before
        else:
            assert_error(r, 404)
            assert snapshot(unit) == before


def test_patch_writes_audit_entry_and_live_event(world, login):
    unit = world.units["semarang_tengah"]
    c = login("kapolsek_semarang_tengah")
    r = patch(c, unit, {"aktif": False, "home_lat": -6.9801, "home_lon": 110.4102})
    assert r.status_code == 200, r.content
    assert r.json()["home_lat"] == -6.9801 and r.json()["aktif"] is False
    entry = AuditEntry.objects.get(action="unit.diperbarui")
    assert entry.actor_username == "kapolsek_semarang_tengah" and entry.actor_role == "kapolsek"
    assert entry.channel == "api" and entry.object_type == "dispatch.patrolunit" and entry.object_id == str(unit.pk)
    assert entry.polres_id == world.polres.pk
    assert entry.changes == {"aktif": [True, False], "home_lat": [-6.98, -6.9801], "home_lon": [110.42, 110.4102]}
    event = LiveEvent.objects.get(kind="unit.diperbarui")
    assert event.polsek_id == unit.polsek_id and event.polres_id == world.polres.pk
    assert event.fungsi_kode == "SAT_SAMAPTA"
    assert event.payload["id"] == unit.pk and event.payload["aktif"] is False
    assert event.payload["polsek_id"] == unit.polsek_id

    # the same values again change nothing and record nothing
    assert patch(c, unit, {"aktif": False}).status_code == 200
    assert AuditEntry.objects.filter(action="unit.diperbarui").count() == 1
    assert LiveEvent.objects.filter(kind="unit.diperbarui").count() == 1


def test_patch_event_reaches_the_polsek_not_the_other(world, login):
    from k3i.core.events import events_for

    patch(login("operator"), world.units["semarang_utara"], {"aktif": False})
    kinds = lambda u: [e.kind for e in events_for(world.user(u), 0)]  # noqa: E731
    assert kinds("kapolsek_semarang_utara") == ["unit.diperbarui"]
    assert kinds("kapolsek_semarang_tengah") == []


@pytest.mark.parametrize("data, fields", [
    ({"home_lat": 95.0, "home_lon": 110.4}, {"home_lat"}),  # latitude outside Indonesia
    ({"home_lat": -6.98, "home_lon": 200}, {"home_lon"}),  # longitude outside Indonesia
    ({"home_lat": 110.41, "home_lon": -6.98}, {"home_lat", "home_lon"}),  # swapped
    ({"home_lat": "utara", "home_lon": 110.4}, {"home_lat"}),  # not a number
    ({"aktif": "mungkin"}, {"aktif"}),  # not a boolean
    ({"aktif": None}, {"aktif"}),  # null is not a state
    ({"callsign": "BARU-01"}, {"callsign"}),  # a field that may not be changed here
    ({"polsek": 2, "aktif": False}, {"polsek"}),  # unknown field rejects the whole request
    ({"home_lat": -6.98, "home_lon": None}, {"home_lon"}),  # half a home base
    ('{"home_lat": NaN, "home_lon": 110.4}', {"home_lat"}),  # not a finite number
])
def test_patch_validation_is_422_and_writes_nothing(world, login, data, fields):
    unit = world.units["semarang_tengah"]
    before = snapshot(unit)
    body = assert_error(patch(login("operator"), unit, data), 422)
    assert {e["field"] for e in body["errors"]} == fields
    for e in body["errors"]:
        assert e["message"] and not e["message"].startswith(("Input should", "Field required", "Extra inputs"))
    assert snapshot(unit) == before
    assert not AuditEntry.objects.filter(action="unit.diperbarui").exists()
    assert not LiveEvent.objects.filter(kind="unit.diperbarui").exists()


def test_patch_messages_are_indonesian(world, login):
    unit = world.units["semarang_tengah"]
    body = assert_error(patch(login("operator"), unit, {"home_lat": 95.0, "home_lon": 110.4}), 422)
    assert body["errors"] == [{"field": "home_lat", "message": "Lintang pangkalan 95.0 di luar wilayah Indonesia "
                                                               "(harus antara -11.5 dan 6.5)."}]
    body = assert_error(patch(login("operator"), unit, {"warna": "merah"}), 422)
    assert body["errors"] == [{"field": "warna", "message": "kolom tidak dikenal atau tidak boleh diubah"}]
    body = assert_error(patch(login("operator"), unit, {}), 422)
    assert "Tidak ada kolom yang diubah" in body["detail"]
    body = assert_error(patch(login("operator"), unit, "{bukan json"), 400)
    assert body["detail"] == "Isi permintaan bukan JSON yang sah."


def test_patch_clears_and_sets_home_base(world, login):
    unit = world.units["reskrim"]
    c = login("admin")
    assert patch(c, unit, {"home_lat": None, "home_lon": None}).json()["home_lat"] is None
    assert snapshot(unit) == (True, None, None)
    assert patch(c, unit, {"home_lat": -6.99, "home_lon": 110.40}).status_code == 200
    assert snapshot(unit) == (True, -6.99, 110.40)


def test_patch_with_tokens(world, client):
    from k3i.accounts.actions import create_token

    unit = world.units["semarang_tengah"]
    _, write = create_token(None, world.user("operator"), write=True, channel="cli")
    _, read = create_token(None, world.user("operator"), channel="cli")
    r = patch(client, unit, {"aktif": False}, HTTP_AUTHORIZATION=f"Bearer {write}")
    assert r.status_code == 200, r.content
    assert AuditEntry.objects.get(action="unit.diperbarui").actor_username == "operator"
    assert_error(patch(client, unit, {"aktif": True}, HTTP_AUTHORIZATION=f"Bearer {read}"), 403)
    assert snapshot(unit)[0] is False


def test_patch_with_a_session_needs_csrf(world):
    from k3i.accounts.testing import force_login_verified

    unit = world.units["semarang_tengah"]
    c = force_login_verified(Client(enforce_csrf_checks=True), world.user("operator"))
    body = assert_error(patch(c, unit, {"aktif": False}), 403)
    assert "CSRF" in body["detail"]
    assert snapshot(unit)[0] is True
    anonymous = Client(enforce_csrf_checks=True)
    assert_error(patch(anonymous, unit, {"aktif": False}), 401)
