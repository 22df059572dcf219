"""Master-data actions: Polres, Polsek, Pospol, Polsubsektor, Fungsi, Personel, Bhabinkamtibmas coverage."""

from __future__ import annotations

import pytest

from k3i.core.errors import Conflict, PermissionDenied, ValidationFailed
from k3i.core.models import AuditEntry, LiveEvent
from k3i.organization import actions
from k3i.organization.models import BhabinCoverage, Personel, Polres, Polsek, Pospol, Region

pytestmark = pytest.mark.django_db


def fields_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e["field"]: e["message"] for e in exc.value.errors}


def personel_fields(world, **extra):
    return {"nrp": "90010001", "nama": "Bayu Pratama", "pangkat": "briptu", "jabatan": "Banit Samapta",
            "polres": world.polres, "polsek": world.polsek["semarang_tengah"],
            "fungsi": world.fungsi["SAT_SAMAPTA"], **extra}


# --- Personel -------------------------------------------------------------------------------------


def test_create_personel_writes_the_row_and_one_audit_entry(world):
    admin = world.user("admin")

    p = actions.create_personel(admin, channel="web", **personel_fields(world))

    assert Personel.objects.get(nrp="90010001") == p
    entry = AuditEntry.objects.get(action="personel.dibuat")
    assert (entry.actor_username, entry.channel, entry.object_id) == ("admin", "web", str(p.pk))
    assert entry.changes["nrp"] == "90010001" and entry.changes["polsek"] == world.polsek["semarang_tengah"].pk
    assert entry.polres_id == world.polres.pk


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"nrp": "1234"}, "nrp", "NRP harus 8 angka."),
        ({"nrp": "8001000A"}, "nrp", "NRP harus 8 angka."),
        ({"pangkat": "jenderal"}, "pangkat", "Pangkat 'jenderal' tidak dikenal"),
        ({"nama": "  "}, "nama", "Nama wajib diisi."),
        ({"jabatan": ""}, "jabatan", "Jabatan wajib diisi."),
        ({"polres": None}, "polres", "Polres wajib diisi."),
        ({"polsek": "Polsek Semarang Tengah"}, "polsek", "Polsek tidak sah"),
        ({"aktif": "ya"}, "aktif", "Status aktif harus benar atau salah."),
    ],
)
def test_bad_personel_is_refused_in_indonesian_naming_the_field(world, change, field, message):
    before = Personel.objects.count()

    with pytest.raises(ValidationFailed) as exc:
        actions.create_personel(None, channel="cli", **personel_fields(world, **change))

    assert fields_of(exc)[field].startswith(message)
    assert Personel.objects.count() == before
    assert not AuditEntry.objects.filter(action="personel.dibuat").exists()


def test_a_taken_nrp_is_refused(world):
    taken = world.personel["kapolsek_semarang_tengah"].nrp
    with pytest.raises(ValidationFailed) as exc:
        actions.create_personel(None, channel="cli", **personel_fields(world, nrp=taken))
    assert fields_of(exc)["nrp"] == f"NRP {taken} sudah terdaftar untuk personel lain."


def test_several_bad_fields_are_all_reported(world):
    with pytest.raises(ValidationFailed) as exc:
        actions.create_personel(None, channel="cli", **personel_fields(world, nrp="1", pangkat="x", aktif=None))
    assert set(fields_of(exc)) == {"nrp", "pangkat", "aktif"}
    assert exc.value.detail.startswith("Data personel tidak sah (3 isian)")


def test_unknown_fields_are_refused(world):
    with pytest.raises(ValidationFailed, match="Kolom tidak dikenal untuk personel: gaji"):
        actions.create_personel(None, channel="cli", **personel_fields(world, gaji=1))


def test_only_admin_may_change_master_data(world):
    for username in ("operator", "kapolres", "kapolsek_semarang_tengah"):
        with pytest.raises(PermissionDenied):
            actions.create_personel(world.user(username), channel="web", **personel_fields(world))
    assert not Personel.objects.filter(nrp="90010001").exists()


def test_update_personel_records_what_changed_and_nothing_when_unchanged(world):
    p = world.personel["anggota_semarang_tengah"]
    admin = world.user("admin")

    actions.update_personel(admin, p, channel="web", jabatan=p.jabatan, pangkat=p.pangkat)
    assert not AuditEntry.objects.filter(action="personel.diperbarui").exists()

    actions.update_personel(admin, p, channel="web", jabatan="Kanit Samapta", pangkat="aipda")

    p.refresh_from_db()
    assert (p.jabatan, p.pangkat) == ("Kanit Samapta", "aipda")
    entry = AuditEntry.objects.get(action="personel.diperbarui")
    assert entry.changes == {"jabatan": ["Banit Samapta", "Kanit Samapta"], "pangkat": ["bripka", "aipda"]}


def test_update_personel_validates_the_final_state(world):
    p = world.personel["anggota_semarang_tengah"]
    with pytest.raises(ValidationFailed) as exc:
        actions.update_personel(None, p, channel="cli", nrp="12")
    assert fields_of(exc) == {"nrp": "NRP harus 8 angka."}
    p.refresh_from_db()
    assert p.nrp != "12"


# --- Polres and Polsek ----------------------------------------------------------------------------


def test_polres_needs_its_fields_and_a_kota(world):
    with pytest.raises(ValidationFailed) as exc:
        actions.create_polres(None, channel="cli", kode="", nama="", tipe="polres", wilayah=None)
    assert set(fields_of(exc)) == {"kode", "nama", "wilayah"}

    kecamatan = Region.objects.get(kode="33.74.01")
    with pytest.raises(ValidationFailed) as exc:
        actions.create_polres(None, channel="cli", kode="baru", nama="Polres Baru", tipe="besar", wilayah=kecamatan)
    assert fields_of(exc)["tipe"].startswith("Tipe Polres 'besar' tidak dikenal")
    assert fields_of(exc)["wilayah"] == "Semarang Tengah (33.74.01) bukan kota/kabupaten."

    with pytest.raises(ValidationFailed) as exc:
        actions.create_polres(None, channel="cli", kode="uji", nama="Polres Uji 2", tipe="polres",
                              wilayah=world.polres.wilayah)
    assert "kode" in fields_of(exc)  # unique, from the model's own check


def test_update_polres_audits_the_change(world):
    actions.update_polres(world.user("admin"), world.polres, channel="web", polda="Polda Jawa Tengah")
    entry = AuditEntry.objects.get(action="polres.diperbarui")
    assert entry.changes == {"polda": ["", "Polda Jawa Tengah"]}
    assert Polres.objects.get(pk=world.polres.pk).polda == "Polda Jawa Tengah"


def test_a_kecamatan_has_one_polsek(world):
    kec = Region.objects.get(kode="33.74.01")
    with pytest.raises(ValidationFailed) as exc:
        actions.create_polsek(None, channel="cli", polres=world.polres, nama="Polsek Kembar", kecamatan=kec)
    assert fields_of(exc)["kecamatan"] == "Kecamatan Semarang Tengah sudah menjadi wilayah hukum Polsek Semarang Tengah."


def test_polsek_jurisdiction_must_be_a_kecamatan_of_the_polres(world):
    kel = world.kelurahan["Miroto"]
    with pytest.raises(ValidationFailed) as exc:
        actions.create_polsek(None, channel="cli", polres=world.polres, nama="Polsek X", kecamatan=kel, tipe="E")
    errors = fields_of(exc)
    assert errors["kecamatan"] == "Miroto (33.74.01.1001) bukan kecamatan."
    assert errors["tipe"].startswith("Tipe Polsek 'E' tidak dikenal")


def test_create_polsek_emits_a_live_event(world):
    kota = world.polres.wilayah
    kec = Region.objects.create(kode="33.74.03", nama="Semarang Timur", level=3, tipe="kecamatan", parent=kota)

    ps = actions.create_polsek(world.user("admin"), channel="web", polres=world.polres,
                               nama="Polsek Semarang Timur", kecamatan=kec, tipe="A", lat=-6.97, lon=110.43)

    assert AuditEntry.objects.filter(action="polsek.dibuat", object_id=str(ps.pk)).exists()
    event = LiveEvent.objects.get(kind="organisasi.diperbarui")
    assert event.payload["jenis"] == "polsek" and event.polsek_id == ps.pk


def test_update_polsek_changes_the_investigation_flag(world):
    ps = world.polsek["semarang_utara"]
    actions.update_polsek(None, ps, channel="cli", berwenang_penyidikan=False)
    assert Polsek.objects.get(pk=ps.pk).berwenang_penyidikan is False
    assert AuditEntry.objects.get(action="polsek.diperbarui").changes == {"berwenang_penyidikan": [True, False]}


# --- Pospol and Polsubsektor ----------------------------------------------------------------------


def test_pospol_must_sit_in_its_polsek_kelurahan(world):
    with pytest.raises(ValidationFailed) as exc:
        actions.create_pospol(None, channel="cli", polsek=world.polsek["semarang_tengah"], nama="Pospol Pelabuhan",
                              kelurahan=world.kelurahan["Bandarharjo"], lat=-6.95, lon=110.41)
    assert fields_of(exc)["kelurahan"].startswith("Kelurahan Bandarharjo (33.74.02.1001) tidak berada di wilayah "
                                                  "hukum Polsek Semarang Tengah")


def test_pospol_coordinates_are_checked(world):
    base = {"polsek": world.polsek["semarang_tengah"], "nama": "Pospol Tugu Muda",
            "kelurahan": world.kelurahan["Brumbungan"]}
    with pytest.raises(ValidationFailed) as exc:
        actions.create_pospol(None, channel="cli", **base, lat=110.43, lon=-6.98)
    assert "tertukar" in fields_of(exc)["lat"]
    with pytest.raises(ValidationFailed) as exc:
        actions.create_pospol(None, channel="cli", **base)
    assert fields_of(exc)["lat"] == "Lintang dan bujur Pospol wajib diisi."
    with pytest.raises(ValidationFailed) as exc:
        actions.create_pospol(None, channel="cli", **base, lat=-6.98, lon=None)
    assert fields_of(exc) == {"lon": "Lintang dan bujur Pospol harus diisi berdua atau dikosongkan berdua."}


def test_create_and_update_pospol(world):
    ps = world.polsek["semarang_tengah"]
    pospol = actions.create_pospol(world.user("admin"), channel="web", polsek=ps, nama="Pospol Tugu Muda",
                                   kelurahan=world.kelurahan["Brumbungan"], lat=-6.98, lon=110.43)
    event = LiveEvent.objects.get(kind="organisasi.diperbarui")
    assert event.kelurahan_kode == "33.74.01.1002" and event.payload["aksi"] == "dibuat"

    with pytest.raises(ValidationFailed, match="sudah ada di Polsek Semarang Tengah"):
        actions.create_pospol(None, channel="cli", polsek=ps, nama="Pospol Tugu Muda",
                              kelurahan=world.kelurahan["Miroto"], lat=-6.98, lon=110.41)

    actions.update_pospol(None, pospol, channel="cli", lat=-6.981)
    assert Pospol.objects.get(pk=pospol.pk).lat == -6.981
    assert AuditEntry.objects.get(action="pospol.diperbarui").changes == {"lat": [-6.98, -6.981]}


def test_polsubsektor_covers_kelurahan_of_its_polsek(world):
    ps = world.polsek["semarang_utara"]
    sub = actions.create_polsubsektor(None, channel="cli", polsek=ps, nama="Polsubsektor Pelabuhan",
                                      kelurahan=[world.kelurahan["Bandarharjo"]], lat=-6.95, lon=110.42)
    assert list(sub.kelurahan.values_list("kode", flat=True)) == ["33.74.02.1001"]

    actions.update_polsubsektor(None, sub, channel="cli",
                                kelurahan=[world.kelurahan["Bandarharjo"], world.kelurahan["Bulu Lor"]])
    assert sub.kelurahan.count() == 2
    assert AuditEntry.objects.get(action="polsubsektor.diperbarui").changes == {
        "kelurahan": [["33.74.02.1001"], ["33.74.02.1001", "33.74.02.1002"]]}

    with pytest.raises(ValidationFailed) as exc:
        actions.update_polsubsektor(None, sub, channel="cli", kelurahan=[world.kelurahan["Miroto"]])
    assert "tidak berada di wilayah hukum Polsek Semarang Utara" in fields_of(exc)["kelurahan"]


# --- Fungsi ---------------------------------------------------------------------------------------


def test_fungsi_kode_and_jenis_are_checked(world):
    with pytest.raises(ValidationFailed) as exc:
        actions.create_fungsi(None, channel="cli", kode="sat reskrim", nama="X", singkatan="X", jenis="inti")
    errors = fields_of(exc)
    assert errors["kode"].startswith("Kode fungsi harus huruf besar")
    assert errors["jenis"].startswith("Jenis fungsi 'inti' tidak dikenal")

    f = actions.create_fungsi(world.user("admin"), channel="web", kode="SAT_LANTAS_2", nama="Satuan Lalu Lintas",
                              singkatan="Sat Lantas 2", jenis="utama")
    assert AuditEntry.objects.get(action="fungsi.dibuat").object_id == str(f.pk)


# --- Bhabinkamtibmas coverage ---------------------------------------------------------------------


def test_a_gap_gets_a_bhabin(world):
    bhabin = world.personel["bhabin_miroto"]
    brumbungan = world.kelurahan["Brumbungan"]

    cov = actions.create_bhabin_coverage(world.user("admin"), channel="web", personel=bhabin, kelurahan=brumbungan)

    assert BhabinCoverage.objects.get(kelurahan=brumbungan) == cov
    assert AuditEntry.objects.get(action="binaan_bhabin.dibuat").changes["kelurahan"] == "33.74.01.1002"
    event = LiveEvent.objects.get(kind="organisasi.diperbarui")
    assert event.kelurahan_kode == "33.74.01.1002" and event.polsek_id == world.polsek["semarang_tengah"].pk


def test_a_kelurahan_has_at_most_one_bhabin(world):
    other = actions.create_personel(None, channel="cli", **personel_fields(world, fungsi=world.fungsi["SAT_BINMAS"]))
    with pytest.raises(Conflict) as exc:
        actions.create_bhabin_coverage(None, channel="cli", personel=other, kelurahan=world.kelurahan["Miroto"])
    assert exc.value.detail == "Kelurahan Miroto sudah dibina oleh Aipda Bhabin Miroto."
    assert exc.value.errors[0]["field"] == "kelurahan"


def test_a_bhabin_covers_kelurahan_of_their_own_polsek(world):
    with pytest.raises(ValidationFailed) as exc:
        actions.create_bhabin_coverage(None, channel="cli", personel=world.personel["bhabin_miroto"],
                                       kelurahan=world.kelurahan["Bulu Lor"])
    assert "tidak berada di wilayah hukum Polsek Semarang Tengah" in fields_of(exc)["kelurahan"]
    with pytest.raises(ValidationFailed) as exc:
        actions.create_bhabin_coverage(None, channel="cli", personel=world.personel["bhabin_miroto"],
                                       kelurahan=Region.objects.get(kode="33.74.02"))
    assert fields_of(exc)["kelurahan"] == "Semarang Utara (33.74.02) bukan kelurahan/desa."


def test_hand_over_and_remove_coverage(world):
    cov = BhabinCoverage.objects.get(kelurahan=world.kelurahan["Miroto"])
    new = actions.create_personel(None, channel="cli", **personel_fields(world, fungsi=world.fungsi["SAT_BINMAS"]))

    actions.update_bhabin_coverage(world.user("admin"), cov, channel="web", personel=new)
    assert BhabinCoverage.objects.get(pk=cov.pk).personel == new
    assert AuditEntry.objects.get(action="binaan_bhabin.diperbarui").changes == {
        "personel": [world.personel["bhabin_miroto"].pk, new.pk]}

    actions.remove_bhabin_coverage(world.user("admin"), cov, channel="web")
    assert not BhabinCoverage.objects.filter(kelurahan=world.kelurahan["Miroto"]).exists()
    assert AuditEntry.objects.filter(action="binaan_bhabin.dihapus").count() == 1
    with pytest.raises(PermissionDenied):
        actions.remove_bhabin_coverage(world.user("operator"), BhabinCoverage.objects.first(), channel="web")
