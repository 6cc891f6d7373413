"""The catalogue of every rule ``rayjob-harness validate`` applies: id, default severity, title and explanation.

Rule ids read ``<layer>/<name>``. Operator rules are named after the checks of ``harness.kuberay.validation``
(``operator/<check>``) and ``harness.kuberay.validation_cluster`` (``operator/raycluster/<check>``), so the linter
and the simulated operator cannot disagree about what a rule is. SARIF output lists these entries as the tool's
rules; ``rayjob-harness validate --list-rules`` prints them.

Some pitfalls people meet are refused by the operator itself at KubeRay v1.7 and are therefore operator rules here,
never written twice: a TTL without ``shutdownAfterJobFinishes`` (``operator/ttl-requires-shutdown``, a silent no-op
up to v1.3) and RayJob names over 47 characters or not DNS-1035 labels (``operator/name-length``,
``operator/name-dns1035``, accepted up to v1.3).

Not here: the checks themselves (the layer modules) and their fixes (next to each check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ..kuberay.validation import RAYJOB_METADATA_CHECKS, RAYJOB_SPEC_CHECKS
from ..kuberay.validation_cluster import RAYCLUSTER_SPEC_CHECKS
from .findings import Layer, Severity


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    title: str
    description: str

    @property
    def layer(self) -> Layer:
        return Layer(self.id.split("/", 1)[0])


E, W, N = Severity.ERROR, Severity.WARNING, Severity.NOTE

_INPUT: Final = (
    Rule("input/unreadable", E, "The file cannot be read or parsed",
         "The file does not exist, is not UTF-8 text, is not YAML, or holds a document that is not a mapping. "
         "kubectl would stop here too; nothing else in the file is checked."),
    Rule("input/empty", E, "The input holds no Kubernetes object",
         "An empty file or a folder without YAML files was given; there is nothing to validate."),
)

_SCHEMA: Final = (
    Rule("schema/identity", E, "apiVersion, kind or metadata.name is missing",
         "Every object needs apiVersion, kind and a name (or generateName); kubectl refuses the file otherwise."),
    Rule("schema/unknown-kind", E, "The kind is misspelt",
         "The kind is close to one the cluster serves (kinds are case-sensitive); kubectl answers 'no matches "
         "for kind'."),
    Rule("schema/unchecked-kind", N, "The kind is not checked",
         "rayjob-harness validates RayJob, RayCluster and the built-in kinds they reference (ConfigMap, Service, "
         "Pod, Job, Namespace); other kinds are left alone."),
    Rule("schema/unserved-version", E, "The apiVersion is not served for the kind",
         "The installed CRD does not serve this version of the kind; kubectl answers 'no matches for kind'."),
    Rule("schema/deprecated-version", W, "The apiVersion is deprecated",
         "The API server accepts the object but sends a deprecation warning with the release's own text."),
    Rule("schema/unknown-field", E, "A field the schema does not know",
         "With kubectl's default --validate=strict the API server refuses the object (400 BadRequest, strict "
         "decoding error); other clients silently drop the field. The fix names the field that was probably "
         "meant; a misplaced field's contents are checked as if it were placed right."),
    Rule("schema/decode-error", E, "A value cannot be decoded",
         "A value has a type the API server cannot decode at all (a number or boolean where Kubernetes stores "
         "strings, such as label values or ConfigMap data), so the request fails before validation."),
    Rule("schema/required", E, "A required field is missing",
         "The release's CRD (or the built-in kind) requires the field; the API server answers 422 Invalid."),
    Rule("schema/type", E, "A value has the wrong type", "The API server answers 422 Invalid."),
    Rule("schema/enum", E, "A value is not one of the allowed values", "The API server answers 422 Invalid."),
    Rule("schema/invalid", E, "A value is refused by the schema",
         "A minimum, a name format, a list size or a CEL rule (x-kubernetes-validations) of the release's CRD "
         "refuses the value; the API server answers 422 Invalid. CEL rules are reported even when other errors "
         "would make the API server skip them for now."),
    Rule("schema/duplicate", E, "Two list items share a key", "The API server answers 422 Invalid."),
)

_OPERATOR_FIXED: Final = (
    Rule("operator/raycluster-name", E, "The RayCluster name is refused by the operator",
         "KubeRay's RayCluster controller (ValidateRayClusterMetadata) refuses names over 53 characters or not "
         "DNS-1035 labels: it records a Warning event and never creates Pods."),
)


_OPERATOR_TITLES: Final = {  # check name (harness.kuberay) -> title
    "name-length": "The RayJob name is longer than 47 characters",
    "name-dns1035": "The RayJob name is not a DNS-1035 label",
    "suspend-requires-shutdown": "suspend without shutdownAfterJobFinishes",
    "ttl-non-negative": "A negative ttlSecondsAfterFinished",
    "ttl-requires-shutdown": "ttlSecondsAfterFinished without shutdownAfterJobFinishes",
    "deletion-strategy": "A deletionStrategy the operator refuses",
    "suspend-with-cluster-selector": "suspend with clusterSelector",
    "cluster-spec-or-selector": "Neither rayClusterSpec nor clusterSelector",
    "cluster-selector": "A clusterSelector the operator cannot use",
    "interactive-backoff-limit": "backoffLimit in InteractiveMode",
    "sidecar-mode": "A setting SidecarMode does not support",
    "k8s-token-auth": "Kubernetes token auth for a RayJob",
    "runtime-env-yaml": "runtimeEnvYAML that is not a YAML mapping",
    "active-deadline": "activeDeadlineSeconds that is not positive",
    "pre-running-deadline": "preRunningDeadlineSeconds that is not positive",
    "backoff-limit": "A negative backoffLimit",
}
_CLUSTER_TITLES: Final = {
    "head-container": "The head Pod has no container",
    "head-group": "Conflicting head group resources or invalid labels",
    "worker-groups": "A worker group the operator refuses",
    "gcs-fault-tolerance": "Conflicting GCS fault tolerance settings",
    "suspended-worker-groups": "A suspended worker group without the RayJobDeletionPolicy gate",
    "autoscaler": "Inconsistent autoscaler settings",
    "history-server": "historyServerOptions the operator refuses",
    "auth": "authOptions the operator refuses",
    "network-policy": "networkPolicy the operator refuses",
    "tls": "tlsOptions the operator refuses",
}


def _operator_rules() -> tuple[Rule, ...]:
    """One rule per named check of the operator's validation (RayJob metadata and spec, RayCluster spec)."""
    rules = [Rule(f"operator/{name}", E, _OPERATOR_TITLES[name],
                  "KubeRay's ValidateRayJobMetadata refuses it: the RayJob ends in ValidationFailed (v1.5+) and "
                  "nothing is created.") for name, _ in RAYJOB_METADATA_CHECKS]
    rules += [Rule(f"operator/{name}", E, _OPERATOR_TITLES[name],
                   "KubeRay's ValidateRayJobSpec refuses it: the RayJob ends in ValidationFailed (v1.5+) and "
                   "nothing is created.") for name, _ in RAYJOB_SPEC_CHECKS if name != "ray-cluster-spec"]
    rules += [Rule(f"operator/raycluster/{name}", E, _CLUSTER_TITLES[name],
                   "KubeRay's ValidateRayClusterSpec refuses it: a RayJob with this rayClusterSpec ends in "
                   "ValidationFailed; a RayCluster gets a Warning event and no Pods.")
              for name, _ in RAYCLUSTER_SPEC_CHECKS]
    return (*rules, *_OPERATOR_FIXED)


_PITFALLS: Final = (
    Rule("pitfall/duplicate-key", W, "A key written twice in one mapping",
         "kubectl converts YAML to JSON keeping only the last value of a key written twice, so the first one is "
         "silently lost; editors and reviewers usually see the first."),
    Rule("pitfall/no-dashboard-port", E, "The head declares ports but none named 'dashboard'",
         "KubeRay adds its default ports (dashboard 8265 among them) only when the head container declares none, "
         "and finds the dashboard only through a port named exactly 'dashboard'. Without it the RayJob stays in "
         "Initializing for ever; the operator log says 'dashboard port is not found'."),
    Rule("pitfall/cluster-left-behind", W, "The RayCluster outlives the job",
         "shutdownAfterJobFinishes defaults to false: without it (or a deletionStrategy) the RayCluster keeps "
         "running, and holding its resources, until the RayJob is deleted."),
    Rule("pitfall/deletion-never-fires", W, "A cleanup setting that never takes effect",
         "Legacy onSuccess/onFailure policies act on jobStatus only, so they never fire for STOPPED jobs, "
         "exceeded deadlines or failed submissions; deletionRules keyed on jobStatus miss the same cases; with "
         "clusterSelector the operator never deletes anything."),
    Rule("pitfall/ignored-runtime-env-key", W, "A runtime_env key Ray ignores",
         "runtime_env keys are snake_case (working_dir, env_vars, py_modules, pip...). Ray does not refuse other "
         "keys: it ignores them with a warning in the runtime-env agent's log, so the setting silently does "
         "nothing."),
    Rule("pitfall/remote-working-dir-not-zip", E, "A remote working_dir that is not a .zip",
         "'ray job submit' refuses it before contacting the cluster (ValueError: Only .zip files supported for "
         "remote URIs.); in K8sJobMode the submitter fails until its backoff limit and the RayJob ends Failed "
         "with reason SubmissionFailed."),
    Rule("pitfall/ray-version-mismatch", W, "rayVersion and the image tag disagree",
         "KubeRay decides some behaviour from rayVersion (metadata support, authentication) while the Pods run "
         "the image's Ray; when they differ, the decisions are made for the wrong Ray."),
    Rule("pitfall/metadata-needs-ray-2.6", E, "spec.metadata with a Ray older than 2.6",
         "The submitter command passes metadata with --metadata-json, which needs Ray 2.6.0; KubeRay refuses to "
         "build the submitter, so the RayJob stays in Initializing, retrying."),
    Rule("pitfall/job-id-set", W, "spec.jobId is fixed",
         "A fixed submission id is reused by every retry and rerun. Against a long-lived cluster (clusterSelector) "
         "a re-created RayJob finds the old Ray job and reports its old status, and Ray refuses to submit a second "
         "job with the same id."),
    Rule("pitfall/unknown-submission-mode", E, "A submissionMode KubeRay does not know",
         "The CRD has no enum for submissionMode, so any text is accepted; KubeRay then neither creates a "
         "submitter nor submits the job, and the RayJob never finishes."),
    Rule("pitfall/entrypoint-not-provided", W, "The entrypoint's script comes from nowhere",
         "The entrypoint names a file that no volume of the head container and no working_dir provides; it runs "
         "only if the image ships it (rayproject/ray images do not ship user code)."),
)

RULES: Final[dict[str, Rule]] = {rule.id: rule for rule in (*_INPUT, *_SCHEMA, *_operator_rules(), *_PITFALLS)}


def rule(rule_id: str) -> Rule:
    """The catalogue entry of ``rule_id``; KeyError for an id that is not catalogued (a bug, not bad input)."""
    return RULES[rule_id]
