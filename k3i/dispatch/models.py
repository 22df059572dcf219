"""Patrol units (the call & command centre extends this app with states, positions, assignments)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from k3i.core.access import RestrictedManager, Scope


class UnitStatus(models.TextChoices):
    """Fixed meanings of a unit's state; the labels shown can be configured (``K3I_UNIT_STATUS_LABELS``)."""

    TERSEDIA = "tersedia", _("Tersedia")
    DITUGASKAN = "ditugaskan", _("Ditugaskan")
    MENUJU = "menuju", _("Menuju TKP")
    TIBA = "tiba", _("Tiba di TKP")
    MENANGANI = "menangani", _("Menangani")
    KEMBALI = "kembali", _("Kembali")
    TIDAK_TERSEDIA = "tidak_tersedia", _("Tidak tersedia")
    DARURAT = "darurat", _("Darurat")


class PatrolUnit(models.Model):
    class Tipe(models.TextChoices):
        R2 = "R2", _("R2 (sepeda motor)")
        R4 = "R4", _("R4 (mobil)")
        JALAN_KAKI = "kaki", _("Jalan kaki")
        KAPAL = "kapal", _("Kapal/perahu")

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
    # Live state (call & command centre): the fixed meaning of the status, and the last known position.
    status = models.CharField(max_length=16, choices=UnitStatus.choices, default=UnitStatus.TERSEDIA, db_index=True)
    status_at = models.DateTimeField("status sejak", null=True, blank=True)
    last_lat = models.FloatField(null=True, blank=True)
    last_lon = models.FloatField(null=True, blank=True)
    last_position_at = models.DateTimeField("posisi terakhir (waktu perangkat)", null=True, blank=True)

    objects = RestrictedManager()
    perm_name = "patrolunit"

    class Meta:
        verbose_name = "unit patroli"
        verbose_name_plural = "unit patroli"
        ordering = ["callsign"]

    def __str__(self) -> str:
        return self.callsign

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        """The label shown for the unit's state: the installation's own (``K3I_UNIT_STATUS_LABELS``) or the
        model's, in the active language (replaces the method Django would generate)."""
        from .staleness import status_label

        return status_label(self.status)

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        q = Q(polres_id=scope.polres_id)
        if scope.polsek_ids is not None:
            q &= Q(polsek_id__in=scope.polsek_ids)
        if scope.fungsi_ids is not None:
            q &= Q(fungsi_id__in=scope.fungsi_ids)
        return q


class UnitPosition(models.Model):
    """A reported position of a unit (AVL), with the device's own time."""

    unit = models.ForeignKey(PatrolUnit, on_delete=models.CASCADE, related_name="positions")
    lat = models.FloatField()
    lon = models.FloatField()
    device_time = models.DateTimeField("waktu perangkat")
    received_at = models.DateTimeField("diterima")
    speed_kmh = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = "posisi unit"
        verbose_name_plural = "posisi unit"
        indexes = [models.Index(fields=["unit", "-device_time"])]

    def __str__(self) -> str:
        return f"{self.unit_id} @ {self.device_time:%H:%M:%S}"


class Assignment(models.Model):
    """A unit sent to an incident, with the timestamp chain of every step (TicketsCAD style)."""

    class Status(models.TextChoices):
        DITUGASKAN = "ditugaskan", _("Ditugaskan")
        # "diterima" of an assignment is the crew accepting the task, not a report received: its own context.
        DITERIMA = "diterima", pgettext_lazy("penugasan", "Diterima")
        MENUJU = "menuju", _("Menuju TKP")
        TIBA = "tiba", _("Tiba di TKP")
        SELESAI = "selesai", _("Selesai")
        DIBATALKAN = "dibatalkan", _("Dibatalkan")

    ACTIVE = (Status.DITUGASKAN, Status.DITERIMA, Status.MENUJU, Status.TIBA)

    incident = models.ForeignKey("incidents.Incident", on_delete=models.PROTECT, related_name="assignments")
    unit = models.ForeignKey(PatrolUnit, on_delete=models.PROTECT, related_name="assignments")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DITUGASKAN)
    assigned_at = models.DateTimeField("ditugaskan")
    accepted_at = models.DateTimeField("diterima", null=True, blank=True)
    enroute_at = models.DateTimeField("menuju", null=True, blank=True)
    arrived_at = models.DateTimeField("tiba", null=True, blank=True)
    completed_at = models.DateTimeField("selesai", null=True, blank=True)
    cancelled_at = models.DateTimeField("dibatalkan", null=True, blank=True)
    assigned_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The recommendation this choice came from (rank 1 = first suggestion) and why another unit was chosen.
    # ``recommended_rank``: the rank the dispatcher was shown (informational; the server's own rank when the
    # client sent none). ``current_rank``: the unit's rank in the server's ranking at the moment of dispatch —
    # the one the "say why" rule is decided on. ``ranking_size``: how many units that ranking held (0: none
    # could be ranked); empty: no ranking could be made at all (the incident's location was unknown).
    recommended_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    current_rank = models.PositiveSmallIntegerField(
        "peringkat saat ditugaskan", null=True, blank=True,
        help_text="Peringkat unit menurut server saat ditugaskan; kosong: unit tidak ada dalam peringkat.",
    )
    ranking_size = models.PositiveIntegerField(
        "jumlah unit diperingkat", null=True, blank=True,
        help_text="Jumlah unit dalam peringkat saat ditugaskan; kosong: tanpa peringkat (lokasi belum diketahui).",
    )
    eta_seconds = models.PositiveIntegerField(null=True, blank=True)
    override_reason = models.CharField("alasan memilih unit lain", max_length=300, blank=True)
    pulled_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="Tugas prioritas rendah yang ditinggalkan untuk tugas ini.",
    )

    class Meta:
        verbose_name = "penugasan"
        verbose_name_plural = "penugasan"
        ordering = ["-assigned_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(status__in=["ditugaskan", "diterima", "menuju", "tiba"]),
                name="one_active_assignment_per_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} → {self.incident_id} ({self.status})"


class UnitCrew(models.Model):
    """An officer signed on to a patrol unit for a shift ("unit log-on"): one unit at a time per officer
    (the database allows one open sign-on per user), several officers per unit. Ended by ``signed_off_at``;
    the rows stay as the history of who crewed which unit when. Who signed the officer on or off (the
    officer, or a desk role at the roll call) is kept in ``signed_on_by`` / ``signed_off_by``."""

    unit = models.ForeignKey(PatrolUnit, on_delete=models.PROTECT, related_name="crew")
    user = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="crew_shifts",
                             verbose_name="anggota")
    signed_on_at = models.DateTimeField("masuk dinas")
    signed_off_at = models.DateTimeField("selesai dinas", null=True, blank=True)
    signed_on_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name="dimasukkan oleh")
    signed_off_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+", verbose_name="diakhiri oleh")

    # Read through the unit: whoever sees the unit sees its crew.
    objects = RestrictedManager()
    perm_name = "patrolunit"

    class Meta:
        verbose_name = "awak unit"
        verbose_name_plural = "awak unit"
        ordering = ["-signed_on_at"]
        indexes = [models.Index(fields=["unit", "signed_off_at"])]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(signed_off_at__isnull=True),
                                    name="one_open_crew_signon_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.unit_id}"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        # Whoever sees the unit sees its crew: the unit's own rule, not a copy of it.
        return Q(unit__in=PatrolUnit.objects.filter(PatrolUnit.scope_q(scope)))
