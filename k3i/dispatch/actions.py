"""Writes about patrol units: each in one transaction with its audit entry and live event."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from k3i.core import audit, events
from k3i.core.access import can
from k3i.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from k3i.core.i18n import source_display, source_text
from k3i.core.roles import Role
from k3i.incidents.actions import _log as log_incident
from k3i.incidents.actions import emit_incident
from k3i.incidents.models import Incident
from k3i.organization.actions import LAT_RANGE, LON_RANGE, coordinate_errors, is_number  # noqa: F401 (re-exported)
from k3i.organization.models import Fungsi, Polres, Polsek

from .models import Assignment, PatrolUnit, UnitCrew, UnitPosition, UnitStatus

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


# --- Call & command centre: positions, unit status, assignments ------------------------------------------

MAX_POSITIONS = 500  # positions in one call (a device that was offline sends its buffer)
FUTURE_SKEW = timedelta(minutes=2)  # a device clock may run this far ahead
MAX_POSITION_AGE = timedelta(days=7)  # older buffered positions are refused
# Unit states a unit must not be put in by hand while it has an active assignment (the assignment drives it).
FREE_STATES = (UnitStatus.TERSEDIA, UnitStatus.KEMBALI, UnitStatus.TIDAK_TERSEDIA)
# States in which a unit cannot be sent anywhere.
UNAVAILABLE_STATES = (UnitStatus.TIDAK_TERSEDIA, UnitStatus.DARURAT)
# Assignment step → the unit's state that follows from it.
UNIT_STATE_FOR: dict[str, str] = {
    Assignment.Status.DITUGASKAN: UnitStatus.DITUGASKAN,
    Assignment.Status.DITERIMA: UnitStatus.DITUGASKAN,
    Assignment.Status.MENUJU: UnitStatus.MENUJU,
    Assignment.Status.TIBA: UnitStatus.TIBA,
    Assignment.Status.SELESAI: UnitStatus.TERSEDIA,
    Assignment.Status.DIBATALKAN: UnitStatus.TERSEDIA,
}
CHAIN: list[str] = [Assignment.Status.DITUGASKAN, Assignment.Status.DITERIMA, Assignment.Status.MENUJU,
         Assignment.Status.TIBA, Assignment.Status.SELESAI]
STAMP: dict[str, str] = {
    Assignment.Status.DITERIMA: "accepted_at", Assignment.Status.MENUJU: "enroute_at",
    Assignment.Status.TIBA: "arrived_at", Assignment.Status.SELESAI: "completed_at",
    Assignment.Status.DIBATALKAN: "cancelled_at",
}


def may_report(actor: Any, unit: PatrolUnit) -> bool:
    """May ``actor`` report for this unit (its position and state, its assignment's steps)?

    Holds ``report_unit`` and sees the unit (territory, function). An *anggota* (patrol officer) only for the
    unit they are signed on to now (``sign_on``, "unit log-on"), and only while they may crew it
    (``may_crew``: member of the unit's Polsek and function). Operators, Kapolsek and Kabagops report for any
    unit they see.
    """
    if not can(actor, "report_unit"):
        return False
    if actor.role == Role.ANGGOTA:
        return _crew_error(actor, unit) is None and UnitCrew.objects.filter(
            user=actor, unit=unit, signed_off_at__isnull=True).exists()
    return PatrolUnit.objects.restrict(actor, "view").filter(pk=unit.pk).exists()


def may_dispatch(actor: Any, incident: Incident) -> bool:
    """A dispatcher (``dispatch_incident``) who sees the incident."""
    return can(actor, "dispatch_incident") and Incident.objects.restrict(actor, "view").filter(pk=incident.pk).exists()


def _visible_or_404(actor: Any, incident: Incident | None = None, unit: PatrolUnit | None = None) -> None:
    if actor is None:
        return
    if incident is not None and not Incident.objects.restrict(actor, "view").filter(pk=incident.pk).exists():
        raise NotFound("Kejadian tidak ditemukan.")
    if unit is not None and not PatrolUnit.objects.restrict(actor, "view").filter(pk=unit.pk).exists():
        raise NotFound("Unit patroli tidak ditemukan.")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def unit_live_payload(unit: PatrolUnit, **extra: Any) -> dict[str, Any]:
    """What the ops-room map needs of a unit."""
    from .staleness import is_stale

    return {
        "id": unit.pk, "callsign": unit.callsign, "tipe": unit.tipe, "polsek_id": unit.polsek_id,
        "status": unit.status, "status_label": source_display(unit, "status"), "status_at": _iso(unit.status_at),
        "lat": unit.last_lat, "lon": unit.last_lon, "position_at": _iso(unit.last_position_at),
        "stale": is_stale(unit), **extra,
    }


def _emit_unit(kind: str, unit: PatrolUnit, **extra: Any) -> None:
    events.emit(kind, unit_live_payload(unit, **extra), polres_id=unit.polres_id, polsek_id=unit.polsek_id,
                fungsi_kode=unit.fungsi.kode if unit.fungsi_id and unit.fungsi else "")


def _float(p: dict[str, Any], name: str, prefix: str, lo: float, hi: float, errors: Errors,
           required: bool = False) -> float | None:
    value = p.get(name)
    if value is None:
        if required:
            errors.append({"field": prefix + name, "message": "Wajib diisi."})
        return None
    if not is_number(value):
        errors.append({"field": prefix + name, "message": "Harus berupa angka."})
        return None
    if not lo <= value <= hi:
        errors.append({"field": prefix + name, "message": f"Harus antara {lo:g} dan {hi:g}."})
        return None
    return float(value)


STEP_MAX_AGE = timedelta(days=1)  # an assignment step pressed offline may arrive this late


def parse_device_time(value: Any, now: datetime, *, max_age: timedelta) -> tuple[datetime | None, str | None]:
    """``(time, None)`` for a device's clock reading (aware datetime or ISO-8601 with zone), else ``(None, why)``
    in Indonesian: missing or malformed, without a zone, more than ``FUTURE_SKEW`` ahead, older than ``max_age``."""
    at = value
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            at = None
    if not isinstance(at, datetime):
        return None, "Waktu perangkat wajib diisi dalam format ISO-8601 (mis. 2026-05-01T08:30:00+07:00)."
    if at.tzinfo is None or at.utcoffset() is None:
        return None, "Waktu perangkat harus menyertakan zona waktu (mis. +07:00 atau Z)."
    if at > now + FUTURE_SKEW:
        return None, (f"Waktu perangkat {at.isoformat()} berada di masa depan (lebih dari "
                      f"{int(FUTURE_SKEW.total_seconds() // 60)} menit): periksa jam perangkat.")
    if at < now - max_age:
        age = f"{max_age.days} hari" if max_age.days else f"{int(max_age.total_seconds() // 3600)} jam"
        return None, f"Waktu perangkat {at.isoformat()} terlalu lama (lebih dari {age})."
    return at, None


def _clean_positions(positions: Any, now: datetime) -> list[dict[str, Any]]:
    if not isinstance(positions, list) or not positions:
        raise ValidationFailed.field("positions", "Kirim minimal satu posisi.")
    if len(positions) > MAX_POSITIONS:
        raise ValidationFailed.field(
            "positions", f"Terlalu banyak posisi dalam satu kiriman: {len(positions)} (paling banyak {MAX_POSITIONS})."
        )
    errors: Errors = []
    clean = []
    for i, p in enumerate(positions):
        prefix = f"{i}." if len(positions) > 1 else ""
        if not isinstance(p, dict):
            errors.append({"field": prefix.rstrip(".") or "positions", "message": "Posisi harus berupa objek."})
            continue
        before = len(errors)
        coord = coordinate_errors(p.get("lat"), p.get("lon"), lat_field=prefix + "lat", lon_field=prefix + "lon",
                                  required=True)
        errors += coord
        speed = _float(p, "speed_kmh", prefix, 0, 400, errors)
        heading = _float(p, "heading", prefix, 0, 360, errors)
        accuracy = _float(p, "accuracy_m", prefix, 0, 100_000, errors)
        at, why = parse_device_time(p.get("device_time"), now, max_age=MAX_POSITION_AGE)
        if why is not None:
            errors.append({"field": prefix + "device_time", "message": why})
        if len(errors) == before:
            clean.append({"lat": float(p["lat"]), "lon": float(p["lon"]), "device_time": at, "speed_kmh": speed,
                          "heading": heading, "accuracy_m": accuracy})
    if errors:
        raise ValidationFailed("Posisi tidak sah: " + "; ".join(f"{e['field']}: {e['message'].rstrip('.')}"
                                                                 for e in errors[:5]) + ".",
                               errors)
    return clean


def _new_positions(unit: PatrolUnit, clean: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``clean`` without the positions the unit's track already holds and without repeats within the call: the
    same ``device_time``, ``lat`` and ``lon`` (a phone that lost the answer sends its fix or buffer again)."""
    fix = itemgetter("device_time", "lat", "lon")
    seen = set(UnitPosition.objects.filter(unit=unit, device_time__in={p["device_time"] for p in clean})
               .values_list("device_time", "lat", "lon"))
    new = []
    for p in clean:
        if fix(p) not in seen:
            seen.add(fix(p))
            new.append(p)
    return new


def record_positions(actor: Any, unit: PatrolUnit, positions: list[dict[str, Any]], *, channel: str) -> int:
    """Store reported positions of a unit (AVL / the officer's phone); returns how many were stored.

    Each dict: ``lat``, ``lon``, ``device_time`` (aware datetime or ISO-8601 with zone), optional
    ``speed_kmh``, ``heading``, ``accuracy_m``. All are validated before anything is written. Positions
    older than the unit's latest are stored (the track) but do not move it; device times more than two
    minutes ahead are refused. A position the track already holds (same device time, lat and lon), or one
    repeated in the call, is stored once: a resent call stores nothing and writes nothing. One audit entry and
    one ``unit.posisi`` live event per call that stores something.
    ``actor`` must be allowed to report for the unit (``may_report``); ``None`` is the system.
    """
    if actor is not None and not may_report(actor, unit):
        _visible_or_404(actor, unit=unit)
        raise PermissionDenied("Anda tidak berwenang melaporkan posisi unit ini.")
    now = timezone.now()
    clean = _clean_positions(positions, now)
    with transaction.atomic():
        unit = PatrolUnit.objects.select_for_update(of=("self",)).select_related("fungsi").get(pk=unit.pk)
        new = _new_positions(unit, clean)  # under the unit's lock: two resends at once store it once
        if not new:
            return 0
        UnitPosition.objects.bulk_create([UnitPosition(unit=unit, received_at=now, **p) for p in new])
        latest = max(new, key=lambda p: p["device_time"])
        moved = unit.last_position_at is None or latest["device_time"] > unit.last_position_at
        if moved:
            unit.last_lat, unit.last_lon, unit.last_position_at = latest["lat"], latest["lon"], latest["device_time"]
            unit.save(update_fields=["last_lat", "last_lon", "last_position_at"])
        audit.record(actor, "unit.posisi", unit, channel=channel, polres_id=unit.polres_id, changes={
            "jumlah": len(new), "bergerak": moved, "waktu_perangkat_terakhir": latest["device_time"],
            **({"ganda_dilewati": len(clean) - len(new)} if len(new) < len(clean) else {}),
        })
        _emit_unit("unit.posisi", unit, stored=len(new), moved=moved)
    return len(new)


def _may_act_on_unit(actor: Any, unit: PatrolUnit) -> bool:
    """The unit's crew (``may_report``) or a dispatcher who sees the unit."""
    if may_report(actor, unit):
        return True
    return can(actor, "dispatch_incident") and PatrolUnit.objects.restrict(actor, "view").filter(pk=unit.pk).exists()


def _set_unit_state(unit: PatrolUnit, status: str, now: datetime) -> bool:
    if unit.status == status:
        return False
    unit.status, unit.status_at = status, now
    unit.save(update_fields=["status", "status_at"])
    return True


def set_unit_status(actor: Any, unit: PatrolUnit, status: str, *, channel: str, note: str = "") -> PatrolUnit:
    """Set a unit's state by hand (the officer's phone or the dispatcher): e.g. ``menangani``, ``kembali``,
    ``tidak_tersedia``, ``darurat``. While the unit has an active assignment it cannot be made free
    (tersedia/kembali/tidak tersedia): finish or cancel the assignment instead. Unchanged: nothing written.
    """
    if status not in UnitStatus.values:
        raise ValidationFailed.field("status", f"Status unit '{status}' tidak dikenal (pilih: "
                                               + ", ".join(UnitStatus.values) + ").")
    note = (note or "").replace("\x00", "").strip()  # as the close note: PostgreSQL refuses NUL (live event)
    if len(note) > 300:
        raise ValidationFailed.field("note", "Catatan terlalu panjang (paling banyak 300 karakter).")
    if actor is not None and not _may_act_on_unit(actor, unit):
        _visible_or_404(actor, unit=unit)
        raise PermissionDenied("Anda tidak berwenang mengubah status unit ini.")
    with transaction.atomic():
        unit = PatrolUnit.objects.select_for_update(of=("self",)).select_related("fungsi").get(pk=unit.pk)
        if unit.status == status:
            return unit
        active = Assignment.objects.filter(unit=unit, status__in=Assignment.ACTIVE).select_related("incident").first()
        if active is not None and status in FREE_STATES:
            raise Conflict(
                f"Unit {unit.callsign} masih bertugas pada {active.incident.number}: selesaikan atau batalkan "
                "penugasannya dulu.", [{"field": "status", "message": "unit masih memiliki penugasan aktif"}],
            )
        old = unit.status
        _set_unit_state(unit, status, timezone.now())
        audit.record(actor, "unit.status", unit, channel=channel, polres_id=unit.polres_id,
                     changes={"status": [old, status], **({"catatan": note} if note else {})})
        _emit_unit("unit.status", unit, previous=old, note=note)
    return unit


def assignment_payload(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.pk, "incident_id": a.incident_id, "incident_number": a.incident.number, "unit_id": a.unit_id,
        "callsign": a.unit.callsign, "status": a.status, "assigned_at": _iso(a.assigned_at),
        "accepted_at": _iso(a.accepted_at), "enroute_at": _iso(a.enroute_at), "arrived_at": _iso(a.arrived_at),
        "completed_at": _iso(a.completed_at), "cancelled_at": _iso(a.cancelled_at), "eta_seconds": a.eta_seconds,
        "recommended_rank": a.recommended_rank, "pulled_from_id": a.pulled_from_id,
    }


def _emit_assignment(kind: str, a: Assignment) -> None:
    inc = a.incident
    events.emit(kind, assignment_payload(a), polres_id=inc.polres_id, polsek_id=inc.polsek_id,
                kelurahan_kode=inc.kelurahan_id or "")


def _incident_after_leave(actor: Any, incident: Incident, now: datetime) -> bool:
    """A unit left the incident: with no unit on it and none arrived, it waits for dispatch again."""
    if incident.status != Incident.Status.DITUGASKAN:
        return False
    if Assignment.objects.filter(incident=incident, status__in=Assignment.ACTIVE).exists():
        return False
    incident.status = Incident.Status.DIVERIFIKASI if incident.verified_at else Incident.Status.BARU
    incident.save(update_fields=["status", "updated_at"])
    log_incident(incident, "menunggu_unit", "Tidak ada unit lagi yang bertugas: menunggu penugasan ulang", actor)
    return True


def end_assignment(actor: Any, a: Assignment, status: str, *, channel: str, note: str = "",
                   now: datetime | None = None, extra: dict[str, Any] | None = None) -> Assignment:
    """Complete (``selesai``) or cancel (``dibatalkan``) one active assignment inside the caller's
    transaction, with the caller's locks held: unit freed, audit entry, live events. The incident's own
    status is left to the caller."""
    now = now or timezone.now()
    old = a.status
    a.status = status
    setattr(a, STAMP[status], now)
    a.save(update_fields=["status", STAMP[status]])
    unit = a.unit
    unit_changed = unit.status not in UNAVAILABLE_STATES and _set_unit_state(
        unit, UNIT_STATE_FOR[status], max(now, unit.status_at) if unit.status_at else now)
    audit.record(actor, "penugasan.status", a, channel=channel, polres_id=unit.polres_id,
                 changes={"status": [old, status], **({"catatan": note} if note else {}), **(extra or {})})
    _emit_assignment("penugasan.status", a)
    if unit_changed:
        _emit_unit("unit.status", unit)
    return a


def _reason_needed(shown: int | None, rank_now: int | None, n_ranked: int | None) -> str:
    """Why ``override_reason`` is required for a unit that is not the current rank 1 (Indonesian)."""
    now_text = f"kini peringkat {rank_now}" if rank_now else "kini tidak ada dalam saran"
    if n_ranked is None:
        return ("Alasan wajib diisi: lokasi kejadian belum diketahui, jadi unit tidak dapat diperingkat; tulis alasan "
                "memilih unit ini, atau tetapkan lokasi dulu untuk mendapat saran unit.")
    if shown is not None and shown != rank_now:
        return (f"Peringkat unit berubah: {now_text} (sebelumnya peringkat {shown}) — beri alasan memilih unit ini, "
                "atau pilih saran pertama yang baru.")
    if n_ranked == 0:
        return ("Alasan wajib diisi: saat ini tidak ada unit yang dapat disarankan (semua sibuk, tidak tersedia atau "
                "posisinya usang); tulis alasan memilih unit ini.")
    if rank_now is None:
        return ("Alasan wajib diisi: unit ini tidak ada dalam saran (sibuk, tidak tersedia atau posisinya usang); "
                "tulis alasan memilih unit ini.")
    return f"Alasan wajib diisi: unit ini bukan saran pertama (peringkat {rank_now}); tulis alasan memilih unit lain."


def dispatch_unit(
    actor: Any,
    incident: Incident,
    unit: PatrolUnit,
    *,
    channel: str,
    override_reason: str = "",
    recommended_rank: int | None = None,
    eta_seconds: int | None = None,
    pull: bool = False,
) -> Assignment:
    """Send ``unit`` to ``incident``.

    - ``actor`` must hold ``dispatch_incident`` and see both (404 otherwise); ``None`` is the system.
    - The server decides whether a reason is needed, from its own current ranking of the units the actor
      may send (``recommend.candidate_units``): a unit that is not the current rank 1 needs
      ``override_reason``. ``recommended_rank`` (the rank the dispatcher was shown) is informational: it is
      stored, and when it differs from the current rank the error says the ranking changed. When no ranking
      can be made (the incident's location is unknown) a unit is still sent with the dispatcher's reason,
      and the assignment records that there was no ranking (``ranking_size`` empty). Pages and API rely on
      this one rule.
    - A unit that is busy: ``Conflict`` — or with ``pull=True``, its less urgent task is cancelled and the new
      assignment records ``pulled_from``. Two dispatchers sending the same unit at once: one wins, the other
      gets ``Conflict`` (the unit's row is locked; the database allows one active assignment per unit).
    - The unit becomes ``ditugaskan``; the incident ``ditugaskan`` (``dispatched_at`` set once).
    """
    from .recommend import candidate_units, has_location, rank_of

    if actor is not None and not can(actor, "dispatch_incident"):
        _visible_or_404(actor, incident, unit)
        raise PermissionDenied("Peran Anda tidak dapat menugaskan unit.")
    _visible_or_404(actor, incident, unit)
    override_reason = override_reason.replace("\x00", "").strip() if isinstance(override_reason, str) else ""
    if len(override_reason) > 300:
        raise ValidationFailed.field("override_reason", "Alasan terlalu panjang (paling banyak 300 karakter).")
    if recommended_rank is not None and (isinstance(recommended_rank, bool) or not 1 <= recommended_rank <= 1000):
        raise ValidationFailed.field("recommended_rank", "Peringkat saran harus bilangan 1–1000.")
    if unit.polres_id != incident.polres_id:
        raise ValidationFailed.field("unit_id", f"Unit {unit.callsign} bukan unit {incident.polres}.")
    if not incident.is_open:
        raise Conflict(f"Kejadian {incident.number} sudah ditutup ({source_display(incident, 'status')}): buka kembali "
                       "dulu untuk menugaskan unit.")
    n_ranked: int | None
    if has_location(incident):
        rank_now, eta_now, n_ranked = rank_of(incident, unit, units=candidate_units(actor))
    else:  # nothing to rank from: the dispatcher's reason carries the choice
        rank_now, eta_now, n_ranked = None, None, None
    if rank_now != 1 and not override_reason:
        raise ValidationFailed.field("override_reason", _reason_needed(recommended_rank, rank_now, n_ranked))

    now = timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise Conflict(f"Kejadian {incident.number} sudah ditutup.")
        unit = PatrolUnit.objects.select_for_update(of=("self",)).select_related("fungsi").get(pk=unit.pk)
        if not unit.aktif:
            raise Conflict(f"Unit {unit.callsign} tidak aktif.", [{"field": "unit_id", "message": "unit tidak aktif"}])
        active = Assignment.objects.filter(unit=unit, status__in=Assignment.ACTIVE).select_related(
            "incident", "unit").first()
        pulled = None
        if active is not None:
            busy = f"Unit {unit.callsign} sedang bertugas pada {active.incident.number} " \
                   f"(P{active.incident.priority}, {source_display(active, 'status')})"
            if active.incident_id == incident.pk:
                raise Conflict(f"Unit {unit.callsign} sudah ditugaskan ke kejadian ini.",
                               [{"field": "unit_id", "message": "unit sudah ditugaskan ke kejadian ini"}])
            if not pull:
                raise Conflict(busy + ": pilih unit lain" + (
                    ", atau tarik unit ini (pull) dari tugas yang kurang mendesak."
                    if active.incident.priority > incident.priority else "."),
                    [{"field": "unit_id", "message": "unit sedang bertugas"}])
            if active.incident.priority <= incident.priority:
                raise Conflict(busy + ": tugas itu tidak kurang mendesak, unit tidak dapat ditarik.",
                               [{"field": "pull", "message": "tugas unit sama atau lebih mendesak"}])
            pulled = active
        elif unit.status in UNAVAILABLE_STATES:
            raise Conflict(f"Unit {unit.callsign} berstatus {source_display(unit, 'status')}: tidak dapat ditugaskan.",
                           [{"field": "unit_id", "message": "unit tidak tersedia"}])
        if pulled is not None:
            old_incident = Incident.objects.select_for_update().get(pk=pulled.incident_id)
            pulled.incident, pulled.unit = old_incident, unit
            end_assignment(actor, pulled, Assignment.Status.DIBATALKAN, channel=channel, now=now,
                           note=f"ditarik untuk {incident.number} (P{incident.priority})")
            log_incident(old_incident, "unit_ditarik", f"Unit {unit.callsign} ditarik untuk {incident.number} "
                         f"(P{incident.priority})", actor, unit=unit.pk)
            if _incident_after_leave(actor, old_incident, now):
                emit_incident("kejadian.diperbarui", old_incident)
        try:
            with transaction.atomic():
                a = Assignment.objects.create(
                    incident=incident, unit=unit, status=Assignment.Status.DITUGASKAN, assigned_at=now,
                    assigned_by=actor if getattr(actor, "is_authenticated", False) else None,
                    recommended_rank=recommended_rank if recommended_rank is not None else rank_now,
                    current_rank=rank_now, ranking_size=n_ranked,
                    eta_seconds=eta_seconds if isinstance(eta_seconds, int) and eta_seconds >= 0 else eta_now,
                    override_reason=override_reason, pulled_from=pulled,
                )
        except IntegrityError as exc:
            raise Conflict(f"Unit {unit.callsign} baru saja ditugaskan oleh petugas lain: pilih unit lain.",
                           [{"field": "unit_id", "message": "unit sudah memiliki penugasan aktif"}]) from exc
        a.incident, a.unit = incident, unit
        _set_unit_state(unit, UnitStatus.DITUGASKAN, now)
        before = incident.status
        if incident.status in (Incident.Status.BARU, Incident.Status.DIVERIFIKASI):
            incident.status = Incident.Status.DITUGASKAN
        if incident.dispatched_at is None:
            incident.dispatched_at = now
        incident.save(update_fields=["status", "dispatched_at", "updated_at"])
        text = f"Unit {unit.callsign} ditugaskan"
        if n_ranked is None:
            text += f" (tanpa peringkat, lokasi belum diketahui: {override_reason})"
        elif override_reason:
            text += f" (bukan saran pertama: {override_reason})"
        if pulled is not None:
            text += f", ditarik dari {pulled.incident.number}"
        log_incident(incident, "ditugaskan", text, actor, unit=unit.pk, assignment=a.pk, rank=a.recommended_rank,
                     current_rank=rank_now)
        audit.record(actor, "penugasan.dibuat", a, channel=channel, polres_id=incident.polres_id, changes={
            "kejadian": incident.pk, "unit": unit.pk, "peringkat_saran": a.recommended_rank,
            "peringkat_dilihat": recommended_rank, "peringkat_saat_ini": rank_now, "jumlah_diperingkat": n_ranked,
            "tanpa_peringkat": n_ranked is None, "eta_detik": a.eta_seconds, "alasan_lain": override_reason,
            "ditarik_dari": pulled.pk if pulled else None, "status_kejadian": [before, incident.status],
        })
        _emit_assignment("penugasan.baru", a)
        _emit_unit("unit.status", unit, incident_id=incident.pk)
        emit_incident("kejadian.diperbarui", incident)
    return a


LATE_STEP = timedelta(seconds=60)  # a step that reaches the server this much after its press is noted as late


def _step_time(a: Assignment, pressed: datetime | None, now: datetime, since: datetime | None = None) -> datetime:
    """When a step counts as done: the press on the device, kept after the assignment's earlier steps (the
    chain stays in order even when a phone's clock is a little behind) and after ``since`` (the pressing
    officer's sign-on to the unit: the phone shows the task only from then), and no later than now."""
    if pressed is None:
        return now
    earlier = [t for t in (a.assigned_at, a.accepted_at, a.enroute_at, a.arrived_at, since) if t is not None]
    return min(max([pressed, *earlier]), now)


def _honoured_press(actor: Any, unit: PatrolUnit, pressed: datetime | None) -> tuple[datetime | None, datetime | None]:
    """``(press time to honour, earliest it may be)``. The press time of a late step is the crew's: an officer's
    phone (from their sign-on to the unit) or the system. A desk role's step counts when it reaches the server
    — it is the desk's own service time that is measured — its device time is only kept in the ledger."""
    if pressed is None or actor is None:
        return pressed, None
    if getattr(actor, "role", "") != Role.ANGGOTA:
        return None, None
    since = UnitCrew.objects.filter(user=actor, unit=unit, signed_off_at__isnull=True).values_list(
        "signed_on_at", flat=True).first()
    return pressed, since


def _late_note(pressed: datetime | None, now: datetime) -> str:
    if pressed is None or now - pressed < LATE_STEP:
        return ""
    return (f" (ditekan {timezone.localtime(pressed):%H:%M}, baru terkirim {timezone.localtime(now):%H:%M}: "
            "sinyal lemah)")


def _device_changes(pressed: datetime | None, when: datetime) -> dict[str, Any]:
    return {} if pressed is None else {"waktu_perangkat": pressed.isoformat(), "waktu_dicatat": when.isoformat()}


def advance_assignment(actor: Any, assignment: Assignment, status: str, *, channel: str,
                       device_time: Any = None) -> Assignment:
    """The next step of an assignment: ``diterima``, ``menuju``, ``tiba``, ``selesai`` (after arrival) or
    ``dibatalkan``; forward only (a step may be skipped), the same step again changes nothing.

    ``device_time``: when the step was pressed on the officer's phone — a press made without signal is sent
    later, and the timestamp chain (and the SLA's time to arrive) keeps the moment of the press. It is kept
    after the assignment's earlier steps and the officer's sign-on to the unit, and no later than now (the ledger
    holds both the device's and the recorded time; the timeline says when a step arrived late). Honoured only
    from the unit's crew (and the system): a desk role's step counts when it arrives. Not given: the server's time.

    By a dispatcher who sees the incident or by the unit's own crew (``may_report``). The unit's state
    follows (menuju → Menuju TKP, tiba → Tiba di TKP, selesai/dibatalkan → tersedia), and the incident's:
    ``ditangani`` on the first arrival (``arrived_at`` set once); back to waiting when its last unit is
    cancelled before anyone arrived.
    """
    if status not in Assignment.Status.values:
        raise ValidationFailed.field("status", f"Status penugasan '{status}' tidak dikenal (pilih: "
                                               + ", ".join(Assignment.Status.values[1:]) + ").")
    a = Assignment.objects.select_related("incident", "unit").get(pk=assignment.pk)
    if actor is not None and not (may_dispatch(actor, a.incident) or may_report(actor, a.unit)):
        if not (Incident.objects.restrict(actor, "view").filter(pk=a.incident_id).exists()
                or PatrolUnit.objects.restrict(actor, "view").filter(pk=a.unit_id).exists()):
            raise NotFound("Penugasan tidak ditemukan.")
        raise PermissionDenied("Anda tidak berwenang mengubah status penugasan ini.")
    now = timezone.now()
    pressed: datetime | None = None
    if device_time is not None and device_time != "":
        pressed, why = parse_device_time(device_time, now, max_age=STEP_MAX_AGE)
        if why is not None:
            raise ValidationFailed.field("device_time", why)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=a.incident_id)
        unit = PatrolUnit.objects.select_for_update(of=("self",)).select_related("fungsi").get(pk=a.unit_id)
        a = Assignment.objects.select_for_update().get(pk=a.pk)
        a.incident, a.unit = incident, unit
        if a.status == status:
            return a
        honoured, since = _honoured_press(actor, unit, pressed)
        when = _step_time(a, honoured, now, since)
        if a.status not in Assignment.ACTIVE:
            raise Conflict(f"Penugasan sudah {source_display(a, 'status').lower()}: statusnya tidak dapat diubah lagi.",
                           [{"field": "status", "message": "penugasan sudah berakhir"}])
        if status == Assignment.Status.DITUGASKAN or (
            status != Assignment.Status.DIBATALKAN and CHAIN.index(status) < CHAIN.index(a.status)
        ):
            raise Conflict(f"Status penugasan tidak dapat mundur dari '{source_display(a, 'status')}' ke "
                           f"'{source_text(Assignment.Status(status).label)}'.", [{"field": "status", "message": "tidak bisa mundur"}])
        if status == Assignment.Status.SELESAI and a.arrived_at is None:
            raise Conflict("Unit belum tiba di TKP: laporkan 'tiba' dulu, atau batalkan penugasan.",
                           [{"field": "status", "message": "unit belum tiba"}])
        step_text = f"Unit {unit.callsign}: {source_text(Assignment.Status(status).label)}{_late_note(honoured, now)}"
        device = _device_changes(pressed, when)
        if status in (Assignment.Status.SELESAI, Assignment.Status.DIBATALKAN):
            end_assignment(actor, a, status, channel=channel, now=when, extra=device)
            log_incident(incident, f"penugasan_{status}", step_text, actor, unit=unit.pk, assignment=a.pk)
            if status == Assignment.Status.DIBATALKAN and _incident_after_leave(actor, incident, now):
                emit_incident("kejadian.diperbarui", incident)
            return a
        old = a.status
        a.status = status
        setattr(a, STAMP[status], when)
        a.save(update_fields=["status", STAMP[status]])
        unit_changed = unit.status not in UNAVAILABLE_STATES and _set_unit_state(
            unit, UNIT_STATE_FOR[status], max(when, unit.status_at) if unit.status_at else when)
        incident_changed = False
        if status == Assignment.Status.TIBA:
            if incident.status in (Incident.Status.BARU, Incident.Status.DIVERIFIKASI, Incident.Status.DITUGASKAN):
                incident.status = Incident.Status.DITANGANI
                incident_changed = True
            if incident.arrived_at is None or (honoured is not None and when < incident.arrived_at):
                incident.arrived_at = when  # the first arrival, also when its press reached us after another's
                incident_changed = True
        elif incident.status in (Incident.Status.BARU, Incident.Status.DIVERIFIKASI):
            incident.status = Incident.Status.DITUGASKAN
            incident_changed = True
        if incident_changed:
            incident.save(update_fields=["status", "arrived_at", "updated_at"])
        log_incident(incident, f"penugasan_{status}", step_text, actor, unit=unit.pk, assignment=a.pk)
        audit.record(actor, "penugasan.status", a, channel=channel, polres_id=incident.polres_id,
                     changes={"status": [old, status], **device})
        _emit_assignment("penugasan.status", a)
        if unit_changed:
            _emit_unit("unit.status", unit, incident_id=incident.pk)
        if incident_changed:
            emit_incident("kejadian.diperbarui", incident)
    return a


# --- Crew: the officer signs on to the unit they ride for the shift ("unit log-on") -----------------------

# Who may sign another officer on or off a unit (the roll call at the apel): the desk roles that send units
# (operator, Kapolsek, Kabagops) — the same role set as ``dispatch_incident``.
CREW_DESK_PERMISSION = "dispatch_incident"


def crew_name(user: Any) -> str:
    """The name shown for a crew member: the personel record's, else the account's, else the username."""
    p = getattr(user, "personel", None)
    return (p.nama if p is not None else "") or user.get_full_name() or user.get_username()


def _place(polsek: Any) -> str:
    return polsek.nama if polsek is not None else "Mapolres"


def _crew_error(officer: Any, unit: PatrolUnit) -> str | None:
    """Why ``officer`` may not crew ``unit`` (Indonesian), or ``None`` when they may.

    Today's rule: a patrol officer (*anggota*, ``report_unit``) who sees the unit and is a member of its
    Polsek (``personel.polsek``; none = Mapolres) and, when both name one, of its function.
    """
    who = crew_name(officer)
    if getattr(officer, "role", "") != Role.ANGGOTA or not can(officer, "report_unit"):
        return f"{who} bukan anggota (petugas patroli): hanya anggota yang menjadi awak unit patroli."
    p = officer.personel
    if p is None:
        return f"Akun {officer.get_username()} belum terhubung dengan data personel: hubungi admin sistem."
    if p.polsek_id != unit.polsek_id:
        return f"Unit {unit.callsign} adalah unit {_place(unit.polsek)}, sedangkan {who} anggota {_place(p.polsek)}."
    if p.fungsi_id and unit.fungsi_id and p.fungsi_id != unit.fungsi_id:
        return (f"Unit {unit.callsign} adalah unit {unit.fungsi.singkatan if unit.fungsi else 'fungsi lain'}, "
                f"sedangkan {who} anggota {p.fungsi.singkatan if p.fungsi else 'fungsi lain'}.")
    if not PatrolUnit.objects.restrict(officer, "view").filter(pk=unit.pk).exists():
        return f"Unit {unit.callsign} berada di luar wilayah atau fungsi akun {officer.get_username()}."
    return None


def may_crew(officer: Any, unit: PatrolUnit) -> bool:
    """May ``officer`` sign on to ``unit`` (``_crew_error`` gives the reason when not)?"""
    return _crew_error(officer, unit) is None


def units_to_crew(officer: Any) -> Any:
    """The active units ``officer`` may sign on to (``may_crew``), by callsign; none for other roles."""
    if getattr(officer, "role", "") != Role.ANGGOTA or getattr(officer, "personel", None) is None:
        return PatrolUnit.objects.none()
    p = officer.personel
    units = PatrolUnit.objects.restrict(officer, "view").filter(aktif=True, polsek_id=p.polsek_id)
    if p.fungsi_id:
        units = units.filter(Q(fungsi_id=p.fungsi_id) | Q(fungsi__isnull=True))
    return units.select_related("polsek", "fungsi").order_by("callsign")


def signed_on_unit(user: Any) -> PatrolUnit | None:
    """The unit ``user`` is signed on to now, or ``None``."""
    if not getattr(user, "is_authenticated", False):
        return None
    row = UnitCrew.objects.filter(user=user, signed_off_at__isnull=True).select_related(
        "unit", "unit__polsek", "unit__fungsi").first()
    return row.unit if row is not None else None


def crew_of(units: Any) -> dict[int, list[UnitCrew]]:
    """Current crew of each unit (``{unit id: [UnitCrew …]}``, earliest sign-on first)."""
    rows = UnitCrew.objects.filter(unit__in=units, signed_off_at__isnull=True).select_related(
        "user", "user__personel", "signed_on_by").order_by("signed_on_at", "pk")
    out: dict[int, list[UnitCrew]] = {}
    for r in rows:
        out.setdefault(r.unit_id, []).append(r)
    return out


def find_officer(actor: Any, user_id: Any) -> Any:
    """The account ``user_id`` as a desk role may name it: an active user of the actor's Polres whose
    personel record lies in the actor's territory (Polres-wide desks: any). ``NotFound`` otherwise."""
    from k3i.accounts.models import User
    from k3i.core.access import scope_for

    if isinstance(user_id, bool) or not isinstance(user_id, int) or not 1 <= user_id <= 2**53:
        raise ValidationFailed.field("user_id", "user_id harus nomor pengguna (bilangan bulat positif).")
    officer = User.objects.select_related("personel", "personel__polsek", "personel__fungsi").filter(
        pk=user_id, is_active=True, polres_id=getattr(actor, "polres_id", None) or 0).first()
    scope = scope_for(actor)
    if officer is None or (scope.polsek_ids is not None and (
            officer.personel is None or officer.personel.polsek_id not in scope.polsek_ids)):
        raise NotFound("Anggota tidak ditemukan.")
    return officer


def _resolve_officer(actor: Any, unit: PatrolUnit | None, officer: Any, doing: str) -> tuple[Any, bool]:
    """``(officer, by_desk)`` after the permission checks common to signing on and off (``actor`` ``None``: the
    system, e.g. the demo loader, naming the officer)."""
    if actor is None:
        if officer is None:
            raise ValidationFailed.field("user_id", f"Sebutkan anggota yang {doing}.")
        return officer, True
    if unit is not None:
        _visible_or_404(actor, unit=unit)
    if officer is None or officer.pk == actor.pk:
        if actor.role == Role.ANGGOTA:
            return actor, False
        if can(actor, CREW_DESK_PERMISSION):
            raise ValidationFailed.field("user_id", f"Sebutkan anggota yang {doing} (user_id): peran Anda sendiri "
                                                    "tidak menjadi awak unit patroli.")
        raise PermissionDenied("Peran Anda tidak dapat menjadi awak unit patroli.")
    _require_crew_desk(actor)
    return find_officer(actor, officer.pk), True


def _require_crew_desk(actor: Any) -> None:
    if not can(actor, CREW_DESK_PERMISSION):
        if getattr(actor, "role", "") == Role.ANGGOTA:
            raise PermissionDenied("Anggota hanya dapat masuk atau selesai dinas untuk dirinya sendiri.")
        raise PermissionDenied("Peran Anda tidak dapat mengatur awak unit patroli.")


def named_officer(actor: Any, user_id: Any) -> Any:
    """The officer a request names by ``user_id`` (``None``: none named, the actor means themselves). The
    permission to name another officer is checked before the lookup, so a role that may not cannot learn from
    the answer which accounts exist."""
    if user_id is None or (isinstance(user_id, int) and user_id == getattr(actor, "pk", None)):
        return None
    _require_crew_desk(actor)
    return find_officer(actor, user_id)


def _crew_event(aksi: str, row: UnitCrew, actor: Any, unit: PatrolUnit) -> None:
    crew = [r.user for r in crew_of([unit.pk]).get(unit.pk, [])]
    by_other = actor is None or actor.pk != row.user_id
    events.emit("unit.awak", {
        "unit_id": unit.pk, "callsign": unit.callsign, "aksi": aksi, "user_id": row.user_id,
        "username": row.user.get_username(), "nama": crew_name(row.user),
        "oleh": (actor.get_username() if actor is not None else "sistem") if by_other else "",
        "awak": [{"user_id": u.pk, "username": u.get_username(), "nama": crew_name(u)} for u in crew],
    }, polres_id=unit.polres_id, polsek_id=unit.polsek_id,
        fungsi_kode=unit.fungsi.kode if unit.fungsi_id and unit.fungsi else "")


def _end_crew(actor: Any, row: UnitCrew, *, channel: str, now: datetime, by_desk: bool, reason: str) -> None:
    """End one open sign-on (inside the caller's transaction). An officer leaving, on their own, a unit that
    still has an active assignment and no other crew is refused: the task would have nobody to report it."""
    unit = row.unit
    # The unit's row is locked while its crew is counted: two last officers signing off at once would each see
    # the other still on board (each holds only the lock on their own account) and leave the task crewless.
    PatrolUnit.objects.select_for_update().filter(pk=unit.pk).first()
    if not by_desk and not UnitCrew.objects.filter(unit=unit, signed_off_at__isnull=True).exclude(pk=row.pk).exists():
        active = Assignment.objects.filter(unit=unit, status__in=Assignment.ACTIVE).select_related("incident").first()
        if active is not None:
            raise Conflict(
                f"Unit {unit.callsign} masih bertugas pada {active.incident.number} dan Anda awak terakhirnya: "
                "selesaikan tugas itu dulu, atau minta operator mengakhiri dinas Anda.",
                [{"field": "unit_id", "message": "unit masih memiliki penugasan aktif"}])
    row.signed_off_at = now
    row.signed_off_by = actor if getattr(actor, "is_authenticated", False) else None
    row.save(update_fields=["signed_off_at", "signed_off_by"])
    audit.record(actor, "unit.awak_keluar", row, channel=channel, polres_id=unit.polres_id, changes={
        "unit": unit.pk, "callsign": unit.callsign, "anggota": row.user.get_username(), "anggota_id": row.user_id,
        "oleh_petugas": by_desk, "alasan": reason,
    })
    _crew_event("keluar", row, actor, unit)


def sign_on(actor: Any, unit: PatrolUnit, *, channel: str, officer: Any = None, bulk: bool = False) -> UnitCrew:
    """Sign an officer on to ``unit`` for the shift; returns the open ``UnitCrew`` row.

    - ``officer`` ``None`` (or the actor): the actor signs themselves on — a patrol officer (*anggota*) who may
      crew the unit (``may_crew``: their Polsek and function), else ``PermissionDenied`` with the reason.
    - ``officer`` another account: only a desk role (operator, Kapolsek, Kabagops; the roll call at the apel)
      who sees the unit and the officer (their territory); recorded with who did it.
    - One unit at a time: a sign-on to another unit ends the previous one (same transaction, its own ledger
      entry and event) — refused while the officer alone crews a unit that has an active assignment, unless a
      desk role does it. Signing on again to the same unit changes nothing (a retried request is harmless).
    - Audit ``unit.awak_masuk`` and live event ``unit.awak`` in the unit's territory. ``actor`` ``None`` is the
      system; with ``bulk=True`` (the demo loader, which writes one summarising entry) neither is written.
    """
    if bulk and actor is not None:
        raise ValueError("bulk hanya untuk sistem (actor None)")
    officer, by_desk = _resolve_officer(actor, unit, officer, "dimasukkan ke unit")
    error = _crew_error(officer, unit)
    if error is not None:
        if by_desk:
            raise ValidationFailed.field("user_id", error)
        raise PermissionDenied(error)
    from k3i.accounts.models import User

    now = timezone.now()
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=officer.pk).first()  # one sign-on at a time per officer
        unit = PatrolUnit.objects.select_related("polsek", "fungsi").get(pk=unit.pk)
        current = UnitCrew.objects.select_related("unit", "unit__fungsi", "user").filter(
            user=officer, signed_off_at__isnull=True).first()
        if current is not None and current.unit_id == unit.pk:
            return current
        if not unit.aktif:
            raise Conflict(f"Unit {unit.callsign} tidak aktif: pilih unit lain.",
                           [{"field": "unit_id", "message": "unit tidak aktif"}])
        if current is not None:
            if by_desk:  # a desk moves an officer only off a unit it sees itself (as sign_off checks)
                _visible_or_404(actor, unit=current.unit)
            _end_crew(actor, current, channel=channel, now=now, by_desk=by_desk,
                      reason=f"pindah ke unit {unit.callsign}")
        try:
            with transaction.atomic():
                row = UnitCrew.objects.create(unit=unit, user=officer, signed_on_at=now,
                                              signed_on_by=actor if by_desk else officer)
        except IntegrityError as exc:
            raise Conflict(f"{crew_name(officer)} baru saja masuk dinas pada unit lain: muat ulang halaman.") from exc
        row.unit, row.user = unit, officer
        if bulk:
            return row
        audit.record(actor, "unit.awak_masuk", row, channel=channel, polres_id=unit.polres_id, changes={
            "unit": unit.pk, "callsign": unit.callsign, "anggota": officer.get_username(), "anggota_id": officer.pk,
            "oleh_petugas": by_desk, "sebelumnya": current.unit.callsign if current is not None else None,
        })
        _crew_event("masuk", row, actor, unit)
    return row


def sign_off(actor: Any, *, channel: str, officer: Any = None, unit: PatrolUnit | None = None) -> UnitCrew | None:
    """End an officer's shift on their unit ("Selesai dinas"); returns the ended row, or ``None`` when there was
    nothing to end (not signed on — or, with ``unit``, not on that unit: a retried or stale request changes
    nothing and never ends a later sign-on to another unit).

    ``officer`` ``None``: the actor themselves (an *anggota*); another account: a desk role of the officer's
    territory who sees the unit. The last crew member cannot leave a unit with an active assignment on their
    own (``Conflict``); a desk role can. Audit ``unit.awak_keluar``, live event ``unit.awak``.
    """
    officer, by_desk = _resolve_officer(actor, unit, officer, "diakhiri dinasnya")
    from k3i.accounts.models import User

    with transaction.atomic():
        User.objects.select_for_update().filter(pk=officer.pk).first()
        current = UnitCrew.objects.select_related("unit", "unit__fungsi", "user", "user__personel").filter(
            user=officer, signed_off_at__isnull=True).first()
        if current is None or (unit is not None and current.unit_id != unit.pk):
            return None
        if by_desk:
            _visible_or_404(actor, unit=current.unit)
        _end_crew(actor, current, channel=channel, now=timezone.now(), by_desk=by_desk, reason="selesai dinas")
    return current
