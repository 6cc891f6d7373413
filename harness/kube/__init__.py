"""Built-in Kubernetes behaviour the RayJob depends on: the kubelet (pods) and the batch/v1 Job controller.

These sit above the simulator core (``harness.sim``) and below the Ray side (``harness.raysim``), which plugs
container behaviour into the kubelet through :class:`~harness.kube.containers.ContainerProgram`.
"""
