"""The organisation (KOD) over the API: Polres, Polsek, Pospol, functions, personnel, Bhabinkamtibmas.

Every read goes through ``restrict(user, "view")``: a record outside the user's territory or function is
absent (404 on a detail). Personal data (the personnel list) needs ``view_personel``; a role without it
gets 403 on the list and 404 on a detail. Regions and locate live in ``api_regions.py``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema

from k3i.core.access import can
from k3i.core.api_errors import LIST_ERRORS, READ_ERRORS, ErrorOut
from k3i.core.errors import NotFound, PermissionDenied, ValidationFailed
from k3i.dispatch.models import PatrolUnit

from . import selectors
from .models import (
    BhabinCoverage,
    Fungsi,
    Pangkat,
    Personel,
    Polres,
    Polsek,
    Polsubsektor,
    Pospol,
    polres_for,
)

router = Router(tags=["organisasi"])

MAX_ID = 2**63 - 1  # BigAutoField; larger values would overflow the database driver
KODE_FUNGSI = r"^[A-Za-z0-9_]{1,40}$"
NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"

Id = Annotated[int, Path(..., ge=1, le=MAX_ID, description="ID data")]


def user_of(request: HttpRequest) -> Any:
    """The authenticated user (bearer token or session), as set by ``k3i.accounts.auth``."""
    return getattr(request, "auth", None) or request.user


# --- Shared schemas -------------------------------------------------------------------------------


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=500, description="Jumlah data per halaman (1–500, bawaan 100)")
    offset: int = Field(0, ge=0, le=10_000_000, description="Lewati sejumlah data pertama (bawaan 0)")


def page(qs: QuerySet[Any], params: PageParams, render: Any) -> dict[str, Any]:
    return {
        "count": qs.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": [render(o) for o in qs[params.offset : params.offset + params.limit]],
    }


class PersonRef(Schema):
    id: int = Field(..., description="ID personel")
    nama: str = Field(..., description="Nama")
    pangkat: str = Field(..., description="Kode pangkat (bharada … kombes)")
    pangkat_label: str = Field(..., description="Pangkat tertulis, mis. 'Aipda'")


def person_ref(p: Personel) -> dict[str, Any]:
    return {"id": p.pk, "nama": p.nama, "pangkat": p.pangkat, "pangkat_label": p.get_pangkat_display()}


class KelurahanRef(Schema):
    kode: str = Field(..., description="Kode wilayah Kemendagri (PP.KK.CC.DDDD)")
    nama: str = Field(..., description="Nama kelurahan/desa")


# --- Polres ---------------------------------------------------------------------------------------


class PolresOut(Schema):
    id: int
    kode: str = Field(..., description="Kode singkat Polres")
    nama: str = Field(..., description="Nama Polres")
    tipe: Polres.Tipe = Field(..., description="Tipe: metro / polrestabes / polresta / polres")
    tipe_label: str = Field(..., description="Tipe tertulis")
    polda: str = Field(..., description="Polda induk")
    wilayah_kode: str = Field(..., description="Kode kota/kabupaten (Kemendagri)")
    wilayah_nama: str = Field(..., description="Nama kota/kabupaten")
    alamat: str
    lat: float | None = Field(None, description="Lintang Mapolres")
    lon: float | None = Field(None, description="Bujur Mapolres")
    jumlah_polsek: int = Field(..., description="Jumlah Polsek yang terlihat oleh pengguna")


@router.get(
    "/polres", response={200: PolresOut, **READ_ERRORS}, summary="Polres pengguna",
    description="Polres tempat pengguna bertugas, dengan jumlah Polsek dalam lingkupnya.",
)
def get_polres(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    polres = polres_for(user) if getattr(user, "polres_id", None) else None
    if polres is None:
        raise NotFound("Pengguna ini tidak terhubung ke Polres mana pun.")
    return {
        "id": polres.pk, "kode": polres.kode, "nama": polres.nama, "tipe": polres.tipe,
        "tipe_label": polres.get_tipe_display(), "polda": polres.polda, "wilayah_kode": polres.wilayah_id,
        "wilayah_nama": polres.wilayah.nama, "alamat": polres.alamat, "lat": polres.lat, "lon": polres.lon,
        "jumlah_polsek": Polsek.objects.restrict(user, "view").count(),
    }


# --- Polsek ---------------------------------------------------------------------------------------


class PolsekOut(Schema):
    id: int
    nama: str = Field(..., description="Nama Polsek")
    tipe: Polsek.Tipe = Field(..., description="Tipe Polsek A–D")
    tipe_label: str
    berwenang_penyidikan: bool = Field(..., description="Berwenang melakukan penyidikan")
    kecamatan_kode: str = Field(..., description="Kode kecamatan wilayah hukum")
    kecamatan_nama: str = Field(..., description="Nama kecamatan wilayah hukum")
    alamat: str
    telepon: str
    lat: float | None = None
    lon: float | None = None


def polsek_out(ps: Polsek) -> dict[str, Any]:
    return {
        "id": ps.pk, "nama": ps.nama, "tipe": ps.tipe, "tipe_label": ps.get_tipe_display(),
        "berwenang_penyidikan": ps.berwenang_penyidikan, "kecamatan_kode": ps.kecamatan_id,
        "kecamatan_nama": ps.kecamatan.nama, "alamat": ps.alamat, "telepon": ps.telepon,
        "lat": ps.lat, "lon": ps.lon,
    }


class PospolOut(Schema):
    id: int
    nama: str = Field(..., description="Nama Pospol")
    polsek_id: int = Field(..., description="Polsek induk")
    polsek_nama: str
    kelurahan_kode: str = Field(..., description="Kelurahan yang dilayani")
    kelurahan_nama: str
    lat: float
    lon: float


def pospol_out(p: Pospol) -> dict[str, Any]:
    return {
        "id": p.pk, "nama": p.nama, "polsek_id": p.polsek_id, "polsek_nama": p.polsek.nama,
        "kelurahan_kode": p.kelurahan_id, "kelurahan_nama": p.kelurahan.nama, "lat": p.lat, "lon": p.lon,
    }


class KelurahanCoverageOut(KelurahanRef):
    bhabin: PersonRef | None = Field(None, description="Bhabinkamtibmas yang membina; kosong = celah")


class PolsubsektorOut(Schema):
    id: int
    nama: str
    kelurahan: list[KelurahanRef]


class PolsekDetailOut(PolsekOut):
    kelurahan: list[KelurahanCoverageOut] = Field(..., description="Kelurahan dalam wilayah hukum")
    pospol: list[PospolOut]
    polsubsektor: list[PolsubsektorOut]
    jumlah_unit: int = Field(..., description="Unit patroli Polsek yang terlihat oleh pengguna")
    jumlah_personel: int | None = Field(
        None, description="Jumlah personel (kosong bila peran tidak berwenang melihat data personel)"
    )


@router.get(
    "/polsek", response={200: list[PolsekOut], **LIST_ERRORS}, summary="Daftar Polsek",
    description="Polsek dalam lingkup wilayah pengguna.",
)
def list_polsek(request: HttpRequest) -> list[dict[str, Any]]:
    return [polsek_out(ps) for ps in selectors.visible_polsek(user_of(request))]


@router.get(
    "/polsek/{id}", response={200: PolsekDetailOut, **READ_ERRORS}, summary="Rincian Polsek",
    description="Satu Polsek: kelurahan dan Bhabinkamtibmas-nya, Pospol, Polsubsektor, jumlah unit dan "
    "personel. Di luar lingkup pengguna: 404.",
)
def get_polsek(request: HttpRequest, id: Id) -> dict[str, Any]:
    user = user_of(request)
    ps = Polsek.objects.restrict(user, "view").select_related("kecamatan").filter(pk=id).first()
    if ps is None:
        raise NotFound("Polsek tidak ditemukan.")
    rows = selectors.kelurahan_coverage(user, [ps.pk])
    subs = Polsubsektor.objects.restrict(user, "view").filter(polsek=ps).prefetch_related("kelurahan")
    see_personel = can(user, "view_personel")
    return {
        **polsek_out(ps),
        "kelurahan": [
            {"kode": r.kelurahan.kode, "nama": r.kelurahan.nama, "bhabin": person_ref(r.bhabin) if r.bhabin else None}
            for r in rows
        ],
        "pospol": [pospol_out(p) for p in selectors.visible_pospol(user, [ps.pk])],
        "polsubsektor": [
            {"id": s.pk, "nama": s.nama, "kelurahan": [{"kode": k.kode, "nama": k.nama} for k in s.kelurahan.all()]}
            for s in subs.order_by("nama")
        ],
        "jumlah_unit": PatrolUnit.objects.restrict(user, "view").filter(polsek=ps).count(),
        "jumlah_personel": (
            Personel.objects.restrict(user, "view").filter(polsek=ps, aktif=True).count() if see_personel else None
        ),
    }


# --- Pospol, fungsi -------------------------------------------------------------------------------


class PospolFilter(Schema):
    polsek: int | None = Field(None, ge=1, le=MAX_ID, description="Hanya Pospol Polsek ini (ID)")


@router.get(
    "/pospol", response={200: list[PospolOut], **LIST_ERRORS}, summary="Daftar Pospol",
    description="Pos Polisi dalam lingkup pengguna, dapat disaring per Polsek.",
)
def list_pospol(request: HttpRequest, filters: Query[PospolFilter]) -> list[dict[str, Any]]:
    qs = Pospol.objects.restrict(user_of(request), "view").select_related("polsek", "kelurahan")
    if filters.polsek is not None:
        qs = qs.filter(polsek_id=filters.polsek)
    return [pospol_out(p) for p in qs.order_by("nama", "id")]


class FungsiOut(Schema):
    id: int
    kode: str = Field(..., description="Kode fungsi, mis. SAT_RESKRIM")
    nama: str = Field(..., description="Nama lengkap, mis. Satuan Reserse Kriminal")
    singkatan: str = Field(..., description="Singkatan, mis. Sat Reskrim")
    jenis: Fungsi.Jenis = Field(..., description="utama / pendukung")
    keterangan: str


class FungsiFilter(Schema):
    jenis: Fungsi.Jenis | None = Field(None, description="Hanya fungsi utama atau pendukung")


@router.get(
    "/fungsi", response={200: list[FungsiOut], **LIST_ERRORS}, summary="Daftar fungsi",
    description="Fungsi Polres (Sat / Bag / Si), fungsi utama dan pendukung.",
)
def list_fungsi(request: HttpRequest, filters: Query[FungsiFilter]) -> list[dict[str, Any]]:
    qs = Fungsi.objects.restrict(user_of(request), "view")
    if filters.jenis is not None:
        qs = qs.filter(jenis=filters.jenis)
    return [
        {"id": f.pk, "kode": f.kode, "nama": f.nama, "singkatan": f.singkatan, "jenis": f.jenis,
         "keterangan": f.keterangan}
        for f in qs.order_by("jenis", "singkatan")
    ]


def fungsi_by_kode(kode: str | None, field: str = "fungsi") -> Fungsi | None:
    """A function filter given by its code; an unknown code is a 422 naming the field."""
    if kode is None:
        return None
    f = Fungsi.objects.filter(kode__iexact=kode).first()
    if f is None:
        raise ValidationFailed.field(field, f"Fungsi '{kode}' tidak dikenal (lihat /api/v1/fungsi).")
    return f


def placement_out(obj: Personel | PatrolUnit) -> dict[str, Any]:
    """Where a member or a patrol unit belongs: its Polsek (none: Mapolres) and its function."""
    return {
        "polsek_id": obj.polsek_id, "polsek_nama": obj.polsek.nama if obj.polsek else None,
        "fungsi_kode": obj.fungsi.kode if obj.fungsi else None,
        "fungsi_singkatan": obj.fungsi.singkatan if obj.fungsi else None,
    }


def filter_placement(qs: QuerySet[Any], filters: Any) -> QuerySet[Any]:
    """The filters personnel and patrol units share: ``polsek`` (ID), ``mapolres``, ``fungsi`` (code), ``aktif``."""
    if filters.polsek is not None:
        qs = qs.filter(polsek_id=filters.polsek)
    if filters.mapolres is not None:
        qs = qs.filter(polsek__isnull=filters.mapolres)
    fungsi = fungsi_by_kode(filters.fungsi)
    if fungsi is not None:
        qs = qs.filter(fungsi=fungsi)
    if filters.aktif is not None:
        qs = qs.filter(aktif=filters.aktif)
    return qs


# --- Personel -------------------------------------------------------------------------------------


class PersonelOut(Schema):
    id: int
    nrp: str = Field(..., description="NRP (8 angka)")
    nama: str
    pangkat: Pangkat = Field(..., description="Kode pangkat")
    pangkat_label: str = Field(..., description="Pangkat tertulis")
    jabatan: str
    polsek_id: int | None = Field(None, description="Polsek tempat bertugas; kosong = Mapolres")
    polsek_nama: str | None = None
    fungsi_kode: str | None = Field(None, description="Fungsi (Sat/Bag/Si), bila ada")
    fungsi_singkatan: str | None = None
    telepon: str
    aktif: bool


def personel_out(p: Personel) -> dict[str, Any]:
    return {
        "id": p.pk, "nrp": p.nrp, "nama": p.nama, "pangkat": p.pangkat, "pangkat_label": p.get_pangkat_display(),
        "jabatan": p.jabatan, **placement_out(p), "telepon": p.telepon, "aktif": p.aktif,
    }


class PersonelPage(Schema):
    count: int = Field(..., description="Jumlah seluruh data yang cocok")
    limit: int
    offset: int
    items: list[PersonelOut]


class PersonelFilter(PageParams):
    polsek: int | None = Field(None, ge=1, le=MAX_ID, description="Hanya personel Polsek ini (ID)")
    mapolres: bool | None = Field(None, description="true: hanya personel Mapolres (tanpa Polsek)")
    fungsi: str | None = Field(None, pattern=KODE_FUNGSI, description="Kode fungsi, mis. SAT_RESKRIM")
    pangkat: Pangkat | None = Field(None, description="Pangkat")
    aktif: bool | None = Field(None, description="Saring menurut status aktif")
    q: str | None = Field(None, max_length=80, pattern=NO_CONTROL, description="Cari nama, NRP atau jabatan")


@router.get(
    "/personel", response={200: PersonelPage, 403: ErrorOut, **LIST_ERRORS}, tags=["personel"],
    summary="Daftar personel",
    description="Personel dalam lingkup wilayah dan fungsi pengguna, berhalaman. Data pribadi: hanya untuk "
    "peran yang berwenang (pimpinan, Kabagops, operator, Kapolsek, Propam); peran lain mendapat 403.",
)
def list_personel(request: HttpRequest, filters: Query[PersonelFilter]) -> dict[str, Any]:
    user = user_of(request)
    if not can(user, "view_personel"):
        raise PermissionDenied("Peran Anda tidak berwenang melihat data personel.")
    qs = filter_placement(Personel.objects.restrict(user, "view").select_related("polsek", "fungsi"), filters)
    if filters.pangkat is not None:
        qs = qs.filter(pangkat=filters.pangkat)
    if filters.q:
        q = filters.q.strip()
        qs = qs.filter(Q(nama__icontains=q) | Q(nrp__startswith=q) | Q(jabatan__icontains=q))
    return page(qs.order_by("nama", "id"), filters, personel_out)


@router.get(
    "/personel/{id}", response={200: PersonelOut, **READ_ERRORS}, tags=["personel"],
    summary="Rincian personel",
    description="Satu personel. Di luar lingkup pengguna, atau peran tanpa hak melihat personel: 404.",
)
def get_personel(request: HttpRequest, id: Id) -> dict[str, Any]:
    p = Personel.objects.restrict(user_of(request), "view").select_related("polsek", "fungsi").filter(pk=id).first()
    if p is None:
        raise NotFound("Personel tidak ditemukan.")
    return personel_out(p)


# --- Bhabinkamtibmas ------------------------------------------------------------------------------


class BhabinOut(Schema):
    personel: PersonRef = Field(..., description="Bhabinkamtibmas")
    polsek_id: int | None = Field(None, description="Polsek tempat bertugas")
    polsek_nama: str | None = None
    kelurahan: list[KelurahanRef] = Field(..., description="Kelurahan/desa binaan")


class GapOut(KelurahanRef):
    kecamatan_kode: str
    kecamatan_nama: str
    polsek_id: int = Field(..., description="Polsek yang wilayah hukumnya mencakup kelurahan ini")
    polsek_nama: str


class CoverageFilter(Schema):
    polsek: int | None = Field(None, ge=1, le=MAX_ID, description="Hanya wilayah Polsek ini (ID)")


@router.get(
    "/bhabinkamtibmas", response={200: list[BhabinOut], **LIST_ERRORS}, tags=["bhabinkamtibmas"],
    summary="Cakupan Bhabinkamtibmas",
    description="Setiap Bhabinkamtibmas dengan kelurahan/desa binaannya (satu petugas dapat membina "
    "beberapa kelurahan), dalam lingkup pengguna.",
)
def list_bhabin(request: HttpRequest, filters: Query[CoverageFilter]) -> list[dict[str, Any]]:
    qs = BhabinCoverage.objects.restrict(user_of(request), "view").select_related(
        "personel", "personel__polsek", "kelurahan"
    )
    if filters.polsek is not None:
        qs = qs.filter(kelurahan__parent__polsek__id=filters.polsek)
    by_officer: dict[int, list[BhabinCoverage]] = defaultdict(list)
    for c in qs.order_by("personel__nama", "personel_id", "kelurahan__nama"):
        by_officer[c.personel_id].append(c)
    out = []
    for covers in by_officer.values():
        p = covers[0].personel
        out.append({
            "personel": person_ref(p), "polsek_id": p.polsek_id, "polsek_nama": p.polsek.nama if p.polsek else None,
            "kelurahan": [{"kode": c.kelurahan.kode, "nama": c.kelurahan.nama} for c in covers],
        })
    return out


@router.get(
    "/bhabinkamtibmas/gaps", response={200: list[GapOut], **LIST_ERRORS}, tags=["bhabinkamtibmas"],
    summary="Kelurahan tanpa Bhabinkamtibmas",
    description="Kelurahan/desa dalam lingkup pengguna yang belum dibina seorang Bhabinkamtibmas (celah).",
)
def list_gaps(request: HttpRequest, filters: Query[CoverageFilter]) -> list[dict[str, Any]]:
    user = user_of(request)
    polsek = {ps.pk: ps for ps in selectors.visible_polsek(user)}
    ids = [filters.polsek] if filters.polsek is not None else list(polsek)
    rows = selectors.kelurahan_coverage(user, [i for i in ids if i in polsek])
    return [
        {
            "kode": r.kelurahan.kode, "nama": r.kelurahan.nama, "kecamatan_kode": r.kelurahan.parent_id or "",
            "kecamatan_nama": r.kelurahan.parent.nama if r.kelurahan.parent else "",
            "polsek_id": r.polsek_id, "polsek_nama": polsek[r.polsek_id].nama,
        }
        for r in rows
        if r.gap
    ]
