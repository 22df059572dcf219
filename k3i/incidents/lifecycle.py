"""The end of an incident's life, and a second life: closing with a disposition, reopening.

Dispatch drives the open states (``ditugaskan`` on the first dispatch, ``ditangani`` on the first arrival:
``k3i.dispatch.actions``). Closing needs the outcome — ``selesai``, ``tidak_terbukti`` or ``dibatalkan`` —
with a disposition code of that outcome and a note; it ends every active assignment (a unit that arrived
completes it, one still on its way is cancelled) and frees the units (linking a duplicate does the same,
``actions.link_duplicate``). Reopening needs a reason and starts a new service cycle (the SLA timers and the
escalation run again); a duplicate is reopened by unlinking it from its main report. Both are written to the
timeline, the audit ledger and the live events.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from k3i.core import audit
from k3i.core.access import can
from k3i.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from k3i.core.i18n import source_display

from .actions import _log, emit_incident, recompute_bagops
from .models import Incident

S = Incident.Status
CLOSING_STATUSES = (S.SELESAI, S.TIDAK_TERBUKTI, S.DIBATALKAN)
REOPENABLE = (S.SELESAI, S.TIDAK_TERBUKTI, S.DIBATALKAN, S.DUPLIKAT)
MAX_NOTE = 2000

# Disposition codes per closing status → label (Indonesian; marked for translation, translated where shown).
DISPOSITIONS: dict[str, dict[str, str]] = {
    S.SELESAI: {
        "ditangani_di_tkp": gettext_noop("Ditangani/diselesaikan di TKP"),
        "pelaku_diamankan": gettext_noop("Pelaku diamankan"),
        "dibuat_laporan_polisi": gettext_noop("Dibuatkan laporan polisi (diteruskan ke penyidik)"),
        "mediasi": gettext_noop("Diselesaikan secara kekeluargaan / keadilan restoratif"),
        "diserahkan_instansi": gettext_noop("Diserahkan ke instansi lain (Damkar, BPBD, Dinkes, …)"),
        "bantuan_diberikan": gettext_noop("Bantuan/layanan diberikan"),
    },
    S.TIDAK_TERBUKTI: {
        "tidak_ditemukan": gettext_noop("Tidak ditemukan kejadian di lokasi"),
        "laporan_palsu": gettext_noop("Laporan palsu / iseng"),
        "sudah_selesai": gettext_noop("Sudah selesai sebelum petugas tiba"),
    },
    S.DIBATALKAN: {
        "dibatalkan_pelapor": gettext_noop("Dibatalkan oleh pelapor"),
        "di_luar_wilayah": gettext_noop("Di luar wilayah hukum (diteruskan)"),
        "kesalahan_input": gettext_noop("Kesalahan input"),
        "bukan_kewenangan_polri": gettext_noop("Bukan kewenangan Polri"),
    },
}


def disposition_choices(status: str) -> dict[str, str]:
    return dict(DISPOSITIONS.get(status, {}))


def disposition_label(status: str, code: str) -> str:
    """The closing outcome as people read it ("pelaku_diamankan" → "Pelaku diamankan", translated); a code
    found under no closing status is shown as it is."""
    label = DISPOSITIONS.get(status, {}).get(code)
    if label is None:
        label = next((codes[code] for codes in DISPOSITIONS.values() if code in codes), None)
    return gettext(label) if label else code


def _check_access(actor: Any, incident: Incident) -> None:
    if actor is None:
        return
    if not Incident.objects.restrict(actor, "view").filter(pk=incident.pk).exists():
        raise NotFound("Kejadian tidak ditemukan.")
    if not can(actor, "change_incident"):
        raise PermissionDenied("Peran Anda tidak dapat menutup atau membuka kembali kejadian.")


def _clean_note(note: Any, field: str, what: str) -> str:
    text = note.replace("\x00", "").strip() if isinstance(note, str) else ""
    if len(text) < 3:
        raise ValidationFailed.field(field, f"{what} wajib diisi (minimal 3 karakter).")
    if len(text) > MAX_NOTE:
        raise ValidationFailed.field(field, f"{what} terlalu panjang (paling banyak {MAX_NOTE} karakter).")
    return text


def close_incident(actor: Any, incident: Incident, *, status: str, disposition: str, note: str,
                   channel: str) -> Incident:
    """Close an open incident as ``selesai``, ``tidak_terbukti`` or ``dibatalkan`` (cancel) with a disposition
    code of that status (``DISPOSITIONS``) and a note. Active assignments end (arrived: ``selesai``, else
    ``dibatalkan``) and their units become free. ``actor`` needs ``change_incident`` in the incident's
    territory (404 outside it); ``None`` is the system."""
    from k3i.dispatch.actions import end_assignment
    from k3i.dispatch.models import Assignment, PatrolUnit

    _check_access(actor, incident)
    errors = []
    if status not in CLOSING_STATUSES:
        errors.append({"field": "status", "message": "Status penutupan harus salah satu dari: "
                                                     + ", ".join(CLOSING_STATUSES) + "."})
    elif disposition not in DISPOSITIONS[status]:
        errors.append({"field": "disposition", "message": f"Hasil penanganan '{disposition}' tidak dikenal untuk "
                                                          f"status {status} (pilih: " + ", ".join(DISPOSITIONS[status]) + ")."})
    if errors:
        raise ValidationFailed("Penutupan kejadian tidak sah: " + errors[0]["message"], errors)
    note = _clean_note(note, "note", "Catatan penutupan")
    now = timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if not incident.is_open:
            raise Conflict(f"Kejadian {incident.number} sudah ditutup ({source_display(incident, 'status')}): "
                           "buka kembali dahulu bila perlu ditangani lagi.",
                           [{"field": "status", "message": "kejadian sudah ditutup"}])
        active = list(Assignment.objects.filter(incident=incident, status__in=Assignment.ACTIVE).order_by("id"))
        units = PatrolUnit.objects.select_for_update(of=("self",)).select_related("fungsi").in_bulk(
            [a.unit_id for a in active])
        ended = []
        for a in active:
            a.incident, a.unit = incident, units[a.unit_id]
            end = Assignment.Status.SELESAI if a.arrived_at else Assignment.Status.DIBATALKAN
            end_assignment(actor, a, end, channel=channel, now=now, note=f"kejadian ditutup: {status}")
            ended.append({"penugasan": a.pk, "unit": a.unit_id, "status": end})
        before = incident.status
        incident.status, incident.disposition, incident.disposition_note = status, disposition, note
        incident.closed_at = now
        incident.save(update_fields=["status", "disposition", "disposition_note", "closed_at", "updated_at"])
        label = DISPOSITIONS[status][disposition]
        _log(incident, "ditutup", f"Ditutup: {source_display(incident, 'status')} — {label}", actor,
             status=status, disposition=disposition, note=note, assignments=ended)
        audit.record(actor, "kejadian.ditutup", incident, channel=channel, polres_id=incident.polres_id, changes={
            "status": [before, status], "hasil": disposition, "catatan": note, "penugasan_diakhiri": ended,
        })
        emit_incident("kejadian.diperbarui", incident)
    return incident


def reopen_incident(actor: Any, incident: Incident, *, reason: str, channel: str) -> Incident:
    """Reopen a closed incident (``selesai``/``tidak_terbukti``/``dibatalkan``) — or unlink a duplicate
    (``duplikat``) from its main report — with a reason: it goes back to ``diverifikasi`` (or ``baru`` when
    never verified) to be dispatched again.

    A new service cycle starts (``cycle_started_at``): the times of the cycle that ended (dispatched, arrived,
    escalated, closed) and the earlier disposition are written to the timeline and the ledger, then cleared,
    so that the SLA timers, breach alerts and the escalation of a priority 1 run again from the reopening and
    ``/lacak/`` shows the progress of the new cycle.

    Closing and linking end every active assignment, so a closed incident normally holds no unit. One that
    still does (a duplicate linked before linking ended them) is not waiting for dispatch: its cycle goes on
    — status ``ditangani`` when a unit on it has arrived, else ``ditugaskan``; cycle start, dispatched,
    arrived and escalated times kept — so that the queue, the SLA clocks and the escalation see it served.

    The Bagops flag is recomputed (``actions.recompute_bagops``) for the reopened incident and, for a
    duplicate, for the main report it leaves: each counts only the reports linked to it now."""
    from k3i.dispatch.models import Assignment

    _check_access(actor, incident)
    reason = _clean_note(reason, "reason", "Alasan membuka kembali")
    now = timezone.now()
    with transaction.atomic():
        # Locked with its main report (a duplicate's), in id order as ``link_duplicate`` does.
        main_id = Incident.objects.filter(pk=incident.pk).values_list("duplicate_of_id", flat=True).first()
        ids = [pk for pk in (incident.pk, main_id) if pk is not None]
        locked = Incident.objects.select_for_update().filter(pk__in=ids).order_by("pk")
        incident = {i.pk: i for i in locked}[incident.pk]
        if incident.status not in REOPENABLE:
            raise Conflict(
                f"Kejadian {incident.number} masih terbuka ({source_display(incident, 'status')}): hanya kejadian "
                "yang sudah ditutup (selesai, tidak terbukti, dibatalkan, duplikat) yang dapat dibuka kembali.",
                [{"field": "status", "message": "kejadian masih terbuka"}],
            )
        main = _main_of_duplicate(actor, incident)
        on_it = list(Assignment.objects.filter(incident=incident, status__in=Assignment.ACTIVE)
                     .values_list("status", flat=True))
        ended = {
            "mulai": _iso(incident.service_started_at), "ditugaskan": _iso(incident.dispatched_at),
            "tiba": _iso(incident.arrived_at), "dinaikkan": _iso(incident.escalated_at),
            "ditutup": _iso(incident.closed_at),
        }
        before = {"status": incident.status, "hasil": incident.disposition, "catatan": incident.disposition_note}
        incident.disposition, incident.disposition_note, incident.closed_at = "", "", None
        incident.duplicate_of = None
        if on_it:  # units still on it: the cycle goes on (see above)
            incident.status = S.DITANGANI if Assignment.Status.TIBA in on_it else S.DITUGASKAN
            incident.dispatched_at = incident.dispatched_at or now
            cycle = f"siklus berlanjut, {len(on_it)} unit masih bertugas"
        else:
            incident.status = S.DIVERIFIKASI if incident.verified_at else S.BARU
            incident.cycle_started_at = now
            incident.dispatched_at = incident.arrived_at = incident.escalated_at = None
            cycle = _summary(ended)
        if main is not None:
            message = f"Tautan duplikat ke {main.number} dilepas, dibuka kembali ({cycle}): {reason}"
        else:
            message = f"Dibuka kembali ({cycle}): {reason}"
        _log(incident, "dibuka_kembali", message, actor, reason=reason, previous_status=before["status"],
             previous_disposition=before["hasil"], previous_cycle=None if on_it else ended,
             units_on_it=len(on_it), duplicate_of=main.pk if main is not None else None)
        was_bagops, old_reasons = recompute_bagops(incident, actor, why="setelah dibuka kembali")
        incident.save(update_fields=["status", "disposition", "disposition_note", "closed_at", "duplicate_of",
                                     "cycle_started_at", "dispatched_at", "arrived_at", "escalated_at",
                                     "bagops", "bagops_reasons", "updated_at"])
        changes: dict[str, Any] = {
            "status": [before["status"], incident.status], "hasil_sebelumnya": before["hasil"],
            "catatan_sebelumnya": before["catatan"], "ditutup_sebelumnya": ended["ditutup"],
            "siklus_sebelumnya": None if on_it else ended,
            "siklus_baru_mulai": None if on_it else _iso(now), "unit_masih_bertugas": len(on_it),
            "alasan": reason, "bagops": [was_bagops, incident.bagops],
            "alasan_bagops": [old_reasons, incident.bagops_reasons],
        }
        if main is not None:
            changes.update(_unlink(actor, incident, main, reason))
        audit.record(actor, "kejadian.dibuka_kembali", incident, channel=channel, polres_id=incident.polres_id,
                     changes=changes)
        emit_incident("kejadian.diperbarui", incident)
        if main is not None:
            emit_incident("kejadian.diperbarui", main)
    return incident


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _summary(cycle: dict[str, str | None]) -> str:
    """"siklus sebelumnya: mulai 28-11 10:00, ditugaskan 10:01, …" in WIB, for the timeline."""
    parts = []
    for key, iso in cycle.items():
        if iso:
            parts.append(f"{key} {timezone.localtime(datetime.fromisoformat(iso)):%d-%m %H:%M:%S}")
    return "siklus sebelumnya: " + ", ".join(parts)


def _main_of_duplicate(actor: Any, incident: Incident) -> Incident | None:
    """The main report of a duplicate being reopened (locked already); the actor must be able to change it too,
    as for linking, else 404."""
    if incident.status != S.DUPLIKAT or incident.duplicate_of_id is None:
        return None
    qs = Incident.objects.all() if actor is None else Incident.objects.restrict(actor, "change")
    main = qs.select_for_update().filter(pk=incident.duplicate_of_id).first()
    if main is None:
        raise NotFound("Kejadian utama dari duplikat ini tidak ditemukan.")
    return main


def _unlink(actor: Any, incident: Incident, main: Incident, reason: str) -> dict[str, Any]:
    """The main report after ``incident`` left it (already saved unlinked): its timeline told, its Bagops flag
    recomputed (``recompute_bagops``). Returns the ledger's part about it."""
    _log(main, "tautan_dilepas", f"Laporan {incident.number} dilepas dari kejadian ini: {reason}", actor,
         unlinked=incident.pk, reason=reason)
    was, old = recompute_bagops(main, actor, why="setelah tautan duplikat dilepas")
    main.save(update_fields=["bagops", "bagops_reasons", "updated_at"])
    return {"duplikat_dari": main.number, "bagops_utama": [was, main.bagops],
            "alasan_bagops_utama": [old, main.bagops_reasons]}
