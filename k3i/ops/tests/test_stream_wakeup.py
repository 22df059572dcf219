"""``/ops/stream`` is woken by writes instead of waiting for its next poll (``k3i.core.notify``).

The streams here poll only every 60 s: an event that arrives within the test's bound (``WAIT``) arrived
because its commit woke the stream — on SQLite in-process after the commit, on PostgreSQL through
``NOTIFY k3i_live`` and the process's listener (the in-process wake-up is then left out). Nothing asserts timing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, transaction

from k3i.core import notify
from k3i.core.events import emit_many
from k3i.ops import stream as stream_module

from .test_stream import WAIT, Reader, marker, run, session_client

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/ops/stream"


@pytest.fixture(autouse=True)
def slow_polls(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    settings.SSE_POLL_SECONDS = 60
    settings.SSE_FALLBACK_POLL_SECONDS = 60
    settings.SSE_HEARTBEAT_SECONDS = 600
    settings.SSE_GAP_GRACE_SECONDS = 1
    notify.listener.stop()
    yield
    notify.listener.stop()  # its connection would keep the test database from being dropped


async def streams_waiting(n: int = 1) -> None:
    """Until ``n`` streams wait for a wake-up, and so does the process's shared reader they joined
    (PostgreSQL: with the process's listener connected). From then on nothing reads until woken: the test's
    writes never meet a read (SQLite's shared in-memory test database would answer a read during a write
    with "table is locked")."""
    deadline = time.monotonic() + WAIT
    pg = connection.vendor == "postgresql"
    while (pg and not notify.listener.connected) or stream_module.parked() < n:
        assert time.monotonic() < deadline, "aliran tidak menunggu (atau pendengar PostgreSQL tidak tersambung)"
        await asyncio.sleep(0.01)
    if pg:  # the listener's first wake-up (when it connected) may still be on its way: let it pass
        await asyncio.sleep(0.05)
        while stream_module.parked() < n:
            assert time.monotonic() < deadline, "aliran tidak menunggu"
            await asyncio.sleep(0.01)


def batch(world, *names: str) -> list[int]:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        made = emit_many([{"kind": "uji.penanda", "payload": {"nama": n}, "polres_id": world.polres.pk}
                          for n in names])
    return [e.pk for e in made]


def rolled_back(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError), transaction.atomic():
        emit_many([{"kind": "uji.penanda", "payload": {"nama": "batal"}, "polres_id": world.polres.pk}])
        raise ValueError


def test_a_commit_wakes_the_stream(world):
    client = session_client(world, "operator")

    async def scenario() -> None:
        sse = Reader(await client.get(URL))
        assert (await sse.block()).startswith("retry: ")
        pending = asyncio.create_task(sse.event())  # the stream runs (and waits) while it is being read
        await streams_waiting()
        later = await sync_to_async(marker)(world, "bangun")
        ev = await pending
        assert int(ev["id"]) == later and ev["json"] == {"nama": "bangun"}
        await sse.close()

    run(scenario)


def test_a_batch_arrives_in_order_and_a_rollback_never(world):
    client = session_client(world, "kabagops")

    async def scenario() -> None:
        sse = Reader(await client.get(URL))
        await sse.block()
        pending = asyncio.create_task(sse.event())
        await streams_waiting()
        await sync_to_async(rolled_back)(world)
        ids = await sync_to_async(batch)(world, "a", "b", "c")
        got = [await pending, await sse.event(), await sse.event()]
        assert [int(e["id"]) for e in got] == ids
        assert [e["json"]["nama"] for e in got] == ["a", "b", "c"]
        await sse.close()

    run(scenario)


def test_the_stream_holds_no_database_connection_while_it_waits(world):
    """PostgreSQL: with streams open and waiting, only the listener's connection is in use."""
    if connection.vendor != "postgresql":
        pytest.skip("pg_stat_activity: hanya PostgreSQL")
    clients = [session_client(world, "operator") for _ in range(5)]

    def busy() -> int:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'"
            )
            return int(cur.fetchone()[0])

    async def scenario() -> None:
        streams = [Reader(await c.get(URL)) for c in clients]
        for sse in streams:
            await sse.block()
        pending = [asyncio.create_task(sse.event()) for sse in streams]
        await streams_waiting(len(streams))
        # Idle pooled connections may exist; none is inside a query or a transaction but the listener's
        # (which waits for notifications in the idle state too).
        assert await sync_to_async(busy)() == 0
        later = await sync_to_async(marker)(world, "semua")
        for task in pending:
            assert int((await task)["id"]) == later
        for sse in streams:
            await sse.close()

    run(scenario)
