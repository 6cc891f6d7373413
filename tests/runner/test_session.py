"""Scenarios written in Python: steps as methods, run at once, failing with the scenario diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.errors import HarnessError, ScenarioError
from harness.runner import RunOptions, ScenarioFailure, ScenarioSession, create_backend
from harness.scenario.loader import display_path

DATA = Path(__file__).parent / "data"
HERE = display_path(Path(__file__))  # as messages show it: relative to the working directory


@pytest.fixture
def session() -> Iterator[ScenarioSession]:
    s = ScenarioSession("python-scenario", base_dir=DATA, options=RunOptions(kuberay_version="1.7"),
                        factory=create_backend)
    yield s
    s.close()


def test_steps_run_at_once_and_save_returns_the_value(session: ScenarioSession) -> None:
    session.configure(executor={"runtime": "5s"})
    session.apply("manifests/rayjob-ttl.yaml")
    session.wait(rayjob="rayjob-ttl", until={"status.jobDeploymentStatus": "Complete"})
    cluster = session.save(cluster="rayjob-ttl.status.rayClusterName")
    assert cluster.startswith("rayjob-ttl-") and session.binding("cluster") == cluster
    assert session.advance("40s") == "advanced 40s of virtual time"
    session.expect(absent={"raycluster": "${cluster}"})
    assert [r.status for r in session.results] == ["passed"] * 5
    assert session.namespace == "python-scenario"


def test_a_failing_step_raises_an_assertion_error_pointing_at_the_calling_line(session: ScenarioSession) -> None:
    session.apply("manifests/rayjob-ttl.yaml")
    with pytest.raises(ScenarioFailure) as caught:
        session.expect(rayjob="rayjob-ttl", status={"jobStatus": "SUCCEEDED"})
    text = str(caught.value)
    assert text.startswith(f"Step expect failed at {HERE}:")
    assert "session.expect(rayjob=" in text
    assert "status.jobStatus: expected 'SUCCEEDED', got missing" in text


def test_a_malformed_step_is_a_scenario_error_at_the_calling_line(session: ScenarioSession) -> None:
    with pytest.raises(ScenarioError) as caught:
        session.wait(rayjob="a", until="soon")
    assert caught.value.pos is not None and caught.value.pos.path == HERE
    assert "wait until='soon' is not understood" in caught.value.message


def test_settings_must_come_before_the_first_step(session: ScenarioSession) -> None:
    session.advance("1s")
    with pytest.raises(HarnessError, match="configure\\(\\) after the first step"):
        session.configure(timeouts={"wait": "1m"})


def test_an_unknown_setting_is_rejected(session: ScenarioSession) -> None:
    with pytest.raises(HarnessError, match="setting='executer' is unknown"):
        session.configure(executer={"runtime": "1s"})


def test_a_user_ray_job_submission_is_a_method_too(session: ScenarioSession) -> None:
    session.configure(executor={"runtime": "10s"})
    session.apply("manifests/rayjob-interactive.yaml")
    session.wait(rayjob="notebook-job", until={"status.jobDeploymentStatus": "Waiting"})
    note = session.ray_job_submit(rayjob="notebook-job", submission_id="by-hand-1", entrypoint="python x.py")
    assert note == "submitted Ray job 'by-hand-1' to the cluster of RayJob/notebook-job"
    session.patch(rayjob="notebook-job", merge={"spec": {"jobId": "by-hand-1"}})
    session.wait(rayjob="notebook-job", until={"status.jobDeploymentStatus": "Complete"})
    session.expect(rayjob="notebook-job", status={"jobStatus": "SUCCEEDED", "jobId": "by-hand-1"})
