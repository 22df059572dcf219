"""Public intake pages (no login, Bahasa Indonesia, phone first): the report form ``/lapor/`` and the
tracking pages ``/lacak/`` and ``/lacak/<kode>/``.

The form is CSRF-protected and rate-limited per IP address (Django cache; setting
``K3I_PUBLIC_REPORTS_PER_HOUR``). A report goes through ``actions.create_incident`` like every other
channel; a hidden idempotency key makes a resubmitted form (reload, double tap) return the first report.
Without a map pin or a chosen kelurahan the place is looked up in the text (gazetteer) and left for the
operator to confirm. The tracking page shows status and progress only — no name, phone or report text.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from shapely.geometry import mapping, shape

from k3i.core.audit import Channel
from k3i.core.errors import K3iError
from k3i.organization.models import Polres, Polsek, Region, polres_for
from k3i.organization.selectors import polres_kelurahan

from . import gazetteer, selectors
from .actions import MAX_NAME, MAX_TEXT, create_incident
from .models import Incident

RATE_WINDOW_SECONDS = 3600


class LaporForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Apa yang terjadi?"), max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": gettext_lazy(
            "Ceritakan singkat: apa yang terjadi, kapan, apakah ada korban atau pelaku masih di lokasi.")}),
    )
    kelurahan = forms.ChoiceField(
        label=gettext_lazy("Kelurahan"), required=False,
        help_text=gettext_lazy("Pilih bila tidak menandai titik di peta."),
    )
    alamat = forms.CharField(label=gettext_lazy("Alamat atau patokan"), max_length=300, required=False)
    reporter_name = forms.CharField(label=gettext_lazy("Nama Anda (tidak wajib)"), max_length=MAX_NAME,
                                    required=False)
    reporter_phone = forms.CharField(
        label=gettext_lazy("Nomor telepon / WhatsApp (tidak wajib)"), max_length=30, required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text=gettext_lazy("Agar petugas dapat menghubungi Anda. Hanya petugas berwenang yang dapat melihatnya."),
    )
    lat = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    kunci = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)

    def __init__(self, *args: Any, polres: Polres, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.polres = polres
        rows = polres_kelurahan(polres)
        field = self.fields["kelurahan"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— tidak tahu / pilih titik di peta —"))] + [
            (r.kode, f"{r.nama} (Kec. {r.parent.nama})" if r.parent else r.nama) for r in rows
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise forms.ValidationError(_("Titik di peta tidak lengkap: pilih ulang titiknya."))
        return data


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "-")


def _over_limit(request: HttpRequest) -> bool:
    """Count this submission for the client's address; True when it goes over the hourly limit."""
    limit = int(getattr(settings, "K3I_PUBLIC_REPORTS_PER_HOUR", 10))
    if limit <= 0:
        return False
    key = f"k3i:lapor:{_client_ip(request)}:{int(time.time() // RATE_WINDOW_SECONDS)}"
    cache.add(key, 0, RATE_WINDOW_SECONDS + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS + 60)
        count = 1
    return count > limit


def public_map_data(polres: Polres) -> dict[str, Any]:
    """Polsek areas of the Polres (simplified) for the pin map; no personal or operational data."""
    features = []
    for ps in Polsek.objects.filter(polres=polres).select_related("kecamatan").order_by("nama"):
        geometry = ps.kecamatan.geometry
        if not geometry:
            continue
        try:
            geom = shape(geometry).simplify(0.0002, preserve_topology=True)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        features.append({"type": "Feature", "geometry": mapping(geom),
                         "properties": {"nama": ps.nama, "kecamatan": ps.kecamatan.nama}})
    return {
        "areas": {"type": "FeatureCollection", "features": features},
        "center": [polres.lat, polres.lon] if polres.lat is not None and polres.lon is not None else None,
        "labels": {"here": _("Lokasi kejadian"), "outside": _("Titik ini di luar wilayah hukum."),
                   "locating": _("Mencari lokasi Anda…"), "no_gps": _("Lokasi perangkat tidak tersedia.")},
    }


@never_cache
def lapor(request: HttpRequest) -> HttpResponse:
    polres = polres_for()
    if polres is None:
        return render(request, "incidents/lapor.html", {"no_polres": True}, status=503)
    status = 200
    error = ""
    if request.method == "POST":
        form = LaporForm(request.POST, polres=polres)
        if _over_limit(request):
            error = _("Terlalu banyak laporan dari alamat internet Anda dalam satu jam. Coba lagi nanti. "
                      "Untuk keadaan darurat, hubungi 110 sekarang.")
            status = 429
        elif form.is_valid():
            d = form.cleaned_data
            kelurahan = None
            confirmed = True
            alamat = d["alamat"]
            if d["lat"] is None and d["kelurahan"]:
                kelurahan = Region.objects.filter(pk=d["kelurahan"]).first()
            elif d["lat"] is None:
                # No pin, no kelurahan: look for the place in what they wrote; the operator confirms.
                match = gazetteer.find_places(f"{d['alamat']}\n{d['text']}", polres)
                kelurahan, confirmed = match.kelurahan, False
                alamat = alamat or match.alamat()
            try:
                incident, _created = create_incident(
                    None, polres=polres, channel=Incident.Channel.WEB, text=d["text"], lat=d["lat"], lon=d["lon"],
                    kelurahan=kelurahan, alamat=alamat, location_confirmed=confirmed,
                    reporter_name=d["reporter_name"], reporter_phone=d["reporter_phone"],
                    idempotency_key=d["kunci"] or None, audit_channel=Channel.WEB,
                )
            except K3iError as exc:
                for e in exc.errors or [{"field": "", "message": exc.detail}]:
                    field = e.get("field", "")
                    form.add_error(field if field in form.fields and field not in ("lat", "lon") else None,
                                   e["message"])
                status = 422
            else:
                return render(request, "incidents/lapor_terima.html", {"incident": incident}, status=201)
        else:
            status = 422
    else:
        form = LaporForm(polres=polres, initial={"kunci": uuid.uuid4().hex})
    return render(request, "incidents/lapor.html", {
        "form": form, "polres": polres, "error": error, "map_data": public_map_data(polres),
    }, status=status)


@never_cache
def lacak(request: HttpRequest) -> HttpResponse:
    error = ""
    kode = request.GET.get("kode")
    if kode is not None:
        clean = selectors.normalise_code(kode)
        if clean:
            return redirect("incidents:lacak_detail", code=clean)
        error = _("Kode lacak terdiri dari 10 huruf dan angka, seperti tercantum pada bukti laporan Anda.")
    return render(request, "incidents/lacak.html", {"error": error, "kode": kode or ""},
                  status=422 if error else 200)


@never_cache
def lacak_detail(request: HttpRequest, code: str) -> HttpResponse:
    incident = selectors.by_tracking_code(code)
    if incident is None:
        return render(request, "incidents/lacak.html", {
            "not_found": True, "kode": code[:40],
        }, status=404)
    shown = incident.duplicate_of if incident.duplicate_of_id else incident
    return render(request, "incidents/lacak_detail.html", {
        "view": selectors.public_view(incident), "open": shown is not None and shown.is_open,
    })
