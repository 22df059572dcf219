"""Where a login lands without ``next``: the page of the role's day — the patrol officer their phone view, the
desk and the chain of command the queues, everyone else the Polres overview — and never a page the role may
not open. A ``next`` on this site still wins; ``/`` stays the overview for everyone.

Real logins through HTTP: the password, and the TOTP code for the roles that need one (k3i/core/roles.py).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from k3i.core.roles import TWO_FACTOR_ROLES
from k3i.testing import PASSWORD

from .helpers import code_for, confirmed_device, post_password

LANDING = {
    "anggota_semarang_tengah": "/tugas/",
    "operator": "/ops/antrian",
    "operator_semarang_utara": "/ops/antrian",  # the desk of one Polsek
    "kapolsek_semarang_tengah": "/ops/antrian",
    "kabagops": "/ops/antrian",
    "kasat_reskrim": "/ops/antrian",  # a Kabagops-role account limited to one function
    "kapolres": "/ops/antrian",
    # the others keep the overview
    "admin": "/",
    "propam": "/",
    "analis": "/",
    "spkt": "/",
    "bhabin_miroto": "/",
}


def log_in(world, username: str, **extra: str) -> tuple[Client, str]:
    """A full login (password, then the code when the role needs one); returns the client and where it went."""
    c = Client()
    user = world.user(username)
    device = None
    if user.role in TWO_FACTOR_ROLES:  # a fresh authenticator each time: a code is never accepted twice
        TOTPDevice.objects.filter(user=user).delete()
        device = confirmed_device(user)
    r = post_password(c, username, **extra)
    if device is not None:
        assert r.status_code == 302 and r["Location"] == "/akun/masuk/kode/"
        r = c.post("/akun/masuk/kode/", {"kode": code_for(device)})
    assert r.status_code == 302, r.content.decode()[:500]
    assert c.session["_auth_user_id"] == str(user.pk)
    return c, r["Location"]


@pytest.mark.parametrize("username", sorted(LANDING))
def test_login_lands_on_the_page_of_the_role_s_day(world, username):
    c, landed = log_in(world, username)
    assert landed == LANDING[username]
    # the page opens for that role (never a 403/404 landing), and "/" is still the overview for everyone
    r = c.get(landed)
    assert r.status_code == 200, (username, landed, r.status_code)
    home = c.get("/")
    assert home.status_code == 200 and home.templates[0].name == "ops/overview.html"


@pytest.mark.parametrize("username", ["anggota_semarang_tengah", "operator", "kapolsek_semarang_tengah", "analis"])
def test_next_still_wins(world, username):
    _c, landed = log_in(world, username, next="/polsek/")
    assert landed == "/polsek/"
    # a next to another site is ignored: the role's own landing instead
    _c, landed = log_in(world, username, next="https://jahat.example/")
    assert landed == LANDING[username]


def test_next_from_a_protected_page_wins_through_the_code_step(world):
    """Opening a page while logged out goes to the login with that page as ``next``; it wins after the code."""
    c = Client()
    r = c.get("/ops/peta")
    assert r.status_code == 302 and r["Location"] == "/akun/masuk/?next=/ops/peta"
    user = world.user("kapolsek_semarang_tengah")
    device = confirmed_device(user)
    r = c.post("/akun/masuk/?next=/ops/peta", {"username": user.username, "password": PASSWORD, "next": "/ops/peta"})
    assert r["Location"] == "/akun/masuk/kode/"
    r = c.post("/akun/masuk/kode/", {"kode": code_for(device)})
    assert r.status_code == 302 and r["Location"] == "/ops/peta"


def test_enrolment_lands_on_the_role_s_page_too(world):
    """A desk role's first login (enrolling the authenticator) ends on the queues as well."""
    user = world.user("operator")
    c = Client()
    assert post_password(c, "operator")["Location"] == "/akun/masuk/daftar-2fa/"
    c.get("/akun/masuk/daftar-2fa/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    r = c.post("/akun/masuk/daftar-2fa/", {"kode": code_for(device)})
    assert r.status_code == 302 and r["Location"] == "/ops/antrian"
