"""Reports over the API: ``GET /api/v1/reports/sla`` (time to dispatch / time to arrive, p50/p90; triage
corrections)."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from k3i.core.api_errors import LIST_ERRORS, ErrorOut
from k3i.organization.api import user_of

from .sla import report_for

router = Router(tags=["laporan"])


class SlaParams(Schema):
    days: int = Field(7, ge=1, le=366, description="Rentang: hari terakhir (1–366, bawaan 7)")
    group: Literal["polsek", "category", "priority", "shift"] = Field(
        "polsek", description="Kelompokkan per Polsek, kategori, prioritas atau sif (pagi/siang/malam WIB)"
    )
    simulated: bool | None = Field(
        None, description="true: hanya data simulasi; false: tanpa data simulasi; kosong: semua"
    )


class TimerStats(Schema):
    n: int = Field(..., description="Jumlah kejadian yang sudah terukur")
    p50_detik: float | None = Field(None, description="Median (detik)")
    p90_detik: float | None = Field(None, description="Persentil ke-90 (detik)")
    dalam_target: int = Field(..., description="Jumlah yang memenuhi target")
    persen_dalam_target: float | None = Field(None, description="% yang memenuhi target (dari yang terukur)")
    belum: int = Field(..., description="Kejadian terbuka yang belum sampai tahap ini")


class TriageStats(Schema):
    n: int = Field(..., description="Laporan dengan saran triase (semua prioritas, tanpa duplikat)")
    dikoreksi: int = Field(..., description="Yang kategori atau prioritasnya dikoreksi petugas")
    persen_dikoreksi: float | None = Field(None, description="% yang dikoreksi (dari yang punya saran triase)")


class SlaRow(Schema):
    kunci: str | int | None = Field(None, description="ID Polsek, kode kategori, prioritas atau nama sif")
    label: str
    jumlah: int = Field(..., description="Jumlah kejadian yang diukur waktunya (prioritas 1–3, tanpa duplikat)")
    dinaikkan: int = Field(..., description="Jumlah yang dinaikkan ke meja K3i Polres (siklus layanan terakhir)")
    dispatch: TimerStats = Field(..., description="Waktu dari laporan (atau dibuka kembali) sampai unit pertama "
                                 "ditugaskan")
    tiba: TimerStats = Field(..., description="Waktu dari laporan (atau dibuka kembali) sampai unit pertama tiba "
                             "di TKP")
    triase: TriageStats = Field(..., description="Koreksi triase oleh petugas (kategori akhir)")


class SlaTotal(Schema):
    jumlah: int
    dinaikkan: int
    dispatch: TimerStats
    tiba: TimerStats
    triase: TriageStats


class SlaReport(Schema):
    kelompok: str
    hari: int
    dari: str
    sampai: str
    target: dict[str, Any] = Field(..., description="Target per prioritas (detik) dan pembagian sif")
    baris: list[SlaRow]
    total: SlaTotal


@router.get(
    "/reports/sla", response={200: SlaReport, 403: ErrorOut, **LIST_ERRORS}, summary="Laporan waktu tanggap (SLA)",
    description="p50/p90 waktu penugasan dan waktu tiba per Polsek, kategori, prioritas atau sif, dengan jumlah "
    "dan persentase yang memenuhi target, serta jumlah dan persentase triase yang dikoreksi petugas. Kejadian "
    "yang dibuka kembali diukur dari saat dibuka kembali. Hanya kejadian dalam lingkup pengguna (Kapolsek: "
    "Polseknya).",
)
def sla_report(request: HttpRequest, params: Query[SlaParams]) -> dict[str, Any]:
    return report_for(user_of(request), days=params.days, group=params.group, simulated=params.simulated)
