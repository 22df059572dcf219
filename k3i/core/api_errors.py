"""The API's error shape, documented and enforced for every answer under ``/api/v1/``.

Routes raise ``k3i.core.errors`` exceptions (turned into JSON by the handlers in ``k3i/api.py``).
What never reaches a route — an unknown path, a method the path does not take, a crash — is answered by
Django or django-ninja with HTML or plain text; ``ApiErrorMiddleware`` rewrites those into the same
``{"detail": …, "errors": [{"field": …, "message": …}]}`` body in Indonesian.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema

API_PREFIX = "/api/v1/"


class FieldError(Schema):
    field: str = Field(..., description="Nama kolom/parameter yang salah ('—' bila tidak terkait satu kolom)")
    message: str = Field(..., description="Pesan kesalahan untuk kolom itu")


class ErrorOut(Schema):
    """Bentuk galat API: pesan utama dan daftar kesalahan per kolom."""

    detail: str = Field(..., description="Pesan kesalahan (Bahasa Indonesia)")
    errors: list[FieldError] = Field(default_factory=list, description="Kesalahan per kolom")


# For ``@router.get(..., response={200: X, **ERRORS})``: documents the error answers in the OpenAPI.
READ_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
LIST_ERRORS: dict[int, type[Schema]] = {401: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

STATUS_MESSAGES = {
    400: "Permintaan tidak sah.",
    401: "Perlu autentikasi: kirim token API yang sah atau login terlebih dahulu.",
    403: "Anda tidak berwenang melakukan tindakan ini.",
    404: "Alamat API tidak dikenal.",
    405: "Metode HTTP ini tidak didukung untuk alamat ini.",
    413: "Isi permintaan terlalu besar.",
    415: "Jenis isi permintaan tidak didukung.",
    429: "Terlalu banyak permintaan; coba lagi nanti.",
    500: "Terjadi kesalahan pada server. Kejadian ini telah dicatat.",
}


def body(status: int, detail: str | None = None) -> bytes:
    msg = detail or STATUS_MESSAGES.get(status) or ("Permintaan tidak sah." if status < 500 else STATUS_MESSAGES[500])
    return json.dumps({"detail": msg, "errors": []}, ensure_ascii=False).encode()


class ApiErrorMiddleware:
    """Under /api/v1/, turn any non-JSON error answer (Django 404/400/500 pages, ninja's 405) into the
    structured JSON error. Answers a route produced itself (already JSON) pass unchanged."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(API_PREFIX)
            and not response.get("Content-Type", "").startswith("application/json")
            and not getattr(response, "streaming", False)
        ):
            response.content = body(response.status_code)
            response["Content-Type"] = "application/json; charset=utf-8"
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
