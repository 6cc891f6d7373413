"""Pitfalls: manifests the API server and the operator accept, that do not behave as their authors expect.

Each check reads the object the API server would store and, where KubeRay decides the outcome, asks the
simulator's own operator code (head Service ports, the metadata flag of the submitter command) rather than
restating it. The consequences named in messages are KubeRay v1.7.0's (``RAYJOB_BEHAVIOR.md`` section 6).

Not here: the runtime_env (:mod:`.runtime_env`) and the entrypoint's script (:mod:`.entrypoint`); rules the
operator itself enforces at this release (TTL without shutdown, name length), which are operator findings.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any, Final

from ..kuberay.resources import DASHBOARD_PORT_NAME, SubmitCommandError, head_service_ports, metadata_json
from ..model.enums import DeletionPolicyType, JobDeploymentStatus, JobStatus, SubmissionMode
from ..model.rayjob import RayJob
from .findings import Finding, Severity
from .subject import ClusterSpec, Subject

_SUBMITTER_MODES: Final = (SubmissionMode.K8S_JOB, SubmissionMode.SIDECAR)
_VERSION: Final = re.compile(r"v?(\d+\.\d+(?:\.\d+)?)")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _containers(group: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [_map(c) for c in _list(_map(_map(group.get("template")).get("spec")).get("containers"))]


# -- the dashboard port ------------------------------------------------------------------------------------------


def _dashboard_port(subject: Subject, cluster: ClusterSpec) -> list[Finding]:
    head = _containers(_map(cluster.spec.get("headGroupSpec")))
    declared = _list(head[0].get("ports")) if head else []
    if not declared or not all(isinstance(p, Mapping) and isinstance(p.get("containerPort"), int) for p in declared):
        return []  # no ports: KubeRay adds its defaults, dashboard 8265 among them
    names = [str(p["name"]) for p in head_service_ports(cluster.spec)]
    if DASHBOARD_PORT_NAME in names:
        return []
    ports_path = cluster.at("headGroupSpec.template.spec.containers[0].ports")
    index = next((i for i, p in enumerate(declared) if p.get("containerPort") == 8265), None)
    path = f"{ports_path}[{index}]" if index is not None else ports_path
    fix = ("add 'name: dashboard' to the containerPort 8265 entry" if index is not None else
           "declare the dashboard port: '- containerPort: 8265' with 'name: dashboard'")
    via = "" if cluster.doc is subject.doc else f" (selected by RayJob {subject.doc.manifest.name})"
    return [subject.finding(
        "pitfall/no-dashboard-port",
        f"the head container declares ports but none is named 'dashboard' (the head Service gets {', '.join(names)})"
        f"{via}: the RayJob stays in Initializing for ever, the operator logging \"dashboard port is not found\"",
        fix, path, doc=cluster.doc)]


# -- cleanup -----------------------------------------------------------------------------------------------------


def _left_behind(subject: Subject, job: RayJob) -> list[Finding]:
    spec = job.spec
    if spec.shutdown_after_job_finishes or spec.deletion_strategy is not None or spec.uses_cluster_selector \
            or spec.ttl_seconds_after_finished > 0:  # a TTL without shutdown is refused by the operator instead
        return []
    written = "shutdownAfterJobFinishes" in _map(subject.doc.manifest.obj.get("spec"))
    return [subject.finding(
        "pitfall/cluster-left-behind",
        "shutdownAfterJobFinishes is not set: the RayCluster keeps running, and holding its resources, after the "
        "job ends, until the RayJob is deleted",
        "set shutdownAfterJobFinishes: true (with ttlSecondsAfterFinished to keep the cluster a while for "
        "debugging), or a deletionStrategy; only the RayCluster is deleted, the RayJob and its submitter Job stay",
        "spec.shutdownAfterJobFinishes" if written else "spec")]


def _never_fires(subject: Subject, job: RayJob) -> list[Finding]:
    spec = job.spec
    strategy = spec.deletion_strategy
    if spec.uses_cluster_selector:
        what = "shutdownAfterJobFinishes" if spec.shutdown_after_job_finishes else \
            "deletionStrategy" if strategy is not None else None
        if what is None:
            return []
        return [subject.finding(
            "pitfall/deletion-never-fires",
            f"{what} has no effect with clusterSelector: the operator deletes nothing when a RayJob on a selected "
            f"RayCluster ends",
            f"remove {what}; delete the RayJob (or the RayCluster) yourself when you are done",
            f"spec.{what}")]
    if strategy is None:
        return []
    if strategy.has_on_failure and strategy.on_failure not in (None, DeletionPolicyType.DELETE_NONE) \
            and not strategy.rules:
        return [subject.finding(
            "pitfall/deletion-never-fires",
            "onFailure acts on jobStatus FAILED only: a RayJob that fails by a deadline or a failed submission, or "
            "whose job is STOPPED, matches neither onSuccess nor onFailure and keeps its resources",
            "use deletionRules with a rule on condition 'jobDeploymentStatus: Failed' (KubeRay v1.6+) to clean up "
            "every failure", "spec.deletionStrategy.onFailure")]
    rules = strategy.rules or ()
    on_failed_job = [i for i, r in enumerate(rules) if r.condition.job_status == JobStatus.FAILED]
    on_failed_deployment = any(r.condition.job_deployment_status == JobDeploymentStatus.FAILED for r in rules)
    if on_failed_job and not on_failed_deployment:
        return [subject.finding(
            "pitfall/deletion-never-fires",
            "a rule on jobStatus FAILED misses RayJobs that fail without their Ray job failing (deadline exceeded, "
            "submission failed): their jobStatus stays RUNNING or empty, so no rule matches",
            "add the same policy on condition 'jobDeploymentStatus: Failed', which every failed RayJob reaches",
            f"spec.deletionStrategy.deletionRules[{on_failed_job[0]}]")]
    return []


# -- versions and submission --------------------------------------------------------------------------------------


def _version_of(text: str) -> str | None:
    match = _VERSION.match(text)
    if match is None:
        return None
    parts = match.group(1).split(".")
    return ".".join([*parts, "0"][:3])


def _image_tag(image: str) -> tuple[str, str] | None:
    """(repository name, tag) of an image reference; None without a tag (or with only a digest)."""
    reference = image.split("@", 1)[0]
    repository, sep, tag = reference.rpartition(":")
    if not sep or "/" in tag:
        return None
    return repository.rsplit("/", 1)[-1], tag


def _version_mismatch(subject: Subject, cluster: ClusterSpec) -> list[Finding]:
    ray_version = cluster.spec.get("rayVersion")
    wanted = _version_of(ray_version) if isinstance(ray_version, str) else None
    if wanted is None:
        return []
    groups = [("headGroupSpec", _map(cluster.spec.get("headGroupSpec")))]
    groups += [(f"workerGroupSpecs[{i}]", _map(g)) for i, g in enumerate(_list(cluster.spec.get("workerGroupSpecs")))]
    findings = []
    for where, group in groups:
        containers = _containers(group)
        image = containers[0].get("image") if containers else None
        parsed = _image_tag(image) if isinstance(image, str) else None
        if parsed is None or not parsed[0].startswith("ray"):
            continue  # only Ray images say their Ray version in the tag
        found = _version_of(parsed[1])
        if found is not None and found != wanted:
            findings.append(subject.finding(
                "pitfall/ray-version-mismatch",
                f"rayVersion {ray_version!r} differs from the Ray {found} of image {image!r}",
                f"make rayVersion and the image tag name the same Ray (e.g. rayVersion: '{found}')",
                cluster.at(f"{where}.template.spec.containers[0].image"), doc=cluster.doc))
    return findings


def _metadata(subject: Subject, job: RayJob) -> list[Finding]:
    if not job.spec.metadata or job.spec.mode not in _SUBMITTER_MODES:
        return []
    try:
        metadata_json(job)
    except SubmitCommandError as exc:
        return [subject.finding(
            "pitfall/metadata-needs-ray-2.6", str(exc),
            "set rayVersion (and the image) to Ray 2.6.0 or later, or remove spec.metadata: KubeRay cannot build "
            "the submitter command, so the RayJob stays in Initializing", "spec.metadata")]
    return []


def _job_id(subject: Subject, job: RayJob) -> list[Finding]:
    if not job.spec.job_id:
        return []
    if job.spec.mode == SubmissionMode.INTERACTIVE:
        return [subject.finding(
            "pitfall/job-id-set",
            "spec.jobId is set up front in InteractiveMode: the RayJob skips Waiting and polls a Ray job that does "
            "not exist until you submit it with this id", "leave jobId unset and set it after submitting the job, "
            "or submit right after applying", "spec.jobId", severity=Severity.NOTE)]
    if not job.spec.uses_cluster_selector:
        return [subject.finding(
            "pitfall/job-id-set",
            "spec.jobId is fixed: every retry and rerun of this RayJob submits under the same id (fine on the "
            "RayCluster each attempt creates, refused by Ray on a cluster where the id was used before)",
            "leave jobId unset unless something outside needs to know the id in advance", "spec.jobId",
            severity=Severity.NOTE)]
    return [subject.finding(
        "pitfall/job-id-set",
        "spec.jobId is fixed and the RayCluster is long-lived (clusterSelector): a re-created RayJob finds the old "
        "Ray job and reports its old status, and Ray refuses to submit a second job with the same id",
        "leave jobId unset (KubeRay generates '<rayjob>-<5 characters>'), or use a new id for every run",
        "spec.jobId")]


def _submission_mode(subject: Subject, job: RayJob) -> list[Finding]:
    if job.spec.mode is not None:
        return []
    known = [mode.value for mode in SubmissionMode]
    meant = difflib.get_close_matches(job.spec.submission_mode.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    fix = (f"did you mean {known[[k.lower() for k in known].index(meant[0])]}?" if meant else
           "use one of: " + ", ".join(known))
    return [subject.finding(
        "pitfall/unknown-submission-mode",
        f"submissionMode {job.spec.submission_mode!r} is not one KubeRay knows ({', '.join(known)}): no submitter "
        f"is created and nothing submits the job, so the RayJob never finishes", fix, "spec.submissionMode")]


def check_pitfalls(subject: Subject) -> list[Finding]:
    """Every pitfall of a RayJob (or the RayCluster it runs on), or of a RayCluster, but the runtime_env and
    entrypoint ones."""
    cluster = subject.cluster_spec()
    if subject.doc.manifest.kind == "RayCluster":
        return _version_mismatch(subject, cluster) if cluster is not None else []
    job = subject.job
    if subject.doc.manifest.kind != "RayJob" or job is None:
        return []
    findings = _left_behind(subject, job) + _never_fires(subject, job) + _metadata(subject, job) \
        + _job_id(subject, job) + _submission_mode(subject, job)
    if cluster is not None:
        findings += _dashboard_port(subject, cluster)
        if cluster.doc is subject.doc:  # a selected RayCluster among the inputs is checked on its own
            findings += _version_mismatch(subject, cluster)
    return findings
