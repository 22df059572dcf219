"""The served application (k3i/asgi.py): which routes go to Django's ASGI handler, and the start-up warm-up."""

from __future__ import annotations

import gc
import importlib

import pytest


@pytest.fixture
def asgi(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("K3I_WARM_UP", "0")  # importing must not freeze the test process
    monkeypatch.delenv("K3I_RUN_SEALER", raising=False)
    monkeypatch.delenv("K3I_RUN_JOBS", raising=False)
    return importlib.import_module("k3i.asgi")


def test_only_the_async_views_go_to_the_asgi_handler(asgi):
    assert asgi.async_route_prefixes() == ("/ops/stream",)


def test_warm_up_loads_the_model_and_index_and_freezes_start_up_objects(asgi, world, monkeypatch):
    from k3i.incidents.triage import model
    from k3i.organization import geo

    monkeypatch.setattr(model, "_model", None)
    geo.invalidate()
    gc.unfreeze()
    try:
        asgi.warm_up()
        assert model._model is not None
        assert geo._index is not None and geo._index.by_kode  # the demo Polres's kelurahan
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_warm_up_failure_only_logs(asgi, monkeypatch, caplog):
    from k3i.incidents.triage import model

    def broken() -> None:
        raise RuntimeError("basis data belum siap")

    monkeypatch.setattr(model, "_model", None)
    monkeypatch.setattr("k3i.incidents.triage.get_model", broken)
    try:
        asgi.warm_up()
    finally:
        gc.unfreeze()
    assert "pemanasan awal gagal" in caplog.text
    assert model._model is None
