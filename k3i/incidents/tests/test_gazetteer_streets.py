"""The gazetteer with the street table: streets and places name the kelurahan they lie in.

In WhatsApp/SMS text (``find_places``), typed by the 110 call-taker (``find_typed_location``), and end to
end through the signed message webhook. The street list is imported through the real action.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from k3i.core.audit import Channel
from k3i.incidents import gazetteer, intake
from k3i.incidents.gazetteer import find_places, find_typed_location
from k3i.incidents.models import Incident
from k3i.organization.streets import import_streets

MIROTO, BRUMBUNGAN, BANDARHARJO, BULU_LOR = "33.74.01.1001", "33.74.01.1002", "33.74.02.1001", "33.74.02.1002"

# Made up for the test world (Miroto, Brumbungan | Bandarharjo, Bulu Lor): a street through three kelurahan
# of two kecamatan, streets in one kelurahan, places, a short common-word place, a "Raya" street, and a
# street named after a kelurahan that lies in another one.
STREETS = f"""nama_jalan,kode_kelurahan,catatan,jenis
Jl. Pandanaran,{MIROTO},,
Jl. Pandanaran,{BRUMBUNGAN},,
Jl. Pandanaran,{BULU_LOR},,
Jl. Pemuda,{MIROTO},,
Gg. Lombok,{BANDARHARJO},,
Jl. Raya Kaligawe,{BULU_LOR},,
Jl. Brumbungan Raya,{MIROTO},,
Simpang Lima,{BRUMBUNGAN},,tempat
Lawang Sewu,{MIROTO},,tempat
Tugu,{BANDARHARJO},,tempat
"""


@pytest.fixture
def streets(world):  # type: ignore[no-untyped-def]
    import_streets(STREETS, actor=None, channel=Channel.SYSTEM)
    return world


def kel(text: str, polres) -> str | None:  # type: ignore[no-untyped-def]
    m = find_places(text, polres)
    return m.kelurahan.nama if m.kelurahan else None


@pytest.mark.parametrize(
    ("text", "kelurahan"),
    [
        ("jambret di jl pemuda no 12", "Miroto"),
        ("JALAN PEMUDA depan toko", "Miroto"),
        ("copet di Jln.Pemuda barusan", "Miroto"),
        ("tawuran di gg. lombok", "Bandarharjo"),
        ("ada copet di lawang sewu", "Miroto"),  # a place: no prefix needed
        ("copet di lawangsewu", "Miroto"),  # written together
        ("kecelakaan dekat tugu", "Bandarharjo"),  # a common-word place after "dekat"
        ("macet total di jalan raya kaligawe", "Bulu Lor"),
        ("macet total di jl kaligawe", "Bulu Lor"),  # "Raya" may be left out
        ("jambret di jl. brumbungan raya", "Miroto"),  # the table knows better than the kelurahan's name
        ("ada pemuda mabuk di pinggir jalan", None),  # a street's name without "jl" is an ordinary word
        ("tugu nya roboh", None),  # a common-word place without any prefix
        ("rumah di kel. pemuda", None),  # "kel." says a kelurahan, and there is none of that name
    ],
)
def test_streets_and_places_name_their_kelurahan(streets, text, kelurahan):
    assert kel(text, streets.polres) == kelurahan


def test_a_street_through_several_kelurahan_is_a_flagged_suggestion(streets):
    m = find_places("kebakaran di jalan pandanaran", streets.polres)
    assert m.kelurahan is not None and m.kelurahan.kode == MIROTO  # one of them (the first), to confirm
    assert m.ambiguous
    assert m.streets == ["Jl. Pandanaran"] and m.alamat() == "Jl. Pandanaran"
    note = m.describe()
    assert "daftar jalan/tempat: Jl. Pandanaran (Brumbungan, Bulu Lor, Miroto)" in note
    assert "kemungkinan lain: Brumbungan, Bulu Lor" in note and "Perlu konfirmasi operator" in note


@pytest.mark.parametrize(
    ("text", "kelurahan"),
    [
        ("kebakaran di jalan pandanaran kec. semarang utara", "Bulu Lor"),  # the kecamatan decides
        ("kebakaran di jl pandanaran kel. brumbungan", "Brumbungan"),  # the kelurahan decides
        ("kebakaran di jl pandanaran dekat brumbungan", "Brumbungan"),  # named without prefix, still agrees
        ("kebakaran rumah di jalan pandanaran dekat simpang lima", "Brumbungan"),  # a place on the street
        ("jambret di jl pemuda kel. bulu lor", "Bulu Lor"),  # a kelurahan named with "kel." outranks a street
    ],
)
def test_a_kelurahan_kecamatan_or_place_named_beside_a_street_decides(streets, text, kelurahan):
    assert kel(text, streets.polres) == kelurahan


def test_places_go_into_the_address_line(streets):
    m = find_places("kebakaran rumah di jalan pandanaran dekat simpang lima", streets.polres)
    assert m.alamat() == "Jl. Pandanaran, Simpang Lima"
    assert find_places("ada copet di lawang sewu", streets.polres).alamat() == "Lawang Sewu"
    assert find_places("copet di jl simpang lima", streets.polres).alamat() == "Jl. Simpang Lima"  # not twice


def test_streets_of_another_polres_are_not_found(streets):
    from k3i.core.tests.neighbour import add_neighbour

    add_neighbour(streets)  # has Jl. Argomulyo in Noborejo (Polres Salatiga)
    assert kel("motor hilang di jl argomulyo", streets.polres) is None
    assert kel("motor hilang di jl kenanga", streets.polres) == "Bulu Lor"  # the neighbour's street in the world


def test_the_index_is_cached_and_follows_imports(world):
    polres = world.polres
    first = gazetteer._index_for(polres)
    assert gazetteer._index_for(polres) is first  # unchanged: the same index, not rebuilt
    assert kel("maling di jl kartini", polres) is None
    import_streets(f"Jl. Kartini,{BULU_LOR}\n", actor=None, channel=Channel.CLI)
    assert kel("maling di jl kartini", polres) == "Bulu Lor"
    assert gazetteer._index_for(polres) is not first
    import_streets(f"Jl. Kartini,{BULU_LOR},pindah nama\n", actor=None, channel=Channel.CLI)  # an update only
    assert gazetteer._index_for(polres).streets["kartini"].kelurahan[0][0] == BULU_LOR
    import_streets(f"Jl. Kartini,{BANDARHARJO}\n", actor=None, channel=Channel.CLI, replace=True)
    assert kel("maling di jl kartini", polres) == "Bandarharjo"  # the old row deleted, the new one found


def test_a_long_street_list_is_looked_up_word_by_word(world):
    lines = [f"Jl. Uji Nomor {i},{MIROTO if i % 2 else BULU_LOR}" for i in range(3000)]
    import_streets("\n".join(lines), actor=None, channel=Channel.CLI)
    assert len(gazetteer._index_for(world.polres).streets) == 3000
    assert kel("tabrakan di jl uji nomor 2999 arah utara", world.polres) == "Miroto"
    assert kel("tabrakan di jl uji nomor 1000", world.polres) == "Bulu Lor"


# --- typed by the call-taker -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kelurahan", "alamat", "choices"),
    [
        ("Jl. Pemuda 12", "Miroto", "Jl. Pemuda 12", []),
        ("Pemuda", "Miroto", "Pemuda", []),  # the whole typed text is the street's name
        ("Lawang Sewu", "Miroto", "Lawang Sewu", []),  # a place stays the address
        ("Jl. Pandanaran 12", None, "Jl. Pandanaran 12",
         ["Brumbungan — Semarang Tengah", "Bulu Lor — Semarang Utara", "Miroto — Semarang Tengah"]),
        ("Jl. Pandanaran 12, Semarang Tengah", None, "Jl. Pandanaran 12, Semarang Tengah",
         ["Brumbungan — Semarang Tengah", "Miroto — Semarang Tengah"]),
        ("Jl. Pandanaran 12, Semarang Utara", "Bulu Lor", "Jl. Pandanaran 12, Semarang Utara", []),
        ("Jl. Pandanaran 12, Brumbungan — Semarang Tengah", "Brumbungan",
         "Jl. Pandanaran 12, Brumbungan — Semarang Tengah", []),
        ("Jl. Pemuda 12, Bulu Lor", "Bulu Lor", "Jl. Pemuda 12, Bulu Lor", []),  # the call-taker's kelurahan
        ("Jl. Pandanaran 12, Simpang Lima", "Brumbungan", "Jl. Pandanaran 12, Simpang Lima", []),
    ],
)
def test_typed_streets_and_places(streets, text, kelurahan, alamat, choices):
    found = find_typed_location(text, streets.polres)
    assert (found.kelurahan.nama if found.kelurahan else None, found.alamat, found.choices) == (
        kelurahan, alamat, choices)


# --- end to end: the signed WhatsApp/SMS webhook ---------------------------------------------------

SECRET = "rahasia-gateway-uji-jalan-0123456789"


def send_message(settings, text: str, message_id: str) -> dict:  # type: ignore[no-untyped-def]
    settings.K3I_INTAKE_WEBHOOK_SECRET = SECRET
    raw = json.dumps({"phone": "081211112222", "text": text, "message_id": message_id}).encode()
    r = Client().post("/api/v1/intake/messages", data=raw, content_type="application/json",
                      HTTP_X_K3I_SIGNATURE=intake.sign(raw, SECRET))
    assert r.status_code == 201, r.content
    return r.json()


def test_webhook_message_naming_a_street_gets_its_kelurahan_to_confirm(streets, settings):
    body = send_message(settings, "kebakaran di jl pemuda no 12, tolong cepat", "wa-jalan-1")
    assert body["kelurahan"] == {"kode": MIROTO, "nama": "Miroto"}
    assert body["location_confirmed"] is False
    assert "daftar jalan/tempat: Jl. Pemuda (Miroto)" in body["location_note"]
    inc = Incident.objects.get(number=body["number"])
    assert inc.polsek == streets.polsek["semarang_tengah"] and inc.alamat == "Jl. Pemuda"
    assert inc.location_source == "teks"


def test_webhook_message_naming_a_street_through_several_kelurahan(streets, settings):
    body = send_message(settings, "kebakaran di jalan pandanaran", "wa-jalan-2")
    assert body["kelurahan"]["nama"] == "Miroto" and body["location_confirmed"] is False
    assert "kemungkinan lain: Brumbungan, Bulu Lor" in body["location_note"]
    body = send_message(settings, "kebakaran rumah di jalan pandanaran dekat simpang lima", "wa-jalan-3")
    assert body["kelurahan"]["nama"] == "Brumbungan"
    inc = Incident.objects.get(number=body["number"])
    assert inc.alamat == "Jl. Pandanaran, Simpang Lima" and not inc.location_confirmed
