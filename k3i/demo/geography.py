"""Schematic demo geography: Voronoi cells around the kelurahan points, clipped to their buffered hull.

The demo carries only one representative point per kelurahan (``data/33xx-kelurahan-points.csv``); its
areas are built here and imported as *schematic* through the region importer. Real boundaries replace
them through ``k3i regions import``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, mapping
from shapely.geometry.base import BaseGeometry

DATA_DIR = Path(__file__).resolve().parent / "data"
# How far the area reaches beyond the outermost points (degrees; ≈ 1.1 km at the equator).
HULL_BUFFER_DEG = 0.01


@dataclass(frozen=True)
class KelurahanPoint:
    kode: str
    nama: str
    lat: float
    lon: float
    luas_km2: float

    @property
    def kecamatan_kode(self) -> str:
        return self.kode[:8]


def read_points(kota_kode: str) -> list[KelurahanPoint]:
    """The kelurahan points of one kota (``"33.74"`` → ``data/3374-kelurahan-points.csv``), by kode."""
    path = DATA_DIR / f"{kota_kode.replace('.', '')}-kelurahan-points.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = [
            KelurahanPoint(r["kode"], r["nama"], float(r["lat"]), float(r["lon"]), float(r["luas_km2"] or 0))
            for r in csv.DictReader(fh)
        ]
    return sorted(rows, key=lambda p: p.kode)


def _largest_polygon(geom: BaseGeometry) -> BaseGeometry:
    """make_valid may return a collection; keep the polygonal part (the cell is convex, so one polygon)."""
    if geom.geom_type == "Polygon":
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if g.geom_type == "Polygon"]
    return max(polys, key=lambda g: g.area)


@lru_cache(maxsize=4)
def schematic_cells(kota_kode: str) -> dict[str, BaseGeometry]:
    """kode → a valid polygon containing that kelurahan's point (Voronoi cell ∩ buffered hull)."""
    points = read_points(kota_kode)
    sites = MultiPoint([(p.lon, p.lat) for p in points])
    clip = sites.convex_hull.buffer(HULL_BUFFER_DEG, quad_segs=4)
    cells = shapely.voronoi_polygons(sites, extend_to=clip)
    tree_cells = list(getattr(cells, "geoms", []))
    out: dict[str, BaseGeometry] = {}
    for p in points:
        site = Point(p.lon, p.lat)
        cell = next(c for c in tree_cells if c.contains(site))
        area = shapely.set_precision(cell.intersection(clip), 1e-7)
        if not area.is_valid:
            area = shapely.make_valid(area)
        out[p.kode] = _largest_polygon(area)
    return out


def feature_collection(kota_kode: str) -> dict[str, Any]:
    """The schematic kelurahan areas as a GeoJSON FeatureCollection (properties ``kode``, ``nama``)."""
    cells = schematic_cells(kota_kode)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kode": p.kode, "nama": p.nama, "kode_kecamatan": p.kecamatan_kode},
                "geometry": mapping(cells[p.kode]),
            }
            for p in read_points(kota_kode)
        ],
    }


def point_inside(kode: str, kota_kode: str, towards: float = 0.5) -> tuple[float, float]:
    """(lat, lon) of a point inside a kelurahan cell: between its representative point and the cell's
    centroid (both lie in the convex cell, so every point between them does too)."""
    p = next(p for p in read_points(kota_kode) if p.kode == kode)
    c = schematic_cells(kota_kode)[kode].centroid
    lat = p.lat + (c.y - p.lat) * towards
    lon = p.lon + (c.x - p.lon) * towards
    return round(lat, 6), round(lon, 6)
