"""The street gazetteer: streets (jalan, gang) and well-known places (tempat) with the kelurahan they lie in.

``import_streets`` is the action (the only code that writes ``Street`` rows): a CSV with the columns
``nama_jalan,kode_kelurahan[,catatan][,jenis]`` (a header line with those names, or the columns in that
order without one; ``;`` as separator works too). The whole file is checked first — every bad line is
reported by number, in Bahasa Indonesia (empty name, unknown kelurahan code, duplicate line, unknown
jenis) — and if anything is wrong nothing is written. Otherwise, in one transaction, rows are created or
updated by their natural key (kelurahan, normalised name), one audit entry and one live event are
written; with ``replace`` the streets of the same kota/kabupaten that the file no longer lists are
deleted. Importing the same file again changes nothing and writes nothing.

A street crossing several kelurahan has one line per kelurahan. The gazetteer
(``k3i.incidents.gazetteer``) reads the table, cached per process and rebuilt when it changes.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from k3i.core import audit, events
from k3i.core.access import can
from k3i.core.errors import Conflict, PermissionDenied, ValidationFailed

from .models import Region, Street
from .regions import polres_id_for_kota

MAX_BYTES = 16 * 1024 * 1024
MAX_PROBLEMS = 100  # listed in the error; the rest are counted
COLUMNS = ("nama_jalan", "kode_kelurahan", "catatan", "jenis")
HEADER_NAMES = {
    "nama_jalan": "nama_jalan", "nama": "nama_jalan", "jalan": "nama_jalan", "nama_tempat": "nama_jalan",
    "kode_kelurahan": "kode_kelurahan", "kode": "kode_kelurahan", "kode_wilayah": "kode_kelurahan",
    "catatan": "catatan", "keterangan": "catatan", "jenis": "jenis",
}
KODE_KELURAHAN = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
KODE_PLAIN = re.compile(r"^\d{10}$")  # 3374011001, as some lists write it
STREET_WORDS = {"jalan": "jl", "jln": "jl", "jl": "jl", "gang": "gg", "gg": "gg"}
DISPLAY_PREFIX = {"jl": "Jl.", "gg": "Gg."}
JENIS = {"jalan": Street.Jenis.JALAN, "jl": Street.Jenis.JALAN, "gang": Street.Jenis.JALAN,
         "gg": Street.Jenis.JALAN, "tempat": Street.Jenis.TEMPAT}


def normalise(text: str) -> str:
    """Lower case ASCII words separated by single spaces ("Kel. Bulu-Lor!" → "kel bulu lor")."""
    t = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", t).split())


def street_kunci(nama: str, jenis: str = Street.Jenis.JALAN) -> str:
    """The natural key of a name: normalised, with one spelling of the prefix ("Jalan Pandanaran" →
    "jl pandanaran", "Gang Lombok" → "gg lombok", a jalan without prefix gets "jl"; a place stays as it is).
    Empty when the name is only a prefix."""
    words = normalise(nama).split()
    prefix = ""
    if words and words[0] in STREET_WORDS:
        prefix, words = STREET_WORDS[words[0]], words[1:]
    elif jenis == Street.Jenis.JALAN:
        prefix = "jl"
    if not words:
        return ""
    return " ".join([prefix, *words] if prefix else words)


def match_key(kunci: str) -> str:
    """What is looked for in a text: the key without its jl/gg prefix ("jl pandanaran" → "pandanaran")."""
    first, _, rest = kunci.partition(" ")
    return rest if first in DISPLAY_PREFIX and rest else kunci


def display_name(nama: str, kunci: str) -> str:
    """The name as written (spaces tidied); a jalan written without prefix gets "Jl."."""
    shown = " ".join(nama.split())
    first = kunci.partition(" ")[0]
    if first in DISPLAY_PREFIX and normalise(shown).partition(" ")[0] not in STREET_WORDS:
        shown = f"{DISPLAY_PREFIX[first]} {shown}"
    return shown[:120]


@dataclass
class StreetImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    names: int = 0  # distinct street/place names
    kelurahan: int = 0  # distinct kelurahan
    kota: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def counts(self) -> dict[str, Any]:
        return {"baris": self.rows, "dibuat": self.created, "diperbarui": self.updated,
                "tidak_berubah": self.unchanged, "dihapus": self.deleted, "nama": self.names,
                "kelurahan": self.kelurahan, "kota": self.kota}

    def summary(self) -> str:
        head = "Pemeriksaan selesai (uji coba, tidak ada yang disimpan)" if self.dry_run else "Impor selesai"
        verb = "akan " if self.dry_run else ""
        lines = [
            f"{head}: {self.rows} baris sah — {self.names} jalan/tempat di {self.kelurahan} kelurahan.",
            f"  {verb}dibuat: {self.created}, {verb}diperbarui: {self.updated}, tidak berubah: {self.unchanged}, "
            f"{verb}dihapus: {self.deleted}",
        ]
        if self.ignored_columns:
            lines.append("  kolom diabaikan: " + ", ".join(self.ignored_columns))
        if not self.dry_run and not self.changed:
            lines.append("  tidak ada yang berubah: tidak ada yang ditulis")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Row:
    line: int
    kunci: str
    nama: str
    kode: str
    jenis: str
    catatan: str


# --- reading the file -----------------------------------------------------------------------------


def _fail(message: str) -> ValidationFailed:
    return ValidationFailed("Berkas daftar jalan tidak dapat diimpor.", [{"field": "berkas", "message": message}])


def _text(data: Any) -> str:
    """Path | bytes | str → text, or ValidationFailed with a clear message."""
    if isinstance(data, Path):
        if data.is_dir():
            raise _fail(f"{data} adalah folder, bukan berkas")
        try:
            if data.stat().st_size > MAX_BYTES:
                raise _fail(f"berkas terlalu besar (paling besar {MAX_BYTES // (1024 * 1024)} MB)")
            raw: bytes | str = data.read_bytes()
        except OSError as exc:
            raise _fail(f"berkas {data} tidak dapat dibaca ({exc.strerror or exc})") from None
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    elif isinstance(data, str):
        raw = data
    else:
        raise _fail(f"jenis data {type(data).__name__} tidak didukung (bytes, str atau Path)")
    if len(raw) > MAX_BYTES:
        raise _fail(f"data terlalu besar (paling besar {MAX_BYTES // (1024 * 1024)} MB)")
    if isinstance(raw, bytes):
        if b"\x00" in raw[:4096]:
            raise _fail("berkas biner, bukan CSV")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise _fail(f"bukan teks UTF-8 (baris {line}); simpan ulang sebagai \"CSV UTF-8\"") from None
    else:
        text = raw.removeprefix("\ufeff")
    if not text.strip():
        raise _fail("berkas kosong")
    return text


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") > first.count(",") else ","


def _header(cells: list[str]) -> dict[str, int] | None:
    """Column positions when ``cells`` is a header line, else None."""
    names = [_header_name(c) for c in cells]
    known = [n for n in names if n in HEADER_NAMES]
    if not ({"nama_jalan", "kode_kelurahan"} & set(names)) and not (known and len(known) == len([n for n in names if n])):
        return None
    return {HEADER_NAMES[n]: i for i, n in enumerate(names) if n in HEADER_NAMES}


def _kode(value: str) -> str:
    v = value.strip()
    return f"{v[:2]}.{v[2:4]}.{v[4:6]}.{v[6:]}" if KODE_PLAIN.match(v) else v


def read_rows(data: Any) -> tuple[list[_Row], list[dict[str, str]], list[str]]:
    """Parse and check every line: (good rows, problems by line, ignored header columns)."""
    text = _text(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        records = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as exc:
        raise _fail(f"baris {reader.line_num}: CSV tidak sah ({exc})") from None
    columns = _header(records[0][1]) if records else None
    ignored: list[str] = []
    if columns is not None:
        line, cells = records.pop(0)
        missing = [c for c in ("nama_jalan", "kode_kelurahan") if c not in columns]
        if missing:
            raise _fail(f"baris {line}: kepala kolom tanpa {' dan '.join(missing)} "
                        "(kolom: nama_jalan,kode_kelurahan[,catatan][,jenis])")
        ignored = [c.strip() for c in cells if c.strip() and _header_name(c) not in HEADER_NAMES]
    if not records:
        raise _fail("tidak ada baris data (hanya kepala kolom)")
    rows: list[_Row] = []
    problems: list[dict[str, str]] = []
    for i, (line, cells) in enumerate(records):
        where = f"baris {line}"
        if columns is None:
            if any(c.strip() for c in cells[len(COLUMNS):]):
                problems.append({"field": where, "message": f"terlalu banyak kolom ({len(cells)}); yang dikenal: "
                                                            + ",".join(COLUMNS)})
                continue
            values = dict(zip(COLUMNS, cells, strict=False))
        else:
            values = {name: cells[j] if j < len(cells) else "" for name, j in columns.items()}
        checked = _check(values)
        if isinstance(checked, str):
            hint = ("; bila ini kepala kolom, pakai nama kolom nama_jalan,kode_kelurahan[,catatan][,jenis]"
                    if columns is None and i == 0 else "")
            problems.append({"field": where, "message": checked + hint})
        else:
            rows.append(_Row(line, *checked))
    _check_kelurahan(rows, problems)
    _check_duplicates(rows, problems)
    problems.sort(key=lambda p: int(p["field"].split()[1]))
    return rows, problems, ignored


def _header_name(cell: str) -> str:
    return cell.strip().lower().replace(" ", "_").replace("-", "_")


def _check(values: dict[str, str]) -> tuple[str, str, str, str, str] | str:
    """(kunci, nama, kode, jenis, catatan) of one line, or what is wrong with it."""
    nama = " ".join((values.get("nama_jalan") or "").split())
    kode = _kode(values.get("kode_kelurahan") or "")
    catatan = " ".join((values.get("catatan") or "").split())
    jenis_text = (values.get("jenis") or "").strip().lower()
    jenis = JENIS.get(jenis_text, "") if jenis_text else Street.Jenis.JALAN
    if not jenis:
        return f"jenis '{jenis_text[:20]}' tidak dikenal: isi 'jalan' atau 'tempat' (kosong = jalan)"
    if not nama:
        return "nama jalan kosong"
    if len(nama) > 120:
        return f"nama jalan terlalu panjang ({len(nama)} huruf; paling banyak 120)"
    kunci = street_kunci(nama, jenis)
    if not kunci:
        return f"nama jalan '{nama}' hanya awalan, tanpa nama"
    if not kode:
        return f"kode kelurahan kosong untuk {nama}"
    if not KODE_KELURAHAN.match(kode):
        return f"kode kelurahan '{kode[:40]}' tidak berbentuk PP.KK.CC.DDDD (mis. 33.74.01.1001)"
    if len(catatan) > 200:
        return f"catatan terlalu panjang ({len(catatan)} huruf; paling banyak 200)"
    return kunci, display_name(nama, kunci), kode, jenis, catatan


def _check_kelurahan(rows: list[_Row], problems: list[dict[str, str]]) -> None:
    known = set(Region.objects.filter(kode__in={r.kode for r in rows}, level=Region.Level.KELURAHAN)
                .values_list("kode", flat=True))
    for r in list(rows):
        if r.kode not in known:
            problems.append({"field": f"baris {r.line}", "message": (
                f"kelurahan dengan kode '{r.kode}' tidak dikenal di data wilayah K3i ({r.nama}); "
                "impor batas wilayahnya dulu (k3i regions import)")})
            rows.remove(r)


def _check_duplicates(rows: list[_Row], problems: list[dict[str, str]]) -> None:
    seen: dict[tuple[str, str], _Row] = {}
    for r in list(rows):
        first = seen.setdefault((r.kode, r.kunci), r)
        if first is not r:
            problems.append({"field": f"baris {r.line}", "message": (
                f"baris ganda: {r.nama} di kelurahan {r.kode} sudah ada di baris {first.line}")})
            rows.remove(r)


# --- the action -----------------------------------------------------------------------------------


def import_streets(
    data: Any, *, actor: Any, channel: str, replace: bool = False, dry_run: bool = False, source: str = "",
) -> StreetImportReport:
    """Import the street/place list: check everything, then write all of it in one transaction, or nothing.

    ``data``: CSV as a ``pathlib.Path``, bytes or str. ``actor``: the user (must be allowed to manage
    master data) or ``None`` for the system (CLI, demo). ``replace``: also delete the streets of the same
    kota/kabupaten that the file does not list. Raises ``ValidationFailed`` with
    ``errors=[{"field": "baris 12", "message": ...}, ...]``.
    """
    if actor is not None and not can(actor, "manage_master"):
        raise PermissionDenied("Hanya admin sistem yang boleh mengimpor daftar jalan.")
    if not source and isinstance(data, Path):
        source = data.name
    rows, problems, ignored = read_rows(data)
    if problems:
        bad = len({p["field"] for p in problems})
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append({"field": "berkas", "message": f"… dan {len(problems) - MAX_PROBLEMS} masalah lain"})
        raise ValidationFailed(f"Impor dibatalkan: {bad} baris bermasalah; tidak ada yang disimpan.", shown)
    report = StreetImportReport(
        rows=len(rows), names=len({r.kunci for r in rows}), kelurahan=len({r.kode for r in rows}),
        kota=sorted({r.kode[:5] for r in rows}), ignored_columns=ignored, dry_run=dry_run,
    )
    if dry_run:
        _plan(rows, report, replace)
        return report
    try:
        with transaction.atomic():
            _write(rows, report, replace)
            if report.changed:
                polres_id = polres_id_for_kota(report.kota, actor)
                changes = report.counts()
                if source:
                    changes["berkas"] = source[:200]
                if replace:
                    changes["ganti"] = True
                audit.record(
                    actor, "jalan.diimpor", None, channel=channel, changes=changes,
                    object_type="organization.street", object_id=",".join(report.kota)[:64],
                    object_repr=f"impor daftar jalan/tempat ({report.rows} baris)", polres_id=polres_id,
                )
                events.emit("jalan.diimpor", {k: changes[k] for k in ("dibuat", "diperbarui", "dihapus")},
                            polres_id=polres_id)
    except IntegrityError:
        raise Conflict("Daftar jalan sedang diubah oleh proses lain; ulangi impor.") from None
    return report




def _existing(rows: list[_Row], report: StreetImportReport, replace: bool) -> QuerySet[Street]:
    if replace:
        q = Q()
        for kota in report.kota:
            q |= Q(kelurahan__kode__startswith=kota + ".")
        return Street.objects.filter(q)
    return Street.objects.filter(kelurahan_id__in={r.kode for r in rows})


def _plan(rows: list[_Row], report: StreetImportReport, replace: bool) -> tuple[dict[tuple[str, str], Street],
                                                                                  list[Street], list[int]]:
    """Count what would change; returns (existing rows by key, rows to update, ids to delete)."""
    have = {(s.kelurahan_id, s.kunci): s for s in _existing(rows, report, replace)}
    changed: list[Street] = []
    for r in rows:
        s = have.get((r.kode, r.kunci))
        if s is None:
            report.created += 1
        elif (s.nama, s.jenis, s.catatan) != (r.nama, r.jenis, r.catatan):
            s.nama, s.jenis, s.catatan = r.nama, r.jenis, r.catatan
            changed.append(s)
        else:
            report.unchanged += 1
    report.updated = len(changed)
    listed = {(r.kode, r.kunci) for r in rows}
    gone = [s.pk for key, s in have.items() if key not in listed] if replace else []
    report.deleted = len(gone)
    return have, changed, gone


def _write(rows: list[_Row], report: StreetImportReport, replace: bool) -> None:
    have, changed, gone = _plan(rows, report, replace)
    now = timezone.now()
    if gone:
        Street.objects.filter(pk__in=gone).delete()
    new = [Street(kelurahan_id=r.kode, kunci=r.kunci, nama=r.nama, jenis=r.jenis, catatan=r.catatan,
                  updated_at=now) for r in rows if (r.kode, r.kunci) not in have]
    Street.objects.bulk_create(new, batch_size=500)
    for s in changed:
        s.updated_at = now
    if changed:
        Street.objects.bulk_update(changed, ["nama", "jenis", "catatan", "updated_at"], batch_size=500)


# --- reading --------------------------------------------------------------------------------------


def list_streets(
    user: Any = None, *, kelurahan: str = "", cari: str = "", jenis: str = "",
) -> QuerySet[Street]:
    """Streets and places, for a user (``restrict``) or for the system (``user=None``: the CLI).

    ``kelurahan``: a code or a name; ``cari``: words of the name ("pandanaran", "jl pemuda").
    """
    qs = Street.objects.restrict(user, "view") if user is not None else Street.objects.all()
    if kelurahan.strip():
        k = _kode(kelurahan)
        if KODE_KELURAHAN.match(k):
            qs = qs.filter(kelurahan_id=k)
        else:
            qs = qs.filter(kelurahan__nama__iexact=" ".join(kelurahan.split()))
    if cari.strip():
        words = normalise(cari).split()
        if words and words[0] in STREET_WORDS:
            words = words[1:]
        for w in words:
            qs = qs.filter(kunci__contains=w)
    if jenis:
        qs = qs.filter(jenis=jenis)
    return qs.select_related("kelurahan", "kelurahan__parent").order_by("kunci", "kelurahan_id")


def as_dicts(streets: Iterable[Street]) -> list[dict[str, Any]]:
    return [{"nama": s.nama or s.kunci, "jenis": s.jenis, "kelurahan": {"kode": s.kelurahan_id,
             "nama": s.kelurahan.nama}, "kecamatan": s.kelurahan.parent.nama if s.kelurahan.parent else "",
             "catatan": s.catatan} for s in streets]
