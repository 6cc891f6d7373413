"""Specifications of how ``rayjob-harness simulate --executor ray`` ends under signals: whatever arrives (SIGINT,
SIGTERM, SIGHUP, SIGKILL, or SIGTERM then SIGKILL a second later, as ``timeout -k`` and CI runners do) and
whenever (while Ray starts, while a job runs, while the runtime shuts down), no process of its runtime is left,
its directory is gone, and so is its reaper. Ctrl-C ends with exit status 130 and one line; a SIGINT the harness
inherited as ignored stays ignored.

Leftovers are counted by the runtime's marker, never by command-line text (other runs share the machine). Each
case runs the real CLI; the cases of one moment run side by side in one runtime root (one Ray start each is the
cost), each signalled when its own run reaches the moment. The job leaves behind a grandchild in a session
of its own that ignores SIGTERM: only the marker finds it, and stopping it takes the runtime's whole SIGTERM grace,
so a signal sent once the runtime's ``ray start`` is gone lands inside that stop.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from ray_sim_support import eventually
from runtime_probes import marked, reapers_of, signal_dispositions

from harness._util import procs

pytestmark = pytest.mark.ray

PROJECT = Path(__file__).resolve().parents[2]
JOB_SCRIPT = """\
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                  "time.sleep(600)"], start_new_session=True)
print("job-started", flush=True)
time.sleep(float(sys.argv[1]))
"""
MANIFEST = """\
apiVersion: ray.io/v1
kind: RayJob
metadata: {{name: signalled}}
spec:
  entrypoint: python /app/job.py {seconds}
  rayClusterSpec:
    rayVersion: "2.60.0"
    headGroupSpec:
      rayStartParams: {{}}
      template:
        spec:
          containers: [{{name: ray-head, image: "rayproject/ray:2.60.0"}}]
"""
SIDE_BY_SIDE = 3  # runs at a time, each with a Ray runtime of its own, on a small machine others share too
REACH_TIMEOUT = 240.0


@dataclass
class Run:
    """One ``simulate --executor ray`` process; its runtime is the one in ``tmp`` whose owner it is."""

    proc: subprocess.Popen[bytes]
    home: Path
    tmp: Path
    _dir: Path | None = None

    def runtime_dir(self) -> Path | None:
        if self._dir is None:
            for path in self.tmp.glob("rjh-*/[!.]*"):  # not a directory still being prepared
                if _owner_pid(path) == self.proc.pid:
                    self._dir = path
        return self._dir

    def owner_record(self) -> dict[str, object]:
        runtime_dir = self.runtime_dir()
        try:
            return json.loads((runtime_dir / "owner.json").read_text()) if runtime_dir else {}
        except (OSError, ValueError):
            return {}

    def job_processes(self) -> list[int]:
        runtime_dir = self.runtime_dir()
        return [pid for pid in marked(runtime_dir) if "job.py" in procs.cmdline(pid)] if runtime_dir else []

    def stdout(self) -> str:
        return (self.home / "stdout").read_text(errors="replace")

    def stderr_lines(self, since: int = 0) -> list[str]:
        """What the run printed on stderr, from byte ``since`` on."""
        return (self.home / "stderr").read_bytes()[since:].decode(errors="replace").splitlines()

    def stderr_size(self) -> int:
        return (self.home / "stderr").stat().st_size


def _owner_pid(runtime_dir: Path) -> int | None:
    try:
        return int(json.loads((runtime_dir / "owner.json").read_text())["owner_pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def start_run(tmp: Path, job_seconds: float, *, ignore_sigint: bool = False) -> Run:
    """Start the CLI with ``tmp`` as its temp dir: runs of one batch share a runtime root (and its port locks)."""
    home = Path(tempfile.mkdtemp(prefix="rjs", dir=tmp))
    app = home / "app"
    app.mkdir()
    (app / "job.py").write_text(JOB_SCRIPT)
    (home / "rayjob.yaml").write_text(MANIFEST.format(seconds=job_seconds))
    cli = [sys.executable, "-m", "harness", "simulate", str(home / "rayjob.yaml"), "--executor", "ray",
           "--path-map", f"/app={app}"]
    if ignore_sigint:  # as `nohup` or `cmd &` in a script leave it: ignored, and so across exec
        cli = [sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
               "os.execv(sys.argv[1], sys.argv[1:])", *cli]
    env = {**os.environ, "TMPDIR": str(tmp),
           "PYTHONPATH": os.pathsep.join([str(PROJECT), os.environ.get("PYTHONPATH", "")])}
    with (home / "stdout").open("wb") as out, (home / "stderr").open("wb") as err:
        proc = subprocess.Popen(cli, stdout=out, stderr=err, env=env, cwd=PROJECT, start_new_session=True)
    return Run(proc, home, tmp)


def finish_run(run: Run) -> None:
    """Whatever happened to the test, its run and its runtime go."""
    if run.proc.poll() is None:
        procs.stop_group(run.proc.pid, grace=10.0)
        run.proc.wait()
    runtime_dir = run.runtime_dir()
    if runtime_dir is not None:
        procs.stop_marked(procs.Marker("RAYJOB_HARNESS_RUNTIME", runtime_dir.name, f"{runtime_dir}/"))


# -- moments and signals -------------------------------------------------------------------------------------


def reach(run: Run, condition: Callable[[], object]) -> bool:
    """Wait until ``condition`` holds while the run is alive; False if it ended (or stalled) first."""
    eventually(lambda: condition() or run.proc.poll() is not None, REACH_TIMEOUT)
    return bool(condition()) and run.proc.poll() is None


def _stopping(run: Run) -> bool:
    record = run.owner_record()
    return ("After " in run.stdout() and "ray_pid" in record
            and not procs.pid_alive(int(str(record["ray_pid"]))))


@dataclass(frozen=True)
class Moment:
    job_seconds: float
    reached: Callable[[Run], object]


MOMENTS = {
    # Ray was spawned (its PID is recorded) but its dashboard needs seconds more to answer.
    "start-up": Moment(600.0, lambda run: "ray_pid" in run.owner_record()),
    "mid-job": Moment(600.0, Run.job_processes),
    # The job finished, the CLI printed its summary, and the runtime's stop has taken `ray start` down: it is
    # now waiting out the grandchild's SIGTERM grace.
    "shutdown": Moment(0.0, _stopping),
}


def _term_then_kill(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    time.sleep(1.0)
    if procs.pid_alive(pid):
        os.kill(pid, signal.SIGKILL)


SENDERS: dict[str, Callable[[int], None]] = {
    "SIGINT": lambda pid: os.kill(pid, signal.SIGINT),
    "SIGTERM": lambda pid: os.kill(pid, signal.SIGTERM),
    "SIGHUP": lambda pid: os.kill(pid, signal.SIGHUP),
    "SIGKILL": lambda pid: os.kill(pid, signal.SIGKILL),
    "TERM-then-KILL": _term_then_kill,
}
# The owner cleans up first. A shell reports exit status 130 for Ctrl-C either way: the CLI exits 130, or Python
# itself ends by SIGINT when the KeyboardInterrupt passed through source code run from C (some extension modules'
# import does that) before it was caught.
INTERRUPTED = (130, -signal.SIGINT)
CAUGHT = {"SIGINT": INTERRUPTED, "SIGTERM": (-signal.SIGTERM,), "SIGHUP": (-signal.SIGHUP,)}


@dataclass
class Outcome:
    """What one signalled run left: its exit, its stderr, and what of its runtime survived it."""

    reached: bool
    busy_when_signalled: bool = False  # a process of the runtime was alive when the signal went out
    exit_code: int | None = None
    stderr: list[str] = field(default_factory=list)
    stderr_after_signal: list[str] = field(default_factory=list)
    left_at_exit: list[int] = field(default_factory=list)
    left_at_end: tuple[list[int], bool, list[int]] = ([], False, [])  # processes, directory, reapers
    ignored_sigint: bool = False


def _nothing_left(runtime_dir: Path) -> tuple[list[int], bool, list[int]]:
    return marked(runtime_dir), runtime_dir.exists(), reapers_of(runtime_dir)


def _stalled(run: Run) -> Outcome:
    """What a run that never reached its moment was doing (for the failure message)."""
    runtime_dir = run.runtime_dir()
    doing = [f"{pid}: {procs.cmdline(pid)[:150]}" for pid in marked(runtime_dir)] if runtime_dir else []
    head = (runtime_dir / "head.log").read_text(errors="replace").splitlines()[-10:] if runtime_dir and (
        runtime_dir / "head.log").exists() else []
    return Outcome(False, stderr=[*run.stderr_lines(), f"--- runtime {runtime_dir}", *doing, "--- head.log", *head])


def signal_run(run: Run, moment: Moment, kind: str) -> Outcome:
    if not reach(run, lambda: moment.reached(run)):
        return _stalled(run)
    runtime_dir = run.runtime_dir()
    assert runtime_dir is not None
    busy = bool(marked(runtime_dir))
    printed = run.stderr_size()
    SENDERS[kind](run.proc.pid)
    code = run.proc.wait(timeout=180)
    left_at_exit = marked(runtime_dir)
    # A killed owner leaves the work to its reaper: give it time to finish.
    eventually(lambda: _nothing_left(runtime_dir) == ([], False, []), 5 if kind in CAUGHT else 120)
    return Outcome(True, busy, code, run.stderr_lines(), run.stderr_lines(printed), left_at_exit,
                   _nothing_left(runtime_dir))


def ignore_sigint_run(run: Run, moment: str) -> Outcome:
    """SIGINT, inherited as ignored, reaches the run at ``moment``: the run must go on as if nothing came (start
    Ray and run the job; keep the job running; finish stopping and exit 0). A SIGTERM ends a run still going."""
    if not reach(run, lambda: MOMENTS[moment].reached(run)):
        return _stalled(run)
    dispositions = signal_dispositions(run.proc.pid)
    jobs = run.job_processes()
    runtime_dir = run.runtime_dir()
    assert runtime_dir is not None
    busy = bool(marked(runtime_dir))
    os.kill(run.proc.pid, signal.SIGINT)
    if moment == "shutdown":
        code = run.proc.wait(timeout=180)
        went_on, left_at_exit = code == 0, marked(runtime_dir)
        eventually(lambda: _nothing_left(runtime_dir) == ([], False, []), 5)
        outcome = Outcome(True, busy, code, run.stderr_lines(), [], left_at_exit, _nothing_left(runtime_dir))
    else:
        if moment == "start-up":
            went_on = reach(run, run.job_processes)
        else:
            went_on = not eventually(lambda: run.proc.poll() is not None or not all(map(procs.pid_alive, jobs)), 3)
        outcome = signal_run(run, MOMENTS["mid-job"], "SIGTERM")
    outcome.ignored_sigint = (went_on and dispositions.ignores(signal.SIGINT)
                              and not dispositions.catches(signal.SIGINT) and dispositions.catches(signal.SIGTERM))
    return outcome


@pytest.fixture(scope="module", params=list(MOMENTS))
def outcomes(request: pytest.FixtureRequest) -> Iterator[dict[str, Outcome]]:
    """Every kind of signal, each sent to its own run at this moment (the runs go side by side)."""
    moment = MOMENTS[request.param]
    tmp = Path(tempfile.mkdtemp(prefix="rjs", dir="/tmp"))  # short: Ray's socket paths live under it

    def case(kind: str) -> Outcome:
        run = start_run(tmp, moment.job_seconds, ignore_sigint=kind == "ignored-SIGINT")
        try:
            if kind == "ignored-SIGINT":
                return ignore_sigint_run(run, request.param)
            return signal_run(run, moment, kind)
        finally:
            finish_run(run)

    try:
        with ThreadPoolExecutor(max_workers=SIDE_BY_SIDE) as pool:
            futures = {kind: pool.submit(case, kind) for kind in [*SENDERS, "ignored-SIGINT"]}
            yield {kind: future.result() for kind, future in futures.items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# -- the specifications --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(SENDERS))
def test_a_signal_at_any_moment_leaves_no_process_directory_or_reaper_of_the_runtime(
        outcomes: dict[str, Outcome], kind: str) -> None:
    outcome = outcomes[kind]
    assert outcome.reached, "\n".join(outcome.stderr)
    assert outcome.left_at_end == ([], False, []), outcome


@pytest.mark.parametrize("kind", list(CAUGHT))
def test_a_caught_signal_ends_the_run_only_once_its_runtime_is_gone(
        outcomes: dict[str, Outcome], kind: str) -> None:
    outcome = outcomes[kind]
    assert outcome.reached, "\n".join(outcome.stderr)
    assert outcome.exit_code in CAUGHT[kind], outcome.stderr
    assert outcome.left_at_exit == []


def test_ctrl_c_at_any_moment_exits_130_with_one_line(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["SIGINT"]
    assert outcome.reached and outcome.exit_code in INTERRUPTED, outcome.stderr
    assert outcome.stderr_after_signal == ["interrupted"], outcome.stderr


def test_each_signal_reached_the_run_while_its_runtime_had_processes_to_stop(outcomes: dict[str, Outcome]) -> None:
    """Guards the cases above: at every moment, shutdown included, there was something left to leak."""
    assert {kind: outcome.busy_when_signalled for kind, outcome in outcomes.items()} == dict.fromkeys(outcomes, True)


def test_an_inherited_ignored_sigint_stays_ignored(outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes["ignored-SIGINT"]
    assert outcome.reached, "\n".join(outcome.stderr)
    assert outcome.ignored_sigint, outcome.stderr
    assert outcome.left_at_end == ([], False, []), outcome
