"""Who the client is and what it may do: the review resources behind ``kubectl auth can-i`` and ``auth whoami``.

The simulator has one user, the holder of the kubeconfig's token, allowed everything (like a kind cluster's
admin), so every question gets the same answer. A review is answered at once and stored nowhere, as on a real
API server:
``authorization.k8s.io/v1`` ``selfsubjectaccessreviews`` (``allowed: true``) and ``selfsubjectrulesreviews``
(every verb on every resource), ``authentication.k8s.io/v1`` ``selfsubjectreviews`` (the user's name and groups).

Not here: authentication itself (:mod:`.http` checks the token).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .request import Request, Response, decode_object
from .status import StatusError

Obj = dict[str, Any]
USER: Final = "rayjob-harness-admin"
PROTOBUF: Final = "application/vnd.kubernetes.protobuf"
GROUPS: Final = ("system:masters", "system:authenticated")
REVIEWS: Final[Mapping[tuple[str, str], str]] = {
    ("authorization.k8s.io", "selfsubjectaccessreviews"): "SelfSubjectAccessReview",
    ("authorization.k8s.io", "selfsubjectrulesreviews"): "SelfSubjectRulesReview",
    ("authentication.k8s.io", "selfsubjectreviews"): "SelfSubjectReview",
}
VERSION: Final = "v1"


def groups() -> list[tuple[str, list[str]]]:
    return [(group, [VERSION]) for group in dict.fromkeys(group for group, _ in REVIEWS)]


def resource_list(group: str) -> Obj:
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": f"{group}/{VERSION}", "resources": [
        {"name": plural, "singularName": kind.lower(), "namespaced": False, "kind": kind, "verbs": ["create"]}
        for (g, plural), kind in REVIEWS.items() if g == group]}


def aggregated_groups() -> list[Obj]:
    out = []
    for group, _ in groups():
        resources = [{"resource": plural, "responseKind": {"group": group, "version": VERSION, "kind": kind},
                      "scope": "Cluster", "singularResource": kind.lower(), "verbs": ["create"]}
                     for (g, plural), kind in REVIEWS.items() if g == group]
        out.append({"metadata": {"name": group},
                    "versions": [{"version": VERSION, "resources": resources, "freshness": "Current"}]})
    return out


def handle(req: Request, group: str, rest: list[str]) -> Response:
    """``rest``: the path after ``/apis/<group>/v1/``."""
    if not rest or rest == [""]:
        return Response(body=resource_list(group))
    kind = REVIEWS.get((group, rest[0]))
    if kind is None or len(rest) != 1:
        raise StatusError(404, "the server could not find the requested resource")
    if req.method != "POST":
        raise StatusError(405, f"the server does not allow this method on the requested resource ({rest[0]})")
    # kubectl sends these as protobuf; the answer does not depend on the question, so the body is not decoded
    # (the answer is JSON, which client-go reads whatever it sent)
    body = {} if req.content_type == PROTOBUF else decode_object(req)
    answer: Obj = {"kind": kind, "apiVersion": f"{group}/{VERSION}", "metadata": {"creationTimestamp": None},
                   "spec": body.get("spec") or {}}
    if kind == "SelfSubjectAccessReview":
        answer["status"] = {"allowed": True, "reason": f"{USER} may do everything in the simulator"}
    elif kind == "SelfSubjectRulesReview":
        answer["status"] = {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": False}
    else:
        answer["status"] = {"userInfo": {"username": USER, "groups": list(GROUPS)}}
    return Response(code=201, body=answer)
