"""The public pages: report form /lapor/ (no login, CSRF, rate limit, idempotent resubmission) and the
tracking pages /lacak/ and /api/v1/public/track/{code} (status and progress, no personal data)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from k3i.core.models import AuditEntry
from k3i.incidents.actions import confirm_triage, create_incident, link_duplicate
from k3i.incidents.models import Incident


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def form_page(c: Client) -> tuple[str, str]:
    r = c.get("/lapor/")
    assert r.status_code == 200
    html = r.content.decode()
    kunci = re.search(r'name="kunci" value="([0-9a-f]+)"', html)
    assert kunci, html
    return html, kunci.group(1)


def submit(c: Client, **fields: Any):
    data = {"text": "motor saya dicuri di depan warung", "lat": "-6.98", "lon": "110.41", "kelurahan": "",
            "alamat": "", "reporter_name": "Rina", "reporter_phone": "081399998888"}
    data.update(fields)
    return c.post("/lapor/", data={k: v for k, v in data.items() if v is not None})


def test_form_is_public_indonesian_and_phone_friendly(world, client):
    html, kunci = form_page(client)
    assert "Lapor ke polisi" in html and "Kirim laporan" in html
    assert 'name="viewport"' in html and "csrfmiddlewaretoken" in html
    assert "leaflet/leaflet.js" in html and "k3i/lapor.js" in html and "lapor-map-data" in html
    assert "Miroto (Kec. Semarang Tengah)" in html  # kelurahan choice without a pin
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # no CDN
    assert len(kunci) == 32


def test_submit_shows_number_and_tracking_code_at_once(world, client):
    _, kunci = form_page(client)
    r = submit(client, kunci=kunci)
    assert r.status_code == 201, r.content.decode()[:2000]
    inc = Incident.objects.get()
    html = r.content.decode()
    assert inc.number in html and inc.tracking_code in html and f"/lacak/{inc.tracking_code}/" in html
    assert inc.channel == "web" and inc.created_by is None and inc.reporter_phone == "081399998888"
    assert inc.kelurahan == world.kelurahan["Miroto"] and inc.location_confirmed
    assert AuditEntry.objects.get(action="kejadian.dibuat").channel == "web"
    # the same form sent again (reload, double tap): the same report
    again = submit(client, kunci=kunci)
    assert again.status_code == 201 and inc.tracking_code in again.content.decode()
    assert Incident.objects.count() == 1


def test_a_form_sent_again_with_changed_text_keeps_the_first_report_and_offers_a_new_one(world, client):
    _, kunci = form_page(client)
    assert submit(client, kunci=kunci).status_code == 201
    r = submit(client, kunci=kunci, text="motor saya dicuri di depan warung, pelakunya dua orang")
    html = r.content.decode()
    assert r.status_code == 422 and "sudah pernah terkirim" in html and Incident.objects.count() == 1
    fresh = re.search(r'name="kunci" value="([0-9a-f]+)"', html)
    assert fresh and fresh.group(1) != kunci
    again = submit(client, kunci=fresh.group(1), text="motor saya dicuri di depan warung, pelakunya dua orang")
    assert again.status_code == 201 and Incident.objects.count() == 2


def test_kelurahan_choice_and_place_from_text(world, client):
    r = submit(client, lat="", lon="", kelurahan="33.74.02.1001", kunci="a1")
    assert r.status_code == 201
    inc = Incident.objects.get(idempotency_key="a1")
    assert inc.kelurahan == world.kelurahan["Bandarharjo"] and inc.location_source == "kelurahan"
    r = submit(client, lat="", lon="", text="ada tawuran pelajar di kel. bulu lor", kunci="a2")
    assert r.status_code == 201
    inc = Incident.objects.get(idempotency_key="a2")
    assert inc.kelurahan == world.kelurahan["Bulu Lor"] and inc.location_confirmed is False


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": ""}, "wajib"),
        ({"text": "x" * 100_000}, "5000"),
        ({"lat": "-7.36", "lon": "110.49"}, "di luar wilayah hukum"),
        ({"lat": "-6.98", "lon": ""}, "tidak lengkap"),
        ({"lat": "nan", "lon": "110.41"}, ""),
        ({"kelurahan": "33.73.01.1001", "lat": "", "lon": ""}, ""),
        ({"reporter_phone": "12"}, "telepon"),
    ],
)
def test_bad_input_is_shown_in_the_form_and_writes_nothing(world, client, fields, message):
    r = submit(client, kunci="x1", **fields)
    assert r.status_code == 422
    html = r.content.decode()
    assert "errorlist" in html or "alert-error" in html
    assert message.lower() in html.lower()
    assert Incident.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_csrf_is_enforced(world):
    c = Client(enforce_csrf_checks=True)
    r = submit(c, kunci="k")
    assert r.status_code == 403
    assert Incident.objects.count() == 0
    html = c.get("/lapor/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token
    r = submit(c, kunci="k", csrfmiddlewaretoken=token.group(1))
    assert r.status_code == 201


def test_rate_limited_per_ip_with_a_clear_message(world, settings):
    settings.K3I_PUBLIC_REPORTS_PER_HOUR = 3
    c = Client(REMOTE_ADDR="10.1.2.3")
    for i in range(3):
        assert submit(c, kunci=f"r{i}").status_code == 201
    r = submit(c, kunci="r9")
    assert r.status_code == 429
    assert "Terlalu banyak laporan" in r.content.decode() and "110" in r.content.decode()
    assert Incident.objects.count() == 3
    other = Client(REMOTE_ADDR="10.9.9.9")  # another address is not held back
    assert submit(other, kunci="o1").status_code == 201


# --- tracking -----------------------------------------------------------------------------------------


def _report(world) -> Incident:
    inc, _ = create_incident(None, polres=world.polres, channel="web", text="rumah saya dibobol maling tadi malam",
                             lat=-6.98, lon=110.43, reporter_name="Rahasia Pelapor", reporter_phone="081377776666",
                             audit_channel="web")
    return inc


def test_tracking_page_shows_status_and_progress_without_personal_data(world, client):
    inc = _report(world)
    r = client.get(f"/lacak/{inc.tracking_code}/")
    assert r.status_code == 200
    html = r.content.decode()
    assert inc.number in html and "Laporan diterima" in html and "menunggu diperiksa" in html
    for secret in ("Rahasia Pelapor", "081377776666", "dibobol maling"):
        assert secret not in html
    confirm_triage(world.user("operator"), inc, channel="web")
    Incident.objects.filter(pk=inc.pk).update(status="ditugaskan", dispatched_at=timezone.now())
    html = client.get(f"/lacak/{inc.tracking_code.lower()}/").content.decode()
    assert "Petugas sudah ditugaskan" in html


def test_tracking_form_redirects_and_unknown_code_is_a_friendly_404(world, client):
    inc = _report(world)
    r = client.get("/lacak/", {"kode": f" {inc.tracking_code[:5]}-{inc.tracking_code[5:].lower()} "})
    assert r.status_code == 302 and r["Location"] == f"/lacak/{inc.tracking_code}/"
    r = client.get("/lacak/ZZZZZZZZZZ/")
    assert r.status_code == 404 and "tidak kami kenal" in r.content.decode()
    r = client.get("/lacak/", {"kode": "?!"})
    assert r.status_code == 422 and "10 huruf" in r.content.decode()
    assert client.get("/lacak/").status_code == 200


def test_tracking_json_and_merged_reports(world, client):
    main = _report(world)
    dup = _report(world)
    link_duplicate(world.user("operator"), dup, duplicate_of=main, channel="web")
    Incident.objects.filter(pk=main.pk).update(status="ditangani", arrived_at=timezone.now(),
                                               dispatched_at=timezone.now())
    r = client.get(f"/api/v1/public/track/{dup.tracking_code}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["number"] == dup.number and body["merged"] is True and body["status"] == "ditangani"
    assert main.number not in r.content.decode() and main.tracking_code not in r.content.decode()
    assert {s["key"]: s["done"] for s in body["steps"]} == {
        "diterima": True, "diverifikasi": True, "ditugaskan": True, "tiba": True, "selesai": False,
    }
    assert "Rahasia" not in r.content.decode() and "0813" not in r.content.decode()
    r = client.get("/api/v1/public/track/TIDAKADA22")
    assert r.status_code == 404 and r.json()["detail"].startswith("Kode lacak tidak dikenal")
    html = client.get(f"/lacak/{dup.tracking_code}/").content.decode()
    assert "digabung" in html


def test_public_pages_need_no_login_but_work_for_staff_too(world, login):
    assert login("operator").get("/lapor/").status_code == 200
    assert Client().get("/lacak/").status_code == 200
