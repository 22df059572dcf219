"""The live simulator: a shift of calls, dispatches and patrol units, through the real actions.

- **Calls** arrive as a Poisson process whose rate follows a daily and weekly rhythm per kind of incident
  (street crime and disorder peak at night and on Friday/Saturday nights, traffic in the rush hours, paperwork
  in office hours); ``rate`` is the weekly average of calls per hour. Each lands in a kelurahan (a few hot
  spots weigh more) at a point inside its boundary (shapely), with a category mix from the taxonomy and a
  generated informal text (``sim_texts``), through ``create_incident(..., is_simulated=True,
  audit_channel="simulator")``.
- **The desk** confirms triage (correcting it to the "true" labels when triage missed), and dispatches the
  first recommendation (``k3i.dispatch.recommend``) after a delay that depends on the priority — sometimes
  more than 60 s for a priority 1, so escalation shows; now and then it picks the second unit with a reason.
- **Units** accept, drive towards the scene at the speed of their type and the time of day (the same speeds
  the ETA uses; along a street network ≈ 1.35 × the straight line), report positions, arrive, handle the
  incident, finish; the desk closes it with a disposition; the unit returns to its base and patrols again.
  Free units drift around their Polsek. Only assignments of simulated incidents are driven.

Time: the simulation has its own clock (``clock``) which ``step(dt)`` advances by ``dt`` seconds — tests
step without sleeping; the ``Simulator`` thread steps by the real time elapsed × ``speed``. Records carry the
real time of writing (the actions stamp them), so at ``speed`` > 1 a shift is compressed. Deterministic for a
given ``seed`` and database.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.prepared import prep

from k3i.core.audit import WIB, Channel
from k3i.core.errors import K3iError
from k3i.dispatch.models import Assignment, PatrolUnit, UnitStatus
from k3i.dispatch.routing import DETOUR_FACTOR, speed_kmh
from k3i.incidents.models import Incident
from k3i.incidents.taxonomy import incident_types
from k3i.organization.geo import haversine_m
from k3i.organization.models import Polres, Polsek, Region

from . import sim_texts

log = logging.getLogger("k3i.simulator")

CHANNEL = Channel.SIM
SIM_USERNAME = "simulator"

# Share of all calls (weekly average), a plausible mix for an urban Polres.
CATEGORY_SHARE: dict[str, float] = {
    "CURAS": 5, "CURAT": 5, "CURANMOR": 7, "PENCURIAN": 6, "PENGANIAYAAN": 6, "KDRT": 4, "KEKERASAN_SEKSUAL": 1.5,
    "PEMBUNUHAN": 0.3, "NARKOBA": 2, "TAWURAN": 2.5, "UNJUK_RASA": 0.7, "PEKAT": 3, "GANGGUAN_KETERTIBAN": 9,
    "LAKA_LANTAS": 10, "GANGGUAN_LANTAS": 6, "KEBAKARAN": 2.5, "BENCANA": 2, "ORANG_HILANG": 1.5, "PENIPUAN": 5,
    "ANCAMAN_TEROR": 0.3, "NUBIKA": 0.3, "KEMANUSIAAN": 4, "LAYANAN_ADMINISTRASI": 5, "PENGADUAN_ANGGOTA": 1,
    "INFORMASI": 9,
}
# Hourly shape (WIB hour 0…23) of each rhythm; normalised per category over the week.
DAILY: dict[str, tuple[float, ...]] = {
    "umum": (0.6, 0.45, 0.35, 0.3, 0.3, 0.4, 0.7, 0.9, 1.0, 1.0, 1.05, 1.1, 1.1, 1.1, 1.1, 1.15, 1.2, 1.3, 1.4,
             1.5, 1.5, 1.4, 1.2, 0.9),
    "malam": (1.8, 1.9, 1.8, 1.5, 1.0, 0.6, 0.4, 0.4, 0.4, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2,
              1.4, 1.6, 1.8, 1.8),
    "lalin": (0.3, 0.2, 0.2, 0.2, 0.4, 0.8, 1.8, 2.2, 1.6, 1.0, 0.9, 1.0, 1.1, 1.0, 1.0, 1.3, 2.0, 2.2, 1.6, 1.1,
              0.9, 0.8, 0.6, 0.4),
    "kantor": (0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 1.2, 2.4, 2.6, 2.6, 2.4, 2.0, 2.3, 2.2, 1.6, 0.9, 0.5, 0.4,
               0.3, 0.2, 0.15, 0.1, 0.05),
    "siang": (0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 2.0, 2.2, 2.2, 2.0, 2.0, 2.0, 1.8, 1.5, 1.2, 1.0, 0.8,
              0.6, 0.4, 0.3, 0.2),
}
RHYTHM: dict[str, str] = {
    "CURAS": "malam", "CURAT": "malam", "CURANMOR": "malam", "PEKAT": "malam", "TAWURAN": "malam",
    "GANGGUAN_KETERTIBAN": "malam", "NARKOBA": "malam", "LAKA_LANTAS": "lalin", "GANGGUAN_LANTAS": "lalin",
    "LAYANAN_ADMINISTRASI": "kantor", "PENGADUAN_ANGGOTA": "kantor", "PENIPUAN": "kantor", "UNJUK_RASA": "siang",
    "KEBAKARAN": "siang", "BENCANA": "siang",
}
# Minutes at the scene, by category (uniform between the two); default otherwise.
HANDLING_MIN: dict[str, tuple[float, float]] = {
    "LAKA_LANTAS": (20, 60), "KEBAKARAN": (30, 90), "BENCANA": (30, 90), "PEMBUNUHAN": (60, 150),
    "GANGGUAN_KETERTIBAN": (10, 30), "GANGGUAN_LANTAS": (10, 40), "PENCURIAN": (10, 25), "TAWURAN": (20, 60),
    "UNJUK_RASA": (60, 180), "KEMANUSIAAN": (15, 40),
}
DEFAULT_HANDLING_MIN = (15, 45)
OVERRIDE_REASONS = (
    "unit pertama sedang isi BBM", "unit pertama terjebak macet menurut radio", "unit kedua lebih kenal lokasi",
    "unit pertama melapor sedang istirahat", "permintaan Kapolsek",
)
# How the desk closes: (status, disposition code of ``k3i.incidents.lifecycle.DISPOSITIONS``, notes).
CRIME = {"CURAS", "CURAT", "CURANMOR", "PENCURIAN", "PENGANIAYAAN", "NARKOBA", "PEKAT", "TAWURAN", "PEMBUNUHAN",
         "KEKERASAN_SEKSUAL", "KDRT"}
PARTNERS = {"KEBAKARAN", "BENCANA", "NUBIKA", "KEMANUSIAAN", "ANCAMAN_TEROR"}
NOTES = {
    "ditangani_di_tkp": ("situasi sudah kondusif", "lalu lintas kembali lancar", "warga sudah dibubarkan",
                         "korban sudah ditolong"),
    "pelaku_diamankan": ("pelaku diamankan warga dan dibawa ke Polsek", "satu terduga pelaku diamankan"),
    "dibuat_laporan_polisi": ("pelapor diarahkan membuat LP di SPKT", "LP dibuat, diteruskan ke unit reskrim"),
    "mediasi": ("kedua pihak sepakat berdamai", "dimediasi bersama Bhabinkamtibmas dan ketua RT"),
    "diserahkan_instansi": ("ditangani bersama Damkar/BPBD", "korban dibawa ambulans ke puskesmas"),
    "bantuan_diberikan": ("informasi sudah diberikan kepada pelapor", "pelapor diarahkan ke layanan SPKT"),
    "tidak_ditemukan": ("di lokasi tidak ditemukan kejadian", "pelapor tidak dapat dihubungi di lokasi"),
    "laporan_palsu": ("laporan iseng",),
    "sudah_selesai": ("kejadian sudah selesai sebelum petugas tiba",),
}


def disposition_for(category: str, false_alarm: bool, rng: random.Random) -> tuple[str, str, str]:
    """(status, disposition, note) for closing a simulated incident."""
    if false_alarm:
        code = rng.choice(("tidak_ditemukan", "tidak_ditemukan", "laporan_palsu", "sudah_selesai"))
        return "tidak_terbukti", code, rng.choice(NOTES[code])
    if category in ("INFORMASI", "LAYANAN_ADMINISTRASI"):
        code = "bantuan_diberikan"
    elif category in PARTNERS:
        code = rng.choice(("diserahkan_instansi", "ditangani_di_tkp"))
    elif category in ("KDRT", "PENGANIAYAAN", "GANGGUAN_KETERTIBAN", "TAWURAN"):
        code = rng.choice(("mediasi", "ditangani_di_tkp", "pelaku_diamankan", "dibuat_laporan_polisi"))
    elif category in CRIME or category == "PENIPUAN":
        code = rng.choice(("dibuat_laporan_polisi", "dibuat_laporan_polisi", "pelaku_diamankan", "ditangani_di_tkp"))
    else:
        code = "ditangani_di_tkp"
    return "selesai", code, rng.choice(NOTES[code])


# Incidents that draw a second caller now and then (the desk links the echo as a duplicate).
ECHO_CATEGORIES = {"LAKA_LANTAS", "KEBAKARAN", "TAWURAN", "PENGANIAYAAN", "CURAS", "BENCANA", "UNJUK_RASA",
                   "GANGGUAN_KETERTIBAN", "GANGGUAN_LANTAS"}
ECHO_P = 0.12
MAX_SUBSTEP = 30.0  # seconds of simulated time per internal step
ARRIVE_M = 25.0  # close enough to the scene / a waypoint
HOME_M = 150.0


def travel_kmh(unit_type: str, when: datetime) -> float:
    """Speed along the streets towards a scene (the same table as the ETA estimate)."""
    return speed_kmh(unit_type, when)


def straight_line_mps(unit_type: str, when: datetime) -> float:
    """Progress per second along the straight line to the scene (streets are ~1.35 × longer)."""
    return travel_kmh(unit_type, when) / 3.6 / DETOUR_FACTOR


def patrol_kmh(unit_type: str, when: datetime) -> float:
    return travel_kmh(unit_type, when) * (0.8 if unit_type == PatrolUnit.Tipe.JALAN_KAKI else 0.45)


def move_towards(lat: float, lon: float, tlat: float, tlon: float, metres: float) -> tuple[float, float, bool]:
    """Move up to ``metres`` along the straight line; returns the new point and whether it got there."""
    dist = haversine_m(lat, lon, tlat, tlon)
    if dist <= max(metres, 0.01):
        return tlat, tlon, True
    f = metres / dist
    return lat + (tlat - lat) * f, lon + (tlon - lon) * f, False


def _hour_of_week(moment: datetime) -> int:
    local = moment.astimezone(WIB)
    return local.weekday() * 24 + local.hour


def _weekly(rhythm: str, weekday: int, hour: int) -> float:
    weekend_night = (weekday in (4, 5) and hour >= 20) or (weekday in (5, 6) and hour < 4)
    if rhythm == "malam":
        return 1.5 if weekend_night else 1.0
    if rhythm == "lalin":
        return 1.1 if weekday < 5 else (0.6 if weekday == 6 and hour < 12 else 0.8)
    if rhythm == "kantor":
        return 1.0 if weekday < 5 else (0.4 if weekday == 5 else 0.15)
    if rhythm == "siang":
        return 1.0 if weekday < 5 else 0.7
    return 1.1 if weekend_night else 1.0


def category_rates() -> dict[str, list[float]]:
    """Per category, 168 hourly weights (Monday 00 WIB first); each category's mean is its share (sum 1)."""
    total_share = sum(CATEGORY_SHARE.values())
    out: dict[str, list[float]] = {}
    for code in incident_types():
        rhythm = RHYTHM.get(code, "umum")
        raw = [DAILY[rhythm][h % 24] * _weekly(rhythm, h // 24, h % 24) for h in range(168)]
        mean = sum(raw) / len(raw)
        share = CATEGORY_SHARE.get(code, 0.5) / total_share
        out[code] = [share * r / mean for r in raw]
    return out


@dataclass
class Area:
    """A kelurahan where calls can come from: a weight and a way to draw a point inside it."""

    kode: str
    nama: str
    polsek_id: int | None
    lat: float
    lon: float
    weight: float
    hot: bool = False
    geom: Any = None
    prepared: Any = None

    def point(self, rng: random.Random) -> tuple[float, float]:
        if self.geom is not None:
            minx, miny, maxx, maxy = self.geom.bounds
            # Drawn well inside the boundary (shrunk box around the centre first) so that it locates here.
            for _ in range(60):
                lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
                if self.prepared.contains(Point(lon, lat)):
                    return round(lat, 6), round(lon, 6)
            p = self.geom.representative_point()
            return round(p.y, 6), round(p.x, 6)
        return round(self.lat + rng.uniform(-0.002, 0.002), 6), round(self.lon + rng.uniform(-0.002, 0.002), 6)


@dataclass
class Call:
    """A simulated call the simulated desk is working on."""

    incident_id: int
    category: str
    priority: int
    verify_at: datetime
    dispatch_at: datetime | None  # None: no unit (priority 4)
    close_at: datetime | None = None  # priority 4: answered without a unit
    verified: bool = False
    false_alarm: bool = False
    duplicate_of: int | None = None  # an echo: a second caller about that incident


@dataclass
class Echo:
    at: datetime
    incident_id: int
    category: str
    area: Area
    lat: float
    lon: float


@dataclass
class Mover:
    """What the simulator keeps of a unit between steps."""

    lat: float
    lon: float
    waypoint: tuple[float, float] | None = None
    pause_until: datetime | None = None
    last_report: datetime | None = None  # simulated time of the last position sent
    last_device_time: datetime | None = None
    heading: float | None = None
    speed_kmh: float = 0.0


@dataclass
class Plan:
    """Timings of one assignment, drawn when the simulator first sees it."""

    accept_at: datetime
    enroute_delay: float
    handle_s: float
    settle_delay: float  # from arrival to "menangani"
    enroute_at: datetime | None = None
    arrived_at: datetime | None = None
    done_at: datetime | None = None
    handling: bool = False


@dataclass
class StepReport:
    created: list[Incident] = field(default_factory=list)
    dispatched: list[Assignment] = field(default_factory=list)
    arrived: list[Assignment] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    linked: list[int] = field(default_factory=list)
    positions: int = 0
    errors: list[str] = field(default_factory=list)

    def merge(self, other: StepReport) -> None:
        self.created += other.created
        self.dispatched += other.dispatched
        self.arrived += other.arrived
        self.closed += other.closed
        self.linked += other.linked
        self.positions += other.positions
        self.errors += other.errors


def simulator_user(polres: Polres) -> Any:
    """The account the simulated desk acts as (an operator K3i of the Polres without a usable password)."""
    from k3i.accounts.actions import create_user
    from k3i.accounts.models import User
    from k3i.core.roles import Role

    username = SIM_USERNAME if Polres.objects.count() <= 1 else f"{SIM_USERNAME}-{polres.kode}"
    user = User.objects.filter(username=username).first()
    if user is None:
        user = create_user(None, username=username, password=None, role=Role.OPERATOR, polres=polres,
                           lingkup=User.Lingkup.POLRES, is_demo=True, full_name="Simulator K3i",
                           channel=Channel.SYSTEM)
    return user


def default_polres(kode: str = "") -> Polres:
    kode = kode or getattr(settings, "K3I_POLRES", "")
    qs = Polres.objects.order_by("pk")
    polres = qs.filter(kode=kode).first() if kode else qs.first()
    if polres is None:
        raise K3iError(f"Polres '{kode}' tidak ada." if kode else "Belum ada Polres: jalankan `k3i demo` dulu.")
    return polres


class Simulation:
    """The simulation engine. ``step(dt)`` advances it by ``dt`` simulated seconds."""

    def __init__(
        self, polres: Polres, *, rate: float = 12.0, speed: float = 1.0, seed: int | None = None,
        start: datetime | None = None, actor: Any = None, auto_dispatch: bool = True,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not rate > 0:
            raise K3iError("--rate harus lebih dari 0 panggilan per jam.")
        if not speed > 0:
            raise K3iError("--speed harus lebih dari 0.")
        self.polres = polres
        self.rate = float(rate)
        self.speed = float(speed)
        self.rng = random.Random(seed)
        self.clock = start or timezone.now()
        self.actor = actor if actor is not None else simulator_user(polres)
        self.auto_dispatch = auto_dispatch
        self._now = now or timezone.now
        self.calls: dict[int, Call] = {}
        self.movers: dict[int, Mover] = {}
        self.plans: dict[int, Plan] = {}
        self.echoes: list[Echo] = []
        self.made = 0
        self._rates = category_rates()
        self._codes = sorted(self._rates)
        self._total = [sum(self._rates[c][h] for c in self._codes) for h in range(168)]
        self._max = max(self._total)
        self.areas = self._load_areas()
        if not self.areas:
            raise K3iError(f"{polres.nama} belum punya kelurahan dengan Polsek: muat data wilayah dulu.")
        self._area_weights = [a.weight for a in self.areas]
        self._polsek_areas: dict[int | None, list[Area]] = {}
        for a in self.areas:
            self._polsek_areas.setdefault(a.polsek_id, []).append(a)
        self._next_arrival = self.clock + timedelta(seconds=self._gap())

    # --- places ---------------------------------------------------------------------------------------

    def _load_areas(self) -> list[Area]:
        polsek = dict(Polsek.objects.filter(polres=self.polres).values_list("kecamatan_id", "pk"))
        areas = []
        for r in Region.objects.filter(level=Region.Level.KELURAHAN, parent_id__in=list(polsek)).order_by("kode"):
            geom = None
            if r.geometry:
                try:
                    geom = shape(r.geometry)
                except Exception:  # an odd boundary: fall back to the representative point
                    geom = None
            if geom is not None and geom.is_empty:
                geom = None
            if geom is None and (r.lat is None or r.lon is None):
                continue
            c = geom.representative_point() if geom is not None else None
            size = r.luas_km2 or 1.0
            areas.append(Area(r.kode, r.nama, polsek.get(r.parent_id or ""), c.y if c else float(r.lat or 0),
                              c.x if c else float(r.lon or 0), math.sqrt(max(size, 0.05)), geom=geom,
                              prepared=prep(geom) if geom is not None else None))
        # Hot spots: a few kelurahan (markets, terminals, nightlife) weigh much more.
        hot = self.rng.sample(range(len(areas)), k=max(1, round(len(areas) * 0.08))) if areas else []
        for i in hot:
            areas[i].hot = True
            areas[i].weight *= 6
        return areas

    def hot_spots(self) -> list[str]:
        return [a.nama for a in self.areas if a.hot]

    # --- arrivals -------------------------------------------------------------------------------------

    def rate_at(self, moment: datetime) -> float:
        """Calls per hour at ``moment`` (the rhythm × ``rate``)."""
        return self.rate * self._total[_hour_of_week(moment)]

    def _gap(self) -> float:
        return self.rng.expovariate(self.rate * self._max / 3600)

    def _arrivals_until(self, end: datetime) -> list[tuple[datetime, str]]:
        """Thinning: candidates at the peak rate, kept with probability rate(t)/peak."""
        out = []
        while self._next_arrival <= end:
            t = self._next_arrival
            h = _hour_of_week(t)
            if self.rng.random() < self._total[h] / self._max:
                weights = [self._rates[c][h] for c in self._codes]
                out.append((t, self.rng.choices(self._codes, weights=weights)[0]))
            self._next_arrival = t + timedelta(seconds=self._gap())
        return out

    def opening_calls(self, n: int = 3) -> list[Incident]:
        """``n`` calls at once, of the categories this hour brings: a demo that starts on a quiet database shows
        a shift under way within seconds instead of after the first random arrival (minutes at 12 calls/hour)."""
        h = _hour_of_week(self.clock)
        weights = [self._rates[c][h] for c in self._codes]
        made = []
        for _ in range(n):
            incident = self.new_call(self.rng.choices(self._codes, weights=weights)[0])
            if incident is not None:
                made.append(incident)
        return made

    def _channel(self, category: str) -> str:
        r = self.rng.random()
        if category in ("LAYANAN_ADMINISTRASI", "INFORMASI", "PENIPUAN", "PENGADUAN_ANGGOTA"):
            return "110" if r < 0.4 else ("web" if r < 0.75 else "pesan")
        if category in ("CURAS", "PENGANIAYAAN", "KDRT", "KEKERASAN_SEKSUAL") and r < 0.06:
            return "panik"
        if category in ("LAKA_LANTAS", "GANGGUAN_LANTAS", "PEKAT", "GANGGUAN_KETERTIBAN") and r > 0.9:
            return "petugas"
        r = self.rng.random()
        return "110" if r < 0.68 else ("pesan" if r < 0.85 else ("web" if r < 0.96 else "petugas"))

    def new_call(self, category: str, *, at: datetime | None = None, area: Area | None = None,
                 channel: str | None = None, priority: int | None = None,
                 echo_of: Echo | None = None) -> Incident | None:
        """One simulated call now: text, place, channel; the desk's work on it is scheduled."""
        at = at or self.clock
        rng = self.rng
        if echo_of is not None:  # a second caller, a little way off
            area = echo_of.area
            lat = round(echo_of.lat + rng.uniform(-0.0008, 0.0008), 6)
            lon = round(echo_of.lon + rng.uniform(-0.0008, 0.0008), 6)
        else:
            area = area or rng.choices(self.areas, weights=self._area_weights)[0]
            lat, lon = area.point(rng)
        channel = channel or self._channel(category)
        text, priority = sim_texts.report_text(category, rng, place=area.nama, priority=priority)
        name, phone = sim_texts.reporter(rng)
        if channel == "panik":
            text, priority = sim_texts.panic_text(rng, place=area.nama), 1
        elif channel == "petugas":
            name, phone = "", ""
        elif channel == "web" and rng.random() < 0.3:
            name = ""
        try:
            incident, _ = _create(self.actor, polres=self.polres, channel=channel, text=text, lat=lat, lon=lon,
                                  reporter_name=name, reporter_phone=phone)
        except K3iError as exc:
            log.info("panggilan simulasi ditolak: %s", exc.detail)
            return None
        self.made += 1
        self._schedule(incident, category, priority, at)
        if echo_of is not None:
            self.calls[incident.pk].duplicate_of = echo_of.incident_id
        elif category in ECHO_CATEGORIES and rng.random() < ECHO_P:
            self.echoes.append(Echo(at + timedelta(seconds=rng.uniform(45, 600)), incident.pk, category, area,
                                    lat, lon))
        return incident

    def _schedule(self, incident: Incident, category: str, priority: int, at: datetime) -> None:
        rng = self.rng
        if priority == 1:
            verify = rng.uniform(8, 30)
            dispatch: float | None = verify + rng.lognormvariate(math.log(25), 0.7)
        elif priority == 2:
            verify = rng.uniform(20, 60)
            dispatch = verify + rng.uniform(60, 360)
        elif priority == 3:
            verify = rng.uniform(30, 120)
            dispatch = verify + rng.uniform(300, 1500)
        else:
            verify, dispatch = rng.uniform(20, 60), None
        close = at + timedelta(seconds=verify + rng.uniform(60, 240)) if dispatch is None else None
        self.calls[incident.pk] = Call(
            incident.pk, category, priority, at + timedelta(seconds=verify),
            at + timedelta(seconds=dispatch) if dispatch is not None else None, close,
            false_alarm=rng.random() < 0.07,
        )

    # --- the step -------------------------------------------------------------------------------------

    def step(self, dt: float) -> StepReport:
        """Advance the simulation by ``dt`` simulated seconds."""
        report = StepReport()
        remaining = float(dt)
        while remaining > 1e-9:
            sub = min(remaining, MAX_SUBSTEP)
            report.merge(self._substep(sub))
            remaining -= sub
        return report

    def run_for(self, seconds: float, tick: float = 15.0) -> StepReport:
        report = StepReport()
        left = seconds
        while left > 1e-9:
            report.merge(self.step(min(tick, left)))
            left -= tick
        return report

    def _substep(self, dt: float) -> StepReport:
        report = StepReport()
        end = self.clock + timedelta(seconds=dt)
        for at, category in self._arrivals_until(end):
            incident = self.new_call(category, at=at)
            if incident is not None:
                report.created.append(incident)
        for echo in [e for e in self.echoes if e.at <= end]:
            self.echoes.remove(echo)
            incident = self.new_call(echo.category, at=echo.at, echo_of=echo)
            if incident is not None:
                report.created.append(incident)
        self.clock = end
        self._desk(report)
        self._units(dt, report)
        return report

    # --- the desk -------------------------------------------------------------------------------------

    def _desk(self, report: StepReport) -> None:
        if not self.calls:
            return
        incidents = Incident.objects.in_bulk(list(self.calls))
        for pk in sorted(self.calls):
            call = self.calls[pk]
            incident = incidents.get(pk)
            if incident is None or not incident.is_open:
                self.calls.pop(pk)
                continue
            try:
                if call.duplicate_of is not None:
                    if self.clock >= call.verify_at:
                        self.calls.pop(pk)
                        _link(self.actor, incident, call.duplicate_of)
                        report.linked.append(pk)
                    continue
                if not call.verified and self.clock >= call.verify_at:
                    call.verified = True
                    if incident.verified_at is None:
                        incident = _confirm(self.actor, incident, call)
                if call.close_at is not None:
                    if self.clock >= call.close_at:
                        _close(self.actor, incident, *disposition_for(call.category, False, self.rng))
                        report.closed.append(pk)
                        self.calls.pop(pk)
                    continue
                waiting = incident.status in (Incident.Status.BARU, Incident.Status.DIVERIFIKASI)
                if not waiting or not self.auto_dispatch:
                    continue  # a unit is on it (the assignment drives it from here) or dispatch is by hand
                if call.dispatch_at is None:  # its unit was pulled away or cancelled: send another
                    call.dispatch_at = self.clock + timedelta(seconds=self.rng.uniform(20, 60))
                if self.clock >= call.dispatch_at:
                    a = self._dispatch(incident, call)
                    if a is None:
                        call.dispatch_at = self.clock + timedelta(seconds=self.rng.uniform(30, 90))
                    else:
                        report.dispatched.append(a)
                        call.dispatch_at = None
            except K3iError as exc:
                report.errors.append(f"{incident.number}: {exc.detail}")
                if call.dispatch_at is not None:
                    call.dispatch_at = self.clock + timedelta(seconds=60)

    def _dispatch(self, incident: Incident, call: Call) -> Assignment | None:
        from k3i.dispatch.actions import dispatch_unit
        from k3i.dispatch.recommend import recommend

        # Never pull a unit off a real (not simulated) task for a simulated call.
        recs = [r for r in recommend(incident, limit=5, now=self._now())
                if r.pull_from is None or r.pull_from.incident.is_simulated][:3]
        if not recs:
            return None
        pick, reason = recs[0], ""
        if len(recs) > 1 and recs[1].pull_from is None and self.rng.random() < 0.08:
            pick, reason = recs[1], self.rng.choice(OVERRIDE_REASONS)
        elif pick.rank != 1:  # the first one is on real work, which a simulated call never pulls
            reason = "unit peringkat pertama sedang menangani kejadian nyata"
        try:
            return dispatch_unit(self.actor, incident, pick.unit, channel=CHANNEL, override_reason=reason,
                                 recommended_rank=pick.rank or None, eta_seconds=pick.eta_seconds,
                                 pull=pick.pull_from is not None)
        except K3iError as exc:
            log.info("penugasan simulasi gagal: %s", exc.detail)
            return None

    # --- units ----------------------------------------------------------------------------------------

    def _mover(self, unit: PatrolUnit) -> Mover:
        m = self.movers.get(unit.pk)
        if m is None:
            lat = unit.last_lat if unit.last_lat is not None else unit.home_lat
            lon = unit.last_lon if unit.last_lon is not None else unit.home_lon
            if lat is None or lon is None:
                home = (self._polsek_areas.get(unit.polsek_id) or self.areas)[0]
                lat, lon = home.lat, home.lon
            m = Mover(float(lat), float(lon))
            self.movers[unit.pk] = m
        return m

    def _units(self, dt: float, report: StepReport) -> None:
        from k3i.dispatch.actions import set_unit_status

        units = list(PatrolUnit.objects.filter(polres=self.polres, aktif=True).order_by("pk"))
        active = {
            a.unit_id: a for a in Assignment.objects.filter(
                unit__polres=self.polres, status__in=Assignment.ACTIVE
            ).select_related("incident").order_by("pk")
        }
        for unit in units:
            m = self._mover(unit)
            a = active.get(unit.pk)
            moving = False
            try:
                if a is not None:
                    if not a.incident.is_simulated:
                        continue  # a real assignment: the officer's phone reports it
                    moving = self._drive(unit, m, a, dt, report)
                elif unit.status in (UnitStatus.TERSEDIA, UnitStatus.KEMBALI):
                    moving = self._patrol(unit, m, dt)
                    if unit.status == UnitStatus.KEMBALI and m.waypoint is None:
                        set_unit_status(self.actor, unit, UnitStatus.TERSEDIA, channel=CHANNEL,
                                        note="kembali berpatroli")
                elif unit.status in (UnitStatus.DITUGASKAN, UnitStatus.MENUJU, UnitStatus.TIBA,
                                     UnitStatus.MENANGANI):
                    # Left busy without an assignment (e.g. its incident was closed): free it again.
                    set_unit_status(self.actor, unit, UnitStatus.KEMBALI, channel=CHANNEL)
                else:
                    continue  # tidak tersedia / darurat: left alone
                self._report_position(unit, m, moving, report)
            except K3iError as exc:
                report.errors.append(f"{unit.callsign}: {exc.detail}")

    def _drive(self, unit: PatrolUnit, m: Mover, a: Assignment, dt: float, report: StepReport) -> bool:
        """Work one assignment of a simulated incident through its states; True while driving."""
        from k3i.dispatch.actions import advance_assignment, set_unit_status

        rng = self.rng
        plan = self.plans.get(a.pk)
        if plan is None:
            lo, hi = HANDLING_MIN.get(a.incident.category, DEFAULT_HANDLING_MIN)
            plan = Plan(accept_at=self.clock + timedelta(seconds=rng.uniform(5, 40)),
                        enroute_delay=rng.uniform(5, 25), handle_s=rng.uniform(lo, hi) * 60,
                        settle_delay=rng.uniform(40, 150))
            self.plans[a.pk] = plan
            m.waypoint, m.pause_until = None, None
        status = a.status
        if status == Assignment.Status.DITUGASKAN and self.clock >= plan.accept_at:
            a = advance_assignment(self.actor, a, Assignment.Status.DITERIMA, channel=CHANNEL)
            plan.enroute_at = self.clock + timedelta(seconds=plan.enroute_delay)
            status = a.status
        if status == Assignment.Status.DITERIMA:
            if plan.enroute_at is None:
                plan.enroute_at = self.clock + timedelta(seconds=plan.enroute_delay)
            if self.clock >= plan.enroute_at:
                a = advance_assignment(self.actor, a, Assignment.Status.MENUJU, channel=CHANNEL)
                status = a.status
                return False  # starts moving on the next step
        if status == Assignment.Status.MENUJU:
            target = self._scene(a.incident)
            if target is None:
                return False
            m.speed_kmh = travel_kmh(unit.tipe, self.clock)
            step_m = straight_line_mps(unit.tipe, self.clock) * dt
            m.heading = _bearing(m.lat, m.lon, *target)
            m.lat, m.lon, there = move_towards(m.lat, m.lon, target[0], target[1], step_m)
            if there:
                m.speed_kmh = 0.0
                self._report_position(unit, m, True, report, force=True)
                a = advance_assignment(self.actor, a, Assignment.Status.TIBA, channel=CHANNEL)
                plan.arrived_at = self.clock
                report.arrived.append(a)
                return False
            return True
        if status == Assignment.Status.TIBA and plan.arrived_at is None:
            plan.arrived_at = self.clock  # arrived before the simulator saw it (e.g. set by hand)
        if status == Assignment.Status.TIBA and plan.arrived_at is not None:
            since = (self.clock - plan.arrived_at).total_seconds()
            if not plan.handling and since >= plan.settle_delay and unit.status == UnitStatus.TIBA:
                set_unit_status(self.actor, unit, UnitStatus.MENANGANI, channel=CHANNEL)
                plan.handling = True
            if since >= plan.settle_delay + plan.handle_s:
                advance_assignment(self.actor, a, Assignment.Status.SELESAI, channel=CHANNEL)
                self.plans.pop(a.pk, None)
                unit.refresh_from_db()
                if unit.status == UnitStatus.TERSEDIA:
                    set_unit_status(self.actor, unit, UnitStatus.KEMBALI, channel=CHANNEL, note="kembali ke pangkalan")
                    unit.status = UnitStatus.KEMBALI
                m.waypoint = self._home(unit)
                self._maybe_close(a.incident, report)
        return False

    def _maybe_close(self, incident: Incident, report: StepReport) -> None:
        incident = Incident.objects.get(pk=incident.pk)
        if not incident.is_open or Assignment.objects.filter(incident=incident, status__in=Assignment.ACTIVE).exists():
            return
        call = self.calls.pop(incident.pk, None)
        false_alarm = call.false_alarm if call else self.rng.random() < 0.07
        _close(self.actor, incident, *disposition_for(incident.category, false_alarm, self.rng))
        report.closed.append(incident.pk)

    def _scene(self, incident: Incident) -> tuple[float, float] | None:
        if incident.lat is not None and incident.lon is not None:
            return incident.lat, incident.lon
        for area in self.areas:
            if area.kode == incident.kelurahan_id:
                return area.lat, area.lon
        return None

    def _home(self, unit: PatrolUnit) -> tuple[float, float]:
        if unit.home_lat is not None and unit.home_lon is not None:
            return unit.home_lat, unit.home_lon
        a = (self._polsek_areas.get(unit.polsek_id) or self.areas)[0]
        return a.lat, a.lon

    def _patrol(self, unit: PatrolUnit, m: Mover, dt: float) -> bool:
        """Free units drift around their Polsek (Mapolres units around the city); True while moving."""
        if unit.tipe == PatrolUnit.Tipe.KAPAL:
            return False
        if m.pause_until is not None and self.clock < m.pause_until:
            return False
        m.pause_until = None
        if m.waypoint is None and unit.status == UnitStatus.KEMBALI:
            home = self._home(unit)
            if haversine_m(m.lat, m.lon, *home) < HOME_M:
                return False  # back: free for the next call
            m.waypoint = home
        if m.waypoint is None:
            if self.rng.random() < 0.3:  # a stop: a post, a market, a school crossing
                m.pause_until = self.clock + timedelta(seconds=self.rng.uniform(120, 900))
                m.speed_kmh = 0.0
                return False
            areas = self._polsek_areas.get(unit.polsek_id) or self.areas
            area = self.rng.choices(areas, weights=[a.weight for a in areas])[0]
            m.waypoint = area.point(self.rng)
        returning = unit.status == UnitStatus.KEMBALI
        kmh = travel_kmh(unit.tipe, self.clock) if returning else patrol_kmh(unit.tipe, self.clock)
        m.speed_kmh = kmh
        m.heading = _bearing(m.lat, m.lon, *m.waypoint)
        m.lat, m.lon, there = move_towards(m.lat, m.lon, m.waypoint[0], m.waypoint[1], kmh / 3.6 / DETOUR_FACTOR * dt)
        if there or (returning and haversine_m(m.lat, m.lon, *m.waypoint) < HOME_M):
            m.waypoint = None
        return True

    def _report_position(self, unit: PatrolUnit, m: Mover, moving: bool, report: StepReport,
                         force: bool = False) -> None:
        from k3i.dispatch.actions import record_positions

        if moving:
            every = max(15.0, 3 * self.speed)
        else:
            every = max(300.0, 30 * self.speed) if m.speed_kmh == 0 else max(60.0, 10 * self.speed)
        if not force and m.last_report is not None and (self.clock - m.last_report).total_seconds() < every - 1e-6:
            return
        m.last_report = self.clock
        now = self._now()
        if m.last_device_time is not None and now <= m.last_device_time:
            now = m.last_device_time + timedelta(milliseconds=1)
        m.last_device_time = now
        position: dict[str, Any] = {"lat": round(m.lat, 6), "lon": round(m.lon, 6), "device_time": now,
                                    "speed_kmh": round(m.speed_kmh if moving else 0.0, 1), "accuracy_m": 8.0}
        if m.heading is not None:
            position["heading"] = round(m.heading % 360, 1)
        report.positions += record_positions(self.actor, unit, [position], channel=CHANNEL)


def _bearing(lat: float, lon: float, tlat: float, tlon: float) -> float:
    y = math.sin(math.radians(tlon - lon)) * math.cos(math.radians(tlat))
    x = (math.cos(math.radians(lat)) * math.sin(math.radians(tlat))
         - math.sin(math.radians(lat)) * math.cos(math.radians(tlat)) * math.cos(math.radians(tlon - lon)))
    return (math.degrees(math.atan2(y, x)) + 360) % 360


def _create(actor: Any, **kwargs: Any) -> tuple[Incident, bool]:
    from k3i.incidents.actions import create_incident

    return create_incident(actor, is_simulated=True, audit_channel=CHANNEL, **kwargs)


def _confirm(actor: Any, incident: Incident, call: Call) -> Incident:
    """The desk confirms triage, correcting it to what the caller really reported."""
    from k3i.incidents.actions import confirm_triage

    priority = 1 if incident.channel == Incident.Channel.PANIK else call.priority
    return confirm_triage(actor, incident, category=call.category, priority=priority, channel=CHANNEL)


def _link(actor: Any, incident: Incident, main_id: int) -> None:
    """The desk links a second caller's report to the incident it is about (offered by ``likely_duplicates``)."""
    from k3i.incidents.actions import link_duplicate
    from k3i.incidents.duplicates import likely_duplicates

    offered = [other for other, _ in likely_duplicates(incident)]
    main = next((o for o in offered if o.pk == main_id or o.duplicate_of_id == main_id), None)
    main = main or Incident.objects.get(pk=main_id)
    link_duplicate(actor, incident, duplicate_of=main, channel=CHANNEL)


def _close(actor: Any, incident: Incident, status: str, disposition: str, note: str) -> None:
    from k3i.incidents.lifecycle import close_incident

    close_incident(actor, incident, status=status, disposition=disposition, note=note, channel=CHANNEL)


class Simulator(threading.Thread):
    """The simulation in a background thread (``k3i demo``), stepping by real time × ``speed``."""

    def __init__(self, rate: float = 12.0, speed: float = 1.0, *, polres: Polres | None = None,
                 seed: int | None = None, tick: float = 1.0,
                 on_step: Callable[[Simulation, StepReport], None] | None = None) -> None:
        super().__init__(name="k3i-simulator", daemon=True)
        self.rate, self.speed, self.polres, self.seed, self.tick = rate, speed, polres, seed, tick
        self.on_step = on_step
        self.stopped = threading.Event()
        self.simulation: Simulation | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        try:
            close_old_connections()
            self.simulation = Simulation(self.polres or default_polres(), rate=self.rate, speed=self.speed,
                                         seed=self.seed)
        except Exception:
            log.exception("simulator tidak dapat dimulai")
            self.ready.set()
            return
        finally:
            close_old_connections()
        try:
            polres = self.simulation.polres
            if not Incident.objects.filter(polres=polres, is_simulated=True,
                                           status__in=Incident.OPEN_STATUSES).exists():
                self.simulation.opening_calls()
        except Exception:  # the demo runs without them
            log.exception("panggilan pembuka simulator gagal")
        finally:
            close_old_connections()
        self.ready.set()
        last = time.monotonic()
        while not self.stopped.wait(self.tick):
            now = time.monotonic()
            elapsed, last = min(now - last, 30.0), now
            try:
                report = self.simulation.step(elapsed * self.speed)
                if self.on_step is not None:
                    self.on_step(self.simulation, report)
            except Exception:  # keep the demo alive; the next tick tries again
                log.exception("langkah simulator gagal")
            finally:
                close_old_connections()

    def stop(self) -> None:
        self.stopped.set()


def start_in_background(rate: float = 12.0, speed: float = 1.0, **kwargs: Any) -> Simulator:
    """Start the simulator thread (``k3i demo``); returns it (``.stop()`` ends it)."""
    thread = Simulator(rate, speed, **kwargs)
    thread.start()
    return thread
