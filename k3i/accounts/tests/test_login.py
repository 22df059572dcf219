"""Login: password, the TOTP second factor (enrolment and verification), lock-out, logout, audit."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from k3i.accounts import actions
from k3i.accounts.models import User
from k3i.core.models import AuditEntry
from k3i.testing import PASSWORD

from .helpers import code_for, confirmed_device, post_password, wrong_code

LOCKED_TEXT = "Terlalu banyak percobaan masuk yang gagal"


def audit_actions(*names: str) -> list[str]:
    return list(AuditEntry.objects.filter(action__in=names).order_by("id").values_list("action", flat=True))


def test_login_page_is_indonesian_and_accessible(db):
    r = Client().get("/akun/masuk/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "Masuk ke K3i" in html
    assert '<label for="id_username">Nama pengguna</label>' in html
    assert '<label for="id_password">Kata sandi</label>' in html
    assert 'autocomplete="current-password"' in html
    assert 'name="viewport"' in html  # via base.html: usable on a phone


def test_role_without_second_factor_logs_in_with_password(world):
    c = Client()
    r = post_password(c, "anggota_semarang_tengah")
    assert r.status_code == 302 and r["Location"] == "/tugas/"
    assert c.session["_auth_user_id"] == str(world.user("anggota_semarang_tengah").pk)
    assert audit_actions("login.berhasil") == ["login.berhasil"]


def test_login_rotates_the_session_key(world):
    c = Client()
    s = c.session
    s["sebelum"] = 1
    s.save()
    before = s.session_key
    post_password(c, "bhabin_miroto")
    assert c.cookies["sessionid"].value != before
    assert c.session["_auth_user_id"] == str(world.user("bhabin_miroto").pk)


def test_next_parameter_only_to_this_site(world):
    r = post_password(Client(), "anggota_semarang_tengah", next="/polsek/1/")
    assert r["Location"] == "/polsek/1/"
    r = post_password(Client(), "anggota_semarang_tengah", next="https://jahat.example/")
    assert r["Location"] == "/tugas/"


def test_wrong_password_gives_one_message_for_every_username(world):
    known = post_password(Client(), "operator", "salah-sekali")
    unknown = post_password(Client(), "tidak_ada_orangnya", "salah-sekali")
    for r in (known, unknown):
        assert r.status_code == 200
        assert "Nama pengguna atau kata sandi salah." in r.content.decode()
    assert audit_actions("login.gagal") == ["login.gagal", "login.gagal"]
    assert "_auth_user_id" not in Client().session


@pytest.mark.parametrize("role_user", ["operator", "admin", "kapolsek_semarang_tengah", "spkt", "propam"])
def test_two_factor_role_is_not_logged_in_by_the_password_alone(world, role_user):
    c = Client()
    r = post_password(c, role_user)
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/daftar-2fa/"
    assert "_auth_user_id" not in c.session
    # pages and the API do not accept the half-finished login
    assert c.get("/api/v1/me").status_code == 401


def test_enrolment_end_to_end_with_a_real_totp_code(world):
    user = world.user("operator")
    c = Client()
    post_password(c, "operator", next="/api/v1/me")
    page = c.get("/akun/masuk/daftar-2fa/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Kode QR" in html  # inline SVG, no external QR service
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # the secret shown is the device key in base32
    import base64

    secret = re.search(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # reloading the page keeps the same secret (no new device per view)
    c.get("/akun/masuk/daftar-2fa/")
    assert TOTPDevice.objects.filter(user=user).count() == 1

    r = c.post("/akun/masuk/daftar-2fa/", {"kode": wrong_code(device)})
    assert r.status_code == 200 and "Kode verifikasi salah" in r.content.decode()
    assert "_auth_user_id" not in c.session

    with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
        device.refresh_from_db()
        device.throttling_failure_count = 0
        device.save()
        r = c.post("/akun/masuk/daftar-2fa/", {"kode": code_for(device)})
    assert r.status_code == 302 and r["Location"] == "/api/v1/me"
    device.refresh_from_db()
    assert device.confirmed
    assert c.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    me = c.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["username"] == "operator"
    assert audit_actions("2fa.pendaftaran_dimulai", "2fa.didaftarkan", "login.berhasil") == [
        "2fa.pendaftaran_dimulai", "2fa.didaftarkan", "login.berhasil"]
    user.refresh_from_db()
    assert user.failed_logins == 0  # the successful login reset the wrong-code failure


def test_verification_with_an_enrolled_device(world):
    user = world.user("kabagops")
    device = confirmed_device(user)
    c = Client()
    r = post_password(c, "kabagops")
    assert r["Location"] == "/akun/masuk/kode/"
    page = c.get("/akun/masuk/kode/")
    assert 'autocomplete="one-time-code"' in page.content.decode()
    r = c.post("/akun/masuk/kode/", {"kode": code_for(device)})
    assert r.status_code == 302 and r["Location"] == "/ops/antrian"
    assert c.session["_auth_user_id"] == str(user.pk)
    assert c.get("/api/v1/me").json()["role"] == "kabagops"
    # the same code cannot be replayed in another session
    c2 = Client()
    post_password(c2, "kabagops")
    r = c2.post("/akun/masuk/kode/", {"kode": code_for(device)})
    assert "_auth_user_id" not in c2.session


def test_code_step_without_password_step_goes_back_to_login(world):
    r = Client().get("/akun/masuk/kode/")
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/"
    r = Client().post("/akun/masuk/daftar-2fa/", {"kode": "123456"})
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/"


def test_malformed_code_is_a_form_error(world):
    confirmed_device(world.user("operator"))
    c = Client()
    post_password(c, "operator")
    r = c.post("/akun/masuk/kode/", {"kode": "12ab"})
    assert "Kode harus 6 angka." in r.content.decode()


@override_settings(REQUIRE_2FA=False)
def test_second_factor_can_be_switched_off(world):
    c = Client()
    r = post_password(c, "operator")
    assert r["Location"] == "/ops/antrian"
    assert c.get("/api/v1/me").status_code == 200


# --- lock-out ---------------------------------------------------------------------------------------

@override_settings(LOGIN_MAX_FAILURES=3, LOGIN_LOCKOUT_MINUTES=15)
def test_lockout_after_failed_passwords(world):
    for _ in range(2):
        r = post_password(Client(), "anggota_semarang_tengah", "salah")
        assert "Nama pengguna atau kata sandi salah." in r.content.decode()
    r = post_password(Client(), "anggota_semarang_tengah", "salah")
    assert LOCKED_TEXT in r.content.decode() and "15 menit" in r.content.decode()
    user = User.objects.get(username="anggota_semarang_tengah")
    assert user.is_locked()
    # even the right password is refused while locked
    c = Client()
    r = post_password(c, "anggota_semarang_tengah")
    assert r.status_code == 200 and LOCKED_TEXT in r.content.decode()
    assert "_auth_user_id" not in c.session
    assert audit_actions("login.gagal", "login.dikunci", "login.ditolak") == [
        "login.gagal", "login.gagal", "login.gagal", "login.dikunci", "login.ditolak"]


@override_settings(LOGIN_MAX_FAILURES=1, LOGIN_LOCKOUT_MINUTES=15)
def test_lockout_message_and_role_label_in_english(world, login):
    c = Client()
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = post_password(c, "anggota_semarang_tengah", "salah").content.decode()
    assert "logins for this username are closed for 15 minutes" in html and LOCKED_TEXT not in html
    operator = login("operator")
    operator.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<span class="role">K3i operator</span>' in operator.get("/").content.decode()


@override_settings(LOGIN_MAX_FAILURES=3)
def test_lockout_message_does_not_reveal_whether_the_username_exists(world):
    for name in ("anggota_semarang_tengah", "bukan_pengguna"):
        for _ in range(3):
            r = post_password(Client(), name, "salah")
        known_or_not = r.content.decode()
        assert LOCKED_TEXT in known_or_not
    real = post_password(Client(), "anggota_semarang_tengah", "salah").content.decode()
    fake = post_password(Client(), "bukan_pengguna", "salah").content.decode()
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"|value="[^"]*"', "", html)  # noqa: E731
    assert strip(real) == strip(fake)


@override_settings(LOGIN_MAX_FAILURES=3)
def test_successful_login_resets_the_counter(world):
    for _ in range(2):
        post_password(Client(), "anggota_semarang_tengah", "salah")
    assert User.objects.get(username="anggota_semarang_tengah").failed_logins == 2
    post_password(Client(), "anggota_semarang_tengah")
    user = User.objects.get(username="anggota_semarang_tengah")
    assert user.failed_logins == 0 and not user.is_locked()
    for _ in range(2):
        post_password(Client(), "anggota_semarang_tengah", "salah")
    assert not User.objects.get(username="anggota_semarang_tengah").is_locked()


@override_settings(LOGIN_MAX_FAILURES=3)
def test_wrong_codes_count_towards_the_lockout(world):
    user = world.user("operator")
    device = confirmed_device(user)
    c = Client()
    post_password(c, "operator")
    for _ in range(2):
        r = c.post("/akun/masuk/kode/", {"kode": wrong_code(device)})
        assert "Kode verifikasi salah" in r.content.decode()
    r = c.post("/akun/masuk/kode/", {"kode": wrong_code(device)})
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/"
    assert LOCKED_TEXT in c.get("/akun/masuk/").content.decode()
    user.refresh_from_db()
    assert user.is_locked()
    # the pending login is gone: the right code no longer helps
    r = c.post("/akun/masuk/kode/", {"kode": code_for(device)})
    assert r["Location"] == "/akun/masuk/" and "_auth_user_id" not in c.session


@override_settings(LOGIN_MAX_FAILURES=2)
def test_lock_expires(world):
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(2):
        post_password(Client(), "anggota_semarang_tengah", "salah")
    User.objects.filter(username="anggota_semarang_tengah").update(
        locked_until=timezone.now() - timedelta(seconds=1))
    c = Client()
    assert post_password(c, "anggota_semarang_tengah")["Location"] == "/tugas/"


def test_admin_unlocks_and_resets_second_factor(world):
    user = world.user("operator")
    confirmed_device(user)
    from k3i.accounts.security import lock_until

    User.objects.filter(pk=user.pk).update(locked_until=lock_until(), failed_logins=0)
    user.refresh_from_db()
    admin = world.user("admin")
    actions.unlock_user(admin, user, channel="web")
    assert not User.objects.get(pk=user.pk).is_locked()
    assert actions.reset_two_factor(admin, user, channel="web") == 1
    assert not TOTPDevice.objects.filter(user=user).exists()
    from k3i.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.unlock_user(world.user("operator"), user, channel="web")
    assert audit_actions("pengguna.dibuka_kuncinya", "2fa.diatur_ulang") == [
        "pengguna.dibuka_kuncinya", "2fa.diatur_ulang"]


def test_session_without_second_factor_after_reset_is_sent_to_verify(world, login):
    c = login("operator")
    assert c.get("/api/v1/me").status_code == 200
    TOTPDevice.objects.filter(user=world.user("operator")).delete()
    assert c.get("/api/v1/me").status_code == 401
    r = c.get("/akun/masuk/kode/")
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/daftar-2fa/"


# --- demo accounts, logout --------------------------------------------------------------------------

def _demo_user(world):  # type: ignore[no-untyped-def]
    return actions.create_user(None, username="demo_anggota", password=PASSWORD, role="anggota",
                               polres=world.polres, is_demo=True, channel="cli")


def test_demo_account_refused_outside_demo_mode(world):
    _demo_user(world)
    assert settings.DEMO_MODE is False
    c = Client()
    r = post_password(c, "demo_anggota")
    assert r.status_code == 200 and "Nama pengguna atau kata sandi salah." in r.content.decode()
    assert "_auth_user_id" not in c.session
    entry = AuditEntry.objects.filter(action="login.gagal").get()
    assert entry.changes["alasan"] == "akun demo di luar mode demo"


@override_settings(DEMO_MODE=True)
def test_demo_account_works_in_demo_mode(world):
    _demo_user(world)
    assert post_password(Client(), "demo_anggota")["Location"] == "/tugas/"


def test_logout_is_post_only_and_recorded(world, login):
    c = login("anggota_semarang_tengah")
    assert c.get("/akun/keluar/").status_code == 405
    r = c.post("/akun/keluar/")
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/"
    assert "_auth_user_id" not in c.session
    assert audit_actions("logout") == ["logout"]
    entry = AuditEntry.objects.get(action="logout")
    assert entry.actor_username == "anggota_semarang_tengah" and entry.channel == "web"


def test_login_audit_entries_name_the_user(world):
    post_password(Client(), "anggota_semarang_tengah")
    entry = AuditEntry.objects.get(action="login.berhasil")
    assert entry.actor_username == "anggota_semarang_tengah"
    assert entry.object_id == str(world.user("anggota_semarang_tengah").pk)
