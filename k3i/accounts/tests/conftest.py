from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _login_rules(settings):  # type: ignore[no-untyped-def]
    """The production login rules, whatever the developer's environment (K3I_DEBUG, K3I_DEMO …) says;
    and a clean cache in every test (failed attempts for unknown usernames are counted in the test database,
    k3i.core.counters, which is rolled back after each test anyway)."""
    from django.core.cache import cache

    settings.REQUIRE_2FA = True
    settings.DEMO_MODE = False
    settings.LOGIN_MAX_FAILURES = 5
    settings.LOGIN_LOCKOUT_MINUTES = 15
    cache.clear()
    yield
    cache.clear()
