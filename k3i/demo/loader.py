"""Load the built-in demo Polres into the database, idempotently.

``load_demo("semarang")`` writes the plan of ``plan.py`` through the actions — regions through the region
importer (schematic areas), master data through ``k3i.organization.actions`` and
``k3i.dispatch.actions``, accounts through ``k3i.accounts.actions.create_user`` — in ONE transaction,
upserting by natural key (Region kode, Polres kode, Fungsi kode, Polsek kecamatan, Pospol/Polsubsektor
name within their Polsek, NRP, kelurahan of a coverage, callsign, username). Loading twice changes nothing
and writes nothing.

The ledger: the master-data rows are written with ``bulk=True`` and the load writes ONE summarising entry,
``demo.dimuat``, with the counts per kind (created / updated), the coverage gaps and the accounts. Added to
it are the entries the other actions always write: one ``wilayah.diimpor`` for the regions, one
``jalan.diimpor`` for the demo street/place list (Semarang: ``data/3374-jalan.csv``) and one
``pengguna.dibuat`` per demo account, crew accounts included (logins are worth an entry each). A full load
therefore adds one entry per account and a handful more instead of ~1,000 lines of noise, and a second load
adds none.

Each demo patrol officer (role *anggota*) is signed on to a unit (an R2) of their Polsek and function
(``k3i.dispatch.actions.sign_on``, in bulk: listed under ``awak`` in the summary), so that ``/tugas/`` shows
work at once — only when that account has never been signed on: an officer who signed off stays off.

Then the morning roll call (``roll_call``): every active unit of the demo Polres that has never had a crew
gets its crew (``plan.CREW_SIZE``: R2 1–2, R4 2) from the Polres's personel who may crew it (``may_crew``:
its Polsek, its function or none — patrol members first, officers next, those without a function last) and
have no account yet; each gets a demo account ``awak-<NRP>`` (anggota, their Polsek, the shared demo password;
not printed in the account table) and is signed on in bulk. A unit whose crew signed off stays without, as
the officer does; the load report (``LoadReport.uncrewed``, ``unit_tanpa_awak`` in the summary) names the
active units without crew.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from k3i.accounts.actions import create_user
from k3i.accounts.models import User
from k3i.core import audit, events
from k3i.core.audit import Channel
from k3i.core.errors import Conflict
from k3i.core.roles import Role
from k3i.dispatch import actions as unit_actions
from k3i.dispatch.models import PatrolUnit, UnitCrew
from k3i.organization import actions as org
from k3i.organization.models import (
    PANGKAT_ORDER,
    BhabinCoverage,
    Fungsi,
    Pangkat,
    Personel,
    Polres,
    Polsek,
    Polsubsektor,
    Pospol,
    Region,
)
from k3i.organization.regions import ImportReport, import_regions
from k3i.organization.streets import StreetImportReport, import_streets

from .geography import DATA_DIR, feature_collection
from .plan import CREW_SIZE, DEMO_PASSWORD, DEMOS, AccountRec, Plan, build_plan

# "akun_awak": the crew accounts of the roll call; "awak": sign-ons (the demo anggota's and the roll call's)
KINDS = ("fungsi", "polres", "polsek", "pospol", "polsubsektor", "personel", "binaan", "unit", "akun", "akun_awak",
         "awak")
CREW_USERNAME = "awak-{nrp}"


@dataclass
class LoadReport:
    plan: Plan
    polres: Polres
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    regions: ImportReport | None = None
    streets: StreetImportReport | None = None  # the demo street/place list, when it changed
    uncrewed: list[str] = field(default_factory=list)  # callsigns of the active units nobody crews after the load

    @property
    def changed(self) -> bool:
        return (any(self.created.values()) or any(self.updated.values()) or self.regions is not None
                or self.streets is not None)

    @property
    def accounts(self) -> list[AccountRec]:
        return self.plan.accounts


class _Loader:
    def __init__(self, plan: Plan, channel: str) -> None:
        self.plan = plan
        self.channel = channel
        self.report: LoadReport | None = None
        self.created = dict.fromkeys(KINDS, 0)
        self.updated = dict.fromkeys(KINDS, 0)
        self.shared_hash: str | None = None  # one PBKDF2 hash of the one documented demo password (≈ 0.25 s)

    def upsert(self, kind: str, existing: Any, fields: dict[str, Any], create: Callable[..., Any],
               update: Callable[..., Any], spec: org.Spec | None = None) -> Any:
        """Create the row, or update it when its fields differ; count what happened."""
        if existing is None:
            self.created[kind] += 1
            return create(None, channel=self.channel, bulk=True, **fields)
        pending = (org.pending_changes(existing, spec, fields) if spec is not None
                   else unit_actions.pending_unit_changes(existing, fields))
        if not pending:
            return existing
        self.updated[kind] += 1
        return update(None, existing, channel=self.channel, bulk=True, **fields)

    # -- the steps, in dependency order --

    def regions(self) -> ImportReport | None:
        """Schematic kelurahan areas, except where real (non-schematic) boundaries were imported."""
        fc = feature_collection(self.plan.demo.kota)
        codes = [f["properties"]["kode"] for f in fc["features"]]
        real = set(
            Region.objects.filter(kode__in=codes, schematic=False, geometry__isnull=False).values_list("kode", flat=True)
        )
        features = [f for f in fc["features"] if f["properties"]["kode"] not in real]
        if not features:
            return None
        data = {"type": "FeatureCollection", "features": features}
        check = import_regions(data, actor=None, channel=self.channel, schematic=True, dry_run=True)
        if not (check.created or check.updated or check.parents_created):
            return None
        return import_regions(data, actor=None, channel=self.channel, schematic=True, source="demo")

    def streets(self) -> StreetImportReport | None:
        """The demo's street/place list (``data/<kota>-jalan.csv``, if there is one) through the importer,
        which writes nothing when nothing changed."""
        path = DATA_DIR / f"{self.plan.demo.kota.replace('.', '')}-jalan.csv"
        if not path.exists():
            return None
        report = import_streets(path, actor=None, channel=self.channel, source="demo")
        return report if report.changed else None

    def fungsi(self) -> dict[str, Fungsi]:
        have = Fungsi.objects.in_bulk(field_name="kode")
        out = {}
        for f in self.plan.fungsi:
            fields = {"nama": f.nama, "singkatan": f.singkatan, "jenis": f.jenis, "keterangan": f.keterangan}
            existing = have.get(f.kode)
            if existing is None:
                fields["kode"] = f.kode
            out[f.kode] = self.upsert("fungsi", existing, fields, org.create_fungsi, org.update_fungsi, org.FUNGSI)
        return out

    def polres(self) -> Polres:
        p = self.plan.polres
        fields = {"nama": p.nama, "tipe": p.tipe, "polda": p.polda, "wilayah": Region.objects.get(kode=p.wilayah),
                  "alamat": p.alamat, "lat": p.lat, "lon": p.lon, "is_demo": True}
        existing = Polres.objects.filter(kode=p.kode).first()
        if existing is None:
            fields["kode"] = p.kode
        return self.upsert("polres", existing, fields, org.create_polres, org.update_polres, org.POLRES)

    def polsek(self, polres: Polres) -> dict[str, Polsek]:
        have = {ps.kecamatan_id: ps for ps in Polsek.objects.filter(polres=polres)}
        kecamatan = Region.objects.in_bulk([ps.kecamatan for ps in self.plan.polsek])
        out = {}
        for ps in self.plan.polsek:
            fields = {"polres": polres, "nama": ps.nama, "tipe": ps.tipe,
                      "berwenang_penyidikan": ps.berwenang_penyidikan, "kecamatan": kecamatan[ps.kecamatan],
                      "alamat": ps.alamat, "lat": ps.lat, "lon": ps.lon}
            out[ps.kecamatan] = self.upsert("polsek", have.get(ps.kecamatan), fields, org.create_polsek,
                                            org.update_polsek, org.POLSEK)
        return out

    def pospol(self, polsek: dict[str, Polsek], kelurahan: dict[str, Region]) -> None:
        have = {(p.polsek_id, p.nama): p for p in Pospol.objects.filter(polsek__in=polsek.values())}
        for p in self.plan.pospol:
            ps = polsek[p.polsek]
            fields = {"polsek": ps, "nama": p.nama, "kelurahan": kelurahan[p.kelurahan], "lat": p.lat, "lon": p.lon}
            self.upsert("pospol", have.get((ps.pk, p.nama)), fields, org.create_pospol, org.update_pospol, org.POSPOL)

    def polsubsektor(self, polsek: dict[str, Polsek], kelurahan: dict[str, Region]) -> None:
        have = {(p.polsek_id, p.nama): p for p in Polsubsektor.objects.filter(polsek__in=polsek.values())}
        for p in self.plan.polsubsektor:
            ps = polsek[p.polsek]
            fields = {"polsek": ps, "nama": p.nama, "kelurahan": [kelurahan[k] for k in p.kelurahan],
                      "lat": p.lat, "lon": p.lon}
            self.upsert("polsubsektor", have.get((ps.pk, p.nama)), fields, org.create_polsubsektor,
                        org.update_polsubsektor, org.POLSUBSEKTOR)

    def personel(self, polres: Polres, polsek: dict[str, Polsek], fungsi: dict[str, Fungsi]) -> dict[str, Personel]:
        have = Personel.objects.in_bulk([p.nrp for p in self.plan.personel], field_name="nrp")
        out = {}
        for p in self.plan.personel:
            fields = {"nama": p.nama, "pangkat": p.pangkat, "jabatan": p.jabatan, "polres": polres,
                      "polsek": polsek[p.polsek] if p.polsek else None,
                      "fungsi": fungsi[p.fungsi] if p.fungsi else None, "aktif": True}
            existing = have.get(p.nrp)
            if existing is None:
                fields["nrp"] = p.nrp
            out[p.nrp] = self.upsert("personel", existing, fields, org.create_personel, org.update_personel,
                                     org.PERSONEL)
        return out

    def coverage(self, personel: dict[str, Personel], kelurahan: dict[str, Region]) -> None:
        have = BhabinCoverage.objects.in_bulk([c.kelurahan for c in self.plan.coverage], field_name="kelurahan_id")
        for c in self.plan.coverage:
            fields: dict[str, Any] = {"personel": personel[c.nrp], "sejak": c.sejak}
            existing = have.get(c.kelurahan)
            if existing is None:
                fields["kelurahan"] = kelurahan[c.kelurahan]
            self.upsert("binaan", existing, fields, org.create_bhabin_coverage, org.update_bhabin_coverage,
                        org.COVERAGE)

    def units(self, polres: Polres, polsek: dict[str, Polsek], fungsi: dict[str, Fungsi]) -> None:
        have = PatrolUnit.objects.in_bulk([u.callsign for u in self.plan.units], field_name="callsign")
        for u in self.plan.units:
            fields: dict[str, Any] = {"tipe": u.tipe, "polsek": polsek[u.polsek] if u.polsek else None,
                                      "fungsi": fungsi[u.fungsi], "home_lat": u.lat, "home_lon": u.lon,
                                      "aktif": True}
            existing = have.get(u.callsign)
            if existing is None:
                fields.update(callsign=u.callsign, polres=polres)
            self.upsert("unit", existing, fields, unit_actions.create_patrol_unit, unit_actions.update_patrol_unit)

    def accounts(self, polres: Polres, polsek: dict[str, Polsek], personel: dict[str, Personel],
                 kelurahan: dict[str, Region]) -> None:
        """Demo accounts are created once; an existing demo account is left as it is."""
        have = User.objects.in_bulk([a.username for a in self.plan.accounts], field_name="username")
        for a in self.plan.accounts:
            user = have.get(a.username)
            if user is not None:
                if not user.is_demo or user.polres_id != polres.pk:
                    raise Conflict(f"Pengguna '{a.username}' sudah ada dan bukan akun demo {polres.nama}; "
                                   "demo tidak dimuat. Pakai basis data terpisah (K3I_SQLITE_PATH) atau --reset.")
                continue
            create_user(
                None, username=a.username, password=None, password_hash=self.password_hash(), role=a.role, polres=polres, lingkup=a.lingkup,
                scope_polsek=polsek[a.polsek] if a.polsek else None,
                scope_kelurahan=[kelurahan[k] for k in a.kelurahan],
                personel=personel.get(a.nrp or ""), is_demo=True, full_name=a.full_name, channel=self.channel,
            )
            self.created["akun"] += 1

    def password_hash(self) -> str:
        self.shared_hash = self.shared_hash or make_password(DEMO_PASSWORD)
        return self.shared_hash

    def crew(self) -> dict[str, str]:
        """Sign each demo officer (anggota) never signed on before on to a unit they may crew (their Polsek's
        first R2, else its first unit); ``{username: callsign}`` of those signed on now."""
        names = [a.username for a in self.plan.accounts if a.role == Role.ANGGOTA]
        done = {}
        for user in User.objects.filter(username__in=names).select_related("personel").order_by("username"):
            if UnitCrew.objects.filter(user=user).exists():
                continue
            units = sorted(unit_actions.units_to_crew(user), key=lambda u: (u.tipe != PatrolUnit.Tipe.R2, u.callsign))
            if not units:
                continue
            unit = units[0]  # a motorbike (R2) first: the officer on patrol
            unit_actions.sign_on(None, unit, channel=self.channel, officer=user, bulk=True)
            self.created["awak"] += 1
            done[user.get_username()] = unit.callsign
        return done

    def roll_call(self, polres: Polres) -> list[str]:
        """The morning roll call (see the module docstring): crew every active unit of ``polres`` that never had
        one; returns the callsigns of the active units without crew afterwards."""
        units = list(PatrolUnit.objects.filter(polres=polres, aktif=True).select_related("polsek", "fungsi")
                     .order_by("callsign"))
        ever = set(UnitCrew.objects.filter(unit__polres=polres).order_by().values_list("unit_id", flat=True).distinct())
        todo = [u for u in units if u.pk not in ever]
        if todo:
            size = {u.callsign: u.crew for u in self.plan.units}
            taken = set(User.objects.filter(username__startswith=CREW_USERNAME.format(nrp=""))
                        .values_list("username", flat=True))
            free = [p for p in Personel.objects.filter(polres=polres, aktif=True, user__isnull=True)
                    .select_related("polsek", "fungsi").order_by("nrp")
                    if CREW_USERNAME.format(nrp=p.nrp) not in taken]
            random.Random(f"k3i-demo-apel-{self.plan.demo.key}").shuffle(free)  # who rides what: seeded
            officer = PANGKAT_ORDER[Pangkat.IPDA]
            # patrol members (bintara) of the function first, its officers next, those without a function last
            free.sort(key=lambda p: (p.fungsi_id is None, PANGKAT_ORDER.get(p.pangkat, officer) >= officer))
            by_polsek: dict[int | None, list[Personel]] = {}
            for p in free:
                by_polsek.setdefault(p.polsek_id, []).append(p)
            for unit in todo:
                pool = by_polsek.get(unit.polsek_id, [])
                crew = [p for p in pool if p.fungsi_id is None or unit.fungsi_id is None
                        or p.fungsi_id == unit.fungsi_id][:size.get(unit.callsign) or CREW_SIZE.get(unit.tipe, (1,))[0]]
                for p in crew:
                    pool.remove(p)
                    user = create_user(
                        None, username=CREW_USERNAME.format(nrp=p.nrp), password=None,
                        password_hash=self.password_hash(), role=Role.ANGGOTA, polres=polres,
                        lingkup=User.Lingkup.POLSEK if p.polsek_id else User.Lingkup.POLRES, scope_polsek=p.polsek,
                        # a Mapolres crew sees its own function, not the whole Polres (as Kasat Reskrim does)
                        scope_fungsi=[unit.fungsi] if p.polsek_id is None and unit.fungsi_id else [],
                        personel=p, is_demo=True, full_name=p.nama.split(",")[0], channel=self.channel,
                    )
                    unit_actions.sign_on(None, unit, channel=self.channel, officer=user, bulk=True)
                    self.created["akun_awak"] += 1
                    self.created["awak"] += 1
        crewed = set(UnitCrew.objects.filter(unit__polres=polres, signed_off_at__isnull=True)
                     .values_list("unit_id", flat=True))
        return [u.callsign for u in units if u.pk not in crewed]


def _guard(plan: Plan) -> None:
    """One demo Polres per database, never mixed into real data."""
    others = Polres.objects.exclude(kode=plan.polres.kode)
    real = others.filter(is_demo=False).first() or Polres.objects.filter(kode=plan.polres.kode, is_demo=False).first()
    if real is not None:
        raise Conflict(f"Basis data ini berisi data {real.nama} (bukan demo): demo tidak dimuat. "
                       "Pakai basis data terpisah, mis. K3I_SQLITE_PATH=var/demo.sqlite3.")
    other = others.first()
    if other is not None:
        key = next((k for k, d in DEMOS.items() if d.kode == other.kode), "")
        raise Conflict(f"Basis data ini sudah berisi demo {other.nama}. Untuk menggantinya dengan "
                       f"{plan.polres.nama}: `k3i demo --polres {plan.demo.key} --reset`"
                       + (f"; untuk memakainya: `k3i demo --polres {key}`." if key else "."))


def load_demo(key: str = "semarang", *, channel: str = Channel.SYSTEM) -> LoadReport:
    """Load (or bring up to date) the demo Polres ``key`` ("semarang" or "salatiga") in one transaction."""
    plan = build_plan(key)
    loader = _Loader(plan, channel)
    with transaction.atomic():
        _guard(plan)
        regions = loader.regions()
        kelurahan = {r.kode: r for r in Region.objects.filter(kode__in=[p.kode for p in plan.points])}
        fungsi = loader.fungsi()
        polres = loader.polres()
        polsek = loader.polsek(polres)
        streets = loader.streets()
        loader.pospol(polsek, kelurahan)
        loader.polsubsektor(polsek, kelurahan)
        personel = loader.personel(polres, polsek, fungsi)
        loader.coverage(personel, kelurahan)
        loader.units(polres, polsek, fungsi)
        loader.accounts(polres, polsek, personel, kelurahan)
        crew = loader.crew()
        uncrewed = loader.roll_call(polres)
        report = LoadReport(plan, polres, loader.created, loader.updated, regions, streets, uncrewed)
        if report.changed:
            summary = {
                "demo": key,
                "dibuat": {k: v for k, v in loader.created.items() if v},
                "diperbarui": {k: v for k, v in loader.updated.items() if v},
                "wilayah": regions.counts() if regions else None,
                "jalan": streets.counts() if streets else None,
                "kelurahan_tanpa_bhabin": plan.gaps,
                "akun_demo": [a.username for a in plan.accounts],
                "awak": crew,
                "unit_tanpa_awak": uncrewed,
            }
            audit.record(None, "demo.dimuat", polres, channel=channel, changes=summary, polres_id=polres.pk)
            events.emit("demo.dimuat", {"polres": polres.nama, "dibuat": summary["dibuat"],
                                        "diperbarui": summary["diperbarui"]}, polres_id=polres.pk)
    return report
