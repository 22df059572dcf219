"""Patrol units and dispatch over the API.

Units: list, detail (with the crew signed on now), PATCH (active / home base), signing an officer on and off
a unit (crew), positions and state from the crew's phone or an AVL device.
Dispatch: recommendations for an incident, dispatching a unit, the assignment's steps, closing and reopening
the incident. Every route calls one action or selector; out of the user's scope is 404.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from k3i.core.api_errors import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS, ErrorOut
from k3i.core.audit import Channel
from k3i.core.errors import NotFound, ValidationFailed
from k3i.incidents.lifecycle import close_incident, reopen_incident
from k3i.incidents.models import Incident
from k3i.organization.api import (
    KODE_FUNGSI,
    MAX_ID,
    Id,
    PageParams,
    filter_placement,
    page,
    placement_out,
    user_of,
)

from .actions import (
    advance_assignment,
    crew_name,
    crew_of,
    dispatch_unit,
    named_officer,
    record_positions,
    set_unit_status,
    sign_off,
    sign_on,
    update_patrol_unit,
)
from .models import Assignment, PatrolUnit, UnitStatus
from .recommend import recommend_for
from .staleness import is_stale, stale_cutoff, status_label

router = Router(tags=["unit patroli"])


class UnitOut(Schema):
    id: int
    callsign: str = Field(..., description="Tanda panggil")
    tipe: PatrolUnit.Tipe = Field(..., description="R2 (sepeda motor) / R4 (mobil) / kaki / kapal")
    tipe_label: str
    polsek_id: int | None = Field(None, description="Polsek asal; kosong = unit Mapolres")
    polsek_nama: str | None = None
    fungsi_kode: str | None = Field(None, description="Fungsi pemilik unit")
    fungsi_singkatan: str | None = None
    home_lat: float | None = Field(None, description="Lintang pangkalan")
    home_lon: float | None = Field(None, description="Bujur pangkalan")
    aktif: bool = Field(..., description="Unit siap dioperasikan")
    status: UnitStatus = Field(..., description="Arti status yang tetap (tersedia, ditugaskan, menuju, tiba, …)")
    status_label: str = Field(..., description="Label status yang ditampilkan (dapat diatur: K3I_UNIT_STATUS_LABELS)")
    status_at: datetime | None = Field(None, description="Sejak kapan status ini berlaku")
    last_lat: float | None = Field(None, description="Lintang posisi terakhir")
    last_lon: float | None = Field(None, description="Bujur posisi terakhir")
    last_position_at: datetime | None = Field(None, description="Waktu perangkat posisi terakhir")
    stale: bool = Field(..., description="Posisi terakhir lebih lama dari K3I_STALE_MINUTES (bawaan 30 menit)")


def unit_out(u: PatrolUnit) -> dict[str, Any]:
    return {
        "id": u.pk, "callsign": u.callsign, "tipe": u.tipe, "tipe_label": u.get_tipe_display(), **placement_out(u),
        "home_lat": u.home_lat, "home_lon": u.home_lon, "aktif": u.aktif,
        "status": u.status, "status_label": status_label(u.status), "status_at": u.status_at,
        "last_lat": u.last_lat, "last_lon": u.last_lon, "last_position_at": u.last_position_at, "stale": is_stale(u),
    }


class UnitPage(Schema):
    count: int = Field(..., description="Jumlah seluruh data yang cocok")
    limit: int
    offset: int
    items: list[UnitOut]


class UnitFilter(PageParams):
    polsek: int | None = Field(None, ge=1, le=MAX_ID, description="Hanya unit Polsek ini (ID)")
    mapolres: bool | None = Field(None, description="true: hanya unit Mapolres (tanpa Polsek)")
    tipe: PatrolUnit.Tipe | None = Field(None, description="Jenis unit")
    fungsi: str | None = Field(None, pattern=KODE_FUNGSI, description="Kode fungsi, mis. SAT_SAMAPTA")
    aktif: bool | None = Field(None, description="Saring menurut status aktif")
    status: UnitStatus | None = Field(None, description="Saring menurut status unit")
    stale: bool | None = Field(None, description="true: hanya unit dengan posisi usang; false: tanpa yang usang")


class UnitPatch(Schema):
    """Kolom yang boleh diubah; kolom lain ditolak (422)."""

    model_config = ConfigDict(extra="forbid")

    aktif: bool | None = Field(None, description="Aktifkan (true) atau nonaktifkan (false) unit")
    home_lat: float | None = Field(
        None, allow_inf_nan=False, description="Lintang pangkalan baru (Indonesia: -11,5 s.d. 6,5); null = hapus"
    )
    home_lon: float | None = Field(
        None, allow_inf_nan=False, description="Bujur pangkalan baru (Indonesia: 94,5 s.d. 141,5); null = hapus"
    )


def _json_body(request: HttpRequest, *, empty: bytes) -> Any:
    """The request body of a route that parses its own JSON (``empty``: what an empty body means). Not JSON,
    not UTF-8, or nested deeper than the parser can follow: 422 on ``body``."""
    try:
        return json.loads(request.body or empty)
    except RecursionError as exc:
        raise ValidationFailed.field("body", "Isi permintaan bersarang terlalu dalam.") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.field("body", "Isi permintaan bukan JSON yang sah.") from exc


def _visible_units(request: HttpRequest) -> Any:
    return PatrolUnit.objects.restrict(user_of(request), "view").select_related("polsek", "fungsi")


def _get_unit(request: HttpRequest, id: int) -> PatrolUnit:
    unit = _visible_units(request).filter(pk=id).first()
    if unit is None:
        raise NotFound("Unit patroli tidak ditemukan.")
    return unit


@router.get(
    "/units", response={200: UnitPage, **LIST_ERRORS}, summary="Daftar unit patroli",
    description="Unit patroli dalam lingkup wilayah dan fungsi pengguna, berhalaman, dengan status, label "
    "status, posisi terakhir dan tanda posisi usang; dapat disaring per Polsek, jenis, fungsi, status aktif, "
    "status unit dan keusangan posisi.",
)
def list_units(request: HttpRequest, filters: Query[UnitFilter]) -> dict[str, Any]:
    qs = filter_placement(_visible_units(request), filters)
    if filters.tipe is not None:
        qs = qs.filter(tipe=filters.tipe)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.stale is not None:
        old = {"last_position_at__lt": stale_cutoff()}
        qs = qs.filter(**old) if filters.stale else qs.exclude(**old)
    return page(qs.order_by("callsign", "id"), filters, unit_out)


class CrewOut(Schema):
    user_id: int
    username: str = Field(..., description="Nama pengguna anggota")
    nama: str = Field(..., description="Nama anggota (data personel)")
    signed_on_at: datetime = Field(..., description="Masuk dinas pada unit ini sejak")
    signed_on_by: str | None = Field(None, description="Nama pengguna petugas yang memasukkannya (apel); kosong: "
                                     "anggota itu sendiri")


class UnitDetailOut(UnitOut):
    crew: list[CrewOut] = Field(..., description="Awak unit yang sedang masuk dinas (anggota yang masuk dinas pada "
                                "unit ini), paling awal dulu")


def unit_detail_out(u: PatrolUnit) -> dict[str, Any]:
    crew = crew_of([u.pk]).get(u.pk, [])
    return {**unit_out(u), "crew": [
        {"user_id": r.user_id, "username": r.user.get_username(), "nama": crew_name(r.user),
         "signed_on_at": r.signed_on_at,
         "signed_on_by": r.signed_on_by.get_username() if r.signed_on_by_id and r.signed_on_by_id != r.user_id
         and r.signed_on_by else None}
        for r in crew]}


@router.get(
    "/units/{id}", response={200: UnitDetailOut, **READ_ERRORS}, summary="Rincian unit patroli",
    description="Satu unit patroli, dengan awaknya yang sedang masuk dinas (nama pengguna dan nama). Di luar "
    "lingkup pengguna: 404.",
)
def get_unit(request: HttpRequest, id: Id) -> dict[str, Any]:
    return unit_detail_out(_get_unit(request, id))


@router.patch(
    "/units/{id}", response={200: UnitOut, **WRITE_ERRORS}, summary="Ubah unit patroli",
    description="Aktifkan/nonaktifkan unit atau pindahkan pangkalannya. Hanya admin, operator dan Kapolsek "
    "(untuk unit Polseknya sendiri); perlu token tulis (`k3i token create --write`) atau sesi login. "
    "Perubahan dicatat di buku audit dan dikirim sebagai peristiwa langsung `unit.diperbarui`.",
)
def patch_unit(request: HttpRequest, id: Id, payload: UnitPatch) -> dict[str, Any]:
    unit = _get_unit(request, id)
    unit = update_patrol_unit(user_of(request), unit, channel=Channel.API, **payload.model_dump(exclude_unset=True))
    return unit_out(unit)


# --- Crew: signing an officer on and off a unit ---------------------------------------------------


class CrewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    user_id: int | None = Field(None, ge=1, le=MAX_ID, description="Anggota yang dimasukkan (hanya operator, Kapolsek, "
                                "Kabagops: apel); kosong = diri sendiri")


class CrewQuery(Schema):
    user_id: int | None = Field(None, ge=1, le=MAX_ID, description="Anggota yang diakhiri dinasnya (hanya operator, "
                                "Kapolsek, Kabagops); kosong = diri sendiri")


_CREW_BODY = {"required": False, "content": {"application/json": {"schema": CrewIn.model_json_schema()}}}


@router.post(
    "/units/{id}/crew", response={200: UnitDetailOut, 409: ErrorOut, **WRITE_ERRORS}, summary="Masuk dinas pada unit",
    description="Anggota (petugas patroli) masuk dinas pada unit ini untuk shiftnya (tanpa isi, atau `{}`): hanya "
    "unit Polsek dan fungsinya sendiri (403 dengan alasannya). Satu unit sekaligus: masuk dinas pada unit lain "
    "mengakhiri yang sebelumnya — ditolak (409) bila ia awak terakhir unit yang masih punya penugasan aktif. Operator, "
    "Kapolsek dan Kabagops memasukkan anggota di wilayahnya dengan `{\"user_id\": …}` (apel), tercatat siapa yang "
    "melakukannya. Mengulang permintaan yang sama tidak mengubah apa pun. Setelah masuk dinas, anggota melaporkan "
    "posisi, status dan langkah penugasan hanya untuk unit ini. Buku audit `unit.awak_masuk`, peristiwa langsung "
    "`unit.awak`.",
    openapi_extra={"requestBody": _CREW_BODY},
)
def post_crew(request: HttpRequest, id: Id) -> dict[str, Any]:
    unit = _get_unit(request, id)
    data = _json_body(request, empty=b"{}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationFailed.field("body", "Kirim objek JSON: {} untuk diri sendiri, atau {\"user_id\": …}.")
    unknown = sorted(set(data) - {"user_id"})
    if unknown:
        raise ValidationFailed("Kolom tidak dikenal: " + ", ".join(unknown) + ".",
                               [{"field": f, "message": "kolom tidak dikenal"} for f in unknown])
    user = user_of(request)
    sign_on(user, unit, channel=Channel.API, officer=named_officer(user, data.get("user_id")))
    return unit_detail_out(_get_unit(request, id))


@router.delete(
    "/units/{id}/crew", response={200: UnitDetailOut, 409: ErrorOut, **WRITE_ERRORS}, summary="Selesai dinas",
    description="Anggota mengakhiri dinasnya pada unit ini; operator, Kapolsek dan Kabagops untuk anggota di "
    "wilayahnya dengan `?user_id=`. Bila anggota itu tidak sedang masuk dinas pada unit ini, tidak ada yang diubah "
    "(permintaan yang diulang aman). Awak terakhir unit yang masih punya penugasan aktif tidak dapat keluar sendiri "
    "(409): selesaikan tugasnya, atau minta operator. Buku audit `unit.awak_keluar`, peristiwa langsung `unit.awak`.",
)
def delete_crew(request: HttpRequest, id: Id, params: Query[CrewQuery]) -> dict[str, Any]:
    unit = _get_unit(request, id)
    user = user_of(request)
    sign_off(user, channel=Channel.API, officer=named_officer(user, params.user_id), unit=unit)
    return unit_detail_out(_get_unit(request, id))


# --- Positions and unit state (the crew's phone, AVL devices) -------------------------------------


class PositionIn(Schema):
    lat: float = Field(..., allow_inf_nan=False, description="Lintang (WGS84)")
    lon: float = Field(..., allow_inf_nan=False, description="Bujur (WGS84)")
    device_time: datetime = Field(..., description="Waktu perangkat, ISO-8601 dengan zona waktu (mis. +07:00)")
    speed_kmh: float | None = Field(None, allow_inf_nan=False, description="Kecepatan (km/jam), 0–400")
    heading: float | None = Field(None, allow_inf_nan=False, description="Arah (derajat dari utara), 0–360")
    accuracy_m: float | None = Field(None, allow_inf_nan=False, description="Akurasi (meter)")


class PositionsOut(Schema):
    stored: int = Field(..., description="Jumlah posisi baru yang disimpan (posisi yang sudah tersimpan tidak "
                        "dihitung: 0 untuk kiriman ulang)")
    unit: UnitOut


_ONE_POSITION = PositionIn.model_json_schema()
_POSITIONS_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"oneOf": [
        _ONE_POSITION, {"type": "array", "items": _ONE_POSITION, "minItems": 1, "maxItems": 500},
    ]}}},
}


@router.post(
    "/units/{id}/positions", response={201: PositionsOut, **WRITE_ERRORS}, summary="Laporkan posisi unit",
    description="Satu posisi (objek) atau beberapa (daftar, paling banyak 500) dengan waktu perangkat. Posisi yang "
    "lebih lama dari posisi terakhir disimpan sebagai jejak tetapi tidak memindahkan unit; waktu perangkat lebih "
    "dari 2 menit di masa depan ditolak. Posisi yang sudah tersimpan (waktu perangkat, lintang dan bujur sama) "
    "disimpan sekali saja: kiriman ulang aman (`stored` hanya menghitung posisi baru; 0: tidak ada yang ditulis). "
    "Oleh awak unit (anggota yang sedang masuk dinas pada unit itu: `POST /api/v1/units/{id}/crew`) atau "
    "operator/Kapolsek; peristiwa langsung `unit.posisi`. Kesalahan per kolom diberi nomor urut posisi "
    "(mis. `1.device_time`) bila yang dikirim daftar.",
    openapi_extra={"requestBody": _POSITIONS_BODY},
)
def post_positions(request: HttpRequest, id: Id) -> tuple[int, dict[str, Any]]:
    unit = _get_unit(request, id)
    data = _json_body(request, empty=b"null")
    items = data if isinstance(data, list) else [data] if isinstance(data, dict) else None
    if items is None:
        raise ValidationFailed.field("body", "Kirim satu posisi (objek JSON) atau daftar posisi.")
    stored = record_positions(user_of(request), unit, items, channel=Channel.API)
    return 201, {"stored": stored, "unit": unit_out(_get_unit(request, id))}


class UnitStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: UnitStatus = Field(..., description="Status baru (arti tetap)")
    note: str = Field("", max_length=300, description="Catatan (opsional)")


@router.post(
    "/units/{id}/status", response={200: UnitOut, **WRITE_ERRORS}, summary="Ubah status unit",
    description="Status unit oleh awaknya atau dispatcher (mis. menangani, kembali, tidak_tersedia, darurat). "
    "Selama unit memiliki penugasan aktif, status bebas ditolak (409): selesaikan/batalkan penugasannya.",
)
def post_unit_status(request: HttpRequest, id: Id, payload: UnitStatusIn) -> dict[str, Any]:
    unit = _get_unit(request, id)
    set_unit_status(user_of(request), unit, payload.status, channel=Channel.API, note=payload.note)
    return unit_out(_get_unit(request, id))


# --- Recommendation and dispatch ------------------------------------------------------------------


def _get_incident(request: HttpRequest, id: int) -> Incident:
    incident = Incident.objects.restrict(user_of(request), "view").select_related("kelurahan").filter(pk=id).first()
    if incident is None:
        raise NotFound("Kejadian tidak ditemukan.")
    return incident


class PullOut(Schema):
    assignment_id: int
    incident_id: int
    incident_number: str
    priority: int
    category: str


class RecommendationOut(Schema):
    rank: int = Field(..., description="1 = saran pertama")
    unit: UnitOut
    eta_seconds: int = Field(..., description="Perkiraan waktu tiba (detik)")
    eta_minutes: int
    distance_m: int = Field(..., description="Perkiraan jarak jalan (meter)")
    score: float = Field(..., description="Skor urutan (detik; lebih kecil lebih baik)")
    reasons: list[str] = Field(..., description="Alasan saran (Bahasa Indonesia)")
    stale: bool
    from_home: bool = Field(..., description="Dihitung dari pangkalan (belum ada laporan posisi)")
    pull_from: PullOut | None = Field(None, description="Tugas prioritas rendah yang akan ditinggalkan unit ini")


class RecommendationsOut(Schema):
    incident_id: int
    incident_number: str
    priority: int
    generated_at: datetime
    items: list[RecommendationOut]


class RecommendationParams(Schema):
    limit: int = Field(5, ge=1, le=50, description="Jumlah saran (1–50, bawaan 5)")
    include_stale: bool = Field(False, description="Sertakan unit dengan posisi usang (di akhir daftar, ditandai)")


@router.get(
    "/incidents/{id}/recommendations", response={200: RecommendationsOut, **READ_ERRORS},
    summary="Saran unit untuk kejadian", tags=["penugasan"],
    description="Unit yang disarankan, urut perkiraan waktu tiba (ETA), mengutamakan unit Polsek kejadian dan "
    "fungsi utamanya; unit usang, nonaktif, sibuk dan tidak tersedia dilewati — kecuali untuk kejadian prioritas 1, "
    "unit pada tugas P3/P4 diusulkan untuk ditarik (`pull_from`). Setiap saran membawa alasannya.",
)
def get_recommendations(request: HttpRequest, id: Id, params: Query[RecommendationParams]) -> dict[str, Any]:
    incident = _get_incident(request, id)
    now = timezone.now()
    # the same ranking as the incident page and dispatch_unit: only units this user may send
    recs = recommend_for(user_of(request), incident, limit=params.limit, now=now, include_stale=params.include_stale)
    items = []
    for r in recs:
        pull = None
        if r.pull_from is not None:
            inc = r.pull_from.incident
            pull = {"assignment_id": r.pull_from.pk, "incident_id": inc.pk, "incident_number": inc.number,
                    "priority": inc.priority, "category": inc.category}
        items.append({
            "rank": r.rank, "unit": unit_out(r.unit), "eta_seconds": r.eta_seconds,
            "eta_minutes": max(1, round(r.eta_seconds / 60)), "distance_m": r.distance_m, "score": r.score,
            "reasons": r.reasons, "stale": r.stale, "from_home": r.from_home, "pull_from": pull,
        })
    return {"incident_id": incident.pk, "incident_number": incident.number, "priority": incident.priority,
            "generated_at": now, "items": items}


class AssignmentOut(Schema):
    id: int
    incident_id: int
    incident_number: str
    unit_id: int
    callsign: str
    status: Assignment.Status
    status_label: str
    assigned_at: datetime
    accepted_at: datetime | None = None
    enroute_at: datetime | None = None
    arrived_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    assigned_by: str | None = Field(None, description="Nama pengguna dispatcher")
    recommended_rank: int | None = Field(None, description="Peringkat yang dilihat dispatcher (informatif; bila tidak "
                                         "dikirim: peringkat menurut server)")
    current_rank: int | None = Field(None, description="Peringkat unit menurut server saat ditugaskan (1 = saran "
                                     "pertama; kosong: tidak ada dalam saran)")
    ranking_size: int | None = Field(None, description="Jumlah unit dalam peringkat saat itu; kosong: tanpa peringkat "
                                     "(lokasi kejadian belum diketahui)")
    eta_seconds: int | None = None
    override_reason: str = Field("", description="Alasan memilih unit selain saran pertama")
    pulled_from_id: int | None = Field(None, description="Penugasan lain yang ditinggalkan unit ini")


def assignment_out(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.pk, "incident_id": a.incident_id, "incident_number": a.incident.number, "unit_id": a.unit_id,
        "callsign": a.unit.callsign, "status": a.status, "status_label": a.get_status_display(),
        "assigned_at": a.assigned_at, "accepted_at": a.accepted_at, "enroute_at": a.enroute_at,
        "arrived_at": a.arrived_at, "completed_at": a.completed_at, "cancelled_at": a.cancelled_at,
        "assigned_by": a.assigned_by.get_username() if a.assigned_by else None,
        "recommended_rank": a.recommended_rank, "current_rank": a.current_rank, "ranking_size": a.ranking_size,
        "eta_seconds": a.eta_seconds, "override_reason": a.override_reason, "pulled_from_id": a.pulled_from_id,
    }


def _assignments() -> Any:
    return Assignment.objects.select_related("incident", "unit", "assigned_by")


@router.get(
    "/incidents/{id}/dispatches", response={200: list[AssignmentOut], **READ_ERRORS},
    summary="Penugasan untuk kejadian", tags=["penugasan"],
    description="Semua penugasan unit untuk satu kejadian, terbaru dulu, dengan rantai waktunya.",
)
def list_dispatches(request: HttpRequest, id: Id) -> list[dict[str, Any]]:
    incident = _get_incident(request, id)
    return [assignment_out(a) for a in _assignments().filter(incident=incident)]


class DispatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    unit_id: int = Field(..., ge=1, le=MAX_ID, description="Unit yang ditugaskan")
    override_reason: str = Field("", max_length=300, description="Wajib bila unit ini bukan peringkat 1 menurut "
                                 "peringkat server saat ini, atau bila lokasi kejadian belum diketahui")
    recommended_rank: int | None = Field(None, ge=1, le=1000, description="Informatif: peringkat unit dalam saran yang "
                                         "dilihat dispatcher. Disimpan, tetapi tidak menentukan apakah alasan wajib")
    pull: bool = Field(False, description="Tarik unit dari tugas yang kurang mendesak")


@router.post(
    "/incidents/{id}/dispatches", response={201: AssignmentOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Tugaskan unit", tags=["penugasan"],
    description="Menugaskan unit ke kejadian. Server memeringkat ulang unit yang boleh dikirim pengguna ini; unit yang "
    "kini bukan peringkat 1 wajib disertai `override_reason` (422; bila peringkat berubah sejak dilihat, pesannya "
    "menyebut peringkat sekarang). `recommended_rank` hanya informatif. Lokasi kejadian belum diketahui: penugasan "
    "tetap bisa dengan `override_reason`, tercatat tanpa peringkat. Unit yang sedang bertugas: 409 — atau "
    "`pull: true` untuk menarik unit dari tugas yang kurang mendesak. "
    "Dua dispatcher menugaskan unit yang sama bersamaan: satu berhasil, yang lain 409. Unit menjadi 'ditugaskan', "
    "kejadian 'ditugaskan'; peristiwa `penugasan.baru`, `unit.status`, `kejadian.diperbarui`.",
)
def post_dispatch(request: HttpRequest, id: Id, payload: DispatchIn) -> tuple[int, dict[str, Any]]:
    incident = _get_incident(request, id)
    unit = _visible_units(request).filter(pk=payload.unit_id).first()
    if unit is None:
        raise NotFound("Unit patroli tidak ditemukan.")
    a = dispatch_unit(user_of(request), incident, unit, channel=Channel.API, override_reason=payload.override_reason,
                      recommended_rank=payload.recommended_rank, pull=payload.pull)
    return 201, assignment_out(_assignments().get(pk=a.pk))


class AssignmentStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: Literal["diterima", "menuju", "tiba", "selesai", "dibatalkan"] = Field(
        ..., description="Langkah berikutnya: diterima, menuju, tiba, selesai (setelah tiba) atau dibatalkan")
    device_time: str | None = Field(
        None, max_length=64,
        description="Kapan langkah ditekan di ponsel (ISO-8601 dengan zona, mis. 2026-05-01T08:30:00+07:00): langkah "
        "yang ditekan tanpa sinyal dan baru terkirim kemudian dicatat pada waktu tekannya (tidak sebelum langkah "
        "sebelumnya, tidak melewati waktu server; paling lama 1 hari, paling jauh 2 menit di masa depan). Kosong: "
        "waktu server.")


@router.post(
    "/dispatches/{id}/status", response={200: AssignmentOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Langkah penugasan", tags=["penugasan"],
    description="Rantai waktu penugasan (diterima → menuju → tiba → selesai, atau dibatalkan), oleh dispatcher atau "
    "awak unit dari ponselnya. Hanya maju; langkah yang sama lagi tidak mengubah apa pun. Status unit dan kejadian "
    "mengikuti (tiba pertama: kejadian 'ditangani').",
)
def post_dispatch_status(request: HttpRequest, id: Id, payload: AssignmentStatusIn) -> dict[str, Any]:
    user = user_of(request)
    visible_incidents = Incident.objects.restrict(user, "view").values("pk")
    visible_units = PatrolUnit.objects.restrict(user, "view").values("pk")
    a = _assignments().filter(pk=id).filter(
        Q(incident__in=visible_incidents) | Q(unit__in=visible_units)).first()
    if a is None:
        raise NotFound("Penugasan tidak ditemukan.")
    a = advance_assignment(user, a, payload.status, channel=Channel.API, device_time=payload.device_time)
    return assignment_out(_assignments().get(pk=a.pk))


# --- Closing and reopening ------------------------------------------------------------------------


class IncidentStateOut(Schema):
    id: int
    number: str
    status: Incident.Status
    status_label: str
    disposition: str = Field("", description="Kode hasil penanganan")
    disposition_note: str = ""
    dispatched_at: datetime | None = None
    arrived_at: datetime | None = None
    closed_at: datetime | None = None


def incident_state_out(i: Incident) -> dict[str, Any]:
    return {"id": i.pk, "number": i.number, "status": i.status, "status_label": i.get_status_display(),
            "disposition": i.disposition, "disposition_note": i.disposition_note, "dispatched_at": i.dispatched_at,
            "arrived_at": i.arrived_at, "closed_at": i.closed_at}


class CloseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: Literal["selesai", "tidak_terbukti", "dibatalkan"] = Field(..., description="Status penutupan")
    disposition: str = Field(..., max_length=40, description="Kode hasil penanganan untuk status itu")
    note: str = Field(..., max_length=2000, description="Catatan penutupan (wajib)")


class ReopenIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(..., max_length=2000, description="Alasan membuka kembali (wajib)")


@router.post(
    "/incidents/{id}/close", response={200: IncidentStateOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Tutup kejadian", tags=["penugasan"],
    description="Menutup kejadian dengan hasil: `selesai` (ditangani_di_tkp, pelaku_diamankan, dibuat_laporan_polisi, "
    "mediasi, diserahkan_instansi, bantuan_diberikan), `tidak_terbukti` (tidak_ditemukan, laporan_palsu, "
    "sudah_selesai) atau `dibatalkan` (dibatalkan_pelapor, di_luar_wilayah, kesalahan_input, "
    "bukan_kewenangan_polri), dengan catatan. Penugasan aktif diakhiri dan unit dibebaskan.",
)
def post_close(request: HttpRequest, id: Id, payload: CloseIn) -> dict[str, Any]:
    incident = _get_incident(request, id)
    incident = close_incident(user_of(request), incident, status=payload.status, disposition=payload.disposition,
                              note=payload.note, channel=Channel.API)
    return incident_state_out(incident)


@router.post(
    "/incidents/{id}/reopen", response={200: IncidentStateOut, 409: ErrorOut, **WRITE_ERRORS},
    summary="Buka kembali kejadian", tags=["penugasan"],
    description="Membuka kembali kejadian yang sudah ditutup, dengan alasan; tercatat di riwayat dan buku audit.",
)
def post_reopen(request: HttpRequest, id: Id, payload: ReopenIn) -> dict[str, Any]:
    incident = _get_incident(request, id)
    incident = reopen_incident(user_of(request), incident, reason=payload.reason, channel=Channel.API)
    return incident_state_out(incident)
