"""`k3i serve`, `k3i migrate`, `k3i manage`: run the web platform (uvicorn with `k3i.asgi:application`: the views on
Django's WSGI handler in a thread pool, the live stream on its ASGI handler)."""

from __future__ import annotations

import argparse
import os
import sys

from django.core.management import call_command


def migrate(verbose: bool = False) -> None:
    call_command("migrate", interactive=False, verbosity=1 if verbose else 0)


def cmd_migrate(args: argparse.Namespace) -> int:
    migrate(verbose=True)
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["k3i manage", *args.args])
    return 0


def run_server(host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    os.environ["K3I_RUN_SEALER"] = "1"
    os.environ.setdefault("K3I_RUN_JOBS", "1")  # escalation and SLA alerts (k3i.core.jobs)
    uvicorn.run(
        "k3i.asgi:application", host=host, port=port, workers=workers, log_level="warning",
        access_log=False, lifespan="off", timeout_graceful_shutdown=2,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    if not args.no_migrate:
        migrate()
    print(f"K3i berjalan di http://{args.host}:{args.port}/  (Ctrl+C untuk berhenti)", flush=True)
    sys.stdout.flush()
    run_server(args.host, args.port, args.workers)
    return 0
