"""Intake over HTTP: sustained incidents per second and p50/p99 latency through a real server, nothing lost.

For each database (SQLite file in WAL mode; PostgreSQL):
1. a fresh database seeded with the demo Polres (`k3i demo --no-serve`), a bench operator account
   (role operator, whole Polres, not a demo account) and a write token, made through the actions;
2. a real server: `k3i serve --port P --workers W --no-migrate`, production settings (K3I_DEBUG=0, no demo
   mode, own K3I_SECRET_KEY; only the HTTPS redirect is off because the bench speaks plain HTTP);
3. concurrent clients (threads, one keep-alive `http.client` connection each) post realistic reports to
   `POST /api/v1/incidents` for a fixed time: texts from the triage corpus, random points inside the
   kelurahan of the demo Polres, channel 110 with caller name and number (some from the web form or an
   officer), one in ten with the operator's category and priority, each with its own idempotency key;
   latency is measured on the client, from sending the request to reading the whole answer;
   with ``--rate R`` the clients follow a fixed schedule of R requests/s instead (open loop: latency counts
   from the scheduled moment, so a slow server cannot hide behind clients that wait for it);
4. afterwards the database is read: every incident acknowledged with 201 must be there, and there must be
   as many incidents with the run's idempotency keys as 201 answers.

Writes the figures under "## Intake over HTTP" in docs/benchmarks.md.

    .venv/bin/python bench/intake_http.py [--db sqlite,postgresql] [--workers 2] [--clients 4,16,64]
                                          [--duration 15] [--rate 300] [--no-write]

The server helpers here (``Stack``) are used by ``bench/live_map.py`` and ``.ci/sigkill_intake.py`` too.
"""

from __future__ import annotations

import argparse
import csv
import functools
import http.client
import itertools
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
K3I = str(ROOT / ".venv" / "bin" / "k3i")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
POINTS_CSV = ROOT / "k3i" / "demo" / "data" / "3374-kelurahan-points.csv"
TEXT_FILES = [ROOT / "k3i" / "incidents" / "triage" / "data" / name for name in ("test.jsonl", "train.jsonl")]
ENDPOINT = "/api/v1/incidents"
GOAL_RATE = 300.0
GOAL_P99_MS = 100.0

SETUP = r"""
import sys
import django
django.setup()
from k3i.accounts.actions import create_token, create_user
from k3i.accounts.models import User
from k3i.core.audit import Channel
from k3i.core.roles import Role
from k3i.organization.models import Polres

username, n = sys.argv[1], int(sys.argv[2])
role = Role(sys.argv[3]) if len(sys.argv) > 3 else Role.OPERATOR
polres = Polres.objects.order_by("id").first()
user = User.objects.filter(username=username).first() or create_user(
    None, username=username, password=None, role=role, polres=polres, channel=Channel.CLI,
    full_name="Operator benchmark" if role == Role.OPERATOR else f"Benchmark {role.value}")
for i in range(n):
    _, raw = create_token(None, user, name=f"bench-{i}", days=1, write=True, channel=Channel.CLI)
    print(raw)
"""

# Incidents with the given idempotency-key prefix: one JSON line {"ids": [...], "numbers": {...}}.
COUNT = r"""
import json, sys
import django
django.setup()
from k3i.incidents.models import Incident

rows = Incident.objects.filter(idempotency_key__startswith=sys.argv[1]).values_list("id", "number")
print(json.dumps({"ids": [r[0] for r in rows], "numbers": {str(r[0]): r[1] for r in rows}}))
"""

# create_incident called in-process (no HTTP, one persistent connection): CPU and wall time per incident,
# statements per incident, and the triage and locate parts. One JSON line.
INPROCESS = r"""
import json, os, random, sys, time
sys.path.insert(0, sys.argv[2])
import django
django.setup()
from django.db import connection
from k3i.accounts.models import User
from k3i.incidents.actions import create_incident
from k3i.incidents.triage import classify
from k3i.organization import geo
from k3i.organization.models import Polres
from intake_http import Reports

n = int(sys.argv[1])
user = User.objects.get(username="bench_operator")
polres = Polres.objects.order_by("id").first()
rng = random.Random(5)
reports = Reports(f"inproc-{os.getpid()}-")
bodies = [reports.body(rng, i) for i in range(n + 100)]
statements = [0]


def count(execute, sql, params, many, context):
    statements[0] += 1
    return execute(sql, params, many, context)


def one(b):
    create_incident(user, polres=polres, channel=b["channel"], text=b["text"], lat=b["lat"], lon=b["lon"],
                    reporter_name=b.get("reporter_name", ""), reporter_phone=b.get("reporter_phone", ""),
                    category=b.get("category"), priority=b.get("priority"), idempotency_key=b["idempotency_key"],
                    audit_channel="api")


for b in bodies[:100]:
    one(b)
c0, w0 = time.process_time(), time.perf_counter()
with connection.execute_wrapper(count):
    for b in bodies[100:]:
        one(b)
c1, w1 = time.process_time(), time.perf_counter()
t0 = time.process_time()
for b in bodies[100:]:
    classify(b["text"])
t1 = time.process_time()
for b in bodies[100:]:
    geo.locate(b["lat"], b["lon"])
t2 = time.process_time()
print(json.dumps({"cpu_ms": 1000 * (c1 - c0) / n, "wall_ms": 1000 * (w1 - w0) / n, "statements": statements[0] / n,
                  "triage_ms": 1000 * (t1 - t0) / n, "locate_ms": 1000 * (t2 - t1) / n}))
"""

# Experiments (``--variant``), not the shipped configuration: written into the run's temporary directory.
DJANGO_ASGI_APP = """
# Before 2026-11-28 05:00 UTC: every request through Django's ASGI handler (what `k3i serve` did then).
from k3i.asgi import django_asgi as application  # noqa: F401  (sets Django up, starts the sealer as k3i serve does)
"""
VARIANTS = {
    "asgi": "`k3i serve` (uvicorn: views on WSGI threads, stream on ASGI)",
    "django-asgi": "experiment (the former set-up): every request through Django's ASGI handler",
}

FIRST_NAMES = ["Budi", "Siti", "Agus", "Dewi", "Slamet", "Rina", "Joko", "Wati", "Eko", "Sri", "Bambang", "Yuni",
               "Hadi", "Lestari", "Teguh", "Ratna", "Anton", "Nur", "Wahyu", "Indah", "Dimas", "Ayu", "Rizky"]
LAST_NAMES = ["Santoso", "Wijaya", "Rahayu", "Prasetyo", "Handayani", "Susanto", "Kurniawan", "Lestari",
              "Hidayat", "Setiawan", "Purnomo", "Wulandari", "Nugroho", "Saputra", ""]


def log(msg: str) -> None:
    print(f"[intake] {msg}", flush=True)


# --- the server under test --------------------------------------------------------------------------


def exit_on_sigterm() -> None:
    """SIGTERM (e.g. from `timeout`) ends the script through its ``finally`` blocks: servers stopped, the
    benchmark databases dropped."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pg_admin(sql: str, *params: Any, server: str = PG_SERVER) -> Any:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        return conn.execute(sql, params or None).fetchall() if sql.lstrip().upper().startswith("SELECT") else \
            conn.execute(sql)


@functools.cache
def versions(kind: str) -> str:
    if kind == "postgresql":
        return "PostgreSQL " + str(pg_admin("SELECT current_setting('server_version')")[0][0]).split()[0]
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version} (WAL)"


@dataclass
class Stack:
    """One database (fresh, demo-seeded) and the ``k3i serve`` processes started on it."""

    kind: str  # "sqlite" | "postgresql"
    tmp: Path
    pg_name: str = "k3i_bench_intake"
    pg_server: str = PG_SERVER  # postgres://user@host:port, without the database name
    env: dict[str, str] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("K3I_")}
        env.update({
            "K3I_SECRET_KEY": secrets.token_urlsafe(48), "K3I_DEBUG": "0", "K3I_DEMO": "0",
            "K3I_SSL_REDIRECT": "0", "K3I_VAR_DIR": str(self.tmp), "K3I_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "k3i.settings", "PYTHONUNBUFFERED": "1",
        })
        if self.kind == "sqlite":
            env["K3I_SQLITE_PATH"] = str(self.tmp / "k3i.sqlite3")
        elif self.kind == "postgresql":
            env["K3I_DATABASE_URL"] = f"{self.pg_server.rstrip('/')}/{self.pg_name}"
        else:
            raise ValueError(self.kind)
        self.env = env

    @property
    def label(self) -> str:
        return versions(self.kind)

    def create(self, n_tokens: int = 1, username: str = "bench_operator", role: str = "operator") -> None:
        """A fresh database with the demo Polres and ``n_tokens`` write tokens of one user (``role``: a
        ``k3i.core.roles.Role`` value; an operator unless told)."""
        if self.kind == "postgresql":
            pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)', server=self.pg_server)
            pg_admin(f'CREATE DATABASE "{self.pg_name}"', server=self.pg_server)
        t0 = time.monotonic()
        subprocess.run([K3I, "demo", "--no-serve"], env=self.env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
        out = subprocess.run([PYTHON, "-c", SETUP, username, str(n_tokens), role], env=self.env, cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout
        self.tokens = [line.strip() for line in out.splitlines() if line.strip()][-n_tokens:]
        log(f"{self.kind}: basis data demo siap ({time.monotonic() - t0:.1f} s), {len(self.tokens)} token")

    def drop(self) -> None:
        if self.kind == "postgresql":
            pg_admin(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)', server=self.pg_server)

    def start(self, port: int, workers: int = 1, *, variant: str = "asgi", pythonpath: str = "",
              ready_timeout: float = 90.0) -> subprocess.Popen[bytes]:
        """``k3i serve`` in its own process group (so that all its workers can be stopped or killed at once).
        ``variant`` "django-asgi": the experiment of ``VARIANTS`` instead."""
        env = dict(self.env)
        cmd = [K3I, "serve", "--port", str(port), "--workers", str(workers), "--no-migrate"]
        if variant == "django-asgi":
            overlay = self.tmp / "overlay"
            overlay.mkdir(exist_ok=True)
            (overlay / "bench_django_asgi.py").write_text(DJANGO_ASGI_APP)
            env["PYTHONPATH"] = os.pathsep.join(p for p in [str(overlay), pythonpath, env.get("PYTHONPATH", "")] if p)
            env["K3I_RUN_SEALER"] = "1"
            env.setdefault("K3I_RUN_JOBS", "1")
            cmd = [PYTHON, "-m", "uvicorn", "bench_django_asgi:application", "--port", str(port),
                   "--workers", str(workers), "--log-level", "warning", "--no-access-log", "--lifespan", "off"]
        out = open(self.tmp / f"server-{port}.log", "ab")  # noqa: SIM115 - lives as long as the process
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        wait_ready(port, proc, self.tokens[0], workers, timeout=ready_timeout)
        return proc

    def server_log(self, port: int, tail: int = 4000) -> str:
        path = self.tmp / f"server-{port}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    def stop_all(self) -> None:
        for proc in self.procs:
            stop(proc)
        self.procs.clear()

    def acknowledged(self, prefix: str) -> dict[str, Any]:
        out = subprocess.run([PYTHON, "-c", COUNT, prefix], env=self.env, cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout
        return dict(json.loads(out.strip().splitlines()[-1]))


def wait_ready(port: int, proc: subprocess.Popen[bytes], token: str, workers: int = 1, timeout: float = 90.0) -> None:
    """Until the server answers an API request (with several workers: until each of a few fresh connections
    got an answer, so that every worker has started)."""
    end = time.monotonic() + timeout
    answered = 0
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server port {port} berhenti (kode {proc.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/polres", headers={"Authorization": f"Bearer {token}"})
            conn.getresponse().read()
            conn.close()
            answered += 1
            if answered >= 2 * workers:
                return
            continue
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server port {port} tidak siap dalam {timeout:.0f} s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the server and all its workers (its own process group), like a crash or a power cut."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


# --- realistic reports ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    kode: str
    lat: float
    lon: float
    radius_deg: float  # a point within this distance stays in the kelurahan's (Voronoi) area


def read_places() -> list[Place]:
    """The demo kelurahan points; each may move up to 45 % of the way to its nearest neighbour (so it stays
    in its own Voronoi cell, i.e. its schematic kelurahan)."""
    with POINTS_CSV.open(encoding="utf-8") as f:
        rows = [(r["kode"], float(r["lat"]), float(r["lon"])) for r in csv.DictReader(f)]
    cos = math.cos(math.radians(rows[0][1]))
    places = []
    for kode, lat, lon in rows:
        nearest = min(math.hypot(lat - la, (lon - lo) * cos) for k, la, lo in rows if k != kode)
        places.append(Place(kode, lat, lon, 0.45 * nearest))
    return places


def read_texts() -> list[dict[str, Any]]:
    rows = []
    for path in TEXT_FILES:
        with path.open(encoding="utf-8") as f:
            rows += [json.loads(line) for line in f if line.strip()]
    return rows


class Reports:
    """Bodies for ``POST /api/v1/incidents``, each with its own idempotency key ``<prefix><n>``."""

    def __init__(self, prefix: str, seed: int = 1) -> None:
        self.prefix = prefix
        self.places = read_places()
        self.texts = read_texts()
        self.seed = seed

    def body(self, rng: random.Random, n: int) -> dict[str, Any]:
        p = rng.choice(self.places)
        r, a = p.radius_deg * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat = p.lat + r * math.sin(a)
        lon = p.lon + r * math.cos(a) / math.cos(math.radians(p.lat))
        t = rng.choice(self.texts)
        roll = rng.random()
        channel = "110" if roll < 0.7 else "web" if roll < 0.9 else "petugas"
        body: dict[str, Any] = {"text": t["text"], "lat": round(lat, 6), "lon": round(lon, 6), "channel": channel,
                                "idempotency_key": f"{self.prefix}{n}"}
        if channel != "petugas":
            body["reporter_name"] = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}".strip()
            body["reporter_phone"] = "08" + "".join(rng.choice("0123456789") for _ in range(rng.randint(9, 11)))
        if rng.random() < 0.1 and "category" in t:
            body["category"], body["priority"] = t["category"], t["priority"]
        return body


# --- the load ------------------------------------------------------------------------------------------


@dataclass
class Result:
    start: float  # when the request was (or, open loop, should have been) sent; perf_counter seconds
    end: float
    status: int  # 0: sent but no answer (connection lost, timeout); -1: not sent (connection refused)
    id: int | None = None
    number: str = ""
    detail: str = ""
    body: dict[str, Any] | None = None  # kept for requests without an answer (a client would retry them)


def post(conn: http.client.HTTPConnection, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    data = json.dumps(body, ensure_ascii=False).encode()
    conn.request("POST", ENDPOINT, data, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    try:
        answer = json.loads(raw) if raw else {}
    except ValueError:
        answer = {"detail": raw[:200].decode(errors="replace")}
    return resp.status, answer if isinstance(answer, dict) else {"detail": str(answer)[:200]}


def drive(port: int, token: str, reports: Reports, *, clients: int, duration: float, rate: float | None = None,
          stop_event: threading.Event | None = None, timeout: float = 30.0) -> tuple[list[Result], float, float]:
    """Post from ``clients`` threads for ``duration`` seconds. Returns (results, t_start, t_end) in perf_counter
    seconds. Closed loop without ``rate``; open loop (a fixed schedule of ``rate`` requests/s) with it."""
    results: list[Result] = []
    lock = threading.Lock()
    counter = itertools.count()
    t_start = time.perf_counter() + 0.05
    t_end = t_start + duration
    stop_event = stop_event or threading.Event()

    def client(idx: int) -> None:
        rng = random.Random(reports.seed * 100003 + idx)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        mine: list[Result] = []
        while not stop_event.is_set():
            with lock:
                n = next(counter)
            if rate:
                planned = t_start + n / rate
                if planned >= t_end:
                    break
                delay = planned - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            else:
                planned = time.perf_counter()
                if planned >= t_end:
                    break
            body = reports.body(rng, n)
            t0 = planned if rate else time.perf_counter()
            try:
                status, answer = post(conn, token, body)
            except ConnectionRefusedError as exc:  # nothing was sent: no server listening (being restarted)
                mine.append(Result(t0, time.perf_counter(), -1, detail=f"{type(exc).__name__}: {exc}"[:200]))
                conn.close()
                time.sleep(0.1)
                continue
            except (OSError, http.client.HTTPException) as exc:  # sent, but no answer: a client would retry
                mine.append(Result(t0, time.perf_counter(), 0, detail=f"{type(exc).__name__}: {exc}"[:200], body=body))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                time.sleep(0.05)
                continue
            t1 = time.perf_counter()
            if status == 201:
                mine.append(Result(t0, t1, status, int(answer["id"]), str(answer.get("number", ""))))
            else:
                mine.append(Result(t0, t1, status, detail=json.dumps(answer, ensure_ascii=False)[:300]))
        conn.close()
        with lock:
            results.extend(mine)

    delay = t_start - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, t_start, t_end


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile of ``values`` (seconds) in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


# --- CPU accounting (where the two cores went) -----------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == pid:
                kids.append(int(entry.name))
    return kids


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its living descendants."""
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += _proc_cpu(p)
        todo += _children(p)
    return total


def postgres_cpu() -> float:
    """CPU seconds of the local PostgreSQL server: its living processes, plus the ended backends (counted in
    the postmaster's children time). Includes other users of the same server."""
    total, tck = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        name, rest = raw[raw.index("(") + 1:raw.rindex(")")], raw.rsplit(")", 1)[1].split()
        if name != "postgres":
            continue
        total += (int(rest[11]) + int(rest[12])) / tck
        try:
            parent = Path(f"/proc/{rest[1]}/stat").read_text()
        except OSError:
            parent = ""
        if "(postgres)" not in parent:  # the postmaster: add its reaped children
            total += (int(rest[13]) + int(rest[14])) / tck
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot (from /proc/stat)."""
    vals = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = vals[3] + vals[4]
    tck = os.sysconf("SC_CLK_TCK")
    return (sum(vals) - idle) / tck, sum(vals) / tck


@dataclass
class Run:
    db: str
    variant: str
    workers: int
    clients: int
    rate: float | None
    duration: float
    results: list[Result]
    t_start: float
    t_end: float
    server_cpu: float
    client_cpu: float
    machine_busy: float  # share of all cores busy during the run (0..1)
    db_cpu: float | None = None  # PostgreSQL server CPU seconds

    def measured(self) -> list[Result]:
        return [r for r in self.results if r.start >= self.t_start and r.end <= self.t_end + 30]

    def row(self) -> dict[str, Any]:
        res = self.measured()
        ok = [r for r in res if r.status == 201]
        errors = [r for r in res if r.status != 201]
        done_in_window = [r for r in ok if r.end <= self.t_end]
        lat = [r.end - r.start for r in ok]
        return {
            "db": self.db, "variant": self.variant, "workers": self.workers, "clients": self.clients,
            "mode": f"jadwal {self.rate:g}/s" if self.rate else "tertutup",
            "requests": len(res), "ok": len(ok), "errors": len(errors),
            "rate": len(done_in_window) / self.duration,
            "p50": pct(lat, 0.50), "p90": pct(lat, 0.90), "p99": pct(lat, 0.99), "max": pct(lat, 1.0),
            "server_cpu": self.server_cpu / self.duration, "client_cpu": self.client_cpu / self.duration,
            "db_cpu": None if self.db_cpu is None else self.db_cpu / self.duration,
            "busy": self.machine_busy,
            "error_kinds": sorted({f"{r.status} {r.detail[:120]}" for r in errors})[:5],
        }


def measured_run(stack: Stack, proc: subprocess.Popen[bytes], port: int, reports: Reports, *, variant: str,
                 workers: int, clients: int, duration: float, rate: float | None) -> Run:
    pg = stack.kind == "postgresql"
    s0, c0, (b0, t0), d0 = tree_cpu(proc.pid), time.process_time(), machine_busy(), postgres_cpu() if pg else 0.0
    results, t_start, t_end = drive(port, stack.tokens[0], reports, clients=clients, duration=duration, rate=rate)
    s1, c1, (b1, t1), d1 = tree_cpu(proc.pid), time.process_time(), machine_busy(), postgres_cpu() if pg else 0.0
    run = Run(stack.label, variant, workers, clients, rate, duration, results, t_start, t_end, s1 - s0, c1 - c0,
              (b1 - b0) / max(t1 - t0, 1e-9), (d1 - d0) if pg else None)
    r = run.row()
    log(f"{r['db']} {variant} w={workers} c={clients} {r['mode']}: {r['rate']:.0f} kejadian/s, p50 {r['p50']:.1f} ms, "
        f"p99 {r['p99']:.1f} ms, galat {r['errors']}; CPU server {r['server_cpu']:.2f}, klien {r['client_cpu']:.2f}, "
        f"mesin {r['busy']:.0%}" + (f" — {r['error_kinds']}" if r["errors"] else ""))
    return run


def floor(stack: Stack, proc: subprocess.Popen[bytes], port: int, *, variant: str, workers: int, clients: int,
          duration: float) -> dict[str, Any]:
    """The framework's floor on the same server: `GET /api/v1/polres` (token check + one small read)."""
    done: list[float] = []
    lock = threading.Lock()
    t_end = time.perf_counter() + duration

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.perf_counter() < t_end:
            t0 = time.perf_counter()
            conn.request("GET", "/api/v1/polres", headers={"Authorization": f"Bearer {stack.tokens[0]}"})
            resp = conn.getresponse()
            resp.read()
            if resp.status == 200:
                mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            done.extend(mine)

    s0, (b0, m0) = tree_cpu(proc.pid), machine_busy()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    s1, (b1, m1) = tree_cpu(proc.pid), machine_busy()
    row = {"db": stack.label, "variant": variant, "workers": workers, "clients": clients, "rate": len(done) / duration,
           "p50": pct(done, 0.5), "p99": pct(done, 0.99), "server_cpu_ms": 1000 * (s1 - s0) / max(1, len(done)),
           "busy": (b1 - b0) / max(m1 - m0, 1e-9)}
    log(f"{stack.label} {variant} w={workers}: lantai GET /api/v1/polres {row['rate']:.0f}/s, "
        f"CPU server {row['server_cpu_ms']:.1f} ms/permintaan")
    return row


def bench_database(kind: str, args: argparse.Namespace, run_tag: str, stopped: list[str],
                   server_errors: list[str]) -> tuple[list[Run], dict[str, Any], list[dict[str, Any]]]:
    runs: list[Run] = []
    floors: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix=f"k3i-bench-intake-{kind}-") as tmp:
        stack = Stack(kind, Path(tmp))
        stack.create()
        prefix = f"{run_tag}-{kind}-"
        sent: list[Result] = []
        try:
            for variant in args.variant:
                for workers in args.workers:
                    port = free_port()
                    proc = stack.start(port, workers, variant=variant, pythonpath=args.pythonpath)
                    tag = f"{prefix}{variant}-w{workers}-"
                    # warm-up: every worker loads the triage model, the locate index and its connections
                    warm, _, _ = drive(port, stack.tokens[0], Reports(tag + "warm-"), clients=2 * workers,
                                       duration=args.warmup)
                    sent += warm
                    if args.floor:
                        floors.append(floor(stack, proc, port, variant=variant, workers=workers, clients=16,
                                            duration=args.floor))
                    reports = Reports(tag, seed=workers)
                    failing = False
                    for i, clients in enumerate(args.clients):
                        reports.prefix = f"{tag}c{clients}-"
                        reports.seed = 1000 * workers + i
                        run = measured_run(stack, proc, port, reports, variant=variant, workers=workers,
                                           clients=clients, duration=args.duration, rate=None)
                        runs.append(run)
                        sent += run.results
                        row = run.row()
                        if row["errors"] > 0.01 * max(1, row["requests"]):
                            # More clients would only add errors (and, on PostgreSQL, take connections that
                            # other users of the database server need).
                            log(f"{variant} w={workers}: galat pada {clients} klien — jumlah klien tidak dinaikkan lagi")
                            stopped.append(f"{stack.label}, {VARIANTS[variant]}, {workers} workers: stopped at "
                                           f"{clients} clients ({row['errors']} errors of {row['requests']})")
                            failing = True
                            break
                    for line in stack.server_log(port, tail=200_000).splitlines():
                        if line.startswith(("django.db.utils.", "psycopg.", "sqlite3.")) and line not in server_errors:
                            server_errors.append(line[:200])
                    if args.rate and not failing:
                        reports.prefix = f"{tag}r{args.rate:g}-"
                        run = measured_run(stack, proc, port, reports, variant=variant, workers=workers,
                                           clients=args.rate_clients, duration=args.duration, rate=args.rate)
                        runs.append(run)
                        sent += run.results
                    stack.stop_all()
            check = verify(stack, prefix, sent)
            if args.inprocess:
                out = subprocess.run([PYTHON, "-c", INPROCESS, str(args.inprocess), str(ROOT / "bench")], env=stack.env,
                                     cwd=ROOT, check=True, capture_output=True, text=True).stdout
                check["inprocess"] = json.loads(out.strip().splitlines()[-1])
                log(f"{stack.label}: create_incident dalam proses: {check['inprocess']}")
        finally:
            stack.stop_all()
            if not args.keep:
                stack.drop()
    return runs, check, floors


def verify(stack: Stack, prefix: str, sent: list[Result]) -> dict[str, Any]:
    """Every 201 in the database, and as many incidents with the run's keys as 201 answers."""
    acked = {r.id: r.number for r in sent if r.status == 201 and r.id is not None}
    stored = stack.acknowledged(prefix)
    ids = set(stored["ids"])
    lost = sorted(set(acked) - ids)
    wrong_number = [i for i in acked if i in ids and acked[i] and stored["numbers"].get(str(i)) != acked[i]]
    no_answer = [r for r in sent if r.status == 0]
    check = {"db": stack.label, "acked": len(acked), "stored": len(ids), "lost": len(lost),
             "unanswered": len(no_answer), "extra": len(ids - set(acked)), "wrong_number": len(wrong_number)}
    log(f"{stack.label}: 201 = {len(acked)}, di basis data = {len(ids)}, hilang = {len(lost)}, "
        f"tanpa jawaban = {len(no_answer)}, nomor beda = {len(wrong_number)}")
    return check


# --- report -------------------------------------------------------------------------------------------


def section(runs: list[Run], checks: list[dict[str, Any]], floors: list[dict[str, Any]], stopped: list[str],
            args: argparse.Namespace, command: str, load_before: str, load_after: str) -> str:
    from _common import machine_line

    rows = [r.row() for r in runs]
    table = ["| database | server | web workers | clients | mode | requests | 201 | errors | incidents/s | p50 ms "
             "| p90 ms | p99 ms | max ms | server CPU ms / incident | PostgreSQL CPU ms / incident | machine busy |",
             "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        per = 1000 * r["server_cpu"] / r["rate"] if r["rate"] else float("nan")
        db = "—" if r["db_cpu"] is None or not r["rate"] else f"{1000 * r['db_cpu'] / r['rate']:.1f}"
        table.append(f"| {r['db']} | {VARIANTS[r['variant']]} | {r['workers']} | {r['clients']} | {r['mode']} | "
                     f"{r['requests']:,} | {r['ok']:,} | {r['errors']} | **{r['rate']:.0f}** | {r['p50']:.1f} | "
                     f"{r['p90']:.1f} | {r['p99']:.1f} | {r['max']:.0f} | {per:.1f} | {db} | {r['busy']:.0%} |")
    lost = ["| database | 201 answers | incidents in DB (run's keys) | acknowledged but missing | no answer | "
            "number differs |", "|---|---:|---:|---:|---:|---:|"]
    for c in checks:
        lost.append(f"| {c['db']} | {c['acked']:,} | {c['stored']:,} | {c['lost']} | {c['unanswered']} | "
                    f"{c['wrong_number']} |")
    floor_rows = []
    if floors:
        floor_rows = ["", "The framework's floor on the same servers — `GET /api/v1/polres` (bearer token check and one",
                      "small read, no write), 16 clients:", "",
                      "| database | server | web workers | requests/s | p50 ms | p99 ms | server CPU ms / request |",
                      "|---|---|---:|---:|---:|---:|---:|"]
        for f in floors:
            floor_rows.append(f"| {f['db']} | {VARIANTS[f['variant']]} | {f['workers']} | {f['rate']:.0f} | "
                              f"{f['p50']:.1f} | {f['p99']:.1f} | {f['server_cpu_ms']:.1f} |")
    shipped = [r for r in rows if r["db"].startswith("PostgreSQL") and r["variant"] == "asgi"]
    verdict = []
    if shipped:
        best = max(shipped, key=lambda r: r["rate"])
        at_goal = [r for r in shipped if r["rate"] >= GOAL_RATE and r["p99"] <= GOAL_P99_MS]
        line = (f"- Goal (PostgreSQL, this machine, as shipped): ≥ {GOAL_RATE:.0f} incidents/s with p99 ≤ "
                f"{GOAL_P99_MS:.0f} ms — ")
        if at_goal:
            ok = max(at_goal, key=lambda r: r["rate"])
            line += (f"**met**: {ok['rate']:.0f}/s with p99 {ok['p99']:.1f} ms ({ok['workers']} workers, "
                     f"{ok['clients']} clients, {ok['mode']})")
        else:
            line += "**not met**"
        line += (f"; highest rate {best['rate']:.0f}/s ({best['workers']} workers, {best['clients']} clients, "
                 f"{best['mode']}, p99 {best['p99']:.1f} ms).")
        for r in shipped:
            if r["mode"].startswith("jadwal"):
                line += f" On a fixed schedule ({r['mode']}): {r['rate']:.0f}/s delivered, p99 {r['p99']:.1f} ms."
        verdict.append(line)
    errs: dict[str, int] = {}
    for run in runs:
        for r in run.measured():
            if r.status != 201:
                key = f"{r.status} {r.detail[:160]}"
                errs[key] = errs.get(key, 0) + 1
    budget = 1000 * (os.cpu_count() or 2) / GOAL_RATE
    for c in checks:
        ip = c.get("inprocess")
        same_db = [r for r in rows if r["db"] == c["db"] and r["mode"] == "tertutup" and r["rate"]]
        fl = [f for f in floors if f["db"] == c["db"]]
        if not ip or not same_db:
            continue
        parts = []
        for variant in VARIANTS:
            vr = [r for r in same_db if r["variant"] == variant]
            if not vr:
                continue
            best = max(vr, key=lambda r: r["rate"])
            srv = 1000 * best["server_cpu"] / best["rate"]
            db = 1000 * best["db_cpu"] / best["rate"] if best["db_cpu"] is not None else 0.0
            cli = 1000 * best["client_cpu"] / best["rate"]
            total = srv + db + cli
            floor_cpu = next((f["server_cpu_ms"] for f in fl if f["variant"] == variant
                              and f["workers"] == best["workers"]), None)
            parts.append(f"{VARIANTS[variant]}: server {srv:.1f}"
                         + (f" (of which ≈ {floor_cpu:.1f} is the framework floor)" if floor_cpu else "")
                         + (f" + PostgreSQL {db:.1f}" if best["db_cpu"] is not None else "")
                         + f" + clients {cli:.1f} = **{total:.1f} ms** → at most ≈ {1000 * (os.cpu_count() or 2) / total:.0f}"
                           "/s on this machine")
        verdict.append(
            f"- Where the time goes, {c['db']} (CPU per incident, closed-loop row with the highest rate; the goal needs "
            f"≤ {budget:.1f} ms of CPU per incident for everything on {os.cpu_count()} cores): " + "; ".join(parts)
            + f". `create_incident` alone, in-process on one persistent connection: {ip['cpu_ms']:.1f} ms CPU "
            f"({ip['wall_ms']:.1f} ms wall), {ip['statements']:.0f} SQL statements through the cursor per incident (COMMIT "
            f"not counted), of which triage {ip['triage_ms']:.2f} ms and locate {ip['locate_ms']:.3f} ms.")
    for line in stopped:
        verdict.append(f"- {line}" + ("" if line.startswith("server log") else ": more clients were not tried."))
    if errs:
        verdict.append("- Errors seen: " + "; ".join(f"{n}× `{e}`" for e, n in sorted(errs.items(), key=lambda x: -x[1])[:4]))
    return "\n".join([
        "## Intake over HTTP",
        "",
        "`POST /api/v1/incidents` through a real server on a fresh demo database, production settings",
        "(K3I_DEBUG=0, no demo mode), by concurrent clients on the same machine (threads, one keep-alive",
        "connection each). Each request is a realistic report: text from the triage corpus, a random point",
        "inside a kelurahan of the demo Polres, channel 110/web/petugas with caller name and number, one in ten",
        "with the operator's category and priority, its own idempotency key. Latency is measured on the client",
        "(send → whole answer). *tertutup*: each client sends its next report when the previous one is answered",
        "(the server's saturated rate); *jadwal*: requests follow a fixed schedule and latency counts from the",
        f"scheduled moment. {args.duration:g} s per row after {args.warmup:g} s of warm-up. *server CPU*: CPU",
        "time of the server processes per incident; *PostgreSQL CPU*: of all the database server's processes",
        "(ended backends included; other users of that server too); *machine busy*: both cores, everything",
        "(the database, the clients, and whatever else ran on the machine). Rows marked *experiment* run the",
        "same code with another server set-up, to show what it changes; they are not the shipped",
        "configuration.",
        "",
        *table,
        *floor_rows,
        "",
        "Nothing lost — after the runs, the database is read back:",
        "",
        *lost,
        "",
        *verdict,
        "",
        f"Command: `{command}` — run {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; load average "
        f"before {load_before}, after {load_after}",
        f"Machine: {machine_line(*[versions(k) for k in args.db])}; the clients, the server and the database share "
        "the machine's cores.",
    ])


def main() -> int:
    ap = argparse.ArgumentParser(description="Intake over HTTP benchmark")
    ap.add_argument("--db", default="sqlite,postgresql", help="databases, comma-separated (sqlite, postgresql)")
    ap.add_argument("--workers", default="2", help="web workers, comma-separated (default 2)")
    ap.add_argument("--clients", default="4,16,64", help="concurrent clients per closed-loop run (default 4,16,64)")
    ap.add_argument("--duration", type=float, default=15.0, help="seconds per run (default 15)")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up after each start (default 3)")
    ap.add_argument("--rate", type=float, default=0.0, help="also run an open-loop run at this many requests/s")
    ap.add_argument("--rate-clients", type=int, default=64, help="clients for the open-loop run (default 64)")
    ap.add_argument("--variant", default="asgi",
                    help="server set-ups, comma-separated: asgi (shipped `k3i serve`), django-asgi (experiment)")
    ap.add_argument("--pythonpath", default="", help="extra import path for the experiments")
    ap.add_argument("--floor", type=float, default=0.0, help="also measure GET /api/v1/polres for this many s")
    ap.add_argument("--inprocess", type=int, default=500,
                    help="also call create_incident in-process this many times (0: skip; default 500)")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    ap.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    args = ap.parse_args()
    args.db = [d.strip() for d in args.db.split(",") if d.strip()]
    args.workers = [int(w) for w in args.workers.split(",")]
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    args.variant = [v.strip() for v in args.variant.split(",") if v.strip()]
    unknown = set(args.variant) - set(VARIANTS)
    if unknown:
        ap.error(f"varian tidak dikenal: {', '.join(sorted(unknown))}")
    sys.path.insert(0, str(ROOT / "bench"))
    exit_on_sigterm()

    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    run_tag = f"bench-{secrets.token_hex(3)}"
    runs, checks, floors, stopped, server_errors = [], [], [], [], []
    for kind in args.db:
        r, c, f = bench_database(kind, args, run_tag, stopped, server_errors)
        runs += r
        checks.append(c)
        floors += f
    load_after = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    command = "python bench/intake_http.py " + " ".join(sys.argv[1:])
    text = section(runs, checks, floors, stopped + [f"server log: `{e}`" for e in server_errors[:5]], args,
                   command.strip(), load_before, load_after)
    print(text)
    if not args.no_write:
        from _common import DOCS, write_section

        write_section("Intake over HTTP", text)
        print(f"\n(ditulis ke {DOCS.relative_to(ROOT)})")
    return 0 if all(c["lost"] == 0 for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
