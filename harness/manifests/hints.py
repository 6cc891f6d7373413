"""What to do about a rejected field: hints for the mistakes people actually make in RayJob manifests.

The API server says *what* is wrong; these hints say *why* and *how to fix it*, keyed by the field path with list
indices written ``[*]``. A field that is unknown in one API version but exists in another, or that is a near miss
of a real field name (``runtimeEnvYaml``), gets a hint computed from the schema.

Not here: the API server's own texts (:mod:`.field_errors`), lints on valid manifests (a missing ``dashboard``
port, TTL without shutdown): those belong to the manifest linter.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Final

_V1ALPHA1_START_PARAMS: Final = ("ray.io/v1alpha1 requires rayStartParams on every group: add 'rayStartParams: {}', "
                                 "or use apiVersion: ray.io/v1 where it is optional (KubeRay v1.4.0+)")
_BOOLEAN: Final = "write true or false without quotes"
_SECONDS: Final = "write a whole number of seconds without quotes, e.g. 600"

UNKNOWN_FIELD_HINTS: Final = {
    "spec.runtimeEnv": "runtimeEnv was removed in KubeRay v1.1.0; use runtimeEnvYAML (a YAML string with snake_case "
                       "keys: working_dir, pip, env_vars)",
    "spec.deletionPolicy": "deletionPolicy (KubeRay v1.3-v1.4) was replaced in v1.5.0 by deletionStrategy: "
                           "onSuccess/onFailure policies, or deletionRules",
    "spec.output": "RayJob has no output field: write results to external storage (S3, a volume) from the "
                   "entrypoint itself",
    "spec.rayClusterSpec.headGroupSpec.replicas": "the head group always runs exactly one Pod; replicas, minReplicas "
                                                  "and maxReplicas belong to workerGroupSpecs",
    "spec.rayClusterSpec.workerGroupSpecs[*].name": "a worker group is named by groupName",
    "spec.entrypointNumCPUs": "the field is spelled entrypointNumCpus",
    "spec.entrypointNumGPUs": "the field is spelled entrypointNumGpus",
}

REQUIRED_HINTS: Final = {
    "spec.rayClusterSpec.headGroupSpec.rayStartParams": _V1ALPHA1_START_PARAMS,
    "spec.rayClusterSpec.workerGroupSpecs[*].rayStartParams": _V1ALPHA1_START_PARAMS,
    "spec.headGroupSpec.rayStartParams": _V1ALPHA1_START_PARAMS,
    "spec.workerGroupSpecs[*].rayStartParams": _V1ALPHA1_START_PARAMS,
    "spec.entrypoint": "ray.io/v1alpha1 requires entrypoint (the command the Ray job runs, e.g. 'python train.py')",
    "spec.rayClusterSpec.headGroupSpec": "rayClusterSpec needs a headGroupSpec with a Pod template for the Ray head",
    "spec.rayClusterSpec.workerGroupSpecs[*].groupName": "every worker group needs a groupName",
    "metadata.name": "give the object a name under metadata",
}

VALUE_HINTS: Final = {
    "metadata": "label and annotation values are strings: quote numbers and booleans, e.g. version: \"2\"",
    "data": "ConfigMap data values are strings: quote numbers and booleans, or write text after 'key: |'",
    "data.*": "ConfigMap data values are strings: quote numbers and booleans, or write text after 'key: |'",
    "metadata.name": "use lowercase letters, digits and '-', starting with a letter; KubeRay also limits a RayJob "
                     "name to 47 characters (the operator rejects longer names)",
    "spec.suspend": _BOOLEAN,
    "spec.shutdownAfterJobFinishes": _BOOLEAN,
    "spec.ttlSecondsAfterFinished": _SECONDS,
    "spec.activeDeadlineSeconds": _SECONDS,
    "spec.backoffLimit": "write a whole number without quotes, e.g. 2",
    "spec.preRunningDeadlineSeconds": "must be at least 1 second",
    "spec.runtimeEnvYAML": "runtimeEnvYAML is a string: write 'runtimeEnvYAML: |' and indent the runtime_env YAML "
                           "below it",
    "spec.managedBy": "leave managedBy unset unless Kueue MultiKueue manages the RayJob",
    "spec.deletionStrategy": "use either onSuccess and onFailure together, or deletionRules (KubeRay v1.5.0+)",
    "spec.deletionStrategy.deletionRules[*].condition": "set exactly one of jobStatus (SUCCEEDED or FAILED) or "
                                                        "jobDeploymentStatus (Failed)",
    "spec.rayClusterSpec.headGroupSpec.rayStartParams.*": "rayStartParams values are strings: quote numbers and "
                                                          "booleans, e.g. num-cpus: \"0\"",
    "spec.rayClusterSpec.workerGroupSpecs[*].rayStartParams.*": "rayStartParams values are strings: quote numbers "
                                                                "and booleans, e.g. num-cpus: \"1\"",
    "*.template.spec.containers[*]": "two containers of one Pod share a name; give each a unique name",
    "*.template.spec.restartPolicy": "a Job's Pods must use restartPolicy: Never or OnFailure",
}

_INDEX: Final = re.compile(r"\[\d+\]")


def generic_path(path: str) -> str:
    """``spec.workerGroupSpecs[3].x`` -> ``spec.workerGroupSpecs[*].x``."""
    return _INDEX.sub("[*]", path)


def _lookup(table: dict[str, str], path: str) -> str | None:
    generic = generic_path(path)
    if generic in table:
        return table[generic]
    for pattern, hint in table.items():
        regex = "^" + re.escape(pattern).replace(r"\*", ".+") + "$"
        if "*" in pattern.replace("[*]", "") and re.match(regex, generic):
            return hint
    return None


def unknown_field_hint(path: str, known_siblings: Iterable[str], *, newer_version_has_it: bool,
                       belongs_at: str | None = None) -> str:
    """Advice for an unknown field: a known mistake, a newer API version, a case slip, a field written at the wrong
    level (``belongs_at``, where the schema has a field of that name), a near miss; else the generic advice."""
    hint = _lookup(UNKNOWN_FIELD_HINTS, path)
    if hint:
        return hint
    name = path.rsplit(".", 1)[-1]
    if newer_version_has_it:
        return (f"{name} is not part of ray.io/v1alpha1, which receives no new fields (frozen in KubeRay v1.1.0); "
                f"use apiVersion: ray.io/v1")
    siblings = list(known_siblings)
    same_but_case = [s for s in siblings if s.lower() == name.lower()]
    if not same_but_case and belongs_at:
        return f"{name} belongs at {belongs_at}: move it there (it is not a field at this level)"
    close = same_but_case or difflib.get_close_matches(name, siblings, n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]!r}? Field names are case-sensitive"
    return "remove the field or fix its name; 'kubectl explain' lists the fields a kind has"


def required_hint(path: str) -> str | None:
    return _lookup(REQUIRED_HINTS, path)


def value_hint(path: str) -> str | None:
    return _lookup(VALUE_HINTS, path)


_GO_TYPE_WORDS: Final = {
    "map[string]string": "a mapping of keys to text, e.g. {app: demo} (quote numbers and booleans)",
    "[]string": "a list of strings, e.g. [a, b]",
    "string": "text (quote numbers and booleans)",
    "types.UID": "text",
    "bool": "true or false, without quotes",
    "int32": "a whole number up to 2147483647, without quotes",
    "int64": "a whole number, without quotes",
    "float64": "a number, without quotes",
    "intstr.IntOrString": "a whole number or a name",
}
_OF_TYPE: Final = re.compile(r"of type (\S+)$")


def decode_hint(path: str, message: str) -> str:
    """A hint for a value Go could not decode, from the type in ``message`` (``... of type []string``)."""
    if found := _lookup(VALUE_HINTS, path):
        return found
    if message.startswith("parsing time"):
        return f"{path} is a time: write it as RFC 3339, e.g. 2026-01-01T00:00:00Z (or leave it out)"
    if "base64" in message:
        return f"{path} holds base64 text; put plain text under data instead"
    if "quantities" in message:
        return f"{path} is a quantity: write e.g. 500m, 2 or 4Gi"
    match = _OF_TYPE.search(message)
    go_type = match.group(1) if match else ""
    words = _GO_TYPE_WORDS.get(go_type)
    if words is None and go_type.startswith("[]"):
        words = "a list (write '- ' before each item)"
    if words is None and go_type.startswith("v1."):
        words = f"a mapping (the fields of a {go_type.removeprefix('v1.')})"
    if words is None and go_type.startswith("map["):
        words = "a mapping"
    return f"{path} must be {words or 'of type ' + go_type}"
