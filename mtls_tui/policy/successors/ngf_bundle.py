"""The client CA file NGINX Gateway Fabric writes for one port, byte for byte.

nginx-gateway-fabric v2.6.7:
- internal/controller/state/dataplane/configuration.go buildFrontendTLSCertBundles names one bundle per
  Gateway and port (`cert_bundle_<namespace>_<gateway>_<port>`), and addClientSettingsToSSLServers puts
  it in every server of the port as `ssl_client_certificate /etc/nginx/secrets/<id>.crt` under
  AllowValidOnly (nginx/config/servers.go buildHTTPSSL) whether or not the file is written.
- getFrontendTLSCertBundles writes the file only from the references found in the index
  buildRefCertificateBundles makes: every resolved ConfigMap (resolver/configmaps.go: a CertBundle even
  when ValidateCA refused it) and every resolved kubernetes.io/tls Secret (resolver/secrets.go
  secretEntry.validate); an Opaque Secret is accepted (validateOpaqueSecretKey) but gets no CertBundle,
  so its CA is never written. The file is the found references' ca.crt, each as getCertRefBundleData
  gives it (base64-decoded when it decodes), joined in reference order with no separator.
- A reference is resolved only after its kind/group passed and, in another namespace, a ReferenceGrant
  allowed it (graph/gateway_listener.go validateFrontendTLS); a missing object gets no CertBundle.
- But the index is the whole graph's: one resolver serves every Gateway of the class, their listeners'
  certificateRefs and every BackendTLSPolicy (graph/graph.go BuildGraph: one newResourceResolver;
  resolver/resolver.go Resolve caches each object it resolves, GetSecrets/GetConfigMaps return them all).
  getFrontendTLSCertBundles looks up every caCertificateRef of the listener (listener.CACertificateRefs,
  unfiltered) in that index, so a reference no ReferenceGrant permits is still written when something
  else resolved its object (`resolved_by`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mtls_tui.model import ClusterSnapshot, KubeResource
from mtls_tui.policy.successors.pem_checks import ngf_ca_problem, ngf_decoded
from mtls_tui.policy.successors.references import GATEWAY_GROUP, CaRef, grant_permits, object_data, presence
from mtls_tui.policy.values import as_dict, as_list, text

TLS_SECRET = "kubernetes.io/tls"
SECRETS_DIR = "/etc/nginx/secrets"  # nginx/config/generator.go secretsFolder


@dataclass(frozen=True)
class NgfBundle:
    """`written`: NGF writes the file (some reference is in its index); `data`: its bytes;
    `dropped`: references NGF accepts whose CA it does not write (Opaque Secrets); `unseen`: references
    not read here, so the bytes are not known; `leaked`: references no ReferenceGrant permits whose CA is
    written all the same, each with what resolved its object."""

    written: bool
    data: bytes
    dropped: tuple[CaRef, ...] = ()
    unseen: tuple[CaRef, ...] = ()
    leaked: tuple[tuple[CaRef, str], ...] = ()


def ngf_object_data(snapshot: ClusterSnapshot, kind: str, namespace: str, name: str) -> dict[str, bytes] | None:
    """A CA object's keys as NGF reads them: a ConfigMap's `binaryData` too, its ca.crt over `data`'s
    (resolver/configmaps.go configMapEntry.validate reads Data, then BinaryData)."""
    data = object_data(snapshot, kind, namespace, name)
    if data is None or kind != "ConfigMap":
        return data
    for resource in snapshot.of_kind("ConfigMap", ""):
        if resource.namespace == namespace and resource.name == name:
            for key, value in as_dict(resource.body.get("binaryData")).items():
                try:
                    data[str(key)] = base64.b64decode(str(value), validate=True)
                except (binascii.Error, ValueError):
                    continue  # the API server refuses a binaryData value that is not base64
    return data


def bundle_path(namespace: str, gateway: str, port: int) -> str:
    """generateCertBundleFileName(generateCertBundleID(namespace/gateway_port))."""
    return f"{SECRETS_DIR}/cert_bundle_{namespace}_{gateway}_{port}.crt"


# The key of NGF's index (dataplane/configuration.go refCertBundleKey): kind, namespace, name
IndexKey = tuple[str, str, str]


def backend_policy_refs(snapshot: ClusterSnapshot) -> dict[IndexKey, str]:
    """The CA objects NGF resolves for BackendTLSPolicies, every one it watches, whatever it targets
    (graph/backend_tls_policy.go processBackendTLSPolicies → validateBackendTLSCACertRef: exactly one
    caCertificateRef, ConfigMap or Secret of group "" or core, in the policy's namespace, and no
    wellKnownCACertificates beside it)."""
    found: dict[IndexKey, str] = {}
    for policy in snapshot.of_kind("BackendTLSPolicy", GATEWAY_GROUP):
        validation = as_dict(as_dict(policy.body.get("spec")).get("validation"))
        refs = [as_dict(r) for r in as_list(validation.get("caCertificateRefs"))]
        if len(refs) != 1 or validation.get("wellKnownCACertificates") is not None:
            continue
        kind, group, name = text(refs[0].get("kind")), text(refs[0].get("group")), text(refs[0].get("name"))
        if kind in ("ConfigMap", "Secret") and group in ("", "core") and name:
            found.setdefault((kind, policy.namespace, name), f"BackendTLSPolicy {policy.ref}")
    return found


NGF_GROUP = "gateway.nginx.org"


def auth_filter_refs(snapshot: ClusterSnapshot) -> dict[IndexKey, str]:
    """The Secrets NGF resolves for AuthenticationFilters: graph/graph.go BuildGraph runs
    authentication_filter.go processAuthenticationFilters on every one it watches, referenced by a route or
    not, with the graph's one resolver. Type Basic resolves spec.basic.secretRef in the filter's namespace
    (resolveAuthenticationFilterSecret, expected key `auth`: a kubernetes.io/tls Secret is stored with its
    CertBundle whatever that check says, resolver/secrets.go secretEntry.validate). JWT and OIDC resolve
    theirs only with NGINX Plus ("JWT Authentication requires NGINX Plus."), which is not read here."""
    found: dict[IndexKey, str] = {}
    for resource in snapshot.of_kind("AuthenticationFilter", NGF_GROUP):
        spec = as_dict(resource.body.get("spec"))
        name = text(as_dict(as_dict(spec.get("basic")).get("secretRef")).get("name"))
        if text(spec.get("type")) == "Basic" and name:
            found.setdefault(("Secret", resource.namespace, name), f"AuthenticationFilter {resource.ref}")
    return found


def backend_client_certificate(gateway: KubeResource) -> IndexKey | None:
    """The Secret a Gateway's spec.tls.backend.clientCertificateRef names, as graph/gateway.go
    validateGatewayTLSBackend resolves it: kind Secret (or none), group "" or core, its namespace or the
    Gateway's; Resolve runs **before** the ReferenceGrant check, so it is in the index even when refused."""
    ref = as_dict(
        as_dict(as_dict(as_dict(gateway.body.get("spec")).get("tls")).get("backend")).get("clientCertificateRef")
    )
    if not text(ref.get("name")) or text(ref.get("kind") or "Secret") != "Secret":
        return None
    if text(ref.get("group")) not in ("", "core"):
        return None
    return "Secret", text(ref.get("namespace")) or gateway.namespace, text(ref.get("name"))


def ngf_bundle(
    refs: Sequence[CaRef],
    snapshot: ClusterSnapshot,
    referrer: tuple[str, str, str],
    namespace: str,
    resolved_by: Mapping[IndexKey, str] | None = None,
) -> NgfBundle:
    """The file NGF writes for `refs` (the port's caCertificateRefs, in order) of a Gateway in
    `namespace`; `resolved_by`: the objects the rest of NGF's graph resolves, and who."""
    written, parts, dropped, unseen, leaked = False, [], [], [], []
    for ref in refs:
        if not ref.name or ref.kind not in ("Secret", "ConfigMap") or ref.group not in ("", "core"):
            continue
        if ref.namespace != namespace and grant_permits(snapshot, referrer, ref) is None:
            other = (resolved_by or {}).get((ref.kind, ref.namespace, ref.name))
            if other is None or ngf_object_data(snapshot, ref.kind, ref.namespace, ref.name) is None:
                continue
            secret = snapshot.secret(f"{ref.namespace}/{ref.name}") if ref.kind == "Secret" else None
            if secret is not None and secret.type != TLS_SECRET:
                continue  # resolved elsewhere, but an Opaque Secret gets no CertBundle
            leaked.append((ref, other))
        data = ngf_object_data(snapshot, ref.kind, ref.namespace, ref.name)
        if data is None:
            if presence(snapshot, ref.kind, ref.namespace, ref.name) in ("unseen", "forbidden"):
                unseen.append(ref)
            continue
        secret = snapshot.secret(f"{ref.namespace}/{ref.name}") if ref.kind == "Secret" else None
        if secret is not None and secret.type != TLS_SECRET:
            if secret.type == "Opaque" and data.get("ca.crt") and ngf_ca_problem(data["ca.crt"]) is None:
                dropped.append(ref)
            continue
        written = True
        parts.append(ngf_decoded(data.get("ca.crt", b"")))
    return NgfBundle(written, b"".join(parts), tuple(dropped), tuple(unseen), tuple(leaked))
