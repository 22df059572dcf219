from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from .helpers import code_for, confirmed_device, post_password

pytestmark = pytest.mark.urls("k3i.accounts.tests.urls_decorated")


@pytest.mark.parametrize("url", ["/uji/lindung/", "/uji/kelas/"])
def test_anonymous_goes_to_login_with_next(db, url):
    r = Client().get(url)
    assert r.status_code == 302 and r["Location"] == f"/akun/masuk/?next={url}"


@pytest.mark.parametrize("url", ["/uji/lindung/", "/uji/kelas/"])
def test_verified_and_non_2fa_users_pass(world, login, url):
    assert login("operator").get(url).status_code == 200
    assert login("bhabin_miroto").get(url).status_code == 200


@pytest.mark.parametrize("url", ["/uji/lindung/", "/uji/kelas/"])
def test_logged_in_without_second_factor_goes_to_code_step(world, url):
    c = Client()
    c.force_login(world.user("operator"))
    r = c.get(url)
    assert r.status_code == 302 and r["Location"] == f"/akun/masuk/kode/?next={url}"


def test_full_flow_returns_to_the_protected_page(world):
    device = confirmed_device(world.user("kapolsek_semarang_tengah"))
    c = Client()
    login_url = c.get("/uji/lindung/")["Location"]
    assert login_url == "/akun/masuk/?next=/uji/lindung/"
    post_password(c, "kapolsek_semarang_tengah", next="/uji/lindung/")
    r = c.post("/akun/masuk/kode/", {"kode": code_for(device)})
    assert r["Location"] == "/uji/lindung/"
    assert c.get("/uji/lindung/").content == b"halo kapolsek_semarang_tengah"
    assert TOTPDevice.objects.filter(user__username="kapolsek_semarang_tengah").count() == 1
