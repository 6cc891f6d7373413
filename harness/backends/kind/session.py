"""One cluster for a whole test session, shared by concurrent processes (pytest-xdist workers) under a file lock.

Each worker asks for the session's cluster; the first one creates it while holding an exclusive ``flock`` on
``<folder>/<key>.lock``, the others wait on the lock and then reuse what the first recorded in
``<folder>/<key>.json`` (after checking it is still usable: a cluster deleted since is made again). Each user
registers a file named after its PID and start time under ``<key>.users/``; when the last one releases, the
teardown runs once. A user that died without releasing (a killed worker) is recognised by its PID no longer
running with that start time, and no longer counts. The lock is the kernel's: it is released when its holder
dies, so a crash mid-creation never blocks the others forever (and no half-made record exists: the record is
written only after creation succeeded, atomically).

Not here: what creating or tearing down means (the caller passes functions; provisioning passes ``up`` and
``down``). The pytest wiring comes with the Kubernetes backend.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ..._util import procs
from .errors import ProvisioningError
from .state import write_json_atomically

_POLL: Final = 0.1


@dataclass(frozen=True)
class SharedCluster:
    key: str
    data: Mapping[str, Any]  # what the creator returned (name, kubeconfig, context, ...)
    created_here: bool  # this process ran the creation


def _own_id() -> str:
    info = procs.proc_info(os.getpid())
    return f"{os.getpid()}.{info.start_ticks if info else 0}"


def _alive(user_id: str) -> bool:
    pid_text, _, ticks_text = user_id.partition(".")
    try:
        pid, ticks = int(pid_text), int(ticks_text)
    except ValueError:
        return False
    return procs.pid_alive(pid, ticks or None)


class SessionCluster:
    """The lock, record and user list of one shared cluster, identified by ``key`` inside ``folder``."""

    def __init__(self, folder: Path, key: str, *, timeout: float = 1800.0) -> None:
        self.folder = folder
        self.key = key
        self.timeout = timeout
        self._me = _own_id()

    @property
    def record_path(self) -> Path:
        return self.folder / f"{self.key}.json"

    @property
    def users_dir(self) -> Path:
        return self.folder / f"{self.key}.users"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive lock; waits up to ``timeout`` seconds for another holder to finish."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / f"{self.key}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            deadline = time.monotonic() + self.timeout
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise
                    if time.monotonic() >= deadline:
                        raise ProvisioningError(
                            f"waited {self.timeout:.0f}s for another process preparing the shared cluster "
                            f"{self.key!r}", hint=f"see what holds {self.folder / (self.key + '.lock')} "
                                                  "(`fuser` lists its users)") from None
                    time.sleep(_POLL)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _read_record(self) -> Mapping[str, Any] | None:
        try:
            data = json.loads(self.record_path.read_text())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def users(self) -> list[str]:
        """Registered users still alive (dead ones are removed on the way)."""
        alive = []
        with contextlib.suppress(FileNotFoundError):
            for entry in sorted(self.users_dir.iterdir()):
                if _alive(entry.name):
                    alive.append(entry.name)
                else:
                    entry.unlink(missing_ok=True)
        return alive

    def acquire(self, create: Callable[[], Mapping[str, Any]],
                usable: Callable[[Mapping[str, Any]], bool] = lambda data: True) -> SharedCluster:
        """Reuse the recorded cluster when ``usable`` says so, else ``create`` it; register as a user."""
        with self.locked():
            record = self._read_record()
            created = False
            if record is None or not usable(record["data"]):
                data = dict(create())
                write_json_atomically(self.record_path, {"data": data, "created_by": self._me})
                created = True
            else:
                data = dict(record["data"])
            self.users_dir.mkdir(parents=True, exist_ok=True)
            (self.users_dir / self._me).touch()
            return SharedCluster(self.key, data, created)

    def release(self, teardown: Callable[[Mapping[str, Any]], None] | None = None) -> bool:
        """Stop being a user; the last live user runs ``teardown`` (if given) and forgets the record.

        Returns True when this call tore the cluster down.
        """
        with self.locked():
            (self.users_dir / self._me).unlink(missing_ok=True)
            if self.users():
                return False
            record = self._read_record()
            if record is None or teardown is None:
                return False
            teardown(record["data"])
            self.record_path.unlink(missing_ok=True)
            return True
