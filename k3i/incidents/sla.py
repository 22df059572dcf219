"""Service levels: time to dispatch and time to arrive against the priority's targets, escalation of
overdue priority-1 incidents, live breach alerts, and the p50/p90 reports.

- **Time to dispatch**: ``created_at`` → ``dispatched_at`` (the first unit sent), against
  ``settings.SLA_DISPATCH_TARGET_SECONDS`` (priority-1: 60 s — NFPA 1225 asks that 90 % of emergencies be
  dispatched within 60 s).
- **Time to arrive**: ``created_at`` → ``arrived_at`` (the first unit at the scene), against
  ``target_tiba_menit`` of ``priorities.csv`` (P1 10 min, P2 30, P3 120; P4 has none).

Both are measured in the incident's current service cycle: from the report, or from its last reopening
(``Incident.service_started_at``; ``lifecycle.reopen_incident`` clears the times of the cycle that ended, after
writing them to the timeline and the ledger). Escalation and breach alerts follow the same cycle.

``escalate_overdue(now)`` is run every few seconds by the scheduler (``k3i.core.jobs``): a priority-1
incident not dispatched within its target is lifted from the Polsek to the Polres K3i desk (``escalated_at``,
timeline, ledger ``kejadian.dinaikkan``, live event ``kejadian.eskalasi`` in the incident's territory: the
Polres desk and the incident's own Polsek), and every
target missed by an open incident alerts the supervisors live (``sla.terlewati``), once per incident and
target. Running it twice, or in two processes at once, changes nothing more.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from k3i.core import audit, events
from k3i.core.access import can
from k3i.core.audit import WIB, Channel
from k3i.core.errors import PermissionDenied, ValidationFailed

from . import taxonomy
from .actions import event_payload
from .models import Incident, IncidentLog

# Defaults when the settings do not say otherwise (seconds from the report to the first unit sent).
DEFAULT_DISPATCH_TARGETS = {1: 60, 2: 300, 3: 1800}
DEFAULT_SHIFTS = "pagi=07-15,siang=15-23,malam=23-07"
GROUPS = ("polsek", "category", "priority", "shift")
TARGETS = ("dispatch", "tiba")
TARGET_LABEL = {"dispatch": "penugasan", "tiba": "tiba di TKP"}
# Open and not yet dispatched: what may still be escalated.
WAITING = (Incident.Status.BARU, Incident.Status.DIVERIFIKASI)


# --- targets and shifts ------------------------------------------------------------------------------

def dispatch_targets() -> dict[int, int]:
    """Seconds allowed from report to dispatch, per priority (priority 4 has none)."""
    raw = getattr(settings, "SLA_DISPATCH_TARGET_SECONDS", None) or {}
    return {**DEFAULT_DISPATCH_TARGETS, **{int(k): int(v) for k, v in dict(raw).items()}}


def dispatch_target(priority: int) -> int | None:
    return dispatch_targets().get(priority)


def arrive_target(priority: int) -> int | None:
    """Seconds allowed from report to the first unit at the scene (``priorities.csv``), or None."""
    p = taxonomy.priorities().get(priority)
    return p.target_tiba_menit * 60 if p and p.target_tiba_menit else None


def target(kind: str, priority: int) -> int | None:
    return dispatch_target(priority) if kind == "dispatch" else arrive_target(priority)


@dataclass(frozen=True)
class Shift:
    name: str
    start: int  # hour (WIB), inclusive
    end: int  # hour (WIB), exclusive; may be smaller than start (over midnight)

    def contains(self, hour: int) -> bool:
        if self.start <= self.end:
            return self.start <= hour < self.end
        return hour >= self.start or hour < self.end


def shifts() -> list[Shift]:
    """Shifts from ``settings.SLA_SHIFTS`` ("pagi=07-15,siang=15-23,malam=23-07"), in that order."""
    raw = getattr(settings, "SLA_SHIFTS", "") or DEFAULT_SHIFTS
    out: list[Shift] = []
    for part in str(raw).split(","):
        name, _, hours = part.strip().partition("=")
        start, _, end = hours.partition("-")
        try:
            out.append(Shift(name.strip(), int(start) % 24, int(end) % 24))
        except ValueError:
            raise ValidationFailed.field("SLA_SHIFTS", f"Sif '{part.strip()}' tidak sah (contoh: pagi=07-15).") from None
    return out


def shift_of(moment: datetime) -> str:
    hour = moment.astimezone(WIB).hour
    for s in shifts():
        if s.contains(hour):
            return s.name
    return "lain"


# --- timers of one incident ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Timer:
    kind: str  # "dispatch" / "tiba"
    target_seconds: int | None
    seconds: float | None  # measured (None while it has not happened)
    elapsed: float  # measured, or time running until ``now``

    @property
    def done(self) -> bool:
        return self.seconds is not None

    @property
    def met(self) -> bool | None:
        """True/False once measured against a target; None while running or without a target."""
        if self.target_seconds is None or self.seconds is None:
            return None
        return self.seconds <= self.target_seconds

    @property
    def remaining(self) -> float | None:
        """Seconds left before the target (negative: overdue); None when done or without a target."""
        if self.target_seconds is None or self.seconds is not None:
            return None
        return self.target_seconds - self.elapsed

    @property
    def breached(self) -> bool:
        return self.target_seconds is not None and self.elapsed > self.target_seconds

    def as_dict(self) -> dict[str, Any]:
        return {"target_detik": self.target_seconds, "detik": _round(self.seconds),
                "berjalan_detik": _round(self.elapsed), "sisa_detik": _round(self.remaining),
                "tercapai": self.met, "terlewati": self.breached}


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def timers(incident: Incident, now: datetime | None = None) -> dict[str, Timer]:
    """``{"dispatch": Timer, "tiba": Timer}`` of one incident (countdowns for the ops room)."""
    now = now or timezone.now()
    start = incident.service_started_at  # the report, or its last reopening
    out = {}
    for kind, at in (("dispatch", incident.dispatched_at), ("tiba", incident.arrived_at)):
        seconds = (at - start).total_seconds() if at else None
        if seconds is not None:
            elapsed = seconds
        else:
            end = incident.closed_at if not incident.is_open and incident.closed_at else now
            elapsed = max(0.0, (end - start).total_seconds())
        out[kind] = Timer(kind, target(kind, incident.priority), seconds, elapsed)
    return out


# --- escalation and breach alerts (run by the scheduler) -----------------------------------------------

@dataclass
class JobResult:
    escalated: list[int]
    breaches: list[tuple[int, str]]

    def __bool__(self) -> bool:
        return bool(self.escalated or self.breaches)

    def summary(self) -> str:
        return f"{len(self.escalated)} kejadian dinaikkan, {len(self.breaches)} peringatan SLA"


def escalate_overdue(now: datetime | None = None) -> JobResult:
    """Escalate overdue priority-1 incidents and raise breach alerts; idempotent (safe to run anywhere,
    as often as wanted, in several processes at once)."""
    now = now or timezone.now()
    result = JobResult([], [])
    p1_target = dispatch_target(1)
    if p1_target is not None:
        due = Incident.objects.filter(
            _cycle_started_by(now - timedelta(seconds=p1_target)),
            priority=1, status__in=WAITING, dispatched_at__isnull=True, escalated_at__isnull=True,
        ).order_by("created_at").values_list("pk", flat=True)
        for pk in list(due[:500]):
            if _escalate(pk, now, p1_target):
                result.escalated.append(pk)
    for kind in TARGETS:
        for priority in (1, 2, 3):
            limit = target(kind, priority)
            if limit is None:
                continue
            qs = Incident.objects.filter(
                _cycle_started_by(now - timedelta(seconds=limit)),
                priority=priority, status__in=Incident.OPEN_STATUSES,
                **{"dispatched_at__isnull" if kind == "dispatch" else "arrived_at__isnull": True},
            ).exclude(Exists(IncidentLog.objects.filter(  # alerted already in this cycle
                incident=OuterRef("pk"), kind="sla.terlewati", data__target=kind,
                created_at__gte=Coalesce(OuterRef("cycle_started_at"), OuterRef("created_at")))))
            for pk in list(qs.order_by("created_at").values_list("pk", flat=True)[:500]):
                if _breach(pk, kind, now):
                    result.breaches.append((pk, kind))
    return result


def _cycle_started_by(moment: datetime) -> Q:
    """Incidents whose current service cycle (the report, or the last reopening) began at ``moment`` or before."""
    return Q(cycle_started_at__isnull=True, created_at__lte=moment) | Q(cycle_started_at__lte=moment)


@transaction.atomic
def _escalate(pk: int, now: datetime, limit: int) -> bool:
    incident = Incident.objects.select_for_update().filter(pk=pk).first()
    if (
        incident is None or incident.escalated_at is not None or incident.dispatched_at is not None
        or incident.status not in WAITING or incident.priority != 1
        or incident.service_started_at > now - timedelta(seconds=limit)
    ):
        return False  # handled meanwhile (dispatched, escalated by another process, closed)
    incident.escalated_at = now
    Incident.objects.filter(pk=pk).update(escalated_at=now)
    waited = round((now - incident.service_started_at).total_seconds())
    where = incident.polsek.nama if incident.polsek is not None else "meja penerima"
    message = (f"Prioritas 1 belum ditugaskan setelah {waited} detik (target {limit} detik): "
               f"dinaikkan dari {where} ke meja K3i Polres")
    IncidentLog.objects.create(incident=incident, created_at=now, kind="dinaikkan", message=message[:500],
                               data={"menunggu_detik": waited, "target_detik": limit})
    audit.record(None, "kejadian.dinaikkan", incident, channel=Channel.SYSTEM, polres_id=incident.polres_id,
                 changes={"alasan": "prioritas 1 belum ditugaskan", "menunggu_detik": waited,
                          "target_detik": limit, "polsek": incident.polsek_id})
    # The territory of the incident, like every event about it: the Polres K3i desk (Polres-wide) and the
    # incident's own Polsek see it, no other Polsek.
    events.emit("kejadian.eskalasi", {**event_payload(incident), "escalated_at": now.isoformat(),
                                      "menunggu_detik": waited, "target_detik": limit, "pesan": message},
                polres_id=incident.polres_id, polsek_id=incident.polsek_id,
                kelurahan_kode=incident.kelurahan_id or "")
    return True


@transaction.atomic
def _breach(pk: int, kind: str, now: datetime) -> bool:
    incident = Incident.objects.select_for_update().filter(pk=pk).first()
    if incident is None or not incident.is_open:
        return False
    timer = timers(incident, now)[kind]
    if timer.done or not timer.breached:
        return False
    if IncidentLog.objects.filter(incident=incident, kind="sla.terlewati", data__target=kind,
                                  created_at__gte=incident.service_started_at).exists():
        return False  # alerted already (once per incident, target and service cycle)
    limit = timer.target_seconds
    assert limit is not None
    late = round(timer.elapsed)
    since = "sejak dibuka kembali" if incident.cycle_started_at else "sejak laporan"
    message = (f"Target waktu {TARGET_LABEL[kind]} P{incident.priority} ({_human(limit)}) terlewati: "
               f"sudah {_human(late)} {since}")
    IncidentLog.objects.create(incident=incident, created_at=now, kind="sla.terlewati", message=message,
                               data={"target": kind, "target_detik": limit, "berjalan_detik": late})
    audit.record(None, "kejadian.sla_terlewati", incident, channel=Channel.SYSTEM, polres_id=incident.polres_id,
                 changes={"target": kind, "target_detik": limit, "berjalan_detik": late})
    # For the supervisors of the incident's Polsek and kelurahan (and the Polres desk, which sees everything).
    events.emit("sla.terlewati", {**event_payload(incident), "target": kind, "target_detik": limit,
                                  "berjalan_detik": late, "pesan": message},
                polres_id=incident.polres_id, polsek_id=incident.polsek_id,
                kelurahan_kode=incident.kelurahan_id or "")
    return True


def _human(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 120:
        return f"{seconds} detik"
    if seconds < 7200:
        return f"{seconds // 60} menit"
    return f"{seconds // 3600} jam {seconds % 3600 // 60} menit"


# --- reports -------------------------------------------------------------------------------------------

def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0–100) by linear interpolation between closest ranks; None for no values."""
    if not values:
        return None
    data = sorted(values)
    rank = (len(data) - 1) * p / 100
    lo, hi = math.floor(rank), math.ceil(rank)
    return data[lo] + (data[hi] - data[lo]) * (rank - lo)


def _stats(pairs: Iterable[tuple[float | None, int | None, bool]]) -> dict[str, Any]:
    """``pairs``: (measured seconds or None, target or None, still open)."""
    measured: list[float] = []
    within = with_target = pending = 0
    for seconds, limit, is_open in pairs:
        if seconds is None:
            pending += int(is_open)
            continue
        measured.append(seconds)
        if limit is not None:
            with_target += 1
            within += int(seconds <= limit)
    return {
        "n": len(measured), "p50_detik": _round(percentile(measured, 50)), "p90_detik": _round(percentile(measured, 90)),
        "dalam_target": within, "persen_dalam_target": round(100 * within / with_target, 1) if with_target else None,
        "belum": pending,
    }


def _label(group: str, key: Any, polsek_names: dict[int, str]) -> str:
    if group == "polsek":
        return polsek_names.get(key, "?") if key is not None else "Tanpa Polsek (meja Polres)"
    if group == "category":
        t = taxonomy.incident_types().get(key)
        return t.nama if t else str(key)
    if group == "priority":
        p = taxonomy.priorities().get(key)
        return f"P{key} {p.nama}" if p else f"P{key}"
    return str(key)


def build_report(
    incidents: QuerySet[Incident], *, days: int = 7, group: str = "polsek", now: datetime | None = None,
    simulated: bool | None = None,
) -> dict[str, Any]:
    """p50/p90 of time to dispatch and time to arrive per group, with counts and % within target, and how
    often the desk corrected triage.

    Timed: incidents of priority 1–3 reported in the last ``days`` days, not marked as duplicates, measured in
    their current service cycle (from the report, or from the last reopening). Triage corrections
    (``triase``): the same days, every priority (a correction to or from P4 counts too), without duplicates;
    of the reports triage made a suggestion for, how many the desk corrected (category or priority).
    ``simulated``: None = all, True = only simulated records, False = without them.
    """
    if group not in GROUPS:
        raise ValidationFailed.field("group", f"Kelompok '{group}' tidak dikenal (pilih: {', '.join(GROUPS)}).")
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        raise ValidationFailed.field("days", "Jumlah hari harus 1–366.")
    now = now or timezone.now()
    since = now - timedelta(days=days)
    qs = incidents.filter(created_at__gt=since, created_at__lte=now).exclude(status=Incident.Status.DUPLIKAT)
    if simulated is not None:
        qs = qs.filter(is_simulated=simulated)
    rows: list[Any] = list(qs.annotate(
        triaged=ExpressionWrapper(Q(triage__has_key="category"), output_field=BooleanField())
    ).values_list("polsek_id", "category", "priority", "created_at", "cycle_started_at",
                               "dispatched_at", "arrived_at", "status", "escalated_at", "triaged",
                               "triage_overridden", named=True))
    from k3i.organization.models import Polsek

    polsek_names = dict(Polsek.objects.filter(pk__in={r.polsek_id for r in rows if r.polsek_id})
                        .values_list("pk", "nama"))
    buckets: dict[Any, list[Any]] = defaultdict(list)
    for r in rows:
        key = {"polsek": r.polsek_id, "category": r.category, "priority": r.priority, "shift": None}[group]
        if group == "shift":
            key = shift_of(r.created_at)
        buckets[key].append(r)

    def summarise(items: list[Any]) -> dict[str, Any]:
        open_statuses = set(Incident.OPEN_STATUSES)
        timed = [r for r in items if r.priority in (1, 2, 3)]

        def since_start(at: datetime | None, r: Any) -> float | None:
            return (at - (r.cycle_started_at or r.created_at)).total_seconds() if at else None

        triaged = [r for r in items if r.triaged]
        corrected = sum(1 for r in triaged if r.triage_overridden)
        return {
            "jumlah": len(timed),
            "dinaikkan": sum(1 for r in timed if r.escalated_at is not None),
            "dispatch": _stats((since_start(r.dispatched_at, r), dispatch_target(r.priority),
                                r.status in open_statuses) for r in timed),
            "tiba": _stats((since_start(r.arrived_at, r), arrive_target(r.priority), r.status in open_statuses)
                           for r in timed),
            "triase": {"n": len(triaged), "dikoreksi": corrected,
                       "persen_dikoreksi": round(100 * corrected / len(triaged), 1) if triaged else None},
        }

    order = {s.name: i for i, s in enumerate(shifts())}

    def sort_key(k: Any) -> tuple[Any, ...]:
        if group == "shift":
            return (order.get(k, 99), str(k))
        if group == "polsek":
            return (k is None, _label(group, k, polsek_names))
        return (0, k)

    return {
        "kelompok": group,
        "hari": days,
        "dari": since.isoformat(),
        "sampai": now.isoformat(),
        "target": {
            "dispatch_detik": {f"P{p}": s for p, s in sorted(dispatch_targets().items())},
            "tiba_detik": {f"P{p}": arrive_target(p) for p in (1, 2, 3)},
            "sif": [{"nama": s.name, "mulai": s.start, "selesai": s.end} for s in shifts()],
        },
        "baris": [
            {"kunci": key, "label": _label(group, key, polsek_names), **summarise(buckets[key])}
            for key in sorted(buckets, key=sort_key)
        ],
        "total": summarise(rows),
    }


def report_for(user: Any, *, days: int = 7, group: str = "polsek", now: datetime | None = None,
               simulated: bool | None = None) -> dict[str, Any]:
    """The report over the incidents ``user`` may see (a Kapolsek: their Polsek)."""
    if not can(user, "view_incident"):
        raise PermissionDenied("Laporan waktu tanggap hanya untuk peran yang dapat melihat kejadian.")
    return build_report(Incident.objects.restrict(user, "view"), days=days, group=group, now=now, simulated=simulated)


# --- `k3i report sla` ------------------------------------------------------------------------------------

def _fmt(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 600:
        return f"{seconds:.0f} d"
    return f"{seconds / 60:.1f} m"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f}%"


def format_table(report: dict[str, Any]) -> str:
    head = ("", "jumlah", "naik", "dispatch p50", "p90", "≤target", "tiba p50", "p90", "≤target", "triase",
            "dikoreksi")
    title = {"polsek": "Polsek", "category": "Kategori", "priority": "Prioritas", "shift": "Sif"}[report["kelompok"]]
    lines = [(title, *head[1:])]
    for row in [*report["baris"], {"label": "Semua", **report["total"]}]:
        d, t, tr = row["dispatch"], row["tiba"], row["triase"]
        lines.append((str(row["label"])[:40], str(row["jumlah"]), str(row["dinaikkan"]), _fmt(d["p50_detik"]),
                      _fmt(d["p90_detik"]), _pct(d["persen_dalam_target"]), _fmt(t["p50_detik"]),
                      _fmt(t["p90_detik"]), _pct(t["persen_dalam_target"]), str(tr["n"]),
                      f"{tr['dikoreksi']} ({_pct(tr['persen_dikoreksi'])})"))
    widths = [max(len(r[i]) for r in lines) for i in range(len(head))]
    out = []
    for n, r in enumerate(lines):
        out.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
        if n == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)


def cmd_report_sla(args: argparse.Namespace) -> int:
    """`k3i report sla [--days N] [--group G ...] [--json] [--polres KODE]`: for the whole Polres (shell access)."""
    from k3i.organization.models import Polres

    days = int(getattr(args, "days", 7) or 7)
    groups = list(getattr(args, "group", None) or GROUPS)
    qs = Incident.objects.all()
    kode = getattr(args, "polres", "") or getattr(settings, "K3I_POLRES", "")
    if kode:
        polres = Polres.objects.filter(kode=kode).first()
        if polres is None:
            raise ValidationFailed.field("polres", f"Polres '{kode}' tidak ada.")
        qs = qs.filter(polres=polres)
    now = timezone.now()
    reports = {g: build_report(qs, days=days, group=g, now=now) for g in groups}
    if getattr(args, "json", False):
        print(json.dumps(reports if len(groups) > 1 else reports[groups[0]], ensure_ascii=False, indent=2))
        return 0
    first = reports[groups[0]]
    t = first["target"]
    print(f"Waktu tanggap {days} hari terakhir (sampai {timezone.localtime(now):%Y-%m-%d %H:%M} WIB); "
          f"prioritas 1–3, tanpa duplikat. Target penugasan: "
          + ", ".join(f"{p} {s} d" for p, s in t["dispatch_detik"].items())
          + "; target tiba: " + ", ".join(f"{p} {s // 60} m" for p, s in t["tiba_detik"].items() if s)
          + ". Kejadian yang dibuka kembali diukur dari saat dibuka kembali. Triase: laporan dengan saran triase "
          "(semua prioritas, tanpa duplikat) dan berapa yang dikoreksi petugas.")
    for g in groups:
        print()
        print(format_table(reports[g]))
    return 0
