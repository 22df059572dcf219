"""Service-level timers, escalation of overdue priority-1 incidents, breach alerts and the p50/p90 report."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from k3i.core.audit import WIB
from k3i.core.models import AuditEntry, LiveEvent
from k3i.incidents import sla
from k3i.incidents.actions import create_incident
from k3i.incidents.models import Incident, IncidentLog


def _p1(world, text="tolong ada begal bawa celurit, pelaku masih di lokasi", lat=-6.98, lon=110.41) -> Incident:
    incident, _ = create_incident(world.user("operator"), polres=world.polres, channel="110", text=text, lat=lat,
                                  lon=lon, priority=1, audit_channel="web")
    return incident


def _set_times(incident: Incident, **fields) -> Incident:
    """Crafted timestamps for timer/report checks (the dispatch actions stamp the real clock)."""
    Incident.objects.filter(pk=incident.pk).update(**fields)
    incident.refresh_from_db()
    return incident


def test_targets_follow_priorities_and_settings(settings):
    assert sla.arrive_target(1) == 600 and sla.arrive_target(2) == 1800 and sla.arrive_target(3) == 7200
    assert sla.arrive_target(4) is None
    assert sla.dispatch_target(1) == 60
    settings.SLA_DISPATCH_TARGET_SECONDS = {1: 45}
    assert sla.dispatch_target(1) == 45 and sla.dispatch_target(2) == 300


def test_p1_escalates_after_60_seconds_not_before_and_only_once(world):
    incident = _p1(world)
    t0 = incident.created_at
    assert not sla.escalate_overdue(now=t0 + timedelta(seconds=59)).escalated
    incident.refresh_from_db()
    assert incident.escalated_at is None

    result = sla.escalate_overdue(now=t0 + timedelta(seconds=61))
    assert result.escalated == [incident.pk]
    incident.refresh_from_db()
    assert incident.escalated_at == t0 + timedelta(seconds=61)
    log = IncidentLog.objects.get(incident=incident, kind="dinaikkan")
    assert "meja K3i Polres" in log.message and world.polsek["semarang_tengah"].nama in log.message
    entry = AuditEntry.objects.get(action="kejadian.dinaikkan", object_id=str(incident.pk))
    assert entry.channel == "sistem" and entry.polres_id == world.polres.pk
    event = LiveEvent.objects.get(kind="kejadian.eskalasi")
    assert event.payload["id"] == incident.pk
    # The incident's territory: the Polres K3i desk (Polres-wide) and the incident's own Polsek receive it.
    assert event.polres_id == world.polres.pk
    assert event.polsek_id == incident.polsek_id and event.kelurahan_kode == incident.kelurahan_id

    again = sla.escalate_overdue(now=t0 + timedelta(seconds=300))
    assert again.escalated == []
    assert IncidentLog.objects.filter(incident=incident, kind="dinaikkan").count() == 1
    assert LiveEvent.objects.filter(kind="kejadian.eskalasi").count() == 1
    assert AuditEntry.objects.filter(action="kejadian.dinaikkan").count() == 1


def test_escalation_event_reaches_the_polres_desk_and_the_polsek(world):
    from k3i.core.events import events_for

    incident = _p1(world)
    sla.escalate_overdue(now=incident.created_at + timedelta(seconds=61))
    for username in ("operator", "kabagops", "kapolsek_semarang_tengah", "operator_semarang_tengah"):
        kinds = [e.kind for e in events_for(world.user(username), 0)]
        assert "kejadian.eskalasi" in kinds, username
    # another Polsek is not told about it
    kinds = [e.kind for e in events_for(world.user("kapolsek_semarang_utara"), 0)]
    assert "kejadian.eskalasi" not in kinds


def test_dispatched_or_lower_priority_or_closed_incidents_are_not_escalated(world):
    later = timezone.now() + timedelta(minutes=5)
    dispatched = _set_times(_p1(world), dispatched_at=timezone.now(), status="ditugaskan")
    p2, _ = create_incident(world.user("operator"), polres=world.polres, channel="110",
                            text="motor saya hilang di parkiran tadi", lat=-6.98, lon=110.43, priority=2,
                            audit_channel="web")
    cancelled = _set_times(_p1(world), status="dibatalkan", closed_at=timezone.now())
    result = sla.escalate_overdue(now=later)
    assert result.escalated == []
    for i in (dispatched, p2, cancelled):
        i.refresh_from_db()
        assert i.escalated_at is None


def test_arrival_breach_alerts_once_per_incident_and_target(world):
    incident = _p1(world)
    t0 = incident.created_at
    _set_times(incident, dispatched_at=t0 + timedelta(seconds=30), status="ditugaskan")
    assert sla.escalate_overdue(now=t0 + timedelta(minutes=9)).breaches == []
    result = sla.escalate_overdue(now=t0 + timedelta(minutes=10, seconds=5))
    assert result.breaches == [(incident.pk, "tiba")]
    event = LiveEvent.objects.get(kind="sla.terlewati")
    assert event.payload["target"] == "tiba" and event.payload["target_detik"] == 600
    assert event.polsek_id == world.polsek["semarang_tengah"].pk
    assert sla.escalate_overdue(now=t0 + timedelta(minutes=20)).breaches == []
    assert LiveEvent.objects.filter(kind="sla.terlewati").count() == 1
    assert IncidentLog.objects.filter(incident=incident, kind="sla.terlewati").count() == 1
    assert AuditEntry.objects.filter(action="kejadian.sla_terlewati").count() == 1


def test_no_breach_when_arrived_in_time_and_dispatch_breach_for_p2(world):
    on_time = _p1(world)
    t0 = on_time.created_at
    _set_times(on_time, dispatched_at=t0 + timedelta(seconds=20), arrived_at=t0 + timedelta(minutes=7),
               status="ditangani")
    p2, _ = create_incident(world.user("operator"), polres=world.polres, channel="110",
                            text="rumah saya dibobol maling semalam", lat=-6.94, lon=110.43, priority=2,
                            audit_channel="web")
    result = sla.escalate_overdue(now=t0 + timedelta(minutes=6))
    assert (p2.pk, "dispatch") in result.breaches
    assert all(pk != on_time.pk for pk, _ in result.breaches)
    assert not sla.escalate_overdue(now=t0 + timedelta(minutes=6, seconds=5))


def test_timers_count_down_and_measure(world):
    incident = _p1(world)
    t0 = incident.created_at
    t = sla.timers(incident, now=t0 + timedelta(seconds=40))
    assert t["dispatch"].remaining == pytest.approx(20) and not t["dispatch"].breached
    _set_times(incident, dispatched_at=t0 + timedelta(seconds=75), arrived_at=t0 + timedelta(minutes=8))
    t = sla.timers(incident, now=t0 + timedelta(hours=1))
    assert t["dispatch"].seconds == 75 and t["dispatch"].met is False
    assert t["tiba"].seconds == 480 and t["tiba"].met is True and t["tiba"].remaining is None


def test_percentile():
    assert sla.percentile([], 50) is None
    assert sla.percentile([7], 90) == 7
    values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert sla.percentile(values, 50) == pytest.approx(55)
    assert sla.percentile(values, 90) == pytest.approx(91)
    assert sla.percentile(list(reversed(values)), 90) == pytest.approx(91)


def _crafted(world) -> dict[str, list[Incident]]:
    """Ten P1 incidents in Semarang Tengah (dispatch 10…100 s, arrival 1…10 min) and two P2 in Utara."""
    base = datetime(2026, 3, 2, 9, 0, tzinfo=WIB)  # Monday, morning shift
    made: dict[str, list[Incident]] = {"tengah": [], "utara": []}
    for i in range(10):
        inc = _p1(world)
        created = base + timedelta(minutes=10 * i)
        made["tengah"].append(_set_times(
            inc, created_at=created, dispatched_at=created + timedelta(seconds=10 * (i + 1)),
            arrived_at=created + timedelta(minutes=i + 1), status="selesai", closed_at=created + timedelta(hours=1)))
    for i, hour in enumerate((16, 23)):  # siang, malam
        inc, _ = create_incident(world.user("operator"), polres=world.polres, channel="110",
                                 text="ada keributan orang mabuk", lat=-6.94, lon=110.43, priority=2,
                                 category="GANGGUAN_KETERTIBAN", audit_channel="web")
        created = base.replace(hour=hour)
        fields = {"created_at": created, "dispatched_at": created + timedelta(minutes=2 + 6 * i)}
        if i == 0:
            fields["arrived_at"] = created + timedelta(minutes=20)
        made["utara"].append(_set_times(inc, **fields))
    # A duplicate is not counted.
    dup = _p1(world)
    _set_times(dup, created_at=base, status="duplikat")
    return made


NOW = datetime(2026, 3, 3, 9, 0, tzinfo=WIB)


def test_report_percentiles_per_polsek_on_crafted_data(world):
    _crafted(world)
    report = sla.report_for(world.user("kapolres"), days=7, group="polsek", now=NOW)
    rows = {r["label"]: r for r in report["baris"]}
    tengah = rows[world.polsek["semarang_tengah"].nama]
    assert tengah["jumlah"] == 10
    assert tengah["dispatch"]["p50_detik"] == pytest.approx(55)
    assert tengah["dispatch"]["p90_detik"] == pytest.approx(91)
    assert tengah["dispatch"]["dalam_target"] == 6  # 10 … 60 s
    assert tengah["dispatch"]["persen_dalam_target"] == 60.0
    assert tengah["tiba"]["p50_detik"] == pytest.approx(330)
    assert tengah["tiba"]["dalam_target"] == 10 and tengah["tiba"]["persen_dalam_target"] == 100.0
    utara = rows[world.polsek["semarang_utara"].nama]
    assert utara["jumlah"] == 2
    assert utara["dispatch"]["n"] == 2 and utara["dispatch"]["dalam_target"] == 1  # 2 min ok, 8 min late
    assert utara["tiba"]["n"] == 1 and utara["tiba"]["belum"] == 1
    assert report["total"]["jumlah"] == 12


def test_report_by_shift_priority_and_category(world):
    _crafted(world)
    shifts = {r["kunci"]: r for r in sla.report_for(world.user("kapolres"), group="shift", now=NOW)["baris"]}
    assert shifts["pagi"]["jumlah"] == 10 and shifts["siang"]["jumlah"] == 1 and shifts["malam"]["jumlah"] == 1
    assert list(shifts) == ["pagi", "siang", "malam"]
    prio = {r["kunci"]: r for r in sla.report_for(world.user("kapolres"), group="priority", now=NOW)["baris"]}
    assert prio[1]["jumlah"] == 10 and prio[2]["jumlah"] == 2 and prio[1]["label"].startswith("P1")
    cats = {r["kunci"]: r for r in sla.report_for(world.user("kapolres"), group="category", now=NOW)["baris"]}
    assert cats["GANGGUAN_KETERTIBAN"]["jumlah"] == 2
    # Outside the window: nothing.
    assert sla.report_for(world.user("kapolres"), days=1, now=NOW + timedelta(days=10))["total"]["jumlah"] == 0


def test_shift_boundaries(settings):
    assert sla.shift_of(datetime(2026, 3, 2, 7, 0, tzinfo=WIB)) == "pagi"
    assert sla.shift_of(datetime(2026, 3, 2, 14, 59, tzinfo=WIB)) == "pagi"
    assert sla.shift_of(datetime(2026, 3, 2, 15, 0, tzinfo=WIB)) == "siang"
    assert sla.shift_of(datetime(2026, 3, 2, 23, 30, tzinfo=WIB)) == "malam"
    assert sla.shift_of(datetime(2026, 3, 2, 6, 59, tzinfo=WIB)) == "malam"
    settings.SLA_SHIFTS = "dinas1=06-18,dinas2=18-06"
    assert sla.shift_of(datetime(2026, 3, 2, 6, 0, tzinfo=WIB)) == "dinas1"


def test_report_is_scoped_to_the_kapolsek(world):
    _crafted(world)
    report = sla.report_for(world.user("kapolsek_semarang_utara"), group="polsek", now=NOW)
    assert [r["kunci"] for r in report["baris"]] == [world.polsek["semarang_utara"].pk]
    assert report["total"]["jumlah"] == 2


def test_report_api(world, login):
    _crafted(world)
    r = login("kapolsek_semarang_tengah").get("/api/v1/reports/sla?days=366&group=priority")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["kelompok"] == "priority"
    assert [row["kunci"] for row in body["baris"]] == [1]
    assert body["baris"][0]["dispatch"]["n"] == 10
    r = login("operator").get("/api/v1/reports/sla?group=shift&days=366")
    assert r.status_code == 200 and {row["kunci"] for row in r.json()["baris"]} == {"pagi", "siang", "malam"}


def test_report_api_rejects_bad_input_and_roles_without_view_incident(world, login, client):
    assert login("operator").get("/api/v1/reports/sla?group=kota").status_code == 422
    r = login("operator").get("/api/v1/reports/sla?days=0")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "days"
    r = login("admin").get("/api/v1/reports/sla")
    assert r.status_code == 403 and "kejadian" in r.json()["detail"]
    assert client.get("/api/v1/reports/sla").status_code == 401


def test_report_cli(world, capsys):
    _crafted(world)
    assert sla.cmd_report_sla(argparse.Namespace(days=366, group=["priority"], json=True, polres="")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["baris"][0]["kunci"] == 1 and out["total"]["jumlah"] == 12
    assert sla.cmd_report_sla(argparse.Namespace(days=366, group=None, json=False, polres="")) == 0
    text = capsys.readouterr().out
    assert "Polsek" in text and "Sif" in text and "pagi" in text and "P1 Darurat" in text


def test_job_runner_round(world):
    from k3i.core import jobs

    incident = _p1(world)
    results = jobs.run_once(now=incident.created_at + timedelta(seconds=90))
    assert results["sla"].escalated == [incident.pk]
    assert not jobs.run_once(now=incident.created_at + timedelta(seconds=95))["sla"].escalated
