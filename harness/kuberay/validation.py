"""KubeRay v1.7.0's own validation of a RayJob (``utils/validation.go``), run at the start of every reconcile.

Three pure functions mirror ``ValidateRayJobMetadata``, ``ValidateRayJobSpec`` and ``ValidateRayJobStatus``: each
returns upstream's exact error text for the first rule that fails, in upstream's order, or None. The reconciler
turns a text into the ``InvalidRayJob*`` Warning event and the ``ValidationFailed`` state (v1.5+).
The rules are kept as ordered, named checks (:data:`RAYJOB_METADATA_CHECKS`, :data:`RAYJOB_SPEC_CHECKS`), so that
``rayjob_*_problems`` can also report every failing check at once, for static validation before deployment.
Message prefixes are upstream's, including where it has none (the clusterSelector and SidecarMode rules, legacy
deletion policies, the runtimeEnvYAML parse error) and the joined, unprefixed ``deletionRules`` errors.

The feature gates validation reads come from :mod:`.gates`; apimachinery's name checks and Go's formats from
:mod:`harness._util.gofmt`.

Not here: what the API server rejects before the operator sees the object (``harness.manifests``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import yaml

from .._util.gofmt import dns1035_label, go_list
from .._util.yamllimits import YamlLimitError, load_first
from ..model.enums import DeletionPolicyType, JobDeploymentStatus
from ..model.rayjob import RAY_CLUSTER_SELECTOR_KEY, DeletionRule, RayJob
from .gates import FeatureGates
from .validation_cluster import k8s_auth_enabled, raycluster_spec_problems, validate_raycluster_spec

MAX_RAYJOB_NAME_LENGTH: Final = 47  # MaxRayClusterNameLength (53) - 6, so the RayCluster name fits
_SPEC: Final = "The RayJob spec is invalid: "


# -- metadata and status -------------------------------------------------------------------------------------------


def _name_length(job: RayJob) -> str | None:
    if len(job.name.encode()) > MAX_RAYJOB_NAME_LENGTH:
        return f"The RayJob metadata is invalid: RayJob name should be no more than {MAX_RAYJOB_NAME_LENGTH} characters"
    return None


def _name_dns1035(job: RayJob) -> str | None:
    if problems := dns1035_label(job.name):
        return f"The RayJob metadata is invalid: RayJob name should be a valid DNS1035 label: {go_list(problems)}"
    return None


RAYJOB_METADATA_CHECKS: Final[tuple[tuple[str, Callable[[RayJob], str | None]], ...]] = (
    ("name-length", _name_length),
    ("name-dns1035", _name_dns1035),
)


def validate_rayjob_metadata(job: RayJob) -> str | None:
    """``ValidateRayJobMetadata`` (v1.4+; prefixed since v1.5)."""
    return next((problem for _, check in RAYJOB_METADATA_CHECKS if (problem := check(job)) is not None), None)


def rayjob_metadata_problems(job: RayJob) -> list[tuple[str, str]]:
    """Every failing metadata check as (check name, upstream message); the reconciler stops at the first."""
    return [(name, problem) for name, check in RAYJOB_METADATA_CHECKS if (problem := check(job)) is not None]


def validate_rayjob_status(job: RayJob) -> str | None:
    """``ValidateRayJobStatus``: only InteractiveMode may wait for a job id."""
    waiting = job.status.job_deployment_status == JobDeploymentStatus.WAITING
    if waiting and job.spec.submission_mode != "InteractiveMode":
        return ("The RayJob status is invalid: JobDeploymentStatus cannot be `Waiting` when SubmissionMode is not "
                "InteractiveMode")
    return None


# -- spec ----------------------------------------------------------------------------------------------------------


SpecCheck = Callable[[RayJob, FeatureGates], "str | None"]


def _suspend_requires_shutdown(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.suspend and not job.spec.shutdown_after_job_finishes:
        return _SPEC + "a RayJob with shutdownAfterJobFinishes set to false is not allowed to be suspended"
    return None


def _ttl_non_negative(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.ttl_seconds_after_finished < 0:
        return _SPEC + "TTLSecondsAfterFinished must be a non-negative integer"
    return None


def _ttl_requires_shutdown(job: RayJob, gates: FeatureGates) -> str | None:
    """The first check of ``validateDeletionConfiguration`` (v1.4+)."""
    if not job.spec.shutdown_after_job_finishes and job.spec.ttl_seconds_after_finished > 0:
        return _SPEC + "a RayJob with shutdownAfterJobFinishes set to false cannot have TTLSecondsAfterFinished"
    return None


def _deletion_strategy(job: RayJob, gates: FeatureGates) -> str | None:
    """``validateDeletionConfiguration`` after its TTL check (v1.5+)."""
    spec = job.spec
    strategy = spec.deletion_strategy
    if strategy is None:
        return None
    if not gates.rayjob_deletion_policy:
        return "RayJobDeletionPolicy feature gate must be enabled to use DeletionStrategy"
    legacy = strategy.has_on_success or strategy.has_on_failure
    rules = bool(strategy.rules)
    if rules and spec.shutdown_after_job_finishes:
        return _SPEC + "spec.shutdownAfterJobFinishes and spec.deletionStrategy.deletionRules are mutually exclusive"
    if rules and legacy:
        return _SPEC + "Cannot use both legacy onSuccess/onFailure fields and deletionRules simultaneously"
    if legacy:
        return _legacy_policies(job)
    if rules:
        return _deletion_rules(job)
    return (_SPEC + "DeletionStrategy requires either BOTH onSuccess and onFailure, OR the deletionRules field "
            "(cannot be empty)")


def _suspend_with_selector(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.suspend and job.spec.uses_cluster_selector:
        return _SPEC + "the ClusterSelector mode doesn't support the suspend operation"
    return None


def _cluster_spec_or_selector(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.ray_cluster_spec is None and not job.spec.uses_cluster_selector:
        return _SPEC + "one of RayClusterSpec or ClusterSelector must be set"
    return None


def _cluster_selector(job: RayJob, gates: FeatureGates) -> str | None:
    spec = job.spec
    if not spec.uses_cluster_selector:
        return None
    if not spec.cluster_selector.get(RAY_CLUSTER_SELECTOR_KEY):
        return "cluster name in ClusterSelector should not be empty"
    if spec.submission_mode == "SidecarMode":
        return "ClusterSelector is not supported in SidecarMode"
    if spec.backoff_limit is not None and spec.backoff_limit > 0:
        return _SPEC + "BackoffLimit is incompatible with ClusterSelector mode"
    return None


def _interactive_backoff_limit(job: RayJob, gates: FeatureGates) -> str | None:
    spec = job.spec
    if spec.submission_mode == "InteractiveMode" and spec.backoff_limit is not None and spec.backoff_limit > 0:
        return _SPEC + "BackoffLimit is incompatible with InteractiveMode"
    return None


def _sidecar_mode(job: RayJob, gates: FeatureGates) -> str | None:
    spec = job.spec
    if spec.submission_mode != "SidecarMode":
        return None
    if spec.submitter_pod_template is not None:
        return "Currently, SidecarMode doesn't support SubmitterPodTemplate"
    if spec.has_submitter_config:
        return "Currently, SidecarMode doesn't support SubmitterConfig"
    head_pod = ((spec.ray_cluster_spec or {}).get("headGroupSpec") or {}).get("template") or {}
    if (head_pod.get("spec") or {}).get("restartPolicy", "") not in ("", "Never"):
        return "restartPolicy for head Pod should be Never or unset when using SidecarMode"
    return None


def _k8s_token_auth(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.ray_cluster_spec is not None and k8s_auth_enabled(job.spec.ray_cluster_spec):
        return _SPEC + "K8s token auth mode is currently not supported for RayJob"
    return None


def _ray_cluster_spec(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.ray_cluster_spec is None:
        return None
    problem = validate_raycluster_spec(job.spec.ray_cluster_spec, job.meta.annotations, gates)
    return _SPEC + problem if problem else None


def _runtime_env_yaml(job: RayJob, gates: FeatureGates) -> str | None:
    return runtime_env_yaml_error(job.spec.runtime_env_yaml)


def _active_deadline(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.active_deadline_seconds is not None and job.spec.active_deadline_seconds <= 0:
        return _SPEC + "activeDeadlineSeconds must be a positive integer"
    return None


def _pre_running_deadline(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.pre_running_deadline_seconds is not None and job.spec.pre_running_deadline_seconds <= 0:
        return _SPEC + "preRunningDeadlineSeconds must be a positive integer"
    return None


def _backoff_limit(job: RayJob, gates: FeatureGates) -> str | None:
    if job.spec.backoff_limit is not None and job.spec.backoff_limit < 0:
        return _SPEC + "backoffLimit must be a positive integer"
    return None


# ``ValidateRayJobSpec`` at v1.7.0, in upstream's order. Each check reads only its own fields, so each can be asked
# on its own: the reconciler stops at the first message, a linter may want them all.
RAYJOB_SPEC_CHECKS: Final[tuple[tuple[str, SpecCheck], ...]] = (
    ("suspend-requires-shutdown", _suspend_requires_shutdown),
    ("ttl-non-negative", _ttl_non_negative),
    ("ttl-requires-shutdown", _ttl_requires_shutdown),
    ("deletion-strategy", _deletion_strategy),
    ("suspend-with-cluster-selector", _suspend_with_selector),
    ("cluster-spec-or-selector", _cluster_spec_or_selector),
    ("cluster-selector", _cluster_selector),
    ("interactive-backoff-limit", _interactive_backoff_limit),
    ("sidecar-mode", _sidecar_mode),
    ("k8s-token-auth", _k8s_token_auth),
    ("ray-cluster-spec", _ray_cluster_spec),
    ("runtime-env-yaml", _runtime_env_yaml),
    ("active-deadline", _active_deadline),
    ("pre-running-deadline", _pre_running_deadline),
    ("backoff-limit", _backoff_limit),
)


def validate_rayjob_spec(job: RayJob, gates: FeatureGates) -> str | None:
    """``ValidateRayJobSpec`` at v1.7.0: the first failing rule's message, or None."""
    for _, check in RAYJOB_SPEC_CHECKS:
        if (problem := check(job, gates)) is not None:
            return problem
    return None


def rayjob_spec_problems(job: RayJob, gates: FeatureGates) -> list[tuple[str, str]]:
    """Every check of :data:`RAYJOB_SPEC_CHECKS` that fails, as (check name, upstream message), in upstream's order.

    The embedded RayCluster spec is reported per check of ``ValidateRayClusterSpec`` (``ray-cluster-spec/<check>``)
    with the RayJob prefix the operator adds. The reconciler never calls this: it stops at the first message.
    """
    problems: list[tuple[str, str]] = []
    for name, check in RAYJOB_SPEC_CHECKS:
        if name == "ray-cluster-spec" and job.spec.ray_cluster_spec is not None:
            problems += [(f"{name}/{part}", _SPEC + text) for part, text in
                         raycluster_spec_problems(job.spec.ray_cluster_spec, job.meta.annotations, gates)]
        elif (problem := check(job, gates)) is not None:
            problems.append((name, problem))
    return problems


def _autoscaling(job: RayJob) -> bool:
    return (job.spec.ray_cluster_spec or {}).get("enableInTreeAutoscaling") is True


def _legacy_policies(job: RayJob) -> str | None:
    """``validateLegacyDeletionPolicies``."""
    strategy = job.spec.deletion_strategy
    assert strategy is not None
    if not (strategy.has_on_success and strategy.has_on_failure):
        return ("both DeletionStrategy.OnSuccess and DeletionStrategy.OnFailure must be set when using the legacy "
                "deletion policy fields of DeletionStrategy")
    on_success, on_failure = strategy.on_success, strategy.on_failure
    if on_success is None:
        return ("the DeletionPolicyType field of DeletionStrategy.OnSuccess cannot be unset when DeletionStrategy is "
                "enabled")
    if on_failure is None:
        return ("the DeletionPolicyType field of DeletionStrategy.OnFailure cannot be unset when DeletionStrategy is "
                "enabled")
    cluster_policies = (DeletionPolicyType.DELETE_CLUSTER, DeletionPolicyType.DELETE_WORKERS)
    if job.spec.uses_cluster_selector:
        for policy, when in ((on_success, "success"), (on_failure, "failure")):
            if policy in cluster_policies:
                return f"the ClusterSelector mode doesn't support DeletionStrategy={policy.value} on {when}"
    if DeletionPolicyType.DELETE_WORKERS in (on_success, on_failure) and _autoscaling(job):
        return "DeletionStrategy=DeleteWorkers currently does not support RayCluster with autoscaling enabled"
    if job.spec.shutdown_after_job_finishes and DeletionPolicyType.DELETE_NONE in (on_success, on_failure):
        return _SPEC + "shutdownAfterJobFinshes is set to 'true' while deletion policy is 'DeleteNone'"  # sic
    return None


def _deletion_rules(job: RayJob) -> str | None:
    """``validateDeletionRules``: every problem, joined by newlines (``errors.Join``), without the spec prefix.

    Upstream checks TTL order per condition while iterating a Go map; conditions are taken here in the order
    they first appear, so the text repeats from run to run.
    """
    strategy = job.spec.deletion_strategy
    assert strategy is not None and strategy.rules is not None
    problems: list[str] = []
    groups: dict[tuple[str, str], dict[DeletionPolicyType, int]] = {}
    for i, rule in enumerate(strategy.rules):
        if problem := _condition_problem(rule):
            problems.append(f"deletionRules[{i}]: {problem}")
            continue
        cluster_policy = rule.policy in (DeletionPolicyType.DELETE_CLUSTER, DeletionPolicyType.DELETE_WORKERS)
        if job.spec.uses_cluster_selector and cluster_policy:
            problems.append(f"deletionRules[{i}]: DeletionPolicyType '{rule.policy.value}' not supported when "
                            f"ClusterSelector is set")
            continue
        if _autoscaling(job) and rule.policy == DeletionPolicyType.DELETE_WORKERS:
            problems.append(f"deletionRules[{i}]: DeletionPolicyType 'DeleteWorkers' not supported with autoscaling "
                            f"enabled")
            continue
        condition = rule.condition
        key = ("JobStatus", condition.job_status.value) if condition.job_status is not None \
            else ("JobDeploymentStatus", condition.job_deployment_status.value if condition.job_deployment_status
                  else "")
        policies = groups.setdefault(key, {})
        if rule.policy in policies:
            problems.append(f"deletionRules[{i}]: duplicate rule for DeletionPolicyType '{rule.policy.value}' and "
                            f"{key[0]} '{key[1]}'")
            continue
        policies[rule.policy] = condition.ttl_seconds
    for kind in ("JobStatus", "JobDeploymentStatus"):  # upstream checks all JobStatus groups first
        for (condition_type, value), ttls in groups.items():
            if condition_type == kind:
                problems += _ttl_order(ttls, condition_type, value)
    return "\n".join(problems) or None


def _condition_problem(rule: DeletionRule) -> str | None:
    condition = rule.condition
    has_status, has_deployment = condition.job_status is not None, condition.job_deployment_status is not None
    if has_status and has_deployment:
        return "cannot set both JobStatus and JobDeploymentStatus at the same time"
    if not has_status and not has_deployment:
        return "exactly one of JobStatus and JobDeploymentStatus must be set"
    if condition.ttl_seconds < 0:
        return "TTLSeconds must be non-negative"
    return None


def _ttl_order(ttls: Mapping[DeletionPolicyType, int], condition_type: str, value: str) -> list[str]:
    """``validateTTLConsistency``: TTLs must not decrease along DeleteWorkers <= DeleteCluster <= DeleteSelf."""
    problems: list[str] = []
    previous: tuple[DeletionPolicyType, int] | None = None
    order = (DeletionPolicyType.DELETE_WORKERS, DeletionPolicyType.DELETE_CLUSTER, DeletionPolicyType.DELETE_SELF)
    for policy in order:
        if policy not in ttls:
            continue
        if previous is not None and ttls[policy] < previous[1]:
            problems.append(f"for {condition_type} '{value}': {policy.value} TTL ({ttls[policy]}) must be >= "
                            f"{previous[0].value} TTL ({previous[1]})")
        previous = (policy, ttls[policy])
    return problems


# -- runtimeEnvYAML --------------------------------------------------------------------------------------------------

_GO_JSON_TYPES: Final = {bool: "bool", int: "number", float: "number", str: "string", list: "array"}


def runtime_env_yaml_error(text: str) -> str | None:
    """``UnmarshalRuntimeEnvYAML``: sigs.k8s.io/yaml into ``map[string]any``; its error text, or None.

    go-yaml (libyaml's messages) reports line numbers its own way: scanner errors at their 1-based line, parser
    errors at the 0-based line of the offending token, and no line at all for the first line.
    """
    try:
        value = load_first(text)
    except YamlLimitError as exc:
        return f"failed to unmarshal RuntimeEnvYAML: {text}: error converting YAML to JSON: yaml: {exc.go_text}"
    except yaml.MarkedYAMLError as exc:
        return f"failed to unmarshal RuntimeEnvYAML: {text}: error converting YAML to JSON: yaml: {_go_yaml(exc)}"
    except yaml.YAMLError as exc:
        return f"failed to unmarshal RuntimeEnvYAML: {text}: error converting YAML to JSON: yaml: {exc}"
    if value is None or isinstance(value, dict):
        return None
    found = _GO_JSON_TYPES.get(type(value), "string")
    return (f"failed to unmarshal RuntimeEnvYAML: {text}: error unmarshaling JSON: while decoding JSON: json: "
            f"cannot unmarshal {found} into Go value of type types.RuntimeEnvType")


_SCANNER_PROBLEMS: Final = (
    ("mapping values are not allowed", "mapping values are not allowed in this context"),
    ("that cannot start any token", "found character that cannot start any token"),
    ("could not find expected ':'", "could not find expected ':'"),
    ("found unexpected end of stream", "found unexpected end of stream"),
)
_PARSER_CONTEXTS: Final = (
    ("while parsing a block mapping", "did not find expected key"),
    ("while parsing a block collection", "did not find expected '-' indicator"),
    ("while parsing a flow sequence", "did not find expected ',' or ']'"),
    ("while parsing a flow mapping", "did not find expected ',' or '}'"),
    ("while parsing a block node", "did not find expected node content"),
    ("while parsing a flow node", "did not find expected node content"),
)


def _go_yaml(exc: yaml.MarkedYAMLError) -> str:
    """Re-word a PyYAML error as go-yaml v2 prints it (``parser.fail``)."""
    problem, context = exc.problem or "", exc.context or ""
    problem_line = exc.problem_mark.line if exc.problem_mark else 0
    context_line = exc.context_mark.line if exc.context_mark else 0
    if isinstance(exc, yaml.composer.ComposerError) and problem.startswith("found undefined alias"):
        return "unknown anchor " + problem.removeprefix("found undefined alias ") + " referenced"
    if isinstance(exc, yaml.scanner.ScannerError):
        message = next((go for py, go in _SCANNER_PROBLEMS if py in problem), problem)
        line = problem_line + 1 if problem_line else context_line
    else:
        message = next((go for py, go in _PARSER_CONTEXTS if context.startswith(py)), problem)
        line = problem_line or context_line
    return f"line {line}: {message}" if line else message


def validation_error(job: RayJob, gates: FeatureGates) -> tuple[str, str] | None:
    """``validateRayJob``: metadata, spec, then status; (event reason, message) of the first failure."""
    checks: tuple[tuple[str, Callable[[], str | None]], ...] = (
        ("InvalidRayJobMetadata", lambda: validate_rayjob_metadata(job)),
        ("InvalidRayJobSpec", lambda: validate_rayjob_spec(job, gates)),
        ("InvalidRayJobStatus", lambda: validate_rayjob_status(job)))
    for reason, check in checks:
        if (message := check()) is not None:
            return reason, message
    return None

