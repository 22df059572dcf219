"""Live stream cost at rest: what ``--dashboards`` connected ops-room screens cost while nothing happens.

On a fresh demo database and a real server (``k3i serve --workers N``, as ``bench/live_map.py``), connects
``--dashboards`` SSE clients to ``/ops/stream`` (each with its own bearer token) and, over ``--seconds`` with no
writes, samples:
- the database connections open to the benchmark database (PostgreSQL: ``pg_stat_activity``; min and max of
  one sample per second);
- the database transactions per second (PostgreSQL: ``pg_stat_database.xact_commit + xact_rollback``);
- CPU seconds per second of the server (all its workers) and of PostgreSQL.

Prints a Markdown section; with ``--write`` also puts it under "## Live stream cost at rest" in
docs/benchmarks.md. Latency under load is ``bench/live_map.py``.

    .venv/bin/python bench/live_idle.py [--db postgresql,sqlite] [--dashboards 50] [--seconds 20] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from intake_http import ROOT, Stack, exit_on_sigterm, free_port, log, pg_admin, postgres_cpu, tree_cpu  # noqa: E402
from live_map import Dashboard  # noqa: E402


@dataclass
class Rest:
    db: str
    dashboards: int
    connected: int
    seconds: float
    conn_min: int | None
    conn_max: int | None
    xacts_per_s: float | None
    server_cpu: float  # CPU seconds per second
    pg_cpu: float | None


def xacts(name: str) -> int:
    row = pg_admin("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s", name)
    return int(row[0][0])


def connections(name: str) -> int:
    return int(pg_admin("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", name)[0][0])


def measure(kind: str, args: argparse.Namespace) -> Rest:
    with tempfile.TemporaryDirectory(prefix=f"k3i-bench-idle-{kind}-") as tmp:
        stack = Stack(kind, Path(tmp), pg_name="k3i_bench_idle")
        stack.create(n_tokens=args.dashboards + 1, username="bench_ops")
        screens: list[Dashboard] = []
        try:
            port = free_port()
            proc = stack.start(port, args.workers)
            screens = [Dashboard(port, t) for t in stack.tokens[1:]]
            for s in screens:
                s.start()
            deadline = time.monotonic() + 30
            for s in screens:
                s.connected.wait(max(0.1, deadline - time.monotonic()))
            connected = sum(s.connected.is_set() for s in screens)
            log(f"{kind}: {connected}/{len(screens)} dasbor tersambung; tenang {args.settle:g} s")
            time.sleep(args.settle)
            pg = kind == "postgresql"
            samples: list[int] = []
            x0 = xacts(stack.pg_name) if pg else 0
            c0, p0, t0 = tree_cpu(proc.pid), postgres_cpu() if pg else 0.0, time.monotonic()
            while time.monotonic() - t0 < args.seconds:
                if pg:
                    samples.append(connections(stack.pg_name))
                time.sleep(1.0)
            elapsed = time.monotonic() - t0
            c1, p1 = tree_cpu(proc.pid), postgres_cpu() if pg else 0.0
            x1 = xacts(stack.pg_name) if pg else 0
            rest = Rest(stack.label, len(screens), connected, elapsed,
                        min(samples) if samples else None, max(samples) if samples else None,
                        (x1 - x0) / elapsed if pg else None, (c1 - c0) / elapsed, (p1 - p0) / elapsed if pg else None)
            log(f"{kind}: koneksi {rest.conn_min}–{rest.conn_max}, transaksi/s {rest.xacts_per_s}, "
                f"CPU server {rest.server_cpu:.3f} s/s, CPU PostgreSQL {rest.pg_cpu}")
            return rest
        finally:
            for s in screens:
                s.close()
            stack.stop_all()
            stack.drop()


def section(rows: list[Rest], args: argparse.Namespace, command: str) -> str:
    from _common import machine_line

    def opt(v: float | None, fmt: str) -> str:
        return "–" if v is None else format(v, fmt)

    table = ["| database | dashboards connected | DB connections (min–max) | DB transactions/s | server CPU s/s "
             "| PostgreSQL CPU s/s |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        conns = "–" if r.conn_min is None else f"{r.conn_min}–{r.conn_max}"
        table.append(f"| {r.db} | {r.connected}/{r.dashboards} | {conns} | {opt(r.xacts_per_s, '.1f')} | "
                     f"{r.server_cpu:.3f} | {opt(r.pg_cpu, '.3f')} |")
    return "\n".join([
        "## Live stream cost at rest",
        "",
        f"{args.dashboards} ops-room dashboards connected to `/ops/stream` of `k3i serve --workers {args.workers}` "
        f"(production settings, fresh demo database), {args.seconds:g} s with no writes.",
        "",
        *table,
        "",
        f"Command: `{command}` — run {datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"Machine: {machine_line()}",
    ])


def main() -> int:
    ap = argparse.ArgumentParser(description="Live stream cost at rest (connected dashboards, no writes)")
    ap.add_argument("--db", default="postgresql,sqlite", help="databases, comma-separated (postgresql, sqlite)")
    ap.add_argument("--dashboards", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20.0, help="length of the measured quiet window")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds to wait after connecting")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--write", action="store_true", help="also update docs/benchmarks.md")
    args = ap.parse_args()
    exit_on_sigterm()
    rows = [measure(kind.strip(), args) for kind in args.db.split(",") if kind.strip()]
    command = ("python bench/live_idle.py " + " ".join(sys.argv[1:])).strip()
    text = section(rows, args, command)
    print(text)
    if args.write:
        from _common import DOCS, write_section

        write_section("Live stream cost at rest", text)
        print(f"\n(ditulis ke {DOCS.relative_to(ROOT)})")
    return 0 if all(r.connected == r.dashboards for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
