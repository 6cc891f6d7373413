"""Running provisioning commands for real: output logged and shown live, failures explained, a command that runs
too long stopped with everything it started; diagnostics gathered without hiding the failure they document."""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

import pytest

from harness._util import procs
from harness.backends.kind.commands import Command, Target
from harness.backends.kind.diagnostics import collect
from harness.backends.kind.errors import ProvisioningError
from harness.backends.kind.progress import LineProgress
from harness.backends.kind.toolrun import execute, query


class Recorder:
    def __init__(self) -> None:
        self.details: list[str] = []

    def update(self, detail: str) -> None:
        self.details.append(detail)


def test_a_command_runs_to_the_end_with_its_output_logged(tmp_path: Path):
    log = tmp_path / "logs" / "tool.log"
    result = execute(Command(("sh", "-c", "echo preparing nodes; echo done >&2"), "Trying"), log=log)
    assert result.returncode == 0 and "preparing nodes" in result.output and "done" in result.output
    assert log.read_text().startswith("$ sh -c 'echo preparing nodes; echo done >&2'\n")


def test_the_live_detail_is_the_commands_latest_output_line(tmp_path: Path):
    step = Recorder()
    execute(Command(("sh", "-c", "echo ' ✓ Preparing nodes'; sleep 0.6; echo ' • Writing configuration'; sleep 0.6"),
                    "Creating"), log=tmp_path / "tool.log", step=step)
    assert "✓ Preparing nodes" in step.details and "• Writing configuration" in step.details


def test_a_failing_command_is_an_error_with_its_output_tail_and_log(tmp_path: Path):
    log = tmp_path / "tool.log"
    with pytest.raises(ProvisioningError) as caught:
        execute(Command(("sh", "-c", "echo 'ERROR: failed to create cluster: node(s) already exist'; exit 3"),
                        "Creating kind cluster x"), log=log)
    message = str(caught.value)
    assert message.startswith("Creating kind cluster x failed (exit 3)")
    assert "| ERROR: failed to create cluster: node(s) already exist" in message
    assert f"see the full output in {log}" in message


def test_a_command_past_its_time_limit_is_stopped_with_its_children(tmp_path: Path):
    marker = tmp_path / "child.pid"
    command = Command(("sh", "-c", f"sleep 60 & echo $! > {marker}; wait"), "Hanging", timeout=1.0)
    started = time.monotonic()
    with pytest.raises(ProvisioningError, match="did not finish within 1s; it was stopped"):
        execute(command, log=tmp_path / "tool.log")
    assert time.monotonic() - started < 15
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while procs.pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not procs.pid_alive(child)


def test_a_missing_tool_is_an_error_saying_to_install_it(tmp_path: Path):
    with pytest.raises(ProvisioningError, match="check that no-such-tool-here is installed"):
        query(Command(("no-such-tool-here", "version"), "Asking"))


def test_line_progress_shows_start_live_details_and_end_with_elapsed_time():
    now = [0.0]
    out = io.StringIO()
    progress = LineProgress(out, clock=lambda: now[0], every=5.0)
    with progress.step("Pulling rayproject/ray:2.52.0") as step:
        now[0] = 2.0
        step.update("10/900 MiB")  # too soon after the start: not shown
        now[0] = 6.0
        step.update("300/900 MiB")
        now[0] = 42.0
    assert out.getvalue().splitlines() == ["==> Pulling rayproject/ray:2.52.0", "    ... 300/900 MiB (6s)",
                                           "  ok Pulling rayproject/ray:2.52.0 (42s)"]


def test_line_progress_says_when_a_step_failed():
    out = io.StringIO()
    with pytest.raises(RuntimeError), LineProgress(out, clock=lambda: 0.0).step("Installing KubeRay"):
        raise RuntimeError("boom")
    assert out.getvalue().splitlines()[-1] == "  x Installing KubeRay: failed after 0s"


def test_diagnostics_of_an_unreachable_cluster_record_what_could_not_be_had(tmp_path: Path):
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters:\n- name: kind-gone\n  cluster:\n"
                          "    server: https://127.0.0.1:1\n    insecure-skip-tls-verify: true\ncontexts:\n"
                          "- name: kind-gone\n  context: {cluster: kind-gone, user: kind-gone}\nusers:\n"
                          "- name: kind-gone\n  user: {token: x}\ncurrent-context: kind-gone\n")
    env = dict(os.environ, PATH=os.path.dirname(shutil.which("kubectl") or ""))  # no kind on this PATH
    collected = collect(Target("gone", kubeconfig), tmp_path / "diag", operator_namespace="kuberay-system",
                        namespaces=["rh-ttl-1234"], env=env)
    index = (tmp_path / "diag" / "index.txt").read_text()
    assert "Diagnostics of kind cluster gone (context kind-gone)" in index
    missing = dict(collected.missing)
    assert set(missing) >= {"operator.log", "events-all-namespaces.txt", "events-rh-ttl-1234.txt", "kind-logs/"}
    assert "connection refused" in missing["operator.log"] or "refused" in index
    assert "kind could not be started" in missing["kind-logs/"]
