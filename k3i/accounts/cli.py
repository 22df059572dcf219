"""``k3i token create|revoke|list``. ``create`` prints the token alone on stdout; notes go to stderr."""

from __future__ import annotations

import argparse
import sys

from django.utils import timezone

from k3i.core.audit import Channel
from k3i.core.errors import ValidationFailed

from . import actions
from .models import ApiToken, User


def _user(username: str) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationFailed.field("username", f"Pengguna '{username}' tidak ditemukan.")
    return user


def _when(value: object) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"  # type: ignore[arg-type]


def cmd_token_create(args: argparse.Namespace) -> int:
    user = _user(args.username)
    token, raw = actions.create_token(None, user, name=args.name, days=args.days, write=args.write,
                                      channel=Channel.CLI)
    print(raw, flush=True)
    print(
        f"Token {token.prefix} untuk {user.username} ({token.get_cakupan_display().lower()}), berlaku sampai "
        f"{_when(token.expires_at)} WIB. Simpan sekarang: nilainya tidak dapat ditampilkan lagi.",
        file=sys.stderr,
    )
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    token = actions.revoke_token(None, args.token, channel=Channel.CLI)
    print(f"Token {token.prefix} milik {token.user.username} dicabut.", file=sys.stderr)
    return 0


def _status(t: ApiToken) -> str:
    if t.revoked_at:
        return "dicabut"
    if t.expires_at <= timezone.now():
        return "kedaluwarsa"
    return "aktif"


def cmd_token_list(args: argparse.Namespace) -> int:
    qs = ApiToken.objects.select_related("user").order_by("user__username", "-created_at")
    if args.username:
        qs = qs.filter(user=_user(args.username))
    rows = [("AWALAN", "PENGGUNA", "CAKUPAN", "STATUS", "DIBUAT", "BERLAKU SAMPAI", "TERAKHIR DIPAKAI", "NAMA")]
    for t in qs:
        rows.append((t.prefix, t.user.username, t.cakupan, _status(t), _when(t.created_at), _when(t.expires_at),
                     _when(t.last_used_at), t.name))
    if len(rows) == 1:
        print("Belum ada token.", file=sys.stderr)
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1])
    return 0
