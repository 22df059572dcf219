"""Reads of the organisation and its places, always through ``restrict(user, "view")``.

Pages and API routes call these; nothing here writes. Outside a user's scope a record is simply absent
(``get_polsek`` raises 404).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from shapely.geometry import mapping, shape
from shapely.ops import unary_union

from k3i.core.access import can
from k3i.dispatch.models import PatrolUnit

from .models import (
    BhabinCoverage,
    Fungsi,
    Personel,
    Polres,
    Polsek,
    Polsubsektor,
    Pospol,
    Region,
    polres_for,
)

# One colour per Polsek area (Semarang has 16); repeats beyond that.
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#393b79", "#e6ab02", "#1b9e77", "#7f7f7f", "#a6d854", "#7b4173", "#6baed6", "#637939",
]

# Simplify drawn boundaries to ≈ 5 m: small pages, no visible difference at city scale.
SIMPLIFY_DEGREES = 0.00005


def polsek_color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


# --- Polsek ---------------------------------------------------------------------------------------


def visible_polsek(user: Any, geometry: bool = False) -> QuerySet[Polsek]:
    qs = Polsek.objects.restrict(user, "view").select_related("kecamatan", "polres").order_by("nama")
    return qs if geometry else qs.defer("kecamatan__geometry")


def get_polsek(user: Any, polsek_id: int) -> Polsek:
    """The Polsek if the user may see it, else 404 (never 403)."""
    ps = visible_polsek(user).filter(pk=polsek_id).first()
    if ps is None:
        raise Http404("Polsek tidak ditemukan.")
    return ps


def user_polres(user: Any) -> Polres | None:
    return polres_for(user)


def polres_kelurahan(polres: Polres) -> QuerySet[Region]:
    """Every kelurahan a Polres serves (through its Polsek's kecamatan), with its kecamatan: reference data
    for location pickers and validation, not personal data."""
    return (
        Region.objects.filter(level=Region.Level.KELURAHAN, parent__polsek__polres=polres)
        .select_related("parent").order_by("nama")
    )


def visible_kelurahan(user: Any, polsek_ids: list[int], geometry: bool = False) -> QuerySet[Region]:
    """Kelurahan of the given Polsek (their kecamatan) that the user may see (boundaries on request)."""
    qs = (
        Region.objects.restrict(user, "view")
        .filter(level=Region.Level.KELURAHAN, parent__polsek__id__in=polsek_ids)
        .select_related("parent__polsek")
        .defer("parent__geometry")
        .order_by("parent__nama", "nama")
    )
    return qs if geometry else qs.defer("geometry")


@dataclass
class KelurahanRow:
    kelurahan: Region
    polsek_id: int
    bhabin: Personel | None

    @property
    def gap(self) -> bool:
        return self.bhabin is None


def kelurahan_coverage(user: Any, polsek_ids: list[int], geometry: bool = False) -> list[KelurahanRow]:
    """Every visible kelurahan of those Polsek with the Bhabinkamtibmas covering it (None = a gap)."""
    kels = list(visible_kelurahan(user, polsek_ids, geometry))
    covers = {
        c.kelurahan_id: c.personel
        for c in BhabinCoverage.objects.restrict(user, "view")
        .filter(kelurahan__in=[k.kode for k in kels])
        .select_related("personel")
    }
    return [KelurahanRow(k, k.parent.polsek.id, covers.get(k.kode)) for k in kels]  # type: ignore[union-attr]


@dataclass
class CoverageStats:
    kelurahan: int = 0
    covered: int = 0
    bhabin: int = 0

    @property
    def gaps(self) -> int:
        return self.kelurahan - self.covered

    @property
    def percent(self) -> int:
        return round(100 * self.covered / self.kelurahan) if self.kelurahan else 0


def coverage_stats(rows: list[KelurahanRow]) -> CoverageStats:
    return CoverageStats(
        kelurahan=len(rows),
        covered=sum(1 for r in rows if not r.gap),
        bhabin=len({r.bhabin.pk for r in rows if r.bhabin is not None}),
    )


def visible_pospol(user: Any, polsek_ids: list[int]) -> QuerySet[Pospol]:
    return (
        Pospol.objects.restrict(user, "view")
        .filter(polsek_id__in=polsek_ids)
        .select_related("kelurahan", "polsek")
        .order_by("nama")
    )


def visible_polsubsektor(user: Any, polsek_ids: list[int]) -> QuerySet[Polsubsektor]:
    return Polsubsektor.objects.restrict(user, "view").filter(polsek_id__in=polsek_ids).order_by("nama")


def visible_units(user: Any) -> QuerySet[PatrolUnit]:
    return (
        PatrolUnit.objects.restrict(user, "view")
        .filter(aktif=True)
        .select_related("polsek", "fungsi")
        .order_by("callsign")
    )


def visible_personel(user: Any) -> QuerySet[Personel]:
    """Personnel the user may see (empty when the role may not see personal data)."""
    return (
        Personel.objects.restrict(user, "view")
        .filter(aktif=True)
        .select_related("polsek", "fungsi")
    )


def may_view_personel(user: Any) -> bool:
    return can(user, "view_personel")


# --- The organisation tree ------------------------------------------------------------------------


@dataclass
class PolsekNode:
    polsek: Polsek
    color: str
    pospol: list[Pospol] = field(default_factory=list)
    polsubsektor: list[Polsubsektor] = field(default_factory=list)
    stats: CoverageStats = field(default_factory=CoverageStats)
    units: int = 0
    personel: int | None = None


@dataclass
class FungsiRow:
    fungsi: Fungsi
    personel: int | None  # None: the user may not see personnel


@dataclass
class OrgTree:
    polres: Polres | None
    polsek: list[PolsekNode]
    utama: list[FungsiRow]
    pendukung: list[FungsiRow]
    stats: CoverageStats
    units: int
    pospol: int
    personel: int | None
    rows: list[KelurahanRow]


def org_tree(user: Any) -> OrgTree:
    """The Polres as the user may see it: Polsek → Pospol/Polsubsektor, functions with head counts."""
    polsek = list(visible_polsek(user))
    ids = [p.id for p in polsek]
    rows = kelurahan_coverage(user, ids)
    nodes = {p.id: PolsekNode(p, polsek_color(i)) for i, p in enumerate(polsek)}
    by_polsek: dict[int, list[KelurahanRow]] = defaultdict(list)
    for r in rows:
        by_polsek[r.polsek_id].append(r)
    for pid, node in nodes.items():
        node.stats = coverage_stats(by_polsek[pid])
    pospol = list(visible_pospol(user, ids))
    for pp in pospol:
        nodes[pp.polsek_id].pospol.append(pp)
    for sub in visible_polsubsektor(user, ids):
        nodes[sub.polsek_id].polsubsektor.append(sub)
    units = visible_units(user)
    for row in units.filter(polsek_id__in=ids).order_by().values("polsek_id").annotate(n=Count("id")):
        nodes[row["polsek_id"]].units = row["n"]

    see_personel = may_view_personel(user)
    personel = visible_personel(user)
    per_fungsi: dict[int | None, int] = {}
    if see_personel:
        for row in personel.filter(polsek_id__in=ids).order_by().values("polsek_id").annotate(n=Count("id")):
            nodes[row["polsek_id"]].personel = row["n"]
        for node in nodes.values():
            node.personel = node.personel or 0
        per_fungsi = {r["fungsi_id"]: r["n"] for r in personel.order_by().values("fungsi_id").annotate(n=Count("id"))}
    utama: list[FungsiRow] = []
    pendukung: list[FungsiRow] = []
    for f in Fungsi.objects.restrict(user, "view").order_by("singkatan"):
        fr = FungsiRow(f, per_fungsi.get(f.id, 0) if see_personel else None)
        (utama if f.jenis == Fungsi.Jenis.UTAMA else pendukung).append(fr)
    return OrgTree(
        polres=user_polres(user),
        polsek=list(nodes.values()),
        utama=utama,
        pendukung=pendukung,
        stats=coverage_stats(rows),
        units=units.count(),
        pospol=len(pospol),
        personel=personel.count() if see_personel else None,
        rows=rows,
    )


# --- Map data (GeoJSON) ---------------------------------------------------------------------------


def _geometry(geom: dict[str, Any] | None) -> dict[str, Any] | None:
    if not geom:
        return None
    g = shape(geom).simplify(SIMPLIFY_DEGREES, preserve_topology=True)
    return _rounded(mapping(g))


def _rounded(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 6)
    if isinstance(obj, list | tuple):
        return [_rounded(x) for x in obj]
    if isinstance(obj, dict):
        return {k: _rounded(v) for k, v in obj.items()}
    return obj


def _polsek_area(ps: Polsek, kelurahan: list[Region]) -> dict[str, Any] | None:
    """The Polsek's jurisdiction: its kecamatan's boundary, or the union of its kelurahan."""
    if ps.kecamatan.geometry:
        return _geometry(ps.kecamatan.geometry)
    parts = [shape(k.geometry) for k in kelurahan if k.geometry]
    return _geometry(mapping(unary_union(parts))) if parts else None


def _point(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def _fc(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def jurisdiction_geojson(user: Any, polsek_id: int | None = None) -> dict[str, Any]:
    """Everything the jurisdiction map draws, as GeoJSON layers, limited to what the user may see.

    ``polsek_id`` narrows it to one (visible) Polsek, for the Polsek page.
    """
    polsek = list(visible_polsek(user, geometry=True))
    colors = {p.id: polsek_color(i) for i, p in enumerate(polsek)}
    if polsek_id is not None:
        polsek = [p for p in polsek if p.id == polsek_id]
    ids = [p.id for p in polsek]
    rows = kelurahan_coverage(user, ids, geometry=True)
    kel_by_polsek: dict[int, list[Region]] = defaultdict(list)
    for r in rows:
        kel_by_polsek[r.polsek_id].append(r.kelurahan)

    areas = []
    for ps in polsek:
        geom = _polsek_area(ps, kel_by_polsek[ps.id])
        if geom is None:
            continue
        stats = coverage_stats([r for r in rows if r.polsek_id == ps.id])
        areas.append({
            "type": "Feature",
            "geometry": geom,
            "properties": {
                "id": ps.id, "nama": ps.nama, "kecamatan": ps.kecamatan.nama, "tipe": ps.tipe,
                "color": colors[ps.id], "url": reverse("ops:polsek", args=[ps.id]),
                "kelurahan": stats.kelurahan, "gaps": stats.gaps,
            },
        })
    kelurahan = []
    for r in rows:
        geom = _geometry(r.kelurahan.geometry)
        if geom is None:
            continue
        kelurahan.append({
            "type": "Feature",
            "geometry": geom,
            "properties": {
                "kode": r.kelurahan.kode, "nama": r.kelurahan.nama, "polsek_id": r.polsek_id,
                "bhabin": str(r.bhabin) if r.bhabin else None, "gap": r.gap,
            },
        })
    pospol = [
        _point(p.lon, p.lat, {"nama": p.nama, "kelurahan": p.kelurahan.nama, "polsek_id": p.polsek_id})
        for p in visible_pospol(user, ids)
    ]
    # Units sharing a home base are drawn as one marker listing their callsigns.
    bases: dict[tuple[float, float], list[PatrolUnit]] = defaultdict(list)
    where = Q(polsek_id__in=ids)
    if polsek_id is None:
        where |= Q(polsek__isnull=True)  # Mapolres units (only polres-wide roles see them)
    for u in visible_units(user).filter(where).select_related("polres"):
        if u.home_lat is not None and u.home_lon is not None:
            bases[(round(u.home_lon, 5), round(u.home_lat, 5))].append(u)
    unit_features = [
        _point(lon, lat, {
            "callsigns": [u.callsign for u in us],
            "tipe": [u.tipe for u in us],
            "home": us[0].polsek.nama if us[0].polsek else (us[0].polres.nama if us[0].polres_id else ""),
        })
        for (lon, lat), us in bases.items()
    ]
    schematic = (
        any(ps.kecamatan.schematic for ps in polsek) or any(r.kelurahan.schematic for r in rows)
    )
    return {
        "schematic": schematic,
        "polsek": _fc(areas),
        "kelurahan": _fc(kelurahan),
        "pospol": _fc(pospol),
        "units": _fc(unit_features),
    }
