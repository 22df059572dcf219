"""The demo signs its patrol officer on to a unit of their Polsek, so ``/tugas/`` shows work at once, and holds
the morning roll call: every active unit gets a crew of officers who may crew it (``awak-<NRP>`` accounts, not
printed), so the recommendation names who rides each unit; the simulator (a desk account of its own) keeps
driving crewed units."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from k3i.accounts.models import User
from k3i.accounts.testing import force_login_verified
from k3i.core.audit import Channel
from k3i.core.models import AuditEntry, LiveEvent
from k3i.demo.cli import print_summary
from k3i.demo.loader import load_demo
from k3i.demo.plan import CREW_SIZE
from k3i.demo.simulator import Simulation
from k3i.dispatch.actions import (
    create_patrol_unit,
    crew_name,
    crew_of,
    may_crew,
    may_report,
    sign_off,
    signed_on_unit,
)
from k3i.dispatch.models import Assignment, PatrolUnit, UnitCrew
from k3i.dispatch.recommend import recommend
from k3i.dispatch.tests.helpers import sign_on_crew
from k3i.incidents.actions import create_incident
from k3i.organization.models import Fungsi, Polsek


def counts() -> tuple[int, ...]:
    return (User.objects.count(), UnitCrew.objects.count(), AuditEntry.objects.count(), LiveEvent.objects.count())


@pytest.mark.django_db
def test_the_demo_officer_is_signed_on_to_a_motorbike_of_their_polsek():
    load_demo("salatiga")
    officers = User.objects.filter(role="anggota", is_demo=True).exclude(username__startswith="awak-")
    assert officers.count() == 1  # the documented one; the roll call's crews are ``awak-<NRP>``
    officer = officers.get()
    unit = signed_on_unit(officer)
    assert unit is not None and unit.tipe == PatrolUnit.Tipe.R2
    assert unit.polsek_id == officer.personel.polsek_id and unit.fungsi_id == officer.personel.fungsi_id
    assert may_report(officer, unit)
    assert unit.callsign == "SLG-SDR-R2-01"  # their Polsek's first R2, as before the roll call
    row = UnitCrew.objects.get(user=officer)
    assert row.signed_on_by is None  # the system, at load time
    assert [r.user for r in crew_of([unit.pk])[unit.pk]] == [officer]  # the roll call leaves their unit to them
    # the load's one summarising entry names it; no entry of its own
    summary = AuditEntry.objects.get(action="demo.dimuat")
    assert summary.changes["awak"] == {officer.username: unit.callsign}
    assert summary.changes["dibuat"]["awak"] == UnitCrew.objects.count()  # theirs and the roll call's
    assert not AuditEntry.objects.filter(action__startswith="unit.awak").exists()
    with override_settings(DEMO_MODE=True):  # demo accounts log in only in demo mode
        html = force_login_verified(Client(), officer).get("/tugas/").content.decode()
    assert f'data-crew-unit="{unit.callsign}"' in html and "Selesai dinas" in html


@pytest.mark.django_db
def test_an_officer_who_signed_off_stays_off_when_the_demo_loads_again():
    load_demo("salatiga")
    officer = User.objects.get(role="anggota", is_demo=True, username__startswith="anggota_")
    assert sign_off(officer, channel=Channel.WEB) is not None
    entries, events = AuditEntry.objects.count(), LiveEvent.objects.count()

    report = load_demo("salatiga")

    assert not report.changed and signed_on_unit(officer) is None
    assert (AuditEntry.objects.count(), LiveEvent.objects.count()) == (entries, events)


@pytest.mark.django_db
def test_the_roll_call_crews_every_active_unit_with_officers_who_may_crew_it():
    report = load_demo("salatiga")

    officer = User.objects.get(role="anggota", is_demo=True, username__startswith="anggota_")
    operator = User.objects.get(username="operator")
    size = {u.callsign: u.crew for u in report.plan.units}
    crews = crew_of(PatrolUnit.objects.filter(aktif=True))
    units = list(PatrolUnit.objects.filter(aktif=True).select_related("polsek", "fungsi"))
    assert units and report.uncrewed == []
    for unit in units:
        rows = crews.get(unit.pk, [])
        assert rows, f"{unit.callsign} tanpa awak"
        assert all(may_crew(r.user, unit) and r.signed_on_by is None for r in rows)
        if unit.callsign != "SLG-SDR-R2-01":  # the demo anggota's, crewed by them alone
            lo, hi = CREW_SIZE[unit.tipe]
            assert lo <= len(rows) == size[unit.callsign] <= hi
            for r in rows:
                u, p = r.user, r.user.personel
                assert u.username == f"awak-{p.nrp}" and u.role == "anggota" and u.is_demo
                assert u.scope_polsek_id == p.polsek_id and u.lingkup == ("polsek" if p.polsek_id else "polres")
                assert u.password == operator.password  # the one shared hash of the documented demo password
                assert not p.jabatan.startswith(("Kapol", "Wakapol"))  # patrol members, not commanders
    assert {2} == {len(crews[u.pk]) for u in units if u.tipe == PatrolUnit.Tipe.R4}
    assert {1, 2} == {len(crews[u.pk]) for u in units if u.tipe == PatrolUnit.Tipe.R2 and u.pk != signed_on_unit(
        officer).pk}
    crew_users = User.objects.filter(username__startswith="awak-")
    assert crew_users.count() == report.created["akun_awak"] == UnitCrew.objects.count() - 1
    summary = AuditEntry.objects.get(action="demo.dimuat")
    assert summary.changes["dibuat"]["akun_awak"] == crew_users.count()
    assert summary.changes["unit_tanpa_awak"] == []
    assert not AuditEntry.objects.filter(action__startswith="unit.awak").exists()  # in the summary, not per row


@pytest.mark.django_db
def test_the_roll_call_is_done_once_and_a_crew_that_signed_off_stays_off():
    load_demo("salatiga")
    before = counts()

    again = load_demo("salatiga")

    assert not again.changed and again.uncrewed == [] and counts() == before
    unit = PatrolUnit.objects.get(callsign="SLG-TKR-R4-01")
    for row in crew_of([unit.pk])[unit.pk]:
        sign_off(None, officer=row.user, channel=Channel.SYSTEM)  # the shift ended
    before = counts()

    report = load_demo("salatiga")

    assert not report.changed and counts() == before  # nobody new, no second account for anyone
    assert report.uncrewed == [unit.callsign]  # honest: counted as without crew


@pytest.mark.django_db
def test_a_unit_nobody_may_crew_stays_without_crew_and_is_counted():
    load_demo("salatiga")
    sidorejo = Polsek.objects.get(nama="Polsek Sidorejo")  # its Kapolsek (no function) has an account already
    lone = create_patrol_unit(None, callsign="SLG-SDR-KPL-01", tipe=PatrolUnit.Tipe.KAPAL, polres=sidorejo.polres,
                              polsek=sidorejo, fungsi=Fungsi.objects.get(kode="SAT_POLAIRUD"),
                              channel=Channel.SYSTEM)
    before = counts()

    report = load_demo("salatiga")

    assert report.uncrewed == [lone.callsign] and not crew_of([lone.pk])
    assert not report.changed and counts()[:2] == before[:2]  # no account, no sign-on made up


@pytest.mark.django_db
def test_the_account_table_lists_the_documented_accounts_only(capsys):
    report = load_demo("salatiga")

    print_summary(report, "http://127.0.0.1:8000/")

    out = capsys.readouterr().out
    assert "awak-" not in out
    assert all(a.username in out for a in report.accounts)
    assert f"akun_awak {report.created['akun_awak']}" in out  # counted in the summary line


@pytest.mark.django_db
def test_the_recommendation_names_the_crew_of_every_suggested_unit():
    load_demo("salatiga")
    operator = User.objects.get(username="operator")
    incident, _ = create_incident(operator, polres=operator.polres, channel="110", text="ada tawuran di jalan",
                                  lat=operator.polres.lat, lon=operator.polres.lon, category="TAWURAN", priority=2,
                                  audit_channel=Channel.WEB)

    recs = recommend(incident)

    assert recs
    for rec in recs:
        names = ", ".join(crew_name(r.user) for r in crew_of([rec.unit.pk])[rec.unit.pk])
        assert f"awak: {names}" in rec.reasons, rec.reasons
        assert not any(r.startswith("belum ada awak") for r in rec.reasons)


def test_the_simulator_still_drives_a_crewed_unit(world):
    sign_on_crew(world)
    sim = Simulation(world.polres, rate=1e-6, seed=7)
    area = next(a for a in sim.areas if a.nama == "Bulu Lor")
    incident = sim.new_call("CURAS", area=area, channel="110", priority=1)
    assert incident is not None
    errors: list[str] = []
    a = None
    for _ in range(60):
        errors += sim.step(5).errors
        a = Assignment.objects.filter(incident=incident).select_related("unit").first()
        if a is not None and a.status != Assignment.Status.DITUGASKAN:
            break
    assert a is not None and a.status != Assignment.Status.DITUGASKAN, "the simulator did not work the task"
    assert UnitCrew.objects.filter(unit=a.unit, signed_off_at__isnull=True).exists()  # a crewed unit
    assert errors == []
