"""``rayjob-harness cluster up|down|status``: kind clusters with the real KubeRay operator, made by the harness.

``up`` creates (or reuses) a kind cluster, installs the pinned KubeRay release with the asked-for feature gates
and operator environment, waits for the operator, and loads the images the given scenarios name; ``--dry-run``
prints what it would do without touching anything. ``down`` deletes clusters the harness created, and refuses
any other. ``status`` lists every kind cluster on the Docker engine and says which are the harness's.

Argument parsing and rendering only: the work is ``harness.backends.kind``'s. Exit codes: 0 done, 1 the
machine or a tool failed (the message names it and the fix), 2 bad input or a refused request.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from .._util.durations import parse_duration
from ..backends.kind import commands
from ..backends.kind.catalog import Catalog, load_catalog, show_version
from ..backends.kind.errors import ClusterInputError
from ..backends.kind.images import images_in_scenarios
from ..backends.kind.install import OperatorSettings, helm_values, kustomize_files
from ..backends.kind.progress import LineProgress
from ..backends.kind.provision import ClusterStatus, Provisioner, UpRequest, plan_up
from ..backends.kind.state import DEFAULT_CLUSTER
from ..errors import InputError
from ..model.featuregates import parse_feature_gates


def register(sub: Any) -> None:
    """Add ``cluster`` and its subcommands to the top-level parser's subcommands."""
    cluster = sub.add_parser("cluster", help="create, inspect or delete kind clusters running the real KubeRay "
                                             "operator",
                             description="kind clusters with a pinned KubeRay operator, for running scenarios "
                                         "against the real thing. Needs Docker, kind and kubectl (and Helm, or "
                                         "git for the release manifests).")
    actions = cluster.add_subparsers(dest="cluster_command", metavar="ACTION")
    up = actions.add_parser("up", help="create or reuse a cluster and install KubeRay",
                            description="Create the kind cluster (or reuse it when the harness made it), install "
                                        "the pinned KubeRay release, wait for the operator, load images.")
    _common(up)
    up.add_argument("--kuberay-version", default=None, metavar="V",
                    help="KubeRay release to install: 1.5, 1.6 or 1.7 (default: the newest profile)")
    up.add_argument("--k8s-version", default=None, metavar="K",
                    help="Kubernetes release of the node image, e.g. 1.35 (default: the KubeRay profile's)")
    up.add_argument("--config", type=Path, default=None, metavar="FILE",
                    help="kind cluster config (default: clusters/kind/single-node.yaml)")
    up.add_argument("--feature-gates", default="", metavar="G=true,...",
                    help="operator feature gates, e.g. RayJobDeletionPolicy=true,RayCronJob=false")
    up.add_argument("--operator-env", action="append", default=[], metavar="NAME=VALUE",
                    help="an operator environment variable (repeatable), e.g. DELETE_RAYJOB_CR_AFTER_JOB_FINISHES=true")
    up.add_argument("--image", action="append", default=[], dest="images", metavar="IMAGE",
                    help="an image to pull and load into the nodes (repeatable)")
    up.add_argument("--scenarios", action="append", default=[], metavar="PATH",
                    help="load the images these scenario files or folders name (repeatable)")
    up.add_argument("--install", choices=("auto", "helm", "manifests"), default="auto",
                    help="how to install KubeRay: the Helm chart, the release manifests with kubectl, or auto "
                         "(Helm when it is installed)")
    up.add_argument("--report", type=Path, default=None, metavar="DIR",
                    help="where diagnostics go if provisioning fails (default: the cluster's state folder)")
    up.add_argument("--keep-on-failure", action="store_true",
                    help="keep a cluster this command created even if a later step failed (to debug it)")
    up.add_argument("--wait", default=f"{int(commands.CREATE_WAIT)}s", metavar="DURATION",
                    help="how long kind may wait for the control plane (default: %(default)s)")
    up.add_argument("--operator-wait", default=f"{int(commands.OPERATOR_WAIT)}s", metavar="DURATION",
                    help="how long to wait for the operator to be Available (default: %(default)s)")
    up.add_argument("--dry-run", action="store_true",
                    help="print the plan (kind config, Helm values, commands) and touch nothing")
    up.add_argument("--format", choices=("text", "json"), default="text",
                    help="json: print the cluster handle (kubeconfig, context, operator) as JSON on stdout")
    up.set_defaults(handler=up_command)
    down = actions.add_parser("down", help="delete clusters the harness created",
                              description="Delete kind clusters the harness created. A cluster it did not create "
                                          "is refused (with --name) or left alone (with --all).")
    _common(down, many=True)
    down.add_argument("--all", action="store_true", dest="everything",
                      help="every kind cluster the harness created (others are left alone)")
    down.set_defaults(handler=down_command)
    status = actions.add_parser("status", help="list kind clusters and which are the harness's",
                                description="List the kind clusters on the Docker engine: nodes, Kubernetes, API "
                                            "server, whether the harness made them, and their KubeRay operator.")
    _common(status, many=True)
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(handler=status_command)
    cluster.set_defaults(handler=lambda args: _usage(cluster))


def _common(parser: argparse.ArgumentParser, *, many: bool = False) -> None:
    if many:
        parser.add_argument("--name", action="append", default=[], dest="names", metavar="N",
                            help="a cluster name (repeatable)")
    else:
        parser.add_argument("--name", default=DEFAULT_CLUSTER, metavar="N",
                            help="the kind cluster's name (default: %(default)s)")
    parser.add_argument("--clusters", type=Path, default=None, metavar="DIR",
                        help="the cluster catalog folder (default: the harness's clusters/ folder)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while provisioning, so a half-made cluster is cleaned up either way."""
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _duration(value: str, flag: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise InputError(f"{flag}: {exc}", hint="write e.g. 90s or 5m") from None


def _operator_env(items: Sequence[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(f"--operator-env {item!r} is not NAME=VALUE",
                             hint="e.g. --operator-env DELETE_RAYJOB_CR_AFTER_JOB_FINISHES=true")
        env[name] = value
    return env


def _scenario_images(paths: Sequence[str]) -> list[str]:
    if not paths:
        return []
    from ..scenario import discover, load_file

    return images_in_scenarios(scenario for file in discover(paths) for scenario in load_file(file))


def _catalog(args: argparse.Namespace) -> Catalog:
    return load_catalog(args.clusters)


def _request(args: argparse.Namespace) -> UpRequest:
    settings = OperatorSettings(env=_operator_env(args.operator_env),
                                feature_gates=parse_feature_gates(args.feature_gates))
    images = tuple(dict.fromkeys([*args.images, *_scenario_images(args.scenarios)]))
    return UpRequest(name=args.name, kuberay=args.kuberay_version, kubernetes=args.k8s_version, config=args.config,
                     settings=settings, images=images, install=args.install, report=args.report,
                     keep_on_failure=args.keep_on_failure, create_wait=_duration(args.wait, "--wait"),
                     operator_wait=_duration(args.operator_wait, "--operator-wait"))


def up_command(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    request = _request(args)
    if args.dry_run:
        return _print_plan(request, catalog)
    with _sigterm_interrupts():
        handle = Provisioner(catalog, progress=LineProgress(sys.stderr)).up(request)
    if args.format == "json":
        print(json.dumps(handle.to_json(), indent=2))
        return 0
    verb = "created" if handle.created else "ready (reused)"
    print(f"kind cluster {handle.name} {verb}: Kubernetes {handle.kubernetes}, KubeRay v{handle.operator.kuberay} "
          f"({handle.install_method}) in namespace {handle.operator.namespace}")
    print(f"  kubectl --kubeconfig {handle.kubeconfig} --context {handle.context} get rayjobs --all-namespaces")
    print(f"  rayjob-harness cluster down --name {handle.name}")
    return 0


def _print_plan(request: UpRequest, catalog: Catalog) -> int:
    import yaml

    plan = plan_up(request, catalog)
    target = plan.files.target
    print(f"# cluster {request.name}: KubeRay v{plan.profile.version} on Kubernetes "
          f"{show_version(plan.image.kubernetes)} ({plan.image.image})")
    print(f"# operator: {plan.install.feature_gates_arg}" + "".join(f" {k}={v}" for k, v in plan.install.env))
    print(f"# state folder: {plan.files.folder}")
    print("\n# kind config")
    print(plan.rendered_config.rstrip())
    print("\n# Helm values (--install helm)")
    print(yaml.safe_dump(helm_values(plan.install), sort_keys=False).rstrip())
    print("\n# kustomize overlay (--install manifests)")
    for name, text in kustomize_files(plan.install).items():
        print(f"## {name}\n{text.rstrip()}")
    steps = [commands.kind_create(target, plan.files.kind_config, wait=request.create_wait),
             commands.helm_upgrade_install(target, plan.profile, plan.files.values, plan.install.namespace)
             if request.install != "manifests" else commands.apply_manifests(target, plan.files.overlay, plan.profile),
             commands.wait_operator(target, plan.install.namespace, wait=request.operator_wait),
             *[commands.kind_load_image(target, image) for image in request.images]]
    print("\n# commands (an existing cluster of the harness's is reused instead of created)")
    for step in steps:
        print(str(step))
    return 0


def down_command(args: argparse.Namespace) -> int:
    if not args.names and not args.everything:
        raise ClusterInputError("cluster down needs --name N or --all",
                                hint=f"e.g. rayjob-harness cluster down --name {DEFAULT_CLUSTER}")
    if args.names and args.everything:
        raise ClusterInputError("cluster down takes --name or --all, not both", hint="pick one")
    with _sigterm_interrupts():
        result = Provisioner(_catalog_or_none(args), progress=LineProgress(sys.stderr)).down(
            args.names, everything=args.everything)
    for name in result.deleted:
        print(f"deleted kind cluster {name}")
    for name, why in result.left_alone:
        print(f"left alone kind cluster {name}: {why}")
    for name in result.missing:
        print(f"no kind cluster named {name}")
    if args.everything and not result.deleted:
        print("no kind cluster of the harness's to delete")
    return 0


def _catalog_or_none(args: argparse.Namespace) -> Catalog:
    """down and status do not need the catalog's data, but a broken one should not stop a teardown."""
    try:
        return _catalog(args)
    except ClusterInputError:
        return Catalog(args.clusters or Path("clusters"), (), ())


def status_command(args: argparse.Namespace) -> int:
    found = Provisioner(_catalog_or_none(args)).status(args.names)
    if args.format == "json":
        print(json.dumps([_status_json(status) for status in found], indent=2))
        return 0
    if not found:
        print("no kind clusters" + (f" named {', '.join(args.names)}" if args.names else ""))
        return 0
    for status in found:
        print(_status_text(status))
    return 0


def _status_json(status: ClusterStatus) -> dict[str, Any]:
    return {"name": status.name, "owned": status.owned, "ownership": status.ownership, "running": status.running,
            "nodes": [vars(node) for node in status.nodes], "node_image": status.node_image,
            "api_server": status.api_server, "kubeconfig": status.kubeconfig, "operator": status.operator,
            "record": status.record}


def _status_text(status: ClusterStatus) -> str:
    nodes = ", ".join(f"{node.role} {node.state}" for node in status.nodes)
    lines = [f"{status.name}: {status.ownership}", f"  nodes: {nodes}", f"  image: {status.node_image}"]
    if status.api_server:
        lines.append(f"  API server: {status.api_server}")
    if status.kubeconfig:
        lines.append(f"  kubeconfig: {status.kubeconfig} (context kind-{status.name})")
    if status.operator:
        lines.append(f"  KubeRay operator: {status.operator}")
    if status.record and status.record.get("loaded_images"):
        lines.append(f"  loaded images: {', '.join(sorted(status.record['loaded_images']))}")
    return "\n".join(lines)

