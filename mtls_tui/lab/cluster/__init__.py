"""A local Kubernetes API server for the lab and the tests (see `lab.LabCluster`)."""

from mtls_tui.lab.cluster.lab import LabCluster
from mtls_tui.lab.cluster.logs import PodLog
from mtls_tui.lab.cluster.status import ApiError

__all__ = ["ApiError", "LabCluster", "PodLog"]
