"""Intake hardening: only valid UTF-8 reaches a report (public form, call-taker form, API); a signed
webhook body cannot be replayed into a second incident; webhook errors name the webhook's fields;
recommendation reasons name categories, not codes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from k3i.core.audit import Channel
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import advance_assignment, dispatch_unit
from k3i.dispatch.tests.helpers import BRUMBUNGAN, make_incident
from k3i.incidents import intake
from k3i.incidents.models import Incident, IncidentLog
from k3i.incidents.triage.model import INVALID_ENCODING

SECRET = "rahasia-gateway-uji-fedcba9876543210"
FORM_UTF8 = "Formulir harus dikirim dalam pengodean UTF-8"
FIELD_UTF8 = "Isian ini mengandung karakter yang tidak terbaca"


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def secret(settings):  # type: ignore[no-untyped-def]
    settings.K3I_INTAKE_WEBHOOK_SECRET = SECRET
    return SECRET


def counts() -> tuple[int, int, int, int]:
    return Incident.objects.count(), IncidentLog.objects.count(), AuditEntry.objects.count(), LiveEvent.objects.count()


def raw_post(c: Client, path: str, body: bytes, content_type: str):  # type: ignore[no-untyped-def]
    # ``generic`` sends the bytes as they are (``post`` re-encodes a body with a declared charset).
    return c.generic("POST", path, data=body, content_type=content_type)


def multipart(fields: dict[str, bytes], boundary: str = "K3iBatas") -> bytes:
    out = b""
    for name, value in fields.items():
        out += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").encode() + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def signed(path: str, data: Any, *, client: Client | None = None):  # type: ignore[no-untyped-def]
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return (client or Client()).post(path, data=raw, content_type="application/json",
                                     HTTP_X_K3I_SIGNATURE=intake.sign(raw, SECRET))


def api_error(response, status: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]
    return body


# --- invalid UTF-8 in form posts -----------------------------------------------------------------------


LAPOR_POINT = b"&lat=-6.98&lon=110.41&kelurahan=&alamat=&reporter_name=&reporter_phone="


def test_lapor_urlencoded_invalid_utf8_text_is_refused_on_the_form(world, client):
    before = counts()
    r = raw_post(client, "/lapor/", b"text=ada%20maling%20%FF%FE%20lagi&kunci=u1" + LAPOR_POINT,
                 "application/x-www-form-urlencoded")
    assert r.status_code == 422
    html = r.content.decode()
    assert INVALID_ENCODING in html
    assert 'name="text"' in html  # the form is shown again to correct
    assert counts() == before


def test_lapor_multipart_invalid_utf8_bytes_are_refused(world, client):
    before = counts()
    body = multipart({"text": b"maling \xff\xfe di miroto", "lat": b"-6.98", "lon": b"110.41", "kunci": b"u2"})
    r = raw_post(client, "/lapor/", body, "multipart/form-data; boundary=K3iBatas")
    assert r.status_code == 422
    assert INVALID_ENCODING in r.content.decode()
    assert counts() == before


def test_lapor_post_declaring_another_charset_is_refused(world, client):
    # Declared latin-1, the same bytes would decode to "ÿþ" without any replacement character.
    before = counts()
    body = multipart({"text": b"maling \xff\xfe di miroto", "lat": b"-6.98", "lon": b"110.41", "kunci": b"u3"})
    r = raw_post(client, "/lapor/", body, "multipart/form-data; boundary=K3iBatas; charset=latin-1")
    assert r.status_code == 422
    assert FORM_UTF8 in r.content.decode()
    # url-encoded in another charset: Django itself refuses it (400) before the form is read
    r = raw_post(client, "/lapor/", b"text=maling%20%FF%FE&kunci=u4" + LAPOR_POINT,
                 "application/x-www-form-urlencoded; charset=iso-8859-1")
    assert r.status_code == 400
    assert counts() == before


def test_lapor_invalid_utf8_in_other_fields_is_refused(world, client):
    before = counts()
    r = raw_post(client, "/lapor/", b"text=ada%20maling&alamat=Jl.%20Pemuda%20%C3%28&reporter_name=Rina%FF&kunci=u5"
                 b"&lat=-6.98&lon=110.41&kelurahan=&reporter_phone=", "application/x-www-form-urlencoded")
    assert r.status_code == 422
    assert r.content.decode().count(FIELD_UTF8) == 2  # alamat and reporter_name
    assert counts() == before


def test_lapor_valid_utf8_including_declared_utf8_is_stored_exactly(world, client):
    text = "Maling bawa golok — kabur ke arah pasar Johar 🙏 (café)"
    body = multipart({"text": text.encode(), "lat": b"-6.98", "lon": b"110.41", "kunci": b"u6",
                      "alamat": "Jl. Pemuda № 12".encode()})
    r = raw_post(client, "/lapor/", body, "multipart/form-data; boundary=K3iBatas; charset=UTF-8")
    assert r.status_code == 201, r.content.decode()[:2000]
    inc = Incident.objects.get(idempotency_key="u6")
    assert inc.text == text and inc.alamat == "Jl. Pemuda № 12"


def test_call_taker_form_refuses_invalid_utf8_text(world, login):
    c = login("operator")
    before = counts()
    r = raw_post(c, reverse("ops:terima"), b"lokasi=Brumbungan&text=rumah%20dibobol%20%FF%FE&idempotency_key=t1",
                 "application/x-www-form-urlencoded")
    assert r.status_code == 422
    assert INVALID_ENCODING in r.content.decode()
    assert counts() == before
    # the same call in valid UTF-8 is taken
    r = raw_post(c, reverse("ops:terima"), "lokasi=Brumbungan&text=rumah dibobol – tv hilang&idempotency_key=t2"
                 .encode(), "application/x-www-form-urlencoded")
    assert r.status_code == 302
    assert Incident.objects.get(idempotency_key="t2").text == "rumah dibobol – tv hilang"


def test_api_text_with_replacement_character_is_422(world, login):
    before = counts()
    r = login("operator").post("/api/v1/incidents", data=json.dumps(
        {"text": "maling \ufffd\ufffd di miroto", "channel": "110", "lat": -6.98, "lon": 110.41}),
        content_type="application/json")
    body = api_error(r, 422)
    assert body["errors"] == [{"field": "text", "message": INVALID_ENCODING}]
    assert counts() == before


# --- webhook replay ------------------------------------------------------------------------------------


def test_signed_message_without_message_id_is_refused_in_indonesian(world, secret):
    before = counts()
    body = api_error(signed("/api/v1/intake/messages", {"phone": "081211112222", "text": "ada maling di miroto"}),
                     422)
    assert {"field": "message_id", "message": "wajib diisi"} in body["errors"]
    assert body["detail"] == "Data yang dikirim tidak sah."
    # a blank ID is no ID
    body = api_error(signed("/api/v1/intake/messages", {"phone": "081211112222", "text": "ada maling di miroto",
                                                        "message_id": "   "}), 422)
    assert body["errors"][0]["field"] == "message_id" and "wajib diisi" in body["errors"][0]["message"]
    assert counts() == before


def test_a_replayed_signed_message_returns_the_first_incident_and_writes_nothing(world, secret):
    raw = json.dumps({"phone": "081211112222", "text": "ada jambret di miroto", "message_id": "wa-9001"}).encode()
    first = signed("/api/v1/intake/messages", raw)
    assert first.status_code == 201, first.content
    before = counts()
    for _ in range(3):
        again = signed("/api/v1/intake/messages", raw)
        assert again.status_code == 200 and again.json()["number"] == first.json()["number"]
    assert counts() == before
    assert Incident.objects.filter(channel="pesan").count() == 1


def test_webhook_errors_name_the_webhook_fields(world, secret):
    body = api_error(signed("/api/v1/intake/messages", {"phone": "12", "text": "ada maling", "message_id": "w1"}),
                     422)
    fields = [e["field"] for e in body["errors"]]
    assert fields == ["phone"] and "reporter_phone" not in json.dumps(body)
    body = api_error(signed("/api/v1/intake/messages", {"phone": "081211112222", "text": "ada maling",
                                                        "message_id": "w\u00002"}), 422)
    assert [e["field"] for e in body["errors"]] == ["message_id"]
    assert Incident.objects.count() == 0


def test_a_signed_panic_device_needs_a_key_and_a_replay_is_the_first_incident(world, secret):
    before = counts()
    body = api_error(signed("/api/v1/intake/panic", {"lat": -6.94, "lon": 110.41, "device_id": "toko-1"}), 422)
    assert body["errors"][0]["field"] == "idempotency_key" and "wajib diisi" in body["detail"]
    assert counts() == before
    raw = json.dumps({"lat": -6.94, "lon": 110.41, "device_id": "toko-1", "idempotency_key": "toko-1-77"}).encode()
    first = signed("/api/v1/intake/panic", raw)
    again = signed("/api/v1/intake/panic", raw)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Incident.objects.filter(channel="panik").count() == 1


def test_the_app_user_still_presses_panic_without_a_key(world, login):
    r = login("anggota_semarang_tengah").post("/api/v1/intake/panic", data=json.dumps({"lat": -6.98, "lon": 110.41}),
                                              content_type="application/json")
    assert r.status_code == 201, r.content


def test_the_webhook_contract_is_in_the_openapi_schema(world, client):
    schema = client.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/intake/messages"]["post"]
    assert "message_id" in op["description"] and "422" in op["description"]
    ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "message_id" in schema["components"]["schemas"][ref]["required"]


# --- recommendation reasons ----------------------------------------------------------------------------


def test_recommendation_reasons_show_the_category_name_not_its_code(world, login):
    p3 = make_incident(world, at=BRUMBUNGAN, category="GANGGUAN_KETERTIBAN", priority=3,
                       text="ada orang mabuk teriak-teriak")
    tengah = world.units["semarang_tengah"]
    a = dispatch_unit(None, p3, tengah, channel=Channel.SYSTEM)
    advance_assignment(None, a, "tiba", channel=Channel.SYSTEM)
    p1 = make_incident(world, category="CURAS", priority=1, text="begal bawa celurit, pelaku masih di lokasi")
    r = login("operator").get(f"/api/v1/incidents/{p1.pk}/recommendations", {"limit": 10})
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    pulled = [i for i in items if i["pull_from"]]
    assert pulled, items
    assert f"ditarik dari tugas P3 {p3.number} (Gangguan ketertiban umum)" in pulled[0]["reasons"]
    assert not any("_" in reason for i in items for reason in i["reasons"]), items


# --- README: the configuration table -------------------------------------------------------------------


def test_every_setting_read_from_the_environment_is_in_the_readme_table():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    settings_py = (root / "k3i" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"""(?:environ\.get|env_bool)\(\s*["'](K3I_[A-Z0-9_]+)["']""", settings_py))
    assert {"K3I_SLA_DISPATCH_P1", "K3I_JOBS_INTERVAL", "K3I_ROUTER_TIMEOUT", "K3I_SECRET_KEY"} <= read
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration (environment)", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `K3I_")]
    documented = {name for line in rows for name in re.findall(r"`(K3I_[A-Z0-9_]+)`", line.split(" | ", 1)[0])}
    assert read - documented == set(), "README lacks: " + ", ".join(sorted(read - documented))
    for line in rows:
        assert line.count(" | ") >= 2, line  # name | default | meaning


def test_call_taker_post_declaring_another_charset_is_refused(world, login):
    """The 110 call-taker screen refuses a form declared in another charset, like /lapor/; nothing is written."""
    before = counts()
    body = multipart({"text": b"maling \xff\xfe di miroto", "lokasi": b"Miroto", "reporter_phone": b"081234567890",
                      "idempotency_key": b"terima-latin"})
    r = raw_post(login("operator"), "/ops/terima", body, "multipart/form-data; boundary=K3iBatas; charset=latin-1")
    assert r.status_code == 422
    assert FORM_UTF8 in r.content.decode()
    assert counts() == before
    # the same form in UTF-8 is taken
    body = multipart({"text": b"maling motor di miroto, pelaku kabur", "lokasi": b"Miroto",
                      "reporter_phone": b"081234567890", "idempotency_key": b"terima-utf8"})
    r = raw_post(login("operator"), "/ops/terima", body, "multipart/form-data; boundary=K3iBatas; charset=UTF-8")
    assert r.status_code == 302
    assert counts()[0] == before[0] + 1
