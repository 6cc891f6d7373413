"""Random name suffixes as Kubernetes makes them.

KubeRay names generated RayClusters and job ids with ``rand.String(5)`` from k8s.io/apimachinery, and the API
server completes ``generateName`` the same way: five characters from an alphabet without vowels (so no words) and
without look-alikes (no 0/1/3). The generator is seeded per simulation so runs repeat exactly.
"""

from __future__ import annotations

import random
from typing import Final

ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"
SUFFIX_LENGTH: Final = 5


class NameGenerator:
    """A seeded source of ``rand.String(5)`` suffixes and uids; one per simulated world."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)

    def suffix(self, length: int = SUFFIX_LENGTH) -> str:
        return "".join(self._random.choice(ALPHABET) for _ in range(length))

    def uid(self) -> str:
        """A version-4 shaped uid, deterministic under the seed."""
        raw = f"{self._random.getrandbits(128):032x}"
        return f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-a{raw[17:20]}-{raw[20:32]}"
