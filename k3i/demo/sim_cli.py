"""`k3i simulate --rate R --speed S`: run the live simulator in the foreground (Ctrl+C stops)."""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone

from k3i.core.errors import K3iError

from .simulator import Simulation, StepReport, default_polres


def _line(sim: Simulation, text: str) -> None:
    print(f"[{timezone.localtime(sim.clock):%a %H:%M:%S}] {text}", flush=True)


def print_report(sim: Simulation, report: StepReport) -> None:
    for inc in report.created:
        _line(sim, f"panggilan {inc.number} kanal {inc.channel} P{inc.priority} {inc.category}: "
                   f"{inc.text[:70]!r}")
    for a in report.dispatched:
        _line(sim, f"{a.incident.number}: unit {a.unit.callsign} ditugaskan (ETA {a.eta_seconds or 0} d)")
    for a in report.arrived:
        _line(sim, f"{a.incident.number}: unit {a.unit.callsign} tiba di TKP")
    for pk in report.linked:
        _line(sim, f"kejadian #{pk} ditautkan sebagai laporan duplikat")
    for pk in report.closed:
        _line(sim, f"kejadian #{pk} ditutup")
    for e in report.errors:
        _line(sim, f"catatan: {e}")


def cmd_simulate(args: argparse.Namespace) -> int:
    from django.conf import settings

    if not settings.DEMO_MODE:
        # The simulator moves every active unit of the Polres and works its own calls through their states:
        # only ever on a demo database, never beside real work.
        raise K3iError("Simulator hanya berjalan dalam mode demo (K3I_DEMO=1, atau lewat `k3i demo`); "
                       "basis data ini bukan basis data demo.")
    rate = float(getattr(args, "rate", 12.0))
    speed = float(getattr(args, "speed", 1.0))
    minutes = getattr(args, "duration", None)
    tick = float(getattr(args, "tick", 1.0) or 1.0)
    if minutes is not None and minutes <= 0:
        raise K3iError("--duration harus lebih dari 0 menit.")
    polres = default_polres(getattr(args, "polres", "") or "")
    sim = Simulation(polres, rate=rate, speed=speed, seed=getattr(args, "seed", None))
    jobs = None
    if not getattr(args, "no_jobs", False):
        from k3i.core.jobs import start_in_background

        jobs = start_in_background()
    print(f"Simulator {polres.nama}: {rate:g} panggilan/jam (rata-rata mingguan), percepatan ×{speed:g}; "
          f"titik rawan: {', '.join(sim.hot_spots())}. Semua data ditandai simulasi. Ctrl+C untuk berhenti.",
          flush=True)
    end = sim.clock + timedelta(minutes=minutes) if minutes else None
    last = time.monotonic()
    try:
        while end is None or sim.clock < end:
            time.sleep(tick)
            now = time.monotonic()
            dt = min(now - last, 30.0) * speed
            last = now
            if end is not None:
                dt = min(dt, (end - sim.clock).total_seconds())
            print_report(sim, sim.step(dt))
            if not connection.in_atomic_block:  # a long-running process: drop broken/old connections
                close_old_connections()
    except KeyboardInterrupt:
        pass
    finally:
        if jobs is not None:
            jobs.stop()
    print(f"Selesai: {sim.made} panggilan simulasi dibuat.")
    return 0
