"""Triage corrections: the Bagops flag follows the corrected category (reasons from the routing are recomputed,
those from linked reports stay), corrections are counted in the SLA report (`k3i report sla`,
GET /api/v1/reports/sla) and filtered in GET /api/v1/incidents?triage_overridden=."""

from __future__ import annotations

import argparse
import json
import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from k3i.core.events import latest_id
from k3i.core.models import AuditEntry, LiveEvent
from k3i.incidents import sla
from k3i.incidents.actions import confirm_triage, create_incident, link_duplicate
from k3i.incidents.models import Incident, IncidentLog

MIROTO = (-6.98, 110.41)  # Polsek Semarang Tengah
BULU_LOR = (-6.94, 110.43)  # Polsek Semarang Utara


def post(c: Client, url: str, data: Any):
    return c.post(url, data=json.dumps(data), content_type="application/json")


def make(world, *, at: tuple[float, float] = MIROTO, text: str = "tabrakan motor dengan truk, korban tergeletak",
         category: str | None = "LAKA_LANTAS", priority: int | None = 1, channel: str = "110") -> Incident:
    incident, _ = create_incident(world.user("operator"), polres=world.polres, channel=channel, text=text,
                                  lat=at[0], lon=at[1], category=category, priority=priority, audit_channel="web")
    return incident


# --- the Bagops flag after a correction ----------------------------------------------------------------


def test_correcting_the_category_takes_the_incident_out_of_bagops(world, login):
    incident = make(world)  # a traffic accident: Sat Lantas with Sat Samapta and Dinkes (ambulans)
    assert incident.bagops and any("Dinkes" in r for r in incident.bagops_reasons)
    c = login("operator")
    assert c.get("/api/v1/incidents?bagops=true").json()["count"] == 1
    since = latest_id()

    r = post(c, f"/api/v1/incidents/{incident.pk}/triage", {"category": "GANGGUAN_LANTAS", "priority": 3})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["routing"]["mitra_eksternal"] == ["Dishub"] and body["routing"]["fungsi_pendukung"] == []
    assert body["bagops"] is False and body["bagops_reasons"] == []
    timeline = [(e["kind"], e["message"]) for e in body["timeline"]]
    lines = sorted(m for k, m in timeline if k == "bagops")  # it entered on arrival, and left on correction
    assert len(lines) == 2 and lines[0].startswith("Diangkat ke Bagops: lintas fungsi dan instansi")
    assert lines[1].startswith("Keluar dari antrean Bagops setelah koreksi triase")
    assert "Dinkes" in lines[1]  # the reason that no longer holds is named
    entry = AuditEntry.objects.get(action="kejadian.diverifikasi", object_id=str(incident.pk))
    assert entry.changes["bagops"] == [True, False]
    assert entry.changes["category"] == ["LAKA_LANTAS", "GANGGUAN_LANTAS"]
    assert entry.changes["alasan_bagops"][1] == [] and "Dinkes" in entry.changes["alasan_bagops"][0][0]
    event = LiveEvent.objects.filter(id__gt=since, kind="kejadian.diperbarui").get()
    assert event.payload["bagops"] is False and event.payload["category"] == "GANGGUAN_LANTAS"
    assert c.get("/api/v1/incidents?bagops=true").json()["count"] == 0


def test_reasons_from_linked_reports_stay_through_a_correction(world, login):
    op = world.user("operator")
    main = make(world)
    a = make(world, at=BULU_LOR)  # another Polsek
    b = make(world)
    link_duplicate(op, a, duplicate_of=main, channel="web")
    link_duplicate(op, b, duplicate_of=main, channel="web")
    main.refresh_from_db()
    assert len(main.bagops_reasons) == 3  # functions and agencies, many reports, several Polsek

    r = post(login("operator"), f"/api/v1/incidents/{main.pk}/triage", {"category": "GANGGUAN_LANTAS"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["bagops"] is True
    assert body["bagops_reasons"] == ["banyak laporan: 3 laporan untuk kejadian yang sama",
                                      "lintas wilayah: laporan dari 2 Polsek"]
    changed = IncidentLog.objects.filter(incident=main, kind="bagops").order_by("id").last()
    assert changed.message.startswith("Alasan Bagops diperbarui setelah koreksi triase: banyak laporan")
    assert changed.data["reasons"] == body["bagops_reasons"] and len(changed.data["previous_reasons"]) == 3


def test_a_category_with_outside_partners_lifts_to_bagops_and_says_so(world):
    incident = make(world, text="motor saya dicuri di parkiran pasar", category="CURANMOR", priority=2)
    assert not incident.bagops
    confirm_triage(world.user("operator"), incident, category="KEBAKARAN", channel="web")
    incident.refresh_from_db()
    assert incident.bagops and incident.bagops_reasons[0].startswith("lintas fungsi dan instansi: Sat Samapta")
    log = IncidentLog.objects.get(incident=incident, kind="bagops")
    assert log.message.startswith("Diangkat ke Bagops: lintas fungsi") and "Damkar" in log.message


def test_confirming_without_a_change_keeps_bagops_and_writes_no_bagops_line(world):
    incident = make(world)
    entered = IncidentLog.objects.get(incident=incident, kind="bagops")  # lifted on arrival, and said so
    assert entered.message == "Diangkat ke Bagops: " + "; ".join(incident.bagops_reasons)
    assert entered.actor_username == "operator" and entered.created_at == incident.created_at
    confirm_triage(world.user("operator"), incident, channel="web")
    incident.refresh_from_db()
    assert incident.bagops and incident.status == "diverifikasi"
    assert list(IncidentLog.objects.filter(incident=incident, kind="bagops")) == [entered]
    entry = AuditEntry.objects.get(action="kejadian.diverifikasi", object_id=str(incident.pk))
    assert "bagops" not in entry.changes and "alasan_bagops" not in entry.changes


# --- the list filter -----------------------------------------------------------------------------------


def test_list_filters_corrected_triage(world, incidents, login):
    c = login("operator")
    inc = incidents["miroto"]
    other = "PENIPUAN" if inc.triage["category"] != "PENIPUAN" else "CURAT"
    assert c.get("/api/v1/incidents?triage_overridden=true").json()["count"] == 0
    assert post(c, f"/api/v1/incidents/{inc.pk}/triage", {"category": other}).status_code == 200
    corrected = c.get("/api/v1/incidents?triage_overridden=true").json()
    assert [i["number"] for i in corrected["items"]] == [inc.number] and corrected["items"][0]["triage_overridden"]
    kept = c.get("/api/v1/incidents?triage_overridden=false").json()
    assert kept["count"] == 2 and inc.number not in {i["number"] for i in kept["items"]}
    # with the territory: Semarang Utara's desk does not see Miroto's correction
    assert login("operator_semarang_utara").get("/api/v1/incidents?triage_overridden=true").json()["count"] == 0
    r = c.get("/api/v1/incidents?triage_overridden=kadang")
    assert r.status_code == 422


# --- corrections in the SLA report ---------------------------------------------------------------------


def _corrections(world) -> dict[str, Any]:
    """Reports with known corrections: the suggestion's category ``s`` accepted once and corrected in priority
    once; another category corrected twice (P2 and P4); a corrected duplicate and a panic press without text
    (no suggestion) that must not count."""
    op = world.user("operator")
    text = "motor saya dicuri di parkiran pasar"

    def suggested() -> Incident:
        return make(world, text=text, category=None, priority=None, channel="110")

    a = suggested()
    s, sp = a.triage["category"], a.triage["priority"]
    other = "PENIPUAN" if s != "PENIPUAN" else "CURAT"
    confirm_triage(op, a, channel="web")  # accepted
    b = suggested()
    confirm_triage(op, b, category=other, priority=2, channel="web")
    c = suggested()
    confirm_triage(op, c, priority=1 if sp != 1 else 2, channel="web")  # only the priority corrected
    d = suggested()
    confirm_triage(op, d, category=other, priority=4, channel="web")  # P4: not timed, still a correction
    e = suggested()
    confirm_triage(op, e, category=other, channel="web")
    link_duplicate(op, e, duplicate_of=b, channel="web")  # a duplicate: not counted
    panic, _ = create_incident(None, polres=world.polres, channel="panik", text="", lat=MIROTO[0], lon=MIROTO[1],
                               audit_channel="api")
    assert panic.triage == {} and not panic.triage_overridden
    return {"s": s, "sp": sp, "other": other}


def test_report_counts_corrections_per_category_and_overall(world):
    known = _corrections(world)
    report = sla.report_for(world.user("kapolres"), group="category", days=1)
    rows = {r["kunci"]: r for r in report["baris"]}
    assert rows[known["s"]]["triase"] == {"n": 2, "dikoreksi": 1, "persen_dikoreksi": 50.0}
    assert rows[known["other"]]["triase"] == {"n": 2, "dikoreksi": 2, "persen_dikoreksi": 100.0}
    assert rows[known["other"]]["jumlah"] == 1  # the P4 report is not timed
    assert report["total"]["triase"] == {"n": 4, "dikoreksi": 3, "persen_dikoreksi": 75.0}
    prio = {r["kunci"]: r for r in sla.report_for(world.user("kapolres"), group="priority", days=1)["baris"]}
    assert prio[4]["jumlah"] == 0 and prio[4]["triase"]["dikoreksi"] == 1
    # a Kapolsek sees the corrections of their Polsek only (all reports were in Semarang Tengah)
    utara = sla.report_for(world.user("kapolsek_semarang_utara"), group="category", days=1)
    assert utara["baris"] == [] and utara["total"]["triase"]["n"] == 0
    assert utara["total"]["triase"]["persen_dikoreksi"] is None


def test_report_api_and_cli_show_corrections(world, login, capsys):
    known = _corrections(world)
    r = login("kapolsek_semarang_tengah").get("/api/v1/reports/sla?group=category&days=1")
    assert r.status_code == 200, r.content
    rows = {row["kunci"]: row for row in r.json()["baris"]}
    assert rows[known["other"]]["triase"]["persen_dikoreksi"] == 100.0
    assert r.json()["total"]["triase"] == {"n": 4, "dikoreksi": 3, "persen_dikoreksi": 75.0}

    assert sla.cmd_report_sla(argparse.Namespace(days=1, group=["category"], json=True, polres="")) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["total"]["triase"]["dikoreksi"] == 3
    assert sla.cmd_report_sla(argparse.Namespace(days=1, group=["category"], json=False, polres="")) == 0
    text = capsys.readouterr().out
    header = next(line for line in text.splitlines() if line.startswith("Kategori"))
    assert header.split()[-2:] == ["triase", "dikoreksi"]
    total = next(line for line in text.splitlines() if line.startswith("Semua"))
    assert re.search(r"\s4\s+3 \(75%\)$", total), total


def test_report_window_applies_to_corrections(world):
    _corrections(world)
    later = timezone.now() + timedelta(days=3)
    assert sla.report_for(world.user("kapolres"), days=1, now=later)["total"]["triase"]["n"] == 0
