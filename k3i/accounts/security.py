"""Login security rules in one place: who needs a second factor, and the lock-out after failed attempts.

Failed attempts are counted on the user row (``failed_logins``/``locked_until``); attempts for a
username that does not exist are counted the same way in the shared counters (``k3i.core.counters``: the
database, or Redis with ``K3I_REDIS_URL``; the same for every worker process, under a keyed hash of the
username), so that the lock-out message never tells whether an account exists.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from k3i.core import counters
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


# --- unknown usernames: counted in the shared counters, never on a user row -----------------------

def _key(username: str) -> str:
    return "login-unknown:" + counters.digest(username)


def unknown_is_locked(username: str) -> bool:
    return counters.blocked(_key(username) + ":lock")


def unknown_failed(username: str) -> bool:
    """Count one failure for a username that does not exist; True when it is now locked.

    ``LOGIN_MAX_FAILURES`` failures within ``LOGIN_LOCKOUT_MINUTES`` of the first one close the username for
    ``LOGIN_LOCKOUT_MINUTES`` (no attempt is counted while it is closed, and by the time it opens the
    counting window has ended, so counting starts again from zero)."""
    key = _key(username)
    window = max(1, settings.LOGIN_LOCKOUT_MINUTES * 60)
    if counters.hit(key, window) >= settings.LOGIN_MAX_FAILURES:
        counters.block(key + ":lock", window)
        return True
    return False


def lock_until() -> Any:
    return timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
