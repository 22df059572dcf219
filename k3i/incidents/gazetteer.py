"""Find places of the Polres in the free text of a report (WhatsApp/SMS without a location).

The gazetteer is built from the ``Region`` rows of the Polres's jurisdiction: the kecamatan of its
Polsek and the kelurahan/desa under them. Text and names are normalised the same way (lower case, no
accents or punctuation, single spaces), a name's words may be written apart or together
("Bulu Lor", "bululor", "BULU  LOR"), and common prefixes ("kel.", "kelurahan", "desa", "kec.",
"kecamatan", "jl.", "jalan", "gg.") are understood. A prefix makes a hit more certain; a short or
common-word name ("Candi", "Kudu", "Pesantren") counts only with such a prefix.

Streets and well-known places come from the street table (``Street``, imported with ``k3i regions
streets import``): "jl pandanaran", "jalan pandanaran no 12", "gg lombok" — a street's name after a street
prefix — or a place's name ("simpang lima", "dekat lawang sewu") names the kelurahan it lies in. A street
through several kelurahan names them all: a kelurahan or kecamatan named beside it decides, so does a
second street or place that runs through the same kelurahan; otherwise they are choices. A street that is
not in the table still helps: ``find_places`` lifts "Jl. …"/"Gang …" phrases out of the text as the address
line, and a street named after a kelurahan points to that kelurahan. The street table is looked up word by
word (a dictionary, not one pattern per street), so a long list costs little per report.

The answer is a suggestion for the operator to confirm (``confirm_location``), never a fix.

``find_typed_location`` reads a short location typed by a call-taker ("Miroto — Semarang Tengah" from the
search list, "Miroto", "Jl. Pemuda 12, Miroto") with the same names and rules: a name that makes up a whole
part of what was typed counts as surely as one after "kel." (so short and common-word names work there), a
kecamatan named beside it picks between kelurahan of the same name, and a name found in several kecamatan
with nothing to tell them apart is returned as choices, not guessed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Max

from k3i.organization.models import Polres, Polsek, Region, Street
from k3i.organization.streets import match_key
from k3i.organization.streets import normalise as normalise

# Words before a place name that say "this is a place"; the value is how sure they make us.
KEL_PREFIXES = ("kelurahan", "kel", "kelur", "desa", "ds", "dusun", "kampung", "kp", "kmp")
KEC_PREFIXES = ("kecamatan", "kec", "kcm")
STREET_PREFIXES = ("jalan", "jln", "jl", "gang", "gg", "jalan raya", "jl raya")
WEAK_PREFIXES = ("di", "daerah", "wilayah", "dekat", "sekitar", "area", "ds", "sebelah", "depan")

# Names that are also ordinary (Indonesian or Javanese) words: they count only after a prefix.
COMMON_WORDS = frozenset({
    "candi", "kudu", "gemah", "wates", "pesantren", "bendungan", "kuningan", "kauman", "pasar", "tugu",
    "jati", "krajan", "sawah besar", "tengah", "kulon", "wetan", "lor", "kidul", "bringin", "krapyak",
    "karanganyar", "sadeng", "patemon", "cabean",
})
SHORT_NAME = 5  # a one-word name this short needs a prefix

_NAME_PREFIX = re.compile(r"^(kelurahan|kel|desa|ds|kecamatan|kec)\s+")
_STOP_AFTER_STREET = frozenset({
    "no", "nomor", "nmr", "rt", "rw", "dekat", "depan", "samping", "sebelah", "belakang", "di", "ke", "kel",
    "kelurahan", "kec", "kecamatan", "desa", "arah", "dan", "yang", "yg", "ada", "sekitar", "tolong", "tlg",
    "pak", "bu", "sekarang", "skrg", "tadi", "td", "ini", "itu", "sini", "situ", "kota", "semarang", "dari",
    "menuju", "pas", "saat", "waktu", "jam", "pukul",
})


def normalise_name(name: str) -> str:
    """A region's name without the administrative prefix some data sets carry ("Kelurahan Miroto")."""
    return _NAME_PREFIX.sub("", normalise(name))


@dataclass(frozen=True)
class Entry:
    kode: str
    nama: str
    level: int  # Region.Level: 3 kecamatan, 4 kelurahan
    parent_kode: str
    key: str  # normalised name
    pattern: re.Pattern[str]
    needs_prefix: bool


@dataclass(frozen=True)
class Hit:
    kode: str
    nama: str
    level: int
    parent_kode: str
    start: int
    end: int
    prefix: str  # "kelurahan", "kecamatan", "jalan", "lemah", "bagian" (a whole typed part) or ""
    score: int
    key: str = ""  # the name found (normalised): hits of two different names agreeing on a kelurahan add up
    street: str = ""  # a street or place of the street table ("Jl. Pandanaran"), or "" for a region's name
    tempat: bool = False  # ``street`` is a place ("Simpang Lima")


@dataclass(frozen=True)
class StreetEntry:
    """A street or place of the street table and the kelurahan it lies in (kode, nama, kecamatan kode)."""

    key: str  # normalised, without the jl/gg prefix: "pandanaran", "simpang lima"
    nama: str  # "Jl. Pandanaran"
    tempat: bool  # a place: found without a street prefix
    kelurahan: tuple[tuple[str, str, str], ...]
    needs_prefix: bool


@dataclass
class PlaceMatch:
    """What the text says about the place: the best kelurahan and kecamatan, streets, all hits."""

    kelurahan: Region | None = None
    kecamatan: Region | None = None
    streets: list[str] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # places of the street table named ("Simpang Lima")

    @property
    def found(self) -> bool:
        return self.kelurahan is not None or self.kecamatan is not None

    @property
    def ambiguous(self) -> bool:
        """More than one kelurahan named (the operator must pick)."""
        return len({h.kode for h in self.hits if h.level == Region.Level.KELURAHAN}) > 1

    def alamat(self) -> str:
        """An address line for the record: streets, then the kecamatan when no kelurahan was found."""
        parts = list(self.streets)
        parts += [p for p in self.places if not any(p.lower() in s.lower() for s in self.streets)]
        if self.kelurahan is None and self.kecamatan is not None:
            parts.append(f"Kec. {self.kecamatan.nama}")
        return ", ".join(parts)[:300]

    def describe(self) -> str:
        """One Indonesian sentence for the timeline and the operator."""
        if self.kelurahan is not None:
            kec = self.kecamatan.nama if self.kecamatan else ""
            s = f"Dari teks laporan: kelurahan {self.kelurahan.nama}" + (f", kecamatan {kec}" if kec else "")
        elif self.kecamatan is not None:
            s = f"Dari teks laporan: kecamatan {self.kecamatan.nama} (kelurahan belum diketahui)"
        else:
            s = "Lokasi tidak ditemukan di teks laporan"
        if self.streets:
            s += "; jalan: " + ", ".join(self.streets)
        listed: dict[str, set[str]] = {}
        for h in self.hits:
            if h.street:
                listed.setdefault(h.street, set()).add(h.nama)
        if listed:
            s += "; daftar jalan/tempat: " + ", ".join(f"{n} ({', '.join(sorted(k))})" for n, k in listed.items())
        others = sorted({h.nama for h in self.hits if h.level == Region.Level.KELURAHAN}
                        - {self.kelurahan.nama if self.kelurahan else ""})
        if others:
            s += "; kemungkinan lain: " + ", ".join(others)
        return s + ". Perlu konfirmasi operator."


def _pattern(key: str) -> re.Pattern[str]:
    # Words of the name written apart or together; whole words only.
    return re.compile(r"(?<![a-z0-9])" + r" ?".join(re.escape(w) for w in key.split()) + r"(?![a-z0-9])")


def _kecamatan(polres_id: int) -> dict[str, str]:
    return dict(Polsek.objects.filter(polres_id=polres_id).values_list("kecamatan_id", "kecamatan__nama"))


def _entries(kecamatan: dict[str, str]) -> list[Entry]:
    rows: list[tuple[str, str, int, str]] = [(k, n, int(Region.Level.KECAMATAN), "") for k, n in kecamatan.items()]
    rows += list(
        Region.objects.filter(parent_id__in=list(kecamatan), level=Region.Level.KELURAHAN)
        .values_list("kode", "nama", "level", "parent_id")
    )
    out = []
    for kode, nama, level, parent in rows:
        key = normalise_name(nama)
        if not key:
            continue
        needs_prefix = key in COMMON_WORDS or (" " not in key and len(key) <= SHORT_NAME)
        out.append(Entry(kode, nama, int(level), parent or "", key, _pattern(key), needs_prefix))
    # Longer names first, so that "Pedurungan Kidul" is tried before "Pedurungan".
    out.sort(key=lambda e: -len(e.key))
    return out


def _street_keys(key: str, tempat: bool) -> list[str]:
    """The key, and for a "Raya" street also the name without it ("raya kaligawe" → "kaligawe")."""
    keys = [key]
    words = key.split()
    if not tempat and len(words) > 1 and "raya" in (words[0], words[-1]):
        keys.append(" ".join(w for i, w in enumerate(words) if not (w == "raya" and i in (0, len(words) - 1))))
    return keys


def _street_entries(kecamatan: dict[str, str]) -> dict[str, StreetEntry]:
    """The street table of the Polres by compact key (the words written together: "simpanglima")."""
    rows = (
        Street.objects.filter(kelurahan__parent_id__in=list(kecamatan), kelurahan__level=Region.Level.KELURAHAN)
        .order_by("kunci", "kelurahan_id")
        .values_list("kunci", "nama", "jenis", "kelurahan_id", "kelurahan__nama", "kelurahan__parent_id")
    )
    grouped: dict[str, tuple[str, str, set[bool], dict[str, tuple[str, str, str]]]] = {}
    for kunci, nama, jenis, kode, kel_nama, parent in rows:
        tempat = jenis == Street.Jenis.TEMPAT
        for key in _street_keys(match_key(kunci), tempat):
            compact = key.replace(" ", "")
            entry = grouped.setdefault(compact, (key, nama or kunci, set(), {}))
            entry[2].add(tempat)
            entry[3][kode] = (kode, kel_nama, parent or "")
    out = {}
    for compact, (key, nama, kinds, kel) in grouped.items():
        tempat = True in kinds
        needs_prefix = key in COMMON_WORDS or (" " not in key and len(key) <= SHORT_NAME)
        out[compact] = StreetEntry(key, nama, tempat, tuple(kel[k] for k in sorted(kel)), needs_prefix)
    return out


@dataclass(frozen=True)
class _Index:
    entries: list[Entry]  # kecamatan and kelurahan names, longest first
    streets: dict[str, StreetEntry]  # the street table by compact key
    span: int  # most words a street's name may be written in


def _build(polres_id: int) -> _Index:
    kecamatan = _kecamatan(polres_id)
    streets = _street_entries(kecamatan)
    span = max((len(e.key.split()) for e in streets.values()), default=0) + 2  # "tugumuda" → "tugu muda"
    return _Index(_entries(kecamatan), streets, span)


_lock = threading.Lock()
_cache: dict[int, tuple[tuple[object, ...], _Index]] = {}


def _street_version() -> tuple[object, ...]:
    """Rows in the street table and its newest change (any Polres), in one query of two scalar subqueries:
    a plain COUNT and a MAX over the ``updated_at`` index, not a join (5,000 streets: ≈ 0.01 ms on SQLite,
    ≈ 0.3 ms on PostgreSQL per report)."""
    table = connection.ops.quote_name(Street._meta.db_table)
    column = connection.ops.quote_name("updated_at")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT COUNT(*) FROM {table}), (SELECT MAX({column}) FROM {table})")
        return tuple(cursor.fetchone() or ())


def places_version(polres_id: int) -> tuple[object, ...]:
    """What the places of a Polres depend on (its kecamatan, their kelurahan count and newest change, the street
    table): equal values mean nothing changed — per-process copies built from them (the gazetteer, the public
    map's outlines) compare it before use."""
    kec = Polsek.objects.filter(polres_id=polres_id).values_list("kecamatan_id", flat=True)
    agg = Region.objects.filter(parent_id__in=kec).aggregate(n=Count("kode"), t=Max("updated_at"))
    return (tuple(sorted(kec)), agg["n"], agg["t"], *_street_version())


def _index_for(polres: Polres) -> _Index:
    """The gazetteer of a Polres, cached per process and rebuilt when its regions, Polsek or streets change."""
    fp = places_version(polres.pk)
    with _lock:
        cached = _cache.get(polres.pk)
        if cached is not None and cached[0] == fp:
            return cached[1]
    built = _build(polres.pk)
    with _lock:
        _cache[polres.pk] = (fp, built)
    return built


def entries_for(polres: Polres) -> list[Entry]:
    """The kecamatan and kelurahan names of a Polres (cached, see ``_index_for``)."""
    return _index_for(polres).entries


def _prefix_before(norm: str, start: int) -> tuple[str, int]:
    """The kind of prefix just before ``start`` in normalised text, and its score."""
    before = norm[max(0, start - 20):start].rstrip()
    words = before.split()
    last2 = " ".join(words[-2:])
    last = words[-1] if words else ""
    if last in KEL_PREFIXES:
        return "kelurahan", 3
    if last in KEC_PREFIXES:
        return "kecamatan", 3
    if last2 in STREET_PREFIXES or last in STREET_PREFIXES:
        return "jalan", 2
    if last in WEAK_PREFIXES:
        return "lemah", 1
    return "", 0


def _streets(text: str) -> list[str]:
    """"Jl. Pemuda no 12" → "Jl. Pemuda"; "gang Kenari 3" → "Gg. Kenari 3" (at most 4 words each)."""
    found: list[str] = []
    for m in re.finditer(r"(?i)(?<![a-z0-9])(jalan raya|jl\.? ?raya|jalan|jln\.?|jl\.?|gang|gg\.?)\s*(?=[a-z0-9])",
                         text):
        kind = "Gg." if m.group(1).lower().startswith("g") else "Jl."
        if "raya" in m.group(1).lower():
            kind = "Jl. Raya"
        words: list[str] = []
        for w in re.finditer(r"[A-Za-z0-9'’-]+|[,.;:!?\n()]", text[m.end():m.end() + 80]):
            token = w.group(0)
            if token in ",.;:!?\n()" or token.lower() in _STOP_AFTER_STREET or len(words) == 4:
                break
            words.append(token)
        if words:
            name = " ".join(w if any(c.isupper() for c in w) else w[:1].upper() + w[1:] for w in words)
            street = f"{kind} {name}"
            if street.lower() not in (s.lower() for s in found):
                found.append(street)
    return found[:3]


_WORD = re.compile(r"[a-z0-9]+")


def _scan_streets(norm: str, index: _Index, whole: frozenset[tuple[int, int]]) -> list[Hit]:
    """Streets and places of the street table in normalised text: at each word the longest name that
    starts there (words written apart or together), one hit per kelurahan it lies in.

    A street counts after a street prefix ("jl", "jalan", "gg") or as a whole typed part; a place also
    without one, except a short or common-word name (as for kelurahan). "kel."/"kec." before a name say it is
    a region, not a street. A street hit scores 2 at most: a kelurahan named with "kel." (3) outranks it."""
    if not index.streets:
        return []
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(norm)]
    hits: list[Hit] = []
    i = 0
    while i < len(words):
        step = 1
        for n in range(min(index.span, len(words) - i), 0, -1):
            e = index.streets.get("".join(w[2] for w in words[i:i + n]))
            if e is None:
                continue
            s, t = words[i][0], words[i + n - 1][1]
            prefix, score = _prefix_before(norm, s)
            if prefix in ("kelurahan", "kecamatan"):
                continue
            if (s, t) in whole and prefix != "jalan":
                prefix, score = "bagian", 2
            elif prefix == "jalan":
                score = 2
            elif not e.tempat or (e.needs_prefix and score == 0):
                continue
            else:
                score = min(2, score + (" " in e.key))
            hits += [Hit(kode, nama, int(Region.Level.KELURAHAN), parent, s, t, prefix, score, e.key, e.nama,
                         e.tempat) for kode, nama, parent in e.kelurahan]
            step = n
            break
        i += step
    return hits


def _scan(norm: str, polres: Polres, whole: frozenset[tuple[int, int]] = frozenset()) -> list[Hit]:
    """Every name of the gazetteer found in normalised text; ``whole`` are spans that are a whole typed part."""
    index = _index_for(polres)
    street_hits = _scan_streets(norm, index, whole)
    # A region's name inside a longer street's name is that street ("Jl. Brumbungan Raya" in the table).
    taken: list[tuple[int, int]] = sorted({(h.start, h.end) for h in street_hits})
    hits: list[Hit] = []
    for e in index.entries:
        for m in e.pattern.finditer(norm):
            s, t = m.span()
            if any(a <= s and t <= b and b - a > t - s for a, b in taken):
                continue  # inside a longer name already found ("Lamper" in "Lamper Kidul")
            prefix, score = _prefix_before(norm, s)
            if (s, t) in whole and score < 3:
                prefix, score = "bagian", 3
            if e.needs_prefix and score == 0:
                continue
            if prefix == "kecamatan" and e.level == Region.Level.KELURAHAN:
                continue  # "kec. Gayamsari" names the kecamatan, not the kelurahan of the same name
            if prefix == "kelurahan" and e.level == Region.Level.KECAMATAN:
                continue
            taken.append((s, t))
            hits.append(Hit(e.kode, e.nama, e.level, e.parent_kode, s, t, prefix, score + (" " in e.key), e.key))
    # ... and a street's name inside a longer region's name is that region ("Pedurungan" in "Pedurungan Kidul").
    spans = [(h.start, h.end) for h in hits]
    street_hits = [h for h in street_hits
                   if not any(a <= h.start and h.end <= b and b - a > h.end - h.start for a, b in spans)]
    return street_hits + hits


def _ranking(hits: list[Hit]) -> Callable[[Hit], tuple[int, int]]:
    """How sure a hit is: its score, more when its kecamatan is named too, more when two different names
    point at the same kelurahan (a street and the kelurahan, or a street and a place on it), earlier in
    the text first."""
    kec_hits = {h.kode for h in hits if h.level == Region.Level.KECAMATAN}
    names: dict[str, set[str]] = {}
    for h in hits:
        names.setdefault(h.kode, set()).add(h.key)

    def rank(h: Hit) -> tuple[int, int]:
        agree = 2 if len(names[h.kode]) > 1 else 0
        return (h.score + (2 if h.parent_kode in kec_hits else 0) + agree, -h.start)

    return rank


def find_places(text: str, polres: Polres) -> PlaceMatch:
    """The kelurahan/kecamatan of ``polres`` named in ``text``, best first, and any street names."""
    norm = normalise(text or "")[:10_000]
    result = PlaceMatch(streets=_streets((text or "")[:10_000]))
    if not norm:
        return result
    hits = _scan(norm, polres)
    if not hits:
        return result
    result.places = list(dict.fromkeys(h.street for h in hits if h.tempat))
    kel_hits = [h for h in hits if h.level == Region.Level.KELURAHAN]
    rank = _ranking(hits)
    result.hits = sorted(hits, key=rank, reverse=True)
    best_kel = max(kel_hits, key=rank) if kel_hits else None
    if best_kel is not None:
        result.kelurahan = Region.objects.filter(pk=best_kel.kode).first()
        result.kecamatan = Region.objects.filter(pk=best_kel.parent_kode).first()
    else:
        best_kec = max((h for h in hits if h.level == Region.Level.KECAMATAN), key=rank)
        result.kecamatan = Region.objects.filter(pk=best_kec.kode).first()
    return result


# --- a location typed by a call-taker --------------------------------------------------------------

# What separates the parts of a typed location: "Jl. Pemuda 12, Miroto", "Miroto — Semarang Tengah".
_PART_SEPARATOR = re.compile(r"[,;/()–—]")


@dataclass
class TypedLocation:
    """The kelurahan a typed location names, the address line, or the choices when the name is ambiguous."""

    kelurahan: Region | None = None
    alamat: str = ""  # empty when the text named only the place ("Miroto — Semarang Tengah")
    choices: list[str] = field(default_factory=list)  # "Miroto — Semarang Tengah", ... (pick one)


def _parts(text: str, norm: str) -> list[tuple[int, int]]:
    """Spans in ``norm`` of the typed parts, each without an administrative prefix ("Kel. Miroto" → "miroto")."""
    spans: list[tuple[int, int]] = []
    parts = [p for p in (normalise(part) for part in _PART_SEPARATOR.split(text)) if p]
    pos = 0
    for p in parts:
        inner = _NAME_PREFIX.sub("", p)
        spans.append((pos + len(p) - len(inner), pos + len(p)))
        pos += len(p) + 1
    # The parts normalised one by one line up with the whole text normalised (separators become spaces).
    return spans if " ".join(parts) == norm else []


def find_typed_location(text: str, polres: Polres) -> TypedLocation:
    """The kelurahan of ``polres`` named by a short typed location (the 110 call-taker's field).

    The best kelurahan by the gazetteer's rules, where a whole part of the text ("Miroto" in "Jl. Pemuda 12,
    Miroto") counts like a name after "kel.". The address is the text itself unless it named only places.
    A name shared by kelurahan of several kecamatan, with no kecamatan typed to tell them apart, gives
    ``choices`` (labels as in the search list) instead of a kelurahan.
    """
    text = " ".join((text or "").split())
    scanned = text[:1000]
    norm = normalise(scanned)
    if not norm:
        return TypedLocation(alamat=text)
    parts = _parts(scanned, norm)
    hits = _scan(norm, polres, frozenset(parts))
    kel_hits = [h for h in hits if h.level == Region.Level.KELURAHAN]
    if not kel_hits:
        return TypedLocation(alamat=text)
    rank = _ranking(hits)
    best = max(kel_hits, key=rank)
    same = sorted({h.kode for h in kel_hits if (h.start, h.end) == (best.start, best.end)
                   and rank(h)[0] == rank(best)[0]})
    # A street or place of the street table is kept as the address: it says more than the kelurahan.
    only_places = bool(parts) and set(parts) <= {(h.start, h.end) for h in hits if not h.street}
    alamat = "" if only_places else text
    if len(same) > 1:
        kecamatan = {e.kode: e.nama for e in entries_for(polres) if e.level == Region.Level.KECAMATAN}
        names = {h.kode: f"{h.nama} — {kecamatan.get(h.parent_kode, '')}" for h in kel_hits}
        return TypedLocation(alamat=alamat, choices=sorted(names[k] for k in same))
    return TypedLocation(kelurahan=Region.objects.filter(pk=best.kode).first(), alamat=alamat)
