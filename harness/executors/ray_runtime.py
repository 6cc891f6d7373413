"""A local Ray head (``ray start --head --block`` with the dashboard), owned by the harness and nothing else.

One runtime serves every simulated RayCluster of a process (:func:`get_shared_runtime`); starting one costs
about 4 s, so it is started lazily, once per CLI run or pytest(-xdist) worker, and stopped at exit.

Ownership rules, because ``ray stop`` and name-based kills reach every Ray on the machine:
- everything lives under ``<tmp>/rjh-<uid>/<id>/`` (Ray's ``--temp-dir``, the ``ray start`` output, a private
  ``HOME``), kept short because Ray's unix socket paths must fit in ~107 characters;
- every Ray process inherits ``RAYJOB_HARNESS_RUNTIME=<id>``; stopping sends SIGTERM/SIGKILL to the process
  group we started and then to every process still carrying that marker (job drivers leave the group);
- ``<id>/lock`` is flock-ed while the owner lives; a runtime whose lock is free was left by a crashed run and
  is stopped by the next :meth:`RayRuntime.start` (:func:`sweep_stale`); a reaper process also stops it as
  soon as its owner dies, even by SIGKILL;
- ports come from a block of :data:`BLOCK_SIZE` ports below the kernel's ephemeral range, reserved with a lock
  file per block, so parallel workers never collide.

Not here: submitting jobs (:mod:`.ray_executor`), running commands (:mod:`harness._util.procs`).
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any, Final

from .._util import procs
from ..errors import ExecutorError, MissingDependencyError
from .choice import ray_importable

log = logging.getLogger(__name__)

ENV_MARKER: Final = "RAYJOB_HARNESS_RUNTIME"
INSTALL_HINT: Final = "pip install 'rayjob-harness[ray]'"
PORT_RANGE: Final = (20000, 32000)  # below the usual ephemeral range (32768-60999), where clients get ports
BLOCK_SIZE: Final = 128  # 9 fixed ports, then worker ports (one per worker process: supervisors, drivers)
_FIXED_PORTS: Final = 16
_MAX_ROOT_LEN: Final = 24  # leaves room for "<id>/r/session_<date>_<pid>/sockets/plasma_store" within 107
STARTING_GRACE: Final = 30.0  # a runtime dir this young without owner.json is still being set up


def runtime_root() -> Path:
    """``<tmp>/rjh-<uid>``, or ``/tmp/rjh-<uid>`` when the temp dir path is too long for Ray's sockets."""
    root = Path(tempfile.gettempdir()) / f"rjh-{os.getuid()}"
    return root if len(str(root)) <= _MAX_ROOT_LEN else Path("/tmp") / f"rjh-{os.getuid()}"


@dataclass(frozen=True)
class RayPorts:
    """The loopback ports of one runtime, all inside one reserved block."""

    base: int

    @property
    def gcs(self) -> int:
        return self.base

    @property
    def dashboard(self) -> int:
        return self.base + 1

    def flags(self) -> list[str]:
        b = self.base
        return [f"--port={b}", f"--dashboard-port={b + 1}", f"--ray-client-server-port={b + 2}",
                f"--node-manager-port={b + 3}", f"--object-manager-port={b + 4}",
                f"--metrics-export-port={b + 5}", f"--dashboard-agent-listen-port={b + 6}",
                f"--dashboard-agent-grpc-port={b + 7}", f"--runtime-env-agent-port={b + 8}",
                f"--min-worker-port={b + _FIXED_PORTS}", f"--max-worker-port={b + BLOCK_SIZE - 1}"]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is fine
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def _reserve_ports(root: Path) -> tuple[RayPorts, IO[bytes]]:
    """Lock a free block of ports; the returned file holds the reservation until it is closed."""
    (root / "ports").mkdir(exist_ok=True)
    bases = list(range(PORT_RANGE[0], PORT_RANGE[1] - BLOCK_SIZE + 1, BLOCK_SIZE))
    random.SystemRandom().shuffle(bases)
    for base in bases:
        handle = (root / "ports" / str(base)).open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        if all(_port_free(port) for port in range(base, base + BLOCK_SIZE)):
            return RayPorts(base), handle
        handle.close()
    raise ExecutorError(f"no free block of {BLOCK_SIZE} loopback ports range={PORT_RANGE[0]}-{PORT_RANGE[1]}",
                        hint="stop other local servers or Ray runtimes using ports in that range")


def _try_lock(path: Path) -> IO[bytes] | None:
    try:
        handle = path.open("ab")
    except OSError:  # its directory went away meanwhile (another sweeper)
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


def _marker(runtime_dir: Path) -> procs.Marker:
    return procs.Marker(ENV_MARKER, runtime_dir.name, f"{runtime_dir}/")


def _owner_gone(runtime_dir: Path) -> bool:
    """owner.json names an owner process that no longer runs (PID reuse is told apart by start time)."""
    try:
        owner = json.loads((runtime_dir / "owner.json").read_text())
        return not procs.pid_alive(int(owner["owner_pid"]), int(owner["owner_start_ticks"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def sweep_stale(root: Path | None = None, *, grace: float = 3.0) -> list[Path]:
    """Stop and remove every runtime under ``root`` whose owner is gone; return their directories.

    An owner is gone when the runtime's lock is free, or when owner.json names a dead process (a child forked
    by the owner may still hold the lock's file descriptor).
    """
    root = root or runtime_root()
    swept: list[Path] = []
    if not root.is_dir():
        return swept
    for runtime_dir in sorted(root.iterdir()):
        if runtime_dir.name == "ports" or not runtime_dir.is_dir():
            continue
        lock = _try_lock(runtime_dir / "lock")
        try:
            if lock is None and not _owner_gone(runtime_dir):
                continue  # its owner is alive
            try:
                starting = time.time() - runtime_dir.stat().st_mtime < STARTING_GRACE
            except FileNotFoundError:
                continue
            if not (runtime_dir / "owner.json").exists() and starting:
                continue
            left = procs.stop_marked(_marker(runtime_dir), grace=grace)
            log.warning("stopped a Ray runtime left by a crashed run dir=%s left=%s", runtime_dir, left)
            shutil.rmtree(runtime_dir, ignore_errors=True)
            swept.append(runtime_dir)
        finally:
            if lock is not None:
                lock.close()
    return swept


class RayRuntime:
    """One local Ray head serving the dashboard's job API on ``dashboard_url``: :meth:`start`, :meth:`stop`."""

    def __init__(self, *, num_cpus: int = 2, object_store_memory: int = 100 * 1024 * 1024,
                 root: Path | None = None, cwd: Path | None = None, start_timeout: float = 90.0,
                 stop_grace: float = 5.0, reaper: bool = True,
                 extra_env: dict[str, str] | None = None) -> None:
        self.num_cpus = num_cpus
        self.object_store_memory = object_store_memory
        self.root = root or runtime_root()
        self.cwd = (cwd or Path.cwd()).resolve()
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self.reaper = reaper
        self.extra_env = dict(extra_env or {})
        self.dir: Path | None = None
        self.ports: RayPorts | None = None
        self.env: dict[str, str] = {}
        self.ray_version = ""
        self.session_dir: Path | None = None
        self.start_seconds = 0.0
        self.leftovers: list[int] = []
        self._owner_pid = os.getpid()
        self._proc: subprocess.Popen[bytes] | None = None  # `ray start --block`, leader of its group
        self._reaper: subprocess.Popen[bytes] | None = None
        self._locks: list[IO[bytes]] = []
        self._head_log: list[str] = []
        self._claimed: set[str] = set()
        self._state = "new"  # new -> running -> stopped

    # -- facts about a running runtime -----------------------------------------------------------------------------

    @property
    def dashboard_port(self) -> int:
        return self._ports().dashboard

    @property
    def dashboard_url(self) -> str:
        return f"http://127.0.0.1:{self.dashboard_port}"

    @property
    def temp_dir(self) -> Path:
        """Ray's ``--temp-dir`` (``/tmp/ray`` on a real head pod)."""
        return self._dir() / "r"

    @property
    def marker(self) -> procs.Marker:
        return _marker(self._dir())

    @property
    def running(self) -> bool:
        return self._state == "running" and self._proc is not None and self._proc.poll() is None

    def driver_log_path(self, submission_id: str) -> Path:
        """``<temp>/session_latest/logs/job-driver-<id>.log``, as on the head pod."""
        session = self.session_dir or self.temp_dir / "session_latest"
        return session / "logs" / f"job-driver-{submission_id}.log"

    def head_log(self) -> list[str]:
        """The ``ray start`` output: what the head container prints."""
        if self.dir is not None and (self.dir / "head.log").exists():
            self._head_log = (self.dir / "head.log").read_text(errors="replace").splitlines()
        return list(self._head_log)

    def processes(self) -> list[int]:
        """Every live process of this runtime (for diagnostics and leak checks)."""
        return procs.find_marked(self.marker) if self.dir is not None else []

    def claim_submission_id(self, submission_id: str) -> bool:
        """Reserve a Ray submission id; False if this runtime has seen it (Ray would answer HTTP 500)."""
        if submission_id in self._claimed:
            return False
        self._claimed.add(submission_id)
        return True

    def _dir(self) -> Path:
        if self.dir is None:
            raise ExecutorError("the Ray runtime is not started", hint="call RayRuntime.start() first")
        return self.dir

    def _ports(self) -> RayPorts:
        if self.ports is None:
            raise ExecutorError("the Ray runtime is not started", hint="call RayRuntime.start() first")
        return self.ports

    # -- lifecycle -------------------------------------------------------------------------------------------------

    def start(self) -> RayRuntime:
        """Start the head and wait until the job API answers; a no-op when already running."""
        if self._state == "running":
            return self
        if self._state == "stopped":
            raise ExecutorError("a stopped Ray runtime cannot be restarted", hint="create a new RayRuntime")
        if not ray_installed():
            raise MissingDependencyError("the ray executor needs Ray, which is not installed",
                                         hint=INSTALL_HINT)
        started = time.monotonic()
        log.info("starting a local Ray runtime (ray start --head; a few seconds)...")
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        sweep_stale(self.root)
        self.dir = self._make_dir()
        self._state = "running"  # from here on, stop() undoes whatever part of the start happened
        _register(self)
        try:
            self.ports, port_lock = _reserve_ports(self.root)
            self._locks.append(port_lock)
            self.env = self._child_env()
            cmd = [*_ray_command(), "start", "--head", "--block", "--include-dashboard=true",
                   "--dashboard-host=127.0.0.1", *self.ports.flags(), f"--temp-dir={self.temp_dir}",
                   f"--num-cpus={self.num_cpus}", f"--object-store-memory={self.object_store_memory}",
                   "--log-color=false", "--disable-usage-stats"]
            self._proc = procs.spawn(cmd, env=self.env, cwd=self.cwd, output=self.dir / "head.log")
            self._write_owner()
            if self.reaper:
                self._reaper = procs.spawn_reaper(
                    owner_pid=self._owner_pid, owner_start_ticks=_start_ticks(self._owner_pid),
                    marker=self.marker, cleanup_dir=self.dir, sentinel=self.dir / "owner.json",
                    output=self.root / "reaper.log")
            self._wait_healthy(started + self.start_timeout)
        except ExecutorError as error:
            tail = self._diagnostics()
            self.stop()
            raise ExecutorError(f"{error.message}\n{tail}", hint=error.hint) from None
        except BaseException:
            self.stop()
            raise
        self.session_dir = (self.temp_dir / "session_latest").resolve()
        self.start_seconds = time.monotonic() - started
        log.info("Ray runtime up dashboard=%s dir=%s in %.1fs", self.dashboard_url, self.dir,
                 self.start_seconds)
        return self

    def stop(self) -> list[int]:
        """Stop every process of this runtime, remove its directory; return PIDs that could not be stopped."""
        global _stopping
        if self._state != "running":
            return self.leftovers
        self._state = "stopped"
        _stopping += 1  # a SIGTERM/SIGINT arriving now is delivered once we are done (see _on_signal)
        try:
            runtime_dir = self._dir()
            self.head_log()  # keep the head log readable after the directory is gone
            for child in (self._proc, self._reaper):
                if child is not None:  # the reaper exits by itself once owner.json is gone
                    (runtime_dir / "owner.json").unlink(missing_ok=True)
                    procs.stop_group(child.pid, grace=self.stop_grace)
                    _reap(child)
            # Job drivers run in sessions of their own, found by the marker they inherit.
            self.leftovers = procs.stop_marked(self.marker, grace=min(self.stop_grace, 3.0))
            shutil.rmtree(runtime_dir, ignore_errors=True)
            for handle in self._locks:
                handle.close()
            self._locks.clear()
            _unregister(self)
            if self.leftovers:
                log.error("Ray runtime processes survived SIGKILL pids=%s dir=%s", self.leftovers,
                          runtime_dir)
        finally:
            _stopping -= 1
        if not _stopping and _deferred:
            os.kill(os.getpid(), _deferred.pop())
        return self.leftovers

    def __enter__(self) -> RayRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------------------------------

    def _make_dir(self) -> Path:
        while True:
            candidate = self.root / secrets.token_hex(4)
            try:
                candidate.mkdir(mode=0o700)
            except FileExistsError:
                continue
            lock = (candidate / "lock").open("ab")
            fcntl.flock(lock, fcntl.LOCK_EX)  # blocks only while a sweeper inspects the new, empty dir
            self._locks.append(lock)
            (candidate / "home").mkdir()
            (candidate / "tmp").mkdir()
            return candidate

    def _child_env(self) -> dict[str, str]:
        runtime_dir = self._dir()
        env = {key: value for key, value in os.environ.items()
               if key not in ("RAY_ADDRESS", "RAY_API_SERVER_ADDRESS")}
        env.update({
            # Explicit, so that a token left in the user's ~/.ray never switches token auth on.
            "RAY_AUTH_MODE": "disabled",
            "RAY_USAGE_STATS_ENABLED": "0",
            "RAY_USAGE_STATS_CONFIG_PATH": str(runtime_dir / "usage_stats.json"),
            # Ray 2.60 drains a node for up to 30 s on SIGTERM; a throwaway local head has nothing to drain.
            "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",
            # `ray start` writes to a file here, not a terminal: unbuffered, its log is complete as it happens.
            "PYTHONUNBUFFERED": "1",
            # Nothing Ray or a driver writes under ~ may land in the user's home; keep their user site though.
            "HOME": str(runtime_dir / "home"),
            # Ray's dashboard (multiprocessing forkserver) and drivers leave pymp-* dirs in the system temp dir.
            "TMPDIR": str(runtime_dir / "tmp"),
            "PYTHONUSERBASE": os.environ.get("PYTHONUSERBASE") or _user_base(),
            # `python` in an entrypoint must be this interpreter (the one with ray installed).
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            ENV_MARKER: runtime_dir.name,
        })
        if "PIP_CONFIG_FILE" not in env:  # runtime_env pip installs should still see the user's index settings
            for candidate in (Path.home() / ".config" / "pip" / "pip.conf", Path.home() / ".pip" / "pip.conf"):
                if candidate.is_file():
                    env["PIP_CONFIG_FILE"] = str(candidate)
                    break
        env.update(self.extra_env)
        return env

    def _write_owner(self) -> None:
        owner = {"owner_pid": self._owner_pid, "owner_start_ticks": _start_ticks(self._owner_pid),
                 "ray_pid": self._proc.pid if self._proc is not None else None,
                 "dashboard": self.dashboard_url, "marker": self._dir().name}
        (self._dir() / "owner.json").write_text(json.dumps(owner))

    def _wait_healthy(self, deadline: float) -> None:
        """The job API answers: ``/api/version`` (dashboard up), then ``/api/jobs/`` (job module loaded)."""
        assert self._proc is not None
        while True:
            if self._proc.poll() is not None:
                raise ExecutorError(f"ray start exited early exit_code={self._proc.returncode}",
                                    hint="read the ray start output below")
            version = _http_json(f"{self.dashboard_url}/api/version")
            if isinstance(version, dict) and _http_json(f"{self.dashboard_url}/api/jobs/") is not None:
                self.ray_version = str(version.get("ray_version", ""))
                return
            if time.monotonic() >= deadline:
                raise ExecutorError(
                    f"the Ray dashboard did not answer timeout={self.start_timeout:.0f}s "
                    f"url={self.dashboard_url}",
                    hint="a loaded machine may need a longer start_timeout; read the ray start output below")
            time.sleep(0.2)

    def _diagnostics(self) -> str:
        parts = ["--- ray start output (last 30 lines) ---", *self.head_log()[-30:]]
        logs = self.temp_dir / "session_latest" / "logs"
        for name in ("dashboard.err", "dashboard.log", "raylet.err", "gcs_server.err"):
            path = logs / name
            if path.is_file() and path.stat().st_size:
                parts += [f"--- {name} (last 10 lines) ---",
                          *path.read_text(errors="replace").splitlines()[-10:]]
        return "\n".join(parts)


def ray_installed() -> bool:
    """True when ``ray`` is a real installed package (a stray ``ray/`` folder on sys.path does not count)."""
    return ray_importable()


def _ray_command() -> list[str]:
    """The ``ray`` CLI of this interpreter (not whatever ``ray`` a PATH shim resolves to)."""
    beside = Path(sys.executable).parent / "ray"
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "ray.scripts.scripts"]


def _reap(child: subprocess.Popen[bytes]) -> None:
    """Collect the exit status of a child we stopped (it was SIGKILLed at worst, so this is quick)."""
    try:
        child.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        log.error("child pid=%s did not exit after SIGKILL", child.pid)


def _user_base() -> str:
    import site

    return site.getuserbase() or ""


def _start_ticks(pid: int) -> int:
    info = procs.proc_info(pid)
    return info.start_ticks if info is not None else 0


def _http_json(url: str, timeout: float = 2.0) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read() or b"null") if response.status == 200 else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


# -- process-wide bookkeeping: exit handlers and the shared runtime ------------------------------------------

_live: list[RayRuntime] = []
_live_lock = threading.Lock()
_previous_handlers: dict[int, Any] = {}
_installed_in: int | None = None  # pid that registered the handlers (a forked child must register its own)
_shared: dict[int, RayRuntime] = {}
_stopping = 0  # stop() calls in progress in this process
_deferred: list[int] = []  # signals that arrived during a stop(), re-delivered when it ends


def _stop_all() -> None:
    # No lock: this also runs in a signal handler, possibly while the interrupted code holds _live_lock.
    for runtime in [r for r in list(_live) if r._owner_pid == os.getpid()]:
        runtime.stop()


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if _stopping:
        _deferred.append(signum)  # finish stopping first: dying halfway would leak what is not yet stopped
        return
    _stop_all()
    previous = _previous_handlers.get(signum)
    if callable(previous):
        previous(signum, frame)
    elif previous != signal.SIG_IGN:
        signal.signal(signum, signal.SIG_DFL)  # die of the signal, with its usual exit status
        os.kill(os.getpid(), signum)


def _register(runtime: RayRuntime) -> None:
    global _installed_in
    with _live_lock:
        _live.append(runtime)
        if _installed_in == os.getpid():
            return
        _installed_in = os.getpid()
    atexit.register(_stop_all)
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            _previous_handlers[signum] = signal.getsignal(signum)
            signal.signal(signum, _on_signal)


def _unregister(runtime: RayRuntime) -> None:
    with _live_lock:
        if runtime in _live:
            _live.remove(runtime)


def get_shared_runtime(**options: Any) -> RayRuntime:
    """The runtime of this process (one per pytest-xdist worker), started on first use and stopped at exit.

    ``options`` (RayRuntime keyword arguments) apply only to the call that starts it.
    """
    with _live_lock:
        runtime = _shared.get(os.getpid())
        if runtime is None or runtime._state == "stopped":
            runtime = _shared[os.getpid()] = RayRuntime(**options)
    return runtime.start()


def stop_shared_runtime() -> list[int]:
    """Stop this process's shared runtime now, if one runs (a pytest plugin calls it at session end, so that
    an xdist worker exits promptly); return PIDs that survived. Exit handlers would do it otherwise."""
    with _live_lock:
        runtime = _shared.pop(os.getpid(), None)
    return runtime.stop() if runtime is not None else []
