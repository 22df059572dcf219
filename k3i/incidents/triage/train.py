"""Retrain the triage model from ``data/train.jsonl`` and write ``data/model.json.gz``.

    python -m k3i.incidents.triage.generate   # rebuild train.jsonl / test.jsonl from the sources
    python -m k3i.incidents.triage.train      # retrain and write the shipped model

Needs scikit-learn (a development dependency); classifying does not: the weights are exported as plain
JSON (gzip) and applied with numpy, so loading is safe (no pickle) and fast. The export records the
SHA-256 of the training file so a test can check that the shipped model belongs to the shipped corpus.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .normalize import analyze

DATA = Path(__file__).resolve().parent / "data"
MODEL_PATH = DATA / "model.json.gz"
FORMAT = "k3i-triage/1"
C_CATEGORY = 20.0
C_PRIORITY = 10.0
CATEGORY_FEATURE_WEIGHT = 1.0
P1_THRESHOLD = 0.30
PRUNE_BELOW = 0.02  # features whose weights all stay below this (in every class) are dropped


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _quantize(matrix: np.ndarray) -> tuple[float, str]:
    """int16 weights (row-major, little-endian) in base64: compact, and parsed in milliseconds."""
    scale = float(np.abs(matrix).max()) / 30000.0 or 1.0
    q = np.rint(matrix / scale).astype("<i2")
    return scale, base64.b64encode(q.tobytes()).decode("ascii")


def fit(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Fit both models on ``rows``; return the exportable model (a JSON-able dict)."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [r["text"] for r in rows]
    vec = TfidfVectorizer(analyzer=analyze, sublinear_tf=True, min_df=2, dtype=np.float64)
    X = vec.fit_transform(texts)
    y_cat = [r["category"] for r in rows]
    y_pri = [int(r["priority"]) for r in rows]

    cat = LogisticRegression(C=C_CATEGORY, max_iter=3000)
    cat.fit(X, y_cat)
    classes = list(cat.classes_)
    onehot = sparse.csr_matrix(
        (np.full(len(rows), CATEGORY_FEATURE_WEIGHT), ([i for i in range(len(rows))], [classes.index(c) for c in y_cat])),
        shape=(len(rows), len(classes)),
    )
    # keyword-bank rows ("k-" ids) teach vocabulary only: they say nothing about the situation
    situational = np.array([not str(r.get("id", "")).startswith("k-") for r in rows])
    pri = LogisticRegression(C=C_PRIORITY, max_iter=3000)
    pri.fit(sparse.hstack([X, onehot]).tocsr()[situational], np.asarray(y_pri)[situational])

    names = vec.get_feature_names_out()
    n_feat = len(names)
    w_cat = cat.coef_.T  # (features, classes)
    w_pri = pri.coef_.T[:n_feat]
    w_pri_cat = pri.coef_.T[n_feat:] * CATEGORY_FEATURE_WEIGHT
    keep = (np.abs(w_cat).max(axis=1) >= PRUNE_BELOW) | (np.abs(w_pri).max(axis=1) >= PRUNE_BELOW)
    cat_scale, cat_q = _quantize(w_cat[keep])
    pri_scale, pri_q = _quantize(w_pri[keep])
    return {
        "format": FORMAT,
        "params": {"C_category": C_CATEGORY, "C_priority": C_PRIORITY, "min_df": 2, "sublinear_tf": True,
                   "prune_below": PRUNE_BELOW, "p1_threshold": P1_THRESHOLD},
        # every vocabulary feature keeps its idf (it counts in the l2 norm); only kept ones carry weights
        "features": [str(n) for n in names],
        "idf": [round(float(v), 6) for v in vec.idf_],
        "weighted": np.flatnonzero(keep).tolist(),
        "category": {
            "classes": classes,
            "intercept": [float(v) for v in cat.intercept_],
            "scale": cat_scale,
            "coef": cat_q,
        },
        "priority": {
            "classes": [int(c) for c in pri.classes_],
            "intercept": [float(v) for v in pri.intercept_],
            "scale": pri_scale,
            "coef": pri_q,
            "category_coef": {c: [float(v) for v in w_pri_cat[i]] for i, c in enumerate(classes)},
        },
    }


def write_model(model: dict[str, Any], path: Path = MODEL_PATH) -> None:
    raw = json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with path.open("wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(raw)


def main(argv: list[str] | None = None) -> int:
    import sklearn

    train_path = DATA / "train.jsonl"
    rows = read_jsonl(train_path)
    t0 = time.perf_counter()
    model = fit(rows)
    model["trained_on"] = {"file": train_path.name, "sha256": sha256_of(train_path), "rows": len(rows)}
    model["sklearn"] = sklearn.__version__
    write_model(model)
    print(
        f"model: {len(rows)} laporan, {len(model['features'])} fitur ({len(model['weighted'])} berbobot), "
        f"{time.perf_counter() - t0:.1f} s → {MODEL_PATH.relative_to(Path.cwd()) if MODEL_PATH.is_relative_to(Path.cwd()) else MODEL_PATH} "
        f"({MODEL_PATH.stat().st_size / 1024:.0f} KiB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
