"""The container images a set of scenarios will run, so they can be pulled and loaded into kind once, up front.

A Ray image is several GB: pulled by the kind node on first use it makes the first scenario slow and flaky
(ImagePullBackOff, Docker Hub's rate limits). So provisioning pulls each image the scenarios name into the
local engine once and loads it into the nodes with ``kind load docker-image``; a record of loaded image IDs
makes a second ``cluster up`` skip what is already there. This module finds the images: every
``containers``/``initContainers`` entry of every object a scenario applies (RayJob and RayCluster pod
templates, submitter templates, plain pods), skipping values that hold ``${bindings}``.

Not here: pulling and loading (:mod:`.provision`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ...scenario.model import ApplyStep, RerunStep, Scenario

_CONTAINER_LISTS = ("containers", "initContainers")


def _images_in(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in _CONTAINER_LISTS and isinstance(item, list):
                for container in item:
                    image = container.get("image") if isinstance(container, dict) else None
                    if isinstance(image, str) and image and "${" not in image:
                        yield image
            yield from _images_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _images_in(item)


def images_in_objects(objects: Iterable[Any]) -> list[str]:
    """Distinct images in the given Kubernetes objects, in the order first seen."""
    return list(dict.fromkeys(image for obj in objects for image in _images_in(obj)))


def images_in_scenarios(scenarios: Iterable[Scenario]) -> list[str]:
    """Distinct images every ``apply`` and ``rerun`` of the scenarios would run, in the order first seen."""
    objects = [manifest.obj for scenario in scenarios for step in scenario.all_steps
               if isinstance(step, (ApplyStep, RerunStep)) for manifest in step.objects]
    return images_in_objects(objects)
