"""Login security rules in one place: who needs a second factor, and the lock-out after failed attempts.

Failed attempts are counted on the user row (``failed_logins``/``locked_until``); attempts for a
username that does not exist are counted the same way in the cache, so that the lock-out message
never tells whether an account exists.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from k3i.core.roles import TWO_FACTOR_ROLES, Role

BAD_CREDENTIALS_MESSAGE = _("Nama pengguna atau kata sandi salah.")
BAD_CODE_MESSAGE = _("Kode verifikasi salah atau sudah kedaluwarsa. Periksa jam ponsel Anda lalu coba lagi.")


def locked_message() -> str:
    """The lock-out message, in the active language."""
    return gettext(
        "Terlalu banyak percobaan masuk yang gagal. Demi keamanan, login untuk nama pengguna ini ditutup "
        "sementara selama %(minutes)d menit. Coba lagi nanti atau hubungi admin sistem."
    ) % {"minutes": settings.LOGIN_LOCKOUT_MINUTES}


def needs_second_factor(user: Any) -> bool:
    """True when this user must pass TOTP before a session counts as logged in."""
    if not settings.REQUIRE_2FA or not getattr(user, "is_authenticated", False):
        return False
    role = getattr(user, "role", "")
    return bool(role) and Role(role) in TWO_FACTOR_ROLES


def is_verified(user: Any) -> bool:
    """The session's user passed the second factor (set by django-otp's middleware)."""
    check = getattr(user, "is_verified", None)
    return bool(check()) if callable(check) else False


def second_factor_ok(user: Any) -> bool:
    return getattr(user, "is_authenticated", False) and (not needs_second_factor(user) or is_verified(user))


# --- unknown usernames: counted in the cache, never in the database ---------------------------------

def _key(username: str) -> str:
    return "k3i:login-unknown:" + hashlib.sha256(username.encode()).hexdigest()


def unknown_is_locked(username: str) -> bool:
    return cache.get(_key(username) + ":lock") is not None


def unknown_failed(username: str) -> bool:
    """Count one failure for a username that does not exist; True when it is now locked."""
    key = _key(username)
    window = settings.LOGIN_LOCKOUT_MINUTES * 60
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        count = 1
    if count >= settings.LOGIN_MAX_FAILURES:
        cache.set(key + ":lock", 1, window)
        cache.delete(key)
        return True
    return False


def lock_until() -> Any:
    return timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
