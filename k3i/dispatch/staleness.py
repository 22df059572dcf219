"""How a unit's live state reads: its status label (configurable) and whether its last position is stale.

The meanings of the states are fixed (``UnitStatus``); the words shown for them can be set per installation
with ``K3I_UNIT_STATUS_LABELS`` (JSON, e.g. ``{"tersedia": "Siaga", "menuju": "OTW TKP"}``); states not named
keep the model's label. A unit whose last reported position is older than ``K3I_STALE_MINUTES`` (default 30)
is stale: it is shown as such and left out of recommendations. A unit that never reported is not stale —
its position is unknown and its home base stands in for it.

Labels and languages: a configured label is a word of the installation's own language (``LANGUAGE_CODE``,
Bahasa Indonesia) and replaces the default there. The English interface shows the English translation of
the model's label instead, because a local word ("Siaga", "OTW TKP") means little to its reader and the
meaning of every state is fixed anyway. An installation that wants its own words in English too gives an
object per state: ``{"tersedia": {"id": "Siaga", "en": "On standby"}}``. Labels are worked out per
language (the settings are parsed once per value; a label is cached per setting value and language).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation

from .models import UnitStatus


def _language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


@cache
def _configured(raw: str, default_language: str, languages: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """``K3I_UNIT_STATUS_LABELS`` checked: state → {language: label}. A plain string is the label in
    ``default_language``."""
    if not raw.strip():
        return {}
    try:
        custom = json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"K3I_UNIT_STATUS_LABELS bukan JSON yang sah: {exc}") from exc
    if not isinstance(custom, dict):
        raise ImproperlyConfigured('K3I_UNIT_STATUS_LABELS harus objek JSON, mis. {"tersedia": "Siaga"}.')
    states = [s.value for s in UnitStatus]
    unknown = sorted(set(custom) - set(states))
    if unknown:
        raise ImproperlyConfigured(
            "K3I_UNIT_STATUS_LABELS: status tidak dikenal " + ", ".join(unknown) + " (pilih: " + ", ".join(states) + ")."
        )
    out: dict[str, dict[str, str]] = {}
    for key, value in custom.items():
        per_language = value if isinstance(value, dict) else {default_language: value}
        bad = sorted(set(per_language) - set(languages))
        if bad:
            raise ImproperlyConfigured(f"K3I_UNIT_STATUS_LABELS: bahasa tidak dikenal untuk '{key}': "
                                       + ", ".join(bad) + " (pilih: " + ", ".join(languages) + ").")
        for label in per_language.values() or [None]:
            if not isinstance(label, str) or not label.strip():
                raise ImproperlyConfigured(f"K3I_UNIT_STATUS_LABELS: label untuk '{key}' harus teks yang tidak kosong.")
        out[key] = {language: label.strip() for language, label in per_language.items()}
    return out


@cache
def _labels(raw: str, default_language: str, languages: tuple[str, ...], language: str) -> dict[str, str]:
    configured = _configured(raw, default_language, languages)
    with translation.override(language):
        labels = {s.value: str(s.label) for s in UnitStatus}
    for key, per_language in configured.items():
        if language in per_language:
            labels[key] = per_language[language]
    return labels


def _current_labels(language: str | None) -> dict[str, str]:
    languages = tuple(_language_codes())
    default = settings.LANGUAGE_CODE
    active = (language or translation.get_language() or default).lower()
    if active not in languages:
        active = active.split("-")[0] if active.split("-")[0] in languages else default
    return _labels(getattr(settings, "K3I_UNIT_STATUS_LABELS", "") or "", default, languages, active)


def status_labels(language: str | None = None) -> dict[str, str]:
    """Every fixed unit state → the label shown for it in this installation, in ``language`` (default: the
    active one)."""
    return dict(_current_labels(language))


def status_label(status: str, language: str | None = None) -> str:
    """The label shown for one unit state (``UnitStatus`` value), in ``language`` (default: the active one)."""
    return _current_labels(language).get(status, status)


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
