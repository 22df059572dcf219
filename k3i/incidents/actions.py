"""Writes about incidents. Every intake channel ends in ``create_incident``; one transaction each, with the
audit entry and the live event for the operations room.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Q, Value, When
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone

from k3i.core import audit, events
from k3i.core.access import can
from k3i.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from k3i.core.groupcommit import GroupCommit
from k3i.core.i18n import source_display
from k3i.organization import geo
from k3i.organization.models import Polres, Polsek, Region

from . import taxonomy
from .models import Incident, IncidentLog

MAX_TEXT = 5000
MAX_NAME = 120
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone
# Problem-impact: this many linked reports make one problem for Bagops.
BAGOPS_MANY_REPORTS = 3

Errors = list[dict[str, str]]


def _tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


def _clean_text(value: Any, field: str, *, max_len: int, required: bool) -> tuple[str, Errors]:
    if value is None or value == "":
        if required:
            return "", [{"field": field, "message": "Wajib diisi."}]
        return "", []
    if not isinstance(value, str):
        return "", [{"field": field, "message": "Harus berupa teks."}]
    text = value.replace("\x00", "").strip()
    if required and not text:
        return "", [{"field": field, "message": "Wajib diisi (tidak boleh kosong)."}]
    if len(text) > max_len:
        return "", [{"field": field, "message": f"Terlalu panjang: {len(text)} karakter, paling banyak {max_len}."}]
    return text, []


# What a phone number may be written with: its digits and the usual separators, never letters. Only the digits
# (and a leading +) are kept: dropping anything else could turn "0812ABCD5678" into another, wrong number.
PHONE_CHARS = re.compile(r"[0-9 +\-().]*")


def _clean_phone(value: Any) -> tuple[str, Errors]:
    if value in (None, ""):
        return "", []
    if not isinstance(value, str):
        return "", [{"field": "reporter_phone", "message": "Nomor telepon harus berupa teks."}]
    if not PHONE_CHARS.fullmatch(value.strip()):
        return "", [{"field": "reporter_phone", "message": "Nomor telepon hanya boleh berisi angka, spasi dan tanda "
                                                           "+ - ( ) . (mis. 0812-3456-7890 atau +62 812 3456 7890)."}]
    digits = "".join(ch for ch in value if ch.isdigit())
    if value.strip().startswith("+"):
        digits = "+" + digits
    if not 6 <= len(digits.lstrip("+")) <= 15:
        return "", [{"field": "reporter_phone", "message": "Nomor telepon tidak sah (6–15 angka)."}]
    return digits, []


def routing_for(category: str) -> dict[str, Any]:
    t = taxonomy.incident_types()[category]
    return {
        "layanan": t.layanan,
        "fungsi_utama": t.fungsi_utama,
        "fungsi_utama_catatan": t.fungsi_utama_catatan,
        "fungsi_pendukung": list(t.fungsi_pendukung),
        "mitra_eksternal": list(t.mitra_eksternal),
    }


def bagops_reasons(incident: Incident) -> list[str]:
    """Why an incident is a problem for Bagops (problem-impact approach), or [] when it is not — always from
    what holds now: the routing of its current category, the reports linked to it now and their Polsek. No
    reason outlives what gave it (see ``recompute_bagops``)."""
    return [*routing_reasons(incident.routing), *linked_reasons(incident)]


def recompute_bagops(incident: Incident, actor: Any, *, why: str) -> tuple[bool, list[str]]:
    """The one rule for the Bagops flag, used by every write that can change it (intake, triage, location,
    linking a duplicate, unlinking/reopening): ``bagops_reasons`` recomputed from scratch, the incident in the
    Bagops queue exactly when it has a reason. A saved incident gets a timeline line when it enters or leaves
    the queue or its reasons change (``log_bagops_change``, ``why`` says after what, e.g. "setelah koreksi
    triase"); a new one (no id yet) is only set. The caller saves ``bagops``/``bagops_reasons``, inside its
    transaction. Returns the state before: ``(was_bagops, old_reasons)``."""
    was, old = incident.bagops, list(incident.bagops_reasons or [])
    reasons = bagops_reasons(incident)
    incident.bagops, incident.bagops_reasons = bool(reasons), reasons
    if incident.pk:
        log_bagops_change(incident, was, old, actor, why=why)
    return was, old


def routing_reasons(routing: dict[str, Any] | None) -> list[str]:
    """The Bagops reasons that follow from the category's routing (functions and outside agencies): they change
    with the category."""
    r = routing or {}
    if r.get("fungsi_pendukung") and r.get("mitra_eksternal"):
        return [
            "lintas fungsi dan instansi: " + ", ".join([r.get("fungsi_utama", ""), *r["fungsi_pendukung"]])
            + " bersama " + ", ".join(r["mitra_eksternal"])
        ]
    return []


def linked_reasons(incident: Incident) -> list[str]:
    """The Bagops reasons that follow from the reports linked to the incident now (many reports; several Polsek
    among the incident's and theirs), whatever its category."""
    reasons: list[str] = []
    if incident.pk:
        linked = list(incident.linked_reports.values_list("polsek_id", flat=True))
        if len(linked) + 1 >= BAGOPS_MANY_REPORTS:
            reasons.append(f"banyak laporan: {len(linked) + 1} laporan untuk kejadian yang sama")
        polsek_ids = {p for p in [incident.polsek_id, *linked] if p}
        if len(polsek_ids) > 1:
            reasons.append(f"lintas wilayah: laporan dari {len(polsek_ids)} Polsek")
    return reasons


def _log(incident: Incident, kind: str, message: str, actor: Any, **data: Any) -> None:
    IncidentLog.objects.create(
        incident=incident, created_at=timezone.now(), kind=kind, message=message[:500],
        actor_username=actor.get_username() if getattr(actor, "is_authenticated", False) else "", data=data,
    )


def bhabin_note(incident: Incident, at: datetime | None = None) -> IncidentLog | None:
    """The timeline line that names the Bhabinkamtibmas of the incident's kelurahan (territorial routing: the
    covering Bhabinkamtibmas is informed): with a K3i account the report reaches their queue and live map
    (their scope is that kelurahan), without one the desk is told to call them; a kelurahan without one is a
    gap in coverage, said as such. ``None`` while the incident has no kelurahan. Not saved."""
    if not incident.kelurahan_id:
        return None
    kel = geo.kelurahan_nama(incident.kelurahan_id) or incident.kelurahan_id
    b = geo.bhabin_for(incident.kelurahan_id)
    if b is None:
        message = f"Kelurahan {kel} belum memiliki Bhabinkamtibmas (celah binaan): beri tahu Kapolsek."
        data: dict[str, Any] = {"kelurahan": incident.kelurahan_id, "personel": None}
    else:
        who = f"{b.pangkat} {b.nama}".strip()
        if b.akun:
            message = f"Bhabinkamtibmas {kel}, {who}, diberi tahu: laporan tampil di antrean dan peta binaannya."
        else:
            call = f"hubungi di {b.telepon}" if b.telepon else "hubungi langsung (nomor belum tercatat)"
            message = f"Bhabinkamtibmas {kel}, {who}, belum memiliki akun K3i: {call}."
        data = {"kelurahan": incident.kelurahan_id, "personel": b.personel_id, "akun": b.akun}
    return IncidentLog(incident=incident, created_at=at or timezone.now(), kind="bhabinkamtibmas",
                       message=message[:500], data=data)


def event_payload(incident: Incident) -> dict[str, Any]:
    """What the operations room sees live (never the reporter's identity)."""
    return {
        "id": incident.pk, "number": incident.number, "status": incident.status, "category": incident.category,
        "priority": incident.priority, "lat": incident.lat, "lon": incident.lon,
        "polsek_id": incident.polsek_id, "kelurahan": incident.kelurahan_id, "channel": incident.channel,
        "bagops": incident.bagops, "created_at": incident.created_at.isoformat(),
        "simulated": incident.is_simulated,
    }


def emit_incident(kind: str, incident: Incident) -> None:
    events.emit(
        kind, event_payload(incident), polres_id=incident.polres_id, polsek_id=incident.polsek_id,
        kelurahan_kode=incident.kelurahan_id or "",
    )


def create_incident(
    actor: Any,
    *,
    polres: Polres,
    channel: str,
    text: Any,
    lat: Any = None,
    lon: Any = None,
    kelurahan: Region | None = None,
    alamat: Any = "",
    location_confirmed: bool = True,
    reporter_name: Any = "",
    reporter_phone: Any = "",
    category: Any = None,
    priority: Any = None,
    idempotency_key: Any = None,
    is_simulated: bool = False,
    audit_channel: str,
) -> tuple[Incident, bool]:
    """Take one report from any channel. Returns ``(incident, created)``; a retried submission with the same
    idempotency key returns the first incident and ``created=False`` — the same key with another text (a
    message: another text or phone) is a ``Conflict`` (``_same_report``).

    ``actor`` is the logged-in user (110 desk, SPKT, officer) or ``None`` for the public and gateways.

    Everything is checked (and triaged, and located) before anything is written. Called inside a
    transaction (a caller that writes more with the report, the tests), the report is written in it.
    Otherwise it goes through the intake group commit (``k3i.core.groupcommit``): reports arriving at the
    same moment in several request threads share one transaction, each with its own ledger entry and live
    event; the answer comes after the commit.
    """
    if actor is not None and getattr(actor, "is_authenticated", False) and not can(actor, "create_incident"):
        raise PermissionDenied("Peran Anda tidak dapat membuat laporan kejadian.")
    if channel not in Incident.Channel.values:
        raise ValidationFailed.field("channel", f"Kanal '{channel}' tidak dikenal.")
    key, errors = _clean_text(idempotency_key, "idempotency_key", max_len=80, required=False)
    if errors:
        raise ValidationFailed("Kunci idempotensi tidak sah.", errors)
    # A retried submission is found by its key when the insert hits the unique (channel, key) constraint
    # below: the first submission, the usual case, costs no extra query.

    body, errors = _clean_text(text, "text", max_len=MAX_TEXT, required=channel != Incident.Channel.PANIK)
    name, e = _clean_text(reporter_name, "reporter_name", max_len=MAX_NAME, required=False)
    errors += e
    place, e = _clean_text(alamat, "alamat", max_len=300, required=False)
    errors += e
    phone, e = _clean_phone(reporter_phone)
    errors += e

    located = None
    if lat is not None or lon is not None:
        try:
            plat, plon = geo.check_point(lat, lon)
        except ValidationFailed as exc:
            errors += exc.errors
        else:
            located = geo.locate(plat, plon)
            if located is None or located.polsek is None or located.polsek.polres_id != polres.pk:
                errors.append({"field": "lat", "message": f"Lokasi ({plat:.5f}, {plon:.5f}) di luar wilayah hukum "
                                                          f"{polres.nama}."})
    if category is not None and category not in taxonomy.incident_types():
        errors.append({"field": "category", "message": f"Kategori '{category}' tidak dikenal (lihat taksonomi)."})
    if priority is not None and (isinstance(priority, bool) or priority not in (1, 2, 3, 4)):
        errors.append({"field": "priority", "message": "Prioritas harus 1, 2, 3 atau 4."})
    if errors:
        raise ValidationFailed("Laporan tidak dapat disimpan: periksa isian yang ditandai.", errors)

    # Triage: the operator's choice wins; what triage suggested is kept either way.
    from .triage import classify

    suggestion: dict[str, Any] = {}
    if body:
        t = classify(body)
        suggestion = {"category": t.category, "priority": t.priority, "confidence": round(t.confidence, 3),
                      "explanation": t.explanation}
    if channel == Incident.Channel.PANIK:
        final_category = category or suggestion.get("category") or "CURAS"
        final_priority = 1
    else:
        final_category = category or suggestion["category"]
        final_priority = priority or suggestion.get("priority") or taxonomy.incident_types()[final_category].prioritas_default
    overridden = bool(suggestion) and (
        final_category != suggestion.get("category") or final_priority != suggestion.get("priority")
    )

    now = timezone.now()
    # Where the incident belongs, as ids (the locate index already knows them; no extra queries).
    polsek_id: int | None = None
    kel_id: str | None = kelurahan.pk if kelurahan is not None else None
    source = Incident.LocationSource.TIDAK_ADA
    if located is not None and located.polsek is not None:
        polsek_id, kel_id = located.polsek.id, located.kelurahan.kode
        source = Incident.LocationSource.PETA
    elif kelurahan is not None:
        polsek_id = Polsek.objects.filter(polres=polres, kecamatan_id=kelurahan.parent_id).values_list(
            "id", flat=True).first()
        source = Incident.LocationSource.KELURAHAN if location_confirmed else Incident.LocationSource.GAZETTEER

    incident = Incident(
        polres=polres, tracking_code=_tracking_code(), channel=channel, text=body,
        lat=located.lat if located else None, lon=located.lon if located else None, alamat=place,
        location_source=source, location_confirmed=location_confirmed or located is not None,
        kelurahan_id=kel_id, polsek_id=polsek_id, category=final_category, priority=final_priority,
        triage=suggestion, triage_overridden=overridden, routing=routing_for(final_category),
        reporter_name=name, reporter_phone=phone, idempotency_key=key or None,
        is_simulated=is_simulated, created_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    # A new report has no linked reports yet: only the routing can make it a problem for Bagops.
    recompute_bagops(incident, actor, why="")
    draft = _Draft(incident, actor, audit_channel, polres)
    if transaction.get_connection().in_atomic_block:
        return _write_alone(draft)
    return _intake.submit(draft)


@dataclass
class _Draft:
    """A checked report, ready to be written."""

    incident: Incident  # everything but its id and number
    actor: Any
    audit_channel: str
    polres: Polres


def _write(drafts: Sequence[_Draft]) -> None:
    """Insert the reports with their numbers, timeline entries, ledger entries and live events: one multi-row
    INSERT per table whatever the number of reports. Runs inside the caller's transaction."""
    incidents = Incident.objects.bulk_create([d.incident for d in drafts])  # sets the ids
    # The number, e.g. LK-3374-20261128-000123: report, the Polres's kota/kabupaten code, the WIB date, and
    # the id as serial (at least 6 digits). One UPDATE per prefix (usually one for the whole batch).
    by_prefix: dict[str, list[Incident]] = {}
    for d, incident in zip(drafts, incidents, strict=True):
        prefix = f"LK-{d.polres.wilayah_id.replace('.', '')}-{timezone.localtime(incident.created_at):%Y%m%d}-"
        incident.number = f"{prefix}{incident.pk:06d}"
        by_prefix.setdefault(prefix, []).append(incident)
    for prefix, group in by_prefix.items():
        if len(group) == 1:
            Incident.objects.filter(pk=group[0].pk).update(number=group[0].number)
            continue
        serial = Cast("id", output_field=CharField())
        Incident.objects.filter(pk__in=[i.pk for i in group]).update(number=Concat(
            Value(prefix), Case(When(id__lt=1_000_000, then=LPad(serial, 6, Value("0"))), default=serial)))
    timeline = []
    for d, i in zip(drafts, incidents, strict=True):
        timeline.append(IncidentLog(incident=i, created_at=i.created_at, kind="dibuat",
                                    message=f"Laporan diterima lewat {source_display(i, 'channel')}"[:500],
                                    actor_username=_username(d.actor),
                                    data={"category": i.category, "priority": i.priority}))
        entered = bagops_line(i, False, [], d.actor, why="", at=i.created_at)  # a report lifted on arrival
        if entered is not None:
            timeline.append(entered)
        note = bhabin_note(i, i.created_at)
        if note is not None:
            timeline.append(note)
    IncidentLog.objects.bulk_create(timeline)
    audit.record_many([
        audit.entry(d.actor, "kejadian.dibuat", i, channel=d.audit_channel, polres_id=i.polres_id,
                    changes={"kanal": i.channel, "kategori": i.category, "prioritas": i.priority,
                             "polsek": i.polsek_id, "kelurahan": i.kelurahan_id,
                             "triase_dikoreksi": i.triage_overridden, "simulasi": i.is_simulated})
        for d, i in zip(drafts, incidents, strict=True)
    ])
    events.emit_many([
        {"kind": "kejadian.baru", "payload": event_payload(i), "polres_id": i.polres_id, "polsek_id": i.polsek_id,
         "kelurahan_kode": i.kelurahan_id or ""}
        for i in incidents
    ])


def _username(actor: Any) -> str:
    return actor.get_username() if getattr(actor, "is_authenticated", False) else ""


def _earlier(draft: _Draft) -> Incident | None:
    i = draft.incident
    if not i.idempotency_key:
        return None
    return Incident.objects.filter(channel=i.channel, idempotency_key=i.idempotency_key).first()


def _write_alone(draft: _Draft) -> tuple[Incident, bool]:
    """One report in its own transaction (a savepoint inside the caller's). A retry is found by the unique
    (channel, key) constraint: the first submission, the usual case, costs no extra query."""
    try:
        with transaction.atomic():
            _write([draft])
    except IntegrityError:
        draft.incident.pk = None
        existing = _earlier(draft)
        if existing is None:
            raise
        return _same_report(existing, draft), False
    return draft.incident, True


def _write_batch(drafts: Sequence[_Draft]) -> list[tuple[Incident, bool] | BaseException]:
    """The group commit's writer: the batch in one transaction; retries (a key seen before, or twice in the
    batch) get the first incident. Should the batch still hit a constraint (the same key sent to another
    process at the same moment), each report is written on its own so that one does not fail the others."""
    if len(drafts) == 1:
        return [_outcome(_write_alone, drafts[0])]
    by_channel: dict[str, set[str]] = {}
    for d in drafts:
        if d.incident.idempotency_key:
            by_channel.setdefault(d.incident.channel, set()).add(d.incident.idempotency_key)
    seen = Q()
    for channel, keys in by_channel.items():  # (channel, key) is the unique index: one lookup per channel
        seen |= Q(channel=channel, idempotency_key__in=keys)
    known = {(i.channel, i.idempotency_key): i for i in Incident.objects.filter(seen)} if by_channel else {}
    first: dict[tuple[str, str], _Draft] = {}
    new: list[_Draft] = []
    for d in drafts:
        k = (d.incident.channel, d.incident.idempotency_key or "")
        if not k[1] or (k not in known and k not in first):
            new.append(d)
            if k[1]:
                first[k] = d
    try:
        with transaction.atomic():
            _write(new)
    except IntegrityError:
        for d in new:
            d.incident.pk = None
        return [_outcome(_write_alone, d) for d in drafts]
    out: list[tuple[Incident, bool] | BaseException] = []
    for d in drafts:
        k = (d.incident.channel, d.incident.idempotency_key or "")
        if not k[1] or first.get(k) is d:
            out.append((d.incident, True))
        else:
            earlier = known.get(k) or first[k].incident
            out.append(_outcome(lambda d=d, e=earlier: (_same_report(e, d), False)))
    return out


def _outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - this report's own failure, handed to its sender
        return exc


_intake: GroupCommit[_Draft, tuple[Incident, bool]] = GroupCommit(_write_batch, max_batch=64)


def _same_report(existing: Incident, draft: _Draft) -> Incident:
    """A retried submission gets its first incident back — but only the one who sent it: a key guessed or
    reused by another user (or by the public for a staff report) must not reveal someone else's report. And
    only for the same report: a key reused for another text (for a message: another text or sender) is
    refused, so that the second report does not vanish into the first. Compared as stored (after cleaning);
    not the place or category, which the desk may have corrected on the first incident since."""
    who = draft.actor.pk if getattr(draft.actor, "is_authenticated", False) else None
    if existing.created_by_id != who:
        raise Conflict(
            "Kunci idempotensi ini sudah dipakai untuk laporan lain.",
            [{"field": "idempotency_key", "message": "Sudah dipakai untuk laporan lain; buat kunci baru."}],
        )
    fields = ("text", "reporter_phone") if existing.channel == Incident.Channel.PESAN else ("text",)
    if any(getattr(existing, f) != getattr(draft.incident, f) for f in fields):
        raise Conflict(
            "Kunci idempotensi ini sudah dipakai untuk laporan dengan isi lain: kiriman ulang membawa laporan yang "
            "sama; laporan baru perlu kunci baru.",
            [{"field": "idempotency_key", "message": "Sudah dipakai untuk laporan dengan isi lain; buat kunci baru."}],
        )
    return existing



@transaction.atomic
def confirm_triage(
    actor: Any, incident: Incident, *, category: str | None = None, priority: int | None = None, channel: str
) -> Incident:
    """The operator confirms or overrides category and priority; overrides are kept and counted. The Bagops
    flag is recomputed (``recompute_bagops``): reasons of the old category's routing go with it, those of the
    reports linked now stay."""
    if not can(actor, "change_incident"):
        raise PermissionDenied()
    errors: Errors = []
    if category is not None and category not in taxonomy.incident_types():
        errors.append({"field": "category", "message": f"Kategori '{category}' tidak dikenal."})
    if priority is not None and (isinstance(priority, bool) or priority not in (1, 2, 3, 4)):
        errors.append({"field": "priority", "message": "Prioritas harus 1, 2, 3 atau 4."})
    if errors:
        raise ValidationFailed("Triase tidak sah.", errors)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    before = {"category": incident.category, "priority": incident.priority, "bagops": incident.bagops,
              "alasan_bagops": list(incident.bagops_reasons or [])}
    if category:
        incident.category = category
        incident.routing = routing_for(category)
    if priority:
        incident.priority = priority
    s = incident.triage or {}
    incident.triage_overridden = bool(s) and (
        incident.category != s.get("category") or incident.priority != s.get("priority")
    )
    if incident.status == Incident.Status.BARU:
        incident.status = Incident.Status.DIVERIFIKASI
        incident.verified_at = timezone.now()
    corrected = (before["category"], before["priority"]) != (incident.category, incident.priority)
    _log(incident, "diverifikasi", "Triase dikonfirmasi" + (" (dikoreksi)" if corrected else ""), actor,
         category=incident.category, priority=incident.priority)
    recompute_bagops(incident, actor, why="setelah koreksi triase")
    incident.save()
    after = {"category": incident.category, "priority": incident.priority, "bagops": incident.bagops,
             "alasan_bagops": incident.bagops_reasons}
    audit.record(actor, "kejadian.diverifikasi", incident, channel=channel, changes=audit.diff(before, after),
                 polres_id=incident.polres_id)
    emit_incident("kejadian.diperbarui", incident)
    return incident


def log_bagops_change(incident: Incident, was: bool, old_reasons: list[str], actor: Any, *, why: str) -> None:
    """The timeline line when an incident enters or leaves the Bagops queue, or its reasons change."""
    line = bagops_line(incident, was, old_reasons, actor, why=why)
    if line is not None:
        line.save()


def bagops_line(incident: Incident, was: bool, old_reasons: list[str], actor: Any, *, why: str,
                at: datetime | None = None) -> IncidentLog | None:
    """``log_bagops_change``'s line, not saved (the intake writes it with the report's other lines in one
    INSERT); ``None`` when nothing changed."""
    now = list(incident.bagops_reasons or [])
    if incident.bagops and not was:
        message, data = "Diangkat ke Bagops: " + "; ".join(now), {"reasons": now}
    elif was and not incident.bagops:
        message = f"Keluar dari antrean Bagops {why}: alasan tidak berlaku lagi (" + "; ".join(old_reasons) + ")"
        data = {"previous_reasons": old_reasons, "reasons": []}
    elif incident.bagops and now != old_reasons:
        message = f"Alasan Bagops diperbarui {why}: " + "; ".join(now)
        data = {"previous_reasons": old_reasons, "reasons": now}
    else:
        return None
    return IncidentLog(incident=incident, created_at=at or timezone.now(), kind="bagops", message=message[:500],
                       actor_username=_username(actor), data=data)


def reporter_identity(actor: Any, incident: Incident, *, channel: str) -> dict[str, str]:
    """A reporter's name and phone for roles that must call back; every view is written to the ledger."""
    if not can(actor, "view_reporter"):
        raise PermissionDenied("Identitas pelapor hanya untuk petugas yang berwenang.")
    with transaction.atomic():
        audit.record(actor, "kejadian.identitas_pelapor_dilihat", incident, channel=channel,
                     polres_id=incident.polres_id)
    return {"reporter_name": incident.reporter_name, "reporter_phone": incident.reporter_phone}




def _changeable(actor: Any, *incidents: Incident) -> list[Incident]:
    """The incidents locked for update, if the actor may change them all (else 403/404)."""
    if not can(actor, "change_incident"):
        raise PermissionDenied("Peran Anda tidak dapat mengubah laporan kejadian.")
    ids = [i.pk for i in incidents]
    rows = {i.pk: i for i in Incident.objects.restrict(actor, "change").select_for_update().filter(pk__in=ids)
            .order_by("pk")}
    if len(rows) != len(set(ids)):
        raise NotFound("Kejadian tidak ditemukan.")
    return [rows[pk] for pk in ids]


@transaction.atomic
def confirm_location(
    actor: Any,
    incident: Incident,
    *,
    lat: Any = None,
    lon: Any = None,
    kelurahan: Region | str | None = None,
    channel: str,
) -> Incident:
    """The operator fixes where an incident is: a point on the map (``lat``/``lon``), a kelurahan (a
    ``Region`` or its code), or — with neither — confirms the kelurahan already suggested from the text.
    The Polsek follows from the place; the incident's timeline, the ledger and the ops room are told."""
    (incident,) = _changeable(actor, incident)
    polres = incident.polres
    before_polsek, before_kel = incident.polsek_id, incident.kelurahan_id
    before = {"lat": incident.lat, "lon": incident.lon, "kelurahan": incident.kelurahan_id,
              "polsek": incident.polsek_id, "location_confirmed": incident.location_confirmed}
    if lat is not None or lon is not None:
        plat, plon = geo.check_point(lat, lon)
        located = geo.locate(plat, plon)
        if located is None or located.polsek is None or located.polsek.polres_id != polres.pk:
            raise ValidationFailed.field("lat", f"Lokasi ({plat:.5f}, {plon:.5f}) di luar wilayah hukum {polres.nama}.")
        assert located.polsek is not None
        incident.lat, incident.lon = located.lat, located.lon
        incident.kelurahan = Region.objects.get(pk=located.kelurahan.kode)
        incident.polsek = Polsek.objects.get(pk=located.polsek.id)
        incident.location_source = Incident.LocationSource.PETA
    elif kelurahan is not None:
        kode = kelurahan.pk if isinstance(kelurahan, Region) else str(kelurahan)
        kel = Region.objects.filter(pk=kode, level=Region.Level.KELURAHAN).first()
        polsek = Polsek.objects.filter(polres=polres, kecamatan_id=kel.parent_id).first() if kel else None
        if kel is None or polsek is None:
            raise ValidationFailed.field("kelurahan", f"Kelurahan '{kode}' tidak dikenal di wilayah hukum {polres.nama}.")
        if incident.kelurahan_id != kel.pk:
            incident.lat = incident.lon = None  # a point in another kelurahan no longer holds
        incident.kelurahan, incident.polsek = kel, polsek
        incident.location_source = Incident.LocationSource.KELURAHAN
    elif incident.kelurahan_id is None and incident.lat is None:
        raise ValidationFailed.field("kelurahan", "Lokasi belum diketahui: pilih titik di peta atau kelurahan.")
    elif incident.polsek_id is None and incident.kelurahan is not None:
        incident.polsek = Polsek.objects.filter(polres=polres, kecamatan_id=incident.kelurahan.parent_id).first()
    incident.location_confirmed = True
    recompute_bagops(incident, actor, why="setelah koreksi lokasi")
    incident.save()
    after = {"lat": incident.lat, "lon": incident.lon, "kelurahan": incident.kelurahan_id,
             "polsek": incident.polsek_id, "location_confirmed": True}
    where = incident.kelurahan.nama if incident.kelurahan else "-"
    _log(incident, "lokasi_dikonfirmasi", f"Lokasi dikonfirmasi: kelurahan {where}", actor,
         kelurahan=incident.kelurahan_id, polsek=incident.polsek_id)
    if incident.kelurahan_id != before["kelurahan"]:  # a new kelurahan: its Bhabinkamtibmas is told
        note = bhabin_note(incident)
        if note is not None:
            note.save()
    audit.record(actor, "kejadian.lokasi_dikonfirmasi", incident, channel=channel,
                 changes=audit.diff(before, after), polres_id=incident.polres_id)
    emit_incident("kejadian.diperbarui", incident)
    old_polsek, old_kel = before_polsek, before_kel
    if old_polsek is not None and (old_polsek, old_kel) != (incident.polsek_id, incident.kelurahan_id):
        # the territory it left is told too, so that its desks drop it from their queues at once
        events.emit("kejadian.diperbarui", event_payload(incident), polres_id=incident.polres_id,
                    polsek_id=old_polsek, kelurahan_kode=old_kel or "")
    return incident


@transaction.atomic
def link_duplicate(actor: Any, incident: Incident, *, duplicate_of: Incident, channel: str) -> Incident:
    """Mark ``incident`` as a duplicate of ``duplicate_of`` (the main report): status ``duplikat`` (closed),
    its own linked reports move to the main one, and both get their Bagops flag recomputed
    (``recompute_bagops``: the main one counts its reports and their Polsek again; the duplicate keeps only
    what its category gives). Returns the main incident.

    Linking closes the duplicate, so it ends its active assignments as closing does (a unit that arrived
    completes, one still on its way is cancelled; note "laporan ditautkan ke <main>") and their units become
    free: the main report is the one to serve, and the dispatcher sends a unit there if it has none. A
    duplicate thus never holds a unit, and reopening it (``lifecycle.reopen_incident``) starts a clean cycle."""
    from k3i.dispatch.actions import end_assignment
    from k3i.dispatch.models import Assignment, PatrolUnit

    main = Incident.objects.filter(pk=duplicate_of.pk).first()  # as stored now, not as the caller last saw it
    if main is None:
        raise NotFound("Kejadian utama tidak ditemukan.")
    if main.duplicate_of_id is not None:  # link to the root of a chain, never to another duplicate
        main = Incident.objects.get(pk=main.duplicate_of_id)
    if main.pk == incident.pk:
        raise ValidationFailed.field("duplicate_of", "Laporan tidak dapat ditautkan ke dirinya sendiri.")
    incident, main = _changeable(actor, incident, main)
    if main.polres_id != incident.polres_id:
        raise ValidationFailed.field("duplicate_of", "Kejadian utama berada di Polres lain.")
    if incident.status == Incident.Status.DUPLIKAT:
        raise Conflict(f"Laporan {incident.number} sudah ditautkan sebagai duplikat.",
                       [{"field": "duplicate_of", "message": "Laporan ini sudah menjadi duplikat."}])
    if not incident.is_open:
        raise Conflict(f"Laporan {incident.number} sudah ditutup ({source_display(incident, 'status')}).",
                       [{"field": "status", "message": "Laporan yang sudah ditutup tidak dapat ditautkan."}])
    now = timezone.now()
    # The duplicate's units are locked after the incidents, as closing and dispatching lock them.
    active = list(Assignment.objects.filter(incident=incident, status__in=Assignment.ACTIVE).order_by("id"))
    units = PatrolUnit.objects.select_for_update(of=("self",)).select_related("fungsi").in_bulk(
        [a.unit_id for a in active])
    ended, freed = [], []
    for a in active:
        a.incident, a.unit = incident, units[a.unit_id]
        end = Assignment.Status.SELESAI if a.arrived_at else Assignment.Status.DIBATALKAN
        end_assignment(actor, a, end, channel=channel, now=now, note=f"laporan ditautkan ke {main.number}")
        ended.append({"penugasan": a.pk, "unit": a.unit_id, "status": end})
        freed.append(a.unit.callsign)
    before_status = incident.status
    moved = [n or "" for n in Incident.objects.filter(duplicate_of=incident).values_list("number", flat=True)]
    if moved:
        Incident.objects.filter(duplicate_of=incident).update(duplicate_of=main)
    incident.status = Incident.Status.DUPLIKAT
    incident.duplicate_of = main
    incident.closed_at = now
    message = f"Ditautkan sebagai duplikat dari {main.number}"
    if ended:
        message += (f"; penugasan diakhiri, unit bebas: {', '.join(freed)}"
                    f" (tugaskan ke {main.number} bila perlu)")
    _log(incident, "ditautkan", message, actor, duplicate_of=main.pk, assignments=ended)
    recompute_bagops(incident, actor, why="setelah ditautkan sebagai duplikat")
    incident.save()
    _log(main, "laporan_tertaut", f"Laporan {incident.number} ditautkan ke kejadian ini"
         + (f" (bersama {', '.join(moved)})" if moved else ""), actor, linked=incident.pk)
    was_bagops, old_reasons = recompute_bagops(main, actor, why="setelah laporan ditautkan")
    main.save()
    audit.record(actor, "kejadian.ditautkan", incident, channel=channel, polres_id=incident.polres_id,
                 changes={"status": [before_status, incident.status], "duplikat_dari": main.number,
                          "ikut_dipindah": moved, "bagops_utama": [was_bagops, main.bagops],
                          "alasan_bagops_utama": [old_reasons, main.bagops_reasons],
                          "penugasan_diakhiri": ended})
    emit_incident("kejadian.diperbarui", incident)
    emit_incident("kejadian.diperbarui", main)
    return main
