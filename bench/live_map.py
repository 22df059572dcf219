"""Live map latency: from an incident's commit to its event in every connected dashboard.

For each database (SQLite, PostgreSQL), on a fresh demo database and a real server (`k3i serve`, see
``bench/intake_http.py``):
1. ``--dashboards`` SSE clients (default 50) connect to ``/ops/stream``, each with its own bearer token of a
   whole-Polres operator (as 50 logged-in ops-room screens would), and wait until every stream has started;
2. one client creates ``--incidents`` incidents through ``POST /api/v1/incidents`` at ``--rate`` per second,
   once per ``--background`` rate: other clients post that many more incidents/s at the same time;
3. each dashboard notes when the ``kejadian.baru`` event with the incident's id arrives.
The delay is measured from the moment the 201 answer was read (the transaction has committed by then), on
the same clock as the arrivals; a second column measures from the moment the request was sent (an upper
bound for the commit time). Events that never arrive within ``--timeout`` seconds are counted as missing.

Writes the figures under "## Live map latency" in docs/benchmarks.md.

    .venv/bin/python bench/live_map.py [--db sqlite,postgresql] [--dashboards 50] [--incidents 200]
                                       [--rate 5] [--background 0,50] [--workers 2] [--no-write]
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_http import (  # noqa: E402
    PG_SERVER,
    ROOT,
    Reports,
    Result,
    Stack,
    drive,
    exit_on_sigterm,
    free_port,
    log,
    pct,
    pg_admin,
    post,
    versions,
)

GOAL_P95_MS = 1000.0
EVENT = "kejadian.baru"


class Dashboard(threading.Thread):
    """One ops-room screen: reads ``/ops/stream`` and notes when each incident's event arrives."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.port, self.token = port, token
        self.arrivals: dict[int, float] = {}  # incident id → perf_counter when its event was read
        self.connected = threading.Event()
        self.error: str = ""
        self.conn: http.client.HTTPConnection | None = None
        self.closing = False

    def run(self) -> None:
        try:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.conn.request("GET", "/ops/stream", headers={"Authorization": f"Bearer {self.token}",
                                                              "Accept": "text/event-stream"})
            resp = self.conn.getresponse()
            ctype = resp.getheader("Content-Type", "")
            if resp.status != 200 or not ctype.startswith("text/event-stream"):
                self.error = f"/ops/stream menjawab {resp.status} {ctype}: {resp.read(300)!r}"
                return
            kind, data = "", ""
            while True:
                raw = resp.readline()
                if not raw:
                    if not self.closing:
                        self.error = "aliran ditutup server"
                    return
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if kind == EVENT:
                        now = time.perf_counter()
                        self.arrivals.setdefault(int(json.loads(data)["id"]), now)
                    kind, data = "", ""
                elif line.startswith("retry:"):
                    self.connected.set()
                elif line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data = line[5:].strip()
        except Exception as exc:  # reported by the main thread
            if not self.closing:
                self.error = f"{type(exc).__name__}: {exc}"

    def close(self) -> None:
        self.closing = True
        if self.conn is not None and self.conn.sock is not None:
            try:
                self.conn.sock.shutdown(socket.SHUT_RDWR)
                self.conn.close()
            except OSError:
                pass


@dataclass
class Outcome:
    db: str
    dashboards: int
    connected: int
    created: int
    delays_ack: list[float] = field(default_factory=list)
    delays_send: list[float] = field(default_factory=list)
    missing: int = 0
    errors: list[str] = field(default_factory=list)
    background_rate: float = 0.0
    background_ok: int = 0
    server_errors: list[str] = field(default_factory=list)  # the causes in the server's log
    db_connections: int | None = None  # PostgreSQL connections open with the dashboards connected (idle)
    event_reads: float | None = None  # PostgreSQL: scans of the LiveEvent table per event written in the phase


STATS_FLUSH_SECONDS = 11.0  # PostgreSQL ≥ 15: a backend reports its table statistics within 10 s (idle: PGSTAT_IDLE_INTERVAL)
IDLE_SAMPLE_SECONDS = 3.0  # how long the reads at rest are sampled before each phase


def liveevent_scans(pg_name: str) -> int:
    """PostgreSQL: how many scans (index or sequential) read the LiveEvent table so far (every read of the
    streams, ``latest_id`` included; an INSERT is no scan)."""
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/{pg_name}", autocommit=True) as conn:
        row = conn.execute("SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables "
                           "WHERE relname = 'core_liveevent'").fetchone()
    return int(row[0]) if row else 0


def measure(kind: str, args: argparse.Namespace) -> list[Outcome]:
    """One server and its dashboards; one phase per background intake rate."""
    with tempfile.TemporaryDirectory(prefix=f"k3i-bench-live-{kind}-") as tmp:
        stack = Stack(kind, Path(tmp), pg_name="k3i_bench_live")
        stack.create(n_tokens=args.dashboards + 2, username="bench_ops")
        screens: list[Dashboard] = []
        try:
            port = free_port()
            stack.start(port, args.workers)
            screens = [Dashboard(port, t) for t in stack.tokens[2:]]
            for s in screens:
                s.start()
            deadline = time.monotonic() + 30
            for s in screens:
                s.connected.wait(max(0.1, deadline - time.monotonic()))
            log(f"{kind}: {sum(s.connected.is_set() for s in screens)}/{len(screens)} dasbor tersambung")
            held = None
            if kind == "postgresql":
                time.sleep(1.0)
                held = int(pg_admin("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", stack.pg_name)[0][0])
                log(f"{kind}: {held} koneksi basis data terbuka dengan {len(screens)} dasbor tersambung")
            outcomes = [phase(stack, port, screens, background, args) for background in args.background]
            causes = sorted({line[:200] for line in stack.server_log(port, tail=500_000).splitlines()
                             if line.startswith(("django.db.utils.", "psycopg.", "sqlite3."))})
            for o in outcomes:
                o.db_connections = held
                if o.errors:
                    o.server_errors = causes[:3]
            return outcomes
        finally:
            for s in screens:
                s.close()
            stack.stop_all()
            stack.drop()


def phase(stack: Stack, port: int, screens: list[Dashboard], background: float, args: argparse.Namespace) -> Outcome:
    connected = sum(s.connected.is_set() for s in screens)
    out = Outcome(stack.label, len(screens), connected, 0, background_rate=background)
    out.errors += sorted({s.error for s in screens if s.error})[:3]
    reports = Reports(f"live-{secrets.token_hex(3)}-", seed=7)
    stop = threading.Event()
    results: list[Result] = []
    bg_thread = None
    if background:
        def load() -> None:
            res, _, _ = drive(port, stack.tokens[1], Reports(reports.prefix + "bg-", seed=8), clients=16,
                              duration=args.incidents / args.rate + 5, rate=background, stop_event=stop)
            results.extend(res)
        bg_thread = threading.Thread(target=load, daemon=True)
        bg_thread.start()
        time.sleep(1.0)

    pg = stack.kind == "postgresql"
    if pg:  # the streams' reads while nothing is written (fallback polls), to leave out of the phase's count
        time.sleep(STATS_FLUSH_SECONDS)
        idle0, t_idle = liveevent_scans(stack.pg_name), time.monotonic()
        time.sleep(IDLE_SAMPLE_SECONDS)
        scans0 = liveevent_scans(stack.pg_name)
        idle_rate = (scans0 - idle0) / (time.monotonic() - t_idle)

    rng = random.Random(11)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent: dict[int, tuple[float, float]] = {}  # id → (sent, 201 read)
    t_next = time.perf_counter()
    for n in range(args.incidents):
        # Poisson arrivals, so that the writes do not lock step with the streams' poll cycle
        t_next += rng.expovariate(args.rate)
        pause = t_next - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        t0 = time.perf_counter()
        try:
            status, answer = post(conn, stack.tokens[0], reports.body(rng, n))
        except (OSError, http.client.HTTPException) as exc:
            out.errors.append(f"POST: {type(exc).__name__}: {exc}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        t1 = time.perf_counter()
        if status == 201:
            sent[int(answer["id"])] = (t0, t1)
        else:
            out.errors.append(f"POST {status}: {json.dumps(answer, ensure_ascii=False)[:200]}")
    conn.close()
    out.created = len(sent)

    wait_until = time.perf_counter() + args.timeout
    live = [s for s in screens if s.connected.is_set()]
    while time.perf_counter() < wait_until and not all(set(sent) <= s.arrivals.keys() for s in live):
        time.sleep(0.1)
    stop.set()
    if bg_thread is not None:
        bg_thread.join(timeout=60)
        out.background_ok = sum(r.status == 201 for r in results)
        out.errors += [f"background POST {r.status}: {r.detail[:150]}" for r in results if r.status != 201]
    if pg:
        t_end = time.monotonic()
        time.sleep(STATS_FLUSH_SECONDS)
        # the idle reads while the statistics settle are not the events': leave out that share
        scans = liveevent_scans(stack.pg_name) - scans0 - idle_rate * (time.monotonic() - t_end)
        events = out.created + out.background_ok
        if events:
            out.event_reads = max(scans, 0.0) / events
        log(f"{stack.kind} (+{background:g}/s): ≈{scans:.0f} pembacaan tabel LiveEvent untuk {events} peristiwa "
            f"({out.event_reads or 0:.1f} per peristiwa; saat diam {idle_rate:.1f}/s)")
    for s in live:
        for iid, (t0, t1) in sent.items():
            arrived = s.arrivals.get(iid)
            if arrived is None:
                out.missing += 1
            else:
                out.delays_ack.append(arrived - t1)
                out.delays_send.append(arrived - t0)
    log(f"{stack.kind} (+{background:g}/s): {out.created} kejadian × {connected} dasbor: p50 "
        f"{pct(out.delays_ack, .5):.0f} ms, p95 {pct(out.delays_ack, .95):.0f} ms, maks {pct(out.delays_ack, 1):.0f} ms, "
        f"hilang {out.missing}")
    return out


def section(outcomes: list[Outcome], args: argparse.Namespace, command: str, load_before: str) -> str:
    from _common import machine_line

    table = ["| database | background intake/s | dashboards connected | incidents | events expected | arrived | missing | p50 ms | p95 ms "
             "| p99 ms | max ms | p95 from send ms | p95 ≤ 1 s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    for o in outcomes:
        expected = o.created * o.connected
        ok = "ya" if o.delays_ack and pct(o.delays_ack, .95) <= GOAL_P95_MS and not o.missing else "tidak"
        table.append(f"| {o.db} | {o.background_rate:g} | {o.connected}/{o.dashboards} | {o.created} | {expected:,} | {len(o.delays_ack):,} | "
                     f"{o.missing} | {pct(o.delays_ack, .5):.0f} | {pct(o.delays_ack, .95):.0f} | "
                     f"{pct(o.delays_ack, .99):.0f} | {pct(o.delays_ack, 1):.0f} | {pct(o.delays_send, .95):.0f} | {ok} |")
    notes = []
    for o in outcomes:
        if o.event_reads is not None:
            notes.append(f"- {o.db}, background {o.background_rate:g}/s: {o.event_reads:.1f} reads of the LiveEvent "
                         f"table per event written, for {o.connected} dashboards (PostgreSQL `pg_stat_user_tables` "
                         "scans during the phase, less the reads at rest).")
        if o.db_connections is not None and not o.background_rate:
            notes.append(f"- {o.db}: {o.db_connections} database connections open with the {o.connected} dashboards "
                         "connected and nothing else happening (each stream keeps its own).")
        if o.background_rate:
            notes.append(f"- {o.db}, background {o.background_rate:g}/s: {o.background_ok:,} background incidents "
                         "accepted during the phase (16 clients on a fixed schedule).")
        if o.errors:
            counts = Counter(o.errors).most_common(4)
            notes.append(f"- {o.db}, background {o.background_rate:g}/s: errors: "
                         + "; ".join(f"{n}× `{e}`" for e, n in counts)
                         + "".join(f"; server log: `{e}`" for e in o.server_errors))
    return "\n".join([
        "## Live map latency",
        "",
        f"{args.dashboards} ops-room dashboards follow `/ops/stream` (SSE, each with its own bearer token of a",
        "whole-Polres operator) on a real server (`k3i serve --workers "
        f"{args.workers}`, production settings, fresh demo database)",
        f"while {args.incidents} incidents are created through `POST /api/v1/incidents` (Poisson arrivals, "
        f"{args.rate:g}/s), alone and with other clients posting *background intake* at the same time.",
        "Delay: from reading the 201 answer (the incident and its event are committed by then) to the",
        "`kejadian.baru` event with that incident's id arriving at each dashboard, on the same clock;",
        "*from send*: from sending the request (an upper bound for the commit). A commit wakes the streams",
        "(PostgreSQL: NOTIFY to one listener per server process; SQLite: at once in the writing process,",
        "by polling every `K3I_SSE_POLL_SECONDS` in the others), see `k3i/core/notify.py`.",
        "",
        *table,
        "",
        *notes,
        *([""] if notes else []),
        f"Command: `{command}` — run {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}, load average "
        f"before: {load_before}",
        f"Machine: {machine_line(*[versions(k) for k in args.db])}; dashboards, poster, server and database "
        "share the machine's cores.",
    ])


def main() -> int:
    ap = argparse.ArgumentParser(description="Live map latency (commit → SSE event at each dashboard)")
    ap.add_argument("--db", default="sqlite,postgresql", help="databases, comma-separated (sqlite, postgresql)")
    ap.add_argument("--dashboards", type=int, default=50, help="connected SSE clients (default 50)")
    ap.add_argument("--incidents", type=int, default=200, help="incidents to create (default 200)")
    ap.add_argument("--rate", type=float, default=5.0, help="incidents per second (default 5)")
    ap.add_argument("--background", default="0,50", help="extra intake load per phase, incidents/s (default 0,50)")
    ap.add_argument("--workers", type=int, default=2, help="web workers (default 2)")
    ap.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for late events (default 15)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    args = ap.parse_args()
    args.db = [d.strip() for d in args.db.split(",") if d.strip()]
    args.background = [float(b) for b in args.background.split(",") if b.strip()]
    exit_on_sigterm()

    load_before = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    outcomes = [o for kind in args.db for o in measure(kind, args)]
    command = ("python bench/live_map.py " + " ".join(sys.argv[1:])).strip()
    text = section(outcomes, args, command, load_before)
    print(text)
    if not args.no_write:
        from _common import DOCS, write_section

        write_section("Live map latency", text)
        print(f"\n(ditulis ke {DOCS.relative_to(ROOT)})")
    return 0 if all(o.connected == o.dashboards and not o.missing for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
