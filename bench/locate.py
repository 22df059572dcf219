"""Locate benchmark: one point → kelurahan / kecamatan (/ Polsek), p50 and p99 per point, in-process.

Two region sets:
- the 177 real kelurahan of Kota Semarang (``../shared/data/regions/``), imported through the real
  importer into a temporary SQLite database; measures the index lookup and the full ``locate()`` (which
  adds the Polsek, Pospol and Bhabinkamtibmas queries);
- a synthetic province of 5,000 kelurahan (Voronoi cells around a jittered grid over ≈ 3° × 1.7°, edges
  densified to ≈ 45 vertices per polygon like the real Semarang boundaries), indexed directly.

Random points are drawn uniformly over each set's bounding box (some fall outside every kelurahan, as
real calls do). Writes the figures under "## Locate" in ``docs/benchmarks.md``.

    .venv/bin/python bench/locate.py [--points 20000] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import DOCS, ROOT, machine_line, write_section

SHARED_REGIONS = ROOT.parent / "shared" / "data" / "regions"
GOAL_P99_MS = 0.5


def setup_django(tmp: Path) -> None:
    os.environ["K3I_SQLITE_PATH"] = str(tmp / "bench-locate.sqlite3")
    os.environ["K3I_VAR_DIR"] = str(tmp)
    os.environ.setdefault("K3I_SECRET_KEY", secrets.token_urlsafe(48))
    os.environ.pop("K3I_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k3i.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def semarang_organisation() -> dict[str, int]:
    """A plausible Polrestabes over the imported regions (through the organisation actions): a Polsek per
    kecamatan, a Pospol in every third kelurahan, a Bhabinkamtibmas for every two kelurahan (a few gaps)."""
    from django.db import transaction

    from k3i.core.audit import Channel
    from k3i.organization import actions
    from k3i.organization.models import Pangkat, Region

    ch = Channel.CLI
    counts = {"polsek": 0, "pospol": 0, "bhabin": 0, "binaan": 0}
    nrp = iter(range(80100001, 80199999))
    with transaction.atomic():
        polres = actions.create_polres(None, channel=ch, kode="bench", nama="Polrestabes Semarang", tipe="polrestabes",
                                       wilayah=Region.objects.get(kode="33.74"), lat=-6.98, lon=110.41)
        for kec in Region.objects.filter(parent_id="33.74", level=3).order_by("kode"):
            ps = actions.create_polsek(None, channel=ch, polres=polres, nama=f"Polsek {kec.nama}", tipe="A",
                                       kecamatan=kec, lat=kec.lat, lon=kec.lon)
            counts["polsek"] += 1
            kels = list(Region.objects.filter(parent=kec).order_by("kode"))
            for i, kel in enumerate(kels):
                if i % 3 == 0:
                    actions.create_pospol(None, channel=ch, polsek=ps, nama=f"Pospol {kel.nama}", kelurahan=kel,
                                          lat=kel.lat, lon=kel.lon)
                    counts["pospol"] += 1
                if i % 2 == 0:
                    bhabin = actions.create_personel(
                        None, channel=ch, nrp=str(next(nrp)), nama=f"Bhabin {kel.nama}", pangkat=Pangkat.AIPDA,
                        jabatan=f"Bhabinkamtibmas {kel.nama}", polres=polres, polsek=ps, telepon="081200000000")
                    counts["bhabin"] += 1
                if i % 7 != 6:  # every seventh kelurahan is a gap
                    actions.create_bhabin_coverage(None, channel=ch, personel=bhabin, kelurahan=kel)
                    counts["binaan"] += 1
    return counts


def percentiles(samples_ns: list[int]) -> dict[str, float]:
    ordered = sorted(samples_ns)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6

    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99), "max": ordered[-1] / 1e6,
            "mean": statistics.fmean(ordered) / 1e6}


def measure(fn: Callable[[float, float], Any], points: list[tuple[float, float]]) -> tuple[dict[str, float], float]:
    for lat, lon in points[:1000]:  # warm up
        fn(lat, lon)
    samples, hits = [], 0
    clock = time.perf_counter_ns
    for lat, lon in points:
        t0 = clock()
        r = fn(lat, lon)
        samples.append(clock() - t0)
        hits += r is not None
    return percentiles(samples), hits / len(points)


def random_points(bounds: tuple[float, float, float, float], n: int, seed: int) -> list[tuple[float, float]]:
    import numpy as np

    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bounds
    lons = rng.uniform(minx, maxx, n)
    lats = rng.uniform(miny, maxy, n)
    return list(zip(lats.tolist(), lons.tolist(), strict=True))


def synthetic_province(n: int = 5000, seed: int = 7) -> tuple[list[Any], list[Any], tuple[float, float, float, float]]:
    """``n`` Voronoi cells over a Jawa-Tengah-sized box, densified like real boundaries."""
    import numpy as np
    import shapely

    from k3i.organization.geo import Place

    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = 108.5, -8.2, 111.5, -6.5
    cols = int(round((n * (maxx - minx) / (maxy - miny)) ** 0.5))
    rows = -(-n // cols)
    dx, dy = (maxx - minx) / cols, (maxy - miny) / rows
    pts = []
    for i in range(rows):
        for j in range(cols):
            if len(pts) == n:
                break
            pts.append((minx + (j + 0.5 + rng.uniform(-0.4, 0.4)) * dx, miny + (i + 0.5 + rng.uniform(-0.4, 0.4)) * dy))
    box = shapely.box(minx, miny, maxx, maxy)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=box, ordered=True)
    geoms = [shapely.segmentize(c.intersection(box), max_segment_length=min(dx, dy) / 10) for c in cells.geoms]
    places = []
    for k in range(len(geoms)):
        kec = k // 20  # ≈ 250 kecamatan of 20 kelurahan
        places.append(Place(f"99.{kec // 100 + 1:02d}.{kec % 100:02d}.{k % 20 + 2001:04d}", f"Sintetis {k}",
                            "desa", True, f"99.{kec // 100 + 1:02d}.{kec % 100:02d}", f"Kecamatan {kec}",
                            f"99.{kec // 100 + 1:02d}", "Kabupaten Sintetis"))
    return places, geoms, (minx, miny, maxx, maxy)


def row(name: str, n_regions: int, n_points: int, stats: dict[str, float], hit: float) -> str:
    ok = "ya" if stats["p99"] <= GOAL_P99_MS else "tidak"
    return (f"| {name} | {n_regions:,} | {n_points:,} | {hit:.0%} | {stats['p50']:.4f} | {stats['p90']:.4f} | "
            f"{stats['p99']:.4f} | {stats['max']:.3f} | {ok} |")


def main() -> int:
    ap = argparse.ArgumentParser(description="Locate benchmark (p50/p99 per point)")
    ap.add_argument("--points", type=int, default=20000, help="random points per region set (default 20000)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    args = ap.parse_args()

    table = ["| region set | kelurahan | points | inside | p50 ms | p90 ms | p99 ms | max ms | p99 ≤ 0.5 ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    notes = []
    with tempfile.TemporaryDirectory(prefix="k3i-bench-locate-") as tmp:
        setup_django(Path(tmp))
        from k3i.core.audit import Channel
        from k3i.organization import geo
        from k3i.organization.regions import import_regions

        semarang = SHARED_REGIONS / "3374-kota-semarang-kelurahan.geojson"
        if semarang.exists():
            t0 = time.perf_counter()
            report = import_regions(semarang, actor=None, channel=Channel.CLI)
            t_import = time.perf_counter() - t0
            org = semarang_organisation()
            t0 = time.perf_counter()
            index = geo.get_index()
            t_index = time.perf_counter() - t0
            points = random_points(geo.shapely.total_bounds(index.geometries), args.points, seed=1)
            stats, hit = measure(index.find, points)
            table.append(row("Kota Semarang (real boundaries), index lookup", len(index), len(points), stats, hit))
            stats, hit = measure(lambda lat, lon: geo.locate(lat, lon), points)
            table.append(row("Kota Semarang, full `locate()` (+ Polsek, Pospol ≤ 3 km, Bhabinkamtibmas)",
                             len(index), len(points), stats, hit))
            notes.append(f"Import of the 177 Semarang kelurahan (validate + write + kecamatan/kota unions): "
                         f"{t_import * 1000:.0f} ms ({len(report.created)} created); "
                         f"index build from the database: {t_index * 1000:.1f} ms. Organisation for `locate()`: "
                         f"{org['polsek']} Polsek, {org['pospol']} Pospol, {org['bhabin']} Bhabinkamtibmas covering "
                         f"{org['binaan']} kelurahan.")
        else:
            notes.append(f"Semarang skipped: {SHARED_REGIONS} not found.")

        t0 = time.perf_counter()
        places, geoms, bounds = synthetic_province()
        t_make = time.perf_counter() - t0
        t0 = time.perf_counter()
        big = geo.LocateIndex(places, geoms)
        t_build = time.perf_counter() - t0
        n_vertices = int(geo.shapely.get_num_coordinates(big.geometries).sum())
        points = random_points(bounds, args.points, seed=2)
        stats, hit = measure(big.find, points)
        table.append(row("Synthetic province (Voronoi), index lookup", len(big), len(points), stats, hit))
        notes.append(f"Synthetic province: {len(big):,} polygons, {n_vertices:,} vertices "
                     f"({n_vertices / len(big):.0f} per polygon); generated in {t_make:.1f} s, "
                     f"index built in {t_build * 1000:.0f} ms.")

    import shapely

    command = "python bench/locate.py" + (f" --points {args.points}" if args.points != 20000 else "")
    text = "\n".join([
        "## Locate",
        "",
        "One point → kelurahan / kecamatan (shapely STRtree, `predicate=\"intersects\"`), time per point in-process,",
        f"after 1,000 warm-up lookups. Goal: p99 ≤ {GOAL_P99_MS} ms per point.",
        "",
        *table,
        "",
        *[f"- {n}" for n in notes],
        "- The index lookup gives kelurahan, kecamatan and kota; `locate()` adds the Polsek (by kecamatan), the",
        "  nearest Pospol within 3 km and the Bhabinkamtibmas from an in-memory table (re-read from the database",
        "  every 2 s, and at once when this process saves a Polsek, Pospol, coverage or personnel row).",
        "",
        f"Command: `{command}` — run {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"Machine: {machine_line(f'shapely {shapely.__version__} (GEOS {shapely.geos_version_string})')}.",
    ])
    print(text)
    if not args.no_write:
        write_section("Locate", text)
        print(f"\n(ditulis ke {DOCS.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
