"""The ledger page (/audit/) and GET /api/v1/audit for Siwas/Propam: search, permissions, reads recorded."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.db import connection, transaction
from django.urls import reverse

from k3i.accounts.actions import create_token
from k3i.core import audit
from k3i.core.models import AuditEntry
from k3i.dispatch.actions import update_patrol_unit

URL = reverse("core:ledger")


@pytest.fixture
def entries(world):  # type: ignore[no-untyped-def]
    """A few real entries: two unit changes by different users, one system entry; all sealed."""
    update_patrol_unit(world.user("operator"), world.units["semarang_tengah"], channel=audit.Channel.WEB, aktif=False)
    update_patrol_unit(world.user("kapolsek_semarang_utara"), world.units["semarang_utara"],
                       channel=audit.Channel.API, aktif=False)
    with transaction.atomic():
        audit.record(None, "sistem.uji", channel=audit.Channel.SYSTEM, object_repr="tugas terjadwal")
    audit.seal_pending()
    return world


def searches() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="audit.dicari").order_by("id"))


@pytest.mark.parametrize("username", ["propam", "kapolres"])
def test_propam_and_kapolres_see_the_ledger(entries, login, username):
    r = login(username).get(URL)
    assert r.status_code == 200
    body = r.content.decode()
    assert "Buku audit" in body and "Periksa keutuhan" in body
    assert "unit.diperbarui" in body and "SEMARANG-TENGAH-R2-01" in body and "sistem.uji" in body
    assert "#1" in body  # sealed entries show their place in the chain


@pytest.mark.parametrize("username", ["admin", "operator", "kabagops", "kapolsek_semarang_tengah", "analis",
                                      "bhabin_miroto", "spkt"])
def test_other_roles_get_404(entries, login, username):
    assert login(username).get(URL).status_code == 404
    assert login(username).post(reverse("core:ledger_check")).status_code == 404
    assert not searches()


def test_anonymous_is_sent_to_login(entries, client):
    r = client.get(URL)
    assert r.status_code == 302 and "/akun/" in r["Location"]


def test_search_by_each_filter(entries, login):
    c = login("propam")

    def found(**params: str) -> set[str]:
        r = c.get(URL, params)
        assert r.status_code == 200
        return {e.action + ":" + e.actor_username for e in r.context["page"].object_list}

    assert found(pengguna="operator") == {"unit.diperbarui:operator"}
    assert found(pengguna="OPERATOR") == {"unit.diperbarui:operator"}
    assert found(aksi="unit.") == {"unit.diperbarui:operator", "unit.diperbarui:kapolsek_semarang_utara"}
    assert found(kanal="api") == {"unit.diperbarui:kapolsek_semarang_utara"}
    unit = entries.units["semarang_utara"]
    assert found(jenis_objek="dispatch.patrolunit", id_objek=str(unit.pk)) == {
        "unit.diperbarui:kapolsek_semarang_utara"}
    assert found(teks="terjadwal") == {"sistem.uji:"}
    today = datetime.now(audit.WIB).date()
    assert "sistem.uji:" in found(dari=today.isoformat(), sampai=today.isoformat())
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert found(dari=tomorrow) == set()
    assert found(sampai=(today - timedelta(days=1)).isoformat()) == set()


def test_date_range_is_in_wib(entries, login):
    # An entry at 23:30 UTC on 1 March is 06:30 WIB on 2 March: it belongs to 2 March.
    with transaction.atomic():
        e = audit.record(None, "uji.malam", channel=audit.Channel.SYSTEM)
    late = datetime(2026, 3, 1, 23, 30, tzinfo=audit.UTC)
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {AuditEntry._meta.db_table} SET created_at = %s WHERE id = %s",
                    [connection.ops.adapt_datetimefield_value(late), e.pk])
    c = login("propam")
    on = c.get(URL, {"aksi": "uji.malam", "dari": "2026-03-02", "sampai": "2026-03-02"})
    assert [x.pk for x in on.context["page"].object_list] == [e.pk]
    before = c.get(URL, {"aksi": "uji.malam", "sampai": "2026-03-01"})
    assert list(before.context["page"].object_list) == []


def test_bad_filters_are_reported_by_field(entries, login):
    c = login("propam")
    r = c.get(URL, {"dari": "2026-03-05", "sampai": "2026-03-01"})
    assert r.status_code == 200
    assert "sampai" in r.context["form"].errors
    assert "page" not in r.context
    r = c.get(URL, {"kanal": "telepati"})
    assert "kanal" in r.context["form"].errors
    r = c.get(URL, {"dari": "kemarin"})
    assert "dari" in r.context["form"].errors


def test_reading_the_ledger_is_recorded_with_the_filters(entries, login):
    c = login("propam")
    c.get(URL, {"aksi": "unit.", "pengguna": "operator"})
    (s,) = searches()
    assert s.actor_username == "propam" and s.channel == "web"
    assert s.changes["filter"] == {"aksi": "unit.", "pengguna": "operator"}
    assert s.changes["jumlah"] == 1


def test_newest_first_and_paginated(entries, login):
    with transaction.atomic():
        for i in range(60):
            audit.record(None, "uji.banyak", channel=audit.Channel.SYSTEM, object_repr=f"nomor {i}")
    c = login("kapolres")
    first = c.get(URL, {"aksi": "uji.banyak"})
    reprs = [e.object_repr for e in first.context["page"].object_list]
    assert reprs[0] == "nomor 59" and len(reprs) == 50
    assert "belum disegel" in first.content.decode()
    second = c.get(URL, {"aksi": "uji.banyak", "halaman": "2"})
    assert [e.object_repr for e in second.context["page"].object_list][-1] == "nomor 0"
    assert "aksi=uji.banyak" in first.content.decode()  # the pager keeps the filters


def test_check_button_runs_verify_and_is_recorded(entries, login):
    c = login("propam")
    r = c.post(reverse("core:ledger_check"), {"next": URL + "?aksi=unit."}, follow=True)
    assert r.redirect_chain[-1][0] == URL + "?aksi=unit."
    assert "Buku audit utuh" in r.content.decode()
    check = AuditEntry.objects.get(action="audit.diperiksa")
    assert check.changes["utuh"] is True

    victim = AuditEntry.objects.filter(action="unit.diperbarui").first()
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {AuditEntry._meta.db_table} SET object_repr = 'palsu' WHERE id = %s", [victim.pk])
    r = c.post(reverse("core:ledger_check"), {"next": "https://jahat.example/"}, follow=True)
    assert r.redirect_chain[-1][0] == URL
    assert f"entri #{victim.pk}" in r.content.decode()


def test_phone_friendly_markup(entries, login):
    body = login("propam").get(URL).content.decode()
    assert 'name="viewport"' in body
    assert 'data-label="' in body  # each cell names its column when the table stacks on a phone


# --- API ----------------------------------------------------------------------------------------------

API = "/api/v1/audit"


def bearer(world, username: str, write: bool = False) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, raw = create_token(None, world.user(username), write=write, channel=audit.Channel.CLI)
    return {"Authorization": f"Bearer {raw}"}


def test_api_search(entries, client):
    r = client.get(API, {"aksi": "unit.", "limit": 1}, headers=bearer(entries, "propam"))
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["count"] == 2 and len(data["items"]) == 1
    item = data["items"][0]
    assert item["aksi"] == "unit.diperbarui" and item["disegel"] is True and item["urutan"] >= 1
    assert item["waktu"].endswith("+07:00")
    s = AuditEntry.objects.get(action="audit.dicari")
    assert s.channel == "api" and s.changes["filter"] == {"aksi": "unit."}


def test_api_hidden_for_other_roles_and_anonymous(entries, client):
    assert client.get(API, headers=bearer(entries, "operator")).status_code == 404
    assert client.get(API + "/verify", headers=bearer(entries, "admin")).status_code == 404
    assert client.get(API).status_code == 401


def test_api_validation_errors(entries, client):
    h = bearer(entries, "propam")
    r = client.get(API, {"dari": "2026-02-30"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "dari"
    r = client.get(API, {"dari": "2026-03-05", "sampai": "2026-03-01"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "sampai"
    r = client.get(API, {"kanal": "telepati"}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "kanal"


def test_api_verify(entries, client):
    r = client.get(API + "/verify", headers=bearer(entries, "kapolres"))
    assert r.status_code == 200 and r.json()["utuh"] is True
    victim = AuditEntry.objects.filter(seq=2).get()
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {AuditEntry._meta.db_table} WHERE id = %s", [victim.pk])
    r = client.get(API + "/verify", headers=bearer(entries, "kapolres"))
    body = r.json()
    assert body["utuh"] is False and body["urutan"] == 2 and "hilang" in body["masalah"]


def test_api_seal(entries, client):
    with transaction.atomic():
        audit.record(None, "uji.menunggu", channel=audit.Channel.SYSTEM)
    r = client.post(API + "/seal", headers=bearer(entries, "admin", write=True))
    assert r.status_code == 200, r.content
    assert r.json()["disegel"] >= 1
    assert client.post(API + "/seal", headers=bearer(entries, "admin")).status_code == 403  # read-only token
    assert client.post(API + "/seal", headers=bearer(entries, "operator", write=True)).status_code == 403
