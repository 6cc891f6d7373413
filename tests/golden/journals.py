"""Golden journals: what every shipped scenario observes, pinned line by line (scripted executor).

Speed work must never change behaviour. The journal of a scenario is everything the harness observed (every
watch event with its changes, every action), so a run whose journals equal the ones recorded here behaved the same,
byte for byte, except for wall times (dropped: they differ on every run).

Regenerate after a deliberate behaviour change (and say which change explains the difference)::

    PYTHONPATH=. python -m tests.golden.journals --write

Without ``--write`` the command prints a unified diff for each scenario whose journal differs from its golden
file, and exits 1 when one does.

Not here: the assertions themselves (``test_golden_journals.py``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.runner import RunOptions, run_scenario
from harness.runner.backend_factory import create_backend, default_kuberay_version
from harness.scenario import Scenario, discover, load_file

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "scenarios"
GOLDEN = Path(__file__).resolve().parent / "journals"
SUFFIX = ".jsonl"


def shipped_scenarios() -> list[Scenario]:
    return [scenario for path in discover([LIBRARY]) for scenario in load_file(path)]


def journal_lines(scenario: Scenario) -> list[str] | None:
    """The scenario's journal as JSON lines without wall times, or None when it does not run scripted."""
    options = RunOptions(executor="scripted", kuberay_version=default_kuberay_version("sim"))
    if scenario.executors is not None and "scripted" not in scenario.executors:
        return None
    result = run_scenario(scenario, options, create_backend)
    if result.status == "skipped":
        return None
    lines = []
    for entry in result.journal_entries:
        data = entry.to_dict()
        del data["wall"]
        lines.append(json.dumps(data, default=str))
    # The verdict is part of the behaviour: a scenario that starts failing changes the library's meaning.
    lines.append(json.dumps({"status": result.status}))
    return lines


def library_journals() -> dict[str, list[str]]:
    """Scenario name -> journal lines, for every shipped scenario that runs on the scripted executor."""
    out: dict[str, list[str]] = {}
    for scenario in shipped_scenarios():
        lines = journal_lines(scenario)
        if lines is not None:
            out[scenario.name] = lines
    return out


def golden_path(name: str) -> Path:
    return GOLDEN / f"{name}{SUFFIX}"


def read_golden(name: str) -> list[str] | None:
    path = golden_path(name)
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else None


def golden_names() -> set[str]:
    return {path.name.removesuffix(SUFFIX) for path in GOLDEN.glob(f"*{SUFFIX}")}


def write_all(journals: dict[str, list[str]]) -> None:
    GOLDEN.mkdir(exist_ok=True)
    for stale in golden_names() - set(journals):
        golden_path(stale).unlink()
    for name, lines in journals.items():
        golden_path(name).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare (or, with --write, record) the shipped scenarios' "
                                                 "journals against tests/golden/journals/.")
    parser.add_argument("--write", action="store_true", help="record the journals as the new golden files")
    args = parser.parse_args(argv)
    journals = library_journals()
    if args.write:
        write_all(journals)
        print(f"wrote {len(journals)} golden journals to {GOLDEN.relative_to(ROOT)}")
        return 0
    differing = 0
    for name in sorted(set(journals) | golden_names()):
        expected, actual = read_golden(name) or [], journals.get(name, [])
        if expected != actual:
            differing += 1
            sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(
                expected, actual, f"golden/{name}", f"now/{name}", lineterm="", n=1))
    print(f"{differing} of {len(set(journals) | golden_names())} journals differ")
    return 1 if differing else 0


if __name__ == "__main__":
    raise SystemExit(main())
