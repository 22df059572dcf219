"""Writes about patrol units: each in one transaction with its audit entry and live event."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from k3i.core import audit, events
from k3i.core.access import can
from k3i.core.errors import PermissionDenied, ValidationFailed
from k3i.organization.actions import LAT_RANGE, LON_RANGE, coordinate_errors  # noqa: F401 (re-exported)
from k3i.organization.models import Fungsi, Polres, Polsek

from .models import PatrolUnit

# Operational fields a Kapolsek/operator may change for units in their territory …
UNIT_FIELDS = ("aktif", "home_lat", "home_lon")
# … and master-data fields only an admin (``manage_master``) may change.
MASTER_FIELDS = ("callsign", "tipe", "polsek", "fungsi")
CALLSIGN = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,29}$")

Errors = list[dict[str, str]]


def _coordinate_errors(lat: Any, lon: Any) -> Errors:
    return coordinate_errors(lat, lon, lat_field="home_lat", lon_field="home_lon", label="pangkalan")


def _raise(errors: Errors, what: str) -> None:
    if errors:
        raise ValidationFailed(f"{what} tidak sah: " + "; ".join(e["message"] for e in errors), errors)


def _master_errors(v: dict[str, Any], unit: PatrolUnit | None) -> Errors:
    """Checks of callsign, tipe, polres/polsek/fungsi on the final values ``v``."""
    errors: Errors = []
    callsign = v.get("callsign")
    if not isinstance(callsign, str) or not CALLSIGN.match(callsign):
        errors.append({"field": "callsign", "message": "Tanda panggil wajib diisi: huruf besar, angka dan tanda "
                                                       "hubung, 2–30 karakter (mis. SMG-TGH-R2-01)."})
    elif PatrolUnit.objects.filter(callsign=callsign).exclude(pk=unit.pk if unit else -1).exists():
        errors.append({"field": "callsign", "message": f"Tanda panggil {callsign} sudah dipakai unit lain."})
    if v.get("tipe") not in PatrolUnit.Tipe.values:
        errors.append({"field": "tipe", "message": f"Tipe unit '{v.get('tipe')}' tidak dikenal (pilih: "
                                                   + ", ".join(PatrolUnit.Tipe.values) + ")."})
    polres = v.get("polres")
    if not isinstance(polres, Polres) or polres.pk is None:
        errors.append({"field": "polres", "message": "Polres wajib diisi: pilih Polres yang terdaftar."})
    polsek = v.get("polsek")
    if polsek is not None:
        if not isinstance(polsek, Polsek) or polsek.pk is None:
            errors.append({"field": "polsek", "message": "Polsek asal tidak sah: pilih Polsek yang terdaftar."})
        elif isinstance(polres, Polres) and polsek.polres_id != polres.pk:
            errors.append({"field": "polsek", "message": f"{polsek.nama} bukan bagian dari {polres.nama}."})
    fungsi = v.get("fungsi")
    if fungsi is not None and (not isinstance(fungsi, Fungsi) or fungsi.pk is None):
        errors.append({"field": "fungsi", "message": "Fungsi tidak sah: pilih fungsi yang terdaftar."})
    if not isinstance(v.get("aktif"), bool):
        errors.append({"field": "aktif", "message": "Status aktif harus benar atau salah (true/false)."})
    return errors + _coordinate_errors(v.get("home_lat"), v.get("home_lon"))


def _payload(unit: PatrolUnit, **extra: Any) -> dict[str, Any]:
    return {
        "id": unit.pk, "callsign": unit.callsign, "tipe": unit.tipe, "polsek_id": unit.polsek_id,
        "aktif": unit.aktif, "home_lat": unit.home_lat, "home_lon": unit.home_lon, **extra,
    }


def _plain(v: Any) -> Any:
    return getattr(v, "pk", v) if hasattr(v, "_meta") else v


@transaction.atomic
def create_patrol_unit(
    actor: Any,
    *,
    callsign: str,
    tipe: str,
    polres: Polres,
    polsek: Polsek | None = None,
    fungsi: Fungsi | None = None,
    home_lat: float | None = None,
    home_lon: float | None = None,
    aktif: bool = True,
    channel: str,
    bulk: bool = False,
) -> PatrolUnit:
    """Add a patrol unit (master data: ``actor`` must hold ``manage_master``; ``None`` is the system).

    ``callsign`` is upper-cased; a unit without ``polsek`` belongs to Mapolres. ``bulk=True``: part of a
    bulk load that writes its own summarising audit entry (the demo) — no per-unit entry or live event.
    """
    if actor is not None and not can(actor, "manage_master"):
        raise PermissionDenied("Anda tidak berwenang menambah unit patroli.")
    values = {
        "callsign": callsign.strip().upper() if isinstance(callsign, str) else callsign, "tipe": tipe,
        "polres": polres, "polsek": polsek, "fungsi": fungsi, "home_lat": home_lat, "home_lon": home_lon,
        "aktif": aktif,
    }
    _raise(_master_errors(values, None), "Unit patroli")
    unit = PatrolUnit.objects.create(**values)
    if not bulk:
        changes = {k: _plain(v) for k, v in values.items()}
        audit.record(actor, "unit.dibuat", unit, channel=channel, changes=changes, polres_id=unit.polres_id)
        events.emit("unit.dibuat", _payload(unit), polres_id=unit.polres_id, polsek_id=unit.polsek_id,
                    fungsi_kode=fungsi.kode if fungsi else "")
    return unit


def pending_unit_changes(unit: PatrolUnit, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """``{"field": [old, new]}`` that ``update_patrol_unit`` would write (empty: nothing to do)."""
    names = [f for f in (*UNIT_FIELDS, *MASTER_FIELDS) if f in fields]
    before = {f: _plain(getattr(unit, f)) for f in names}
    after = {f: _plain(_normalise(f, fields[f])) for f in names}
    return audit.diff(before, after)


def _normalise(name: str, value: Any) -> Any:
    if name in ("home_lat", "home_lon") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if name == "callsign" and isinstance(value, str):
        return value.strip().upper()
    return value


@transaction.atomic
def update_patrol_unit(
    actor: Any, unit: PatrolUnit, *, channel: str, bulk: bool = False, **fields: Any
) -> PatrolUnit:
    """Activate/deactivate a unit or move its home base (``aktif``, ``home_lat``, ``home_lon``); an admin
    may also change its master data (``callsign``, ``tipe``, ``polsek``, ``fungsi``).

    ``actor`` must hold ``change_patrolunit`` for the unit's territory (a Kapolsek: their own Polsek),
    plus ``manage_master`` for master fields; ``None`` is the system itself. Validates everything before
    writing; writes nothing when unchanged.
    """
    unknown = sorted(set(fields) - set(UNIT_FIELDS) - set(MASTER_FIELDS))
    if unknown:
        raise ValidationFailed(
            "Kolom tidak dikenal: " + ", ".join(unknown) + ".",
            [{"field": f, "message": "kolom tidak dikenal atau tidak boleh diubah"} for f in unknown],
        )
    if not fields:
        raise ValidationFailed("Tidak ada kolom yang diubah (aktif, home_lat, home_lon).")
    if actor is not None and not PatrolUnit.objects.restrict(actor, "change").filter(pk=unit.pk).exists():
        raise PermissionDenied("Anda tidak berwenang mengubah unit patroli ini.")
    if actor is not None and set(fields) & set(MASTER_FIELDS) and not can(actor, "manage_master"):
        raise PermissionDenied("Hanya admin sistem yang boleh mengubah tanda panggil, tipe, Polsek atau fungsi unit.")
    # lock only the unit's row: PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins
    unit = (
        PatrolUnit.objects.select_for_update(of=("self",)).select_related("fungsi", "polres", "polsek").get(pk=unit.pk)
    )
    if "aktif" in fields and not isinstance(fields["aktif"], bool):
        raise ValidationFailed.field("aktif", "Status aktif harus benar atau salah (true/false).")
    fields = {f: _normalise(f, v) for f, v in fields.items()}
    if set(fields) & set(MASTER_FIELDS):
        current = {f: getattr(unit, f) for f in (*UNIT_FIELDS, *MASTER_FIELDS, "polres")}
        _raise(_master_errors({**current, **fields}, unit), "Unit patroli")
    else:
        errors = _coordinate_errors(fields.get("home_lat", unit.home_lat), fields.get("home_lon", unit.home_lon))
        if errors:
            raise ValidationFailed("Pangkalan unit tidak sah: " + errors[0]["message"], errors)

    changes = pending_unit_changes(unit, fields)
    if not changes:
        return unit
    for f in changes:
        setattr(unit, f, fields[f])
    unit.save(update_fields=list(changes))
    if not bulk:
        audit.record(actor, "unit.diperbarui", unit, channel=channel, changes=changes, polres_id=unit.polres_id)
        events.emit(
            "unit.diperbarui", _payload(unit, perubahan=changes),
            polres_id=unit.polres_id, polsek_id=unit.polsek_id,
            fungsi_kode=unit.fungsi.kode if unit.fungsi else "",
        )
    return unit
