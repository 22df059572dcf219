"""Public intake pages (no login, Bahasa Indonesia, phone first): the report form ``/lapor/`` and the
tracking pages ``/lacak/`` and ``/lacak/<kode>/``.

The form is CSRF-protected and rate-limited per IP address (``k3i.core.counters``, shared by all worker
processes; setting ``K3I_PUBLIC_REPORTS_PER_HOUR``). A report goes through ``actions.create_incident`` like every other
channel; a hidden idempotency key makes a resubmitted form (reload, double tap) return the first report.
Without a map pin or a chosen kelurahan the place is looked up in the text (gazetteer) and left for the
operator to confirm. The tracking page shows status and progress only — no name, phone or report text.

Only valid UTF-8 is taken (the page is UTF-8, so is every browser's post): a form declaring another
charset is refused, and so is text holding U+FFFD, the mark of bytes that were not UTF-8 (the report
text through ``triage.validate_text``, which every channel shares; the other fields here).

An optional photo is verified and re-encoded without metadata before anything is written (``photos.prepare``)
and stored with the report in one transaction (``photos.attach_photo``); staff who may see the incident get it
from ``foto`` — it is never shown on the public pages.
"""

from __future__ import annotations

import codecs
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from shapely.geometry import mapping, shape

from k3i.accounts.decorators import login_required_2fa
from k3i.core import counters
from k3i.core.audit import Channel
from k3i.core.errors import K3iError, ValidationFailed
from k3i.organization.models import Polres, Polsek, Region, polres_for
from k3i.organization.selectors import polres_kelurahan

from . import gazetteer, photos, selectors
from .actions import MAX_NAME, MAX_TEXT, create_incident
from .models import Incident

RATE_WINDOW_SECONDS = 3600
REPLACEMENT_CHARACTER = "\ufffd"  # put by the decoder where bytes were not UTF-8 (as in triage.validate_text)


def is_utf8(charset: str | None) -> bool:
    """True for a post without a declared charset (Django then decodes UTF-8) or with UTF-8 declared."""
    if not charset:
        return True
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


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
    # accept="image/*" lets a phone offer its camera *and* the gallery (``capture`` would hide the gallery,
    # and a citizen has often taken the photo already); the server checks the real content either way.
    foto = forms.FileField(
        label=gettext_lazy("Foto kejadian (tidak wajib)"), required=False, max_length=255, allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )

    def __init__(self, *args: Any, polres: Polres, charset: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.polres = polres
        self.charset = charset  # what the post declared (``request.encoding``), None = UTF-8
        self.fields["foto"].help_text = _(
            "JPEG, PNG atau WebP, paling besar %(mb)s MB. Lokasi GPS dan data perangkat di dalam foto dihapus; "
            "foto hanya dilihat petugas, tidak tampil di halaman lacak.") % {"mb": photos.mb(photos.max_bytes())}
        rows = polres_kelurahan(polres)
        field = self.fields["kelurahan"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("— tidak tahu / pilih titik di peta —"))] + [
            (r.kode, f"{r.nama} (Kec. {r.parent.nama})" if r.parent else r.nama) for r in rows
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not is_utf8(self.charset):
            raise forms.ValidationError(_("Formulir harus dikirim dalam pengodean UTF-8. Muat ulang halaman ini "
                                          "lalu kirim laporan Anda lagi."))
        # The report text is checked by triage like every channel's (``validate_text``); the rest here.
        for name in ("alamat", "reporter_name", "reporter_phone", "kunci"):
            value = data.get(name)
            if isinstance(value, str) and REPLACEMENT_CHARACTER in value:
                self.add_error(name, _("Isian ini mengandung karakter yang tidak terbaca (bukan UTF-8 yang sah): "
                                       "ketik ulang lalu kirim lagi."))
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise forms.ValidationError(_("Titik di peta tidak lengkap: pilih ulang titiknya."))
        return data

    def clean_foto(self) -> photos.PreparedPhoto | None:
        """The photo verified and re-encoded (``photos.prepare``), or None; nothing is written here."""
        upload = self.cleaned_data.get("foto")
        if not upload:
            return None
        try:
            return photos.prepare(upload)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.detail) from exc


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "-")


def _over_limit(request: HttpRequest) -> bool:
    """Count this submission for the client's address; True when it goes over the hourly limit."""
    limit = int(getattr(settings, "K3I_PUBLIC_REPORTS_PER_HOUR", 10))
    if limit <= 0:
        return False
    # Shared by every worker process (database, or Redis with K3I_REDIS_URL); the key holds a keyed hash
    # of the address, never the address. The hour begins with the address's first report.
    return counters.hit("lapor:" + counters.digest(_client_ip(request)), RATE_WINDOW_SECONDS) > limit


_outlines: dict[int, tuple[tuple[object, ...], dict[str, Any]]] = {}


def _kelurahan_outlines(polres: Polres) -> dict[str, Any]:
    """The kelurahan of the Polres, simplified, with their names (a GeoJSON FeatureCollection), cached per
    process and rebuilt when the regions change (``gazetteer.places_version``)."""
    from .gazetteer import places_version

    fp = places_version(polres.pk)
    cached = _outlines.get(polres.pk)
    if cached is not None and cached[0] == fp:
        return cached[1]
    features = []
    for r in polres_kelurahan(polres):
        if not r.geometry:
            continue
        try:
            geom = shape(r.geometry).simplify(0.0002, preserve_topology=True)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        features.append({"type": "Feature", "geometry": mapping(geom),
                         "properties": {"nama": r.nama, "kecamatan": r.parent.nama if r.parent else ""}})
    out = {"type": "FeatureCollection", "features": features}
    _outlines[polres.pk] = (fp, out)
    return out


def public_map_data(polres: Polres) -> dict[str, Any]:
    """Polsek areas and kelurahan outlines of the Polres (simplified) for the pin map, with their names (lapor.js
    labels them and names the kelurahan a pin falls in); no personal or operational data."""
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
        "kelurahan": _kelurahan_outlines(polres),
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
        form = LaporForm(request.POST, request.FILES, polres=polres, charset=request.encoding)
        if _over_limit(request):
            error = _("Terlalu banyak laporan dari alamat internet Anda dalam satu jam. Coba lagi nanti. "
                      "Untuk keadaan darurat, hubungi 110 sekarang.")
            form = LaporForm(request.POST, polres=polres, charset=request.encoding)  # the photo not decoded
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
                incident = _save_report(
                    d["foto"], polres=polres, channel=Incident.Channel.WEB, text=d["text"], lat=d["lat"],
                    lon=d["lon"], kelurahan=kelurahan, alamat=alamat, location_confirmed=confirmed,
                    reporter_name=d["reporter_name"], reporter_phone=d["reporter_phone"],
                    idempotency_key=d["kunci"] or None, audit_channel=Channel.WEB,
                )
            except K3iError as exc:
                errors = exc.errors or [{"field": "", "message": exc.detail}]
                if any(e.get("field") == "idempotency_key" for e in errors):
                    # Sent before (the answer was lost), changed since: the first report stands; a fresh key lets
                    # the reporter send the changed one as a new report.
                    errors = [{"field": "", "message": _(
                        "Laporan dari formulir ini sudah pernah terkirim dan tercatat; perubahan Anda belum "
                        "tercatat. Kirim lagi untuk membuat laporan baru.")}]
                    data = request.POST.copy()
                    data["kunci"] = uuid.uuid4().hex
                    form.data = data
                for e in errors:
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
    # A browser never keeps a chosen file across a reload: say so when a good photo must be chosen again.
    reselect_photo = status == 422 and bool(request.FILES.get("foto")) and "foto" not in form.errors
    return render(request, "incidents/lapor.html", {
        "form": form, "polres": polres, "error": error, "map_data": public_map_data(polres),
        "reselect_photo": reselect_photo,
    }, status=status)


def _save_report(photo: photos.PreparedPhoto | None, **report: Any) -> Incident:
    """``create_incident`` and, with a photo, ``photos.attach_photo`` in one transaction: the report and its
    photo are kept together or not at all (the photo file is removed when the transaction does not commit).
    A resubmitted form (same key) returns the first report and attaches nothing again."""
    if photo is None:
        incident, _created = create_incident(None, **report)
        return incident
    with photos.kept_only_if_committed(), transaction.atomic():
        incident, created = create_incident(None, **report)
        if created:
            photos.attach_photo(None, incident, photo, channel=Channel.WEB)
    return incident


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


@login_required_2fa
@require_GET
def foto(request: HttpRequest, incident_id: int, pk: int) -> HttpResponse:
    """A report photo for staff who may see the incident (``restrict``); 404 for anyone else, never cached
    (``photos.serve``)."""
    response = photos.serve(request.user, incident_id, pk)
    if response is None:
        raise Http404("Foto tidak ditemukan.")
    return response
