"""``/ops/stream``: server-sent events, through the real async (ASGI) path.

The stream is read with Django's ``AsyncClient``: the view, its async generator and its own database
thread run as under uvicorn, while the test writes through the actions in between reads. The stream
reads the database on its own connection, so these tests commit (``transaction=True``) — as events
written by another process would be. Waiting is bounded (``asyncio.wait_for``); nothing asserts timing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db import transaction
from django.test import AsyncClient, Client

from k3i.accounts.actions import create_token, revoke_token
from k3i.accounts.testing import force_login_verified
from k3i.core.audit import Channel
from k3i.core.events import emit
from k3i.dispatch.actions import update_patrol_unit
from k3i.ops import stream as stream_module

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/ops/stream"
WAIT = 10.0  # seconds before a test gives up waiting for the next chunk (never reached when it works)


@pytest.fixture(autouse=True)
def fast(settings):  # type: ignore[no-untyped-def]
    settings.SSE_POLL_SECONDS = 0.02
    settings.SSE_HEARTBEAT_SECONDS = 60
    settings.SSE_GAP_GRACE_SECONDS = 1  # PostgreSQL: other suites' open transactions can hold a gap that long


class Reader:
    """Reads an SSE response block by block (blocks end with a blank line)."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.it = response.streaming_content.__aiter__()
        self.buffer = ""

    async def block(self) -> str:
        while "\n\n" not in self.buffer:
            chunk = await asyncio.wait_for(self.it.__anext__(), WAIT)
            self.buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        block, self.buffer = self.buffer.split("\n\n", 1)
        return block

    async def event(self) -> dict[str, Any]:
        """The next real event (skipping comments, heartbeats and the retry hint)."""
        while True:
            fields = parse(await self.block())
            if "event" in fields or "data" in fields:
                return fields

    async def close(self) -> None:
        await self.it.aclose()


def parse(block: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for line in block.split("\n"):
        if not line or line.startswith(":"):
            fields.setdefault("comments", []).append(line[1:].strip())
            continue
        name, _, value = line.partition(":")
        fields[name] = value[1:] if value.startswith(" ") else value
    if "data" in fields:
        fields["json"] = json.loads(fields["data"])
    return fields


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    async_to_sync(scenario)()


def session_client(world, username: str) -> AsyncClient:  # type: ignore[no-untyped-def]
    ac = AsyncClient()
    ac.cookies = force_login_verified(Client(), world.user(username)).cookies
    return ac


def unit_event(world, key: str, aktif: bool = False) -> None:  # type: ignore[no-untyped-def]
    update_patrol_unit(world.user("operator"), world.units[key], channel=Channel.WEB, aktif=aktif)


def marker(world, name: str, **territory: Any) -> int:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        return emit("uji.penanda", {"nama": name}, polres_id=world.polres.pk, **territory).pk


def test_event_written_after_connecting_is_delivered(world):
    marker(world, "sebelum")  # before connecting: not part of this stream ("start from now")
    client = session_client(world, "operator")

    async def scenario() -> None:
        r = await client.get(URL)
        assert r.status_code == 200
        assert r["Content-Type"].startswith("text/event-stream")
        assert r["Cache-Control"].startswith("no-cache")
        sse = Reader(r)
        first = await sse.block()
        assert first.startswith("retry: ")
        await sync_to_async(unit_event)(world, "semarang_tengah")
        ev = await sse.event()
        assert ev["event"] == "unit.diperbarui"
        assert ev["json"]["callsign"] == "SEMARANG-TENGAH-R2-01" and ev["json"]["aktif"] is False
        assert int(ev["id"]) > 0
        await sse.close()

    run(scenario)


def test_polsek_user_does_not_receive_another_polseks_event(world):
    client = session_client(world, "kapolsek_semarang_tengah")

    async def scenario() -> None:
        sse = Reader(await client.get(URL))
        await sse.block()
        await sync_to_async(unit_event)(world, "semarang_utara")  # the other Polsek's unit
        own = await sync_to_async(marker)(world, "milik_sendiri", polsek_id=world.polsek["semarang_tengah"].pk)
        ev = await sse.event()  # the first event that arrives is the one written second
        assert ev["event"] == "uji.penanda" and ev["json"] == {"nama": "milik_sendiri"} and int(ev["id"]) == own
        await sse.close()

    run(scenario)


@pytest.mark.parametrize("how", ["header", "query"])
def test_resume_with_last_event_id_sends_only_later_events(world, how):
    ids = [marker(world, f"e{i}") for i in range(4)]
    client = session_client(world, "kabagops")

    async def scenario() -> None:
        if how == "header":
            r = await client.get(URL, headers={"Last-Event-ID": str(ids[1])})
        else:
            r = await client.get(URL, {"last_event_id": str(ids[1])})
        sse = Reader(r)
        got = [await sse.event(), await sse.event()]
        assert [int(e["id"]) for e in got] == ids[2:]
        assert [e["json"]["nama"] for e in got] == ["e2", "e3"]
        later = await sync_to_async(marker)(world, "e4")
        assert int((await sse.event())["id"]) == later
        await sse.close()

    run(scenario)


def test_heartbeat_comment_when_idle(world, settings):
    settings.SSE_HEARTBEAT_SECONDS = 0.05
    client = session_client(world, "anggota_semarang_tengah")

    async def scenario() -> None:
        sse = Reader(await client.get(URL))
        await sse.block()  # retry hint
        beat = await sse.block()
        assert beat == ": ping"
        await sse.close()

    run(scenario)


def test_bearer_token_and_its_revocation_end_the_stream(world, monkeypatch):
    monkeypatch.setattr(stream_module, "RECHECK_SECONDS", 0.0)
    token, raw = create_token(None, world.user("operator"), channel=Channel.CLI)

    async def scenario() -> None:
        r = await AsyncClient().get(URL, headers={"Authorization": f"Bearer {raw}"})
        assert r.status_code == 200
        sse = Reader(r)
        await sse.block()
        await sync_to_async(marker)(world, "satu")
        assert (await sse.event())["json"] == {"nama": "satu"}
        await sync_to_async(revoke_token)(None, token, channel=Channel.CLI)
        with pytest.raises(StopAsyncIteration):
            await sse.block()

    run(scenario)


def test_access_rules(world):
    clients = {u: session_client(world, u) for u in ("propam", "spkt", "operator")}

    async def scenario() -> None:
        anonymous = await AsyncClient().get(URL)
        assert anonymous.status_code == 401
        bad_token = await AsyncClient().get(URL, headers={"Authorization": "Bearer k3i_palsu"})
        assert bad_token.status_code == 401
        for username in ("propam", "spkt"):  # roles without view_liveevent: the stream does not exist
            r = await clients[username].get(URL)
            assert r.status_code == 404, username
        post = await clients["operator"].post(URL)
        assert post.status_code in (403, 405)

    run(scenario)


def test_wsgi_client_gets_the_same_stream(world, settings):
    # Under WSGI (runserver, the plain test client) the same feed runs as a blocking generator.
    c = force_login_verified(Client(), world.user("operator"))
    r = c.get(URL)
    assert r.status_code == 200 and r.streaming
    it = iter(r.streaming_content)
    assert next(it).decode().startswith("retry: ")
    marker(world, "wsgi")
    block = next(it).decode()
    assert parse(block.strip())["json"] == {"nama": "wsgi"}
    r.close()
