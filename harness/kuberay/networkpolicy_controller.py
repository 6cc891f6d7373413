"""KubeRay v1.7.0's NetworkPolicy controller: one NetworkPolicy for the head and one per worker group.

It runs only when the operator has the RayClusterNetworkPolicy gate (alpha, off by default) and acts on
RayClusters with ``spec.networkPolicy``: ``<cluster>-head`` and ``<cluster>-workers-<group>``, owned by the
RayCluster, selecting its pods by label. The mode (default ``DenyAll``) decides which directions are restricted;
the operator always allows traffic within the cluster and, for a K8sJobMode RayJob's cluster, the submitter pod
to the dashboard port; the user's rules are appended. Policies of removed groups (or of a cluster whose
``networkPolicy`` is removed) are deleted. Like upstream, it reconciles on creation and generation changes of a
RayCluster and on changes of the policies it owns, and it does not validate the spec (the RayCluster controller
does).

What it does not model: enforcement. The simulated network lets every pod reach every other one, so a policy
that would cut a real cluster off (``DenyAll`` without a DNS egress rule stops workers from resolving the head)
has no effect here; the simulator warns about that case when the manifest is applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .._util.jsoncopy import deep_copy
from ..model.kinds import NETWORKPOLICY, RAYCLUSTER
from ..model.labels import (
    LABEL_CLUSTER,
    LABEL_GROUP,
    LABEL_NODE_TYPE,
    LABEL_ORIGIN_CRD,
    LABEL_ORIGIN_NAME,
    LABEL_SUBMISSION_MODE,
)
from ..model.meta import controller_ref
from ..sim.clock import Clock
from ..sim.events import NORMAL, WARNING, EventRecorder
from ..sim.store import AlreadyExists, ApiError, NotFound, ObjectStore, WatchEvent
from ..sim.workqueue import WorkQueue

Obj = dict[str, Any]
Key = tuple[str, str]

CONTROLLER_NAME: Final = "networkpolicy-controller"
HEAD_GROUP: Final = "headgroup"  # RayNodeHeadGroupLabelValue
DEFAULT_DASHBOARD_PORT: Final = 8265
_INGRESS_MODES: Final = ("DenyAll", "DenyAllIngress")
_EGRESS_MODES: Final = ("DenyAll", "DenyAllEgress")


def _same_cluster(cluster: str) -> list[Obj]:
    """``buildBaseIngressRules``/``buildBaseEgressRules``: every port, to or from the cluster's own pods."""
    return [{"podSelector": {"matchLabels": {LABEL_CLUSTER: cluster}}}]


def _same_cluster_rules(cluster: str) -> list[Obj]:
    return [{"from": _same_cluster(cluster)}]


def _same_cluster_egress(cluster: str) -> list[Obj]:
    return [{"to": _same_cluster(cluster)}]


def _dashboard_port(cluster: Mapping[str, Any]) -> int:
    """``getHeadPort(instance, "dashboard-port", 8265)``: rayStartParams, when it parses as an int32."""
    value = ((cluster["spec"].get("headGroupSpec") or {}).get("rayStartParams") or {}).get("dashboard-port")
    try:
        port = int(str(value))
    except ValueError:
        return DEFAULT_DASHBOARD_PORT
    return port if -(2**31) <= port < 2**31 else DEFAULT_DASHBOARD_PORT


def _rayjob_peer(cluster: Mapping[str, Any]) -> Obj | None:
    """``buildRayJobPeer``: the submitter pod of the K8sJobMode RayJob that controls this cluster, if any."""
    labels = cluster["metadata"].get("labels") or {}
    if labels.get(LABEL_SUBMISSION_MODE) != "K8sJobMode":
        return None
    for ref in cluster["metadata"].get("ownerReferences") or []:
        if ref.get("kind") == "RayJob" and ref.get("controller") and str(ref.get("apiVersion", "")).startswith(
                "ray.io/"):
            return {"podSelector": {"matchLabels": {LABEL_ORIGIN_NAME: ref["name"], LABEL_ORIGIN_CRD: "RayJob"}}}
    return None


def _labels(cluster: Mapping[str, Any], group: str) -> dict[str, str]:
    return {LABEL_CLUSTER: cluster["metadata"]["name"], LABEL_GROUP: group, "app.kubernetes.io/name": "kuberay",
            "app.kubernetes.io/created-by": "kuberay-operator"}


def _with_tcp(rules: list[Obj]) -> list[Obj]:
    """Ports without a protocol get TCP, as the API server defaults them (``normalizeNetworkPolicyPorts``)."""
    out: list[Obj] = deep_copy(rules)
    for rule in out:
        for port in rule.get("ports") or []:
            port.setdefault("protocol", "TCP")
    return out


def _policy(cluster: Mapping[str, Any], name: str, group: str, selector: dict[str, str], mode: str,
            ingress: list[Obj], egress: list[Obj], custom: Mapping[str, Any] | None) -> Obj:
    spec: Obj = {"podSelector": {"matchLabels": selector}, "policyTypes": []}
    if mode in _INGRESS_MODES:
        spec["policyTypes"].append("Ingress")
        spec["ingress"] = _with_tcp(ingress + list((custom or {}).get("ingressRules") or []))
    if mode in _EGRESS_MODES:
        spec["policyTypes"].append("Egress")
        spec["egress"] = _with_tcp(egress + list((custom or {}).get("egressRules") or []))
    meta = cluster["metadata"]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": meta["namespace"], "labels": _labels(cluster, group),
                         "ownerReferences": [controller_ref(cluster)]},
            "spec": spec}


def desired_policies(cluster: Mapping[str, Any]) -> list[Obj]:
    """``buildHeadNetworkPolicy`` and ``buildWorkerGroupNetworkPolicy`` for every worker group, in spec order."""
    config = cluster["spec"].get("networkPolicy") or {}
    mode = config.get("mode") or "DenyAll"
    name = cluster["metadata"]["name"]
    head_ingress = _same_cluster_rules(name)
    peer = _rayjob_peer(cluster)
    if peer is not None:
        head_ingress.append({"from": [peer], "ports": [{"protocol": "TCP", "port": _dashboard_port(cluster)}]})
    policies = [_policy(cluster, f"{name}-head", HEAD_GROUP, {LABEL_CLUSTER: name, LABEL_NODE_TYPE: "head"}, mode,
                        head_ingress, _same_cluster_egress(name), config.get("head"))]
    for group in cluster["spec"].get("workerGroupSpecs") or []:
        group_name = str(group.get("groupName", ""))
        custom = next((g for g in config.get("workerGroups") or [] if g.get("groupName") == group_name),
                      config.get("worker"))
        selector = {LABEL_CLUSTER: name, LABEL_NODE_TYPE: "worker", LABEL_GROUP: group_name}
        policies.append(_policy(cluster, f"{name}-workers-{group_name}", group_name, selector, mode,
                                _same_cluster_rules(name), _same_cluster_egress(name), custom))
    return policies


def _controlled_by(obj: Mapping[str, Any], owner_uid: str) -> bool:
    return any(ref.get("controller") and ref.get("uid") == owner_uid
               for ref in obj["metadata"].get("ownerReferences") or [])


class NetworkPolicyController:
    """``NetworkPolicyController.Reconcile`` over the simulated store (registered only with the gate on)."""

    def __init__(self, store: ObjectStore, clock: Clock, events: EventRecorder) -> None:
        self.store = store
        self.clock = clock
        self.events = events
        self.queue: WorkQueue[Key] = WorkQueue(clock, self.reconcile, name="networkpolicy")
        self.log: list[str] = []
        self._unwatch = store.watch(self._on_event)

    def stop(self) -> None:
        """The operator process stops: no more watch events, no pending reconciles."""
        self._unwatch()
        self.queue.shut_down()

    def _on_event(self, event: WatchEvent) -> None:
        if event.rtype == RAYCLUSTER:
            # GenerationChangedPredicate: creations, and updates that change the spec (not status-only writes).
            old_generation = (event.old or {}).get("metadata", {}).get("generation")
            if event.old is None or old_generation != event.obj["metadata"].get("generation"):
                self.queue.add((event.namespace, event.name))
        elif event.rtype == NETWORKPOLICY:
            for ref in event.obj["metadata"].get("ownerReferences") or []:
                if ref.get("controller") and ref.get("kind") == "RayCluster":
                    self.queue.add((event.namespace, ref["name"]))

    def _event(self, cluster: Mapping[str, Any], reason: str, message: str, action: str) -> None:
        self.events.record(cluster, NORMAL, reason, message, component=CONTROLLER_NAME, action=action)

    def reconcile(self, key: Key) -> None:
        cluster = self.store.find(RAYCLUSTER, *key)
        if cluster is None or cluster["metadata"].get("deletionTimestamp") or cluster["spec"].get("managedBy") \
                not in (None, "", "ray.io/kuberay-operator"):
            return
        try:
            desired = [] if cluster["spec"].get("networkPolicy") is None else desired_policies(cluster)
            for policy in desired:
                self._create_or_update(cluster, policy)
            self._delete_stale(cluster, {p["metadata"]["name"] for p in desired})
        except ApiError as exc:
            self.log.append(f"{self.clock.now:.3f} NetworkPolicy for RayCluster {key[0]}/{key[1]}: {exc}")
            self.queue.add_rate_limited(key)
            return
        self.queue.forget(key)

    def _create_or_update(self, cluster: Mapping[str, Any], policy: Obj) -> None:
        """``createOrUpdateNetworkPolicy``: create; if it exists and is ours, update labels and spec if they differ."""
        namespace, name = policy["metadata"]["namespace"], policy["metadata"]["name"]
        try:
            self.store.create(policy)
        except AlreadyExists:
            existing = self.store.find(NETWORKPOLICY, namespace, name)
            if existing is None:
                raise
            if not _controlled_by(existing, cluster["metadata"]["uid"]):
                self.events.record(
                    cluster, WARNING, "NetworkPolicyNameCollision",
                    f"NetworkPolicy {namespace}/{name} already exists and is not owned by this RayCluster, network "
                    "isolation will not be applied. Rename the existing NetworkPolicy or use a different RayCluster "
                    "name to avoid the collision", component=CONTROLLER_NAME, action="Validate")
                raise ApiError(f"NetworkPolicy {namespace}/{name} already exists and is not owned by this "
                               "RayCluster") from None
            if existing.get("spec") == policy["spec"] and \
                    existing["metadata"].get("labels") == policy["metadata"]["labels"]:
                return
            updated = deep_copy(existing)
            updated["spec"] = policy["spec"]
            updated["metadata"]["labels"] = policy["metadata"]["labels"]
            self.store.update(updated, owned=True)
            self._event(cluster, "UpdatedNetworkPolicy", f"Updated NetworkPolicy {namespace}/{name}", "Update")
            return
        self._event(cluster, "CreatedNetworkPolicy", f"Created NetworkPolicy {namespace}/{name}", "Create")

    def _delete_stale(self, cluster: Mapping[str, Any], wanted: set[str]) -> None:
        """``deleteStaleNetworkPolicies``: ours, labelled with the cluster, and no longer wanted."""
        meta = cluster["metadata"]
        for policy in self.store.list(NETWORKPOLICY, meta["namespace"], {LABEL_CLUSTER: meta["name"]}):
            name = policy["metadata"]["name"]
            if name in wanted or not _controlled_by(policy, meta["uid"]):
                continue
            try:
                self.store.delete(NETWORKPOLICY, meta["namespace"], name)
            except NotFound:
                continue
            self._event(cluster, "DeletedNetworkPolicy", f"Deleted NetworkPolicy {meta['namespace']}/{name}",
                        "Delete")
