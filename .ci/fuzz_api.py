#!/usr/bin/env python3
"""Fuzz the K3i API with schemathesis against a live server: no answer may be a server error (5xx).

    .venv/bin/python .ci/fuzz_api.py --base-url http://127.0.0.1:8765
        fuzz a running demo server; run with the same K3I_VAR_DIR / K3I_DATABASE_URL as that server, so
        that `k3i token create` writes its tokens into the server's database. Writes (PATCH) change the
        demo's data: point it at a throw-away demo.
    .venv/bin/python .ci/fuzz_api.py
        start a throw-away demo (Polres Salatiga, SQLite in a temporary folder), fuzz it, stop it.

The schema is read from /api/v1/openapi.json. Every operation is fuzzed twice: as `admin` with a write
token (sees and may change everything) and as `analis` with a read-only token (narrower rights: 403 and
404 paths). Only the `not_a_server_error` check is enforced. Runtime: well under three minutes.
schemathesis is installed into this interpreter's environment (pinned below) when missing.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

SCHEMATHESIS = "schemathesis==4.32.5"
ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
K3I = str(BIN / "k3i")
# user, token scope, examples per operation
RUNS = [("admin", "--write", 60), ("analis", None, 20)]


def log(msg: str) -> None:
    print(f"[fuzz_api] {msg}", flush=True)


def ensure_schemathesis() -> str:
    exe = BIN / "schemathesis"
    if not exe.exists():
        log(f"memasang {SCHEMATHESIS} …")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", SCHEMATHESIS],
                       check=True)
    return str(exe)


def wait_for(url: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # demo accounts (admin, analis) and their tokens only work in demo mode
    return {**os.environ, "K3I_DEMO": "1", **(extra or {})}


def create_token(username: str, scope: str | None, env: dict[str, str]) -> str:
    cmd = [K3I, "token", "create", username, "--days", "1", "--name", "fuzz_api"]
    if scope:
        cmd.append(scope)
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    token = out.stdout.strip()
    if not token or "\n" in token:
        raise SystemExit(f"k3i token create {username}: keluaran tak terduga: {out.stdout!r} {out.stderr!r}")
    return token


def fuzz(schemathesis: str, base_url: str, token: str, examples: int, report: Path) -> int:
    cmd = [
        schemathesis, "run", f"{base_url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {token}",
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(examples),
        "--seed", "20260101",
        "--workers", "2",
        "--request-timeout", "20",
        "--suppress-health-check", "all",
        "--warnings", "off",
        "--report", "junit", "--report-junit-path", str(report),
    ]
    return subprocess.run(cmd, timeout=240).returncode


def junit_outcome(report: Path) -> tuple[list[str], list[str]]:
    """Operations with failed checks (our 5xx) and operations where schemathesis itself errored."""
    import xml.etree.ElementTree as ET

    failures: list[str] = []
    errors: list[str] = []
    try:
        tree = ET.parse(report)
    except (OSError, ET.ParseError):
        return ["(laporan JUnit tidak terbaca)"], []
    for case in tree.iter("testcase"):
        name = case.get("name", "?")
        if case.find("failure") is not None:
            failures.append(name)
        elif case.find("error") is not None:
            errors.append(name)
    return failures, errors


def main() -> int:
    p = argparse.ArgumentParser(description="Fuzz API K3i (schemathesis): tidak boleh ada jawaban 5xx.")
    p.add_argument("--base-url", help="server yang sudah berjalan, mis. http://127.0.0.1:8765 (bawaan: demo sementara)")
    p.add_argument("--out", default=str(ROOT / "ci-artifacts"), help="folder laporan JUnit")
    args = p.parse_args()
    schemathesis = ensure_schemathesis()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    server = None
    tmp = None
    env = demo_env()
    base_url = (args.base_url or "").rstrip("/")
    try:
        if not base_url:
            tmp = tempfile.TemporaryDirectory(prefix="k3i-fuzz-")
            env = demo_env({"K3I_VAR_DIR": tmp.name, "K3I_SQLITE_PATH": str(Path(tmp.name) / "fuzz.sqlite3")})
            env.pop("K3I_DATABASE_URL", None)
            log("memuat demo Salatiga di basis data sementara …")
            load = subprocess.run([K3I, "demo", "--polres", "salatiga", "--no-serve"], env=env,
                                  capture_output=True, text=True)
            if load.returncode != 0:
                log("demo gagal dimuat:\n" + load.stdout + load.stderr)
                return 1
            port = free_port()
            base_url = f"http://127.0.0.1:{port}"
            server_log = open(out / "fuzz_api_server.log", "w")  # noqa: SIM115 (closed with the server)
            server = subprocess.Popen([K3I, "serve", "--port", str(port), "--no-migrate"], env=env,
                                      stdout=server_log, stderr=subprocess.STDOUT)
        if not wait_for(f"{base_url}/api/v1/openapi.json", 60):
            log(f"{base_url}/api/v1/openapi.json tidak menjawab")
            return 1
        failed = []
        started = time.monotonic()
        for username, scope, examples in RUNS:
            token = create_token(username, scope, env)
            t0 = time.monotonic()
            log(f"fuzzing sebagai {username} ({'tulis' if scope else 'baca'}), {examples} contoh per operasi …")
            report = out / f"fuzz_api_{username}.xml"
            rc = fuzz(schemathesis, base_url, token, examples, report)
            log(f"{username}: selesai dalam {time.monotonic() - t0:.0f} s, kode keluar {rc}")
            if rc != 0:
                failures, errors = junit_outcome(report)
                if not failures and errors:
                    # schemathesis' own internal errors (not an answer of ours): run once more, then report them.
                    log(f"{username}: galat internal schemathesis pada {', '.join(errors)}; diulang sekali")
                    rc = fuzz(schemathesis, base_url, token, examples, report)
                    failures, errors = junit_outcome(report)
                    if rc != 0 and not failures:
                        log(f"PERINGATAN {username}: schemathesis gagal menguji {', '.join(errors)} (galat alat, "
                            "bukan jawaban 5xx)")
                        continue
                if rc != 0:
                    failed.append(username)
        log(f"total {time.monotonic() - started:.0f} s")
        if failed:
            log("GAGAL: ada jawaban 5xx (lihat di atas dan laporan JUnit) untuk: " + ", ".join(failed))
            return 1
        log("tidak ada jawaban 5xx")
        return 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
