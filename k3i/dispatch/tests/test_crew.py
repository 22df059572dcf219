"""Crew ("unit log-on"): an officer signs on to ONE unit for the shift and reports only for it; a desk role
signs officers of its territory on and off (the roll call). Actions ``sign_on``/``sign_off``, ``may_report``,
and ``POST``/``DELETE /api/v1/units/{id}/crew`` with the crew in ``GET /api/v1/units/{id}``, by role."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from k3i.core.audit import Channel
from k3i.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from k3i.core.events import latest_id
from k3i.core.models import AuditEntry, LiveEvent
from k3i.dispatch.actions import (
    advance_assignment,
    dispatch_unit,
    may_report,
    record_positions,
    sign_off,
    sign_on,
    signed_on_unit,
)
from k3i.dispatch.models import PatrolUnit, UnitCrew

from .helpers import assert_error, make_incident, post

TENGAH, UTARA = "semarang_tengah", "semarang_utara"


def second_unit(world, *, fungsi: str = "SAT_SAMAPTA", callsign: str = "SEMARANG-TENGAH-R4-01") -> PatrolUnit:
    ps = world.polsek[TENGAH]
    return PatrolUnit.objects.create(callsign=callsign, tipe=PatrolUnit.Tipe.R4, polres=world.polres, polsek=ps,
                                     fungsi=world.fungsi[fungsi], home_lat=ps.lat, home_lon=ps.lon)


def here() -> list[dict]:
    return [{"lat": -6.97, "lon": 110.41, "device_time": timezone.now()}]


def open_crew(unit: PatrolUnit) -> list[str]:
    return sorted(UnitCrew.objects.filter(unit=unit, signed_off_at__isnull=True).values_list("user__username",
                                                                                               flat=True))


# --- the actions ----------------------------------------------------------------------------------


def test_an_officer_reports_only_for_the_unit_they_are_signed_on_to(world):
    officer, unit = world.user("anggota_semarang_tengah"), world.units[TENGAH]
    other = second_unit(world)
    assert not may_report(officer, unit) and not may_report(officer, other)  # not signed on: no unit at all
    with pytest.raises(PermissionDenied):
        record_positions(officer, unit, here(), channel=Channel.API)
    before = latest_id()

    row = sign_on(officer, unit, channel=Channel.WEB)

    assert (row.unit_id, row.user_id, row.signed_on_by_id, row.signed_off_at) == (unit.pk, officer.pk, officer.pk, None)
    assert may_report(officer, unit) and not may_report(officer, other)
    assert record_positions(officer, unit, here(), channel=Channel.API) == 1
    with pytest.raises(PermissionDenied):
        record_positions(officer, other, here(), channel=Channel.API)
    entry = AuditEntry.objects.get(action="unit.awak_masuk")
    assert entry.actor_username == "anggota_semarang_tengah" and entry.channel == "web"
    assert entry.changes["callsign"] == unit.callsign and entry.changes["oleh_petugas"] is False
    ev = LiveEvent.objects.filter(id__gt=before, kind="unit.awak").get()
    assert (ev.polres_id, ev.polsek_id, ev.fungsi_kode) == (unit.polres_id, unit.polsek_id, "SAT_SAMAPTA")
    assert ev.payload["aksi"] == "masuk" and ev.payload["oleh"] == ""
    assert [c["username"] for c in ev.payload["awak"]] == ["anggota_semarang_tengah"]
    assert ev.payload["nama"] == "Anggota Semarang Tengah"


def test_signing_on_again_to_the_same_unit_changes_nothing(world):
    officer, unit = world.user("anggota_semarang_tengah"), world.units[TENGAH]
    first = sign_on(officer, unit, channel=Channel.WEB)
    entries, events = AuditEntry.objects.count(), latest_id()
    assert sign_on(officer, unit, channel=Channel.WEB).pk == first.pk  # a retried request from a weak signal
    assert (AuditEntry.objects.count(), latest_id()) == (entries, events)


def test_signing_on_to_another_unit_ends_the_previous_one(world):
    officer, unit = world.user("anggota_semarang_tengah"), world.units[TENGAH]
    other = second_unit(world)
    first = sign_on(officer, unit, channel=Channel.WEB)
    before = latest_id()

    second = sign_on(officer, other, channel=Channel.WEB)

    first.refresh_from_db()
    assert first.signed_off_at is not None and first.signed_off_by_id == officer.pk
    assert signed_on_unit(officer) == other
    assert not may_report(officer, unit) and may_report(officer, other)
    assert UnitCrew.objects.filter(user=officer, signed_off_at__isnull=True).get() == second
    kinds = [(e.kind, e.payload["aksi"], e.payload["callsign"]) for e in LiveEvent.objects.filter(id__gt=before)]
    assert kinds == [("unit.awak", "keluar", unit.callsign), ("unit.awak", "masuk", other.callsign)]
    assert AuditEntry.objects.get(action="unit.awak_masuk", object_id=str(second.pk)).changes["sebelumnya"] == \
        unit.callsign


def test_the_database_allows_one_open_sign_on_per_officer(world):
    officer = world.user("anggota_semarang_tengah")
    sign_on(officer, world.units[TENGAH], channel=Channel.WEB)
    with pytest.raises(IntegrityError), transaction.atomic():
        UnitCrew.objects.create(unit=second_unit(world), user=officer, signed_on_at=timezone.now())


def test_a_unit_may_have_several_crew(world):
    from k3i.accounts.models import User
    from k3i.organization.models import Pangkat, Personel

    p = Personel.objects.create(nrp="80019990", nama="Briptu Dua", pangkat=Pangkat.BRIPTU, jabatan="Banit Samapta",
                                polres=world.polres, polsek=world.polsek[TENGAH], fungsi=world.fungsi["SAT_SAMAPTA"])
    partner = User.objects.create_user(username="anggota_dua", password="x" * 12, role="anggota", polres=world.polres,
                                       lingkup="polsek", scope_polsek=world.polsek[TENGAH], personel=p)
    unit = world.units[TENGAH]
    sign_on(world.user("anggota_semarang_tengah"), unit, channel=Channel.WEB)
    sign_on(partner, unit, channel=Channel.WEB)
    assert open_crew(unit) == ["anggota_dua", "anggota_semarang_tengah"]
    assert may_report(partner, unit) and may_report(world.user("anggota_semarang_tengah"), unit)
    # with a partner still on board, the officer may leave even while the unit has a task
    dispatch_unit(world.user("operator"), make_incident(world), unit, channel=Channel.API)
    assert sign_off(world.user("anggota_semarang_tengah"), channel=Channel.WEB) is not None
    assert open_crew(unit) == ["anggota_dua"]


def test_only_units_the_officer_may_crew(world):
    officer = world.user("anggota_semarang_tengah")
    with pytest.raises(NotFound):  # another Polsek's unit: not even visible
        sign_on(officer, world.units[UTARA], channel=Channel.WEB)
    with pytest.raises(NotFound):  # a Mapolres unit (Sat Reskrim)
        sign_on(officer, world.units["reskrim"], channel=Channel.WEB)
    lantas = second_unit(world, fungsi="SAT_LANTAS", callsign="SEMARANG-TENGAH-LANTAS-01")
    with pytest.raises(PermissionDenied) as exc:  # their own Polsek, another function
        sign_on(officer, lantas, channel=Channel.WEB)
    assert "Sat Lantas" in exc.value.detail and "Sat Samapta" in exc.value.detail
    idle = second_unit(world)
    PatrolUnit.objects.filter(pk=idle.pk).update(aktif=False)
    idle.refresh_from_db()
    with pytest.raises(Conflict, match="tidak aktif"):
        sign_on(officer, idle, channel=Channel.WEB)
    assert not UnitCrew.objects.exists() and not AuditEntry.objects.filter(action__startswith="unit.awak").exists()


@pytest.mark.parametrize("username", ["operator", "kapolsek_semarang_tengah", "kabagops", "kapolres", "analis",
                                      "admin", "bhabin_miroto"])
def test_roles_other_than_anggota_do_not_crew_a_unit_themselves(world, username):
    with pytest.raises((ValidationFailed, PermissionDenied)):
        sign_on(world.user(username), world.units[TENGAH], channel=Channel.WEB)


def test_an_officer_without_a_personel_record_may_not_crew(world):
    from k3i.accounts.models import User

    stranger = User.objects.create_user(username="anggota_tanpa_personel", password="x" * 12, role="anggota",
                                        polres=world.polres, lingkup="polsek", scope_polsek=world.polsek[TENGAH])
    with pytest.raises(PermissionDenied, match="data personel"):
        sign_on(stranger, world.units[TENGAH], channel=Channel.WEB)


def test_the_last_crew_cannot_leave_a_unit_on_a_task_but_the_desk_can_end_it(world):
    officer, unit = world.user("anggota_semarang_tengah"), world.units[TENGAH]
    sign_on(officer, unit, channel=Channel.WEB)
    a = dispatch_unit(world.user("operator"), make_incident(world), unit, channel=Channel.API)
    with pytest.raises(Conflict, match="masih bertugas"):
        sign_off(officer, channel=Channel.WEB)
    with pytest.raises(Conflict):  # nor by switching to another unit
        sign_on(officer, second_unit(world), channel=Channel.WEB)
    assert signed_on_unit(officer) == unit
    # the desk ends the shift (the officer's phone died), recorded with who did it
    ended = sign_off(world.user("operator_semarang_tengah"), channel=Channel.WEB, officer=officer)
    assert ended is not None and ended.signed_off_by == world.user("operator_semarang_tengah")
    entry = AuditEntry.objects.get(action="unit.awak_keluar")
    assert entry.actor_username == "operator_semarang_tengah" and entry.changes["oleh_petugas"] is True
    # the officer no longer acts for the unit; the dispatcher still does
    with pytest.raises(PermissionDenied):
        advance_assignment(officer, a, "diterima", channel=Channel.WEB)
    assert advance_assignment(world.user("operator"), a, "diterima", channel=Channel.WEB).status == "diterima"


def test_signing_off_when_not_signed_on_or_from_another_unit_changes_nothing(world):
    officer = world.user("anggota_semarang_tengah")
    assert sign_off(officer, channel=Channel.WEB) is None
    other = second_unit(world)
    sign_on(officer, other, channel=Channel.WEB)
    entries = AuditEntry.objects.count()
    # a stale "Selesai dinas" for the unit they rode before does not end today's sign-on
    assert sign_off(officer, channel=Channel.WEB, unit=world.units[TENGAH]) is None
    assert signed_on_unit(officer) == other and AuditEntry.objects.count() == entries


def test_the_roll_call_desk_signs_officers_of_its_territory_on(world):
    officer, unit = world.user("anggota_semarang_tengah"), world.units[TENGAH]
    before = latest_id()
    row = sign_on(world.user("kapolsek_semarang_tengah"), unit, channel=Channel.WEB, officer=officer)
    assert row.signed_on_by == world.user("kapolsek_semarang_tengah") and may_report(officer, unit)
    entry = AuditEntry.objects.get(action="unit.awak_masuk")
    assert entry.actor_username == "kapolsek_semarang_tengah" and entry.changes["anggota"] == officer.username
    assert LiveEvent.objects.get(id__gt=before).payload["oleh"] == "kapolsek_semarang_tengah"
    # another Polsek's Kapolsek neither sees the unit nor the officer
    with pytest.raises(NotFound):
        sign_on(world.user("kapolsek_semarang_utara"), unit, channel=Channel.WEB, officer=officer)
    with pytest.raises(NotFound):
        sign_on(world.user("kapolsek_semarang_utara"), world.units[UTARA], channel=Channel.WEB, officer=officer)
    # the desk cannot put an officer on a unit the officer may not crew
    with pytest.raises(ValidationFailed) as exc:
        sign_on(world.user("operator"), world.units[UTARA], channel=Channel.WEB, officer=officer)
    assert "Polsek Semarang Utara" in exc.value.detail and exc.value.errors[0]["field"] == "user_id"
    # nor sign on someone who is not a patrol officer
    with pytest.raises(ValidationFailed, match="bukan anggota"):
        sign_on(world.user("operator"), unit, channel=Channel.WEB, officer=world.user("kapolsek_semarang_tengah"))
    # one officer may not sign another on
    with pytest.raises(PermissionDenied):
        sign_on(world.user("anggota_semarang_utara"), world.units[UTARA], channel=Channel.WEB,
                officer=world.user("anggota_semarang_utara").__class__.objects.get(username="anggota_semarang_tengah"))


def test_a_desk_moves_an_officer_only_off_a_unit_it_sees_itself(world):
    """An officer with no function of their own may crew any unit of their Polsek. A desk limited to one
    function (Kasat Reskrim: Sat Reskrim units only) sees that officer (same territory) but not the Samapta
    unit they crew now, so it may not move them to its own unit (404, nothing changed); a Polres-wide desk may."""
    officer = world.user("anggota_semarang_tengah")
    officer.personel.fungsi = None
    officer.personel.save(update_fields=["fungsi"])  # test data, not a user write
    samapta = world.units[TENGAH]
    reskrim = second_unit(world, fungsi="SAT_RESKRIM", callsign="SEMARANG-TENGAH-RESKRIM-R4")
    first = sign_on(officer, samapta, channel=Channel.WEB)
    desk = world.user("kasat_reskrim")
    assert not PatrolUnit.objects.restrict(desk, "view").filter(pk=samapta.pk).exists()
    entries = AuditEntry.objects.count()

    with pytest.raises(NotFound):
        sign_on(desk, reskrim, channel=Channel.WEB, officer=officer)

    assert signed_on_unit(officer) == samapta and open_crew(reskrim) == []
    assert UnitCrew.objects.get(pk=first.pk).signed_off_at is None and AuditEntry.objects.count() == entries
    moved = sign_on(world.user("kabagops"), reskrim, channel=Channel.WEB, officer=officer)
    assert signed_on_unit(officer) == reskrim and moved.signed_on_by == world.user("kabagops")
    assert UnitCrew.objects.get(pk=first.pk).signed_off_at is not None


def test_suggestions_name_the_crew_once_the_polres_uses_the_sign_on(world):
    from k3i.dispatch.recommend import recommend

    incident = make_incident(world)
    assert not any("awak" in x for r in recommend(incident) for x in r.reasons)  # nobody uses it: no noise
    sign_on(world.user("anggota_semarang_tengah"), world.units[TENGAH], channel=Channel.WEB)
    by = {r.unit.callsign: r.reasons for r in recommend(incident)}
    assert "awak: Anggota Semarang Tengah" in by[world.units[TENGAH].callsign]
    assert "belum ada awak masuk dinas: pastikan lewat radio" in by[world.units["reskrim"].callsign]
    assert [r.unit for r in recommend(incident)][0] == world.units[TENGAH]


def test_a_crewed_unit_comes_before_a_slightly_nearer_unit_nobody_crews(world):
    from k3i.dispatch.recommend import NO_CREW_S, recommend

    incident = make_incident(world)  # Miroto, Semarang Tengah, Samapta
    crewed = world.units[TENGAH]
    nearer = second_unit(world, callsign="SEMARANG-TENGAH-R2-02")
    PatrolUnit.objects.filter(pk=nearer.pk).update(tipe=PatrolUnit.Tipe.R2, home_lat=incident.lat,
                                                   home_lon=incident.lon)  # test data: right at the scene
    by = {r.unit: r for r in recommend(incident)}
    assert by[nearer].rank == 1 and by[nearer].eta_seconds < by[crewed].eta_seconds  # nobody uses sign-on yet
    assert by[crewed].eta_seconds < NO_CREW_S  # the crewed unit is less than the handicap further away

    sign_on(world.user("anggota_semarang_tengah"), crewed, channel=Channel.WEB)

    by = {r.unit: r for r in recommend(incident)}
    assert by[crewed].rank == 1 and by[nearer].rank == 2
    assert "belum ada awak masuk dinas: pastikan lewat radio" in by[nearer].reasons
    assert by[nearer].score == by[nearer].eta_seconds + NO_CREW_S


# --- the API --------------------------------------------------------------------------------------


def crew_url(unit: PatrolUnit, user_id: int | None = None) -> str:
    return f"/api/v1/units/{unit.pk}/crew" + (f"?user_id={user_id}" if user_id else "")


# user → status of POST /units/{Tengah unit}/crew for themselves (no body)
SELF_SIGN_ON = {
    "anggota_semarang_tengah": 200,
    "anggota_semarang_utara": 404, "kapolsek_semarang_utara": 404, "operator_semarang_utara": 404,
    "spkt": 404, "propam": 404, "kasat_reskrim": 404,  # do not see the unit
    "operator": 422, "operator_semarang_tengah": 422, "kapolsek_semarang_tengah": 422, "kabagops": 422,  # name one
    "kapolres": 403, "analis": 403, "admin": 403, "bhabin_miroto": 403,
}


@pytest.mark.parametrize(("username", "status"), sorted(SELF_SIGN_ON.items()))
def test_who_may_sign_on_themselves(world, login, username, status):
    unit = world.units[TENGAH]
    r = post(login(username), crew_url(unit), {})
    if status == 200:
        assert r.status_code == 200, r.content
        assert [c["username"] for c in r.json()["crew"]] == [username]
    else:
        assert_error(r, status)
        assert not UnitCrew.objects.exists()


# user → status of POST /units/{Tengah unit}/crew {"user_id": anggota_semarang_tengah} (the roll call)
DESK_SIGN_ON = {
    "operator": 200, "operator_semarang_tengah": 200, "kapolsek_semarang_tengah": 200, "kabagops": 200,
    "anggota_semarang_tengah": 200,  # naming themselves is signing themselves on
    "kapolres": 403, "analis": 403, "admin": 403, "bhabin_miroto": 403,
    "anggota_semarang_utara": 404, "kapolsek_semarang_utara": 404, "operator_semarang_utara": 404,
    "spkt": 404, "propam": 404, "kasat_reskrim": 404,
}


@pytest.mark.parametrize(("username", "status"), sorted(DESK_SIGN_ON.items()))
def test_who_may_sign_an_officer_on(world, login, username, status):
    officer, unit = world.user("anggota_semarang_tengah"), world.units[TENGAH]
    r = post(login(username), crew_url(unit), {"user_id": officer.pk})
    if status == 200:
        assert r.status_code == 200, r.content
        crew = r.json()["crew"]
        assert [(c["username"], c["nama"]) for c in crew] == [("anggota_semarang_tengah", "Anggota Semarang Tengah")]
        assert crew[0]["signed_on_by"] == (None if username == officer.username else username)
    else:
        assert_error(r, status)
        assert not UnitCrew.objects.exists()


# user → status of DELETE /units/{Tengah unit}/crew?user_id=anggota_semarang_tengah
DESK_SIGN_OFF = {
    "operator": 200, "operator_semarang_tengah": 200, "kapolsek_semarang_tengah": 200, "kabagops": 200,
    "anggota_semarang_tengah": 200,
    "kapolres": 403, "analis": 403, "admin": 403, "bhabin_miroto": 403,
    "anggota_semarang_utara": 404, "kapolsek_semarang_utara": 404, "operator_semarang_utara": 404,
    "spkt": 404, "propam": 404, "kasat_reskrim": 404,
}


@pytest.mark.parametrize(("username", "status"), sorted(DESK_SIGN_OFF.items()))
def test_who_may_sign_an_officer_off(world, login, username, status):
    officer, unit = world.user("anggota_semarang_tengah"), world.units[TENGAH]
    sign_on(officer, unit, channel=Channel.WEB)
    r = login(username).delete(crew_url(unit, officer.pk))
    if status == 200:
        assert r.status_code == 200, r.content
        assert r.json()["crew"] == [] and signed_on_unit(officer) is None
    else:
        assert_error(r, status)
        assert signed_on_unit(officer) == unit


def test_the_phone_signs_on_and_off_over_the_api(world, login):
    c = login("anggota_semarang_tengah")
    unit = world.units[TENGAH]
    assert c.get(f"/api/v1/units/{unit.pk}").json()["crew"] == []
    assert post(c, crew_url(unit), "").status_code == 200  # an empty body: myself
    assert post(c, crew_url(unit), {}).status_code == 200  # again: nothing changes
    assert AuditEntry.objects.filter(action="unit.awak_masuk").count() == 1
    # the crew is shown to staff who see the unit
    for viewer in ("operator", "kapolsek_semarang_tengah", "bhabin_miroto", "analis"):
        crew = login(viewer).get(f"/api/v1/units/{unit.pk}").json()["crew"]
        assert [(m["username"], m["nama"]) for m in crew] == [("anggota_semarang_tengah", "Anggota Semarang Tengah")]
    assert c.get(f"/api/v1/units/{world.units[UTARA].pk}").status_code == 404
    # positions now accepted for this unit only
    pos = {"lat": -6.97, "lon": 110.41, "device_time": timezone.now().isoformat()}
    assert post(c, f"/api/v1/units/{unit.pk}/positions", pos).status_code == 201
    assert c.delete(crew_url(unit)).status_code == 200
    assert c.delete(crew_url(unit)).status_code == 200  # retried: nothing left to end
    assert AuditEntry.objects.filter(action="unit.awak_keluar").count() == 1
    assert_error(post(c, f"/api/v1/units/{unit.pk}/positions", pos), 403)


def test_crew_api_errors_are_structured_and_in_indonesian(world, login):
    unit = world.units[TENGAH]
    officer = world.user("anggota_semarang_tengah")
    op = login("operator")
    body = assert_error(post(op, crew_url(unit), {"user_id": "satu"}), 422, "user_id")
    assert "user_id" in body["detail"]
    assert_error(post(op, crew_url(unit), {"user": officer.pk}), 422, "user")
    assert_error(post(op, crew_url(unit), [officer.pk]), 422, "body")
    assert_error(post(op, crew_url(unit), "{bukan json"), 422, "body")
    assert_error(post(op, crew_url(unit), {"user_id": 999999}), 404)
    assert assert_error(post(op, crew_url(unit), {}), 422, "user_id")["detail"].startswith("Sebutkan anggota")
    assert_error(op.delete(crew_url(unit) + "?user_id=0"), 422)
    assert_error(post(op, "/api/v1/units/999999/crew", {"user_id": officer.pk}), 404)
    # the last crew of a unit on a task cannot leave by themselves: 409 with the reason
    sign_on(officer, unit, channel=Channel.WEB)
    dispatch_unit(world.user("operator"), make_incident(world), unit, channel=Channel.API)
    body = assert_error(login("anggota_semarang_tengah").delete(crew_url(unit)), 409, "unit_id")
    assert "masih bertugas" in body["detail"]


def test_an_unauthenticated_request_is_refused(world, client):
    unit = world.units[TENGAH]
    assert post(client, crew_url(unit), {}).status_code == 401
    assert client.delete(crew_url(unit)).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_last_two_crew_members_cannot_both_leave_a_busy_unit_at_once(world):
    """Each sign-off counts the rest of the crew with the unit's row locked: of two last officers leaving at the
    same moment, one leaves and the other is refused (409), so the task keeps someone to report it."""
    import contextlib
    import threading

    from django.db import connection, connections

    from k3i.accounts.models import User
    from k3i.core.errors import Conflict
    from k3i.core.roles import Role
    from k3i.dispatch.actions import dispatch_unit, sign_off, sign_on
    from k3i.dispatch.tests.helpers import make_incident
    from k3i.organization.models import Personel

    if connection.vendor != "postgresql":
        pytest.skip("hanya PostgreSQL (K3I_DATABASE_URL): dua transaksi yang benar-benar bersamaan")
    unit = world.units["semarang_tengah"]
    a = world.user("anggota_semarang_tengah")
    p = a.personel
    twin = Personel.objects.create(**{f.name: getattr(p, f.name) for f in Personel._meta.concrete_fields
                                      if f.name not in ("id", "nrp")}, nrp="99999999")
    b = User.objects.create_user(username="anggota_kedua", password="x", role=Role.ANGGOTA, polres=world.polres,
                                 lingkup=a.lingkup, scope_polsek=a.scope_polsek, personel=twin)
    sign_on(a, unit, channel=Channel.WEB)
    sign_on(b, unit, channel=Channel.WEB)
    dispatch_unit(world.user("operator"), make_incident(world), unit, channel=Channel.WEB, override_reason="uji")
    both_counted = threading.Barrier(2, timeout=3)  # without the lock both pass the count before either leaves
    results: dict[str, str] = {}

    def pause(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        out = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith("SELECT") and "dispatch_unitcrew" in sql and "NOT" in sql:
            with contextlib.suppress(threading.BrokenBarrierError):  # the other one waits for the unit's lock
                both_counted.wait()
        return out

    def leave(user: User) -> None:
        try:
            with connection.execute_wrapper(pause):
                sign_off(User.objects.get(pk=user.pk), channel=Channel.WEB)
            results[user.username] = "keluar"
        except Conflict:
            results[user.username] = "409"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=leave, args=(u,)) for u in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results.values()) == ["409", "keluar"], results
    assert UnitCrew.objects.filter(unit=unit, signed_off_at__isnull=True).count() == 1


def test_an_officer_naming_someone_else_learns_nothing_about_which_accounts_exist(world, login):
    """The permission to name another officer is checked before the lookup: the same 403 for an existing account
    and for an id that does not exist, on sign-on and on sign-off."""
    unit = world.units["semarang_tengah"]
    c = login("anggota_semarang_tengah")
    url = f"/api/v1/units/{unit.pk}/crew"
    for user_id in (world.user("operator").pk, world.user("anggota_semarang_utara").pk, 987654):
        assert_error(post(c, url, {"user_id": user_id}), 403)
        assert_error(c.delete(f"{url}?user_id={user_id}"), 403)
    assert not UnitCrew.objects.filter(unit=unit).exists()
    # naming oneself is signing on oneself
    r = post(c, url, {"user_id": world.user("anggota_semarang_tengah").pk})
    assert r.status_code == 200, r.content
    assert UnitCrew.objects.filter(unit=unit, user=world.user("anggota_semarang_tengah"),
                                   signed_off_at__isnull=True).exists()
