"""The kinds the lab serves and the discovery documents clients learn them from.

kubectl resolves `ingress`, `secret`, `po` through discovery before it requests
anything, so the table below is the single source for paths, short names, scope and
the extra field-selector labels each kind supports on a real API server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
SERVER_VERSION = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2025-04-22T00:00:00Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}


@dataclass(frozen=True)
class Resource:
    kind: str
    plural: str
    group: str
    version: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """How the API server names the resource in messages: `ingresses.networking.k8s.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def field_labels(self) -> tuple[str, ...]:
        return ("metadata.name", "metadata.namespace", *self.fields)


EVENT_FIELDS = tuple(
    f"involvedObject.{f}" for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
) + ("reason", "reportingComponent", "type")
POD_FIELDS = (
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.phase",
    "status.podIP",
)

RESOURCES = (
    Resource("Namespace", "namespaces", "", "v1", False, ("ns",), ("status.phase",)),
    Resource("Secret", "secrets", "", "v1", True, (), ("type",)),
    Resource("ConfigMap", "configmaps", "", "v1", True, ("cm",)),
    Resource("Service", "services", "", "v1", True, ("svc",)),
    Resource("Pod", "pods", "", "v1", True, ("po",), POD_FIELDS),
    Resource("Event", "events", "", "v1", True, ("ev",), EVENT_FIELDS),
    Resource("Deployment", "deployments", "apps", "v1", True, ("deploy",)),
    Resource("Ingress", "ingresses", "networking.k8s.io", "v1", True, ("ing",)),
    Resource("IngressClass", "ingressclasses", "networking.k8s.io", "v1", False),
    Resource("EndpointSlice", "endpointslices", "discovery.k8s.io", "v1", True),
    # A cluster with Gateway API (Standard, v1.5+) and Envoy Gateway installed: the successors'
    # objects are read as from any cluster (policy/successors/kinds.py).
    Resource("GatewayClass", "gatewayclasses", "gateway.networking.k8s.io", "v1", False),
    Resource("Gateway", "gateways", "gateway.networking.k8s.io", "v1", True),
    Resource("HTTPRoute", "httproutes", "gateway.networking.k8s.io", "v1", True),
    Resource("ReferenceGrant", "referencegrants", "gateway.networking.k8s.io", "v1beta1", True),
    Resource("BackendTLSPolicy", "backendtlspolicies", "gateway.networking.k8s.io", "v1", True),
    Resource("ClientTrafficPolicy", "clienttrafficpolicies", "gateway.envoyproxy.io", "v1alpha1", True, ("ctp",)),
    # cluster-scoped CA bundles Envoy Gateway reads for caCertificateRefs kind ClusterTrustBundle (Kubernetes 1.33+ beta)
    Resource("ClusterTrustBundle", "clustertrustbundles", "certificates.k8s.io", "v1beta1", False),
)
GROUP_VERSIONS = tuple(dict.fromkeys((r.group, r.version) for r in RESOURCES))


def find(name: str) -> Resource:
    """A kind for Python callers: `Secret`, `secret` or `secrets` all work."""
    for resource in RESOURCES:
        if name in (resource.kind, resource.plural) or name.lower() == resource.kind.lower():
            return resource
    raise ValueError(f"the lab serves no kind {name!r} (known: {', '.join(r.kind for r in RESOURCES)})")


def by_path(group: str, version: str, plural: str) -> Resource | None:
    for resource in RESOURCES:
        if (resource.group, resource.version, resource.plural) == (group, version, plural):
            return resource
    return None


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group(name: str) -> dict[str, Any]:
    versions = [{"groupVersion": f"{name}/{v}", "version": v} for g, v in GROUP_VERSIONS if g == name]
    return {"name": name, "versions": versions, "preferredVersion": versions[0]}


def api_group_list() -> dict[str, Any]:
    names = dict.fromkeys(g for g, _ in GROUP_VERSIONS if g)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(name) for name in names]}


def api_group(name: str) -> dict[str, Any] | None:
    if not name or name not in (g for g, _ in GROUP_VERSIONS):
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name)}


def api_resource_list(group: str, version: str) -> dict[str, Any] | None:
    if (group, version) not in GROUP_VERSIONS:
        return None
    entries: list[dict[str, Any]] = []
    for r in RESOURCES:
        if (r.group, r.version) != (group, version):
            continue
        entry = {
            "name": r.plural,
            "singularName": r.kind.lower(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": list(VERBS),
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        entries.append(entry)
        if r.kind == "Pod":
            entries.append(
                {"name": "pods/log", "singularName": "", "namespaced": True, "kind": "Pod", "verbs": ["get"]}
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def openapi_root() -> dict[str, Any]:
    """`/openapi/v3`: where each group-version's document is. kubectl reads it before
    `apply` or `create -f` to learn whether the server validates fields itself."""
    paths = {_gv_path(r.group, r.version) for r in RESOURCES}
    return {"paths": {path: {"serverRelativeURL": f"/openapi/v3/{path}"} for path in sorted(paths)}}


def openapi_group_version(path: str) -> dict[str, Any] | None:
    """Each kind's PATCH operation with the `fieldValidation` parameter, which is what
    kubectl looks for (then it leaves validation to the server and sends no schema
    questions). The lab honours it for custom resources: Strict refuses an unknown field, any
    other value prunes it (api.py _validate)."""
    kinds = [r for r in RESOURCES if _gv_path(r.group, r.version) == path]
    if not kinds:
        return None
    operations = {}
    for r in kinds:
        scope = "/namespaces/{namespace}" if r.namespaced else ""
        operations[f"/{path}{scope}/{r.plural}/{{name}}"] = {
            "patch": {
                "x-kubernetes-group-version-kind": {"group": r.group, "version": r.version, "kind": r.kind},
                "parameters": [{"name": "fieldValidation", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "OK"}},
            }
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": SERVER_VERSION["gitVersion"]},
        "paths": operations,
    }
