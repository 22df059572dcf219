"""The "say why you picked another unit" rule, decided by the server's own ranking of the units the dispatcher
may send: a rank claimed by the client does not replace the reason, a Kapolsek's ranking holds only their
own units, and an incident without a location can still be dispatched by hand, with a reason, recorded as
dispatched without a ranking.

World (k3i/testing.py): units Semarang Tengah (R2, Samapta), Semarang Utara (R2, Samapta), Reskrim (R4,
Mapolres). A fight in Miroto ranks Tengah 1, Reskrim 2, Utara 3 for a Polres-wide operator.
"""

from __future__ import annotations

import uuid

import pytest

from k3i.core.audit import Channel
from k3i.core.errors import ValidationFailed
from k3i.core.models import AuditEntry
from k3i.dispatch.actions import dispatch_unit
from k3i.dispatch.models import Assignment
from k3i.dispatch.recommend import recommend_for
from k3i.incidents.intake import receive_message
from k3i.incidents.models import IncidentLog

from .helpers import assert_error, make_incident, post

TENGAH, UTARA = "semarang_tengah", "semarang_utara"


def dispatch_url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/dispatches"


def recs_url(incident) -> str:
    return f"/api/v1/incidents/{incident.pk}/recommendations"


def unlocated(text: str = "tolong ada orang berkelahi bawa senjata tajam di depan warung"):
    """A WhatsApp/SMS report in which no kelurahan was recognised: no point, no kelurahan, no Polsek."""
    incident, _created, _match = receive_message(phone="081299990000", text=text, message_id=uuid.uuid4().hex)
    assert incident.lat is None and incident.kelurahan is None and incident.polsek is None
    return incident


# --- the current rank decides, not the rank the client names ----------------------------------------------


def test_an_operator_ranks_every_unit_of_the_polres(world, login):
    incident = make_incident(world)
    r = login("operator").get(recs_url(incident))
    assert [i["unit"]["callsign"] for i in r.json()["items"]] == [
        world.units[TENGAH].callsign, world.units["reskrim"].callsign, world.units[UTARA].callsign]


def test_a_client_cannot_skip_the_reason_by_claiming_rank_1(world, login):
    incident = make_incident(world)
    reskrim = world.units["reskrim"]  # rank 2 now
    c = login("operator")
    body = assert_error(post(c, dispatch_url(incident), {"unit_id": reskrim.pk, "recommended_rank": 1}), 422,
                        "override_reason")
    assert body["detail"].startswith("Peringkat unit berubah: kini peringkat 2 (sebelumnya peringkat 1)")
    # the rank it really has, but no reason: the usual message
    body = assert_error(post(c, dispatch_url(incident), {"unit_id": reskrim.pk, "recommended_rank": 2}), 422,
                        "override_reason")
    assert body["detail"].startswith("Alasan wajib diisi: unit ini bukan saran pertama (peringkat 2)")
    assert not Assignment.objects.exists()


def test_a_unit_outside_the_ranking_needs_a_reason(world, login):
    """A stale unit is left out of the ranking: sending it anyway is a choice to explain."""
    from .helpers import put_at

    incident = make_incident(world)
    utara = put_at(world.units[UTARA], -6.94, 110.42, minutes_ago=120)
    c = login("operator")
    body = assert_error(post(c, dispatch_url(incident), {"unit_id": utara.pk, "recommended_rank": 3}), 422,
                        "override_reason")
    assert "kini tidak ada dalam saran" in body["detail"]
    r = post(c, dispatch_url(incident), {"unit_id": utara.pk, "override_reason": "posisi dicek lewat radio"})
    assert r.status_code == 201, r.content
    assert (r.json()["current_rank"], r.json()["ranking_size"], r.json()["recommended_rank"]) == (None, 2, None)


# --- a Kapolsek's ranking holds only the units they may send ----------------------------------------------


def test_a_kapolsek_is_offered_only_their_own_units_and_dispatch_agrees(world, login):
    """A robbery in Miroto (Semarang Tengah): for its Kapolsek only the Tengah unit is ranked (never the
    Mapolres or Utara unit), the API and the page's function give the same list, and that unit is rank 1
    for them (Polres-wide it is rank 2, behind the Reskrim unit of the lead function)."""
    incident = make_incident(world, category="CURAS", priority=1, text="motor dibegal, pelaku bawa celurit")
    kapolsek = world.user(f"kapolsek_{TENGAH}")
    c = login(f"kapolsek_{TENGAH}")
    api = [i["unit"]["id"] for i in c.get(recs_url(incident)).json()["items"]]
    assert api == [u.unit.pk for u in recommend_for(kapolsek, incident)] == [world.units[TENGAH].pk]
    # Polres-wide, the Reskrim unit (the lead function) comes first
    assert recommend_for(world.user("operator"), incident)[0].unit == world.units["reskrim"]
    # the Kapolsek's first suggestion needs no reason: it is rank 1 in the ranking they were shown
    r = post(c, dispatch_url(incident), {"unit_id": world.units[TENGAH].pk, "recommended_rank": 1})
    assert r.status_code == 201, r.content
    assert (r.json()["current_rank"], r.json()["ranking_size"]) == (1, 1)
    # a unit outside their scope cannot be sent at all (404, as unseen)
    assert_error(post(c, dispatch_url(incident), {"unit_id": world.units["reskrim"].pk, "override_reason": "x"}),
                 404)


# --- no location: no ranking, a manual dispatch with a reason ----------------------------------------------


def test_an_unlocated_incident_is_dispatched_by_hand_with_a_reason(world, login):
    incident = unlocated()
    unit = world.units[TENGAH]
    op = world.user("operator")
    # the action: a reason is required, and the message says why
    with pytest.raises(ValidationFailed, match="lokasi kejadian belum diketahui") as exc:
        dispatch_unit(op, incident, unit, channel=Channel.API)
    assert exc.value.errors[0]["field"] == "override_reason"
    # over HTTP the same, also when the client claims a rank
    c = login("operator")
    body = assert_error(post(c, dispatch_url(incident), {"unit_id": unit.pk, "recommended_rank": 1}), 422,
                        "override_reason")
    assert "lokasi kejadian belum diketahui" in body["detail"]
    assert not Assignment.objects.exists()
    r = post(c, dispatch_url(incident), {"unit_id": unit.pk, "override_reason": "pelapor ditelepon: pasar Johar"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["current_rank"], body["ranking_size"], body["recommended_rank"], body["eta_seconds"]) == \
        (None, None, None, None)
    a = Assignment.objects.get()
    assert a.override_reason == "pelapor ditelepon: pasar Johar" and a.ranking_size is None
    log = IncidentLog.objects.get(incident=incident, kind="ditugaskan")
    assert "tanpa peringkat, lokasi belum diketahui: pelapor ditelepon" in log.message
    entry = AuditEntry.objects.get(action="penugasan.dibuat")
    assert entry.changes["tanpa_peringkat"] is True and entry.changes["peringkat_saat_ini"] is None
    # recommendations are still refused until the location is known
    assert_error(c.get(recs_url(incident)), 422, "lokasi")


def test_roles_that_may_not_dispatch_get_nothing_for_an_unlocated_incident(world, login):
    incident = unlocated()
    unit = world.units[TENGAH]
    # a Polsek dispatcher does not see an incident that has no Polsek yet: 404; a non-dispatcher: 403/404
    for username, status in (("kapolsek_semarang_tengah", 404), ("analis", 403), ("kapolres", 403)):
        assert_error(post(login(username), dispatch_url(incident), {"unit_id": unit.pk, "override_reason": "x"}),
                     status)
    assert not Assignment.objects.exists()


def test_once_located_the_recommendations_appear(world, login):
    """The location fixed over the API (``POST /incidents/{id}/location``): the incident goes to the Polsek of
    its kelurahan, recommendations come, the first one needs no reason."""
    incident = unlocated()
    c = login("operator")
    assert_error(c.get(recs_url(incident)), 422, "lokasi")
    r = post(c, f"/api/v1/incidents/{incident.pk}/location", {"kelurahan": world.kelurahan["Bulu Lor"].kode})
    assert r.status_code == 200, r.content
    items = c.get(recs_url(incident)).json()["items"]
    assert items and items[0]["unit"]["callsign"] == world.units[UTARA].callsign
    assert "lokasi kejadian diperkirakan dari titik tengah kelurahan" in items[0]["reasons"]
    r = post(c, dispatch_url(incident), {"unit_id": world.units[UTARA].pk})
    assert r.status_code == 201 and r.json()["current_rank"] == 1
