"""The incident page and the queues as a user review read them: the closing outcome by its label, one travel
time per recommendation card, a priority without a target said so in the queues, and on a phone the status and
the assignments (with buttons big enough to press) before the recommendations and the closing form.

Through HTTP on the test world (k3i/testing.py) with the ``incidents`` fixture.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import reverse

from k3i.dispatch.actions import dispatch_unit
from k3i.dispatch.recommend import km_text, minutes_text
from k3i.incidents.actions import create_incident

TENGAH = "semarang_tengah"


def page(client, incident) -> str:
    r = client.get(reverse("ops:kejadian", args=[incident.pk]))
    assert r.status_code == 200
    return r.content.decode()


def close(client, incident, hasil: str, note: str) -> None:
    r = client.post(reverse("ops:kejadian_tutup", args=[incident.pk]), {"hasil": hasil, "note": note})
    assert r.status_code == 302
    incident.refresh_from_db()
    assert not incident.is_open


# --- 1. the closing outcome by its label ----------------------------------------------------------------


def test_closed_incident_shows_the_disposition_label_not_its_code(world, incidents, login):
    bulu = incidents["bulu_lor"]
    operator = login("operator")
    close(operator, bulu, "selesai:pelaku_diamankan", "pelaku diserahkan ke Polsek")
    html = page(operator, bulu)
    reopen = re.search(r'id="h-close">Buka kembali</h2>\s*<p[^>]*>(.*?)</p>', html, re.S)
    assert reopen, "the reopen box is missing"
    assert reopen.group(1) == "Ditutup: Selesai · Pelaku diamankan · pelaku diserahkan ke Polsek"
    assert "pelaku_diamankan" not in html
    # the status card says the outcome too, also to a role that may not reopen (no reopen box)
    status = re.search(r'id="h-status".*?</section>', html, re.S).group(0)
    assert "Hasil penanganan: <strong>Pelaku diamankan</strong>" in status
    kapolres = page(login("kapolres"), bulu)
    assert "Buka kembali" not in kapolres
    assert "Hasil penanganan: <strong>Pelaku diamankan</strong>" in kapolres and "pelaku_diamankan" not in kapolres
    # the live refresh of the status card (HTMX) says it as well
    part = operator.get(reverse("ops:kejadian", args=[bulu.pk]), {"bagian": "1"}).content.decode()
    assert "Pelaku diamankan" in part and "pelaku_diamankan" not in part


def test_disposition_label_of_every_closing_status_and_in_english(world, incidents, login):
    operator = login("operator")
    close(operator, incidents["miroto"], "tidak_terbukti:laporan_palsu", "tidak ada kejadian")
    close(operator, incidents["brumbungan"], "dibatalkan:di_luar_wilayah", "diteruskan ke Polres tetangga")
    assert "Ditutup: Tidak terbukti · Laporan palsu / iseng · tidak ada kejadian" in page(operator, incidents["miroto"])
    html = page(operator, incidents["brumbungan"])
    assert "Di luar wilayah hukum (diteruskan)" in html and "di_luar_wilayah" not in html
    operator.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    close(operator, incidents["bulu_lor"], "selesai:pelaku_diamankan", "diamankan")
    html = page(operator, incidents["bulu_lor"])
    assert "Offender detained" in html and "pelaku_diamankan" not in html


# --- 2. one travel time per recommendation card ----------------------------------------------------------


def test_recommendation_header_and_reason_show_the_same_minutes_and_distance(world, incidents, login):
    html = page(login("operator"), incidents["miroto"])
    cards = re.findall(r'<li class="rec[^"]*">(.*?)</li>\s*(?=<li class="rec|</ol>)', html, re.S)
    assert cards, "no recommendation on the page"
    for card in cards:
        eta = int(re.search(r'name="eta" value="(\d+)"', card).group(1))
        header = re.search(r'<span class="rec-eta">(.*?)(?:</span>| · <span)', card, re.S).group(1).strip()
        reason = re.search(r'<ul class="reasons small"><li>([^<]*)</li>', card).group(1)
        minutes, km = header.split(" · ")
        assert minutes == minutes_text(eta) and minutes.startswith("±") and minutes.endswith(" menit")
        assert km.endswith(" km")
        # the reason ("R2 terdekat, ±3 menit (1,1 km)") says the very same minutes and distance
        assert f"{minutes} ({km})" in reason, (header, reason)
        assert "≈" not in header


def test_recommendation_header_uses_the_reason_s_rounding():
    # the functions the header shares with the reason: half a minute up, never below one minute, decimal comma
    assert minutes_text(270) == "±4 menit" and minutes_text(271) == "±5 menit" and minutes_text(10) == "±1 menit"
    assert km_text(1849) == "1,8 km" and km_text(1850) == "1,9 km"


# --- 3. a priority without a target in the queues --------------------------------------------------------


def queue_item(html: str, key: str, incident_id: int) -> str:
    found = re.search(rf'data-queue="{key}".*?(?=<section class="card queue"|\Z)', html, re.S)
    assert found, key
    section = found.group(0)
    m = re.search(rf'<li class="queue-item[^"]*" data-incident-id="{incident_id}">(.*?)</li>\s*(?=<li class="queue-item|</ol>)',
                  section, re.S)
    assert m, f"incident {incident_id} not in queue {key}"
    return m.group(1)


def timer(item: str) -> str:
    m = re.search(r'<span class="queue-timer">(.*?)<span class="muted small">masuk', item, re.S)
    assert m, item
    return m.group(1)


def test_priority_4_says_it_has_no_target_instead_of_a_bare_label(world, incidents, login):
    op = world.user("operator")
    p4, _ = create_incident(op, polres=world.polres, channel="110", text="mau tanya cara membuat SKCK",
                            lat=-6.98, lon=110.41, priority=4, audit_channel="web")
    assert p4.priority == 4
    c = login("operator")
    html = c.get(reverse("ops:antrian")).content.decode()
    item = timer(queue_item(html, "baru", p4.pk))
    assert "data-deadline" not in item
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() == "tanpa target penugasan"
    # a priority with a target keeps its countdown and label
    p1 = timer(queue_item(html, "baru", incidents["miroto"].pk))
    assert "data-deadline" in p1 and "target penugasan" in p1 and "tanpa" not in p1
    # dispatched anyway: the active queue says there is no arrival target either
    dispatch_unit(op, p4, world.units[TENGAH], channel="web", override_reason="unit sedang lewat")
    html = c.get(reverse("ops:antrian"), {"bagian": "1"}).content.decode()
    item = timer(queue_item(html, "aktif", p4.pk))
    assert "data-deadline" not in item and "tanpa target tiba" in item
    # in English
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "no arrival target" in c.get(reverse("ops:antrian")).content.decode()


# --- 5. on a phone: status and assignments first, buttons big enough ----------------------------------------


def test_status_and_assignments_come_before_recommendations_and_closing(world, incidents, login):
    miroto = incidents["miroto"]
    op = world.user("operator")
    dispatch_unit(op, miroto, world.units[TENGAH], channel="web", override_reason="unit Polsek terdekat")
    for username in ("operator", "kapolsek_semarang_tengah"):
        html = page(login(username), miroto)
        at = {h: html.index(f'id="{h}"') for h in ("h-detail", "h-status", "h-assign", "h-rec", "h-close")}
        assert at["h-detail"] < at["h-status"] < at["h-assign"] < at["h-rec"] < at["h-close"], (username, at)
        # the live part (refreshed by HTMX) stays one block, between the report and the work on it
        assert html.count('id="incident-live"') == 1
        assert html.index('id="incident-live"') < at["h-rec"]
        # step buttons and the two folded forms are full-size buttons (no .btn-small)
        steps = re.search(r'<div class="step-buttons">(.*?)</div>', html, re.S).group(1)
        buttons = re.findall(r'<button type="submit" class="([^"]*)"', steps)
        assert buttons and all("btn" in b.split() and "btn-small" not in b for b in buttons), buttons
        summaries = re.findall(r"<summary([^>]*)>", html)
        assert len(summaries) == 2 and all('class="btn btn-secondary"' in s for s in summaries), summaries
