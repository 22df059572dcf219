"""Roles and what each may do. One table, read by ``restrict`` and by the pages."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin sistem")
    KAPOLRES = "kapolres", _("Kapolres / Wakapolres")
    KABAGOPS = "kabagops", _("Kabagops")
    OPERATOR = "operator", _("Operator K3i")
    KAPOLSEK = "kapolsek", _("Kapolsek")
    ANGGOTA = "anggota", _("Anggota (petugas patroli)")
    BHABIN = "bhabinkamtibmas", _("Bhabinkamtibmas")
    SPKT = "spkt", _("Petugas SPKT")
    PROPAM = "propam", _("Propam / Siwas")
    ANALIS = "analis", _("Analis")


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
    # --- call & command centre ---
    "view_incident": frozenset(
        {R.KAPOLRES, R.KABAGOPS, R.OPERATOR, R.KAPOLSEK, R.ANGGOTA, R.BHABIN, R.SPKT, R.ANALIS, R.PROPAM}
    ),
    # take a report: the 110 desk, SPKT, and officers in the field (LP model A)
    "create_incident": frozenset({R.KABAGOPS, R.OPERATOR, R.KAPOLSEK, R.ANGGOTA, R.BHABIN, R.SPKT}),
    # confirm/override triage, link duplicates, close and reopen
    "change_incident": frozenset({R.KABAGOPS, R.OPERATOR, R.KAPOLSEK}),
    "dispatch_incident": frozenset({R.KABAGOPS, R.OPERATOR, R.KAPOLSEK}),
    # a reporter's name and phone: only those who must call back; every view is written to the ledger
    "view_reporter": frozenset({R.KABAGOPS, R.OPERATOR, R.KAPOLSEK, R.SPKT}),
    # report a unit's own position / status from the officer's phone or an AVL device
    "report_unit": frozenset({R.ADMIN, R.OPERATOR, R.KAPOLSEK, R.ANGGOTA, R.KABAGOPS}),
}

# Roles whose territory is the whole Polres regardless of any Polsek they are posted to. (An operator K3i
# follows their lingkup: "operator" serves the Polres, "operator_<polsek>" the desk of one Polsek.)
POLRES_WIDE_ROLES = frozenset({R.ADMIN, R.KAPOLRES, R.KABAGOPS, R.PROPAM, R.ANALIS})

# Roles that dispatch or see personal data log in with a second factor (TOTP).
TWO_FACTOR_ROLES = frozenset({R.ADMIN, R.KAPOLRES, R.KABAGOPS, R.OPERATOR, R.KAPOLSEK, R.SPKT, R.PROPAM})
