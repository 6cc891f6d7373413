"""``rayjob-harness serve`` as a subprocess, for tests that drive it through a kubeconfig as any user would.

The server runs in its own process group (stopped by SIGTERM to that group, then SIGKILL), by default with its
virtual time moved only by its controls (``--pacing Manual``); it writes its kubeconfig into the test's folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

START_TIMEOUT = 60.0


@dataclass(frozen=True)
class ServeProcess:
    kubeconfig: Path
    process: subprocess.Popen[str]


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # its own group: the server and whatever it started
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


@contextmanager
def serve(folder: Path, *args: str, pacing: str = "Manual") -> Iterator[ServeProcess]:
    """A running ``rayjob-harness serve --executor scripted --pacing PACING ARGS...``, stopped on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    kubeconfig = folder / "kubeconfig"
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", "--port", "0", "--kubeconfig-out", str(kubeconfig),
         "--executor", "scripted", "--pacing", pacing, *args],
        stdout=log, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not kubeconfig.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"rayjob-harness serve did not start: {(folder / 'serve.log').read_text()}")
            time.sleep(0.05)
        yield ServeProcess(kubeconfig, process)
    finally:
        _stop(process)
        log.close()
