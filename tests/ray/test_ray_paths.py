"""Specifications of how a job written for a head container is made local (no Ray runtime needed)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from harness.errors import InputError
from harness.executors.paths import (
    JobSetupError,
    PackageChecker,
    PathMapper,
    PathMapping,
    entrypoint_script,
    head_pod_setup,
    localize_runtime_env,
    user_mappings,
    version_warning,
)


def mapper(*pairs: tuple[str, str]) -> PathMapper:
    return PathMapper([PathMapping(c, Path(local), "test") for c, local in pairs])


def test_the_longest_container_prefix_wins() -> None:
    m = mapper(("/app", "/l/app"), ("/app/data", "/l/data"))
    assert m.to_local_text("python /app/run.py --in /app/data/x.csv") == "python /l/app/run.py --in /l/data/x.csv"


def test_paths_are_rewritten_only_at_word_boundaries() -> None:
    m = mapper(("/app", "/l/app"))
    assert m.to_local_text("python /application/x.py /srv/app/y.py --out=/app/z") == \
        "python /application/x.py /srv/app/y.py --out=/l/app/z"


def test_a_rewritten_path_is_not_rewritten_again_by_a_shorter_mapping() -> None:
    m = mapper(("/app", "/tmp/app-local"), ("/tmp", "/elsewhere"))
    assert m.to_local_text("python /app/x.py") == "python /tmp/app-local/x.py"


def test_local_paths_read_back_as_container_paths() -> None:
    m = PathMapper([PathMapping("/home/ray/samples", Path("/l/cm"), "test")], reverse_extra={"/l/rt": "/tmp/ray"})
    assert m.to_container_text('File "/l/cm/main.py", line 1 in /l/rt/session_latest/logs') == \
        'File "/home/ray/samples/main.py", line 1 in /tmp/ray/session_latest/logs'


@pytest.mark.parametrize(("entrypoint", "script"), [
    ("python /home/ray/samples/sample_code.py", "/home/ray/samples/sample_code.py"),
    ("python3 -u train.py --epochs 3", "train.py"),
    ("python -W ignore run.py", "run.py"),
    ("FOO=1 python z.py", "z.py"),
    ("bash /scripts/run.sh", "/scripts/run.sh"),
    ("cd /work && python /abs/y.py", "/abs/y.py"),
    ("cd /work && python y.py", None),
    ("python -c 'print(1)'", None),
    ("python -m pkg.module", None),
    ("echo hello", None),
    ('python "unbalanced', None),
])
def test_the_entrypoint_script_is_the_first_interpreter_argument(entrypoint: str, script: str | None) -> None:
    assert entrypoint_script(entrypoint) == script


@pytest.mark.parametrize(("ray_version", "image", "warned"), [
    ("2.60.0", "rayproject/ray:2.60.0", False),
    ("2.60.1", "rayproject/ray:2.60.3-py311-gpu", False),
    ("2.9.0", None, True),
    (None, "registry:5000/team/ray:2.41.0", True),
    (None, "rayproject/ray:latest", False),
])
def test_a_different_major_minor_ray_is_warned_about(ray_version: str | None, image: str | None,
                                                      warned: bool) -> None:
    assert (version_warning("2.60.0", ray_version=ray_version, image=image) is not None) == warned


def pod(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "head", "namespace": "team", "labels": {"ray.io/cluster": "c1"}}, "spec": spec}


def test_configmap_items_are_projected_with_their_modes(tmp_path: Path) -> None:
    configmaps = {("team", "code"): {"data": {"run.sh": "echo hi\n", "unused": "x"}}}
    setup = head_pod_setup(pod(
        volumes=[{"name": "v", "configMap": {"name": "code", "items": [{"key": "run.sh", "path": "bin/run.sh",
                                                                           "mode": 0o755}]}}],
        containers=[{"image": "rayproject/ray:2.60.0", "volumeMounts": [{"name": "v", "mountPath": "/opt/code"}]}],
    ), lambda ns, name: configmaps.get((ns, name)), tmp_path)
    (mapping,) = setup.mappings
    assert mapping.container == "/opt/code"
    script = mapping.local / "bin" / "run.sh"
    assert script.read_text() == "echo hi\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert not (mapping.local / "unused").exists()


def test_a_subpath_mount_maps_one_file(tmp_path: Path) -> None:
    configmaps = {("team", "code"): {"data": {"main.py": "print(1)\n"}}}
    setup = head_pod_setup(pod(
        volumes=[{"name": "v", "configMap": {"name": "code"}}],
        containers=[{"volumeMounts": [{"name": "v", "mountPath": "/app/main.py", "subPath": "main.py"}]}],
    ), lambda ns, name: configmaps.get((ns, name)), tmp_path)
    found = PathMapper(setup.mappings).lookup("/app/main.py")
    assert found is not None and found[0].read_text() == "print(1)\n"


def test_a_missing_configmap_and_an_unmappable_volume_are_noted(tmp_path: Path) -> None:
    setup = head_pod_setup(pod(
        volumes=[{"name": "v", "configMap": {"name": "absent"}}, {"name": "data", "persistentVolumeClaim": {}}],
        containers=[{"volumeMounts": [{"name": "v", "mountPath": "/code"}, {"name": "data", "mountPath": "/data"}]}],
    ), lambda ns, name: None, tmp_path)
    assert any("ConfigMap team/absent of volume v was not found" in note for note in setup.notes)
    assert any('volume data (persistentVolumeClaim) mounted at /data is not available locally; map it with '
               'path_map={"/data": "./local-dir"}' in note for note in setup.notes)


def test_head_container_env_resolves_values_refs_and_expansions(tmp_path: Path) -> None:
    configmaps = {("team", "settings"): {"data": {"level": "debug", "A": "1"}}}
    setup = head_pod_setup(pod(containers=[{
        "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"}],
        "env": [{"name": "BASE", "value": "/opt"},
                {"name": "DATA", "value": "$(BASE)/data and $$(BASE)"},
                {"name": "LEVEL", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "level"}}},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "CLUSTER", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['ray.io/cluster']"}}},
                {"name": "PATH", "value": "/home/ray/anaconda3/bin"},
                {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]}]),
        lambda ns, name: configmaps.get((ns, name)), tmp_path)
    assert setup.env == {"CFG_level": "debug", "CFG_A": "1", "BASE": "/opt", "DATA": "/opt/data and $(BASE)",
                         "LEVEL": "debug", "POD": "head", "CLUSTER": "c1"}
    assert any("env var TOKEN" in note for note in setup.notes)


def test_a_user_path_map_must_name_an_absolute_container_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="path_map key must be an absolute container path"):
        user_mappings({"app": "."}, tmp_path)


def test_a_user_path_map_must_point_at_an_existing_local_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="path_map local path does not exist"):
        user_mappings({"/app": "./nope"}, tmp_path)


def localize(runtime_env: dict[str, Any], tmp_path: Path, **kwargs: Any) -> dict[str, Any] | None:
    return localize_runtime_env(runtime_env, kwargs.pop("mapper", mapper()), tmp_path,
                                kwargs.pop("container_env", {}), PackageChecker(), [])


def test_job_env_vars_override_container_env_and_get_local_paths(tmp_path: Path) -> None:
    env = localize_runtime_env({"env_vars": {"SHARED": "job", "PYTHONPATH": "/app/src"}},
                               mapper(("/app", "/l/app")), tmp_path, {"SHARED": "head", "ONLY_HEAD": "1"},
                               PackageChecker(), [])
    assert env == {"env_vars": {"SHARED": "job", "ONLY_HEAD": "1", "PYTHONPATH": "/l/app/src"}}


def test_remote_py_modules_fail_with_a_path_map_hint(tmp_path: Path) -> None:
    with pytest.raises(JobSetupError) as error:
        localize({"py_modules": ["https://example.com/mod.zip"]}, tmp_path)
    assert error.value.error_type == "RUNTIME_ENV_SETUP_FAILURE"
    assert 'path_map={"https://example.com/mod.zip": "./local-dir"}' in error.value.job_message


def test_a_mapped_remote_working_dir_becomes_the_local_directory(tmp_path: Path) -> None:
    env = localize_runtime_env({"working_dir": "gs://b/code.zip"}, PathMapper(user_mappings(
        {"gs://b/code.zip": "."}, tmp_path)), tmp_path, {}, PackageChecker(), [])
    assert env == {"working_dir": str(tmp_path)}


def test_a_missing_local_working_dir_fails_before_submission(tmp_path: Path) -> None:
    with pytest.raises(JobSetupError, match="runtime_env working_dir=/app does not exist locally"):
        localize({"working_dir": "/app"}, tmp_path, mapper=mapper(("/app", str(tmp_path / "gone"))))


def test_installed_pip_packages_are_dropped_from_the_runtime_env(tmp_path: Path) -> None:
    notes: list[str] = []
    env = localize_runtime_env({"pip": ["PyYAML>=5", "pytest"]}, mapper(), tmp_path, {}, PackageChecker(), notes)
    assert env is None
    assert notes == ["runtime_env pip packages are installed locally; no virtualenv is built"]


def test_container_runtime_envs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(JobSetupError, match="runtime_env image_uri needs a container runtime"):
        localize({"image_uri": "rayproject/ray:2.60.0"}, tmp_path)
