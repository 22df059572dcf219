"""``/api/v1/me``: who am I (role, territory, function), and my own API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from k3i.core.access import scope_for
from k3i.core.audit import Channel
from k3i.core.errors import NotFound

from . import actions
from .models import ApiToken

router = Router(tags=["akun"])


class PolresOut(Schema):
    id: int
    kode: str
    nama: str


class ScopeOut(Schema):
    seluruh_polres: bool
    polsek: list[int] | None
    kelurahan: list[str] | None
    fungsi: list[int] | None


class TokenOut(Schema):
    prefix: str
    nama: str
    cakupan: str
    dibuat: datetime
    berlaku_sampai: datetime
    dicabut: datetime | None
    terakhir_dipakai: datetime | None


class MeOut(Schema):
    username: str
    nama: str
    role: str
    role_label: str
    lingkup: str
    polres: PolresOut | None
    scope: ScopeOut
    autentikasi: str
    token: TokenOut | None


def _token(t: ApiToken) -> dict[str, Any]:
    return {"prefix": t.prefix, "nama": t.name, "cakupan": t.cakupan, "dibuat": t.created_at,
            "berlaku_sampai": t.expires_at, "dicabut": t.revoked_at, "terakhir_dipakai": t.last_used_at}


def _sorted(values: frozenset[Any] | None) -> list[Any] | None:
    return None if values is None else sorted(values)


@router.get("/me", response=MeOut, summary="Pengguna yang sedang masuk: peran, wilayah dan fungsi")
def me(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.auth  # type: ignore[attr-defined]
    scope = scope_for(user)
    token: ApiToken | None = getattr(request, "api_token", None)
    polres = user.polres
    return {
        "username": user.username,
        "nama": user.get_full_name(),
        "role": user.role,
        "role_label": user.role_label,
        "lingkup": user.lingkup,
        "polres": {"id": polres.pk, "kode": polres.kode, "nama": polres.nama} if polres else None,
        "scope": {"seluruh_polres": scope.polres_wide, "polsek": _sorted(scope.polsek_ids),
                  "kelurahan": _sorted(scope.kelurahan_codes), "fungsi": _sorted(scope.fungsi_ids)},
        "autentikasi": "token" if token else "sesi",
        "token": _token(token) if token else None,
    }


@router.get("/me/tokens", response=list[TokenOut], summary="Token API milik saya (tanpa nilai rahasianya)")
def my_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    user: Any = request.auth  # type: ignore[attr-defined]
    return [_token(t) for t in ApiToken.objects.filter(user=user).order_by("-created_at")]


@router.post("/me/tokens/{prefix}/cabut", response=TokenOut, summary="Cabut salah satu token API milik saya")
def revoke_my_token(request: HttpRequest, prefix: str) -> dict[str, Any]:
    user: Any = request.auth  # type: ignore[attr-defined]
    token = ApiToken.objects.filter(user=user, prefix=prefix).first()
    if token is None:
        raise NotFound("Token tidak ditemukan.")
    channel = Channel.API if getattr(request, "api_token", None) else Channel.WEB
    return _token(actions.revoke_token(user, token, channel=channel))
