"""API authentication: a bearer token (hashed at rest, scoped, expiring, revocable) or a logged-in session.

A bearer token that is unknown, expired or revoked is refused with 401 (it does not fall back to the
session); a read-only token on a write method is refused with 403. A session counts only when it has
passed the second factor for the roles that need one (``k3i.accounts.security``).
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from k3i.core.errors import K3iError, PermissionDenied

from .models import ApiToken, User, hash_token
from .security import second_factor_ok

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class Unauthenticated(K3iError):
    status = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail, [{"field": "Authorization", "message": detail}])


# Tokens recently read, by hash: (when read, the token with its user and Polres). Reading a token row with its
# user is a quarter of the CPU of a small API request; a busy client sends many per second. An entry lives
# ``settings.API_TOKEN_CACHE_SECONDS`` (0 under the tests): a token revoked, or a user deactivated, in
# another process is refused at most that much later; in this process at once (``forget_tokens``).
_recent: dict[str, tuple[float, ApiToken]] = {}
_recent_lock = threading.Lock()


def _clear() -> None:
    with _recent_lock:
        _recent.clear()


def forget_tokens(**_: Any) -> None:
    """Drop the recently read tokens (after a token or a user changed): now, and once more when the change
    commits (a request may have read the old row in between)."""
    _clear()
    transaction.on_commit(_clear)


post_save.connect(forget_tokens, sender=ApiToken, dispatch_uid="k3i-token-cache-token")
post_save.connect(forget_tokens, sender=User, dispatch_uid="k3i-token-cache-user")


def _read_token(token: str) -> ApiToken | None:
    digest = hash_token(token)
    ttl = float(getattr(settings, "API_TOKEN_CACHE_SECONDS", 0))
    now = time.monotonic()
    hit = _recent.get(digest)
    if hit is not None and now - hit[0] < ttl:
        return copy.copy(hit[1])  # a request's own copy: per-request attributes stay with the request
    t = ApiToken.objects.select_related("user", "user__polres").filter(token_hash=digest).first()
    if t is not None and ttl > 0:
        with _recent_lock:
            if len(_recent) > 10_000:
                _recent.clear()
            _recent[digest] = (now, t)
        t = copy.copy(t)
    return t


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token:
            return None
        t = _read_token(token) if len(token) <= 200 else None
        if t is None:
            raise Unauthenticated("Token API tidak dikenal.")
        if t.revoked_at is not None:
            raise Unauthenticated("Token API sudah dicabut.")
        if t.expires_at <= timezone.now():
            raise Unauthenticated("Token API sudah kedaluwarsa.")
        if not t.user.is_active:
            raise Unauthenticated("Pengguna pemilik token tidak aktif.")
        if t.user.is_demo and not settings.DEMO_MODE:
            raise Unauthenticated("Token akun demo hanya berlaku dalam mode demo.")
        if request.method in WRITE_METHODS and t.cakupan != ApiToken.Cakupan.WRITE:
            raise PermissionDenied("Token ini hanya-baca: buat token dengan --write untuk mengubah data.")
        now = timezone.now()
        if t.last_used_at is None or (now - t.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=t.pk).update(last_used_at=now)
            t.last_used_at = now
            with _recent_lock:
                hit = _recent.get(t.token_hash)
                if hit is not None:
                    hit[1].last_used_at = now
        request.user = t.user
        request.api_token = t  # type: ignore[attr-defined]
        return t.user


class SessionAuth(APIKeyCookie):
    """The browser's own session (pages call the API with it). CSRF is enforced for writes."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        if request.COOKIES.get(self.param_name) is None:
            return None
        if self.csrf and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise PermissionDenied("Pemeriksaan CSRF gagal: muat ulang halaman lalu coba lagi.")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and second_factor_ok(user):
            return user
        return None


api_auth = [TokenAuth(), SessionAuth()]
