"""The runtime root on disk: one private directory per local Ray runtime, who owns it, and what is left over.

Layout of ``<tmp>/rjh-<uid>/`` (mode 0700; kept short because Ray's unix socket paths must fit in ~107 bytes):

- ``<id>/`` one runtime: ``owner.json`` (who owns it), ``lock`` (flock-ed by the owner while it lives),
  ``auth_token``, Ray's ``--temp-dir``, a private ``HOME``; every process of the runtime inherits
  ``RAYJOB_HARNESS_RUNTIME=<id>`` (its *marker*);
- ``.new-<pid>-<start>-<id>/`` a runtime directory being prepared; it becomes ``<id>/`` by one rename, with its
  owner record already inside, so no reader ever sees a runtime without an owner;
- ``ports/<base>`` one lock file per reserved block of ports;
- ``reaper.log`` (and ``reaper.log.1``) what reapers did after their owner died.

Ownership is decided by **PID liveness, not age**: a runtime whose owner process (PID and start time, on this
boot) is gone is stale at once, whatever its age, and :func:`housekeep` stops its processes and removes it,
``owner.json`` last, so that a sweeper that dies halfway leaves the job to the next. The flock only settles the
case where the owner lives in another PID namespace (a container sharing ``/tmp``), where its PID means nothing.

Not here: starting Ray (:mod:`.ray_runtime`), stopping processes (:mod:`harness._util.procs`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import random
import secrets
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from .._util import procs
from ..errors import ExecutorError

log = logging.getLogger(__name__)

ENV_MARKER: Final = "RAYJOB_HARNESS_RUNTIME"
OWNER_FILE: Final = "owner.json"
LOCK_FILE: Final = "lock"
REAPER_LOG: Final = "reaper.log"
REAPER_LOG_LIMIT: Final = 64 * 1024  # bytes; beyond it the log is rotated to reaper.log.1 (one generation kept)
_NEW_PREFIX: Final = ".new-"
_MAX_ROOT_LEN: Final = 24  # leaves room for "<id>/r/session_<date>_<pid>/sockets/plasma_store" within 107


def runtime_root() -> Path:
    """``<tmp>/rjh-<uid>``, or ``/tmp/rjh-<uid>`` when the temp dir path is too long for Ray's sockets."""
    root = Path(tempfile.gettempdir()) / f"rjh-{os.getuid()}"
    return root if len(str(root)) <= _MAX_ROOT_LEN else Path("/tmp") / f"rjh-{os.getuid()}"


def marker_of(runtime_dir: Path) -> procs.Marker:
    """How the processes of one runtime are recognised: the inherited env var, or the directory in argv."""
    return procs.Marker(ENV_MARKER, runtime_dir.name, f"{runtime_dir}/")


# -- owners --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Owner:
    """The process that owns a runtime, identified well enough to survive PID reuse and reboots."""

    pid: int
    start_ticks: int
    boot_id: str
    pid_namespace: str

    @classmethod
    def current(cls) -> Owner:
        info = procs.proc_info(os.getpid())
        return cls(os.getpid(), info.start_ticks if info else 0, procs.boot_id(), procs.pid_namespace())

    def gone(self, runtime_dir: Path) -> bool:
        """True when this owner no longer runs (so its runtime is stale)."""
        # A record without boot id or namespace (written by an older harness) is taken as this boot, this namespace.
        if self.boot_id and self.boot_id != procs.boot_id():
            return True  # the machine rebooted since: nothing of that runtime can be running
        if not self.pid_namespace or self.pid_namespace == procs.pid_namespace():
            return not procs.pid_alive(self.pid, self.start_ticks)
        return _lock_free(runtime_dir / LOCK_FILE)  # another PID namespace: only its lock tells

    def to_json(self, **extra: object) -> str:
        return json.dumps({"owner_pid": self.pid, "owner_start_ticks": self.start_ticks, "boot_id": self.boot_id,
                           "pid_namespace": self.pid_namespace, **extra})

    @classmethod
    def read(cls, runtime_dir: Path) -> Owner | None:
        """The owner recorded in ``runtime_dir``, or None when there is no readable record."""
        try:
            raw = json.loads((runtime_dir / OWNER_FILE).read_text())
            return cls(int(raw["owner_pid"]), int(raw["owner_start_ticks"]), str(raw.get("boot_id", "")),
                       str(raw.get("pid_namespace", "")))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def write_owner(runtime_dir: Path, owner: Owner, **extra: object) -> None:
    """Replace the owner record in one step (a reader sees the old record or the new one, never half)."""
    staging = runtime_dir / f".{OWNER_FILE}.{secrets.token_hex(2)}"
    staging.write_text(owner.to_json(**extra))
    os.replace(staging, runtime_dir / OWNER_FILE)


def _lock_free(path: Path) -> bool:
    if not path.exists():
        return True
    handle = _try_flock(path)
    if handle is None:
        return False
    handle.close()
    return True


def _try_flock(path: Path, *, create: bool = False) -> IO[bytes] | None:
    """An exclusive flock on ``path`` if free and if ``path`` is still the file locked (not replaced)."""
    try:
        handle = path.open("ab") if create else path.open("rb")
    except OSError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(handle.fileno()).st_ino != os.stat(path).st_ino:
            raise OSError("replaced")  # removed (and maybe recreated) between our open and our lock
    except OSError:
        handle.close()
        return None
    return handle


# -- one runtime's directory ---------------------------------------------------------------------------------


@dataclass
class RuntimeDir:
    """A runtime directory held by this process: its path and the lock kept for the owner's lifetime."""

    path: Path
    lock: IO[bytes]

    @property
    def marker(self) -> procs.Marker:
        return marker_of(self.path)

    def remove(self) -> None:
        """Remove the directory, the owner record last; then let go of the lock."""
        procs.remove_dir(self.path, last=OWNER_FILE)
        self.lock.close()


def create_runtime_dir(root: Path, owner: Owner) -> RuntimeDir:
    """A new ``<root>/<id>/`` with ``home/``, ``tmp/`` and the owner record in it before anyone can see it."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = root / f"{_NEW_PREFIX}{owner.pid}-{owner.start_ticks}-{secrets.token_hex(4)}"
    staging.mkdir(mode=0o700)
    try:
        write_owner(staging, owner)
        lock = (staging / LOCK_FILE).open("ab")
        fcntl.flock(lock, fcntl.LOCK_EX)  # ours alone: nobody else knows this directory yet
        (staging / "home").mkdir()
        (staging / "tmp").mkdir()
        while True:
            final = root / secrets.token_hex(4)
            if not final.exists():  # rename() would replace an empty directory of that name
                os.rename(staging, final)
                return RuntimeDir(final, lock)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only (mode 0600 from the start, never wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


# -- port blocks ---------------------------------------------------------------------------------------------


@dataclass
class PortBlock:
    """``size`` consecutive ports from ``base``, reserved against other runtimes while ``handle`` is held."""

    base: int
    size: int
    path: Path
    handle: IO[bytes]

    def __contains__(self, port: object) -> bool:
        return isinstance(port, int) and self.base <= port < self.base + self.size

    def release(self) -> None:
        """Give the block back and remove its lock file (safe: reservers check they locked the file named)."""
        with contextlib.suppress(OSError):
            if os.fstat(self.handle.fileno()).st_ino == os.stat(self.path).st_ino:
                self.path.unlink()
        self.handle.close()


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind: TIME_WAIT is fine
        try:
            sock.bind(("", port))
        except OSError:
            return False
    return True


def reserve_ports(root: Path, *, size: int, span: tuple[int, int]) -> PortBlock:
    """Lock a block of ``size`` free ports inside ``span`` (a random one, so that runtimes spread out)."""
    ports_dir = root / "ports"
    ports_dir.mkdir(mode=0o700, exist_ok=True)
    bases = list(range(span[0], span[1] - size + 1, size))
    random.SystemRandom().shuffle(bases)
    for base in bases:
        path = ports_dir / str(base)
        handle = _try_flock(path, create=True)
        if handle is None:
            continue
        if all(_port_free(port) for port in range(base, base + size)):
            return PortBlock(base, size, path, handle)
        PortBlock(base, size, path, handle).release()
    raise ExecutorError(f"no free block of {size} loopback ports range={span[0]}-{span[1]}",
                        hint="stop other local servers or Ray runtimes using ports in that range")


# -- housekeeping --------------------------------------------------------------------------------------------


def sweep_stale(root: Path | None = None, *, grace: float = 3.0) -> list[Path]:
    """Stop and remove every runtime under ``root`` whose owner is gone; return their directories.

    A directory without an owner record is stale only when nobody holds its lock: its owner was removing it
    (the record goes last), or it is debris.
    """
    root = root or runtime_root()
    swept: list[Path] = []
    if not root.is_dir():
        return swept
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or entry.is_symlink() or entry.name == "ports":
            continue
        if entry.name.startswith(_NEW_PREFIX):
            if _staging_owner_gone(entry):
                shutil.rmtree(entry, ignore_errors=True)  # nothing is started before the rename
            continue
        owner = Owner.read(entry)
        if not (owner.gone(entry) if owner is not None else _lock_free(entry / LOCK_FILE)):
            continue
        left = procs.stop_marked(marker_of(entry), grace=grace)
        log.info("stopped a Ray runtime left by an owner that is gone dir=%s left=%s", entry, left)
        procs.remove_dir(entry, last=OWNER_FILE)
        swept.append(entry)
    return swept


def _staging_owner_gone(staging: Path) -> bool:
    owner = Owner.read(staging)
    if owner is not None:
        return owner.gone(staging)
    try:  # created by an owner killed before it wrote its record: the name says who it was
        pid, ticks = staging.name[len(_NEW_PREFIX):].split("-")[:2]
        return not procs.pid_alive(int(pid), int(ticks))
    except ValueError:
        return True


def prune_port_locks(root: Path) -> int:
    """Remove the lock files of port blocks nobody holds; return how many."""
    pruned = 0
    ports_dir = root / "ports"
    if not ports_dir.is_dir():
        return 0
    for path in ports_dir.iterdir():
        handle = _try_flock(path)
        if handle is None:
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            pruned += 1
        handle.close()
    return pruned


def rotate_reaper_log(root: Path, *, limit: int = REAPER_LOG_LIMIT) -> bool:
    """Move ``reaper.log`` to ``reaper.log.1`` once it exceeds ``limit`` bytes (a reaper writing to it keeps
    its descriptor and finishes its line in the old file)."""
    current = root / REAPER_LOG
    try:
        if current.stat().st_size <= limit:
            return False
        os.replace(current, root / f"{REAPER_LOG}.1")
    except OSError:
        return False
    return True


def housekeep(root: Path) -> list[Path]:
    """Everything the root needs before a new runtime starts: stale runtimes swept, unused port locks removed,
    the reaper log bounded. Returns the runtime directories swept."""
    swept = sweep_stale(root)
    prune_port_locks(root)
    rotate_reaper_log(root)
    return swept
