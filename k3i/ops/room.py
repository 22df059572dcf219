"""The operations room (``ops/``): live map, queues, the incident page, the 110 call-taker screen and the
patrol officer's phone view.

Thin views: read through ``restrict`` (a record outside the user's scope is a 404), write only through
the actions of ``k3i.incidents`` and ``k3i.dispatch``, render. Pages follow ``/ops/stream`` (server-sent
events) with ``k3i/static/k3i/room.js``: no inline script (CSP), data reaches the script through
``json_script`` and ``data-*`` attributes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from k3i.accounts.decorators import login_required_2fa as login_required
from k3i.core.access import can
from k3i.core.errors import K3iError, ValidationFailed
from k3i.dispatch import staleness
from k3i.dispatch.models import Assignment, PatrolUnit, UnitStatus
from k3i.incidents import lifecycle, sla, taxonomy
from k3i.incidents.models import Incident, IncidentLog
from k3i.incidents.views import is_utf8
from k3i.organization import selectors
from k3i.organization.geo import bhabin_for
from k3i.organization.models import Polres, Region, polres_for

from .views import map_labels

CHANNEL = "web"  # audit channel of everything done on these pages
MAP_LIMIT = 500  # open incidents drawn on the live map (newest first)
QUEUE_LIMIT = 100  # rows per queue



# --- helpers -------------------------------------------------------------------------------------


def _require(user: Any, permission: str) -> None:
    """A role without the permission does not see the page at all (404, as outside its scope)."""
    if not can(user, permission):
        raise Http404


def dispatch_target_seconds(priority: int) -> int | None:
    return sla.dispatch_target(priority)


def arrival_target_seconds(priority: int) -> int | None:
    return sla.arrive_target(priority)


def stale_minutes() -> int:
    return int(staleness.stale_after().total_seconds() // 60)


def unit_status_label(status: str) -> str:
    return staleness.status_label(status)


def category_name(code: str) -> str:
    t = taxonomy.incident_types().get(code)
    return t.nama if t else code


def visible_incidents(user: Any) -> QuerySet[Incident]:
    return Incident.objects.restrict(user, "view").select_related("kelurahan", "polsek")


def get_incident(user: Any, pk: int) -> Incident:
    """The incident if the user may see it, else 404 (never 403)."""
    _require(user, "view_incident")
    incident = visible_incidents(user).filter(pk=pk).first()
    if incident is None:
        raise Http404("Kejadian tidak ditemukan.")
    return incident


def stream_url() -> str:
    """``/ops/stream`` starting right after the newest event *now*: taken before the page reads its data,
    so that nothing written between rendering and the browser's connection is missed."""
    from k3i.core.events import latest_id

    return f"{reverse('ops:stream')}?last_event_id={latest_id()}"


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _error(request: HttpRequest, exc: K3iError) -> None:
    details = "; ".join(e["message"] for e in exc.errors if e.get("message") and e["message"] not in exc.detail)
    messages.error(request, exc.detail + (f" ({details})" if details else ""))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- data for the live map -----------------------------------------------------------------------


def incident_json(i: Incident) -> dict[str, Any]:
    """An incident as the live map draws it (the same keys as the live event's payload, plus names)."""
    return {
        "id": i.pk, "number": i.number, "status": i.status, "category": i.category,
        "category_name": category_name(i.category), "priority": i.priority, "lat": i.lat, "lon": i.lon,
        "kelurahan": i.kelurahan_id, "polsek_id": i.polsek_id, "bagops": i.bagops,
        "escalated": i.escalated_at is not None, "created_at": _iso(i.created_at), "simulated": i.is_simulated,
    }


def unit_json(u: PatrolUnit, now: datetime, active: dict[int, Assignment]) -> dict[str, Any]:
    has_position = u.last_lat is not None and u.last_lon is not None
    a = active.get(u.pk)
    return {
        "id": u.pk, "callsign": u.callsign, "tipe": u.tipe, "status": u.status,
        "status_label": unit_status_label(u.status), "polsek_id": u.polsek_id,
        "lat": u.last_lat if has_position else u.home_lat, "lon": u.last_lon if has_position else u.home_lon,
        "position_at": _iso(u.last_position_at), "has_position": has_position,
        "stale": staleness.is_stale(u, now), "incident_id": a.incident_id if a else None,
    }


def live_map_data(user: Any) -> dict[str, Any]:
    """Open incidents and active units the user may see (what ``/ops/peta`` draws and re-reads)."""
    now = timezone.now()
    incidents = list(visible_incidents(user).filter(status__in=Incident.OPEN_STATUSES).order_by("-created_at")[:MAP_LIMIT])
    units = list(selectors.visible_units(user))
    active = {
        a.unit_id: a
        for a in Assignment.objects.filter(unit__in=[u.pk for u in units], status__in=Assignment.ACTIVE)
    }
    return {
        "now": now.isoformat(),
        "stale_minutes": stale_minutes(),
        "incidents": [incident_json(i) for i in incidents],
        "units": [unit_json(u, now, active) for u in units],
    }


def _kelurahan_points(polres: Polres | None) -> dict[str, list[float]]:
    """Representative point of every kelurahan: where an incident located only by kelurahan is drawn."""
    if polres is None:
        return {}
    qs = Region.objects.filter(
        level=Region.Level.KELURAHAN, parent__polsek__polres=polres, lat__isnull=False, lon__isnull=False
    ).values_list("kode", "lat", "lon")
    return {kode: [float(lat or 0), float(lon or 0)] for kode, lat, lon in qs}


def live_map_labels() -> dict[str, str]:
    return {
        **map_labels(),
        "incidents": _("Kejadian terbuka"),
        "live_units": _("Unit patroli (posisi langsung)"),
        "stale": _("posisi basi"),
        "no_position": _("belum ada posisi (di pangkalan)"),
        "last_position": _("posisi terakhir"),
        "open_incident": _("Buka kejadian"),
        "approx": _("lokasi perkiraan (pusat kelurahan)"),
        "assigned_to": _("menangani kejadian"),
        "priority": _("Prioritas"),
        "connected": _("Langsung"),
        "disconnected": _("Terputus — menyambung ulang…"),
        "new_incident": _("Kejadian baru"),
    }


# --- pages: live map -----------------------------------------------------------------------------


@login_required
@require_GET
def peta(request: HttpRequest) -> HttpResponse:
    """``/ops/peta``: incidents by priority, units by state (stale greyed), Polsek areas — live."""
    user = request.user
    _require(user, "view_incident")
    stream = stream_url()
    geo = selectors.jurisdiction_geojson(user)
    # The live map shows live units, not home bases or Pospol; Bhabinkamtibmas gaps belong to the overview.
    geo["units"] = {"type": "FeatureCollection", "features": []}
    geo["pospol"] = {"type": "FeatureCollection", "features": []}
    for f in geo["kelurahan"]["features"]:
        f["properties"]["gap"] = False
    geo["labels"] = live_map_labels()
    live = live_map_data(user)
    live["kelurahan_points"] = _kelurahan_points(polres_for(user))
    live["incident_url"] = reverse("ops:kejadian", args=[0])
    live["data_url"] = reverse("ops:peta_data")
    live["labels"] = geo["labels"]
    live["categories"] = {t.kode: t.nama for t in taxonomy.incident_types().values()}
    live["statuses"] = {str(v): str(label) for v, label in Incident.Status.choices}
    live["unit_statuses"] = staleness.status_labels()  # live events carry the installation's language
    return render(request, "ops/room/peta.html", {
        "map_data": geo, "live": live, "stream_url": stream,
        "legend_priorities": [(p, taxonomy.priorities()[p].nama) for p in (1, 2, 3, 4)],
        "legend_units": [(s.value, unit_status_label(s.value)) for s in UnitStatus],
    })


@login_required
@require_GET
def peta_data(request: HttpRequest) -> JsonResponse:
    """The live map's data again (after a reconnect, or for a unit it did not know)."""
    _require(request.user, "view_incident")
    return JsonResponse(live_map_data(request.user))


# --- pages: queues -------------------------------------------------------------------------------


@dataclass
class QueueRow:
    incident: Incident
    deadline: datetime | None  # the target this row counts down to
    target_label: str
    reasons: list[str]

    @property
    def category_name(self) -> str:
        return category_name(self.incident.category)

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.deadline < timezone.now()


@dataclass
class Queue:
    key: str
    title: str
    hint: str
    rows: list[QueueRow]


def _dispatch_row(i: Incident, reasons: list[str] | None = None) -> QueueRow:
    target = dispatch_target_seconds(i.priority)
    if not target:  # priority 4: no dispatch target (no countdown) — say so rather than a bare label
        return QueueRow(i, None, _("tanpa target penugasan"), reasons or [])
    return QueueRow(i, i.service_started_at + timedelta(seconds=target), _("target penugasan"), reasons or [])


def _arrival_row(i: Incident, reasons: list[str] | None = None) -> QueueRow:
    if i.arrived_at:
        return QueueRow(i, None, _("sudah tiba"), reasons or [])
    target = arrival_target_seconds(i.priority)
    if not target:  # priority 4: no arrival target
        return QueueRow(i, None, _("tanpa target tiba"), reasons or [])
    return QueueRow(i, i.service_started_at + timedelta(seconds=target), _("target tiba"), reasons or [])


def _row(i: Incident, reasons: list[str] | None = None) -> QueueRow:
    if i.status in (Incident.Status.BARU, Incident.Status.DIVERIFIKASI):
        return _dispatch_row(i, reasons)
    return _arrival_row(i, reasons)


def queues(user: Any) -> list[Queue]:
    open_ = visible_incidents(user).filter(status__in=Incident.OPEN_STATUSES).order_by("priority", "created_at")
    S = Incident.Status

    def rows(qs: QuerySet[Incident], make: Any = _row, bagops: bool = False) -> list[QueueRow]:
        return [make(i, list(i.bagops_reasons or []) if bagops else None) for i in qs[:QUEUE_LIMIT]]

    return [
        Queue("baru", _("Baru"), _("belum diverifikasi; hitung mundur ke target penugasan"),
              rows(open_.filter(status=S.BARU), _dispatch_row)),
        Queue("menunggu", _("Menunggu penugasan"), _("sudah diverifikasi, belum ada unit"),
              rows(open_.filter(status=S.DIVERIFIKASI), _dispatch_row)),
        Queue("aktif", _("Aktif"), _("unit ditugaskan atau menangani; hitung mundur ke target tiba"),
              rows(open_.filter(status__in=[S.DITUGASKAN, S.DITANGANI]), _arrival_row)),
        Queue("eskalasi", _("Dinaikkan ke K3i Polres"), _("melewati target dan dinaikkan"),
              rows(open_.filter(escalated_at__isnull=False))),
        Queue("bagops", _("Bagops"), _("lintas wilayah, fungsi atau instansi; dengan alasannya"),
              rows(open_.filter(bagops=True), bagops=True)),
    ]


@login_required
@require_GET
def antrian(request: HttpRequest) -> HttpResponse:
    """``/ops/antrian``: the queues with countdowns; ``?bagian=1`` (or an HTMX request) is the queues only."""
    _require(request.user, "view_incident")
    stream = stream_url()
    ctx = {"queues": queues(request.user), "now": timezone.now(), "stream_url": stream}
    if request.GET.get("bagian") or request.headers.get("HX-Request"):
        return render(request, "ops/room/_queues.html", ctx)
    return render(request, "ops/room/antrian.html", ctx)


# --- pages: the incident -------------------------------------------------------------------------


@dataclass
class RecRow:
    """One recommendation as the page shows it: ETA and distance written by the same functions as the reason
    "R2, ±5 menit (1,8 km)" (``recommend.minutes_text``, ``km_text``), from the whole seconds and metres of the
    recommendation, so the header and the reason say the same time."""

    rank: int
    unit: PatrolUnit
    eta_seconds: int | None
    eta_text: str  # "±5 menit"
    km: str  # "1,8 km"
    reasons: list[str]
    stale: bool
    pull_from: Assignment | None


def _recommendations(incident: Incident, user: Any) -> tuple[list[RecRow], str]:
    """The page's suggestions: the same ranking as the API and ``dispatch_unit`` (``recommend_for``: only
    units this user may send, so a Kapolsek is never offered another Polsek's or a Mapolres unit)."""
    if not incident.is_open:
        return [], ""
    from k3i.dispatch.recommend import has_location, km_text, minutes_text, recommend_for

    if not has_location(incident):
        return [], _("Lokasi kejadian belum diketahui: tetapkan lokasinya untuk mendapat saran unit. Unit tetap "
                     "dapat ditugaskan lewat “Pilih unit lain” dengan alasan.")
    try:
        recs = list(recommend_for(user, incident, limit=5))
    except K3iError as exc:
        return [], exc.detail
    rows = []
    for rank, r in enumerate(recs, start=1):
        eta = int(r.eta_seconds) if r.eta_seconds is not None else None
        rows.append(RecRow(
            rank=rank, unit=r.unit, eta_seconds=eta, eta_text=minutes_text(eta) if eta is not None else "",
            km=km_text(r.distance_m) if r.distance_m is not None else "",
            reasons=list(r.reasons), stale=bool(r.stale), pull_from=r.pull_from,
        ))
    return rows, ""


def _likely_duplicates(incident: Incident, user: Any) -> list[tuple[Incident, list[str]]]:
    if not incident.is_open or incident.duplicate_of_id:
        return []
    from k3i.incidents.duplicates import likely_duplicates

    found = list(likely_duplicates(incident))
    if not found:
        return []
    visible = set(visible_incidents(user).filter(pk__in=[d.pk for d, _r in found]).values_list("pk", flat=True))
    return [(d, list(r)) for d, r in found if d.pk in visible]


def _timeline(incident: Incident) -> list[IncidentLog]:
    """The incident's timeline, newest first, each line with ``actor_name``: the rank and name of the account's
    personel record ("Bripka Ahmad Nurcahyo"), else the account's full name, else its username."""
    from k3i.accounts.models import User

    lines = list(IncidentLog.objects.filter(incident=incident).order_by("-created_at", "-id")[:200])
    names = {e.actor_username for e in lines if e.actor_username}
    shown: dict[str, str] = {}
    for u in User.objects.filter(username__in=names, polres_id=incident.polres_id).select_related("personel"):
        p = u.personel
        shown[u.username] = str(p) if p is not None else u.get_full_name() or u.username  # "Bripka Nama"
    for e in lines:
        e.actor_name = shown.get(e.actor_username, e.actor_username)  # type: ignore[attr-defined]
    return lines


def _live_context(incident: Incident, user: Any) -> dict[str, Any]:
    """The parts of the incident page that change while it is open (refreshed live)."""
    assignments = list(incident.assignments.select_related("unit", "assigned_by").order_by("-assigned_at"))
    next_steps = {a.pk: _next_steps(a) for a in assignments}
    return {
        "incident": incident,
        "assignments": [(a, next_steps[a.pk]) for a in assignments],
        "timeline": _timeline(incident),
        "row": _row(incident) if incident.is_open else None,
        "may_dispatch": can(user, "dispatch_incident"),
        "disposition_label": lifecycle.disposition_label(incident.status, incident.disposition) if incident.disposition else "",
    }


ASSIGNMENT_STEPS = [
    (Assignment.Status.DITERIMA, "accepted_at"),
    (Assignment.Status.MENUJU, "enroute_at"),
    (Assignment.Status.TIBA, "arrived_at"),
    (Assignment.Status.SELESAI, "completed_at"),
]


def _next_steps(a: Assignment) -> list[tuple[str, str]]:
    """The steps still ahead of an active assignment (value, label); the first is the usual next one."""
    if a.status not in Assignment.ACTIVE:
        return []
    order = [Assignment.Status.DITUGASKAN] + [s for s, _f in ASSIGNMENT_STEPS]
    at = order.index(Assignment.Status(a.status))
    ahead = order[at + 1:]
    if a.arrived_at is None and len(ahead) > 1:
        ahead = [s for s in ahead if s != Assignment.Status.SELESAI]  # "selesai" only after arriving
    return [(s.value, str(s.label)) for s in ahead]


def close_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The closing outcomes grouped by closing status: [(status label, [("status:code", label), ...])]."""
    return [
        (str(Incident.Status(status).label), [(f"{status}:{code}", _(label)) for code, label in codes.items()])
        for status, codes in lifecycle.DISPOSITIONS.items()
    ]


@login_required
@require_GET
def kejadian(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    stream = stream_url()
    incident = get_incident(user, pk)
    if request.GET.get("bagian") or request.headers.get("HX-Request"):
        return render(request, "ops/room/_kejadian_live.html", _live_context(incident, user))
    linked = list(visible_incidents(user).filter(duplicate_of=incident).order_by("created_at"))
    parent = visible_incidents(user).filter(pk=incident.duplicate_of_id).first() if incident.duplicate_of_id else None
    may_change = can(user, "change_incident")
    may_dispatch = can(user, "dispatch_incident")
    recs, rec_error = _recommendations(incident, user) if may_dispatch else ([], "")
    recommended_ids = {r.unit.pk for r in recs}
    other_units = []
    if may_dispatch and incident.is_open:
        other_units = [
            u for u in selectors.visible_units(user).exclude(pk__in=recommended_ids)
            if u.status not in (UnitStatus.TIDAK_TERSEDIA, UnitStatus.DARURAT)
        ]
    triage = incident.triage or {}
    explanation = triage.get("explanation") or {}
    ctx = {
        **_live_context(incident, user),
        "category_name": category_name(incident.category),
        "priority_name": taxonomy.priorities()[incident.priority].nama,
        "triage": triage,
        "triage_category_name": category_name(triage.get("category", "")) if triage else "",
        "triage_words": explanation.get("words") or [],
        "triage_rules": explanation.get("rules") or [],
        "triage_alternatives": [
            (a.get("category"), category_name(a.get("category", "")), a.get("confidence"))
            for a in explanation.get("alternatives") or []
        ],
        "categories": [(t.kode, t.nama) for t in taxonomy.incident_types().values()],
        "priorities": [(p.prioritas, p.nama) for p in taxonomy.priorities().values()],
        "routing": incident.routing or {},
        "bhabin": bhabin_for(incident.kelurahan_id) if incident.kelurahan_id else None,
        "linked": linked,
        "parent": parent,
        "duplicates": _likely_duplicates(incident, user) if may_change else [],
        "may_change": may_change,
        "may_dispatch": may_dispatch,
        "may_view_reporter": can(user, "view_reporter"),
        "has_reporter": bool(incident.reporter_name or incident.reporter_phone),
        "recommendations": recs,
        "rec_error": rec_error,
        "other_units": other_units,
        "close_choices": close_choices(),
        "geo_uri": _geo_uri(incident),
        "stream_url": stream,
        **_locate_context(incident, user, may_change),
    }
    return render(request, "ops/room/kejadian.html", ctx)


def _address_elsewhere(incident: Incident) -> Region | None:
    """The kelurahan the written address names when it is another than the one the incident is located in (a
    pin dropped far from the street the reporter typed): the desk checks with the reporter. ``None`` when the
    address names no single kelurahan or names the same one."""
    if not incident.alamat or incident.kelurahan_id is None:
        return None
    from k3i.incidents.gazetteer import find_places

    match = find_places(incident.alamat, incident.polres)
    if match.kelurahan is None or match.ambiguous or match.kelurahan.pk == incident.kelurahan_id:
        return None
    return match.kelurahan


def _locate_context(incident: Incident, user: Any, may_change: bool) -> dict[str, Any]:
    """The location form of the incident page (who may change the incident, while it is open): the Polres's
    kelurahan by kecamatan, a map to click on, and the guess from the text to confirm."""
    if not (may_change and incident.is_open):
        return {"may_locate": False}
    groups: dict[str, list[tuple[str, str]]] = {}
    for r in selectors.polres_kelurahan(incident.polres).only("kode", "nama", "parent__nama"):
        groups.setdefault(r.parent.nama if r.parent else "", []).append((r.kode, r.nama))  # type: ignore[union-attr]
    geo = pick_map_data(user, _("Titik lokasi dipilih"))
    point = None
    if incident.lat is not None and incident.lon is not None:
        point = {"lat": incident.lat, "lon": incident.lon, "approx": False}
    elif incident.kelurahan is not None and incident.kelurahan.lat is not None and incident.kelurahan.lon is not None:
        point = {"lat": incident.kelurahan.lat, "lon": incident.kelurahan.lon, "approx": True}
    geo["incident"] = {**point, "priority": incident.priority} if point else None
    geo["labels"]["incident"] = _("Lokasi kejadian sekarang")
    geo["labels"]["approx"] = _("lokasi perkiraan (pusat kelurahan)")
    return {
        "may_locate": True,
        "location_known": point is not None,
        "location_guess": incident.kelurahan if incident.kelurahan_id and not incident.location_confirmed else None,
        "address_elsewhere": _address_elsewhere(incident),
        "kelurahan_groups": sorted(groups.items()),
        "locate_map_data": geo,
    }


def _geo_uri(incident: Incident) -> str:
    point = _map_point(incident)
    if point is None:
        return ""
    lat, lon = point
    return f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({incident.number})"


def _back(incident: Incident) -> HttpResponse:
    return redirect("ops:kejadian", pk=incident.pk)


@login_required
@require_POST
def kejadian_triase(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm the triage suggestion or override category/priority (``confirm_triage``)."""
    from k3i.incidents.actions import confirm_triage

    incident = get_incident(request.user, pk)
    category = request.POST.get("category") or None
    priority = _int(request.POST.get("priority"))
    if request.POST.get("priority") and priority is None:
        priority = -1  # let the action name the field
    try:
        confirm_triage(request.user, incident, category=category, priority=priority, channel=CHANNEL)
    except K3iError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Triase dikonfirmasi."))
    return _back(incident)


@login_required
@require_POST
def kejadian_lokasi(request: HttpRequest, pk: int) -> HttpResponse:
    """Fix where the incident is (``confirm_location``): a point clicked on the map, a kelurahan from the
    Polres's list, or — with neither — confirm the kelurahan found in the text. The Polsek follows the place;
    once the incident has a place, the page recommends units."""
    from k3i.incidents.actions import confirm_location

    user = request.user
    incident = get_incident(user, pk)
    post = request.POST
    raw_lat, raw_lon = (post.get("lat") or "").strip(), (post.get("lon") or "").strip()
    lat: Any = _float(raw_lat)
    lon: Any = _float(raw_lon)
    if (raw_lat and lat is None) or (raw_lon and lon is None):
        lat, lon = raw_lat or None, raw_lon or None  # let the action name what is wrong
    kelurahan = (post.get("kelurahan") or "").strip() or None
    picked = lat is not None or lon is not None
    try:
        incident = confirm_location(user, incident, lat=lat if picked else None, lon=lon if picked else None,
                                    kelurahan=None if picked else kelurahan, channel=CHANNEL)
    except K3iError as exc:
        _error(request, exc)
        return _back(incident)
    where = incident.kelurahan.nama if incident.kelurahan else "-"
    if visible_incidents(user).filter(pk=incident.pk).exists():
        messages.success(request, _("Lokasi dikonfirmasi: %(kelurahan)s.") % {"kelurahan": where})
        return _back(incident)
    # Moved to a Polsek outside this user's territory (a Kapolsek): the incident is theirs now.
    messages.success(request, _("Lokasi dikonfirmasi: %(kelurahan)s. Kejadian %(number)s kini ditangani "
                                "%(polsek)s, di luar lingkup Anda.") % {
        "kelurahan": where, "number": incident.number, "polsek": incident.polsek.nama if incident.polsek else "Polres"})
    return redirect("ops:antrian")


@login_required
@require_POST
def kejadian_pelapor(request: HttpRequest, pk: int) -> HttpResponse:
    """The reporter's name and phone (HTMX partial); every view is written to the ledger."""
    from k3i.incidents.actions import reporter_identity

    incident = get_incident(request.user, pk)
    if not can(request.user, "view_reporter"):
        return HttpResponse(_("Identitas pelapor hanya untuk petugas yang berwenang."), status=403)
    identity = reporter_identity(request.user, incident, channel=CHANNEL)
    return render(request, "ops/room/_pelapor.html", {"identity": identity, "incident": incident})


@login_required
@require_POST
def kejadian_tugaskan(request: HttpRequest, pk: int) -> HttpResponse:
    """One-click dispatch of a recommended (or another) unit; another than the first needs a reason."""
    from k3i.dispatch.actions import dispatch_unit

    user = request.user
    incident = get_incident(user, pk)
    unit = PatrolUnit.objects.restrict(user, "view").filter(pk=_int(request.POST.get("unit")) or 0).first()
    if unit is None:
        messages.error(request, _("Unit tidak ditemukan atau di luar lingkup Anda."))
        return _back(incident)
    rank = _int(request.POST.get("rank"))
    reason = (request.POST.get("override_reason") or "").strip()
    try:  # the action decides whether this choice needs a reason (not the first suggestion)
        a = dispatch_unit(
            user, incident, unit, channel=CHANNEL, override_reason=reason, recommended_rank=rank,
            eta_seconds=_int(request.POST.get("eta")), pull=request.POST.get("pull") == "1",
        )
    except K3iError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("%(unit)s ditugaskan ke %(number)s.") % {"unit": a.unit.callsign,
                                                                             "number": incident.number})
    return _back(incident)


@login_required
@require_POST
def kejadian_tutup(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_incident(request.user, pk)
    status, _sep, disposition = (request.POST.get("hasil") or "").partition(":")
    try:
        lifecycle.close_incident(
            request.user, incident, status=status, disposition=disposition,
            note=(request.POST.get("note") or "").strip(), channel=CHANNEL,
        )
    except K3iError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Kejadian ditutup."))
    return _back(incident)


@login_required
@require_POST
def kejadian_buka(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_incident(request.user, pk)
    try:
        lifecycle.reopen_incident(request.user, incident, reason=(request.POST.get("reason") or "").strip(), channel=CHANNEL)
    except K3iError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Kejadian dibuka kembali."))
    return _back(incident)


@login_required
@require_POST
def kejadian_tautkan(request: HttpRequest, pk: int) -> HttpResponse:
    """Link this report to an earlier one as its duplicate (``link_duplicate``)."""
    from k3i.incidents.duplicates import link_duplicate

    user = request.user
    incident = get_incident(user, pk)
    target = visible_incidents(user).filter(pk=_int(request.POST.get("duplicate_of")) or 0).first()
    if target is None:
        messages.error(request, _("Kejadian induk tidak ditemukan atau di luar lingkup Anda."))
        return _back(incident)
    try:
        link_duplicate(user, incident, duplicate_of=target, channel=CHANNEL)
    except K3iError as exc:
        _error(request, exc)
    else:
        messages.success(request, _("Ditautkan sebagai laporan duplikat dari %(number)s.") % {"number": target.number})
    return _back(incident)


@login_required
@require_POST
def penugasan_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Advance an assignment one step (dispatcher's incident page or the officer's phone)."""
    from k3i.dispatch.actions import advance_assignment

    user = request.user
    _require(user, "view_incident")
    # The dispatcher sees the incident; the unit's crew sees its own unit (even when sent across a boundary).
    a = (
        Assignment.objects.select_related("incident", "unit")
        .filter(Q(incident__in=visible_incidents(user)) | Q(unit__in=my_units(user)), pk=pk)
        .first()
    )
    if a is None:
        raise Http404("Penugasan tidak ditemukan.")
    status = request.POST.get("status") or ""
    try:
        advance_assignment(user, a, status, channel=CHANNEL, device_time=request.POST.get("device_time") or None)
    except K3iError as exc:
        _error(request, exc)
    else:
        label = dict(Assignment.Status.choices).get(status, status)
        messages.success(request, _("%(unit)s: %(status)s.") % {"unit": a.unit.callsign, "status": label})
    nxt = request.POST.get("next") or ""
    if nxt == "tugas":
        return redirect("ops:tugas")
    return redirect("ops:kejadian", pk=a.incident_id)


# --- pages: the 110 call-taker screen ------------------------------------------------------------


def _kelurahan_choices(polres: Polres | None) -> list[tuple[str, str]]:
    """(label for the search list, kode) of every kelurahan of the Polres: "Miroto — Semarang Tengah"."""
    if polres is None:
        return []
    qs = selectors.polres_kelurahan(polres).only("kode", "nama", "parent__nama")
    return [(f"{r.nama} — {r.parent.nama}", r.kode) for r in qs]  # type: ignore[union-attr]


def resolve_location(polres: Polres | None, text: str) -> tuple[Region | None, str]:
    """A kelurahan from what the call-taker typed, and the address line (the gazetteer's
    ``find_typed_location``, the same names and rules as for WhatsApp/SMS reports).

    "Miroto — Semarang Tengah" (the search list) or "Miroto": the kelurahan, no address; "Jl. Pemuda 12,
    Miroto": the kelurahan, and the text becomes the address. A name found in several kecamatan must be
    chosen from the list (``ValidationFailed`` on ``lokasi``).
    """
    from k3i.incidents.gazetteer import find_typed_location

    text = " ".join(text.split())
    if not text or polres is None:
        return None, text
    found = find_typed_location(text, polres)
    if found.choices:
        # A kelurahan name found in several kecamatan, or a street that runs through several kelurahan.
        raise ValidationFailed.field("lokasi", _("Lokasi ini cocok dengan beberapa kelurahan: pilih salah satu "
                                                 "dari daftar (%(options)s).") % {"options": ", ".join(found.choices)})
    return found.kelurahan, found.alamat


@login_required
@require_GET
def triase(request: HttpRequest) -> JsonResponse:
    """``GET /ops/triase?text=``: the triage suggestion for the call-taker screen (as ``k3i triage``)."""
    if not (can(request.user, "create_incident") or can(request.user, "change_incident")):
        raise Http404
    from k3i.incidents.triage import classify

    text = request.GET.get("text", "")
    try:
        result = classify(text).as_dict()
    except K3iError as exc:
        return JsonResponse(exc.as_dict(), status=exc.status)
    result["category_name"] = category_name(result["category"])
    result["priority_name"] = taxonomy.priorities()[result["priority"]].nama
    return JsonResponse(result)


def pick_map_data(user: Any, picked_label: str) -> dict[str, Any]:
    """Polsek areas and kelurahan boundaries to click a location on (call-taker screen, incident page)."""
    geo = selectors.jurisdiction_geojson(user)
    geo["units"] = {"type": "FeatureCollection", "features": []}
    geo["pospol"] = {"type": "FeatureCollection", "features": []}
    for f in geo["kelurahan"]["features"]:
        f["properties"]["gap"] = False
    geo["labels"] = {**map_labels(), "picked": picked_label}
    return geo


# The call-taker screen's fields in page order: after a refused save the cursor goes to the first one in error.
INTAKE_FIELDS = ("reporter_phone", "lokasi", "text", "category", "priority", "reporter_name")


def _intake_context(request: HttpRequest, polres: Polres | None, **extra: Any) -> dict[str, Any]:
    geo = pick_map_data(request.user, _("Titik lokasi dipilih"))
    return {
        "map_data": geo,
        "kelurahan_choices": _kelurahan_choices(polres),
        "categories": [(t.kode, t.nama, t.prioritas_default) for t in taxonomy.incident_types().values()],
        "priorities": [(p.prioritas, p.nama) for p in taxonomy.priorities().values()],
        "idempotency_key": uuid.uuid4().hex,
        "values": {},
        "errors": {},
        "location_choices": [],
        "focus": "reporter_phone",
        **extra,
    }


@require_GET
def tugas_sw(request: HttpRequest) -> HttpResponse:
    """``/tugas/sw.js``: the service worker that keeps the last ``/tugas/`` page for use without signal
    (``static/k3i/tugas-sw.js``). Served from here because a worker controls only pages under its own path.
    Plain code, no data: no login needed; never cached, so a new version takes over at the next load."""
    from django.contrib.staticfiles import finders

    path = finders.find("k3i/tugas-sw.js")
    if not path:
        raise Http404
    with open(path, encoding="utf-8") as fh:
        response = HttpResponse(fh.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def terima(request: HttpRequest) -> HttpResponse:
    """``/ops/terima``: the 110 call-taker screen (keyboard first; Ctrl+Enter saves)."""
    from k3i.incidents.actions import create_incident
    from k3i.incidents.gazetteer import find_typed_location

    user = request.user
    _require(user, "create_incident")
    polres = polres_for(user)
    if request.method == "POST" and not is_utf8(request.encoding):
        # Declared in another charset the text would be stored garbled ("ÿþ"): refused, nothing written.
        ctx = _intake_context(request, polres, errors={"form": _(
            "Formulir harus dikirim dalam pengodean UTF-8. Muat ulang halaman ini lalu kirim laporan Anda lagi.")})
        return render(request, "ops/room/terima.html", ctx, status=422)
    if request.method == "POST":
        post = request.POST
        location_text = (post.get("lokasi") or "").strip()
        lat, lon = _float(post.get("lat")), _float(post.get("lon"))
        picked = lat is not None and lon is not None
        errors: dict[str, str] = {}
        location_choices: list[str] = []
        # A kelurahan picked from the choices offered for this very text (an ambiguous street or name).
        choice = (post.get("lokasi_pilih") or "").strip() if post.get("lokasi_untuk") == location_text else ""
        try:
            if choice and polres is not None:
                kelurahan, _typed = resolve_location(polres, choice)
                alamat = find_typed_location(location_text, polres).alamat
            else:
                kelurahan, alamat = resolve_location(polres, location_text)
        except ValidationFailed as exc:
            kelurahan, alamat = None, location_text
            if not picked:
                errors["lokasi"] = exc.detail
                if polres is not None:
                    location_choices = find_typed_location(location_text, polres).choices
        if polres is None:
            errors["lokasi"] = _("Akun Anda belum terhubung ke Polres.")
        elif location_text and kelurahan is None and not picked and "lokasi" not in errors:
            errors["lokasi"] = _("Kelurahan tidak dikenali: pilih dari daftar atau klik lokasi di peta.")
        # Category and priority go to the action only when the call-taker changed them; otherwise triage
        # decides on the final text (so a suggestion that was still loading is never counted as an override).
        category = (post.get("category") or None) if post.get("category_manual") == "1" else None
        priority = _int(post.get("priority")) if post.get("priority_manual") == "1" else None
        if not errors and polres is not None:
            try:
                incident, created = create_incident(
                    user, polres=polres, channel=Incident.Channel.TELEPON, text=post.get("text", ""),
                    lat=lat if picked else None, lon=lon if picked else None,
                    kelurahan=None if picked else kelurahan, alamat=location_text if picked else alamat,
                    location_confirmed=True, reporter_name=post.get("reporter_name", ""),
                    reporter_phone=post.get("reporter_phone", ""), category=category, priority=priority,
                    idempotency_key=post.get("idempotency_key") or None, audit_channel=CHANNEL,
                )
            except K3iError as exc:
                if any(e.get("field") == "idempotency_key" for e in exc.errors):
                    # This form was sent before (the answer was lost) and its text has changed since: the first
                    # report stands; a fresh key lets the call-taker send the edited one as a new report.
                    errors["form"] = _("Formulir ini sudah pernah terkirim dan tercatat sebagai laporan (lihat "
                                       "antrean); isi yang diubah belum tercatat. Tekan Kirim lagi untuk mencatatnya "
                                       "sebagai laporan baru.")
                    fresh = post.copy()
                    fresh["idempotency_key"] = uuid.uuid4().hex
                    post = fresh  # type: ignore[assignment]  # a mutable copy of the same form
                for e in exc.errors:
                    field = {"lat": "lokasi", "lon": "lokasi", "alamat": "lokasi"}.get(e.get("field", ""), e.get("field", ""))
                    if field != "idempotency_key":
                        errors.setdefault(field or "form", e.get("message", ""))
                if not exc.errors:
                    errors["form"] = exc.detail
            else:
                return redirect(f"{reverse('ops:terima')}?baru={incident.pk}")
        ctx = _intake_context(request, polres, values=post, errors=errors, location_choices=location_choices)
        ctx["idempotency_key"] = post.get("idempotency_key") or ctx["idempotency_key"]
        ctx["focus"] = next((f for f in INTAKE_FIELDS if f in errors), "reporter_phone")
        return render(request, "ops/room/terima.html", ctx, status=422)

    ctx = _intake_context(request, polres)
    new_id = _int(request.GET.get("baru"))
    if new_id:
        saved = visible_incidents(user).filter(pk=new_id).first()
        if saved is None:
            # Taken for another Polsek than the call-taker's own: still show what the reporter must hear.
            saved = Incident.objects.filter(pk=new_id, created_by_id=user.pk).first()
        if saved is not None:
            ctx["saved"] = saved
            ctx["saved_category"] = category_name(saved.category)
            ctx["saved_visible"] = visible_incidents(user).filter(pk=saved.pk).exists()
            ctx["duplicates"] = _likely_duplicates(saved, user) if can(user, "change_incident") else []
    return render(request, "ops/room/terima.html", ctx)


# --- pages: the patrol officer's phone view ------------------------------------------------------


def my_units(user: Any) -> QuerySet[PatrolUnit]:
    """The units whose assignments this user works on from the phone view, as
    ``k3i.dispatch.actions.may_report`` decides: a patrol officer (*anggota*) only the unit they are signed on
    to now (none when not signed on); a desk role (operator, Kapolsek, Kabagops) every active unit it sees."""
    from k3i.dispatch.actions import may_crew, signed_on_unit

    units = PatrolUnit.objects.restrict(user, "view")
    if getattr(user, "role", "") == "anggota":
        unit = signed_on_unit(user)
        if unit is None or not may_crew(user, unit):
            return units.none()
        return units.filter(pk=unit.pk)
    return units.filter(aktif=True)


def my_assignments(user: Any) -> list[Assignment]:
    """Active assignments of my units (an officer: of the unit they are signed on to) — also to an incident
    beyond my own territory: the crew must know where it is sent (never the reporter's identity)."""
    return list(
        Assignment.objects.filter(status__in=Assignment.ACTIVE, unit__in=my_units(user))
        .select_related("incident", "incident__kelurahan", "unit")
        .order_by("incident__priority", "assigned_at")
    )


def _tugas_post(request: HttpRequest) -> HttpResponse:
    """The officer signs on to a unit (``aksi=masuk``, ``unit``) or ends the shift on it (``aksi=keluar``,
    ``unit``: a repeated or stale form never ends a later sign-on to another unit); then back to ``/tugas/``."""
    from k3i.dispatch.actions import sign_off, sign_on

    user = request.user
    aksi = request.POST.get("aksi") or ""
    unit = PatrolUnit.objects.restrict(user, "view").filter(pk=_int(request.POST.get("unit")) or 0).first()
    if aksi not in ("masuk", "keluar"):
        messages.error(request, _("Tindakan tidak dikenal."))
    elif unit is None:
        messages.error(request, _("Unit patroli tidak ditemukan."))
    else:
        try:
            if aksi == "masuk":
                sign_on(user, unit, channel=CHANNEL)
            else:
                sign_off(user, channel=CHANNEL, unit=unit)
        except K3iError as exc:
            # The sentence alone: the per-field reasons ("unit masih memiliki penugasan aktif") are for API
            # clients; on the phone they would only repeat the sentence in technical words.
            messages.error(request, exc.detail)
        else:
            text = _("Anda masuk dinas pada %(unit)s.") if aksi == "masuk" else _("Dinas Anda pada %(unit)s selesai.")
            messages.success(request, text % {"unit": unit.callsign})
    return redirect("ops:tugas")


def _map_point(incident: Incident) -> tuple[float, float] | None:
    """Where the crew is sent: the incident's point, else its kelurahan's centre (both map links)."""
    if incident.lat is not None and incident.lon is not None:
        return incident.lat, incident.lon
    kel = incident.kelurahan
    if kel is not None and kel.lat is not None and kel.lon is not None:
        return kel.lat, kel.lon
    return None


def _web_map_url(incident: Incident) -> str:
    """A map link that opens anywhere (iPhone, desktop), next to the ``geo:`` link that Android's maps apps
    take: OpenStreetMap in the browser, a marker on the point. Only followed when the officer taps it — the
    page itself loads nothing from outside."""
    point = _map_point(incident)
    if point is None:
        return ""
    lat, lon = f"{point[0]:.6f}", f"{point[1]:.6f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=18/{lat}/{lon}"


def _tugas_scope_label(user: Any) -> str:
    """Whose units a desk role sees on ``/tugas/``: "Unit Polsek Semarang Tengah", "Unit Polrestabes
    Semarang"; with the functions when the account is limited to some ("… · Sat Reskrim")."""
    from k3i.core.access import scope_for
    from k3i.organization.models import Fungsi

    scope = scope_for(user)
    if scope.polres_wide:
        polres = polres_for(user)
        where = polres.nama if polres is not None else _("Polres")
    else:
        where = ", ".join(p.nama for p in selectors.visible_polsek(user).filter(pk__in=scope.polsek_ids or ()))
    label = _("Unit %(wilayah)s") % {"wilayah": where} if where else _("Unit dalam lingkup Anda")
    if scope.fungsi_ids:
        names = sorted(Fungsi.objects.restrict(user, "view").filter(pk__in=scope.fungsi_ids)
                       .values_list("singkatan", flat=True))
        if names:
            label += " · " + ", ".join(names)
    return label


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def tugas(request: HttpRequest) -> HttpResponse:
    """``/tugas/``: the patrol officer's phone. Not signed on: "Pilih unit Anda untuk dinas ini" with the units
    they may crew and a one-tap sign-on (POST). Signed on: the unit and its current assignment — accept, status
    buttons (the last one "Selesai di TKP"), the location in a maps app and on the web map — and, below the
    task, "Selesai dinas" (secondary; room.js asks for a second tap). A desk role sees "Tugas unit": the tasks
    of the units in its scope, whose steps it may press on the unit's behalf."""
    from k3i.dispatch.actions import crew_of, signed_on_unit, units_to_crew

    user = request.user
    _require(user, "view_incident")
    _require(user, "report_unit")
    if request.method == "POST":
        return _tugas_post(request)
    crew_mode = getattr(user, "role", "") == "anggota"
    crew_unit = signed_on_unit(user) if crew_mode else None
    stream = stream_url()
    items = [
        {
            "a": a, "steps": _next_steps(a), "geo_uri": _geo_uri(a.incident), "web_map_url": _web_map_url(a.incident),
            "category_name": category_name(a.incident.category), "row": _arrival_row(a.incident),
        }
        for a in my_assignments(user)
    ]
    ctx: dict[str, Any] = {"items": items, "units": list(my_units(user)), "stream_url": stream,
                           "crew_mode": crew_mode, "crew_unit": crew_unit, "choices": []}
    if crew_unit is not None:
        ctx["crew"] = crew_of([crew_unit.pk]).get(crew_unit.pk, [])
    elif crew_mode:
        choices = list(units_to_crew(user))
        crews = crew_of(choices)
        ctx["choices"] = [{"unit": u, "crew": crews.get(u.pk, [])} for u in choices]
    if request.GET.get("bagian") or request.headers.get("HX-Request"):
        return render(request, "ops/room/_tugas_list.html", ctx)
    if not crew_mode:
        ctx["scope_label"] = _tugas_scope_label(user)
    return render(request, "ops/room/tugas.html", ctx)
