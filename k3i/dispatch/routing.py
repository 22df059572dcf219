"""Travel-time estimates for the recommendation, behind one small interface so a routing engine can be plugged in.

- ``DistanceRouter`` (the default, no network): great-circle distance × a detour factor for the street
  network, divided by a speed per unit type and time of day (WIB): in the rush hours a car (R4) crawls while
  a motorbike (R2) filters through; at night both go faster.
- ``OSRMRouter`` (``K3I_ROUTER_URL``, e.g. ``http://127.0.0.1:5000``): asks a real OSRM server
  (``/route/v1/driving`` for one pair, ``/table/v1/driving`` for many) with a short timeout
  (``K3I_ROUTER_TIMEOUT``, default 0.5 s) and scales its free-flow car time by the same type/time-of-day
  factor; on any failure it answers with the distance estimate and leaves OSRM alone for a while.

A router answers ``eta_seconds(from_lat, from_lon, to_lat, to_lon, unit_type, when) -> (seconds, distance_m)``;
``eta_many`` does the same for arrays of origins (the recommendation ranks 1,000 units at once).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

WIB = ZoneInfo("Asia/Jakarta")
EARTH_RADIUS_M = 6_371_008.8
DETOUR_FACTOR = 1.35  # street distance / straight-line distance in an Indonesian city
# km/h by unit type: normal hours, rush hours (06–09 and 16–19 WIB), night (22–05 WIB)
SPEEDS: dict[str, tuple[float, float, float]] = {
    "R2": (32.0, 24.0, 40.0),
    "R4": (30.0, 14.0, 45.0),
    "kaki": (4.5, 4.5, 4.5),
    "kapal": (18.0, 18.0, 18.0),
}
DEFAULT_SPEEDS = SPEEDS["R4"]
RUSH_HOURS = frozenset({6, 7, 8, 16, 17, 18})
NIGHT_HOURS = frozenset({22, 23, 0, 1, 2, 3, 4})
ROAD_TYPES = frozenset({"R2", "R4"})  # OSRM's driving profile fits these; others keep the distance estimate


class Router(Protocol):
    def eta_seconds(
        self, from_lat: float, from_lon: float, to_lat: float, to_lon: float, unit_type: str, when: datetime
    ) -> tuple[float, float]:
        """Estimated travel time (seconds) and road distance (metres) from one point to another."""
        ...

    def eta_many(
        self, from_lats: np.ndarray, from_lons: np.ndarray, to_lat: float, to_lon: float,
        unit_types: np.ndarray, when: datetime,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The same for arrays of origins: (seconds, metres) arrays."""
        ...


def _period(when: datetime) -> int:
    hour = timezone.localtime(when, WIB).hour if timezone.is_aware(when) else when.hour
    if hour in RUSH_HOURS:
        return 1
    if hour in NIGHT_HOURS:
        return 2
    return 0


def speed_kmh(unit_type: str, when: datetime) -> float:
    return SPEEDS.get(unit_type, DEFAULT_SPEEDS)[_period(when)]


def great_circle_m(lats: np.ndarray, lons: np.ndarray, lat: float, lon: float) -> np.ndarray:
    """Haversine distance (metres) from each (lats[i], lons[i]) to (lat, lon)."""
    p1, p2 = np.radians(lats), np.radians(lat)
    dphi = p2 - p1
    dlmb = np.radians(lon) - np.radians(lons)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class DistanceRouter:
    """Great-circle distance × detour factor / speed per unit type and time of day."""

    def __init__(self, detour: float = DETOUR_FACTOR) -> None:
        self.detour = detour

    def eta_many(
        self, from_lats: np.ndarray, from_lons: np.ndarray, to_lat: float, to_lon: float,
        unit_types: np.ndarray, when: datetime,
    ) -> tuple[np.ndarray, np.ndarray]:
        road_m = great_circle_m(np.asarray(from_lats, float), np.asarray(from_lons, float), to_lat, to_lon) * self.detour
        period = _period(when)
        speeds = {t: s[period] for t, s in SPEEDS.items()}
        types = np.asarray(unit_types)
        kmh = np.full(len(types), DEFAULT_SPEEDS[period])
        for t, s in speeds.items():
            kmh[types == t] = s
        return road_m / (kmh / 3.6), road_m

    def eta_seconds(
        self, from_lat: float, from_lon: float, to_lat: float, to_lon: float, unit_type: str, when: datetime
    ) -> tuple[float, float]:
        secs, metres = self.eta_many(np.array([from_lat]), np.array([from_lon]), to_lat, to_lon,
                                     np.array([unit_type]), when)
        return float(secs[0]), float(metres[0])


class OSRMRouter:
    """A real OSRM server; falls back to ``DistanceRouter`` when it is slow, down or answers nonsense."""

    PAUSE_AFTER_FAILURE = 30.0  # seconds without asking OSRM after it failed

    def __init__(self, base_url: str, timeout: float = 0.5, fallback: DistanceRouter | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.fallback = fallback or DistanceRouter()
        self._down_until = 0.0
        self._lock = threading.Lock()

    # --- HTTP -----------------------------------------------------------------------------------------
    def _get(self, path: str) -> dict[str, Any] | None:
        if time.monotonic() < self._down_until:
            return None
        try:
            with urllib.request.urlopen(f"{self.base_url}{path}", timeout=self.timeout) as response:  # noqa: S310
                data = json.loads(response.read().decode("utf-8"))
            if not isinstance(data, dict) or data.get("code") != "Ok":
                raise ValueError(f"OSRM menjawab {str(data)[:200]}")
            return data
        except Exception as exc:  # noqa: BLE001 — any failure: use the distance estimate
            log.warning("OSRM tidak dapat dipakai (%s); memakai perkiraan jarak", exc)
            with self._lock:
                self._down_until = time.monotonic() + self.PAUSE_AFTER_FAILURE
            return None

    @staticmethod
    def _scale(unit_type: str, when: datetime) -> float:
        """OSRM gives free-flow car time; scale it like the distance model does for this type and hour."""
        return DEFAULT_SPEEDS[0] / speed_kmh(unit_type, when)

    # --- Router ---------------------------------------------------------------------------------------
    def eta_seconds(
        self, from_lat: float, from_lon: float, to_lat: float, to_lon: float, unit_type: str, when: datetime
    ) -> tuple[float, float]:
        if unit_type in ROAD_TYPES:
            data = self._get(f"/route/v1/driving/{from_lon:.6f},{from_lat:.6f};{to_lon:.6f},{to_lat:.6f}"
                             "?overview=false&alternatives=false&steps=false")
            try:
                route = data["routes"][0] if data else None
                if route is not None:
                    return float(route["duration"]) * self._scale(unit_type, when), float(route["distance"])
            except (KeyError, IndexError, TypeError, ValueError):
                pass
        return self.fallback.eta_seconds(from_lat, from_lon, to_lat, to_lon, unit_type, when)

    def eta_many(
        self, from_lats: np.ndarray, from_lons: np.ndarray, to_lat: float, to_lon: float,
        unit_types: np.ndarray, when: datetime,
    ) -> tuple[np.ndarray, np.ndarray]:
        secs, metres = self.fallback.eta_many(from_lats, from_lons, to_lat, to_lon, unit_types, when)
        types = np.asarray(unit_types)
        road = np.flatnonzero(np.isin(types, list(ROAD_TYPES)))
        if len(road) == 0:
            return secs, metres
        coords = ";".join([f"{to_lon:.6f},{to_lat:.6f}",
                           *(f"{from_lons[i]:.6f},{from_lats[i]:.6f}" for i in road)])
        sources = ";".join(str(k + 1) for k in range(len(road)))
        data = self._get(f"/table/v1/driving/{coords}?sources={sources}&destinations=0&annotations=duration,distance")
        if data is None:
            return secs, metres
        try:
            durations = [row[0] for row in data["durations"]]
            distances = [row[0] for row in data["distances"]]
            if len(durations) != len(road) or len(distances) != len(road):
                raise ValueError("jumlah baris OSRM tidak cocok")
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            log.warning("jawaban tabel OSRM tidak sah (%s); memakai perkiraan jarak", exc)
            return secs, metres
        secs, metres = secs.copy(), metres.copy()
        for k, i in enumerate(road):
            if durations[k] is not None and distances[k] is not None:  # None: OSRM found no route
                secs[i] = float(durations[k]) * self._scale(str(types[i]), when)
                metres[i] = float(distances[k])
        return secs, metres


_router: tuple[str, Router] | None = None


def get_router() -> Router:
    """The router of this installation: OSRM when ``K3I_ROUTER_URL`` is set, else the distance estimate."""
    global _router
    url = getattr(settings, "K3I_ROUTER_URL", "") or ""
    if _router is None or _router[0] != url:
        timeout = float(getattr(settings, "K3I_ROUTER_TIMEOUT", 0.5))
        _router = (url, OSRMRouter(url, timeout=timeout) if url else DistanceRouter())
    return _router[1]
