"""Shared pytest fixtures: ``world`` (a small Polres, every role) and clients logged in as named users."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("K3I_TESTING", "1")

SHARED = Path(__file__).resolve().parent.parent / "shared"


def _suite_clock() -> str:
    """Where the suite's wall clock stands: today (WIB) at 10:00 unless ``K3I_TEST_CLOCK`` says otherwise.

    Travel times depend on the hour (rush hours, night: ``dispatch.routing``), so tests that expect one unit
    ranked first would pass at 15:00 and fail at 16:00 WIB. The suite therefore runs at a fixed working hour
    of the real date; the clock keeps ticking from there. ``K3I_TEST_CLOCK=2026-11-28T23:59:30+07:00`` runs it
    at another moment (to look for tests that hang on the hour or the date), ``K3I_TEST_CLOCK=nyata`` on the
    real clock.
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    wanted = os.environ.get("K3I_TEST_CLOCK", "").strip()
    if wanted:
        return wanted
    wib = ZoneInfo("Asia/Jakarta")
    return datetime.now(wib).replace(hour=10, minute=0, second=0, microsecond=0).isoformat()


@pytest.fixture(autouse=True, scope="session")
def _clock():  # type: ignore[no-untyped-def]
    wanted = _suite_clock()
    if wanted == "nyata":
        yield None
        return
    import time_machine

    with time_machine.travel(wanted, tick=True) as traveller:
        yield traveller


@pytest.fixture
def world(db):  # type: ignore[no-untyped-def]
    from k3i.testing import build_world

    return build_world()


@pytest.fixture
def login(client, world) -> Callable:  # type: ignore[no-untyped-def]
    """``login("operator")`` → the test client logged in as that named user (second factor satisfied)."""

    def _login(username: str):  # type: ignore[no-untyped-def]
        from django.test import Client

        from k3i.accounts.testing import force_login_verified

        return force_login_verified(Client(), world.user(username))

    return _login


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED / "data" / "regions").is_dir():
        pytest.skip("../shared/data tidak ada (klon baru tanpa ../shared): uji data nyata dilewati")
    return SHARED / "data"


@pytest.fixture
def incidents(world):  # type: ignore[no-untyped-def]
    """Three incidents taken through the real intake action: ``world.incidents["miroto"|"brumbungan"|"bulu_lor"]``."""
    from k3i.testing import add_incidents

    add_incidents(world)
    return world.incidents
