"""The production topology as processes on one machine (`scripts/cluster`, the failure tests)."""

from entrypoints.cluster.topology import Cluster

__all__ = ["Cluster"]
