"""The incident page when the location is unknown or only guessed: the location form (a kelurahan from the
Polres's list, a point clicked on the map, or "Konfirmasi lokasi" for the guess) calls ``confirm_location``;
once located, the page recommends units. Without a location a unit is still sent by hand, with a reason.
And a Kapolsek's page recommends only the units they may send.

World (k3i/testing.py): Miroto and Brumbungan in Polsek Semarang Tengah, Bandarharjo and Bulu Lor in Polsek
Semarang Utara; units Tengah, Utara (R2, Samapta) and Reskrim (R4, Mapolres).
"""

from __future__ import annotations

import html as html_lib
import re
import uuid

import pytest
from django.urls import reverse

from k3i.core.models import AuditEntry
from k3i.dispatch.models import Assignment
from k3i.incidents.intake import receive_message
from k3i.incidents.models import Incident

from .test_room import ALL_USERS, incident_url, json_script

TENGAH, UTARA = "semarang_tengah", "semarang_utara"


def message(text: str) -> Incident:
    """A WhatsApp/SMS report through the webhook's action (no coordinates: the place is looked up in the text)."""
    incident, _created, _match = receive_message(phone="081277776666", text=text, message_id=uuid.uuid4().hex)
    return incident


def unlocated() -> Incident:
    incident = message("tolong ada orang berkelahi di depan warung, cepat")
    assert incident.kelurahan is None and incident.polsek is None and not incident.location_confirmed
    return incident


def guessed() -> Incident:
    incident = message("tlg ada maling masuk rumah di kel. bulu lor")
    assert incident.kelurahan.nama == "Bulu Lor" and not incident.location_confirmed
    return incident


def flash(html: str) -> str:
    """The messages shown at the top of the page after a POST."""
    m = re.search(r'<ul class="messages">(.*?)</ul>', html, re.S)
    return html_lib.unescape(m.group(1)) if m else ""


def rec_units(html: str) -> list[int]:
    """Unit ids of the recommendation list, in order (the one-click forms carry unit and rank)."""
    return [int(u) for u in re.findall(r'name="unit" value="(\d+)"><input type="hidden" name="rank"', html)]


# --- the form --------------------------------------------------------------------------------------------


def test_an_unlocated_incident_page_offers_the_location_form_and_a_manual_dispatch(world, login):
    incident = unlocated()
    r = login("operator").get(incident_url(incident))
    assert r.status_code == 200
    html = r.content.decode()
    assert f'action="/ops/kejadian/{incident.pk}/lokasi"' in html and 'id="lokasi"' in html
    assert "Lokasi kejadian belum diketahui: pilih kelurahan atau klik lokasinya di peta" in html
    # every kelurahan of the Polres, by kecamatan
    for kec, kels in (("Semarang Tengah", ("Miroto", "Brumbungan")), ("Semarang Utara", ("Bandarharjo", "Bulu Lor"))):
        group = re.search(rf'<optgroup label="{kec}">(.*?)</optgroup>', html, re.S)
        assert group, kec
        for nama in kels:
            assert f'<option value="{world.kelurahan[nama].kode}">{nama}</option>' in group.group(1)
    # a map to click on (Leaflet and room.js, no inline script), with nothing drawn for the incident yet
    assert 'data-locate-map data-source="locate-map-data"' in html and "/static/leaflet/leaflet.js" in html
    data = json_script(r, "locate-map-data")
    assert data["incident"] is None and len(data["kelurahan"]["features"]) == 4
    assert "<script>" not in html
    # no ranking: no one-click suggestion, the manual form is open and asks for a reason
    assert rec_units(html) == [] and "tetapkan lokasinya untuk mendapat saran unit" in html
    assert '<details class="other-unit" open>' in html
    assert "Konfirmasi lokasi" not in html  # nothing guessed to confirm


def test_choosing_a_kelurahan_routes_the_incident_and_brings_recommendations(world, login):
    incident = unlocated()
    c = login("operator")
    r = c.post(incident_url(incident, "kejadian_lokasi"), {"kelurahan": world.kelurahan["Bulu Lor"].kode})
    assert r.status_code == 302 and r["Location"] == incident_url(incident)
    incident.refresh_from_db()
    assert (incident.kelurahan, incident.polsek, incident.location_confirmed) == (
        world.kelurahan["Bulu Lor"], world.polsek[UTARA], True)
    entry = AuditEntry.objects.get(action="kejadian.lokasi_dikonfirmasi", object_id=str(incident.pk))
    assert entry.channel == "web" and entry.actor_username == "operator"
    html = c.get(r["Location"]).content.decode()
    assert "Lokasi dikonfirmasi: Bulu Lor." in flash(html)
    assert rec_units(html)[0] == world.units[UTARA].pk  # the recommendations are there now
    assert "lokasi perlu konfirmasi" not in html
    assert '<details class="locate">' in html and "Ubah lokasi" in html  # collapsed once confirmed
    # the Polsek now sees it on its own desk
    assert login(f"kapolsek_{UTARA}").get(incident_url(incident)).status_code == 200


def test_a_point_clicked_on_the_map_wins_over_the_list(world, login):
    incident = unlocated()
    login("operator").post(incident_url(incident, "kejadian_lokasi"),
                           {"lat": "-6.98", "lon": "110.43", "kelurahan": world.kelurahan["Miroto"].kode})
    incident.refresh_from_db()
    assert (incident.lat, incident.lon, incident.kelurahan, incident.polsek) == (
        -6.98, 110.43, world.kelurahan["Brumbungan"], world.polsek[TENGAH])
    assert incident.location_source == "peta" and incident.location_confirmed
    data = json_script(login("operator").get(incident_url(incident)), "locate-map-data")
    assert data["incident"] == {"lat": -6.98, "lon": 110.43, "approx": False, "priority": incident.priority}


def test_confirming_the_guess_from_the_text(world, login):
    incident = guessed()
    c = login(f"kapolsek_{UTARA}")  # the guess put it on Semarang Utara's desk already
    html = c.get(incident_url(incident)).content.decode()
    assert "Perkiraan dari isi laporan: <strong>Bulu Lor</strong> (Semarang Utara)." in html
    assert "Konfirmasi lokasi: Bulu Lor" in html and "lokasi perlu konfirmasi" in html
    # the guess is drawn at the kelurahan's centre, flagged approximate; and it already has recommendations
    data = json_script(c.get(incident_url(incident)), "locate-map-data")
    assert data["incident"]["approx"] is True
    assert rec_units(html) == [world.units[UTARA].pk]
    r = c.post(incident_url(incident, "kejadian_lokasi"), {})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert incident.location_confirmed and incident.kelurahan == world.kelurahan["Bulu Lor"]
    assert incident.log.filter(kind="lokasi_dikonfirmasi").count() == 1
    html = c.get(incident_url(incident)).content.decode()
    assert "Konfirmasi lokasi" not in html and "perlu konfirmasi" not in html


def test_bad_locations_change_nothing(world, login):
    incident = unlocated()
    c = login("operator")
    for data, said in (
        ({"kelurahan": "33.99.99.9999"}, "Kelurahan '33.99.99.9999' tidak dikenal di wilayah hukum"),
        ({"lat": "-7.5", "lon": "110.0"}, "di luar wilayah hukum"),
        ({"lat": "-6.98"}, "Koordinat tidak sah. (lon (bujur)"),
        ({"lat": "utara", "lon": "110.41"}, "Koordinat tidak sah. (lat (lintang)"),
        ({}, "Lokasi belum diketahui: pilih titik di peta atau kelurahan"),
    ):
        r = c.post(incident_url(incident, "kejadian_lokasi"), data, follow=True)
        assert r.status_code == 200 and said in flash(r.content.decode()), (data, flash(r.content.decode()))
    incident.refresh_from_db()
    assert (incident.kelurahan, incident.lat, incident.polsek, incident.location_confirmed) == (None, None, None, False)
    assert not AuditEntry.objects.filter(action="kejadian.lokasi_dikonfirmasi").exists()


# --- who may, who may not ---------------------------------------------------------------------------------

# For a report guessed to be in Bulu Lor (Semarang Utara): who sees the page, who may fix its location.
SEES = {"kapolres", "kabagops", "operator", "propam", "analis", "spkt", "kasat_reskrim",
        "kapolsek_semarang_utara", "anggota_semarang_utara", "operator_semarang_utara"}
MAY_LOCATE = {"kabagops", "operator", "kasat_reskrim", "kapolsek_semarang_utara", "operator_semarang_utara"}


@pytest.mark.parametrize("username", ALL_USERS)
def test_location_form_by_role_and_territory(world, login, username):
    incident = guessed()
    c = login(username)
    r = c.get(incident_url(incident))
    assert r.status_code == (200 if username in SEES else 404), (username, r.status_code)
    if username in SEES:
        html = r.content.decode()
        assert ("/lokasi" in html) == (username in MAY_LOCATE), username
        assert ("Konfirmasi lokasi" in html) == (username in MAY_LOCATE), username
    r = c.post(incident_url(incident, "kejadian_lokasi"), {"kelurahan": world.kelurahan["Bandarharjo"].kode})
    assert r.status_code == (302 if username in SEES else 404), (username, r.status_code)
    incident.refresh_from_db()
    moved = incident.kelurahan == world.kelurahan["Bandarharjo"] and incident.location_confirmed
    assert moved == (username in MAY_LOCATE), username
    assert AuditEntry.objects.filter(action="kejadian.lokasi_dikonfirmasi").exists() == (username in MAY_LOCATE)


def test_an_unlocated_incident_is_only_on_the_polres_desk(world, login):
    incident = unlocated()
    for username in ("kapolsek_semarang_tengah", "operator_semarang_utara", "anggota_semarang_tengah"):
        c = login(username)
        assert c.get(incident_url(incident)).status_code == 404
        assert c.post(incident_url(incident, "kejadian_lokasi"), {"kelurahan": world.kelurahan["Miroto"].kode}
                      ).status_code == 404
    incident.refresh_from_db()
    assert incident.kelurahan is None


def test_a_kapolsek_who_moves_the_incident_away_is_told_where_it_went(world, login):
    incident = guessed()
    c = login(f"kapolsek_{UTARA}")
    r = c.post(incident_url(incident, "kejadian_lokasi"), {"kelurahan": world.kelurahan["Miroto"].kode})
    assert r.status_code == 302 and r["Location"] == reverse("ops:antrian")
    incident.refresh_from_db()
    assert incident.polsek == world.polsek[TENGAH]
    html = c.get(r["Location"]).content.decode()
    assert f"Kejadian {incident.number} kini ditangani Polsek Semarang Tengah, di luar lingkup Anda" in flash(html)
    assert c.get(incident_url(incident)).status_code == 404
    assert login(f"kapolsek_{TENGAH}").get(incident_url(incident)).status_code == 200


def test_anonymous_cannot_fix_a_location(client, world):
    incident = guessed()
    r = client.post(incident_url(incident, "kejadian_lokasi"), {})
    assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:login"))
    incident.refresh_from_db()
    assert not incident.location_confirmed


def test_the_location_form_uses_post_only(world, login):
    incident = guessed()
    assert login("operator").get(incident_url(incident, "kejadian_lokasi")).status_code == 405


# --- dispatch from the page -------------------------------------------------------------------------------


def test_an_unlocated_incident_is_dispatched_from_the_page_with_a_reason(world, login):
    incident = unlocated()
    c = login("operator")
    unit = world.units[TENGAH]
    r = c.post(incident_url(incident, "kejadian_tugaskan"), {"unit": unit.pk}, follow=True)
    assert "lokasi kejadian belum diketahui, jadi unit tidak dapat diperingkat" in flash(r.content.decode())
    assert not Assignment.objects.exists()
    c.post(incident_url(incident, "kejadian_tugaskan"), {"unit": unit.pk, "override_reason": "pelapor di pasar"})
    a = Assignment.objects.get()
    assert (a.unit, a.current_rank, a.ranking_size, a.override_reason) == (unit, None, None, "pelapor di pasar")
    html = c.get(incident_url(incident), {"bagian": "1"}).content.decode()
    assert "tanpa peringkat, lokasi belum diketahui: pelapor di pasar" in html


def test_a_kapolsek_is_recommended_only_units_they_may_send(world, incidents, login):
    """The Miroto robbery: Polres-wide the Reskrim unit (Mapolres, lead function) is first; the Kapolsek of
    Semarang Tengah is offered only their own unit — as first suggestion, sent with one click."""
    miroto = incidents["miroto"]
    tengah, utara, reskrim = world.units[TENGAH], world.units[UTARA], world.units["reskrim"]
    assert rec_units(login("operator").get(incident_url(miroto)).content.decode()) == [reskrim.pk, tengah.pk, utara.pk]
    c = login(f"kapolsek_{TENGAH}")
    html = c.get(incident_url(miroto)).content.decode()
    assert rec_units(html) == [tengah.pk]
    assert reskrim.callsign not in html and utara.callsign not in html  # not in "Pilih unit lain" either
    # the API gives the Kapolsek the same list
    api = c.get(f"/api/v1/incidents/{miroto.pk}/recommendations").json()["items"]
    assert [i["unit"]["id"] for i in api] == [tengah.pk]
    c.post(incident_url(miroto, "kejadian_tugaskan"), {"unit": tengah.pk, "rank": "1"})
    a = Assignment.objects.get()
    assert (a.unit, a.current_rank, a.ranking_size, a.override_reason) == (tengah, 1, 1, "")


def test_the_location_form_in_english(world, login):
    incident = guessed()
    c = login("operator")
    assert c.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    html = c.get(incident_url(incident)).content.decode()
    assert "Guessed from the report's text: <strong>Bulu Lor</strong> (Semarang Utara)." in html
    assert "Confirm location: Bulu Lor" in html and "Not there? Choose another location" in html
    r = c.post(incident_url(incident, "kejadian_lokasi"), {}, follow=True)
    assert "Location confirmed: Bulu Lor." in flash(r.content.decode())
