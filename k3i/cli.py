"""The ``k3i`` command. Each subcommand calls into its app (``k3i/<app>/cli.py``) after Django starts."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence


class _Parser(argparse.ArgumentParser):
    """argparse speaking Bahasa Indonesia."""

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", help="tampilkan bantuan ini lalu keluar")

    def format_help(self) -> str:
        text = super().format_help()
        return (
            text.replace("usage:", "pemakaian:")
            .replace("positional arguments:", "argumen:")
            .replace("options:", "pilihan:")
        )

    def error(self, message: str) -> None:  # type: ignore[override]
        message = (
            message.replace("the following arguments are required", "argumen berikut wajib diisi")
            .replace("invalid choice", "pilihan tidak dikenal")
            .replace("unrecognized arguments", "argumen tidak dikenal")
            .replace("invalid float value", "bukan angka")
            .replace("invalid int value", "bukan bilangan bulat")
            .replace("choose from", "pilih dari")
        )
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: galat: {message}\n")



def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="k3i", description="K3i — platform operasi Polres sebagai KOD.")
    sub = p.add_subparsers(dest="command", metavar="PERINTAH", parser_class=_Parser)

    d = sub.add_parser("demo", help="siapkan dan jalankan Polres demo (SQLite) di http://127.0.0.1:8000")
    d.add_argument("--polres", choices=["semarang", "salatiga"], default="semarang", help="Polres demo (bawaan: semarang)")
    d.add_argument("--port", type=int, default=8000, help="port HTTP (bawaan: 8000)")
    d.add_argument("--host", default="127.0.0.1", help="alamat dengar (bawaan: 127.0.0.1)")
    d.add_argument("--reset", action="store_true", help="hapus basis data demo dan mulai dari awal")
    d.add_argument("--no-serve", action="store_true", help="hanya muat data demo, jangan jalankan server")
    d.add_argument("--no-sim", action="store_true", help="jangan jalankan simulator laporan dan unit")
    d.add_argument("--sim-rate", type=float, default=12.0, help="laporan simulasi per jam (bawaan: 12)")
    d.add_argument("--sim-speed", type=float, default=1.0, help="percepatan waktu simulasi (bawaan: 1)")
    d.set_defaults(func="k3i.demo.cli:cmd_demo", demo=True)

    s = sub.add_parser("serve", help="jalankan server web (uvicorn)")
    s.add_argument("--port", type=int, default=8000, help="port HTTP (bawaan: 8000)")
    s.add_argument("--host", default="127.0.0.1", help="alamat dengar (bawaan: 127.0.0.1)")
    s.add_argument("--workers", type=int, default=1, help="jumlah proses web (bawaan: 1)")
    s.add_argument("--no-migrate", action="store_true", help="jangan jalankan migrasi saat mulai")
    s.set_defaults(func="k3i.core.server:cmd_serve")

    m = sub.add_parser("migrate", help="siapkan/perbarui skema basis data")
    m.set_defaults(func="k3i.core.server:cmd_migrate")

    r = sub.add_parser("regions", help="wilayah: impor batas, cari lokasi, daftar jalan")
    rs = r.add_subparsers(dest="sub", metavar="SUBPERINTAH", parser_class=_Parser, required=True)
    ri = rs.add_parser("import", help="impor batas kelurahan dari GeoJSON (semua atau tidak sama sekali)")
    ri.add_argument("file", metavar="BERKAS.geojson")
    ri.add_argument("--code-field", default="kode", help="nama properti kode wilayah (bawaan: kode)")
    ri.add_argument("--name-field", default="nama", help="nama properti nama kelurahan (bawaan: nama)")
    ri.add_argument("--dry-run", action="store_true", help="hanya periksa, jangan simpan")
    ri.set_defaults(func="k3i.organization.cli:cmd_regions_import")
    rl = rs.add_parser("locate", help="kelurahan, kecamatan, Polsek, Pospol dan Bhabinkamtibmas untuk satu titik")
    rl.add_argument("lat", type=float, metavar="LINTANG")
    rl.add_argument("lon", type=float, metavar="BUJUR")
    rl.add_argument("--json", action="store_true", help="keluaran JSON")
    rl.set_defaults(func="k3i.organization.cli:cmd_regions_locate")
    rj = rs.add_parser("streets", help="daftar jalan dan tempat terkenal per kelurahan (untuk mencari lokasi di teks)")
    rjs = rj.add_subparsers(dest="streets_sub", metavar="SUBPERINTAH", parser_class=_Parser, required=True)
    rji = rjs.add_parser("import", help="impor jalan/tempat dari CSV nama_jalan,kode_kelurahan[,catatan][,jenis] "
                                        "(semua atau tidak sama sekali)")
    rji.add_argument("file", metavar="BERKAS.csv")
    rji.add_argument("--ganti", action="store_true",
                     help="hapus jalan/tempat di kota/kabupaten yang sama yang tidak ada di berkas")
    rji.add_argument("--dry-run", action="store_true", help="hanya periksa, jangan simpan")
    rji.set_defaults(func="k3i.organization.cli:cmd_streets_import")
    rjl = rjs.add_parser("list", help="daftar jalan/tempat dan kelurahan yang dilaluinya")
    rjl.add_argument("--kelurahan", default="", help="kode atau nama kelurahan")
    rjl.add_argument("--cari", default="", help="kata dari nama jalan/tempat, mis. pandanaran")
    rjl.add_argument("--jenis", choices=["jalan", "tempat"], help="hanya jalan atau hanya tempat")
    rjl.add_argument("--json", action="store_true", help="keluaran JSON")
    rjl.set_defaults(func="k3i.organization.cli:cmd_streets_list")

    t = sub.add_parser("token", help="token API: buat, cabut, daftar")
    ts = t.add_subparsers(dest="sub", metavar="SUBPERINTAH", parser_class=_Parser, required=True)
    tc = ts.add_parser("create", help="buat token untuk pengguna; token dicetak sendiri di stdout")
    tc.add_argument("username", metavar="USERNAME")
    tc.add_argument("--name", default="", help="nama/keterangan token")
    tc.add_argument("--days", type=int, default=90, help="masa berlaku dalam hari (bawaan: 90)")
    tc.add_argument("--write", action="store_true", help="izinkan menulis (bawaan: hanya baca)")
    tc.set_defaults(func="k3i.accounts.cli:cmd_token_create")
    tr = ts.add_parser("revoke", help="cabut token (token utuh atau awalannya)")
    tr.add_argument("token", metavar="TOKEN_ATAU_AWALAN")
    tr.set_defaults(func="k3i.accounts.cli:cmd_token_revoke")
    tl = ts.add_parser("list", help="daftar token (tanpa nilai rahasianya)")
    tl.add_argument("username", nargs="?", metavar="USERNAME")
    tl.set_defaults(func="k3i.accounts.cli:cmd_token_list")

    a = sub.add_parser("audit", help="buku audit: periksa keutuhan, segel")
    as_ = a.add_subparsers(dest="sub", metavar="SUBPERINTAH", parser_class=_Parser, required=True)
    av = as_.add_parser("verify", help="periksa rantai hash; keluar non-nol bila ada entri diubah/dihapus/ditukar")
    av.set_defaults(func="k3i.core.cli:cmd_audit_verify")
    asl = as_.add_parser("seal", help="segel entri yang belum disegel")
    asl.set_defaults(func="k3i.core.cli:cmd_audit_seal")

    tg = sub.add_parser(
        "triage",
        help="klasifikasi laporan (kategori, prioritas); `k3i triage evaluate --file F` untuk evaluasi",
        description='Contoh: k3i triage "motor saya dibegal di jalan"; k3i triage --file masuk.jsonl; '
        "k3i triage evaluate --file berlabel.jsonl",
    )
    tg.add_argument("text", nargs="*", metavar="TEKS", help="teks laporan (atau: evaluate)")
    tg.add_argument("--file", metavar="BERKAS.jsonl", help="baca banyak laporan dari JSONL")
    tg.set_defaults(func="k3i.cli:_triage")

    sim = sub.add_parser("simulate", help="jalankan simulator panggilan dan unit patroli (data ditandai simulasi)")
    sim.add_argument("--rate", type=float, default=12.0, help="panggilan per jam, rata-rata mingguan (bawaan: 12)")
    sim.add_argument("--speed", type=float, default=1.0, help="percepatan waktu (bawaan: 1 = waktu nyata)")
    sim.add_argument("--seed", type=int, default=None, help="benih acak (hasil dapat diulang)")
    sim.add_argument("--polres", default="", help="kode Polres (bawaan: K3I_POLRES atau Polres pertama)")
    sim.add_argument("--duration", type=float, default=None, metavar="MENIT", help="berhenti setelah MENIT waktu simulasi")
    sim.add_argument("--no-jobs", action="store_true", help="jangan jalankan tugas terjadwal (eskalasi) di proses ini")
    sim.set_defaults(func="k3i.demo.sim_cli:cmd_simulate")

    jb = sub.add_parser("jobs", help="jalankan tugas terjadwal (eskalasi P1, peringatan SLA) di latar depan")
    jb.add_argument("--interval", type=float, default=None, help="detik antar putaran (bawaan: K3I_JOBS_INTERVAL, 5)")
    jb.add_argument("--once", action="store_true", help="jalankan satu putaran lalu keluar")
    jb.set_defaults(func="k3i.core.jobs:cmd_jobs")

    rp = sub.add_parser("report", help="laporan: `k3i report sla` (waktu tanggap p50/p90)")
    rps = rp.add_subparsers(dest="sub", metavar="SUBPERINTAH", parser_class=_Parser, required=True)
    rsl = rps.add_parser("sla", help="waktu penugasan dan waktu tiba, koreksi triase, per Polsek, kategori, "
                                     "prioritas dan sif")
    rsl.add_argument("--days", type=int, default=7, help="hari terakhir (bawaan: 7)")
    rsl.add_argument("--group", action="append", choices=["polsek", "category", "priority", "shift"],
                     help="kelompok (boleh diulang; bawaan: semuanya)")
    rsl.add_argument("--polres", default="", help="kode Polres (bawaan: semua)")
    rsl.add_argument("--json", action="store_true", help="keluaran JSON")
    rsl.set_defaults(func="k3i.incidents.sla:cmd_report_sla")

    mg = sub.add_parser("manage", help="perintah manajemen Django (lanjutan)")
    mg.add_argument("args", nargs=argparse.REMAINDER)
    mg.set_defaults(func="k3i.core.server:cmd_manage")
    return p


def _triage(args: argparse.Namespace) -> int:
    from k3i.incidents.triage import cli as triage_cli

    words = list(args.text or [])
    if words[:1] == ["evaluate"]:
        if not args.file or len(words) > 1:
            print("k3i triage evaluate: pakai --file BERKAS.jsonl (berlabel category dan priority)", file=sys.stderr)
            return 2
        return int(triage_cli.cmd_triage_evaluate(argparse.Namespace(file=args.file)) or 0)
    text = " ".join(words) or None
    if (text is None) == (args.file is None):
        print('k3i triage: beri TEKS laporan atau --file BERKAS.jsonl (salah satu)', file=sys.stderr)
        return 2
    return int(triage_cli.cmd_triage(argparse.Namespace(text=text, file=args.file)) or 0)


def main(argv: Sequence[str] | None = None) -> int:
    """The ``k3i`` command. Output into a pipe that was closed early (``k3i demo | head``) ends it quietly.

    As the Python documentation recommends (``signal`` module, "Note on SIGPIPE"): the output is flushed
    inside the guard, and on ``BrokenPipeError`` stdout is pointed at /dev/null so that the flush at exit
    cannot fail again; no traceback. The exit status is 1, not 0: what was asked was not all written (the
    same as Python's own status on EPIPE; ``set -o pipefail`` can tell). A broken pipe that is not stdout's
    (a network connection) is a real error and is raised as before.
    """
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # inside the guard; argparse's --help leaves through here with SystemExit
    except BrokenPipeError:
        if not _stdout_gone():
            raise
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _stdout_gone() -> bool:
    """True when stdout is a pipe (or socket) whose reader has gone."""
    try:
        import select

        poll = select.poll()
        poll.register(sys.stdout.fileno(), select.POLLOUT)
        return any(ev & (select.POLLERR | select.POLLHUP) for _fd, ev in poll.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll() on this platform, or no real stdout
        return True


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    if getattr(args, "demo", False):
        os.environ.setdefault("K3I_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "k3i.settings")
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
    except ImproperlyConfigured as exc:
        print(f"k3i: konfigurasi tidak sah: {exc}", file=sys.stderr)
        return 2
    from k3i.core.errors import K3iError

    module, _, name = args.func.partition(":")
    func = getattr(importlib.import_module(module), name)
    try:
        return int(func(args) or 0)
    except K3iError as exc:
        print(f"k3i: {exc.detail}", file=sys.stderr)
        for e in exc.errors:
            print(f"  - {e.get('field', '')}: {e.get('message', '')}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
