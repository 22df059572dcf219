"""The built-in demo Polres: what it loads, that loading twice changes nothing, reset, and the geography."""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from shapely.geometry import Point, shape

from k3i.accounts.models import User
from k3i.core.errors import Conflict, K3iError
from k3i.core.models import AuditEntry, LiveEvent
from k3i.demo.cli import reset_database
from k3i.demo.loader import load_demo
from k3i.demo.plan import DEMO_PASSWORD, build_plan
from k3i.dispatch.models import PatrolUnit, UnitCrew
from k3i.organization import geo
from k3i.organization.models import (
    BhabinCoverage,
    Fungsi,
    Personel,
    Polres,
    Polsek,
    Polsubsektor,
    Pospol,
    Region,
)

MODELS = (Region, Fungsi, Polres, Polsek, Pospol, Polsubsektor, Personel, BhabinCoverage, PatrolUnit, User, UnitCrew)


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (*MODELS, AuditEntry, LiveEvent)}


def kelurahan(kota: str):
    return Region.objects.filter(level=Region.Level.KELURAHAN, kode__startswith=kota + ".")


@pytest.mark.django_db
def test_salatiga_loads_the_small_polres():
    report = load_demo("salatiga")

    polres = Polres.objects.get()
    assert polres.nama == "Polres Salatiga" and polres.tipe == Polres.Tipe.POLRES and polres.is_demo
    assert polres.wilayah_id == "33.73" and polres.polda == "Polda Jawa Tengah"
    assert sorted(Polsek.objects.values_list("nama", flat=True)) == [
        "Polsek Argomulyo", "Polsek Sidomukti", "Polsek Sidorejo", "Polsek Tingkir"]
    assert kelurahan("33.73").count() == 23
    assert Personel.objects.filter(polres=polres).count() == len(report.plan.personel) > 50
    assert PatrolUnit.objects.filter(polres=polres).count() == len(report.plan.units) > 10
    assert Pospol.objects.count() >= 4
    assert Fungsi.objects.count() == 22
    users = User.objects.filter(polres=polres)
    assert {"admin", "operator", "kapolres", "kabagops", "spkt", "propam", "analis"} <= set(
        users.values_list("username", flat=True))
    assert all(u.is_demo for u in users)
    crew = users.filter(username__startswith="awak-")  # the morning roll call (test_demo_crew.py)
    assert users.count() - crew.count() == len(report.accounts) == 11
    assert crew.count() == report.created["akun_awak"] > 0
    # linked to the officers they are
    kapolsek = User.objects.get(username="kapolsek_sidorejo")
    assert kapolsek.personel is not None and kapolsek.personel.jabatan == "Kapolsek Sidorejo"
    assert kapolsek.scope_polsek is not None and kapolsek.scope_polsek.nama == "Polsek Sidorejo"


@pytest.mark.django_db
def test_loading_twice_changes_nothing():
    first = load_demo("salatiga")
    assert first.changed
    before = counts()

    second = load_demo("salatiga")

    assert not second.changed
    assert counts() == before  # no row, no ledger entry, no live event added


@pytest.mark.django_db
def test_a_changed_demo_row_is_put_back_by_the_next_load():
    load_demo("salatiga")
    unit = PatrolUnit.objects.get(callsign="SLG-SDR-R2-01")
    PatrolUnit.objects.filter(pk=unit.pk).update(home_lat=-7.0, aktif=False)  # someone moved it

    report = load_demo("salatiga")

    unit.refresh_from_db()
    assert unit.aktif is True and unit.home_lat != -7.0
    assert report.updated["unit"] == 1 and sum(report.created.values()) == 0
    entry = AuditEntry.objects.filter(action="demo.dimuat").order_by("-id").first()
    assert entry is not None and entry.changes["diperbarui"] == {"unit": 1}


@pytest.mark.django_db
def test_the_ledger_gets_a_summary_not_one_entry_per_row():
    report = load_demo("salatiga")

    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert actions.count("demo.dimuat") == 1
    assert actions.count("wilayah.diimpor") == 1
    # one per account that can log in: the 11 documented ones and the crews of the roll call
    assert actions.count("pengguna.dibuat") == 11 + report.created["akun_awak"] == User.objects.count()
    assert len(actions) == 2 + actions.count("pengguna.dibuat")
    summary = AuditEntry.objects.get(action="demo.dimuat")
    assert summary.changes["dibuat"]["personel"] == len(report.plan.personel)
    assert summary.changes["kelurahan_tanpa_bhabin"] == report.plan.gaps
    assert summary.channel == "sistem"


@pytest.mark.django_db
def test_coverage_has_gaps_and_each_bhabin_covers_one_to_three():
    load_demo("salatiga")

    gaps = kelurahan("33.73").filter(bhabin__isnull=True)
    assert gaps.count() >= 1 and gaps.count() <= 4
    per_officer = {}
    for c in BhabinCoverage.objects.select_related("personel", "kelurahan"):
        per_officer.setdefault(c.personel_id, []).append(c.kelurahan)
        assert c.personel.polsek is not None and c.kelurahan.parent_id == c.personel.polsek.kecamatan_id
        assert c.personel.jabatan.startswith("Bhabinkamtibmas")
    assert all(1 <= len(k) <= 3 for k in per_officer.values())


@pytest.mark.django_db
def test_every_schematic_kelurahan_is_a_valid_polygon_around_its_point():
    load_demo("salatiga")
    points = {r["kode"]: r for r in csv.DictReader(
        (Path(__file__).resolve().parents[1] / "data" / "3373-kelurahan-points.csv").open(encoding="utf-8"))}

    for region in kelurahan("33.73"):
        geom = shape(region.geometry)
        assert region.schematic
        assert geom.is_valid and geom.geom_type == "Polygon" and geom.area > 0
        p = points[region.kode]
        assert geom.contains(Point(float(p["lon"]), float(p["lat"]))), region.kode
    for ps in Polsek.objects.select_related("kecamatan"):
        assert ps.kecamatan.geometry is not None and shape(ps.kecamatan.geometry).is_valid
    for pospol in Pospol.objects.select_related("kelurahan"):
        assert shape(pospol.kelurahan.geometry).contains(Point(pospol.lon, pospol.lat)), pospol.nama


@pytest.mark.django_db
def test_demo_accounts_log_in_only_in_demo_mode():
    load_demo("salatiga")

    with override_settings(DEMO_MODE=True):
        assert Client().login(username="operator", password=DEMO_PASSWORD)
    with override_settings(DEMO_MODE=False):
        assert not Client().login(username="operator", password=DEMO_PASSWORD)


@pytest.mark.django_db
def test_a_second_demo_or_real_data_is_refused():
    load_demo("salatiga")
    with pytest.raises(Conflict, match="sudah berisi demo Polres Salatiga.*--reset"):
        load_demo("semarang")
    assert not Polsek.objects.filter(nama="Polsek Semarang Tengah").exists()  # nothing half-written


@pytest.mark.django_db
def test_the_demo_never_mixes_into_a_real_polres(world):
    with pytest.raises(Conflict, match="bukan demo"):
        load_demo("salatiga")
    assert not Polres.objects.filter(is_demo=True).exists()


@pytest.mark.django_db
def test_semarang_is_the_full_polrestabes():
    report = load_demo("semarang")

    polres = Polres.objects.get()
    assert polres.nama == "Polrestabes Semarang" and polres.tipe == Polres.Tipe.POLRESTABES
    assert Polsek.objects.count() == 16
    assert kelurahan("33.74").count() == 177
    assert set(Polsek.objects.values_list("kecamatan__parent_id", flat=True)) == {"33.74"}
    assert 300 <= Personel.objects.count() <= 340  # with the patrol members who crew the units
    assert 55 <= PatrolUnit.objects.count() <= 65
    assert Polsubsektor.objects.count() == 2
    assert all(ps.pospol_set.exists() for ps in Polsek.objects.all())
    assert len(report.plan.gaps) == kelurahan("33.74").filter(bhabin__isnull=True).count() >= 3
    assert Personel.objects.get(jabatan="Kapolrestabes Semarang").pangkat == "kombes"

    hit = geo.locate(-6.98371, 110.41869)
    assert hit is not None
    assert (hit.kelurahan.kode, hit.kelurahan.nama) == ("33.74.01.1001", "Miroto")
    assert hit.kelurahan.kecamatan_nama == "Semarang Tengah"
    assert hit.polsek is not None and hit.polsek.nama == "Polsek Semarang Tengah"
    assert hit.bhabinkamtibmas is not None
    assert User.objects.get(username="bhabin_miroto").personel_id == hit.bhabinkamtibmas.personel_id
    for region in kelurahan("33.74"):
        assert shape(region.geometry).is_valid, region.kode


def test_the_plan_is_deterministic_and_well_formed():
    a, b = build_plan("semarang"), build_plan("semarang")
    assert a.personel == b.personel and a.units == b.units and a.coverage == b.coverage

    nrps = [p.nrp for p in a.personel]
    assert len(set(nrps)) == len(nrps) and all(re.fullmatch(r"\d{8}", n) for n in nrps)
    callsigns = [u.callsign for u in a.units]
    assert len(set(callsigns)) == len(callsigns)
    assert all(re.fullmatch(r"SMG-[A-Z]+-(R2|R4|JK|KPL)-\d\d", c) for c in callsigns)
    assert "SMG-TGH-R2-01" in callsigns
    assert {u.tipe for u in a.units} == {"R2", "R4", "kaki", "kapal"}
    assert len({p.nama for p in a.personel}) == len(a.personel)


def test_functions_use_the_taxonomy_spellings(shared_data):
    with (shared_data.parent / "taxonomy" / "incident_types.csv").open(encoding="utf-8") as fh:
        named = set()
        for row in csv.DictReader(fh):
            for col in ("fungsi_utama", "fungsi_pendukung"):
                named |= {re.sub(r"\s*\(.*\)$", "", f).strip() for f in row[col].split(",") if f.strip()}
    singkatan = {f.singkatan for f in build_plan("salatiga").fungsi}
    assert named <= singkatan, named - singkatan


def test_reset_deletes_the_sqlite_files_and_refuses_postgresql(tmp_path):
    db = tmp_path / "demo.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").write_text("x")

    reset_database({"ENGINE": "django.db.backends.sqlite3", "NAME": str(db)})

    assert list(tmp_path.iterdir()) == []
    with pytest.raises(K3iError, match="PostgreSQL"):
        reset_database({"ENGINE": "django.db.backends.postgresql", "NAME": "k3i"})


def test_k3i_demo_reset_no_serve_end_to_end(tmp_path):
    """The real command on an existing SQLite file: --reset deletes it, then migrate, load, print."""
    db = tmp_path / "demo.sqlite3"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE penanda (x)")  # whatever was there before
    env = {**os.environ, "K3I_SQLITE_PATH": str(db), "K3I_VAR_DIR": str(tmp_path)}
    for name in ("K3I_DATABASE_URL", "K3I_TESTING", "K3I_DEMO"):
        env.pop(name, None)
    cmd = [sys.executable, "-m", "k3i.cli", "demo", "--polres", "salatiga", "--no-serve", "--port", "8123", "--reset"]

    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)

    assert out.returncode == 0, out.stderr
    assert f"dihapus: {db}" in out.stdout
    assert "http://127.0.0.1:8123/" in out.stdout and "DATA DEMO" in out.stdout
    assert re.search(r"kapolsek_sidorejo +Kapolsek +Polsek Sidorejo +" + DEMO_PASSWORD, out.stdout)
    assert "akun_awak" in out.stdout and "awak-" not in out.stdout  # crews counted, their accounts not listed
    with sqlite3.connect(db) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "penanda" not in tables
        assert con.execute("SELECT nama, is_demo FROM organization_polres").fetchall() == [("Polres Salatiga", 1)]
        assert con.execute("SELECT count(*) FROM organization_polsek").fetchone() == (4,)
        assert con.execute("SELECT count(*) FROM accounts_user WHERE is_demo AND username NOT LIKE 'awak-%'"
                           ).fetchone() == (11,)
        assert con.execute("SELECT count(DISTINCT unit_id) FROM dispatch_unitcrew WHERE signed_off_at IS NULL"
                           ).fetchone() == con.execute("SELECT count(*) FROM dispatch_patrolunit").fetchone()
