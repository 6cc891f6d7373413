"""Preflight: what a person is told when Docker, kind, kubectl or Helm is missing or too old, or the engine is
small. Checked for real against this machine (no engine runs here) and, for the verdicts, on the facts found."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from fake_engine import FakeEngine

from conftest import cli
from harness.backends.kind.engine import EngineInfo, connect, engine_host
from harness.backends.kind.errors import ProvisioningError
from harness.backends.kind.preflight import GiB, Needs, judge_resources, judge_tools, run_preflight
from harness.backends.kind.tools import (
    DOCKER_CLI,
    GIT,
    HELM,
    KIND,
    KUBECTL,
    ToolStatus,
    parse_helm_version,
    parse_kind_version,
    parse_kubectl_version,
    probe,
)

NO_ENGINE = "unix:///tmp/rayjob-harness-no-engine-here.sock"


def _status(spec, version, path="/usr/bin/x"):
    return ToolStatus(spec, path if version is not False else None, version or None)


def _tools(kind=(0, 31, 0), kubectl=(1, 32, 4), docker=(28, 2, 2), helm=(3, 12, 2), git=(2, 39, 5)):
    return {"kind": _status(KIND, kind), "kubectl": _status(KUBECTL, kubectl), "docker": _status(DOCKER_CLI, docker),
            "helm": _status(HELM, helm), "git": _status(GIT, git)}


def _only_on_path(tmp_path: Path, *tools: str) -> dict[str, str]:
    """An environment whose PATH holds links to the named real tools only."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in tools:
        real = shutil.which(tool)
        if real is None:
            pytest.skip(f"{tool} is not installed on this machine")
        (folder / tool).symlink_to(real)
    return dict(os.environ, PATH=str(folder), DOCKER_HOST=NO_ENGINE)


# -- this machine, for real ------------------------------------------------------------------------------------


def test_without_an_engine_connecting_names_docker_and_how_to_start_it():
    with pytest.raises(ProvisioningError) as caught:
        connect({"DOCKER_HOST": NO_ENGINE})
    message = str(caught.value)
    assert f"the Docker engine is not reachable at {NO_ENGINE}" in message
    assert "systemctl start docker" in message and "DOCKER_HOST" in message


def test_preflight_lists_every_problem_at_once(tmp_path: Path):
    env = _only_on_path(tmp_path, "kubectl")
    engine, report = run_preflight(Needs(), env)
    assert engine is None
    assert [problem.check for problem in report.problems] == ["docker", "kind", "docker", "helm"]
    assert "kind is not on PATH" in str(report.problems[1])
    assert "go install sigs.k8s.io/kind@v0.31.0" in report.problems[1].hint
    assert "neither Helm nor git is usable" in str(report.problems[3])


def test_the_real_kubectl_is_found_and_its_version_read(tmp_path: Path):
    status = probe(KUBECTL, _only_on_path(tmp_path, "kubectl"))
    assert status.found and status.version is not None and status.version >= (1, 23, 0)


def test_a_tool_that_prints_no_version_is_reported_with_its_output(tmp_path: Path):
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "kind"
    script.write_text("#!/bin/sh\necho 'something else entirely'\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    problems, _, _ = judge_tools(_tools() | {"kind": probe(KIND, {"PATH": str(folder)})}, Needs())
    assert problems[0].message == f"kind at {script} did not report a version (something else entirely)"


def test_cluster_up_without_an_engine_exits_1_naming_docker_and_the_fix_without_a_traceback(tmp_path: Path):
    env = dict(os.environ, DOCKER_HOST=NO_ENGINE, RAYJOB_HARNESS_STATE=str(tmp_path))
    result = cli("cluster", "up", "--name", "rh-preflight", env=env)
    assert result.returncode == 1
    assert "the Docker engine is not reachable" in result.stderr
    assert "Hint: start Docker" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "clusters" / "rh-preflight").exists()


def test_cluster_status_and_down_without_an_engine_name_docker_too(tmp_path: Path):
    env = dict(os.environ, DOCKER_HOST=NO_ENGINE, RAYJOB_HARNESS_STATE=str(tmp_path))
    for args in (("cluster", "status"), ("cluster", "down", "--all")):
        result = cli(*args, env=env)
        assert result.returncode == 1, args
        assert "Docker engine is not reachable" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (("--kuberay-version", "9.9"), "kuberay version='9.9' has no install profile"),
    (("--k8s-version", "1.20"), "kubernetes version='1.20' has no pinned kind node image"),
    (("--name", "Not_Valid"), "cluster name='Not_Valid' is not a valid kind cluster name"),
    (("--feature-gates", "NoSuchGate=true"), "feature gate name='NoSuchGate' is unknown"),
    (("--operator-env", "NOEQUALS"), "is not NAME=VALUE"),
    (("--wait", "soon"), "--wait: duration='soon' is not a duration"),
])
def test_bad_cluster_up_input_exits_2_before_anything_is_checked_or_touched(args, message, tmp_path: Path):
    env = dict(os.environ, DOCKER_HOST=NO_ENGINE, RAYJOB_HARNESS_STATE=str(tmp_path))
    result = cli("cluster", "up", *args, env=env)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Hint:" in result.stderr
    assert "Docker" not in result.stderr  # refused before preflight


def test_dry_run_prints_the_plan_and_touches_nothing(tmp_path: Path):
    env = dict(os.environ, DOCKER_HOST=NO_ENGINE, RAYJOB_HARNESS_STATE=str(tmp_path))
    result = cli("cluster", "up", "--dry-run", "--kuberay-version", "1.6", "--scenarios", "scenarios/", env=env)
    assert result.returncode == 0, result.stderr
    assert "KubeRay v1.6.2 on Kubernetes 1.35.0" in result.stdout
    assert "kind load docker-image rayproject/ray:2.52.0 --name rayjob-harness" in result.stdout
    assert "--version 1.6.2" in result.stdout
    assert list(tmp_path.iterdir()) == []


# -- verdicts on what was found -------------------------------------------------------------------------------


def test_a_kind_older_than_the_node_images_release_is_refused_with_the_reason():
    needs = Needs(kind_minimum=(0, 32, 0), kind_reason="kindest/node v1.36.1 was published with kind v0.32.0")
    problems, _, _ = judge_tools(_tools(kind=(0, 31, 0)), needs)
    assert [str(p).splitlines()[0] for p in problems] == [
        "kind 0.31.0 is older than 0.32.0 (kindest/node v1.36.1 was published with kind v0.32.0)"]


def test_without_helm_the_release_manifests_are_used_and_the_person_is_told():
    problems, notes, method = judge_tools(_tools(helm=False), Needs())
    assert problems == [] and method == "manifests"
    assert notes == ["Helm is not available: KubeRay will be installed from the release manifests"]


def test_helm_is_preferred_when_it_is_installed():
    assert judge_tools(_tools(), Needs())[2] == "helm"


def test_asking_for_helm_without_helm_is_a_problem():
    problems, _, method = judge_tools(_tools(helm=False), Needs(install="helm"))
    assert method is None and [p.check for p in problems] == ["helm"]


def test_asking_for_manifests_without_git_is_a_problem():
    problems, _, method = judge_tools(_tools(git=False), Needs(install="manifests"))
    assert method is None and [p.check for p in problems] == ["git"]


def test_helm_2_is_too_old():
    problems, _, _ = judge_tools(_tools(helm=(2, 17, 0)), Needs(install="helm"))
    assert "helm 2.17.0 is older than 3.0.0" in str(problems[0])


def _info(memory: float) -> EngineInfo:
    return EngineInfo("unix:///var/run/docker.sock", "27.0", int(memory * GiB), 2, "/var/lib/docker", "Linux")


def test_an_engine_with_less_than_4_gib_is_a_problem_saying_where_to_give_it_more():
    problems, _ = judge_resources(_info(2), 100 * GiB)
    assert problems[0].check == "memory" and "Settings > Resources" in problems[0].hint


def test_an_engine_with_6_gib_is_allowed_with_a_warning():
    problems, notes = judge_resources(_info(6), 100 * GiB)
    assert problems == [] and "may be evicted" in notes[0]


def test_little_free_disk_is_a_problem_and_an_unknown_disk_is_a_note():
    assert judge_resources(_info(16), 5 * GiB)[0][0].check == "disk"
    problems, notes = judge_resources(_info(16), None)
    assert problems == [] and "was not checked" in notes[0]


def test_a_reachable_engine_with_enough_of_everything_passes_preflight(tmp_path: Path):
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("kubectl", "docker", "git"):
        real = shutil.which(tool)
        if real is None:
            pytest.skip(f"{tool} is not installed")
        (folder / tool).symlink_to(real)
    kind = folder / "kind"
    kind.write_text("#!/bin/sh\necho 'kind v0.31.0 go1.25.5 linux/amd64'\n")
    kind.chmod(0o755)
    with FakeEngine(root_dir=str(tmp_path)) as engine:
        connected, report = run_preflight(Needs(), {"PATH": str(folder), "DOCKER_HOST": engine.host})
        assert connected is not None
        connected.close()
    assert report.problems == () and report.install == "manifests"
    assert report.engine is not None and report.engine.mem_total == 16 * GiB


# -- parsing versions --------------------------------------------------------------------------------------------


def test_versions_are_read_from_each_tools_own_output_format():
    assert parse_kind_version("kind v0.31.0 go1.26.8 linux/amd64") == (0, 31, 0)
    assert parse_helm_version("v3.12.2+g1e210a2") == (3, 12, 2)
    assert parse_kubectl_version('{"clientVersion": {"gitVersion": "v1.32.4-dispatcher"}}') == (1, 32, 4)
    assert parse_kubectl_version("not json") is None


def test_docker_host_wins_over_the_docker_context():
    assert engine_host({"DOCKER_HOST": "tcp://10.0.0.1:2376"}) == "tcp://10.0.0.1:2376"
