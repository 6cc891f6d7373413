"""The command line as a person meets it: --version, usage on a bad flag, empty inputs, output when piped."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import __version__
from harness.cli.main import main

PROJECT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"


def run_main(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_version_names_the_tool_and_the_simulated_releases():
    assert run_main("--version") == (0, f"rayjob-harness {__version__} (KubeRay 1.7 simulated)\n", "")


def test_the_top_level_help_lists_every_command():
    code, out, _ = run_main("--help")
    assert code == 0
    assert all(f"    {name}" in out for name in ("simulate", "run", "validate"))


@pytest.mark.parametrize("command", ["simulate", "run", "validate"])
def test_a_bad_flag_prints_the_usage_of_the_subcommand(command: str):
    code, _, err = run_main(command, "x.yaml", "--no-such-flag")
    assert code == 2
    assert err.startswith(f"usage: rayjob-harness {command} ")
    assert err.rstrip().endswith("error: unrecognized arguments: --no-such-flag")


def test_simulate_refuses_an_empty_file_and_an_empty_folder(tmp_path: Path):
    (tmp_path / "empty.yaml").write_text("# nothing yet\n")
    (tmp_path / "folder").mkdir()
    code, out, err = run_main("simulate", str(tmp_path / "empty.yaml"))
    assert (code, out) == (2, "")
    assert err.startswith("error: file holds no Kubernetes object path=")
    code, _, err = run_main("simulate", str(tmp_path / "folder"))
    assert code == 2 and "folder holds no *.yaml or *.yml file with any Kubernetes object" in err


def test_a_warning_that_reaches_the_cli_twice_is_printed_once(monkeypatch: pytest.MonkeyPatch):
    def command(args: object) -> int:
        for _ in range(2):
            logging.getLogger("harness.executors.demo").warning("local Ray differs from the image")
        return 0

    from harness.cli import validate

    monkeypatch.setattr(validate, "command", command)
    assert run_main("validate", "x.yaml") == (0, "", "Warning: local Ray differs from the image\n")
    assert not logging.getLogger("harness").handlers  # the CLI's printer is gone after the command


def test_a_starting_ray_runtime_is_shown_as_progress_and_other_info_is_not(monkeypatch: pytest.MonkeyPatch):
    def command(args: object) -> int:
        logging.getLogger("harness.executors.ray_runtime").info("starting a local Ray runtime...")
        logging.getLogger("harness.executors.ray_executor").info("job demo: a detail")
        return 0

    from harness.cli import validate

    monkeypatch.setattr(validate, "command", command)
    assert run_main("validate", "x.yaml") == (0, "", "starting a local Ray runtime...\n")


def test_the_run_summary_table_is_not_wrapped_when_piped():
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "COLUMNS": "60"}
    result = subprocess.run([sys.executable, "-m", "harness", "run", str(PROJECT / "scenarios/ttl-cleanup.yaml"),
                             "-k", "shutdown-with-ttl-deletes-only-the-raycluster"], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("│"))
    assert "shutdown-with-ttl-deletes-only-the-raycluster" in row and "passed" in row
