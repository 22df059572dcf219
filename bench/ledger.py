"""Benchmark: what the audit ledger costs a write, and whether it serialises the platform's writes.

One realistic small action — switch a patrol unit's ``aktif`` flag — measured three ways:

- ``tanpa buku``: the update alone, in its transaction;
- ``dengan buku``: the same update + its audit entry (``audit.record``, unsealed, content hash) + its
  live event (``events.emit``), in the same transaction — what every K3i action does — while a sealer
  process seals every second, as each ``k3i serve`` process does;
- ``rantai langsung``: for comparison, the design K3i avoids — chaining each entry inside the write
  (``seal_pending()`` in the action's transaction), i.e. every write holds the one chain-head lock until
  it commits.

Each with 1 and 4 concurrent writer processes (each writer toggles its own units), on SQLite (a file
in /tmp, WAL) and on PostgreSQL (database ``k3i_bench_ledger``, created and dropped here). Then sealing
throughput (entries sealed per second, batches of 5,000) and verification throughput.

    .venv/bin/python bench/ledger.py                      # both databases, 5 s per case, print Markdown
    .venv/bin/python bench/ledger.py --update-docs        # … and write "## Audit ledger" in docs/benchmarks.md
    .venv/bin/python bench/ledger.py --backends sqlite --seconds 2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _common import ROOT, machine_line, write_section

SQLITE_PATH = "/tmp/k3i_bench_ledger.sqlite3"
PG_DB = "k3i_bench_ledger"
VARIANTS = ("tanpa_buku", "dengan_buku", "rantai_langsung")
LABELS = {"tanpa_buku": "tanpa buku audit", "dengan_buku": "dengan buku audit (+ peristiwa, penyegel tiap 1 s)",
          "rantai_langsung": "rantai langsung (satu kunci global; pembanding)"}
UNITS_PER_WRITER = 2


# --- environment ---------------------------------------------------------------------------------

def backend_env(backend: str, pg_base: str) -> dict[str, str]:
    env = {
        "K3I_SECRET_KEY": secrets.token_urlsafe(48),
        "K3I_LOG_LEVEL": "ERROR",
        "K3I_VAR_DIR": "/tmp/k3i_bench_ledger_var",
        "DJANGO_SETTINGS_MODULE": "k3i.settings",
    }
    if backend == "sqlite":
        env["K3I_DATABASE_URL"] = ""
        env["K3I_SQLITE_PATH"] = SQLITE_PATH
    else:
        env["K3I_DATABASE_URL"] = f"{pg_base.rstrip('/')}/{PG_DB}"
    return env


def reset_database(backend: str, pg_base: str, *, create: bool = True) -> None:
    """Remove the benchmark database; then, unless ``create`` is false, create it again empty."""
    if backend == "sqlite":  # the file is created on connection
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{pg_base.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        if create:
            conn.execute(f"CREATE DATABASE {PG_DB}")


def django_setup() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()


# --- the three ways of writing ---------------------------------------------------------------------

def make_writer(variant: str) -> Any:
    from django.db import transaction

    from k3i.core import audit, events
    from k3i.dispatch.models import PatrolUnit

    def update(unit_id: int, value: bool, actor: Any, ledger: bool, inline_chain: bool) -> None:
        with transaction.atomic():
            unit = PatrolUnit.objects.select_for_update().get(pk=unit_id)
            before = unit.aktif
            unit.aktif = value
            unit.save(update_fields=["aktif"])
            if ledger:
                audit.record(actor, "unit.diperbarui", unit, channel=audit.Channel.SYSTEM,
                             changes={"aktif": [before, value]}, polres_id=unit.polres_id)
                events.emit("unit.diperbarui", {"id": unit.pk, "callsign": unit.callsign, "aktif": value},
                            polres_id=unit.polres_id, polsek_id=unit.polsek_id)
            if inline_chain:
                audit.seal_pending()

    ledger = variant != "tanpa_buku"
    inline = variant == "rantai_langsung"
    return lambda unit_id, value, actor: update(unit_id, value, actor, ledger, inline)


def writer_process(variant: str, unit_ids: list[int], seconds: float, ready: Any, go: Any, out: Any) -> None:
    django_setup()
    from django.db import connection

    from k3i.accounts.models import User

    write = make_writer(variant)
    actor = User.objects.get(username="operator")
    connection.ensure_connection()
    ready.put(os.getpid())
    go.wait()
    latencies: list[float] = []
    n, start = 0, time.perf_counter()
    end = start + seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= end:
            break
        write(unit_ids[n % len(unit_ids)], n % 2 == 0, actor)
        latencies.append(time.perf_counter() - t0)
        n += 1
    out.put({"ops": n, "elapsed": time.perf_counter() - start, "lat": latencies})
    connection.close()


def sealer_process(stop: Any, out: Any) -> None:
    """What every ``k3i serve`` process runs: seal pending entries every second."""
    django_setup()
    from django.db import close_old_connections

    from k3i.core.audit import seal_pending

    sealed = 0
    while not stop.wait(1.0):
        sealed += seal_pending()
        close_old_connections()
    out.put(sealed)


def run_case(variant: str, writers: int, seconds: float, unit_ids: list[int]) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    ready, out, go, stop = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Event()
    procs = []
    for w in range(writers):
        ids = unit_ids[w * UNITS_PER_WRITER:(w + 1) * UNITS_PER_WRITER]
        p = ctx.Process(target=writer_process, args=(variant, ids, seconds, ready, go, out))
        p.start()
        procs.append(p)
    sealer = None
    sealer_out = ctx.Queue()
    if variant == "dengan_buku":
        sealer = ctx.Process(target=sealer_process, args=(stop, sealer_out))
        sealer.start()
    for _ in procs:
        ready.get(timeout=120)
    go.set()
    results = [out.get(timeout=seconds + 300) for _ in procs]
    for p in procs:
        p.join()
    sealed_meanwhile = 0
    if sealer is not None:
        stop.set()
        sealed_meanwhile = sealer_out.get(timeout=120)
        sealer.join()
    ops = sum(r["ops"] for r in results)
    elapsed = max(r["elapsed"] for r in results)
    lat = sorted(x for r in results for x in r["lat"])
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [lat[0]] * 99
    return {
        "variant": variant, "writers": writers, "ops": ops, "seconds": elapsed, "ops_per_s": ops / elapsed,
        "p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "sealed_meanwhile": sealed_meanwhile,
    }


def seed(writers: int) -> list[int]:
    """The test world (a small Polres with every role) plus enough units for every writer."""
    from k3i.dispatch.models import PatrolUnit
    from k3i.testing import build_world

    world = build_world()
    ids = []
    for i in range(writers * UNITS_PER_WRITER):
        u = PatrolUnit.objects.create(callsign=f"BENCH-R2-{i:02d}", tipe=PatrolUnit.Tipe.R2, polres=world.polres,
                                      polsek=world.polsek["semarang_tengah"], home_lat=-6.98, home_lon=110.41)
        ids.append(u.pk)
    return ids


def sealing_and_verify(n: int) -> dict[str, Any]:
    from django.db import transaction

    from k3i.core import audit
    from k3i.core.models import AuditEntry

    audit.seal_pending()
    base = AuditEntry.objects.count()
    t0 = time.perf_counter()
    done = 0
    while done < n:
        with transaction.atomic():
            for _ in range(min(500, n - done)):
                audit.record(None, "bench.entri", channel=audit.Channel.SYSTEM, object_type="bench.benda",
                             object_id=done, object_repr=f"benda {done}", changes={"aktif": [True, False], "i": done})
                done += 1
    record_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sealed = audit.seal_pending()
    seal_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    checked, problem = audit.verify()
    verify_s = time.perf_counter() - t0
    assert problem is None, str(problem)
    return {"entries": n, "record_per_s": n / record_s, "sealed": sealed, "seal_per_s": sealed / seal_s,
            "seal_s": seal_s, "verified": checked, "verify_per_s": checked / verify_s, "ledger_before": base}


def run_backend(backend: str, seconds: float, seal_entries: int, pg_base: str) -> dict[str, Any]:
    """In a fresh process whose environment points Django at the benchmark database."""
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from k3i.core import audit

    call_command("migrate", interactive=False, verbosity=0)
    unit_ids = seed(4)
    if connection.vendor == "sqlite":
        version = "SQLite " + connection.Database.sqlite_version
    else:
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            version = "PostgreSQL " + cur.fetchone()[0]
    connection.close()
    cases = []
    for writers in (1, 4):
        for variant in VARIANTS:
            cases.append(run_case(variant, writers, seconds, unit_ids))
            audit.seal_pending()
            checked, problem = audit.verify()
            assert problem is None, f"{variant}/{writers}: {problem}"
            connection.close()
    sealing = sealing_and_verify(seal_entries)
    connection.close()
    return {"backend": backend, "version": version, "cases": cases, "sealing": sealing}


# --- report --------------------------------------------------------------------------------------

def markdown(results: list[dict[str, Any]], command: str, seconds: float) -> str:
    lines = [
        "## Audit ledger",
        "",
        "Write throughput of one small action — switch a patrol unit's `aktif` flag, one transaction — with "
        "and without the ledger, by concurrent writer processes (each on its own units), "
        f"{seconds:g} s per case. *dengan buku audit* is what every K3i action does: the update + its ledger "
        "entry (unsealed, with its content hash) + its live event, while a separate sealer process seals every "
        "second as each `k3i serve` process does. *rantai langsung* is the design K3i avoids, for comparison: "
        "each write chains its own entry inside its transaction (`seal_pending()` in the action), so every "
        "write holds the single chain-head lock until it commits.",
        "",
        "| database | writers | variant | writes/s | vs. tanpa buku | p50 ms | p99 ms |",
        "|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        base = {c["writers"]: c["ops_per_s"] for c in r["cases"] if c["variant"] == "tanpa_buku"}
        for c in r["cases"]:
            rel = c["ops_per_s"] / base[c["writers"]] * 100
            lines.append(f"| {r['version']} | {c['writers']} | {LABELS[c['variant']]} | {c['ops_per_s']:,.0f} | "
                         f"{rel:.0f}% | {c['p50_ms']:.2f} | {c['p99_ms']:.2f} |")
    lines += ["", "Sealing and verification (entries written unsealed first, then sealed in batches of 5,000 "
              "under the chain-head lock, then the whole ledger verified):", "",
              "| database | entries | record (in transactions of 500) /s | sealed /s | verified /s |",
              "|---|---:|---:|---:|---:|"]
    for r in results:
        s = r["sealing"]
        lines.append(f"| {r['version']} | {s['entries']:,} | {s['record_per_s']:,.0f} | {s['seal_per_s']:,.0f} | "
                     f"{s['verify_per_s']:,.0f} |")
    lines += ["", "What the figures say (the design claim: the ledger must not put the platform's writes "
              "behind one global lock):", ""]
    for r in results:
        c = {(x["variant"], x["writers"]): x for x in r["cases"]}
        gain = {v: c[(v, 4)]["ops_per_s"] / c[(v, 1)]["ops_per_s"] for v in VARIANTS}
        plain, ledger, inline = c[("tanpa_buku", 4)], c[("dengan_buku", 4)], c[("rantai_langsung", 4)]
        holds = gain["dengan_buku"] >= 0.8 * gain["tanpa_buku"] and ledger["ops_per_s"] > 1.5 * inline["ops_per_s"]
        lines.append(
            f"- {r['version']}: going from 1 to 4 writers gives ×{gain['tanpa_buku']:.2f} without the ledger, "
            f"×{gain['dengan_buku']:.2f} with it, ×{gain['rantai_langsung']:.2f} when chaining inside each write. "
            f"At 4 writers the ledger keeps {ledger['ops_per_s'] / plain['ops_per_s']:.0%} of the plain throughput "
            f"(p50 {ledger['p50_ms']:.2f} vs {plain['p50_ms']:.2f} ms: two more rows per write); chaining inside "
            f"each write keeps {inline['ops_per_s'] / plain['ops_per_s']:.0%} (p50 {inline['p50_ms']:.2f} ms), and "
            f"its writers cannot overlap while they hold the chain head. Sealing: {r['sealing']['seal_per_s']:,.0f} entries/s, "
            f"{r['sealing']['seal_per_s'] / ledger['ops_per_s']:.0f}× the write rate with the ledger. "
            f"Claim {'holds' if holds else 'NOT shown'} in this run."
        )
    lines += [
        "",
        f"Reading the table: this machine has {os.cpu_count()} CPU cores shared by the writers, the sealer and the "
        "database server. SQLite lets one writer at a time into the file by design (WAL, `BEGIN IMMEDIATE`, busy "
        "timeout), so its rows show the cost per write rather than parallelism. Figures vary between runs on this "
        "shared machine (runs minutes apart differed by up to 2×): compare rows within one run.",
    ]
    now = datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m-%d %H:%M WIB")
    lines += ["", f"Command: `{command}` — run {now}", f"Machine: {machine_line()}; the database server runs on "
              "the same machine (PostgreSQL with its default settings).", ""]
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description="Benchmark buku audit: throughput tulis dengan/tanpa buku audit.")
    p.add_argument("--backends", default="sqlite,postgres", help="sqlite,postgres (bawaan: keduanya)")
    p.add_argument("--seconds", type=float, default=5.0, help="lama tiap kasus (detik)")
    p.add_argument("--seal-entries", type=int, default=20_000, help="jumlah entri untuk uji penyegelan")
    p.add_argument("--pg", default=os.environ.get("K3I_BENCH_PG", "postgres://postgres@127.0.0.1:5432"),
                   help="alamat server PostgreSQL (tanpa nama basis data)")
    p.add_argument("--update-docs", action="store_true", help="tulis bagian '## Audit ledger' di docs/benchmarks.md")
    p.add_argument("--run-backend", help=argparse.SUPPRESS)
    args = p.parse_args()

    if args.run_backend:  # child: the environment already points at the benchmark database
        print(json.dumps(run_backend(args.run_backend, args.seconds, args.seal_entries, args.pg)))
        return 0

    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        reset_database(backend, args.pg)
        env = {**os.environ, **backend_env(backend, args.pg)}
        try:
            print(f"… {backend}", file=sys.stderr, flush=True)
            proc = subprocess.run(
                [sys.executable, __file__, "--run-backend", backend, "--seconds", str(args.seconds),
                 "--seal-entries", str(args.seal_entries), "--pg", args.pg],
                env=env, cwd=ROOT, capture_output=True, text=True, check=False,
            )
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr, file=sys.stderr)
                return 1
            results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        finally:
            reset_database(backend, args.pg, create=False)
    command = "python bench/ledger.py" + "".join(f" {a}" for a in sys.argv[1:] if a != "--update-docs")
    section = markdown(results, command, args.seconds)
    print(section)
    if args.update_docs:
        write_section("Audit ledger", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
