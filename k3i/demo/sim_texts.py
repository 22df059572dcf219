"""Texts and reporters for simulated calls: varied informal Indonesian, generated, never a fixed handful.

Reuses the template grammar of the triage training corpus (``k3i.incidents.triage.generate``: templates ×
slot fillers × perturbations — slang, Javanese words, typos, casing), and puts the kelurahan of the call into
the text where the template names a place. The category and priority labels of the template are the "truth"
the simulated desk confirms (or corrects triage to).
"""

from __future__ import annotations

import random

from k3i.incidents.triage import generate as corpus

PLACE_FORMS = (
    "kelurahan {place}", "kel {place}", "daerah {place}", "{{jalan}} {place}", "kampung {place}", "{place}",
    "sekitar {place}", "wilayah {place}", "{{tempat}} {place}", "dekat {place}",
)
FIRST = (
    "Budi", "Siti", "Agus", "Sri", "Dewi", "Rudi", "Wahyu", "Nur", "Eko", "Endang", "Joko", "Rina", "Bambang",
    "Yuni", "Hendra", "Dian", "Slamet", "Lestari", "Fajar", "Ayu", "Teguh", "Wulan", "Andi", "Ratna", "Dwi",
    "Tri", "Galih", "Indah", "Yusuf", "Fitri", "Arif", "Nanik", "Bayu", "Putri", "Ahmad", "Sulastri",
)
LAST = (
    "Santoso", "Wibowo", "Rahayu", "Setiawan", "Pratama", "Susanti", "Hidayat", "Kurniawan", "Purnomo",
    "Wijaya", "Handayani", "Saputra", "Maharani", "Nugroho", "Sulistyo", "Prasetyo", "Utami", "Hartono",
    "Lestari", "Budiman", "Syahputra", "Anggraini", "", "", "",
)
PHONE_PREFIXES = ("0812", "0813", "0821", "0822", "0852", "0853", "0856", "0857", "0878", "0895", "0896", "0881")
PANIC_TEXTS = (
    "", "", "SOS", "[tombol darurat] tolong", "tolong {lok}", "darurat!!", "help", "tolongg cepat", "[panik] {sajam}",
)


def report_text(category: str, rng: random.Random, *, place: str | None = None,
                priority: int | None = None) -> tuple[str, int]:
    """A fresh report of ``category`` (and the priority its template was labelled with; ``priority`` picks
    only templates of that priority when there are any)."""
    templates = corpus.T[category]
    if priority is not None:
        templates = [t for t in templates if t[0] == priority] or templates
    priority, template = rng.choice(templates)
    if place and "{lok}" in template and rng.random() < 0.7:
        template = template.replace("{lok}", rng.choice(PLACE_FORMS).format(place=place), 1)
    body = corpus.expand(template, rng)
    text = corpus.perturb(rng.choice(corpus.PREFIX) + body + rng.choice(corpus.SUFFIX), rng).strip()
    return text, priority


def panic_text(rng: random.Random, *, place: str | None = None) -> str:
    """What a panic button sends: often nothing, sometimes a word or two."""
    template = rng.choice(PANIC_TEXTS)
    if place:
        template = template.replace("{lok}", place)
    return corpus.expand(template, rng)


def reporter(rng: random.Random) -> tuple[str, str]:
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}".strip()
    phone = rng.choice(PHONE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(rng.choice((7, 8))))
    return name, phone
