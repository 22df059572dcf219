"""The demo signs its patrol officer on to a unit of their Polsek, so ``/tugas/`` shows work at once; the
simulator (a desk account of its own) keeps driving crewed units."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from k3i.accounts.models import User
from k3i.accounts.testing import force_login_verified
from k3i.core.audit import Channel
from k3i.core.models import AuditEntry, LiveEvent
from k3i.demo.loader import load_demo
from k3i.demo.simulator import Simulation
from k3i.dispatch.actions import may_report, sign_off, signed_on_unit
from k3i.dispatch.models import Assignment, PatrolUnit, UnitCrew
from k3i.dispatch.tests.helpers import sign_on_crew


@pytest.mark.django_db
def test_the_demo_officer_is_signed_on_to_a_motorbike_of_their_polsek():
    load_demo("salatiga")
    officers = User.objects.filter(role="anggota", is_demo=True)
    assert officers.count() == 1
    officer = officers.get()
    unit = signed_on_unit(officer)
    assert unit is not None and unit.tipe == PatrolUnit.Tipe.R2
    assert unit.polsek_id == officer.personel.polsek_id and unit.fungsi_id == officer.personel.fungsi_id
    assert may_report(officer, unit)
    row = UnitCrew.objects.get(user=officer)
    assert row.signed_on_by is None  # the system, at load time
    # the load's one summarising entry names it; no entry of its own
    summary = AuditEntry.objects.get(action="demo.dimuat")
    assert summary.changes["awak"] == {officer.username: unit.callsign}
    assert summary.changes["dibuat"]["awak"] == 1
    assert not AuditEntry.objects.filter(action__startswith="unit.awak").exists()
    with override_settings(DEMO_MODE=True):  # demo accounts log in only in demo mode
        html = force_login_verified(Client(), officer).get("/tugas/").content.decode()
    assert f'data-crew-unit="{unit.callsign}"' in html and "Selesai dinas" in html


@pytest.mark.django_db
def test_an_officer_who_signed_off_stays_off_when_the_demo_loads_again():
    load_demo("salatiga")
    officer = User.objects.get(role="anggota", is_demo=True)
    assert sign_off(officer, channel=Channel.WEB) is not None
    entries, events = AuditEntry.objects.count(), LiveEvent.objects.count()

    report = load_demo("salatiga")

    assert not report.changed and signed_on_unit(officer) is None
    assert (AuditEntry.objects.count(), LiveEvent.objects.count()) == (entries, events)


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
