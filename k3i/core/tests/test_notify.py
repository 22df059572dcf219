"""Live-event wake-ups (``k3i.core.notify``) and ``events.emit_many``.

PostgreSQL-only tests (NOTIFY, the listener) are skipped on SQLite. Waits are bounded; nothing asserts timing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from k3i.core import notify
from k3i.core.events import emit, emit_many, events_for
from k3i.core.models import LiveEvent

WAIT = 10.0  # seconds before a test gives up (never reached when it works)


def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("NOTIFY/LISTEN: hanya PostgreSQL")


@pytest.fixture(autouse=True)
def no_listener() -> Iterator[None]:
    """Each test starts and ends without this process's listener (its connection would keep the test
    database from being dropped)."""
    notify.listener.stop()
    yield
    notify.listener.stop()


def items(world, *names: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [{"kind": "uji.banyak", "payload": {"n": n}, "polres_id": world.polres.pk} for n in names]


def test_emit_many_writes_one_insert_in_order(world):
    st = world.polsek["semarang_tengah"]
    batch = items(world, "a", "b") + [{"kind": "uji.banyak", "payload": {"n": "c"}, "polres_id": world.polres.pk,
                                       "polsek_id": st.pk, "kelurahan_kode": "33.74.01.1001",
                                       "fungsi_kode": "SAT_SAMAPTA"}]
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        made = emit_many(batch)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "core_liveevent"')]
    assert len(inserts) == 1
    ids = [e.pk for e in made]
    assert all(ids) and ids == sorted(ids) and len(set(ids)) == 3
    assert [e.payload["n"] for e in made] == ["a", "b", "c"]
    c = LiveEvent.objects.get(pk=ids[2])
    assert (c.polsek_id, c.kelurahan_kode, c.fungsi_kode) == (st.pk, "33.74.01.1001", "SAT_SAMAPTA")
    assert [e.payload["n"] for e in events_for(world.user("operator"), ids[0] - 1)] == ["a", "b", "c"]
    # filtered per reader like any event: the other Polsek's Kapolsek does not see the one of Semarang Tengah
    assert "c" not in {e.payload["n"] for e in events_for(world.user("kapolsek_semarang_utara"), ids[0] - 1)}


@pytest.mark.django_db(transaction=True)
def test_emit_many_rules(world):
    with pytest.raises(RuntimeError):
        emit_many(items(world, "x"))  # outside the action's transaction
    with transaction.atomic():
        assert emit_many([]) == []
        with pytest.raises(TypeError):
            emit_many([{"kind": "uji", "payload": {}, "polres_id": world.polres.pk, "lain": 1}])


def notifies_in(queries: CaptureQueriesContext) -> int:
    return sum("pg_notify" in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_one_announcement_per_transaction(world):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        emit("uji", {"n": 1}, polres_id=world.polres.pk)
        emit_many(items(world, "2", "3"))
        emit("uji", {"n": 4}, polres_id=world.polres.pk)
    assert notifies_in(queries) == (1 if connection.vendor == "postgresql" else 0)


@pytest.mark.django_db(transaction=True)
def test_an_announcement_rolled_back_with_its_savepoint_is_made_again(world):
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        with pytest.raises(ValueError), transaction.atomic():  # a savepoint rolled back
            emit("uji", {"n": "batal"}, polres_id=world.polres.pk)
            raise ValueError
        emit("uji", {"n": "jadi"}, polres_id=world.polres.pk)
    assert notifies_in(queries) == (2 if connection.vendor == "postgresql" else 0)


@pytest.mark.django_db(transaction=True)
def test_streams_of_this_process_are_woken_after_commit_only(world):
    """Without a listener (SQLite; PostgreSQL while it is not connected) the process wakes its own streams."""
    before = notify.hub.wakes
    with transaction.atomic():
        emit("uji", {"n": 1}, polres_id=world.polres.pk)
        emit_many(items(world, "2", "3"))
        assert notify.hub.wakes == before  # not before the commit
    assert notify.hub.wakes == before + 1  # once for the transaction
    with pytest.raises(ValueError), transaction.atomic():
        emit("uji", {"n": "batal"}, polres_id=world.polres.pk)
        raise ValueError
    assert notify.hub.wakes == before + 1  # a rollback wakes nobody


def test_hub_wakes_waiters_of_every_loop_from_any_thread():
    async def scenario() -> None:
        first, second = notify.hub.waiter(), notify.hub.waiter()
        try:
            assert notify.hub.idle_for() == 0
            assert not await first.wait(0)
            await asyncio.get_running_loop().run_in_executor(None, notify.hub.wake)  # another thread
            assert await first.wait(WAIT) and await second.wait(WAIT)
            first.clear()
            assert not await first.wait(0) and await second.wait(0)
        finally:
            first.close()
            second.close()

    async_to_sync(scenario)()
    notify.hub.wake()  # no waiter left (its loop is closed): nothing to do, no error


# --- PostgreSQL: NOTIFY and the process's listener ------------------------------------------------------


def raw_listen():  # type: ignore[no-untyped-def]
    """A psycopg connection of the test's own (not Django's) listening on the channel."""
    import psycopg

    params = notify.listener._params()
    params["application_name"] = "k3i-test-listen"
    conn = psycopg.connect(**params, autocommit=True)
    conn.execute(f"LISTEN {notify.CHANNEL}")
    return conn


@pytest.mark.django_db(transaction=True)
def test_notify_is_delivered_on_commit_once_and_never_on_rollback(world):
    postgresql_only()
    with raw_listen() as conn:
        with pytest.raises(ValueError), transaction.atomic():
            emit("uji", {"n": "batal"}, polres_id=world.polres.pk)
            raise ValueError
        with transaction.atomic():
            emit("uji", {"n": "a"}, polres_id=world.polres.pk)
            emit_many(items(world, "b", "c"))
        conn.execute(f"NOTIFY {notify.CHANNEL}, 'akhir'")  # a marker after both transactions
        got: list[str] = []
        for n in conn.notifies(timeout=WAIT):
            if n.payload == "akhir":
                break
            got.append(n.payload)
        else:
            pytest.fail("penanda akhir tidak pernah sampai")
    assert got == [""]  # the committed transaction, once; nothing of the rolled-back one


def until(check: Callable[[], bool], what: str) -> Callable[[], object]:
    async def wait() -> None:
        deadline = time.monotonic() + WAIT
        while not check():
            if time.monotonic() > deadline:
                pytest.fail(f"tidak terjadi dalam {WAIT:.0f} s: {what}")
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)  # let wake-ups already on their way arrive

    return wait


def commit_event(world) -> None:  # type: ignore[no-untyped-def]
    try:
        with transaction.atomic():
            emit("uji", {"n": "bangun"}, polres_id=world.polres.pk)
    finally:
        connections.close_all()


def terminate(pid: int) -> None:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        connections.close_all()


@pytest.mark.django_db(transaction=True)
def test_listener_wakes_waiting_streams_reconnects_and_ends_after_the_last_stream(world):
    postgresql_only()

    async def scenario() -> None:
        waiter = notify.hub.waiter()
        try:
            notify.listener.ensure()
            await until(lambda: notify.listener.connected, "pendengar tersambung")()
            first_pid = notify.listener.pid
            waiter.clear()
            # With the listener connected, only its notification wakes the stream (no in-process wake-up).
            await sync_to_async(commit_event, thread_sensitive=False)(world)
            assert await waiter.wait(WAIT)

            # The listening connection is killed from outside: the listener connects again by itself.
            assert first_pid is not None
            await sync_to_async(terminate, thread_sensitive=False)(first_pid)
            await until(lambda: notify.listener.connected and notify.listener.pid not in (None, first_pid),
                        "pendengar tersambung kembali")()
            waiter.clear()
            await sync_to_async(commit_event, thread_sensitive=False)(world)
            assert await waiter.wait(WAIT)
        finally:
            waiter.close()
        # No stream left in this process: the listener closes its connection (after a short linger).
        await until(lambda: not notify.listener.connected and notify.listener.pid is None, "pendengar berhenti")()

    async_to_sync(scenario)()
