"""Writes about users: every one in one transaction with its audit entry."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from k3i.core import audit
from k3i.core.access import can
from k3i.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from k3i.core.roles import Role

from . import security
from .models import ApiToken, User, hash_token


@transaction.atomic
def create_user(
    actor: Any,
    *,
    username: str,
    password: str | None,
    role: Role | str,
    polres: Any,
    lingkup: str = User.Lingkup.POLRES,
    scope_polsek: Any = None,
    scope_kelurahan: Iterable[Any] = (),
    scope_fungsi: Iterable[Any] = (),
    personel: Any = None,
    is_demo: bool = False,
    full_name: str = "",
    channel: str,
    password_hash: str | None = None,
) -> User:
    """``password_hash``: an already-encoded Django password hash used instead of ``password`` (the demo
    loader hashes its one documented password once for all demo accounts instead of once per account)."""
    if not username or len(username) > 150:
        raise ValidationFailed.field("username", "Nama pengguna wajib diisi (maks. 150 karakter).")
    if User.objects.filter(username=username).exists():
        raise ValidationFailed.field("username", f"Nama pengguna '{username}' sudah dipakai.")
    if role not in Role.values:
        raise ValidationFailed.field("role", f"Peran '{role}' tidak dikenal.")
    if lingkup == User.Lingkup.POLSEK and scope_polsek is None:
        raise ValidationFailed.field("scope_polsek", "Lingkup Polsek memerlukan Polsek.")
    kel = list(scope_kelurahan)
    if lingkup == User.Lingkup.KELURAHAN and not kel:
        raise ValidationFailed.field("scope_kelurahan", "Lingkup kelurahan memerlukan minimal satu kelurahan.")
    first, _, last = full_name.partition(" ")
    user = User(
        username=username, role=role, polres=polres, lingkup=lingkup, scope_polsek=scope_polsek,
        personel=personel, is_demo=is_demo, is_staff=(role == Role.ADMIN), first_name=first[:150],
        last_name=last[:150],
    )
    if password_hash:
        from django.contrib.auth.hashers import identify_hasher

        try:
            identify_hasher(password_hash)
        except ValueError:
            raise ValidationFailed.field("password_hash", "Hash kata sandi tidak dikenali.") from None
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if kel:
        user.scope_kelurahan.set(kel)
    fungsi = list(scope_fungsi)
    if fungsi:
        user.scope_fungsi.set(fungsi)
    audit.record(
        actor, "pengguna.dibuat", user, channel=channel,
        changes={"role": str(role), "lingkup": lingkup, "polsek": getattr(scope_polsek, "pk", None),
                 "kelurahan": [k.pk for k in kel], "fungsi": [f.pk for f in fungsi], "demo": is_demo},
        polres_id=getattr(polres, "pk", None),
    )
    return user


# --- login, logout and lock-out ---------------------------------------------------------------------

@transaction.atomic
def login_failed(username: str, user: User | None, *, reason: str, channel: str) -> bool:
    """Count one failed attempt (password or code). Returns True when this attempt locked the account.

    ``user`` is None for a username that does not exist; it is counted too (in the counters shared by all
    worker processes, ``k3i.core.counters``) so that the lock-out looks the same for every username.
    """
    changes: dict[str, Any] = {"username": username[:150], "alasan": reason}
    if user is None:
        locked = security.unknown_failed(username)
        audit.record(None, "login.gagal", None, channel=channel, changes=changes,
                     object_type="accounts.user", object_repr=username[:150])
        if locked:
            audit.record(None, "login.dikunci", None, channel=channel, changes=changes,
                         object_type="accounts.user", object_repr=username[:150])
        return locked
    User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
    user.refresh_from_db(fields=["failed_logins", "locked_until"])
    changes["gagal_ke"] = user.failed_logins
    audit.record(None, "login.gagal", user, channel=channel, changes=changes, polres_id=user.polres_id)
    if user.failed_logins < settings.LOGIN_MAX_FAILURES:
        return False
    user.locked_until = security.lock_until()
    user.failed_logins = 0
    user.save(update_fields=["locked_until", "failed_logins"])
    audit.record(None, "login.dikunci", user, channel=channel, polres_id=user.polres_id,
                 changes={"sampai": user.locked_until.isoformat(), "menit": settings.LOGIN_LOCKOUT_MINUTES})
    return True


@transaction.atomic
def login_succeeded(user: User, *, channel: str, second_factor: bool) -> None:
    """A full login (password and, where needed, the code): reset the failure counter."""
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    user.failed_logins, user.locked_until = 0, None
    audit.record(user, "login.berhasil", user, channel=channel, changes={"faktor_kedua": second_factor})


@transaction.atomic
def logged_out(user: User, *, channel: str) -> None:
    audit.record(user, "logout", user, channel=channel)


@transaction.atomic
def unlock_user(actor: Any, user: User, *, channel: str) -> None:
    _require(actor, "manage_master")
    User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    audit.record(actor, "pengguna.dibuka_kuncinya", user, channel=channel, polres_id=user.polres_id,
                 changes={"terkunci_sampai": [user.locked_until.isoformat() if user.locked_until else None, None]})
    user.failed_logins, user.locked_until = 0, None


# --- second factor (TOTP) ---------------------------------------------------------------------------

@transaction.atomic
def start_totp_enrolment(user: User, *, channel: str) -> TOTPDevice:
    """The unconfirmed TOTP device a user is enrolling (created once, reused on reload)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="K3i", confirmed=False)
        audit.record(user, "2fa.pendaftaran_dimulai", user, channel=channel)
    return device


@transaction.atomic
def confirm_totp_enrolment(user: User, code: str, *, channel: str) -> TOTPDevice | None:
    """Confirm the enrolling device with its first code. None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
    if device is None or not _code_ok(device, code):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    audit.record(user, "2fa.didaftarkan", user, channel=channel, changes={"perangkat": device.persistent_id})
    return device


@transaction.atomic
def verify_totp(user: User, code: str) -> TOTPDevice | None:
    """The confirmed device that accepts ``code``, or None. (The login is recorded by the caller.)"""
    for device in TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("id"):
        if _code_ok(device, code):
            return device
    return None


def _code_ok(device: TOTPDevice, code: str) -> bool:
    code = (code or "").strip().replace(" ", "")
    return code.isdigit() and len(code) == device.digits and bool(device.verify_token(code))


@transaction.atomic
def reset_two_factor(actor: Any, user: User, *, channel: str) -> int:
    """Remove a user's TOTP devices (lost phone): the next login enrols again."""
    _require(actor, "manage_master")
    count, _ = TOTPDevice.objects.filter(user=user).delete()
    audit.record(actor, "2fa.diatur_ulang", user, channel=channel, changes={"perangkat_dihapus": count},
                 polres_id=user.polres_id)
    return count


# --- API tokens -------------------------------------------------------------------------------------

TOKEN_MAX_DAYS = 365


def _require(actor: Any, permission: str) -> None:
    """``actor`` None is the operator at the server's console (CLI), who may do anything."""
    if actor is not None and not can(actor, permission):
        raise PermissionDenied()


@transaction.atomic
def create_token(
    actor: Any, user: User, *, name: str = "", days: int = 90, write: bool = False, channel: str
) -> tuple[ApiToken, str]:
    """A new bearer token for ``user``. Returns the token row and the raw value (shown once, never stored)."""
    if actor is not None and actor.pk != user.pk:
        _require(actor, "manage_tokens")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= TOKEN_MAX_DAYS:
        raise ValidationFailed.field("days", f"Masa berlaku token harus 1–{TOKEN_MAX_DAYS} hari.")
    name = (name or "").strip()
    if len(name) > 80:
        raise ValidationFailed.field("name", "Nama token maksimal 80 karakter.")
    if not user.is_active:
        raise ValidationFailed.field("username", f"Pengguna '{user.username}' tidak aktif.")
    if user.is_demo and not settings.DEMO_MODE:
        raise ValidationFailed.field("username", f"'{user.username}' adalah akun demo: hanya berlaku dalam mode demo.")
    prefix = secrets.token_hex(5)
    while ApiToken.objects.filter(prefix=prefix).exists():  # pragma: no cover - 1 in 10^12
        prefix = secrets.token_hex(5)
    raw = f"k3i_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, token_hash=hash_token(raw),
        cakupan=ApiToken.Cakupan.WRITE if write else ApiToken.Cakupan.READ,
        expires_at=timezone.now() + timedelta(days=days),
    )
    audit.record(actor, "token.dibuat", token, channel=channel, polres_id=user.polres_id,
                 changes={"pengguna": user.username, "nama": name, "cakupan": token.cakupan,
                          "berlaku_sampai": token.expires_at.isoformat()})
    return token, raw


def find_token(token_or_prefix: str) -> ApiToken:
    value = (token_or_prefix or "").strip()
    qs = ApiToken.objects.select_related("user")
    token = None
    if value.startswith("k3i_"):
        token = qs.filter(token_hash=hash_token(value)).first()
    elif value and len(value) <= 12:
        token = qs.filter(prefix=value).first()
    if token is None:
        raise NotFound("Token tidak ditemukan (berikan token utuh atau awalannya).")
    return token


@transaction.atomic
def revoke_token(actor: Any, token_or_prefix: ApiToken | str, *, channel: str) -> ApiToken:
    token = token_or_prefix if isinstance(token_or_prefix, ApiToken) else find_token(token_or_prefix)
    token = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if actor is not None and actor.pk != token.user_id:
        _require(actor, "manage_tokens")
    if token.revoked_at is not None:
        raise Conflict(f"Token {token.prefix} sudah dicabut sebelumnya.")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor, "token.dicabut", token, channel=channel, polres_id=token.user.polres_id,
                 changes={"pengguna": token.user.username})
    return token


@transaction.atomic
def login_refused(username: str, user: User | None, *, reason: str, channel: str) -> None:
    """An attempt refused without checking the password (the account is locked): recorded, not counted."""
    audit.record(None, "login.ditolak", user, channel=channel, changes={"username": username[:150], "alasan": reason},
                 object_type="accounts.user", object_repr=None if user else username[:150],
                 polres_id=user.polres_id if user else None)
