"""Access, exposure and backdating guards around the call & command centre (written as a security review of the
late-step, landing, alert, crew and timeline changes), through actions and HTTP:

1. ``device_time`` on assignment steps: bounded by the assignment's earlier steps, now and one day — and, for a
   patrol officer, by the moment they signed on to the unit (a phone shows a unit's task only after that).
2. The login landing: ``next`` never leaves the site, whatever its spelling.
3. Alerts fetch ``GET /api/v1/incidents/{id}``: out of scope is a 404.
4. ``/tugas/`` for desk roles: only the units of their territory and function.
5. The timeline's names: the account that acted, never one of another Polres that holds the username now.
6. Crew names in recommendations: only of the units the user may send.
7. The demo roll call's crew accounts: demo mode only; a Mapolres crew account no wider than its function.
8. Idempotency conflicts: the 409 says nothing of another sender's report.
9. The 404 page and the address warning: nothing about what lies outside the scope, nothing unescaped.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from k3i.accounts.models import User
from k3i.core.audit import Channel
from k3i.core.models import AuditEntry
from k3i.dispatch.actions import dispatch_unit, sign_on
from k3i.dispatch.models import Assignment, PatrolUnit
from k3i.dispatch.tests.helpers import BULU_LOR, make_incident, post
from k3i.incidents.actions import create_incident
from k3i.testing import PASSWORD

from .neighbour import add_neighbour

TENGAH = "semarang_tengah"


def dispatched_minutes_ago(world, minutes: float, unit_key: str = TENGAH, *, at=None, reason: str = ""):
    with time_machine.travel(timezone.now() - timedelta(minutes=minutes), tick=False):
        incident = make_incident(world, **({"at": at} if at else {}))
        a = dispatch_unit(world.user("operator"), incident, world.units[unit_key], channel=Channel.API,
                          override_reason=reason or "uji")
    return incident, a


# --- 1. device_time ----------------------------------------------------------------------------------------


def test_an_officer_cannot_record_arrival_before_the_dispatch_or_the_report(world, login):
    sign_on(world.user("anggota_semarang_tengah"), world.units[TENGAH], channel=Channel.WEB)
    incident, a = dispatched_minutes_ago(world, 30)
    c = login("anggota_semarang_tengah")
    pressed = timezone.now() - timedelta(hours=20)  # within the day, long before the report
    r = post(c, f"/api/v1/dispatches/{a.pk}/status", {"status": "tiba", "device_time": pressed.isoformat()})
    assert r.status_code == 200, r.content
    a.refresh_from_db()
    incident.refresh_from_db()
    assert a.arrived_at >= a.assigned_at >= incident.created_at
    assert incident.arrived_at == a.arrived_at
    entry = AuditEntry.objects.filter(action="penugasan.status", object_id=str(a.pk)).order_by("-id").first()
    assert entry is not None and entry.changes["waktu_perangkat"] == pressed.isoformat()
    assert entry.changes["waktu_dicatat"] == a.arrived_at.isoformat()


def test_an_officer_cannot_record_a_step_pressed_before_they_signed_on_to_the_unit(world, login):
    """The phone shows a unit's task only once its officer has signed on to it: a press "made" before that
    sign-on cannot have happened on their phone. Dispatched 30 min ago, the officer signs on now and
    reports 'tiba' pressed 25 min ago — the arrival must not precede the sign-on (else a relief officer
    can give the incident any arrival time back to the dispatch)."""
    incident, a = dispatched_minutes_ago(world, 30)
    officer = world.user("anggota_semarang_tengah")
    crew = sign_on(officer, world.units[TENGAH], channel=Channel.WEB)  # signs on now
    c = login("anggota_semarang_tengah")
    pressed = timezone.now() - timedelta(minutes=25)
    r = post(c, f"/api/v1/dispatches/{a.pk}/status", {"status": "tiba", "device_time": pressed.isoformat()})
    if r.status_code == 200:
        a.refresh_from_db()
        incident.refresh_from_db()
        assert a.arrived_at >= crew.signed_on_at, (a.arrived_at, crew.signed_on_at)
        assert incident.arrived_at >= crew.signed_on_at
    else:
        assert r.status_code == 422 and "device_time" in r.content.decode()


def test_the_page_form_is_bounded_like_the_api(world, login):
    sign_on(world.user("anggota_semarang_tengah"), world.units[TENGAH], channel=Channel.WEB)
    incident, a = dispatched_minutes_ago(world, 10)
    c = login("anggota_semarang_tengah")
    r = c.post(f"/ops/penugasan/{a.pk}/status", {"status": "tiba", "next": "tugas",
                                                 "device_time": (timezone.now() - timedelta(days=2)).isoformat()})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.status == "ditugaskan" and a.arrived_at is None  # refused, nothing written


# --- 2. the login landing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("nxt", [
    "//jahat.example/", "/\\jahat.example", "\\\\jahat.example", "https:jahat.example", "https:/jahat.example",
    "/%2F%2Fjahat.example", "%2F%2Fjahat.example", "http://testserver@jahat.example/", "javascript:alert(1)",
    " //jahat.example", "\t//jahat.example", "/\t/jahat.example", "///jahat.example", "https://jahat.example",
])
def test_next_never_leaves_the_site(world, nxt):
    c = Client()
    r = c.post("/akun/masuk/", {"username": "anggota_semarang_tengah", "password": PASSWORD, "next": nxt})
    assert r.status_code == 302
    loc = r["Location"]
    # as a browser resolves it (backslashes and tabs as WHATWG URL parsing treats them)
    target = urlsplit(urljoin("http://testserver/akun/masuk/", loc.replace("\\", "/").replace("\t", "")))
    assert target.scheme == "http" and target.netloc == "testserver", loc


# --- 3. alerts: the incident detail behind them ----------------------------------------------------------------


def test_the_alert_lookup_is_404_outside_the_scope(world, incidents, login):
    n = add_neighbour(world)
    theirs, _ = create_incident(None, polres=n["polres"], channel="web",
                                text="pencurian motor di pasar", lat=-7.36, lon=110.49, audit_channel=Channel.WEB)
    c = login("kapolsek_semarang_tengah")
    assert c.get(f"/api/v1/incidents/{incidents['miroto'].pk}").status_code == 200
    for other in (incidents["bulu_lor"], theirs):
        r = c.get(f"/api/v1/incidents/{other.pk}")
        assert r.status_code == 404 and other.text not in r.content.decode()


# --- 4. /tugas/ for desk roles ---------------------------------------------------------------------------------


def test_desk_tugas_lists_only_units_of_their_territory_and_function(world, incidents, login):
    op = world.user("operator")
    a_tengah = dispatch_unit(op, incidents["miroto"], world.units[TENGAH], channel=Channel.WEB, override_reason="uji")
    a_utara = dispatch_unit(op, incidents["bulu_lor"], world.units["semarang_utara"], channel=Channel.WEB,
                            override_reason="uji")
    a_reskrim = dispatch_unit(op, incidents["brumbungan"], world.units["reskrim"], channel=Channel.WEB,
                              override_reason="uji")
    seen = {
        "kapolsek_semarang_tengah": {a_tengah.pk},
        "operator_semarang_utara": {a_utara.pk},
        "kasat_reskrim": {a_reskrim.pk},
        "kabagops": {a_tengah.pk, a_utara.pk, a_reskrim.pk},
    }
    def visible(username, a):
        from k3i.incidents.models import Incident

        return Incident.objects.restrict(world.user(username), "view").filter(pk=a.incident_id).exists()

    for username, mine in seen.items():
        c = login(username)
        html = c.get("/tugas/").content.decode()
        for a in (a_tengah, a_utara, a_reskrim):
            assert (f'data-assignment="{a.pk}"' in html) == (a.pk in mine), (username, a.unit.callsign)
            if a.pk not in mine and not visible(username, a):  # nor press its steps (incident unseen too)
                r = c.post(f"/ops/penugasan/{a.pk}/status", {"status": "menuju", "next": "tugas"})
                assert Assignment.objects.get(pk=a.pk).status == "ditugaskan", (username, r.status_code)


# --- 5. the timeline's names ---------------------------------------------------------------------------------


def test_the_timeline_never_names_a_user_of_another_polres(world, login):
    """A timeline line keeps the username of who acted; the page looks the name up by that username alone.
    When the account has been renamed since (the admin may edit usernames) and the name is taken by an
    account of another Polres, the line must not name that other Polres's member."""
    n = add_neighbour(world)
    incident = make_incident(world)
    a = dispatch_unit(world.user("kapolsek_semarang_tengah"), incident, world.units[TENGAH], channel=Channel.WEB)
    assert a.pk
    old = world.user("kapolsek_semarang_tengah")
    old.username = "kapolsek_tengah_lama"
    old.save(update_fields=["username"])
    User.objects.create_user(username="kapolsek_semarang_tengah", password=PASSWORD, role="kapolsek",
                             polres=n["polres"], lingkup="polsek", scope_polsek=n["polsek"], personel=n["kapolsek"])
    html = login("kapolres").get(reverse("ops:kejadian", args=[incident.pk])).content.decode()
    assert n["kapolsek"].nama not in html  # "Kapolsek Argomulyo", of Polres Salatiga


# --- 6. crew names in recommendations ------------------------------------------------------------------------


def test_a_kapolsek_s_recommendations_name_only_their_own_crews(world, login):
    n = add_neighbour(world)  # signs anggota_semarang_utara on to Utara's unit, and a Salatiga crew
    sign_on(world.user("anggota_semarang_tengah"), world.units[TENGAH], channel=Channel.WEB)
    incident = make_incident(world, at=BULU_LOR)  # in Utara, seen by the Polres desk
    near = make_incident(world)  # in Miroto (Tengah)
    c = login("kapolsek_semarang_tengah")
    body = c.get(f"/api/v1/incidents/{near.pk}/recommendations").content.decode()
    assert "Anggota Semarang Tengah" in body
    assert "Anggota Semarang Utara" not in body and n["anggota"].nama not in body
    html = c.get(reverse("ops:kejadian", args=[near.pk])).content.decode()
    assert "Anggota Semarang Utara" not in html and n["anggota"].nama not in html
    assert c.get(f"/api/v1/incidents/{incident.pk}/recommendations").status_code == 404


# --- 7. the demo roll call's crew accounts ----------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_crew_accounts_log_in_only_in_demo_mode():
    from k3i.demo.loader import load_demo
    from k3i.demo.plan import DEMO_PASSWORD

    load_demo("salatiga")
    crew = User.objects.filter(username__startswith="awak-").order_by("username").first()
    assert crew is not None and crew.is_demo
    with override_settings(DEMO_MODE=False):
        c = Client()
        c.post("/akun/masuk/", {"username": crew.username, "password": DEMO_PASSWORD})
        assert "_auth_user_id" not in c.session
    with override_settings(DEMO_MODE=True):
        c = Client()
        c.post("/akun/masuk/", {"username": crew.username, "password": DEMO_PASSWORD})
        assert c.session.get("_auth_user_id") == str(crew.pk)


@pytest.mark.django_db
def test_a_mapolres_crew_account_sees_no_more_than_its_function():
    """A patrol officer (anggota) sees one Polsek (ARCHITECTURE.md: "a Kapolsek or anggota one Polsek"). The
    roll call gives the crews of Mapolres units (no Polsek) a Polres-wide account without a function limit:
    a Sat Lantas rider then sees every unit of every Polsek and function, their crews and their live events.
    Such an account should at least be limited to its own function (as ``kasat_reskrim`` is)."""
    from k3i.demo.loader import load_demo

    load_demo("salatiga")
    wide = []
    for u in User.objects.filter(username__startswith="awak-", personel__polsek__isnull=True).select_related(
            "personel"):
        other = PatrolUnit.objects.restrict(u, "view").exclude(fungsi_id=u.personel.fungsi_id)
        if other.exists():
            wide.append((u.username, u.personel.jabatan, other.count()))
    assert not wide, wide


# --- 8. idempotency conflicts ---------------------------------------------------------------------------------


def test_a_reused_key_tells_another_sender_nothing_of_the_first_report(world, login):
    n = add_neighbour(world)
    first = {"text": "rumah dibobol maling, pelaku kabur ke arah pasar", "lat": -6.98, "lon": 110.41,
             "idempotency_key": "kunci-rahasia-1", "channel": "110"}
    r = post(login("operator"), "/api/v1/incidents", first)
    assert r.status_code == 201, r.content
    number = r.json()["number"]
    answers = []
    for username in ("kapolsek_semarang_tengah", "operator_semarang_utara"):
        c = login(username)
        for text in (first["text"], "teks lain sama sekali"):
            r = post(c, "/api/v1/incidents", {**first, "text": text})
            assert r.status_code == 409, (username, r.status_code)
            answers.append(r.content)
    from k3i.accounts.testing import force_login_verified

    their_op = User.objects.create_user(username="operator_salatiga", password=PASSWORD, role="operator",
                                        polres=n["polres"], lingkup="polres")
    c = force_login_verified(Client(), their_op)
    r = post(c, "/api/v1/incidents", {**first, "lat": -7.36, "lon": 110.49})
    answers.append(r.content)
    assert len(set(answers)) == 1, answers  # the same answer whether the text matches or not
    body = answers[0].decode()
    assert number not in body and "maling" not in body


# --- 9. the 404 page and the address warning -----------------------------------------------------------------


def test_404_is_the_same_for_out_of_scope_and_missing(world, incidents, login):
    c = login("kapolsek_semarang_tengah")
    out = c.get(reverse("ops:kejadian", args=[incidents["bulu_lor"].pk]))
    missing = c.get(reverse("ops:kejadian", args=[10**9]))
    assert out.status_code == missing.status_code == 404
    html = out.content.decode()
    assert incidents["bulu_lor"].number not in html and incidents["bulu_lor"].text not in html

    def body(response) -> str:  # the page without the requested id
        text = response.content.decode().replace(str(incidents["bulu_lor"].pk), "").replace(str(10**9), "")
        return text.split("<main", 1)[-1]

    assert body(out) == body(missing)


def test_the_address_warning_escapes_the_written_address(world, login):
    from k3i.organization.streets import import_streets

    import_streets("nama_jalan,kode_kelurahan,catatan,jenis\nJl. Raya Kaligawe,33.74.02.1002,,\n", actor=None,
                   channel=Channel.SYSTEM)
    incident, _ = create_incident(None, polres=world.polres, channel="web", text="motor saya dicuri",
                                  lat=-6.98, lon=110.41, alamat='Jl. Raya Kaligawe 5 <img src=x onerror=alert(1)>',
                                  audit_channel=Channel.WEB)
    html = login("operator").get(reverse("ops:kejadian", args=[incident.pk])).content.decode()
    assert "data-address-elsewhere" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html

