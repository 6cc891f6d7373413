"""The Docker engine, through the ``docker`` SDK: is it there, what kind clusters does it run, which images has it.

kind marks each node container with the label ``io.x-k8s.kind.cluster=<name>`` (and ``io.x-k8s.kind.role``),
so the engine knows every kind cluster on the machine, whoever made it. For each node this module also reads
``/kind/kubeadm.conf`` out of the container (the Docker archive API, no exec): kind writes the node labels of
its cluster config there, and that is where the harness's ownership label shows (see :mod:`.ownership`).

The engine is found as the ``docker`` client finds it: ``DOCKER_HOST`` when set, else the current Docker
context (Docker Desktop and colima use their own sockets), else ``/var/run/docker.sock``.

Not here: deciding what a cluster's labels mean (:mod:`.ownership`), the kind CLI (:mod:`.commands`).
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ...errors import MissingDependencyError
from .errors import Problem, ProvisioningError

CLUSTER_LABEL: Final = "io.x-k8s.kind.cluster"
ROLE_LABEL: Final = "io.x-k8s.kind.role"
KUBEADM_CONFIG: Final = "/kind/kubeadm.conf"
API_SERVER_PORT: Final = "6443/tcp"
DEFAULT_HOST: Final = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class EngineInfo:
    host: str
    server_version: str
    mem_total: int  # bytes the engine (its VM, on Docker Desktop) can use
    ncpu: int
    root_dir: str  # DockerRootDir, where images and containers live
    operating_system: str


@dataclass(frozen=True)
class KindNode:
    """One node container of a kind cluster, as the engine reports it."""

    cluster: str
    role: str
    container_id: str
    name: str
    state: str  # running, exited, created, paused, ...
    image: str
    api_server: tuple[str, int] | None  # host address publishing 6443 (control plane or load balancer)
    kubeadm_config: str | None  # the text of /kind/kubeadm.conf, None when it cannot be read
    labels: Mapping[str, str] = field(default_factory=dict)  # the container's Docker labels


def engine_host(env: Mapping[str, str]) -> str:
    """Where the ``docker`` client would connect with this environment."""
    if env.get("DOCKER_HOST"):
        return env["DOCKER_HOST"]
    try:
        from docker.context import ContextAPI
    except ImportError:
        return DEFAULT_HOST
    try:
        context = ContextAPI.get_current_context()
    except Exception:  # a broken ~/.docker/config.json is the docker client's problem to report
        return DEFAULT_HOST
    host = getattr(context, "Host", None) if context is not None else None
    return str(host) if host else DEFAULT_HOST


def unreachable_problem(host: str, reason: str) -> Problem:
    return Problem(
        "docker",
        f"the Docker engine is not reachable at {host} ({reason})",
        "start Docker (Docker Desktop, `sudo systemctl start docker`, or `colima start`) and check that "
        "`docker info` answers; set DOCKER_HOST to use another engine. kind runs every cluster node as a Docker "
        "container, so nothing can be provisioned without one")


class Engine:
    """A connected Docker engine (the SDK's low-level client); close it when done."""

    def __init__(self, api: Any, host: str) -> None:
        self._api = api
        self.host = host

    def close(self) -> None:
        self._api.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def info(self) -> EngineInfo:
        data = self._call(self._api.info)
        return EngineInfo(self.host, str(data.get("ServerVersion", "")), int(data.get("MemTotal") or 0),
                          int(data.get("NCPU") or 0), str(data.get("DockerRootDir", "")),
                          str(data.get("OperatingSystem", "")))

    def kind_nodes(self) -> list[KindNode]:
        """Every kind node container, running or not, with its cluster, role and kubeadm config."""
        listed = self._call(self._api.containers, all=True, filters={"label": CLUSTER_LABEL})
        nodes = []
        for entry in listed:
            try:
                detail = self._api.inspect_container(entry["Id"])
            except Exception as exc:
                if _is_not_found(exc):
                    continue  # removed while we looked
                raise _engine_error("inspecting a kind node container", exc) from exc
            nodes.append(self._node(detail))
        return sorted(nodes, key=lambda n: (n.cluster, n.role, n.name))

    def _node(self, detail: Mapping[str, Any]) -> KindNode:
        config = detail.get("Config") or {}
        labels = dict(config.get("Labels") or {})
        ports = ((detail.get("NetworkSettings") or {}).get("Ports") or {}).get(API_SERVER_PORT) or []
        api_server = (str(ports[0].get("HostIp") or "127.0.0.1"), int(ports[0]["HostPort"])) if ports else None
        return KindNode(cluster=labels.get(CLUSTER_LABEL, ""), role=labels.get(ROLE_LABEL, ""),
                        container_id=str(detail.get("Id", "")), name=str(detail.get("Name", "")).lstrip("/"),
                        state=str((detail.get("State") or {}).get("Status", "unknown")),
                        image=str(config.get("Image", "")), api_server=api_server,
                        kubeadm_config=self._read_file(str(detail.get("Id", "")), KUBEADM_CONFIG), labels=labels)

    def _read_file(self, container_id: str, path: str) -> str | None:
        try:
            stream, _stat = self._api.get_archive(container_id, path)
            data = b"".join(stream)
        except Exception:  # absent file, a container being removed: the cluster's ownership stays unproven
            return None
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                member = next((m for m in archive.getmembers() if m.isfile()), None)
                handle = archive.extractfile(member) if member is not None else None
                return handle.read().decode("utf-8", "replace") if handle is not None else None
        except tarfile.TarError:
            return None

    def image_id(self, reference: str) -> str | None:
        """The local image's ID, or None when the engine does not have it."""
        try:
            return str(self._api.inspect_image(reference)["Id"])
        except Exception as exc:
            if _is_not_found(exc):
                return None
            raise _engine_error(f"inspecting image {reference}", exc) from exc

    def pull(self, reference: str, report: Callable[[str], None] | None = None) -> str:
        """Pull ``reference`` (streaming progress to ``report``) and return its image ID."""
        layers: dict[str, tuple[int, int]] = {}
        try:
            for event in self._api.pull(reference, stream=True, decode=True):
                if "error" in event:
                    raise ProvisioningError(f"pulling {reference} failed: {event['error']}",
                                            hint="check the image name and tag, and that the registry is reachable "
                                                 "(Docker Hub limits anonymous pulls; `docker login` raises it)")
                detail = event.get("progressDetail") or {}
                if event.get("id") and detail.get("total"):
                    layers[event["id"]] = (int(detail.get("current") or 0), int(detail["total"]))
                if report is not None and layers:
                    done = sum(c for c, _ in layers.values())
                    total = sum(t for _, t in layers.values())
                    report(f"{done / 2**20:.0f}/{total / 2**20:.0f} MiB in {len(layers)} layers")
        except ProvisioningError:
            raise
        except Exception as exc:
            raise _engine_error(f"pulling {reference}", exc) from exc
        found = self.image_id(reference)
        if found is None:
            raise ProvisioningError(f"pulled {reference} but the engine does not list it",
                                    hint="run `docker pull` yourself to see what the registry answers")
        return found

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise _engine_error(getattr(fn, "__name__", "a request"), exc) from exc


def _is_not_found(exc: Exception) -> bool:
    return type(exc).__name__ in ("NotFound", "ImageNotFound")


def _engine_error(doing: str, exc: Exception) -> ProvisioningError:
    return ProvisioningError(f"the Docker engine failed while {doing}: {exc}",
                             hint="check `docker info`; the engine may have stopped or be out of disk space")


def connect(env: Mapping[str, str] | None = None, *, timeout: float = 15.0) -> Engine:
    """Connect to the engine the ``docker`` client would use; ProvisioningError naming Docker if it cannot."""
    environ = dict(env) if env is not None else dict(os.environ)
    try:
        import docker
    except ImportError:
        raise MissingDependencyError("the docker SDK is not installed; kind provisioning needs it",
                                     hint="pip install 'rayjob-harness[kube]'") from None
    host = engine_host(environ)
    if not environ.get("DOCKER_HOST"):
        environ["DOCKER_HOST"] = host
    try:
        client = docker.from_env(environment=environ, timeout=int(timeout))
        api = client.api
        api.ping()
    except Exception as exc:
        problem = unreachable_problem(host, _reason(exc))
        raise ProvisioningError(problem.message, hint=problem.hint) from None
    return Engine(api, host)


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("FileNotFoundError", "ConnectionRefusedError", "PermissionError", "timed out"):
        if marker in text:
            return {"FileNotFoundError": "no socket there: is the engine running?",
                    "ConnectionRefusedError": "connection refused: is the engine running?",
                    "PermissionError": "permission denied: add your user to the docker group, or use rootless "
                                       "Docker",
                    "timed out": "no answer in time"}[marker]
    return text or type(exc).__name__
