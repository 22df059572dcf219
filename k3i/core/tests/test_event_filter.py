"""``EventFilter`` (the stream's in-memory test) lets through exactly what ``events_for`` reads, for every user."""

from __future__ import annotations

import itertools

from django.db import transaction

from k3i.accounts.models import User
from k3i.core.events import EventFilter, emit_many, events_for
from k3i.core.models import LiveEvent
from k3i.core.roles import Role

from .neighbour import add_neighbour


def test_filter_matches_events_for_for_every_user(world):  # type: ignore[no-untyped-def]
    n = add_neighbour(world)
    p, other = world.polres.pk, n["polres"].pk
    polsek_ids = [ps.pk for ps in world.polsek.values()] + [n["polsek"].pk]
    kelurahan = [k.kode for k in world.kelurahan.values()] + [n["kelurahan"].kode]
    fungsi = ["", "SAT_RESKRIM", "SAT_SAMAPTA", "SAT_BINMAS"]
    # Users the world lacks: function-limited in a Polsek and in kelurahan, kelurahan of two Polsek, a Polsek
    # scope without a Polsek, no Polres at all, and one no longer active.
    kel = list(world.kelurahan.values())
    odd = {
        "samapta_polsek": User.objects.create_user(username="samapta_polsek", password="x", role=Role.KAPOLSEK,
                                                   polres=world.polres, lingkup="polsek",
                                                   scope_polsek=world.polsek["semarang_utara"]),
        "bhabin_dua": User.objects.create_user(username="bhabin_dua", password="x", role=Role.BHABIN,
                                               polres=world.polres, lingkup="kelurahan"),
        "polsek_kosong": User.objects.create_user(username="polsek_kosong", password="x", role=Role.KAPOLSEK,
                                                  polres=world.polres, lingkup="polsek"),
        "tanpa_polres": User.objects.create_user(username="tanpa_polres", password="x", role=Role.OPERATOR),
        "nonaktif": User.objects.create_user(username="nonaktif", password="x", role=Role.OPERATOR,
                                             polres=world.polres, is_active=False),
    }
    odd["samapta_polsek"].scope_fungsi.set([world.fungsi["SAT_SAMAPTA"], world.fungsi["SAT_BINMAS"]])
    odd["bhabin_dua"].scope_kelurahan.set([kel[0], kel[-1]])
    odd["bhabin_dua"].scope_fungsi.set([world.fungsi["SAT_BINMAS"]])

    # Every combination of Polres (own, neighbour, none), Polsek (none, each), kelurahan (none, each) and
    # function: Polres-wide, Polsek-only, kelurahan, function-limited and other-Polres events, consistent or not.
    with transaction.atomic():
        emit_many({"kind": "uji", "payload": {}, "polres_id": polres_id, "polsek_id": polsek_id,
                   "kelurahan_kode": kode, "fungsi_kode": f}
                  for polres_id, polsek_id, kode, f in itertools.product([p, other, None], [None, *polsek_ids],
                                                                         ["", *kelurahan], fungsi))
    events = list(LiveEvent.objects.order_by("id"))
    users = list(User.objects.all())
    assert len(events) > 200 and len(users) >= 20

    seen: set[tuple[int, ...]] = set()
    for user in users:
        expected = [e.pk for e in events_for(user, 0, limit=100_000)]
        accept = EventFilter.for_user(User.objects.get(pk=user.pk))  # a fresh object: no cached scope
        assert [e.pk for e in events if accept(e)] == expected, user.username
        seen.add(tuple(expected))
    # the users see many different sets (the check is not "everything" or "nothing" over and over)
    assert len(seen) >= 8 and () in seen and len(max(seen, key=len)) < len(events)
