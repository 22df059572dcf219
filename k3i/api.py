"""The HTTP API under /api/v1/ (django-ninja). Routers live in each app's ``api*.py``.

Errors are always ``{"detail": "...", "errors": [{"field": "...", "message": "..."}]}`` in Indonesian.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from k3i.accounts.auth import api_auth
from k3i.core.errors import K3iError

api = NinjaAPI(
    title="K3i API",
    version="1",
    description="API K3i: wilayah, organisasi Polres (KOD), personel, unit patroli. "
    "Autentikasi: header `Authorization: Bearer <token>` (buat dengan `k3i token create USERNAME`) "
    "atau sesi login.",
    urls_namespace="api",
    docs_url="/docs",
    auth=api_auth,
)

_MESSAGES = {
    "missing": "wajib diisi",
    "float_parsing": "harus berupa angka",
    "int_parsing": "harus berupa bilangan bulat",
    "bool_parsing": "harus benar/salah",
    "string_too_long": "terlalu panjang",
    "string_too_short": "terlalu pendek",
    "greater_than_equal": "terlalu kecil",
    "less_than_equal": "terlalu besar",
    "json_invalid": "JSON tidak sah",
    "literal_error": "nilai tidak dikenal",
    "enum": "nilai tidak dikenal",
    "string_type": "harus berupa teks",
    "model_attributes_type": "bentuk data tidak sah",
    "extra_forbidden": "kolom tidak dikenal atau tidak boleh diubah",
    "string_pattern_mismatch": "bentuk teks tidak sah",
    "finite_number": "harus berupa angka terhingga",
    "int_from_float": "harus berupa bilangan bulat",
    "bool_type": "harus benar/salah (true/false)",
    "float_type": "harus berupa angka",
    "int_type": "harus berupa bilangan bulat",
    "model_type": "harus berupa objek JSON",
    "dict_type": "harus berupa objek JSON",
    "list_type": "harus berupa daftar",
}

# django-ninja's own English messages, in Indonesian (an HttpError raised inside ninja).
_NINJA_MESSAGES = {
    "Cannot parse request body": ("body", "Isi permintaan bukan JSON yang sah."),
    "CSRF check Failed": ("", "Pemeriksaan CSRF gagal: muat ulang halaman lalu coba lagi."),
    "Too many requests.": ("", "Terlalu banyak permintaan; coba lagi nanti."),
}


def _error(request: HttpRequest, status: int, detail: str, errors: list[dict[str, str]] | None = None) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors = []
    for err in exc.errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "payload")]
        field = ".".join(loc) or "—"
        errors.append({"field": field, "message": _MESSAGES.get(err.get("type", ""), "nilai tidak sah")})
    return _error(request, 422, "Data yang dikirim tidak sah.", errors)


@api.exception_handler(K3iError)
def _k3i_error(request: HttpRequest, exc: K3iError) -> HttpResponse:
    return _error(request, exc.status, exc.detail, exc.errors)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Any) -> HttpResponse:
    return _error(request, 404, "Data tidak ditemukan.")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
    return _error(request, 401, "Perlu autentikasi: kirim token API yang sah atau login terlebih dahulu.")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    for english, (field, message) in _NINJA_MESSAGES.items():
        if str(exc).startswith(english):
            return _error(request, exc.status_code, message, [{"field": field, "message": message}] if field else [])
    return _error(request, exc.status_code, str(exc))


def _register() -> None:
    from k3i.accounts.api import router as accounts_router
    from k3i.core.api import router as core_router
    from k3i.dispatch.api import router as dispatch_router
    from k3i.incidents.api import router as incidents_router
    from k3i.incidents.api_reports import router as reports_router
    from k3i.organization.api import router as org_router
    from k3i.organization.api_regions import router as regions_router

    api.add_router("/regions", regions_router)
    api.add_router("/", org_router)
    api.add_router("/", dispatch_router)
    api.add_router("/", core_router)
    api.add_router("/", accounts_router)
    api.add_router("/", incidents_router)
    api.add_router("/", reports_router)


_register()
