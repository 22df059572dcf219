"""The organisation API, route × named user × territory: in scope visible, out of scope 404, anonymous 401.

Expectations are written out per user (who serves which Polsek, who may see personal data) rather than
recomputed from ``restrict``, so that a wrong scope shows up as a failing row.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from k3i.core.roles import PERMISSIONS, Role
from k3i.core.tests.neighbour import add_neighbour

BOTH = {"semarang_tengah", "semarang_utara"}
TENGAH = {"semarang_tengah"}
UTARA = {"semarang_utara"}

# user → the Polsek they serve (territory)
TERRITORY: dict[str, set[str]] = {
    "admin": BOTH, "kapolres": BOTH, "kabagops": BOTH, "operator": BOTH, "propam": BOTH, "analis": BOTH,
    "spkt": BOTH, "kasat_reskrim": BOTH,
    "kapolsek_semarang_tengah": TENGAH, "anggota_semarang_tengah": TENGAH, "operator_semarang_tengah": TENGAH,
    "kapolsek_semarang_utara": UTARA, "anggota_semarang_utara": UTARA, "operator_semarang_utara": UTARA,
    "bhabin_miroto": TENGAH,
}
USERS = sorted(TERRITORY)
PERSONEL_ROLES = {r.value for r in PERMISSIONS["view_personel"]}
UNIT_ROLES = {r.value for r in PERMISSIONS["view_patrolunit"]}


@pytest.fixture
def neighbour(world) -> dict[str, Any]:
    return add_neighbour(world)


def role_of(world, username: str) -> str:
    return world.user(username).role


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def assert_error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"], body
    return body


# --- anonymous ------------------------------------------------------------------------------------


def test_every_route_refuses_anonymous(world, client):
    ps, unit, per = world.polsek["semarang_tengah"], world.units["semarang_tengah"], world.personel["kasat_reskrim"]
    for url in [
        "/api/v1/polres", "/api/v1/polsek", f"/api/v1/polsek/{ps.pk}", "/api/v1/pospol", "/api/v1/fungsi",
        "/api/v1/personel", f"/api/v1/personel/{per.pk}", "/api/v1/bhabinkamtibmas",
        "/api/v1/bhabinkamtibmas/gaps", "/api/v1/units", f"/api/v1/units/{unit.pk}",
    ]:
        body = assert_error(client.get(url), 401)
        assert "autentikasi" in body["detail"].lower() or "token" in body["detail"].lower()
    assert_error(client.patch(f"/api/v1/units/{unit.pk}", {"aktif": False}, content_type="application/json"), 401)
    unit.refresh_from_db()
    assert unit.aktif


def test_bearer_token_reads_like_a_session(world, client):
    from k3i.accounts.actions import create_token

    _, raw = create_token(None, world.user("kapolsek_semarang_utara"), channel="cli")
    r = client.get("/api/v1/polsek", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert [p["nama"] for p in ok(r)] == ["Polsek Semarang Utara"]
    assert_error(client.get("/api/v1/polsek", HTTP_AUTHORIZATION="Bearer k3i_salah_token"), 401)


# --- Polres, Polsek, Pospol, fungsi ---------------------------------------------------------------


@pytest.mark.parametrize("username", USERS)
def test_polres_is_the_users_own(world, neighbour, login, username):
    body = ok(login(username).get("/api/v1/polres"))
    assert body["nama"] == "Polrestabes Uji" and body["tipe"] == "polrestabes"
    assert body["jumlah_polsek"] == len(TERRITORY[username])


def test_polres_of_the_neighbour(world, neighbour):
    from k3i.accounts.testing import force_login_verified

    c = force_login_verified(Client(), neighbour["kapolsek_argomulyo"])
    body = ok(c.get("/api/v1/polres"))
    assert body["nama"] == "Polres Salatiga" and body["jumlah_polsek"] == 1


@pytest.mark.parametrize("username", USERS)
def test_polsek_list_and_detail_by_territory(world, neighbour, login, username):
    c = login(username)
    names = {p["nama"] for p in ok(c.get("/api/v1/polsek"))}
    assert names == {world.polsek[k].nama for k in TERRITORY[username]}
    for key, ps in world.polsek.items():
        r = c.get(f"/api/v1/polsek/{ps.pk}")
        if key in TERRITORY[username]:
            assert ok(r)["kecamatan_kode"] == ps.kecamatan_id
        else:
            assert assert_error(r, 404)["detail"] == "Polsek tidak ditemukan."
    assert_error(c.get(f"/api/v1/polsek/{neighbour['polsek'].pk}"), 404)


def test_polsek_detail_content(world, neighbour, login):
    ps = world.polsek["semarang_utara"]
    body = ok(login("operator").get(f"/api/v1/polsek/{ps.pk}"))
    kel = {k["nama"]: k for k in body["kelurahan"]}
    assert set(kel) == {"Bandarharjo", "Bulu Lor"}
    assert kel["Bandarharjo"]["bhabin"]["nama"] == "Bhabin Bandarharjo"
    assert kel["Bulu Lor"]["bhabin"] is None  # a gap
    assert [p["nama"] for p in body["pospol"]] == ["Pospol Bandarharjo"]
    assert body["polsubsektor"] == [{"id": neighbour["world_polsubsektor"].pk, "nama": "Polsubsektor Bulu Lor",
                                     "kelurahan": [{"kode": "33.74.02.1002", "nama": "Bulu Lor"}]}]
    assert body["jumlah_unit"] == 1 and body["jumlah_personel"] == 3
    # a role that may not see personal data gets no head count
    assert ok(login("analis").get(f"/api/v1/polsek/{ps.pk}"))["jumlah_personel"] is None


@pytest.mark.parametrize("username", USERS)
def test_pospol_by_territory(world, neighbour, login, username):
    c = login(username)
    names = {p["nama"] for p in ok(c.get("/api/v1/pospol"))}
    assert names == {world.pospol[k].nama for k in TERRITORY[username]}
    utara = world.polsek["semarang_utara"].pk
    filtered = {p["nama"] for p in ok(c.get(f"/api/v1/pospol?polsek={utara}"))}
    assert filtered == ({"Pospol Bandarharjo"} if "semarang_utara" in TERRITORY[username] else set())


@pytest.mark.parametrize("username", ["admin", "bhabin_miroto", "spkt", "kasat_reskrim"])
def test_fungsi_for_every_role(world, login, username):
    c = login(username)
    assert {f["kode"] for f in ok(c.get("/api/v1/fungsi"))} == set(world.fungsi)
    assert {f["kode"] for f in ok(c.get("/api/v1/fungsi?jenis=pendukung"))} == {"BAGOPS", "SIPROPAM"}
    assert_error(c.get("/api/v1/fungsi?jenis=lainnya"), 422)


# --- personel -------------------------------------------------------------------------------------


def expected_personel(world, username: str) -> set[str]:
    if username == "kasat_reskrim":
        return {"Kasat Reskrim"}  # function scope: Sat Reskrim only
    names = set()
    for p in world.personel.values():
        if p.polsek_id is None:
            if TERRITORY[username] == BOTH:
                names.add(p.nama)
        elif any(world.polsek[k].pk == p.polsek_id for k in TERRITORY[username]):
            names.add(p.nama)
    return names


@pytest.mark.parametrize("username", USERS)
def test_personel_by_role_and_territory(world, neighbour, login, username):
    c = login(username)
    r = c.get("/api/v1/personel")
    allowed = role_of(world, username) in PERSONEL_ROLES
    if not allowed:
        body = assert_error(r, 403)
        assert "personel" in body["detail"]
    else:
        body = ok(r)
        names = {p["nama"] for p in body["items"]}
        assert names == expected_personel(world, username)
        assert body["count"] == len(names)
    for p in [*world.personel.values(), neighbour["kapolsek"], neighbour["reskrim"]]:
        r = c.get(f"/api/v1/personel/{p.pk}")
        if allowed and p.nama in expected_personel(world, username):
            assert ok(r)["nrp"] == p.nrp
        else:
            assert assert_error(r, 404)["detail"] == "Personel tidak ditemukan."


def test_personel_roles_match_the_table(world, login):
    """The roles that may list personnel are exactly PERMISSIONS["view_personel"] (all other roles: 403)."""
    by_role: dict[str, set[int]] = {}
    for username in USERS:
        by_role.setdefault(role_of(world, username), set()).add(login(username).get("/api/v1/personel").status_code)
    assert {role for role, codes in by_role.items() if codes == {200}} == PERSONEL_ROLES
    assert {role for role, codes in by_role.items() if codes == {403}} == set(Role.values) - PERSONEL_ROLES


def test_personel_filters_and_pages(world, login):
    c = login("operator")
    tengah = world.polsek["semarang_tengah"].pk
    names = lambda r: [p["nama"] for p in ok(r)["items"]]  # noqa: E731
    assert set(names(c.get(f"/api/v1/personel?polsek={tengah}"))) == {
        "Kapolsek Semarang Tengah", "Anggota Semarang Tengah", "Bhabin Miroto"}
    assert set(names(c.get("/api/v1/personel?fungsi=SAT_SAMAPTA"))) == {"Anggota Semarang Tengah", "Anggota Semarang Utara"}
    assert names(c.get("/api/v1/personel?pangkat=akbp")) == ["Kasat Reskrim"]
    assert names(c.get("/api/v1/personel?mapolres=true")) == ["Kasat Reskrim"]
    assert names(c.get("/api/v1/personel?q=miroto")) == ["Bhabin Miroto"]
    first = ok(c.get("/api/v1/personel?limit=2"))
    second = ok(c.get("/api/v1/personel?limit=2&offset=2"))
    assert first["count"] == second["count"] == 7 and len(first["items"]) == 2
    assert not {p["id"] for p in first["items"]} & {p["id"] for p in second["items"]}
    # a Polsek outside the Kapolsek's territory filters to nothing rather than revealing anything
    kap = login("kapolsek_semarang_utara")
    assert ok(kap.get(f"/api/v1/personel?polsek={tengah}"))["count"] == 0


@pytest.mark.parametrize("query, field", [
    ("pangkat=jenderal", "pangkat"), ("fungsi=TIDAK_ADA", "fungsi"), ("limit=0", "limit"), ("limit=501", "limit"),
    ("offset=-1", "offset"), ("polsek=abc", "polsek"), ("fungsi=a%20b", "fungsi"),
])
def test_personel_bad_filters_are_422(world, login, query, field):
    body = assert_error(login("operator").get(f"/api/v1/personel?{query}"), 422)
    assert field in [e["field"] for e in body["errors"]]


# --- Bhabinkamtibmas ------------------------------------------------------------------------------

COVERAGE = {"semarang_tengah": ("Bhabin Miroto", ["Miroto"]), "semarang_utara": ("Bhabin Bandarharjo", ["Bandarharjo"])}
GAPS = {"semarang_tengah": "Brumbungan", "semarang_utara": "Bulu Lor"}


@pytest.mark.parametrize("username", USERS)
def test_bhabin_coverage_and_gaps_by_territory(world, neighbour, login, username):
    c = login(username)
    coverage = ok(c.get("/api/v1/bhabinkamtibmas"))
    got = {b["personel"]["nama"]: [k["nama"] for k in b["kelurahan"]] for b in coverage}
    assert got == {COVERAGE[k][0]: COVERAGE[k][1] for k in TERRITORY[username]}
    for b in coverage:
        assert "nrp" not in b["personel"] and "telepon" not in b["personel"]  # no personal data here
    gaps = {g["nama"] for g in ok(c.get("/api/v1/bhabinkamtibmas/gaps"))}
    if username == "bhabin_miroto":
        assert gaps == set()  # their only kelurahan is covered (by themselves)
    else:
        assert gaps == {GAPS[k] for k in TERRITORY[username]}


def test_one_officer_covers_several_kelurahan(world, login):
    from k3i.organization.models import BhabinCoverage

    BhabinCoverage.objects.create(personel=world.personel["bhabin_miroto"], kelurahan=world.kelurahan["Brumbungan"])
    c = login("kapolsek_semarang_tengah")
    coverage = ok(c.get("/api/v1/bhabinkamtibmas"))
    assert [(b["personel"]["nama"], sorted(k["nama"] for k in b["kelurahan"])) for b in coverage] == [
        ("Bhabin Miroto", ["Brumbungan", "Miroto"])]
    assert ok(c.get("/api/v1/bhabinkamtibmas/gaps")) == []
    utara = world.polsek["semarang_utara"].pk
    assert [g["nama"] for g in ok(login("operator").get(f"/api/v1/bhabinkamtibmas/gaps?polsek={utara}"))] == ["Bulu Lor"]
