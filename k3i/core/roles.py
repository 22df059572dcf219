"""Roles and what each may do. One table, read by ``restrict`` and by the pages."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin sistem"
    KAPOLRES = "kapolres", "Kapolres / Wakapolres"
    KABAGOPS = "kabagops", "Kabagops"
    OPERATOR = "operator", "Operator K3i"
    KAPOLSEK = "kapolsek", "Kapolsek"
    ANGGOTA = "anggota", "Anggota (petugas patroli)"
    BHABIN = "bhabinkamtibmas", "Bhabinkamtibmas"
    SPKT = "spkt", "Petugas SPKT"
    PROPAM = "propam", "Propam / Siwas"
    ANALIS = "analis", "Analis"


R = Role
STAFF_ROLES = frozenset(Role)

# Permission codes: "<verb>_<resource>". A role absent from a set may not do it anywhere.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "view_region": STAFF_ROLES,
    "view_polsek": STAFF_ROLES,
    "view_pospol": STAFF_ROLES,
    "view_fungsi": STAFF_ROLES,
    "view_coverage": STAFF_ROLES,
    # personal data of members: the chain of command, the desk that dispatches them, and Propam
    "view_personel": frozenset({R.ADMIN, R.KAPOLRES, R.KABAGOPS, R.OPERATOR, R.KAPOLSEK, R.PROPAM}),
    "view_patrolunit": frozenset(
        {R.ADMIN, R.KAPOLRES, R.KABAGOPS, R.OPERATOR, R.KAPOLSEK, R.ANGGOTA, R.ANALIS, R.BHABIN}
    ),
    # activate/deactivate a patrol unit, move its home base (a Kapolsek: only their own Polsek's units)
    "change_patrolunit": frozenset({R.ADMIN, R.OPERATOR, R.KAPOLSEK}),
    "view_audit": frozenset({R.PROPAM, R.KAPOLRES}),
    "seal_audit": frozenset({R.ADMIN, R.PROPAM}),  # seal pending ledger entries now (POST /api/v1/audit/seal)
    "view_liveevent": frozenset(
        {R.ADMIN, R.KAPOLRES, R.KABAGOPS, R.OPERATOR, R.KAPOLSEK, R.ANGGOTA, R.BHABIN, R.ANALIS}
    ),
    "manage_master": frozenset({R.ADMIN}),
    "manage_tokens": frozenset({R.ADMIN}),
}

# Roles whose territory is the whole Polres regardless of any Polsek they are posted to. (An operator K3i
# follows their lingkup: "operator" serves the Polres, "operator_<polsek>" the desk of one Polsek.)
POLRES_WIDE_ROLES = frozenset({R.ADMIN, R.KAPOLRES, R.KABAGOPS, R.PROPAM, R.ANALIS})

# Roles that dispatch or see personal data log in with a second factor (TOTP).
TWO_FACTOR_ROLES = frozenset({R.ADMIN, R.KAPOLRES, R.KABAGOPS, R.OPERATOR, R.KAPOLSEK, R.SPKT, R.PROPAM})
