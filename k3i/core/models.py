"""Audit ledger and live events: the two records every action writes in its own transaction."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .access import RestrictedQuerySet, Scope

# The only columns of an entry that may ever change, once, when the sealer gives it its place.
SEAL_FIELDS = frozenset({"seq", "prev_hash", "chain_hash", "sealed_at"})


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete a ledger entry through the ORM."""


class AuditQuerySet(RestrictedQuerySet["AuditEntry"]):
    """Entries can be added and sealed, never changed or deleted (also not in bulk)."""

    def update(self, **kwargs: Any) -> int:
        if not set(kwargs) <= SEAL_FIELDS:
            raise AppendOnlyError("Buku audit hanya bisa ditambah: isi entri tidak boleh diubah.")
        # Sealing happens once: an entry that already has its place in the chain keeps it.
        return super(AuditQuerySet, self.filter(seq__isnull=True)).update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Buku audit hanya bisa ditambah: entri tidak boleh dihapus.")

    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained ledger.

    An entry is written unsealed (``seq`` empty) inside the action's transaction with the hash of its
    own content; the sealer (``k3i.core.audit.seal_pending``) later gives entries their place in the
    chain in batches, so that no write of the platform waits on one global lock.
    """

    created_at = models.DateTimeField(db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(_("pengguna"), max_length=150, blank=True)
    actor_role = models.CharField(_("peran"), max_length=40, blank=True)
    action = models.CharField(_("aksi"), max_length=80, db_index=True)
    object_type = models.CharField(_("jenis objek"), max_length=80, blank=True, db_index=True)
    object_id = models.CharField(_("id objek"), max_length=64, blank=True, db_index=True)
    object_repr = models.CharField(_("objek"), max_length=200, blank=True)
    changes = models.JSONField(_("perubahan"), default=dict, blank=True)
    channel = models.CharField(_("kanal"), max_length=20)
    polres_id = models.BigIntegerField(null=True, blank=True)
    content_hash = models.CharField(max_length=64)
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    objects = AuditQuerySet.as_manager()
    perm_name = "audit"

    class Meta:
        verbose_name = _("entri audit")
        verbose_name_plural = _("buku audit")
        indexes = [models.Index(fields=["actor_username", "created_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert once; afterwards only the seal columns may be written (see ``SEAL_FIELDS``)."""
        if not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= SEAL_FIELDS:
                raise AppendOnlyError("Buku audit hanya bisa ditambah: isi entri tidak boleh diubah.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Buku audit hanya bisa ditambah: entri tidak boleh dihapus.")

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        """The ledger of one's own Polres, and entries that belong to no Polres (system, console)."""
        if scope.polres_id is None:
            return Q(polres_id__isnull=True)
        return Q(polres_id=scope.polres_id) | Q(polres_id__isnull=True)


class AuditChainHead(models.Model):
    """The last sealed position of the chain (one row). Sealers lock only this row."""

    seq = models.BigIntegerField(default=0)
    chain_hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("kepala rantai audit")

    def __str__(self) -> str:
        return f"rantai audit sampai urutan {self.seq}"


class LiveEvent(models.Model):
    """A change the operations room should see, written in the same transaction as the change.

    Territory fields let ``/ops/stream`` filter per user with the same rules as ``restrict``.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    polres_id = models.BigIntegerField(null=True, blank=True)
    polsek_id = models.BigIntegerField(null=True, blank=True)
    kelurahan_kode = models.CharField(max_length=13, blank=True)
    fungsi_kode = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("peristiwa langsung")
        verbose_name_plural = _("peristiwa langsung")

    def __str__(self) -> str:
        return f"{self.pk} {self.kind}"


class RateCounter(models.Model):
    """One counter shared by every process on this database (``k3i.core.counters``, the default backend):
    events for ``key`` since its window began. ``expires_at`` (Unix seconds) ends the window; the next event
    after it starts again from one, and the scheduled job deletes expired rows. ``key`` never holds a raw
    address or username (``counters.digest``)."""

    key = models.CharField(max_length=200, unique=True)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.hits} (sampai {self.expires_at})"
