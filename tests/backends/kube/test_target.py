"""A kubeconfig and a context lead to an API server, or the user learns which file is wrong and how to fix it."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import yaml

from harness.backends.base import BackendSettings
from harness.backends.kube.target import KubeTarget, connect
from harness.backends.registry import backend_info
from harness.errors import InputError


def _kubeconfig(path: Path, *, server: str = "https://127.0.0.1:6443", token: str = "t", current: str | None = "a",
                contexts: tuple[str, ...] = ("a", "b")) -> Path:
    data = {"apiVersion": "v1", "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": server, "insecure-skip-tls-verify": True}}],
            "users": [{"name": "u", "user": {"token": token}}],
            "contexts": [{"name": name, "context": {"cluster": "c", "user": "u", "namespace": f"ns-{name}"}}
                         for name in contexts]}
    if current is not None:
        data["current-context"] = current
    path.write_text(yaml.safe_dump(data))
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_current_context_is_used_when_none_is_named(tmp_path):
    connection = connect(KubeTarget(_kubeconfig(tmp_path / "kc")))
    assert (connection.context, connection.default_namespace) == ("a", "ns-a")
    assert connection.server == "https://127.0.0.1:6443"


def test_a_named_context_is_used(tmp_path):
    assert connect(KubeTarget(_kubeconfig(tmp_path / "kc"), "b")).context == "b"


def test_a_missing_kubeconfig_names_the_file_and_how_to_get_one(tmp_path):
    with pytest.raises(InputError, match=r"kubeconfig=.*nope does not exist") as caught:
        connect(KubeTarget(tmp_path / "nope"))
    assert "--kubeconfig-out" in (caught.value.hint or "")


def test_a_kubeconfig_that_is_not_yaml_is_reported_at_its_line(tmp_path):
    path = tmp_path / "kc"
    path.write_text("apiVersion: v1\nclusters: [\n  - name: x\n")
    with pytest.raises(InputError, match="not valid YAML") as caught:
        connect(KubeTarget(path))
    assert caught.value.pos is not None and caught.value.pos.path == str(path) and caught.value.pos.line >= 2


def test_a_kubeconfig_that_is_not_a_mapping_says_so(tmp_path):
    path = tmp_path / "kc"
    path.write_text("- a\n- b\n")
    with pytest.raises(InputError, match="is a YAML list, not a mapping"):
        connect(KubeTarget(path))


def test_an_unknown_context_is_refused_listing_the_ones_there(tmp_path):
    with pytest.raises(InputError, match="context='c' is not in kubeconfig=") as caught:
        connect(KubeTarget(_kubeconfig(tmp_path / "kc"), "c"))
    assert caught.value.hint == "contexts there: a, b"


def test_a_kubeconfig_without_a_current_context_asks_for_one(tmp_path):
    with pytest.raises(InputError, match="has no current-context and no --context was given") as caught:
        connect(KubeTarget(_kubeconfig(tmp_path / "kc", current=None)))
    assert "pass --context NAME" in (caught.value.hint or "")


def test_a_kubeconfig_without_contexts_says_so(tmp_path):
    with pytest.raises(InputError, match="has no contexts"):
        connect(KubeTarget(_kubeconfig(tmp_path / "kc", contexts=())))


def test_a_context_whose_cluster_is_missing_is_refused_with_the_clients_reason(tmp_path):
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump({"contexts": [{"name": "a", "context": {"cluster": "gone", "user": "u"}}],
                                    "current-context": "a", "users": [{"name": "u", "user": {"token": "t"}}]}))
    with pytest.raises(InputError, match=r"context='a' of kubeconfig=.* cannot be used"):
        connect(KubeTarget(path))


def test_a_server_that_does_not_answer_is_bad_input_naming_it(tmp_path):
    port = _free_port()
    settings = BackendSettings(kubeconfig=_kubeconfig(tmp_path / "kc", server=f"https://127.0.0.1:{port}"))
    with pytest.raises(InputError, match=rf"the API server https://127.0.0.1:{port} .* does not answer") as caught:
        backend_info("kube").check_target(settings)
    assert "rayjob-harness serve" in (caught.value.hint or "")


def test_credentials_the_server_refuses_are_bad_input(tmp_path, simulator_server):
    config = yaml.safe_load(simulator_server.kubeconfig.read_text())
    config["users"][0]["user"]["token"] = "not-the-token"
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(InputError, match="refused the credentials") as caught:
        backend_info("kube").check_target(BackendSettings(kubeconfig=path))
    assert "401" in caught.value.message


def test_the_simulators_server_is_reachable_with_its_own_kubeconfig(simulator_server):
    backend_info("kube").check_target(BackendSettings(kubeconfig=simulator_server.kubeconfig))


def test_the_in_process_simulator_refuses_a_kubeconfig(tmp_path):
    with pytest.raises(InputError, match="--kubeconfig name a Kubernetes API server; backend=sim is in-process"):
        backend_info("sim").check_target(BackendSettings(kubeconfig=tmp_path / "kc"))
