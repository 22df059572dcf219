"""``k3i triage`` handlers (the parser lives in ``k3i/cli.py``).

    k3i triage "TEKS"                         → one JSON object: category, priority, confidence, explanation
    k3i triage --file MASUK.jsonl             → one JSON line per input line: id, category, priority, confidence
    k3i triage evaluate --file BERLABEL.jsonl → macro-F1, precision/recall per category, priority-1 recall,
                                                confusion matrix

A bad input line stops the run before anything is written: the error names every bad line (up to 20)
and the command exits with 2 (``ValidationFailed``, printed by ``k3i.cli.main``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from k3i.core.errors import ValidationFailed

from .evaluate import evaluate, report
from .model import MAX_CHARS, classify, get_model

MAX_REPORTED_ERRORS = 20
PRIORITIES = (1, 2, 3, 4)


def _read_lines(path_arg: str) -> list[tuple[int, str]]:
    """Non-blank lines of a JSONL file (``-`` = standard input) with their 1-based line numbers."""
    if path_arg == "-":
        raw = sys.stdin.buffer.read()
    else:
        path = Path(path_arg)
        if not path.is_file():
            raise ValidationFailed.field("file", f"Berkas tidak ditemukan: {path_arg}")
        raw = path.read_bytes()
    lines: list[tuple[int, str]] = []
    bad: list[dict[str, str]] = []
    for n, chunk in enumerate(raw.split(b"\n"), start=1):
        try:
            line = chunk.decode("utf-8")
        except UnicodeDecodeError:
            bad.append({"field": f"baris {n}", "message": "bukan teks UTF-8 yang sah"})
            continue
        if line.strip():
            lines.append((n, line))
    if bad:
        _fail(bad)
    if not lines:
        raise ValidationFailed.field("file", f"Berkas {path_arg} kosong: tidak ada laporan untuk diproses.")
    return lines


def _fail(errors: list[dict[str, str]]) -> None:
    shown = errors[:MAX_REPORTED_ERRORS]
    more = len(errors) - len(shown)
    first = shown[0]
    detail = f"{len(errors)} baris tidak sah, mis. {first['field']}: {first['message']}"
    if more:
        shown = [*shown, {"field": "…", "message": f"dan {more} baris lain"}]
    raise ValidationFailed(detail + ". Tidak ada yang diproses.", shown)


def _parse(lines: list[tuple[int, str]], *, labelled: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    bad: list[dict[str, str]] = []
    known = set(get_model().classes) if labelled else set()
    for n, line in lines:
        where = f"baris {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append({"field": where, "message": f"bukan JSON yang sah ({exc.msg}, kolom {exc.colno})"})
            continue
        if not isinstance(obj, dict):
            bad.append({"field": where, "message": 'harus berupa objek JSON, mis. {"id": "1", "text": "..."}'})
            continue
        text = obj.get("text")
        if not isinstance(text, str):
            bad.append({"field": where, "message": 'kolom "text" wajib diisi dan berupa teks'})
            continue
        if not text.strip():
            bad.append({"field": where, "message": 'kolom "text" kosong'})
            continue
        if len(text) > MAX_CHARS:
            bad.append({"field": where, "message": f'kolom "text" terlalu panjang ({len(text)} karakter; paling banyak {MAX_CHARS})'})
            continue
        row: dict[str, Any] = {"id": obj.get("id", n), "text": text}
        if labelled:
            cat, pri = obj.get("category"), obj.get("priority")
            if cat not in known:
                bad.append({"field": where, "message": f'kolom "category" tidak dikenal: {cat!r}'})
                continue
            if isinstance(pri, bool) or pri not in PRIORITIES:
                bad.append({"field": where, "message": f'kolom "priority" harus 1, 2, 3 atau 4 (bukan {pri!r})'})
                continue
            row["category"], row["priority"] = cat, int(pri)
        rows.append(row)
    if bad:
        _fail(bad)
    return rows


def cmd_triage(args: argparse.Namespace) -> int:
    text = getattr(args, "text", None)
    path = getattr(args, "file", None)
    if (text is None) == (path is None):
        raise ValidationFailed.field("text", "Beri teks laporan atau --file BERKAS.jsonl (salah satu).")
    if text is not None:
        result = classify(text)
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        return 0
    rows = _parse(_read_lines(str(path)), labelled=False)
    out = sys.stdout
    for r in rows:
        res = classify(r["text"])
        out.write(json.dumps({"id": r["id"], "category": res.category, "priority": res.priority,
                              "confidence": res.confidence}, ensure_ascii=False) + "\n")
    out.flush()
    return 0


def cmd_triage_evaluate(args: argparse.Namespace) -> int:
    path = getattr(args, "file", None)
    if not path:
        raise ValidationFailed.field("file", "Pakai --file BERKAS.jsonl (berisi text, category dan priority).")
    rows = _parse(_read_lines(str(path)), labelled=True)
    print(report(evaluate(rows)))
    return 0
