"""Territorial routing names the covering Bhabinkamtibmas: on the incident's timeline (through the intake, the
group commit and a location fix), in the staff API's incident detail, and their queue and live stream get it."""

from __future__ import annotations

from k3i.core.events import events_for
from k3i.incidents.actions import confirm_location, create_incident
from k3i.incidents.models import Incident, IncidentLog

MIROTO = (-6.98, 110.41)  # covered by "Bhabin Miroto", who has a K3i account (bhabin_miroto)
BRUMBUNGAN = (-6.98, 110.43)  # no Bhabinkamtibmas: a gap
BANDARHARJO = (-6.94, 110.41)  # covered by "Bhabin Bandarharjo", who has no account


def _report(world, at, text="ada maling motor di gang, pelaku kabur", **kw):
    incident, _ = create_incident(world.user("operator"), polres=world.polres, channel="110", text=text,
                                  lat=at[0], lon=at[1], audit_channel="web", **kw)
    return incident


def _note(incident: Incident) -> IncidentLog:
    return IncidentLog.objects.get(incident=incident, kind="bhabinkamtibmas")


def test_the_covering_bhabin_with_an_account_is_informed(world):
    incident = _report(world, MIROTO)
    note = _note(incident)
    assert "Bhabin Miroto" in note.message and "diberi tahu" in note.message
    assert note.data == {"kelurahan": "33.74.01.1001", "personel": world.personel["bhabin_miroto"].pk, "akun": True}
    bhabin = world.user("bhabin_miroto")
    assert Incident.objects.restrict(bhabin, "view").filter(pk=incident.pk).exists()
    assert incident.pk in [e.payload["id"] for e in events_for(bhabin, 0) if e.kind == "kejadian.baru"]


def test_a_bhabin_without_an_account_is_to_be_called_and_a_gap_is_named(world):
    bandarharjo = _note(_report(world, BANDARHARJO))
    assert "Bhabin Bandarharjo" in bandarharjo.message and "belum memiliki akun K3i" in bandarharjo.message
    assert bandarharjo.data["akun"] is False
    gap = _note(_report(world, BRUMBUNGAN))
    assert "Brumbungan belum memiliki Bhabinkamtibmas" in gap.message and gap.data["personel"] is None


def test_no_kelurahan_no_note_until_the_location_is_fixed(world):
    incident, _ = create_incident(None, polres=world.polres, channel="web", text="ada kebakaran rumah",
                                  audit_channel="web")
    assert not IncidentLog.objects.filter(incident=incident, kind="bhabinkamtibmas").exists()
    confirm_location(world.user("operator"), incident, lat=MIROTO[0], lon=MIROTO[1], channel="web")
    assert "Bhabin Miroto" in _note(incident).message


def test_incident_detail_names_the_bhabin(world, login, client):
    incident = _report(world, MIROTO)
    body = login("operator").get(f"/api/v1/incidents/{incident.pk}").json()
    assert body["bhabinkamtibmas"] == {"personel_id": world.personel["bhabin_miroto"].pk, "nama": "Bhabin Miroto",
                                       "pangkat": body["bhabinkamtibmas"]["pangkat"], "telepon": "", "akun": True}
    assert body["bhabinkamtibmas"]["pangkat"]  # the rank's label, e.g. "Aipda"
    assert any(e["kind"] == "bhabinkamtibmas" for e in body["timeline"])
    gap = _report(world, BRUMBUNGAN)
    assert login("operator").get(f"/api/v1/incidents/{gap.pk}").json()["bhabinkamtibmas"] is None
    # the public tracking answer names no officer
    public = client.get(f"/api/v1/public/track/{incident.tracking_code}")
    assert public.status_code == 200 and "Bhabin" not in public.content.decode()


def test_incident_page_names_the_bhabin_or_the_gap(world, login):
    page = login("operator").get(f"/ops/kejadian/{_report(world, MIROTO).pk}/").content.decode()
    assert "Bhabin Miroto" in page
    page = login("operator").get(f"/ops/kejadian/{_report(world, BANDARHARJO).pk}/").content.decode()
    assert "Bhabin Bandarharjo" in page and "belum memiliki akun K3i" in page
    page = login("operator").get(f"/ops/kejadian/{_report(world, BRUMBUNGAN).pk}/").content.decode()
    assert "celah binaan" in page


def test_moving_an_incident_tells_the_territory_it_left(world):
    from k3i.core.events import latest_id

    incident = _report(world, MIROTO)  # Polsek Semarang Tengah
    start = latest_id()
    confirm_location(world.user("operator"), incident, lat=BANDARHARJO[0], lon=BANDARHARJO[1], channel="web")
    for username in ("kapolsek_semarang_tengah", "kapolsek_semarang_utara"):
        kinds = [(e.kind, e.payload["id"]) for e in events_for(world.user(username), start)]
        assert ("kejadian.diperbarui", incident.pk) in kinds, username
