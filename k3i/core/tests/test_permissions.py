"""The permission suite every entity joins: roles × territories × every restricted model.

Models are discovered from the app registry: any model with a ``perm_name`` and a ``scope_q`` is
checked, for every permission code ``<verb>_<perm_name>`` in ``PERMISSIONS`` and every named user of the
test world plus a neighbouring Polres (``neighbour.py``), anonymous and inactive users:
``Model.objects.restrict(user, verb)`` must return exactly the records the rules below allow.

The rules are written here independently of each model's ``scope_q`` (they read the plain fields of the
user and of the record), so a model whose ``scope_q`` is wrong — or a new model that forgets one — fails:

- no permission for the role (``PERMISSIONS``) → nothing;
- a record of another Polres → never;
- a Polres-wide user (the Polres-wide roles, or lingkup "polres") → every record of their Polres;
- a Polsek or kelurahan scope → records of their Polsek(s) (a record with a ``polsek`` field, or the
  Polsek itself); a record tied only to a kelurahan → only when that kelurahan is in their scope;
  a Polres-level record (no Polsek, no kelurahan, e.g. a Mapolres unit) → never;
- a function scope (``scope_fungsi``) → on records with a ``fungsi`` field, only those functions;
- geography (``Region``) is reference data: Polres-wide users see every region, narrower scopes see
  their kelurahan and the kecamatan/kota/provinsi above them;
- ledger entries (``AuditEntry``): those of one's own Polres plus those of no Polres (system, console);
- a model with no territorial field at all (``Fungsi``) is visible to every role with the permission.

Territorial fields are found by name, as foreign keys or plain ids: ``polres``, ``polsek``,
``kelurahan`` (``_id`` or ``_kode``), ``fungsi``, ``personel``.

A model with a rule of its own registers it in ``SPECIAL_RULES`` below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction

from k3i.accounts.models import User
from k3i.core import audit
from k3i.core.roles import PERMISSIONS, POLRES_WIDE_ROLES, Role
from k3i.dispatch.actions import update_patrol_unit
from k3i.organization.models import Polsek, Region
from k3i.testing import add_incidents

from .neighbour import add_neighbour


def restricted_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if hasattr(m, "perm_name") and hasattr(m, "scope_q")]


MODELS = restricted_models()


def verbs_for(model: Any) -> list[str]:
    suffix = f"_{model.perm_name}"
    return sorted(code[: -len(suffix)] for code in PERMISSIONS if code.endswith(suffix))


# --- the user's territory, from the user's own fields ----------------------------------------------


@dataclass(frozen=True)
class UserTerritory:
    role: Role | None
    active: bool
    polres_id: int | None
    polsek_ids: frozenset[int] | None  # None = whole Polres
    kelurahan: frozenset[str] | None  # None = whole Polres
    fungsi_ids: frozenset[int] | None  # None = every function


def territory_of(user: Any) -> UserTerritory:
    if not getattr(user, "is_authenticated", False):
        return UserTerritory(None, False, None, frozenset(), frozenset(), None)
    role = Role(user.role) if user.role else None
    fungsi = frozenset(user.scope_fungsi.values_list("id", flat=True)) or None
    if role in POLRES_WIDE_ROLES or user.lingkup == User.Lingkup.POLRES:
        return UserTerritory(role, user.is_active, user.polres_id, None, None, fungsi)
    if user.lingkup == User.Lingkup.POLSEK:
        ps = user.scope_polsek
        kel = frozenset(Region.objects.filter(parent=ps.kecamatan).values_list("kode", flat=True)) if ps else frozenset()
        return UserTerritory(role, user.is_active, user.polres_id, frozenset([ps.pk] if ps else []), kel, fungsi)
    kel = frozenset(user.scope_kelurahan.values_list("kode", flat=True))
    parents = {k.rsplit(".", 1)[0] for k in kel}
    polsek = frozenset(Polsek.objects.filter(kecamatan__kode__in=parents).values_list("id", flat=True))
    return UserTerritory(role, user.is_active, user.polres_id, polsek, kel, fungsi)


# --- the record's territory, from the record's own fields ------------------------------------------


def _columns(model: Any) -> set[str]:
    """Names of the record's territorial columns, by their database name (``polsek`` for ``polsek_id``),
    whether a foreign key or a plain id (as on ledger entries and live events)."""
    names = set()
    for f in model._meta.concrete_fields:
        name = f.attname.removesuffix("_id").removesuffix("_kode")
        if name in {"polres", "polsek", "kelurahan", "fungsi", "personel"}:
            names.add(name)
    return names


def _value(obj: Any, name: str) -> Any:
    for attname in (f"{name}_id", f"{name}_kode"):
        if hasattr(obj, attname):
            return getattr(obj, attname) or None
    return None


def _kelurahan_polsek(kode: str) -> Polsek | None:
    return Polsek.objects.filter(kecamatan__kode=kode.rsplit(".", 1)[0]).first()


def record_polres_id(obj: Any) -> int | None:
    cols = _columns(type(obj))
    if "polres" in cols:
        return _value(obj, "polres")
    if "polsek" in cols and _value(obj, "polsek"):
        return Polsek.objects.get(pk=_value(obj, "polsek")).polres_id
    if "personel" in cols and obj.personel_id:
        return obj.personel.polres_id
    if "kelurahan" in cols and _value(obj, "kelurahan"):
        ps = _kelurahan_polsek(_value(obj, "kelurahan"))
        return ps.polres_id if ps else None
    return None


def is_global(model: Any) -> bool:
    return model._meta.label_lower not in SPECIAL_RULES and not (
        {"polres", "polsek", "personel", "kelurahan"} & _columns(model)
    )


def visible_by_rules(user: Any, t: UserTerritory, obj: Any, permission: str) -> bool:
    model = type(obj)
    if not t.active or t.role is None or t.role not in PERMISSIONS[permission]:
        return False
    special = SPECIAL_RULES.get(model._meta.label_lower)
    if special is not None:
        return special(t, obj)
    if is_global(model):
        return True
    if record_polres_id(obj) != t.polres_id:
        return False
    cols = _columns(model)
    if t.polsek_ids is not None:
        if model is Polsek:
            if obj.pk not in t.polsek_ids:
                return False
        elif "polsek" in cols:
            if _value(obj, "polsek") not in t.polsek_ids:
                return False
        elif "kelurahan" in cols:
            if _value(obj, "kelurahan") not in (t.kelurahan or ()):
                return False
        else:
            return False  # a Polres-level record
    if t.fungsi_ids is not None and "fungsi" in cols:
        return _value(obj, "fungsi") in t.fungsi_ids
    return True


def _region_rule(t: UserTerritory, region: Any) -> bool:
    if t.kelurahan is None:
        return True
    return any(k == region.kode or k.startswith(region.kode + ".") for k in t.kelurahan)


def _audit_rule(t: UserTerritory, entry: Any) -> bool:
    # one's own Polres' ledger, plus entries that belong to no Polres (the system, the server console)
    return entry.polres_id is None or entry.polres_id == t.polres_id


def _incident_rule(t: UserTerritory, incident: Any) -> bool:
    # A Bhabinkamtibmas follows the incidents of their own kelurahan, not the whole Polsek's.
    if incident.polres_id != t.polres_id:
        return False
    if t.polsek_ids is None:
        return True
    if t.role == Role.BHABIN:
        return incident.kelurahan_id in (t.kelurahan or ())
    return incident.polsek_id in t.polsek_ids


def _crew_rule(t: UserTerritory, crew: Any) -> bool:
    # Who crews a unit is seen by whoever sees the unit (the unit's rule; the role check is already done).
    return visible_by_rules(None, t, crew.unit, "view_patrolunit")


SPECIAL_RULES: dict[str, Callable[[UserTerritory, Any], bool]] = {
    "organization.region": _region_rule,
    "core.auditentry": _audit_rule,
    "incidents.incident": _incident_rule,
    "dispatch.unitcrew": _crew_rule,
}


# --- the suite ------------------------------------------------------------------------------------


@pytest.fixture
def everyone(world) -> dict[str, Any]:
    add_incidents(world)
    n = add_neighbour(world)
    users: dict[str, Any] = dict(world.users)
    users["kapolres_salatiga"] = n["kapolres_salatiga"]
    users["kapolsek_argomulyo"] = n["kapolsek_argomulyo"]
    off = User.objects.create_user(username="operator_nonaktif", password="x", role=Role.OPERATOR,
                                   polres=world.polres, is_active=False)
    users["operator_nonaktif"] = off
    users["tanpa_peran"] = User.objects.create_user(username="tanpa_peran", password="x", role="", polres=world.polres)
    users["anonim"] = AnonymousUser()
    # ledger entries of both Polres and of the system, written the normal way (through actions)
    update_patrol_unit(None, world.units["semarang_tengah"], channel=audit.Channel.SYSTEM, aktif=False)
    update_patrol_unit(None, n["unit"], channel=audit.Channel.SYSTEM, aktif=False)
    with transaction.atomic():
        audit.record(None, "sistem.uji", channel=audit.Channel.SYSTEM)
    return users


def test_models_are_discovered():
    labels = {m._meta.label_lower for m in MODELS}
    # the organisation's entities are all here (a renamed perm_name or a lost scope_q would drop one)
    assert {
        "organization.region", "organization.fungsi", "organization.polsek", "organization.polsubsektor",
        "organization.pospol", "organization.personel", "organization.bhabincoverage", "dispatch.patrolunit",
    } <= labels
    for m in MODELS:
        assert hasattr(m.objects, "restrict"), f"{m._meta.label}: manager tanpa restrict()"
        assert verbs_for(m), f"{m._meta.label}: tidak ada izin '<verb>_{m.perm_name}' di PERMISSIONS"


def test_every_role_has_a_named_user(everyone):
    roles = {u.role for u in everyone.values() if getattr(u, "role", "")}
    assert roles >= set(Role.values)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label_lower)
def test_restrict_matches_rules(model, everyone):
    records = list(model._default_manager.all())
    assert records, (
        f"tidak ada {model._meta.label} di dunia uji: tambahkan contohnya di k3i/testing.py "
        f"atau k3i/core/tests/neighbour.py agar ikut diuji"
    )
    seen_partial = False
    for verb in verbs_for(model):
        permission = f"{verb}_{model.perm_name}"
        for name, user in everyone.items():
            t = territory_of(user)
            expected = {o.pk for o in records if visible_by_rules(user, t, o, permission)}
            got = set(model.objects.restrict(user, verb).values_list("pk", flat=True))
            assert got == expected, (
                f"{model._meta.label} {permission} untuk {name}: "
                f"terlihat tanpa hak {sorted(map(str, got - expected))}, "
                f"hilang {sorted(map(str, expected - got))}"
            )
            if t.role is not None and t.role in PERMISSIONS[permission] and 0 < len(got) < len(records):
                seen_partial = True
    if not is_global(model):
        # the territory really limits: someone allowed to see this model sees some records but not all
        assert seen_partial, f"{model._meta.label}: tidak ada pengguna yang dibatasi wilayah (uji kosong)"

