"""What every benchmark script shares: the machine it ran on, and its own section of docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
NEW_DOCS = "# Benchmarks\n\nFigures written by the scripts in `bench/`.\n"


def machine() -> dict[str, str]:
    """CPU model, cores, Python version and uname of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "uname": " ".join(part for part in platform.uname() if part),
    }


def machine_line(*extra: str) -> str:
    """"`uname`; CPU: model × cores; Python x.y.z" and any ``extra`` parts, for a "Machine:" line."""
    m = machine()
    return "; ".join([f"`{m['uname']}`", f"CPU: {m['cpu']} × {m['cores']}", f"Python {m['python']}", *extra])


def write_section(title: str, text: str) -> None:
    """Put ``text`` (the whole section, starting with its ``## title`` line) in docs/benchmarks.md in place of
    the old ``## title`` section, or at the end when there is none; every other section stays as it is."""
    heading = f"## {title}"
    old = DOCS.read_text(encoding="utf-8") if DOCS.exists() else NEW_DOCS
    lines = old.rstrip("\n").splitlines()
    section = text.strip("\n").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    if start is None:
        lines += ["", *section]
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = [*section, *([""] if end < len(lines) else [])]
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
