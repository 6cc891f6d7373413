"""The one place that runs subprocesses: start them, log them, find them again, stop them.

Every external command the harness runs (``ray start``, ``pip``, ``kind``, ``kubectl``, ``helm``) goes through
:func:`run` (wait for the result) or :func:`spawn` (keep it running, in its own session and process group).
Commands are logged at INFO on the ``harness.procs`` logger, so a run's external effects can be read back.

Processes are stopped only by PID or process group, never by name: a name matches other people's processes
(``ray stop`` kills every Ray on the machine). A process tree that leaves its group (Ray's job drivers call
``setsid``) is found again through a *marker*: an environment variable every descendant inherits, or a path in
its command line. :func:`find_marked` reads ``/proc`` for both and widens the set to the sessions the marked
processes lead, because some Ray processes rewrite their command line and environment (``setproctitle``).

This module depends on the standard library only, so that it can also run as a script: the reaper started by
:func:`spawn_reaper` is ``python procs.py reap``, which cleans up after an owner that died without doing so
(or died halfway through doing so).
Not here: what the commands mean (callers), how Ray is configured (:mod:`harness.executors.ray_runtime`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

log = logging.getLogger("harness.procs")

DEFAULT_GRACE: Final = 5.0
_POLL: Final = 0.05


# -- running commands ----------------------------------------------------------------------------------------


def run(cmd: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
        timeout: float | None = None, check: bool = False, input_text: str | None = None,
        ) -> subprocess.CompletedProcess[str]:
    """Run ``cmd`` to completion and capture its output as text.

    The child runs in its own session so that a timeout can stop everything it started (its process group),
    not only the direct child. With ``check``, a non-zero exit raises ``CalledProcessError``.
    """
    log.info("run: %s", shlex.join(cmd))
    with subprocess.Popen(list(cmd), env=dict(env) if env is not None else None, cwd=cwd, text=True,
                          stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(input_text, timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(proc.pid, grace=1.0)
            out, err = proc.communicate()
            raise subprocess.TimeoutExpired(proc.args, timeout or 0.0, out, err) from None
        result = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    if result.returncode != 0:
        log.info("exit %s: %s", result.returncode, shlex.join(cmd))
    if check:
        result.check_returncode()
    return result


def spawn(cmd: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
          output: Path | None = None) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a new session (it leads its own process group) and return at once.

    stdout and stderr go to ``output`` (appended) or are discarded. The new session keeps terminal signals
    (Ctrl-C reaches the whole foreground group) away from the child: the caller decides when it stops.
    """
    log.info("spawn: %s", shlex.join(cmd))
    sink: IO[bytes] | int
    sink = output.open("ab") if output is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(list(cmd), env=dict(env) if env is not None else None, cwd=cwd,
                                stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        if not isinstance(sink, int):
            sink.close()  # the child holds its own descriptor


# -- reading /proc -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProcInfo:
    """What ``/proc/<pid>/stat`` says about a process (fields 3-6 and 22 of proc(5))."""

    pid: int
    state: str
    ppid: int
    pgid: int
    sid: int
    start_ticks: int

    @property
    def zombie(self) -> bool:
        return self.state in ("Z", "X")


def proc_info(pid: int) -> ProcInfo | None:
    """The process's stat line parsed, or None when it is gone (or not readable)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes().decode("utf-8", "replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
    fields = raw[raw.rfind(")") + 2:].split()
    try:
        return ProcInfo(pid, fields[0], int(fields[1]), int(fields[2]), int(fields[3]), int(fields[19]))
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int, start_ticks: int | None = None) -> bool:
    """True while ``pid`` runs (zombies count as dead); with ``start_ticks``, only if it is that process."""
    info = proc_info(pid)
    if info is None or info.zombie:
        return False
    return start_ticks is None or info.start_ticks == start_ticks


def boot_id() -> str:
    """This boot of the machine (PIDs and start times mean nothing across a reboot)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def pid_namespace(pid: int | str = "self") -> str:
    """The PID namespace a process lives in (a PID names a process only inside its namespace)."""
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return ""


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _read(pid: int, what: str) -> bytes:
    try:
        return Path(f"/proc/{pid}/{what}").read_bytes()
    except OSError:
        return b""


def cmdline(pid: int) -> str:
    return _read(pid, "cmdline").replace(b"\0", b" ").decode("utf-8", "replace").strip()


@dataclass(frozen=True)
class Marker:
    """How to recognise the processes of one process tree: an inherited env var and/or a path in argv."""

    env_name: str
    env_value: str
    cmdline_needle: str = ""

    def matches(self, pid: int) -> bool:
        if self.cmdline_needle and self.cmdline_needle.encode() in _read(pid, "cmdline"):
            return True
        entry = f"{self.env_name}={self.env_value}".encode()
        return entry in _read(pid, "environ").split(b"\0")


def find_marked(marker: Marker, *, exclude: Iterable[int] = ()) -> list[int]:
    """Live processes carrying ``marker``, plus every process in a session that a marked process belongs to.

    The caller's own process and session are never included.
    """
    skip = {os.getpid(), *exclude}
    own_sid = os.getsid(0)
    infos = {pid: info for pid in all_pids() if pid not in skip
             and (info := proc_info(pid)) is not None and not info.zombie}
    marked = {pid for pid in infos if marker.matches(pid)}
    sessions = {infos[pid].sid for pid in marked} - {own_sid, 0, 1}
    return sorted(marked | {pid for pid, info in infos.items() if info.sid in sessions})


# -- stopping ------------------------------------------------------------------------------------------------


def _signal_pid(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, sig)


def group_members(pgid: int) -> list[int]:
    return [pid for pid in all_pids() if (info := proc_info(pid)) is not None and info.pgid == pgid
            and not info.zombie]


def _wait_gone(pids: Sequence[int], deadline: float) -> list[int]:
    while True:
        alive = [pid for pid in pids if pid_alive(pid)]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(_POLL)


def stop_group(pgid: int, *, grace: float = DEFAULT_GRACE) -> bool:
    """SIGTERM the process group ``pgid``, SIGKILL whatever is left after ``grace`` seconds.

    Returns True when no member is left. Members that already left the group (``setsid``) are not reached:
    use :func:`stop_pids` with :func:`find_marked` for those.
    """
    if pgid <= 1 or pgid == os.getpgid(0):
        raise ValueError(f"refusing to signal process group pgid={pgid} (ours or init)")
    members = group_members(pgid)
    if not members:
        return True
    log.info("stopping process group pgid=%s members=%s", pgid, len(members))
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return not group_members(pgid)
    left = _wait_gone(group_members(pgid), time.monotonic() + grace)
    if left:
        log.info("process group pgid=%s still has %s members after %.1fs: SIGKILL", pgid, len(left), grace)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        left = _wait_gone(group_members(pgid), time.monotonic() + 2.0)
    return not left


def stop_pids(pids: Iterable[int], *, grace: float = DEFAULT_GRACE) -> list[int]:
    """SIGTERM each PID, SIGKILL those alive after ``grace``; return the ones that survived even that."""
    targets = [pid for pid in pids if pid != os.getpid() and pid_alive(pid)]
    if not targets:
        return []
    log.info("stopping pids=%s", targets)
    for pid in targets:
        _signal_pid(pid, signal.SIGTERM)
    left = _wait_gone(targets, time.monotonic() + grace)
    for pid in left:
        _signal_pid(pid, signal.SIGKILL)
    return _wait_gone(left, time.monotonic() + 2.0)


def stop_marked(marker: Marker, *, grace: float = DEFAULT_GRACE, rounds: int = 3) -> list[int]:
    """Stop every process carrying ``marker`` (see :func:`find_marked`); return what is still alive.

    Several rounds, because a dying parent may start a child (Ray's per-job watchers) while we work.
    """
    left: list[int] = []
    for _ in range(rounds):
        pids = find_marked(marker)
        if not pids:
            return []
        left = stop_pids(pids, grace=grace)
    return find_marked(marker) or left


# -- removing a directory whose presence means something -----------------------------------------------------


def remove_dir(path: Path, *, last: str) -> None:
    """Remove ``path`` and everything in it, the entry named ``last`` only after all the others.

    ``last`` is a marker other processes read (an owner record): while it exists, the directory is still
    being cleaned, so whoever dies halfway leaves the marker behind and the next reader finishes the job.
    """
    try:
        entries = list(path.iterdir())
    except FileNotFoundError:
        return
    except OSError:
        entries = []
    for entry in entries:
        if entry.name == last:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
    with contextlib.suppress(FileNotFoundError):
        (path / last).unlink()
    shutil.rmtree(path, ignore_errors=True)  # whatever a dying process wrote meanwhile


# -- the reaper ----------------------------------------------------------------------------------------------

_REAPER_ENV: Final = "RJH_REAPER"  # its orders travel in the environment, so its command line names no path
_REAPER_POLL: Final = 0.1


@dataclass(frozen=True)
class ReaperOrders:
    """What a reaper watches and what it cleans."""

    owner_pid: int
    owner_start_ticks: int
    marker: Marker
    runtime_dir: Path
    sentinel: str  # a file in runtime_dir that exists until the owner has finished cleaning up

    def to_env(self) -> str:
        return json.dumps({"owner_pid": self.owner_pid, "owner_start_ticks": self.owner_start_ticks,
                           "env_name": self.marker.env_name, "env_value": self.marker.env_value,
                           "cmdline_needle": self.marker.cmdline_needle, "runtime_dir": str(self.runtime_dir),
                           "sentinel": self.sentinel})

    @classmethod
    def from_env(cls, text: str) -> ReaperOrders:
        raw = json.loads(text)
        return cls(int(raw["owner_pid"]), int(raw["owner_start_ticks"]),
                   Marker(str(raw["env_name"]), str(raw["env_value"]), str(raw["cmdline_needle"])),
                   Path(raw["runtime_dir"]), str(raw["sentinel"]))


def spawn_reaper(orders: ReaperOrders, *, output: Path | None = None) -> subprocess.Popen[bytes]:
    """Start a watchdog that outlives its owner and stays until every process of the marker is gone.

    If the owner dies first (SIGKILL, an OOM kill, a crash halfway through its own cleanup), the watchdog stops
    the marker's processes and removes the directory, sentinel last. Once the owner has removed the sentinel
    (a normal stop), it exits as soon as no marked process is left. It ignores SIGINT, SIGTERM and SIGHUP: a
    terminal or a process-tree kill that reaches it is exactly when it is needed; SIGKILL still stops it.
    Its command line names no path, so it never matches the marker it cleans.
    """
    cmd = [sys.executable, "-S", str(Path(__file__).resolve()), "reap"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), _REAPER_ENV: orders.to_env()}
    return spawn(cmd, output=output, env=env)


def _reap(orders: ReaperOrders) -> int:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    sentinel = orders.runtime_dir / orders.sentinel
    while True:
        if not pid_alive(orders.owner_pid, orders.owner_start_ticks):
            left = stop_marked(orders.marker, grace=3.0, rounds=10)
            remove_dir(orders.runtime_dir, last=orders.sentinel)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
            print(f"{stamp} owner pid={orders.owner_pid} died; cleaned {orders.runtime_dir} left={left}", flush=True)
            return 0 if not left else 1
        if sentinel.exists():
            time.sleep(_REAPER_POLL)
            continue
        if not find_marked(orders.marker):
            return 0
        time.sleep(1.0)  # the owner stopped but something survived it: wait for it, or for the owner's death


if __name__ == "__main__":  # pragma: no cover - exercised through spawn_reaper in tests/ray
    if sys.argv[1:] == ["reap"] and _REAPER_ENV in os.environ:
        sys.exit(_reap(ReaperOrders.from_env(os.environ[_REAPER_ENV])))
    sys.exit(f"usage: {_REAPER_ENV}=<orders as JSON> procs.py reap")
