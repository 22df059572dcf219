"""Likely duplicates (same kind, nearby, minutes apart, open) and linking them, through actions and HTTP."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from k3i.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from k3i.core.models import AuditEntry, LiveEvent
from k3i.incidents.actions import create_incident, link_duplicate
from k3i.incidents.duplicates import likely_duplicates
from k3i.incidents.models import Incident, IncidentLog

TEXT = "ada kebakaran rumah, api membesar"


def make(world, lat: float, lon: float, *, text: str = TEXT, category: str = "KEBAKARAN", minutes_ago: float = 0,
         **kw) -> Incident:
    inc, _ = create_incident(world.user("operator"), polres=world.polres, channel="110", text=text, lat=lat,
                             lon=lon, category=category, audit_channel="web", **kw)
    if minutes_ago:
        Incident.objects.filter(pk=inc.pk).update(created_at=inc.created_at - timedelta(minutes=minutes_ago))
        inc.refresh_from_db()
    return inc


def test_same_kind_nearby_and_recent_are_offered_with_reasons(world):
    main = make(world, -6.980, 110.410, minutes_ago=10)
    near = make(world, -6.981, 110.411)  # ≈ 155 m away
    far = make(world, -6.990, 110.410)  # ≈ 1.1 km away
    other_kind = make(world, -6.980, 110.410, text="motor dicuri", category="CURANMOR")
    old = make(world, -6.980, 110.410, minutes_ago=45)
    found = likely_duplicates(near)
    assert [i for i, _ in found] == [main]
    reasons = found[0][1]
    assert any("jenis sama" in r for r in reasons)
    assert any(r.startswith("berjarak ") and r.endswith(" m") for r in reasons)
    assert any("selisih 10 menit" in r for r in reasons)
    assert far not in [i for i, _ in likely_duplicates(main)]
    assert other_kind not in [i for i, _ in likely_duplicates(main)]
    assert old not in [i for i, _ in likely_duplicates(near)]


def test_window_and_radius_are_configurable(world, settings):
    main = make(world, -6.980, 110.410, minutes_ago=40)
    near = make(world, -6.984, 110.410)  # ≈ 440 m
    assert likely_duplicates(near) == []
    settings.K3I_DUPLICATE_MINUTES = 60
    assert [i for i, _ in likely_duplicates(near)] == [main]
    settings.K3I_DUPLICATE_RADIUS_M = 300
    assert likely_duplicates(near) == []


def test_closed_and_already_linked_reports_are_not_offered(world):
    main = make(world, -6.980, 110.410)
    second = make(world, -6.9805, 110.4105)
    third = make(world, -6.9802, 110.4102)
    link_duplicate(world.user("operator"), second, duplicate_of=main, channel="web")
    assert [i for i, _ in likely_duplicates(third)] == [main]


def test_reports_located_only_by_kelurahan_match_the_same_kelurahan(world):
    main = make(world, -6.98, 110.41)
    by_text, _ = create_incident(None, polres=world.polres, channel="pesan", text=TEXT, category="KEBAKARAN",
                                 kelurahan=world.kelurahan["Miroto"], location_confirmed=False,
                                 reporter_phone="081211112222", audit_channel="api")
    found = likely_duplicates(by_text)
    assert [i for i, _ in found] == [main]
    assert any("kelurahan sama" in r for r in found[0][1])


def test_link_marks_duplicate_logs_audits_and_lifts_to_bagops(world):
    op = world.user("operator")
    kind = {"text": "motor dicuri di depan warung", "category": "CURANMOR"}  # no outside partner: not Bagops alone
    main = make(world, -6.960, 110.419, **kind)  # Semarang Tengah, by the border
    a = make(world, -6.959, 110.419, **kind)  # Semarang Utara, 110 m away
    b = make(world, -6.9605, 110.4195, **kind)
    assert not Incident.objects.get(pk=main.pk).bagops
    events = LiveEvent.objects.count()
    link_duplicate(op, a, duplicate_of=main, channel="web")
    a.refresh_from_db()
    main.refresh_from_db()
    assert a.status == "duplikat" and a.duplicate_of == main and a.closed_at is not None
    assert any("lintas wilayah" in r for r in main.bagops_reasons) and main.bagops
    link_duplicate(op, b, duplicate_of=a, channel="web")  # linking to a duplicate goes to its main
    b.refresh_from_db()
    main.refresh_from_db()
    assert b.duplicate_of == main
    assert any("banyak laporan: 3" in r for r in main.bagops_reasons)
    assert IncidentLog.objects.filter(incident=a, kind="ditautkan").exists()
    assert IncidentLog.objects.filter(incident=main, kind="laporan_tertaut").count() == 2
    entry = AuditEntry.objects.filter(action="kejadian.ditautkan", object_id=str(a.pk)).get()
    assert entry.changes["duplikat_dari"] == main.number and entry.actor_username == "operator"
    assert LiveEvent.objects.count() == events + 4


def test_link_refusals(world):
    op = world.user("operator")
    main = make(world, -6.98, 110.41)
    dup = make(world, -6.9801, 110.4101)
    with pytest.raises(ValidationFailed):
        link_duplicate(op, main, duplicate_of=main, channel="web")
    with pytest.raises(PermissionDenied):
        link_duplicate(world.user("anggota_semarang_tengah"), dup, duplicate_of=main, channel="web")
    with pytest.raises(NotFound):  # the Utara desk does not see Tengah's reports
        link_duplicate(world.user("operator_semarang_utara"), dup, duplicate_of=main, channel="web")
    link_duplicate(op, dup, duplicate_of=main, channel="web")
    with pytest.raises(Conflict):
        link_duplicate(op, dup, duplicate_of=main, channel="web")
    with pytest.raises(ValidationFailed):  # main → its own duplicate resolves to itself
        link_duplicate(op, main, duplicate_of=dup, channel="web")


def test_a_main_report_linked_elsewhere_takes_its_linked_reports_along(world):
    op = world.user("operator")
    first = make(world, -6.98, 110.41)
    second = make(world, -6.9801, 110.4101)
    third = make(world, -6.9802, 110.4102)
    link_duplicate(op, third, duplicate_of=second, channel="web")
    link_duplicate(op, second, duplicate_of=first, channel="web")
    third.refresh_from_db()
    assert third.duplicate_of == first


# --- over HTTP ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "list_status", "link_status"),
    [
        ("operator", 200, 200), ("kabagops", 200, 200), ("kapolsek_semarang_tengah", 200, 200),
        ("operator_semarang_tengah", 200, 200), ("anggota_semarang_tengah", 200, 403), ("spkt", 200, 403),
        ("analis", 200, 403), ("bhabin_miroto", 200, 403),
        ("operator_semarang_utara", 404, 404), ("kapolsek_semarang_utara", 404, 404), ("admin", 404, 404),
    ],
)
def test_duplicates_and_link_routes_by_role(world, login, username, list_status, link_status):
    main = make(world, -6.98, 110.41, minutes_ago=5)
    dup = make(world, -6.9801, 110.4101)
    c = login(username)
    r = c.get(f"/api/v1/incidents/{dup.pk}/duplicates")
    assert r.status_code == list_status, r.content
    if list_status == 200:
        assert [d["incident"]["id"] for d in r.json()] == [main.pk]
        assert r.json()[0]["reasons"]
    r = c.post(f"/api/v1/incidents/{dup.pk}/link", data=json.dumps({"duplicate_of": main.pk}),
               content_type="application/json")
    assert r.status_code == link_status, r.content
    dup.refresh_from_db()
    if link_status == 200:
        assert r.json()["incident"]["status"] == "duplikat" and r.json()["main"]["id"] == main.pk
        assert dup.status == "duplikat"
    else:
        assert dup.status == "baru" and set(r.json()) == {"detail", "errors"}


def test_link_route_bad_input(world, login):
    main = make(world, -6.98, 110.41)
    dup = make(world, -6.9801, 110.4101)
    c = login("operator")
    for body, status in [({}, 422), ({"duplicate_of": "x"}, 422), ({"duplicate_of": 999999}, 404),
                         ({"duplicate_of": dup.pk}, 422)]:
        r = c.post(f"/api/v1/incidents/{dup.pk}/link", data=json.dumps(body), content_type="application/json")
        assert r.status_code == status, (body, r.content)
    assert Incident.objects.get(pk=dup.pk).status == "baru"
    assert main.status == "baru"
