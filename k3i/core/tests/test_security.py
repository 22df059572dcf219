"""Platform security: production refuses a weak secret, security headers and CSP, cookie flags, 2FA."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from k3i.settings import DEFAULT_SECRET

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_ENV_UNSET = ("K3I_SECRET_KEY", "K3I_DEBUG", "K3I_DEMO", "K3I_TESTING", "K3I_DATABASE_URL", "K3I_REQUIRE_2FA",
                        "DJANGO_SETTINGS_MODULE")


@pytest.fixture(autouse=True)
def _login_rules(settings):  # type: ignore[no-untyped-def]
    """Production login rules whatever the environment says; a clean cache for failed attempts."""
    from django.core.cache import cache

    settings.REQUIRE_2FA = True
    settings.DEMO_MODE = False
    cache.clear()


def run_production(args: list[str], tmp_path: Path, secret: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV_UNSET}
    env["K3I_VAR_DIR"] = str(tmp_path)
    env["K3I_SQLITE_PATH"] = str(tmp_path / "prod.sqlite3")
    if secret is not None:
        env["K3I_SECRET_KEY"] = secret
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("secret, words", [
    (None, "K3I_SECRET_KEY belum diisi"),
    ("", "K3I_SECRET_KEY belum diisi"),
    (DEFAULT_SECRET, "masih bawaan"),
    ("pendek-sekali", "terlalu pendek"),
])
def test_production_refuses_to_start_with_a_weak_secret(tmp_path, secret, words):
    r = run_production(["-m", "k3i.cli", "migrate"], tmp_path, secret)
    assert r.returncode != 0
    assert words in r.stderr
    assert "mode produksi" in r.stderr or "minimal 32 karakter" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "prod.sqlite3").exists()


def test_production_starts_with_a_strong_secret_and_secure_cookies(tmp_path):
    code = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'k3i.settings'; django.setup(); "
            "from django.conf import settings as s; "
            "print(s.PRODUCTION, s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS > 0, s.REQUIRE_2FA)")
    r = run_production(["-c", code], tmp_path, "s" * 20 + "-rahasia-acak-yang-panjang-2026")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["True", "False", "True", "True", "True", "True", "True"]


def test_security_headers_and_csp_on_pages(db):
    for path in ("/akun/masuk/", "/api/v1/openapi.json"):
        r = Client().get(path)
        csp = r["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-eval" not in csp
        assert "http:" not in csp and "https:" not in csp  # no CDN anywhere
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["X-Frame-Options"] == "DENY"
        assert r["Referrer-Policy"] == "same-origin"
        assert r["Cross-Origin-Opener-Policy"] == "same-origin"


def test_login_page_has_no_inline_script_or_external_resource(db):
    html = Client().get("/akun/masuk/").content.decode()
    assert "<script>" not in html and "onload=" not in html and "onclick=" not in html
    assert 'src="http' not in html and 'href="http' not in html and "//cdn" not in html


def test_session_cookie_is_httponly_and_samesite(world):
    c = Client()
    r = c.post("/akun/masuk/", {"username": "anggota_semarang_tengah", "password": "sandi-uji-K3i-2026"})
    assert r.status_code == 302
    cookie = r.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert r.cookies["csrftoken"]["httponly"] is True


def test_login_pages_are_not_cached(db):
    r = Client().get("/akun/masuk/")
    assert "no-cache" in r["Cache-Control"] or "no-store" in r["Cache-Control"]


def test_two_factor_end_to_end(world):
    """Password, enrolment with a real TOTP code computed from the device key, then a protected page."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    c = Client()
    r = c.post("/akun/masuk/", {"username": "propam", "password": "sandi-uji-K3i-2026", "next": "/api/v1/me"})
    assert r["Location"] == "/akun/masuk/daftar-2fa/"
    assert c.get("/api/v1/me").status_code == 401
    c.get(r["Location"])
    device = TOTPDevice.objects.get(user__username="propam", confirmed=False)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    r = c.post("/akun/masuk/daftar-2fa/", {"kode": code})
    assert r["Location"] == "/api/v1/me"
    assert c.get("/api/v1/me").json()["role"] == "propam"


def test_lockout_after_n_failures(world, settings):
    settings.LOGIN_MAX_FAILURES = 4
    for _ in range(4):
        Client().post("/akun/masuk/", {"username": "analis", "password": "salah"})
    r = Client().post("/akun/masuk/", {"username": "analis", "password": "sandi-uji-K3i-2026"})
    assert "Terlalu banyak percobaan" in r.content.decode()
    from k3i.accounts.models import User

    assert User.objects.get(username="analis").is_locked()


def test_demo_accounts_refused_outside_demo_mode(world, settings):
    from k3i.accounts.actions import create_user

    settings.DEMO_MODE = False
    create_user(None, username="demo_admin", password="sandi-uji-K3i-2026", role="analis", polres=world.polres,
                is_demo=True, channel="cli")
    c = Client()
    r = c.post("/akun/masuk/", {"username": "demo_admin", "password": "sandi-uji-K3i-2026"})
    assert r.status_code == 200 and "_auth_user_id" not in c.session
    settings.DEMO_MODE = True
    r = c.post("/akun/masuk/", {"username": "demo_admin", "password": "sandi-uji-K3i-2026"})
    assert r.status_code == 302 and "_auth_user_id" in c.session
