"""Make a Ray job written for a head *container* runnable on this machine.

A RayJob names container paths (``python /home/ray/samples/sample_code.py``, ``working_dir: /app``), container
env vars and runtime_env features that assume a cluster (remote URIs, pip installs). This module turns those
into local equivalents, or into one clear failure before anything is submitted:

- :func:`head_pod_setup` materialises the head pod's ConfigMap volumes (and emptyDirs) into a local directory
  and collects the head container's env vars (``value``, ``configMapKeyRef``, ``fieldRef``, ``envFrom``);
- :class:`PathMapper` maps container paths (and remote URIs given in a user path map) to local paths, in an
  entrypoint and back again in log text, so that logs read as they would on the cluster;
- :func:`localize_runtime_env` maps ``working_dir``/``py_modules``, merges env vars, and checks ``pip``/``uv``/
  ``conda`` against what is installed locally (:class:`PackageChecker`);
- :func:`entrypoint_script` and :func:`version_warning` are the pure decisions behind the early checks.

Nothing here talks to Ray; :mod:`.ray_executor` uses these functions. Failures are :class:`JobSetupError`,
which carries the Ray ``error_type`` the job ends with.
"""

from __future__ import annotations

import base64
import importlib.metadata
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from .._util import procs
from .._util.jsoncopy import get_path
from ..errors import ExecutorError, InputError

ConfigMapLookup = Callable[[str, str], "Mapping[str, Any] | None"]  # (namespace, name) -> ConfigMap object

ENTRYPOINT_ERROR: Final = "JOB_ENTRYPOINT_COMMAND_ERROR"
RUNTIME_ENV_ERROR: Final = "RUNTIME_ENV_SETUP_FAILURE"
PREFIX: Final = "rayjob-harness cannot run this job locally: "
# Head-container variables that would break a local driver or describe the container, not the job.
SKIPPED_ENV: Final = frozenset({"PATH", "HOME", "PWD", "PYTHONHOME", "LD_LIBRARY_PATH", "LD_PRELOAD", "RAY_ADDRESS",
                                "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"})
_INTERPRETER: Final = re.compile(r"^(python[0-9.]*|bash|sh)$")
_VERSION: Final = re.compile(r"^v?(\d+)\.(\d+)")


class JobSetupError(ExecutorError):
    """The job cannot run locally; it ends FAILED with ``error_type`` and this message, before submission."""

    def __init__(self, message: str, *, hint: str, error_type: str = RUNTIME_ENV_ERROR) -> None:
        super().__init__(message, hint=hint)
        self.error_type = error_type

    @property
    def job_message(self) -> str:
        """The wording for the job's ``message`` and driver log: what happened, then the hint."""
        return f"{PREFIX}{self.message}. Hint: {self.hint}"


# -- path mapping ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PathMapping:
    """A container path (or remote URI) and the local file or directory that stands in for it."""

    container: str
    local: Path
    source: str  # "path_map", "volume code-sample (ConfigMap ns/name)", ...


def user_mappings(path_map: Mapping[str, str | Path], base_dir: Path) -> list[PathMapping]:
    """Validate a user path map (``{"/app": "./app"}``); local paths are relative to ``base_dir``."""
    mappings = []
    for container, local in sorted(path_map.items()):
        if not (container.startswith("/") or "://" in container) or container.rstrip("/") == "":
            raise InputError(f"path_map key must be an absolute container path or a URI key={container!r}",
                             hint='write it like {"/home/ray/app": "./app"} or {"s3://bucket/code.zip": "./code"}')
        target = (base_dir / Path(local).expanduser()).resolve()
        if not target.exists():
            raise InputError(f"path_map local path does not exist key={container!r} path={target}",
                             hint="create it, or fix the path (relative paths start at the working directory)")
        mappings.append(PathMapping(container.rstrip("/") if "://" not in container else container, target,
                                    "path_map"))
    return mappings


def shell_safe(path: Path, link_dir: Path) -> Path:
    """``path``, or a symlink to it under ``link_dir`` when it has characters a shell command would split on."""
    if shlex.quote(str(path)) == str(path):
        return path
    link_dir.mkdir(parents=True, exist_ok=True)
    link = link_dir / f"l{len(list(link_dir.iterdir()))}"
    link.symlink_to(path)
    return link


class PathMapper:
    """Container ↔ local translation; the longest container prefix wins, user mappings before volumes."""

    def __init__(self, mappings: Sequence[PathMapping], *, reverse_extra: Mapping[str, str] | None = None) -> None:
        self.mappings = list(mappings)
        seen: dict[str, PathMapping] = {}
        for mapping in self.mappings:
            seen.setdefault(mapping.container, mapping)  # first wins: callers put user mappings first
        self._forward = dict(sorted(seen.items(), key=lambda item: -len(item[0])))
        self._forward_re = self._alternation(list(self._forward), lead=r"(?:(?<=[\s'\"=:,(])|^)")
        reverse = {str(m.local): m.container for m in self._forward.values() if "://" not in m.container}
        reverse.update({str(m.local.resolve()): m.container for m in self._forward.values()
                        if "://" not in m.container})
        reverse.update(reverse_extra or {})
        self._reverse = dict(sorted(reverse.items(), key=lambda item: -len(item[0])))
        self._reverse_re = self._alternation(list(self._reverse), lead="")

    @staticmethod
    def _alternation(prefixes: list[str], lead: str) -> re.Pattern[str] | None:
        if not prefixes:
            return None
        body = "|".join(re.escape(prefix) for prefix in prefixes)
        return re.compile(f"{lead}({body})(?=/|$|[\\s'\";:,)|&<>])")

    def lookup(self, path: str) -> tuple[Path, PathMapping] | None:
        """The local path for a container path or URI, with the mapping used; None when nothing maps it."""
        for container, mapping in self._forward.items():
            if path == container:
                return mapping.local, mapping
            if "://" not in container and path.startswith(container + "/"):
                return mapping.local / path[len(container) + 1:], mapping
        return None

    def to_local_text(self, text: str) -> str:
        """Rewrite container paths inside a command line or env value (only at word boundaries)."""
        if self._forward_re is None:
            return text
        return self._forward_re.sub(lambda m: str(self._forward[m.group(1)].local), text)

    def to_container_text(self, text: str) -> str:
        """Rewrite local paths back to container paths, for log lines and messages."""
        if self._reverse_re is None:
            return text
        return self._reverse_re.sub(lambda m: self._reverse[m.group(1)], text)


# -- the head pod ------------------------------------------------------------------------------------------------


@dataclass
class HeadSetup:
    """What a head pod contributes locally: volume mappings, container env vars, and notes on what it cannot."""

    mappings: list[PathMapping] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    image: str = ""


def _write_file(path: Path, content: bytes, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(mode & 0o777)


def _configmap_contents(configmap: Mapping[str, Any]) -> dict[str, bytes]:
    contents = {key: str(value).encode() for key, value in (configmap.get("data") or {}).items()}
    for key, value in (configmap.get("binaryData") or {}).items():
        contents[key] = base64.b64decode(value)
    return contents


def _project_configmap(volume: Mapping[str, Any], namespace: str, lookup: ConfigMapLookup | None, dest: Path,
                       notes: list[str]) -> str:
    """Write one configMap volume's files into ``dest`` as the kubelet projects them; return its description."""
    spec = volume.get("configMap") or {}
    name = str(spec.get("name", ""))
    dest.mkdir(parents=True, exist_ok=True)
    configmap = lookup(namespace, name) if lookup is not None else None
    if configmap is None:
        if not spec.get("optional"):
            notes.append(f"ConfigMap {namespace}/{name} of volume {volume.get('name')} was not found "
                         "(on a cluster the head pod would not start)")
        return f"ConfigMap {namespace}/{name}"
    contents = _configmap_contents(configmap)
    default_mode = int(spec.get("defaultMode", 0o644))
    items = spec.get("items")
    selected = [(str(i.get("key")), str(i.get("path")), int(i.get("mode", default_mode))) for i in items] \
        if items else [(key, key, default_mode) for key in contents]
    for key, rel, mode in selected:
        if rel.startswith("/") or ".." in Path(rel).parts:
            notes.append(f"ConfigMap {namespace}/{name} item path {rel!r} is not a relative path; skipped")
        elif key not in contents:
            notes.append(f"ConfigMap {namespace}/{name} has no key {key!r} (volume {volume.get('name')})")
        else:
            _write_file(dest / rel, contents[key], mode)
    return f"ConfigMap {namespace}/{name}"


_FIELD_LABEL: Final = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")


def _field_value(pod: Mapping[str, Any], field_path: str) -> str | None:
    labelled = _FIELD_LABEL.match(field_path)
    if labelled:
        value = ((pod.get("metadata") or {}).get(labelled.group(1)) or {}).get(labelled.group(2))
    else:
        value = get_path(pod, field_path)
    return None if value is None else str(value)


def _expand(value: str, env: Mapping[str, str]) -> str:
    """Kubernetes ``$(VAR)`` expansion against the variables defined before (``$$`` escapes)."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), value)


def _container_env(pod: Mapping[str, Any], container: Mapping[str, Any], namespace: str,
                   lookup: ConfigMapLookup | None, notes: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        configmap = lookup(namespace, ref.get("name", "")) if ref and lookup is not None else None
        if configmap is not None:
            prefix = str(source.get("prefix", ""))
            env.update({prefix + k: v.decode(errors="replace") for k, v in _configmap_contents(configmap).items()})
        else:
            notes.append(f"envFrom {source} of the head container is not available locally; skipped")
    for item in container.get("env") or []:
        name, value_from = str(item.get("name", "")), item.get("valueFrom")
        value: str | None = None
        if value_from is None:
            value = _expand(str(item.get("value", "")), env)
        elif "configMapKeyRef" in value_from and lookup is not None:
            ref = value_from["configMapKeyRef"]
            configmap = lookup(namespace, ref.get("name", ""))
            value = None if configmap is None else (configmap.get("data") or {}).get(ref.get("key"))
        elif "fieldRef" in value_from:
            value = _field_value(pod, str(value_from["fieldRef"].get("fieldPath", "")))
        if value is None:
            notes.append(f"env var {name} of the head container cannot be resolved locally; skipped")
        else:
            env[name] = value
    return env


def head_pod_setup(pod: Mapping[str, Any] | None, lookup: ConfigMapLookup | None, dest: Path) -> HeadSetup:
    """Materialise the head container's ConfigMap/emptyDir mounts under ``dest`` and collect its env vars."""
    setup = HeadSetup()
    containers = ((pod or {}).get("spec") or {}).get("containers") or []
    if pod is None or not containers:
        return setup
    head = containers[0]  # KubeRay's Ray container is always the first one
    setup.image = str(head.get("image", ""))
    namespace = str((pod.get("metadata") or {}).get("namespace", "default"))
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    projected: dict[str, str] = {}
    for mount in head.get("volumeMounts") or []:
        name, mount_path = mount.get("name"), str(mount.get("mountPath", "")).rstrip("/")
        volume = volumes.get(name) or {}
        if "configMap" in volume:
            if name not in projected:
                projected[name] = _project_configmap(volume, namespace, lookup, dest / str(name), setup.notes)
            source = f"volume {name} ({projected[name]})"
        elif "emptyDir" in volume:
            (dest / str(name)).mkdir(parents=True, exist_ok=True)
            source = f"volume {name} (emptyDir)"
        else:
            kinds = sorted(k for k in volume if k != "name") or ["undefined"]
            setup.notes.append(f"volume {name} ({kinds[0]}) mounted at {mount_path} is not available locally; "
                               f'map it with path_map={{"{mount_path}": "./local-dir"}}')
            continue
        sub_path = str(mount.get("subPath", ""))
        setup.mappings.append(PathMapping(mount_path, dest / str(name) / sub_path if sub_path
                                          else dest / str(name), source))
    env = _container_env(pod, head, namespace, lookup, setup.notes)
    setup.env = {k: v for k, v in env.items() if k not in SKIPPED_ENV}
    return setup


# -- entrypoint and versions -------------------------------------------------------------------------------------


def entrypoint_script(entrypoint: str) -> str | None:
    """The script file of the first ``python``/``bash``/``sh`` command in the entrypoint, if it runs one.

    ``python -m mod`` and ``python -c code`` run no script file; an entrypoint the shell lexer cannot split
    (unbalanced quotes) is not judged here and left to Ray, nor is a relative path after an earlier command.
    """
    try:
        lexer = shlex.shlex(entrypoint, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return None
    at_command_start, first_command = True, True
    for index, token in enumerate(tokens):
        if token in ("&&", "||", ";", "|", "&", "(", ")"):
            at_command_start, first_command = True, False
            continue
        if at_command_start and _INTERPRETER.match(os.path.basename(token)):
            args = iter(tokens[index + 1:])
            for arg in args:
                if arg in ("-m", "-c", "&&", "||", ";", "|"):
                    return None
                if arg in ("-W", "-X", "-o"):  # options whose value is the next word
                    next(args, None)
                elif not arg.startswith("-"):
                    # After an earlier command (``cd dir && python x.py``) a relative path is not ours to judge.
                    return arg if first_command or arg.startswith("/") else None
            return None
        at_command_start = "=" in token and not token.startswith("-") and at_command_start  # VAR=x cmd
    return None


def version_warning(local_version: str, *, ray_version: str | None = None, image: str | None = None) -> str | None:
    """A warning when the cluster's Ray (``rayVersion`` or the image tag) differs from the local Ray in major.minor."""
    local = _VERSION.match(local_version)
    if local is None:
        return None
    tag = image.rsplit("/", 1)[-1].partition(":")[2] if image else ""
    for what, value in (("rayVersion", ray_version or ""), ("image", tag)):
        theirs = _VERSION.match(value)
        if theirs is not None and theirs.groups() != local.groups():
            shown = image if what == "image" else value
            return (f"the RayCluster's Ray {what}={shown} differs from the local ray {local_version} in "
                    "major.minor; job behaviour may differ from the cluster's")
    return None


# -- runtime_env -------------------------------------------------------------------------------------------------


def _requirements(field_name: str, value: Any, base_dir: Path) -> list[str] | None:
    """The requirement strings of a pip/uv field, or None when they cannot be judged locally (pip options)."""
    packages = value.get("packages") if isinstance(value, Mapping) else value
    if isinstance(packages, str):
        path = base_dir / packages
        if not path.is_file():
            raise JobSetupError(f"runtime_env {field_name} requirements file does not exist path={path}",
                                hint="give the packages as a list, or a requirements file that exists locally")
        packages = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    reqs = [str(p).strip() for p in packages or [] if str(p).strip()]
    return None if any(req.startswith("-") for req in reqs) else reqs


def _satisfied(requirement: str) -> bool:
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # packaging comes with ray and pip; without it, judge by the name alone
        name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        return name is not None and _installed_version(name.group(0)) is not None
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return False
    if req.marker is not None and not req.marker.evaluate():
        return True
    version = _installed_version(req.name)
    return version is not None and (not req.specifier or req.specifier.contains(version, prereleases=True))


def _installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


class PackageChecker:
    """Decides what to do with ``pip``/``uv`` packages before Ray spends minutes retrying an unreachable index.

    All installed locally (the runtime uses this interpreter): drop the field, no virtualenv needed. Some
    missing: ask pip (``install --dry-run``, no retries) whether an index can provide them; keep the field if
    so, else fail now naming the packages. Results are cached per package set.
    """

    def __init__(self, python: str = sys.executable, timeout: float = 60.0, pip_args: Sequence[str] = ()) -> None:
        """``pip_args`` go to the probe, e.g. ``["--index-url", URL]`` (pip's own config applies otherwise)."""
        self.python = python
        self.timeout = timeout
        self.pip_args = list(pip_args)
        self._index: dict[tuple[str, ...], str | None] = {}

    def missing(self, requirements: Sequence[str]) -> list[str]:
        return [req for req in requirements if not _satisfied(req)]

    def index_error(self, requirements: Sequence[str]) -> str | None:
        """None when an index can provide ``requirements``; else pip's last error line."""
        key = tuple(sorted(requirements))
        if key not in self._index:
            cmd = [self.python, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed", "--quiet",
                   "--disable-pip-version-check", "--retries", "0", "--timeout", "10", *self.pip_args, *requirements]
            try:
                result = procs.run(cmd, timeout=self.timeout)
                lines = [line for line in (result.stderr or result.stdout).splitlines() if line.strip()]
                self._index[key] = None if result.returncode == 0 else (lines[-1] if lines else "pip failed")
            except (OSError, subprocess.TimeoutExpired) as error:
                self._index[key] = f"pip did not answer: {error}"
        return self._index[key]


def _local_source(field_name: str, value: Any, mapper: PathMapper, base_dir: Path) -> str:
    if not isinstance(value, str):
        raise JobSetupError(f"runtime_env {field_name} must be a path or URI string value={value!r}",
                            hint="use a single string, as Ray's runtime_env expects")
    found = mapper.lookup(value)
    if "://" in value and found is None:
        raise JobSetupError(f"runtime_env {field_name}={value} is a remote URI, which the local Ray runtime "
                            "does not download", hint=f'map it to a local directory with path_map={{"{value}": '
                            '"./local-dir"}')
    local = found[0] if found else (Path(value) if value.startswith("/") else base_dir / value)
    if not local.exists():
        where = f" (mapped through {found[1].source} to {local})" if found else ""
        raise JobSetupError(f"runtime_env {field_name}={value} does not exist locally{where}",
                            hint=f'mount it from a ConfigMap or map it with path_map={{"{value}": "./local-dir"}}')
    return str(local)


def localize_runtime_env(runtime_env: Mapping[str, Any] | None, mapper: PathMapper, base_dir: Path,
                         container_env: Mapping[str, str], packages: PackageChecker,
                         notes: list[str]) -> dict[str, Any] | None:
    """The runtime_env to submit locally; raises :class:`JobSetupError` for what cannot work here."""
    env = dict(runtime_env or {})
    if "working_dir" in env:
        env["working_dir"] = _local_source("working_dir", env["working_dir"], mapper, base_dir)
    if "py_modules" in env:
        modules = env["py_modules"] if isinstance(env["py_modules"], list) else [env["py_modules"]]
        env["py_modules"] = [_local_source("py_modules", module, mapper, base_dir) for module in modules]
    job_vars = {str(k): str(v) for k, v in (env.get("env_vars") or {}).items()}
    merged = {k: mapper.to_local_text(v) for k, v in {**container_env, **job_vars}.items()}
    if merged:
        env["env_vars"] = merged
    for field_name in ("pip", "uv"):
        if field_name not in env:
            continue
        reqs = _requirements(field_name, env[field_name], base_dir)
        if reqs is None:
            continue  # pip options (-r, --index-url): leave it to Ray
        missing = packages.missing(reqs)
        if not missing:
            notes.append(f"runtime_env {field_name} packages are installed locally; no virtualenv is built")
            del env[field_name]
        elif (error := packages.index_error(missing)) is None:
            # Ray installs them; a requirements file is read here, relative to the base dir, not Ray's cwd.
            if isinstance(env[field_name], Mapping):
                env[field_name] = {**env[field_name], "packages": reqs}
            else:
                env[field_name] = reqs
        else:
            raise JobSetupError(f"runtime_env {field_name} packages are not installed locally and no package "
                                f"index provides them packages={' '.join(missing)} pip={error!r}",
                                hint=f"install them into this Python (pip install {' '.join(missing)}) or make "
                                "a package index reachable")
    if "conda" in env and shutil.which("conda") is None:
        raise JobSetupError("runtime_env conda needs the conda executable, which is not on PATH",
                            hint="install conda locally, or use pip packages installed in this Python")
    for unsupported in ("container", "image_uri"):
        if unsupported in env:
            raise JobSetupError(f"runtime_env {unsupported} needs a container runtime on the Ray node",
                                hint="run this scenario on a kind cluster, or drop the field for local runs")
    return env or None
