"""The street gazetteer: importing the CSV (all or nothing, every bad line named), reading it, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from k3i.cli import main
from k3i.core.audit import Channel
from k3i.core.errors import PermissionDenied, ValidationFailed
from k3i.core.models import AuditEntry, LiveEvent
from k3i.organization.models import Street
from k3i.organization.streets import import_streets, list_streets, street_kunci

MIROTO, BRUMBUNGAN, BANDARHARJO, BULU_LOR = "33.74.01.1001", "33.74.01.1002", "33.74.02.1001", "33.74.02.1002"

GOOD = (
    "nama_jalan,kode_kelurahan,catatan,jenis\n"
    f"Jl. Pemuda,{MIROTO},,\n"
    f"Jalan Pemuda,{BRUMBUNGAN},sisi timur,jalan\n"
    f"Gang Lombok,{BRUMBUNGAN},,\n"
    f"Pandanaran,{BULU_LOR},tanpa awalan,jalan\n"
    f"Simpang Lima,{BANDARHARJO},landmark,tempat\n"
)


def do_import(data: Any, **kw: Any):  # type: ignore[no-untyped-def]
    kw.setdefault("actor", None)
    kw.setdefault("channel", Channel.CLI)
    return import_streets(data, **kw)


def rows() -> set[tuple[str, str, str, str, str]]:
    return set(Street.objects.values_list("kelurahan_id", "kunci", "nama", "jenis", "catatan"))


def snapshot() -> tuple[int, int, set[tuple[str, str, str, str, str]]]:
    return AuditEntry.objects.count(), LiveEvent.objects.count(), rows()


def import_fails(data: Any, **kw: Any) -> ValidationFailed:
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        do_import(data, **kw)
    assert snapshot() == before, "a failed import must leave the database unchanged"
    return info.value


def test_import_writes_every_row_with_one_audit_entry_and_event(world):
    report = do_import(GOOD.encode(), source="jalan.csv")

    assert (report.rows, report.created, report.names, report.kelurahan) == (5, 5, 4, 4)
    assert rows() == {
        (MIROTO, "jl pemuda", "Jl. Pemuda", "jalan", ""),
        (BRUMBUNGAN, "jl pemuda", "Jalan Pemuda", "jalan", "sisi timur"),
        (BRUMBUNGAN, "gg lombok", "Gang Lombok", "jalan", ""),
        (BULU_LOR, "jl pandanaran", "Jl. Pandanaran", "jalan", "tanpa awalan"),  # the prefix added for display
        (BANDARHARJO, "simpang lima", "Simpang Lima", "tempat", "landmark"),
    }
    entry = AuditEntry.objects.get(action="jalan.diimpor")
    assert entry.channel == "cli" and entry.polres_id == world.polres.pk
    assert entry.changes["dibuat"] == 5 and entry.changes["berkas"] == "jalan.csv"
    assert LiveEvent.objects.filter(kind="jalan.diimpor", polres_id=world.polres.pk).count() == 1
    assert "Impor selesai: 5 baris sah — 4 jalan/tempat di 4 kelurahan" in report.summary()


def test_reimport_changes_nothing_and_writes_nothing(world):
    do_import(GOOD)
    before = snapshot()
    report = do_import(GOOD)
    assert (report.created, report.updated, report.unchanged, report.deleted) == (0, 0, 5, 0)
    assert snapshot() == before
    assert "tidak ada yang berubah" in report.summary()


def test_reimport_updates_in_place_and_replace_deletes_what_is_gone(world):
    do_import(GOOD)
    ids = dict(Street.objects.values_list("kunci", "id").filter(kelurahan_id=MIROTO))
    changed = GOOD.replace("Jl. Pemuda,33.74.01.1001,,", "Jl. Pemuda,33.74.01.1001,dekat kantor pos,")
    changed = "\n".join(line for line in changed.splitlines() if "Lombok" not in line)

    report = do_import(changed)  # without replace: Gang Lombok stays
    assert (report.created, report.updated, report.unchanged, report.deleted) == (0, 1, 3, 0)
    assert Street.objects.get(kelurahan_id=MIROTO, kunci="jl pemuda").catatan == "dekat kantor pos"
    assert dict(Street.objects.values_list("kunci", "id").filter(kelurahan_id=MIROTO)) == ids  # same rows
    assert Street.objects.filter(kunci="gg lombok").exists()

    report = do_import(changed, replace=True)
    assert (report.created, report.updated, report.unchanged, report.deleted) == (0, 0, 4, 1)
    assert not Street.objects.filter(kunci="gg lombok").exists()
    assert AuditEntry.objects.filter(action="jalan.diimpor").count() == 3
    assert AuditEntry.objects.filter(action="jalan.diimpor").latest("id").changes["ganti"] is True


def test_replace_leaves_other_kota_alone(world):
    from k3i.core.tests.neighbour import add_neighbour

    n = add_neighbour(world)  # a street in Salatiga (33.73) and one in Bulu Lor
    do_import(GOOD, replace=True)
    assert Street.objects.filter(pk=n["street"].pk).exists()
    assert not Street.objects.filter(pk=n["world_street"].pk).exists()  # same kota, not in the file


def test_dry_run_counts_and_writes_nothing(world):
    before = snapshot()
    report = do_import(GOOD, dry_run=True)
    assert report.created == 5 and report.dry_run and "akan dibuat: 5" in report.summary()
    assert snapshot() == before


def test_every_bad_line_is_named_and_nothing_is_written(world):
    do_import(GOOD)
    text = (
        "nama_jalan,kode_kelurahan,catatan,jenis\n"
        f"Jl. Kartini,{MIROTO},,\n"  # good, but the file fails: not written
        f",{MIROTO},,\n"  # 3: empty name
        "Jl. Sriwijaya,33.74.09.9999,,\n"  # 4: unknown kelurahan
        f"Jl. Kartini,{MIROTO},lagi,\n"  # 5: duplicate of line 2
        "Jl. Veteran,3374-01,,\n"  # 6: malformed code
        f"Jl.,{MIROTO},,\n"  # 7: only a prefix
        f"Pasar Johar,{MIROTO},,pasar\n"  # 8: unknown jenis
        "Jl. Dr. Cipto,,,\n"  # 9: no code
        "\n"
        f"JALAN kartini,{MIROTO},,\n"  # 11: the same street written differently: a duplicate too
    )
    err = import_fails(text)
    assert err.detail == "Impor dibatalkan: 8 baris bermasalah; tidak ada yang disimpan."
    got = {e["field"]: e["message"] for e in err.errors}
    assert list(got) == ["baris 3", "baris 4", "baris 5", "baris 6", "baris 7", "baris 8", "baris 9", "baris 11"]
    assert got["baris 3"] == "nama jalan kosong"
    assert "kelurahan dengan kode '33.74.09.9999' tidak dikenal" in got["baris 4"]
    assert "baris ganda" in got["baris 5"] and "baris 2" in got["baris 5"]
    assert "tidak berbentuk PP.KK.CC.DDDD" in got["baris 6"]
    assert "hanya awalan" in got["baris 7"]
    assert "jenis 'pasar' tidak dikenal" in got["baris 8"]
    assert "kode kelurahan kosong" in got["baris 9"]
    assert "baris ganda" in got["baris 11"]
    assert not Street.objects.filter(kunci="jl kartini").exists()


def test_files_without_header_with_semicolons_or_plain_codes(world):
    report = do_import(f"Jl. Pemuda,{MIROTO}\nSimpang Lima,{MIROTO},alun-alun,tempat\n")
    assert report.created == 2
    report = do_import(f"nama_jalan;kode_kelurahan;catatan\nJl. Kartini;{MIROTO.replace('.', '')};\n")
    assert report.created == 1 and Street.objects.filter(kelurahan_id=MIROTO, kunci="jl kartini").exists()
    report = do_import(f"kode_kelurahan,kecamatan,nama_jalan\n{BULU_LOR},Semarang Utara,Jl. Layur\n")
    assert report.created == 1 and report.ignored_columns == ["kecamatan"]
    assert "kolom diabaikan: kecamatan" in report.summary()
    err = import_fails(f"jalan raya,kode desa\nJl. Pemuda,{MIROTO}\n")  # an unknown header: named as such
    assert err.errors[0]["field"] == "baris 1" and "bila ini kepala kolom" in err.errors[0]["message"]
    err = import_fails(f"Jl. Pemuda,{MIROTO},,jalan,lebih\n")
    assert "terlalu banyak kolom" in err.errors[0]["message"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "berkas kosong"),
        (b"  \n\n", "berkas kosong"),
        (b"nama_jalan,kode_kelurahan\n", "tidak ada baris data"),
        (b"nama_jalan,catatan\nJl. Pemuda,x\n", None),  # no code column: header without it
        (b"\x00\x01\x02PK", "berkas biner"),
        ("Jl. Pemuda,33.74.01.1001\nJl. Caf\u00e9,33.74.01.1001\n".encode("latin-1"), "bukan teks UTF-8 (baris 2)"),
        (12, "tidak didukung"),
    ],
)
def test_unreadable_files(world, data, message):
    err = import_fails(data)
    assert err.errors[0]["field"] == "berkas"
    assert message in err.errors[0]["message"] if message else "tanpa kode_kelurahan" in err.errors[0]["message"]


def test_missing_file_or_folder(world, tmp_path: Path):
    assert "tidak dapat dibaca" in import_fails(tmp_path / "tidak-ada.csv").errors[0]["message"]
    assert "folder" in import_fails(tmp_path).errors[0]["message"]


def test_only_admin_may_import(world):
    with pytest.raises(PermissionDenied):
        do_import(GOOD, actor=world.user("operator"))
    assert not Street.objects.exists()
    do_import(GOOD, actor=world.user("admin"), channel=Channel.WEB)
    entry = AuditEntry.objects.get(action="jalan.diimpor")
    assert entry.actor_username == "admin" and entry.channel == "web"


def test_street_kunci_spells_the_prefix_one_way():
    assert street_kunci("Jl. Pandanaran") == street_kunci("JALAN  pandanaran") == "jl pandanaran"
    assert street_kunci("Pandanaran") == street_kunci("Jln.Pandanaran") == "jl pandanaran"
    assert street_kunci("Gang Lombok") == street_kunci("gg. lombok") == "gg lombok"
    assert street_kunci("Simpang Lima", "tempat") == "simpang lima"
    assert street_kunci("Jl.") == ""


def test_reading_is_restricted_to_the_users_territory(world):
    do_import(GOOD)
    all_rows = Street.objects.count()
    assert list_streets(world.user("operator")).count() == all_rows == 5
    assert set(list_streets(world.user("bhabin_miroto")).values_list("kelurahan_id", flat=True)) == {MIROTO}
    assert set(list_streets(world.user("kapolsek_semarang_utara")).values_list("kelurahan_id", flat=True)) == {
        BULU_LOR, BANDARHARJO}
    assert list_streets(world.user("spkt")).count() == 5  # reference data: every staff role reads it


def test_list_filters(world):
    do_import(GOOD)
    assert [s.kelurahan_id for s in list_streets(cari="jl pemuda")] == [MIROTO, BRUMBUNGAN]
    assert [s.kunci for s in list_streets(kelurahan="brumbungan")] == ["gg lombok", "jl pemuda"]
    assert [s.kunci for s in list_streets(kelurahan="3374020001")] == []
    assert [s.kunci for s in list_streets(kelurahan=BANDARHARJO, jenis="tempat")] == ["simpang lima"]


# --- the command ------------------------------------------------------------------------------------


def test_cli_import_and_list(world, tmp_path: Path, capsys):
    path = tmp_path / "jalan.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert main(["regions", "streets", "import", str(path), "--dry-run"]) == 0
    assert "uji coba" in capsys.readouterr().out and not Street.objects.exists()
    assert main(["regions", "streets", "import", str(path)]) == 0
    assert "Impor selesai: 5 baris sah" in capsys.readouterr().out
    assert AuditEntry.objects.get(action="jalan.diimpor").channel == "cli"

    assert main(["regions", "streets", "list", "--cari", "pemuda"]) == 0
    out = capsys.readouterr().out
    assert "Jl. Pemuda" in out and "Miroto (33.74.01.1001)" in out and "Semarang Tengah" in out
    assert "1 jalan/tempat, 2 baris" in out
    assert main(["regions", "streets", "list", "--kelurahan", "Bandarharjo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == [{
        "nama": "Simpang Lima", "jenis": "tempat", "kelurahan": {"kode": BANDARHARJO, "nama": "Bandarharjo"},
        "kecamatan": "Semarang Utara", "catatan": "landmark"}]
    assert main(["regions", "streets", "list", "--cari", "tidak ada"]) == 1


def test_cli_bad_file_exits_2_and_names_the_lines(world, tmp_path: Path, capsys):
    path = tmp_path / "jalan.csv"
    path.write_text(f"nama_jalan,kode_kelurahan\nJl. Pemuda,33.74.09.9999\n,{MIROTO}\n", encoding="utf-8")
    assert main(["regions", "streets", "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Impor dibatalkan: 2 baris bermasalah" in err
    assert "baris 2: kelurahan dengan kode '33.74.09.9999' tidak dikenal" in err and "baris 3: nama jalan kosong" in err
    assert not Street.objects.exists()


def test_a_kecamatan_code_is_not_a_kelurahan(world):
    err = import_fails("Jl. Pemuda,33.74.01\n")
    assert "tidak berbentuk PP.KK.CC.DDDD" in err.errors[0]["message"]
