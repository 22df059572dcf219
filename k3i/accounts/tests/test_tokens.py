"""API tokens: actions, the `k3i token` command, bearer authentication and /api/v1/me."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from k3i.accounts import actions
from k3i.accounts.models import ApiToken, hash_token
from k3i.cli import main
from k3i.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from k3i.core.models import AuditEntry
from k3i.testing import PASSWORD


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


# --- actions ----------------------------------------------------------------------------------------

def test_create_token_stores_only_the_hash(world):
    token, raw = actions.create_token(None, world.user("operator"), name="dasbor", days=30, channel="cli")
    assert raw.startswith(f"k3i_{token.prefix}_") and len(raw) > 40
    assert token.token_hash == hash_token(raw)
    row = ApiToken.objects.values().get(pk=token.pk)
    assert raw not in str(row) and raw.split("_", 2)[2] not in str(row)
    assert token.cakupan == "read"
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    entry = AuditEntry.objects.get(action="token.dibuat")
    assert entry.changes["pengguna"] == "operator" and raw not in str(entry.changes)


def test_create_token_validates(world):
    op = world.user("operator")
    for days in (0, -1, 366):
        with pytest.raises(ValidationFailed) as exc:
            actions.create_token(None, op, days=days, channel="cli")
        assert exc.value.errors[0]["field"] == "days"
    with pytest.raises(ValidationFailed):
        actions.create_token(None, op, name="x" * 81, channel="cli")
    # only admin sistem makes tokens for someone else; anyone for themselves
    with pytest.raises(PermissionDenied):
        actions.create_token(world.user("kapolres"), op, channel="web")
    actions.create_token(op, op, channel="web")
    actions.create_token(world.user("admin"), op, channel="web")
    assert ApiToken.objects.filter(user=op).count() == 2


def test_revoke_by_prefix_or_full_token(world):
    op = world.user("operator")
    t1, raw1 = actions.create_token(None, op, channel="cli")
    t2, raw2 = actions.create_token(None, op, channel="cli")
    actions.revoke_token(None, t1.prefix, channel="cli")
    actions.revoke_token(None, raw2, channel="cli")
    assert all(t.revoked_at for t in ApiToken.objects.all())
    with pytest.raises(Conflict):
        actions.revoke_token(None, t1.prefix, channel="cli")
    with pytest.raises(NotFound):
        actions.revoke_token(None, "k3i_tidak_ada", channel="cli")
    with pytest.raises(NotFound):
        actions.revoke_token(None, "", channel="cli")
    assert AuditEntry.objects.filter(action="token.dicabut").count() == 2


# --- CLI ----------------------------------------------------------------------------------------------

def test_cli_create_prints_the_token_alone(world, capsys):
    assert main(["token", "create", "operator", "--name", "skrip", "--days", "7", "--write"]) == 0
    out, err = capsys.readouterr()
    raw = out.strip()
    assert out == raw + "\n" and raw.startswith("k3i_")
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert token.cakupan == "write" and token.name == "skrip"
    assert token.prefix in err and "tidak dapat ditampilkan lagi" in err
    assert Client().get("/api/v1/me", **bearer(raw)).json()["username"] == "operator"


@pytest.mark.parametrize("argv, field", [
    (["token", "create", "tidak_ada"], "username"),
    (["token", "create", "operator", "--days", "0"], "days"),
    (["token", "create", "operator", "--days", "9999"], "days"),
])
def test_cli_create_errors_exit_2(world, capsys, argv, field):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert field in err
    assert not ApiToken.objects.exists()


def test_cli_days_not_a_number(world, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["token", "create", "operator", "--days", "lama"])
    assert exc.value.code == 2
    assert "bukan bilangan bulat" in capsys.readouterr().err


def test_cli_revoke_and_list(world, capsys):
    t_op, raw = actions.create_token(None, world.user("operator"), name="satu", channel="cli")
    actions.create_token(None, world.user("analis"), name="dua", channel="cli")
    assert main(["token", "revoke", t_op.prefix]) == 0
    assert "dicabut" in capsys.readouterr().err
    assert main(["token", "revoke", t_op.prefix]) == 2
    assert "sudah dicabut" in capsys.readouterr().err
    assert main(["token", "list"]) == 0
    out = capsys.readouterr().out
    assert "AWALAN" in out and t_op.prefix in out and "dicabut" in out and "analis" in out
    assert raw not in out
    assert main(["token", "list", "analis"]) == 0
    out = capsys.readouterr().out
    assert "analis" in out and t_op.prefix not in out
    assert main(["token", "list", "tidak_ada"]) == 2


# --- API ----------------------------------------------------------------------------------------------

def test_me_with_token(world):
    _, raw = actions.create_token(None, world.user("kapolsek_semarang_tengah"), channel="cli")
    r = Client().get("/api/v1/me", **bearer(raw))
    assert r.status_code == 200
    body = r.json()
    assert body["username"] == "kapolsek_semarang_tengah" and body["role"] == "kapolsek"
    assert body["lingkup"] == "polsek"
    assert body["polres"]["kode"] == "uji"
    assert body["scope"]["seluruh_polres"] is False
    assert body["scope"]["polsek"] == [world.polsek["semarang_tengah"].pk]
    assert body["scope"]["kelurahan"] == ["33.74.01.1001", "33.74.01.1002"]
    assert body["autentikasi"] == "token" and body["token"]["cakupan"] == "read"
    assert ApiToken.objects.get().last_used_at is not None


def test_me_with_session(world, login):
    body = login("operator").get("/api/v1/me").json()
    assert body["autentikasi"] == "sesi" and body["scope"]["seluruh_polres"] is True and body["token"] is None


def _assert_401(r, words: str) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 401
    body = r.json()
    assert set(body) == {"detail", "errors"}
    assert words in body["detail"]
    assert body["errors"][0]["field"] == "Authorization"


def test_unknown_expired_revoked_tokens_are_401(world):
    op = world.user("operator")
    _assert_401(Client().get("/api/v1/me", **bearer("k3i_abcdef_bukan-token")), "tidak dikenal")
    _assert_401(Client().get("/api/v1/me", **bearer("x" * 500)), "tidak dikenal")
    t, raw = actions.create_token(None, op, channel="cli")
    ApiToken.objects.filter(pk=t.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_401(Client().get("/api/v1/me", **bearer(raw)), "kedaluwarsa")
    t, raw = actions.create_token(None, op, channel="cli")
    assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    actions.revoke_token(None, t.prefix, channel="cli")
    _assert_401(Client().get("/api/v1/me", **bearer(raw)), "dicabut")


def test_no_credentials_is_401_in_indonesian(db):
    r = Client().get("/api/v1/me")
    assert r.status_code == 401 and "autentikasi" in r.json()["detail"]


def test_inactive_user_token_is_401(world):
    op = world.user("operator")
    _, raw = actions.create_token(None, op, channel="cli")
    type(op).objects.filter(pk=op.pk).update(is_active=False)
    _assert_401(Client().get("/api/v1/me", **bearer(raw)), "tidak aktif")


def test_read_only_token_refused_on_write(world):
    op = world.user("operator")
    target, _ = actions.create_token(None, op, name="sasaran", channel="cli")
    _, read = actions.create_token(None, op, channel="cli")
    r = Client().post(f"/api/v1/me/tokens/{target.prefix}/cabut", **bearer(read))
    assert r.status_code == 403 and "hanya-baca" in r.json()["detail"]
    assert ApiToken.objects.get(pk=target.pk).revoked_at is None
    _, write = actions.create_token(None, op, write=True, channel="cli")
    r = Client().post(f"/api/v1/me/tokens/{target.prefix}/cabut", **bearer(write))
    assert r.status_code == 200 and r.json()["dicabut"]
    assert ApiToken.objects.get(pk=target.pk).revoked_at is not None
    assert AuditEntry.objects.filter(action="token.dicabut", channel="api").count() == 1


def test_my_tokens_lists_only_mine_without_secrets(world):
    _, raw = actions.create_token(None, world.user("operator"), name="milik-saya", channel="cli")
    other, _ = actions.create_token(None, world.user("analis"), channel="cli")
    r = Client().get("/api/v1/me/tokens", **bearer(raw))
    assert [t["nama"] for t in r.json()] == ["milik-saya"]
    assert raw not in r.content.decode()
    r = Client().post(f"/api/v1/me/tokens/{other.prefix}/cabut", **bearer(raw))
    assert r.status_code in (403, 404)


def test_demo_user_tokens_refused_outside_demo_mode(world):
    with override_settings(DEMO_MODE=True):
        demo = actions.create_user(None, username="demo_op", password=PASSWORD, role="operator",
                                   polres=world.polres, is_demo=True, channel="cli")
        _, raw = actions.create_token(None, demo, channel="cli")
        assert Client().get("/api/v1/me", **bearer(raw)).status_code == 200
    with override_settings(DEMO_MODE=False):
        _assert_401(Client().get("/api/v1/me", **bearer(raw)), "demo")
        with pytest.raises(ValidationFailed):
            actions.create_token(None, demo, channel="cli")


def test_session_of_2fa_role_without_second_factor_is_not_authenticated(world):
    c = Client()
    c.force_login(world.user("operator"))  # password only, no second factor
    assert c.get("/api/v1/me").status_code == 401
    c = Client()
    c.force_login(world.user("anggota_semarang_tengah"))  # role without 2FA
    assert c.get("/api/v1/me").status_code == 200


def test_session_write_needs_csrf(world):
    from k3i.accounts.testing import force_login_verified

    c = force_login_verified(Client(enforce_csrf_checks=True), world.user("operator"))
    t, _ = actions.create_token(None, world.user("operator"), channel="cli")
    r = c.post(f"/api/v1/me/tokens/{t.prefix}/cabut")
    assert r.status_code == 403 and "CSRF" in r.json()["detail"]
    assert ApiToken.objects.get(pk=t.pk).revoked_at is None
