"""The Django admin: only role admin sistem with a second factor; writes audited; ledger and tokens read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client

from k3i.accounts import actions
from k3i.accounts.admin_site import K3iAdminSite
from k3i.accounts.models import ApiToken, User
from k3i.core.models import AuditEntry
from k3i.organization.models import Polsek, Region

from .helpers import code_for, confirmed_device, post_password


def test_admin_site_is_the_k3i_site():
    assert admin.site.name == "admin"  # forces the lazy default site
    assert isinstance(admin.site._wrapped, K3iAdminSite)  # type: ignore[attr-defined]


def test_admin_index_in_indonesian_for_admin(world, login):
    r = login("admin").get("/admin/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Administrasi data induk" in html
    for label in ("Polsek", "Pospol", "Personel", "Wilayah", "Unit patroli", "Pengguna", "Token api", "Buku audit"):
        assert label.lower() in html.lower(), label
    assert "Grup" not in html and "TOTP" not in html


@pytest.mark.parametrize("username", ["operator", "kapolres", "propam", "anggota_semarang_tengah"])
def test_other_roles_refused(world, login, username):
    c = login(username)
    r = c.get("/admin/")
    assert r.status_code == 302
    r = c.get(r["Location"])
    assert r.status_code == 403 and "hanya untuk admin sistem" in r.content.decode()
    assert c.get("/admin/organization/polsek/").status_code == 302


def test_anonymous_goes_to_k3i_login(db):
    r = Client().get("/admin/organization/polsek/")
    assert r.status_code == 302
    r = Client().get(r["Location"])
    assert r.status_code == 302 and r["Location"].startswith("/akun/masuk/?next=")


def test_admin_needs_the_second_factor(world):
    c = Client()
    c.force_login(world.user("admin"))  # password only
    r = c.get("/admin/")
    assert r.status_code == 302
    r = c.get(r["Location"])
    assert r.status_code == 302 and r["Location"].startswith("/akun/masuk/kode/")
    # the real login with the code opens it
    device = confirmed_device(world.user("admin"))
    c = Client()
    post_password(c, "admin", next="/admin/")
    r = c.post("/akun/masuk/kode/", {"kode": code_for(device)})
    assert r["Location"] == "/admin/"
    assert c.get("/admin/").status_code == 200


def test_change_is_audited_with_changed_fields(world, login):
    c = login("admin")
    ps = world.polsek["semarang_tengah"]
    url = f"/admin/organization/polsek/{ps.pk}/change/"
    page = c.get(url)
    assert page.status_code == 200
    data = {
        "polres": ps.polres_id, "nama": ps.nama, "tipe": "B", "berwenang_penyidikan": "on",
        "kecamatan": ps.kecamatan_id, "alamat": "Jl. Pemuda 1", "telepon": "", "lat": ps.lat, "lon": ps.lon,
        "pospol_set-TOTAL_FORMS": "1", "pospol_set-INITIAL_FORMS": "1", "pospol_set-MIN_NUM_FORMS": "0",
        "pospol_set-MAX_NUM_FORMS": "1000", "pospol_set-0-id": world.pospol["semarang_tengah"].pk,
        "pospol_set-0-polsek": ps.pk,
    }
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:3000]
    ps.refresh_from_db()
    assert ps.tipe == "B" and ps.alamat == "Jl. Pemuda 1"
    entry = AuditEntry.objects.get(action="admin.polsek.diubah")
    assert entry.actor_username == "admin" and entry.channel == "web"
    assert entry.changes == {"tipe": ["A", "B"], "alamat": ["", "Jl. Pemuda 1"]}
    assert entry.object_id == str(ps.pk) and entry.polres_id == world.polres.pk


def test_add_and_delete_are_audited(world, login):
    c = login("admin")
    r = c.post("/admin/organization/fungsi/add/", {
        "kode": "SAT_INTELKAM", "nama": "Satuan Intelijen Keamanan", "singkatan": "Sat Intelkam",
        "jenis": "utama", "keterangan": ""})
    assert r.status_code == 302
    from k3i.organization.models import Fungsi

    f = Fungsi.objects.get(kode="SAT_INTELKAM")
    added = AuditEntry.objects.get(action="admin.fungsi.dibuat")
    assert added.changes["kode"] == [None, "SAT_INTELKAM"]
    r = c.post(f"/admin/organization/fungsi/{f.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302 and not Fungsi.objects.filter(pk=f.pk).exists()
    deleted = AuditEntry.objects.get(action="admin.fungsi.dihapus")
    assert deleted.changes["data"]["singkatan"] == "Sat Intelkam" and deleted.object_id == str(f.pk)


def test_bulk_delete_audits_each_row(world, login):
    from k3i.organization.models import Fungsi

    extra = [Fungsi.objects.create(kode=f"X{i}", nama=f"X{i}", singkatan=f"X{i}", jenis="pendukung")
             for i in range(2)]
    r = login("admin").post("/admin/organization/fungsi/", {
        "action": "delete_selected", "_selected_action": [f.pk for f in extra], "post": "yes"})
    assert r.status_code == 302
    assert not Fungsi.objects.filter(kode__startswith="X").exists()
    assert AuditEntry.objects.filter(action="admin.fungsi.dihapus").count() == 2


def test_region_geometry_is_a_read_only_summary(world, login):
    kel = world.kelurahan["Miroto"]
    from django.urls import reverse

    r = login("admin").get(reverse("admin:organization_region_change", args=[kel.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    assert "Polygon, 1 bagian, 5 titik" in html
    assert "110.40" in html and 'name="geometry"' not in html
    assert "[[[" not in html


def test_audit_ledger_is_read_only_for_everyone(world, login):
    actions.create_token(None, world.user("operator"), channel="cli")
    entry = AuditEntry.objects.first()
    c = login("admin")
    assert c.get("/admin/core/auditentry/").status_code == 200
    assert c.get(f"/admin/core/auditentry/{entry.pk}/change/").status_code == 200
    assert c.get("/admin/core/auditentry/add/").status_code == 403
    assert c.get(f"/admin/core/auditentry/{entry.pk}/delete/").status_code == 403
    r = c.post(f"/admin/core/auditentry/{entry.pk}/change/", {"action": "diubah"})
    assert r.status_code == 403
    entry.refresh_from_db()
    assert entry.action == "token.dibuat"


def test_tokens_read_only_without_secret_and_revocable(world, login):
    token, raw = actions.create_token(None, world.user("operator"), name="layar", channel="cli")
    c = login("admin")
    html = c.get(f"/admin/accounts/apitoken/{token.pk}/change/").content.decode()
    assert token.prefix in html and raw not in html and token.token_hash not in html
    assert c.get("/admin/accounts/apitoken/add/").status_code == 403
    r = c.post("/admin/accounts/apitoken/", {"action": "cabut", "_selected_action": [token.pk]})
    assert r.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEntry.objects.filter(action="token.dicabut", actor_username="admin").count() == 1


def test_user_admin_shows_role_and_scope_not_the_hash(world, login):
    user = world.user("kapolsek_semarang_tengah")
    html = login("admin").get(f"/admin/accounts/user/{user.pk}/change/").content.decode()
    assert 'name="role"' in html and 'name="lingkup"' in html and 'name="scope_polsek"' in html
    assert user.password not in html
    assert user.password.split("$")[-1] not in html  # neither the hash nor the salt+hash part


def test_user_admin_change_is_audited_and_sets_staff(world, login):
    user = world.user("analis")
    c = login("admin")
    url = f"/admin/accounts/user/{user.pk}/change/"
    data = {
        "username": "analis", "first_name": "", "last_name": "", "email": "", "personel": "",
        "role": "admin", "polres": world.polres.pk, "lingkup": "polres", "scope_polsek": "",
        "is_active": "on", "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    r = c.post(url, data)
    assert r.status_code == 302, r.content.decode()[:2000]
    user.refresh_from_db()
    assert user.role == "admin" and user.is_staff
    entry = AuditEntry.objects.get(action="admin.user.diubah")
    assert entry.changes["role"] == ["analis", "admin"]
    assert "password" not in entry.changes


def test_user_admin_scope_must_be_complete(world, login):
    user = world.user("analis")
    r = login("admin").post(f"/admin/accounts/user/{user.pk}/change/", {
        "username": "analis", "role": "kapolsek", "polres": world.polres.pk, "lingkup": "polsek",
        "scope_polsek": "", "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    assert r.status_code == 200 and "Lingkup Polsek memerlukan Polsek." in r.content.decode()
    assert User.objects.get(pk=user.pk).role == "analis"


def test_password_change_in_admin_is_audited_without_the_password(world, login):
    user = world.user("analis")
    r = login("admin").post(f"/admin/accounts/user/{user.pk}/password/", {
        "password1": "Sandi-baru-yang-panjang-77", "password2": "Sandi-baru-yang-panjang-77",
        "usable_password": "true", "set_usable_password": "true"})
    assert r.status_code == 302
    entry = AuditEntry.objects.get(action="admin.user.sandi_diubah")
    assert "Sandi-baru" not in str(entry.changes) and entry.object_id == str(user.pk)


def test_admin_actions_unlock_and_reset_2fa(world, login):
    from k3i.accounts.security import lock_until

    user = world.user("operator")
    confirmed_device(user)
    User.objects.filter(pk=user.pk).update(locked_until=lock_until())
    c = login("admin")
    c.post("/admin/accounts/user/", {"action": "buka_kunci", "_selected_action": [user.pk]})
    assert not User.objects.get(pk=user.pk).is_locked()
    c.post("/admin/accounts/user/", {"action": "atur_ulang_2fa", "_selected_action": [user.pk]})
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert not TOTPDevice.objects.filter(user=user).exists()


def test_admin_pages_for_every_master_model_render(world, login):
    c = login("admin")
    for path in ("organization/region", "organization/polres", "organization/polsek", "organization/polsubsektor",
                 "organization/pospol", "organization/fungsi", "organization/personel",
                 "organization/bhabincoverage", "dispatch/patrolunit", "accounts/user", "accounts/apitoken",
                 "core/auditentry"):
        assert c.get(f"/admin/{path}/").status_code == 200, path
    assert c.get("/admin/organization/polsek/add/").status_code == 200
    assert Region.objects.exists() and Polsek.objects.exists()


def test_admin_logout_goes_through_k3i_logout(world, login):
    c = login("admin")
    r = c.post("/admin/logout/")
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/"
    assert AuditEntry.objects.filter(action="logout", actor_username="admin").exists()
