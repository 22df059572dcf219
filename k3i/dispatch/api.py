"""Patrol units over the API: list, detail, and PATCH (active / home base) through ``update_patrol_unit``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import ConfigDict

from k3i.core.api_errors import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from k3i.core.audit import Channel
from k3i.core.errors import NotFound
from k3i.organization.api import KODE_FUNGSI, MAX_ID, Id, PageParams, fungsi_by_kode, page, user_of

from .actions import update_patrol_unit
from .models import PatrolUnit

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


def unit_out(u: PatrolUnit) -> dict[str, Any]:
    return {
        "id": u.pk, "callsign": u.callsign, "tipe": u.tipe, "tipe_label": u.get_tipe_display(),
        "polsek_id": u.polsek_id, "polsek_nama": u.polsek.nama if u.polsek else None,
        "fungsi_kode": u.fungsi.kode if u.fungsi else None,
        "fungsi_singkatan": u.fungsi.singkatan if u.fungsi else None,
        "home_lat": u.home_lat, "home_lon": u.home_lon, "aktif": u.aktif,
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


def _visible_units(request: HttpRequest) -> Any:
    return PatrolUnit.objects.restrict(user_of(request), "view").select_related("polsek", "fungsi")


def _get_unit(request: HttpRequest, id: int) -> PatrolUnit:
    unit = _visible_units(request).filter(pk=id).first()
    if unit is None:
        raise NotFound("Unit patroli tidak ditemukan.")
    return unit


@router.get(
    "/units", response={200: UnitPage, **LIST_ERRORS}, summary="Daftar unit patroli",
    description="Unit patroli dalam lingkup wilayah dan fungsi pengguna, berhalaman; dapat disaring per "
    "Polsek, jenis, fungsi dan status aktif.",
)
def list_units(request: HttpRequest, filters: Query[UnitFilter]) -> dict[str, Any]:
    qs = _visible_units(request)
    if filters.polsek is not None:
        qs = qs.filter(polsek_id=filters.polsek)
    if filters.mapolres is not None:
        qs = qs.filter(polsek__isnull=filters.mapolres)
    if filters.tipe is not None:
        qs = qs.filter(tipe=filters.tipe)
    fungsi = fungsi_by_kode(filters.fungsi)
    if fungsi is not None:
        qs = qs.filter(fungsi=fungsi)
    if filters.aktif is not None:
        qs = qs.filter(aktif=filters.aktif)
    return page(qs.order_by("callsign", "id"), filters, unit_out)


@router.get(
    "/units/{id}", response={200: UnitOut, **READ_ERRORS}, summary="Rincian unit patroli",
    description="Satu unit patroli. Di luar lingkup pengguna: 404.",
)
def get_unit(request: HttpRequest, id: Id) -> dict[str, Any]:
    return unit_out(_get_unit(request, id))


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
