"""Provisioning: bring up (or reuse) a kind cluster with a pinned KubeRay operator; tear down only what we made.

``up`` decides everything first (:func:`plan_up`: profile, pinned node image, rendered kind config, operator
flags; bad input is refused here, before anything is touched), checks the machine (:mod:`.preflight`), then:

1. reuses the named cluster when the harness made it (a cluster of that name it did not make is refused), or
   creates it with ``kind create cluster`` into the harness's own kubeconfig file;
2. checks that the kubeconfig context leads to this cluster's API server, and acts only through it;
3. installs the operator (Helm chart, or release manifests) or verifies the installed one; a live operator of
   the same release with other flags is reconfigured, one of another release is refused (Helm does not
   upgrade CRDs);
4. waits for the operator Deployment to be Available;
5. pulls each image the scenarios name (once) and loads it into the nodes (once per image ID).

Every slow step reports progress. If a step fails after this call created the cluster, diagnostics are
collected into the report folder and the cluster is deleted (unless kept for debugging); an interrupt
(Ctrl-C, SIGTERM) deletes it too. A reused cluster is never deleted by ``up``.

``down`` deletes clusters only when their nodes carry the harness's label (:mod:`.ownership`); ``status``
lists every kind cluster on the engine and says which are the harness's.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import commands
from .catalog import Catalog, InstallProfile, NodeImage, show_version
from .diagnostics import collect
from .engine import Engine, connect
from .errors import ClusterInputError, NotOursError, ProvisioningError
from .handle import ClusterHandle, OperatorRef
from .install import (
    OPERATOR_NAMESPACE,
    OperatorInstall,
    OperatorSettings,
    helm_values,
    kustomize_files,
    operator_drift,
    resolve_install,
)
from .kindconfig import KindConfig, default_config_path, read_kind_config, render_kind_config
from .ownership import ClusterFacts, context_problem, group_clusters, plan_teardown
from .preflight import InstallMethod, Needs, run_preflight
from .progress import NullProgress, Progress
from .state import DEFAULT_CLUSTER, ClusterFiles, ClusterRecord, check_cluster_name, cluster_files
from .toolrun import execute, query
from .tools import KIND, probe

ConnectEngine = Callable[[Mapping[str, str]], Engine]


@dataclass(frozen=True)
class UpRequest:
    name: str = DEFAULT_CLUSTER
    kuberay: str | None = None  # None: the newest release with a profile
    kubernetes: str | None = None  # None: the profile's default
    config: Path | None = None  # None: clusters/kind/single-node.yaml
    settings: OperatorSettings = field(default_factory=OperatorSettings)
    images: tuple[str, ...] = ()
    install: InstallMethod = "auto"
    report: Path | None = None  # where diagnostics go on failure (default: the cluster's state folder)
    keep_on_failure: bool = False
    create_wait: float = commands.CREATE_WAIT
    operator_wait: float = commands.OPERATOR_WAIT


@dataclass(frozen=True)
class UpPlan:
    """Everything ``up`` decided before touching anything."""

    request: UpRequest
    profile: InstallProfile
    image: NodeImage
    kind_config: KindConfig
    rendered_config: str
    install: OperatorInstall
    files: ClusterFiles
    needs: Needs


def plan_up(request: UpRequest, catalog: Catalog, env: Mapping[str, str] | None = None) -> UpPlan:
    """Resolve the request against the catalog; ClusterInputError (nothing touched) for anything wrong."""
    check_cluster_name(request.name)
    profile = catalog.profiles[-1] if request.kuberay is None else catalog.profile(request.kuberay)
    image = catalog.image(request.kubernetes or profile.default_kubernetes)
    if image.kubernetes[:2] < profile.min_kubernetes[:2]:
        raise ClusterInputError(f"KubeRay v{profile.version} needs Kubernetes >= "
                                f"{show_version(profile.min_kubernetes)}, not {show_version(image.kubernetes)}",
                                hint=f"use --k8s-version {profile.default_kubernetes}")
    config = read_kind_config(request.config or default_config_path(catalog.root))
    install = resolve_install(profile, request.settings, image.kubernetes)
    needs = Needs(kind_minimum=max(KIND.minimum, image.kind_release), install=request.install,
                  kind_reason=f"kindest/node v{show_version(image.kubernetes)} was published with kind "
                              f"v{show_version(image.kind_release)}")
    return UpPlan(request, profile, image, config, render_kind_config(config, image), install,
                  cluster_files(request.name, env), needs)


@dataclass(frozen=True)
class DownResult:
    deleted: tuple[str, ...]
    left_alone: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class NodeStatus:
    name: str
    role: str
    state: str


@dataclass(frozen=True)
class ClusterStatus:
    name: str
    owned: bool
    ownership: str
    running: bool
    nodes: tuple[NodeStatus, ...]
    node_image: str
    api_server: str
    kubeconfig: str | None
    operator: str | None  # a one-line state of the operator, None when not looked at
    record: Mapping[str, Any] | None


def _server(address: tuple[str, int] | None) -> str:
    if address is None:
        return ""
    host = "127.0.0.1" if address[0] in ("", "0.0.0.0") else address[0]
    return f"https://{host}:{address[1]}"


class Provisioner:
    """Runs provisioning against the real machine: the engine through the SDK, the tools as subprocesses."""

    def __init__(self, catalog: Catalog, *, env: Mapping[str, str] | None = None, progress: Progress | None = None,
                 connect_engine: ConnectEngine | None = None) -> None:
        self.catalog = catalog
        self.env = dict(env) if env is not None else dict(os.environ)
        self.progress: Progress = progress or NullProgress()
        self._connect = connect_engine or connect

    # -- up ------------------------------------------------------------------------------------------------

    def up(self, request: UpRequest) -> ClusterHandle:
        plan = plan_up(request, self.catalog, self.env)
        with self.progress.step("Checking Docker, kind, kubectl and Helm"):
            engine, report = run_preflight(plan.needs, self.env, self._connect)
        try:
            report.raise_if_failed()
            assert engine is not None and report.install is not None
            for note in report.notes:
                self.progress.note(note)
            return self._up(plan, engine, report.install)
        finally:
            if engine is not None:
                engine.close()

    def _up(self, plan: UpPlan, engine: Engine, method: str) -> ClusterHandle:
        name, files = plan.request.name, plan.files
        existing = self._cluster(engine, name)
        created = False
        if existing is not None:
            self._check_reusable(plan, existing)
            files.ensure()
            self.progress.note(f"reusing kind cluster {name} ({existing.node_image})")
            execute(commands.kind_export_kubeconfig(files.target), log=files.logs / "kind.log", env=self.env)
        else:
            files.ensure()
            files.kind_config.write_text(plan.rendered_config)
            command = commands.kind_create(files.target, files.kind_config, wait=plan.request.create_wait)
            created = True  # from here on, a failure must not leave a half-made cluster behind
            try:
                with self.progress.step(f"{command.title} (Kubernetes {show_version(plan.image.kubernetes)})") as step:
                    execute(command, log=files.logs / "kind.log", step=step, env=self.env,
                            hint="kind's own message is above; `kind create cluster --retain` keeps the nodes "
                                 "of a failed attempt for inspection")
            except BaseException:
                self._discard(plan)
                raise
        try:
            facts = self._cluster(engine, name)
            if facts is None:
                raise ProvisioningError(f"kind reported cluster {name} ready but the engine shows no node of it",
                                        hint="run `kind get clusters` and `docker ps -a` to see what happened")
            self._check_context(files, facts)
            record = files.read_record()
            self._ensure_operator(plan, method, record)
            self._load_images(plan, engine, record)
            record.kuberay, record.kubernetes = plan.profile.version, show_version(plan.image.kubernetes)
            record.node_image, record.install_method = facts.node_image, method
            record.install_fingerprint = plan.install.fingerprint
            files.write_record(record)
        except Exception as exc:
            if not created:
                raise
            folder = self._diagnose(plan)
            self._discard(plan)
            kept = " (kept: --keep-on-failure)" if plan.request.keep_on_failure else " (deleted)"
            message = exc.message if isinstance(exc, ProvisioningError) else str(exc)
            hint = exc.hint if isinstance(exc, ProvisioningError) else None
            raise ProvisioningError(f"{message}\n  cluster {name}{kept}; diagnostics in {folder}",
                                    hint=hint) from exc
        except BaseException:
            if created:
                self._discard(plan)
            raise
        return ClusterHandle(
            name=name, kubeconfig=files.kubeconfig, context=files.target.context, api_server=_server(facts.api_server),
            kubernetes=show_version(plan.image.kubernetes), node_image=facts.node_image, install_method=method,
            operator=OperatorRef(plan.profile.version, plan.install.fingerprint), created=created)

    def _cluster(self, engine: Engine, name: str) -> ClusterFacts | None:
        return next((c for c in group_clusters(engine.kind_nodes()) if c.name == name), None)

    def _check_reusable(self, plan: UpPlan, existing: ClusterFacts) -> None:
        name = existing.name
        if not existing.owned:
            raise NotOursError(f"a kind cluster named {name} already exists and it is {existing.ownership_note()}",
                               hint="pick another --name; the harness never reuses or deletes a cluster it did not "
                                    "create")
        if not existing.running:
            states = ", ".join(f"{node.name}={node.state}" for node in existing.nodes)
            raise ProvisioningError(f"kind cluster {name} exists but not all of its nodes run ({states})",
                                    hint=f"start them with `docker start`, or run `rayjob-harness cluster down "
                                         f"--name {name}` and `cluster up` again")
        pinned = plan.kind_config.pinned_images or (plan.image.image,)
        if plan.request.kubernetes is not None and existing.node_image not in pinned:
            raise ClusterInputError(
                f"kind cluster {name} runs {existing.node_image}, not the requested Kubernetes "
                f"{plan.request.kubernetes} ({plan.image.image})",
                hint=f"run `rayjob-harness cluster down --name {name}` first, or pick another --name")

    def _check_context(self, files: ClusterFiles, facts: ClusterFacts) -> None:
        try:
            kubeconfig = yaml.safe_load(files.kubeconfig.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ProvisioningError(f"the kubeconfig {files.kubeconfig} cannot be read: {exc}",
                                    hint=f"delete it; `cluster up --name {facts.name}` writes it again") from None
        problem = context_problem(kubeconfig, files.target.context, facts.api_server)
        if problem is not None:
            raise NotOursError(f"refusing to act through {files.kubeconfig}: {problem}",
                               hint=f"delete that file; `cluster up --name {facts.name}` writes it again from kind")

    def _ensure_operator(self, plan: UpPlan, method: str, record: ClusterRecord) -> None:
        target, namespace = plan.files.target, plan.install.namespace
        result = query(commands.get_operator(target, namespace), env=self.env)
        if result.returncode != 0:
            raise ProvisioningError(f"reading the operator Deployment failed: {result.stderr.strip()}",
                                    hint="check the cluster with `rayjob-harness cluster status`")
        live = json.loads(result.stdout) if result.stdout.strip() else None
        if live is not None:
            drift = operator_drift(live, plan.install)
            if not drift:
                self.progress.note(f"{plan.install.describe()} is installed as wanted")
                return self._wait_operator(plan)
            if any(item.startswith("image is ") for item in drift):
                raise ClusterInputError(
                    f"kind cluster {plan.request.name} runs another KubeRay release ({drift[0]})",
                    hint=f"run `rayjob-harness cluster down --name {plan.request.name}` first or pick another --name "
                         "(an operator upgrade would keep the old release's CRDs)")
            self.progress.note("reconfiguring the operator: " + "; ".join(drift))
            if record.install_method and record.install_method != method:
                raise ProvisioningError(
                    f"the operator was installed with {record.install_method}, and only {method} is available now",
                    hint=f"use --install {record.install_method}, or recreate the cluster")
        if method == "helm":
            plan.files.values.write_text(yaml.safe_dump(helm_values(plan.install), sort_keys=False))
            command = commands.helm_upgrade_install(target, plan.profile, plan.files.values, namespace)
        else:
            plan.files.overlay.mkdir(parents=True, exist_ok=True)
            for file_name, text in kustomize_files(plan.install).items():
                (plan.files.overlay / file_name).write_text(text)
            command = commands.apply_manifests(target, plan.files.overlay, plan.profile)
        with self.progress.step(command.title) as step:
            execute(command, log=plan.files.logs / f"{method}.log", step=step, env=self.env)
        self._wait_operator(plan)

    def _wait_operator(self, plan: UpPlan) -> None:
        command = commands.wait_operator(plan.files.target, plan.install.namespace, wait=plan.request.operator_wait)
        with self.progress.step(command.title) as step:
            execute(command, log=plan.files.logs / "kubectl.log", step=step, env=self.env,
                    hint="the operator logs and events are in the diagnostics folder; an image pull error or a "
                         "crash at startup (a feature gate the cluster cannot run) shows there")

    def _load_images(self, plan: UpPlan, engine: Engine, record: ClusterRecord) -> None:
        for image in dict.fromkeys(plan.request.images):
            image_id = engine.image_id(image)
            if image_id is None:
                with self.progress.step(f"Pulling {image}") as step:
                    image_id = engine.pull(image, step.update)
            if record.loaded_images.get(image) == image_id:
                self.progress.note(f"{image} is already loaded into {plan.request.name}")
                continue
            command = commands.kind_load_image(plan.files.target, image)
            with self.progress.step(command.title) as step:
                execute(command, log=plan.files.logs / "kind.log", step=step, env=self.env)
            record.loaded_images[image] = image_id
            plan.files.write_record(record)

    def _diagnose(self, plan: UpPlan) -> Path:
        folder = (plan.request.report or plan.files.folder) / f"diagnostics-{time.strftime('%Y%m%d-%H%M%S')}"
        with self.progress.step(f"Collecting diagnostics into {folder}"):
            collect(plan.files.target, folder, operator_namespace=plan.install.namespace, env=self.env)
        return folder

    def _discard(self, plan: UpPlan) -> None:
        """Delete the cluster this call created, unless it is kept for debugging.

        Only called after this call ran ``kind create`` for a name no cluster had just before, which is what
        makes the cluster ours even when an interrupt came before kind wrote the node labels.
        """
        if plan.request.keep_on_failure:
            return
        command = commands.kind_delete(plan.files.target)
        try:
            with self.progress.step(command.title):
                execute(command, log=plan.files.logs / "kind.log", env=self.env)
        except ProvisioningError as exc:
            self.progress.note(f"could not delete {plan.request.name}: {exc.message.splitlines()[0]}")
            return
        plan.files.remove()

    # -- down ----------------------------------------------------------------------------------------------

    def down(self, names: Sequence[str] = (), *, everything: bool = False) -> DownResult:
        """Delete the named clusters (or all of the harness's); refuse, deleting nothing, if one is not ours."""
        for name in names:
            check_cluster_name(name)
        with self._connect(self.env) as engine:
            clusters = group_clusters(engine.kind_nodes())
        plan = plan_teardown(clusters, names=names, everything=everything)
        if plan.left_alone and not everything:
            name, why = plan.left_alone[0]
            raise NotOursError(f"refusing to delete kind cluster {name}: it is {why}",
                               hint=f"the harness deletes only clusters it created; `kind delete cluster --name "
                                    f"{name}` does it if you are sure")
        if plan.delete:
            kind = probe(KIND, self.env)
            if not kind.found:
                raise ProvisioningError("kind is not on PATH; it deletes the clusters", hint=KIND.install)
        for name in plan.delete:
            files = cluster_files(name, self.env).ensure()
            command = commands.kind_delete(files.target)
            with self.progress.step(command.title):
                execute(command, log=files.folder.parent / f"{name}-delete.log", env=self.env)
            files.remove()
        for name in plan.missing:
            stale = cluster_files(name, self.env)
            if stale.folder.exists():
                stale.remove()
        return DownResult(plan.delete, plan.left_alone, plan.missing)

    # -- status --------------------------------------------------------------------------------------------

    def status(self, names: Sequence[str] = (), *, operator: bool = True) -> list[ClusterStatus]:
        with self._connect(self.env) as engine:
            clusters = group_clusters(engine.kind_nodes())
        wanted = set(names)
        found = []
        for cluster in clusters:
            if wanted and cluster.name not in wanted:
                continue
            files = cluster_files(cluster.name, self.env) if cluster.owned else None
            kubeconfig = str(files.kubeconfig) if files is not None and files.kubeconfig.exists() else None
            record = None
            if files is not None and files.record_path.exists():
                record = dict(vars(files.read_record()))
            state = None
            if operator and cluster.owned and cluster.running and files is not None and kubeconfig:
                state = self._operator_state(files)
            found.append(ClusterStatus(
                name=cluster.name, owned=cluster.owned, ownership=cluster.ownership_note(), running=cluster.running,
                nodes=tuple(NodeStatus(n.name, n.role, n.state) for n in cluster.nodes),
                node_image=cluster.node_image, api_server=_server(cluster.api_server), kubeconfig=kubeconfig,
                operator=state, record=record))
        return found

    def _operator_state(self, files: ClusterFiles) -> str:
        record = files.read_record()
        try:
            result = query(commands.get_operator(files.target, OPERATOR_NAMESPACE), env=self.env)
        except ProvisioningError as exc:
            return f"unknown ({exc.message})"
        if result.returncode != 0:
            lines = result.stderr.strip().splitlines()
            return f"unknown ({lines[-1] if lines else 'kubectl failed'})"
        if not result.stdout.strip():
            return "not installed"
        live = json.loads(result.stdout)
        conditions = {c.get("type"): c.get("status") for c in (live.get("status") or {}).get("conditions") or []}
        available = "Available" if conditions.get("Available") == "True" else "not Available"
        containers = live["spec"]["template"]["spec"]["containers"]
        images = ", ".join(str(c.get("image")) for c in containers)
        via = f", installed with {record.install_method}" if record.install_method else ""
        return f"{available} ({images}{via})"
