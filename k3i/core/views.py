"""The audit ledger page for Siwas/Propam: search, seal status, integrity check.

Only roles with ``view_audit`` (Propam/Siwas, Kapolres) see it; for anyone else it does not exist (404).
Every search (each page of results) and every integrity check is itself written to the ledger.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from k3i.accounts.decorators import login_required_2fa

from . import audit
from .access import can
from .errors import ValidationFailed
from .models import AuditEntry

PER_PAGE = 50


class LedgerSearchForm(forms.Form):
    pengguna = forms.CharField(label=gettext_lazy("Pengguna"), required=False, max_length=150)
    aksi = forms.CharField(label=gettext_lazy("Aksi (awalan, mis. unit. atau pengguna.dibuat)"), required=False,
                           max_length=80)
    jenis_objek = forms.CharField(label=gettext_lazy("Jenis objek (mis. dispatch.patrolunit)"), required=False,
                                  max_length=80)
    id_objek = forms.CharField(label=gettext_lazy("ID objek"), required=False, max_length=64)
    kanal = forms.ChoiceField(
        label=gettext_lazy("Kanal"), required=False,
        choices=[("", gettext_lazy("semua"))] + [(c, c) for c in audit.Channel.ALL],
    )
    dari = forms.DateField(label=gettext_lazy("Dari tanggal (WIB)"), required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))
    sampai = forms.DateField(label=gettext_lazy("Sampai tanggal (WIB)"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}))
    teks = forms.CharField(label=gettext_lazy("Teks pada keterangan objek"), required=False, max_length=200)

    def filters(self) -> audit.Filters:
        """The validated filters; a rule broken across fields becomes an error on that field."""
        d = self.cleaned_data
        try:
            return audit.Filters(
                pengguna=d.get("pengguna") or "", aksi=d.get("aksi") or "", jenis_objek=d.get("jenis_objek") or "",
                id_objek=d.get("id_objek") or "", kanal=d.get("kanal") or "", dari=d.get("dari"),
                sampai=d.get("sampai"), teks=d.get("teks") or "",
            )
        except ValidationFailed as exc:
            for err in exc.errors:
                self.add_error(err["field"] if err["field"] in self.fields else None, err["message"])
            raise


def _row(e: AuditEntry) -> dict[str, Any]:
    """An entry for the table: its changes as compact JSON, with the full text when it is long."""
    if not e.changes:
        return {"entry": e, "short": "", "full": ""}
    compact = json.dumps(e.changes, ensure_ascii=False, separators=(", ", ": "), sort_keys=True)
    if len(compact) <= 120:
        return {"entry": e, "short": compact, "full": ""}
    return {"entry": e, "short": compact[:100] + " …",
            "full": json.dumps(e.changes, ensure_ascii=False, indent=2, sort_keys=True)}


def _allowed(request: HttpRequest) -> None:
    if not can(request.user, "view_audit"):
        raise Http404


@require_GET
@login_required_2fa
def ledger(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = LedgerSearchForm(request.GET or None)
    filters: audit.Filters | None = None
    if not request.GET:
        filters = audit.Filters()
    elif form.is_valid():
        try:
            filters = form.filters()
        except ValidationFailed:
            filters = None
    context: dict[str, Any] = {"form": form, "status": audit.status()}
    if filters is not None:
        paginator = Paginator(audit.search(request.user, filters), PER_PAGE)
        page = paginator.get_page(request.GET.get("halaman"))
        rows = [_row(e) for e in page.object_list]  # read before this search is itself recorded
        audit.record_search(request.user, filters, channel=audit.Channel.WEB, found=paginator.count,
                            page=page.number)
        query = request.GET.copy()
        query.pop("halaman", None)
        context.update(page=page, rows=rows, query=query.urlencode(), filters=filters.as_dict())
    return render(request, "core/ledger.html", context)


@require_POST
@login_required_2fa
def ledger_check(request: HttpRequest) -> HttpResponse:
    """"Periksa keutuhan": run the whole verification, show the answer on the ledger page."""
    _allowed(request)
    checked, problem = audit.check(request.user, channel=audit.Channel.WEB)
    if problem is None:
        messages.success(request, _("Buku audit utuh: %(n)s entri diperiksa, rantai hash cocok.") % {"n": checked})
    else:
        messages.error(request, _("BUKU AUDIT RUSAK — %(problem)s (%(n)s entri diperiksa sampai masalah pertama).")
                       % {"problem": problem, "n": checked})
    home = reverse("core:ledger")
    target = request.POST.get("next", "")
    if not target.startswith(home) or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = home
    return HttpResponseRedirect(target)
