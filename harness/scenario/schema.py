"""The JSON Schema of scenario files, for editors (completion, hover help, red squiggles) and CI linters.

The schema is built here from the same key lists the loader checks, and shipped as
``harness/scenario/scenario.schema.json``; a test fails when the shipped file and :func:`scenario_schema`
differ. Regenerate with ``python -m harness.scenario.schema > harness/scenario/scenario.schema.json``.
Editors using the YAML language server pick it up with a first line such as
``# yaml-language-server: $schema=<path to scenario.schema.json>``.

The schema is deliberately a little looser than the loader (it cannot say "exactly one object key"); the
loader remains the authority and reports with file:line:column and a hint.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Final

from ..model.status import INJECTABLE_REASONS, STATUS_REASONS
from .defaults import DEFAULT_KEYS
from .expectations import COUNT_KEYS
from .faults import JOB_STATUSES, SIGNALS
from .loader import SCRIPT_KEYS, STEP_MODIFIERS
from .model import BACKENDS, EXECUTORS, KIND_KEYS, KINDS, LOG_SOURCES, TIMEOUT_NAMES

SCHEMA_FILE: Final = Path(__file__).with_name("scenario.schema.json")
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


def _obj(properties: dict[str, Schema], *, required: tuple[str, ...] = (), description: str = "") -> Schema:
    out: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    if description:
        out["description"] = description
    return out


def _target_properties() -> dict[str, Schema]:
    props: dict[str, Schema] = {key: {"description": f"the {kind} by name, or {{name: ...}} / {{selector: ...}}",
                                      "anyOf": [_ref("name"), _ref("shortcutRef")]}
                                for key, kind in KIND_KEYS.items()}
    props["kind"] = {"enum": list(KINDS), "description": "the kind, with name: or selector:"}
    props["name"] = _ref("name")
    props["selector"] = _ref("selector")
    return props


def _step(keyword: str, body: Schema, description: str) -> Schema:
    properties: dict[str, Schema] = {keyword: {**body, "description": description}}
    for modifier, keywords in STEP_MODIFIERS.items():
        if keyword in keywords:
            properties[modifier] = _ref(modifier.replace("_", ""))
    return {"type": "object", "properties": properties, "required": [keyword], "additionalProperties": False}


def _steps() -> list[Schema]:
    target = _target_properties()
    arrays = {"enum": ["exact", "subset"], "description": "how plain lists in expected values match"}
    wait = _obj({**target, "until": {"anyOf": [{"enum": ["exists", "present", "gone", "absent"]},
                                               _ref("pathMatch")]},
                 "timeout": _ref("bound"), "fail_fast": {"type": "boolean"},
                 "match": {"enum": ["all", "any"]}, "arrays": arrays}, required=("until",))
    expect = _obj({**target, **{part: _ref("match") for part in ("metadata", "spec", "status", "data")},
                   "fields": _ref("pathMatch"), "transitions": _ref("transitions"), "stays": _ref("stays"),
                   "present": _ref("refList"), "absent": _ref("refList"), "count": _ref("countList"),
                   "events": _ref("eventList"), "grace": _ref("bound"), "arrays": arrays,
                   "consistently": {**_ref("duration"),
                                    "description": "every check of the step keeps holding this long"}})
    texts = {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    logs = _obj({"rayjob": _ref("name"), "raycluster": _ref("name"), "pod": _ref("name"),
                 "source": {"enum": list(LOG_SOURCES)}, "container": {"type": "string"},
                 "contains": texts, "regex": texts, "not_contains": texts, "lines": _ref("countRange"),
                 "grace": _ref("bound")})
    named = {"anyOf": [_ref("name"), _obj({k: v for k, v in target.items() if k != "selector"})]}
    patch = _obj({**{k: v for k, v in target.items() if k != "selector"}, "merge": {"type": "object"},
                  "subresource": {"enum": ["status"], "description": "patch the status subresource"}},
                 required=("merge",))
    delete = {"anyOf": [_ref("manifests"),
                        _obj({**target, "file": _ref("manifests"), "wait": {"type": "boolean"},
                              "timeout": _ref("bound")})]}
    rerun = {"anyOf": [_ref("manifests"), _obj({"file": _ref("manifests"), "patch": {"type": "object"},
                                                 "timeout": _ref("bound")})]}
    save = {"type": "object", "minProperties": 1,
            "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
            "additionalProperties": {"anyOf": [
                {"type": "string", "description": "OBJECT.PATH, e.g. my-job.status.rayClusterName"},
                _obj({**target, "path": {"type": "string"}}, required=("path",))]}}
    submit = _obj({"rayjob": _ref("name"), "submission_id": _ref("name"),
                   "entrypoint": {"type": "string", "minLength": 1,
                                  "description": "default: the RayJob's spec.entrypoint"}},
                  required=("rayjob", "submission_id"))
    return [
        _step("apply", _ref("manifests"), "create or update objects (files relative to this file, or inline)"),
        _step("patch", patch, "a JSON merge patch on one object"),
        _step("suspend", named, "set spec.suspend: true on a RayJob"),
        _step("resume", named, "set spec.suspend: false on a RayJob"),
        _step("delete", delete, "delete objects (and by default wait until they are gone)"),
        _step("rerun", rerun, "delete the manifests' objects, wait until gone, apply them again"),
        _step("wait", wait, "run until a condition holds; fails fast on a contradicting terminal state"),
        _step("expect", expect, "checks on an object, its transitions, presence, counts and events"),
        _step("expect_logs", logs, "checks on head, driver, submitter, worker or pod logs"),
        _step("advance", _ref("duration"), "let time pass (virtual on the simulator)"),
        _step("sleep", _ref("duration"), "let time pass on both the backend and the wall clock"),
        _step("save", save, "bind values from objects for later ${name} references"),
        _step("ray_job_submit", submit, "a user's `ray job submit` to a RayJob's cluster (InteractiveMode)"),
        *_fault_steps(target),
    ]


def _fault_steps(target: dict[str, Schema]) -> list[Schema]:
    pod = {key: target[key] for key in ("pod", "kind", "name", "selector")}
    kill = _obj({**pod, "container": {"type": "string", "description": "default: the pod's first container"},
                 "signal": {"enum": list(SIGNALS), "description": "SIGKILL (exit code 137, default) or SIGTERM (143)"},
                 "exit": {"type": "integer", "minimum": 0, "description": "the exit code instead of a signal's"},
                 "reason": {"type": "string", "description": "the terminated reason, e.g. OOMKilled"}})
    answers = {"anyOf": [
        {"enum": ["error", "not_found", "normally"]},
        _obj({"error": {"type": "string", "description": "the error's text"}}, required=("error",)),
        _obj({"jobStatus": {"enum": list(JOB_STATUSES)}, "message": {"type": "string"}}, required=("jobStatus",))],
        "description": "how the dashboard answers the operator's job-status query from now on"}
    dashboard = _obj({"rayjob": _ref("name"), "raycluster": _ref("name"), "answers": answers}, required=("answers",))
    kinds = {"enum": [*KINDS, *(kind.lower() for kind in KINDS)]}
    fail_next = _obj({"create": kinds, "delete": kinds, "times": {"type": "integer", "minimum": 1},
                      "reason": {"enum": list(INJECTABLE_REASONS)}, "message": {"type": "string"}})
    held = {"anyOf": [_ref("name"), _obj({"rayjob": _ref("name")}, required=("rayjob",))]}
    unpullable = {"anyOf": [{"type": "string", "minLength": 1},
                            _obj({"image": {"type": "string", "minLength": 1},
                                  "reason": {"type": "string", "description": "why the pull fails (containerd)"}},
                                 required=("image",))]}
    pullable = {"anyOf": [{"type": "string", "minLength": 1},
                          _obj({"image": {"type": "string", "minLength": 1}}, required=("image",))]}
    restart = {"anyOf": [{"type": "null"}, _obj({
        "env": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                "description": "environment variables to set (null removes one)"},
        "feature_gates": {"type": "object", "additionalProperties": {"type": ["boolean", "null"]},
                          "description": "feature gates to set (null returns one to its default)"}})]}
    return [
        _step("kill_container", kill, "end a container's process now (the kubelet restarts it per restartPolicy)"),
        _step("dashboard", dashboard, "make the Ray dashboard answer the operator an error, not found or a status"),
        _step("fail_next", fail_next, "the API server refuses the next create or delete of a kind"),
        _step("hold_submitter", held, "no controller runs the RayJob's submitter Job until it is released"),
        _step("release_submitter", held, "let the Job controller run a held submitter Job again"),
        _step("unpullable_image", unpullable, "pulling this image fails from now on (ErrImagePull, ImagePullBackOff)"),
        _step("pullable_image", pullable, "this image can be pulled again"),
        _step("restart_operator", restart, "restart the KubeRay operator, with changes to its env and feature gates"),
    ]


def _defs() -> dict[str, Schema]:
    count_range = {"anyOf": [{"type": "integer", "minimum": 0},
                             _obj({key: {"type": "integer", "minimum": 0} for key in COUNT_KEYS})]}
    script = {key: schema for key, schema in {
        "runtime": _ref("duration"), "exit": {"type": "integer", "minimum": 0},
        "output": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "stopped": {"type": "boolean"}, "startup": _ref("duration")}.items() if key in SCRIPT_KEYS}
    script["attempts"] = {"type": "array", "minItems": 1, "items": _obj(dict(script)),
                          "description": "the N-th Ray job of a RayJob runs the N-th entry (the last repeats); "
                                         "each entry inherits the keys it does not set"}
    target = _target_properties()
    return {
        "name": {"type": "string", "minLength": 1},
        "duration": {"anyOf": [{"type": "number", "minimum": 0},
                               {"type": "string", "pattern": r"^\s*(\d+(\.\d+)?(ms|s|m|h|d)?)+\s*$"}],
                     "description": "250ms, 30s, 5m, 1h30m; a bare number is seconds"},
        "bound": {"anyOf": [_ref("duration"), {"enum": list(TIMEOUT_NAMES)}],
                  "description": "a duration, or a name set under timeouts: (short, medium, long)"},
        "expectrefusal": {"anyOf": [{"const": True}, _obj({
            "reason": {"enum": list(STATUS_REASONS)}, "code": {"type": "integer", "minimum": 400},
            "message": {"type": "string", "description": "a regular expression searched in the message"}})],
            "description": "the API server must refuse this request"},
        "selector": {"anyOf": [{"type": "string"}, {"type": "object",
                                                     "additionalProperties": {"type": ["string", "number",
                                                                                       "boolean"]}}],
                     "description": "a label selector: 'a=b,c!=d' or {a: b}"},
        "shortcutRef": _obj({"name": _ref("name"), "selector": _ref("selector")}),
        "manifest": {"anyOf": [
            {"type": "string", "description": "a manifest file, relative to the scenario file"},
            _obj({"file": {"type": "string"}, "patch": {"type": "object"}, "timeout": _ref("duration")},
                 required=("file",)),
            {"type": "object", "required": ["apiVersion", "kind", "metadata"],
             "description": "an inline Kubernetes object"}]},
        "manifests": {"anyOf": [_ref("manifest"), {"type": "array", "items": _ref("manifest"), "minItems": 1}]},
        "match": {"description": "partial match: listed keys must match; $regex, $contains, $absent, $exists, "
                                 "$gt/$ge/$lt/$le, $one_of, $not, $len, $exact, $subset, $by_key/$items"},
        "pathMatch": {"type": "object", "description": "dotted paths from the object root to expected values"},
        "countRange": count_range,
        "transitions": {"anyOf": [
            {"type": "array", "items": {"type": "string"}, "description": "the exact sequence of states"},
            _obj({"field": {"type": "string"}, "exact": {"type": "array", "items": {"type": "string"}},
                  "subsequence": {"type": "array", "items": {"type": "string"}},
                  "never": {"type": "array", "items": {"type": "string"}}, "within": _ref("duration")})]},
        "stays": {"anyOf": [_ref("duration"), _obj({"for": _ref("duration"), "field": {"type": "string"},
                                                    "value": {}}, required=("for",))]},
        "refList": {"anyOf": [_obj(target), {"type": "array", "items": _obj(target)}]},
        "countList": {"anyOf": [_ref("countEntry"), {"type": "array", "items": _ref("countEntry")}]},
        "countEntry": _obj({**target, **{key: {"type": "integer", "minimum": 0} for key in COUNT_KEYS}}),
        "eventList": {"anyOf": [_ref("event"), {"type": "array", "items": _ref("event")}]},
        "event": _obj({"reason": {"type": "string"}, "type": {"enum": ["Normal", "Warning"]},
                       "message": {"type": "string", "description": "a regular expression"},
                       "present": {"type": "boolean"}, "count": count_range}),
        "jobScript": _obj(script),
        "executor": {"anyOf": [_ref("jobScript"), _obj({
            "default": _ref("jobScript"),
            "jobs": {"type": "array", "items": _obj({**script, "rayjob": {"type": "string"},
                                                     "entrypoint": {"type": "string"}})}})]},
        "operator": _obj({"env": {"type": "object", "additionalProperties": {"type": ["string", "number",
                                                                                     "boolean"]}},
                          "feature_gates": {"type": "object", "additionalProperties": {"type": "boolean"}}}),
        "timeouts": _obj({"wait": _ref("bound"), "delete": _ref("bound"), "grace": _ref("bound"),
                          **{name: _ref("duration") for name in TIMEOUT_NAMES}}),
        "step": {"anyOf": _steps()},
        "steps": {"type": "array", "items": _ref("step")},
        "versions": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
        "scenario": _obj({
            "scenario": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"},
            "description": {"type": "string"},
            "kuberay": {**_ref("versions"), "description": "KubeRay releases this holds for, e.g. '>=1.5'"},
            "backends": {"type": "array", "items": {"enum": list(BACKENDS)}},
            "executors": {"type": "array", "items": {"enum": list(EXECUTORS)}},
            "executor": _ref("executor"), "operator": _ref("operator"), "timeouts": _ref("timeouts"),
            "paths": {"type": "object", "propertyNames": {"pattern": "^/"}, "additionalProperties": {"type": "string"},
                      "description": "container path -> local path (relative to the file), for the ray executor"},
            "markers": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
            "expected_failure": {"type": "string"},
            "apply": _ref("manifests"), "steps": _ref("steps"), "finally": _ref("steps"),
        }, required=("scenario",), description="one scenario"),
        "defaults": _obj({"defaults": _obj({key: {"$ref": f"#/$defs/scenario/properties/{key}"}
                                            for key in DEFAULT_KEYS})}, required=("defaults",),
                         description="settings every scenario of the file has unless it sets them"),
    }


def scenario_schema() -> Schema:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "rayjob-harness scenario file",
        "description": "One scenario, or a list of scenarios, for rayjob-harness.",
        "anyOf": [_ref("scenario"), _ref("defaults"),
                  {"type": "array", "items": {"anyOf": [_ref("scenario"), _ref("defaults")]}}],
        "$defs": _defs(),
    }


def schema_text() -> str:
    return json.dumps(scenario_schema(), indent=2, sort_keys=False) + "\n"


def load_shipped_schema() -> Schema:
    """The schema file shipped in the package."""
    data: Schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return data


if __name__ == "__main__":
    sys.stdout.write(schema_text())
