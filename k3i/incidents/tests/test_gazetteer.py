"""The gazetteer: kelurahan, kecamatan and street names of the Polres found in free text."""

from __future__ import annotations

import pytest

from k3i.core.tests.neighbour import add_neighbour
from k3i.incidents.gazetteer import find_places, normalise
from k3i.organization.models import Region
from k3i.testing import square


@pytest.mark.parametrize(
    ("text", "kelurahan"),
    [
        ("ada maling masuk rumah di kel. Bulu Lor dekat masjid", "Bulu Lor"),
        ("tlg pak ada tawuran di BULULOR skrg", "Bulu Lor"),
        ("kecelakaan di kelurahan   bulu-lor", "Bulu Lor"),
        ("Kelurahan Miroto, rumah kosong dibobol", "Miroto"),
        ("jambret di jl. brumbungan raya barusan", "Brumbungan"),
        ("banjir setinggi lutut di Bandarharjo", "Bandarharjo"),
        ("Bandárharjo banjir lagi", "Bandarharjo"),  # accents ignored
    ],
)
def test_kelurahan_found_tolerant_to_case_spacing_and_prefixes(world, text, kelurahan):
    m = find_places(text, world.polres)
    assert m.kelurahan is not None and m.kelurahan.nama == kelurahan
    assert m.kecamatan is not None and m.kecamatan.pk == m.kelurahan.parent_id


def test_only_kecamatan_named(world):
    m = find_places("ada keributan di kec. semarang utara dekat pelabuhan", world.polres)
    assert m.kelurahan is None
    assert m.kecamatan is not None and m.kecamatan.nama == "Semarang Utara"
    assert m.found and "Kec. Semarang Utara" in m.alamat()


def test_nothing_found_and_other_polres_ignored(world):
    add_neighbour(world)
    m = find_places("motor hilang di noborejo", world.polres)  # Noborejo belongs to Polres Salatiga
    assert not m.found and m.kelurahan is None
    assert not find_places("", world.polres).found
    assert "tidak ditemukan" in m.describe()


def test_words_inside_other_words_do_not_match(world):
    # "miroto" inside a longer word is not the kelurahan
    assert find_places("namanya pak samirotos", world.polres).kelurahan is None


def test_short_or_common_names_need_a_prefix(world):
    kec = Region.objects.get(kode="33.74.01")
    Region.objects.create(kode="33.74.01.1003", nama="Candi", level=4, tipe="kelurahan", parent=kec,
                          geometry=square(110.40, -7.02, 110.42, -7.00), lat=-7.01, lon=110.41)
    assert find_places("saya kudu lapor, candi nya rusak", world.polres).kelurahan is None
    m = find_places("ada perampokan di kel candi", world.polres)
    assert m.kelurahan is not None and m.kelurahan.nama == "Candi"


def test_kecamatan_decides_between_kelurahan_of_the_same_name(world):
    for kode, kec in (("33.74.01.1005", "33.74.01"), ("33.74.02.1005", "33.74.02")):
        Region.objects.create(kode=kode, nama="Purwosari", level=4, tipe="kelurahan",
                              parent=Region.objects.get(kode=kec))
    m = find_places("pencurian di purwosari kecamatan semarang utara", world.polres)
    assert m.kelurahan is not None and m.kelurahan.kode == "33.74.02.1005"
    assert m.kecamatan is not None and m.kecamatan.kode == "33.74.02"
    m = find_places("pencurian di kel. purwosari", world.polres)  # no kecamatan: one of them, flagged
    assert m.kelurahan is not None and m.kelurahan.nama == "Purwosari" and m.ambiguous


def test_several_kelurahan_best_first_and_alternatives_named(world):
    m = find_places("pelaku kabur dari miroto ke arah kel. brumbungan", world.polres)
    assert m.kelurahan is not None and m.kelurahan.nama == "Brumbungan"  # the prefixed one
    assert m.ambiguous
    assert "Miroto" in m.describe()


def test_street_names_lifted_as_address(world):
    m = find_places("Tolong, ada jambret di Jl. Pemuda no 12 dekat mall, lalu gg kenari 3", world.polres)
    assert m.streets == ["Jl. Pemuda", "Gg. Kenari 3"]
    assert "Jl. Pemuda" in m.alamat()


def test_normalise():
    assert normalise("  Kel. BULU-Lor!! ") == "kel bulu lor"


def test_gazetteer_follows_new_regions(world):
    assert find_places("di kelurahan Sekayu", world.polres).kelurahan is None
    Region.objects.create(kode="33.74.01.1004", nama="Sekayu", level=4, tipe="kelurahan",
                          parent=Region.objects.get(kode="33.74.01"))
    assert find_places("di kelurahan Sekayu", world.polres).kelurahan is not None


def test_kec_prefix_names_the_kecamatan_not_a_kelurahan_of_the_same_name(world):
    kec = Region.objects.get(kode="33.74.02")
    Region.objects.create(kode="33.74.02.1009", nama="Semarang Utara", level=4, tipe="kelurahan", parent=kec)
    m = find_places("tawuran di kec. semarang utara", world.polres)
    assert m.kelurahan is None and m.kecamatan == kec
    m = find_places("tawuran di kel. semarang utara", world.polres)
    assert m.kelurahan is not None and m.kelurahan.kode == "33.74.02.1009"
