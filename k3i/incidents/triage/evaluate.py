"""Evaluation of the triage on labelled reports (no scikit-learn needed).

``evaluate(rows)`` → macro-F1 over categories, per-category precision/recall/F1, priority accuracy,
priority-1 recall (and precision), the confusion matrix and the misclassified examples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .model import TriageResult, classify


def evaluate(
    rows: Iterable[dict[str, Any]], classifier: Callable[[str], TriageResult] = classify
) -> dict[str, Any]:
    gold_c: list[str] = []
    pred_c: list[str] = []
    gold_p: list[int] = []
    pred_p: list[int] = []
    errors: list[dict[str, Any]] = []
    for r in rows:
        res = classifier(r["text"])
        gold_c.append(str(r["category"]))
        pred_c.append(res.category)
        gold_p.append(int(r["priority"]))
        pred_p.append(res.priority)
        if res.category != r["category"] or res.priority != int(r["priority"]):
            errors.append({
                "id": r.get("id"), "text": r["text"],
                "category": r["category"], "predicted_category": res.category,
                "priority": int(r["priority"]), "predicted_priority": res.priority,
            })
    labels = sorted(set(gold_c) | set(pred_c))
    pairs = Counter(zip(gold_c, pred_c, strict=True))
    per_category: dict[str, dict[str, float]] = {}
    for c in labels:
        tp = pairs[(c, c)]
        n_pred = sum(v for (g, p), v in pairs.items() if p == c)
        n_gold = sum(v for (g, p), v in pairs.items() if g == c)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_category[c] = {"precision": prec, "recall": rec, "f1": f1, "support": n_gold}
    gold_labels = [c for c in labels if per_category[c]["support"]]
    macro_f1 = sum(per_category[c]["f1"] for c in gold_labels) / len(gold_labels) if gold_labels else 0.0
    n = len(gold_c)
    p1_gold = sum(1 for g in gold_p if g == 1)
    p1_pred = sum(1 for p in pred_p if p == 1)
    p1_tp = sum(1 for g, p in zip(gold_p, pred_p, strict=True) if g == p == 1)
    return {
        "n": n,
        "accuracy": sum(1 for g, p in zip(gold_c, pred_c, strict=True) if g == p) / n if n else 0.0,
        "macro_f1": macro_f1,
        "per_category": per_category,
        "priority_accuracy": sum(1 for g, p in zip(gold_p, pred_p, strict=True) if g == p) / n if n else 0.0,
        "priority1_recall": p1_tp / p1_gold if p1_gold else 1.0,
        "priority1_precision": p1_tp / p1_pred if p1_pred else 1.0,
        "priority1_support": p1_gold,
        "priority_confusion": {f"{g}->{p}": v for (g, p), v in sorted(Counter(zip(gold_p, pred_p, strict=True)).items())},
        "confusion": {g: {p: v for (gg, p), v in sorted(pairs.items()) if gg == g} for g in labels},
        "errors": errors,
    }


ABBREV = {
    "CURAS": "CRS", "CURAT": "CRT", "CURANMOR": "CMR", "PENCURIAN": "PCR", "PENGANIAYAAN": "ANI", "KDRT": "KDR",
    "KEKERASAN_SEKSUAL": "SEK", "PEMBUNUHAN": "BUN", "NARKOBA": "NAR", "TAWURAN": "TAW", "UNJUK_RASA": "UNJ",
    "PEKAT": "PKT", "GANGGUAN_KETERTIBAN": "GKT", "LAKA_LANTAS": "LAK", "GANGGUAN_LANTAS": "GLT",
    "KEBAKARAN": "BKR", "BENCANA": "BCN", "ORANG_HILANG": "HIL", "PENIPUAN": "TIP", "ANCAMAN_TEROR": "TER",
    "NUBIKA": "NBK", "KEMANUSIAAN": "KMN", "LAYANAN_ADMINISTRASI": "ADM", "PENGADUAN_ANGGOTA": "PRO",
    "INFORMASI": "INF",
}


def report(result: dict[str, Any]) -> str:
    """A compact plain-text report (Indonesian headings) for the CLI and the benchmark."""
    lines = [
        f"laporan dinilai      : {result['n']}",
        f"macro-F1 kategori    : {result['macro_f1']:.3f}",
        f"akurasi kategori     : {result['accuracy']:.3f}",
        f"akurasi prioritas    : {result['priority_accuracy']:.3f}",
        f"recall prioritas 1   : {result['priority1_recall']:.3f} (dari {result['priority1_support']})",
        f"presisi prioritas 1  : {result['priority1_precision']:.3f}",
        "",
        f"{'kategori':<22} {'presisi':>7} {'recall':>7} {'F1':>6} {'n':>4}",
    ]
    for c, m in result["per_category"].items():
        lines.append(f"{c:<22} {m['precision']:>7.3f} {m['recall']:>7.3f} {m['f1']:>6.3f} {int(m['support']):>4}")
    labels = list(result["confusion"])
    ab = [ABBREV.get(c, c[:3]) for c in labels]
    lines += ["", "matriks kebingungan (baris = label, kolom = prediksi; . = 0):", "    " + " ".join(f"{a:>3}" for a in ab)]
    for c, a in zip(labels, ab, strict=True):
        row = result["confusion"][c]
        lines.append(f"{a:>3} " + " ".join(f"{row.get(p, 0) or '.':>3}" for p in labels))
    lines.append("prioritas (label->prediksi): " + ", ".join(f"{k}: {v}" for k, v in result["priority_confusion"].items()))
    return "\n".join(lines)
