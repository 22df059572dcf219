"""Where is a point? The locate index over kelurahan boundaries, and small geometry helpers.

``locate(lat, lon)`` answers kelurahan, kecamatan, the Polsek whose jurisdiction (kecamatan) contains
the point, the Pospol nearby and the Bhabinkamtibmas who covers the kelurahan — or ``None`` when the
point lies in no known kelurahan ("di luar wilayah hukum").

The point lookup uses a shapely STRtree built once per process from the ``Region`` rows (no loop over
polygons per query). The index is rebuilt when the regions change: the region importer and every
``Region`` save/delete in this process invalidate it at once, and a cheap fingerprint of the table
(count and latest ``updated_at``) is re-checked at most every ``CHECK_SECONDS`` so that changes made by
another process (a second web worker, the CLI) are picked up too.

The organisation around the hit (Polsek by kecamatan, Pospol points, Bhabinkamtibmas coverage) is a
small in-memory table as well: dropped at once when a Polsek, Pospol, coverage or Personel row is saved
or deleted in this process, and re-read from the database at most every ``CHECK_SECONDS`` otherwise, so
that a change made elsewhere shows within that time (so does a Bhabinkamtibmas's new or closed K3i account:
``BhabinInfo.akun``). A lookup therefore touches no database at all.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from .models import BhabinCoverage, Pangkat, Personel, Polsek, Pospol, Region

EARTH_RADIUS_M = 6_371_008.8
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQ = 111_320.0

POSPOL_RADIUS_M = 3000.0
POSPOL_MAX = 3

# Changes made by other processes are seen within this many seconds (0 in tests: always checked).
CHECK_SECONDS = 0.0 if getattr(settings, "TESTING", False) else float(getattr(settings, "LOCATE_CHECK_SECONDS", 2.0))

OUTSIDE_MESSAGE = "di luar wilayah hukum: titik ini tidak berada di kelurahan mana pun yang dikenal K3i"


# --- small helpers --------------------------------------------------------------------------------


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def area_km2(geom: BaseGeometry) -> float:
    """Approximate area of a lon/lat geometry in km² (local equirectangular projection at its centre).

    Accurate to well under 1 % for kelurahan- and kecamatan-sized areas.
    """
    if geom.is_empty:
        return 0.0
    lat0 = (geom.bounds[1] + geom.bounds[3]) / 2
    kx = M_PER_DEG_LON_EQ * math.cos(math.radians(lat0)) / 1000.0
    ky = M_PER_DEG_LAT / 1000.0
    return float(shapely.transform(geom, lambda c: c * np.array([kx, ky])).area)


# --- the index ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """What the index knows about one kelurahan (all from ``Region`` rows)."""

    kode: str
    nama: str
    tipe: str
    skematis: bool
    kecamatan_kode: str
    kecamatan_nama: str
    kota_kode: str
    kota_nama: str


class LocateIndex:
    """An STRtree over kelurahan polygons. Immutable once built; ``find`` is thread-safe."""

    def __init__(self, places: Sequence[Place], geometries: Sequence[BaseGeometry]) -> None:
        if len(places) != len(geometries):
            raise ValueError("places and geometries differ in length")
        self.places: tuple[Place, ...] = tuple(places)
        self.by_kode: dict[str, Place] = {p.kode: p for p in self.places}
        self.geometries = np.array(list(geometries), dtype=object)
        shapely.prepare(self.geometries)
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.places)

    def find(self, lat: float, lon: float) -> Place | None:
        """The kelurahan containing the point (on a shared border: the lowest code), or ``None``."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        if len(hits) == 1:
            return self.places[int(hits[0])]
        return min((self.places[int(i)] for i in hits), key=lambda p: p.kode)

    @classmethod
    def from_regions(cls) -> LocateIndex:
        names = dict(Region.objects.filter(level__lt=Region.Level.KELURAHAN).values_list("kode", "nama"))
        rows = (
            Region.objects.filter(level=Region.Level.KELURAHAN, geometry__isnull=False)
            .order_by("kode")
            .values_list("kode", "nama", "tipe", "schematic", "parent_id", "geometry")
        )
        places, geoms = [], []
        for kode, nama, tipe, schematic, parent_id, geometry in rows.iterator(chunk_size=1000):
            if not isinstance(geometry, dict):
                continue
            try:
                geom = shape(geometry)
            except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException):
                continue  # a broken row (written outside the importer) must not break locate for all
            if geom.is_empty:
                continue
            kec = parent_id or kode[:8]
            places.append(Place(kode, nama, tipe, bool(schematic), kec, names.get(kec, ""), kec[:5],
                                names.get(kec[:5], "")))
            geoms.append(geom)
        return cls(places, geoms)


_lock = threading.Lock()
_index: LocateIndex | None = None
_fingerprint: tuple[Any, ...] | None = None
_checked_at = 0.0
_generation = 0


def _region_fingerprint() -> tuple[Any, ...]:
    agg = Region.objects.aggregate(n=Count("kode"), t=Max("updated_at"))
    return (agg["n"], agg["t"])


def invalidate(**_: Any) -> None:
    """Forget the cached index; the next lookup rebuilds it. Called by the importer and on Region saves."""
    global _index, _generation
    with _lock:
        _index = None
        _generation += 1


post_save.connect(invalidate, sender=Region, dispatch_uid="k3i-locate-region-saved")
post_delete.connect(invalidate, sender=Region, dispatch_uid="k3i-locate-region-deleted")


def get_index() -> LocateIndex:
    """The process's locate index, rebuilt when the regions changed."""
    global _index, _fingerprint, _checked_at
    now = time.monotonic()
    index = _index
    if index is not None and now - _checked_at < CHECK_SECONDS:
        return index
    fp = _region_fingerprint()
    with _lock:
        if _index is not None and fp == _fingerprint:
            _checked_at = now
            return _index
        generation = _generation
    built = LocateIndex.from_regions()
    with _lock:
        if generation == _generation:  # nobody invalidated while we were building
            _index, _fingerprint, _checked_at = built, fp, now
    return built


# --- the answer -----------------------------------------------------------------------------------


@dataclass
class PolsekInfo:
    id: int
    nama: str
    tipe: str
    alamat: str
    telepon: str
    polres: str
    lat: float | None
    lon: float | None
    polres_id: int = 0


@dataclass
class PospolInfo:
    id: int
    nama: str
    polsek: str
    kelurahan: str
    lat: float
    lon: float
    jarak_m: int


@dataclass
class BhabinInfo:
    personel_id: int
    nama: str
    pangkat: str
    nrp: str
    telepon: str
    kelurahan_binaan: list[str] = field(default_factory=list)
    akun: bool = False  # has an active K3i account: reports in the kelurahan reach their queue and live map


@dataclass
class LocateResult:
    lat: float
    lon: float
    kelurahan: Place
    polsek: PolsekInfo | None
    pospol: list[PospolInfo]
    bhabinkamtibmas: BhabinInfo | None

    @property
    def dalam_wilayah_hukum(self) -> bool:
        """A kelurahan was found and a Polsek of the Polres serves its kecamatan."""
        return self.polsek is not None

    def pesan(self) -> str:
        if self.polsek is None:
            return (f"di luar wilayah hukum: kecamatan {self.kelurahan.kecamatan_nama} "
                    f"({self.kelurahan.kecamatan_kode}) tidak dilayani Polsek mana pun di K3i ini")
        return f"wilayah hukum {self.polsek.nama}"

    def as_dict(self, *, public: bool = False) -> dict[str, Any]:
        """JSON-ready answer. ``public`` leaves out personal data (NRP, telephone of an officer)."""
        k = self.kelurahan
        bhabin = None
        if self.bhabinkamtibmas is not None:
            bhabin = asdict(self.bhabinkamtibmas)
            if public:
                bhabin = {"nama": bhabin["nama"], "pangkat": bhabin["pangkat"],
                          "kelurahan_binaan": bhabin["kelurahan_binaan"]}
        return {
            "lat": self.lat,
            "lon": self.lon,
            "dalam_wilayah_hukum": self.dalam_wilayah_hukum,
            "pesan": self.pesan(),
            "kelurahan": {"kode": k.kode, "nama": k.nama, "tipe": k.tipe, "skematis": k.skematis},
            "kecamatan": {"kode": k.kecamatan_kode, "nama": k.kecamatan_nama},
            "kota": {"kode": k.kota_kode, "nama": k.kota_nama},
            "polsek": asdict(self.polsek) if self.polsek else None,
            "pospol_terdekat": [asdict(p) for p in self.pospol],
            "bhabinkamtibmas": bhabin,
        }


def check_point(lat: Any, lon: Any) -> tuple[float, float]:
    """Validate a WGS84 point; Indonesian messages naming ``lat``/``lon``."""
    from k3i.core.errors import ValidationFailed

    errors = []
    values = []
    for name, value, limit, label in (("lat", lat, 90.0, "lintang"), ("lon", lon, 180.0, "bujur")):
        try:
            v = float(value)
        except (TypeError, ValueError):
            errors.append({"field": name, "message": f"{name} ({label}) harus berupa angka"})
            continue
        if not math.isfinite(v) or not -limit <= v <= limit:
            errors.append({"field": name, "message": f"{name} ({label}) harus di antara -{limit:g} dan {limit:g}"})
        values.append(v)
    if errors:
        raise ValidationFailed("Koordinat tidak sah.", errors)
    return values[0], values[1]


@dataclass
class _Org:
    """Polsek by kecamatan, Bhabinkamtibmas by kelurahan, Pospol points: what locate adds to a hit."""

    polsek: dict[str, PolsekInfo]
    bhabin: dict[str, BhabinInfo]
    pospol: list[PospolInfo]
    pospol_lat: np.ndarray
    pospol_lon: np.ndarray

    @classmethod
    def load(cls) -> _Org:
        polsek = {
            kec: PolsekInfo(pk, nama, tipe, alamat, telepon, polres, lat, lon, polres_id)
            for pk, nama, tipe, alamat, telepon, polres, lat, lon, kec, polres_id in Polsek.objects.values_list(
                "id", "nama", "tipe", "alamat", "telepon", "polres__nama", "lat", "lon", "kecamatan_id", "polres_id"
            )
        }
        rows = list(
            BhabinCoverage.objects.filter(personel__aktif=True)
            .order_by("kelurahan__nama")
            .values_list("kelurahan_id", "kelurahan__nama", "personel_id", "personel__nama",
                         "personel__pangkat", "personel__nrp", "personel__telepon")
        )
        binaan: dict[int, list[str]] = {}
        for _, kel_nama, pid, *_rest in rows:
            binaan.setdefault(pid, []).append(kel_nama)
        pangkat = dict(Pangkat.choices)
        from k3i.accounts.models import User

        with_account = set(User.objects.filter(is_active=True, personel_id__in=list(binaan)).values_list(
            "personel_id", flat=True))
        bhabin = {
            kel: BhabinInfo(pid, nama, pangkat.get(rank, rank), nrp, telepon, binaan[pid], pid in with_account)
            for kel, _, pid, nama, rank, nrp, telepon in rows
        }
        pospol = [
            PospolInfo(pk, nama, polsek_nama, kel_nama, lat, lon, 0)
            for pk, nama, polsek_nama, kel_nama, lat, lon in Pospol.objects.order_by("nama").values_list(
                "id", "nama", "polsek__nama", "kelurahan__nama", "lat", "lon"
            )
        ]
        return cls(polsek, bhabin, pospol, np.array([p.lat for p in pospol], dtype=float),
                   np.array([p.lon for p in pospol], dtype=float))

    def nearby_pospol(self, lat: float, lon: float, radius_m: float, limit: int) -> list[PospolInfo]:
        if not self.pospol:
            return []
        p1, p2 = np.radians(lat), np.radians(self.pospol_lat)
        a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(self.pospol_lon - lon) / 2) ** 2
        dist = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(1.0, a)))
        near = np.flatnonzero(dist <= radius_m)
        near = near[np.argsort(dist[near], kind="stable")][:limit]
        return [replace(self.pospol[i], jarak_m=round(float(dist[i]))) for i in near]


_org: _Org | None = None
_org_loaded_at = 0.0


def invalidate_org(**_: Any) -> None:
    global _org
    _org = None


for _model in (Polsek, Pospol, BhabinCoverage, Personel):
    post_save.connect(invalidate_org, sender=_model, dispatch_uid=f"k3i-locate-org-{_model.__name__}-saved")
    post_delete.connect(invalidate_org, sender=_model, dispatch_uid=f"k3i-locate-org-{_model.__name__}-deleted")


def get_org() -> _Org:
    global _org, _org_loaded_at
    org, now = _org, time.monotonic()
    if org is not None and now - _org_loaded_at < CHECK_SECONDS:
        return org
    org = _Org.load()
    _org, _org_loaded_at = org, now
    return org


def kelurahan_nama(kode: str) -> str | None:
    """The name of a kelurahan the locate index knows (no query), else ``None``."""
    place = get_index().by_kode.get(kode)
    return place.nama if place is not None else None


def polsek_nama(polsek_id: int) -> str | None:
    """The name of a Polsek (no query), else ``None``."""
    for info in get_org().polsek.values():
        if info.id == polsek_id:
            return info.nama
    return None


def bhabin_for(kelurahan_kode: str) -> BhabinInfo | None:
    """The Bhabinkamtibmas who covers a kelurahan (no query), else ``None`` (a gap in coverage)."""
    return get_org().bhabin.get(kelurahan_kode)


def nearby_pospol(lat: float, lon: float, *, radius_m: float = POSPOL_RADIUS_M, limit: int = POSPOL_MAX) -> list[PospolInfo]:
    """The nearest Pospol within ``radius_m`` metres, nearest first, with their distance."""
    return get_org().nearby_pospol(lat, lon, radius_m, limit)


def locate(lat: float, lon: float, *, index: LocateIndex | None = None) -> LocateResult | None:
    """Kelurahan, kecamatan, Polsek, Pospol nearby and Bhabinkamtibmas for a point; ``None`` outside."""
    lat, lon = check_point(lat, lon)
    place = (index or get_index()).find(lat, lon)
    if place is None:
        return None
    org = get_org()
    return LocateResult(
        lat, lon, place, org.polsek.get(place.kecamatan_kode),
        org.nearby_pospol(lat, lon, POSPOL_RADIUS_M, POSPOL_MAX), org.bhabin.get(place.kode),
    )
