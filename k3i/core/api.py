"""The audit ledger over the API: search (Propam/Siwas, Kapolres), integrity check, seal now.

Searching and checking are themselves written to the ledger (``audit.dicari``, ``audit.diperiksa``);
sealing emits the live event ``audit.disegel`` for the operations room.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from . import audit
from .access import can
from .api_errors import LIST_ERRORS, READ_ERRORS, WRITE_ERRORS
from .errors import NotFound

router = Router(tags=["buku audit"])

NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"


def _user(request: HttpRequest) -> Any:
    return getattr(request, "auth", None) or request.user


def _require_view(request: HttpRequest) -> Any:
    user = _user(request)
    if not can(user, "view_audit"):
        raise NotFound("Alamat API tidak dikenal.")  # the ledger does not exist for other roles
    return user


class AuditFilter(Schema):
    pengguna: str = Field("", max_length=150, pattern=NO_CONTROL, description="Nama pengguna (persis)")
    aksi: str = Field("", max_length=80, pattern=NO_CONTROL,
                      description="Awalan nama aksi, mis. `unit.` atau `pengguna.dibuat`")
    jenis_objek: str = Field("", max_length=80, pattern=NO_CONTROL, description="Jenis objek, mis. `dispatch.patrolunit`")
    id_objek: str = Field("", max_length=64, pattern=NO_CONTROL, description="ID objek")
    kanal: str = Field("", max_length=20, description="Kanal: " + ", ".join(audit.Channel.ALL))
    dari: date | None = Field(None, description="Dari tanggal (WIB), mis. 2026-01-31")
    sampai: date | None = Field(None, description="Sampai tanggal (WIB), termasuk hari itu")
    teks: str = Field("", max_length=200, pattern=NO_CONTROL, description="Teks pada keterangan objek")
    limit: int = Field(50, ge=1, le=500, description="Jumlah entri per halaman (1–500, bawaan 50)")
    offset: int = Field(0, ge=0, le=10_000_000, description="Lewati sejumlah entri pertama")


class EntryOut(Schema):
    id: int
    urutan: int | None = Field(None, description="Urutan dalam rantai; kosong = belum disegel")
    disegel: bool
    waktu: str = Field(..., description="Waktu entri (WIB, ISO 8601)")
    pengguna: str
    peran: str
    aksi: str
    jenis_objek: str
    id_objek: str
    keterangan: str
    perubahan: Any = Field(..., description="Apa yang berubah: {kolom: [lama, baru]} atau data lain aksi")
    kanal: str


class EntryPage(Schema):
    count: int = Field(..., description="Jumlah seluruh entri yang cocok")
    limit: int
    offset: int
    items: list[EntryOut]


class CheckOut(Schema):
    utuh: bool = Field(..., description="true: semua hash isi dan rantai cocok")
    diperiksa: int = Field(..., description="Jumlah entri yang diperiksa")
    masalah: str | None = Field(None, description="Masalah pertama (entri yang pertama rusak)")
    entri_id: int | None = None
    urutan: int | None = None


class SealOut(Schema):
    disegel: int = Field(..., description="Jumlah entri yang baru disegel")
    urutan: int = Field(..., description="Urutan terakhir dalam rantai")
    hash: str = Field(..., description="Hash kepala rantai (simpan di luar sistem untuk pembanding)")


@router.get("/audit", response={200: EntryPage, **LIST_ERRORS, 404: READ_ERRORS[404]},
            summary="Cari di buku audit (Propam/Siwas, Kapolres)")
def search(request: HttpRequest, q: Query[AuditFilter]) -> dict[str, Any]:
    """Terbaru dahulu. Pencarian ini sendiri tercatat di buku audit (`audit.dicari`)."""
    user = _require_view(request)
    f = audit.Filters(pengguna=q.pengguna, aksi=q.aksi, jenis_objek=q.jenis_objek, id_objek=q.id_objek,
                      kanal=q.kanal, dari=q.dari, sampai=q.sampai, teks=q.teks)
    qs = audit.search(user, f)
    count = qs.count()
    items = [audit.as_row(e) for e in qs[q.offset : q.offset + q.limit]]
    audit.record_search(user, f, channel=audit.Channel.API, found=count, page=q.offset // q.limit + 1)
    return {"count": count, "limit": q.limit, "offset": q.offset, "items": items}


@router.get("/audit/verify", response={200: CheckOut, **READ_ERRORS}, summary="Periksa keutuhan buku audit")
def verify(request: HttpRequest) -> dict[str, Any]:
    """Menghitung ulang semua hash isi dan seluruh rantai; menyebut entri pertama yang rusak."""
    user = _require_view(request)
    checked, problem = audit.check(user, channel=audit.Channel.API)
    return {"utuh": problem is None, "diperiksa": checked, "masalah": str(problem) if problem else None,
            "entri_id": problem.entry_id if problem else None, "urutan": problem.seq if problem else None}


@router.post("/audit/seal", response={200: SealOut, **WRITE_ERRORS}, summary="Segel entri yang menunggu (admin, Propam)")
def seal(request: HttpRequest) -> dict[str, Any]:
    """Menyegel sekarang entri yang belum disegel (biasanya dilakukan tiap detik oleh server) dan
    mengirim peristiwa langsung `audit.disegel`. Token harus bercakupan tulis."""
    sealed, head = audit.seal(_user(request), channel=audit.Channel.API)
    return {"disegel": sealed, "urutan": head.seq, "hash": head.chain_hash}
