"""Incidents over the API (tag "kejadian"): intake from every channel, the scoped list and detail, triage,
location, duplicates — and the public tracking lookup.

Every route validates, calls one action or selector and returns. Reads go through ``restrict``: an
incident outside the user's territory is a 404. A reporter's name and phone never appear in the list or
the detail; ``GET /incidents/{id}/reporter`` gives them to roles with ``view_reporter`` and writes each
view to the ledger.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from k3i.accounts.auth import SessionAuth, TokenAuth
from k3i.core.api_errors import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, ErrorOut
from k3i.core.audit import Channel
from k3i.core.errors import NotFound, ValidationFailed
from k3i.organization import geo
from k3i.organization.api import MAX_ID, Id, PageParams, page, user_of
from k3i.organization.models import Region, polres_for
from k3i.organization.selectors import polres_kelurahan

from . import actions, intake, photos, selectors
from .duplicates import likely_duplicates
from .models import Incident

router = Router(tags=["kejadian"])

# Strict types: `true` is not a coordinate, "2" is not a priority.
Lat = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-90, le=90, description="Lintang (WGS84)")]
Lon = Annotated[float, Field(strict=True, allow_inf_nan=False, ge=-180, le=180, description="Bujur (WGS84)")]
Prio = Annotated[int, Field(strict=True, ge=1, le=4, description="Prioritas 1 (darurat) – 4 (non-darurat)")]
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
KODE_KEL = r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"
CREATED_ERRORS: dict[int, type[Schema]] = {**WRITE_ERRORS, 409: ErrorOut}


# --- schemas ------------------------------------------------------------------------------------------


class KelurahanOut(Schema):
    kode: str
    nama: str


class PolsekRef(Schema):
    id: int
    nama: str


class IncidentRef(Schema):
    id: int
    number: str = Field(..., description="Nomor laporan")


class IncidentIn(Schema):
    """Satu laporan. Lokasi: titik (`lat`/`lon`) atau kode `kelurahan`; keduanya boleh kosong (lokasi dicari
    kemudian)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(..., description=f"Isi laporan (bahasa bebas), paling banyak {actions.MAX_TEXT} karakter")
    lat: Lat | None = None
    lon: Lon | None = None
    channel: Incident.Channel = Field(..., description="Kanal: 110, web, pesan, panik, petugas, spkt")
    kelurahan: str | None = Field(None, pattern=KODE_KEL, description="Kode kelurahan bila tanpa titik")
    alamat: str | None = Field(None, max_length=300, pattern=NO_CONTROL, description="Alamat / patokan (teks)")
    reporter_name: str | None = Field(None, max_length=actions.MAX_NAME, pattern=NO_CONTROL,
                                      description="Nama pelapor")
    reporter_phone: str | None = Field(None, max_length=30, pattern=NO_CONTROL, description="Telepon pelapor")
    category: str | None = Field(None, max_length=40, description="Kode kategori taksonomi; kosong = hasil triase")
    priority: Prio | None = None
    idempotency_key: str | None = Field(
        None, min_length=1, max_length=80, pattern=NO_CONTROL,
        description="Kunci dari klien: kiriman ulang dengan kunci sama mengembalikan laporan pertama (200); kunci sama dengan teks lain: 409",
    )


class IncidentCreated(Schema):
    id: int
    number: str = Field(..., description="Nomor laporan (diberikan ke pelapor)")
    tracking_code: str = Field(..., description="Kode lacak untuk /lacak/")
    category: str
    priority: int
    kelurahan: KelurahanOut | None = None
    polsek: PolsekRef | None = None
    status: str
    channel: str
    location_confirmed: bool = Field(..., description="false: lokasi perlu dikonfirmasi operator")
    bagops: bool
    created_at: datetime


class IncidentOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    channel: str
    category: str
    category_label: str
    priority: int
    lat: float | None = None
    lon: float | None = None
    alamat: str
    kelurahan: KelurahanOut | None = None
    polsek: PolsekRef | None = None
    location_confirmed: bool
    triage_overridden: bool
    bagops: bool
    duplicate_of: int | None = None
    is_simulated: bool
    created_at: datetime


class LogOut(Schema):
    created_at: datetime
    kind: str
    message: str
    actor: str


class PhotoOut(Schema):
    id: int
    width: int
    height: int
    size: int = Field(description="bita")
    sha256: str = Field(description="SHA-256 berkas yang disimpan (sama dengan di buku audit)")
    created_at: datetime
    url: str = Field(description="JPEG tanpa metadata, hanya untuk yang boleh melihat kejadiannya")


class BhabinOut(Schema):
    personel_id: int
    nama: str
    pangkat: str
    telepon: str
    akun: bool = Field(description="punya akun K3i aktif: laporan di kelurahan binaannya tampil di antreannya")


class IncidentDetail(IncidentOut):
    tracking_code: str
    text: str
    location_source: str
    triage: dict[str, Any] = Field(..., description="Saran triase: category, priority, confidence, explanation")
    routing: dict[str, Any] = Field(..., description="Fungsi utama/pendukung dan mitra eksternal")
    bagops_reasons: list[str]
    disposition: str
    disposition_note: str
    verified_at: datetime | None = None
    cycle_started_at: datetime | None = Field(
        None, description="Dibuka kembali: siklus layanan ini mulai (waktu di bawah milik siklus ini; siklus "
        "sebelumnya di riwayat)")
    dispatched_at: datetime | None = None
    arrived_at: datetime | None = None
    closed_at: datetime | None = None
    escalated_at: datetime | None = None
    duplicate_of_ref: IncidentRef | None = None
    linked_reports: list[IncidentRef]
    bhabinkamtibmas: BhabinOut | None = Field(
        None, description="Bhabinkamtibmas yang membina kelurahan kejadian (kosong: belum ada / lokasi belum diketahui)")
    timeline: list[LogOut]
    photos: list[PhotoOut]


class IncidentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[IncidentOut]


class IncidentFilter(PageParams):
    status: Incident.Status | None = Field(None, description="Status")
    priority: int | None = Field(None, ge=1, le=4, description="Prioritas")
    polsek: int | None = Field(None, ge=1, le=MAX_ID, description="ID Polsek")
    category: str | None = Field(None, max_length=40, pattern=r"^[A-Z_]+$", description="Kode kategori")
    bagops: bool | None = Field(None, description="true: hanya masalah Bagops")
    open: bool | None = Field(None, description="true: hanya yang masih terbuka; false: yang sudah ditutup")
    triage_overridden: bool | None = Field(
        None, description="true: hanya yang triasenya dikoreksi petugas; false: yang sesuai saran triase")


class ReporterOut(Schema):
    reporter_name: str
    reporter_phone: str


class TriageIn(Schema):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(None, max_length=40, description="Kategori yang benar (kosong = konfirmasi)")
    priority: Prio | None = None


class LocationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    lat: Lat | None = None
    lon: Lon | None = None
    kelurahan: str | None = Field(None, pattern=KODE_KEL, description="Kode kelurahan")


class DuplicateOut(Schema):
    incident: IncidentOut
    reasons: list[str] = Field(..., description="Mengapa laporan ini mungkin sama")


class LinkIn(Schema):
    model_config = ConfigDict(extra="forbid")

    duplicate_of: int = Field(..., strict=True, ge=1, le=MAX_ID, description="ID kejadian utama")


class LinkOut(Schema):
    incident: IncidentOut
    main: IncidentOut


class MessageIn(Schema):
    phone: str = Field(..., min_length=1, max_length=30, pattern=NO_CONTROL, description="Nomor pengirim")
    text: str = Field(..., description=f"Isi pesan, paling banyak {actions.MAX_TEXT} karakter")
    lat: Lat | None = None
    lon: Lon | None = None
    message_id: str = Field(..., min_length=1, max_length=80, pattern=NO_CONTROL,
                            description="ID pesan dari gateway, wajib dan unik per pesan (beri awalan per gateway, "
                            "mis. `wa-…`, `sms-…`): kiriman ulang dengan ID yang sama → laporan yang sama (200)")


class MessageOut(Schema):
    number: str
    tracking_code: str
    status: str
    kelurahan: KelurahanOut | None = None
    location_confirmed: bool
    location_note: str = Field(..., description="Apa yang ditemukan dari teks (untuk operator)")
    reply: str = Field(..., description="Balasan yang dapat dikirim gateway ke pelapor")


class PanicIn(Schema):
    lat: Lat
    lon: Lon
    device_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$", description="ID perangkat")
    text: str | None = Field(None, max_length=500, description="Keterangan singkat (opsional)")
    idempotency_key: str | None = Field(None, min_length=1, max_length=80, pattern=NO_CONTROL)


class StepOut(Schema):
    key: str
    label: str
    done: bool
    at: datetime | None = None


class TrackOut(Schema):
    number: str
    status: str
    status_label: str
    category_label: str
    polsek: str | None = None
    created_at: datetime
    merged: bool = Field(..., description="Digabung dengan laporan lain tentang kejadian yang sama")
    steps: list[StepOut]
    message: str


# --- presenters ---------------------------------------------------------------------------------------


def _kel(i: Incident) -> dict[str, str] | None:
    return {"kode": i.kelurahan.pk, "nama": i.kelurahan.nama} if i.kelurahan_id and i.kelurahan else None


def _polsek(i: Incident) -> dict[str, Any] | None:
    return {"id": i.polsek.pk, "nama": i.polsek.nama} if i.polsek_id and i.polsek else None


def created_out(i: Incident) -> dict[str, Any]:
    # Names from the locate index (no query per report); the rows when the index does not know them.
    kel_nama = geo.kelurahan_nama(i.kelurahan_id) if i.kelurahan_id else None
    polsek_nama = geo.polsek_nama(i.polsek_id) if i.polsek_id else None
    return {
        "id": i.pk, "number": i.number, "tracking_code": i.tracking_code, "category": i.category,
        "priority": i.priority,
        "kelurahan": {"kode": i.kelurahan_id, "nama": kel_nama} if kel_nama else _kel(i),
        "polsek": {"id": i.polsek_id, "nama": polsek_nama} if polsek_nama else _polsek(i),
        "status": i.status,
        "channel": i.channel, "location_confirmed": i.location_confirmed, "bagops": i.bagops,
        "created_at": i.created_at,
    }


def incident_out(i: Incident) -> dict[str, Any]:
    return {
        "id": i.pk, "number": i.number, "status": i.status, "status_label": i.get_status_display(),
        "channel": i.channel, "category": i.category, "category_label": i.get_category_display(),
        "priority": i.priority, "lat": i.lat, "lon": i.lon, "alamat": i.alamat, "kelurahan": _kel(i),
        "polsek": _polsek(i), "location_confirmed": i.location_confirmed, "triage_overridden": i.triage_overridden,
        "bagops": i.bagops, "duplicate_of": i.duplicate_of_id, "is_simulated": i.is_simulated,
        "created_at": i.created_at,
    }


def _bhabin(i: Incident) -> dict[str, Any] | None:
    b = geo.bhabin_for(i.kelurahan_id) if i.kelurahan_id else None
    if b is None:
        return None
    return {"personel_id": b.personel_id, "nama": b.nama, "pangkat": b.pangkat, "telepon": b.telepon, "akun": b.akun}


def detail_out(user: Any, i: Incident) -> dict[str, Any]:
    return {
        **incident_out(i), "tracking_code": i.tracking_code, "text": i.text, "location_source": i.location_source,
        "triage": i.triage or {}, "routing": i.routing or {}, "bagops_reasons": list(i.bagops_reasons or []),
        "disposition": i.disposition, "disposition_note": i.disposition_note, "verified_at": i.verified_at,
        "cycle_started_at": i.cycle_started_at, "dispatched_at": i.dispatched_at, "arrived_at": i.arrived_at, "closed_at": i.closed_at,
        "escalated_at": i.escalated_at,
        "duplicate_of_ref": {"id": i.duplicate_of.pk, "number": i.duplicate_of.number} if i.duplicate_of else None,
        "linked_reports": [{"id": r.pk, "number": r.number} for r in selectors.linked_reports(user, i)],
        "photos": photos.listed(i),
        "bhabinkamtibmas": _bhabin(i),
        "timeline": [
            {"created_at": e.created_at, "kind": e.kind, "message": e.message, "actor": e.actor_username}
            for e in selectors.timeline(i)
        ],
    }


def _kelurahan_of(polres: Any, kode: str | None) -> Region | None:
    if not kode:
        return None
    kel = polres_kelurahan(polres).filter(pk=kode).first()
    if kel is None:
        raise ValidationFailed.field("kelurahan", f"Kelurahan '{kode}' tidak dikenal di wilayah hukum {polres.nama}.")
    return kel


def _polres(user: Any) -> Any:
    polres = polres_for(user)
    if polres is None:
        raise NotFound("Pengguna ini tidak terhubung ke Polres mana pun.")
    return polres


# --- intake -------------------------------------------------------------------------------------------


@router.post(
    "/incidents", response={201: IncidentCreated, 200: IncidentCreated, **CREATED_ERRORS},
    summary="Buat laporan kejadian",
    description="Laporan dari kanal mana pun (110, SPKT, petugas di lapangan — LP model A, …). Lokasi di luar "
    "wilayah hukum, kategori tak dikenal, teks terlalu panjang atau tipe data salah: 422 tanpa menulis apa pun. "
    "Kiriman ulang dengan `idempotency_key` yang sama menjawab 200 dengan laporan pertama; kunci yang sama dengan "
    "teks lain: 409 tanpa menulis apa pun (laporan baru perlu kunci baru).",
)
def post_incident(request: HttpRequest, payload: IncidentIn) -> tuple[int, dict[str, Any]]:
    user = user_of(request)
    polres = _polres(user)
    kelurahan = _kelurahan_of(polres, payload.kelurahan) if payload.lat is None and payload.lon is None else None
    incident, created = actions.create_incident(
        user, polres=polres, channel=payload.channel, text=payload.text, lat=payload.lat, lon=payload.lon,
        kelurahan=kelurahan, alamat=payload.alamat or "", reporter_name=payload.reporter_name or "",
        reporter_phone=payload.reporter_phone or "", category=payload.category, priority=payload.priority,
        idempotency_key=payload.idempotency_key, audit_channel=Channel.API,
    )
    return (201 if created else 200), created_out(incident)


@router.post(
    "/intake/messages", auth=intake.SignatureAuth(),
    response={201: MessageOut, 200: MessageOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut, 503: ErrorOut},
    summary="Webhook WhatsApp/SMS",
    description="Pesan dari gateway, ditandatangani: header `X-K3i-Signature: sha256=<HMAC-SHA256 isi mentah>` "
    "dengan rahasia bersama `K3I_INTAKE_WEBHOOK_SECRET` (tanpa rahasia: 503; tanda tangan salah/tidak ada: 401). "
    "`message_id` wajib (tanpa itu: 422) dan unik per pesan: isi yang sama dikirim ulang — oleh gateway yang "
    "mencoba lagi atau oleh pihak yang menyadapnya — menjawab 200 dengan laporan pertama dan tidak menulis apa "
    "pun; `message_id` yang sama dengan teks atau nomor lain: 409 tanpa menulis apa pun. Tanpa koordinat, "
    "kelurahan dan jalan dicari di teks dan operator diminta mengonfirmasi.",
)
def post_intake_message(request: HttpRequest, payload: MessageIn) -> tuple[int, dict[str, Any]]:
    incident, created, match = intake.receive_message(
        phone=payload.phone, text=payload.text, lat=payload.lat, lon=payload.lon, message_id=payload.message_id,
    )
    if match is not None:
        note = match.describe()
    elif incident.lat is not None:
        note = "Lokasi dari koordinat pesan."
    else:
        note = "Lokasi perlu dikonfirmasi operator."
    reply = (f"Laporan Anda diterima dengan nomor {incident.number}. Kode lacak: {incident.tracking_code} "
             f"(cek di halaman /lacak/). Untuk keadaan darurat hubungi 110.")
    return (201 if created else 200), {
        "number": incident.number, "tracking_code": incident.tracking_code, "status": incident.status,
        "kelurahan": _kel(incident), "location_confirmed": incident.location_confirmed, "location_note": note,
        "reply": reply,
    }


@router.post(
    "/intake/panic", auth=[intake.OptionalSignatureAuth(), TokenAuth(), SessionAuth()],
    response={201: IncidentCreated, 200: IncidentCreated, **CREATED_ERRORS, 503: ErrorOut},
    summary="Tombol darurat",
    description="Prioritas 1 seketika, kanal `panik`. Dari aplikasi (token API / sesi pengguna) atau dari "
    "perangkat yang menandatangani isi permintaan seperti gateway pesan (`X-K3i-Signature`; perangkat wajib "
    "mengirim `idempotency_key` unik per tekanan, kiriman ulang → 200 dengan laporan pertama).",
)
def post_panic(request: HttpRequest, payload: PanicIn) -> tuple[int, dict[str, Any]]:
    auth = getattr(request, "auth", None)
    actor = auth if getattr(auth, "is_authenticated", False) else None
    incident, created = intake.press_panic(
        actor, lat=payload.lat, lon=payload.lon, device_id=payload.device_id or "", text=payload.text or "",
        idempotency_key=payload.idempotency_key,
    )
    return (201 if created else 200), created_out(incident)


# --- reads --------------------------------------------------------------------------------------------


@router.get(
    "/incidents", response={200: IncidentPage, **LIST_ERRORS}, summary="Daftar kejadian",
    description="Kejadian dalam lingkup wilayah pengguna, terbaru dahulu, berhalaman; saring menurut status, "
    "prioritas, Polsek, kategori, Bagops, terbuka/tertutup, triase dikoreksi. Tanpa identitas pelapor.",
)
def list_incidents(request: HttpRequest, filters: Query[IncidentFilter]) -> dict[str, Any]:
    qs = selectors.incident_list(
        user_of(request), status=filters.status, priority=filters.priority, polsek=filters.polsek,
        category=filters.category, bagops=filters.bagops, open=filters.open,
        triage_overridden=filters.triage_overridden,
    )
    return page(qs, filters, incident_out)


@router.get(
    "/incidents/{id}", response={200: IncidentDetail, **READ_ERRORS}, summary="Rincian kejadian",
    description="Satu kejadian dengan riwayatnya, triase, rute fungsi dan alasan Bagops. Identitas pelapor "
    "tidak termasuk (lihat `/reporter`). Di luar lingkup: 404.",
)
def get_incident(request: HttpRequest, id: Id) -> dict[str, Any]:
    user = user_of(request)
    return detail_out(user, selectors.incident_detail(user, id))


@router.get(
    "/incidents/{id}/photos/{photo_id}", response={200: None, **READ_ERRORS}, summary="Foto kejadian",
    description="Foto yang dikirim bersama laporan (JPEG, tanpa EXIF/GPS), hanya untuk yang boleh melihat "
    "kejadiannya; di luar lingkup atau foto kejadian lain: 404. Tidak pernah disimpan di cache.",
    openapi_extra={"responses": {200: {"description": "JPEG", "content": {"image/jpeg": {}}}}},
)
def get_incident_photo(request: HttpRequest, id: Id, photo_id: Id) -> HttpResponse:
    response = photos.serve(user_of(request), id, photo_id)
    if response is None:
        raise NotFound("Foto tidak ditemukan.")
    return response


@router.get(
    "/incidents/{id}/reporter", response={200: ReporterOut, **READ_ERRORS, 403: ErrorOut},
    summary="Identitas pelapor",
    description="Nama dan telepon pelapor, hanya untuk peran yang perlu menelepon balik (operator, Kapolsek, "
    "Kabagops, SPKT). Setiap kali dilihat dicatat di buku audit.",
)
def get_reporter(request: HttpRequest, id: Id) -> dict[str, Any]:
    user = user_of(request)
    incident = selectors.incident_detail(user, id)
    return actions.reporter_identity(user, incident, channel=Channel.API)


@router.post(
    "/incidents/{id}/triage", response={200: IncidentDetail, **WRITE_ERRORS}, summary="Konfirmasi triase",
    description="Operator mengonfirmasi atau mengoreksi kategori dan prioritas; koreksi disimpan dan dihitung.",
)
def post_triage(request: HttpRequest, id: Id, payload: TriageIn) -> dict[str, Any]:
    user = user_of(request)
    incident = selectors.incident_detail(user, id)
    actions.confirm_triage(user, incident, category=payload.category, priority=payload.priority,
                           channel=Channel.API)
    return detail_out(user, selectors.incident_detail(user, id))


@router.post(
    "/incidents/{id}/location", response={200: IncidentDetail, **WRITE_ERRORS}, summary="Konfirmasi lokasi",
    description="Tetapkan lokasi (titik atau kode kelurahan) atau konfirmasi kelurahan yang ditemukan dari teks.",
)
def post_location(request: HttpRequest, id: Id, payload: LocationIn) -> dict[str, Any]:
    user = user_of(request)
    incident = selectors.incident_detail(user, id)
    actions.confirm_location(user, incident, lat=payload.lat, lon=payload.lon, kelurahan=payload.kelurahan,
                             channel=Channel.API)
    return detail_out(user, selectors.incident_detail(user, id))


@router.get(
    "/incidents/{id}/duplicates", response={200: list[DuplicateOut], **READ_ERRORS}, summary="Kemungkinan duplikat",
    description="Laporan terbuka sejenis di dekatnya (± 500 m) dalam selisih waktu pendek (± 30 menit), "
    "dengan alasannya; hanya yang terlihat oleh pengguna.",
)
def get_duplicates(request: HttpRequest, id: Id) -> list[dict[str, Any]]:
    user = user_of(request)
    incident = selectors.incident_detail(user, id)
    found = likely_duplicates(incident)
    visible = set(selectors.visible_incidents(user).filter(pk__in=[o.pk for o, _ in found])
                  .values_list("pk", flat=True))
    return [{"incident": incident_out(o), "reasons": r} for o, r in found if o.pk in visible]


@router.post(
    "/incidents/{id}/link", response={200: LinkOut, **CREATED_ERRORS}, summary="Tautkan sebagai duplikat",
    description="Tandai kejadian ini sebagai duplikat dari `duplicate_of` (status `duplikat`); alasan Bagops "
    "kejadian utama dihitung ulang. Penugasan aktif duplikat diakhiri (unit yang sudah tiba: selesai; yang masih "
    "menuju: dibatalkan) dan unitnya bebas untuk ditugaskan lagi.",
)
def post_link(request: HttpRequest, id: Id, payload: LinkIn) -> dict[str, Any]:
    user = user_of(request)
    incident = selectors.incident_detail(user, id)
    try:
        target = selectors.incident_detail(user, payload.duplicate_of)
    except NotFound:
        raise NotFound("Kejadian utama (duplicate_of) tidak ditemukan.") from None
    main = actions.link_duplicate(user, incident, duplicate_of=target, channel=Channel.API)
    return {"incident": incident_out(selectors.incident_detail(user, id)),
            "main": incident_out(selectors.incident_detail(user, main.pk))}


# --- public -------------------------------------------------------------------------------------------


@router.get(
    "/public/track/{code}", auth=None, response={200: TrackOut, 404: ErrorOut, 422: ErrorOut},
    summary="Lacak laporan (publik)",
    description="Status dan kemajuan sebuah laporan menurut kode lacaknya, tanpa data pribadi. Tanpa login.",
)
def get_public_track(request: HttpRequest, code: str) -> dict[str, Any]:
    incident = selectors.by_tracking_code(code)
    if incident is None:
        raise NotFound("Kode lacak tidak dikenal. Periksa kembali kode pada bukti laporan Anda.")
    return selectors.public_view(incident)
