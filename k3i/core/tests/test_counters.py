"""Counters shared by every worker process (``k3i.core.counters``): the database backend, the limits that use it
(public report form, lock-out of unknown usernames) surviving a per-process cache reset, two real processes on
one SQLite file, the fallback when Redis is unreachable, and — with ``K3I_TEST_REDIS_URL`` — the Redis backend."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from k3i.core import counters, jobs
from k3i.core.models import RateCounter
from k3i.incidents.models import Incident

ROOT = Path(__file__).resolve().parents[3]
REDIS_URL = os.environ.get("K3I_TEST_REDIS_URL", "")
LAPOR_REFUSED = "Terlalu banyak laporan dari alamat internet Anda dalam satu jam"
LOCKED_TEXT = "Terlalu banyak percobaan masuk yang gagal"


@pytest.fixture(autouse=True)
def _no_redis(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """The database backend unless a test says otherwise; no Redis outage remembered from another test."""
    settings.K3I_REDIS_URL = ""
    monkeypatch.setattr(counters, "_down_until", {})
    monkeypatch.setattr(counters, "_warned_at", 0.0)


def submit(c: Client, kunci: str):  # type: ignore[no-untyped-def]
    return c.post("/lapor/", data={"text": "motor saya dicuri di depan warung", "lat": "-6.98", "lon": "110.41",
                                   "kelurahan": "", "alamat": "", "kunci": kunci})


def post_password(username: str):  # type: ignore[no-untyped-def]
    return Client().post("/akun/masuk/", {"username": username, "password": "salah-sekali"})


def expire(key: str) -> None:
    """End the window of ``key`` now (as the clock would), without waiting."""
    assert RateCounter.objects.filter(key=key).update(expires_at=int(time.time()) - 1) == 1


# --- the database backend ---------------------------------------------------------------------------

def test_hit_counts_in_the_database_not_in_the_process_cache(db):
    assert [counters.hit("uji:a", 60) for _ in range(3)] == [1, 2, 3]
    cache.clear()  # a per-process cache going away (another worker, a restart) resets nothing
    assert counters.hit("uji:a", 60) == 4
    assert counters.peek("uji:a") == 4 and counters.peek("uji:b") == 0
    assert counters.hit("uji:b", 60) == 1
    row = RateCounter.objects.get(key="uji:a")
    assert row.hits == 4 and 0 < row.expires_at - time.time() <= 60


def test_a_new_window_starts_from_one(db):
    for _ in range(5):
        counters.hit("uji:w", 60)
    expire("uji:w")
    assert counters.peek("uji:w") == 0
    assert counters.hit("uji:w", 60) == 1
    assert RateCounter.objects.get(key="uji:w").expires_at > time.time()


def test_the_locked_path_for_old_sqlite_counts_the_same(db):
    now = int(time.time())
    assert [counters._db_hit_locked("uji:l", 60, now) for _ in range(3)] == [1, 2, 3]
    assert counters._db_hit_locked("uji:l", 60, now + 61) == 1  # the window ended
    assert counters.hit("uji:l", 60) == 2  # both paths share the row


def test_block_holds_a_key_until_it_ends(db):
    assert not counters.blocked("uji:kunci")
    counters.block("uji:kunci", 900)
    assert counters.blocked("uji:kunci")
    cache.clear()
    assert counters.blocked("uji:kunci")
    expire("uji:kunci")
    assert not counters.blocked("uji:kunci")
    counters.block("uji:kunci", 900)  # blocking again replaces the ended block
    assert counters.blocked("uji:kunci")


def test_expired_rows_are_purged_by_the_scheduled_job(db, monkeypatch):
    monkeypatch.setattr(counters, "_purged_at", 0.0)
    counters.hit("uji:lama", 60)
    counters.hit("uji:baru", 60)
    expire("uji:lama")
    assert jobs.run_once()["counters"] == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["uji:baru"]
    counters.hit("uji:lagi", 60)
    expire("uji:lagi")
    assert counters.purge_expired() == 0  # at most once a minute per process
    assert RateCounter.objects.filter(key="uji:lagi").exists()


def test_digest_hides_the_value(settings):
    d = counters.digest("10.20.30.40")
    assert d == counters.digest("10.20.30.40") and d != counters.digest("10.20.30.41")
    assert "10.20.30.40" not in d and len(d) == 40
    settings.SECRET_KEY = "k" * 50  # keyed with the installation's secret: not a plain hash anyone can rebuild
    assert counters.digest("10.20.30.40") != d


# --- the limits that use it, across a per-process cache reset --------------------------------------------

def test_public_form_refuses_the_eleventh_report_of_the_hour_even_after_a_cache_clear(world, settings):
    settings.K3I_PUBLIC_REPORTS_PER_HOUR = 10
    c = Client(REMOTE_ADDR="10.20.30.40")
    for i in range(10):
        assert submit(c, f"k{i}").status_code == 201
        cache.clear()  # as if the next request reached another worker process
    r = submit(c, "k10")
    assert r.status_code == 429 and LAPOR_REFUSED in r.content.decode()
    assert Incident.objects.count() == 10
    assert submit(Client(REMOTE_ADDR="10.20.30.41"), "lain").status_code == 201  # another address is free
    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert len(keys) == 2 and not any("10.20.30" in k for k in keys)  # no raw address is stored


def test_unknown_username_lockout_holds_even_after_a_cache_clear(world, settings):
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_MINUTES = 3, 15
    for _ in range(2):
        assert "Nama pengguna atau kata sandi salah." in post_password("bukan_siapa_siapa").content.decode()
        cache.clear()
    assert LOCKED_TEXT in post_password("bukan_siapa_siapa").content.decode()
    cache.clear()
    assert LOCKED_TEXT in post_password("bukan_siapa_siapa").content.decode()
    assert "salah." in post_password("orang_lain").content.decode()  # only that username is closed
    assert not RateCounter.objects.filter(key__contains="bukan_siapa_siapa").exists()
    lock = RateCounter.objects.get(key__endswith=":lock")
    lasts = lock.expires_at - time.time()  # the lock-out lasts LOGIN_LOCKOUT_MINUTES from now
    assert settings.LOGIN_LOCKOUT_MINUTES * 60 - 60 < lasts <= settings.LOGIN_LOCKOUT_MINUTES * 60


# --- real concurrency: processes and connections --------------------------------------------------

TWO_PROCESSES = r"""
import json, multiprocessing, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connections
call_command("migrate", "core", verbosity=0)
connections.close_all()

def worker(n, out):
    from k3i.core import counters
    out.put([counters.hit("uji:dua-proses", 3600) for _ in range(n)])
    connections.close_all()

if __name__ == "__main__":
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(100, out)) for _ in range(2)]
    for p in procs:
        p.start()
    seen = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    from k3i.core import counters
    print(json.dumps({"seen": seen, "peek": counters.peek("uji:dua-proses")}))
"""


def test_two_processes_share_one_count_on_a_sqlite_file(tmp_path):
    import json

    env = {k: v for k, v in os.environ.items() if k not in ("K3I_DATABASE_URL", "K3I_TEST_DB_NAME", "K3I_REDIS_URL")}
    env.update({"K3I_TESTING": "1", "K3I_SQLITE_PATH": str(tmp_path / "ctr.sqlite3"), "K3I_VAR_DIR": str(tmp_path),
                "DJANGO_SETTINGS_MODULE": "k3i.settings", "PYTHONPATH": str(ROOT)})
    script = tmp_path / "two.py"
    script.write_text(TWO_PROCESSES)
    proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # every event got its own number: no two processes ever read the same count
    assert sorted(result["seen"][0] + result["seen"][1]) == list(range(1, 201))
    assert result["peek"] == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_connections_share_one_count_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("hanya PostgreSQL (K3I_DATABASE_URL); SQLite diuji dengan dua proses pada satu berkas")
    _hammer(threads=4, hits=25, key="uji:paralel")
    assert counters.peek("uji:paralel") == 100


def _hammer(*, threads: int, hits: int, key: str) -> list[int]:
    from django.db import connections

    barrier = threading.Barrier(threads)
    seen: list[int] = []
    errors: list[BaseException] = []

    def go() -> None:
        try:
            barrier.wait(10)
            got = [counters.hit(key, 3600) for _ in range(hits)]
            seen.extend(got)
        except BaseException as exc:  # noqa: BLE001 — reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=go) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(60)
    assert not errors, errors
    assert sorted(seen) == list(range(1, threads * hits + 1))
    return seen


# --- Redis: unreachable → the database counts -----------------------------------------------------------

def test_unreachable_redis_falls_back_to_the_database_with_a_warning(db, settings, caplog):
    settings.K3I_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there: connection refused at once
    with caplog.at_level(logging.WARNING, logger="k3i.counters"):
        assert [counters.hit("uji:cadangan", 60) for _ in range(3)] == [1, 2, 3]
        counters.block("uji:cadangan:lock", 60)
        assert counters.blocked("uji:cadangan:lock")
    assert RateCounter.objects.get(key="uji:cadangan").hits == 3
    warnings = [r for r in caplog.records if r.name == "k3i.counters"]
    assert len(warnings) == 1 and "basis data" in warnings[0].getMessage()  # once, not once per call


def test_unreachable_redis_keeps_the_public_form_open_and_limited(world, settings):
    settings.K3I_REDIS_URL = "redis://127.0.0.1:1/0"
    settings.K3I_PUBLIC_REPORTS_PER_HOUR = 2
    c = Client(REMOTE_ADDR="10.20.30.50")
    assert [submit(c, f"m{i}").status_code for i in range(3)] == [201, 201, 429]


# --- the Redis backend (K3I_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/15) -----------------------------

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="K3I_TEST_REDIS_URL tidak diisi: uji Redis dilewati")


@pytest.fixture
def redis_client(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """Counters in the test Redis under a prefix of this test alone; only that prefix is deleted after."""
    import redis

    prefix = f"k3i-test:{uuid.uuid4().hex}:"
    monkeypatch.setattr(counters, "REDIS_PREFIX", prefix)
    settings.K3I_REDIS_URL = REDIS_URL
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    yield client
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


def _prefix() -> str:
    return counters.REDIS_PREFIX


@needs_redis
def test_redis_counts_with_a_window(db, redis_client):
    assert [counters.hit("uji:r", 60) for _ in range(3)] == [1, 2, 3]
    assert counters.peek("uji:r") == 3 and counters.peek("uji:kosong") == 0
    assert int(redis_client.get(_prefix() + "uji:r")) == 3
    assert 0 < redis_client.ttl(_prefix() + "uji:r") <= 60
    assert not RateCounter.objects.exists()  # nothing in the database
    redis_client.delete(_prefix() + "uji:r")  # the window ended (Redis expired the key)
    assert counters.hit("uji:r", 60) == 1


@needs_redis
def test_redis_block(db, redis_client):
    assert not counters.blocked("uji:r:lock")
    counters.block("uji:r:lock", 900)
    assert counters.blocked("uji:r:lock")
    assert 890 < redis_client.ttl(_prefix() + "uji:r:lock") <= 900


@needs_redis
def test_redis_concurrent_hits_never_share_a_number(db, redis_client):
    _hammer(threads=4, hits=50, key="uji:r:paralel")
    assert counters.peek("uji:r:paralel") == 200


@needs_redis
def test_redis_public_form_and_unknown_username_lockout(world, settings, redis_client):
    settings.K3I_PUBLIC_REPORTS_PER_HOUR = 3
    settings.LOGIN_MAX_FAILURES, settings.LOGIN_LOCKOUT_MINUTES = 2, 15
    c = Client(REMOTE_ADDR="10.20.30.60")
    statuses = []
    for i in range(4):
        statuses.append(submit(c, f"r{i}").status_code)
        cache.clear()
    assert statuses == [201, 201, 201, 429]
    post_password("bukan_siapa_siapa")
    assert LOCKED_TEXT in post_password("bukan_siapa_siapa").content.decode()
    assert LOCKED_TEXT in post_password("bukan_siapa_siapa").content.decode()
    assert not RateCounter.objects.exists()
    keys = [k.decode() for k in redis_client.scan_iter(match=_prefix() + "*")]
    assert len(keys) == 3 and not any("10.20.30" in k or "bukan_siapa" in k for k in keys)
