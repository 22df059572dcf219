"""Master data of the KOD: Polres, Polsek, Polsubsektor, Pospol, Fungsi, Personel, Bhabinkamtibmas coverage.

Every ``create_*`` / ``update_*`` validates all fields first — a clear Indonesian message naming each bad
field, nothing written — then saves the row and writes one audit entry (``<jenis>.dibuat`` /
``<jenis>.diperbarui``) in the same transaction. ``update_*`` takes only the fields to change and writes
nothing at all when nothing changes. Changes the operations map shows (Polsek, Pospol, Polsubsektor,
coverage) also emit an ``organisasi.diperbarui`` live event.

``actor`` is the user doing it (must hold ``manage_master``) or ``None`` for the system itself (the demo
loader, importers). ``bulk=True`` is for a bulk loader that writes ONE summarising audit entry itself, in
the same transaction (the demo loader writes ``demo.dimuat``): no per-row audit entry or live event.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction

from k3i.core import audit, events
from k3i.core.access import can
from k3i.core.errors import Conflict, PermissionDenied, ValidationFailed

from .models import (
    BhabinCoverage,
    Fungsi,
    Pangkat,
    Personel,
    Polres,
    Polsek,
    Polsubsektor,
    Pospol,
    Region,
)

Errors = list[dict[str, str]]

# Indonesia's extent with a margin: a point outside it is a typo or swapped coordinates.
LAT_RANGE = (-11.5, 6.5)
LON_RANGE = (94.5, 141.5)


def is_number(value: Any) -> bool:
    """A finite number a float can hold: not a bool, not NaN/±∞, not an integer too large for a float (JSON
    carries any number of digits; ``math.isfinite`` raises ``OverflowError`` on such an integer)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def coordinate_errors(
    lat: Any, lon: Any, *, lat_field: str = "lat", lon_field: str = "lon", label: str = "", required: bool = False
) -> Errors:
    """Errors for a (lat, lon) pair: numbers, inside Indonesia, not swapped, both given or both empty."""
    suffix = f" {label}" if label else ""
    if lat is None and lon is None:
        if required:
            msg = f"Lintang dan bujur{suffix} wajib diisi."
            return [{"field": lat_field, "message": msg}, {"field": lon_field, "message": msg}]
        return []
    errors: Errors = []
    for name, value, (lo, hi), what in ((lat_field, lat, LAT_RANGE, "Lintang"), (lon_field, lon, LON_RANGE, "Bujur")):
        if value is None:
            continue
        if not is_number(value):
            errors.append({"field": name, "message": f"{what}{suffix} harus berupa angka."})
        elif not lo <= value <= hi:
            errors.append({"field": name, "message": f"{what}{suffix} {value} di luar wilayah Indonesia "
                                                     f"(harus antara {lo} dan {hi})."})
    if errors:
        swapped = (
            len(errors) == 2 and all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon))
            and LAT_RANGE[0] <= lon <= LAT_RANGE[1] and LON_RANGE[0] <= lat <= LON_RANGE[1]
        )
        if swapped:
            msg = "Lintang dan bujur tampaknya tertukar (lintang Indonesia sekitar -11 s.d. 6)."
            return [{"field": lat_field, "message": msg}, {"field": lon_field, "message": msg}]
        return errors
    if (lat is None) != (lon is None):
        missing = lon_field if lon is None else lat_field
        return [{"field": missing, "message": f"Lintang dan bujur{suffix} harus diisi berdua atau dikosongkan berdua."}]
    return []


# --- the shared machinery -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A JSON-able form of a field value for the audit ``changes`` (objects → pk, lists sorted)."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Spec:
    """What the shared create/update machinery needs to know about one kind of master data."""

    model: type[models.Model]
    jenis: str  # audit/event name: "polsek" → "polsek.dibuat"
    label: str  # for messages: "Polsek"
    fields: tuple[str, ...]
    required: tuple[str, ...]
    validate: Callable[[dict[str, Any], Any], Errors]
    defaults: dict[str, Any] = field(default_factory=dict)
    m2m: tuple[str, ...] = ()
    polres_id: Callable[[Any], int | None] = lambda obj: None
    event: Callable[[Any], dict[str, Any]] | None = None  # territory of the live event, if one is emitted


def _check_actor(actor: Any) -> None:
    if actor is not None and not can(actor, "manage_master"):
        raise PermissionDenied("Anda tidak berwenang mengubah data induk organisasi.")


def _check_fields(spec: Spec, given: Iterable[str]) -> None:
    unknown = sorted(set(given) - set(spec.fields))
    if unknown:
        raise ValidationFailed(
            f"Kolom tidak dikenal untuk {spec.label}: " + ", ".join(unknown) + ".",
            [{"field": f, "message": "kolom tidak dikenal"} for f in unknown],
        )


def _current(obj: Any, spec: Spec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in spec.fields:
        out[f] = list(getattr(obj, f).all()) if f in spec.m2m else getattr(obj, f)
    return out


def _snapshot(obj: Any, spec: Spec, names: Iterable[str]) -> dict[str, Any]:
    """Plain current values of some fields, without loading related rows (foreign keys by id)."""
    out: dict[str, Any] = {}
    for f in names:
        if f in spec.m2m:
            out[f] = sorted(getattr(obj, f).values_list("pk", flat=True))
        else:
            out[f] = _plain(getattr(obj, obj._meta.get_field(f).attname))
    return out


def pending_changes(obj: Any, spec: Spec, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """``{"field": [old, new]}`` that ``update_*`` would write for these fields (empty: nothing to do)."""
    _check_fields(spec, fields)
    return audit.diff(_snapshot(obj, spec, fields), {k: _plain(v) for k, v in fields.items()})


def _raise(spec: Spec, errors: Errors) -> None:
    if not errors:
        return
    if len(errors) == 1:
        raise ValidationFailed(errors[0]["message"], errors)
    raise ValidationFailed(
        f"Data {spec.label} tidak sah ({len(errors)} isian): "
        + "; ".join(f"{e['field']}: {e['message']}" for e in errors),
        errors,
    )


def _others(qs: Any, instance: Any) -> Any:
    """The rows of ``qs`` other than ``instance`` (the one being updated), for uniqueness checks."""
    return qs if instance is None else qs.exclude(pk=instance.pk)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _validate(spec: Spec, values: dict[str, Any], instance: Any) -> None:
    """Raise ValidationFailed naming every bad field of the final ``values``; writes nothing."""
    errors: Errors = []
    for f in spec.required:
        v = values.get(f)
        if v is None or (isinstance(v, str) and not v.strip()):
            errors.append({"field": f, "message": f"{_upper_first(_LABELS.get(f, f))} wajib diisi."})
    if not errors:
        errors = spec.validate(values, instance)
    # The model's own checks (lengths, choices, NRP pattern, uniqueness) on the plain fields not already
    # reported, on a throw-away copy; relations were checked above and need no extra query each.
    relations = {f.name for f in spec.model._meta.get_fields() if f.is_relation}
    bad = {e["field"] for e in errors}
    tmp = spec.model(**{k: v for k, v in values.items() if k not in relations})
    if instance is not None:
        tmp.pk = instance.pk
        tmp._state.adding = False
    try:
        tmp.full_clean(exclude=sorted(bad | relations))
    except DjangoValidationError as exc:
        for f, messages in exc.message_dict.items():
            errors.extend({"field": f, "message": m} for m in messages)
    _raise(spec, errors)


def _emit(spec: Spec, obj: Any, aksi: str, changes: dict[str, Any]) -> None:
    if spec.event is None:
        return
    where = spec.event(obj)
    events.emit(
        "organisasi.diperbarui",
        {"jenis": spec.jenis, "aksi": aksi, "id": obj.pk, "nama": str(obj), "perubahan": changes},
        polres_id=where.get("polres_id"), polsek_id=where.get("polsek_id"),
        kelurahan_kode=where.get("kelurahan_kode", ""),
    )


def _create(spec: Spec, actor: Any, fields: dict[str, Any], *, channel: str, bulk: bool) -> Any:
    _check_actor(actor)
    _check_fields(spec, fields)
    values = {**spec.defaults, **fields}
    for f in spec.m2m:
        values[f] = list(values.get(f) or [])
    _validate(spec, values, None)
    obj = spec.model(**{k: v for k, v in values.items() if k not in spec.m2m})
    obj.save(force_insert=True)
    for f in spec.m2m:
        getattr(obj, f).set(values[f])
    if not bulk:
        changes = {k: _plain(v) for k, v in values.items()}
        audit.record(actor, f"{spec.jenis}.dibuat", obj, channel=channel, changes=changes,
                     polres_id=spec.polres_id(obj))
        _emit(spec, obj, "dibuat", changes)
    return obj


def _update(spec: Spec, actor: Any, obj: Any, fields: dict[str, Any], *, channel: str, bulk: bool) -> Any:
    _check_actor(actor)
    _check_fields(spec, fields)
    if not fields:
        raise ValidationFailed(f"Tidak ada kolom {spec.label} yang diubah.")
    obj = spec.model.objects.select_for_update().get(pk=obj.pk)  # type: ignore[attr-defined]
    for f in spec.m2m:
        if f in fields:
            fields[f] = list(fields[f] or [])
    changes = pending_changes(obj, spec, fields)
    if not changes:
        return obj
    values = {**_current(obj, spec), **fields}
    _validate(spec, values, obj)
    for f, v in fields.items():
        if f not in spec.m2m:
            setattr(obj, f, v)
    obj.save()
    for f in spec.m2m:
        if f in changes:
            getattr(obj, f).set(values[f])
    if not bulk:
        audit.record(actor, f"{spec.jenis}.diperbarui", obj, channel=channel, changes=changes,
                     polres_id=spec.polres_id(obj))
        _emit(spec, obj, "diperbarui", changes)
    return obj


_LABELS = {
    "kode": "kode", "nama": "nama", "tipe": "tipe", "wilayah": "wilayah (kota/kabupaten)", "polres": "Polres",
    "polsek": "Polsek", "kecamatan": "kecamatan", "kelurahan": "kelurahan", "lat": "lintang", "lon": "bujur",
    "singkatan": "singkatan", "jenis": "jenis fungsi", "nrp": "NRP", "pangkat": "pangkat", "jabatan": "jabatan",
    "personel": "personel",
}


def _region_error(name: str, value: Any, level: Region.Level, what: str) -> Errors:
    if not isinstance(value, Region):
        return [{"field": name, "message": f"{_upper_first(what)} tidak sah: pilih wilayah yang terdaftar."}]
    if value.level != level:
        return [{"field": name, "message": f"{value.nama} ({value.kode}) bukan {what}."}]
    return []


def _choice_error(name: str, value: Any, choices: type[models.TextChoices], what: str) -> Errors:
    if value not in choices.values:
        allowed = ", ".join(str(c) for c in choices.values)
        return [{"field": name, "message": f"{_upper_first(what)} '{value}' tidak dikenal (pilih: {allowed})."}]
    return []


def _instance_error(name: str, value: Any, model: type[models.Model], what: str) -> Errors:
    if not isinstance(value, model) or value.pk is None:
        return [{"field": name, "message": f"{what} tidak sah: pilih {what} yang terdaftar."}]
    return []


def _kelurahan_in_polsek(name: str, kel: Region, polsek: Polsek) -> Errors:
    if kel.parent_id != polsek.kecamatan_id:
        return [{"field": name, "message": f"Kelurahan {kel.nama} ({kel.kode}) tidak berada di wilayah hukum "
                                           f"{polsek.nama} (kecamatan {polsek.kecamatan_id})."}]
    return []


def _name_taken_in_polsek(model: type[Pospol] | type[Polsubsektor], v: dict[str, Any], instance: Any) -> Errors:
    """A Pospol or Polsubsektor name is unique within its Polsek."""
    if _others(model.objects.filter(polsek=v["polsek"], nama=v["nama"]), instance).exists():
        return [{"field": "nama", "message": f"{v['nama']} sudah ada di {v['polsek'].nama}."}]
    return []


# --- Polres ---------------------------------------------------------------------------------------


def _validate_polres(v: dict[str, Any], instance: Any) -> Errors:
    errors = _choice_error("tipe", v["tipe"], Polres.Tipe, "tipe Polres")
    errors += _region_error("wilayah", v["wilayah"], Region.Level.KOTA_KAB, "kota/kabupaten")
    errors += coordinate_errors(v.get("lat"), v.get("lon"), label="Mapolres")
    return errors


POLRES = Spec(
    Polres, "polres", "Polres",
    fields=("kode", "nama", "tipe", "polda", "wilayah", "alamat", "lat", "lon", "is_demo"),
    required=("kode", "nama", "tipe", "wilayah"),
    validate=_validate_polres,
    defaults={"polda": "", "alamat": "", "lat": None, "lon": None, "is_demo": False},
    polres_id=lambda o: o.pk,
)


@transaction.atomic
def create_polres(actor: Any, *, channel: str, bulk: bool = False, **fields: Any) -> Polres:
    """Fields: kode (slug), nama, tipe (Polres.Tipe), polda, wilayah (Region kota/kab), alamat, lat, lon,
    is_demo."""
    return _create(POLRES, actor, fields, channel=channel, bulk=bulk)


@transaction.atomic
def update_polres(actor: Any, polres: Polres, *, channel: str, bulk: bool = False, **fields: Any) -> Polres:
    return _update(POLRES, actor, polres, fields, channel=channel, bulk=bulk)


# --- Polsek ---------------------------------------------------------------------------------------


def _validate_polsek(v: dict[str, Any], instance: Any) -> Errors:
    errors = _instance_error("polres", v["polres"], Polres, "Polres")
    errors += _choice_error("tipe", v["tipe"], Polsek.Tipe, "tipe Polsek")
    errors += _region_error("kecamatan", v["kecamatan"], Region.Level.KECAMATAN, "kecamatan")
    if not isinstance(v.get("berwenang_penyidikan"), bool):
        errors.append({"field": "berwenang_penyidikan", "message": "Berwenang penyidikan harus benar atau salah."})
    errors += coordinate_errors(v.get("lat"), v.get("lon"), label="Mapolsek")
    if errors:
        return errors
    kec: Region = v["kecamatan"]
    polres: Polres = v["polres"]
    if kec.parent_id != polres.wilayah_id:
        errors.append({"field": "kecamatan", "message": f"Kecamatan {kec.nama} ({kec.kode}) tidak berada di "
                                                        f"wilayah {polres.nama} ({polres.wilayah_id})."})
    other = _others(Polsek.objects.filter(kecamatan=kec), instance).first()
    if other is not None:
        errors.append({"field": "kecamatan", "message": f"Kecamatan {kec.nama} sudah menjadi wilayah hukum "
                                                        f"{other.nama}."})
    return errors


POLSEK = Spec(
    Polsek, "polsek", "Polsek",
    fields=("polres", "nama", "tipe", "berwenang_penyidikan", "kecamatan", "alamat", "telepon", "lat", "lon"),
    required=("polres", "nama", "kecamatan"),
    validate=_validate_polsek,
    defaults={"tipe": Polsek.Tipe.A, "berwenang_penyidikan": True, "alamat": "", "telepon": "",
              "lat": None, "lon": None},
    polres_id=lambda o: o.polres_id,
    event=lambda o: {"polres_id": o.polres_id, "polsek_id": o.pk},
)


@transaction.atomic
def create_polsek(actor: Any, *, channel: str, bulk: bool = False, **fields: Any) -> Polsek:
    """Fields: polres, nama, tipe (A–D), berwenang_penyidikan, kecamatan (its jurisdiction, a Region of the
    Polres' kota/kab), alamat, telepon, lat, lon."""
    return _create(POLSEK, actor, fields, channel=channel, bulk=bulk)


@transaction.atomic
def update_polsek(actor: Any, polsek: Polsek, *, channel: str, bulk: bool = False, **fields: Any) -> Polsek:
    return _update(POLSEK, actor, polsek, fields, channel=channel, bulk=bulk)


# --- Pospol ---------------------------------------------------------------------------------------


def _validate_pospol(v: dict[str, Any], instance: Any) -> Errors:
    errors = _instance_error("polsek", v["polsek"], Polsek, "Polsek")
    errors += _region_error("kelurahan", v["kelurahan"], Region.Level.KELURAHAN, "kelurahan/desa")
    errors += coordinate_errors(v.get("lat"), v.get("lon"), label="Pospol", required=True)
    if errors:
        return errors
    errors += _kelurahan_in_polsek("kelurahan", v["kelurahan"], v["polsek"])
    return errors + _name_taken_in_polsek(Pospol, v, instance)


POSPOL = Spec(
    Pospol, "pospol", "Pospol",
    fields=("polsek", "nama", "kelurahan", "lat", "lon"),
    required=("polsek", "nama", "kelurahan"),
    validate=_validate_pospol,
    defaults={"lat": None, "lon": None},
    polres_id=lambda o: o.polsek.polres_id,
    event=lambda o: {"polres_id": o.polsek.polres_id, "polsek_id": o.polsek_id, "kelurahan_kode": o.kelurahan_id},
)


@transaction.atomic
def create_pospol(actor: Any, *, channel: str, bulk: bool = False, **fields: Any) -> Pospol:
    """Fields: polsek, nama, kelurahan (in the Polsek's kecamatan), lat, lon (required)."""
    return _create(POSPOL, actor, fields, channel=channel, bulk=bulk)


@transaction.atomic
def update_pospol(actor: Any, pospol: Pospol, *, channel: str, bulk: bool = False, **fields: Any) -> Pospol:
    return _update(POSPOL, actor, pospol, fields, channel=channel, bulk=bulk)


# --- Polsubsektor ---------------------------------------------------------------------------------


def _validate_polsubsektor(v: dict[str, Any], instance: Any) -> Errors:
    errors = _instance_error("polsek", v["polsek"], Polsek, "Polsek")
    errors += coordinate_errors(v.get("lat"), v.get("lon"), label="Polsubsektor")
    for kel in v["kelurahan"]:
        errors += _region_error("kelurahan", kel, Region.Level.KELURAHAN, "kelurahan/desa")
    if errors:
        return errors
    for kel in v["kelurahan"]:
        errors += _kelurahan_in_polsek("kelurahan", kel, v["polsek"])
    return errors + _name_taken_in_polsek(Polsubsektor, v, instance)


POLSUBSEKTOR = Spec(
    Polsubsektor, "polsubsektor", "Polsubsektor",
    fields=("polsek", "nama", "kelurahan", "lat", "lon"),
    required=("polsek", "nama"),
    validate=_validate_polsubsektor,
    defaults={"lat": None, "lon": None, "kelurahan": []},
    m2m=("kelurahan",),
    polres_id=lambda o: o.polsek.polres_id,
    event=lambda o: {"polres_id": o.polsek.polres_id, "polsek_id": o.polsek_id},
)


@transaction.atomic
def create_polsubsektor(actor: Any, *, channel: str, bulk: bool = False, **fields: Any) -> Polsubsektor:
    """Fields: polsek, nama, kelurahan (list, in the Polsek's kecamatan), lat, lon."""
    return _create(POLSUBSEKTOR, actor, fields, channel=channel, bulk=bulk)


@transaction.atomic
def update_polsubsektor(
    actor: Any, polsubsektor: Polsubsektor, *, channel: str, bulk: bool = False, **fields: Any
) -> Polsubsektor:
    return _update(POLSUBSEKTOR, actor, polsubsektor, fields, channel=channel, bulk=bulk)


# --- Fungsi ---------------------------------------------------------------------------------------

FUNGSI_KODE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")


def _validate_fungsi(v: dict[str, Any], instance: Any) -> Errors:
    errors = _choice_error("jenis", v["jenis"], Fungsi.Jenis, "jenis fungsi")
    if not FUNGSI_KODE.match(str(v["kode"])):
        errors.append({"field": "kode", "message": "Kode fungsi harus huruf besar, angka dan garis bawah "
                                                   "(mis. SAT_RESKRIM)."})
    return errors


FUNGSI = Spec(
    Fungsi, "fungsi", "fungsi",
    fields=("kode", "nama", "singkatan", "jenis", "keterangan"),
    required=("kode", "nama", "singkatan", "jenis"),
    validate=_validate_fungsi,
    defaults={"keterangan": ""},
)


@transaction.atomic
def create_fungsi(actor: Any, *, channel: str, bulk: bool = False, **fields: Any) -> Fungsi:
    """Fields: kode ("SAT_RESKRIM"), nama, singkatan ("Sat Reskrim", as the incident taxonomy writes it),
    jenis (utama/pendukung), keterangan."""
    return _create(FUNGSI, actor, fields, channel=channel, bulk=bulk)


@transaction.atomic
def update_fungsi(actor: Any, fungsi: Fungsi, *, channel: str, bulk: bool = False, **fields: Any) -> Fungsi:
    return _update(FUNGSI, actor, fungsi, fields, channel=channel, bulk=bulk)


# --- Personel -------------------------------------------------------------------------------------


def _validate_personel(v: dict[str, Any], instance: Any) -> Errors:
    errors = _instance_error("polres", v["polres"], Polres, "Polres")
    errors += _choice_error("pangkat", v["pangkat"], Pangkat, "pangkat")
    if not re.fullmatch(r"\d{8}", str(v["nrp"])):
        errors.append({"field": "nrp", "message": "NRP harus 8 angka."})
    elif _others(Personel.objects.filter(nrp=v["nrp"]), instance).exists():
        errors.append({"field": "nrp", "message": f"NRP {v['nrp']} sudah terdaftar untuk personel lain."})
    if v.get("polsek") is not None:
        errors += _instance_error("polsek", v["polsek"], Polsek, "Polsek")
        if not errors and v["polsek"].polres_id != v["polres"].pk:
            errors.append({"field": "polsek", "message": f"{v['polsek'].nama} bukan bagian dari {v['polres'].nama}."})
    if v.get("fungsi") is not None:
        errors += _instance_error("fungsi", v["fungsi"], Fungsi, "Fungsi")
    if not isinstance(v.get("aktif"), bool):
        errors.append({"field": "aktif", "message": "Status aktif harus benar atau salah."})
    return errors


PERSONEL = Spec(
    Personel, "personel", "personel",
    fields=("nrp", "nama", "pangkat", "jabatan", "polres", "polsek", "fungsi", "telepon", "aktif"),
    required=("nrp", "nama", "pangkat", "jabatan", "polres"),
    validate=_validate_personel,
    defaults={"polsek": None, "fungsi": None, "telepon": "", "aktif": True},
    polres_id=lambda o: o.polres_id,
)


@transaction.atomic
def create_personel(actor: Any, *, channel: str, bulk: bool = False, **fields: Any) -> Personel:
    """Fields: nrp (8 digits), nama, pangkat (Pangkat), jabatan, polres, polsek (empty: Mapolres), fungsi,
    telepon, aktif."""
    return _create(PERSONEL, actor, fields, channel=channel, bulk=bulk)


@transaction.atomic
def update_personel(actor: Any, personel: Personel, *, channel: str, bulk: bool = False, **fields: Any) -> Personel:
    return _update(PERSONEL, actor, personel, fields, channel=channel, bulk=bulk)


# --- Bhabinkamtibmas coverage ---------------------------------------------------------------------


def _validate_coverage(v: dict[str, Any], instance: Any) -> Errors:
    errors = _instance_error("personel", v["personel"], Personel, "Personel")
    errors += _region_error("kelurahan", v["kelurahan"], Region.Level.KELURAHAN, "kelurahan/desa")
    if v.get("sejak") is not None and not isinstance(v["sejak"], dt.date):
        errors.append({"field": "sejak", "message": "Tanggal mulai harus berupa tanggal."})
    if errors:
        return errors
    p: Personel = v["personel"]
    kel: Region = v["kelurahan"]
    if not p.aktif:
        errors.append({"field": "personel", "message": f"{p} tidak aktif."})
    if p.polsek_id is not None:
        errors += _kelurahan_in_polsek("kelurahan", kel, p.polsek)  # type: ignore[arg-type]
    elif not Polsek.objects.filter(polres_id=p.polres_id, kecamatan_id=kel.parent_id).exists():
        errors.append({"field": "kelurahan", "message": f"Kelurahan {kel.nama} tidak berada di wilayah "
                                                        f"{p.polres.nama}."})
    other = _others(BhabinCoverage.objects.filter(kelurahan=kel), instance).first()
    if other is not None:
        raise Conflict(
            f"Kelurahan {kel.nama} sudah dibina oleh {other.personel}.",
            [{"field": "kelurahan", "message": f"sudah dibina oleh {other.personel}"}],
        )
    return errors


COVERAGE = Spec(
    BhabinCoverage, "binaan_bhabin", "wilayah binaan",
    fields=("personel", "kelurahan", "sejak"),
    required=("personel", "kelurahan"),
    validate=_validate_coverage,
    defaults={"sejak": None},
    polres_id=lambda o: o.personel.polres_id,
    event=lambda o: {"polres_id": o.personel.polres_id, "polsek_id": o.personel.polsek_id,
                     "kelurahan_kode": o.kelurahan_id},
)


@transaction.atomic
def create_bhabin_coverage(actor: Any, *, channel: str, bulk: bool = False, **fields: Any) -> BhabinCoverage:
    """A Bhabinkamtibmas takes on a kelurahan. Fields: personel (active, of the Polsek whose kecamatan
    holds the kelurahan), kelurahan (not yet covered: a kelurahan has at most one), sejak."""
    return _create(COVERAGE, actor, fields, channel=channel, bulk=bulk)


@transaction.atomic
def update_bhabin_coverage(
    actor: Any, coverage: BhabinCoverage, *, channel: str, bulk: bool = False, **fields: Any
) -> BhabinCoverage:
    """Hand a kelurahan to another Bhabinkamtibmas (``personel``) or change ``sejak``."""
    return _update(COVERAGE, actor, coverage, fields, channel=channel, bulk=bulk)


@transaction.atomic
def remove_bhabin_coverage(actor: Any, coverage: BhabinCoverage, *, channel: str) -> None:
    """The kelurahan loses its Bhabinkamtibmas: it becomes a visible gap on the map."""
    _check_actor(actor)
    coverage = BhabinCoverage.objects.select_related("personel").get(pk=coverage.pk)
    changes = {"personel": coverage.personel_id, "kelurahan": coverage.kelurahan_id}
    audit.record(actor, "binaan_bhabin.dihapus", coverage, channel=channel, changes=changes,
                 polres_id=coverage.personel.polres_id)
    _emit(COVERAGE, coverage, "dihapus", changes)
    coverage.delete()
