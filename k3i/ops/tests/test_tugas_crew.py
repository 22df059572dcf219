"""The officer's phone view ``/tugas/`` with unit sign-on: "Pilih unit Anda untuk dinas ini", one-tap sign-on,
"Selesai dinas", and only the signed-on unit's assignment (never every assignment of the Polsek)."""

from __future__ import annotations

import re

from django.urls import reverse

from k3i.core.models import AuditEntry
from k3i.dispatch.actions import dispatch_unit, sign_on, signed_on_unit
from k3i.dispatch.models import Assignment, PatrolUnit, UnitCrew
from k3i.ops.room import my_assignments, my_units

TENGAH, UTARA = "semarang_tengah", "semarang_utara"
TUGAS = "/tugas/"


def second_unit(world) -> PatrolUnit:
    ps = world.polsek[TENGAH]
    return PatrolUnit.objects.create(callsign="SEMARANG-TENGAH-R4-01", tipe=PatrolUnit.Tipe.R4, polres=world.polres,
                                     polsek=ps, fungsi=world.fungsi["SAT_SAMAPTA"], home_lat=ps.lat, home_lon=ps.lon)


def test_not_signed_on_the_officer_picks_a_unit_and_sees_no_polsek_task(world, incidents, login):
    r4 = second_unit(world)
    a = dispatch_unit(world.user("operator"), incidents["miroto"], world.units[TENGAH], channel="web",
                      override_reason="uji")
    officer = world.user("anggota_semarang_tengah")
    assert list(my_units(officer)) == [] and my_assignments(officer) == []
    html = login("anggota_semarang_tengah").get(TUGAS).content.decode()
    assert "Pilih unit Anda untuk dinas ini" in html
    choices = re.findall(r'data-crew-choice="([^"]+)"', html)
    assert choices == [world.units[TENGAH].callsign, r4.callsign]  # their Polsek's units, by callsign
    assert world.units[UTARA].callsign not in html and world.units["reskrim"].callsign not in html
    assert "Ditugaskan" in html and "R2 (sepeda motor)" in html  # status and type on each button
    assert incidents["miroto"].number not in html and "Terima tugas" not in html  # no task before signing on
    assert "Selesai dinas" not in html
    # not signed on, the officer cannot act on the Polsek unit's task from the phone either
    login("anggota_semarang_tengah").post(reverse("ops:penugasan_status", args=[a.pk]),
                                          {"status": "diterima", "next": "tugas"})
    a.refresh_from_db()
    assert a.status == Assignment.Status.DITUGASKAN


def test_one_tap_sign_on_shows_the_unit_its_task_and_selesai_dinas(world, incidents, login):
    r4 = second_unit(world)
    tengah = world.units[TENGAH]
    dispatch_unit(world.user("operator"), incidents["miroto"], tengah, channel="web", override_reason="uji")
    dispatch_unit(world.user("operator"), incidents["brumbungan"], r4, channel="web", override_reason="uji")
    c = login("anggota_semarang_tengah")

    r = c.post(TUGAS, {"aksi": "masuk", "unit": tengah.pk}, follow=True)

    html = r.content.decode()
    assert r.redirect_chain == [(TUGAS, 302)]
    assert f"Anda masuk dinas pada {tengah.callsign}." in html
    assert f'data-crew-unit="{tengah.callsign}"' in html and "Selesai dinas" in html
    assert incidents["miroto"].number in html and "Terima tugas" in html  # their unit's task …
    assert incidents["brumbungan"].number not in html  # … not the other unit's of the same Polsek
    assert "Pilih unit Anda" not in html
    assert signed_on_unit(world.user("anggota_semarang_tengah")) == tengah
    # a second tap (the first reply was lost on a weak signal) changes nothing
    c.post(TUGAS, {"aksi": "masuk", "unit": tengah.pk})
    assert AuditEntry.objects.filter(action="unit.awak_masuk").count() == 1


def test_selesai_dinas_returns_to_the_unit_choice(world, login):
    tengah = world.units[TENGAH]
    c = login("anggota_semarang_tengah")
    c.post(TUGAS, {"aksi": "masuk", "unit": tengah.pk})
    r = c.post(TUGAS, {"aksi": "keluar", "unit": tengah.pk}, follow=True)
    html = r.content.decode()
    assert f"Dinas Anda pada {tengah.callsign} selesai." in html and "Pilih unit Anda untuk dinas ini" in html
    assert signed_on_unit(world.user("anggota_semarang_tengah")) is None
    assert UnitCrew.objects.get().signed_off_at is not None


def test_selesai_dinas_is_refused_while_the_unit_is_on_a_task(world, incidents, login):
    tengah = world.units[TENGAH]
    c = login("anggota_semarang_tengah")
    c.post(TUGAS, {"aksi": "masuk", "unit": tengah.pk})
    dispatch_unit(world.user("operator"), incidents["miroto"], tengah, channel="web", override_reason="uji")
    html = c.post(TUGAS, {"aksi": "keluar", "unit": tengah.pk}, follow=True).content.decode()
    assert "masih bertugas" in html and incidents["miroto"].number in html
    assert signed_on_unit(world.user("anggota_semarang_tengah")) == tengah


def test_a_unit_the_officer_may_not_crew_is_refused(world, login):
    c = login("anggota_semarang_tengah")
    html = c.post(TUGAS, {"aksi": "masuk", "unit": world.units[UTARA].pk}, follow=True).content.decode()
    assert "Unit patroli tidak ditemukan." in html
    html = c.post(TUGAS, {"aksi": "tidur", "unit": world.units[TENGAH].pk}, follow=True).content.decode()
    assert "Tindakan tidak dikenal." in html
    assert not UnitCrew.objects.exists()


def test_signed_on_at_the_roll_call_the_phone_shows_the_unit(world, incidents, login):
    tengah = world.units[TENGAH]
    sign_on(world.user("kapolsek_semarang_tengah"), tengah, channel="web", officer=world.user("anggota_semarang_tengah"))
    html = login("anggota_semarang_tengah").get(TUGAS, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in html and f'data-crew-unit="{tengah.callsign}"' in html


def test_the_page_follows_crew_events(world, login):
    html = login("anggota_semarang_tengah").get(TUGAS).content.decode()
    assert re.search(r'data-room-refresh="[^"]*unit\.awak', html)


def test_desk_roles_keep_their_view_without_sign_on(world, incidents, login):
    dispatch_unit(world.user("operator"), incidents["miroto"], world.units[TENGAH], channel="web", override_reason="uji")
    html = login("kapolsek_semarang_tengah").get(TUGAS).content.decode()
    assert incidents["miroto"].number in html and "Pilih unit Anda" not in html and "Selesai dinas" not in html
    r = login("kapolsek_semarang_tengah").post(TUGAS, {"aksi": "masuk", "unit": world.units[TENGAH].pk}, follow=True)
    assert "Sebutkan anggota" in r.content.decode() and not UnitCrew.objects.exists()


def test_roles_without_the_phone_view_cannot_post_to_it(world, login):
    for username in ("bhabin_miroto", "analis", "spkt"):
        assert login(username).post(TUGAS, {"aksi": "masuk", "unit": world.units[TENGAH].pk}).status_code == 404
    assert not UnitCrew.objects.exists()


def test_the_phone_view_in_english(world, login):
    c = login("anggota_semarang_tengah")
    assert c.post(reverse("set_language"), {"language": "en", "next": "/"}).status_code == 302
    html = c.get(TUGAS).content.decode()
    assert "Choose your unit for this shift" in html
    c.post(TUGAS, {"aksi": "masuk", "unit": world.units[TENGAH].pk})
    html = c.get(TUGAS).content.decode()
    assert "End shift" in html and "Pilih unit" not in html


def test_a_task_outside_the_officers_territory_still_reaches_their_phone_live(world, login):
    """An incident without a location (or of another Polsek) is not in the officer's event scope; its assignment
    reaches them as their own unit's status change, which /tugas/ listens to for that unit only."""
    from k3i.core.audit import Channel
    from k3i.core.events import events_for, latest_id
    from k3i.incidents.actions import create_incident

    officer = world.user("anggota_semarang_tengah")
    unit = world.units["semarang_tengah"]
    sign_on(officer, unit, channel=Channel.WEB)
    page = login("anggota_semarang_tengah").get(reverse("ops:tugas")).content.decode()
    assert f'data-refresh-unit="{unit.pk}"' in page and "unit.status" in page
    unlocated, _ = create_incident(None, polres=world.polres, channel="web", text="ada kebakaran rumah, api besar",
                                   audit_channel="web")
    start = latest_id()
    dispatch_unit(world.user("operator"), unlocated, unit, channel=Channel.WEB, override_reason="lokasi menyusul")
    seen = [(e.kind, e.payload.get("id")) for e in events_for(officer, start)]
    assert ("unit.status", unit.pk) in seen
    assert not any(kind.startswith("penugasan.") for kind, _ in seen)  # the incident's own events stay Polres-level
