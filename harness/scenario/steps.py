"""Parsers for the action steps: apply, patch, suspend, resume, delete, rerun, wait, advance, sleep, save,
ray_job_submit.

Each parser takes the step's YAML node and returns a typed step from :mod:`.model`; manifest files are read
and validated as the API server would (``harness.manifests``) here, at load time, so a missing, malformed or
refused manifest is reported before anything runs; inline and patched objects are validated with the scenario's
own positions (:mod:`.inline_manifests`). The expectation steps
(``expect``, ``expect_logs``) have their own module, :mod:`.expectations`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Final, Literal

from .._util.jsoncopy import merge_patch
from ..errors import ManifestError, SourcePos
from ..manifests import load_manifests, raise_for_errors, validate_manifest
from ..model.kinds import resolve_kind
from ..model.status import STATUS_REASONS
from .inline_manifests import INLINE, manifest_object
from .matchers import check_regex, parse_paths
from .model import (
    KIND_KEYS,
    AdvanceStep,
    ApplyStep,
    DeleteStep,
    ExpectedRefusal,
    ManifestObject,
    ObjectRef,
    PatchStep,
    RayJobSubmitStep,
    RerunStep,
    SaveEntry,
    SaveStep,
    SleepStep,
    Step,
    WaitKind,
    WaitStep,
)
from .parsing import (
    ParseContext,
    array_mode,
    boolean,
    bound,
    check_keys,
    duration,
    fail,
    integer,
    mapping,
    object_ref,
    string,
    suggest,
)
from .source import Node
from .templates import NAME_PATTERN

TOP_LEVEL_FIELDS: Final = ("metadata", "spec", "status", "data", "reason", "message", "type", "count",
                           "involvedObject", "source", "firstTimestamp", "lastTimestamp")
_SAVE_PATH = re.compile(r"\.(" + "|".join(TOP_LEVEL_FIELDS) + r")(\.|$)")
_REF_TARGET_KEYS: Final = (*KIND_KEYS, "kind", "name", "selector")


# -- manifests --------------------------------------------------------------------------------------------------


def _file_objects(node: Node, ctx: ParseContext, *, validate: bool = True) -> list[ManifestObject]:
    text = string(node, "manifest file", "apply: manifests/rayjob.yaml")
    if "${" in text:
        raise fail(f"manifest file={text!r} contains a binding", node.pos,
                   "file names are fixed at load time; use an inline manifest for values known at run time")
    path = (ctx.base_dir / text).resolve() if not Path(text).is_absolute() else Path(text)
    if not path.is_file():
        raise fail(f"manifest file={text!r} does not exist (looked for {path})", node.pos,
                   "paths are relative to the scenario file's folder")
    try:
        manifests = load_manifests(path)
        for manifest in manifests if validate else ():
            # What the API server would refuse is reported now, with the manifest's own file:line.
            raise_for_errors(validate_manifest(manifest), manifest)
    except ManifestError as exc:
        raise ManifestError(f"{exc.message} (applied at {node.pos})", hint=exc.hint, pos=exc.pos) from None
    if not manifests:
        raise fail(f"manifest file={text!r} holds no Kubernetes object", node.pos,
                   "the file must contain at least one object with apiVersion and kind")
    objects = []
    for manifest in manifests:
        if manifest.obj.get("kind") == "Namespace":
            raise fail(f"manifest file={text!r} creates a Namespace", node.pos,
                       "each scenario runs in a namespace of its own; remove the Namespace object")
        objects.append(ManifestObject(manifest.obj, f"{text}:{manifest.line}", node.pos))
    return objects


def _status_dropped(node: Node, kind: object, what: str) -> None:
    """Status written in the scenario's own object or patch is dropped by the API server: say so now."""
    rtype = resolve_kind(kind) if isinstance(kind, str) else None
    if rtype is not None and rtype.status_subresource and node.is_mapping and "status" in node.fields:
        raise fail(f"{what} writes status, which the API server drops when it creates or updates a {rtype.kind}",
                   node.pos_of_key("status"),
                   "status is a subresource: once the object exists, set it with "
                   "patch: {..., subresource: status, merge: {status: {...}}}")


def _inline_object(node: Node, ctx: ParseContext, *, validate: bool = True) -> ManifestObject:
    check = node.value
    for key in ("apiVersion", "kind"):
        if not isinstance(check.get(key), str) or not check.get(key):
            raise fail(f"inline manifest has no {key}", node.pos,
                       "an inline manifest is a whole Kubernetes object with apiVersion, kind and metadata.name")
    meta = check.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise fail("inline manifest has no metadata.name", node.pos, "add metadata: {name: ...}")
    if check["kind"] == "Namespace":
        raise fail("inline manifest creates a Namespace", node.pos,
                   "each scenario runs in a namespace of its own; remove the Namespace object")
    _status_dropped(node, check["kind"], "inline manifest")
    ctx.check_bindings(check, node.pos)
    if not validate:
        return ManifestObject(check, INLINE, node.pos, inline=True)
    # What the API server would refuse is reported now, at the scenario's own line (unless bindings defer it).
    return manifest_object(check, node)


def _manifest_item(node: Node, ctx: ParseContext, *, extra: tuple[str, ...] = (),
                   validate: bool = True) -> list[ManifestObject]:
    if isinstance(node.value, str):
        return _file_objects(node, ctx, validate=validate)
    if node.is_mapping and "file" in node.fields:
        check_keys(node, ("file", "patch", *extra), "manifest reference")
        objects = _file_objects(node.fields["file"], ctx, validate=validate)
        patch_node = node.get("patch")
        if patch_node is None:
            return objects
        mapping(patch_node, "patch", "patch: {spec: {suspend: true}}")
        for obj in objects:
            _status_dropped(patch_node, obj.obj.get("kind"), f"the patch of {obj.describe()}")
        ctx.check_bindings(patch_node.value, patch_node.pos)
        if not validate:
            return [ManifestObject(merge_patch(obj.obj, patch_node.value), obj.origin, obj.pos, inline=True)
                    for obj in objects]
        return [replace(manifest_object(merge_patch(obj.obj, patch_node.value), patch_node, obj.origin),
                        pos=obj.pos) for obj in objects]
    if node.is_mapping and "kind" in node.fields:
        return [_inline_object(node, ctx, validate=validate)]
    raise fail("a manifest must be a file path, {file: PATH, patch: {...}}, or an inline object", node.pos,
               "write e.g. apply: manifests/rayjob.yaml or apply: [{file: manifests/rayjob.yaml}]")


def manifest_list(node: Node, ctx: ParseContext, *, extra: tuple[str, ...] = (),
                  validate: bool = True) -> tuple[ManifestObject, ...]:
    """The objects of a step's manifests; ``validate=False`` when only their kinds and names matter (delete)."""
    items = node.items if node.is_sequence else (node,)
    if not items:
        raise fail("the list of manifests is empty", node.pos, "name at least one manifest file")
    return tuple(obj for item in items for obj in _manifest_item(item, ctx, extra=extra, validate=validate))


# -- action steps -----------------------------------------------------------------------------------------------


def parse_refusal(node: Node, ctx: ParseContext) -> ExpectedRefusal | None:
    """``expect_refusal:`` beside a step's keyword: ``true`` (any refusal) or ``{reason, code, message}``."""
    spec = node.get("expect_refusal")
    if spec is None:
        return None
    example = "expect_refusal: {reason: Invalid, message: \"the managedBy field is immutable\"}"
    if spec.value is True:
        return ExpectedRefusal(pos=spec.pos)
    mapping(spec, "expect_refusal", example)
    check_keys(spec, ("reason", "code", "message"), "expect_refusal")
    if not spec.fields:
        raise fail("expect_refusal names nothing to check", spec.pos, f"write expect_refusal: true, or {example}")
    reason = string(spec.fields["reason"], "expect_refusal reason", example) if "reason" in spec.fields else None
    if reason is not None and reason not in STATUS_REASONS:
        close = suggest(reason, STATUS_REASONS)
        raise fail(f"expect_refusal reason={reason!r} is not a reason the API server gives", spec.fields["reason"].pos,
                   (f"did you mean {close!r}? " if close else "") + f"reasons: {', '.join(STATUS_REASONS)}")
    code = integer(spec.fields["code"], "expect_refusal code", minimum=400) if "code" in spec.fields else None
    message = None
    if "message" in spec.fields:
        message = string(spec.fields["message"], "expect_refusal message", example)
        ctx.check_bindings(message, spec.fields["message"].pos)
        check_regex(message, spec.fields["message"].pos)
    return ExpectedRefusal(reason, code, message, pos=spec.pos)


def parse_apply(node: Node, body: Node, ctx: ParseContext) -> Step:
    refusal = parse_refusal(node, ctx)
    # An object expected to be refused is not judged here: the API server's answer is what the step checks.
    objects = manifest_list(body, ctx, validate=refusal is None)
    if refusal is not None and len(objects) != 1:
        raise fail(f"expect_refusal needs an apply of one object, this one applies {len(objects)}",
                   node.pos_of_key("expect_refusal"), "apply the other objects in a step of their own")
    return ApplyStep(ctx.step_source(node), objects=objects, refusal=refusal)


def _status_written(merge: Node, target: ObjectRef, subresource: str | None) -> None:
    """A merge patch must change what its request can change: status only through the status subresource."""
    rtype = resolve_kind(target.kind)
    if rtype is None or not rtype.status_subresource:
        if subresource is not None:
            raise fail(f"a {target.kind} has no status subresource", merge.pos,
                       "patch the object itself (leave out subresource:)")
        return
    if subresource is None and "status" in merge.fields:
        raise fail(f"patch merge writes status, which the API server ignores in a write to a {target.kind}",
                   merge.pos_of_key("status"),
                   "status is a subresource: write subresource: status to change it (kubectl patch "
                   "--subresource=status), or leave status out")
    if subresource is not None:
        others = [key for key in merge.fields if key != "status"]
        if others or "status" not in merge.fields:
            raise fail("a status patch may change only status", merge.pos_of_key(others[0]) if others else merge.pos,
                       "the API server ignores everything but status in a write to the status subresource; "
                       "patch the rest in a step without subresource:")


def parse_patch(node: Node, body: Node, ctx: ParseContext) -> Step:
    mapping(body, "patch", "patch: {rayjob: my-job, merge: {spec: {suspend: true}}}")
    check_keys(body, (*KIND_KEYS, "kind", "name", "merge", "subresource"), "patch", required=("merge",))
    target = object_ref(body, ctx, "patch", need_name=True)
    merge = mapping(body.fields["merge"], "patch merge", "merge: {spec: {suspend: true}}")
    ctx.check_bindings(merge.value, merge.pos)
    subresource: Literal["status"] | None = None
    if "subresource" in body.fields:
        if body.fields["subresource"].value != "status":
            raise fail(f"patch subresource={body.fields['subresource'].value!r} is not status",
                       body.fields["subresource"].pos, "write subresource: status, or leave it out")
        subresource = "status"
    _status_written(merge, target, subresource)
    return PatchStep(ctx.step_source(node), target=target, patch=merge.value, subresource=subresource,
                     refusal=parse_refusal(node, ctx))


def _suspend_or_resume(node: Node, body: Node, ctx: ParseContext, suspend: bool) -> Step:
    keyword = "suspend" if suspend else "resume"
    if isinstance(body.value, str):
        ctx.check_bindings(body.value, body.pos)
        target = ObjectRef("RayJob", body.value, pos=body.pos)
    else:
        mapping(body, keyword, f"{keyword}: my-job")
        check_keys(body, (*KIND_KEYS, "kind", "name"), keyword)
        target = object_ref(body, ctx, keyword, need_name=True)
    return PatchStep(ctx.step_source(node), target=target, patch={"spec": {"suspend": suspend}},
                     shortcut=keyword)


def parse_suspend(node: Node, body: Node, ctx: ParseContext) -> Step:
    return _suspend_or_resume(node, body, ctx, True)


def parse_resume(node: Node, body: Node, ctx: ParseContext) -> Step:
    return _suspend_or_resume(node, body, ctx, False)


def _refs_of(objects: tuple[ManifestObject, ...]) -> tuple[ObjectRef, ...]:
    return tuple(ObjectRef(str(obj.obj["kind"]), str(obj.obj["metadata"]["name"]), pos=obj.pos)
                 for obj in objects)


def parse_delete(node: Node, body: Node, ctx: ParseContext) -> Step:
    refusal = parse_refusal(node, ctx)
    if isinstance(body.value, str) or body.is_sequence:
        targets = _refs_of(manifest_list(body, ctx, validate=False))
        wait, timeout = True, None
    else:
        mapping(body, "delete", "delete: {rayjob: my-job}")
        if "file" in body.fields:
            check_keys(body, ("file", "wait", "timeout"), "delete")
            targets = _refs_of(manifest_list(body.fields["file"], ctx, validate=False))
        else:
            check_keys(body, (*_REF_TARGET_KEYS, "wait", "timeout"), "delete")
            targets = (object_ref(body, ctx, "delete"),)
        wait = boolean(body.fields["wait"], "delete wait") if "wait" in body.fields else True
        timeout = bound(body.fields["timeout"], "delete timeout", ctx) if "timeout" in body.fields else None
    if refusal is not None and (len(targets) != 1 or targets[0].name is None):
        raise fail("expect_refusal needs a delete of one object by name", node.pos_of_key("expect_refusal"),
                   "write delete: {rayjob: my-job} with expect_refusal beside it")
    return DeleteStep(ctx.step_source(node), targets=targets, wait=wait, timeout=timeout, refusal=refusal)


def parse_rerun(node: Node, body: Node, ctx: ParseContext) -> Step:
    timeout = None
    if body.is_mapping and "timeout" in body.fields:
        timeout = bound(body.fields["timeout"], "rerun timeout", ctx)
    return RerunStep(ctx.step_source(node), objects=manifest_list(body, ctx, extra=("timeout",)),
                     timeout=timeout)


_UNTIL_WORDS: Final[dict[str, WaitKind]] = {"exists": "exists", "present": "exists", "gone": "gone",
                                              "absent": "gone"}


def parse_wait(node: Node, body: Node, ctx: ParseContext) -> Step:
    example = "wait: {rayjob: my-job, until: {status.jobDeploymentStatus: Complete}, timeout: 5m}"
    mapping(body, "wait", example)
    check_keys(body, (*_REF_TARGET_KEYS, "until", "timeout", "fail_fast", "match", "arrays"), "wait",
               required=("until",))
    target = object_ref(body, ctx, "wait")
    until_node = body.fields["until"]
    timeout = bound(body.fields["timeout"], "wait timeout", ctx) if "timeout" in body.fields else None
    fail_fast = boolean(body.fields["fail_fast"], "wait fail_fast") if "fail_fast" in body.fields else True
    match_all = True
    if "match" in body.fields:
        word = body.fields["match"].value
        if word not in ("all", "any"):
            raise fail(f"wait match={word!r} is not all or any", body.fields["match"].pos,
                       "with a selector, match: all (every object, the default) or match: any")
        match_all = word == "all"
    if isinstance(until_node.value, str):
        word = until_node.value
        if word not in _UNTIL_WORDS:
            raise fail(f"wait until={word!r} is not understood", until_node.pos,
                       "until is a mapping of fields ({status.jobStatus: SUCCEEDED}), exists, or gone")
        return WaitStep(ctx.step_source(node), target=target, until=_UNTIL_WORDS[word], timeout=timeout,
                        fail_fast=fail_fast, match_all=match_all)
    fields = parse_paths(until_node, array_mode(body))
    ctx.check_bindings(until_node.value, until_node.pos)
    return WaitStep(ctx.step_source(node), target=target, until="fields", fields=fields, timeout=timeout,
                    fail_fast=fail_fast, match_all=match_all)


def parse_ray_job_submit(node: Node, body: Node, ctx: ParseContext) -> Step:
    """``ray_job_submit: {rayjob: NAME, submission_id: ID, entrypoint: ...}``: a user's ``ray job submit``."""
    example = "ray_job_submit: {rayjob: my-job, submission_id: my-run-1, entrypoint: \"python train.py\"}"
    mapping(body, "ray_job_submit", example)
    check_keys(body, ("rayjob", "submission_id", "entrypoint"), "ray_job_submit",
               required=("rayjob", "submission_id"))
    values: dict[str, str] = {}
    for key in ("rayjob", "submission_id", "entrypoint"):
        if key in body.fields:
            values[key] = string(body.fields[key], f"ray_job_submit {key}", example)
            ctx.check_bindings(values[key], body.fields[key].pos)
    target = ObjectRef("RayJob", values["rayjob"], pos=body.pos_of_key("rayjob"))
    return RayJobSubmitStep(ctx.step_source(node), target=target, submission_id=values["submission_id"],
                            entrypoint=values.get("entrypoint"))


def parse_advance(node: Node, body: Node, ctx: ParseContext) -> Step:
    return AdvanceStep(ctx.step_source(node), seconds=duration(body, "advance"))


def parse_sleep(node: Node, body: Node, ctx: ParseContext) -> Step:
    return SleepStep(ctx.step_source(node), seconds=duration(body, "sleep"))


def _save_string(text: str, pos: SourcePos, ctx: ParseContext) -> tuple[ObjectRef, str]:
    """``rayjob-ttl.status.rayClusterName`` or ``raycluster/${cluster}.status.state`` (RayJob by default)."""
    kind = "RayJob"
    rest = text
    prefix, slash, after = text.partition("/")
    if slash and prefix.lower() in KIND_KEYS:
        kind, rest = KIND_KEYS[prefix.lower()], after
    match = _SAVE_PATH.search(rest)
    if match is None or match.start() == 0:
        raise fail(f"save source={text!r} is not OBJECT.PATH", pos,
                   "write e.g. my-job.status.rayClusterName or raycluster/${cluster}.status.state, "
                   "or {pod: {selector: ...}, path: metadata.name}")
    name, path = rest[: match.start()], rest[match.start() + 1:]
    ctx.check_bindings(name, pos)
    return ObjectRef(kind, name, pos=pos), path


def parse_save(node: Node, body: Node, ctx: ParseContext) -> Step:
    mapping(body, "save", "save: {cluster: my-job.status.rayClusterName}")
    entries = []
    for name, spec in body.fields.items():
        pos = body.pos_of_key(name)
        if re.fullmatch(NAME_PATTERN, name) is None:
            raise fail(f"binding name={name!r} is not a name", pos, "use letters, digits and _ (e.g. cluster_name)")
        if name in ("namespace", "scenario"):
            raise fail(f"binding name={name!r} is reserved", pos, "${namespace} and ${scenario} are builtins")
        if isinstance(spec.value, str):
            target, path = _save_string(spec.value, spec.pos, ctx)
        else:
            mapping(spec, f"save {name}", "{pod: {selector: ray.io/node-type=head}, path: metadata.name}")
            check_keys(spec, (*_REF_TARGET_KEYS, "path"), f"save {name}", required=("path",))
            target = object_ref(spec, ctx, f"save {name}")
            path = string(spec.fields["path"], "save path", "path: status.jobId")
        entries.append(SaveEntry(name, target, path, pos))
        ctx.defined.add(name)  # later entries of the same step may use it: they are saved in order
    if not entries:
        raise fail("save names no binding", body.pos, "write save: {cluster: my-job.status.rayClusterName}")
    return SaveStep(ctx.step_source(node), entries=tuple(entries))


StepParser = Callable[[Node, Node, ParseContext], Step]


def action_parsers() -> dict[str, StepParser]:
    return {"apply": parse_apply, "patch": parse_patch, "suspend": parse_suspend, "resume": parse_resume,
            "delete": parse_delete, "rerun": parse_rerun, "wait": parse_wait, "advance": parse_advance,
            "sleep": parse_sleep, "save": parse_save, "ray_job_submit": parse_ray_job_submit}
