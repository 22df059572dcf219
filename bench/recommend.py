"""Recommendation benchmark: rank 1,000 active units for an incident, p50/p99 per call, in-process.

A fresh database (SQLite file, and PostgreSQL when reachable) holds the test Polres of ``k3i/testing.py``
plus 1,000 active patrol units spread over Kota Semarang: R2/R4/on foot, of both Polsek and Mapolres, of
several functions; 85 % with a fresh position, 8 % stale, 7 % never reported (home base); a quarter busy on
active assignments of incidents of every priority, a few unavailable. 100 incidents (a third priority 1, so
the pull-off-a-P3-task path runs) are taken through the real intake action. Each measured call is
``recommend(incident, limit=5)`` — the two queries, the numpy ETAs, the reasons — with the default
distance router; a second row times ``GET /api/v1/incidents/{id}/recommendations`` through Django's test
client in-process (authentication, ``restrict``, serialisation; no network). Writes the figures under
"## Recommendation" in ``docs/benchmarks.md``.

    .venv/bin/python bench/recommend.py [--db sqlite,postgresql] [--calls 3000] [--units 1000] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import ROOT, machine_line, write_section

TITLE = "Recommendation"
GOAL_P99_MS = 20.0
SQLITE_PATH = "/tmp/k3i_bench_recommend.sqlite3"
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
PG_DB = "k3i_bench_recommend"


# --- the child: one database ------------------------------------------------------------------------

def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return {"p50": pick(0.50), "p90": pick(0.90), "p99": pick(0.99), "max": ordered[-1] * 1000,
            "mean": statistics.fmean(ordered) * 1000}


def populate(n_units: int, seed: int) -> dict[str, Any]:
    import numpy as np
    from django.db import transaction
    from django.utils import timezone

    from k3i.core.audit import Channel
    from k3i.dispatch.models import Assignment, PatrolUnit, UnitStatus
    from k3i.incidents.actions import create_incident
    from k3i.testing import build_world

    rng = np.random.default_rng(seed)
    with transaction.atomic():
        w = build_world()
    now = timezone.now()
    polsek = [w.polsek["semarang_tengah"], w.polsek["semarang_utara"], None]
    fungsi = [w.fungsi[k] for k in ("SAT_SAMAPTA", "SAT_LANTAS", "SAT_RESKRIM", "SAT_BINMAS")]
    units = []
    for i in range(n_units):
        home_lat, home_lon = rng.uniform(-7.06, -6.93), rng.uniform(110.33, 110.48)
        kind = rng.random()
        last = {}
        if kind < 0.85:
            last = {"last_lat": home_lat + rng.normal(0, 0.01), "last_lon": home_lon + rng.normal(0, 0.01),
                    "last_position_at": now - (rng.uniform(0, 10) * np.timedelta64(60, "s")).item()}
        elif kind < 0.93:
            last = {"last_lat": home_lat, "last_lon": home_lon,
                    "last_position_at": now - (rng.uniform(40, 120) * np.timedelta64(60, "s")).item()}
        units.append(PatrolUnit(
            callsign=f"BENCH-{i:04d}", tipe=str(rng.choice(["R2", "R4", "kaki"], p=[0.6, 0.35, 0.05])),
            polres=w.polres, polsek=polsek[int(rng.choice(3, p=[0.45, 0.45, 0.10]))],
            fungsi=fungsi[int(rng.choice(4, p=[0.6, 0.15, 0.15, 0.10]))], home_lat=home_lat, home_lon=home_lon,
            aktif=True, status=UnitStatus.TERSEDIA, **last,
        ))
    PatrolUnit.objects.bulk_create(units, batch_size=500)

    op = w.user("operator")
    points = [(-6.98, 110.41), (-6.98, 110.43), (-6.94, 110.41), (-6.94, 110.43)]
    cats = [("CURAS", 1), ("TAWURAN", 1), ("KEBAKARAN", 1), ("LAKA_LANTAS", 2), ("PENGANIAYAAN", 2),
            ("CURAT", 3), ("GANGGUAN_KETERTIBAN", 3), ("PENCURIAN", 3), ("INFORMASI", 4)]
    incidents = []
    for k in range(100):
        lat0, lon0 = points[k % 4]
        category, priority = cats[k % len(cats)]
        inc, _ = create_incident(
            op, polres=w.polres, channel="110", text=f"laporan uji beban nomor {k}", category=category,
            priority=priority, lat=lat0 + rng.uniform(-0.018, 0.018), lon=lon0 + rng.uniform(-0.009, 0.009),
            audit_channel=Channel.CLI,
        )
        incidents.append(inc)
    # a quarter of the units busy on active assignments, a few unavailable
    all_units = list(PatrolUnit.objects.filter(callsign__startswith="BENCH-").order_by("id"))
    order = rng.permutation(len(all_units))
    busy = [all_units[i] for i in order[: n_units // 4]]
    unavailable = [all_units[i] for i in order[n_units // 4: n_units // 4 + n_units // 20]]
    steps = [("ditugaskan", UnitStatus.DITUGASKAN), ("menuju", UnitStatus.MENUJU), ("tiba", UnitStatus.TIBA)]
    assignments = []
    for j, u in enumerate(busy):
        status, unit_status = steps[j % 3]
        assignments.append(Assignment(incident=incidents[j % len(incidents)], unit=u, status=status, assigned_at=now))
        u.status = unit_status
    for u in unavailable:
        u.status = UnitStatus.TIDAK_TERSEDIA
    Assignment.objects.bulk_create(assignments, batch_size=500)
    PatrolUnit.objects.bulk_update(busy + unavailable, ["status"], batch_size=500)
    # crews signed on to 90 % of the units (the Polres uses sign-on: the others carry the no-crew handicap and
    # every suggestion names its crew). Bench set-up rows, written directly.
    from k3i.accounts.models import User
    from k3i.dispatch.models import UnitCrew

    crewed = [all_units[i] for i in order[: int(n_units * 0.9)]]
    users = User.objects.bulk_create([
        User(username=f"bench-awak-{u.pk}", role="anggota", polres=w.polres, password="!") for u in crewed
    ], batch_size=500)
    if not all(x.pk for x in users):  # backends that do not return ids from bulk_create
        by_name = dict(User.objects.filter(username__startswith="bench-awak-").values_list("username", "pk"))
        for x in users:
            x.pk = by_name[x.username]
    UnitCrew.objects.bulk_create([UnitCrew(unit=u, user=x, signed_on_at=now) for u, x in zip(crewed, users, strict=True)],
                                 batch_size=500)
    from django.db import connection

    with connection.cursor() as cur:  # planner statistics, as autovacuum / a running system would have them
        cur.execute("ANALYZE")
    return {"world": w, "incidents": incidents, "busy": len(busy), "unavailable": len(unavailable),
            "crewed": len(crewed)}


def child(backend: str, calls: int, n_units: int) -> dict[str, Any]:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from k3i.accounts.testing import force_login_verified
    from k3i.dispatch.models import PatrolUnit
    from k3i.dispatch.recommend import recommend

    t0 = time.perf_counter()
    data = populate(n_units, seed=3)
    setup_s = time.perf_counter() - t0
    incidents = data["incidents"]
    active = PatrolUnit.objects.filter(aktif=True).count()

    for k in range(200):  # warm up
        recommend(incidents[k % len(incidents)], limit=5)
    samples, suggested, pulls, p1, crew_named = [], 0, 0, 0, 0
    clock = time.perf_counter
    for k in range(calls):
        inc = incidents[k % len(incidents)]
        t = clock()
        recs = recommend(inc, limit=5)
        samples.append(clock() - t)
        suggested += len(recs)
        pulls += sum(r.pull_from is not None for r in recs)
        crew_named += sum(any(x.startswith(("awak: ", "belum ada awak")) for x in r.reasons) for r in recs)
        p1 += inc.priority == 1

    client = force_login_verified(Client(), data["world"].user("operator"))
    http_calls = max(200, calls // 6)
    for k in range(50):
        client.get(f"/api/v1/incidents/{incidents[k % len(incidents)].pk}/recommendations", secure=True)
    http = []
    for k in range(http_calls):
        t = clock()
        r = client.get(f"/api/v1/incidents/{incidents[k % len(incidents)].pk}/recommendations", secure=True)
        http.append(clock() - t)
        assert r.status_code == 200, r.content
    version = connection.cursor().connection.info.server_version if backend == "postgresql" else None
    load = "/".join(f"{x:.1f}" for x in os.getloadavg())
    import sqlite3

    return {
        "backend": backend, "units": active, "busy": data["busy"], "unavailable": data["unavailable"],
        "crewed": data["crewed"], "crew_named": crew_named / max(1, suggested), "calls": calls, "http_calls": http_calls, "setup_s": setup_s, "recommend": percentiles(samples),
        "http": percentiles(http), "mean_suggestions": suggested / calls, "pull_share": pulls / max(1, suggested),
        "p1_calls": p1, "load": load, "db_version": f"PostgreSQL {version // 10000}.{version % 10000}" if version
        else f"SQLite {sqlite3.sqlite_version}",
    }


# --- the parent ----------------------------------------------------------------------------------------

def reset(backend: str) -> None:
    if backend == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(SQLITE_PATH + suffix).unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB}")


def run_backend(backend: str, calls: int, n_units: int) -> dict[str, Any]:
    reset(backend)
    env = {**os.environ, "K3I_SECRET_KEY": secrets.token_urlsafe(48), "K3I_LOG_LEVEL": "ERROR",
           "K3I_VAR_DIR": "/tmp/k3i_bench_recommend_var", "DJANGO_SETTINGS_MODULE": "k3i.settings",
           "K3I_TESTING": "", "K3I_ROUTER_URL": ""}
    env["K3I_DATABASE_URL"] = "" if backend == "sqlite" else f"{PG_SERVER}/{PG_DB}"
    env["K3I_SQLITE_PATH"] = SQLITE_PATH
    cmd = [sys.executable, __file__, "--child", backend, "--calls", str(calls), "--units", str(n_units)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    try:
        if proc.returncode != 0:
            raise SystemExit(f"{backend}: child failed\n{proc.stderr[-4000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if backend == "postgresql":
            import psycopg

            with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        else:
            reset("sqlite")


def pg_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=3):
            return True
    except Exception:  # noqa: BLE001
        return False


def section(results: list[dict[str, Any]], command: str) -> str:
    rows = []
    for r in results:
        for label, key, n in (("`recommend(incident, limit=5)`", "recommend", r["calls"]),
                              ("`GET /api/v1/incidents/{id}/recommendations` (test client)", "http", r["http_calls"])):
            s = r[key]
            ok = "ya" if s["p99"] <= GOAL_P99_MS else "tidak"
            rows.append(f"| {r['db_version']} | {label} | {r['units']:,} | {n:,} | {s['p50']:.2f} | {s['p90']:.2f} | "
                        f"{s['p99']:.2f} | {s['max']:.2f} | {ok if key == 'recommend' else '—'} |")
    r0 = results[0]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return "\n".join([
        f"## {TITLE}",
        "",
        "Ranking the active units of a Polres for one incident (`k3i/dispatch/recommend.py`), in-process, on a",
        f"fresh database: {r0['units']:,} active units over Kota Semarang (R2/R4/on foot; both Polsek and Mapolres;",
        f"four functions; 85 % with a fresh position, 8 % stale, 7 % never reported; {r0.get('crewed', 0)} with a crew "
        f"signed on, so every suggestion names its crew), {r0['busy']} of them busy on",
        f"active assignments and {r0['unavailable']} unavailable; 100 incidents taken through the intake action,",
        "a third of them priority 1 (so units busy on P3/P4 tasks are ranked too, as pull candidates). Default router",
        "(great circle × 1.35 / speed per type and hour), no OSRM. Goal: p99 ≤ 20 ms per call.",
        "",
        "| database | call | active units | calls | p50 ms | p90 ms | p99 ms | max ms | p99 ≤ 20 ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|:---:|",
        *rows,
        "",
        f"- {r0['mean_suggestions']:.1f} suggestions per call on average (limit 5); "
        f"{r0['pull_share'] * 100:.0f} % of all suggestions were pull proposals (a pull candidate carries a 5-minute",
        "  handicap, so with this many free units nearby it rarely makes the top five).",
        f"- Load average at start: {r0['load']}; other work shares the machine, so p99 carries its noise.",
        "- Per call: one `values_list` query over the Polres's free units (busy ones excluded by a subquery; a priority-1",
        "  incident also reads the active assignments, for pull candidates) with an EXISTS for a crew signed on",
        "  (no-crew handicap), numpy haversine for all candidates, model objects, crew names and Indonesian reasons",
        f"  only for the five returned ({r0.get('crew_named', 0) * 100:.0f} % of suggestions name a crew or its absence).",
        "- The HTTP row adds session authentication, `restrict` on units and incidents and JSON serialisation.",
        "- Crews cost ≈ 4 ms per call at p50 here (an EXISTS per candidate in the same query, one query for the five",
        "  crews' names): the same run without crews gave 6.7 / 10.6 ms p50 / p99 on PostgreSQL on this VM, which is",
        "  ≈ 1.7× slower than the one of the 08:16 sitting (3.97 / 6.63 ms there, before crews).",
        "",
        f"Command: `{command}` — run {now}",
        f"Machine: {machine_line()}.",
    ])


def main() -> int:
    ap = argparse.ArgumentParser(description="Recommendation benchmark (1,000 active units)")
    ap.add_argument("--db", default="sqlite,postgresql", help="databases, comma-separated (sqlite, postgresql)")
    ap.add_argument("--calls", type=int, default=3000, help="measured recommend() calls per database (default 3000)")
    ap.add_argument("--units", type=int, default=1000, help="active units (default 1000)")
    ap.add_argument("--no-write", action="store_true", help="print only; do not update docs/benchmarks.md")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.calls, args.units)))
        return 0
    results = []
    for backend in [b.strip() for b in args.db.split(",") if b.strip()]:
        if backend == "postgresql" and not pg_available():
            print("PostgreSQL tidak tersedia di 127.0.0.1:5432: dilewati", file=sys.stderr)
            continue
        r = run_backend(backend, args.calls, args.units)
        print(f"{r['db_version']}: recommend p50 {r['recommend']['p50']:.2f} ms, p99 {r['recommend']['p99']:.2f} ms; "
              f"HTTP p50 {r['http']['p50']:.2f} ms, p99 {r['http']['p99']:.2f} ms ({r['units']} units)")
        results.append(r)
    if not results:
        return 1
    command = "python bench/recommend.py" + "".join(
        f" {a}" for a in sys.argv[1:] if a != "--no-write")
    text = section(results, command)
    print(text)
    if not args.no_write:
        write_section(TITLE, text)
    return 0 if all(r["recommend"]["p99"] <= GOAL_P99_MS for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
