"""Intake channels without a logged-in K3i user: the WhatsApp/SMS gateway and the panic button.

The gateway (and a panic device) signs the raw request body with a shared secret:
``X-K3i-Signature: sha256=<hex HMAC-SHA256(secret, body)>`` — the secret is the setting
``K3I_INTAKE_WEBHOOK_SECRET`` (environment variable of the same name). Without a secret the webhook is
switched off (503 to a signed request); a missing or wrong signature is refused (401). Comparison is
constant-time.

Replays: the signature covers the body only, so a signed body captured on the way could be sent again.
Every signed body therefore carries its own unique key — ``message_id`` for a message, ``idempotency_key``
for a signed panic device — and both are required (422 without them). The key is stored with the
incident under a unique (channel, key) index, so sending the same signed body again, now or in a year,
returns the first incident (200) and writes nothing: no clock, no window, no nonce store to keep.
A gateway must give every message its own ID (prefixed per gateway, e.g. ``wa-…``, ``sms-…``): a second
message with an ID already seen is taken for a retry of the first when its text and sender are the same, and
refused (409, ``message_id``, nothing written) when they are not.

Both channels end in ``actions.create_incident`` (one transaction, audit entry, live event).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyHeader

from k3i.core.audit import Channel
from k3i.core.errors import Conflict, K3iError, ValidationFailed
from k3i.organization.models import Polres, polres_for

from . import gazetteer
from .actions import create_incident
from .models import Incident

SIGNATURE_HEADER = "X-K3i-Signature"


class WebhookUnauthorized(K3iError):
    status = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, [{"field": SIGNATURE_HEADER, "message": detail}])


class WebhookDisabled(K3iError):
    status = 503


def webhook_secret() -> str:
    return str(getattr(settings, "K3I_INTAKE_WEBHOOK_SECRET", "") or "")


def sign(body: bytes, secret: str | None = None) -> str:
    """The header value a gateway sends for ``body`` (used by tests, the simulator and gateway adapters)."""
    key = (secret if secret is not None else webhook_secret()).encode()
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, header: str | None) -> None:
    """Raise unless ``header`` is the HMAC-SHA256 of ``body`` with the shared secret."""
    # An unsigned request learns nothing about the configuration: 401 first, then 503 when switched off.
    if not header:
        raise WebhookUnauthorized(f"Tanda tangan {SIGNATURE_HEADER} tidak ada.")
    secret = webhook_secret()
    if not secret:
        raise WebhookDisabled(
            "Webhook penerimaan pesan dinonaktifkan: K3I_INTAKE_WEBHOOK_SECRET belum diatur di server."
        )
    given = header.strip()
    if given.lower().startswith("sha256="):
        given = given[7:]
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.lower().encode("ascii", "replace")):
        raise WebhookUnauthorized("Tanda tangan pesan tidak sah.")


@dataclass(frozen=True)
class Gateway:
    """``request.auth`` for a signed request: a gateway or device, not a user."""

    is_authenticated = False
    polres_id = None


class SignatureAuth(APIKeyHeader):
    """django-ninja auth: a request is accepted when ``X-K3i-Signature`` signs its raw body."""

    param_name = SIGNATURE_HEADER

    def __call__(self, request: HttpRequest) -> Any:
        # Also when the header is missing: a forged or absent signature answers 401 with our message.
        return self.authenticate(request, request.headers.get(self.param_name))

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        verify_signature(request.body, key)
        return Gateway()


class OptionalSignatureAuth(SignatureAuth):
    """For routes that also take a user (panic): no header → let the next auth method try."""

    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get(self.param_name)
        if not header:
            return None
        return self.authenticate(request, header)


def serving_polres(actor: Any = None) -> Polres:
    polres = polres_for(actor)
    if polres is None:
        raise K3iError("Belum ada Polres yang dilayani K3i ini.")
    return polres


def receive_message(
    *, phone: Any, text: Any, lat: Any = None, lon: Any = None, message_id: Any = None
) -> tuple[Incident, bool, gazetteer.PlaceMatch | None]:
    """One WhatsApp/SMS message → an incident. Without coordinates the place is looked up in the text
    (kelurahan stored unconfirmed, for the operator to confirm). Returns ``(incident, created, match)``.

    ``message_id`` is required: it makes a resent (or replayed) signed message return the first incident.
    Errors name the webhook's own fields (``phone``, ``message_id``), not the incident's."""
    if not isinstance(message_id, str) or not message_id.strip():
        raise ValidationFailed.field(
            "message_id", "ID pesan (message_id) wajib diisi: setiap pesan dari gateway perlu ID unik agar "
                          "kiriman ulang tidak menjadi laporan ganda.")
    polres = serving_polres()
    match = None
    kelurahan = None
    alamat = ""
    if lat is None and lon is None and isinstance(text, str):
        match = gazetteer.find_places(text, polres)
        kelurahan = match.kelurahan
        alamat = match.alamat()
    if not phone:
        raise ValidationFailed.field("phone", "Nomor telepon pengirim wajib diisi.")
    try:
        incident, created = create_incident(
            None, polres=polres, channel=Incident.Channel.PESAN, text=text, lat=lat, lon=lon,
            kelurahan=kelurahan, alamat=alamat, location_confirmed=False if lat is None and lon is None else True,
            reporter_phone=phone, idempotency_key=message_id, audit_channel=Channel.API,
        )
    except ValidationFailed as exc:
        raise _renamed(exc, MESSAGE_FIELDS) from None
    except Conflict:  # the ID of an earlier message with another text or sender: not a retry of it
        raise Conflict(
            "ID pesan (message_id) ini sudah dipakai untuk pesan lain (teks atau pengirim berbeda): setiap pesan "
            "perlu ID sendiri.", [{"field": "message_id", "message": "Sudah dipakai untuk pesan lain; beri ID baru."}],
        ) from None
    return incident, created, match


# The incident's field names → the message webhook's (``MessageIn``), so that errors name what was sent.
MESSAGE_FIELDS = {"reporter_phone": "phone", "idempotency_key": "message_id"}


def _renamed(exc: ValidationFailed, names: dict[str, str]) -> ValidationFailed:
    errors = [{**e, "field": names.get(e.get("field", ""), e.get("field", ""))} for e in exc.errors]
    return ValidationFailed(exc.detail, errors)


def press_panic(
    actor: Any, *, lat: Any, lon: Any, device_id: str = "", text: Any = "", idempotency_key: Any = None,
    audit_channel: str = Channel.API,
) -> tuple[Incident, bool]:
    """The panic button: priority 1 at once, channel ``panik``. ``actor`` is the app user, or ``None`` for a
    signed device — which must send an ``idempotency_key`` (a replayed signed press returns the first
    incident instead of raising another priority-1 alarm)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    if user is None and (not isinstance(idempotency_key, str) or not idempotency_key.strip()):
        raise ValidationFailed.field(
            "idempotency_key", "Kunci idempotensi (idempotency_key) wajib diisi untuk perangkat bertanda tangan: "
                               "setiap tekanan tombol perlu kunci unik agar kiriman ulang tidak menjadi laporan ganda.")
    polres = serving_polres(user)
    name = ""
    phone = ""
    if user is not None:
        personel = getattr(user, "personel", None)
        name = (personel.nama if personel else "") or user.get_full_name() or user.get_username()
        phone = personel.telepon if personel else ""
    elif device_id:
        name = f"Perangkat {device_id}"[:120]
    # No words from the button itself: triage has nothing to read, so the category stays the
    # intake default (threat with violence) at priority 1 until the operator confirms.
    return create_incident(
        user, polres=polres, channel=Incident.Channel.PANIK, text=text if isinstance(text, str) else "",
        lat=lat, lon=lon, reporter_name=name, reporter_phone=phone, priority=1, idempotency_key=idempotency_key,
        audit_channel=audit_channel,
    )
