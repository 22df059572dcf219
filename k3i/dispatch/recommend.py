"""Which unit to send: units ranked by estimated time of arrival, with the reasons in Indonesian.

Candidates are the active units of the incident's Polres that are free (``tersedia`` or ``kembali``, no
active assignment) and whose position is fresh. Each gets an ETA from the router (from its last position,
or from its home base when it never reported — said in the reasons); the score is the ETA plus a handicap
for a unit of another Polsek or of Mapolres, and for one outside the incident's lead function (taxonomy
``routing.fungsi_utama`` against the unit's function), so that the incident's own Polsek and function are
preferred unless another unit is clearly faster. For a priority-1 incident, units busy on a priority-3/4
task are proposed too (``pull_from``: the task they would leave), with a larger handicap. Stale units
(``K3I_STALE_MINUTES``) are left out; ``include_stale=True`` appends them after the others, flagged. Where
the Polres uses crew sign-on, the reasons name each unit's crew or say that nobody has signed on, and a unit
nobody crews carries a handicap (``NO_CREW_S``): a task sent to it reaches no officer's phone.

Fast enough for 1,000 units per call: one ``values_list`` query for the units, one for active
assignments, numpy for the distances; model objects only for the few returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import numpy as np
from django.db.models import BooleanField, Case, Exists, OuterRef, QuerySet, Value, When
from django.utils import timezone

from k3i.core.errors import ValidationFailed

from .models import Assignment, PatrolUnit, UnitCrew, UnitStatus
from .routing import DistanceRouter, Router, get_router
from .staleness import stale_cutoff

FREE_STATUSES = (UnitStatus.TERSEDIA, UnitStatus.KEMBALI)
# A unit busy on an active assignment may be pulled off it for a priority-1 incident in these states.
PULLABLE_STATUSES = (UnitStatus.DITUGASKAN, UnitStatus.MENUJU, UnitStatus.TIBA, UnitStatus.MENANGANI)
PULL_FROM_PRIORITIES = (3, 4)
# Score handicaps, in seconds of ETA.
OTHER_POLSEK_S = 180.0
MAPOLRES_S = 90.0
OTHER_FUNCTION_S = 120.0
PULL_S = 300.0
NO_CREW_S = 240.0  # where the Polres uses crew sign-on: a unit nobody has signed on to (a task reaches no phone)
STALE_S = 1e7  # only with include_stale: always after every fresh unit
REFINE = 20  # with a routing engine: how many of the best distance estimates it re-estimates


@dataclass
class Recommendation:
    unit: PatrolUnit
    eta_seconds: int
    distance_m: int
    score: float
    reasons: list[str] = field(default_factory=list)
    stale: bool = False
    pull_from: Assignment | None = None
    rank: int = 0
    from_home: bool = False  # estimated from the home base (no position reported)


@lru_cache(maxsize=256)
def norm_fungsi(name: str | None) -> str:
    """"Sat Samapta" / "SAT_SAMAPTA" / "Si Propam" / "Sipropam" → comparable keys."""
    return "".join(ch for ch in (name or "").lower() if ch.isalnum())


def short_fungsi(name: str) -> str:
    """"Sat Samapta" → "Samapta" (how dispatchers say it)."""
    return name[4:] if name.lower().startswith("sat ") else name


def category_label(code: str) -> str:
    """The Indonesian name of a taxonomy category without its examples in brackets, for a reason:
    "GANGGUAN_KETERTIBAN" → "Gangguan ketertiban umum"; an unknown code stays as it is."""
    from k3i.incidents import taxonomy

    t = taxonomy.incident_types().get(code)
    if t is None:
        return code
    return t.nama.split(" (", 1)[0].strip() or t.nama


def has_location(incident: Any) -> bool:
    """Can a ranking be made: the incident has its own point, or a kelurahan with a representative point."""
    if incident.lat is not None and incident.lon is not None:
        return True
    kel = incident.kelurahan
    return kel is not None and kel.lat is not None and kel.lon is not None


def candidate_units(actor: Any) -> QuerySet[PatrolUnit] | None:
    """The units a ranking for ``actor`` may hold: those the actor sees (``restrict(actor, "view")``: a
    Kapolsek their own Polsek's units); ``None`` (every unit of the Polres) for the system. The incident
    page, the API and ``dispatch_unit`` all rank through this, so no one is offered a unit they cannot send
    and the rank a dispatcher sees is the rank the server checks."""
    if actor is None:
        return None
    return PatrolUnit.objects.restrict(actor, "view")


def incident_point(incident: Any) -> tuple[float, float, bool]:
    """(lat, lon, exact): the incident's own point, or its kelurahan's representative point."""
    if incident.lat is not None and incident.lon is not None:
        return incident.lat, incident.lon, True
    kel = incident.kelurahan
    if kel is not None and kel.lat is not None and kel.lon is not None:
        return kel.lat, kel.lon, False
    raise ValidationFailed.field(
        "lokasi", "Lokasi kejadian belum diketahui: isi titik atau kelurahan sebelum meminta rekomendasi unit."
    )


def minutes_text(seconds: float) -> str:
    return f"±{max(1, round(seconds / 60))} menit"


def km_text(metres: float) -> str:
    return f"{metres / 1000:.1f} km".replace(".", ",")


_COLUMNS = (
    "id", "tipe", "polsek_id", "fungsi__singkatan", "status", "last_lat", "last_lon",
    "home_lat", "home_lon", "polsek__lat", "polsek__lon",
)


@dataclass
class _Ranking:
    keep: list[tuple[Any, ...]]
    flags: list[tuple[str, bool, int | None, bool]]  # (position source, stale, pulled assignment id, same function)
    secs: np.ndarray
    metres: np.ndarray
    scores: np.ndarray
    order: np.ndarray  # indexes into keep, best first
    exact: bool  # the incident's own point (else its kelurahan's)
    crew_in_use: bool = False  # the Polres uses the crew sign-on (someone is signed on somewhere)


def _rank(
    incident: Any, *, now: datetime, units: QuerySet[PatrolUnit] | None, include_stale: bool, router: Router,
    limit: int,
) -> _Ranking | None:
    to_lat, to_lon, exact = incident_point(incident)
    pull_allowed = incident.priority == 1
    cutoff = stale_cutoff(now)
    qs = (units if units is not None else PatrolUnit.objects.all()).filter(
        polres_id=incident.polres_id, aktif=True,
        status__in=FREE_STATUSES + PULLABLE_STATUSES if pull_allowed else FREE_STATUSES,
    )
    active = Assignment.objects.filter(status__in=Assignment.ACTIVE)
    if include_stale:
        qs = qs.annotate(_stale=Case(When(last_position_at__lt=cutoff, then=Value(True)), default=Value(False),
                                     output_field=BooleanField()))
    else:
        qs = qs.exclude(last_position_at__lt=cutoff)
    busy: dict[int, tuple[int, int]] = {}  # unit id → (assignment id, its incident's priority; 0: this incident)
    if pull_allowed:
        for unit_id, a_id, prio, inc_id in active.filter(incident__polres_id=incident.polres_id).order_by().values_list(
            "unit_id", "id", "incident__priority", "incident_id"
        ):
            busy[unit_id] = (a_id, prio if inc_id != incident.pk else 0)
    else:  # a free unit never has an active assignment; the subquery guards against one that does
        qs = qs.exclude(Exists(active.filter(unit_id=OuterRef("pk"))))
    # whether someone is signed on to the unit now (no-crew handicap), in the same query
    qs = qs.annotate(_crewed=Exists(UnitCrew.objects.filter(unit_id=OuterRef("pk"), signed_off_at__isnull=True)))
    rows = list(qs.order_by().values_list(*_COLUMNS, "_crewed", "_stale") if include_stale
                else (r + (False,) for r in qs.order_by().values_list(*_COLUMNS, "_crewed")))
    if not rows:
        return None
    lead = norm_fungsi((incident.routing or {}).get("fungsi_utama"))
    crewed = {r[0] for r in rows if r[-2]}
    # empty: the Polres does not use the sign-on (no handicap, no crew reasons)
    crew_in_use = bool(crewed) or UnitCrew.objects.filter(
        unit__polres_id=incident.polres_id, signed_off_at__isnull=True).exists()

    keep, lats, lons, types, handicap, flags = [], [], [], [], [], []
    for r in rows:
        uid, tipe, polsek_id, singkatan, status, llat, llon, hlat, hlon, plat, plon, _crew, stale = r
        pull = None
        if uid in busy:
            a_id, prio = busy[uid]
            if not (prio in PULL_FROM_PRIORITIES and status in PULLABLE_STATUSES):
                continue
            pull = a_id
        elif status not in FREE_STATUSES:
            continue
        if llat is not None and llon is not None:
            lat, lon, source = llat, llon, "posisi"
        elif hlat is not None and hlon is not None:
            lat, lon, source = hlat, hlon, "pangkalan"
        elif plat is not None and plon is not None:
            lat, lon, source = plat, plon, "polsek"
        else:
            continue
        h = 0.0
        if polsek_id != incident.polsek_id:
            h += MAPOLRES_S if polsek_id is None else OTHER_POLSEK_S
        same_function = bool(lead) and norm_fungsi(singkatan) == lead
        if not same_function:
            h += OTHER_FUNCTION_S
        if pull is not None:
            h += PULL_S
        if crew_in_use and uid not in crewed:
            h += NO_CREW_S
        if stale:
            h += STALE_S
        keep.append(r)
        lats.append(lat)
        lons.append(lon)
        types.append(tipe)
        handicap.append(h)
        flags.append((source, bool(stale), pull, same_function))
    if not keep:
        return None

    lat_a, lon_a, type_a, extra = np.array(lats), np.array(lons), np.array(types), np.array(handicap)
    secs, metres = DistanceRouter().eta_many(lat_a, lon_a, to_lat, to_lon, type_a, now)
    scores = secs + extra
    if not isinstance(router, DistanceRouter):
        # a routing engine re-estimates only the best few distance estimates (one request)
        top = np.argsort(scores, kind="stable")[: max(REFINE, limit * 3)]
        s2, m2 = router.eta_many(lat_a[top], lon_a[top], to_lat, to_lon, type_a[top], now)
        secs, metres = secs.copy(), metres.copy()
        secs[top], metres[top] = s2, m2
        scores = secs + extra
    return _Ranking(keep, flags, secs, metres, scores, np.argsort(scores, kind="stable"), exact, crew_in_use)


def recommend(
    incident: Any,
    *,
    limit: int = 5,
    now: datetime | None = None,
    units: QuerySet[PatrolUnit] | None = None,
    include_stale: bool = False,
    router: Router | None = None,
) -> list[Recommendation]:
    """The best ``limit`` units for ``incident``, best first (``rank`` 1, 2, …), each with its reasons.

    ``units`` limits the candidates (e.g. to what the dispatcher may see); default all of the Polres.
    """
    now = now or timezone.now()
    ranking = _rank(incident, now=now, units=units, include_stale=include_stale, router=router or get_router(),
                    limit=limit)
    if ranking is None:
        return []
    order = ranking.order[:limit]
    keep, flags, secs, metres = ranking.keep, ranking.flags, ranking.secs, ranking.metres
    objs = PatrolUnit.objects.select_related("polsek", "fungsi").in_bulk([keep[i][0] for i in order])
    pulls = Assignment.objects.select_related("incident").in_bulk(
        [flags[i][2] for i in order if flags[i][2] is not None]
    )
    fastest = float(secs[order].min())
    crew = _crew_reasons(list(objs)) if ranking.crew_in_use else {}
    out = []
    for rank, i in enumerate(order, start=1):
        unit = objs[keep[i][0]]
        source, stale, pull, same_function = flags[i]
        eta, dist = int(round(float(secs[i]))), int(round(float(metres[i])))  # what the page and the API show
        reasons = [_eta_reason(unit, eta, dist, fastest)]
        if unit.polsek_id is not None and unit.polsek_id == incident.polsek_id:
            reasons.append(f"unit {unit.polsek.nama}" if unit.polsek else "unit Polsek kejadian")
        elif unit.polsek_id is None:
            reasons.append("unit Mapolres")
        else:
            reasons.append(f"unit {unit.polsek.nama if unit.polsek else 'Polsek lain'} (di luar Polsek kejadian)")
        if same_function and unit.fungsi:
            reasons.append(f"fungsi {short_fungsi(unit.fungsi.singkatan)} (fungsi utama kejadian)")
        elif unit.fungsi:
            reasons.append(f"fungsi {short_fungsi(unit.fungsi.singkatan)}")
        if source == "pangkalan":
            reasons.append("belum ada laporan posisi: dihitung dari pangkalan")
        elif source == "polsek":
            reasons.append("belum ada laporan posisi: dihitung dari Mapolsek")
        if not ranking.exact:
            reasons.append("lokasi kejadian diperkirakan dari titik tengah kelurahan")
        if stale:
            age = int((now - unit.last_position_at).total_seconds() // 60) if unit.last_position_at else 0
            reasons.append(f"posisi usang ({age} menit lalu): pastikan lewat radio")
        if unit.pk in crew:
            reasons.append(crew[unit.pk])
        pulled = pulls.get(pull) if pull is not None else None
        if pulled is not None:
            inc = pulled.incident
            reasons.append(f"ditarik dari tugas P{inc.priority} {inc.number} ({category_label(inc.category)})")
        out.append(Recommendation(
            unit=unit, eta_seconds=eta, distance_m=dist,
            score=round(float(ranking.scores[i]), 1), reasons=reasons, stale=stale, pull_from=pulled, rank=rank,
            from_home=source != "posisi",
        ))
    return out


def _crew_reasons(unit_ids: list[int]) -> dict[int, str]:
    """Who crews each suggested unit ("awak: …"), or that nobody has signed on to it. Called only where the
    Polres uses the sign-on at all (someone is signed on somewhere), so a Polres that does not use it sees no
    noise; such a unit also carries ``NO_CREW_S`` in its score (``_rank``). One flat query (names as
    ``actions.crew_name`` gives them: the personel record's, else the account's full name, else the username)."""
    names: dict[int, list[str]] = {}
    for uid, nama, first, last, username in UnitCrew.objects.filter(
        unit_id__in=unit_ids, signed_off_at__isnull=True
    ).order_by("signed_on_at", "pk").values_list(
        "unit_id", "user__personel__nama", "user__first_name", "user__last_name", "user__username"
    ):
        names.setdefault(uid, []).append(nama or f"{first} {last}".strip() or username)
    return {uid: ("awak: " + ", ".join(names[uid])) if uid in names
            else "belum ada awak masuk dinas: pastikan lewat radio" for uid in unit_ids}


def recommend_for(actor: Any, incident: Any, **kwargs: Any) -> list[Recommendation]:
    """``recommend`` limited to what ``actor`` may send (``candidate_units``)."""
    return recommend(incident, units=candidate_units(actor), **kwargs)


def _eta_reason(unit: PatrolUnit, eta: float, metres: float, fastest: float) -> str:
    nearest = " terdekat" if eta <= fastest + 0.5 else ""
    return f"{unit.tipe}{nearest}, {minutes_text(eta)} ({km_text(metres)})"


def rank_of(
    incident: Any, unit: PatrolUnit, *, units: QuerySet[PatrolUnit] | None = None, now: datetime | None = None
) -> tuple[int | None, int | None, int]:
    """Where ``unit`` stands in the current recommendation: (rank or None, its ETA in seconds, how many ranked)."""
    ranking = _rank(incident, now=now or timezone.now(), units=units, include_stale=False, router=get_router(),
                    limit=1)
    if ranking is None:
        return None, None, 0
    for rank, i in enumerate(ranking.order, start=1):
        if ranking.keep[i][0] == unit.pk:
            return rank, int(round(float(ranking.secs[i]))), len(ranking.order)
    return None, None, len(ranking.order)
