"""Status labels follow the reader's language; what is written into records stays Indonesian.

Incident, unit and assignment states are labelled with ``gettext_lazy``; the English interface (the
language switch sets Django's language cookie, read by ``k3i.core.middleware.LanguageMiddleware``) shows
them in English. An assignment's "diterima" is the crew accepting the task ("accepted"), a report's
"diterima" is it being received ("received"). Configured unit-state labels (``K3I_UNIT_STATUS_LABELS``)
replace the Indonesian words; English shows the translated default unless a label per language is given.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import translation

from k3i.core.events import latest_id
from k3i.core.models import LiveEvent
from k3i.dispatch.actions import dispatch_unit
from k3i.dispatch.staleness import status_label, status_labels
from k3i.incidents.models import IncidentLog

from .helpers import sign_on_crew

TENGAH = "semarang_tengah"


def english(client):  # type: ignore[no-untyped-def]
    """The language switch of every page (Django's ``set_language``): English from now on."""
    r = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert r.status_code == 302
    return client


def accepted_assignment(world, incidents, client):  # type: ignore[no-untyped-def]
    """The Tengah unit dispatched to the Miroto report and accepted from the phone view by ``client``."""
    a = dispatch_unit(world.user("operator"), incidents["miroto"], world.units[TENGAH], channel="web",
                      override_reason="unit Polsek terdekat")
    r = client.post(reverse("ops:penugasan_status", args=[a.pk]), {"status": "diterima"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == "diterima"
    return a


def test_incident_page_in_english_shows_statuses_and_accepted(world, incidents, login):
    c = english(login("operator"))
    before = latest_id()
    a = accepted_assignment(world, incidents, c)
    html = c.get(reverse("ops:kejadian", args=[incidents["miroto"].pk])).content.decode()
    assert 'data-incident-status="ditugaskan">Assigned</span>' in html  # the incident's status
    assert f"{a.unit.callsign}</strong> · Accepted" in html  # the assignment's status
    assert "<li>accepted " in html  # its timestamp chain (the incident's own chain says "received")
    assert f"Unit {a.unit.callsign}: Diterima" in html  # the timeline: stored text, Indonesian (below)
    # The unit's state, in the API and on the live map (legend and the map's data).
    body = c.get(f"/api/v1/units/{a.unit_id}").json()
    assert (body["status"], body["status_label"]) == ("ditugaskan", "Assigned")
    html = c.get(reverse("ops:peta")).content.decode()
    assert "En route to the scene" in html and "Available" in html
    assert '"unit_statuses": {"tersedia": "Available"' in html  # room.js labels live events with these
    data = c.get(reverse("ops:peta_data")).json()
    assert {u["status_label"] for u in data["units"] if u["id"] == a.unit_id} == {"Assigned"}
    # What the English-speaking operator caused is written in Indonesian: the timeline and live events
    # are read by everyone.
    line = IncidentLog.objects.filter(incident=incidents["miroto"], kind="penugasan_diterima").get()
    assert line.message == f"Unit {a.unit.callsign}: Diterima"
    labels = {e.payload.get("status_label") for e in LiveEvent.objects.filter(id__gt=before, kind="unit.status")}
    assert labels == {"Ditugaskan"}


def test_a_call_taken_in_english_is_recorded_in_indonesian(world, login):
    c = english(login("operator"))
    r = c.post(reverse("ops:terima"), {"lokasi": "Miroto", "text": "rumah saya dibobol maling"})
    assert r.status_code == 302
    line = IncidentLog.objects.get(kind="dibuat")
    assert line.message == "Laporan diterima lewat Call center 110"  # English would be "Call centre 110"


def test_indonesian_stays_the_default(world, incidents, login):
    c = login("operator")
    accepted_assignment(world, incidents, c)
    html = c.get(reverse("ops:kejadian", args=[incidents["miroto"].pk])).content.decode()
    assert 'data-incident-status="ditugaskan">Ditugaskan</span>' in html
    assert "· Diterima" in html and "<li>diterima " in html


def test_a_received_report_is_still_received(world, incidents, client):
    incident = incidents["miroto"]
    english(client)
    html = client.get(reverse("incidents:lacak_detail", args=[incident.tracking_code])).content.decode()
    assert "received" in html and "accepted" not in html


def test_officer_phone_in_english(world, incidents, login):
    sign_on_crew(world, TENGAH)
    c = english(login("anggota_semarang_tengah"))
    dispatch_unit(world.user("operator"), incidents["miroto"], world.units[TENGAH], channel="web",
                  override_reason="unit Polsek terdekat")
    html = c.get(reverse("ops:tugas")).content.decode()
    assert "Accept task" in html and "Assigned" in html  # the assignment and the unit
    r = c.post(reverse("ops:penugasan_status", args=[incidents["miroto"].assignments.get().pk]),
               {"status": "diterima", "next": "tugas"}, follow=True)
    assert ": Accepted." in r.content.decode()  # the confirmation message


def test_labels_are_per_language_in_one_process(settings):
    with translation.override("en"):
        assert status_label("tersedia") == "Available"
    with translation.override("id"):
        assert status_label("tersedia") == "Tersedia"
    assert status_labels("en")["menuju"] == "En route to the scene"
    assert status_labels("id")["menuju"] == "Menuju TKP"


def test_configured_labels_replace_the_indonesian_words_only(settings):
    settings.K3I_UNIT_STATUS_LABELS = '{"tersedia": "Siaga", "menuju": "OTW TKP"}'
    assert status_label("tersedia", "id") == "Siaga" and status_label("menuju", "id") == "OTW TKP"
    # English: the translated default — a local word means little to the English reader.
    assert status_label("tersedia", "en") == "Available" and status_label("menuju", "en") == "En route to the scene"
    with translation.override("en"):
        assert status_label("tersedia") == "Available"


def test_configured_labels_per_language(settings, world, login):
    settings.K3I_UNIT_STATUS_LABELS = '{"tersedia": {"id": "Siaga", "en": "On standby"}, "darurat": "Bahaya"}'
    assert (status_label("tersedia", "id"), status_label("tersedia", "en")) == ("Siaga", "On standby")
    assert (status_label("darurat", "id"), status_label("darurat", "en")) == ("Bahaya", "Emergency")
    unit = world.units[TENGAH]
    assert login("operator").get(f"/api/v1/units/{unit.pk}").json()["status_label"] == "Siaga"
    assert english(login("operator")).get(f"/api/v1/units/{unit.pk}").json()["status_label"] == "On standby"
    with translation.override("en"):
        assert unit.get_status_display() == "On standby"


@pytest.mark.parametrize("raw", ['{"tersedia": {"fr": "Disponible"}}', '{"tersedia": {}}',
                                 '{"tersedia": {"en": ""}}', '{"tersedia": {"en": 3}}'])
def test_bad_per_language_labels_fail_loudly(settings, raw):
    settings.K3I_UNIT_STATUS_LABELS = raw
    with pytest.raises(ImproperlyConfigured):
        status_label("tersedia")
