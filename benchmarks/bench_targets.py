"""The performance targets, each measured side by side for this checkout and a git ref (default ``main``).

Every figure comes from a fresh interpreter per run, alternating the two trees round by round (the order flips
each round), so both are measured by the same code in the same session on the same (shared, loaded) machine.
The ref is exported with ``git archive`` into a temporary folder (no worktree is touched) and both trees are
byte-compiled first (``__pycache__`` beside the sources), as an installed package would be.

Targets:

=====================  =====================================================================  ==========
name                   what                                                                   limit
=====================  =====================================================================  ==========
lifecycle              one RayJob lifecycle in-process (apply to TTL cleanup), median          1.5 ms
simulate               ``rayjob-harness simulate rayjob.yaml`` as a whole process               150 ms
help                   ``rayjob-harness --help`` as a whole process                            100 ms
fleet-N                N RayJobs through their lifecycle in one simulator (N = 100, 1k, 10k)  25 s, 1 GB
linear                 wall per RayJob at 10,000 over wall per RayJob at 100                   1.10
json-N                 ``simulate --format json`` on N RayJobs in one file (stdout discarded)  flat memory
library                ``rayjob-harness run scenarios --executor scripted`` (the shipped set)  0.8 s
=====================  =====================================================================  ==========

Both wall time and CPU time (user + system, from ``wait4``) are reported: on a machine shared with other work
the wall time includes waiting for a core, CPU time does not.

Usage::

    python benchmarks/bench_targets.py                          # everything against main (long: 10k fleets)
    python benchmarks/bench_targets.py --only lifecycle,help --rounds 9
    python benchmarks/bench_targets.py --against HEAD~3 --light  # skip the 10,000-RayJob runs
    python benchmarks/bench_targets.py --json results.json

Not here: the real Ray executor (``bench_ray_executor.py``), validation (``bench_validate.py``).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROBE = HERE / "probe.py"
FLEETS = (100, 1_000, 10_000)
HEAVY = 10_000


@dataclass(frozen=True)
class Tree:
    label: str
    path: Path
    commit: str


@dataclass(frozen=True)
class Figures:
    wall: float  # seconds
    cpu: float  # seconds
    rss: float = 0.0  # bytes, peak resident set of the measured process
    extra: dict[str, Any] = field(default_factory=dict)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def exported(ref: str, repo: Path) -> Iterator[Tree]:
    """``ref`` as files in a temporary folder (``git archive``), deleted afterwards."""
    commit = git("rev-parse", "--short=12", ref, cwd=repo)
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as folder:
        archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=repo, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        yield Tree(ref, Path(folder), commit)


def this_tree(repo: Path) -> Tree:
    commit = git("rev-parse", "--short=12", "HEAD", cwd=repo)
    dirty = git("status", "--porcelain", "--untracked-files=no", cwd=repo)
    return Tree("this checkout", repo, commit + ("+changes" if dirty else ""))


def environment(tree: Tree) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree.path)
    return env


def run_process(command: Sequence[str], env: dict[str, str], cwd: Path) -> Figures:
    """Run ``command`` to completion; its wall time, CPU time and peak RSS (from ``wait4``), and its stdout."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        assert process.stderr is not None
        errors = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if process.returncode not in (0,):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{errors.decode()[-3000:]}")
    return Figures(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, {"stdout": text})


# -- the measurements ------------------------------------------------------------------------------------------------

Measure = Callable[[Tree, dict[str, str], Path], Figures]


def probe(*args: str) -> Measure:
    def measure(tree: Tree, env: dict[str, str], work: Path) -> Figures:
        figures = run_process([sys.executable, str(PROBE), *args], env, work)
        data = json.loads(figures.extra["stdout"])
        return Figures(data["wall"], data["cpu"], data.get("rss", figures.rss), data)

    return measure


def cli(*args: str, output: str = "") -> Measure:
    def measure(tree: Tree, env: dict[str, str], work: Path) -> Figures:
        resolved = [str(work / a[1:]) if a.startswith("@") else str(tree.path / a[1:]) if a.startswith("%")
                    else a for a in args]
        figures = run_process([sys.executable, "-m", "harness", *resolved], env, work)
        return Figures(figures.wall, figures.cpu, figures.rss, {"lines": figures.extra["stdout"].count("\n")})

    return measure


@dataclass(frozen=True)
class Target:
    name: str
    what: str
    measure: Measure
    heavy: bool = False


def targets() -> list[Target]:
    found = [
        Target("lifecycle", "one RayJob lifecycle in-process (median of 50)", probe("lifecycle", "--repeat", "50")),
        Target("simulate", "`simulate rayjob.yaml --executor scripted`, whole process",
               cli("simulate", "@rayjob.yaml", "--executor", "scripted")),
        Target("help", "`--help`, whole process", cli("--help")),
    ]
    for jobs in FLEETS:
        found.append(Target(f"fleet-{jobs}", f"{jobs:,} RayJobs through their lifecycle, in-process",
                            probe("fleet", "--jobs", str(jobs)), heavy=jobs >= HEAVY))
    for jobs in (1_000, HEAVY):
        found.append(Target(f"json-{jobs}", f"`simulate --format json` on {jobs:,} RayJobs, whole process",
                            cli("simulate", f"@fleet-{jobs}.yaml", "--executor", "scripted", "--format", "json"),
                            heavy=jobs >= HEAVY))
    found.append(Target("library", "`run scenarios --executor scripted`, whole process",
                        cli("run", "%scenarios", "--executor", "scripted")))
    return found


def prepare(work: Path, tree: Tree, env: dict[str, str]) -> None:
    """The input files the CLI targets read (written once, by this checkout's probe)."""
    if not (work / "rayjob.yaml").exists():
        for jobs, name in ((1, "rayjob.yaml"), (1_000, "fleet-1000.yaml"), (HEAVY, f"fleet-{HEAVY}.yaml")):
            run_process([sys.executable, str(PROBE), "manifests", "--jobs", str(jobs), "--out", str(work / name)],
                        env, work)


# -- reporting -------------------------------------------------------------------------------------------------------

def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _cell(figures: list[Figures], memory: bool) -> str:
    wall = statistics.median(f.wall for f in figures)
    cpu = statistics.median(f.cpu for f in figures)
    text = f"{_ms(cpu)} CPU / {_ms(wall)} wall"
    if memory:
        text += f" / {max(f.rss for f in figures) / 2**20:,.0f} MiB"
    return text


def report(results: dict[str, dict[str, list[Figures]]], trees: list[Tree], chosen: list[Target]) -> str:
    before, after = trees
    lines = [f"before: {before.label} @ {before.commit}; after: {after.label} @ {after.commit}; "
             f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", "",
             f"| target | {before.label} ({before.commit}) | after ({after.commit}) | CPU ratio |",
             "|---|---|---|---|"]
    for target in chosen:
        if target.name not in results:
            continue
        runs = results[target.name]
        memory = target.name.startswith(("fleet", "json"))
        ratio = statistics.median(f.cpu for f in runs[before.label]) / max(
            statistics.median(f.cpu for f in runs[after.label]), 1e-9)
        lines.append(f"| {target.what} | {_cell(runs[before.label], memory)} | {_cell(runs[after.label], memory)} "
                     f"| {ratio:.1f}x |")
    if "fleet-100" in results and f"fleet-{HEAVY}" in results:
        for tree in trees:
            small = statistics.median(f.wall for f in results["fleet-100"][tree.label]) / 100
            large = statistics.median(f.wall for f in results[f"fleet-{HEAVY}"][tree.label]) / HEAVY
            small_cpu = statistics.median(f.cpu for f in results["fleet-100"][tree.label]) / 100
            large_cpu = statistics.median(f.cpu for f in results[f"fleet-{HEAVY}"][tree.label]) / HEAVY
            lines.append(f"\nlinearity ({tree.label}): per RayJob {_ms(small)} at 100, {_ms(large)} at {HEAVY:,} "
                         f"(wall ratio {large / small:.2f}; CPU ratio {large_cpu / small_cpu:.2f})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", default="main", metavar="REF", help="git ref to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds of each light target (default 5)")
    parser.add_argument("--heavy-rounds", type=int, default=1,
                        help="paired rounds of the 10,000-RayJob targets (default 1)")
    parser.add_argument("--only", default="", help="comma-separated target names (default: all)")
    parser.add_argument("--light", action="store_true", help="skip the 10,000-RayJob targets")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure here")
    args = parser.parse_args(argv)
    repo = Path(git("rev-parse", "--show-toplevel", cwd=HERE))
    wanted = {name for name in args.only.split(",") if name}
    chosen = [t for t in targets() if (not wanted or t.name in wanted) and not (args.light and t.heavy)]
    unknown = wanted - {t.name for t in targets()}
    if unknown:
        parser.error(f"unknown targets {sorted(unknown)}; known: {', '.join(t.name for t in targets())}")
    results: dict[str, dict[str, list[Figures]]] = {}
    with exported(args.against, repo) as before, tempfile.TemporaryDirectory(prefix="bench-work-") as folder:
        work = Path(folder)
        after = this_tree(repo)
        trees = [before, after]
        envs = {tree.label: environment(tree) for tree in trees}
        for tree in trees:
            # As pip does at install time (here PYTHONDONTWRITEBYTECODE may be set, so nothing else writes them).
            compileall.compile_dir(str(tree.path / "harness"), quiet=1)
        prepare(work, after, envs[after.label])
        for target in chosen:
            runs: dict[str, list[Figures]] = {tree.label: [] for tree in trees}
            rounds = args.heavy_rounds if target.heavy else args.rounds
            for round_ in range(rounds):
                for tree in trees if round_ % 2 == 0 else reversed(trees):
                    runs[tree.label].append(target.measure(tree, envs[tree.label], work))
            results[target.name] = runs
            print(f"{target.name}: " + "; ".join(f"{label} {_cell(figures, True)}"
                                                 for label, figures in runs.items()), file=sys.stderr, flush=True)
        print(report(results, trees, chosen))
    if args.json is not None:
        args.json.write_text(json.dumps({name: {label: [f.__dict__ | {"extra": {k: v for k, v in f.extra.items()
                                                                                if k != "stdout"}} for f in figures]
                                                for label, figures in runs.items()}
                                         for name, runs in results.items()}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
