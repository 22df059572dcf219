"""Plausible, fictitious Polri personnel for the demo: Javanese/Indonesian names and 8-digit NRP.

Everything comes from one seeded ``random.Random``, so the same demo always gets the same people (the
loader upserts by NRP: loading twice duplicates nobody). Any resemblance to real people is chance.
"""

from __future__ import annotations

import random

from k3i.organization.models import Pangkat

MALE = (
    "Agus Budi Joko Slamet Bambang Eko Hadi Wahyu Dwi Teguh Sigit Rudi Heru Yudi Arif Andi Bayu Dimas Fajar "
    "Gilang Hendra Indra Rahmat Tri Yoga Adi Aditya Rizky Imam Ahmad Muhammad Dedi Hari Anton Bagus Danang "
    "Galih Ilham Jatmiko Kukuh Lukman Nanang Puguh Satrio Tomi Untung Wawan Yusuf Aris Catur Doni Edi Feri "
    "Guntur Haryo Irfan Priyo Sapto Setyo Suryo Totok Wisnu Yanuar Zainal Arief Bima Krisna Yosua Bonifasius"
).split()
FEMALE = (
    "Sri Dewi Siti Rina Ayu Endah Retno Ratna Yuliana Indah Novita Fitri Dian Wulan Nur Anik Puspita Kartika "
    "Mega Rini Nadia Aulia Larasati"
).split()
MALE_SECOND = (
    "Santoso Prasetyo Wibowo Nugroho Susanto Hidayat Purnomo Saputra Kurniawan Setiawan Wijaya Hartono "
    "Pratama Ramadhan Firmansyah Utomo Haryanto Sulistyo Widodo Raharjo Suryadi Wicaksono Hermawan Budiman "
    "Gunawan Nurcahyo Kusuma Sasongko Cahyono Mulyono Subagyo Triyono Winarno Supriyadi Sudarsono Ariyanto "
    "Prakoso Darmawan Hakim Nugraha Saputro Santosa Wardhana Adhi"
).split()
FEMALE_SECOND = (
    "Wahyuni Lestari Rahayu Kartikasari Puspitasari Wulandari Handayani Permatasari Susanti Anggraini "
    "Rahmawati Safitri Kurniasih Maharani Novitasari Pratiwi Kusumawati"
).split()
# Older members often carry one Javanese name only.
MONONYM = "Sutrisno Suparman Mulyadi Sumarno Sugiyanto Waluyo Sukardi Paryono Sarwono Suwarno Tukiman Karyono".split()

# Year of birth by rank (older for higher ranks), for the NRP (YYMM + 4-digit serial).
BORN: dict[str, tuple[int, int]] = {
    Pangkat.KOMBES: (1971, 1977), Pangkat.AKBP: (1974, 1982), Pangkat.KOMPOL: (1977, 1986),
    Pangkat.AKP: (1980, 1990), Pangkat.IPTU: (1978, 1994), Pangkat.IPDA: (1975, 1998),
    Pangkat.AIPTU: (1970, 1979), Pangkat.AIPDA: (1975, 1984), Pangkat.BRIPKA: (1980, 1990),
    Pangkat.BRIGPOL: (1986, 1994), Pangkat.BRIPTU: (1993, 1999), Pangkat.BRIPDA: (1998, 2004),
}
SENIOR = {Pangkat.KOMBES, Pangkat.AKBP, Pangkat.KOMPOL, Pangkat.AKP}
OFFICER = SENIOR | {Pangkat.IPTU, Pangkat.IPDA}


class People:
    """Draws unique names and NRPs from one seeded generator."""

    def __init__(self, seed: str) -> None:
        self.rng = random.Random(seed)
        self.names: set[str] = set()
        self.nrps: set[str] = set()

    def nrp(self, pangkat: str) -> str:
        lo, hi = BORN.get(pangkat, (1980, 1995))
        while True:
            year = self.rng.randint(lo, hi)
            value = f"{year % 100:02d}{self.rng.randint(1, 12):02d}{self.rng.randint(1, 9999):04d}"
            if value not in self.nrps:
                self.nrps.add(value)
                return value

    def name(self, pangkat: str, *, doctor: bool = False) -> str:
        rng = self.rng
        female = rng.random() < 0.12
        for _ in range(50):
            if not female and pangkat in (Pangkat.AIPTU, Pangkat.AIPDA) and rng.random() < 0.35:
                base = rng.choice(MONONYM)
            elif female:
                base = f"{rng.choice(FEMALE)} {rng.choice(FEMALE_SECOND)}"
            else:
                base = f"{rng.choice(MALE)} {rng.choice(MALE_SECOND)}"
            if base not in self.names:
                break
        else:
            base = f"{base} {rng.choice(MALE_SECOND if not female else FEMALE_SECOND)}"
        self.names.add(base)
        if doctor:
            return f"dr. {base}, Sp.KF."
        if pangkat in SENIOR:
            return f"{base}, S.I.K." + (", M.H." if rng.random() < 0.4 else "")
        if pangkat in OFFICER and rng.random() < 0.5:
            return f"{base}, S.H."
        return base

    def pick(self, ranks: tuple[str, ...]) -> str:
        return self.rng.choice(ranks)
