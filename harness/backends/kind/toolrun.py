"""Running provisioning commands: logged to a file, shown live, stopped cleanly on a time limit or Ctrl-C.

``kind create cluster`` or ``helm upgrade --install`` run for minutes. They are started with
``harness._util.procs.spawn`` (their own session and process group), their output goes to a log file under the
cluster's state folder (kept for diagnostics), and the step's live detail shows their latest output line.
When the time limit passes, or the harness is interrupted (Ctrl-C, or SIGTERM turned into an interrupt by the
CLI), the whole process group is stopped through ``procs.stop_group``, so no half-finished ``kind`` keeps
running behind the user's back. A failure becomes a :class:`ProvisioningError` with the command, the tail of
its output and the log's path.

Short queries whose output is parsed (``kubectl get ... -o json``) use ``procs.run`` directly (:func:`query`).

Not here: the command lines (:mod:`.commands`).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ..._util import procs
from .commands import Command
from .errors import ProvisioningError
from .progress import Step

_POLL: Final = 0.2
_ANSI: Final = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class ToolResult:
    command: Command
    returncode: int
    output: str
    log: Path
    seconds: float


def _tail(text: str, lines: int = 15) -> str:
    kept = [line for line in _ANSI.sub("", text).splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _last_line(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 4096))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return ""
    text = _ANSI.sub("", text.replace("\r", "\n"))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:120] if lines else ""


def execute(command: Command, *, log: Path, step: Step | None = None, env: Mapping[str, str] | None = None,
            check: bool = True, hint: str | None = None) -> ToolResult:
    """Run ``command`` to the end with its output appended to ``log``; stop its group on timeout or interrupt."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"$ {command}\n")
    start_offset = log.stat().st_size
    started = time.monotonic()
    try:
        proc = procs.spawn(command.argv, env=env, output=log)
    except OSError as exc:
        raise ProvisioningError(f"{command.argv[0]} could not be started: {exc.strerror or exc}",
                                hint=f"check that {command.argv[0]} is installed and on PATH") from None
    try:
        while proc.poll() is None:
            if time.monotonic() - started > command.timeout:
                procs.stop_group(proc.pid, grace=5.0)
                proc.wait()
                raise ProvisioningError(
                    f"{command.title} did not finish within {command.timeout:.0f}s; it was stopped\n"
                    f"  command: {command}\n{_indent(_tail(_since(log, start_offset)))}",
                    hint=hint or f"see the full output in {log}")
            if step is not None:
                step.update(_last_line(log))
            time.sleep(_POLL)
    except BaseException:
        if proc.poll() is None:  # interrupted: take the command's whole process group down with us
            with contextlib.suppress(ValueError, OSError):
                procs.stop_group(proc.pid, grace=5.0)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        raise
    output = _since(log, start_offset)
    result = ToolResult(command, proc.returncode, output, log, time.monotonic() - started)
    if check and result.returncode != 0:
        raise ProvisioningError(
            f"{command.title} failed (exit {result.returncode})\n  command: {command}\n{_indent(_tail(output))}",
            hint=hint or f"see the full output in {log}")
    return result


def query(command: Command, *, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a short command whose output is parsed; a ProvisioningError when it cannot run or times out."""
    try:
        return procs.run(command.argv, env=env, timeout=command.timeout)
    except OSError as exc:
        raise ProvisioningError(f"{command.argv[0]} could not be started: {exc.strerror or exc}",
                                hint=f"check that {command.argv[0]} is installed and on PATH") from None
    except subprocess.TimeoutExpired:
        raise ProvisioningError(f"{command.title} did not answer within {command.timeout:.0f}s",
                                hint="check that the cluster's API server is up (`cluster status`)") from None


def _since(log: Path, offset: int) -> str:
    try:
        with log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _indent(text: str) -> str:
    return "\n".join(f"  | {line}" for line in text.splitlines())
