"""One cluster per test session, shared by concurrent worker processes: created once under a real file lock,
reused by the others, torn down once by the last one out, and never blocked by a worker that died."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.backends.kind.session import SessionCluster

WORKER = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from harness.backends.kind.session import SessionCluster

    folder, log, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0

    def create():
        with log.open("a") as out:
            out.write(f"create {os.getpid()}\\n")
        time.sleep(0.5 if mode != "die-creating" else 30)
        return {"name": "rh-session", "kubeconfig": "/state/kubeconfig", "by": os.getpid()}

    def usable(data):
        return not Path(str(folder / "gone")).exists()

    def teardown(data):
        with log.open("a") as out:
            out.write(f"teardown {os.getpid()} {data['by']}\\n")

    session = SessionCluster(folder, "rh-session", timeout=60)
    shared = session.acquire(create, usable)
    print(json.dumps({"data": shared.data, "created": shared.created_here}), flush=True)
    if mode == "die-holding":
        time.sleep(60)
    time.sleep(hold)
    print(json.dumps({"tore_down": session.release(teardown)}), flush=True)
""")


def _start(folder: Path, log: Path, mode: str = "normal", hold: float = 0.0) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WORKER, str(folder), str(log), mode, str(hold)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _results(proc: subprocess.Popen[str]) -> list[dict]:
    out, err = proc.communicate(timeout=90)
    assert proc.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def _log(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_concurrent_workers_create_the_cluster_once_and_all_get_the_same_one(tmp_path: Path):
    log = tmp_path / "log"
    workers = [_start(tmp_path / "lock", log, hold=1.0) for _ in range(4)]
    results = [_results(worker) for worker in workers]
    creations = [line for line in _log(log) if line.startswith("create")]
    assert len(creations) == 1
    assert len({json.dumps(result[0]["data"], sort_keys=True) for result in results}) == 1
    assert sum(result[0]["created"] for result in results) == 1


def test_the_last_worker_out_tears_down_once(tmp_path: Path):
    log = tmp_path / "log"
    workers = [_start(tmp_path / "lock", log, hold=hold) for hold in (0.2, 0.6, 1.5)]
    results = [_results(worker) for worker in workers]
    teardowns = [line for line in _log(log) if line.startswith("teardown")]
    assert len(teardowns) == 1
    assert [result[1]["tore_down"] for result in results].count(True) == 1
    assert teardowns[0].split()[1] == str(workers[2].pid)  # the one that stayed longest


def test_a_recorded_cluster_that_is_still_usable_is_reused_by_a_later_session(tmp_path: Path):
    folder, log = tmp_path / "lock", tmp_path / "log"
    session = SessionCluster(folder, "rh-session")
    first = session.acquire(lambda: {"name": "rh-session"})
    assert first.created_here
    # A later session (another process) finds the record while this user still holds it.
    result = _results(_start(folder, log))
    assert result[0]["created"] is False and result[0]["data"] == {"name": "rh-session"}
    assert session.release(lambda data: None) is True


def test_a_recorded_cluster_that_is_gone_is_created_again(tmp_path: Path):
    folder, log = tmp_path / "lock", tmp_path / "log"
    session = SessionCluster(folder, "rh-session")
    session.acquire(lambda: {"name": "old"})
    (folder / "gone").touch()  # the worker's usable() now says the recorded cluster is gone
    result = _results(_start(folder, log))
    assert result[0]["created"] is True and result[0]["data"]["name"] == "rh-session"
    session.release()


def test_a_worker_killed_while_creating_does_not_block_the_others(tmp_path: Path):
    folder, log = tmp_path / "lock", tmp_path / "log"
    dying = _start(folder, log, mode="die-creating")
    deadline = time.monotonic() + 20
    while not _log(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _log(log) == [f"create {dying.pid}"]
    survivor = _start(folder, log)
    time.sleep(0.5)
    assert survivor.poll() is None  # waiting on the lock the dying worker holds
    dying.send_signal(signal.SIGKILL)
    dying.wait()
    result = _results(survivor)
    assert result[0]["created"] is True and result[0]["data"]["by"] == survivor.pid
    assert [line.split()[0] for line in _log(log)] == ["create", "create", "teardown"]


def test_a_user_that_died_without_releasing_does_not_keep_the_cluster_alive(tmp_path: Path):
    folder, log = tmp_path / "lock", tmp_path / "log"
    holder = _start(folder, log, mode="die-holding")
    assert holder.stdout is not None
    first = json.loads(holder.stdout.readline())
    assert first["created"] is True
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    holder.communicate()
    result = _results(_start(folder, log))
    assert result[0]["created"] is False and result[1]["tore_down"] is True


def test_waiting_longer_than_the_timeout_for_the_lock_is_an_error_naming_the_lock_file(tmp_path: Path):
    folder = tmp_path / "lock"
    holder = SessionCluster(folder, "rh-session")
    waiter = SessionCluster(folder, "rh-session", timeout=0.3)
    from harness.backends.kind.errors import ProvisioningError

    # flock locks belong to the open file description: a second open() in this process conflicts too.
    with holder.locked(), pytest.raises(ProvisioningError, match=r"rh-session\.lock"), waiter.locked():
        pass


def test_users_are_listed_by_pid_and_start_time(tmp_path: Path):
    session = SessionCluster(tmp_path, "rh-session")
    session.acquire(lambda: {"name": "x"})
    assert session.users() == [next(iter(os.listdir(session.users_dir)))]
    assert session.users()[0].startswith(f"{os.getpid()}.")
    session.release()
