"""The incident record (every intake channel produces one) and its timeline."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from k3i.core.access import RestrictedManager, Scope

from .taxonomy import category_choices


class Incident(models.Model):
    class Status(models.TextChoices):
        BARU = "baru", _("Baru")
        DIVERIFIKASI = "diverifikasi", _("Diverifikasi")
        DITUGASKAN = "ditugaskan", _("Ditugaskan")
        DITANGANI = "ditangani", _("Ditangani")
        SELESAI = "selesai", _("Selesai")
        DIBATALKAN = "dibatalkan", _("Dibatalkan")
        TIDAK_TERBUKTI = "tidak_terbukti", _("Tidak terbukti")
        DUPLIKAT = "duplikat", _("Duplikat")

    OPEN_STATUSES = (Status.BARU, Status.DIVERIFIKASI, Status.DITUGASKAN, Status.DITANGANI)

    class Channel(models.TextChoices):
        TELEPON = "110", _("Call center 110")
        WEB = "web", _("Formulir web / aplikasi")
        PESAN = "pesan", _("WhatsApp / SMS")
        PANIK = "panik", _("Tombol darurat")
        PETUGAS = "petugas", _("Laporan petugas (LP model A)")
        SPKT = "spkt", _("SPKT")

    class LocationSource(models.TextChoices):
        PETA = "peta", _("Titik di peta / GPS")
        KELURAHAN = "kelurahan", _("Dipilih dari daftar kelurahan")
        GAZETTEER = "teks", _("Ditemukan dari teks laporan (perlu konfirmasi)")
        TIDAK_ADA = "", _("Belum diketahui")

    polres = models.ForeignKey("organization.Polres", on_delete=models.PROTECT)
    # NULL until the insert has given the row its id (the serial in the number): NULLs never collide in the
    # unique index, so concurrent and batched inserts do not wait on each other.
    number = models.CharField("nomor laporan", max_length=40, unique=True, blank=True, null=True)
    tracking_code = models.CharField("kode lacak", max_length=12, unique=True)
    channel = models.CharField("kanal", max_length=10, choices=Channel.choices)
    text = models.TextField("isi laporan")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    alamat = models.CharField("lokasi (teks)", max_length=300, blank=True)
    location_source = models.CharField(max_length=10, choices=LocationSource.choices, blank=True)
    location_confirmed = models.BooleanField("lokasi terkonfirmasi", default=True)
    kelurahan = models.ForeignKey(
        "organization.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    polsek = models.ForeignKey("organization.Polsek", null=True, blank=True, on_delete=models.PROTECT)
    category = models.CharField("kategori", max_length=30, choices=category_choices())
    priority = models.PositiveSmallIntegerField("prioritas", choices=[(i, f"P{i}") for i in (1, 2, 3, 4)])
    # What triage suggested: {"category", "priority", "confidence", "explanation"}; kept when overridden.
    triage = models.JSONField(default=dict, blank=True)
    triage_overridden = models.BooleanField("triase dikoreksi", default=False)
    # Functional routing from the taxonomy: lead/supporting functions, outside partners.
    routing = models.JSONField(default=dict, blank=True)
    reporter_name = models.CharField("nama pelapor", max_length=120, blank=True)
    reporter_phone = models.CharField("telepon pelapor", max_length=20, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BARU, db_index=True)
    disposition = models.CharField("hasil penanganan", max_length=40, blank=True)
    disposition_note = models.TextField("catatan penutupan", blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="linked_reports"
    )
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    is_simulated = models.BooleanField("simulasi", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # A service cycle runs from the report (or from its last reopening, ``cycle_started_at``) to its closing.
    # The times below are those of the current cycle: a reopening writes them to the timeline and the ledger
    # and clears them, so that the SLA timers and the escalation run again (``sla``).
    cycle_started_at = models.DateTimeField("dibuka kembali (siklus layanan ini mulai)", null=True, blank=True)
    dispatched_at = models.DateTimeField("pertama ditugaskan (siklus ini)", null=True, blank=True)
    arrived_at = models.DateTimeField("pertama tiba (siklus ini)", null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField("dinaikkan ke K3i Polres (siklus ini)", null=True, blank=True)
    # Problem-impact: lifted to Bagops with its reasons.
    bagops = models.BooleanField("masalah Bagops", default=False, db_index=True)
    bagops_reasons = models.JSONField(default=list, blank=True)

    objects = RestrictedManager()
    perm_name = "incident"

    class Meta:
        verbose_name = "kejadian"
        verbose_name_plural = "kejadian"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "idempotency_key"], condition=Q(idempotency_key__isnull=False),
                name="incident_idempotency_per_channel",
            )
        ]
        indexes = [models.Index(fields=["polres", "status", "priority"])]

    def __str__(self) -> str:
        return self.number or f"kejadian #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def service_started_at(self) -> datetime:
        """Where the current service cycle's timers start: the report, or its last reopening."""
        return self.cycle_started_at or self.created_at

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        q = Q(polres_id=scope.polres_id)
        if scope.polsek_ids is not None:
            territorial = Q(polsek_id__in=scope.polsek_ids)
            if scope.kelurahan_codes is not None and scope.role == "bhabinkamtibmas":
                territorial = Q(kelurahan_id__in=scope.kelurahan_codes)
            q &= territorial
        return q


class IncidentLog(models.Model):
    """One line of an incident's timeline (what happened, who did it). The audit ledger keeps the proof."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="log")
    created_at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    message = models.CharField(max_length=500)
    actor_username = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = "riwayat kejadian"
        verbose_name_plural = "riwayat kejadian"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.incident_id} {self.kind}"


class IncidentPhoto(models.Model):
    """A photo sent with a report (the public form ``/lapor/``): verified and re-encoded as a JPEG without any
    metadata (no EXIF/GPS, no device), stored under ``K3I_MEDIA_ROOT`` outside the web root and served only to
    staff who may see the incident (``incidents.photos``). Never part of the public tracking page or API.
    Like ``IncidentLog`` a part of its incident, with no scope of its own: read only through
    ``Incident.objects.restrict`` (``photos.visible_photo``)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="photos")
    file_name = models.CharField("berkas", max_length=200, unique=True)  # relative to K3I_MEDIA_ROOT
    content_type = models.CharField(max_length=40, default="image/jpeg")
    width = models.PositiveIntegerField("lebar")
    height = models.PositiveIntegerField("tinggi")
    size = models.PositiveIntegerField("ukuran (bita)")
    sha256 = models.CharField(max_length=64, db_index=True)  # of the stored file; also in the ledger entry
    original_format = models.CharField("format asli", max_length=10, blank=True)
    original_size = models.PositiveIntegerField("ukuran asli (bita)", default=0)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = "foto kejadian"
        verbose_name_plural = "foto kejadian"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"foto #{self.pk} kejadian {self.incident_id}"
