"""API-server admission for built-in kinds: the defaults the server fills in, and what controllers can trip.

Only what a RayJob user can actually trip or see is modelled: a Job gets the selector the batch strategy
generates (``batch.kubernetes.io/controller-uid``) and the matching labels on its pod template, so that ``kubectl
logs job/<name>`` and ``kubectl describe job`` find exactly its pods; a Job's pod template must use
``restartPolicy`` ``Never`` or ``OnFailure`` (a ``submitterPodTemplate`` without one is refused, and KubeRay then
reports FailedToCreateRayJobSubmitter); a Secret's ``stringData`` is merged into ``data`` (base64) and ``type``
defaults to ``Opaque``, as the API server stores every Secret whoever writes it.
"""

from __future__ import annotations

import base64
from typing import Any

from ..model.kinds import JOB, SECRET, ResourceType
from ..sim.store import Invalid


def _default_job_selector(obj: dict[str, Any]) -> None:
    """The batch strategy's ``generateSelector`` (no ``manualSelector``): done once, when the Job is created."""
    spec = obj.setdefault("spec", {})
    uid, name = obj["metadata"].get("uid", ""), obj["metadata"].get("name", "")
    if spec.get("selector") or spec.get("manualSelector") or not uid:
        return
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    template = spec.setdefault("template", {})
    meta = template.setdefault("metadata", {})
    meta["labels"] = {**(meta.get("labels") or {}), "batch.kubernetes.io/controller-uid": uid,
                      "batch.kubernetes.io/job-name": name, "controller-uid": uid, "job-name": name}


def normalize_secret(obj: dict[str, Any]) -> None:
    """``stringData`` is write-only: its entries overwrite ``data`` (base64-encoded) and it is dropped."""
    string_data = obj.pop("stringData", None)
    if isinstance(string_data, dict) and string_data:
        data = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data
    obj.setdefault("type", "Opaque")


def check_builtin(rtype: ResourceType, obj: dict[str, Any]) -> None:
    if rtype == SECRET:
        normalize_secret(obj)
    if rtype == JOB:
        _default_job_selector(obj)
        spec = (obj.get("spec") or {}).get("template", {}).get("spec") or {}
        policy = spec.get("restartPolicy", "Always")
        if policy not in ("Never", "OnFailure"):
            name = obj["metadata"].get("name", "")
            raise Invalid(f'Job.batch "{name}" is invalid: spec.template.spec.restartPolicy: Required value: '
                          'valid values: "OnFailure", "Never"')
