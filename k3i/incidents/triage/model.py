"""The shipped triage model: load the exported weights (plain JSON, gzip) and classify one text.

Pure Python + numpy; no scikit-learn and no pickle at run time. A text becomes TF-IDF features
(see ``normalize.features``), a linear model gives the category, a second linear model (which also
sees the predicted category) proposes the priority, ``rules.apply`` settles it, and the features that
weighed most for the chosen category are mapped back to the words of the text.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from k3i.core.errors import ValidationFailed

from . import rules
from .normalize import features, normalized_text, tokenize

MODEL_PATH = Path(__file__).resolve().parent / "data" / "model.json.gz"
MAX_CHARS = 10_000
TOP_WORDS = 5


@dataclass(frozen=True)
class TriageResult:
    category: str
    priority: int
    confidence: float
    explanation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "priority": self.priority,
            "confidence": self.confidence,
            "explanation": self.explanation,
        }


# U+FFFD is what a decoder puts in place of bytes that are not valid UTF-8 (Django decodes form posts with
# errors="replace"): a report holding it lost part of its words on the way, so it is refused, not stored.
REPLACEMENT_CHARACTER = "\ufffd"
INVALID_ENCODING = ("Teks laporan mengandung karakter yang tidak terbaca (bukan UTF-8 yang sah): "
                    "ketik ulang laporan Anda lalu kirim lagi.")


def validate_text(text: object) -> str:
    """The report text, or ValidationFailed (field ``text``) — the check every channel's text goes through
    (``create_incident`` triages every non-empty text: API, webhook, /lapor/, /ops/terima, simulator)."""
    if not isinstance(text, str):
        raise ValidationFailed.field("text", "Teks laporan harus berupa teks (string).")
    if not text.strip():
        raise ValidationFailed.field("text", "Teks laporan tidak boleh kosong.")
    if REPLACEMENT_CHARACTER in text:
        raise ValidationFailed.field("text", INVALID_ENCODING)
    if len(text) > MAX_CHARS:
        raise ValidationFailed.field(
            "text", f"Teks laporan terlalu panjang ({len(text)} karakter; paling banyak {MAX_CHARS:,} karakter).".replace(",", ".")
        )
    return text


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()


def _weights(b64: str, rows: int, cols: int) -> np.ndarray:
    """Quantised weights: base64 of little-endian int16, row-major (features × classes)."""
    return np.frombuffer(base64.b64decode(b64), dtype="<i2").reshape(rows, cols).astype(np.float64)


class TriageModel:
    def __init__(self, data: dict[str, Any]) -> None:
        if data.get("format") != "k3i-triage/1":
            raise ValueError(f"format model triase tidak dikenal: {data.get('format')!r}")
        self.meta = {k: data[k] for k in ("params", "trained_on", "sklearn") if k in data}
        names: list[str] = data["features"]
        self.index = {f: i for i, f in enumerate(names)}
        self.idf = np.asarray(data["idf"], dtype=np.float64)
        weighted = np.asarray(data["weighted"], dtype=np.int64)
        cat, pri = data["category"], data["priority"]
        self.classes: list[str] = cat["classes"]
        self.w_cat = np.zeros((len(names), len(self.classes)), dtype=np.float64)
        self.w_cat[weighted] = _weights(cat["coef"], len(weighted), len(self.classes)) * cat["scale"]
        self.b_cat = np.asarray(cat["intercept"], dtype=np.float64)
        self.priorities: list[int] = [int(p) for p in pri["classes"]]
        self.w_pri = np.zeros((len(names), len(self.priorities)), dtype=np.float64)
        self.w_pri[weighted] = _weights(pri["coef"], len(weighted), len(self.priorities)) * pri["scale"]
        self.b_pri = np.asarray(pri["intercept"], dtype=np.float64)
        self.pri_cat = {c: np.asarray(v, dtype=np.float64) for c, v in pri["category_coef"].items()}
        self.p1_threshold = float(data["params"]["p1_threshold"])

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> TriageModel:
        with gzip.open(path, "rb") as fh:
            return cls(json.loads(fh.read().decode("utf-8")))

    def classify(self, text: object) -> TriageResult:
        text = validate_text(text)
        tokens = tokenize(text)
        counts: dict[int, int] = {}
        owners: dict[int, tuple[int, ...]] = {}
        for f, own in features(tokens):
            j = self.index.get(f)
            if j is None:
                continue
            counts[j] = counts.get(j, 0) + 1
            owners.setdefault(j, own)
        idx = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        x = np.array([1.0 + math.log(c) for c in counts.values()], dtype=np.float64) * self.idf[idx]
        norm = float(np.sqrt(x @ x)) or 1.0
        x /= norm

        wc = self.w_cat[idx]
        p_cat = _softmax(self.b_cat + x @ wc)
        k = int(p_cat.argmax())
        category = self.classes[k]

        wp = self.w_pri[idx]
        p_pri = _softmax(self.b_pri + x @ wp + self.pri_cat[category])
        kp = int(p_pri.argmax())
        model_priority = self.priorities[kp]
        p1 = float(p_pri[self.priorities.index(1)])
        hits: list[rules.RuleHit] = []
        if model_priority != 1 and p1 >= self.p1_threshold:
            model_priority = 1
            hits.append(rules.RuleHit("jaring_p1", f"model memberi peluang darurat {p1:.2f} ≥ {self.p1_threshold}", []))
        priority, rule_hits = rules.apply(category, model_priority, tokens)
        hits.extend(rule_hits)

        order = np.argsort(-p_cat)
        explanation = {
            "words": self._top_words(tokens, idx, owners, x * wc[:, k]),
            "priority_words": self._top_words(tokens, idx, owners, x * wp[:, self.priorities.index(priority)])
            if priority in self.priorities else [],
            "rules": [h.as_dict() for h in hits],
            "alternatives": [
                {"category": self.classes[int(i)], "confidence": round(float(p_cat[int(i)]), 3)} for i in order[1:3]
            ],
            "priority_model": {"priority": self.priorities[kp], "confidence": round(float(p_pri[kp]), 3)},
            "normalized": normalized_text(tokens),
        }
        return TriageResult(category, int(priority), round(float(p_cat[k]), 3), explanation)

    @staticmethod
    def _top_words(tokens: list[Any], idx: np.ndarray, owners: dict[int, tuple[int, ...]], contrib: np.ndarray) -> list[dict[str, Any]]:
        per_token: dict[int, float] = {}
        for j, c in zip(idx.tolist(), contrib.tolist(), strict=True):
            own = owners[j]
            for i in own:
                per_token[i] = per_token.get(i, 0.0) + c / len(own)
        per_word: dict[str, float] = {}
        for i, c in per_token.items():
            w = tokens[i].original
            per_word[w] = per_word.get(w, 0.0) + c
        best = sorted(((c, w) for w, c in per_word.items() if c > 0), reverse=True)[:TOP_WORDS]
        return [{"word": w, "weight": round(c, 3)} for c, w in best]


_model: TriageModel | None = None
_lock = threading.Lock()


def get_model() -> TriageModel:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = TriageModel.load()
    return _model


def classify(text: object) -> TriageResult:
    """Category, priority, confidence and explanation for one report text (raises ValidationFailed)."""
    validate_text(text)
    return get_model().classify(text)
