"""Recommendation: units ranked by ETA with reasons; own Polsek and lead function preferred; stale, busy,
inactive and unavailable units skipped; pulling a unit off a P3 task for a P1 incident; the router interface."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from k3i.core.audit import Channel
from k3i.dispatch.actions import advance_assignment, dispatch_unit, set_unit_status, update_patrol_unit
from k3i.dispatch.models import PatrolUnit, UnitStatus
from k3i.dispatch.recommend import recommend
from k3i.dispatch.routing import DistanceRouter, OSRMRouter, get_router

from .helpers import BRUMBUNGAN, BULU_LOR, MIROTO, assert_error, make_incident, put_at

WIB = ZoneInfo("Asia/Jakarta")


def callsigns(recs) -> list[str]:
    return [r.unit.callsign for r in recs]


def extra_unit(world, callsign: str, *, polsek: str | None, fungsi: str, tipe: str = "R2",
               home: tuple[float, float] = MIROTO) -> PatrolUnit:
    return PatrolUnit.objects.create(
        callsign=callsign, tipe=tipe, polres=world.polres, polsek=world.polsek[polsek] if polsek else None,
        fungsi=world.fungsi[fungsi], home_lat=home[0], home_lon=home[1],
    )


def test_every_suggestion_has_an_eta_and_its_reasons(world):
    incident = make_incident(world, category="TAWURAN", priority=2)  # lead function: Sat Samapta
    recs = recommend(incident)
    assert [r.rank for r in recs] == [1, 2, 3]
    first = recs[0]
    assert first.unit == world.units["semarang_tengah"]
    assert first.eta_seconds > 0 and first.distance_m > 0
    assert first.reasons[0].startswith("R2") and "menit" in first.reasons[0]
    assert "unit Polsek Semarang Tengah" in first.reasons
    assert "fungsi Samapta (fungsi utama kejadian)" in first.reasons
    assert "belum ada laporan posisi: dihitung dari pangkalan" in first.reasons
    assert first.from_home and not first.stale and first.pull_from is None
    for r in recs:
        assert r.reasons and all(isinstance(x, str) and x for x in r.reasons)
    assert [r.score for r in recs] == sorted(r.score for r in recs)


def test_the_nearest_unit_by_reported_position_comes_first(world):
    incident = make_incident(world, at=BULU_LOR, category="TAWURAN", priority=2)
    utara = world.units["semarang_utara"]
    put_at(utara, BULU_LOR[0] + 0.002, BULU_LOR[1])  # ≈ 220 m away
    recs = recommend(incident)
    assert recs[0].unit == utara
    assert recs[0].reasons[0].startswith("R2 terdekat, ±1 menit")
    assert not recs[0].from_home and not any("pangkalan" in x for x in recs[0].reasons)


def test_own_polsek_and_lead_function_are_preferred_at_equal_distance(world):
    incident = make_incident(world, category="TAWURAN", priority=2)  # Miroto, Semarang Tengah, Sat Samapta
    here = (-6.975, 110.41)
    utara_samapta = extra_unit(world, "UTARA-SAMAPTA-R2", polsek="semarang_utara", fungsi="SAT_SAMAPTA", home=here)
    tengah_lantas = extra_unit(world, "TENGAH-LANTAS-R2", polsek="semarang_tengah", fungsi="SAT_LANTAS", home=here)
    tengah_samapta = extra_unit(world, "TENGAH-SAMAPTA-R2", polsek="semarang_tengah", fungsi="SAT_SAMAPTA", home=here)
    recs = recommend(incident, limit=10)
    order = callsigns(recs)
    assert order.index(tengah_samapta.callsign) < order.index(tengah_lantas.callsign)
    assert order.index(tengah_samapta.callsign) < order.index(utara_samapta.callsign)
    by = {r.unit.callsign: r for r in recs}
    assert by[tengah_samapta.callsign].eta_seconds == by[utara_samapta.callsign].eta_seconds
    assert "unit Polsek Semarang Utara (di luar Polsek kejadian)" in by[utara_samapta.callsign].reasons
    assert "fungsi Lantas" in by[tengah_lantas.callsign].reasons


def test_a_much_faster_unit_of_another_polsek_still_wins(world):
    incident = make_incident(world, at=BRUMBUNGAN, category="TAWURAN", priority=2)
    utara = put_at(world.units["semarang_utara"], BRUMBUNGAN[0], BRUMBUNGAN[1] + 0.001)
    put_at(world.units["semarang_tengah"], -6.999, 110.401)  # the Tengah unit at the far corner
    assert recommend(incident)[0].unit == utara


def test_stale_inactive_busy_and_unavailable_units_are_skipped(world):
    incident = make_incident(world, category="TAWURAN", priority=2)
    tengah, utara, reskrim = (world.units[k] for k in ("semarang_tengah", "semarang_utara", "reskrim"))
    put_at(tengah, -6.98, 110.412, minutes_ago=45)  # stale
    update_patrol_unit(None, reskrim, channel=Channel.SYSTEM, aktif=False)
    assert callsigns(recommend(incident)) == [utara.callsign]

    set_unit_status(None, utara, UnitStatus.TIDAK_TERSEDIA, channel=Channel.SYSTEM)
    assert recommend(incident) == []

    # stale units on request: after every fresh one, flagged, with the reason
    recs = recommend(incident, include_stale=True)
    assert callsigns(recs) == [tengah.callsign]
    assert recs[0].stale and any(x.startswith("posisi usang (45 menit lalu)") for x in recs[0].reasons)


def test_a_busy_unit_is_skipped(world):
    other = make_incident(world, at=BRUMBUNGAN, category="CURAT", priority=3, text="rumah dibobol kemarin")
    dispatch_unit(None, other, world.units["semarang_tengah"], channel=Channel.SYSTEM)
    incident = make_incident(world, category="TAWURAN", priority=2)
    assert world.units["semarang_tengah"].callsign not in callsigns(recommend(incident))


def test_for_a_priority_1_incident_a_unit_on_a_p3_task_is_proposed_with_its_task(world):
    p3 = make_incident(world, at=BRUMBUNGAN, category="CURAT", priority=3, text="rumah dibobol kemarin")
    tengah = world.units["semarang_tengah"]
    a = dispatch_unit(None, p3, tengah, channel=Channel.SYSTEM)
    advance_assignment(None, a, "tiba", channel=Channel.SYSTEM)
    p1 = make_incident(world, category="CURAS", priority=1, text="begal bawa celurit, pelaku masih di lokasi")
    recs = recommend(p1, limit=10)
    pulled = [r for r in recs if r.unit == tengah]
    assert len(pulled) == 1 and pulled[0].pull_from is not None
    assert pulled[0].pull_from.pk == a.pk
    assert f"ditarik dari tugas P3 {p3.number} (Pencurian dengan pemberatan)" in pulled[0].reasons
    # free units stay ahead of the same ETA; a P2 incident is not offered the busy unit at all
    p2 = make_incident(world, category="TAWURAN", priority=2)
    assert tengah.callsign not in callsigns(recommend(p2, limit=10))


def test_a_unit_on_a_p2_task_is_not_proposed_for_pulling(world):
    p2 = make_incident(world, at=BRUMBUNGAN, category="CURAT", priority=2)
    dispatch_unit(None, p2, world.units["semarang_tengah"], channel=Channel.SYSTEM)
    p1 = make_incident(world, category="CURAS", priority=1, text="begal bawa celurit")
    assert world.units["semarang_tengah"].callsign not in callsigns(recommend(p1, limit=10))


def test_an_incident_without_a_point_uses_its_kelurahan(world):
    from k3i.incidents.actions import create_incident

    incident, _ = create_incident(world.user("operator"), polres=world.polres, channel="110", text="ada tawuran",
                                  kelurahan=world.kelurahan["Miroto"], category="TAWURAN", priority=2,
                                  audit_channel=Channel.WEB)
    recs = recommend(incident)
    assert recs and all("lokasi kejadian diperkirakan dari titik tengah kelurahan" in r.reasons for r in recs)


# --- the router interface ---------------------------------------------------------------------------


def test_distance_router_rush_hour_slows_cars_more_than_motorbikes():
    router = DistanceRouter()
    a, b = (-6.98, 110.41), (-6.95, 110.43)
    rush = datetime(2026, 5, 4, 7, 30, tzinfo=WIB)
    midday = datetime(2026, 5, 4, 11, 0, tzinfo=WIB)
    r4_rush, dist = router.eta_seconds(*a, *b, "R4", rush)
    r4_mid, dist2 = router.eta_seconds(*a, *b, "R4", midday)
    r2_rush, _ = router.eta_seconds(*a, *b, "R2", rush)
    assert dist == dist2 and 3500 < dist < 6000  # ≈ 4 km straight line × detour
    assert r4_rush > r4_mid
    assert r2_rush < r4_rush
    secs, metres = router.eta_many(np.array([a[0], a[0]]), np.array([a[1], a[1]]), *b, np.array(["R2", "R4"]), rush)
    assert secs[0] == pytest.approx(r2_rush) and secs[1] == pytest.approx(r4_rush) and metres[0] == dist


class _FakeOSRM(BaseHTTPRequestHandler):
    calls: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _FakeOSRM.calls.append(self.path)
        if self.path.startswith("/route/v1/driving/"):
            body: dict[str, Any] = {"code": "Ok", "routes": [{"duration": 600.0, "distance": 7000.0}]}
        elif self.path.startswith("/table/v1/driving/"):
            n = self.path.split("sources=")[1].split("&")[0].count(";") + 1
            body = {"code": "Ok", "durations": [[100.0 * (k + 1)] for k in range(n)],
                    "distances": [[1000.0 * (k + 1)] for k in range(n)]}
        else:
            body = {"code": "InvalidUrl"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Keep the fake server quiet in the test output."""


@pytest.fixture
def fake_osrm():
    server = HTTPServer(("127.0.0.1", 0), _FakeOSRM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _FakeOSRM.calls = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_osrm_router_uses_the_engine_and_scales_by_type_and_hour(fake_osrm):
    router = OSRMRouter(fake_osrm, timeout=2)
    midday = datetime(2026, 5, 4, 11, 0, tzinfo=WIB)
    assert router.eta_seconds(-6.98, 110.41, -6.95, 110.43, "R4", midday) == (600.0, 7000.0)
    assert _FakeOSRM.calls[0].startswith("/route/v1/driving/110.410000,-6.980000;110.430000,-6.950000")
    rush = datetime(2026, 5, 4, 17, 0, tzinfo=WIB)
    assert router.eta_seconds(-6.98, 110.41, -6.95, 110.43, "R4", rush)[0] > 600.0
    # walking is not a driving route: the distance estimate
    assert router.eta_seconds(-6.98, 110.41, -6.95, 110.43, "kaki", midday) == \
        DistanceRouter().eta_seconds(-6.98, 110.41, -6.95, 110.43, "kaki", midday)


def test_recommendation_with_osrm_configured(world, settings, fake_osrm):
    settings.K3I_ROUTER_URL = fake_osrm
    assert isinstance(get_router(), OSRMRouter)
    incident = make_incident(world, category="TAWURAN", priority=2)
    recs = recommend(incident)
    assert any(c.startswith("/table/v1/driving/") for c in _FakeOSRM.calls)
    assert {r.distance_m for r in recs} <= {1000, 2000, 3000}


def test_osrm_down_falls_back_to_the_distance_estimate(world):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    router = OSRMRouter(f"http://127.0.0.1:{port}", timeout=0.2)
    when = datetime(2026, 5, 4, 11, 0, tzinfo=WIB)
    expected = DistanceRouter().eta_seconds(-6.98, 110.41, -6.95, 110.43, "R2", when)
    assert router.eta_seconds(-6.98, 110.41, -6.95, 110.43, "R2", when) == expected
    incident = make_incident(world, category="TAWURAN", priority=2)
    assert recommend(incident, router=router)[0].unit == world.units["semarang_tengah"]


# --- over HTTP ---------------------------------------------------------------------------------------

# user → status of GET /incidents/{Miroto}/recommendations (200: with the units they may see)
ACCESS = {
    "operator": 200, "kabagops": 200, "kapolres": 200, "operator_semarang_tengah": 200,
    "kapolsek_semarang_tengah": 200, "anggota_semarang_tengah": 200, "bhabin_miroto": 200, "analis": 200,
    "operator_semarang_utara": 404, "kapolsek_semarang_utara": 404, "anggota_semarang_utara": 404,
    "admin": 404,  # the system admin does not see incidents
}


@pytest.mark.parametrize(("username", "status"), sorted(ACCESS.items()))
def test_recommendations_over_http_by_role_and_territory(world, login, username, status):
    incident = make_incident(world, category="TAWURAN", priority=2)
    r = login(username).get(f"/api/v1/incidents/{incident.pk}/recommendations")
    if status != 200:
        assert_error(r, status)
        return
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["incident_id"] == incident.pk and body["priority"] == 2
    visible = set(PatrolUnit.objects.restrict(world.user(username), "view").values_list("callsign", flat=True))
    got = [i["unit"]["callsign"] for i in body["items"]]
    assert set(got) <= visible
    for item in body["items"]:
        assert item["reasons"] and item["eta_minutes"] >= 1 and item["unit"]["status"] == "tersedia"
    if username == "operator_semarang_tengah":
        assert got == [world.units["semarang_tengah"].callsign]


def test_recommendations_pull_proposal_over_http(world, login):
    p3 = make_incident(world, at=BRUMBUNGAN, category="CURAT", priority=3)
    a = dispatch_unit(None, p3, world.units["semarang_tengah"], channel=Channel.SYSTEM)
    p1 = make_incident(world, category="CURAS", priority=1, text="begal bawa celurit")
    body = login("operator").get(f"/api/v1/incidents/{p1.pk}/recommendations?limit=10").json()
    pulls = [i for i in body["items"] if i["pull_from"]]
    assert len(pulls) == 1
    assert pulls[0]["pull_from"] == {"assignment_id": a.pk, "incident_id": p3.pk, "incident_number": p3.number,
                                     "priority": 3, "category": "CURAT"}
    assert_error(login("operator").get(f"/api/v1/incidents/{p1.pk}/recommendations?limit=0"), 422, "limit")
    assert_error(login("operator").get("/api/v1/incidents/999999/recommendations"), 404)
