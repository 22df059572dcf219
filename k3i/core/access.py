"""Territorial and functional access: ``Model.objects.restrict(user, action)``.

A user's scope is the whole Polres, some Polsek, or a list of kelurahan (territory) and optionally a
set of functions (Sat/Bag/Si). Every read goes through ``restrict``; a record outside the scope is
simply not there (404), never "forbidden".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models
from django.db.models import Q

from .roles import PERMISSIONS, POLRES_WIDE_ROLES, Role

if TYPE_CHECKING:
    from k3i.accounts.models import User

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Scope:
    role: Role | None
    polres_id: int | None
    # None means "all of the Polres"; a set limits to those.
    polsek_ids: frozenset[int] | None
    kelurahan_codes: frozenset[str] | None
    fungsi_ids: frozenset[int] | None

    @property
    def polres_wide(self) -> bool:
        return self.polsek_ids is None and self.kelurahan_codes is None


NO_SCOPE = Scope(None, None, frozenset(), frozenset(), frozenset())


def scope_for(user: Any) -> Scope:
    """Compute (and cache on the user object) the territory and function a user serves."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return NO_SCOPE
    cached = getattr(user, "_k3i_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    user._k3i_scope = scope
    return scope


def _compute_scope(user: User) -> Scope:
    from k3i.organization.models import Polsek, Region

    role = Role(user.role) if user.role else None
    fungsi = frozenset(user.scope_fungsi.values_list("id", flat=True)) or None
    if role is None:
        return NO_SCOPE
    if role in POLRES_WIDE_ROLES or user.lingkup == "polres":
        return Scope(role, user.polres_id, None, None, fungsi)
    if user.lingkup == "polsek":
        polsek_ids = frozenset([user.scope_polsek_id]) if user.scope_polsek_id else frozenset()
        kecamatan = list(
            Polsek.objects.filter(polres_id=user.polres_id or 0, id__in=polsek_ids).values_list("kecamatan_id", flat=True)
        )
        kel = frozenset(
            Region.objects.filter(parent_id__in=kecamatan, level=Region.Level.KELURAHAN).values_list(
                "kode", flat=True
            )
        )
        return Scope(role, user.polres_id, polsek_ids, kel, fungsi)
    # lingkup == "kelurahan": a list of kelurahan (a Bhabinkamtibmas); their Polsek follows from them.
    kel = frozenset(user.scope_kelurahan.values_list("kode", flat=True))

    polsek_ids = frozenset(
        Polsek.objects.filter(kecamatan__children__kode__in=kel).values_list("id", flat=True)
    )
    return Scope(role, user.polres_id, polsek_ids, kel, fungsi)


def can(user: Any, permission: str) -> bool:
    if getattr(user, "is_authenticated", False) is not True or not getattr(user, "is_active", False):
        return False
    role = getattr(user, "role", "")
    allowed = PERMISSIONS.get(permission)
    if allowed is None:
        raise KeyError(f"izin tidak dikenal: {permission}")
    return bool(role) and Role(role) in allowed


class RestrictedQuerySet(models.QuerySet[M]):
    """NetBox-style ``restrict``: a model declares ``scope_q(scope)`` and a ``perm_name``."""

    def restrict(self, user: Any, action: str = "view") -> RestrictedQuerySet[M]:
        model: Any = self.model
        if not can(user, f"{action}_{model.perm_name}"):
            return self.none()
        scope = scope_for(user)
        q: Q = model.scope_q(scope)
        return self.filter(q)


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
