"""A Kubernetes API server emulator, faithful enough to test a kopf operator without a cluster.

See ``kube_emulator/README.md`` for what is faithful and what is deliberately left out.
"""

from kube_emulator.emulator import KubeEmulator
from kube_emulator.resources import ResourceSpec

__all__ = ["KubeEmulator", "ResourceSpec"]
