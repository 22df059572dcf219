#!/usr/bin/env python3
"""CI: SIGKILL the server under intake load — every incident acknowledged with 201 is in the database.

For SQLite (a WAL file) and PostgreSQL (``--db`` chooses), on a fresh demo database:
1. start `k3i serve --workers 2` (production settings; see ``bench/intake_http.py``);
2. a few clients post realistic reports to `POST /api/v1/incidents` without pause, each with its own
   idempotency key, collecting the id and number of every 201;
3. after a moment, SIGKILL the server and all its workers (its process group) mid-load, restart it on
   the same port while the clients keep trying; twice;
4. a client retries, with the same idempotency key, every request that got no answer (a real client
   would): each retry must answer with an incident, and a second retry must name the same one;
5. stop the load and read the database: every acknowledged incident must exist with the number it was
   given, and the run's keys must name exactly the acknowledged incidents (none twice);
6. `k3i audit verify`: the ledger's hash chain is whole after the kills (the sealer may have been mid-seal).

Exit 0 when nothing acknowledged was lost, 1 otherwise. Takes about 30 s for both databases.

    .venv/bin/python .ci/sigkill_intake.py [--db sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import http.client
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from intake_http import K3I, Reports, Result, Stack, drive, exit_on_sigterm, free_port, kill, post  # noqa: E402

CLIENTS = 4
LOAD_SECONDS = 2.5  # load before each kill
KILLS = 2


def log(msg: str) -> None:
    print(f"[sigkill] {msg}", flush=True)


def run(kind: str) -> bool:
    with tempfile.TemporaryDirectory(prefix=f"k3i-ci-sigkill-{kind}-") as tmp:
        stack = Stack(kind, Path(tmp), pg_name="k3i_ci_sigkill")
        try:
            stack.create()
            port = free_port()
            proc = stack.start(port, 2)
            token = stack.tokens[0]
            reports = Reports(f"sigkill-{secrets.token_hex(3)}-{kind}-", seed=5)
            stop = threading.Event()
            sent: list[Result] = []

            def load() -> None:
                results, _, _ = drive(port, token, reports, clients=CLIENTS, duration=600, stop_event=stop,
                                      timeout=10)
                sent.extend(results)

            loader = threading.Thread(target=load, daemon=True)
            loader.start()
            for i in range(1, KILLS + 1):
                time.sleep(LOAD_SECONDS)
                kill(proc)
                log(f"{kind}: server (pid {proc.pid}) di-SIGKILL saat beban, ke-{i}")
                time.sleep(0.3)
                t0 = time.monotonic()
                proc = stack.start(port, 2)
                log(f"{kind}: server hidup lagi dalam {time.monotonic() - t0:.1f} s")
            time.sleep(1.0)  # some load on the restarted server
            stop.set()
            loader.join(timeout=60)

            acked = {r.id: r.number for r in sent if r.status == 201 and r.id is not None}
            unanswered = [r for r in sent if r.status == 0]
            not_sent = [r for r in sent if r.status == -1]
            refused = [r for r in sent if r.status not in (-1, 0, 201)]
            log(f"{kind}: {len(sent) - len(not_sent)} permintaan terkirim, {len(acked)} dijawab 201, "
                f"{len(unanswered)} tanpa jawaban (koneksi putus), {len(refused)} ditolak; "
                f"{len(not_sent)} kali server belum menerima koneksi")
            ok = True
            if refused:
                log(f"{kind}: GAGAL — jawaban selain 201: {sorted({f'{r.status} {r.detail[:150]}' for r in refused})[:3]}")
                ok = False
            if len(acked) < 20:
                log(f"{kind}: GAGAL — terlalu sedikit laporan diterima ({len(acked)}): beban tidak berjalan")
                ok = False

            # What a real client does with a request that got no answer: send it again, same key.
            retried = retry_unanswered(port, token, unanswered)
            for key, (first, second) in retried.items():
                if first is None or second is None or first != second:
                    log(f"{kind}: GAGAL — ulang kunci {key}: {first} lalu {second}")
                    ok = False

            stored = stack.acknowledged(reports.prefix)
            ids = set(stored["ids"])
            lost = sorted(set(acked) - ids)
            renumbered = [i for i in acked if i in ids and stored["numbers"].get(str(i)) != acked[i]]
            expected = set(acked) | {first for first, _ in retried.values() if first is not None}
            unexpected = sorted(ids - expected)
            log(f"{kind}: di basis data {len(ids)} kejadian dengan kunci uji ini; 201 hilang: {len(lost)}, nomor "
                f"berubah: {len(renumbered)}, tanpa pemilik: {len(unexpected)}; diulang {len(retried)}")
            if lost:
                log(f"{kind}: GAGAL — kejadian yang sudah dijawab 201 hilang: {lost[:10]}")
                ok = False
            if renumbered:
                log(f"{kind}: GAGAL — nomor laporan berubah: {renumbered[:10]}")
                ok = False
            if unexpected:
                log(f"{kind}: GAGAL — kejadian tak dikenal klien (kunci ganda?): {unexpected[:10]}")
                ok = False
            audit = subprocess.run([K3I, "audit", "verify"], env=stack.env, cwd=ROOT, capture_output=True, text=True)
            log(f"{kind}: k3i audit verify → kode {audit.returncode}: {(audit.stdout + audit.stderr).strip()[-300:]}")
            if audit.returncode != 0:
                log(f"{kind}: GAGAL — buku audit rusak setelah SIGKILL")
                ok = False
            if not ok:
                print(f"--- log server ---\n{stack.server_log(port)}", flush=True)
            return ok
        finally:
            stack.stop_all()
            stack.drop()


def retry_unanswered(port: int, token: str, unanswered: list[Result]) -> dict[str, tuple[int | None, int | None]]:
    """Send each unanswered request again (same idempotency key) twice: {key: (id first retry, id second)}.
    The first retry answers 200 when the lost request had committed before the kill, 201 when it had not."""
    out: dict[str, tuple[int | None, int | None]] = {}
    statuses: list[int] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for r in unanswered:
        if r.body is None:
            continue
        key = str(r.body["idempotency_key"])
        ids = []
        for _ in range(2):
            status, answer = post(conn, token, r.body)
            statuses.append(status)
            ids.append(int(answer["id"]) if status in (200, 201) and "id" in answer else None)
        out[key] = (ids[0], ids[1])
    conn.close()
    if out:
        first = statuses[::2]
        log(f"ulang {len(out)} permintaan tanpa jawaban: {first.count(200)} sudah tersimpan sebelum kill (200), "
            f"{first.count(201)} belum (201 sekarang); ulang kedua: {statuses[1::2].count(200)}× 200")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description="SIGKILL the server under intake load; nothing acknowledged lost")
    ap.add_argument("--db", default="sqlite,postgresql", help="databases, comma-separated (sqlite, postgresql)")
    args = ap.parse_args()
    random.seed()
    exit_on_sigterm()
    t0 = time.monotonic()
    results = {kind: run(kind) for kind in [d.strip() for d in args.db.split(",") if d.strip()]}
    for kind, ok in results.items():
        log(f"{kind}: {'BERHASIL' if ok else 'GAGAL'}")
    log(f"selesai dalam {time.monotonic() - t0:.0f} s")
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
