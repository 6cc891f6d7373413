"""The backends there are, what each declares about itself, and how one is made.

Each :class:`BackendInfo` says, without importing the backend: its name, the KubeRay releases it runs and its
default, whether its time is virtual, which executors it runs jobs on, and which optional capabilities its
instances offer. Front ends validate options and choose defaults from these declarations; the implementation
module is imported only when a backend is made or its operator settings are checked, so that the CLI and the
pytest plugin never import the simulator just to start.

Adding a backend is one entry here and a module exposing a :class:`BackendFactory`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from ..errors import InputError
from ..executors import ExecutorName
from .base import Backend, BackendFactory, BackendSettings, CapabilityName


@dataclass(frozen=True)
class BackendInfo:
    name: str
    summary: str
    kuberay_versions: Mapping[str, str]  # release line ("1.7") -> the exact release run ("1.7.0")
    default_kuberay_version: str  # a key of kuberay_versions
    virtual_time: bool | None  # None: it depends on the target (see the backend)
    executors: tuple[ExecutorName, ...]
    capabilities: frozenset[CapabilityName]  # what its instances may offer (some only where the target allows)
    load: Callable[[], BackendFactory] = field(repr=False, compare=False)
    # The release and the executor are the target's own, found when connecting (a cluster's operator and Ray,
    # a server's simulator); kuberay_versions are the releases one may insist on, executors those it may report.
    target_decides: bool = False

    def check_kuberay_version(self, version: str) -> str:
        """The release line ``version`` names (``1.7``, ``v1.7``, ``1.7.0``); InputError naming the supported ones."""
        text = version.strip().removeprefix("v")
        line = ".".join(text.split(".")[:2])
        if line in self.kuberay_versions and text in (line, self.kuberay_versions[line]):
            return line
        supported = ", ".join(f"{line} ({exact})" for line, exact in self.kuberay_versions.items())
        raise InputError(f"kuberay version={version!r} is not supported by backend={self.name}",
                         hint=f"use one of: {supported}")

    def create(self, settings: BackendSettings) -> Backend:
        """A fresh backend; the release is checked here, so the backend gets a release line it runs (or, for a
        backend whose release is its target's, None unless one was asked for)."""
        asked = settings.kuberay_version
        if asked is None and not self.target_decides:
            asked = self.default_kuberay_version
        line = self.check_kuberay_version(asked) if asked is not None else None
        return self.load().create(replace(settings, kuberay_version=line))

    def check_target(self, settings: BackendSettings) -> None:
        """InputError when ``settings`` cannot lead to a working backend (see BackendFactory.check_target)."""
        self.load().check_target(settings)

    def operator_problems(self, env: Mapping[str, str], feature_gates: Mapping[str, bool]) -> list[tuple[str, str]]:
        if not env and not feature_gates:
            return []
        return self.load().operator_problems(env, feature_gates)


def _load_sim() -> BackendFactory:
    from .sim import FACTORY

    return FACTORY


def _load_kube() -> BackendFactory:
    from .kube import FACTORY

    return FACTORY


BACKENDS: Final[Mapping[str, BackendInfo]] = {
    "sim": BackendInfo(
        name="sim", summary="the in-process simulator of KubeRay, in virtual time",
        kuberay_versions={"1.7": "1.7.0"}, default_kuberay_version="1.7", virtual_time=True,
        executors=("scripted", "ray"),
        capabilities=frozenset({"ray_job_submit", "settle", "driver_log_capture", "kill_container",
                                "dashboard_answers", "fail_next", "hold_submitter", "unpullable_image",
                                "restart_operator"}), load=_load_sim),
    # Virtual time on the simulator's server (rayjob-harness serve), the wall clock on a cluster; Ray jobs run where
    # the target runs them: on a cluster its own Ray, on the server its executor. The releases are those kind
    # provisioning installs (clusters/kuberay/). Faults only on the server (its controls); ray_job_submit where
    # the API server proxies services.
    "kube": BackendInfo(
        name="kube", summary="any Kubernetes API server through a kubeconfig: a cluster, or rayjob-harness serve",
        kuberay_versions={"1.5": "1.5.2", "1.6": "1.6.2", "1.7": "1.7.0"}, default_kuberay_version="1.7",
        virtual_time=None, executors=("cluster", "scripted", "ray"),
        capabilities=frozenset({"ray_job_submit", "kill_container", "dashboard_answers", "fail_next",
                                "hold_submitter", "unpullable_image", "restart_operator"}),
        load=_load_kube, target_decides=True),
}


def available_backends() -> tuple[str, ...]:
    return tuple(BACKENDS)


def backend_info(name: str) -> BackendInfo:
    """The registered backend ``name``; InputError naming the available ones otherwise."""
    info = BACKENDS.get(name)
    if info is None:
        raise InputError(f"backend={name!r} is not available", hint=f"available backends: {', '.join(BACKENDS)}")
    return info
