"""KubeRay's operator, reproduced: the RayJob and RayCluster reconcilers and the programs of Ray pods.

Behaviour follows ``ray-operator/controllers/ray`` at the release named by a :class:`~.profile.KubeRayProfile`;
where releases differ, the profile carries the difference and the code cites the release in a comment.
"""
