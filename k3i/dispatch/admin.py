"""Patrol units in the Django admin, every write audited."""

from __future__ import annotations

from django.contrib import admin

from k3i.core.admin import AuditedAdmin

from .models import PatrolUnit


@admin.register(PatrolUnit)
class PatrolUnitAdmin(AuditedAdmin):
    list_display = ("callsign", "tipe", "polres", "polsek", "fungsi", "aktif")
    list_filter = ("aktif", "tipe", "polsek", "fungsi")
    search_fields = ("callsign",)
    autocomplete_fields = ("polsek", "fungsi")
