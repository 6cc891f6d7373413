"""Only clusters the harness made are reused or deleted, and only through a context that leads to them.

The verdicts are checked on facts; the whole path (the docker SDK reading node configs, the docker client and the
real kind binary deleting containers) against a fake engine that records what it was asked to do.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from fake_engine import FakeEngine, kind_node

from conftest import cli
from harness.backends.kind.engine import connect
from harness.backends.kind.ownership import (
    OWNER_LABEL,
    OWNER_VALUE,
    ClusterFacts,
    context_problem,
    group_clusters,
    labels_from_kubeadm_config,
    plan_teardown,
)

OURS = {OWNER_LABEL: OWNER_VALUE}


def _facts(engine: FakeEngine) -> list[ClusterFacts]:
    with connect({"DOCKER_HOST": engine.host}) as connected:
        return group_clusters(connected.kind_nodes())


# -- reading the mark ------------------------------------------------------------------------------------------


def test_node_labels_are_read_from_a_kubeadm_v1beta3_config_as_kind_writes_it():
    text = kind_node("c", node_labels={OWNER_LABEL: OWNER_VALUE, "tier": "ray"}).files["/kind/kubeadm.conf"]
    assert labels_from_kubeadm_config(text.decode()) == {OWNER_LABEL: OWNER_VALUE, "tier": "ray"}


def test_node_labels_are_read_from_a_kubeadm_v1beta4_list_of_arguments():
    text = ("apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration:\n  kubeletExtraArgs:\n"
            "  - name: node-ip\n    value: 172.18.0.2\n"
            f"  - name: node-labels\n    value: {OWNER_LABEL}={OWNER_VALUE}\n")
    assert labels_from_kubeadm_config(text) == OURS


def test_a_config_that_does_not_parse_carries_no_labels():
    assert labels_from_kubeadm_config("{{{ not yaml") == {}


def test_the_engine_reports_which_clusters_carry_the_harnesss_mark(fake_engine: FakeEngine):
    fake_engine.add(kind_node("ours", node_labels=OURS), kind_node("ours", "worker", node_labels=OURS),
                    kind_node("theirs", node_labels={"tier": "ray"}, api_port=40001))
    facts = {cluster.name: cluster for cluster in _facts(fake_engine)}
    assert facts["ours"].owned and len(facts["ours"].nodes) == 2
    assert facts["ours"].api_server == ("127.0.0.1", 40000)
    assert not facts["theirs"].owned
    assert "lack the label" in facts["theirs"].ownership_note()


def test_a_cluster_whose_node_config_cannot_be_read_is_not_proven_ours(fake_engine: FakeEngine):
    fake_engine.add(kind_node("unknown", readable=False))
    (facts,) = _facts(fake_engine)
    assert not facts.owned and "cannot be read" in facts.ownership_note()


def test_a_cluster_is_ours_only_if_every_control_plane_node_carries_the_mark(fake_engine: FakeEngine):
    first = kind_node("ha", node_labels=OURS)
    second = kind_node("ha", node_labels={})
    second.name = "ha-control-plane2"
    fake_engine.add(first, second)
    assert not _facts(fake_engine)[0].owned


# -- the teardown plan -----------------------------------------------------------------------------------------


def test_down_all_plans_to_delete_only_the_harnesss_clusters(fake_engine: FakeEngine):
    fake_engine.add(kind_node("a", node_labels=OURS), kind_node("b", node_labels={}), kind_node("c", node_labels=OURS))
    plan = plan_teardown(_facts(fake_engine), everything=True)
    assert plan.delete == ("a", "c")
    assert [name for name, _ in plan.left_alone] == ["b"]


def test_a_named_cluster_that_does_not_exist_is_reported_missing(fake_engine: FakeEngine):
    fake_engine.add(kind_node("a", node_labels=OURS))
    assert plan_teardown(_facts(fake_engine), names=["a", "zz"]).missing == ("zz",)


# -- through the CLI: the docker client and the real kind act on the engine -------------------------------------------


def test_status_lists_every_kind_cluster_and_says_which_are_the_harnesss(fake_engine, engine_env):
    fake_engine.add(kind_node("ours", node_labels=OURS), kind_node("theirs", api_port=40001, state="exited"))
    result = cli("cluster", "status", "--format", "json", env=engine_env)
    assert result.returncode == 0, result.stderr
    found = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert found["ours"]["owned"] is True and found["ours"]["running"] is True
    assert found["ours"]["api_server"] == "https://127.0.0.1:40000"
    assert found["theirs"]["owned"] is False and found["theirs"]["running"] is False


def test_down_refuses_a_named_cluster_the_harness_did_not_create_and_deletes_nothing(fake_engine, engine_env):
    fake_engine.add(kind_node("ours", node_labels=OURS), kind_node("theirs"))
    result = cli("cluster", "down", "--name", "ours", "--name", "theirs", env=engine_env)
    assert result.returncode == 2
    assert "refusing to delete kind cluster theirs" in result.stderr and "Hint:" in result.stderr
    assert fake_engine.deletions() == [] and fake_engine.cluster_names() == {"ours", "theirs"}


def test_down_all_deletes_only_the_harnesss_clusters_with_the_real_kind(fake_engine, kind_env):
    fake_engine.add(kind_node("ours", node_labels=OURS), kind_node("ours", "worker", node_labels=OURS),
                    kind_node("theirs"), kind_node("unreadable", readable=False),
                    kind_node("mine-too", node_labels=OURS))
    result = cli("cluster", "down", "--all", env=kind_env)
    assert result.returncode == 0, result.stderr
    assert fake_engine.cluster_names() == {"theirs", "unreadable"}
    assert sorted(path.split("/")[3].split("?")[0] for path in fake_engine.deletions()) == [
        "mine-too-control-plane", "ours-control-plane", "ours-worker"]
    assert "deleted kind cluster ours" in result.stdout and "left alone kind cluster theirs" in result.stdout


def test_down_removes_the_harnesss_state_of_the_deleted_cluster(fake_engine, kind_env, state_dir):
    fake_engine.add(kind_node("ours", node_labels=OURS))
    folder = state_dir / "clusters" / "ours"
    folder.mkdir(parents=True)
    (folder / "record.json").write_text("{}")
    result = cli("cluster", "down", "--name", "ours", env=kind_env)
    assert result.returncode == 0, result.stderr
    assert not folder.exists()


def test_up_refuses_to_reuse_a_cluster_of_that_name_the_harness_did_not_create(fake_engine, engine_env, tmp_path):
    fake_engine.add(kind_node("theirs"))
    fake_engine.root_dir = str(tmp_path)
    env = dict(engine_env, PATH=_path_with_tools(tmp_path))
    result = cli("cluster", "up", "--name", "theirs", env=env)
    assert result.returncode == 2, result.stderr
    assert "a kind cluster named theirs already exists" in result.stderr
    assert "never reuses or deletes a cluster it did not create" in result.stderr
    assert fake_engine.deletions() == [] and not any(m == "POST" for m, _ in fake_engine.requests)


def _path_with_tools(tmp_path: Path) -> str:
    """PATH with the real kubectl, docker and git, and kind (the real one when installed, else a version stub:
    this path never runs kind)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("kubectl", "docker", "git"):
        real = shutil.which(tool)
        if real is None:
            pytest.skip(f"{tool} is not installed")
        (folder / tool).symlink_to(real)
    real_kind = shutil.which("kind")
    if real_kind:
        (folder / "kind").symlink_to(real_kind)
    else:
        (folder / "kind").write_text("#!/bin/sh\necho 'kind v0.31.0 go1.25.5 linux/amd64'\n")
        (folder / "kind").chmod(0o755)
    return str(folder)


# -- the context guard ---------------------------------------------------------------------------------------------


def _kubeconfig(tmp_path: Path, server: str) -> dict:
    """A kubeconfig written by the real kubectl, as kind would write it for cluster rh."""
    if shutil.which("kubectl") is None:
        pytest.skip("kubectl is not installed")
    path = tmp_path / "kubeconfig"
    env = dict(os.environ, KUBECONFIG=str(path))
    for args in (["set-cluster", "kind-rh", f"--server={server}"], ["set-credentials", "kind-rh", "--token=x"],
                 ["set-context", "kind-rh", "--cluster=kind-rh", "--user=kind-rh"]):
        subprocess.run(["kubectl", "config", *args], env=env, check=True, capture_output=True)
    return yaml.safe_load(path.read_text())


def test_a_context_leading_to_the_clusters_published_port_is_accepted(tmp_path: Path):
    assert context_problem(_kubeconfig(tmp_path, "https://127.0.0.1:40000"), "kind-rh", ("127.0.0.1", 40000)) is None


def test_a_context_pointing_at_another_server_is_refused_with_both_addresses(tmp_path: Path):
    problem = context_problem(_kubeconfig(tmp_path, "https://prod.example.com:6443"), "kind-rh", ("127.0.0.1", 40000))
    assert problem == ("context 'kind-rh' points at https://prod.example.com:6443, but the kind cluster's API server "
                       "is published at 127.0.0.1:40000")


def test_a_context_on_the_right_host_but_another_port_is_refused(tmp_path: Path):
    assert context_problem(_kubeconfig(tmp_path, "https://127.0.0.1:40001"), "kind-rh", ("127.0.0.1", 40000))


def test_a_missing_context_is_refused(tmp_path: Path):
    assert context_problem(_kubeconfig(tmp_path, "https://127.0.0.1:40000"), "kind-other", ("127.0.0.1", 40000)) \
        == "the kubeconfig has no context 'kind-other'"
