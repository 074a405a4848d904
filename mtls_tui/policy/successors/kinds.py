"""Which successor objects a cluster read lists, and which CA objects they name.

The API groups are optional in a cluster (a CRD that is not installed is "not installed", not
an error), so a read first asks the API server which groups and versions it serves (`GET /apis`)
and lists only those. The CA objects are then fetched by name, as ingress-nginx's Secrets are:
a cluster's ConfigMaps are many and mostly unrelated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mtls_tui.model import Finding, KubeResource, Severity
from mtls_tui.policy.values import as_dict, as_list
from mtls_tui.shell import arg

DEFAULT_ISTIO_NAMESPACE = "istio-system"  # where istio's gateway workload runs unless told otherwise


@dataclass(frozen=True)
class SuccessorKind:
    group: str
    plural: str
    kind: str
    versions: tuple[str, ...]  # newest first: the first one the cluster serves is read
    namespaced: bool = True


SUCCESSOR_KINDS = (
    SuccessorKind("gateway.networking.k8s.io", "gatewayclasses", "GatewayClass", ("v1", "v1beta1"), namespaced=False),
    SuccessorKind("gateway.networking.k8s.io", "gateways", "Gateway", ("v1", "v1beta1")),
    SuccessorKind("gateway.networking.k8s.io", "httproutes", "HTTPRoute", ("v1", "v1beta1")),
    SuccessorKind("gateway.networking.k8s.io", "referencegrants", "ReferenceGrant", ("v1", "v1beta1")),
    # NGINX Gateway Fabric resolves every BackendTLSPolicy's CA into the index its frontend CA files
    # are written from (policy/successors/ngf_bundle.py backend_policy_refs)
    SuccessorKind("gateway.networking.k8s.io", "backendtlspolicies", "BackendTLSPolicy", ("v1", "v1alpha3")),
    # and every AuthenticationFilter's Secret (ngf_bundle.py auth_filter_refs)
    SuccessorKind("gateway.nginx.org", "authenticationfilters", "AuthenticationFilter", ("v1alpha1",)),
    SuccessorKind("gateway.envoyproxy.io", "clienttrafficpolicies", "ClientTrafficPolicy", ("v1alpha1",)),
    SuccessorKind("traefik.io", "tlsoptions", "TLSOption", ("v1alpha1",)),
    SuccessorKind("traefik.io", "ingressroutes", "IngressRoute", ("v1alpha1",)),
    SuccessorKind("traefik.containo.us", "tlsoptions", "TLSOption", ("v1alpha1",)),
    SuccessorKind("traefik.containo.us", "ingressroutes", "IngressRoute", ("v1alpha1",)),
    SuccessorKind("k8s.nginx.org", "policies", "Policy", ("v1",)),
    SuccessorKind("k8s.nginx.org", "virtualservers", "VirtualServer", ("v1",)),
    SuccessorKind("networking.istio.io", "gateways", "Gateway", ("v1", "v1beta1", "v1alpha3")),
)


def served_kinds(group_list: dict[str, Any]) -> list[tuple[SuccessorKind, tuple[str, ...]]]:
    """The successor kinds whose group the API server serves (from its `APIGroupList`), each with
    the versions to try, newest first (a group's versions need not all serve every kind: Gateway
    API serves Gateway at v1 and, in older releases, ReferenceGrant at v1beta1 only)."""
    served: dict[str, set[str]] = {}
    for group in group_list.get("groups") or []:
        if isinstance(group, dict):
            versions = {str(v.get("version")) for v in group.get("versions") or [] if isinstance(v, dict)}
            served[str(group.get("name"))] = versions
    found = []
    for kind in SUCCESSOR_KINDS:
        candidates = tuple(v for v in kind.versions if v in served.get(kind.group, set()))
        if candidates:
            found.append((kind, candidates))
    return found


def _refs(refs: Any, namespace: str, default_kind: str) -> Iterable[tuple[str, str, str]]:
    for ref in as_list(refs):
        ref = as_dict(ref)
        if ref.get("name"):
            yield str(ref.get("kind") or default_kind), str(ref.get("namespace") or namespace), str(ref["name"])


def _named(resource: KubeResource) -> Iterable[tuple[str, str, str]]:
    """(kind, namespace, name) of the CA objects one successor object names, in the fields each
    controller reads (docs/successors.md: G2, E1, T1, F1, I2), and a Gateway listener's certificate
    Secrets, which the readers check too."""
    spec, ns = as_dict(resource.body.get("spec")), resource.namespace
    if resource.kind == "Gateway" and resource.group == "gateway.networking.k8s.io":
        frontend = as_dict(as_dict(spec.get("tls")).get("frontend"))
        validations = [as_dict(frontend.get("default")).get("validation")]
        validations += [as_dict(as_dict(p).get("tls")).get("validation") for p in as_list(frontend.get("perPort"))]
        validations += [
            as_dict(as_dict(li).get("tls")).get("frontendValidation") for li in as_list(spec.get("listeners"))
        ]
        for validation in validations:
            for kind, where, name in _refs(as_dict(validation).get("caCertificateRefs"), ns, "ConfigMap"):
                yield kind, "" if kind == "ClusterTrustBundle" else where, name
        # the listeners' own certificate Secrets (kind defaults to Secret): NGINX Gateway Fabric and Envoy
        # Gateway refuse a listener whose every one is unusable (G22, E29)
        for listener in as_list(spec.get("listeners")):
            yield from _refs(as_dict(as_dict(listener).get("tls")).get("certificateRefs"), ns, "Secret")
    elif resource.kind == "ClientTrafficPolicy":
        validation = as_dict(as_dict(spec.get("tls")).get("clientValidation"))
        for kind, where, name in _refs(
            validation.get("caCertificateRefs"), ns, "Secret"
        ):  # kind defaults to Secret (E1)
            yield kind, "" if kind == "ClusterTrustBundle" else where, name
        yield from _refs(as_dict(validation.get("crl")).get("refs"), ns, "Secret")
    elif resource.kind == "IngressRoute":  # the router's own certificate Secret (T18)
        secret = as_dict(spec.get("tls")).get("secretName")
        if secret:
            yield "Secret", ns, str(secret)
    elif resource.kind == "TLSOption":
        for name in as_list(as_dict(spec.get("clientAuth")).get("secretNames")):
            yield "Secret", ns, str(name)
    elif resource.kind == "Policy":
        secret = as_dict(spec.get("ingressMTLS")).get("clientCertSecret")
        if secret:
            yield "Secret", ns, str(secret)
    elif resource.kind == "Gateway" and resource.group == "networking.istio.io":
        for server in as_list(spec.get("servers")):
            credential = as_dict(as_dict(server).get("tls")).get("credentialName")
            if credential:
                # looked up in the gateway workload's namespace (I3): the default one and the Gateway's own
                for where in dict.fromkeys((DEFAULT_ISTIO_NAMESPACE, ns)):
                    yield "Secret", where, str(credential)
                    yield "Secret", where, f"{credential}-cacert"


CA_KINDS = ("ConfigMap", "Secret", "ClusterTrustBundle")
# Envoy Gateway reads ClusterTrustBundles at this version only (provider/kubernetes controller_watch.go
# watchClusterTrustBundle: certificatesv1b1; controller.go processClusterTrustBundleRef)
TRUST_BUNDLES = SuccessorKind("certificates.k8s.io", "clustertrustbundles", "ClusterTrustBundle", ("v1beta1",), False)


def referenced_objects(resources: Iterable[KubeResource]) -> set[tuple[str, str, str]]:
    """Every ConfigMap, Secret and ClusterTrustBundle (cluster-scoped: namespace "") the successor
    objects name as a CA (or CRL), as (kind, namespace, name); other kinds are left to the readers
    to refuse."""
    return {ref for resource in resources for ref in _named(resource) if ref[0] in CA_KINDS}


def selects_namespaces(resources: Iterable[KubeResource]) -> bool:
    """A ClientTrafficPolicy targetSelector picks namespaces by their labels (`namespaces.from:
    Selector`, Envoy Gateway helpers.go targetSelectorNamespacesMatch): the Namespaces must be read."""
    return any(
        as_dict(as_dict(selector).get("namespaces")).get("from") == "Selector"
        for resource in resources
        if resource.kind == "ClientTrafficPolicy"
        for selector in as_list(as_dict(resource.body.get("spec")).get("targetSelectors"))
    )


# What we were refused: (verb, resource, namespace or None for every namespace, the object's name or "").
Refusal = tuple[str, str, str | None, str]


def not_permitted_finding(refused: list[Refusal]) -> Finding:
    """Our credentials may not read some successor objects: what they would have said is not
    checked (the controllers read with their own permissions; nothing is broken by this)."""
    words = [
        f"{verb} {resource}" + (f" {namespace}/{name}" if name else "") for verb, resource, namespace, name in refused
    ]
    verb, resource, namespace, _ = refused[0]
    scope = f"-n {arg(namespace)}" if namespace else "-A"
    return Finding(
        code="objects-forbidden",
        severity=Severity.WARNING,
        title=f"not allowed to {'; '.join(words)}: what they decide is not checked",
        detail="Our credentials lack these permissions; the controllers read with their own, so this breaks "
        "nothing, but what those objects decide (client validation, or which namespaces a controller "
        "watches) is not part of this report. The command asks the API server again; then ask for read access, or "
        "check with --manifests holding those objects.",
        fix=f"kubectl auth can-i {arg(verb)} {arg(resource)} {scope}",
        subject="cluster",
        evidence=tuple(words),
    )
