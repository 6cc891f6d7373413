"""Shared helpers of the validate tests: run the validator in-process or as the CLI a person runs."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from harness.cli.main import main
from harness.validate import Report, validate_paths

DATA = Path(__file__).parent / "data"
RULE_EXAMPLES = DATA / "rules"
TUTORIAL = DATA / "tutorial" / "rayjob-sample.yaml"  # the tutorial users start from, verbatim
PROJECT = Path(__file__).resolve().parents[2]


def write(tmp: Path, name: str, text: str) -> str:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def check(text: str, tmp: Path, **options: Any) -> Report:
    """Validate one manifest text written to a file."""
    return validate_paths([write(tmp, "manifest.yaml", text)], **options)


def rules(report: Report) -> list[str]:
    return [f.rule for f in report.findings]


def cli_process(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``rayjob-harness ARGS`` in a subprocess with this worktree's package, as a shell runs it."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, input=stdin,
                          timeout=120, env=env)


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``rayjob-harness ARGS`` in this process (fast), with the same exit code and output as the command."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse: usage errors and --version
                code = int(exc.code or 0)
    finally:
        sys.stdin = saved
    return subprocess.CompletedProcess(["rayjob-harness", *args], code, out.getvalue(), err.getvalue())
