"""KubeRay's operator, reproduced: the RayJob and RayCluster reconcilers, the objects they build, their validation.

Behaviour follows ``ray-operator/controllers/ray`` at the release named by a :class:`~.profile.KubeRayProfile`;
where releases differ, the profile carries the difference and the code cites the release in a comment.
The operator reaches Ray only through dashboards (``harness.raysim``) and never knows how a job runs.
"""
