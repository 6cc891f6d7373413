"""The node's container images, and what the kubelet must resolve before a container can be created.

Images: the simulated node is kind with the images already loaded (``kind load docker-image``), so a container
starts without a pull, unless the image was made *unpullable* (a simulator setting, or a fault injected
mid-run): such an image is not on the node and every pull of it fails, as for a tag that does not exist. The
kubelet then reports ``ErrImagePull`` and ``ImagePullBackOff`` and retries with its back-off (10 s doubling to
5 min); a container whose image already ran on the node keeps starting with ``imagePullPolicy: IfNotPresent``.
Texts are containerd's and the kubelet's (Kubernetes 1.35).

Environment: ``env`` values, ``valueFrom.secretKeyRef`` and ``configMapKeyRef`` (a missing Secret, ConfigMap or
key is ``CreateContainerConfigError`` unless ``optional``), and the ``fieldRef``s of the downward API a Ray pod
uses. Secret data is base64 in the store and plain text in the container.

Not here: the container lifecycle (:mod:`.kubelet`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

IMAGE_BACKOFF_BASE: Final = 10.0
IMAGE_BACKOFF_CAP: Final = 300.0
CONFIG_ERROR_RETRY: Final = 10.0  # the kubelet's pod sync retries a CreateContainerConfigError


def normalize_image(image: str) -> str:
    """The reference containerd pulls: ``ray:2.9`` → ``docker.io/library/ray:2.9``, no tag → ``:latest``."""
    name, _, digest = image.partition("@")
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if not digest and ":" not in last:
        name += ":latest"
    return f"{name}@{digest}" if digest else name


def pull_policy(container: Mapping[str, Any]) -> str:
    """``imagePullPolicy``, defaulted as the API server does (Always for ``:latest`` or no tag)."""
    policy = container.get("imagePullPolicy")
    if policy:
        return str(policy)
    image = str(container.get("image", ""))
    last = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return "Always" if "@" not in image and (":" not in last or last.endswith(":latest")) else "IfNotPresent"


@dataclass
class NodeImages:
    """Which images the node has, and which cannot be pulled."""

    unpullable: dict[str, str] = field(default_factory=dict)  # normalized reference -> why the pull fails
    ran: set[str] = field(default_factory=set)  # images that started a container on this node

    def make_unpullable(self, image: str, reason: str = "not found") -> None:
        self.unpullable[normalize_image(image)] = reason

    def make_pullable(self, image: str) -> None:
        self.unpullable.pop(normalize_image(image), None)

    def pull_error(self, container: Mapping[str, Any]) -> tuple[str, str] | None:
        """(waiting reason, message) when the container's image cannot be had, else None."""
        image = str(container.get("image", ""))
        ref = normalize_image(image)
        policy = pull_policy(container)
        present = ref not in self.unpullable or ref in self.ran
        if present and policy != "Always":
            return None
        if policy == "Never":
            return "ErrImageNeverPull", f'Container image "{image}" is not present with pull policy of Never'
        why = self.unpullable.get(ref)
        if why is None:
            return None
        return "ErrImagePull", (f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
                                f'failed to resolve reference "{ref}": {ref}: {why}')

    def started(self, container: Mapping[str, Any]) -> None:
        self.ran.add(normalize_image(str(container.get("image", ""))))


def pull_backoff(failures: int) -> float:
    """The kubelet's image pull back-off after ``failures`` failed pulls."""
    return float(min(IMAGE_BACKOFF_BASE * (2 ** max(failures - 1, 0)), IMAGE_BACKOFF_CAP))


Lookup = Callable[[str, str, str], "Mapping[str, Any] | None"]
"""``(kind, namespace, name) -> object``: Secrets and ConfigMaps of the pod's namespace."""


class ConfigError(Exception):
    """``CreateContainerConfigError``: the container's environment cannot be built."""


def resolve_env(pod: Mapping[str, Any], container: Mapping[str, Any], lookup: Lookup) -> dict[str, str]:
    """The environment the container's process gets; ConfigError with the kubelet's message otherwise."""
    namespace = pod["metadata"].get("namespace", "default")
    env: dict[str, str] = {}
    for item in container.get("env") or []:
        name = str(item.get("name", ""))
        source = item.get("valueFrom")
        if source is None:
            env[name] = str(item.get("value", ""))
            continue
        value = _value_from(pod, namespace, source, lookup)
        if value is not None:
            env[name] = value
    return env


def _value_from(pod: Mapping[str, Any], namespace: str, source: Mapping[str, Any], lookup: Lookup) -> str | None:
    if "secretKeyRef" in source or "configMapKeyRef" in source:
        secret = "secretKeyRef" in source
        ref = source["secretKeyRef" if secret else "configMapKeyRef"]
        kind = "Secret" if secret else "ConfigMap"
        found = lookup(kind, namespace, str(ref.get("name", "")))
        optional = bool(ref.get("optional"))
        if found is None:
            if optional:
                return None
            raise ConfigError(f'{kind.lower()} "{ref.get("name", "")}" not found')
        key = str(ref.get("key", ""))
        data = found.get("data") or {}
        if key not in data:
            if optional:
                return None
            raise ConfigError(f"couldn't find key {key} in {kind} {namespace}/{ref.get('name', '')}")
        return decode_secret_value(data[key]) if secret else str(data[key])
    if "fieldRef" in source:
        path = str(source["fieldRef"].get("fieldPath", ""))
        values = {"metadata.name": pod["metadata"].get("name", ""), "metadata.namespace": namespace,
                  "metadata.uid": pod["metadata"].get("uid", ""),
                  "spec.nodeName": (pod.get("spec") or {}).get("nodeName", ""),
                  "spec.serviceAccountName": (pod.get("spec") or {}).get("serviceAccountName", "default"),
                  "status.podIP": (pod.get("status") or {}).get("podIP", ""),
                  "status.hostIP": (pod.get("status") or {}).get("hostIP", "")}
        return str(values.get(path, ""))
    return ""


def decode_secret_value(value: Any) -> str:
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return ""
