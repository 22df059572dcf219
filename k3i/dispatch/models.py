"""Patrol units (the call & command centre extends this app with states, positions, assignments)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from k3i.core.access import RestrictedManager, Scope


class PatrolUnit(models.Model):
    class Tipe(models.TextChoices):
        R2 = "R2", "R2 (sepeda motor)"
        R4 = "R4", "R4 (mobil)"
        JALAN_KAKI = "kaki", "Jalan kaki"
        KAPAL = "kapal", "Kapal/perahu"

    callsign = models.CharField("tanda panggil", max_length=30, unique=True)
    tipe = models.CharField(max_length=5, choices=Tipe.choices)
    polres = models.ForeignKey("organization.Polres", on_delete=models.PROTECT)
    polsek = models.ForeignKey(
        "organization.Polsek", null=True, blank=True, on_delete=models.PROTECT,
        verbose_name="Polsek asal", help_text="Kosong: unit Mapolres.",
    )
    fungsi = models.ForeignKey("organization.Fungsi", null=True, blank=True, on_delete=models.PROTECT)
    home_lat = models.FloatField("lintang pangkalan", null=True, blank=True)
    home_lon = models.FloatField("bujur pangkalan", null=True, blank=True)
    aktif = models.BooleanField(default=True)

    objects = RestrictedManager()
    perm_name = "patrolunit"

    class Meta:
        verbose_name = "unit patroli"
        verbose_name_plural = "unit patroli"
        ordering = ["callsign"]

    def __str__(self) -> str:
        return self.callsign

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        q = Q(polres_id=scope.polres_id)
        if scope.polsek_ids is not None:
            q &= Q(polsek_id__in=scope.polsek_ids)
        if scope.fungsi_ids is not None:
            q &= Q(fungsi_id__in=scope.fungsi_ids)
        return q
