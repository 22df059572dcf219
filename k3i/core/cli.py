"""`k3i audit verify` and `k3i audit seal`."""

from __future__ import annotations

import argparse

from . import audit


def cmd_audit_seal(args: argparse.Namespace) -> int:
    n = audit.seal_pending()
    print(f"{n} entri disegel.")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    audit.seal_pending()
    checked, problem = audit.verify()
    if problem is None:
        from .models import AuditChainHead

        head = AuditChainHead.objects.filter(pk=1).first()
        tail = f" Hash kepala: {head.chain_hash} (urutan {head.seq})." if head else ""
        print(f"Buku audit utuh: {checked} entri diperiksa.{tail}")
        return 0
    print(f"BUKU AUDIT RUSAK: {problem}", flush=True)
    print(f"({checked} entri diperiksa sampai masalah pertama.)")
    return 1
