"""``rayjob-harness serve`` and ``rayjob-harness advance`` as a person runs them, in a real process."""

from __future__ import annotations

import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml


@dataclass
class Served:
    process: subprocess.Popen[str]
    kubeconfig: Path
    banner: list[str]


def _start(tmp_path: Path, *args: str) -> Served:
    kubeconfig = tmp_path / "kc"
    process = subprocess.Popen([sys.executable, "-m", "harness", "serve", "--kubeconfig-out", str(kubeconfig), *args],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line.rstrip("\n"))
        if line.startswith("Ctrl-C"):
            return Served(process, kubeconfig, banner)
    process.kill()
    raise AssertionError(f"serve did not start: {banner}\n{process.stderr.read() if process.stderr else ''}")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    running = _start(tmp_path, "--executor", "scripted", "--pacing", "Manual")
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait(timeout=30)


def _harness(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", *args], capture_output=True, text=True, timeout=60)


def test_serve_prints_where_it_listens_and_writes_a_private_kubeconfig(served: Served):
    assert any(line.strip().startswith("API server  https://127.0.0.1:") for line in served.banner)
    assert stat.S_IMODE(served.kubeconfig.stat().st_mode) == 0o600
    config = yaml.safe_load(served.kubeconfig.read_text())
    assert config["current-context"] == "rayjob-harness-simulator"


def test_advance_fast_forwards_the_servers_virtual_time(served: Served):
    result = _harness("advance", "90m", "--kubeconfig", str(served.kubeconfig))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("advanced 1h30m: virtual time is now ")


def test_sigterm_stops_the_server_and_removes_its_kubeconfig(served: Served):
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    assert not served.kubeconfig.exists()


def test_ctrl_c_stops_the_server(served: Served):
    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(timeout=30) == 0
    assert not served.kubeconfig.exists()


def test_advance_without_a_readable_kubeconfig_exits_2_with_a_hint(tmp_path: Path):
    result = _harness("advance", "1h", "--kubeconfig", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "cannot be read" in result.stderr and "Hint:" in result.stderr and "Traceback" not in result.stderr


def test_advance_against_a_stopped_server_exits_2(served: Served, tmp_path: Path):
    copy = tmp_path / "copy"
    copy.write_text(served.kubeconfig.read_text())
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(timeout=30)
    result = _harness("advance", "1h", "--kubeconfig", str(copy))
    assert result.returncode == 2 and "cannot be reached" in result.stderr


def test_advance_with_a_bad_duration_exits_2():
    result = _harness("advance", "soon")
    assert result.returncode == 2 and "not a duration" in result.stderr


def test_serve_on_a_port_in_use_exits_2_with_a_hint(tmp_path: Path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = _harness("serve", "--executor", "scripted", "--port", str(port),
                          "--kubeconfig-out", str(tmp_path / "kc"))
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "--port" in result.stderr
    assert not (tmp_path / "kc").exists()


def test_serve_refuses_an_operator_setting_it_does_not_model(tmp_path: Path):
    result = _harness("serve", "--executor", "scripted", "--feature-gates", "NoSuchGate=true",
                      "--kubeconfig-out", str(tmp_path / "kc"))
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_serve_leaves_no_temporary_tls_files_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    env_tmp = tmp_path / "tmp"
    env_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(env_tmp))
    running = _start(tmp_path, "--executor", "scripted")
    assert any(env_tmp.iterdir())
    running.process.send_signal(signal.SIGTERM)
    running.process.wait(timeout=30)
    assert not any(env_tmp.iterdir())


def test_a_server_stopping_leaves_a_kubeconfig_another_server_rewrote(tmp_path: Path):
    first = _start(tmp_path, "--executor", "scripted")
    second = _start(tmp_path, "--executor", "scripted")  # the same --kubeconfig-out: it now points at the second
    try:
        second_config = first.kubeconfig.read_text()
        first.process.send_signal(signal.SIGTERM)
        first.process.wait(timeout=30)
        assert first.kubeconfig.read_text() == second_config
    finally:
        second.process.send_signal(signal.SIGTERM)
        second.process.wait(timeout=30)
    assert not second.kubeconfig.exists()
