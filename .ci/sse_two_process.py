#!/usr/bin/env python3
"""CI: two `k3i serve` processes on one PostgreSQL — an event written through one reaches a stream on the other.

1. Creates the database if missing (``K3I_DATABASE_URL``, default
   ``postgres://postgres@127.0.0.1:5432/k3i_ci_sse``) and migrates it.
2. Creates (once) a Polres and an admin user through the actions, and a fresh write-scoped API token.
3. Starts server A and server B (``.venv/bin/k3i serve --port …``, each with its own audit sealer).
4. Connects an SSE client to B's ``/ops/stream`` and, through A, calls ``POST /api/v1/audit/seal``:
   an action that seals the ledger and emits the live event ``audit.disegel`` in its transaction.
5. Asserts the event arrives at B within a few seconds (five rounds) and prints the measured delay.

Exit 0 when every round arrived, 1 otherwise. The servers are always stopped.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from intake_http import K3I, PYTHON, free_port, stop  # noqa: E402  (the benchmarks' server helpers)

DB_URL = os.environ.get("K3I_DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/k3i_ci_sse"
ROUNDS = 5
DEADLINE = 5.0  # seconds for an event to reach the other server

SETUP = r"""
import django
django.setup()
from k3i.accounts.actions import create_token, create_user
from k3i.accounts.models import User
from k3i.core.audit import Channel
from k3i.core.roles import Role
from k3i.organization.actions import create_polres
from k3i.organization.models import Polres, Region

# The places are reference data (normally from `k3i regions import`); the CI needs just the city.
prov, _ = Region.objects.get_or_create(kode="33", defaults={"nama": "Jawa Tengah", "level": 1, "tipe": "provinsi"})
kota, _ = Region.objects.get_or_create(kode="33.74", defaults={"nama": "Kota Semarang", "level": 2, "tipe": "kota",
                                                               "parent": prov})
polres = Polres.objects.filter(kode="ci-sse").first() or create_polres(
    None, channel=Channel.CLI, kode="ci-sse", nama="Polres CI SSE", tipe=Polres.Tipe.POLRESTABES, wilayah=kota)
user = User.objects.filter(username="ci_sse_admin").first() or create_user(
    None, username="ci_sse_admin", password=None, role=Role.ADMIN, polres=polres, channel=Channel.CLI)
_, raw = create_token(None, user, name="ci-sse", days=1, write=True, channel=Channel.CLI)
print(raw)
"""


def log(msg: str) -> None:
    print(f"[sse-2p] {msg}", flush=True)


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"basis data {name} dibuat")


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server port {port} berhenti (kode {proc.returncode})")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server port {port} tidak siap dalam {timeout:.0f} s")


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
    env = {**os.environ, "K3I_DATABASE_URL": DB_URL, "K3I_DEBUG": "1", "K3I_LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "k3i.settings", "PYTHONUNBUFFERED": "1"}
    log(f"basis data: {DB_URL}")
    ensure_database(DB_URL)
    subprocess.run([K3I, "migrate"], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    setup = subprocess.run([PYTHON, "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    token = setup.stdout.strip().splitlines()[-1]

    logs = Path(tempfile.mkdtemp(prefix="k3i-sse-2p-"))
    procs: dict[str, subprocess.Popen[bytes]] = {}
    client: SSEClient | None = None
    ok = False
    try:
        ports = {"A": free_port(), "B": free_port()}
        for name, port in ports.items():
            out = open(logs / f"server-{name}.log", "wb")  # noqa: SIM115 - closed with the process
            procs[name] = subprocess.Popen([K3I, "serve", "--port", str(port), "--no-migrate"], env=env, cwd=ROOT,
                                           stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        for name, port in ports.items():
            wait_ready(port, procs[name])
            log(f"server {name}: http://127.0.0.1:{port}/ (pid {procs[name].pid})")

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
        for name in procs:
            path = logs / f"server-{name}.log"
            if path.exists():
                print(f"--- log server {name} ---\n{path.read_text(errors='replace')[-4000:]}", flush=True)
    finally:
        if client is not None:
            client.close()
        for proc in procs.values():
            stop(proc)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
