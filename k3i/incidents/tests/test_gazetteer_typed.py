"""The gazetteer reading a short location typed by the 110 call-taker (``find_typed_location``).

The same names and rules as for WhatsApp/SMS text (``find_places``); a name making up a whole typed part
counts like a name after "kel.". The call-taker screen (``k3i.ops.room.resolve_location``) uses this.
"""

from __future__ import annotations

import pytest

from k3i.incidents.gazetteer import find_typed_location
from k3i.organization.models import Region


@pytest.mark.parametrize(
    ("text", "kelurahan", "alamat"),
    [
        ("Miroto — Semarang Tengah", "Miroto", ""),  # the search list's label
        ("Miroto", "Miroto", ""),
        ("  kel. MIROTO ", "Miroto", ""),
        ("bululor", "Bulu Lor", ""),  # written together, as the gazetteer allows
        ("Jl. Pemuda 12, Miroto", "Miroto", "Jl. Pemuda 12, Miroto"),
        ("Jl. Brumbungan 3, Miroto", "Miroto", "Jl. Brumbungan 3, Miroto"),  # the named part, not the street
        ("jambret di jl. brumbungan raya", "Brumbungan", "jambret di jl. brumbungan raya"),
        ("Kelurahan Antah Berantah", None, "Kelurahan Antah Berantah"),
        ("Semarang Tengah", None, "Semarang Tengah"),  # a kecamatan is not enough
        ("", None, ""),
    ],
)
def test_typed_locations(world, text, kelurahan, alamat):
    found = find_typed_location(text, world.polres)
    assert (found.kelurahan.nama if found.kelurahan else None, found.alamat, found.choices) == (
        kelurahan, alamat, [])


def test_a_short_or_common_name_counts_when_it_is_what_was_typed(world):
    kec = Region.objects.get(kode="33.74.01")
    candi = Region.objects.create(kode="33.74.01.1003", nama="Candi", level=4, tipe="kelurahan", parent=kec)
    assert find_typed_location("Candi", world.polres).kelurahan == candi
    assert find_typed_location("Candi — Semarang Tengah", world.polres).kelurahan == candi
    assert find_typed_location("Jl. Kartini 4, Candi", world.polres).kelurahan == candi
    # inside running words it stays an ordinary word, as in a report's text
    assert find_typed_location("candi nya rusak", world.polres).kelurahan is None


def test_a_name_in_two_kecamatan_is_a_choice_unless_the_kecamatan_is_typed(world):
    utara = Region.objects.get(kode="33.74.02")
    other = Region.objects.create(kode="33.74.02.1003", nama="Miroto", level=4, tipe="kelurahan", parent=utara)
    found = find_typed_location("Miroto", world.polres)
    assert found.kelurahan is None
    assert found.choices == ["Miroto — Semarang Tengah", "Miroto — Semarang Utara"]
    assert find_typed_location("Jl. Pemuda 12, Miroto", world.polres).choices == found.choices
    assert find_typed_location("Miroto — Semarang Utara", world.polres).kelurahan == other
    assert find_typed_location("Miroto — Semarang Tengah", world.polres).kelurahan == world.kelurahan["Miroto"]
    found = find_typed_location("Jl. Pemuda 12, Miroto, kec. Semarang Utara", world.polres)
    assert (found.kelurahan, found.alamat) == (other, "Jl. Pemuda 12, Miroto, kec. Semarang Utara")


def test_kelurahan_of_another_polres_are_not_found(world):
    from k3i.core.tests.neighbour import add_neighbour

    add_neighbour(world)
    assert find_typed_location("Noborejo", world.polres).kelurahan is None
