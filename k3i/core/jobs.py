"""Scheduled jobs: escalation of overdue incidents and service-level alerts, every few seconds; expired
shared counters (``k3i.core.counters``) are deleted once a minute; photo files whose report never committed
(``k3i.incidents.photos.sweep_orphans``) hourly.

Two ways to run them, both safe together (each job is idempotent and settles every incident in its own
transaction):

- inside the web process: ``JobRunner`` is started by ``k3i/asgi.py`` when ``K3I_RUN_JOBS=1``
  (``k3i serve`` / ``k3i demo``), next to the ledger ``Sealer``;
- as a process of its own: ``k3i jobs`` (foreground; ``--once`` for one round, e.g. from cron).

The interval is ``settings.JOBS_INTERVAL_SECONDS`` (``K3I_JOBS_INTERVAL``, default 5 s).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

log = logging.getLogger("k3i.jobs")

# name → "module:function(now)"; each returns something truthy when it did anything (with ``summary()``).
JOBS: dict[str, str] = {
    "sla": "k3i.incidents.sla:escalate_overdue",
    "counters": "k3i.core.counters:purge_expired",  # expired rate-limit/lock-out counters (once a minute)
    "photos": "k3i.incidents.photos:sweep_orphans",  # photo files whose report never committed (hourly)
}


def interval() -> float:
    return float(getattr(settings, "JOBS_INTERVAL_SECONDS", 5.0) or 5.0)


def _job(path: str) -> Callable[..., Any]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def run_once(now: datetime | None = None) -> dict[str, Any]:
    """One round of every job. A failing job is logged and does not stop the others."""
    now = now or timezone.now()
    results: dict[str, Any] = {}
    for name, path in JOBS.items():
        try:
            results[name] = _job(path)(now)
        except Exception:  # the next round tries again
            log.exception("tugas terjadwal %s gagal", name)
            results[name] = None
    return results


class JobRunner(threading.Thread):
    """Background runner for server processes: one round every ``interval`` seconds."""

    def __init__(self, every: float | None = None) -> None:
        super().__init__(name="k3i-jobs", daemon=True)
        self.every = every if every is not None else interval()
        self.stopped = threading.Event()
        self.rounds = 0

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                close_old_connections()
                run_once()
                self.rounds += 1
            finally:
                close_old_connections()

    def stop(self) -> None:
        self.stopped.set()


def start_in_background(every: float | None = None) -> JobRunner:
    runner = JobRunner(every)
    runner.start()
    return runner


def cmd_jobs(args: argparse.Namespace) -> int:
    """`k3i jobs [--interval S] [--once]`: run the scheduled jobs in the foreground (Ctrl+C stops)."""
    every = getattr(args, "interval", None) or interval()
    if every <= 0:
        print("k3i jobs: --interval harus lebih dari 0 detik")
        return 2
    if getattr(args, "once", False):
        for name, result in run_once().items():
            print(f"{name}: {result.summary() if hasattr(result, 'summary') else result}")
        return 0
    print(f"K3i tugas terjadwal berjalan setiap {every:g} detik (Ctrl+C untuk berhenti)", flush=True)
    try:
        while True:
            started = time.monotonic()
            for name, result in run_once().items():
                if result:
                    stamp = timezone.localtime().strftime("%H:%M:%S")
                    print(f"[{stamp}] {name}: {result.summary() if hasattr(result, 'summary') else result}",
                          flush=True)
            close_old_connections()
            time.sleep(max(0.0, every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        print("Berhenti.")
    return 0
