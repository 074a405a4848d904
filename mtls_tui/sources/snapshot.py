"""Where a snapshot comes from: manifest files or a cluster context. Blocking."""

from __future__ import annotations

from collections.abc import Callable

from mtls_tui.model import ClusterSnapshot


def load_snapshot(
    *,
    manifests: list[str] | None = None,
    context: str | None = None,
    namespace: str | None = None,
    kubeconfig: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ClusterSnapshot:
    if manifests:
        from mtls_tui.policy.kube_objects import snapshot_from_objects
        from mtls_tui.sources.manifests import read_manifests

        objects = read_manifests(manifests)
        return snapshot_from_objects(objects, "manifests " + " ".join(manifests), complete=False)
    from mtls_tui.sources.kube import KubeSource  # the Kubernetes client: only now

    source = KubeSource(context, namespace, kubeconfig)
    try:
        return source.snapshot(progress)
    finally:
        source.close()
