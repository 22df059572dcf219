"""Shared pytest fixtures: ``world`` (a small Polres, every role) and clients logged in as named users."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("K3I_TESTING", "1")

SHARED = Path(__file__).resolve().parent.parent / "shared"


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
