"""Expected outcomes (``--expect [RAYJOB=]STATUS[:REASON]``), how a RayJob's outcome is read, and the verdict."""

from __future__ import annotations

import pytest

from harness.backends.base import BackendSettings
from harness.backends.registry import backend_info
from harness.errors import InputError
from harness.executors import ExecutorSettings, JobScript, JobScripts
from harness.model.enums import JobDeploymentStatus, JobFailedReason
from harness.runner.outcomes import (
    DEFAULT,
    Expectation,
    RayJobOutcome,
    expectations_for,
    judge,
    outcome_of,
    parse_expectation,
    rayjobs_seen,
)
from tests.backends.manifests import rayjob


def outcome(deployment: JobDeploymentStatus, reason: str = "", name: str = "job") -> RayJobOutcome:
    return RayJobOutcome(namespace="default", name=name, deployment=deployment, job_status="", reason=reason,
                         message="", succeeded=0, failed=0, since=0.0, previous=None)


def test_a_status_alone_is_expected_of_every_rayjob():
    assert parse_expectation("Failed") == Expectation(JobDeploymentStatus.FAILED)


def test_status_and_reason_are_read_case_insensitively():
    assert parse_expectation("failed:deadlineexceeded") == Expectation(JobDeploymentStatus.FAILED,
                                                                       JobFailedReason.DEADLINE_EXCEEDED)


def test_a_rayjob_name_before_the_equals_sign_limits_the_expectation_to_it():
    expectation = parse_expectation("team/nightly=Suspended")
    assert expectation.rayjob == "team/nightly"
    assert expectation.names("team", "nightly") and not expectation.names("other", "nightly")
    assert parse_expectation("nightly=Suspended").names("any", "nightly")


@pytest.mark.parametrize("text, message", [
    ("Completed", "status='Completed' is not one KubeRay 1.7 sets"),
    ("New", "status='New' is not one KubeRay 1.7 sets"),
    ("Failed:Timeout", "reason='Timeout' is not one KubeRay 1.7 sets"),
    ("Suspended:AppFailed", "a RayJob that is Suspended has no reason"),
    ("=Failed", "is not [RAYJOB=]STATUS[:REASON]"),
    ("", "is not [RAYJOB=]STATUS[:REASON]"),
])
def test_what_is_not_an_outcome_is_refused_naming_the_problem(text: str, message: str):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_expectation(text)


def test_a_near_miss_gets_a_did_you_mean():
    with pytest.raises(InputError) as caught:
        parse_expectation("Failed:SubmisionFailed")
    assert caught.value.hint is not None and caught.value.hint.startswith("did you mean SubmissionFailed?")


def test_expectations_must_name_rayjobs_of_the_run_once_each():
    jobs = [("default", "a"), ("team", "b")]
    assert [e.rayjob for e in expectations_for(["Complete", "team/b=Failed"], jobs)] == [None, "team/b"]
    with pytest.raises(InputError, match="names RayJob 'c', which the manifests do not define"):
        expectations_for(["c=Failed"], jobs)
    with pytest.raises(InputError, match="gives RayJob 'b' two outcomes"):
        expectations_for(["b=Failed", "team/b=Complete"], jobs)
    with pytest.raises(InputError, match="given 2 times for every RayJob"):
        expectations_for(["Failed", "Complete"], jobs)


def test_each_rayjob_is_judged_by_its_own_expectation_else_the_general_one_else_complete():
    named, general = parse_expectation("b=Suspended"), parse_expectation("Failed")
    verdicts = judge([outcome(JobDeploymentStatus.FAILED, name="a"), outcome(JobDeploymentStatus.SUSPENDED,
                                                                             name="b")], [named, general])
    assert [(v.expected, v.met) for v in verdicts] == [(general, True), (named, True)]
    assert judge([outcome(JobDeploymentStatus.FAILED)], [])[0].expected == DEFAULT


def test_a_reason_must_match_when_one_is_asked_for():
    failed = outcome(JobDeploymentStatus.FAILED, reason="AppFailed")
    assert judge([failed], [parse_expectation("Failed:AppFailed")])[0].met
    assert not judge([failed], [parse_expectation("Failed:SubmissionFailed")])[0].met
    assert judge([failed], [parse_expectation("Failed")])[0].met


def _sim(**env: str):
    scripts = JobScripts(default=JobScript(runtime=5.0, exit_code=1))
    return backend_info("sim").create(BackendSettings(executor=ExecutorSettings(name="scripted", scripts=scripts),
                                                      operator_env=env))


def test_the_outcome_of_a_rayjob_is_its_status_and_the_state_it_came_from():
    backend = _sim()
    try:
        backend.apply(rayjob(), namespace="default")
        assert backend.capabilities.settle is not None and backend.capabilities.settle.settle(3600)
        found = outcome_of(backend.journal, "default", "contract", backend.get("RayJob", "contract",
                                                                                namespace="default"))
        assert (found.deployment, found.reason, found.job_status, found.failed) == (
            JobDeploymentStatus.FAILED, "AppFailed", "FAILED", 1)
        assert found.previous is JobDeploymentStatus.RUNNING and found.deleted_at is None and found.since > 0
    finally:
        backend.close()


def test_a_rayjob_deleted_during_the_run_keeps_its_last_status_from_the_journal():
    backend = _sim(DELETE_RAYJOB_CR_AFTER_JOB_FINISHES="true")
    try:
        backend.apply(rayjob(shutdownAfterJobFinishes=True, ttlSecondsAfterFinished=5), namespace="default")
        assert backend.capabilities.settle is not None and backend.capabilities.settle.settle(3600)
        assert backend.get("RayJob", "contract", namespace="default") is None
        assert rayjobs_seen(backend.journal) == [("default", "contract")]
        found = outcome_of(backend.journal, "default", "contract", None)
        assert (found.deployment, found.reason, found.failed) == (JobDeploymentStatus.FAILED, "AppFailed", 1)
        assert found.deleted_at is not None and found.deleted_at > found.since
    finally:
        backend.close()
