"""Login in two steps (password, then the TOTP code for roles that need it), enrolment, logout.

The session only becomes a logged-in session after every required factor passed; in between it holds
the pending user for a few minutes. The session key is rotated when the password step passes and
again by ``django.contrib.auth.login``.
"""

from __future__ import annotations

import time
from base64 import b32encode
from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from k3i.core.access import can
from k3i.core.audit import Channel
from k3i.core.roles import Role

from . import actions, security
from .forms import CodeForm, LoginForm
from .models import User

PENDING_UID = "k3i_2fa_uid"
PENDING_AT = "k3i_2fa_at"
PENDING_NEXT = "k3i_2fa_next"
PENDING_SECONDS = 300  # the code must follow the password within five minutes


# The page of each role's day, opened after a login without ``next``: (URL name, permissions that page checks).
# A patrol officer works from the phone view; the desk and the chain of command follow what is open now.
LANDING: dict[str, tuple[str, tuple[str, ...]]] = {
    Role.ANGGOTA: ("ops:tugas", ("view_incident", "report_unit")),
    Role.OPERATOR: ("ops:antrian", ("view_incident",)),
    Role.KAPOLSEK: ("ops:antrian", ("view_incident",)),
    Role.KABAGOPS: ("ops:antrian", ("view_incident",)),
    Role.KAPOLRES: ("ops:antrian", ("view_incident",)),
}


def landing_url(user: Any) -> str:
    """Where ``user`` starts after logging in without ``next``: their role's page (``LANDING``) when the role
    may open it, else the Polres overview (``LOGIN_REDIRECT_URL``, also ``/`` for everyone)."""
    target = LANDING.get(getattr(user, "role", "") or "")
    if target is not None and all(can(user, perm) for perm in target[1]):
        return reverse(target[0])
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _safe_next(request: HttpRequest, url: str | None, user: Any) -> str:
    """``next`` when it stays on this site, else ``user``'s landing page."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return landing_url(user)


def _clear_pending(request: HttpRequest) -> None:
    for key in (PENDING_UID, PENDING_AT, PENDING_NEXT):
        request.session.pop(key, None)


def _has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def _pending_user(request: HttpRequest) -> User | None:
    """The user between the password and the code: from the session, or a logged-in unverified session."""
    current: Any = request.user
    if current.is_authenticated and not security.second_factor_ok(current):
        user: User | None = User.objects.filter(pk=current.pk).first()
    else:
        uid, at = request.session.get(PENDING_UID), request.session.get(PENDING_AT, 0)
        if not uid or time.time() - float(at) > PENDING_SECONDS:
            _clear_pending(request)
            return None
        user = User.objects.filter(pk=uid, is_active=True).first()
    if user is None or user.is_locked():
        _clear_pending(request)
        return None
    return user


def _complete(request: HttpRequest, user: User, device: TOTPDevice | None) -> HttpResponse:
    next_url = _safe_next(request, request.session.get(PENDING_NEXT) or request.POST.get("next")
                          or request.GET.get("next"), user)
    auth_login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])  # rotates the session key
    if device is not None:
        otp_login(request, device)
    _clear_pending(request)
    actions.login_succeeded(user, channel=Channel.WEB, second_factor=device is not None)
    return redirect(next_url)


def _back_to_login(request: HttpRequest, message: str) -> HttpResponse:
    _clear_pending(request)
    if request.user.is_authenticated:
        auth_logout(request)
    messages.error(request, message)
    return redirect("accounts:login")


def _code_step(
    request: HttpRequest, user: User, check: Callable[[str], TOTPDevice | None], reason: str
) -> tuple[CodeForm, HttpResponse | None, str]:
    """The code form of verify and enrol: (form, response, error). A right code completes the login; a
    wrong one is counted as a failed login (``reason``) and, when that locks the account, ends the attempt."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = check(form.cleaned_data["kode"])
        if device is not None:
            return form, _complete(request, user, device), ""
        if actions.login_failed(user.username, user, reason=reason, channel=Channel.WEB):
            return form, _back_to_login(request, security.locked_message()), ""
        return form, None, str(security.BAD_CODE_MESSAGE)
    return form, None, ""


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    error = ""
    if request.method == "POST" and form.is_valid():
        username, password = form.cleaned_data["username"], form.cleaned_data["password"]
        existing = User.objects.filter(username=username).first()
        locked = existing.is_locked() if existing else security.unknown_is_locked(username)
        if locked:
            actions.login_refused(username, existing, reason="akun terkunci", channel=Channel.WEB)
            error = security.locked_message()
        else:
            user = authenticate(request, username=username, password=password)
            if user is None:
                reason = "kata sandi salah"
                if existing is None:
                    reason = "nama pengguna tidak dikenal"
                elif existing.is_demo and not settings.DEMO_MODE and existing.check_password(password):
                    reason = "akun demo di luar mode demo"
                elif not existing.is_active:
                    reason = "akun tidak aktif"
                now_locked = actions.login_failed(username, existing, reason=reason, channel=Channel.WEB)
                error = security.locked_message() if now_locked else str(security.BAD_CREDENTIALS_MESSAGE)
            elif security.needs_second_factor(user):
                request.session.cycle_key()
                request.session[PENDING_UID] = user.pk
                request.session[PENDING_AT] = time.time()
                request.session[PENDING_NEXT] = _safe_next(request, next_url, user)
                return redirect("accounts:verify" if _has_device(user) else "accounts:enrol")
            else:
                return _complete(request, user, None)
    return render(request, "accounts/login.html", {
        "form": form, "error": error, "next": next_url,
        "already": request.user if security.second_factor_ok(request.user) else None,
    })


def _code_page(view: Callable[[HttpRequest, User], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """A page of the code step (verify, enrol): only for the pending user; without one, back to the login."""

    @csrf_protect
    @never_cache
    @require_http_methods(["GET", "POST"])
    @wraps(view)
    def page(request: HttpRequest) -> HttpResponse:
        user = _pending_user(request)
        if user is None:
            return _back_to_login(request, _("Sesi login berakhir. Silakan masuk lagi."))
        return view(request, user)

    return page


@_code_page
def verify_view(request: HttpRequest, user: User) -> HttpResponse:
    if not _has_device(user):
        return redirect("accounts:enrol")
    if request.method == "GET" and request.GET.get("next"):
        request.session[PENDING_NEXT] = _safe_next(request, request.GET["next"], user)
    form, done, error = _code_step(request, user, lambda kode: actions.verify_totp(user, kode),
                                   "kode verifikasi salah")
    if done is not None:
        return done
    return render(request, "accounts/verify.html", {"form": form, "error": error, "pending": user})


@_code_page
def enrol_view(request: HttpRequest, user: User) -> HttpResponse:
    if _has_device(user):
        return redirect("accounts:verify")
    form, done, error = _code_step(
        request, user, lambda kode: actions.confirm_totp_enrolment(user, kode, channel=Channel.WEB),
        "kode pendaftaran 2FA salah",
    )
    if done is not None:
        return done
    device = actions.start_totp_enrolment(user, channel=Channel.WEB)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(scale=5, border=2, title=_("Kode QR pendaftaran aplikasi autentikator"))
    return render(request, "accounts/enrol.html", {
        "form": form, "error": error, "pending": user, "qr_svg": mark_safe(svg),  # noqa: S308 - segno output
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_TOTP_ISSUER,
    })


@require_POST
@csrf_protect
def logout_view(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if user.is_authenticated:
        actions.logged_out(user, channel=Channel.WEB)
    auth_logout(request)
    messages.info(request, _("Anda telah keluar."))
    return redirect(reverse("accounts:login"))
