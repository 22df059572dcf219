"""The demo street/place list of Semarang (``data/3374-jalan.csv``): well formed, loaded by ``load_demo``, used
by the gazetteer."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from k3i.core.models import AuditEntry
from k3i.demo.loader import load_demo
from k3i.incidents.gazetteer import find_places, find_typed_location
from k3i.organization.models import Polres, Street
from k3i.organization.streets import street_kunci

DATA = Path(__file__).resolve().parents[1] / "data"


def lines() -> list[dict[str, str]]:
    with (DATA / "3374-jalan.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_demo_list_names_only_kelurahan_of_the_demo_and_no_line_twice():
    with (DATA / "3374-kelurahan-points.csv").open(encoding="utf-8", newline="") as fh:
        kelurahan = {r["kode"] for r in csv.DictReader(fh)}
    rows = lines()
    assert len(rows) >= 40
    assert {r["kode_kelurahan"] for r in rows} <= kelurahan
    assert {r["jenis"] for r in rows} == {"jalan", "tempat"}
    keys = [(r["kode_kelurahan"], street_kunci(r["nama_jalan"], r["jenis"])) for r in rows]
    assert len(set(keys)) == len(keys)
    notice = (DATA / "NOTICE.md").read_text(encoding="utf-8")
    assert "3374-jalan.csv" in notice and "not authoritative" in notice


@pytest.mark.django_db
def test_semarang_demo_loads_the_list_once_and_the_gazetteer_uses_it():
    load_demo("semarang")
    assert Street.objects.count() == len(lines())
    assert AuditEntry.objects.filter(action="jalan.diimpor").count() == 1
    summary = AuditEntry.objects.get(action="demo.dimuat").changes
    assert summary["jalan"]["dibuat"] == len(lines())

    before = AuditEntry.objects.count()
    assert not load_demo("semarang").changed  # loading again writes nothing
    assert AuditEntry.objects.count() == before

    polres = Polres.objects.get()
    m = find_places("kebakaran rumah di jalan pandanaran dekat simpang lima", polres)
    assert m.kelurahan is not None and m.kelurahan.nama in {"Pekunden", "Mugasari"}  # on both, to confirm
    assert m.ambiguous and m.alamat() == "Jl. Pandanaran, Simpang Lima"
    assert find_places("copet di lawang sewu", polres).kelurahan.nama == "Sekayu"  # type: ignore[union-attr]
    assert find_places("tabrakan di jl. setiabudi kec. banyumanik", polres).kecamatan.nama == "Banyumanik"  # type: ignore[union-attr]
    typed = find_typed_location("Jl. Pandanaran 12", polres)
    assert typed.kelurahan is None and typed.choices == [
        "Mugasari — Semarang Selatan", "Pekunden — Semarang Tengah", "Randusari — Semarang Selatan",
        "Sekayu — Semarang Tengah"]
