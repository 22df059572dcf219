"""Regions as GeoJSON, and locate: `/api/v1/regions`, `/api/v1/regions/locate`, `/api/v1/regions/{kode}`.

Regions are read through ``Region.objects.restrict(user, "view")``; outside a user's territory a region is
absent (404). Locate is public: anyone may learn which kelurahan, Polsek, Pospol and Bhabinkamtibmas
serve a place. Anonymous callers get public facts only (names, rank); personal data of an officer (NRP,
telephone) is given only to a signed-in user who may see that officer's record.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from k3i.accounts.auth import api_auth
from k3i.core.api_errors import LIST_ERRORS, READ_ERRORS, ErrorOut
from k3i.core.errors import NotFound, ValidationFailed

from . import geo
from .models import Personel, Region

router = Router(tags=["wilayah"])


def _user(request: HttpRequest) -> Any:
    auth = getattr(request, "auth", None)
    if auth is not None and getattr(auth, "is_authenticated", False):
        return auth
    return getattr(request, "user", None) or AnonymousUser()


def _anonymous(request: HttpRequest) -> Any:
    """Last in the auth list of public routes: no (valid) token or session → the public."""
    return AnonymousUser()


def feature(r: Region, *, with_geometry: bool = True) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": r.kode,
        "geometry": r.geometry if with_geometry else None,
        "properties": {
            "kode": r.kode,
            "nama": r.nama,
            "level": r.level,
            "level_nama": Region.Level(r.level).label,
            "tipe": r.tipe,
            "induk": r.parent_id,
            "lat": r.lat,
            "lon": r.lon,
            "luas_km2": r.luas_km2,
            "skematis": r.schematic,
        },
    }


# --- locate (public; declared before /{kode}) -----------------------------------------------------


class PlaceOut(Schema):
    kode: str
    nama: str


class KelurahanOut(PlaceOut):
    tipe: str
    skematis: bool = Field(description="batas dari titik wakil (demo), bukan batas resmi")


class PolsekOut(Schema):
    id: int
    nama: str
    tipe: str
    alamat: str
    telepon: str
    polres: str
    lat: float | None
    lon: float | None


class PospolOut(Schema):
    id: int
    nama: str
    polsek: str
    kelurahan: str
    lat: float
    lon: float
    jarak_m: int = Field(description="jarak dari titik, meter")


class BhabinOut(Schema):
    nama: str
    pangkat: str
    kelurahan_binaan: list[str]
    nrp: str | None = Field(None, description="hanya untuk pengguna yang berwenang melihat personel ini")
    telepon: str | None = Field(None, description="hanya untuk pengguna yang berwenang melihat personel ini")


class LocateOut(Schema):
    lat: float
    lon: float
    dalam_wilayah_hukum: bool
    pesan: str
    kelurahan: KelurahanOut | None = None
    kecamatan: PlaceOut | None = None
    kota: PlaceOut | None = None
    polsek: PolsekOut | None = None
    pospol_terdekat: list[PospolOut] = []
    bhabinkamtibmas: BhabinOut | None = None


@router.get(
    "/locate",
    response={200: LocateOut, 422: ErrorOut},
    auth=[*api_auth, _anonymous],
    # public: a token or session is optional (it only adds the officer's NRP/telephone where allowed)
    openapi_extra={"security": [{}]},
    summary="Kelurahan, kecamatan, Polsek, Pospol terdekat dan Bhabinkamtibmas untuk satu titik (publik)",
)
def locate_point(
    request: HttpRequest,
    lat: float = Query(..., description="lintang WGS84 (-90…90), mis. -6.98371"),
    lon: float = Query(..., description="bujur WGS84 (-180…180), mis. 110.41869"),
) -> dict[str, Any]:
    lat, lon = geo.check_point(lat, lon)
    result = geo.locate(lat, lon)
    if result is None:
        return {"lat": lat, "lon": lon, "dalam_wilayah_hukum": False, "pesan": geo.OUTSIDE_MESSAGE}
    user = _user(request)
    answer = result.as_dict(public=True)
    b = result.bhabinkamtibmas
    if b is not None and Personel.objects.restrict(user, "view").filter(pk=b.personel_id).exists():
        answer["bhabinkamtibmas"].update(nrp=b.nrp, telepon=b.telepon)
    return answer


# --- regions as GeoJSON ---------------------------------------------------------------------------


@router.get("", response={200: dict[str, Any], **LIST_ERRORS}, summary="Daftar wilayah sebagai GeoJSON FeatureCollection")
def list_regions(
    request: HttpRequest, level: int | None = None, parent: str | None = None, geometri: bool = True
) -> dict[str, Any]:
    errors = []
    if level is not None and level not in Region.Level.values:
        errors.append({"field": "level", "message": "level harus 1 (provinsi), 2 (kota/kab.), 3 (kecamatan) atau 4 (kelurahan/desa)"})
    if parent is not None and not parent.strip():
        errors.append({"field": "parent", "message": "kode wilayah induk tidak boleh kosong"})
    if errors:
        raise ValidationFailed("Filter tidak sah.", errors)
    qs = Region.objects.restrict(_user(request), "view").order_by("kode")
    if level is not None:
        qs = qs.filter(level=level)
    if parent is not None:
        qs = qs.filter(parent_id=parent.strip())
    if not geometri:
        qs = qs.defer("geometry")
    return {"type": "FeatureCollection", "features": [feature(r, with_geometry=geometri) for r in qs]}


@router.get("/{kode}", response={200: dict[str, Any], **READ_ERRORS}, summary="Satu wilayah sebagai GeoJSON Feature")
def get_region(request: HttpRequest, kode: str) -> dict[str, Any]:
    r = Region.objects.restrict(_user(request), "view").filter(kode=kode).first()
    if r is None:
        raise NotFound("Wilayah tidak ditemukan.")
    return feature(r)
