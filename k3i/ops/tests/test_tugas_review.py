"""The officer's phone (/tugas/) after the user review, through HTTP: "Selesai dinas" kept apart from the task
(secondary, a second tap in room.js) and its refusal in plain words; the task's last step "Selesai di TKP"; a map
link for any phone next to the ``geo:`` one; "Tugas unit" for the desk roles; live alerts that name their
incident ("Kejadian lain:" on another incident's page)."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from typing import Any

from django.urls import reverse
from django.utils import timezone

from k3i.core.audit import Channel
from k3i.dispatch.actions import advance_assignment, dispatch_unit, sign_on
from k3i.dispatch.models import Assignment, UnitCrew

TUGAS = "/tugas/"
OFFICER = "anggota_semarang_tengah"


class Tags(HTMLParser):
    """Every element with its attributes and its own text (enough for these pages' buttons and links)."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict[str, Any]] = []
        self._open: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        item = {"tag": tag, "attrs": {k: v or "" for k, v in attrs}, "text": "", "pos": len(self.items)}
        self.items.append(item)
        if tag not in ("input", "br", "img", "meta", "link"):
            self._open.append(item)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i]["tag"] == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for item in self._open:
            item["text"] += data


def tags(html: str) -> list[dict[str, Any]]:
    p = Tags()
    p.feed(html)
    return p.items


def text(item: dict[str, Any]) -> str:
    return " ".join(item["text"].split())


def step_buttons(html: str) -> dict[str, str]:
    """{step: button text} of the step forms ``form[data-step-form][data-step=…]`` (what the browser checks click)."""
    items = tags(html)
    out = {}
    for i, form in enumerate(items):
        if form["tag"] == "form" and "data-step-form" in form["attrs"]:
            button = next(b for b in items[i:] if b["tag"] == "button")
            out[form["attrs"]["data-step"]] = text(button)
    return out


def signed_on_with_task(world: Any, incident: Any, login: Any) -> tuple[Any, Assignment]:
    officer = world.user(OFFICER)
    unit = world.units["semarang_tengah"]
    sign_on(officer, unit, channel=Channel.WEB)
    a = dispatch_unit(world.user("operator"), incident, unit, channel=Channel.WEB, override_reason="uji")
    return login(OFFICER), a


# --- 2. "Selesai dinas" and "Selesai di TKP" -------------------------------------------------------------------


def test_the_task_ends_with_selesai_di_tkp_not_selesai(world, incidents, login):
    c, a = signed_on_with_task(world, incidents["miroto"], login)
    c.post(reverse("ops:penugasan_status", args=[a.pk]), {"status": "tiba", "next": "tugas"})
    html = c.get(TUGAS).content.decode()

    buttons = step_buttons(html)
    assert buttons == {"selesai": "Selesai di TKP"}
    assert 'data-step="selesai" data-label="Selesai di TKP"' in html  # the phone's notices name it so too
    # only the button on /tugas/: the step keeps its name (the status, the incident page, the API)
    assert str(Assignment.Status.SELESAI.label) == "Selesai"
    desk = login("operator").get(reverse("ops:kejadian", args=[a.incident_id])).content.decode()
    assert "Selesai di TKP" not in desk
    # the button still finishes the task (no JavaScript: the form posts)
    r = c.post(reverse("ops:penugasan_status", args=[a.pk]), {"status": "selesai", "next": "tugas"}, follow=True)
    a.refresh_from_db()
    assert a.status == Assignment.Status.SELESAI and r.redirect_chain == [(TUGAS, 302)]


def test_selesai_dinas_is_a_small_button_below_the_task_asking_for_a_second_tap(world, incidents, login):
    c, a = signed_on_with_task(world, incidents["miroto"], login)
    html = c.get(TUGAS).content.decode()
    items = tags(html)

    signoff = [t for t in items if "data-crew-signoff" in t["attrs"]]
    assert len(signoff) == 1
    button = signoff[0]
    assert button["tag"] == "button" and text(button) == "Selesai dinas"
    classes = button["attrs"]["class"].split()
    assert "btn-huge" not in classes and "btn-quiet" in classes  # not the size of the task's buttons
    assert button["attrs"]["data-confirm"] == "Yakin selesai dinas? Ketuk lagi"  # room.js: the second tap
    # below the task and its step buttons, in its own section, not in the unit's card above the task
    last_step = max(t["pos"] for t in items if "data-step-form" in t["attrs"])
    assert button["pos"] > last_step
    crew_card = next(t for t in items if "data-crew-unit-id" in t["attrs"])
    assert "Selesai dinas" not in text(crew_card)
    assert "bukan menyelesaikan tugas" in html
    # its form still posts without JavaScript: one tap ends the shift of a free unit
    advance_assignment(world.user("operator"), a, "dibatalkan", channel=Channel.WEB)
    r = c.post(TUGAS, {"aksi": "keluar", "unit": world.units["semarang_tengah"].pk}, follow=True)
    assert "selesai." in r.content.decode() and UnitCrew.objects.get().signed_off_at is not None


def test_refused_sign_off_says_why_in_plain_words(world, incidents, login):
    c, _a = signed_on_with_task(world, incidents["miroto"], login)
    unit = world.units["semarang_tengah"]

    html = unescape(c.post(TUGAS, {"aksi": "keluar", "unit": unit.pk}, follow=True).content.decode())

    number = incidents["miroto"].number
    assert (f"Unit {unit.callsign} masih bertugas pada {number} dan Anda awak terakhirnya: selesaikan tugas itu "
            "dulu, atau minta operator mengakhiri dinas Anda.") in html
    assert "(unit masih memiliki penugasan aktif)" not in html and "penugasan aktif" not in html
    assert UnitCrew.objects.get().signed_off_at is None


# --- 3. two map links -----------------------------------------------------------------------------------------


def map_links(html: str) -> dict[str, dict[str, Any]]:
    return {
        ("app" if "data-map-app" in t["attrs"] else "web"): t
        for t in tags(html) if t["tag"] == "a" and ({"data-map-app", "data-map-web"} & set(t["attrs"]))
    }


def test_the_task_has_a_geo_link_and_a_web_map_link_with_the_incident_point(world, incidents, login):
    incident = incidents["miroto"]  # reported at -6.98, 110.41
    c, _a = signed_on_with_task(world, incident, login)
    html = c.get(TUGAS).content.decode()

    links = map_links(html)
    assert text(links["app"]) == "Buka lokasi di aplikasi peta"
    assert links["app"]["attrs"]["href"] == f"geo:-6.980000,110.410000?q=-6.980000,110.410000({incident.number})"
    web = links["web"]
    assert text(web) == "Buka di peta web"
    assert web["attrs"]["href"] == ("https://www.openstreetmap.org/?mlat=-6.980000&mlon=110.410000"
                                    "#map=18/-6.980000/110.410000")
    assert web["attrs"]["target"] == "_blank" and "noopener" in web["attrs"]["rel"]
    assert "btn-map" not in web["attrs"].get("class", "")  # the second, smaller link
    # a link the officer follows; the page itself loads nothing from outside
    assert not re.search(r'(src|href)="https?://(?!www\.openstreetmap\.org/\?mlat)', html)


def test_an_incident_known_only_by_kelurahan_links_to_its_centre(world, login):
    from k3i.incidents.actions import create_incident

    miroto = world.kelurahan["Miroto"]
    incident, _ = create_incident(world.user("operator"), polres=world.polres, channel="110",
                                  text="ada orang pingsan di gang", kelurahan=miroto, audit_channel="web")
    assert incident.lat is None
    c, _a = signed_on_with_task(world, incident, login)

    links = map_links(c.get(TUGAS).content.decode())

    lat, lon = f"{miroto.lat:.6f}", f"{miroto.lon:.6f}"
    assert links["app"]["attrs"]["href"].startswith(f"geo:{lat},{lon}?")
    assert links["web"]["attrs"]["href"] == f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def test_no_map_links_without_a_place(world, login):
    from k3i.incidents.actions import create_incident

    incident, _ = create_incident(None, polres=world.polres, channel="web", text="ada kebakaran rumah, api besar",
                                  audit_channel="web")
    c, _a = signed_on_with_task(world, incident, login)
    html = c.get(TUGAS).content.decode()
    assert incident.number in html and map_links(html) == {}


# --- 4. the title per role -------------------------------------------------------------------------------------


def head(html: str) -> tuple[str, str, str]:
    items = tags(html)
    title = text(next(t for t in items if t["tag"] == "title"))
    h1 = text(next(t for t in items if t["tag"] == "h1"))
    section = next(t for t in items if t["tag"] == "section" and "page-head" in t["attrs"].get("class", ""))
    eyebrow = text(next(t for t in items[section["pos"]:] if "eyebrow" in t["attrs"].get("class", "")))
    return title, h1, eyebrow


def test_the_officer_sees_tugas_saya(world, incidents, login):
    c, _a = signed_on_with_task(world, incidents["miroto"], login)
    html = c.get(TUGAS).content.decode()
    title, h1, eyebrow = head(html)
    assert title.startswith("Tugas saya") and h1 == "Tugas saya" and eyebrow == "Petugas patroli"
    assert "data-tugas-desk" not in html and "atas nama unit" not in html


def test_a_kapolsek_sees_tugas_unit_of_their_polsek_and_acts_as_the_desk(world, incidents, login):
    unit = world.units["semarang_tengah"]
    a = dispatch_unit(world.user("operator"), incidents["miroto"], unit, channel=Channel.WEB, override_reason="uji")
    c = login("kapolsek_semarang_tengah")
    html = c.get(TUGAS).content.decode()

    title, h1, eyebrow = head(html)
    assert title.startswith("Tugas unit") and h1 == "Tugas unit"
    assert eyebrow == "Unit Polsek Semarang Tengah"
    assert "Tugas saya" not in title and "Petugas patroli" not in html
    note = text(next(t for t in tags(html) if "data-tugas-desk" in t["attrs"]))
    assert note.startswith("Anda menekan atas nama unit.") and "Sebagai Kapolsek" in note
    # the desk keeps its step buttons, and they work
    assert step_buttons(html) == {"diterima": "Terima tugas", "menuju": "Menuju TKP", "tiba": "Tiba di TKP"}
    c.post(reverse("ops:penugasan_status", args=[a.pk]), {"status": "diterima", "next": "tugas"})
    a.refresh_from_db()
    assert a.status == Assignment.Status.DITERIMA
    assert "data-crew-signoff" not in html  # no shift to end


def test_polres_desks_name_the_polres_and_their_functions(world, login):
    assert head(login("operator").get(TUGAS).content.decode())[1:] == ("Tugas unit", "Unit Polrestabes Uji")
    assert head(login("kasat_reskrim").get(TUGAS).content.decode())[2] == "Unit Polrestabes Uji · Sat Reskrim"


def test_tugas_unit_in_english(world, login):
    c = login("kapolsek_semarang_tengah")
    c.post(reverse("set_language"), {"language": "en", "next": "/"})
    title, h1, eyebrow = head(c.get(TUGAS).content.decode())
    assert h1 == "Unit tasks" and eyebrow == "Units of Polsek Semarang Tengah"


# --- 1. live alerts name their incident ------------------------------------------------------------------------


def alert_box(html: str) -> dict[str, str]:
    return dict(next(t for t in tags(html) if "data-live-alerts" in t["attrs"])["attrs"])


def test_alerts_know_the_open_incident_and_can_name_any_other(world, incidents, login):
    """room.js ``setupAlerts``: the event gives the number and the codes, the incident API the names; on an
    incident page the box names the open incident, so an alert about another one reads "Kejadian lain:"."""
    from k3i.core.events import events_for, latest_id
    from k3i.incidents import sla

    here, other = incidents["brumbungan"], incidents["miroto"]
    c = login("kapolsek_semarang_tengah")
    page = alert_box(c.get(reverse("ops:kejadian", args=[here.pk])).content.decode())
    assert page["data-current-incident"] == str(here.pk)
    assert page["data-label-other"] == "Kejadian lain:" and page["data-label-this"] == "Kejadian ini:"
    queues = alert_box(c.get(reverse("ops:antrian")).content.decode())
    assert "data-current-incident" not in queues  # the queues are about every incident

    start = latest_id()
    sla.escalate_overdue(now=timezone.now() + timedelta(hours=2))
    alerts = [e.payload for e in events_for(world.user("kapolsek_semarang_tengah"), start)
              if e.kind in ("kejadian.eskalasi", "sla.terlewati")]
    about = next(p for p in alerts if p["id"] == other.pk)
    assert about["number"] == other.number and about["category"] == other.category and about["pesan"]
    # what the script asks for the names, with the page's session
    api = page["data-incident-api"]
    detail = c.get(re.sub(r"/0$", f"/{other.pk}", api), HTTP_ACCEPT="application/json").json()
    assert detail["number"] == other.number and detail["category_label"]
    assert detail["kelurahan"]["nama"] == other.kelurahan.nama
