"""Specifications of the subprocess helper the Ray runtime relies on to start, find and stop processes.
These need no Ray runtime; they live here because the Ray executor is what depends on them most."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from ray_sim_support import eventually
from runtime_probes import signal_dispositions

from harness._util import procs


def test_run_captures_output_and_exit_code() -> None:
    result = procs.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (result.returncode, result.stdout, result.stderr) == (3, "out\n", "err\n")


def test_run_stops_the_whole_command_on_timeout() -> None:
    marker = procs.Marker("RJH_TEST_MARKER", secrets.token_hex(4))
    with pytest.raises(subprocess.TimeoutExpired):
        procs.run(["sh", "-c", "sleep 30 & sleep 31; wait"], timeout=0.5,
                  env={**os.environ, marker.env_name: marker.env_value})
    assert procs.find_marked(marker) == []


def test_stop_group_kills_members_that_ignore_sigterm() -> None:
    proc = procs.spawn(["sh", "-c", "trap '' TERM; sleep 60 & sleep 60; wait"])
    assert eventually(lambda: len(procs.group_members(proc.pid)) >= 2, 5)

    assert procs.stop_group(proc.pid, grace=0.3) is True

    assert procs.group_members(proc.pid) == []
    proc.wait()


def test_find_marked_follows_a_process_that_left_the_group() -> None:
    marker = procs.Marker("RJH_TEST_MARKER", secrets.token_hex(4))
    code = "import subprocess, time; subprocess.Popen(['sleep', '60'], start_new_session=True); time.sleep(60)"
    parent = procs.spawn([sys.executable, "-c", code], env={**os.environ, marker.env_name: marker.env_value})
    assert eventually(lambda: len(procs.find_marked(marker)) == 2, 10)
    sessions = {info.sid for pid in procs.find_marked(marker) if (info := procs.proc_info(pid))}
    assert len(sessions) == 2

    assert procs.stop_marked(marker, grace=1.0) == []

    assert procs.find_marked(marker) == []
    parent.wait()


def test_a_zombie_counts_as_dead() -> None:
    proc = procs.spawn(["true"])
    assert eventually(lambda: not procs.pid_alive(proc.pid), 5)
    info = procs.proc_info(proc.pid)
    assert info is not None and info.zombie  # not reaped yet, and still not alive
    proc.wait()


def test_pid_alive_tells_a_reused_pid_by_its_start_time() -> None:
    info = procs.proc_info(os.getpid())
    assert info is not None
    assert procs.pid_alive(os.getpid(), info.start_ticks)
    assert not procs.pid_alive(os.getpid(), info.start_ticks + 1)


def test_stopping_our_own_process_group_is_refused() -> None:
    with pytest.raises(ValueError, match="refusing"):
        procs.stop_group(os.getpgid(0))


# -- the reaper ----------------------------------------------------------------------------------------------


def reaper_for(tmp_path: Path, owner: subprocess.Popen[bytes]) -> tuple[procs.ReaperOrders, subprocess.Popen[bytes]]:
    """A runtime-like directory (with its sentinel) watched by a reaper on behalf of ``owner``."""
    runtime_dir = tmp_path / secrets.token_hex(4)
    runtime_dir.mkdir()
    (runtime_dir / "owner.json").write_text("{}")
    (runtime_dir / "data").write_text("x")
    info = procs.proc_info(owner.pid)
    assert info is not None
    orders = procs.ReaperOrders(owner.pid, info.start_ticks,
                                procs.Marker("RJH_TEST_MARKER", runtime_dir.name, f"{runtime_dir}/"),
                                runtime_dir, "owner.json")
    return orders, procs.spawn_reaper(orders, output=tmp_path / "reaper.log")


def marked_sleeper(orders: procs.ReaperOrders) -> subprocess.Popen[bytes]:
    return procs.spawn(["sleep", "60"], env={**os.environ, orders.marker.env_name: orders.marker.env_value})


def test_the_reaper_cleans_up_when_its_owner_dies_without_doing_so(tmp_path: Path) -> None:
    owner = procs.spawn(["sleep", "60"])
    orders, reaper = reaper_for(tmp_path, owner)
    leftover = marked_sleeper(orders)

    owner.kill()
    owner.wait()

    assert reaper.wait(timeout=30) == 0
    assert procs.find_marked(orders.marker) == [] and leftover.wait(timeout=5) is not None
    assert not orders.runtime_dir.exists()
    assert f"owner pid={owner.pid} died; cleaned {orders.runtime_dir} left=[]" in (tmp_path / "reaper.log").read_text()


def test_the_reaper_leaves_once_the_owner_has_cleaned_up(tmp_path: Path) -> None:
    owner = procs.spawn(["sleep", "60"])
    orders, reaper = reaper_for(tmp_path, owner)

    procs.remove_dir(orders.runtime_dir, last="owner.json")

    assert reaper.wait(timeout=30) == 0
    owner.kill()
    owner.wait()


def test_the_reaper_stays_while_a_process_of_the_runtime_survives_the_owners_cleanup(tmp_path: Path) -> None:
    owner = procs.spawn(["sleep", "60"])
    orders, reaper = reaper_for(tmp_path, owner)
    survivor = marked_sleeper(orders)
    procs.remove_dir(orders.runtime_dir, last="owner.json")

    assert not eventually(lambda: reaper.poll() is not None, timeout=1.5)  # still on watch

    owner.kill()  # the owner dies with the survivor still there: the reaper stops it
    owner.wait()
    assert reaper.wait(timeout=30) == 0
    assert survivor.wait(timeout=5) is not None


def test_the_reaper_shrugs_off_the_signals_a_terminal_or_a_tree_kill_sends(tmp_path: Path) -> None:
    owner = procs.spawn(["sleep", "60"])
    orders, reaper = reaper_for(tmp_path, owner)
    shrugged = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    assert eventually(lambda: all(map(signal_dispositions(reaper.pid).ignores, shrugged)), 10)

    for signum in shrugged:
        os.kill(reaper.pid, signum)
    owner.kill()
    owner.wait()

    assert reaper.wait(timeout=30) == 0  # it did its job rather than die
    assert not orders.runtime_dir.exists()


def test_the_owner_record_is_removed_after_everything_else(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime_dir = tmp_path / "runtime"
    (runtime_dir / "sub").mkdir(parents=True)
    for name in ("a", "owner.json", "sub/f", "z"):
        (runtime_dir / name).write_text("x")
    removed: list[str] = []
    unlink, rmtree = Path.unlink, shutil.rmtree
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: (removed.append(self.name),
                                                                         unlink(self, missing_ok=missing_ok))[1])
    monkeypatch.setattr(procs.shutil, "rmtree", lambda path, ignore_errors=False: (
        removed.append(Path(path).name), rmtree(path, ignore_errors=ignore_errors))[1])

    procs.remove_dir(runtime_dir, last="owner.json")

    assert not runtime_dir.exists()
    assert removed[-2:] == ["owner.json", "runtime"]  # then only the emptied directory itself
