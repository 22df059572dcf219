"""A second, small Polres next to the test world: records no user of the world may ever see.

The permission suites (``k3i/core/tests/test_permissions.py``, the API tests) need objects outside every
territory of the world, not only outside one Polsek. ``add_neighbour(world)`` builds Polres Salatiga with
one Polsek and one of everything the organisation holds, plus a Polsubsektor and a street in the world's
own Semarang Utara (the world has none), and returns the new records by name.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from k3i.accounts.models import User
from k3i.core.roles import Role
from k3i.dispatch.models import PatrolUnit, UnitCrew
from k3i.organization.models import (
    BhabinCoverage,
    Pangkat,
    Personel,
    Polres,
    Polsek,
    Polsubsektor,
    Pospol,
    Region,
    Street,
)
from k3i.testing import PASSWORD, World, square


def add_neighbour(world: World) -> dict[str, Any]:
    n: dict[str, Any] = {}
    prov = Region.objects.get(kode="33")
    kota = Region.objects.create(kode="33.73", nama="Kota Salatiga", level=2, tipe="kota", parent=prov)
    kec = Region.objects.create(
        kode="33.73.01", nama="Argomulyo", level=3, tipe="kecamatan", parent=kota,
        geometry=square(110.48, -7.38, 110.52, -7.34), lat=-7.36, lon=110.50,
    )
    noborejo = Region.objects.create(
        kode="33.73.01.1001", nama="Noborejo", level=4, tipe="kelurahan", parent=kec,
        geometry=square(110.48, -7.38, 110.50, -7.34), lat=-7.36, lon=110.49,
    )
    Region.objects.create(  # a gap: no Bhabinkamtibmas
        kode="33.73.01.1002", nama="Cebongan", level=4, tipe="kelurahan", parent=kec,
        geometry=square(110.50, -7.38, 110.52, -7.34), lat=-7.36, lon=110.51,
    )
    polres = Polres.objects.create(kode="salatiga", nama="Polres Salatiga", tipe=Polres.Tipe.POLRES, wilayah=kota)
    ps = Polsek.objects.create(polres=polres, nama="Polsek Argomulyo", kecamatan=kec, tipe="B", lat=-7.36, lon=110.5)
    n.update(polres=polres, polsek=ps, kelurahan=noborejo)
    n["pospol"] = Pospol.objects.create(polsek=ps, nama="Pospol Noborejo", kelurahan=noborejo, lat=-7.36, lon=110.49)
    sub = Polsubsektor.objects.create(polsek=ps, nama="Polsubsektor Noborejo", lat=-7.36, lon=110.49)
    sub.kelurahan.set([noborejo])
    n["polsubsektor"] = sub
    f = world.fungsi
    n["kapolsek"] = Personel.objects.create(
        nrp="80029001", nama="Kapolsek Argomulyo", pangkat=Pangkat.AKP, jabatan="Kapolsek", polres=polres, polsek=ps,
    )
    n["anggota"] = Personel.objects.create(
        nrp="80029002", nama="Anggota Argomulyo", pangkat=Pangkat.BRIPTU, jabatan="Banit Samapta", polres=polres,
        polsek=ps, fungsi=f["SAT_SAMAPTA"],
    )
    n["reskrim"] = Personel.objects.create(
        nrp="80029003", nama="Penyidik Salatiga", pangkat=Pangkat.IPDA, jabatan="Kanit Reskrim", polres=polres,
        fungsi=f["SAT_RESKRIM"],
    )
    n["bhabin"] = Personel.objects.create(
        nrp="80029004", nama="Bhabin Noborejo", pangkat=Pangkat.BRIPKA, jabatan="Bhabinkamtibmas Noborejo",
        polres=polres, polsek=ps, fungsi=f["SAT_BINMAS"],
    )
    n["coverage"] = BhabinCoverage.objects.create(personel=n["bhabin"], kelurahan=noborejo)
    n["unit"] = PatrolUnit.objects.create(
        callsign="ARGOMULYO-R2-01", tipe=PatrolUnit.Tipe.R2, polres=polres, polsek=ps, fungsi=f["SAT_SAMAPTA"],
        home_lat=-7.36, home_lon=110.5,
    )
    n["unit_reskrim"] = PatrolUnit.objects.create(
        callsign="SALATIGA-RESKRIM-R4", tipe=PatrolUnit.Tipe.R4, polres=polres, fungsi=f["SAT_RESKRIM"],
    )
    # The world has no Polsubsektor: give Semarang Utara one, covering Bulu Lor.
    utara = world.polsek["semarang_utara"]
    world_sub = Polsubsektor.objects.create(polsek=utara, nama="Polsubsektor Bulu Lor", lat=-6.94, lon=110.43)
    world_sub.kelurahan.set([world.kelurahan["Bulu Lor"]])
    n["world_polsubsektor"] = world_sub
    # The street table (reference data, like the regions): one street here, one in the world's Bulu Lor.
    n["street"] = Street.objects.create(kelurahan=noborejo, kunci="jl argomulyo", nama="Jl. Argomulyo")
    n["world_street"] = Street.objects.create(kelurahan=world.kelurahan["Bulu Lor"], kunci="jl kenanga",
                                              nama="Jl. Kenanga")

    def mk(username: str, role: Role, lingkup: str = "polres", polsek: Polsek | None = None) -> User:
        u = User.objects.create_user(
            username=username, password=PASSWORD, role=role, polres=polres, lingkup=lingkup, scope_polsek=polsek,
        )
        n[username] = u
        return u

    mk("kapolres_salatiga", Role.KAPOLRES)
    mk("kapolsek_argomulyo", Role.KAPOLSEK, "polsek", ps)
    # Unit crews: an officer of each Polres signed on to a unit of their own Polsek.
    officer = mk("anggota_argomulyo", Role.ANGGOTA, "polsek", ps)
    now = timezone.now()
    n["crew"] = UnitCrew.objects.create(unit=n["unit"], user=officer, signed_on_at=now)
    n["world_crew"] = UnitCrew.objects.create(unit=world.units["semarang_utara"],
                                              user=world.users["anggota_semarang_utara"], signed_on_at=now)
    return n
