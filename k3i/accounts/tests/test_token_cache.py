"""A bearer token read once is trusted for API_TOKEN_CACHE_SECONDS without reading its row again — but a
revocation or a deactivated user in this process is refused at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from k3i.accounts import actions
from k3i.accounts.auth import forget_tokens


@pytest.fixture
def cached(settings):
    settings.API_TOKEN_CACHE_SECONDS = 60
    forget_tokens()
    yield
    forget_tokens()


def get(raw: str):
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")


def token_reads(raw: str) -> int:
    with CaptureQueriesContext(connection) as q:
        assert get(raw).status_code == 200
    return sum('FROM "accounts_apitoken"' in x["sql"] for x in q.captured_queries)


def test_a_token_is_read_once_then_trusted(world, cached):
    _, raw = actions.create_token(None, world.user("operator"), name="dasbor", channel="cli")
    assert token_reads(raw) == 1
    assert token_reads(raw) == 0
    assert get(raw).json()["username"] == "operator"


def test_revoked_in_this_process_is_refused_at_once(world, cached):
    token, raw = actions.create_token(None, world.user("operator"), name="dasbor", channel="cli")
    assert token_reads(raw) == 1 and token_reads(raw) == 0
    actions.revoke_token(None, token, channel="cli")
    r = get(raw)
    assert r.status_code == 401 and "dicabut" in r.json()["detail"]


def test_a_deactivated_user_is_refused_at_once(world, cached):
    _, raw = actions.create_token(None, world.user("operator"), name="dasbor", channel="cli")
    assert token_reads(raw) == 1
    user = world.user("operator")
    user.is_active = False
    user.save()
    r = get(raw)
    assert r.status_code == 401 and "tidak aktif" in r.json()["detail"]


def test_without_the_cache_every_request_reads_the_token(world, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    _, raw = actions.create_token(None, world.user("operator"), name="dasbor", channel="cli")
    assert token_reads(raw) == 1 and token_reads(raw) == 1
