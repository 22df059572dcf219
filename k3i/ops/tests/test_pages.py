"""The pages of the Polres at a glance: roles × territories, map data, gaps, language.

The test world (k3i/testing.py): Polsek Semarang Tengah (Miroto covered, Brumbungan a gap) and Polsek
Semarang Utara (Bandarharjo covered, Bulu Lor a gap); one Mapolres unit (RESKRIM-R4-01).
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

TENGAH, UTARA = "semarang_tengah", "semarang_utara"
POLRES_WIDE = ["admin", "kapolres", "kabagops", "operator", "propam", "analis", "spkt", "kasat_reskrim"]
# user → the Polsek (keys) they serve
POLSEK_USERS = {
    f"{role}_{key}": key for key in (TENGAH, UTARA) for role in ("kapolsek", "anggota", "operator")
} | {"bhabin_miroto": TENGAH}
ALL_USERS = POLRES_WIDE + list(POLSEK_USERS)


def visible_keys(username: str) -> set[str]:
    return {POLSEK_USERS[username]} if username in POLSEK_USERS else {TENGAH, UTARA}


def polsek_url(world, key: str) -> str:
    return reverse("ops:polsek", args=[world.polsek[key].id])


def map_data(response) -> dict:
    """The map's GeoJSON as the browser receives it (the json_script element in the page)."""
    html = response.content.decode()
    m = re.search(r'<script id="(?:overview|polsek)-map-data" type="application/json">(.*?)</script>', html, re.S)
    assert m, "map data missing from the page"
    return json.loads(m.group(1))


# --- anonymous -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["overview", "polsek_list", "polsek"])
def test_anonymous_is_sent_to_login(client, world, name):
    url = polsek_url(world, TENGAH) if name == "polsek" else reverse(f"ops:{name}")
    r = client.get(url)
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("accounts:login"))
    assert "next=" in r["Location"]


# --- roles × territories ---------------------------------------------------------------------------


@pytest.mark.parametrize("username", ALL_USERS)
def test_polsek_page_in_scope_200_out_of_scope_404(world, login, username):
    c = login(username)
    for key in (TENGAH, UTARA):
        r = c.get(polsek_url(world, key))
        expected = 200 if key in visible_keys(username) else 404
        assert r.status_code == expected, (username, key, r.status_code)
        if expected == 200:
            assert world.polsek[key].nama in r.content.decode()


def test_unknown_polsek_is_404(world, login):
    assert login("operator").get(reverse("ops:polsek", args=[999999])).status_code == 404


@pytest.mark.parametrize("username", ALL_USERS)
def test_overview_map_contains_exactly_the_visible_polsek(world, login, username):
    r = login(username).get(reverse("ops:overview"))
    assert r.status_code == 200
    data = map_data(r)
    drawn = {f["properties"]["id"] for f in data["polsek"]["features"]}
    assert drawn == {world.polsek[k].id for k in visible_keys(username)}
    # every drawn area is a polygon carrying its colour and a link to its page
    for f in data["polsek"]["features"]:
        assert f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert f["properties"]["url"] == reverse("ops:polsek", args=[f["properties"]["id"]])
    # kelurahan, Pospol and units never leak from another Polsek
    allowed = {world.polsek[k].id for k in visible_keys(username)}
    assert {f["properties"]["polsek_id"] for f in data["kelurahan"]["features"]} <= allowed
    assert {f["properties"]["polsek_id"] for f in data["pospol"]["features"]} <= allowed
    html = r.content.decode()
    for key in {TENGAH, UTARA} - visible_keys(username):
        assert world.polsek[key].nama not in html


@pytest.mark.parametrize("username", ALL_USERS)
def test_polsek_list_shows_only_visible_polsek(world, login, username):
    html = login(username).get(reverse("ops:polsek_list")).content.decode()
    for key in (TENGAH, UTARA):
        assert (world.polsek[key].nama in html) == (key in visible_keys(username)), (username, key)


def test_user_without_role_sees_nothing(world, login):
    from k3i.accounts.models import User

    u = User.objects.create_user(username="tamu", password="sandi-tamu-K3i-2026", polres=world.polres)
    world.users["tamu"] = u
    c = login("tamu")
    r = c.get(reverse("ops:overview"))
    assert r.status_code == 200
    assert map_data(r)["polsek"]["features"] == []
    assert c.get(polsek_url(world, TENGAH)).status_code == 404


# --- gaps, coverage, units, personnel --------------------------------------------------------------


def test_overview_shows_bhabinkamtibmas_gaps(world, login):
    r = login("operator").get(reverse("ops:overview"))
    data = map_data(r)
    gaps = {f["properties"]["nama"] for f in data["kelurahan"]["features"] if f["properties"]["gap"]}
    assert gaps == {"Brumbungan", "Bulu Lor"}
    covered = {f["properties"]["nama"]: f["properties"]["bhabin"] for f in data["kelurahan"]["features"]}
    assert "Bhabin Miroto" in covered["Miroto"]
    html = r.content.decode()
    gap_section = html.split('id="h-gaps"', 1)[1].split("</aside>", 1)[0]
    assert "Brumbungan" in gap_section and "Bulu Lor" in gap_section
    assert "Miroto" not in gap_section
    assert r.context["tree"].stats.gaps == 2
    assert r.context["tree"].stats.percent == 50


def test_gap_closes_when_a_bhabinkamtibmas_covers_the_kelurahan(world, login):
    from k3i.organization.models import BhabinCoverage

    BhabinCoverage.objects.create(personel=world.personel["bhabin_miroto"], kelurahan=world.kelurahan["Brumbungan"])
    data = map_data(login("operator").get(reverse("ops:overview")))
    gaps = {f["properties"]["nama"] for f in data["kelurahan"]["features"] if f["properties"]["gap"]}
    assert gaps == {"Bulu Lor"}


def test_polsek_page_lists_kelurahan_with_bhabin_or_gap(world, login):
    html = login("kapolsek_semarang_tengah").get(polsek_url(world, TENGAH)).content.decode()
    rows = html.split('id="h-kel"', 1)[1].split("</table>", 1)[0]
    miroto = rows.split("Miroto", 1)[1].split("</tr>", 1)[0]
    brumbungan = rows.split("Brumbungan", 1)[1].split("</tr>", 1)[0]
    assert "Bhabin Miroto" in miroto
    assert "belum ada Bhabinkamtibmas" in brumbungan
    assert "Bandarharjo" not in html  # another Polsek's kelurahan


def test_bhabinkamtibmas_sees_only_own_kelurahan_on_polsek_page(world, login):
    r = login("bhabin_miroto").get(polsek_url(world, TENGAH))
    names = [row.kelurahan.nama for row in r.context["rows"]]
    assert names == ["Miroto"]
    assert {f["properties"]["nama"] for f in map_data(r)["kelurahan"]["features"]} == {"Miroto"}


@pytest.mark.parametrize(
    "username, sees_personel",
    [("operator", True), ("kapolsek_semarang_tengah", True), ("propam", True),
     ("analis", False), ("spkt", False), ("anggota_semarang_tengah", False), ("bhabin_miroto", False)],
)
def test_personel_only_for_roles_that_may_see_it(world, login, username, sees_personel):
    html = login(username).get(polsek_url(world, TENGAH)).content.decode()
    nrp = world.personel["anggota_semarang_tengah"].nrp
    assert (nrp in html) == sees_personel
    assert ('id="h-pers"' in html) == sees_personel


def test_functional_scope_limits_personel_and_units(world, login):
    """Kasat Reskrim (functional scope Sat Reskrim) sees no Samapta members or units of a Polsek."""
    r = login("kasat_reskrim").get(polsek_url(world, TENGAH))
    assert r.context["personel"] == []
    assert r.context["units"] == []
    callsigns = [c for f in map_data(login("kasat_reskrim").get("/"))["units"]["features"]
                 for c in f["properties"]["callsigns"]]
    assert callsigns == ["RESKRIM-R4-01"]


def test_units_and_pospol_on_the_map(world, login):
    data = map_data(login("operator").get(reverse("ops:overview")))
    callsigns = {c for f in data["units"]["features"] for c in f["properties"]["callsigns"]}
    assert callsigns == {u.callsign for u in world.units.values()}
    assert {f["properties"]["nama"] for f in data["pospol"]["features"]} == {p.nama for p in world.pospol.values()}
    # a Kapolsek sees their own units only, not the Mapolres unit
    data = map_data(login("kapolsek_semarang_utara").get(reverse("ops:overview")))
    callsigns = {c for f in data["units"]["features"] for c in f["properties"]["callsigns"]}
    assert callsigns == {world.units[UTARA].callsign}
    # petugas SPKT may not see patrol units at all
    assert map_data(login("spkt").get(reverse("ops:overview")))["units"]["features"] == []


def test_organisation_tree_and_functions(world, login):
    r = login("operator").get(reverse("ops:overview"))
    html = r.content.decode()
    tree = html.split('id="h-tree"', 1)[1].split("</section>", 1)[0]
    assert world.pospol[TENGAH].nama in tree and world.pospol[UTARA].nama in tree
    assert "berwenang penyidikan" in tree
    counts = {fr.fungsi.singkatan: fr.personel for fr in r.context["tree"].utama}
    assert counts["Sat Samapta"] == 2 and counts["Sat Binmas"] == 2 and counts["Sat Reskrim"] == 1
    # roles that may not see personnel get no head counts
    r = login("analis").get(reverse("ops:overview"))
    assert all(fr.personel is None for fr in r.context["tree"].utama)


def test_schematic_note_only_for_schematic_boundaries(world, login):
    from k3i.organization.models import Region

    assert "Batas skematis" not in login("operator").get("/").content.decode()
    Region.objects.filter(kode="33.74.01").update(schematic=True)
    assert "Batas skematis (demo)" in login("operator").get("/").content.decode()


def test_polsek_area_falls_back_to_union_of_kelurahan(world, login):
    from k3i.organization.models import Region

    Region.objects.filter(kode="33.74.02").update(geometry=None)
    data = map_data(login("operator").get("/"))
    utara = next(f for f in data["polsek"]["features"] if f["properties"]["id"] == world.polsek[UTARA].id)
    xs = [pt[0] for pt in utara["geometry"]["coordinates"][0]]
    assert min(xs) == pytest.approx(110.40) and max(xs) == pytest.approx(110.44)


# --- frame: navigation, language -------------------------------------------------------------------


def test_navigation_depends_on_role(world, login):
    html = login("propam").get("/").content.decode()
    assert reverse("core:ledger") in html  # Buku audit for roles with view_audit
    assert reverse("admin:index") not in html
    html = login("admin").get("/").content.decode()
    assert reverse("admin:index") in html
    assert reverse("core:ledger") not in html
    html = login("operator").get("/").content.decode()
    assert reverse("accounts:logout") in html and "Operator K3i" in html


def test_english_switch_renders_english(world, login):
    c = login("operator")
    assert "Peta wilayah hukum" in c.get("/").content.decode()
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert r.status_code == 302
    html = c.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Jurisdiction map" in html and "Peta wilayah hukum" not in html
    assert "Bhabinkamtibmas gaps" in html
    html = c.get(polsek_url(world, TENGAH)).content.decode()
    assert "no Bhabinkamtibmas yet" in html
    assert map_data(c.get("/"))["labels"]["no_bhabin"] == "no Bhabinkamtibmas yet"


def test_pages_load_no_external_assets_and_no_inline_script(world, login):
    html = login("operator").get("/").content.decode()
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert src.startswith("/"), src
    # the only non-src scripts are JSON data islands (CSP forbids inline scripts)
    for tag in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html):
        assert 'type="application/json"' in tag, tag


def test_demo_badge(world, login, settings):
    settings.DEMO_MODE = True
    assert ">DEMO<" in login("operator").get("/").content.decode()
    settings.DEMO_MODE = False
    assert ">DEMO<" not in login("operator").get("/").content.decode()


def test_indonesian_by_default_even_for_an_english_browser(world, login):
    c = login("operator")
    html = c.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="id">' in html and "Peta wilayah hukum" in html
    c.post("/i18n/setlang/", {"language": "en", "next": "/"})
    c.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert "Peta wilayah hukum" in c.get("/", HTTP_ACCEPT_LANGUAGE="en-US").content.decode()


def test_polsek_list_counts(world, login):
    from k3i.dispatch.models import PatrolUnit

    ps = world.polsek[TENGAH]
    for n in (2, 3):
        PatrolUnit.objects.create(callsign=f"TENGAH-R4-0{n}", tipe=PatrolUnit.Tipe.R4, polres=world.polres, polsek=ps,
                                  home_lat=ps.lat, home_lon=ps.lon)
    r = login("operator").get(reverse("ops:polsek_list"))
    nodes = {node.polsek.id: node for node in r.context["tree"].polsek}
    tengah = nodes[ps.id]
    assert (tengah.units, tengah.personel, len(tengah.pospol)) == (3, 3, 1)
    assert (tengah.stats.kelurahan, tengah.stats.covered, tengah.stats.gaps) == (2, 1, 1)
    assert nodes[world.polsek[UTARA].id].units == 1
    # units sharing a home base are one marker on the map that lists them all
    data = map_data(login("kapolsek_semarang_tengah").get("/"))
    assert [len(f["properties"]["callsigns"]) for f in data["units"]["features"]] == [3]


def _po_entries(path):
    """(locations, msgid, msgstr, msgctxt) of each singular entry of a .po file."""
    import ast

    entries, loc, key, parts = [], "", None, {}
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("#:"):
            loc += line[2:]
        elif line.startswith(("msgctxt ", "msgid ", "msgstr ", "msgid_plural ", "msgstr[")):
            key, _, rest = line.partition(" ")
            parts[key] = ast.literal_eval(rest)
        elif line.startswith('"') and key:
            parts[key] += ast.literal_eval(line)
        elif not line.strip():
            if parts.get("msgid") and "msgstr" in parts:
                entries.append((loc, parts["msgid"], parts["msgstr"], parts.get("msgctxt")))
            loc, key, parts = "", None, {}
    return entries


def test_english_catalogue_covers_the_pages_and_is_compiled():
    """Every string of these pages has an English translation, and the committed .mo matches the .po."""
    import gettext
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
    entries = _po_entries(folder / "django.po")
    mine = [(m, s) for loc, m, s, _ctx in entries if "ops/" in loc or "templates/base.html" in loc]
    assert len(mine) > 50
    assert [m for m, s in mine if not s] == []
    with open(folder / "django.mo", "rb") as f:
        mo = gettext.GNUTranslations(f)
    stale = [m for _, m, s, ctx in entries if s and (mo.pgettext(ctx, m) if ctx else mo.gettext(m)) != s]
    assert stale == [], "django.mo is older than django.po: run msgfmt (see the .po header)"


def test_not_found_and_forbidden_pages_are_indonesian_and_reveal_nothing(world, login, client):
    r = login("operator").get("/ops/kejadian/999999/")
    html = r.content.decode()
    assert r.status_code == 404 and "Halaman tidak ditemukan" in html and "Not Found" not in html
    assert "di luar wilayah dan fungsi akun Anda" in html and 'lang="id"' in html
    anon = client.get("/tidak-ada-halaman-ini/")
    assert anon.status_code == 404 and "Halaman tidak ditemukan" in anon.content.decode()
    api = client.get("/api/v1/tidak-ada")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")


def test_the_server_error_page_needs_no_database_and_speaks_indonesian():
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "Terjadi kesalahan pada server" in html and "110" in html and "{%" not in html
