"""Incident types and priorities: the public contract of ``../shared/taxonomy`` carried in ``data/``.

The codes are used unchanged by the API, the triage classifier and the reports. A test checks that the
copy here matches ``../shared/taxonomy`` whenever that folder is present.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class IncidentType:
    kode: str
    nama: str
    name_en: str
    layanan: str  # keamanan / keselamatan / hukum / administrasi / kemanusiaan
    fungsi_utama: str  # e.g. "Sat Reskrim" (the unit note in brackets removed)
    fungsi_utama_catatan: str  # e.g. "Unit PPA"
    fungsi_pendukung: tuple[str, ...]
    mitra_eksternal: tuple[str, ...]
    prioritas_default: int
    contoh: str


@dataclass(frozen=True)
class Priority:
    prioritas: int
    nama: str
    arti: str
    target_tiba_menit: int | None
    dispatch: str


_NOTE = re.compile(r"^(.*?)\s*\(([^)]*)\)\s*$")


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


@cache
def incident_types() -> dict[str, IncidentType]:
    out: dict[str, IncidentType] = {}
    with (DATA / "incident_types.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            lead, note = row["fungsi_utama"].strip(), ""
            m = _NOTE.match(lead)
            if m:
                lead, note = m.group(1), m.group(2)
            out[row["kode"]] = IncidentType(
                kode=row["kode"], nama=row["nama"], name_en=row["name_en"], layanan=row["layanan"],
                fungsi_utama=lead, fungsi_utama_catatan=note, fungsi_pendukung=_split(row["fungsi_pendukung"]),
                mitra_eksternal=_split(row["mitra_eksternal"]), prioritas_default=int(row["prioritas_default"]),
                contoh=row["contoh"],
            )
    return out


@cache
def priorities() -> dict[int, Priority]:
    out: dict[int, Priority] = {}
    with (DATA / "priorities.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            target = row["target_tiba_menit"].strip()
            p = int(row["prioritas"])
            out[p] = Priority(p, row["nama"], row["arti"], int(target) if target else None, row["dispatch"])
    return out


def category_choices() -> list[tuple[str, str]]:
    return [(t.kode, t.nama) for t in incident_types().values()]
