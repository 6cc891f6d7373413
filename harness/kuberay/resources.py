"""Builders for the objects KubeRay creates: RayCluster, head/worker Pods, head Services, the submitter Job.

Pure functions from typed inputs to raw objects, named after the upstream helpers they mirror
(``constructRayClusterForRayJob``, ``BuildServiceForHeadPod``, ``BuildJobSubmitCommand``, ...), so that names,
labels, ports and commands match what ``kubectl get -o yaml`` shows on a real cluster (v1.7.0).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import yaml

from .._util.gofmt import go_quote
from .._util.jsoncopy import deep_copy
from ..model.enums import SubmissionMode
from ..model.labels import (
    DISABLE_HEAD_RESTART,
    LABEL_CLUSTER,
    LABEL_GROUP,
    LABEL_IDENTIFIER,
    LABEL_NODE_TYPE,
    LABEL_ORIGIN_CRD,
    LABEL_ORIGIN_NAME,
    LABEL_SUBMISSION_MODE,
    SUBMITTER_CONTAINER,
)
from ..model.meta import controller_ref
from ..model.rayjob import RayJob
from .auth import auth_enabled, set_token_env
from .gates import FeatureGates
from .profile import DEFAULT_SUBMITTER_BACKOFF_LIMIT, OperatorConfig

Obj = dict[str, Any]

DASHBOARD_PORT_NAME: Final = "dashboard"
DEFAULT_DASHBOARD_PORT: Final = 8265
METRICS_PORT: Final = 8080
DEFAULT_HEAD_PORTS: Final = (("gcs-server", 6379), ("dashboard", 8265), ("client", 10001), ("serve", 8000))
HEALTH_PATH: Final = "api/gcs_healthz"
CREATED_BY: Final = "kuberay-operator"
MAX_PREFIX: Final = 50


# -- RayCluster --------------------------------------------------------------------------------------------------


def head_container(cluster_spec: Mapping[str, Any]) -> Mapping[str, Any]:
    containers = cluster_spec["headGroupSpec"]["template"]["spec"]["containers"]
    return containers[0]  # type: ignore[no-any-return]


def head_service_name(cluster: Mapping[str, Any]) -> str:
    """``GenerateHeadServiceName(RayClusterCRD, ...)``: headService.name wins, else ``<cluster>-head-svc``."""
    head_service = cluster["spec"]["headGroupSpec"].get("headService") or {}
    custom = (head_service.get("metadata") or {}).get("name") or head_service.get("name")
    return str(custom) if custom else f"{cluster['metadata']['name']}-head-svc"


def construct_ray_cluster(job_raw: Mapping[str, Any], job: RayJob, name: str, config: OperatorConfig,
                          gates: FeatureGates) -> Obj:
    """``constructRayClusterForRayJob`` (v1.7): labels, annotations, owner, spec copy, sidecar injection."""
    labels = dict(job.meta.labels)
    labels[LABEL_ORIGIN_NAME] = job.name
    labels[LABEL_ORIGIN_CRD] = "RayJob"
    labels[LABEL_SUBMISSION_MODE] = job.spec.submission_mode  # v1.6+
    annotations = dict(job.meta.annotations)
    spec = deep_copy(dict(job.spec.ray_cluster_spec or {}))
    if job.spec.mode == SubmissionMode.SIDECAR:
        annotations[DISABLE_HEAD_RESTART] = "true"
        pod_spec = spec["headGroupSpec"]["template"]["spec"]
        pod_spec["containers"].append(sidecar_submitter_container(job, spec, config, gates, name))
        pod_spec["restartPolicy"] = "Never"
    return {"apiVersion": "ray.io/v1", "kind": "RayCluster",
            "metadata": {"name": name, "namespace": job.namespace, "labels": labels, "annotations": annotations,
                         "ownerReferences": [controller_ref(job_raw)]},
            "spec": spec}


def head_service_ports(cluster_spec: Mapping[str, Any]) -> list[Obj]:
    """Ports of the head Service: the head container's (unnamed → ``<port>-port``), or KubeRay's defaults when it
    declares none; ``metrics`` 8080 is always added."""
    declared = head_container(cluster_spec).get("ports") or []
    ports: list[Obj] = []
    if declared:
        for port in declared:
            number = int(port["containerPort"])
            ports.append({"name": port.get("name") or f"{number}-port", "protocol": port.get("protocol", "TCP"),
                          "port": number, "targetPort": number})
    else:
        ports = [{"name": n, "protocol": "TCP", "port": p, "targetPort": p} for n, p in DEFAULT_HEAD_PORTS]
    if not any(p["name"] == "metrics" for p in ports):
        ports.append({"name": "metrics", "protocol": "TCP", "port": METRICS_PORT, "targetPort": METRICS_PORT})
    return ports


def head_pod_labels(cluster: Mapping[str, Any]) -> dict[str, str]:
    name = cluster["metadata"]["name"]
    return {LABEL_CLUSTER: name, LABEL_NODE_TYPE: "head", LABEL_IDENTIFIER: f"{name}-head",
            "app.kubernetes.io/name": "kuberay", "app.kubernetes.io/created-by": CREATED_BY}


def build_head_service(cluster: Mapping[str, Any]) -> Obj:
    """``BuildServiceForHeadPod``: headless unless a non-ClusterIP serviceType is asked for."""
    spec = cluster["spec"]
    service_type = spec["headGroupSpec"].get("serviceType") or "ClusterIP"
    labels = head_pod_labels(cluster)
    svc_spec: Obj = {"selector": dict(labels), "ports": head_service_ports(spec), "type": service_type,
                     "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     "internalTrafficPolicy": "Cluster"}
    if service_type == "ClusterIP":
        svc_spec["clusterIP"] = "None"
        svc_spec["clusterIPs"] = ["None"]
        svc_spec["publishNotReadyAddresses"] = True
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": head_service_name(cluster), "namespace": cluster["metadata"]["namespace"],
                         "labels": labels, "ownerReferences": [controller_ref(cluster)]},
            "spec": svc_spec}


def build_rayjob_head_service(job_raw: Mapping[str, Any], cluster_service: Mapping[str, Any]) -> Obj:
    """``BuildHeadServiceForRayJob`` (v1.5+): ``<rayjob>-head-svc`` with the cluster head Service's spec."""
    name = job_raw["metadata"]["name"]
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": f"{name}-head-svc", "namespace": job_raw["metadata"]["namespace"],
                         "labels": {LABEL_ORIGIN_NAME: name, LABEL_ORIGIN_CRD: "RayJob", LABEL_NODE_TYPE: "head",
                                    LABEL_IDENTIFIER: f"{name}-head"},
                         "ownerReferences": [controller_ref(job_raw)]},
            "spec": deep_copy(cluster_service["spec"])}


def _ray_start_params(params: Mapping[str, Any] | None) -> str:
    return "".join(f"  --{key}={value}" for key, value in sorted((params or {}).items()))


def _pod_from_template(template: Mapping[str, Any], labels: Mapping[str, str]) -> Obj:
    tmpl = deep_copy(dict(template))
    meta = tmpl.get("metadata") or {}
    merged = dict(meta.get("labels") or {})
    merged.update(labels)  # node-type, group and cluster cannot be overridden
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"labels": merged, "annotations": dict(meta.get("annotations") or {})},
            "spec": tmpl["spec"]}


def build_head_pod(cluster: Mapping[str, Any], config: OperatorConfig) -> Obj:
    """The head Pod: template + KubeRay's labels, ``ray start --head`` command, env and readiness probe."""
    spec = cluster["spec"]
    name = cluster["metadata"]["name"]
    labels = {**head_pod_labels(cluster), LABEL_GROUP: "headgroup", "ray.io/is-ray-node": "yes"}
    pod = _pod_from_template(spec["headGroupSpec"]["template"], labels)
    if config.deterministic_head_pod_name:
        pod["metadata"]["name"] = f"{name}-head"
    else:
        pod["metadata"]["generateName"] = f"{name[:MAX_PREFIX]}-head-"
    pod["metadata"]["namespace"] = cluster["metadata"]["namespace"]
    pod["metadata"]["ownerReferences"] = [controller_ref(cluster)]
    container = pod["spec"]["containers"][0]
    dashboard_port = next((int(p["containerPort"]) for p in container.get("ports") or []
                           if p.get("name") == DASHBOARD_PORT_NAME), DEFAULT_DASHBOARD_PORT)
    params = spec["headGroupSpec"].get("rayStartParams") or {}
    command = (f"ulimit -n 65536; ray start --head  --block  --dashboard-agent-listen-port=52365"
               f"  --memory=2147483648  --metrics-export-port={METRICS_PORT}  --no-monitor"
               f"{_ray_start_params(params)}")
    if not container.get("command"):
        container["command"] = ["/bin/bash", "-c", "--"]
        container["args"] = [command]
    env = list(container.get("env") or [])
    env.extend([{"name": "RAY_CLUSTER_NAME", "value": name},
                {"name": "RAY_CLOUD_INSTANCE_ID", "value": name},
                {"name": "RAY_NODE_TYPE_NAME", "value": "headgroup"},
                {"name": "KUBERAY_GEN_RAY_START_CMD", "value": command.split("; ", 1)[1]},
                {"name": "RAY_PORT", "value": "6379"},
                {"name": "RAY_ADDRESS", "value": "127.0.0.1:6379"},
                {"name": "RAY_USAGE_STATS_KUBERAY_IN_USE", "value": "1"},
                {"name": "RAY_DASHBOARD_ENABLE_K8S_DISK_USAGE", "value": "1"}])
    container["env"] = env
    if auth_enabled(spec):
        set_token_env(container, name, spec)
    container.setdefault("readinessProbe", {
        "exec": {"command": ["bash", "-c",
                             "wget --tries 1 -T 2 -q -O- http://localhost:52365/api/local_raylet_healthz | grep "
                             f"success && wget --tries 1 -T 10 -q -O- http://localhost:{dashboard_port}/"
                             f"{HEALTH_PATH} | grep success"]},
        "initialDelaySeconds": 10, "timeoutSeconds": 2, "periodSeconds": 5, "successThreshold": 1,
        "failureThreshold": 10})
    _default_pod_spec(pod["spec"])
    return pod


def build_worker_pod(cluster: Mapping[str, Any], group: Mapping[str, Any], config: OperatorConfig) -> Obj:
    name = cluster["metadata"]["name"]
    namespace = cluster["metadata"]["namespace"]
    group_name = group["groupName"]
    labels = {LABEL_CLUSTER: name, LABEL_NODE_TYPE: "worker", LABEL_GROUP: group_name,
              LABEL_IDENTIFIER: f"{name}-worker", "ray.io/is-ray-node": "yes",
              "app.kubernetes.io/name": "kuberay", "app.kubernetes.io/created-by": CREATED_BY}
    pod = _pod_from_template(group["template"], labels)
    pod["metadata"]["generateName"] = f"{f'{name}-{group_name}'[:MAX_PREFIX]}-worker-"
    pod["metadata"]["namespace"] = namespace
    pod["metadata"]["ownerReferences"] = [controller_ref(cluster)]
    container = pod["spec"]["containers"][0]
    svc = head_service_name(cluster)
    fqdn = f"{svc}.{namespace}.svc.{config.effective_cluster_domain}"
    command = (f"ulimit -n 65536; ray start  --address={fqdn}:6379  --block  --dashboard-agent-listen-port=52365"
               f"  --memory=1073741824  --metrics-export-port={METRICS_PORT}"
               f"{_ray_start_params(group.get('rayStartParams'))}")
    if not container.get("command"):
        container["command"] = ["/bin/bash", "-c", "--"]
        container["args"] = [command]
    env = list(container.get("env") or [])
    env.extend([{"name": "RAY_CLUSTER_NAME", "value": name},
                {"name": "RAY_NODE_TYPE_NAME", "value": group_name},
                {"name": "FQ_RAY_IP", "value": fqdn}, {"name": "RAY_IP", "value": svc},
                {"name": "KUBERAY_GEN_RAY_START_CMD", "value": command.split("; ", 1)[1]},
                {"name": "RAY_USAGE_STATS_KUBERAY_IN_USE", "value": "1"}])
    container["env"] = env
    if auth_enabled(cluster["spec"]):
        set_token_env(container, name, cluster["spec"])
    container.setdefault("readinessProbe", {
        "exec": {"command": ["bash", "-c", "wget --tries 1 -T 2 -q -O- "
                             "http://localhost:52365/api/local_raylet_healthz | grep success"]},
        "initialDelaySeconds": 10, "timeoutSeconds": 2, "periodSeconds": 5, "successThreshold": 1,
        "failureThreshold": 10})
    _default_pod_spec(pod["spec"])
    return pod


def _default_pod_spec(spec: Obj, *, restart_policy: str | None = "Always") -> None:
    """The defaults the API server fills in, so objects are schema-complete for typed clients."""
    if restart_policy is not None:
        spec.setdefault("restartPolicy", restart_policy)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("schedulerName", "default-scheduler")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("securityContext", {})
    for container in spec.get("containers") or []:
        container.setdefault("imagePullPolicy", "IfNotPresent")
        container.setdefault("terminationMessagePath", "/dev/termination-log")
        container.setdefault("terminationMessagePolicy", "File")
        container.setdefault("resources", {})


# -- submitter -----------------------------------------------------------------------------------------------


class SubmitCommandError(Exception):
    """``BuildJobSubmitCommand`` failed (bad runtimeEnvYAML or metadata vs. rayVersion)."""


def runtime_env_json(job: RayJob) -> str:
    """``getRuntimeEnvJson``: runtimeEnvYAML converted to compact JSON (sigs.k8s.io/yaml sorts keys)."""
    if not job.spec.runtime_env_yaml:
        return ""
    try:
        data = yaml.safe_load(job.spec.runtime_env_yaml)
    except yaml.YAMLError as exc:
        raise SubmitCommandError(str(exc)) from exc
    return json.dumps(data, separators=(",", ":"), sort_keys=True)


def _version_tuple(text: str) -> tuple[int, ...] | None:
    parts = text.strip().lstrip("v").split("-")[0].split(".")
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        return None


def metadata_json(job: RayJob) -> str:
    """``getMetadataJSONForSubmitCommand`` (v1.7): rejected only when rayVersion is set and below 2.6.0."""
    if job.spec.ray_cluster_spec is not None:
        version = str(job.spec.ray_cluster_spec.get("rayVersion") or "")
        if version:
            parsed = _version_tuple(version)
            if parsed is None:
                raise SubmitCommandError(f"failed to parse Ray version: {version}: Invalid Semantic Version")
            if parsed < (2, 6, 0):
                raise SubmitCommandError("the Ray version must be at least 2.6.0 to use the metadata field")
    return json.dumps(dict(sorted(job.spec.metadata.items())), separators=(",", ":"))


def dashboard_container_port(cluster_spec: Mapping[str, Any]) -> int:
    for port in head_container(cluster_spec).get("ports") or []:
        if port.get("name") == DASHBOARD_PORT_NAME:
            return int(port["containerPort"])
    return DEFAULT_DASHBOARD_PORT


def build_job_submit_command(job: RayJob, mode: SubmissionMode, *, dashboard_url: str, job_id: str,
                             status_check: bool | None = None,
                             cluster_spec: Mapping[str, Any] | None = None) -> list[str]:
    """``BuildJobSubmitCommand`` (v1.7): health wait loop, status check, ``submit --no-wait``, ``logs --follow``."""
    if mode == SubmissionMode.SIDECAR:
        port = dashboard_container_port(cluster_spec or job.spec.ray_cluster_spec or {})
        address = f"http://127.0.0.1:{port}"
        health_url = f"http://localhost:{port}/{HEALTH_PATH}"
    else:
        address = dashboard_url if dashboard_url.startswith("http://") else f"http://{dashboard_url}"
        health_url = f"{address}/{HEALTH_PATH}"
    needs_status_check = mode == SubmissionMode.K8S_JOB if status_check is None else status_check
    health = (f"python -c \"import urllib.request; r=urllib.request.urlopen('{health_url}', timeout=10); "
              f"exit(0 if b'success' in r.read() else 1)\"")
    cmd = ["until", health, ">/dev/null", "2>&1", ";", "do", "echo",
           go_quote(f"Waiting for Ray Dashboard GCS to become healthy at {address} ..."), ";", "sleep", "2", ";",
           "done", ";"]
    if needs_status_check:
        cmd += ["if", "!", "ray", "job", "status", "--address", address, job_id, ">/dev/null", "2>&1", ";", "then"]
    cmd += ["ray", "job", "submit", "--address", address]
    if needs_status_check:
        cmd.append("--no-wait")
    env_json = runtime_env_json(job)
    if env_json:
        cmd += ["--runtime-env-json", go_quote(env_json)]
    if job.spec.metadata:
        cmd += ["--metadata-json", go_quote(metadata_json(job))]
    if job_id:
        cmd += ["--submission-id", job_id]
    if job.spec.entrypoint_num_cpus and job.spec.entrypoint_num_cpus > 0:
        cmd += ["--entrypoint-num-cpus", f"{job.spec.entrypoint_num_cpus:f}"]
    if job.spec.entrypoint_num_gpus and job.spec.entrypoint_num_gpus > 0:
        cmd += ["--entrypoint-num-gpus", f"{job.spec.entrypoint_num_gpus:f}"]
    if job.spec.entrypoint_resources:
        cmd += ["--entrypoint-resources", go_quote(job.spec.entrypoint_resources)]
    cmd += ["--", job.spec.entrypoint.strip(), ";"]
    if needs_status_check:
        cmd += ["fi", ";", "ray", "job", "logs", "--address", address, "--follow", job_id]
    return cmd


def _bash_command(config: OperatorConfig) -> list[str]:
    """``GetContainerCommand(["e"])``: ``/bin/bash -ce --`` (``-cel`` with ENABLE_LOGIN_SHELL=true)."""
    return ["/bin/bash", "-ce" + ("l" if config.login_shell else ""), "--"]


def _configure_submitter(container: Obj, job: RayJob, mode: SubmissionMode, config: OperatorConfig, *,
                         dashboard_url: str, job_id: str, cluster_spec: Mapping[str, Any] | None = None,
                         status_check: bool | None = None, cluster_name: str = "",
                         cluster_auth: Mapping[str, Any] | None = None) -> None:
    """``configureSubmitterContainer``: default command unless the user set one (always in SidecarMode)."""
    command = build_job_submit_command(job, mode, dashboard_url=dashboard_url, job_id=job_id,
                                       cluster_spec=cluster_spec, status_check=status_check)
    if not container.get("command") or mode == SubmissionMode.SIDECAR:
        container["command"] = _bash_command(config)
        container["args"] = [" ".join(command)]
    env = list(container.get("env") or [])
    env += [{"name": "PYTHONUNBUFFERED", "value": "1"},
            {"name": "RAY_DASHBOARD_ADDRESS", "value": dashboard_url},
            {"name": "RAY_JOB_SUBMISSION_ID", "value": job_id}]
    container["env"] = env
    if cluster_auth is not None and auth_enabled(cluster_auth):
        set_token_env(container, cluster_name, cluster_auth)


def default_submitter_container(cluster_spec: Mapping[str, Any]) -> Obj:
    return {"name": SUBMITTER_CONTAINER, "image": head_container(cluster_spec).get("image", ""),
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "200Mi"}}}


def sidecar_submitter_container(job: RayJob, cluster_spec: Mapping[str, Any], config: OperatorConfig,
                                gates: FeatureGates, cluster_name: str) -> Obj:
    """``getSubmitterContainer`` (SidecarMode): at cluster creation time, so RAY_DASHBOARD_ADDRESS is empty.

    v1.7 with the SidecarSubmitterRestart gate: the script checks ``ray job status`` before submitting and the
    container gets ``restartPolicy: OnFailure`` (a per-container restart rule, Kubernetes 1.35+), so a failed
    submitter restarts in place and re-attaches to the job instead of failing the RayJob at once.
    """
    container = default_submitter_container(cluster_spec)
    restart = gates.sidecar_submitter_restart
    _configure_submitter(container, job, SubmissionMode.SIDECAR, config, dashboard_url=job.status.dashboard_url,
                         job_id=job.status.job_id, cluster_spec=cluster_spec, status_check=restart,
                         cluster_name=cluster_name, cluster_auth=cluster_spec)
    if restart:
        container["restartPolicy"] = "OnFailure"
    return container


def build_submitter_job(job_raw: Mapping[str, Any], job: RayJob, cluster: Mapping[str, Any],
                        config: OperatorConfig) -> Obj:
    """``getSubmitterTemplate`` + ``createNewK8sJob``: the K8sJobMode submitter Job, named like the RayJob."""
    if job.spec.submitter_pod_template is not None:
        template = deep_copy(dict(job.spec.submitter_pod_template))
    else:
        template = {"spec": {"containers": [default_submitter_container(cluster["spec"])],
                             "restartPolicy": "Never"}}
    template.setdefault("spec", {})
    _configure_submitter(template["spec"]["containers"][0], job, SubmissionMode.K8S_JOB, config,
                         dashboard_url=job.status.dashboard_url, job_id=job.status.job_id,
                         cluster_name=cluster["metadata"]["name"], cluster_auth=cluster["spec"])
    meta = template.setdefault("metadata", {})
    labels = meta.setdefault("labels", {})
    labels.update({LABEL_ORIGIN_NAME: job.name, LABEL_ORIGIN_CRD: "RayJob",
                   "app.kubernetes.io/created-by": CREATED_BY})
    # A user template without restartPolicy is left so: the API server then rejects the Job (Always is not
    # allowed for Jobs), exactly the error a real cluster gives.
    _default_pod_spec(template["spec"], restart_policy=None)
    backoff = job.spec.submitter_backoff_limit
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": job.name, "namespace": job.namespace,
                         "labels": {LABEL_ORIGIN_NAME: job.name, LABEL_ORIGIN_CRD: "RayJob",
                                    "app.kubernetes.io/created-by": CREATED_BY},
                         "ownerReferences": [controller_ref(job_raw)]},
            "spec": {"backoffLimit": DEFAULT_SUBMITTER_BACKOFF_LIMIT if backoff is None else backoff,
                     "completions": 1, "parallelism": 1, "template": template}}
