"""A step pressed on the officer's phone without signal and sent later (``device_time``) keeps the moment of
the press: in the assignment's timestamp chain, the incident's arrival (so the SLA's time to arrive) and the
ledger — never before the assignment's earlier steps, never after now; bad device times are refused with a
field error and nothing written. Through the action, the API and the phone page's form."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from k3i.core.audit import Channel
from k3i.core.errors import ValidationFailed
from k3i.core.models import AuditEntry
from k3i.dispatch.actions import advance_assignment, dispatch_unit
from k3i.dispatch.models import Assignment, PatrolUnit, UnitStatus
from k3i.incidents.models import IncidentLog
from k3i.incidents.sla import timers

from .helpers import assert_error, make_incident, post, sign_on_crew

TENGAH = "semarang_tengah"


def dispatched_minutes_ago(world, minutes: float, unit_key: str = TENGAH, *, reason: str = ""):
    """An incident reported and dispatched ``minutes`` ago, the unit's officer signed on before (the clock
    travels back for it)."""
    with time_machine.travel(timezone.now() - timedelta(minutes=minutes), tick=False):
        sign_on_crew(world, unit_key)
        incident = make_incident(world)
        a = dispatch_unit(world.user("operator"), incident, world.units[unit_key], channel=Channel.API,
                          override_reason=reason)
    return incident, a


def crew(world, unit_key: str = TENGAH):
    return world.user(f"anggota_{unit_key}")


def test_a_late_step_keeps_the_time_it_was_pressed(world):
    incident, a = dispatched_minutes_ago(world, 20)
    officer = crew(world)
    now = timezone.now()
    pressed = {"diterima": now - timedelta(minutes=18), "menuju": now - timedelta(minutes=17),
               "tiba": now - timedelta(minutes=9)}
    for step, at in pressed.items():
        advance_assignment(officer, a, step, channel=Channel.API, device_time=at.isoformat())

    a.refresh_from_db()
    incident.refresh_from_db()
    assert (a.accepted_at, a.enroute_at, a.arrived_at) == (pressed["diterima"], pressed["menuju"], pressed["tiba"])
    assert incident.arrived_at == pressed["tiba"] and incident.status == "ditangani"
    arrive = timers(incident)["tiba"]
    assert arrive.seconds is not None and abs(arrive.seconds - 11 * 60) < 5  # reported 20 min ago, arrived 9 min ago: 11 minutes
    entry = AuditEntry.objects.filter(action="penugasan.status").order_by("-id").first()
    assert entry.changes["waktu_perangkat"] == pressed["tiba"].isoformat()
    assert entry.changes["waktu_dicatat"] == pressed["tiba"].isoformat()
    late = IncidentLog.objects.filter(incident=incident, kind="penugasan_tiba").get()
    assert "ditekan" in late.message and "sinyal lemah" in late.message
    assert PatrolUnit.objects.get(pk=a.unit_id).status == UnitStatus.TIBA


def test_a_step_sent_at_once_reads_as_usual(world):
    incident, a = dispatched_minutes_ago(world, 5)
    advance_assignment(world.user("operator"), a, "menuju", channel=Channel.WEB,
                       device_time=(timezone.now() - timedelta(seconds=3)).isoformat())
    assert IncidentLog.objects.get(incident=incident, kind="penugasan_menuju").message.endswith("Menuju TKP")


def test_a_press_before_the_earlier_steps_is_kept_in_order_and_never_in_the_future(world):
    incident, a = dispatched_minutes_ago(world, 10)
    advance_assignment(world.user("operator"), a, "menuju", channel=Channel.WEB)  # by the desk, now
    a.refresh_from_db()
    # the phone's clock is behind: its "tiba" seems pressed before the desk's "menuju" — kept after it
    advance_assignment(crew(world), a, "tiba", channel=Channel.API,
                       device_time=(timezone.now() - timedelta(minutes=30)).isoformat())
    b = Assignment.objects.get(pk=a.pk)
    assert b.arrived_at == b.enroute_at and b.enroute_at >= b.assigned_at
    # a clock a minute ahead (within the allowed skew) is recorded as now, not in the future
    other, c = dispatched_minutes_ago(world, 1, "semarang_utara", reason="uji")
    before = timezone.now()
    advance_assignment(crew(world, "semarang_utara"), c, "menuju", channel=Channel.API,
                       device_time=(timezone.now() + timedelta(seconds=90)).isoformat())
    c.refresh_from_db()
    assert before <= c.enroute_at <= timezone.now()


def test_a_press_counts_from_the_officer_s_sign_on_and_a_desk_s_step_when_it_arrives(world):
    with time_machine.travel(timezone.now() - timedelta(minutes=30), tick=False):
        incident = make_incident(world)
        a = dispatch_unit(world.user("operator"), incident, world.units[TENGAH], channel=Channel.API)
    sign_on_crew(world, TENGAH)  # now: the phone could not show the task before
    advance_assignment(crew(world), a, "menuju", channel=Channel.API,
                       device_time=(timezone.now() - timedelta(minutes=25)).isoformat())
    a.refresh_from_db()
    assert a.enroute_at >= timezone.now() - timedelta(seconds=5)
    # a desk role's device time is kept in the ledger, the step counts when it arrives
    before = timezone.now()
    advance_assignment(world.user("operator"), a, "tiba", channel=Channel.API,
                       device_time=(timezone.now() - timedelta(minutes=20)).isoformat())
    a.refresh_from_db()
    assert a.arrived_at >= before
    entry = AuditEntry.objects.filter(action="penugasan.status").order_by("-id").first()
    assert entry.actor_username == "operator" and "waktu_perangkat" in entry.changes


def test_the_first_arrival_is_the_earliest_press_even_when_it_arrives_last(world):
    incident, a = dispatched_minutes_ago(world, 15)
    op = world.user("operator")
    second = dispatch_unit(op, incident, world.units["semarang_utara"], channel=Channel.API, override_reason="bantuan")
    advance_assignment(op, second, "tiba", channel=Channel.WEB)  # arrives now, sent at once
    early = timezone.now() - timedelta(minutes=6)
    advance_assignment(crew(world), a, "tiba", channel=Channel.API, device_time=early.isoformat())  # pressed 6 min ago
    incident.refresh_from_db()
    assert incident.arrived_at == early


@pytest.mark.parametrize(("device_time", "words"), [
    ("kemarin sore", "ISO-8601"),
    ("2026-05-01T08:30:00", "zona waktu"),
    ("FUTURE", "masa depan"),
    ("OLD", "terlalu lama"),
])
def test_a_bad_device_time_is_refused_and_nothing_written(world, device_time, words):
    incident, a = dispatched_minutes_ago(world, 5)
    if device_time == "FUTURE":
        device_time = (timezone.now() + timedelta(minutes=10)).isoformat()
    elif device_time == "OLD":
        device_time = (timezone.now() - timedelta(days=2)).isoformat()
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        advance_assignment(world.user("operator"), a, "tiba", channel=Channel.API, device_time=device_time)
    assert exc.value.errors[0]["field"] == "device_time" and words in exc.value.detail
    a.refresh_from_db()
    assert a.status == "ditugaskan" and a.arrived_at is None and AuditEntry.objects.count() == entries


def test_the_api_takes_the_press_time(world, login):
    incident, a = dispatched_minutes_ago(world, 12)
    c = login("anggota_semarang_tengah")
    pressed = timezone.now() - timedelta(minutes=4)
    r = post(c, f"/api/v1/dispatches/{a.pk}/status", {"status": "tiba", "device_time": pressed.isoformat()})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "tiba" and parse_datetime(body["arrived_at"]) == pressed.replace(
        microsecond=pressed.microsecond // 1000 * 1000)  # the API gives milliseconds
    # the same step again (a retried send) changes nothing
    again = post(c, f"/api/v1/dispatches/{a.pk}/status", {"status": "tiba",
                                                          "device_time": timezone.now().isoformat()})
    assert again.status_code == 200 and again.json()["arrived_at"] == body["arrived_at"]
    err = assert_error(post(c, f"/api/v1/dispatches/{a.pk}/status", {"status": "selesai", "device_time": "besok"}),
                       422, "device_time")
    assert "ISO-8601" in err["detail"]


def test_the_phone_page_form_takes_the_press_time(world, login):
    incident, a = dispatched_minutes_ago(world, 12)
    c = login("anggota_semarang_tengah")
    pressed = timezone.now() - timedelta(minutes=3)
    r = c.post(f"/ops/penugasan/{a.pk}/status", {"status": "menuju", "next": "tugas",
                                                 "device_time": pressed.isoformat()})
    assert r.status_code == 302
    assert Assignment.objects.get(pk=a.pk).enroute_at == pressed
