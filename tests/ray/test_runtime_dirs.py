"""Specifications of the runtime root's bookkeeping: runtime directories that never appear without their owner,
stale ones recognised by owner liveness (never by age), port blocks, and housekeeping. No Ray runtime needed."""

from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from ray_sim_support import eventually

from harness._util import procs
from harness.executors.runtime_dirs import (
    ENV_MARKER,
    OWNER_FILE,
    REAPER_LOG,
    Owner,
    create_runtime_dir,
    housekeep,
    marker_of,
    prune_port_locks,
    reserve_ports,
    rotate_reaper_log,
    sweep_stale,
    write_private,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def dead_owner() -> Owner:
    """The identity of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["sleep", "30"])
    info = procs.proc_info(child.pid)
    assert info is not None
    child.kill()
    child.wait()
    return replace(Owner.current(), pid=child.pid, start_ticks=info.start_ticks)


@pytest.fixture
def orphans() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for child in started:
        child.kill()
        child.wait()


def runtime_of(root: Path, owner: Owner, orphans: list[subprocess.Popen[bytes]]) -> Path:
    """A runtime directory recorded as ``owner``'s, with one process carrying its marker (lock released)."""
    runtime = create_runtime_dir(root, Owner.current())
    (runtime.path / OWNER_FILE).write_text(owner.to_json())
    runtime.lock.close()
    orphans.append(subprocess.Popen(["sleep", "60"], env={**os.environ, ENV_MARKER: runtime.path.name},
                                    start_new_session=True))
    assert eventually(lambda: procs.find_marked(marker_of(runtime.path)), 5)
    return runtime.path


def test_a_runtime_directory_appears_with_its_owner_record_and_lock_held(root: Path) -> None:
    runtime = create_runtime_dir(root, Owner.current())

    assert json.loads((runtime.path / OWNER_FILE).read_text())["owner_pid"] == os.getpid()
    assert stat.S_IMODE(runtime.path.stat().st_mode) == 0o700
    assert sorted(path.name for path in root.iterdir()) == [runtime.path.name]  # no staging left
    assert sweep_stale(root) == []
    runtime.remove()
    assert list(root.iterdir()) == []


def test_a_runtime_whose_owner_died_is_swept_at_once_with_its_processes(
        root: Path, dead_owner: Owner, orphans: list[subprocess.Popen[bytes]]) -> None:
    runtime_dir = runtime_of(root, dead_owner, orphans)

    assert sweep_stale(root, grace=1.0) == [runtime_dir]

    assert not runtime_dir.exists()
    assert orphans[0].poll() is not None


def test_a_runtime_whose_owner_lives_is_kept_even_when_its_lock_is_free(
        root: Path, orphans: list[subprocess.Popen[bytes]]) -> None:
    runtime_dir = runtime_of(root, Owner.current(), orphans)
    assert sweep_stale(root) == []
    assert runtime_dir.exists() and orphans[0].poll() is None


def test_a_reused_pid_does_not_keep_a_runtime_alive(root: Path, orphans: list[subprocess.Popen[bytes]]) -> None:
    impostor = replace(Owner.current(), start_ticks=Owner.current().start_ticks + 1)
    runtime_dir = runtime_of(root, impostor, orphans)
    assert sweep_stale(root, grace=1.0) == [runtime_dir]


def test_a_runtime_recorded_on_another_boot_is_swept(root: Path, orphans: list[subprocess.Popen[bytes]]) -> None:
    runtime_dir = runtime_of(root, replace(Owner.current(), boot_id="another-boot"), orphans)
    assert sweep_stale(root, grace=1.0) == [runtime_dir]


def test_a_directory_without_owner_record_is_swept_only_once_its_lock_is_free(root: Path) -> None:
    runtime = create_runtime_dir(root, Owner.current())
    (runtime.path / OWNER_FILE).unlink()
    assert sweep_stale(root) == []  # the lock says someone is still at work in it

    runtime.lock.close()
    assert sweep_stale(root) == [runtime.path]


def test_a_half_made_directory_of_a_dead_owner_is_removed(root: Path, dead_owner: Owner) -> None:
    root.mkdir()
    staging = root / f".new-{dead_owner.pid}-{dead_owner.start_ticks}-{secrets.token_hex(4)}"
    staging.mkdir()
    mine = Owner.current()
    in_progress = root / f".new-{mine.pid}-{mine.start_ticks}-{secrets.token_hex(4)}"
    in_progress.mkdir()

    housekeep(root)

    assert not staging.exists()
    assert in_progress.exists()


def test_two_runtimes_get_distinct_port_blocks_and_give_them_back(root: Path) -> None:
    root.mkdir()
    first = reserve_ports(root, size=128, span=(20000, 32000))
    second = reserve_ports(root, size=128, span=(20000, 32000))
    assert abs(first.base - second.base) >= 128

    first.release()
    second.release()
    assert list((root / "ports").iterdir()) == []


def test_port_locks_nobody_holds_are_pruned_and_held_ones_kept(root: Path) -> None:
    root.mkdir()
    held = reserve_ports(root, size=128, span=(30000, 32000))
    (root / "ports" / "20000").touch()  # left by runs that died
    (root / "ports" / "20128").touch()

    assert prune_port_locks(root) == 2
    assert [path.name for path in (root / "ports").iterdir()] == [str(held.base)]
    held.release()


def test_the_reaper_log_is_rotated_once_it_grows_past_its_limit(root: Path) -> None:
    root.mkdir()
    log = root / REAPER_LOG
    log.write_text("x" * 100)
    assert rotate_reaper_log(root, limit=1000) is False and log.exists()

    log.write_text("x" * 2000)
    assert rotate_reaper_log(root, limit=1000) is True
    assert not log.exists() and (root / f"{REAPER_LOG}.1").stat().st_size == 2000


def test_a_private_file_is_created_readable_by_its_owner_only_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "token"
    write_private(path, "secret")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_text() == "secret"
    with pytest.raises(FileExistsError):
        write_private(path, "other")
