"""How a unit's live state reads: its status label (configurable) and whether its last position is stale.

The meanings of the states are fixed (``UnitStatus``); the words shown for them can be set per installation
with ``K3I_UNIT_STATUS_LABELS`` (JSON, e.g. ``{"tersedia": "Siaga", "menuju": "OTW TKP"}``); states not named
keep the model's label. A unit whose last reported position is older than ``K3I_STALE_MINUTES`` (default 30)
is stale: it is shown as such and left out of recommendations. A unit that never reported is not stale —
its position is unknown and its home base stands in for it.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .models import UnitStatus


@cache
def _labels(raw: str) -> dict[str, str]:
    labels = {s.value: str(s.label) for s in UnitStatus}
    if not raw.strip():
        return labels
    try:
        custom = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"K3I_UNIT_STATUS_LABELS bukan JSON yang sah: {exc}") from exc
    if not isinstance(custom, dict):
        raise ImproperlyConfigured('K3I_UNIT_STATUS_LABELS harus objek JSON, mis. {"tersedia": "Siaga"}.')
    unknown = sorted(set(custom) - set(labels))
    if unknown:
        raise ImproperlyConfigured(
            "K3I_UNIT_STATUS_LABELS: status tidak dikenal " + ", ".join(unknown) + " (pilih: " + ", ".join(labels) + ")."
        )
    for key, value in custom.items():
        if not isinstance(value, str) or not value.strip():
            raise ImproperlyConfigured(f"K3I_UNIT_STATUS_LABELS: label untuk '{key}' harus teks yang tidak kosong.")
        labels[key] = value.strip()
    return labels


def status_labels() -> dict[str, str]:
    """Every fixed unit state → the label shown for it in this installation."""
    return dict(_labels(getattr(settings, "K3I_UNIT_STATUS_LABELS", "") or ""))


def status_label(status: str) -> str:
    """The label shown for one unit state (``UnitStatus`` value)."""
    return _labels(getattr(settings, "K3I_UNIT_STATUS_LABELS", "") or "").get(status, status)


def stale_after() -> timedelta:
    return timedelta(minutes=float(getattr(settings, "K3I_STALE_MINUTES", 30)))


def stale_cutoff(now: datetime | None = None) -> datetime:
    """Positions reported before this moment are stale."""
    return (now or timezone.now()) - stale_after()


def is_stale(unit: Any, now: datetime | None = None) -> bool:
    """True when the unit's last position is older than ``K3I_STALE_MINUTES`` (never reported: False)."""
    at = getattr(unit, "last_position_at", None)
    return at is not None and at < stale_cutoff(now)


def position_age_minutes(unit: Any, now: datetime | None = None) -> int | None:
    at = getattr(unit, "last_position_at", None)
    if at is None:
        return None
    return max(0, int(((now or timezone.now()) - at).total_seconds() // 60))
