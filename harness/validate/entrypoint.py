"""The entrypoint's script: a file the command runs that nothing in the manifest provides.

Ray runs the driver in the head Pod's Ray container (container 0). The script an entrypoint names (the first
``*.py`` or ``*.sh`` argument, as in ``python /app/train.py``) must come from somewhere:

- a relative path from the runtime_env's ``working_dir`` (Ray makes it the driver's working directory; a key Ray
  ignores, such as ``workingDir``, provides nothing), or from the container's ``workingDir`` when a volume holds it;
- an absolute path from a volume mounted in the head container; when that volume is a ConfigMap among the inputs,
  the ConfigMap must have the file (a key, or an ``items[].path``).

Otherwise only the image can ship it. rayproject/ray images ship no user code, so that is a warning; with another
image it is a note, since a custom image may well contain the script.

Not here: running or finding the script locally (the ray executor's path mapping).
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping
from typing import Any, Final

from .documents import Document
from .findings import Finding, Severity
from .runtime_env import runtime_env_of
from .subject import ClusterSpec, Subject

_SCRIPT: Final = re.compile(r"[^$*?]+\.(py|sh|bash)")
_RAY_IMAGES: Final = ("rayproject/ray", "docker.io/rayproject/ray")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def script_of(entrypoint: str) -> str | None:
    """The script an entrypoint runs: its first ``.py``/``.sh``/``.bash`` word that is not an option."""
    try:
        words = shlex.split(entrypoint)
    except ValueError:
        return None
    return next((w for w in words if not w.startswith("-") and _SCRIPT.fullmatch(w)), None)


def _mount_for(path: str, mounts: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The volume mount a path is under (the deepest one)."""
    best: Mapping[str, Any] | None = None
    for mount in mounts:
        where = str(mount.get("mountPath") or "").rstrip("/") or "/"
        inside = path == where or path.startswith(where.rstrip("/") + "/")
        if inside and (best is None or len(where) > len(str(best.get("mountPath") or ""))):
            best = mount
    return best


def _configmap_keys(doc: Document) -> set[str]:
    data = {**_map(doc.manifest.obj.get("data")), **_map(doc.manifest.obj.get("binaryData"))}
    return set(map(str, data))


def _missing_from_configmap(subject: Subject, cluster: ClusterSpec, path: str, mount: Mapping[str, Any],
                            pod: Mapping[str, Any]) -> str | None:
    """Why a ConfigMap volume among the inputs does not hold ``path``; None when it does or cannot be known."""
    volume = next((_map(v) for v in _list(pod.get("volumes")) if _map(v).get("name") == mount.get("name")), {})
    source = _map(volume.get("configMap"))
    name = source.get("name")
    found = subject.inputs.find("ConfigMap", cluster.doc.namespace, str(name)) if name else None
    if found is None:
        return None
    sub_path = mount.get("subPath")
    where = str(mount.get("mountPath") or "").rstrip("/")
    # with subPath, one key is mounted as the file at mountPath itself
    wanted = (str(sub_path) if path == where else None) if sub_path else posixpath.relpath(path, where or "/")
    items = _list(source.get("items"))
    files = {str(_map(i).get("path")) for i in items} if items else _configmap_keys(found)
    if wanted is not None and wanted in files:
        return None
    return f"ConfigMap {name} mounted at {where} has no file {wanted or posixpath.basename(path)}"


def _provided(subject: Subject, cluster: ClusterSpec, script: str, working_dir: Any) -> tuple[bool, str]:
    """Whether the manifest provides ``script``, and what is wrong when it does not."""
    head_group = _map(cluster.spec.get("headGroupSpec"))
    pod = _map(_map(head_group.get("template")).get("spec"))
    container = _map((_list(pod.get("containers")) or [{}])[0])
    mounts = [_map(m) for m in _list(container.get("volumeMounts"))]
    if not script.startswith("/"):
        if isinstance(working_dir, str) and working_dir:
            return True, ""
        base = container.get("workingDir")
        if not isinstance(base, str) or not base.startswith("/"):
            return False, f"{script} is relative and no runtime_env working_dir is set"
        script = posixpath.normpath(posixpath.join(base, script))
    mount = _mount_for(script, mounts)
    if mount is None:
        return False, f"no volume of the head container is mounted where {script} is"
    missing = _missing_from_configmap(subject, cluster, script, mount, pod)
    return (missing is None), missing or ""


def check_entrypoint(subject: Subject) -> list[Finding]:
    job = subject.job
    cluster = subject.cluster_spec()
    if job is None or cluster is None or not job.spec.entrypoint:
        return []
    script = script_of(job.spec.entrypoint)
    if script is None:
        return []
    env = runtime_env_of(subject)
    working_dir = env.value.get("working_dir") if env is not None else None
    provided, why = _provided(subject, cluster, script, working_dir)
    if provided:
        return []
    containers = _list(_map(_map(_map(cluster.spec.get("headGroupSpec")).get("template")).get("spec"))
                       .get("containers"))
    if not containers:
        return []  # no head container: the operator refuses the spec
    image = str(_map(containers[0]).get("image") or "")
    ray_image = image.split(":", 1)[0] in _RAY_IMAGES
    shipped = f"the image {image} ships no user code" if ray_image else f"it must be in the image {image or '?'}"
    return [subject.finding(
        "pitfall/entrypoint-not-provided",
        f"the entrypoint runs {script}, which nothing in the manifest provides: {why}; {shipped}",
        "mount the script from a ConfigMap or volume in the head container, point runtimeEnvYAML's working_dir at "
        "a .zip with the code, or build an image that contains it", "spec.entrypoint",
        severity=Severity.WARNING if ray_image else Severity.NOTE)]
