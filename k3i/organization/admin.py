"""Master data of the KOD in the Django admin (Bahasa Indonesia), every write audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from k3i.core.admin import AuditedAdmin, ReadOnlyAdminMixin

from .models import BhabinCoverage, Fungsi, Personel, Polres, Polsek, Polsubsektor, Pospol, Region


def geometry_summary(geometry: Any) -> str:
    """'Polygon, 1 bagian, 128 titik, batas 110.40–110.42 BT, 7.00–6.96 LS' (never the raw coordinates)."""
    if not geometry:
        return "— (belum ada batas)"
    kind = geometry.get("type", "?") if isinstance(geometry, dict) else "?"
    coords = geometry.get("coordinates", []) if isinstance(geometry, dict) else []
    polygons = coords if kind == "MultiPolygon" else [coords] if kind == "Polygon" else []
    points = [pt for poly in polygons for ring in poly for pt in ring]
    if not points:
        return f"{kind} (tanpa koordinat)"
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    return (f"{kind}, {len(polygons)} bagian, {len(points)} titik; bujur {min(lons):.4f}–{max(lons):.4f}, "
            f"lintang {min(lats):.4f}–{max(lats):.4f}")


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ("kode", "nama", "level", "tipe", "parent", "schematic")
    list_filter = ("level", "schematic")
    search_fields = ("kode", "nama")
    autocomplete_fields = ("parent",)
    exclude = ("geometry",)
    readonly_fields = ("ringkasan_batas", "updated_at")
    audit_skip = ("geometry",)
    list_per_page = 50

    @admin.display(description=_("batas (ringkasan)"))
    def ringkasan_batas(self, obj: Region) -> str:
        return geometry_summary(obj.geometry)

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        # the code is the primary key: fixed once the region exists (boundaries come from `k3i regions import`)
        return (*self.readonly_fields, "kode") if obj else self.readonly_fields


@admin.register(Fungsi)
class FungsiAdmin(AuditedAdmin):
    list_display = ("singkatan", "nama", "kode", "jenis")
    list_filter = ("jenis",)
    search_fields = ("kode", "nama", "singkatan")


@admin.register(Polres)
class PolresAdmin(AuditedAdmin):
    list_display = ("nama", "kode", "tipe", "polda", "wilayah", "is_demo")
    list_filter = ("tipe", "is_demo")
    search_fields = ("nama", "kode")
    autocomplete_fields = ("wilayah",)


class PospolInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Listed on the Polsek's page; added and changed on the Pospol's own page, where the write is audited."""

    model = Pospol
    extra = 0
    fields = ("nama", "kelurahan", "lat", "lon")
    autocomplete_fields = ("kelurahan",)
    show_change_link = True


@admin.register(Polsek)
class PolsekAdmin(AuditedAdmin):
    list_display = ("nama", "polres", "tipe", "berwenang_penyidikan", "kecamatan", "telepon")
    list_filter = ("polres", "tipe", "berwenang_penyidikan")
    search_fields = ("nama", "kecamatan__nama", "kecamatan__kode")
    autocomplete_fields = ("kecamatan",)
    inlines = (PospolInline,)


@admin.register(Polsubsektor)
class PolsubsektorAdmin(AuditedAdmin):
    list_display = ("nama", "polsek")
    list_filter = ("polsek",)
    search_fields = ("nama",)
    autocomplete_fields = ("polsek", "kelurahan")


@admin.register(Pospol)
class PospolAdmin(AuditedAdmin):
    list_display = ("nama", "polsek", "kelurahan", "lat", "lon")
    list_filter = ("polsek",)
    search_fields = ("nama", "kelurahan__nama")
    autocomplete_fields = ("polsek", "kelurahan")


@admin.register(Personel)
class PersonelAdmin(AuditedAdmin):
    list_display = ("nrp", "nama", "pangkat", "jabatan", "polsek", "fungsi", "aktif")
    list_filter = ("aktif", "pangkat", "fungsi", "polsek")
    search_fields = ("nrp", "nama", "jabatan")
    autocomplete_fields = ("polsek", "fungsi")
    list_per_page = 50


@admin.register(BhabinCoverage)
class BhabinCoverageAdmin(AuditedAdmin):
    list_display = ("kelurahan", "personel", "sejak")
    search_fields = ("kelurahan__nama", "kelurahan__kode", "personel__nama", "personel__nrp")
    autocomplete_fields = ("personel", "kelurahan")
