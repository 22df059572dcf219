"""The Django admin of K3i: only for role admin sistem, and only after the second factor.

Installed as the default admin site through ``k3i.accounts.admin_apps.K3iAdminConfig`` (in ``INSTALLED_APPS`` in place of
``django.contrib.admin``), so ``admin.site`` and ``@admin.register`` everywhere use it. Login and logout
go through the K3i login (password, TOTP, lock-out, audit).
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from k3i.core.access import can

from .security import second_factor_ok


class K3iAdminSite(AdminSite):
    site_header = _("K3i — Administrasi data induk")
    site_title = _("K3i admin")
    index_title = _("Data induk Polres")
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        user: Any = request.user
        return bool(user.is_active and can(user, "manage_master") and second_factor_ok(user))

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        user: Any = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url, reverse("accounts:login"))
        if not second_factor_ok(user):
            return redirect_to_login(next_url, reverse("accounts:verify"))
        if self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        return render(request, "accounts/admin_denied.html", status=403)

    def logout(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        from .views import logout_view

        return logout_view(request)
