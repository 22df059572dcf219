"""The WhatsApp/SMS gateway webhook (HMAC-signed) and the panic button."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from k3i.accounts.actions import create_token
from k3i.core.models import AuditEntry, LiveEvent
from k3i.incidents import intake
from k3i.incidents.models import Incident, IncidentLog

SECRET = "rahasia-gateway-uji-0123456789abcdef"


@pytest.fixture
def secret(settings):  # type: ignore[no-untyped-def]
    settings.K3I_INTAKE_WEBHOOK_SECRET = SECRET
    return SECRET


def send(path: str, data: Any, *, signature: str | None = "auto", secret: str = SECRET, client: Client | None = None,
         **extra: Any):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    headers = dict(extra)
    if signature == "auto":
        headers["HTTP_X_K3I_SIGNATURE"] = intake.sign(raw, secret)
    elif signature is not None:
        headers["HTTP_X_K3I_SIGNATURE"] = signature
    return (client or Client()).post(path, data=raw, content_type="application/json", **headers)


def counts() -> tuple[int, int, int, int]:
    return Incident.objects.count(), IncidentLog.objects.count(), AuditEntry.objects.count(), LiveEvent.objects.count()


def error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"]
    return body


# --- webhook ------------------------------------------------------------------------------------------


def test_message_with_place_in_text_asks_operator_to_confirm(world, secret):
    r = send("/api/v1/intake/messages", {"phone": "+62 812-1111-2222", "text": "tlg ada maling di kel. bulu lor",
                                         "message_id": "wa-1"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kelurahan"] == {"kode": "33.74.02.1002", "nama": "Bulu Lor"}
    assert body["location_confirmed"] is False
    assert "Bulu Lor" in body["location_note"] and "konfirmasi" in body["location_note"]
    assert body["number"] in body["reply"] and body["tracking_code"] in body["reply"]
    inc = Incident.objects.get(number=body["number"])
    assert inc.channel == "pesan" and inc.reporter_phone == "+6281211112222"
    assert inc.polsek == world.polsek["semarang_utara"] and inc.location_source == "teks"
    assert inc.created_by is None
    e = AuditEntry.objects.get(action="kejadian.dibuat", object_id=str(inc.pk))
    assert e.actor_username == "" and e.channel == "api"


def test_message_with_coordinates_and_without_any_place(world, secret):
    r = send("/api/v1/intake/messages", {"phone": "081211112222", "text": "ada orang pingsan", "lat": -6.98,
                                         "lon": 110.43, "message_id": "wa-2"})
    assert r.status_code == 201
    assert r.json()["kelurahan"]["nama"] == "Brumbungan" and r.json()["location_confirmed"] is True
    r = send("/api/v1/intake/messages", {"phone": "081211112222", "text": "ada orang pingsan di jalan",
                                         "message_id": "wa-3"})
    assert r.status_code == 201
    assert r.json()["kelurahan"] is None and r.json()["location_confirmed"] is False
    inc = Incident.objects.get(number=r.json()["number"])
    assert inc.polsek is None  # the Polres K3i desk confirms it
    assert inc.location_source == ""


def test_message_retried_with_same_message_id_is_one_incident(world, secret):
    data = {"phone": "081211112222", "text": "kebakaran rumah di miroto", "message_id": "sms-77"}
    first = send("/api/v1/intake/messages", data)
    before = counts()
    again = send("/api/v1/intake/messages", data)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert counts() == before


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256=" + "0" * 64, "sha256=zz", "md5=abc", "sha256=" + "ä" * 64],
)
def test_forged_or_missing_signature_is_401_and_writes_nothing(world, secret, signature):
    before = counts()
    r = send("/api/v1/intake/messages", {"phone": "0812", "text": "tes"}, signature=signature)
    body = error(r, 401)
    assert "Tanda tangan" in body["detail"]
    assert counts() == before


def test_signature_with_another_secret_or_over_another_body_is_refused(world, secret):
    data = {"phone": "081211112222", "text": "ada maling di miroto"}
    error(send("/api/v1/intake/messages", data, secret="bukan-rahasia-yang-benar"), 401)
    other_sig = intake.sign(json.dumps({"phone": "081211112222", "text": "lain"}).encode())
    error(send("/api/v1/intake/messages", data, signature=other_sig), 401)
    assert Incident.objects.count() == 0


def test_webhook_disabled_without_secret(world, settings):
    settings.K3I_INTAKE_WEBHOOK_SECRET = ""
    r = send("/api/v1/intake/messages", {"phone": "081211112222", "text": "tes"}, secret="apa-saja")
    body = error(r, 503)
    assert "K3I_INTAKE_WEBHOOK_SECRET" in body["detail"]
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"text": "ada maling"}, "phone"),
        ({"phone": "081211112222"}, "text"),
        ({"phone": "081211112222", "text": "x" * 100_000}, "text"),
        ({"phone": "081211112222", "text": "ada maling", "lat": -7.36, "lon": 110.49}, "lat"),
        ({"phone": "081211112222", "text": "ada maling", "lat": "dekat pasar"}, "lat"),
        ({"phone": 81211112222, "text": "ada maling"}, "phone"),
        ({"phone": "12", "text": "ada maling"}, "phone"),
    ],
)
def test_bad_messages_are_4xx_and_write_nothing(world, secret, data, field):
    before = counts()
    body = error(send("/api/v1/intake/messages", {"message_id": "wa-bad", **data}), 422)
    assert field in [e["field"] for e in body["errors"]], body
    assert counts() == before


def test_invalid_utf8_message_is_4xx_and_writes_nothing(world, secret):
    raw = b'{"phone": "081211112222", "text": "maling \xff\xfe di miroto"}'
    r = send("/api/v1/intake/messages", raw)
    assert 400 <= r.status_code < 500 and r.json()["detail"]
    assert Incident.objects.count() == 0


def test_a_logged_in_user_without_signature_is_not_a_gateway(world, secret, login):
    error(send("/api/v1/intake/messages", {"phone": "081211112222", "text": "tes"}, signature=None,
               client=login("operator")), 401)


# --- panic button -------------------------------------------------------------------------------------


def test_panic_from_the_app_user_is_priority_1_at_once(world, login):
    c = login("anggota_semarang_tengah")
    r = c.post("/api/v1/intake/panic", data=json.dumps({"lat": -6.98, "lon": 110.41}),
               content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["priority"] == 1 and body["channel"] == "panik"
    assert body["polsek"]["id"] == world.polsek["semarang_tengah"].pk
    inc = Incident.objects.get(pk=body["id"])
    assert inc.created_by == world.user("anggota_semarang_tengah")
    assert inc.reporter_name == "Anggota Semarang Tengah"
    ev = LiveEvent.objects.get(kind="kejadian.baru")
    assert ev.payload["priority"] == 1 and ev.payload["channel"] == "panik"


def test_panic_with_bearer_token_and_idempotent_retry(world):
    _, raw = create_token(None, world.user("anggota_semarang_utara"), name="hp", write=True, channel="cli")
    data = json.dumps({"lat": -6.94, "lon": 110.43, "idempotency_key": "panik-1", "text": "dikeroyok warga"})
    first = Client().post("/api/v1/intake/panic", data=data, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {raw}")
    again = Client().post("/api/v1/intake/panic", data=data, content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"] and first.json()["priority"] == 1
    assert Incident.objects.filter(channel="panik").count() == 1


def test_panic_from_a_signed_device(world, secret):
    r = send("/api/v1/intake/panic", {"lat": -6.94, "lon": 110.41, "device_id": "toko-emas-07",
                                      "idempotency_key": "toko-emas-07-1"})
    assert r.status_code == 201, r.content
    inc = Incident.objects.get(pk=r.json()["id"])
    assert inc.priority == 1 and inc.created_by is None and inc.reporter_name == "Perangkat toko-emas-07"
    assert inc.kelurahan == world.kelurahan["Bandarharjo"]


def test_panic_refused_without_credentials_forged_or_for_roles_without_create(world, secret, login, client):
    data = {"lat": -6.98, "lon": 110.41}
    error(client.post("/api/v1/intake/panic", data=json.dumps(data), content_type="application/json"), 401)
    error(send("/api/v1/intake/panic", data, signature="sha256=" + "1" * 64), 401)
    r = login("analis").post("/api/v1/intake/panic", data=json.dumps(data), content_type="application/json")
    error(r, 403)
    assert Incident.objects.count() == 0


@pytest.mark.parametrize(
    "data", [{}, {"lat": -6.98}, {"lat": -7.36, "lon": 110.49}, {"lat": True, "lon": 110.41},
             {"lat": -6.98, "lon": 110.41, "device_id": "a b"}]
)
def test_panic_bad_input(world, secret, data):
    before = counts()
    r = send("/api/v1/intake/panic", {"idempotency_key": "perangkat-1", **data})
    assert r.status_code == 422, r.content
    assert counts() == before


def test_unsigned_request_gets_401_even_when_the_webhook_is_off(world, settings):
    settings.K3I_INTAKE_WEBHOOK_SECRET = ""
    error(send("/api/v1/intake/messages", {"phone": "081211112222", "text": "tes"}, signature=None), 401)
