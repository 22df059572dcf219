"""Helpers for the dispatch tests: incidents with a fixed category/priority, positions, JSON posts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from k3i.core.audit import Channel
from k3i.dispatch.actions import record_positions
from k3i.dispatch.models import PatrolUnit
from k3i.incidents.actions import create_incident
from k3i.incidents.models import Incident
from k3i.testing import World

# Points inside the world's kelurahan (k3i/testing.py): Miroto and Brumbungan (Semarang Tengah), Bulu Lor (Utara).
MIROTO = (-6.98, 110.41)
BRUMBUNGAN = (-6.98, 110.43)
BULU_LOR = (-6.94, 110.43)


def make_incident(w: World, *, at: tuple[float, float] = MIROTO, category: str = "TAWURAN", priority: int = 2,
                  text: str = "ada keributan warga di jalan") -> Incident:
    incident, _ = create_incident(
        w.users["operator"], polres=w.polres, channel="110", text=text, lat=at[0], lon=at[1],
        category=category, priority=priority, audit_channel=Channel.WEB,
    )
    return incident


def put_at(unit: PatrolUnit, lat: float, lon: float, *, minutes_ago: float = 0.0,
           now: datetime | None = None) -> PatrolUnit:
    when = (now or timezone.now()) - timedelta(minutes=minutes_ago)
    record_positions(None, unit, [{"lat": lat, "lon": lon, "device_time": when}], channel=Channel.SYSTEM)
    unit.refresh_from_db()
    return unit


def post(c: Client, url: str, data: Any) -> Any:
    return c.post(url, data=data if isinstance(data, str) else json.dumps(data, default=str),
                  content_type="application/json")


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"], body
    if field is not None:
        assert field in {e["field"] for e in body["errors"]}, body
    return body


def sign_on_crew(w: World, *keys: str) -> None:
    """The world's patrol officers ``anggota_<key>`` sign on to their Polsek's unit ``w.units[key]`` (as the
    demo loader does for its officers): until then an officer may report for no unit (``may_report``)."""
    from k3i.dispatch.actions import sign_on

    for key in keys or ("semarang_tengah", "semarang_utara"):
        sign_on(w.users[f"anggota_{key}"], w.units[key], channel=Channel.WEB)
