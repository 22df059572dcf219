"""Admin building blocks: ``AuditedAdmin`` for master data, ``ReadOnlyAdminMixin``, the read-only ledger.

Every admin write (add, change, delete, bulk delete) runs in one transaction with a ledger entry naming
the changed fields (channel "web"). Only role admin sistem may use the admin at all
(``k3i.accounts.admin_site``); the permission checks below say the same per model.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.db import models, transaction
from django.db.models.query import QuerySet
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils.html import format_html

from .access import can
from .audit import Channel, record
from .models import AuditEntry

REDACTED = "(disembunyikan)"


def plain(value: Any) -> Any:
    """A JSON-friendly value for the ledger: objects by primary key, collections as sorted lists."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, QuerySet | list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class ReadOnlyAdminMixin:
    """No add, change or delete in the admin (for a ModelAdmin or an inline): the rows are written elsewhere."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(admin.ModelAdmin):
    """ModelAdmin for master data: role admin only, writes audited in their transaction."""

    #: fields whose values never go into the ledger (only the fact that they changed)
    audit_redact: tuple[str, ...] = ("password",)
    #: fields left out of the deletion snapshot (large or irrelevant)
    audit_skip: tuple[str, ...] = ()

    def _allowed(self, request: HttpRequest) -> bool:
        return can(request.user, "manage_master")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request)

    # --- audit ---------------------------------------------------------------------------------------

    def _action(self, verb: str) -> str:
        return f"admin.{self.model._meta.model_name}.{verb}"

    def _value(self, field: str, value: Any) -> Any:
        return REDACTED if field in self.audit_redact else plain(value)

    def _polres(self, request: HttpRequest, obj: Any) -> int | None:
        if getattr(obj, "polres_id", None):
            return int(obj.polres_id)
        for related in ("polsek", "personel"):
            value = getattr(getattr(obj, related, None), "polres_id", None)
            if value:
                return int(value)
        return getattr(request.user, "polres_id", None)

    def form_changes(self, form: Any, change: bool) -> dict[str, list[Any]]:
        return {
            f: [self._value(f, form.initial.get(f)) if change else None, self._value(f, form.cleaned_data.get(f))]
            for f in form.changed_data
        }

    def snapshot(self, obj: Any) -> dict[str, Any]:
        data = model_to_dict(obj)
        return {k: self._value(k, v) for k, v in data.items() if k not in self.audit_skip}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            changes = self.form_changes(form, change)
            super().save_model(request, obj, form, change)
            record(request.user, self._action("diubah" if change else "dibuat"), obj, channel=Channel.WEB,
                   changes=changes, polres_id=self._polres(request, obj))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        with transaction.atomic():
            record(request.user, self._action("dihapus"), obj, channel=Channel.WEB,
                   changes={"data": self.snapshot(obj)}, polres_id=self._polres(request, obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        with transaction.atomic():
            for obj in queryset:
                record(request.user, self._action("dihapus"), obj, channel=Channel.WEB,
                       changes={"data": self.snapshot(obj)}, polres_id=self._polres(request, obj))
            super().delete_queryset(request, queryset)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger, read-only for everyone (append-only: no add, change or delete, not even for admins)."""

    list_display = ("created_at", "seq", "actor_username", "actor_role", "action", "object_type", "object_id",
                    "channel")
    list_filter = ("channel", "actor_role")
    search_fields = ("actor_username", "action", "object_type", "object_id", "object_repr")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    actions = None
    fields = ("created_at", "actor_username", "actor_role", "actor_id", "action", "object_type", "object_id",
              "object_repr", "perubahan", "channel", "polres_id", "seq", "sealed_at", "content_hash",
              "prev_hash", "chain_hash")
    readonly_fields = fields

    @admin.display(description="perubahan")
    def perubahan(self, obj: AuditEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.changes, ensure_ascii=False, indent=2))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request.user, "manage_master") or can(request.user, "view_audit")
