"""Reads of incidents, always through ``restrict(user, "view")``: outside a user's scope an incident is
absent (404), never forbidden. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from k3i.core.errors import NotFound

from .models import Incident, IncidentLog


def visible_incidents(user: Any, action: str = "view") -> QuerySet[Incident]:
    return Incident.objects.restrict(user, action).select_related("kelurahan", "polsek")


def incident_list(
    user: Any,
    *,
    status: str | None = None,
    priority: int | None = None,
    polsek: int | None = None,
    category: str | None = None,
    bagops: bool | None = None,
    open: bool | None = None,  # noqa: A002 - the API's filter name
    kelurahan: str | None = None,
    triage_overridden: bool | None = None,
) -> QuerySet[Incident]:
    """The incidents a user may see, newest first, optionally filtered."""
    qs = visible_incidents(user)
    if status:
        qs = qs.filter(status=status)
    if priority is not None:
        qs = qs.filter(priority=priority)
    if polsek is not None:
        qs = qs.filter(polsek_id=polsek)
    if category:
        qs = qs.filter(category=category)
    if bagops is not None:
        qs = qs.filter(bagops=bagops)
    if kelurahan:
        qs = qs.filter(kelurahan_id=kelurahan)
    if triage_overridden is not None:
        qs = qs.filter(triage_overridden=triage_overridden)
    if open is True:
        qs = qs.filter(status__in=Incident.OPEN_STATUSES)
    elif open is False:
        qs = qs.exclude(status__in=Incident.OPEN_STATUSES)
    return qs.order_by("-created_at", "-id")


def incident_detail(user: Any, pk: int) -> Incident:
    """One incident if the user may see it, else ``NotFound`` (404)."""
    incident = visible_incidents(user).select_related("duplicate_of").filter(pk=pk).first()
    if incident is None:
        raise NotFound("Kejadian tidak ditemukan.")
    return incident


def timeline(incident: Incident) -> QuerySet[IncidentLog]:
    return IncidentLog.objects.filter(incident=incident).order_by("created_at", "id")


def linked_reports(user: Any, incident: Incident) -> QuerySet[Incident]:
    """Reports linked to this one as duplicates, as far as the user may see them."""
    return visible_incidents(user).filter(duplicate_of=incident).order_by("created_at", "id")


def by_tracking_code(code: str) -> Incident | None:
    """The public lookup: an incident by its tracking code (case and separators ignored), or ``None``."""
    clean = normalise_code(code)
    if not clean:
        return None
    return Incident.objects.select_related("polsek", "kelurahan").filter(tracking_code=clean).first()


def normalise_code(code: str) -> str:
    """"abcd-efgh 23" → "ABCDEFGH23"; anything that cannot be a code → ""."""
    clean = "".join(ch for ch in (code or "")[:40] if ch.isalnum()).upper()
    return clean if 6 <= len(clean) <= 12 and clean.isascii() else ""


def _public_messages() -> dict[str, str]:
    return {
        Incident.Status.BARU: _("Laporan Anda sudah diterima dan menunggu diperiksa petugas."),
        Incident.Status.DIVERIFIKASI: _("Laporan sudah diperiksa petugas dan sedang diteruskan ke unit di lapangan."),
        Incident.Status.DITUGASKAN: _("Petugas sudah ditugaskan ke lokasi."),
        Incident.Status.DITANGANI: _("Petugas sedang menangani kejadian di lokasi."),
        Incident.Status.SELESAI: _("Penanganan sudah selesai. Terima kasih atas laporan Anda."),
        Incident.Status.DIBATALKAN: _("Laporan ini dibatalkan."),
        Incident.Status.TIDAK_TERBUKTI: _("Laporan sudah diperiksa di lokasi; kejadian tidak terbukti."),
        Incident.Status.DUPLIKAT: _("Laporan Anda digabung dengan laporan lain tentang kejadian yang sama."),
    }


def public_view(incident: Incident) -> dict[str, Any]:
    """What the holder of a tracking code may see: status and progress, never a name, phone, text or the
    number of another report. A report merged into another shows the progress of the one being handled.
    A reopened report shows the progress of its current service cycle, after a step "dibuka kembali" (the
    times of the earlier cycle are in the staff timeline, not here)."""
    merged = incident.status == Incident.Status.DUPLIKAT and incident.duplicate_of_id is not None
    shown = incident.duplicate_of if merged and incident.duplicate_of else incident
    closed = shown.status not in Incident.OPEN_STATUSES
    reopened = shown.cycle_started_at is not None
    done = {
        "diterima": True,
        "diverifikasi": shown.verified_at is not None or shown.status != Incident.Status.BARU,
        "dibuka_kembali": True,
        "ditugaskan": shown.dispatched_at is not None,
        "tiba": shown.arrived_at is not None,
        "selesai": closed,
    }
    steps = [
        ("diterima", _("Laporan diterima"), incident.created_at),
        ("diverifikasi", _("Diperiksa petugas"), shown.verified_at),
        *([("dibuka_kembali", _("Dibuka kembali untuk ditangani lagi"), shown.cycle_started_at)] if reopened else []),
        ("ditugaskan", _("Petugas ditugaskan"), shown.dispatched_at),
        ("tiba", _("Petugas tiba di lokasi"), shown.arrived_at),
        ("selesai", shown.get_status_display() if closed else _("Selesai"), shown.closed_at if closed else None),
    ]
    out_steps = [{"key": k, "label": str(label), "done": done[k], "at": at} for k, label, at in steps]
    messages = _public_messages()
    if reopened and not closed:
        for status in (Incident.Status.BARU, Incident.Status.DIVERIFIKASI):
            messages[status] = _("Laporan dibuka kembali untuk ditangani lagi.") + " " + messages[status]
    return {
        "number": incident.number,
        "status": shown.status,
        "status_label": shown.get_status_display(),
        "category_label": incident.get_category_display(),
        "polsek": shown.polsek.nama if shown.polsek_id and shown.polsek else None,
        "created_at": incident.created_at,
        "merged": merged,
        "steps": out_steps,
        "message": str(messages[Incident.Status.DUPLIKAT] + " " + messages[shown.status] if merged
                       else messages[shown.status]),
    }
