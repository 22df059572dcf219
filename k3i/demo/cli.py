"""`k3i demo`: migrate, load the demo Polres, print the URL and the demo accounts, serve."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

from k3i.accounts.models import User
from k3i.core import audit
from k3i.core.errors import K3iError
from k3i.core.roles import Role
from k3i.core.server import migrate, run_server

from .loader import LoadReport, load_demo
from .plan import DEMO_PASSWORD

LINGKUP = {"polres": "seluruh Polres", "polsek": "Polsek", "kelurahan": "kelurahan"}


def reset_database(db: Mapping[str, Any] | None = None) -> Path:
    """Delete the SQLite database file and its -wal/-shm (the configured one unless ``db`` is given).

    Refuses anything but SQLite: K3i never drops a PostgreSQL database.
    """
    configured = db is None
    cfg: Mapping[str, Any] = settings.DATABASES["default"] if db is None else db
    if cfg["ENGINE"] != "django.db.backends.sqlite3":
        raise K3iError(
            "--reset hanya untuk basis data SQLite: basis data PostgreSQL tidak dihapus oleh K3i. "
            "Buat ulang sendiri (mis. `dropdb NAMA && createdb NAMA`), lalu jalankan `k3i demo` lagi."
        )
    path = Path(str(cfg["NAME"]))
    if configured:
        connections.close_all()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def _scope(username: str, lingkup: str, report: LoadReport) -> str:
    user = User.objects.select_related("scope_polsek").get(username=username)
    if lingkup == "polsek" and user.scope_polsek:
        return user.scope_polsek.nama
    if lingkup == "kelurahan":
        return "kelurahan " + ", ".join(user.scope_kelurahan.order_by("kode").values_list("nama", flat=True))
    return f"seluruh {report.polres.nama}"


def print_summary(report: LoadReport, url: str) -> None:
    plan = report.plan
    gaps = plan.gaps
    print(f"K3i demo — {report.polres.nama} ({plan.polres.polda})")
    print("Catatan: ini DATA DEMO — nama, NRP dan unit fiktif; batas kelurahan skematis (bukan batas resmi).")
    print(f"Isi: {len(plan.polsek)} Polsek, {len(plan.points)} kelurahan ({len(gaps)} tanpa Bhabinkamtibmas), "
          f"{len(plan.pospol)} Pospol, {len(plan.polsubsektor)} Polsubsektor, {len(plan.personel)} personel, "
          f"{len(plan.units)} unit patroli, {len(plan.fungsi)} fungsi.")
    if report.changed:
        made = ", ".join(f"{k} {v}" for k, v in report.created.items() if v) or "—"
        upd = ", ".join(f"{k} {v}" for k, v in report.updated.items() if v) or "—"
        print(f"Dimuat sekarang: dibuat: {made}; diperbarui: {upd}.")
    else:
        print("Data demo sudah lengkap: tidak ada yang diubah.")
    print()
    print(f"Buka: {url}")
    print(f"Akun demo (hanya berlaku dalam mode demo; sandi semuanya: {DEMO_PASSWORD}):")
    rows = [("pengguna", "peran", "lingkup", "sandi")]
    for a in plan.accounts:
        rows.append((a.username, str(Role(a.role).label), _scope(a.username, a.lingkup, report), DEMO_PASSWORD))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3])
    print()
    print("Lapor tanpa login: " + url + "lapor/   ·   lacak laporan: " + url + "lacak/")
    print("Gerbang WhatsApp/SMS: POST " + url + "api/v1/intake/messages (JSON phone, text, message_id unik — wajib), "
          "header X-K3i-Signature: sha256=HMAC "
          f"dengan rahasia demo {settings.K3I_INTAKE_WEBHOOK_SECRET}")


def cmd_demo(args: argparse.Namespace) -> int:
    if args.reset:
        path = reset_database()
        print(f"Basis data demo dihapus: {path}")
    migrate()
    report = load_demo(args.polres)
    audit.seal_pending()
    if not settings.DEMO_MODE:
        print("Peringatan: K3I_DEMO tidak aktif — akun demo tidak dapat dipakai untuk login.")
    url = f"http://{args.host}:{args.port}/"
    print_summary(report, url)
    if args.no_serve:
        print(f"\nServer tidak dijalankan (--no-serve). Jalankan: k3i demo --polres {args.polres} --port {args.port}")
        return 0
    print(f"\nK3i berjalan di {url}  (Ctrl+C untuk berhenti)", flush=True)
    if not getattr(args, "no_sim", False):
        # The demo comes alive: calls arrive, units move (records marked simulated).
        from .simulator import start_in_background

        start_in_background(args.sim_rate, args.sim_speed)
        print(f"Simulator berjalan: ±{args.sim_rate:g} laporan/jam (kecepatan ×{args.sim_speed:g}); "
              "matikan dengan --no-sim.", flush=True)
    run_server(args.host, args.port)
    return 0
