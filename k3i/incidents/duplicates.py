"""Likely duplicates: reports of the same kind, nearby, minutes apart, still open — offered for linking.

``likely_duplicates(incident)`` reads; linking is the action ``link_duplicate`` (in ``actions.py``, re-exported
here). Distance and time window come from the settings ``K3I_DUPLICATE_RADIUS_M`` (default 500 m) and
``K3I_DUPLICATE_MINUTES`` (default 30 minutes). A report without coordinates (located from its text)
matches reports of the same kelurahan.
"""

from __future__ import annotations

import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Q

from k3i.organization.geo import M_PER_DEG_LAT, M_PER_DEG_LON_EQ, haversine_m

from .actions import link_duplicate
from .models import Incident

__all__ = ["likely_duplicates", "link_duplicate", "radius_m", "window_minutes"]


def radius_m() -> float:
    return float(getattr(settings, "K3I_DUPLICATE_RADIUS_M", 500))


def window_minutes() -> float:
    return float(getattr(settings, "K3I_DUPLICATE_MINUTES", 30))


def likely_duplicates(
    incident: Incident, *, radius: float | None = None, minutes: float | None = None, limit: int = 10
) -> list[tuple[Incident, list[str]]]:
    """Open incidents of the same Polres and category within ``radius`` metres and ``minutes`` of this one,
    nearest first, each with the reasons (Indonesian) it was offered."""
    radius = radius_m() if radius is None else radius
    minutes = window_minutes() if minutes is None else minutes
    window = timedelta(minutes=minutes)
    qs = (
        Incident.objects.filter(
            polres_id=incident.polres_id, category=incident.category, status__in=Incident.OPEN_STATUSES,
            created_at__gte=incident.created_at - window, created_at__lte=incident.created_at + window,
        )
        .exclude(pk=incident.pk)
        .select_related("kelurahan", "polsek")
    )
    has_point = incident.lat is not None and incident.lon is not None
    where = Q()
    if has_point:
        assert incident.lat is not None and incident.lon is not None
        dlat = radius / M_PER_DEG_LAT
        dlon = radius / (M_PER_DEG_LON_EQ * max(0.01, math.cos(math.radians(incident.lat))))
        where |= Q(lat__range=(incident.lat - dlat, incident.lat + dlat),
                   lon__range=(incident.lon - dlon, incident.lon + dlon))
    if incident.kelurahan_id:
        # reports located only by kelurahan (no point), or this one has no point itself
        same_kel = Q(kelurahan_id=incident.kelurahan_id)
        where |= same_kel if not has_point else same_kel & Q(lat__isnull=True)
    if not where:
        return []
    out: list[tuple[float, float, Incident, list[str]]] = []
    label = incident.get_category_display()
    for other in qs.filter(where)[:200]:
        reasons = [f"jenis sama: {label}"]
        if has_point and other.lat is not None and other.lon is not None:
            assert incident.lat is not None and incident.lon is not None
            d = haversine_m(incident.lat, incident.lon, other.lat, other.lon)
            if d > radius:
                continue
            reasons.append(f"berjarak {d:,.0f} m".replace(",", "."))
        else:
            d = radius  # same kelurahan, distance unknown: after the measured ones
            reasons.append(f"kelurahan sama: {other.kelurahan.nama if other.kelurahan else '-'} (titik belum pasti)")
        gap = abs((other.created_at - incident.created_at).total_seconds()) / 60
        reasons.append("selisih kurang dari 1 menit" if gap < 1 else f"selisih {gap:.0f} menit")
        if other.duplicate_of_id is None and other.linked_reports.exists():
            reasons.append("sudah memiliki laporan tertaut")
        out.append((d, gap, other, reasons))
    out.sort(key=lambda r: (r[0], r[1]))
    return [(o, reasons) for _, _, o, reasons in out[:limit]]
