"""Triage benchmark: quality on the held-out split, latency per report, load time.

    .venv/bin/python bench/triage.py                 # print the results
    .venv/bin/python bench/triage.py --update-docs   # also rewrite the "## Triage" section of docs/benchmarks.md

Quality: macro-F1 over the 25 categories, priority-1 recall, priority accuracy on
k3i/incidents/triage/data/test.jsonl (hand-written, never seen in training). Latency: every test report
classified ``--rounds`` times in one process; wall clock and the thread's CPU time per report (the CPU
time is what the classifier costs; the wall clock also counts waiting for a busy machine). Load: a fresh
interpreter importing the package and loading the model (median of ``--starts`` runs).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from _common import DOCS, ROOT, machine, write_section

sys.path.insert(0, str(ROOT))

from k3i.incidents.triage import get_model  # noqa: E402
from k3i.incidents.triage.evaluate import evaluate  # noqa: E402

TEST = ROOT / "k3i" / "incidents" / "triage" / "data" / "test.jsonl"
LOAD_SNIPPET = (
    "import time; t0 = time.perf_counter(); "
    "from k3i.incidents.triage import get_model; m = get_model(); t1 = time.perf_counter(); "
    "m.classify('motor saya hilang di parkiran'); t2 = time.perf_counter(); print(t1 - t0, t2 - t0)"
)


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def machine_summary() -> str:
    m = machine()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, load average {load:.1f} at start"


def run(rounds: int, starts: int) -> dict[str, object]:
    rows = [json.loads(line) for line in TEST.read_text(encoding="utf-8").splitlines() if line.strip()]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    loads, firsts = [], []
    for _ in range(starts):
        out = subprocess.run([sys.executable, "-c", LOAD_SNIPPET], capture_output=True, text=True, check=True,
                             cwd=ROOT, env=env).stdout.split()
        loads.append(float(out[0]))
        firsts.append(float(out[1]))
    model = get_model()
    quality = evaluate(rows, model.classify)
    wall: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for r in rows:
            w0, c0 = time.perf_counter(), time.thread_time()
            model.classify(r["text"])
            cpu.append(time.thread_time() - c0)
            wall.append(time.perf_counter() - w0)
    return {
        "n": quality["n"],
        "macro_f1": quality["macro_f1"],
        "accuracy": quality["accuracy"],
        "priority_accuracy": quality["priority_accuracy"],
        "priority1_recall": quality["priority1_recall"],
        "priority1_precision": quality["priority1_precision"],
        "priority1_support": quality["priority1_support"],
        "calls": len(wall),
        "wall_p50_ms": percentile(wall, 50) * 1e3,
        "wall_p99_ms": percentile(wall, 99) * 1e3,
        "cpu_p50_ms": percentile(cpu, 50) * 1e3,
        "cpu_p99_ms": percentile(cpu, 99) * 1e3,
        "load_s": statistics.median(loads),
        "load_first_s": statistics.median(firsts),
        "model_kib": (TEST.parent / "model.json.gz").stat().st_size / 1024,
        "features": len(model.index),
    }


def markdown(r: dict[str, object], command: str) -> str:
    ok = lambda good: "✓" if good else "✗"  # noqa: E731
    return f"""## Triage

Command: `{command}` — machine: {machine_summary()}; measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.

Held-out split `k3i/incidents/triage/data/test.jsonl`: {r['n']} hand-written reports (20 per category),
written separately from the training templates (see `k3i/incidents/triage/data/LABELLING.md`).

| measure | result | goal |
| --- | --- | --- |
| macro-F1 (25 categories) | {r['macro_f1']:.3f} | ≥ 0.85 {ok(r['macro_f1'] >= 0.85)} |
| category accuracy | {r['accuracy']:.3f} | |
| priority-1 recall | {r['priority1_recall']:.3f} (of {r['priority1_support']}) | ≥ 0.95 {ok(r['priority1_recall'] >= 0.95)} |
| priority-1 precision | {r['priority1_precision']:.3f} | |
| priority accuracy (1–4) | {r['priority_accuracy']:.3f} | |
| latency per report, CPU time p50 / p99 | {r['cpu_p50_ms']:.2f} / {r['cpu_p99_ms']:.2f} ms | ≤ 2 ms {ok(r['cpu_p99_ms'] <= 2)} |
| latency per report, wall clock p50 / p99 | {r['wall_p50_ms']:.2f} / {r['wall_p99_ms']:.2f} ms ({r['calls']} calls) | |
| start: import + load model (fresh process, median) | {r['load_s'] * 1e3:.0f} ms (first answer at {r['load_first_s'] * 1e3:.0f} ms) | < 1 s {ok(r['load_first_s'] < 1)} |
| shipped model | {r['model_kib']:.0f} KiB gzip JSON, {r['features']} features | < 5 MB |

Wall-clock p99 depends on what else the 2 cores are doing (other processes' load shows up as waiting
time); the CPU time is the classifier's own cost. The model was not tuned against the held-out split:
the first look gave macro-F1 0.908, priority-1 recall 0.962, priority accuracy 0.912. Since then three
Javanese words (kono/kene/kana → situ/sini/sana) were added to the normaliser, and 1,441 more hand-written
training reports (written without opening the test split; decisions on the generated part were taken on a
dev split of those new lines only, see LABELLING.md); the split was scored once before and once after.
A check for paraphrases across the splits then found 25 training reports that say a held-out report in other
words (character 3–5-gram TF-IDF cosine ≥ 0.70, e.g. "motor vario sy ilang di parkiran masjid pas sholat
jumat" in both); they are left out of training when `train.jsonl` is built (`generate.NEAR_COPY`, a test
keeps it so). Retrained without them the quality figures did not move (macro-F1 0.956, priority-1 recall
0.984). The 09:2x UTC run was on a later, slower VM of the same kind: there the previous model measured
0.39 / 0.68 ms and 117 ms to start too, so the latency differs from the 08:16 sitting by the machine.
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="times every test report is classified (default 5)")
    ap.add_argument("--starts", type=int, default=5, help="fresh interpreters for the load time (default 5)")
    ap.add_argument("--update-docs", action="store_true", help="rewrite the Triage section of docs/benchmarks.md")
    args = ap.parse_args(argv)
    result = run(args.rounds, args.starts)
    section = markdown(result, "python bench/triage.py" + (" --update-docs" if args.update_docs else ""))
    print(section)
    if args.update_docs:
        write_section("Triage", section)
        print(f"written: {DOCS.relative_to(ROOT)}")
    goals = (result["macro_f1"] >= 0.85 and result["priority1_recall"] >= 0.95  # type: ignore[operator]
             and result["load_first_s"] < 1)  # type: ignore[operator]
    return 0 if goals else 1


if __name__ == "__main__":
    sys.exit(main())
