"""Triage of Indonesian free text: categories, priorities, explanations, the shipped model, the CLI."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from k3i.core.errors import ValidationFailed
from k3i.incidents.triage import MAX_CHARS, TriageResult, classify, get_model
from k3i.incidents.triage import cli as triage_cli
from k3i.incidents.triage.evaluate import evaluate
from k3i.incidents.triage.generate import (
    DEFAULT_PRIORITY,
    NEAR_COPY,
    read_handwritten,
    similarity_to_test,
    training_rows,
)
from k3i.incidents.triage.normalize import normalized_text, tokenize

DATA = Path(__file__).resolve().parents[1] / "triage" / "data"
TAXONOMY = Path(__file__).resolve().parents[3].parent / "shared" / "taxonomy"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def model():
    return get_model()  # loaded once for the whole module


# --- categories: hard boundary cases, slang, Javanese ----------------------------------------------------

@pytest.mark.parametrize(
    ("text", "category"),
    [
        # CURAS vs CURANMOR
        ("motor saya dirampas dua orang bawa celurit di jalan sepi", "CURAS"),
        ("motor saya hilang dari parkiran minimarket, kunci stang dirusak", "CURANMOR"),
        # CURAT vs PENCURIAN
        ("rumah saya dibobol maling, pintu belakang dicongkel, perhiasan hilang", "CURAT"),
        ("dompet saya dicopet di angkot", "PENCURIAN"),
        # PENGANIAYAAN vs TAWURAN vs KDRT
        ("saya dipukuli orang tak dikenal di parkiran sampai berdarah", "PENGANIAYAAN"),
        ("dua kelompok pelajar tawuran bawa sajam di jalan raya", "TAWURAN"),
        ("suami saya memukuli saya di rumah, anak-anak menangis", "KDRT"),
        # PENIPUAN by a fake officer vs PENGADUAN_ANGGOTA about a real one
        ("ada yang telepon mengaku polisi, katanya anak saya ditangkap, minta transfer 5 juta", "PENIPUAN"),
        ("anggota satlantas minta uang damai 100 ribu waktu saya ditilang, tidak dikasih surat tilang", "PENGADUAN_ANGGOTA"),
        # LAKA_LANTAS vs GANGGUAN_LANTAS
        ("tabrakan motor dengan truk, pengendara motor tergeletak", "LAKA_LANTAS"),
        ("lampu merah di perempatan mati, macet total", "GANGGUAN_LANTAS"),
        # KEBAKARAN vs NUBIKA
        ("rumah tetangga terbakar, api sudah merembet", "KEBAKARAN"),
        ("bau gas menyengat dari dapur tetangga, belum ada api", "NUBIKA"),
        # ORANG_HILANG vs KEMANUSIAAN, and INFORMASI
        ("bapak saya belum pulang sejak kemarin, hp tidak aktif", "ORANG_HILANG"),
        ("ada orang pingsan di depan masjid", "KEMANUSIAAN"),
        ("mau tanya jam buka pelayanan SIM", "INFORMASI"),
        ("mau perpanjang sim c yang sudah mati, syaratnya apa", "LAYANAN_ADMINISTRASI"),
    ],
)
def test_hard_boundary_cases(model, text, category):
    assert classify(text).category == category


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("tlg pak omahku kobong, genine gedhe", "KEBAKARAN"),
        ("mtr sy ilang dr parkiran pasar, sdh dikunci stang tp gk ada", "CURANMOR"),
        ("laka di jln raya, korban gk sadar", "LAKA_LANTAS"),
        ("warga geger, wong mendem ngamuk nggowo piso neng dalan", "GANGGUAN_KETERTIBAN"),
        ("TOLOOONG PAKKK ADA BEGALLL", "CURAS"),
    ],
)
def test_slang_abbreviations_and_javanese(model, text, category):
    assert classify(text).category == category


def test_normaliser_maps_slang_and_javanese_to_standard_words():
    text = "Tlg pakkk omahku kobong!!! anak2 isih neng njero, sdh gk iso metu"
    assert normalized_text(tokenize(text)) == (
        "tolong pak rumah saya terbakar anak anak masih di dalam sudah tidak bisa metu"
    )


# --- priorities ------------------------------------------------------------------------------------------

def test_priority_follows_the_situation_for_the_same_kind_of_event(model):
    armed = classify("tolong pak ada begal, pelaku bawa golok masih di sini")
    fled = classify("tadi hp saya dijambret orang naik motor, pelaku sudah kabur, saya tidak luka")
    last_week = classify("minggu lalu saya dijambret di pasar, mau bikin laporan")
    assert (armed.category, fled.category, last_week.category) == ("CURAS", "CURAS", "CURAS")
    assert (armed.priority, fled.priority, last_week.priority) == (1, 2, 3)
    rules = {r["rule"]: r["words"] for r in armed.explanation["rules"]}
    assert rules["senjata"] == ["golok"]
    assert "pelaku_di_lokasi" in rules
    assert [r["rule"] for r in last_week.explanation["rules"]] == ["kejadian_lampau"]


@pytest.mark.parametrize(
    ("text", "priority"),
    [
        ("dompet saya dicopet di bus tadi pagi", 3),
        ("copet ketangkep warga, mau dihakimi massa", 1),  # mob justice threatens a life
        ("anak saya umur 5 tahun hilang di pasar", 1),  # a child
        ("bapak saya belum pulang sejak kemarin", 2),  # "sejak kemarin" is a duration, not a past event
        ("kebakaran kecil di dapur sudah dipadamkan, tidak ada korban", 2),
        ("rumah tetangga terbakar, api sudah merembet", 1),
        ("mau bikin skck untuk melamar kerja", 4),
        ("ditemukan mayat laki-laki di pinggir sungai", 1),
    ],
)
def test_priority_escalation_and_de_escalation(model, text, priority):
    assert classify(text).priority == priority


# --- explanation -----------------------------------------------------------------------------------------

def test_explanation_names_the_deciding_words_and_rules(model):
    res = classify("tlg pak motor sy dibegal di jl pemuda, pelaku bawa celurit")
    assert isinstance(res, TriageResult)
    assert (res.category, res.priority) == ("CURAS", 1)
    assert 0.5 < res.confidence <= 1.0
    words = [w["word"] for w in res.explanation["words"]]
    assert words[0] == "dibegal"
    assert all(w in "tlg pak motor sy dibegal di jl pemuda, pelaku bawa celurit" for w in words)
    assert {"rule": "senjata", "description": "pelaku membawa/memakai senjata", "words": ["celurit"]} in res.explanation["rules"]
    assert [a["category"] for a in res.explanation["alternatives"]] != ["CURAS"]
    assert json.loads(json.dumps(res.as_dict()))["category"] == "CURAS"


# --- bad input -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["", "   \n\t", None, 123, b"motor hilang", "x" * (MAX_CHARS + 1)])
def test_invalid_input_is_refused_in_indonesian(bad):
    with pytest.raises(ValidationFailed) as exc:
        classify(bad)
    assert exc.value.errors[0]["field"] == "text"
    assert "Teks laporan" in exc.value.detail


def test_longest_allowed_text_and_text_without_words_are_classified(model):
    assert classify("motor saya hilang " * (MAX_CHARS // 18)).category == "CURANMOR"
    assert classify("!!! ??? 🙏").category in get_model().classes


# --- the corpus and the shipped model --------------------------------------------------------------------

def test_evaluation_on_the_held_out_split_meets_the_goals(model):
    result = evaluate(_jsonl(DATA / "test.jsonl"))
    assert result["n"] == 500
    assert result["macro_f1"] >= 0.85
    assert result["priority1_recall"] >= 0.95


def test_corpus_size_coverage_and_disjoint_splits():
    train, test = _jsonl(DATA / "train.jsonl"), _jsonl(DATA / "test.jsonl")
    assert len(train) >= 1500
    assert {r["category"] for r in train} == {r["category"] for r in test} == set(DEFAULT_PRIORITY)
    assert all(set(r) == {"id", "text", "category", "priority"} and r["priority"] in (1, 2, 3, 4) for r in train + test)
    seen = {r["text"].lower().strip() for r in train}
    assert not [r["text"] for r in test if r["text"].lower().strip() in seen]
    # nor a paraphrase: no training report nearly copies a held-out one
    sims = similarity_to_test(train, test)
    assert max(sims) < NEAR_COPY
    assert len({r["id"] for r in train + test}) == len(train) + len(test)


def test_shipped_model_belongs_to_the_shipped_corpus(model):
    train_file = DATA / "train.jsonl"
    meta = model.meta["trained_on"]
    assert meta["sha256"] == hashlib.sha256(train_file.read_bytes()).hexdigest(), (
        "train.jsonl berubah tanpa melatih ulang: jalankan python -m k3i.incidents.triage.train"
    )
    # the generator is seeded: it rebuilds train.jsonl byte for byte
    rows = training_rows(DATA)
    rebuilt = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    assert rebuilt == train_file.read_text(encoding="utf-8")
    assert read_handwritten(DATA / "handwritten_test.txt", "t") == _jsonl(DATA / "test.jsonl")
    # and the model has learnt that corpus
    sample = _jsonl(train_file)[::7]
    assert evaluate(sample, model.classify)["accuracy"] >= 0.97


def test_classifying_needs_neither_scikit_learn_nor_django():
    code = (
        "import sys; from k3i.incidents.triage import classify; r = classify('motor saya dicuri'); "
        "assert r.category == 'CURANMOR', r; "
        "assert not [m for m in sys.modules if m.startswith(('sklearn', 'scipy', 'django'))], 'heavy import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[3])


@pytest.mark.shared
def test_model_covers_every_code_of_the_shared_taxonomy(model):
    path = TAXONOMY / "incident_types.csv"
    if not path.is_file():
        pytest.skip("../shared/taxonomy tidak ada")
    with path.open(encoding="utf-8") as fh:
        taxonomy = {row["kode"]: int(row["prioritas_default"]) for row in csv.DictReader(fh)}
    assert set(model.classes) == set(taxonomy)
    assert taxonomy == DEFAULT_PRIORITY


# --- CLI handlers ----------------------------------------------------------------------------------------

def test_cli_single_text_prints_json(capsys):
    assert triage_cli.cmd_triage(argparse.Namespace(text="ada tas mencurigakan ditinggal di stasiun", file=None)) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"category", "priority", "confidence", "explanation"}
    assert (out["category"], out["priority"]) == ("ANCAMAN_TEROR", 1)


def test_cli_file_writes_one_line_per_report(tmp_path, capsys):
    src = tmp_path / "masuk.jsonl"
    src.write_text(
        json.dumps({"id": "a-1", "text": "motor sy ilang di parkiran"}) + "\n\n"
        + json.dumps({"text": "mau bikin skck"}) + "\n",
        encoding="utf-8",
    )
    assert triage_cli.cmd_triage(argparse.Namespace(text=None, file=str(src))) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["id"], x["category"], x["priority"]) for x in lines] == [
        ("a-1", "CURANMOR", 2), (3, "LAYANAN_ADMINISTRASI", 4)  # no "id": the line number
    ]
    assert all(set(x) == {"id", "category", "priority", "confidence"} for x in lines)


def test_cli_file_with_bad_lines_names_them_and_writes_nothing(tmp_path, capsys):
    src = tmp_path / "rusak.jsonl"
    src.write_bytes(b'{"text": "motor hilang"}\nbukan json\n{"text": ""}\n[1, 2]\n{"id": 5}\n\xff\xfe\n')
    with pytest.raises(ValidationFailed) as exc:
        triage_cli.cmd_triage(argparse.Namespace(text=None, file=str(src)))
    assert [e["field"] for e in exc.value.errors] == ["baris 6"]  # invalid UTF-8 is caught first
    src.write_bytes(b'{"text": "motor hilang"}\nbukan json\n{"text": ""}\n[1, 2]\n{"id": 5}\n')
    with pytest.raises(ValidationFailed) as exc:
        triage_cli.cmd_triage(argparse.Namespace(text=None, file=str(src)))
    assert [e["field"] for e in exc.value.errors] == ["baris 2", "baris 3", "baris 4", "baris 5"]
    assert "tidak ada yang diproses" in exc.value.detail.lower()
    assert capsys.readouterr().out == ""


def test_cli_exit_code_2_on_bad_file_through_main(tmp_path, capsys):
    from k3i.cli import main

    src = tmp_path / "rusak.jsonl"
    src.write_text("{not json}\n", encoding="utf-8")
    assert main(["triage", "--file", str(src)]) == 2
    assert "baris 1" in capsys.readouterr().err
    assert main(["triage", "--file", str(tmp_path / "tidak-ada.jsonl")]) == 2


def test_cli_evaluate_prints_metrics_and_confusion_matrix(tmp_path, capsys):
    src = tmp_path / "berlabel.jsonl"
    rows = [
        {"text": "motor saya dibegal pelaku bawa celurit", "category": "CURAS", "priority": 1},
        {"text": "dompet saya dicopet di pasar", "category": "PENCURIAN", "priority": 3},
        {"text": "macet total lampu merah mati", "category": "GANGGUAN_LANTAS", "priority": 3},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert triage_cli.cmd_triage_evaluate(argparse.Namespace(file=str(src))) == 0
    out = capsys.readouterr().out
    assert "macro-F1 kategori    : 1.000" in out
    assert "recall prioritas 1   : 1.000 (dari 1)" in out
    assert "CURAS" in out and "matriks kebingungan" in out
    src.write_text(json.dumps({"text": "x", "category": "MALING", "priority": 7}) + "\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        triage_cli.cmd_triage_evaluate(argparse.Namespace(file=str(src)))
    assert exc.value.errors[0]["field"] == "baris 1" and "category" in exc.value.errors[0]["message"]
