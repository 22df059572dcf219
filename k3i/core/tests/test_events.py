"""Live events: who receives which event (``events_for`` / ``event_scope_q``), written in transactions."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from k3i.accounts.models import User
from k3i.core.events import Cursor, emit, events_for, latest_id
from k3i.core.models import LiveEvent
from k3i.core.roles import Role

from .neighbour import add_neighbour


@pytest.fixture
def events(world):  # type: ignore[no-untyped-def]
    """One event of each kind of territory, by name."""
    st, su = world.polsek["semarang_tengah"], world.polsek["semarang_utara"]
    p = world.polres.pk
    made = {}
    with transaction.atomic():
        made["polres"] = emit("uji", {"n": "polres"}, polres_id=p)
        made["st"] = emit("uji", {"n": "st"}, polres_id=p, polsek_id=st.pk)
        made["st_miroto"] = emit("uji", {"n": "st_miroto"}, polres_id=p, polsek_id=st.pk, kelurahan_kode="33.74.01.1001")
        made["st_brumbungan"] = emit("uji", {"n": "st_brumbungan"}, polres_id=p, polsek_id=st.pk,
                                     kelurahan_kode="33.74.01.1002")
        # located in Miroto, written without a Polsek, or by a unit of the other Polsek helping there
        made["miroto_only"] = emit("uji", {"n": "miroto_only"}, polres_id=p, kelurahan_kode="33.74.01.1001")
        made["su_in_miroto"] = emit("uji", {"n": "su_in_miroto"}, polres_id=p, polsek_id=su.pk,
                                    kelurahan_kode="33.74.01.1001")
        made["su"] = emit("uji", {"n": "su"}, polres_id=p, polsek_id=su.pk)
        made["su_bandarharjo"] = emit("uji", {"n": "su_bandarharjo"}, polres_id=p, polsek_id=su.pk,
                                      kelurahan_kode="33.74.02.1001")
        made["reskrim"] = emit("uji", {"n": "reskrim"}, polres_id=p, fungsi_kode="SAT_RESKRIM")
        made["samapta_st"] = emit("uji", {"n": "samapta_st"}, polres_id=p, polsek_id=st.pk, fungsi_kode="SAT_SAMAPTA")
    n = add_neighbour(world)
    with transaction.atomic():
        made["tetangga"] = emit("uji", {"n": "tetangga"}, polres_id=n["kapolres_salatiga"].polres_id)
    return made


def seen(user) -> set[str]:  # type: ignore[no-untyped-def]
    return {e.payload["n"] for e in events_for(user, 0)}


ALL_OWN = {"polres", "st", "st_miroto", "st_brumbungan", "miroto_only", "su_in_miroto", "su", "su_bandarharjo",
           "reskrim", "samapta_st"}


def test_emit_needs_the_actions_transaction(transactional_db):
    with pytest.raises(RuntimeError):
        emit("uji", {}, polres_id=None)


@pytest.mark.parametrize("username", ["operator", "admin", "kapolres", "kabagops", "analis"])
def test_polres_wide_roles_see_their_whole_polres_only(world, events, username):
    assert seen(world.user(username)) == ALL_OWN


def test_polsek_sees_its_polsek_and_its_kelurahan_not_polres_level_events(world, events):
    expected = {"st", "st_miroto", "st_brumbungan", "miroto_only", "su_in_miroto", "samapta_st"}
    assert seen(world.user("kapolsek_semarang_tengah")) == expected
    assert seen(world.user("anggota_semarang_tengah")) == expected
    assert seen(world.user("kapolsek_semarang_utara")) == {"su", "su_bandarharjo"}


def test_bhabin_sees_own_kelurahan_not_the_rest_of_the_polsek(world, events):
    assert seen(world.user("bhabin_miroto")) == {"st", "st_miroto", "miroto_only", "su_in_miroto", "samapta_st"}


def test_function_scope_drops_other_functions(world, events):
    assert seen(world.user("kasat_reskrim")) == ALL_OWN - {"samapta_st"}


@pytest.mark.parametrize("username", ["propam", "spkt"])
def test_roles_without_view_liveevent_get_nothing(world, events, username):
    assert seen(world.user(username)) == set()


def test_user_without_polres_gets_nothing(world, events):
    u = User.objects.create_user(username="tanpa_polres", password="x", role=Role.OPERATOR)
    assert seen(u) == set()


def test_after_id_limit_and_latest(world, events):
    op = world.user("operator")
    ids = [e.pk for e in events_for(op, 0)]
    assert ids == sorted(ids)
    assert [e.pk for e in events_for(op, ids[3], limit=2)] == ids[4:6]
    assert latest_id() == events["tetangga"].pk
    assert events_for(op, latest_id()) == []


# --- the cursor: strictly in id order, never skipping an event still in flight -----------------------

def _event(world, pk: int | None = None, name: str = "") -> LiveEvent:  # type: ignore[no-untyped-def]
    """An event with a chosen id: stands in for the one of a transaction that has not committed yet."""
    return LiveEvent.objects.create(id=pk, kind="uji", payload={"n": name}, polres_id=world.polres.pk)


def names(events: list[LiveEvent]) -> list[str]:
    return [e.payload["n"] for e in events]


def test_cursor_waits_at_a_gap_until_it_fills(world):
    op = world.user("operator")
    with transaction.atomic():
        a = emit("uji", {"n": "a"}, polres_id=world.polres.pk)
    cursor = Cursor(a.pk - 1, grace=60)
    _event(world, a.pk + 2, "c")  # committed; a.pk + 1 is missing
    if connection.vendor == "sqlite":
        # one writer at a time, committing in id order: a missing id is never still to come
        assert names(cursor.read(op)) == ["a", "c"]
        return
    # PostgreSQL: a.pk + 1 may belong to a transaction still running: the cursor stops before the gap
    # (how long it then waits is test_cursor_with_a_real_transaction_in_flight)
    assert names(cursor.read(op)) == ["a"] and cursor.after_id == a.pk
    _event(world, a.pk + 1, "b")  # … it commits
    assert names(cursor.read(op)) == ["b", "c"]


def test_cursor_gives_up_on_a_gap_after_the_grace_period(world):
    op = world.user("operator")
    with transaction.atomic():
        a = emit("uji", {"n": "a"}, polres_id=world.polres.pk)
    _event(world, a.pk + 2, "c")  # a.pk + 1 never comes (its action rolled back)
    cursor = Cursor(a.pk - 1, grace=0)
    got = names(cursor.read(op)) + names(cursor.read(op))
    assert got == ["a", "c"]


def test_cursor_filters_by_scope_but_advances_over_everything(world):
    st, su = world.polsek["semarang_tengah"], world.polsek["semarang_utara"]
    with transaction.atomic():
        first = emit("uji", {"n": "su"}, polres_id=world.polres.pk, polsek_id=su.pk)
        last = emit("uji", {"n": "st"}, polres_id=world.polres.pk, polsek_id=st.pk)
    cursor = Cursor(first.pk - 1)
    assert [e.payload["n"] for e in cursor.read(world.user("kapolsek_semarang_tengah"))] == ["st"]
    assert cursor.after_id == last.pk


@pytest.mark.django_db(transaction=True)
def test_cursor_with_a_real_transaction_in_flight(world):
    """PostgreSQL: an event committed after a newer one is still delivered, and first."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer at a time commit, in id order: no event can be in flight")
    op = world.user("operator")
    cursor = Cursor(latest_id(), grace=30)
    inserted, release = threading.Event(), threading.Event()

    def slow_action() -> None:
        try:
            with transaction.atomic():
                emit("uji", {"n": "lambat"}, polres_id=world.polres.pk)
                inserted.set()
                release.wait(10)
        finally:
            connections.close_all()

    t = threading.Thread(target=slow_action)
    t.start()
    assert inserted.wait(10)
    with transaction.atomic():
        emit("uji", {"n": "cepat"}, polres_id=world.polres.pk)  # a higher id, committed first
    for _ in range(3):  # however often it looks, "cepat" waits for "lambat" while that one runs
        assert cursor.read(op) == []
        time.sleep(0.05)
    release.set()
    t.join(10)
    got: list[str] = []
    deadline = time.monotonic() + 20
    while len(got) < 2 and time.monotonic() < deadline:
        got += names(cursor.read(op))
        time.sleep(0.05)
    assert got == ["lambat", "cepat"]


def test_a_payload_is_stored_as_plain_json_even_with_nul_or_nan(world):
    """Whatever text reaches an event (a note, a reason), PostgreSQL's jsonb refuses NUL and NaN: the payload is
    cleaned as the ledger cleans its changes, so no action fails on it."""
    with transaction.atomic():
        event = emit("uji", {"catatan": "ban\x00 bocor", "kecepatan": float("nan")}, polres_id=world.polres.pk)
    stored = LiveEvent.objects.get(pk=event.pk).payload
    assert stored == {"catatan": "ban\ufffd bocor", "kecepatan": "nan"}
