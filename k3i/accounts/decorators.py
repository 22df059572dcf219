"""Login required — with the second factor for roles that need it.

Use ``@login_required_2fa`` on function views and ``LoginRequired2FAMixin`` on class-based views.
A visitor who is not logged in goes to the login page; a logged-in session of a two-factor role that
has not passed TOTP (for example after an admin reset its device) goes to the code step first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .security import second_factor_ok


def _redirect(request: HttpRequest) -> HttpResponse:
    user = request.user
    if getattr(user, "is_authenticated", False):
        return redirect_to_login(request.get_full_path(), reverse("accounts:verify"))
    return redirect_to_login(request.get_full_path(), reverse("accounts:login"))


def login_required_2fa(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if second_factor_ok(request.user):
            return view(request, *args, **kwargs)
        return _redirect(request)

    return wrapper


class LoginRequired2FAMixin:
    """Class-based views: ``class MyView(LoginRequired2FAMixin, TemplateView)``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not second_factor_ok(request.user):
            return _redirect(request)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
