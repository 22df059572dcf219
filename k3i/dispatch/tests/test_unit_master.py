"""Patrol units as master data: create_patrol_unit, and the master fields of update_patrol_unit."""

from __future__ import annotations

import pytest

from k3i.core.errors import PermissionDenied, ValidationFailed
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import create_patrol_unit, update_patrol_unit
from k3i.dispatch.models import PatrolUnit

pytestmark = pytest.mark.django_db


def fields_of(exc) -> dict[str, str]:
    return {e["field"]: e["message"] for e in exc.value.errors}


def unit_fields(world, **extra):
    return {"callsign": "smg-tgh-r4-02", "tipe": "R4", "polres": world.polres,
            "polsek": world.polsek["semarang_tengah"], "fungsi": world.fungsi["SAT_SAMAPTA"],
            "home_lat": -6.98, "home_lon": 110.41, **extra}


def test_admin_adds_a_unit_with_audit_and_live_event(world):
    unit = create_patrol_unit(world.user("admin"), channel="web", **unit_fields(world))

    assert unit.callsign == "SMG-TGH-R4-02" and unit.aktif
    entry = AuditEntry.objects.get(action="unit.dibuat")
    assert entry.actor_username == "admin" and entry.object_id == str(unit.pk)
    assert entry.changes["callsign"] == "SMG-TGH-R4-02" and entry.changes["polsek"] == unit.polsek_id
    event = LiveEvent.objects.get(kind="unit.dibuat")
    assert event.polsek_id == unit.polsek_id and event.fungsi_kode == "SAT_SAMAPTA"
    assert event.payload["callsign"] == "SMG-TGH-R4-02"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"callsign": "SEMARANG-TENGAH-R2-01"}, "callsign", "Tanda panggil SEMARANG-TENGAH-R2-01 sudah dipakai"),
        ({"callsign": "SMG TGH 01"}, "callsign", "Tanda panggil wajib diisi: huruf besar"),
        ({"callsign": ""}, "callsign", "Tanda panggil wajib diisi"),
        ({"tipe": "helikopter"}, "tipe", "Tipe unit 'helikopter' tidak dikenal"),
        ({"polres": None}, "polres", "Polres wajib diisi"),
        ({"fungsi": "Samapta"}, "fungsi", "Fungsi tidak sah"),
        ({"home_lat": 110.41, "home_lon": -6.98}, "home_lat", "Lintang dan bujur tampaknya tertukar"),
        ({"home_lon": None}, "home_lon", "Lintang dan bujur pangkalan harus diisi berdua"),
    ],
)
def test_bad_units_are_refused_in_indonesian(world, change, field, message):
    before = PatrolUnit.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        create_patrol_unit(None, channel="cli", **unit_fields(world, **change))
    assert fields_of(exc)[field].startswith(message)
    assert PatrolUnit.objects.count() == before
    assert not AuditEntry.objects.filter(action="unit.dibuat").exists()


def test_only_admin_adds_units(world):
    for username in ("operator", "kapolsek_semarang_tengah", "kapolres"):
        with pytest.raises(PermissionDenied):
            create_patrol_unit(world.user(username), channel="web", **unit_fields(world))


def test_admin_changes_master_fields(world):
    unit = world.units["semarang_tengah"]

    update_patrol_unit(world.user("admin"), unit, channel="web", callsign="smg-tgh-r2-09", tipe="R4")

    unit.refresh_from_db()
    assert (unit.callsign, unit.tipe) == ("SMG-TGH-R2-09", "R4")
    assert AuditEntry.objects.get(action="unit.diperbarui").changes == {
        "callsign": ["SEMARANG-TENGAH-R2-01", "SMG-TGH-R2-09"], "tipe": ["R2", "R4"]}


def test_kapolsek_may_move_a_unit_but_not_rename_it(world):
    unit = world.units["semarang_tengah"]
    kapolsek = world.user("kapolsek_semarang_tengah")

    with pytest.raises(PermissionDenied, match="Hanya admin sistem"):
        update_patrol_unit(kapolsek, unit, channel="web", callsign="X-01")
    update_patrol_unit(kapolsek, unit, channel="web", aktif=False)

    unit.refresh_from_db()
    assert unit.callsign == "SEMARANG-TENGAH-R2-01" and unit.aktif is False


def test_master_update_validates_and_unchanged_writes_nothing(world):
    unit = world.units["semarang_tengah"]
    with pytest.raises(ValidationFailed) as exc:
        update_patrol_unit(None, unit, channel="cli", callsign=world.units["reskrim"].callsign)
    assert "sudah dipakai" in fields_of(exc)["callsign"]

    update_patrol_unit(None, unit, channel="cli", callsign=unit.callsign, polsek=unit.polsek)
    assert not AuditEntry.objects.filter(action="unit.diperbarui").exists()
    assert not LiveEvent.objects.filter(kind="unit.diperbarui").exists()
