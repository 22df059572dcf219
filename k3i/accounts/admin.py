"""Users and API tokens in the Django admin. Password hashes are never shown (Django's summary only);
token values are never stored, so never shown."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from k3i.core.access import can
from k3i.core.admin import AuditedAdmin, ReadOnlyAdminMixin
from k3i.core.audit import Channel, record
from k3i.core.errors import K3iError
from k3i.core.roles import Role

from . import actions
from .models import ApiToken, User

for model in (Group, TOTPDevice):  # groups are not used (roles are); 2FA is reset from the user page
    try:
        admin.site.unregister(model)
    except NotRegistered:
        pass


class ScopeChecks:
    """The territorial scope must be complete for the chosen lingkup (same rules as ``create_user``)."""

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean()  # type: ignore[misc]
        lingkup = data.get("lingkup")
        if lingkup == User.Lingkup.POLSEK and not data.get("scope_polsek"):
            self.add_error("scope_polsek", _("Lingkup Polsek memerlukan Polsek."))  # type: ignore[attr-defined]
        if lingkup == User.Lingkup.KELURAHAN and "scope_kelurahan" in data and not data.get("scope_kelurahan"):
            self.add_error("scope_kelurahan",  # type: ignore[attr-defined]
                           _("Lingkup kelurahan memerlukan minimal satu kelurahan."))
        return data


class K3iUserChangeForm(ScopeChecks, UserChangeForm):  # type: ignore[misc]
    pass


class K3iUserCreationForm(ScopeChecks, AdminUserCreationForm):  # type: ignore[misc]
    pass


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):  # type: ignore[misc]
    form = K3iUserChangeForm
    add_form = K3iUserCreationForm
    list_display = ("username", "get_full_name", "role", "lingkup", "scope_polsek", "is_active", "is_demo",
                    "terkunci", "status_2fa")
    list_filter = ("role", "lingkup", "is_active", "is_demo")
    search_fields = ("username", "first_name", "last_name", "personel__nrp", "personel__nama")
    ordering = ("username",)
    filter_horizontal = ()
    autocomplete_fields = ("polres", "scope_polsek", "scope_kelurahan", "scope_fungsi", "personel")
    readonly_fields = ("failed_logins", "locked_until", "status_2fa", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Data diri"), {"fields": ("first_name", "last_name", "email", "personel")}),
        (_("Peran dan lingkup"), {"fields": ("role", "polres", "lingkup", "scope_polsek", "scope_kelurahan",
                                             "scope_fungsi")}),
        (_("Status"), {"fields": ("is_active", "is_demo", "status_2fa", "failed_logins", "locked_until")}),
        (_("Tanggal"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (_("Peran dan lingkup"), {"fields": ("role", "polres", "lingkup", "scope_polsek", "scope_kelurahan",
                                             "scope_fungsi")}),
    )
    actions = ("buka_kunci", "atur_ulang_2fa")

    @admin.display(description=_("terkunci"), boolean=True)
    def terkunci(self, obj: User) -> bool:
        return obj.is_locked()

    @admin.display(description=_("verifikasi dua langkah"))
    def status_2fa(self, obj: User) -> str:
        if TOTPDevice.objects.filter(user=obj, confirmed=True).exists():
            return str(_("terdaftar"))
        return str(_("belum terdaftar (didaftarkan saat login berikutnya)"))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        obj.is_staff = obj.role == Role.ADMIN  # the admin is for role admin sistem only
        super().save_model(request, obj, form, change)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            done = (request.method == "POST" and response.status_code == 302
                    and response.get("Location") != request.get_full_path())
            if done:
                user = self.get_object(request, unquote(id))
                record(request.user, "admin.user.sandi_diubah", user, channel=Channel.WEB,
                       changes={"password": "(diubah)"}, polres_id=getattr(user, "polres_id", None))
            return response

    @admin.action(description=_("Buka kunci akun terpilih"))
    def buka_kunci(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            actions.unlock_user(request.user, user, channel=Channel.WEB)
        messages.success(request, _("Kunci akun dibuka."))

    @admin.action(description=_("Atur ulang verifikasi dua langkah (ponsel hilang/diganti)"))
    def atur_ulang_2fa(self, request: HttpRequest, queryset: Any) -> None:
        for user in queryset:
            actions.reset_two_factor(request.user, user, channel=Channel.WEB)
        messages.success(request, _("Verifikasi dua langkah diatur ulang: pengguna mendaftar lagi saat login."))


class TokenStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: Any, model_admin: Any) -> Any:
        return (("aktif", _("aktif")), ("kedaluwarsa", _("kedaluwarsa")), ("dicabut", _("dicabut")))

    def queryset(self, request: Any, queryset: Any) -> Any:
        now = timezone.now()
        if self.value() == "aktif":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "kedaluwarsa":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "dicabut":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: tokens are made with `k3i token create`; the raw value exists only at creation."""

    list_display = ("prefix", "user", "name", "cakupan", "status", "created_at", "expires_at", "last_used_at")
    list_filter = (TokenStatusFilter, "cakupan")
    search_fields = ("prefix", "user__username", "name")
    fields = ("prefix", "user", "name", "cakupan", "status", "created_at", "expires_at", "revoked_at",
              "last_used_at")
    readonly_fields = fields
    actions = ("cabut",)

    @admin.display(description=_("status"))
    def status(self, obj: ApiToken) -> str:
        if obj.revoked_at:
            return str(_("dicabut"))
        return str(_("aktif")) if obj.expires_at > timezone.now() else str(_("kedaluwarsa"))

    @admin.action(description=_("Cabut token terpilih"), permissions=["revoke"])
    def cabut(self, request: HttpRequest, queryset: Any) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            try:
                actions.revoke_token(request.user, token, channel=Channel.WEB)
                done += 1
            except K3iError as exc:
                messages.error(request, exc.detail)
        messages.success(request, _("%(n)d token dicabut.") % {"n": done})

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "manage_tokens")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request.user, "manage_master")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "manage_master")
