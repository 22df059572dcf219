#!/usr/bin/env python3
"""CI: two `k3i serve` processes on one PostgreSQL — an event written through one reaches a stream on the other.

1. A fresh database (``K3I_DATABASE_URL`` names the server and the database, default
   ``postgres://postgres@127.0.0.1:5432/k3i_ci_sse``; dropped and created again), seeded with the demo Polres,
   with an admin account and a write token — the benchmarks' server harness (``Stack`` of
   ``bench/intake_http.py``), production settings.
2. Starts server A and server B (``k3i serve --port …``, each with its own audit sealer).
3. Connects an SSE client to B's ``/ops/stream`` and, through A, calls ``POST /api/v1/audit/seal``:
   an action that seals the ledger and emits the live event ``audit.disegel`` in its transaction.
4. Asserts the event arrives at B within a few seconds (five rounds) and prints the measured delay.

Exit 0 when every round arrived, 1 otherwise. The servers are always stopped and the database dropped.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import random
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from intake_http import Stack, exit_on_sigterm, free_port  # noqa: E402  (the benchmarks' server harness)

DB_URL = os.environ.get("K3I_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/k3i_ci_sse"
ROUNDS = 5
DEADLINE = 5.0  # seconds for an event to reach the other server


def log(msg: str) -> None:
    print(f"[sse-2p] {msg}", flush=True)


class SSEClient(threading.Thread):
    """Reads ``/ops/stream`` of one server; every event goes into ``events`` with its arrival time."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.port, self.token = port, token
        self.events: queue.Queue[tuple[float, dict[str, Any]]] = queue.Queue()
        self.connected = threading.Event()
        self.error: BaseException | None = None
        self.conn: http.client.HTTPConnection | None = None

    def run(self) -> None:
        try:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request("GET", "/ops/stream", headers={"Authorization": f"Bearer {self.token}",
                                                              "Accept": "text/event-stream"})
            resp = self.conn.getresponse()
            ctype = resp.getheader("Content-Type", "")
            if resp.status != 200 or not ctype.startswith("text/event-stream"):
                raise RuntimeError(f"/ops/stream menjawab {resp.status} {ctype}: {resp.read(500)!r}")
            fields: dict[str, str] = {}
            while True:
                raw = resp.readline()
                if not raw:
                    return
                line = raw.decode().rstrip("\r\n")
                if line == "":
                    if fields.get("retry") is not None:
                        self.connected.set()
                    if "event" in fields:
                        fields["json"] = json.loads(fields.get("data", "null"))
                        self.events.put((time.monotonic(), dict(fields)))
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(":")
                    fields[name] = value[1:] if value.startswith(" ") else value
        except BaseException as exc:  # reported by the main thread
            if not isinstance(exc, OSError) or not self.connected.is_set():
                self.error = exc

    def close(self) -> None:
        if self.conn is not None:
            try:
                if self.conn.sock is not None:
                    self.conn.sock.shutdown(socket.SHUT_RDWR)
                self.conn.close()
            except OSError:
                pass


def seal_through(port: int, token: str) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/api/v1/audit/seal", headers={"Authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    body = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"POST /api/v1/audit/seal di server A: {resp.status} {body[:500]!r}")
    return dict(json.loads(body))


def main() -> int:
    exit_on_sigterm()
    parts = urlsplit(DB_URL)
    server = urlunsplit(parts._replace(path="", query="", fragment=""))
    name = parts.path.lstrip("/") or "k3i_ci_sse"
    log(f"basis data: {server}/{name}")
    client: SSEClient | None = None
    ok = False
    with tempfile.TemporaryDirectory(prefix="k3i-sse-2p-") as tmp:
        stack = Stack("postgresql", Path(tmp), pg_name=name, pg_server=server)
        ports: dict[str, int] = {}
        try:
            stack.create(username="ci_sse_admin", role="admin")  # sealing the ledger is for admin and Propam
            token = stack.tokens[0]
            for srv in ("A", "B"):
                ports[srv] = free_port()
                proc = stack.start(ports[srv])
                log(f"server {srv}: http://127.0.0.1:{ports[srv]}/ (pid {proc.pid})")

            client = SSEClient(ports["B"], token)
            client.start()
            if not client.connected.wait(15):
                raise RuntimeError(f"klien SSE tidak tersambung ke server B: {client.error!r}")
            log("klien SSE tersambung ke server B")

            delays = []
            for i in range(1, ROUNDS + 1):
                # a random pause, so that the write does not always land at the same point of B's poll cycle
                time.sleep(random.uniform(0.1, 0.6))
                t0 = time.monotonic()
                answer = seal_through(ports["A"], token)
                t1 = time.monotonic()
                deadline = t0 + DEADLINE
                while True:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise RuntimeError(f"putaran {i}: peristiwa audit.disegel (urutan {answer['urutan']}) "
                                           f"tidak sampai ke server B dalam {DEADLINE:.0f} s")
                    try:
                        arrived, event = client.events.get(timeout=left)
                    except queue.Empty:
                        continue
                    if event.get("event") == "audit.disegel" and event["json"].get("urutan") == answer["urutan"]:
                        break
                delays.append(arrived - t0)
                log(f"putaran {i}: ditulis lewat A (id peristiwa {event.get('id')}, urutan {answer['urutan']}), "
                    f"diterima di B {1000 * (arrived - t0):.0f} ms setelah permintaan dikirim "
                    f"({1000 * max(0.0, arrived - t1):.0f} ms setelah A menjawab)")
            log(f"BERHASIL: {ROUNDS}/{ROUNDS} peristiwa sampai di server lain; jeda maks {1000 * max(delays):.0f} ms")
            ok = True
        except Exception as exc:
            log(f"GAGAL: {exc}")
            for srv, port in ports.items():
                print(f"--- log server {srv} ---\n{stack.server_log(port)}", flush=True)
        finally:
            if client is not None:
                client.close()
            stack.stop_all()
            try:
                stack.drop()
            except Exception as exc:  # the failure above says more
                log(f"basis data {name} tidak dapat dihapus: {exc}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
