"""runtime_env pitfalls: keys Ray silently ignores, and a remote ``working_dir`` that submission refuses.

A RayJob hands Ray its runtime_env as ``runtimeEnvYAML``, a YAML *string*. Manifests written for KubeRay v1.0 (and
tutorials copied from them) use a ``runtimeEnv`` object instead, which the API server refuses today (see
:mod:`.schema_layer`); its contents are checked here all the same, as if they had been written right. Positions
point inside the block: a ``runtimeEnvYAML: |`` block's lines are mapped back to the file's lines.

The keys Ray knows are Ray's ``RuntimeEnv.known_fields`` (Ray 2.60), with ``nsight`` and ``rocprof_sys`` as the
constructor spells them; ``config`` has its own keys. Ray refuses nothing else: it logs "is not recognized" in the
runtime-env agent's per-job log and goes on without the setting.

Not here: whether ``runtimeEnvYAML`` parses at all (an operator rule), the entrypoint (:mod:`.entrypoint`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import yaml

from ..errors import SourcePos
from ..manifests.positions import JsonLoader, PositionTree, convert
from .findings import Finding
from .subject import Subject

RAY_KEYS: Final = frozenset({
    "py_modules", "py_executable", "java_jars", "working_dir", "conda", "pip", "uv", "container", "excludes",
    "env_vars", "config", "worker_process_setup_hook", "image_uri", "nsight", "rocprof_sys",
    "_nsight", "_rocprof_sys", "_ray_release", "_ray_commit", "_inject_current_ray",
})
CONFIG_KEYS: Final = frozenset({"setup_timeout_seconds", "eager_install", "log_files"})  # RuntimeEnvConfig


def snake_case(key: str) -> str:
    """``workingDir`` / ``working-dir`` / ``WorkingDir`` -> ``working_dir``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", key)
    return spaced.replace("-", "_").lower()


@dataclass(frozen=True)
class RuntimeEnv:
    """A RayJob's runtime_env as Ray would receive it, with where each of its keys was written."""

    value: Mapping[str, Any]
    field: str  # spec.runtimeEnvYAML, or spec.runtimeEnv when written the pre-v1.1 way
    key_pos: Callable[[tuple[str, ...]], SourcePos]


def _embedded_positions(subject: Subject, text: str) -> Callable[[tuple[str, ...]], SourcePos]:
    """Positions inside a ``runtimeEnvYAML: |`` block, mapped to the file; the key's position otherwise."""
    field_pos = subject.pos("spec.runtimeEnvYAML")
    lines = subject.doc.source.lines
    row = field_pos.line - 1
    after = lines[row][field_pos.column - 1:].split(":", 1)[-1].strip() if 0 <= row < len(lines) else ""
    tree: PositionTree | None = None
    if after[:1] == "|":  # literal block: one text line per file line, starting on the next line
        loader = JsonLoader(text)
        try:
            node = loader.get_single_node()
            tree = convert(node, loader).tree if node is not None else None
        except yaml.YAMLError:
            tree = None
        finally:
            loader.dispose()
    indent = next((len(line) - len(line.lstrip()) for line in lines[row + 1:] if line.strip()), 0)

    def where(keys: tuple[str, ...]) -> SourcePos:
        if tree is None:
            return field_pos
        node = tree.find(".".join(keys))
        return SourcePos(field_pos.path, field_pos.line + node.line, indent + node.column)

    return where


def runtime_env_of(subject: Subject) -> RuntimeEnv | None:
    """The runtime_env of a RayJob: ``runtimeEnvYAML`` as Ray reads it, else the contents of ``runtimeEnv``."""
    if subject.doc.manifest.kind != "RayJob":
        return None
    stored_spec = subject.stored.get("spec")
    text = stored_spec.get("runtimeEnvYAML") if isinstance(stored_spec, Mapping) else None
    if isinstance(text, str) and text.strip():
        try:
            value = yaml.safe_load(text)
        except yaml.YAMLError:
            return None  # the operator refuses it: operator/runtime-env-yaml
        if isinstance(value, Mapping):
            return RuntimeEnv(value, "spec.runtimeEnvYAML", _embedded_positions(subject, text))
        return None
    written = subject.doc.manifest.obj.get("spec")
    legacy = written.get("runtimeEnv") if isinstance(written, Mapping) else None
    if isinstance(legacy, str):  # KubeRay v1.0: base64-encoded JSON
        try:
            legacy = json.loads(base64.b64decode(legacy, validate=True))
        except (binascii.Error, ValueError):
            return None
    if isinstance(legacy, Mapping):
        return RuntimeEnv(legacy, "spec.runtimeEnv",
                          lambda keys: subject.pos(".".join(("spec.runtimeEnv", *keys))))
    return None


def _ignored_keys(subject: Subject, env: RuntimeEnv) -> list[Finding]:
    findings = []
    for key in env.value:
        name = str(key)
        if name in RAY_KEYS:
            continue
        meant = snake_case(name)
        fix = (f"rename it to {meant} (runtime_env keys are snake_case)" if meant in RAY_KEYS else
               "remove it, or fix its name: Ray knows " + ", ".join(sorted(k for k in RAY_KEYS if k[0] != "_")))
        findings.append(subject.finding(
            "pitfall/ignored-runtime-env-key",
            f"runtime_env field {name} is not recognized by Ray and will be ignored.  In the future, unrecognized "
            f"fields in the runtime_env will raise an exception.", fix, f"{env.field}.{name}",
            pos=env.key_pos((name,))))
    config = env.value.get("config")
    if isinstance(config, Mapping):
        unknown = [str(k) for k in config if k not in CONFIG_KEYS]
        for name in unknown:
            meant = snake_case(name)
            findings.append(subject.finding(
                "pitfall/ignored-runtime-env-key",
                f"The following unknown entries in the runtime_env_config dictionary will be ignored: {{{name!r}}}.",
                f"rename it to {meant}" if meant in CONFIG_KEYS else
                "remove it; config knows " + ", ".join(sorted(CONFIG_KEYS)), f"{env.field}.config.{name}",
                pos=env.key_pos(("config", name))))
    return findings


def _working_dir(subject: Subject, env: RuntimeEnv) -> list[Finding]:
    """The simulator's own check of what ``ray job submit`` refuses; a camelCase key is checked as if renamed."""
    from ..raysim.cli import client_side_runtime_env_error  # the Ray side of pods: imported only when needed

    key = next((str(k) for k in env.value if str(k) == "working_dir"), None) \
        or next((str(k) for k in env.value if snake_case(str(k)) == "working_dir"), None)
    working_dir = env.value.get(key) if key is not None else None
    if key is None or not isinstance(working_dir, str):
        return []
    refusal = client_side_runtime_env_error({"working_dir": working_dir})
    if refusal is None:
        return []
    once = "" if key == "working_dir" else f"once {key} is renamed working_dir, submission fails: "
    return [subject.finding(
        "pitfall/remote-working-dir-not-zip", refusal,
        f"{once}package the code as a .zip and point working_dir at it (e.g. {working_dir.rstrip('/')}.zip); "
        "s3:// and gs:// URIs also need boto3/smart_open or gcsfs installed on every Ray node",
        f"{env.field}.{key}", pos=env.key_pos((key,)))]


def check_runtime_env(subject: Subject) -> list[Finding]:
    env = runtime_env_of(subject)
    if env is None:
        return []
    return _ignored_keys(subject, env) + _working_dir(subject, env)
