"""Driving the real command-line entry point with fuzzed inputs, inside time and memory bounds.

One worker process (``worker.py``) per test session runs the inputs; its address space is capped, and an input
whose answer does not come within :data:`HANG_SECONDS` counts as a hang: the worker's process group is killed and
a fresh worker serves the next input. These are bounds that catch hangs and runaway memory, not measurements of
speed.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

WORKER = Path(__file__).parent / "worker.py"
MEMORY_LIMIT_MIB = 2048
HANG_SECONDS = 30.0
PYTHON_TRACEBACK = re.compile(r"^Traceback \(most recent call last\):\n\s+File \"", re.MULTILINE)


@dataclass(frozen=True)
class Outcome:
    """What one command did: exit code, captured output, a traceback if one escaped, or that it hung."""

    argv: tuple[str, ...]
    exit: int | None
    stdout: str
    stderr: str
    traceback: str
    hung: bool = False

    def describe(self) -> str:
        return (f"rayjob-harness {' '.join(self.argv)[:300]}\nexit={self.exit} hung={self.hung}\n"
                f"--- traceback\n{self.traceback}\n--- stderr\n{self.stderr[-2000:]}\n"
                f"--- stdout\n{self.stdout[-1500:]}")


class Cli:
    """The worker, restarted after a hang or a crash."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None

    def _start(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen(
                [sys.executable, str(WORKER), str(MEMORY_LIMIT_MIB)], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        return self._process

    def run(self, *argv: str, timeout: float = HANG_SECONDS) -> Outcome:
        process = self._start()
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(json.dumps({"argv": list(argv)}) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        line = process.stdout.readline() if ready else ""
        if not line:
            hung = process.poll() is None
            self.stop()
            return Outcome(tuple(argv), None, "", "", "" if hung else "the worker died (killed by a limit?)", hung)
        answer = json.loads(line)
        return Outcome(tuple(argv), answer["exit"], answer["stdout"], answer["stderr"], answer["traceback"])

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # its own session: only the worker and what it started
        process.wait(timeout=30)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture(scope="session")
def cli() -> Iterator[Cli]:
    worker = Cli()
    yield worker
    worker.stop()


def assert_handled(outcome: Outcome, *, source: str | None = None) -> None:
    """The harness answered as it promises: exit 0, 1 or 2, a message with every refusal, never a traceback.

    With ``source`` (a file the command read), a refusal (exit 2) names that file, with a line where it has one.
    """
    assert not outcome.hung, f"no answer within {HANG_SECONDS:g}s\n{outcome.describe()}"
    assert not outcome.traceback, outcome.describe()
    assert outcome.exit in (0, 1, 2), outcome.describe()
    shown = outcome.stdout + outcome.stderr
    assert not PYTHON_TRACEBACK.search(shown), outcome.describe()  # a scripted driver may print one of its own
    if outcome.exit == 2:
        assert "error" in outcome.stderr, outcome.describe()
        if source is not None:
            assert source in outcome.stderr, outcome.describe()
    elif outcome.exit == 1:
        assert shown.strip(), outcome.describe()
