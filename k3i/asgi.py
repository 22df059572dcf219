"""The web application as served by ``k3i serve`` / ``k3i demo`` (uvicorn).

Two Django handlers behind one ASGI entry point:

- the routes whose views are ``async def`` (the live stream ``/ops/stream``) go to Django's ASGI handler:
  a waiting stream then holds no thread;
- every other request goes to Django's WSGI handler, run in a pool of threads by ``a2wsgi``.

Why not Django's ASGI handler for everything: for a sync view it starts a thread per request
(``ThreadSensitiveContext``) and hops between the event loop and threads several times; measured in-process
on this project's stack that is ≈ 8 ms of CPU more per request than the WSGI handler (see "Intake over
HTTP" in docs/benchmarks.md). All our views except the stream are sync, and the tests drive them through
the same WSGI handler (Django's test client).
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k3i.settings")

from a2wsgi import WSGIMiddleware  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

django_asgi = get_asgi_application()  # sets Django up
django_wsgi = WSGIMiddleware(get_wsgi_application(), workers=settings.K3I_WEB_THREADS)  # type: ignore[arg-type]


def async_route_prefixes() -> tuple[str, ...]:
    """URL prefixes of the ``async def`` views (their route up to the first converter), from the URLconf."""
    from asgiref.sync import iscoroutinefunction
    from django.urls import URLPattern, URLResolver, get_resolver

    found: list[str] = []

    def walk(patterns: Any, prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern) and iscoroutinefunction(p.callback):
                found.append("/" + (prefix + route).split("<", 1)[0].lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return tuple(sorted(set(found)))


ASYNC_PREFIXES = async_route_prefixes()


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and not scope["path"].startswith(ASYNC_PREFIXES):
        await django_wsgi(scope, receive, send)  # type: ignore[arg-type]
    else:
        await django_asgi(scope, receive, send)


def warm_up() -> None:
    """Before the first request: load what the first report would otherwise load while a caller waits (the
    triage model, the locate index, the organisation names), then ``gc.freeze()`` everything alive after
    start-up. Django, the model and the index are ≈ 120,000 long-lived objects; without the freeze every
    full collection walks them all, holding the GIL for ≈ 30 ms (measured: docs/benchmarks.md, "Intake over
    HTTP") and stalling every request of the process. Objects made later are collected as usual. A failure here
    (the database not reachable yet) only logs: the first request then loads what it needs itself."""
    try:
        from k3i.incidents.triage import get_model
        from k3i.organization import geo

        get_model()
        geo.get_index()
        geo.get_org()
    except Exception:  # noqa: BLE001 - start-up must not fail on the warm-up
        logging.getLogger("k3i.server").warning("pemanasan awal gagal; dimuat saat permintaan pertama", exc_info=True)
    gc.collect()
    gc.freeze()


if os.environ.get("K3I_WARM_UP", "1") == "1":
    warm_up()

if os.environ.get("K3I_RUN_SEALER") == "1":
    # `k3i serve` / `k3i demo`: every web process seals the audit ledger in the background.
    from k3i.core.audit import Sealer

    Sealer(settings.AUDIT_SEAL_INTERVAL_SECONDS).start()

if os.environ.get("K3I_RUN_JOBS") == "1":
    # Escalation of overdue incidents and SLA alerts (k3i.core.jobs); `k3i jobs` runs them as a process of its own.
    from k3i.core.jobs import JobRunner

    JobRunner().start()
