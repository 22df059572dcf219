"""The test world: a small Polres with two Polsek and named users for every role.

One fixtures module for the whole suite (healthchecks' ``BaseTestCase`` idea). Geometry is simple
squares around real Semarang codes so that tests read like the real thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from k3i.accounts.models import User
from k3i.core.roles import Role
from k3i.dispatch.models import PatrolUnit
from k3i.organization.models import (
    BhabinCoverage,
    Fungsi,
    Pangkat,
    Personel,
    Polres,
    Polsek,
    Pospol,
    Region,
)

PASSWORD = "sandi-uji-K3i-2026"


def square(lon0: float, lat0: float, lon1: float, lat1: float) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]]}


# kecamatan → [(kode, nama, (lon0, lat0, lon1, lat1))]
KELURAHAN = {
    ("33.74.01", "Semarang Tengah"): [
        ("33.74.01.1001", "Miroto", (110.40, -7.00, 110.42, -6.96)),
        ("33.74.01.1002", "Brumbungan", (110.42, -7.00, 110.44, -6.96)),
    ],
    ("33.74.02", "Semarang Utara"): [
        ("33.74.02.1001", "Bandarharjo", (110.40, -6.96, 110.42, -6.92)),
        ("33.74.02.1002", "Bulu Lor", (110.42, -6.96, 110.44, -6.92)),
    ],
}

FUNGSI = [
    ("SAT_RESKRIM", "Satuan Reserse Kriminal", "Sat Reskrim", "utama"),
    ("SAT_SAMAPTA", "Satuan Samapta", "Sat Samapta", "utama"),
    ("SAT_LANTAS", "Satuan Lalu Lintas", "Sat Lantas", "utama"),
    ("SAT_BINMAS", "Satuan Pembinaan Masyarakat", "Sat Binmas", "utama"),
    ("BAGOPS", "Bagian Operasi", "Bagops", "pendukung"),
    ("SIPROPAM", "Seksi Profesi dan Pengamanan", "Sipropam", "pendukung"),
]


@dataclass
class World:
    polres: Polres
    polsek: dict[str, Polsek] = field(default_factory=dict)  # "semarang_tengah", "semarang_utara"
    kelurahan: dict[str, Region] = field(default_factory=dict)  # by nama
    fungsi: dict[str, Fungsi] = field(default_factory=dict)
    personel: dict[str, Personel] = field(default_factory=dict)
    units: dict[str, PatrolUnit] = field(default_factory=dict)
    pospol: dict[str, Pospol] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    incidents: dict[str, Any] = field(default_factory=dict)  # "miroto", "brumbungan", "bulu_lor"

    def user(self, name: str) -> User:
        return self.users[name]


def build_world() -> World:
    prov = Region.objects.create(kode="33", nama="Jawa Tengah", level=1, tipe="provinsi")
    kota = Region.objects.create(kode="33.74", nama="Kota Semarang", level=2, tipe="kota", parent=prov)
    polres = Polres.objects.create(
        kode="uji", nama="Polrestabes Uji", tipe=Polres.Tipe.POLRESTABES, wilayah=kota, lat=-6.98, lon=110.41
    )
    w = World(polres=polres)
    for kode, nama, singkatan, jenis in FUNGSI:
        w.fungsi[kode] = Fungsi.objects.create(kode=kode, nama=nama, singkatan=singkatan, jenis=jenis)
    nrp = iter(range(80010001, 80019999))
    for (kec_kode, kec_nama), kels in KELURAHAN.items():
        lon0 = min(b[0] for _, _, b in kels)
        lat0 = min(b[1] for _, _, b in kels)
        lon1 = max(b[2] for _, _, b in kels)
        lat1 = max(b[3] for _, _, b in kels)
        kec = Region.objects.create(
            kode=kec_kode, nama=kec_nama, level=3, tipe="kecamatan", parent=kota,
            geometry=square(lon0, lat0, lon1, lat1), lat=(lat0 + lat1) / 2, lon=(lon0 + lon1) / 2,
        )
        key = kec_nama.lower().replace(" ", "_")
        ps = Polsek.objects.create(
            polres=polres, nama=f"Polsek {kec_nama}", kecamatan=kec, tipe="A", lat=kec.lat, lon=kec.lon
        )
        w.polsek[key] = ps
        for kode, nama, (a, b, c, d) in kels:
            w.kelurahan[nama] = Region.objects.create(
                kode=kode, nama=nama, level=4, tipe="kelurahan", parent=kec, geometry=square(a, b, c, d),
                lat=(b + d) / 2, lon=(a + c) / 2,
            )
        first = w.kelurahan[kels[0][1]]
        w.pospol[key] = Pospol.objects.create(
            polsek=ps, nama=f"Pospol {first.nama}", kelurahan=first, lat=first.lat or 0, lon=first.lon or 0
        )
        w.personel[f"kapolsek_{key}"] = Personel.objects.create(
            nrp=str(next(nrp)), nama=f"Kapolsek {kec_nama}", pangkat=Pangkat.KOMPOL, jabatan="Kapolsek",
            polres=polres, polsek=ps,
        )
        w.personel[f"anggota_{key}"] = Personel.objects.create(
            nrp=str(next(nrp)), nama=f"Anggota {kec_nama}", pangkat=Pangkat.BRIPKA, jabatan="Banit Samapta",
            polres=polres, polsek=ps, fungsi=w.fungsi["SAT_SAMAPTA"], telepon="081200000001",
        )
        bhabin = Personel.objects.create(
            nrp=str(next(nrp)), nama=f"Bhabin {first.nama}", pangkat=Pangkat.AIPDA,
            jabatan=f"Bhabinkamtibmas {first.nama}", polres=polres, polsek=ps, fungsi=w.fungsi["SAT_BINMAS"],
        )
        w.personel[f"bhabin_{first.nama.lower()}"] = bhabin
        BhabinCoverage.objects.create(personel=bhabin, kelurahan=first)  # the second kelurahan is a gap
        w.units[key] = PatrolUnit.objects.create(
            callsign=f"{kec_nama.upper().replace(' ', '-')}-R2-01", tipe=PatrolUnit.Tipe.R2, polres=polres,
            polsek=ps, fungsi=w.fungsi["SAT_SAMAPTA"], home_lat=ps.lat, home_lon=ps.lon,
        )
    w.personel["kasat_reskrim"] = Personel.objects.create(
        nrp=str(next(nrp)), nama="Kasat Reskrim", pangkat=Pangkat.AKBP, jabatan="Kasat Reskrim",
        polres=polres, fungsi=w.fungsi["SAT_RESKRIM"],
    )
    w.units["reskrim"] = PatrolUnit.objects.create(
        callsign="RESKRIM-R4-01", tipe=PatrolUnit.Tipe.R4, polres=polres, fungsi=w.fungsi["SAT_RESKRIM"],
        home_lat=-6.98, home_lon=110.41,
    )

    def mk(username: str, role: Role, lingkup: str = "polres", polsek: Polsek | None = None,
           kelurahan: list[Region] | None = None, personel: Personel | None = None) -> User:
        u = User.objects.create_user(
            username=username, password=PASSWORD, role=role, polres=polres, lingkup=lingkup,
            scope_polsek=polsek, personel=personel,
        )
        if kelurahan:
            u.scope_kelurahan.set(kelurahan)
        w.users[username] = u
        return u

    mk("admin", Role.ADMIN)
    mk("kapolres", Role.KAPOLRES)
    mk("kabagops", Role.KABAGOPS)
    mk("operator", Role.OPERATOR)
    mk("propam", Role.PROPAM)
    mk("analis", Role.ANALIS)
    mk("spkt", Role.SPKT)
    for key in w.polsek:
        mk(f"kapolsek_{key}", Role.KAPOLSEK, "polsek", w.polsek[key], personel=w.personel[f"kapolsek_{key}"])
        mk(f"anggota_{key}", Role.ANGGOTA, "polsek", w.polsek[key], personel=w.personel[f"anggota_{key}"])
        mk(f"operator_{key}", Role.OPERATOR, "polsek", w.polsek[key])
    mk("bhabin_miroto", Role.BHABIN, "kelurahan", kelurahan=[w.kelurahan["Miroto"]],
       personel=w.personel["bhabin_miroto"])
    reskrim = mk("kasat_reskrim", Role.KABAGOPS, personel=w.personel["kasat_reskrim"])
    reskrim.scope_fungsi.set([w.fungsi["SAT_RESKRIM"]])
    return w


def add_incidents(w: World) -> None:
    """(fixture ``incidents``) Three reports through the real intake action: two in Semarang Tengah (one in Miroto), one in Utara."""
    from k3i.incidents.actions import create_incident

    op = w.users["operator"]
    for key, text, lat, lon in [
        ("miroto", "tolong motor saya dibegal di jalan, pelaku bawa celurit", -6.98, 110.41),
        ("brumbungan", "rumah tetangga dibobol maling saat ditinggal mudik", -6.98, 110.43),
        ("bulu_lor", "ada kecelakaan motor dan mobil, korban luka", -6.94, 110.43),
    ]:
        w.incidents[key], _ = create_incident(
            op, polres=w.polres, channel="110", text=text, lat=lat, lon=lon, reporter_name="Budi Santoso",
            reporter_phone="081234567890", audit_channel="web",
        )


def run_on_sqlite_file(tmp_path: Any, module: str, function: str) -> Any:
    """Run ``module.function(build_world())`` in a fresh Python process on a migrated SQLite *file* (threads
    there write on connections of their own and see each other's commits, which the in-memory test database
    cannot offer) and return what it printed as JSON."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = (
        "import json, django\ndjango.setup()\nfrom django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\nfrom k3i.testing import build_world\n"
        f"from {module} import {function}\nprint(json.dumps({function}(build_world())))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("K3I_DATABASE_URL", "K3I_TEST_DB_NAME")}
    env.update({"K3I_TESTING": "1", "K3I_SQLITE_PATH": str(Path(tmp_path) / "k3i.sqlite3"),
                "K3I_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "k3i.settings", "PYTHONPATH": str(root)})
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])
