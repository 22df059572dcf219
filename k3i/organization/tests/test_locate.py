"""Locate a point (index, API, CLI) and the regions API with territorial scope."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from k3i.cli import main
from k3i.core.audit import Channel
from k3i.core.errors import ValidationFailed
from k3i.organization import geo
from k3i.organization.models import Region
from k3i.organization.regions import import_regions

pytestmark = pytest.mark.django_db

MIROTO = (-6.98371, 110.41869)
IN_WORLD_MIROTO = (-6.98, 110.41)  # inside the test world's Miroto square (110.40–110.42, -7.00–-6.96)
IN_WORLD_BRUMBUNGAN = (-6.98, 110.43)
OUTSIDE = (-6.50, 109.50)  # the Java Sea


def locate_url(lat: float, lon: float) -> str:
    return f"/api/v1/regions/locate?lat={lat}&lon={lon}"


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


# --- the locate function --------------------------------------------------------------------------


def test_locate_answers_kelurahan_polsek_pospol_bhabin(world: Any) -> None:
    r = geo.locate(*IN_WORLD_MIROTO)
    assert r is not None and r.dalam_wilayah_hukum
    assert (r.kelurahan.kode, r.kelurahan.nama) == ("33.74.01.1001", "Miroto")
    assert (r.kelurahan.kecamatan_nama, r.kelurahan.kota_nama) == ("Semarang Tengah", "Kota Semarang")
    assert r.polsek is not None and r.polsek.nama == "Polsek Semarang Tengah"
    # Pospol Miroto stands at the kelurahan's centre (-6.98, 110.41): 0 m away; Bandarharjo's is 4.4 km off
    assert [(p.nama, p.jarak_m) for p in r.pospol] == [("Pospol Miroto", 0)]
    assert r.bhabinkamtibmas is not None
    assert (r.bhabinkamtibmas.nama, r.bhabinkamtibmas.pangkat) == ("Bhabin Miroto", "Aipda")
    assert r.bhabinkamtibmas.kelurahan_binaan == ["Miroto"]

    gap = geo.locate(*IN_WORLD_BRUMBUNGAN)
    assert gap is not None and gap.kelurahan.nama == "Brumbungan"
    assert gap.bhabinkamtibmas is None  # a kelurahan without Bhabinkamtibmas is a visible gap
    assert [p.nama for p in gap.pospol] == ["Pospol Miroto"]
    assert 2000 < gap.pospol[0].jarak_m < 2300  # 0.02° of longitude at 7° S ≈ 2.2 km

    assert geo.locate(*OUTSIDE) is None


def test_locate_kelurahan_without_polsek_is_outside_jurisdiction(world: Any) -> None:
    import_regions(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"kode": "33.74.03.1001", "nama": "Kemijen"},
             "geometry": square(110.44, -7.00, 110.46, -6.96)}]},
        actor=None, channel=Channel.CLI,
    )
    r = geo.locate(-6.98, 110.45)
    assert r is not None and r.kelurahan.nama == "Kemijen"
    assert r.polsek is None and not r.dalam_wilayah_hukum
    assert r.pesan().startswith("di luar wilayah hukum: kecamatan Semarang Timur (33.74.03)")


def test_index_follows_imports_and_saves(world: Any) -> None:
    assert geo.locate(-6.98, 110.45) is None
    index = geo.get_index()
    assert len(index) == 4 and geo.get_index() is index  # cached while nothing changes
    import_regions(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"kode": "33.74.01.1002", "nama": "Brumbungan"},
             "geometry": square(110.42, -7.00, 110.46, -6.96)}]},
        actor=None, channel=Channel.CLI,
    )
    assert geo.get_index() is not index
    r = geo.locate(-6.98, 110.45)
    assert r is not None and r.kelurahan.nama == "Brumbungan"
    # a plain ORM save (e.g. the admin) is seen too
    kel = Region.objects.get(kode="33.74.01.1002")
    kel.geometry = square(110.42, -7.00, 110.44, -6.96)
    kel.save()
    assert geo.locate(-6.98, 110.45) is None


def test_shared_border_gives_one_answer(world: Any) -> None:
    r = geo.locate(-6.98, 110.42)  # on the border of Miroto and Brumbungan
    assert r is not None and r.kelurahan.nama == "Miroto"  # the lowest code, every time


@pytest.mark.parametrize(
    ("lat", "lon", "field"),
    [(-91, 110, "lat"), (91, 110, "lat"), (-6.9, 181, "lon"), (float("nan"), 110, "lat"), ("x", 110, "lat")],
)
def test_locate_rejects_bad_coordinates(lat: Any, lon: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        geo.locate(lat, lon)
    assert [e["field"] for e in info.value.errors] == [field]


def test_index_directly_without_database() -> None:
    from shapely.geometry import shape

    places = [geo.Place("99.01.01.0001", "A", "desa", True, "99.01.01", "K", "99.01", "Kab"),
              geo.Place("99.01.01.0002", "B", "desa", True, "99.01.01", "K", "99.01", "Kab")]
    index = geo.LocateIndex(places, [shape(square(0, 0, 1, 1)), shape(square(1, 0, 2, 1))])
    assert index.find(0.5, 0.5).nama == "A"  # type: ignore[union-attr]
    assert index.find(0.5, 1.5).nama == "B"  # type: ignore[union-attr]
    assert index.find(0.5, 1.0).nama == "A"  # type: ignore[union-attr]  # border
    assert index.find(5, 5) is None


# --- the real boundaries: the done-criterion ------------------------------------------------------


def test_cli_locate_miroto_with_real_semarang(world: Any, shared_data: Path, capsys: Any) -> None:
    assert main(["regions", "import", str(shared_data / "regions/3374-kota-semarang-kelurahan.geojson")]) == 0
    out = capsys.readouterr().out
    assert "Impor selesai: 177 kelurahan/desa sah." in out
    assert "dibuat: 173, diperbarui: 4" in out  # the test world's four kelurahan were updated in place

    assert main(["regions", "locate", str(MIROTO[0]), str(MIROTO[1])]) == 0
    out = capsys.readouterr().out
    assert "Kelurahan      : Miroto (33.74.01.1001)" in out
    assert "Kecamatan      : Semarang Tengah (33.74.01)" in out
    assert "Polsek         : Polsek Semarang Tengah" in out
    assert "Bhabinkamtibmas: Aipda Bhabin Miroto" in out

    assert main(["regions", "locate", str(MIROTO[0]), str(MIROTO[1]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kelurahan"]["nama"] == "Miroto" and data["polsek"]["nama"] == "Polsek Semarang Tengah"


# --- the CLI --------------------------------------------------------------------------------------


def test_cli_locate_outside(world: Any, capsys: Any) -> None:
    assert main(["regions", "locate", str(OUTSIDE[0]), str(OUTSIDE[1])]) == 1
    assert capsys.readouterr().out.startswith("di luar wilayah hukum")
    assert main(["regions", "locate", "-95", "110"]) == 2
    assert "lat (lintang) harus di antara -90 dan 90" in capsys.readouterr().err


def test_cli_import_reports_every_bad_feature(db: Any, tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "rusak.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"kode": "33.74.01.1001"}, "geometry": square(110.40, -7.00, 110.42, -6.96)},
        {"type": "Feature", "properties": {"kode": "33.74.01.9999"}, "geometry": square(110.42, -7.00, 110.44, -6.96)},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [110.4, -7.0]}},
    ]}))
    assert main(["regions", "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "Impor dibatalkan: 2 dari 3 fitur bermasalah" in err
    assert "fitur[1]: kode wilayah '33.74.01.9999' tidak dikenal Kemendagri" in err
    assert "fitur[2]: kode wilayah tidak ada (properti 'kode')" in err
    assert "fitur[2]: jenis geometri Point tidak didukung" in err
    assert "Traceback" not in err
    assert not Region.objects.exists()

    good = tmp_path / "baik.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"KD": "33.74.01.1001", "NM": "Miroto"},
         "geometry": square(110.40, -7.00, 110.42, -6.96)}]}))
    assert main(["regions", "import", str(good), "--code-field", "KD", "--name-field", "NM", "--dry-run"]) == 0
    assert "uji coba" in capsys.readouterr().out
    assert not Region.objects.exists()
    assert main(["regions", "import", str(good), "--code-field", "KD", "--name-field", "NM"]) == 0
    assert Region.objects.get(kode="33.74.01.1001").nama == "Miroto"

    assert main(["regions", "import", str(tmp_path / "tidak-ada.geojson")]) == 2
    assert "tidak dapat dibaca" in capsys.readouterr().err


# --- the API --------------------------------------------------------------------------------------


def test_api_locate_is_public_without_personal_data(world: Any) -> None:
    url = locate_url(*IN_WORLD_MIROTO)
    anon = Client().get(url)
    assert anon.status_code == 200, anon.content
    body = anon.json()
    assert body["dalam_wilayah_hukum"] is True
    assert body["kelurahan"]["nama"] == "Miroto" and body["polsek"]["nama"] == "Polsek Semarang Tengah"
    assert body["pospol_terdekat"][0]["nama"] == "Pospol Miroto"
    assert body["bhabinkamtibmas"] == {"nama": "Bhabin Miroto", "pangkat": "Aipda",
                                       "kelurahan_binaan": ["Miroto"], "nrp": None, "telepon": None}


def test_api_locate_personal_data_for_those_who_may_see_it(world: Any, login: Any) -> None:
    url = locate_url(*IN_WORLD_MIROTO)
    nrp = world.personel["bhabin_miroto"].nrp
    assert login("operator").get(url).json()["bhabinkamtibmas"]["nrp"] == nrp
    assert login("kapolsek_semarang_tengah").get(url).json()["bhabinkamtibmas"]["nrp"] == nrp
    # another Polsek's Kapolsek, and roles that may not see personnel, get the public answer
    assert login("kapolsek_semarang_utara").get(url).json()["bhabinkamtibmas"]["nrp"] is None
    assert login("analis").get(url).json()["bhabinkamtibmas"]["nrp"] is None


def test_api_locate_outside_and_bad_input(world: Any) -> None:
    c = Client()
    out = c.get(locate_url(*OUTSIDE))
    assert out.status_code == 200
    assert out.json()["dalam_wilayah_hukum"] is False
    assert out.json()["pesan"].startswith("di luar wilayah hukum")
    r = c.get("/api/v1/regions/locate?lat=100&lon=110")
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "lat", "message": "lat (lintang) harus di antara -90 dan 90"}]
    r = c.get("/api/v1/regions/locate?lat=abc&lon=110")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lat"
    r = c.get("/api/v1/regions/locate?lat=-6.9")
    assert r.status_code == 422 and r.json()["errors"] == [{"field": "lon", "message": "wajib diisi"}]


def test_api_regions_geojson_and_filters(world: Any, login: Any) -> None:
    c = login("operator")
    all_ = c.get("/api/v1/regions").json()
    assert all_["type"] == "FeatureCollection"
    assert [f["id"] for f in all_["features"]] == [
        "33", "33.74", "33.74.01", "33.74.01.1001", "33.74.01.1002", "33.74.02", "33.74.02.1001", "33.74.02.1002"
    ]
    kel = c.get("/api/v1/regions?level=4&parent=33.74.01").json()["features"]
    assert [f["properties"]["nama"] for f in kel] == ["Miroto", "Brumbungan"]
    assert kel[0]["geometry"]["type"] == "Polygon"
    assert kel[0]["properties"]["induk"] == "33.74.01" and kel[0]["properties"]["level_nama"] == "Kelurahan/Desa"
    no_geom = c.get("/api/v1/regions?level=3&geometri=false").json()["features"]
    assert [f["geometry"] for f in no_geom] == [None, None]
    bad = c.get("/api/v1/regions?level=9")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "level"

    one = c.get("/api/v1/regions/33.74.01.1001")
    assert one.status_code == 200 and one.json()["properties"]["nama"] == "Miroto"
    assert c.get("/api/v1/regions/99.99").status_code == 404


def test_api_regions_scope(world: Any, login: Any) -> None:
    utara = login("kapolsek_semarang_utara")
    r = utara.get("/api/v1/regions/33.74.01.1001")  # Miroto is Semarang Tengah's
    assert r.status_code == 404 and r.json()["detail"] == "Wilayah tidak ditemukan."
    assert utara.get("/api/v1/regions/33.74.02.1001").status_code == 200
    kel = utara.get("/api/v1/regions?level=4").json()["features"]
    assert [f["properties"]["nama"] for f in kel] == ["Bandarharjo", "Bulu Lor"]

    bhabin = login("bhabin_miroto")
    assert [f["id"] for f in bhabin.get("/api/v1/regions?level=4").json()["features"]] == ["33.74.01.1001"]
    assert bhabin.get("/api/v1/regions/33.74.01.1002").status_code == 404

    anon = Client().get("/api/v1/regions")
    assert anon.status_code == 401
