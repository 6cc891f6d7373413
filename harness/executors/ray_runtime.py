"""A local Ray head (``ray start --head --block`` with the dashboard), owned by the harness and usable by no one else.

One runtime serves every simulated RayCluster of a process (:func:`get_shared_runtime`); starting one costs
about 4 s, so it is started lazily, once per CLI run or pytest(-xdist) worker, and stopped at exit.

No one else can use it:
- **token auth** (``RAY_AUTH_MODE=token``): a token made for this runtime, in its private directory (mode 0600),
  read by every Ray process through ``RAY_AUTH_TOKEN_PATH``; the dashboard, the job agent and every gRPC server
  refuse a request without it. The executor sends it (:attr:`RayRuntime.auth_headers`);
- **loopback only**: Ray is told this is a single-machine runtime (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, which
  makes Ray resolve its node address to 127.0.0.1 on Linux too, with ``--node-ip-address=127.0.0.1``), so the
  GCS, the raylet, the agents, the client server, the metrics endpoints and the workers listen on 127.0.0.1;
- **its own ports**: every port, including the two Ray otherwise fixes (autoscaler and dashboard metrics), comes
  from a block of :data:`BLOCK_SIZE` ports reserved for this runtime, so concurrent runtimes never collide.

Nothing is left behind, whatever ends the owner (layout and ownership rules in :mod:`.runtime_dirs`):
- every Ray process inherits the runtime's marker; stopping sends SIGTERM/SIGKILL to the process group we started,
  then to every process still carrying the marker (job drivers leave the group), and removes the directory with
  the owner record last;
- a reaper process, started before Ray, stays until every process of the runtime is gone; if the owner dies first
  (SIGKILL, or SIGTERM then SIGKILL a second later) it stops them and removes the directory;
- the next start recognises a runtime whose owner is gone at once and removes it (:func:`.runtime_dirs.housekeep`);
- SIGINT, SIGTERM and SIGHUP stop the runtime before they take effect, and never interrupt a stop or a spawn
  halfway (:mod:`harness._util.exitguard`).

Not here: submitting jobs (:mod:`.ray_executor`), the flags and environment Ray gets (:mod:`.ray_config`), running
commands (:mod:`harness._util.procs`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Final

from .._util import exitguard, procs
from ..errors import ExecutorError, MissingDependencyError
from .ray_config import (
    BLOCK_SIZE,
    INSTALL_HINT,
    PORT_RANGE,
    RayPorts,
    ray_installed,
    runtime_env,
    start_command,
)
from .runtime_dirs import (
    ENV_MARKER,
    OWNER_FILE,
    REAPER_LOG,
    Owner,
    PortBlock,
    RuntimeDir,
    create_runtime_dir,
    housekeep,
    marker_of,
    reserve_ports,
    runtime_root,
    sweep_stale,
    write_owner,
    write_private,
)

__all__ = ["BLOCK_SIZE", "ENV_MARKER", "INSTALL_HINT", "PORT_RANGE", "RayPorts", "RayRuntime", "get_shared_runtime",
           "ray_installed", "runtime_root", "stop_shared_runtime", "sweep_stale"]

log = logging.getLogger(__name__)

TOKEN_FILE: Final = "auth_token"
# Ray's own daemons either exit within a fraction of a second of SIGTERM or wait for a GCS that is gone already
# (the raylet, `ray start --block`): waiting longer only delays the SIGKILL they end with.
RAY_GROUP_GRACE: Final = 1.0
# Ways `ray start` fails that another attempt (on another block of ports) gets past: ports are reserved against
# the runtimes of this user's root only, so another user's runtime or any other server may hold one; and on an
# overloaded machine Ray's own start-up waits (30 s for the raylet, the agent's port file) can run out.
START_ATTEMPTS: Final = 3
_TRANSIENT: Final = ("already occupied", "Address already in use", "Failed to start the grpc server",
                     "timed out during startup", "Timed out waiting for file")
_FATAL: Final = re.compile(r"^\[[^]]* [CF] \d+ \d+\]|Check failed")  # Ray's glog CRITICAL/FATAL lines


class _StartFailed(Exception):
    """``ray start`` failed in a way another attempt may get past (see :data:`_TRANSIENT`)."""


class RayRuntime:
    """One local Ray head serving the dashboard's job API on ``dashboard_url``: :meth:`start`, :meth:`stop`."""

    def __init__(self, *, num_cpus: int = 2, object_store_memory: int = 100 * 1024 * 1024,
                 root: Path | None = None, cwd: Path | None = None, start_timeout: float = 90.0,
                 stop_grace: float = 3.0, reaper: bool = True,
                 extra_env: dict[str, str] | None = None) -> None:
        """``root``: the runtime root (default :func:`runtime_root`). ``stop_grace``: seconds a job process gets
        between SIGTERM and SIGKILL. ``reaper``: start the watchdog that cleans up after a killed owner.
        ``extra_env``: environment of the Ray processes, applied last (it can override the runtime's own
        settings; the executor benchmark turns token auth off this way to price it)."""
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
        self._rdir: RuntimeDir | None = None
        self._block: PortBlock | None = None
        self._token = ""
        self._proc: subprocess.Popen[bytes] | None = None  # `ray start --block`, leader of its group
        self._reaper: subprocess.Popen[bytes] | None = None
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
    def auth_headers(self) -> dict[str, str]:
        """What every request to this runtime's dashboard must carry."""
        if not self._token:
            raise ExecutorError("the Ray runtime is not started", hint="call RayRuntime.start() first")
        return {"Authorization": f"Bearer {self._token}"}

    @property
    def token_path(self) -> Path:
        return self._dir() / TOKEN_FILE

    @property
    def temp_dir(self) -> Path:
        """Ray's ``--temp-dir`` (``/tmp/ray`` on a real head pod)."""
        return self._dir() / "r"

    @property
    def marker(self) -> procs.Marker:
        return marker_of(self._dir())

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
        housekeep(self.root)
        owner = Owner.current()
        exitguard.register(self.stop)
        with exitguard.critical():  # from here on, stop() undoes whatever part of the start happened
            self._rdir = create_runtime_dir(self.root, owner)
            self.dir = self._rdir.path
            self._state = "running"
        try:
            self._token = secrets.token_hex(32)
            write_private(self.token_path, self._token)
            if self.reaper:  # first, so that nothing started after it can outlive a killed owner
                with exitguard.critical():
                    self._reaper = procs.spawn_reaper(
                        procs.ReaperOrders(owner.pid, owner.start_ticks, self.marker, self.dir, OWNER_FILE),
                        output=self.root / REAPER_LOG)
            for attempt in range(1, START_ATTEMPTS + 1):
                try:
                    self._start_ray(owner, time.monotonic() + self.start_timeout)
                    break
                except _StartFailed as failed:
                    if attempt == START_ATTEMPTS:
                        raise ExecutorError(f"ray start failed attempts={attempt}: {failed}",
                                            hint=f"stop other servers using ports {PORT_RANGE[0]}-{PORT_RANGE[1]}, "
                                                 "or retry on a less loaded machine") from None
                    log.info("ray start failed (%s); starting again on another block of ports", failed)
                    self._stop_ray()
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

    def _start_ray(self, owner: Owner, deadline: float) -> None:
        """One ``ray start`` on a freshly reserved block of ports, up to a job API that answers."""
        self._block = reserve_ports(self.root, size=BLOCK_SIZE, span=PORT_RANGE)
        self.ports = RayPorts(self._block.base)
        self.env = runtime_env(self._dir(), self.ports, self.token_path, extra=self.extra_env)
        cmd = start_command(self.ports, temp_dir=self.temp_dir, num_cpus=self.num_cpus,
                            object_store_memory=self.object_store_memory)
        with exitguard.critical():
            self._proc = procs.spawn(cmd, env=self.env, cwd=self.cwd, output=self._dir() / "head.log")
        write_owner(self._dir(), owner, ray_pid=self._proc.pid, dashboard=self.dashboard_url,
                    marker=self._dir().name)
        self._wait_healthy(deadline)

    def _stop_ray(self) -> None:
        """Undo one ``ray start`` (before another attempt): its processes, its block, its files."""
        with exitguard.critical():
            if self._proc is not None:
                procs.stop_group(self._proc.pid, grace=RAY_GROUP_GRACE)
                _reap(self._proc)
                self._proc = None
            procs.stop_marked(self.marker, grace=self.stop_grace)
            if self._block is not None:
                self._block.release()
                self._block = None
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            (self._dir() / "head.log").unlink(missing_ok=True)

    def stop(self) -> list[int]:
        """Stop every process of this runtime, remove its directory; return PIDs that could not be stopped.

        Signals are deferred meanwhile (a second Ctrl-C must not leave half a runtime). The owner record goes
        last, and only once no process is left: until then the reaper and the next start can finish the job.
        """
        if self._state != "running" or os.getpid() != self._owner_pid:
            return self.leftovers
        with exitguard.critical():
            self._state = "stopped"
            exitguard.unregister(self.stop)
            self.head_log()  # keep the head log readable after the directory is gone
            if self._proc is not None:
                procs.stop_group(self._proc.pid, grace=min(self.stop_grace, RAY_GROUP_GRACE))
                _reap(self._proc)
            # Job drivers run in sessions of their own, found by the marker they inherit; they get the grace Ray's
            # stop_job gives them (3 s) to clean up.
            self.leftovers = procs.stop_marked(self.marker, grace=self.stop_grace)
            if self._block is not None:
                self._block.release()
            if self.leftovers:
                log.error("Ray runtime processes survived SIGKILL pids=%s dir=%s; the reaper keeps watching them",
                          self.leftovers, self.dir)
            elif self._rdir is not None:
                self._rdir.remove()
                self._wait_for_reaper()
        return self.leftovers

    def __enter__(self) -> RayRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- helpers ---------------------------------------------------------------------------------------------------

    def _wait_for_reaper(self) -> None:
        """The reaper exits by itself once the owner record is gone and no process is left (within ~0.1 s)."""
        if self._reaper is None:
            return
        try:
            self._reaper.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            log.warning("the reaper pid=%s did not exit after the runtime stopped; killing it", self._reaper.pid)
            procs.stop_group(self._reaper.pid, grace=0.0)
            _reap(self._reaper)

    def _wait_healthy(self, deadline: float) -> None:
        """The job API answers: ``/api/version`` (dashboard up), ``/api/jobs/`` (job module loaded), and the
        dashboard agent that runs submissions is up (the dashboard waits only 10 s for it, and the agent can
        come up later than that on a loaded machine)."""
        assert self._proc is not None
        headers = self.auth_headers
        agent = f"http://127.0.0.1:{self._ports().agent}/api/healthz"
        while True:
            if self._proc.poll() is not None:
                reason = next((line for line in self.head_log() if any(s in line for s in _TRANSIENT)), "")
                if reason:
                    raise _StartFailed(reason.strip()[:300])
                raise ExecutorError(f"ray start exited early exit_code={self._proc.returncode}",
                                    hint="read the ray start output below")
            version = _http_json(f"{self.dashboard_url}/api/version", headers)
            if (isinstance(version, dict) and _http_json(f"{self.dashboard_url}/api/jobs/", headers) is not None
                    and _http_ok(agent, headers)):
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
        for name in ("dashboard.err", "dashboard.log", "raylet.err", "raylet.out", "gcs_server.err", "gcs_server.out"):
            path = logs / name
            if not path.is_file() or not path.stat().st_size:
                continue
            lines = path.read_text(errors="replace").splitlines()
            # A crash ends in a stack trace: the line that says why comes first.
            fatal = [line for line in lines if _FATAL.search(line)][:5]
            if fatal:
                parts += [f"--- {name} (fatal lines) ---", *fatal]
            if not name.endswith(".out"):
                parts += [f"--- {name} (last 10 lines) ---", *lines[-10:]]
        return "\n".join(parts)


def _reap(child: subprocess.Popen[bytes]) -> None:
    """Collect the exit status of a child we stopped (it was SIGKILLed at worst, so this is quick)."""
    try:
        child.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        log.error("child pid=%s did not exit after SIGKILL", child.pid)


def _http_ok(url: str, headers: dict[str, str], timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _http_json(url: str, headers: dict[str, str], timeout: float = 2.0) -> Any:
    try:
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null") if response.status == 200 else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


# -- the shared runtime of this process ----------------------------------------------------------------------------

_shared: dict[int, RayRuntime] = {}  # by pid: a forked child starts a runtime of its own
_shared_lock = threading.Lock()


def get_shared_runtime(**options: Any) -> RayRuntime:
    """The runtime of this process (one per pytest-xdist worker), started on first use and stopped at exit.

    ``options`` (RayRuntime keyword arguments) apply only to the call that starts it.
    """
    with _shared_lock:
        runtime = _shared.get(os.getpid())
        if runtime is None or runtime._state == "stopped":
            runtime = _shared[os.getpid()] = RayRuntime(**options)
    return runtime.start()


def stop_shared_runtime() -> list[int]:
    """Stop this process's shared runtime now, if one runs (a pytest plugin calls it at session end, so that
    an xdist worker exits promptly); return PIDs that survived. Exit handlers would do it otherwise."""
    with _shared_lock:
        runtime = _shared.pop(os.getpid(), None)
    return runtime.stop() if runtime is not None else []
