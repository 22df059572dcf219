"""The operations room pages: live map, queues, incident page, call-taker screen, officer's phone view.

Roles × territories on every page (out of scope → 404, anonymous → login), and the writes each page makes
through the actions (triage, reporter identity, dispatch, close/reopen, intake, assignment steps).

The test world (k3i/testing.py) with the ``incidents`` fixture: "miroto" and "brumbungan" in Polsek
Semarang Tengah, "bulu_lor" in Polsek Semarang Utara.
"""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from k3i.core.models import AuditEntry
from k3i.dispatch.actions import advance_assignment, dispatch_unit
from k3i.dispatch.models import Assignment
from k3i.dispatch.tests.helpers import sign_on_crew
from k3i.incidents.actions import confirm_triage, create_incident
from k3i.incidents.models import Incident

TENGAH, UTARA = "semarang_tengah", "semarang_utara"
POLRES_WIDE = ["admin", "kapolres", "kabagops", "operator", "propam", "analis", "spkt", "kasat_reskrim"]
POLSEK_USERS = {
    f"{role}_{key}": key for key in (TENGAH, UTARA) for role in ("kapolsek", "anggota", "operator")
} | {"bhabin_miroto": TENGAH}
ALL_USERS = POLRES_WIDE + list(POLSEK_USERS)

# Roles (by their permissions in k3i/core/roles.py) that see each page.
VIEW_INCIDENT = {"kapolres", "kabagops", "operator", "propam", "analis", "spkt", "kasat_reskrim"} | set(POLSEK_USERS)
CREATE_INCIDENT = {"kabagops", "operator", "spkt", "kasat_reskrim"} | set(POLSEK_USERS)
TUGAS = {"kabagops", "operator", "kasat_reskrim"} | {u for u in POLSEK_USERS if u != "bhabin_miroto"}


def visible_incidents(username: str) -> set[str]:
    if username not in VIEW_INCIDENT:
        return set()
    if username == "bhabin_miroto":
        return {"miroto"}
    if username in POLSEK_USERS:
        return {"miroto", "brumbungan"} if POLSEK_USERS[username] == TENGAH else {"bulu_lor"}
    return {"miroto", "brumbungan", "bulu_lor"}


def json_script(response, element_id: str):
    html = response.content.decode()
    m = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert m, f"{element_id} missing from the page"
    return json.loads(m.group(1))


def incident_url(incident: Incident, name: str = "kejadian") -> str:
    return reverse(f"ops:{name}", args=[incident.pk])


# --- anonymous and roles -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["peta", "peta_data", "antrian", "terima", "triase", "tugas", "kejadian"])
def test_anonymous_is_sent_to_login(client, world, incidents, name):
    url = incident_url(incidents["miroto"]) if name == "kejadian" else reverse(f"ops:{name}")
    r = client.get(url)
    assert r.status_code == 302
    assert r["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ["kejadian_triase", "kejadian_pelapor", "kejadian_tugaskan", "kejadian_tutup",
                                  "kejadian_buka", "kejadian_tautkan", "kejadian_lokasi"])
def test_anonymous_cannot_post(client, world, incidents, name):
    r = client.post(incident_url(incidents["miroto"], name), {})
    assert r.status_code == 302 and r["Location"].startswith(reverse("accounts:login"))
    assert not AuditEntry.objects.filter(action__startswith="kejadian.identitas").exists()


@pytest.mark.parametrize("username", ALL_USERS)
def test_pages_by_role(world, incidents, login, username):
    c = login(username)
    expect = {
        "peta": username in VIEW_INCIDENT,
        "peta_data": username in VIEW_INCIDENT,
        "antrian": username in VIEW_INCIDENT,
        "terima": username in CREATE_INCIDENT,
        "tugas": username in TUGAS,
    }
    for name, allowed in expect.items():
        r = c.get(reverse(f"ops:{name}"))
        assert r.status_code == (200 if allowed else 404), (username, name, r.status_code)


@pytest.mark.parametrize("username", ALL_USERS)
def test_incident_page_in_scope_200_out_of_scope_404(world, incidents, login, username):
    c = login(username)
    seen = visible_incidents(username)
    for key, incident in incidents.items():
        r = c.get(incident_url(incident))
        assert r.status_code == (200 if key in seen else 404), (username, key, r.status_code)
        if key in seen:
            assert incident.number in r.content.decode()
        # every write on an incident out of scope is a 404 as well
        if key not in seen and username in VIEW_INCIDENT:
            assert c.post(incident_url(incident, "kejadian_triase"), {"category": "CURAS"}).status_code == 404


def test_unknown_incident_is_404(world, login):
    assert login("operator").get(reverse("ops:kejadian", args=[999999])).status_code == 404


# --- live map ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["operator", "kapolsek_semarang_tengah", "anggota_semarang_utara", "bhabin_miroto"])
def test_live_map_draws_what_the_user_may_see(world, incidents, login, username):
    c = login(username)
    r = c.get(reverse("ops:peta"))
    assert r.status_code == 200
    html = r.content.decode()
    assert 'src="/static/k3i/room.js"' in html and "<script>" not in html  # no inline script (CSP)
    live = json_script(r, "live-data")
    drawn = {i["id"] for i in live["incidents"]}
    assert drawn == {incidents[k].pk for k in visible_incidents(username)}
    for i in live["incidents"]:
        assert i["priority"] in (1, 2, 3, 4) and i["category_name"]
        assert "reporter_name" not in i and "reporter_phone" not in i
    units = {u["callsign"] for u in live["units"]}
    if username == "operator":
        assert units == {u.callsign for u in world.units.values()}
    else:
        key = POLSEK_USERS[username]
        assert world.units[key].callsign in units
        assert world.units[UTARA if key == TENGAH else TENGAH].callsign not in units
        assert world.units["reskrim"].callsign not in units  # a Mapolres unit
    # the stream starts right after the newest event at render time (nothing lost before connecting)
    assert re.search(r'data-stream="/ops/stream\?last_event_id=\d+"', html)
    # Polsek areas of the user's scope
    areas = {f["properties"]["id"] for f in json_script(r, "live-map-data")["polsek"]["features"]}
    assert areas == ({world.polsek[TENGAH].id, world.polsek[UTARA].id} if username == "operator"
                     else {world.polsek[POLSEK_USERS[username]].id})
    # the data endpoint the page re-reads after a reconnect gives the same picture
    data = c.get(reverse("ops:peta_data")).json()
    assert {i["id"] for i in data["incidents"]} == drawn


def test_live_map_shows_unit_state_position_and_staleness(world, incidents, login):
    from datetime import timedelta

    from django.utils import timezone

    from k3i.dispatch.actions import record_positions

    unit = world.units[TENGAH]
    op = world.user("operator")
    record_positions(op, unit, [{"lat": -6.985, "lon": 110.415, "device_time": timezone.now()}], channel="web")
    old = world.units[UTARA]
    record_positions(op, old, [{"lat": -6.93, "lon": 110.41, "device_time": timezone.now() - timedelta(hours=2)}],
                     channel="web")
    dispatch_unit(op, incidents["miroto"], unit, channel="web", override_reason="unit Polsek terdekat")
    data = login("operator").get(reverse("ops:peta_data")).json()
    units = {u["callsign"]: u for u in data["units"]}
    fresh, stale = units[unit.callsign], units[old.callsign]
    assert (fresh["lat"], fresh["lon"], fresh["stale"], fresh["status"]) == (-6.985, 110.415, False, "ditugaskan")
    assert fresh["incident_id"] == incidents["miroto"].pk and fresh["status_label"]
    assert stale["stale"] is True and stale["has_position"] is True
    home = units[world.units["reskrim"].callsign]
    assert home["has_position"] is False and home["stale"] is False and home["lat"] == -6.98  # home base
    # a closed incident leaves the map
    from k3i.incidents.lifecycle import close_incident

    close_incident(op, incidents["bulu_lor"], status="dibatalkan", disposition="kesalahan_input", note="salah input",
                   channel="web")
    data = login("operator").get(reverse("ops:peta_data")).json()
    assert incidents["bulu_lor"].pk not in {i["id"] for i in data["incidents"]}


# --- queues --------------------------------------------------------------------------------------


def queue_ids(response, key: str) -> list[int]:
    html = response.content.decode()
    m = re.search(rf'data-queue="{key}".*?(?=<section class="card queue"|\Z)', html, re.S)
    assert m, key
    return [int(x) for x in re.findall(r'data-incident-id="(\d+)"', m.group(0))]


def test_queues_follow_the_incident_through_its_states(world, incidents, login):
    from datetime import timedelta

    from django.utils import timezone

    from k3i.incidents import sla

    c = login("operator")
    op = world.user("operator")
    miroto, brumbungan, bulu = incidents["miroto"], incidents["brumbungan"], incidents["bulu_lor"]
    r = c.get(reverse("ops:antrian"))
    assert set(queue_ids(r, "baru")) == {miroto.pk, brumbungan.pk, bulu.pk}
    assert queue_ids(r, "menunggu") == [] and queue_ids(r, "aktif") == []
    # every row counts down to a target (priority-1 first)
    assert queue_ids(r, "baru")[0] == miroto.pk and miroto.priority == 1
    assert 'data-deadline="' in r.content.decode()

    confirm_triage(op, brumbungan, channel="web")
    dispatch_unit(op, miroto, world.units[TENGAH], channel="web",
                      override_reason="unit Polsek terdekat")
    r = c.get(reverse("ops:antrian"), HTTP_HX_REQUEST="true")  # the HTMX refresh: the queues only
    assert "<html" not in r.content.decode()
    assert queue_ids(r, "baru") == [bulu.pk]
    assert queue_ids(r, "menunggu") == [brumbungan.pk]
    assert queue_ids(r, "aktif") == [miroto.pk]

    # escalation: an undispatched priority-1 incident past its target
    late, _ = create_incident(op, polres=world.polres, channel="110", text="ada perampokan bersenjata sekarang",
                              lat=-6.94, lon=110.41, priority=1, audit_channel="web")
    sla.escalate_overdue(now=timezone.now() + timedelta(minutes=5))
    r = c.get(reverse("ops:antrian"), {"bagian": "1"})
    assert late.pk in queue_ids(r, "eskalasi")
    # a Polsek user's queues hold only their Polsek
    r = login("kapolsek_semarang_utara").get(reverse("ops:antrian"))
    ids = set(queue_ids(r, "baru")) | set(queue_ids(r, "menunggu")) | set(queue_ids(r, "aktif"))
    assert ids == {bulu.pk, late.pk}


def test_bagops_queue_lists_reasons(world, login):
    op = world.user("operator")
    fire, _ = create_incident(op, polres=world.polres, channel="110", text="kebakaran gudang api membesar",
                              lat=-6.98, lon=110.41, category="KEBAKARAN", priority=1, audit_channel="web")
    assert fire.bagops, fire.bagops_reasons
    r = login("kabagops").get(reverse("ops:antrian"))
    assert queue_ids(r, "bagops") == [fire.pk]
    assert fire.bagops_reasons[0] in r.content.decode()


# --- the incident page ---------------------------------------------------------------------------


def test_incident_page_shows_details_timeline_triage_and_recommendations(world, incidents, login):
    miroto = incidents["miroto"]
    r = login("operator").get(incident_url(miroto))
    html = r.content.decode()
    assert miroto.number in html and miroto.tracking_code in html
    assert "Laporan diterima lewat" in html  # the timeline
    assert "dibegal" in html  # a word that decided the triage
    assert f'action="/ops/kejadian/{miroto.pk}/triase"' in html
    assert world.units[TENGAH].callsign in html  # a recommended unit
    assert 'name="rank" value="1"' in html
    # the reporter's identity is never on the page itself
    assert "Budi Santoso" not in html and "081234567890" not in html
    assert "Tampilkan identitas pelapor" in html


def test_incident_page_hides_what_a_role_may_not_do(world, incidents, login):
    html = login("anggota_semarang_tengah").get(incident_url(incidents["miroto"])).content.decode()
    assert "Tampilkan identitas pelapor" not in html
    assert "/triase" not in html and "/tugaskan" not in html and "/tutup" not in html and "/lokasi" not in html
    assert "Budi Santoso" not in html


def test_reporter_identity_is_shown_on_request_and_written_to_the_ledger(world, incidents, login):
    miroto = incidents["miroto"]
    url = incident_url(miroto, "kejadian_pelapor")
    r = login("operator").post(url, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert "Budi Santoso" in r.content.decode() and "081234567890" in r.content.decode()
    entries = AuditEntry.objects.filter(action="kejadian.identitas_pelapor_dilihat", object_id=str(miroto.pk))
    assert entries.count() == 1 and entries.get().actor_username == "operator"
    # a role without view_reporter: refused, nothing written
    r = login("anggota_semarang_tengah").post(url)
    assert r.status_code == 403 and "Budi" not in r.content.decode()
    assert entries.count() == 1
    # out of scope: 404
    assert login("kapolsek_semarang_utara").post(url).status_code == 404
    assert entries.count() == 1
    # a GET never reveals it
    assert login("operator").get(url).status_code == 405


def test_confirm_and_override_triage(world, incidents, login):
    c = login("operator")
    bulu = incidents["bulu_lor"]
    r = c.post(incident_url(bulu, "kejadian_triase"), {"category": bulu.category, "priority": bulu.priority})
    assert r.status_code == 302
    bulu.refresh_from_db()
    assert bulu.status == "diverifikasi" and not bulu.triage_overridden
    c.post(incident_url(bulu, "kejadian_triase"), {"category": "LAKA_LANTAS", "priority": "1"})
    bulu.refresh_from_db()
    assert (bulu.category, bulu.priority) == ("LAKA_LANTAS", 1)
    # a role that may not change it: nothing changes
    login("anggota_semarang_utara").post(incident_url(bulu, "kejadian_triase"), {"priority": "4"})
    bulu.refresh_from_db()
    assert bulu.priority == 1


def test_one_click_dispatch_and_override_reason(world, incidents, login):
    """For the Miroto report (a robbery: Sat Reskrim leads) the Reskrim unit is the first suggestion and the
    Tengah unit the second: the page shows them so, and the server holds to its own ranking."""
    c = login("operator")
    miroto = incidents["miroto"]
    reskrim, tengah = world.units["reskrim"], world.units[TENGAH]
    html = c.get(incident_url(miroto)).content.decode()
    assert re.search(rf'name="unit" value="{reskrim.pk}"><input type="hidden" name="rank" value="1"', html)
    assert re.search(rf'name="unit" value="{tengah.pk}"><input type="hidden" name="rank" value="2"', html)
    # not the first suggestion: a reason is required
    r = c.post(incident_url(miroto, "kejadian_tugaskan"), {"unit": tengah.pk, "rank": "2"}, follow=True)
    assert "Alasan wajib diisi: unit ini bukan saran pertama (peringkat 2)" in r.content.decode()
    # a forged (or stale) hidden rank does not stand in for the reason: the server's ranking decides
    r = c.post(incident_url(miroto, "kejadian_tugaskan"), {"unit": tengah.pk, "rank": "1"}, follow=True)
    assert "Peringkat unit berubah: kini peringkat 2 (sebelumnya peringkat 1)" in r.content.decode()
    assert not Assignment.objects.exists()
    c.post(incident_url(miroto, "kejadian_tugaskan"),
           {"unit": tengah.pk, "rank": "2", "override_reason": "unit Polsek diminta"})
    a = Assignment.objects.get()
    assert (a.unit, a.override_reason, a.recommended_rank, a.current_rank, a.ranking_size) == (
        tengah, "unit Polsek diminta", 2, 2, 3)
    # the same unit to another report: a clear conflict, nothing more written
    r = c.post(incident_url(incidents["bulu_lor"], "kejadian_tugaskan"),
               {"unit": tengah.pk, "rank": "1", "override_reason": "x"}, follow=True)
    assert "sedang bertugas" in r.content.decode()
    assert Assignment.objects.count() == 1
    # the first suggestion, one click, no reason
    c.post(incident_url(miroto, "kejadian_tugaskan"), {"unit": reskrim.pk, "rank": "1"})
    assert Assignment.objects.filter(incident=miroto).count() == 2
    assert Assignment.objects.get(unit=reskrim).current_rank == 1
    miroto.refresh_from_db()
    assert miroto.status == "ditugaskan"
    # the live part of the page lists both assignments and the timeline
    html = c.get(incident_url(miroto), {"bagian": "1"}).content.decode()
    assert tengah.callsign in html and "unit Polsek diminta" in html


def test_dispatch_is_refused_to_other_roles_and_out_of_scope_units(world, incidents, login):
    miroto = incidents["miroto"]
    login("anggota_semarang_tengah").post(incident_url(miroto, "kejadian_tugaskan"),
                                          {"unit": world.units[TENGAH].pk, "rank": "1"})
    # a Polsek dispatcher cannot send a unit it does not see
    login("kapolsek_semarang_tengah").post(incident_url(miroto, "kejadian_tugaskan"),
                                           {"unit": world.units[UTARA].pk, "rank": "1", "override_reason": "x"})
    assert not Assignment.objects.exists()


def test_assignment_steps_from_the_incident_page(world, incidents, login):
    op = world.user("operator")
    a = dispatch_unit(op, incidents["miroto"], world.units[TENGAH], channel="web",
                      override_reason="unit Polsek terdekat")
    c = login("operator")
    for step in ("menuju", "tiba"):
        r = c.post(reverse("ops:penugasan_status", args=[a.pk]), {"status": step})
        assert r.status_code == 302 and r["Location"] == incident_url(incidents["miroto"])
    a.refresh_from_db()
    assert a.status == "tiba" and a.enroute_at and a.arrived_at
    # out of scope: 404
    assert login("kapolsek_semarang_utara").post(
        reverse("ops:penugasan_status", args=[a.pk]), {"status": "selesai"}).status_code == 404


def test_close_and_reopen(world, incidents, login):
    c = login("operator")
    bulu = incidents["bulu_lor"]
    r = c.post(incident_url(bulu, "kejadian_tutup"), {"hasil": "selesai:ditangani_di_tkp", "note": "aman"})
    assert r.status_code == 302
    bulu.refresh_from_db()
    assert (bulu.status, bulu.disposition, bulu.disposition_note) == ("selesai", "ditangani_di_tkp", "aman")
    html = c.get(incident_url(bulu)).content.decode()
    assert "Buka kembali" in html
    # reopening needs a reason
    c.post(incident_url(bulu, "kejadian_buka"), {"reason": ""})
    bulu.refresh_from_db()
    assert bulu.status == "selesai"
    c.post(incident_url(bulu, "kejadian_buka"), {"reason": "korban kedua ditemukan"})
    bulu.refresh_from_db()
    assert bulu.status in ("baru", "diverifikasi") and "korban kedua" in bulu.log.last().message
    # a closing without a valid outcome is refused
    r = c.post(incident_url(bulu, "kejadian_tutup"), {"hasil": "selesai:tidak_ada"}, follow=True)
    bulu.refresh_from_db()
    assert bulu.is_open and "tidak dikenal" in r.content.decode()


def test_link_a_likely_duplicate(world, incidents, login):
    op = world.user("operator")
    miroto = incidents["miroto"]
    again, _ = create_incident(op, polres=world.polres, channel="110", text="ada begal bawa celurit di jalan",
                               lat=-6.9805, lon=110.4105, category=miroto.category, audit_channel="web")
    c = login("operator")
    html = c.get(incident_url(again)).content.decode()
    assert "Mungkin duplikat" in html and miroto.number in html
    c.post(incident_url(again, "kejadian_tautkan"), {"duplicate_of": miroto.pk})
    again.refresh_from_db()
    assert again.status == "duplikat" and again.duplicate_of == miroto
    html = c.get(incident_url(miroto)).content.decode()
    assert again.number in html  # listed among the linked reports


# --- the 110 call-taker screen -------------------------------------------------------------------


def test_call_taker_screen_is_keyboard_first(world, login):
    r = login("operator").get(reverse("ops:terima"))
    html = r.content.decode()
    # the order of the fields is the order of the call: phone, location, text, category, priority, save
    order = [html.index(f'name="{n}"') for n in ("reporter_phone", "lokasi", "text", "category", "priority")]
    assert order == sorted(order)
    assert re.search(r'<input type="tel"[^>]*name="reporter_phone"[^>]*autofocus', html)
    assert '<option value="Miroto — Semarang Tengah">' in html  # kelurahan search list
    assert 'data-triage-url="/ops/triase"' in html and "tabindex=" not in html


def test_triage_endpoint(world, login):
    c = login("operator")
    r = c.get(reverse("ops:triase"), {"text": "tolong motor saya dibegal, pelaku bawa celurit"})
    assert r.status_code == 200
    body = r.json()
    assert body["category"] == "CURAS" and body["priority"] == 1 and body["category_name"]
    assert any(w["word"] == "dibegal" for w in body["explanation"]["words"])
    r = c.get(reverse("ops:triase"), {"text": "  "})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "text"
    assert login("analis").get(reverse("ops:triase"), {"text": "begal"}).status_code == 404


def test_take_a_call_by_kelurahan(world, login):
    c = login("operator")
    r = c.post(reverse("ops:terima"), {
        "reporter_phone": "0812 3456 7890", "lokasi": "Brumbungan — Semarang Tengah",
        "text": "rumah saya dibobol maling, tv hilang", "idempotency_key": "k-1",
    })
    assert r.status_code == 302
    incident = Incident.objects.get()
    assert r["Location"] == f"{reverse('ops:terima')}?baru={incident.pk}"
    assert (incident.channel, incident.kelurahan, incident.polsek) == (
        "110", world.kelurahan["Brumbungan"], world.polsek[TENGAH])
    assert incident.reporter_phone == "081234567890" and incident.created_by == world.user("operator")
    assert incident.category == incident.triage["category"] and not incident.triage_overridden
    assert AuditEntry.objects.filter(action="kejadian.dibuat", channel="web").count() == 1
    html = c.get(r["Location"]).content.decode()
    assert incident.number in html and incident.tracking_code in html
    # the same submission again (a double Ctrl+Enter): still one incident
    c.post(reverse("ops:terima"), {"lokasi": "Brumbungan", "text": "rumah saya dibobol maling", "idempotency_key": "k-1"})
    assert Incident.objects.count() == 1


def test_a_form_sent_again_with_changed_text_keeps_the_first_report_and_offers_a_new_one(world, login):
    """The answer to the first send was lost, the call-taker changed the text and sent again: the first report
    stands, the page says so, and a fresh key lets the changed text go in as a new report."""
    c = login("operator")
    first = {"lokasi": "Brumbungan", "text": "rumah saya dibobol maling", "idempotency_key": "k-9"}
    assert c.post(reverse("ops:terima"), first).status_code == 302
    r = c.post(reverse("ops:terima"), {**first, "text": "rumah saya dibobol maling, pelaku masih di dalam"})
    html = r.content.decode()
    assert r.status_code == 422 and "sudah pernah terkirim" in html and Incident.objects.count() == 1
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key and key.group(1) != "k-9" and "pelaku masih di dalam" in html  # what was typed stays
    again = c.post(reverse("ops:terima"), {**first, "text": "rumah saya dibobol maling, pelaku masih di dalam",
                                            "idempotency_key": key.group(1)})
    assert again.status_code == 302 and Incident.objects.count() == 2


def test_take_a_call_by_street_and_kelurahan_with_override(world, login):
    c = login("operator")
    c.post(reverse("ops:terima"), {
        "lokasi": "Jl. Pemuda 12, Miroto", "text": "ada orang pingsan di pinggir jalan",
        "category": "PENGANIAYAAN", "category_manual": "1", "priority": "2", "priority_manual": "1",
    })
    incident = Incident.objects.get()
    assert incident.kelurahan == world.kelurahan["Miroto"] and incident.alamat == "Jl. Pemuda 12, Miroto"
    assert (incident.category, incident.priority) == ("PENGANIAYAAN", 2)
    assert incident.triage_overridden


def test_take_a_call_by_map_click(world, login):
    login("operator").post(reverse("ops:terima"), {
        "lokasi": "Bulu Lor — Semarang Utara", "lat": "-6.94", "lon": "110.43", "text": "tawuran pelajar di jalan",
    })
    incident = Incident.objects.get()
    assert (incident.lat, incident.lon, incident.kelurahan) == (-6.94, 110.43, world.kelurahan["Bulu Lor"])
    assert incident.polsek == world.polsek[UTARA]


def test_bad_calls_write_nothing(world, login):
    c = login("operator")
    r = c.post(reverse("ops:terima"), {"lokasi": "Kelurahan Antah Berantah", "text": "ada maling"})
    assert r.status_code == 422 and "Kelurahan tidak dikenali" in r.content.decode()
    r = c.post(reverse("ops:terima"), {"lokasi": "Miroto", "text": ""})
    assert r.status_code == 422 and "Wajib diisi" in r.content.decode()
    r = c.post(reverse("ops:terima"), {"lat": "-7.5", "lon": "110.0", "text": "ada maling"})
    assert r.status_code == 422 and "di luar wilayah hukum" in r.content.decode()
    r = c.post(reverse("ops:terima"), {"lokasi": "Miroto", "text": "ada maling", "reporter_phone": "12"})
    assert r.status_code == 422 and "Nomor telepon" in r.content.decode()
    assert not Incident.objects.exists()
    # what was typed stays in the form
    assert 'value="Miroto"' in r.content.decode()


def test_a_kelurahan_name_found_in_two_kecamatan_must_be_chosen_from_the_list(world, login):
    from k3i.organization.models import Region

    kec = world.polsek[UTARA].kecamatan
    Region.objects.create(kode="33.74.02.1003", nama="Miroto", level=4, tipe="kelurahan", parent=kec,
                          lat=-6.93, lon=110.41)
    c = login("operator")
    r = c.post(reverse("ops:terima"), {"lokasi": "Miroto", "text": "ada maling masuk rumah"})
    assert r.status_code == 422 and "Miroto — Semarang Utara" in r.content.decode()
    assert not Incident.objects.exists()
    c.post(reverse("ops:terima"), {"lokasi": "Miroto — Semarang Utara", "text": "ada maling masuk rumah"})
    assert Incident.objects.get().polsek == world.polsek[UTARA]


def test_call_taker_is_offered_likely_duplicates(world, incidents, login):
    c = login("operator")
    c.post(reverse("ops:terima"), {"lokasi": "Miroto", "lat": "-6.9801", "lon": "110.4101",
                                   "text": "motor dibegal orang bawa celurit", "category": "CURAS",
                                   "category_manual": "1"})
    new = Incident.objects.order_by("-pk").first()
    html = c.get(reverse("ops:terima"), {"baru": new.pk}).content.decode()
    assert "Mungkin laporan yang sama" in html and incidents["miroto"].number in html


def test_call_taker_roles(world, login):
    assert login("analis").post(reverse("ops:terima"), {"lokasi": "Miroto", "text": "maling"}).status_code == 404
    assert not Incident.objects.exists()


# --- the patrol officer's phone view -------------------------------------------------------------


def test_officer_sees_and_advances_their_assignment(world, incidents, login):
    sign_on_crew(world)  # each officer on their Polsek's unit
    op = world.user("operator")
    a = dispatch_unit(op, incidents["miroto"], world.units[TENGAH], channel="web",
                      override_reason="unit Polsek terdekat")
    c = login("anggota_semarang_tengah")
    html = c.get(reverse("ops:tugas")).content.decode()
    assert incidents["miroto"].number in html and "Terima tugas" in html
    assert 'href="geo:-6.980000,110.410000' in html
    assert "Budi Santoso" not in html
    # another Polsek's officer has no task here, and cannot act on it
    other = login("anggota_semarang_utara")
    assert incidents["miroto"].number not in other.get(reverse("ops:tugas")).content.decode()
    assert other.post(reverse("ops:penugasan_status", args=[a.pk]), {"status": "diterima"}).status_code == 404
    # accept, on the way, arrived, done: each from the phone
    for step in ("diterima", "menuju", "tiba", "selesai"):
        r = c.post(reverse("ops:penugasan_status", args=[a.pk]), {"status": step, "next": "tugas"})
        assert r.status_code == 302 and r["Location"] == reverse("ops:tugas")
    a.refresh_from_db()
    assert a.status == "selesai" and a.accepted_at and a.enroute_at and a.arrived_at and a.completed_at
    assert "Tidak ada tugas aktif" in c.get(reverse("ops:tugas")).content.decode()


def test_officer_page_refresh_partial(world, incidents, login):
    sign_on_crew(world, UTARA)
    op = world.user("operator")
    a = dispatch_unit(op, incidents["bulu_lor"], world.units[UTARA], channel="web", recommended_rank=1)
    advance_assignment(op, a, "menuju", channel="web")
    r = login("anggota_semarang_utara").get(reverse("ops:tugas"), HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html and incidents["bulu_lor"].number in html
    assert "Tiba di TKP" in html and "Terima tugas" not in html  # the steps still ahead


def test_crew_sees_a_task_across_the_boundary(world, incidents, login):
    """A Semarang Tengah unit sent to Semarang Utara: its crew sees and works the task from the phone."""
    sign_on_crew(world)
    op = world.user("operator")
    a = dispatch_unit(op, incidents["bulu_lor"], world.units[TENGAH], channel="web", override_reason="terdekat")
    c = login("anggota_semarang_tengah")
    assert c.get(incident_url(incidents["bulu_lor"])).status_code == 404  # not their territory …
    assert incidents["bulu_lor"].number in c.get(reverse("ops:tugas")).content.decode()  # … but their task
    c.post(reverse("ops:penugasan_status", args=[a.pk]), {"status": "menuju", "next": "tugas"})
    a.refresh_from_db()
    assert a.status == "menuju"
    # another Polsek's officer still cannot touch it
    assert login("anggota_semarang_utara").post(
        reverse("ops:penugasan_status", args=[a.pk]), {"status": "tiba"}).status_code == 302
    a.refresh_from_db()
    assert a.status == "menuju"
