"""`k3i regions import FILE.geojson`, `k3i regions locate LAT LON` and `k3i regions streets import|list`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from k3i.core.audit import Channel

from . import geo, streets
from .regions import import_regions


def cmd_regions_import(args: argparse.Namespace) -> int:
    """Import kelurahan boundaries. Exit 0 when imported (or checked with --dry-run), 2 on any bad feature.

    A ``ValidationFailed`` goes up to ``k3i.cli.main``, which prints every bad feature and exits 2.
    """
    path = Path(args.file)
    report = import_regions(
        path, actor=None, channel=Channel.CLI, code_field=args.code_field, name_field=args.name_field,
        dry_run=args.dry_run, source=path.name,
    )
    print(report.summary())
    return 0


def cmd_regions_locate(args: argparse.Namespace) -> int:
    """Answer for one point. Exit 0 inside the jurisdiction, 1 outside ("di luar wilayah hukum")."""
    result = geo.locate(args.lat, args.lon)
    if result is None:
        if args.json:
            print(json.dumps({"lat": args.lat, "lon": args.lon, "dalam_wilayah_hukum": False,
                              "pesan": geo.OUTSIDE_MESSAGE}, ensure_ascii=False, indent=2))
        else:
            print(f"{geo.OUTSIDE_MESSAGE} ({args.lat:.6f}, {args.lon:.6f}).")
        return 1
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0 if result.dalam_wilayah_hukum else 1
    k = result.kelurahan

    def line(label: str, value: str) -> str:
        return f"{label:<15}: {value}"

    lines = [
        line("Titik", f"{result.lat:.6f}, {result.lon:.6f}"),
        line((k.tipe or "kelurahan").capitalize(), f"{k.nama} ({k.kode}){' — batas skematis' if k.skematis else ''}"),
        line("Kecamatan", f"{k.kecamatan_nama} ({k.kecamatan_kode})"),
        line("Kota/Kab.", f"{k.kota_nama} ({k.kota_kode})"),
    ]
    if result.polsek is not None:
        ps = result.polsek
        phone = f", telp. {ps.telepon}" if ps.telepon else ""
        lines.append(line("Polsek", f"{ps.nama} ({ps.polres}{phone})"))
    else:
        lines.append(line("Polsek", f"— ({result.pesan()})"))
    if result.pospol:
        for i, p in enumerate(result.pospol):
            text = f"{p.nama} — {p.jarak_m} m"
            lines.append(line("Pospol dekat", text) if i == 0 else " " * 17 + text)
    else:
        lines.append(line("Pospol dekat", f"— (tidak ada dalam {geo.POSPOL_RADIUS_M / 1000:g} km)"))
    b = result.bhabinkamtibmas
    if b is not None:
        contact = f", telp. {b.telepon}" if b.telepon else ""
        lines.append(line("Bhabinkamtibmas", f"{b.pangkat} {b.nama} (NRP {b.nrp}{contact})"))
    else:
        lines.append(line("Bhabinkamtibmas", "— (kelurahan ini belum punya Bhabinkamtibmas)"))
    print("\n".join(lines))
    if not result.dalam_wilayah_hukum:
        print(result.pesan())
        return 1
    return 0


def cmd_streets_import(args: argparse.Namespace) -> int:
    """Import the street/place list. Exit 0 when imported (or checked with --dry-run), 2 on any bad line."""
    path = Path(args.file)
    report = streets.import_streets(path, actor=None, channel=Channel.CLI, replace=args.ganti,
                                    dry_run=args.dry_run, source=path.name)
    print(report.summary())
    return 0


def cmd_streets_list(args: argparse.Namespace) -> int:
    """The street/place list (filtered). Exit 0, or 1 when nothing matches."""
    found = list(streets.list_streets(kelurahan=args.kelurahan, cari=args.cari, jenis=args.jenis or ""))
    if args.json:
        print(json.dumps(streets.as_dicts(found), ensure_ascii=False, indent=2))
        return 0 if found else 1
    if not found:
        print("Tidak ada jalan/tempat yang cocok.")
        return 1
    rows = [("jenis", "nama", "kelurahan", "kecamatan")]
    for s in found:
        kec = s.kelurahan.parent.nama if s.kelurahan.parent else ""
        rows.append((s.jenis, s.nama or s.kunci, f"{s.kelurahan.nama} ({s.kelurahan_id})", kec))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
    names = len({(s.jenis, s.kunci) for s in found})
    print(f"{names} jalan/tempat, {len(found)} baris (satu baris per kelurahan yang dilalui).")
    return 0
