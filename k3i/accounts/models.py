"""Users with a role, a territory and a function; API tokens hashed at rest."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from k3i.core.roles import Role


class User(AbstractUser):
    class Lingkup(models.TextChoices):
        POLRES = "polres", _("Seluruh Polres")
        POLSEK = "polsek", _("Satu Polsek")
        KELURAHAN = "kelurahan", _("Daftar kelurahan")

    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, blank=True)
    polres = models.ForeignKey("organization.Polres", null=True, blank=True, on_delete=models.PROTECT)
    lingkup = models.CharField(_("lingkup wilayah"), max_length=10, choices=Lingkup.choices, default=Lingkup.POLRES)
    scope_polsek = models.ForeignKey(
        "organization.Polsek", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("Polsek (lingkup)"),
    )
    scope_kelurahan = models.ManyToManyField(
        "organization.Region", blank=True, related_name="+", verbose_name=_("kelurahan (lingkup)")
    )
    scope_fungsi = models.ManyToManyField(
        "organization.Fungsi", blank=True, related_name="+", verbose_name=_("fungsi (lingkup)"),
        help_text=_("Kosong: semua fungsi."),
    )
    personel = models.OneToOneField(
        "organization.Personel", null=True, blank=True, on_delete=models.SET_NULL, related_name="user"
    )
    is_demo = models.BooleanField(_("akun demo"), default=False)
    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role else "—"

    def is_locked(self) -> bool:
        return bool(self.locked_until and self.locked_until > timezone.now())


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; the raw value is shown once at creation."""

    class Cakupan(models.TextChoices):
        READ = "read", _("Baca")
        WRITE = "write", _("Baca & tulis")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("nama"), max_length=80, blank=True)
    prefix = models.CharField(max_length=12, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    cakupan = models.CharField(max_length=5, choices=Cakupan.choices, default=Cakupan.READ)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("token API")
        verbose_name_plural = _("token API")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"

    def is_valid(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
