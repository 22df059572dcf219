"""API authentication: a bearer token (hashed at rest, scoped, expiring, revocable) or a logged-in session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from .models import ApiToken, hash_token

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token or len(token) > 200:
            return None
        t = ApiToken.objects.select_related("user").filter(token_hash=hash_token(token)).first()
        if t is None or not t.is_valid() or not t.user.is_active:
            return None
        if request.method in WRITE_METHODS and t.cakupan != ApiToken.Cakupan.WRITE:
            return None
        if t.user.is_demo:
            from django.conf import settings

            if not settings.DEMO_MODE:
                return None
        now = timezone.now()
        if t.last_used_at is None or (now - t.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=t.pk).update(last_used_at=now)
        request.user = t.user
        request.api_token = t  # type: ignore[attr-defined]
        return t.user


class SessionAuth(APIKeyCookie):
    """The browser's own session (pages call the API with it). CSRF is enforced for writes."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


api_auth = [TokenAuth(), SessionAuth()]
