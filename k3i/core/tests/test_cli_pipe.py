"""`k3i ... | head`: output into a pipe whose reader has gone ends the command quietly (status 1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from k3i.cli import _stdout_gone, main

K3I = [sys.executable, "-c", "import sys; from k3i.cli import main; sys.exit(main())"]


def _closed_pipe() -> int:
    """The write end of a pipe whose read end is already closed (as after `| head` has quit)."""
    r, w = os.pipe()
    os.close(r)
    return w


@pytest.mark.parametrize("unbuffered", [False, True])
def test_help_into_a_closed_pipe_prints_no_traceback(unbuffered):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if unbuffered:
        env["PYTHONUNBUFFERED"] = "1"
    w = _closed_pipe()
    try:
        p = subprocess.run([*K3I, "triage", "--help"], stdout=w, stderr=subprocess.PIPE, text=True, env=env,
                           cwd=Path(__file__).resolve().parents[3], timeout=60)
    finally:
        os.close(w)
    assert "Traceback" not in p.stderr and "BrokenPipeError" not in p.stderr, p.stderr
    assert p.stderr == ""
    # Buffered, the help reaches the pipe at the guarded flush: status 1. Unbuffered, argparse itself
    # swallows the failed write and exits 0 (its own behaviour, kept).
    assert p.returncode == (0 if unbuffered else 1)


def test_help_into_an_open_pipe_is_unchanged():
    p = subprocess.run([*K3I, "triage", "--help"], capture_output=True, text=True,
                       cwd=Path(__file__).resolve().parents[3], timeout=60)
    assert p.returncode == 0 and "pemakaian:" in p.stdout and p.stderr == ""


def test_a_command_writing_into_a_closed_pipe_exits_1(db, monkeypatch):
    w = _closed_pipe()
    out = open(w, "w", encoding="utf-8", buffering=1)  # line-buffered: the command's print fails at once
    monkeypatch.setattr(sys, "stdout", out)
    try:
        assert main(["audit", "verify"]) == 1
        out.write("later output goes nowhere\n")  # stdout now points at /dev/null: no second error
        out.flush()
    finally:
        out.close()


def test_only_a_gone_stdout_counts(monkeypatch, tmp_path):
    w = _closed_pipe()
    with open(w, "w", encoding="utf-8") as pipe:
        monkeypatch.setattr(sys, "stdout", pipe)
        assert _stdout_gone()
    with open(tmp_path / "out.txt", "w", encoding="utf-8") as f:
        monkeypatch.setattr(sys, "stdout", f)
        assert not _stdout_gone()  # a BrokenPipeError from elsewhere (a socket) is raised, not hidden
