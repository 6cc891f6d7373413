"""API-server admission checks for built-in kinds that the controllers' objects can fail.

Only the checks a RayJob user can actually trip are modelled: a Job's pod template must use ``restartPolicy``
``Never`` or ``OnFailure`` (a ``submitterPodTemplate`` without one is refused, and KubeRay then reports
FailedToCreateRayJobSubmitter).
"""

from __future__ import annotations

from typing import Any

from ..model.kinds import JOB, ResourceType
from ..sim.store import Invalid


def check_builtin(rtype: ResourceType, obj: dict[str, Any]) -> None:
    if rtype == JOB:
        spec = (obj.get("spec") or {}).get("template", {}).get("spec") or {}
        policy = spec.get("restartPolicy", "Always")
        if policy not in ("Never", "OnFailure"):
            name = obj["metadata"].get("name", "")
            raise Invalid(f'Job.batch "{name}" is invalid: spec.template.spec.restartPolicy: Required value: '
                          'valid values: "OnFailure", "Never"')
