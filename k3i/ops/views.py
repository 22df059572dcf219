"""The operations pages: the Polres at a glance, the Polsek list and a page per Polsek.

Thin views: read through ``k3i.organization.selectors`` (always ``restrict``-ed), render. A Polsek outside
the user's scope is a 404.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from k3i.accounts.decorators import login_required_2fa as login_required
from k3i.organization import selectors
from k3i.organization.models import PANGKAT_ORDER


def map_labels() -> dict[str, str]:
    """Texts the map script shows (translated here; the script has no catalogue of its own)."""
    return {
        "polsek_areas": _("Wilayah Polsek"),
        "kelurahan": _("Batas kelurahan"),
        "gaps": _("Celah Bhabinkamtibmas"),
        "pospol": _("Pospol"),
        "units": _("Pangkalan unit patroli"),
        "bhabin": _("Bhabinkamtibmas"),
        "no_bhabin": _("belum ada Bhabinkamtibmas"),
        "kelurahan_count": _("kelurahan"),
        "gap_count": _("celah"),
        "open_polsek": _("Buka halaman Polsek"),
        "units_here": _("unit berpangkalan di sini"),
        "no_boundaries": _("Belum ada batas wilayah yang dapat digambar."),
        "type": _("Tipe"),
    }


def _map_context(request: HttpRequest, polsek_id: int | None = None) -> dict[str, Any]:
    data = selectors.jurisdiction_geojson(request.user, polsek_id)
    data["labels"] = map_labels()
    return {"map_data": data}


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    tree = selectors.org_tree(request.user)
    ctx = {
        "tree": tree,
        "gaps": [r for r in tree.rows if r.gap],
        "see_personel": selectors.may_view_personel(request.user),
        **_map_context(request),
    }
    return render(request, "ops/overview.html", ctx)


@login_required
def polsek_list(request: HttpRequest) -> HttpResponse:
    tree = selectors.org_tree(request.user)
    return render(
        request,
        "ops/polsek_list.html",
        {"tree": tree, "see_personel": selectors.may_view_personel(request.user)},
    )


@login_required
def polsek_detail(request: HttpRequest, polsek_id: int) -> HttpResponse:
    user = request.user
    ps = selectors.get_polsek(user, polsek_id)
    rows = selectors.kelurahan_coverage(user, [ps.id])
    see_personel = selectors.may_view_personel(user)
    personel = []
    if see_personel:
        personel = sorted(
            selectors.visible_personel(user).filter(polsek=ps),
            key=lambda p: (-PANGKAT_ORDER.get(p.pangkat, 0), p.nama),
        )
    ctx = {
        "polsek": ps,
        "rows": rows,
        "stats": selectors.coverage_stats(rows),
        "see_personel": see_personel,
        "personel": personel,
        "units": list(selectors.visible_units(user).filter(polsek=ps)),
        "pospol": list(selectors.visible_pospol(user, [ps.id])),
        "polsubsektor": list(selectors.visible_polsubsektor(user, [ps.id]).prefetch_related("kelurahan")),
        **_map_context(request, ps.id),
    }
    return render(request, "ops/polsek_detail.html", ctx)
