"""Places (Kemendagri regions) and the KOD organisation that serves them."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from k3i.core.access import RestrictedManager, Scope

KODE_WILAYAH = RegexValidator(
    r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$", _("Kode wilayah harus berbentuk PP.KK.CC.DDDD (Kemendagri).")
)


class Region(models.Model):
    """Provinsi / kota-kabupaten / kecamatan / kelurahan-desa, keyed by Kemendagri code."""

    class Level(models.IntegerChoices):
        PROVINSI = 1, "Provinsi"
        KOTA_KAB = 2, "Kota/Kabupaten"
        KECAMATAN = 3, "Kecamatan"
        KELURAHAN = 4, "Kelurahan/Desa"

    kode = models.CharField(_("kode wilayah"), max_length=13, primary_key=True, validators=[KODE_WILAYAH])
    nama = models.CharField(max_length=120)
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    tipe = models.CharField(_("jenis"), max_length=20, blank=True)  # kota, kabupaten, kelurahan, desa …
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("induk")
    )
    # GeoJSON geometry (Polygon/MultiPolygon, WGS84 lon/lat); empty when no boundary is known.
    geometry = models.JSONField(_("batas (GeoJSON)"), null=True, blank=True)
    schematic = models.BooleanField(
        _("batas skematis"), default=False, help_text=_("Batas dibangun dari titik wakil (demo), bukan batas resmi.")
    )
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    luas_km2 = models.FloatField(_("luas (km²)"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RestrictedManager()
    perm_name = "region"

    class Meta:
        verbose_name = _("wilayah")
        verbose_name_plural = _("wilayah")
        ordering = ["kode"]

    def __str__(self) -> str:
        return f"{self.nama} ({self.kode})"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        if scope.kelurahan_codes is None:
            return Q()
        kec = {k[:8] for k in scope.kelurahan_codes}
        kota = {k[:5] for k in scope.kelurahan_codes}
        prov = {k[:2] for k in scope.kelurahan_codes}
        return Q(kode__in=scope.kelurahan_codes) | Q(kode__in=kec | kota | prov)


class Fungsi(models.Model):
    """A function of the Polres (Sat / Bag / Si), fungsi utama or pendukung."""

    class Jenis(models.TextChoices):
        UTAMA = "utama", _("Fungsi utama")
        PENDUKUNG = "pendukung", _("Fungsi pendukung")

    kode = models.CharField(max_length=40, unique=True)  # e.g. "SAT_RESKRIM"
    nama = models.CharField(max_length=120)  # "Satuan Reserse Kriminal"
    singkatan = models.CharField(max_length=40)  # "Sat Reskrim" (as used in the taxonomy)
    jenis = models.CharField(max_length=10, choices=Jenis.choices)
    keterangan = models.CharField(max_length=200, blank=True)

    objects = RestrictedManager()
    perm_name = "fungsi"

    class Meta:
        verbose_name = _("fungsi")
        verbose_name_plural = _("fungsi")
        ordering = ["jenis", "singkatan"]

    def __str__(self) -> str:
        return self.singkatan

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        return Q()


class Polres(models.Model):
    class Tipe(models.TextChoices):
        METRO = "metro", "Polres Metro"
        POLRESTABES = "polrestabes", "Polrestabes"
        POLRESTA = "polresta", "Polresta"
        POLRES = "polres", "Polres"

    kode = models.SlugField(max_length=40, unique=True)
    nama = models.CharField(max_length=120)
    tipe = models.CharField(max_length=12, choices=Tipe.choices)
    polda = models.CharField(max_length=120, blank=True)
    wilayah = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("kota/kabupaten"),
        limit_choices_to={"level": Region.Level.KOTA_KAB},
    )
    alamat = models.CharField(max_length=200, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    is_demo = models.BooleanField(default=False)

    class Meta:
        verbose_name = "Polres"
        verbose_name_plural = "Polres"

    def __str__(self) -> str:
        return self.nama


class Polsek(models.Model):
    class Tipe(models.TextChoices):
        A = "A", _("Tipe A (urban)")
        B = "B", _("Tipe B (rural)")
        C = "C", _("Tipe C (pra-rural)")
        D = "D", _("Tipe D (perairan/terpencil)")

    polres = models.ForeignKey(Polres, on_delete=models.PROTECT)
    nama = models.CharField(max_length=120)
    tipe = models.CharField(max_length=1, choices=Tipe.choices, default=Tipe.A)
    berwenang_penyidikan = models.BooleanField(_("berwenang penyidikan"), default=True)
    kecamatan = models.OneToOneField(
        Region, on_delete=models.PROTECT, related_name="polsek", verbose_name=_("kecamatan (wilayah hukum)"),
        limit_choices_to={"level": Region.Level.KECAMATAN},
    )
    alamat = models.CharField(max_length=200, blank=True)
    telepon = models.CharField(max_length=30, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)

    objects = RestrictedManager()
    perm_name = "polsek"

    class Meta:
        verbose_name = "Polsek"
        verbose_name_plural = "Polsek"
        ordering = ["nama"]

    def __str__(self) -> str:
        return self.nama

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        q = Q(polres_id=scope.polres_id)
        return q if scope.polsek_ids is None else q & Q(id__in=scope.polsek_ids)


class Polsubsektor(models.Model):
    polsek = models.ForeignKey(Polsek, on_delete=models.PROTECT)
    nama = models.CharField(max_length=120)
    kelurahan = models.ManyToManyField(Region, blank=True, related_name="+", verbose_name="kelurahan")
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)

    objects = RestrictedManager()
    perm_name = "pospol"

    class Meta:
        verbose_name = "Polsubsektor"
        verbose_name_plural = "Polsubsektor"

    def __str__(self) -> str:
        return self.nama

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        return _via_polsek(scope)


def _via_polsek(scope: Scope, prefix: str = "polsek__") -> Q:
    q = Q(**{f"{prefix}polres_id": scope.polres_id})
    return q if scope.polsek_ids is None else q & Q(**{f"{prefix}id__in": scope.polsek_ids})


class Pospol(models.Model):
    """Pos Polisi: a point on the map and the kelurahan it serves."""

    polsek = models.ForeignKey(Polsek, on_delete=models.PROTECT)
    nama = models.CharField(max_length=120)
    kelurahan = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="pospol_set")
    lat = models.FloatField()
    lon = models.FloatField()

    objects = RestrictedManager()
    perm_name = "pospol"

    class Meta:
        verbose_name = "Pospol"
        verbose_name_plural = "Pospol"
        ordering = ["nama"]

    def __str__(self) -> str:
        return self.nama

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        return _via_polsek(scope)


class Pangkat(models.TextChoices):
    """Polri ranks from Bharada to Kombes (the ranks a Polres carries), lowest first."""

    BHARADA = "bharada", "Bharada"
    BHARATU = "bharatu", "Bharatu"
    BHARAKA = "bharaka", "Bharaka"
    ABRIPDA = "abripda", "Abripda"
    ABRIPTU = "abriptu", "Abriptu"
    ABRIP = "abrip", "Abrip"
    BRIPDA = "bripda", "Bripda"
    BRIPTU = "briptu", "Briptu"
    BRIGPOL = "brigpol", "Brigpol"
    BRIPKA = "bripka", "Bripka"
    AIPDA = "aipda", "Aipda"
    AIPTU = "aiptu", "Aiptu"
    IPDA = "ipda", "Ipda"
    IPTU = "iptu", "Iptu"
    AKP = "akp", "AKP"
    KOMPOL = "kompol", "Kompol"
    AKBP = "akbp", "AKBP"
    KOMBES = "kombes", "Kombes Pol"


PANGKAT_ORDER = {p.value: i for i, p in enumerate(Pangkat)}


class Personel(models.Model):
    nrp = models.CharField("NRP", max_length=8, unique=True, validators=[RegexValidator(r"^\d{8}$", _("NRP harus 8 angka."))])
    nama = models.CharField(max_length=120)
    pangkat = models.CharField(max_length=10, choices=Pangkat.choices)
    jabatan = models.CharField(max_length=120)
    polres = models.ForeignKey(Polres, on_delete=models.PROTECT)
    polsek = models.ForeignKey(
        Polsek, null=True, blank=True, on_delete=models.PROTECT, help_text=_("Kosong: bertugas di Mapolres.")
    )
    fungsi = models.ForeignKey(Fungsi, null=True, blank=True, on_delete=models.PROTECT)
    telepon = models.CharField(max_length=20, blank=True)
    aktif = models.BooleanField(default=True)

    objects = RestrictedManager()
    perm_name = "personel"

    class Meta:
        verbose_name = _("personel")
        verbose_name_plural = _("personel")
        ordering = ["nama"]

    def __str__(self) -> str:
        return f"{self.get_pangkat_display()} {self.nama}"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        q = Q(polres_id=scope.polres_id)
        if scope.polsek_ids is not None:
            q &= Q(polsek_id__in=scope.polsek_ids)
        if scope.fungsi_ids is not None:
            q &= Q(fungsi_id__in=scope.fungsi_ids)
        return q


class BhabinCoverage(models.Model):
    """A Bhabinkamtibmas covers a kelurahan; one officer may cover several, a kelurahan has at most one."""

    personel = models.ForeignKey(Personel, on_delete=models.PROTECT, related_name="binaan")
    kelurahan = models.OneToOneField(
        Region, on_delete=models.PROTECT, related_name="bhabin",
        limit_choices_to={"level": Region.Level.KELURAHAN},
    )
    sejak = models.DateField(null=True, blank=True)

    objects = RestrictedManager()
    perm_name = "coverage"

    class Meta:
        verbose_name = _("wilayah binaan Bhabinkamtibmas")
        verbose_name_plural = _("wilayah binaan Bhabinkamtibmas")

    def __str__(self) -> str:
        return f"{self.personel} → {self.kelurahan.nama}"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        q = Q(personel__polres_id=scope.polres_id)
        if scope.kelurahan_codes is not None:
            q &= Q(kelurahan_id__in=scope.kelurahan_codes)
        return q


class Street(models.Model):
    """A street (jalan, gang) or a well-known place (tempat: "Simpang Lima") and one kelurahan it lies in.

    Reference data for the gazetteer (``k3i.incidents.gazetteer``): a street that runs through several
    kelurahan has one row per kelurahan. Written only by the importer (``k3i.organization.streets``).
    """

    class Jenis(models.TextChoices):
        JALAN = "jalan", _("Jalan/gang")
        TEMPAT = "tempat", _("Tempat terkenal")

    kelurahan = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="streets", verbose_name="kelurahan",
        limit_choices_to={"level": Region.Level.KELURAHAN},
    )
    # Normalised name with a uniform prefix ("jl pandanaran", "gg lombok", "simpang lima"): the natural key.
    kunci = models.CharField(_("nama baku"), max_length=120)
    nama = models.CharField(_("nama tampilan"), max_length=120, blank=True)  # "Jl. Pandanaran"; blank: from kunci
    jenis = models.CharField(max_length=10, choices=Jenis.choices, default=Jenis.JALAN)
    catatan = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)  # the gazetteer's cache checks MAX() of it

    objects = RestrictedManager()
    perm_name = "region"  # reference data: every staff role may read it, like the regions

    class Meta:
        verbose_name = _("jalan/tempat")
        verbose_name_plural = _("jalan/tempat")
        ordering = ["kunci", "kelurahan_id"]
        constraints = [models.UniqueConstraint(fields=["kelurahan", "kunci"], name="street_unique_per_kelurahan")]

    def __str__(self) -> str:
        return f"{self.nama or self.kunci} ({self.kelurahan_id})"

    @staticmethod
    def scope_q(scope: Scope) -> Q:
        q = Q(kelurahan__parent__polsek__polres_id=scope.polres_id)
        if scope.kelurahan_codes is not None:
            q &= Q(kelurahan_id__in=scope.kelurahan_codes)
        return q


def polres_for(user: Any = None) -> Polres | None:
    """The Polres this installation serves (the user's, or the only/first one)."""
    if user is not None and getattr(user, "polres_id", None):
        return user.polres
    from django.conf import settings

    qs = Polres.objects.all()
    if settings.K3I_POLRES:
        qs = qs.filter(kode=settings.K3I_POLRES)
    return qs.order_by("id").first()
