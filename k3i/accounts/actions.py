"""Writes about users: every one in one transaction with its audit entry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from k3i.core import audit
from k3i.core.errors import ValidationFailed
from k3i.core.roles import Role

from .models import User


@transaction.atomic
def create_user(
    actor: Any,
    *,
    username: str,
    password: str | None,
    role: Role | str,
    polres: Any,
    lingkup: str = User.Lingkup.POLRES,
    scope_polsek: Any = None,
    scope_kelurahan: Iterable[Any] = (),
    scope_fungsi: Iterable[Any] = (),
    personel: Any = None,
    is_demo: bool = False,
    full_name: str = "",
    channel: str,
) -> User:
    if not username or len(username) > 150:
        raise ValidationFailed.field("username", "Nama pengguna wajib diisi (maks. 150 karakter).")
    if User.objects.filter(username=username).exists():
        raise ValidationFailed.field("username", f"Nama pengguna '{username}' sudah dipakai.")
    if role not in Role.values:
        raise ValidationFailed.field("role", f"Peran '{role}' tidak dikenal.")
    if lingkup == User.Lingkup.POLSEK and scope_polsek is None:
        raise ValidationFailed.field("scope_polsek", "Lingkup Polsek memerlukan Polsek.")
    kel = list(scope_kelurahan)
    if lingkup == User.Lingkup.KELURAHAN and not kel:
        raise ValidationFailed.field("scope_kelurahan", "Lingkup kelurahan memerlukan minimal satu kelurahan.")
    first, _, last = full_name.partition(" ")
    user = User(
        username=username, role=role, polres=polres, lingkup=lingkup, scope_polsek=scope_polsek,
        personel=personel, is_demo=is_demo, is_staff=(role == Role.ADMIN), first_name=first[:150],
        last_name=last[:150],
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if kel:
        user.scope_kelurahan.set(kel)
    fungsi = list(scope_fungsi)
    if fungsi:
        user.scope_fungsi.set(fungsi)
    audit.record(
        actor, "pengguna.dibuat", user, channel=channel,
        changes={"role": str(role), "lingkup": lingkup, "polsek": getattr(scope_polsek, "pk", None),
                 "kelurahan": [k.pk for k in kel], "fungsi": [f.pk for f in fungsi], "demo": is_demo},
        polres_id=getattr(polres, "pk", None),
    )
    return user
