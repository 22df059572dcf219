"""The live simulator: varied calls through the real intake, units driven at realistic speeds, all simulated."""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

import pytest
from django.db import transaction

from k3i.core.audit import WIB
from k3i.core.models import AuditEntry
from k3i.demo import sim_texts
from k3i.demo.simulator import (
    Simulation,
    _hour_of_week,
    category_rates,
    patrol_kmh,
    straight_line_mps,
    travel_kmh,
)
from k3i.dispatch.models import Assignment, PatrolUnit, UnitPosition, UnitStatus
from k3i.dispatch.routing import DETOUR_FACTOR
from k3i.incidents.models import Incident
from k3i.organization.geo import haversine_m

MONDAY_EVENING = datetime(2026, 3, 2, 20, 0, tzinfo=WIB)


def _sim(world, **kw) -> Simulation:
    kw.setdefault("seed", 7)
    kw.setdefault("start", MONDAY_EVENING)
    return Simulation(world.polres, **kw)


def test_calls_are_varied_simulated_and_go_through_intake(world):
    sim = _sim(world, rate=60, auto_dispatch=False)
    report = sim.run_for(3600, tick=60)
    created = report.created
    assert len(created) >= 25
    incidents = list(Incident.objects.filter(pk__in=[i.pk for i in created]))
    assert all(i.is_simulated for i in incidents)
    texts = [i.text for i in incidents if i.text]
    assert len(set(texts)) >= 0.95 * len(texts)
    assert len({i.category for i in incidents}) >= 8
    assert {i.channel for i in incidents} <= set(Incident.Channel.values)
    assert "110" in {i.channel for i in incidents}
    # Located inside the test Polres: a kelurahan and its Polsek for every call.
    assert all(i.kelurahan_id in {k.kode for k in world.kelurahan.values()} and i.polsek_id for i in incidents)
    entries = AuditEntry.objects.filter(action="kejadian.dibuat", object_id__in=[str(i.pk) for i in incidents])
    assert entries.count() == len(incidents)
    assert set(entries.values_list("channel", flat=True)) == {"simulator"}
    assert set(entries.values_list("actor_username", flat=True)) == {"simulator"}
    # The desk confirmed triage (correcting it where it missed); overrides are counted.
    # Second callers about the same incident are linked as duplicates instead.
    mine = Incident.objects.filter(pk__in=[i.pk for i in created])
    linked = mine.filter(status="duplikat")
    assert linked.count() == len(report.linked)
    assert mine.exclude(verified_at=None).count() >= len(created) - linked.count() - 3


def test_same_seed_same_calls(world):
    def run() -> list[tuple[str, str, str]]:
        sim = _sim(world, rate=40, auto_dispatch=False, seed=11)
        rows = [(i.text, i.category, i.channel) for i in sim.run_for(1800, tick=60).created]
        return rows

    with transaction.atomic():
        first = run()
        transaction.set_rollback(True)
    assert first and run() == first


def test_texts_are_generated_not_fixed():
    import random

    rng = random.Random(3)
    texts = {sim_texts.report_text("CURANMOR", rng, place="Miroto")[0] for _ in range(200)}
    assert len(texts) >= 190
    assert any("miroto" in t.lower() for t in texts)
    name, phone = sim_texts.reporter(rng)
    assert name and phone.startswith("08") and 10 <= len(phone) <= 13


def test_rhythm_night_peaks_and_rush_hours():
    rates = category_rates()
    monday = datetime(2026, 3, 2, tzinfo=WIB)

    def at(code: str, day: int, hour: int) -> float:
        return rates[code][_hour_of_week(monday + timedelta(days=day, hours=hour))]

    assert at("CURANMOR", 0, 1) > 2 * at("CURANMOR", 0, 10)  # night peak
    assert at("LAKA_LANTAS", 0, 7) > 3 * at("LAKA_LANTAS", 0, 2)  # morning rush
    assert at("LAKA_LANTAS", 0, 17) > 1.5 * at("LAKA_LANTAS", 0, 12)  # evening rush
    assert at("LAYANAN_ADMINISTRASI", 0, 10) > 5 * at("LAYANAN_ADMINISTRASI", 6, 10)  # office hours, not Sunday
    assert at("TAWURAN", 5, 23) > at("TAWURAN", 1, 23)  # Saturday night
    # ``rate`` is the weekly average: the weights sum to one call per hour on average.
    assert sum(sum(v) for v in rates.values()) / 168 == pytest.approx(1.0)


def test_hot_spots_weigh_more(world):
    sim = _sim(world, rate=1)
    assert len(sim.hot_spots()) == 1
    hot = next(a for a in sim.areas if a.hot)
    counts = {a.kode: 0 for a in sim.areas}
    for _ in range(2000):
        counts[sim.rng.choices(sim.areas, weights=sim._area_weights)[0].kode] += 1
    assert counts[hot.kode] > 2 * max(v for k, v in counts.items() if k != hot.kode)
    for area in sim.areas:  # points land inside the kelurahan
        for _ in range(20):
            lat, lon = area.point(sim.rng)
            assert area.geom.contains(__import__("shapely").geometry.Point(lon, lat))


def _dispatched(sim: Simulation, world, category: str = "CURAS") -> tuple[Incident, Assignment]:
    area = next(a for a in sim.areas if a.nama == "Bulu Lor")
    incident = sim.new_call(category, area=area, channel="110", priority=1)
    assert incident is not None
    for _ in range(120):
        sim.step(5)
        a = Assignment.objects.filter(incident=incident).select_related("unit").first()
        if a is not None:
            return incident, a
    raise AssertionError("tidak ada unit yang ditugaskan")


def test_units_drive_to_the_scene_at_their_speed_and_work_through_states(world):
    sim = _sim(world, rate=1e-6)
    incident, a = _dispatched(sim, world)
    incident.refresh_from_db()
    assert incident.status == "ditugaskan" and incident.dispatched_at is not None
    unit = a.unit
    assert unit.tipe == PatrolUnit.Tipe.R2
    # Accept, then on the way.
    for _ in range(40):
        sim.step(5)
        a.refresh_from_db()
        if a.status == Assignment.Status.MENUJU:
            break
    assert a.accepted_at is not None and a.status == Assignment.Status.MENUJU
    sim.step(15)  # the first leg
    expected = straight_line_mps(unit.tipe, sim.clock) * 15
    assert travel_kmh("R2", MONDAY_EVENING) == 32.0  # the ETA's speed table, normal hours
    assert expected == pytest.approx(32 / 3.6 / DETOUR_FACTOR * 15)
    legs = []
    for _ in range(200):
        unit.refresh_from_db()
        before = (unit.last_lat, unit.last_lon)
        to_go = haversine_m(before[0], before[1], incident.lat, incident.lon)
        sim.step(15)
        a.refresh_from_db()
        unit.refresh_from_db()
        if a.status != Assignment.Status.MENUJU:
            break
        moved = haversine_m(before[0], before[1], unit.last_lat, unit.last_lon)
        legs.append(moved)
        # Straight towards the scene, at the unit's speed (positions rounded to ~0.1 m).
        assert moved == pytest.approx(expected, abs=0.5)
        assert haversine_m(unit.last_lat, unit.last_lon, incident.lat, incident.lon) == pytest.approx(
            to_go - moved, abs=0.5)
    assert legs, "unit tidak bergerak"
    last = UnitPosition.objects.filter(unit=unit).order_by("-device_time").first()
    assert last is not None and last.speed_kmh is not None
    assert a.status == Assignment.Status.TIBA
    unit.refresh_from_db()
    assert (unit.last_lat, unit.last_lon) == pytest.approx((incident.lat, incident.lon), abs=1e-5)
    incident.refresh_from_db()
    assert incident.status == "ditangani" and incident.arrived_at is not None
    # Handling, then done: the desk closes with a disposition, the unit returns and is free again.
    states = set()
    for _ in range(400):
        sim.step(30)
        unit.refresh_from_db()
        states.add(unit.status)
        incident.refresh_from_db()
        if not incident.is_open and unit.status == UnitStatus.TERSEDIA:
            break
    assert UnitStatus.MENANGANI in states and UnitStatus.KEMBALI in states
    a.refresh_from_db()
    assert a.status == Assignment.Status.SELESAI and a.completed_at is not None
    assert incident.status in ("selesai", "tidak_terbukti") and incident.disposition
    assert unit.status == UnitStatus.TERSEDIA
    assert set(AuditEntry.objects.filter(action__startswith="penugasan.").values_list("channel", flat=True)) == {
        "simulator"}


def test_free_units_patrol_around_their_polsek(world):
    sim = _sim(world, rate=1e-6)
    sim.run_for(1800, tick=30)
    unit = PatrolUnit.objects.get(pk=world.units["semarang_tengah"].pk)
    assert unit.last_position_at is not None
    positions = list(UnitPosition.objects.filter(unit=unit).order_by("device_time"))
    assert len(positions) >= 3
    # Stays in Semarang Tengah (Miroto + Brumbungan: lon 110.40–110.44, lat -7.00…-6.96), at patrol speed.
    for p in positions:
        assert p.lon >= 110.40 - 1e-6 and p.lon <= 110.44 + 1e-6 and p.lat >= -7.00 - 1e-6 and p.lat <= -6.96 + 1e-6
        assert p.speed_kmh is not None and p.speed_kmh <= patrol_kmh("R2", MONDAY_EVENING) + 1e-6
    assert len({(round(p.lat, 4), round(p.lon, 4)) for p in positions}) >= 2


def test_simulate_command_refuses_outside_demo_mode(world, settings):
    from k3i.core.errors import K3iError
    from k3i.demo import sim_cli

    settings.DEMO_MODE = False
    args = argparse.Namespace(rate=600.0, speed=3000.0, duration=10.0, seed=5, polres="", no_jobs=True, tick=0.01)
    with pytest.raises(K3iError, match="hanya berjalan dalam mode demo"):
        sim_cli.cmd_simulate(args)
    assert not Incident.objects.filter(is_simulated=True).exists()


def test_a_simulated_call_never_pulls_a_unit_off_real_work(world):
    from k3i.core.audit import Channel
    from k3i.demo.simulator import Call
    from k3i.dispatch.actions import dispatch_unit
    from k3i.dispatch.tests.helpers import make_incident
    from k3i.incidents.actions import create_incident

    # every unit of the Polres busy on a real priority-3 task
    units = list(PatrolUnit.objects.filter(polres=world.polres, aktif=True))
    for unit in units:
        dispatch_unit(None, make_incident(world, category="CURAT", priority=3), unit, channel=Channel.SYSTEM)
    sim = _sim(world, rate=1e-6, auto_dispatch=False)
    p1, _ = create_incident(sim.actor, polres=world.polres, channel="110", text="begal bawa celurit, korban luka",
                            lat=-6.98, lon=110.41, category="CURAS", priority=1, is_simulated=True,
                            audit_channel=Channel.SIM)
    call = Call(p1.pk, "CURAS", 1, verify_at=MONDAY_EVENING, dispatch_at=MONDAY_EVENING)
    from k3i.dispatch.recommend import recommend

    assert any(r.pull_from is not None for r in recommend(p1, limit=5))  # real units are proposed for pulling
    assert sim._dispatch(p1, call) is None  # … but not to a simulated call
    assert not Assignment.objects.filter(incident=p1).exists()
    assert Assignment.objects.filter(status__in=Assignment.ACTIVE).count() == len(units)

    # the same call may pull a unit off a simulated priority-3 task (crafted: one of those tasks is simulated)
    task = Assignment.objects.filter(status__in=Assignment.ACTIVE).order_by("pk").first()
    assert task is not None
    Incident.objects.filter(pk=task.incident_id).update(is_simulated=True)
    pulled = sim._dispatch(p1, call)
    assert pulled is not None and pulled.unit_id == task.unit_id


def test_simulate_command_runs_for_a_duration(world, capsys, settings):
    from k3i.demo import sim_cli

    settings.DEMO_MODE = True
    args = argparse.Namespace(rate=600.0, speed=3000.0, duration=10.0, seed=5, polres="", no_jobs=True, tick=0.01)
    assert sim_cli.cmd_simulate(args) == 0
    out = capsys.readouterr().out
    assert "panggilan simulasi dibuat" in out and "Polrestabes Uji" in out
    assert Incident.objects.filter(is_simulated=True).exists()


def test_a_second_caller_is_linked_as_duplicate(world):
    from k3i.demo.simulator import Echo

    sim = _sim(world, rate=1e-6, auto_dispatch=False)
    area = next(a for a in sim.areas if a.nama == "Miroto")
    main = sim.new_call("LAKA_LANTAS", area=area, channel="110")
    assert main is not None
    sim.echoes.append(Echo(sim.clock + timedelta(seconds=60), main.pk, "LAKA_LANTAS", area, main.lat, main.lon))
    report = sim.run_for(300, tick=30)
    assert len(report.created) == 1 and report.linked == [report.created[0].pk]
    echo = Incident.objects.get(pk=report.created[0].pk)
    assert echo.status == "duplikat" and echo.duplicate_of_id == main.pk and echo.is_simulated
    assert echo.text != main.text and haversine_m(echo.lat, echo.lon, main.lat, main.lon) < 200
    assert AuditEntry.objects.get(action="kejadian.ditautkan").channel == "simulator"


def test_opening_calls_show_a_shift_under_way_at_once(world):
    sim = _sim(world, rate=12, auto_dispatch=False)
    made = sim.opening_calls(3)
    assert len(made) == 3
    incidents = list(Incident.objects.filter(pk__in=[i.pk for i in made]))
    assert all(i.is_simulated and i.is_open for i in incidents)
    assert len({i.text for i in incidents}) == 3  # varied texts, not one fixed string
    # the simulated desk works on them like on any call (verification scheduled)
    sim.run_for(600, tick=30)
    assert Incident.objects.filter(pk__in=[i.pk for i in made]).exclude(status="baru").exists()
