"""Istio's own Gateway (networking.istio.io): client validation per server (docs/successors.md I1–I7).

`servers[].tls.mode` MUTUAL requires and verifies, OPTIONAL_MUTUAL verifies a certificate if one
is given, SIMPLE asks none (pilot/pkg/networking/core/listener.go BuildListenerTLSContext);
`insecureSkipVerify` keeps the requirement and drops the verification (ACCEPT_UNTRUSTED:
pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext).

The CA comes from the Secret `<credentialName>-cacert` when it exists, else from the credential
Secret itself; keys `cacert` before `ca.crt` (pilot/pkg/credentials/kube/secrets.go GetCaCert,
ExtractRoot). Both are looked up in the namespace of the **gateway workload** (the proxy), not of
the Gateway resource (pilot/pkg/model/credentials/resource.go ParseResourceName): the namespace of
the Deployment whose pods the Gateway's selector picks (from the files, or listed from a cluster:
sources/kube.py); a Gateway without a selector is every gateway proxy's (`selects`). With none seen
it is assumed to be istio-system, and every finding and evidence line says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from mtls_tui.model import ClusterSnapshot, Finding, KubeResource, SecretObj, Severity
from mtls_tui.policy.secret_commands import add_ca_command, secret_update_command
from mtls_tui.policy.successors.carried import verify_depth_ignored
from mtls_tui.policy.successors.common import Breakage, ClientCertMode, ClientValidation
from mtls_tui.policy.successors.pem_checks import parsable_certificates
from mtls_tui.policy.successors.references import CaRef, absent, conditions, pins_from, presence, unseen_finding
from mtls_tui.policy.successors.releases import (
    ControllerRelease,
    istio_reads_credential_names,
    release_for,
    unchecked,
)
from mtls_tui.policy.successors.san_match import SanMatcher, SanMatchers, SanType
from mtls_tui.policy.values import as_dict, as_list, text
from mtls_tui.shell import arg, json_arg

ISTIO_GROUP = "networking.istio.io"
WORKLOAD_NAMESPACE = "istio-system"  # assumed when no Deployment of the files or cluster matches the selector
CA_KEYS = ("cacert", "ca.crt")  # secrets.go ExtractRoot: GenericScrtCaCert, then TLSSecretCaCert
# secrets.go ExtractRoot: the CRL beside each CA key (GenericScrtCRL, TLSSecretCrl); xds/sds.go
# toEnvoyCaSecret renders it inline as the validation context's crl
CRL_KEYS = {"cacert": "crl", "ca.crt": "ca.crl"}
CA_SUFFIX = "-cacert"  # securitymodel.SdsCaSuffix

# BuildListenerTLSContext; insecureSkipVerify → ACCEPT_UNTRUSTED (authentication.go)
_MODES: dict[tuple[str, bool], ClientCertMode] = {
    ("MUTUAL", False): "require-and-verify",
    ("MUTUAL", True): "require-any",
    ("OPTIONAL_MUTUAL", False): "verify-if-given",
    ("OPTIONAL_MUTUAL", True): "request",
    ("SIMPLE", False): "none",
    ("SIMPLE", True): "none",
}


@dataclass(frozen=True)
class Server:
    gateway: KubeResource
    index: int
    port: int
    hosts: tuple[str, ...]
    tls: dict[str, Any]
    workload_namespace: str = WORKLOAD_NAMESPACE  # where credentialName is looked up
    workload: str = ""  # the workload whose pods the selector picks (`Kind ns/name`); "" when assumed
    # a Gateway without a selector: every gateway proxy read, each reading the credential in its namespace
    proxies: tuple[KubeResource, ...] = ()

    @property
    def label(self) -> str:
        return f"Gateway.networking.istio.io {self.gateway.ref}"

    def patch(self, ops: list[dict[str, Any]]) -> str:
        return (
            f"kubectl patch gateways.networking.istio.io {arg(self.gateway.name)} -n {arg(self.gateway.namespace)} "
            f"--type json -p {json_arg(ops)}"
        )


def _host(raw: str) -> str:
    """`namespace/host` (the VirtualService namespaces it accepts) → host."""
    return raw.rpartition("/")[2] or "*"


# What runs a gateway proxy: a controller's pod template (a Deployment, or a DaemonSet, a StatefulSet an
# operator or a chart may make instead), or a Pod itself (a cluster read lists the selector's pods)
WORKLOAD_KINDS = (("apps", "Deployment"), ("apps", "DaemonSet"), ("apps", "StatefulSet"), ("", "Pod"))


def _pod(workload: KubeResource) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pod's metadata and spec: a Pod's own, a controller's pod template's."""
    body = workload.body if workload.kind == "Pod" else as_dict(as_dict(workload.body.get("spec")).get("template"))
    return as_dict(body.get("metadata")), as_dict(body.get("spec"))


def is_gateway_proxy(workload: KubeResource) -> bool:
    """The pods run an Istio gateway proxy (`pilot-agent proxy router`), the only proxies mergeGateways
    serves Gateways to: a container whose args name `router` (istio/istio 1.30.3 manifests/charts/istio-control/
    istio-discovery/files/gateway-injection-template.yaml and kube-gateway.yaml render `proxy router`), or the
    injection template `gateway` asked by annotation (manifests/charts/gateway/values.yaml podAnnotations
    `inject.istio.io/templates: "gateway"`, filled in by the webhook)."""
    meta, spec = _pod(workload)
    template = text(as_dict(meta.get("annotations")).get("inject.istio.io/templates"))
    containers = map(as_dict, as_list(spec.get("containers")))
    return "gateway" in template.split(",") or any("router" in map(text, as_list(c.get("args"))) for c in containers)


def selects(selector: dict[str, Any], workload: KubeResource) -> bool:
    """The Gateway applies to the workload's proxies (1.30.3 pilot/pkg/model/push_context.go mergeGateways,
    run for gateway proxies): its pods carry every label of the selector (gatewaySelector.SubsetOf(proxy.Labels);
    the proxy's labels are its pod's). No selector, or an empty one (pkg/config/labels/instance.go SubsetOf:
    an empty selector is a subset of any labels), applies to every gateway proxy ("no selector. Applies to all
    workloads asking for the gateway")."""
    if not selector:
        return is_gateway_proxy(workload)
    labels = as_dict(_pod(workload)[0].get("labels"))
    return all(text(labels.get(k)) == text(v) for k, v in selector.items())


def selector_text(selector: dict[str, Any]) -> str:
    """The selector as a label selector (`k=v,k2=v2`): what `kubectl get pods -l` and a LIST take."""
    return ",".join(f"{k}={text(v)}" for k, v in selector.items())


def gateway_selectors(resources: Iterable[KubeResource]) -> list[dict[str, Any]]:
    """The selectors of the Istio Gateways read: a cluster source lists the Deployments they pick,
    as files hold them, so both give the reader the same workload (`_workload`). A Gateway without
    one gives `{}`: every gateway proxy (`selects`)."""
    gateways = (r for r in resources if r.kind == "Gateway" and r.group == ISTIO_GROUP)
    return [as_dict(as_dict(g.body.get("spec")).get("selector")) for g in gateways]


def workload_secrets(snapshot: ClusterSnapshot) -> set[tuple[str, str, str]]:
    """The Secrets each server's credentialName names in its gateway proxy's namespace, once the
    Deployments are known (kinds.py names only istio-system's and the Gateway's own): a cluster
    source fetches them, as files hold them."""
    refs: set[tuple[str, str, str]] = set()
    for server in servers(snapshot):
        for raw in _credentials(server):
            for proxy in {server.workload_namespace, *(w.namespace for w in server.proxies)}:
                namespace, name = _secret_namespace(raw, replace(server, workload_namespace=proxy))
                refs |= {("Secret", namespace, name), ("Secret", namespace, name + CA_SUFFIX)}
    return refs


def _credentials(server: Server) -> list[str]:
    """The Secret names the server's tls names (credentialName, caCertCredentialName, credentialNames)."""
    names = ("credentialName", "caCertCredentialName")
    raw = [*(text(server.tls.get(n)) for n in names), *map(text, as_list(server.tls.get("credentialNames")))]
    return [r.removeprefix(KUBERNETES_URI) for r in raw if r]


def _workloads(snapshot: ClusterSnapshot, selector: dict[str, Any]) -> tuple[KubeResource, ...]:
    """The workloads whose pods the Gateway applies to (`selects`; WORKLOAD_KINDS, a controller before its
    pods): the gateway proxies, each reading credentialName in its own namespace (sds.go SecretGen.generate
    passes proxy.VerifiedIdentity.Namespace, the pod's, to resource.go ParseResourceName). A selector picks
    pods in any namespace (PILOT_SCOPE_GATEWAY_TO_NAMESPACE is off by default)."""
    return tuple(w for group, kind in WORKLOAD_KINDS for w in snapshot.of_kind(kind, group) if selects(selector, w))


def _workload(snapshot: ClusterSnapshot, spec: dict[str, Any], tls: dict[str, Any]) -> KubeResource | None:
    """The proxy whose namespace the verdict is read in. With a selector: the one namespace of the workloads
    it picks; several namespaces, or none, leave it assumed. Without one the Gateway is served by every
    gateway proxy, each with the Secrets of its own namespace: the first proxy whose namespace lacks the
    server's credential (its clients are the ones refused), else the first."""
    selector = as_dict(spec.get("selector"))
    matching = _workloads(snapshot, selector)
    if selector:
        return matching[0] if len({w.namespace for w in matching}) == 1 else None
    credential = text(tls.get("credentialName")) or next(iter(map(text, as_list(tls.get("credentialNames")))), "")
    credential = credential.removeprefix(KUBERNETES_URI)
    lacking = [w for w in matching if "/" not in credential and not snapshot.secret(f"{w.namespace}/{credential}")]
    return next(iter(lacking or matching), None)


def servers(snapshot: ClusterSnapshot) -> list[Server]:
    out = []
    for gateway in snapshot.of_kind("Gateway", ISTIO_GROUP):
        spec = as_dict(gateway.body.get("spec"))
        selector = as_dict(spec.get("selector"))
        proxies = () if selector else _workloads(snapshot, selector)
        for index, raw in enumerate(map(as_dict, as_list(spec.get("servers")))):
            workload = _workload(snapshot, spec, as_dict(raw.get("tls")))
            where = (workload.namespace, f"{workload.kind} {workload.ref}") if workload else (WORKLOAD_NAMESPACE, "")
            tls = as_dict(raw.get("tls"))
            mode = text(tls.get("mode"))
            if not tls or mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH") or tls.get("httpsRedirect") and not mode:
                continue
            port = as_dict(raw.get("port")).get("number")
            hosts = tuple(dict.fromkeys(_host(text(h)) for h in as_list(raw.get("hosts")) if text(h))) or ("*",)
            out.append(Server(gateway, index, port if isinstance(port, int) else 0, hosts, tls, *where, proxies))
    return out


def _assumption(server: Server) -> str:
    selector = ", ".join(
        f"{k}={v}" for k, v in as_dict(as_dict(server.gateway.body.get("spec")).get("selector")).items()
    )
    if not selector:
        proxies = ", ".join(f"{w.kind} {w.ref}" for w in server.proxies) or "none read"
        where = (
            f"{server.workload}'s namespace {server.workload_namespace} is read here"
            if server.workload
            else f"{WORKLOAD_NAMESPACE} is assumed"
        )
        return (
            f"no selector: the Gateway applies to every gateway proxy ({proxies}; push_context.go mergeGateways), "
            f"each reading credentialName in its own namespace; {where}"
        )
    if server.workload:
        return (
            f"the gateway workload (selector {selector}) is {server.workload}: credentialName is looked "
            f"up in {server.workload_namespace} (resource.go ParseResourceName)"
        )
    return (
        f"assumed: the gateway workload (selector {selector or 'none'}) runs in {WORKLOAD_NAMESPACE}; "
        "credentialName is looked up there (resource.go ParseResourceName)"
    )


@dataclass(frozen=True)
class CaLookup:
    pem: bytes | None
    ref: str  # `Secret ns/name key k`
    problem: str | None  # "credential-missing", "no-ca"
    found_elsewhere: tuple[str, ...] = ()  # Secrets of that name in other namespaces
    crl: bytes | None = None  # the CRL beside the CA key (CRL_KEYS)


def _secret_namespace(name: str, server: Server) -> tuple[str, str]:
    namespace, _, short = name.rpartition("/")
    return (namespace or server.workload_namespace), short


# secrets.go ExtractCertInfo: the key pairs GetCertInfo accepts (cert/key, then tls.crt/tls.key)
KEY_PAIRS = (("cert", "key"), ("tls.crt", "tls.key"))


def _ca_key(data: dict[str, bytes]) -> str | None:
    """secrets.go ExtractRoot (istio/istio 1.30.3): the first of cacert, ca.crt whose value is not
    empty (hasValue); a key present but empty is passed over ("found key \"cacert\", but it was empty"
    when neither has a value)."""
    return next((key for key in CA_KEYS if data.get(key)), None)


def _crl(secret: SecretObj, key: str) -> bytes | None:
    """The CRL beside the CA key; an empty one is none: Envoy loads a CRL only when its data is not
    empty (sds.go toEnvoyCaSecret passes it inline; istio/istio 1.30.3 tests/integration/security/
    ingress_test.go TestSingleOptionalMTLSGateway writes `crl` empty and expects 200)."""
    return secret.get(CRL_KEYS[key]) or None


def lookup_ca(snapshot: ClusterSnapshot, server: Server, credential: str, ca_credential: str | None) -> CaLookup:
    """GetCaCert: `<name>-cacert` first (used alone when it exists), else the credential Secret.
    A caCertCredentialName is the SDS name itself (authentication.go
    ApplyCredentialSDSToServerCommonTLSContext); sds.go SecretGen.generate reads a name as a CA
    only when it ends in -cacert, any other as a key pair (problem "not-ca-only")."""
    namespace, name = _secret_namespace(ca_credential or credential, server)
    if ca_credential and not name.endswith(CA_SUFFIX):
        return CaLookup(None, f"Secret {namespace}/{name}", "not-ca-only")
    elsewhere = tuple(s.ref for s in snapshot.secrets if s.name == name and s.namespace != namespace)
    primary = (
        snapshot.secret(f"{namespace}/{name}{CA_SUFFIX}")
        if not ca_credential
        else snapshot.secret(f"{namespace}/{name}")
    )
    if primary is not None:
        key = _ca_key(dict(primary.data))
        if key is None:
            return CaLookup(None, f"Secret {primary.ref}", "no-ca", elsewhere)
        return _found(primary, key, elsewhere)
    secret = snapshot.secret(f"{namespace}/{name}")
    if secret is None:
        status = presence(snapshot, "Secret", namespace, name)
        problem = "credential-missing" if status == "missing" else status
        return CaLookup(None, f"Secret {namespace}/{name}", problem, elsewhere)
    key = _ca_key(dict(secret.data))
    if key is None:
        cacert = name + CA_SUFFIX
        status = "missing" if ca_credential else presence(snapshot, "Secret", namespace, cacert)
        if status in ("unseen", "forbidden"):  # the -cacert Secret, read first, may hold the CA
            return CaLookup(None, f"Secret {namespace}/{cacert}", status, elsewhere)
        return CaLookup(None, f"Secret {secret.ref}", "no-ca", elsewhere)
    return _found(secret, key, elsewhere)


def _found(secret: SecretObj, key: str, elsewhere: tuple[str, ...]) -> CaLookup:
    """The CA value read; one with no certificate Envoy parses is pushed all the same (sds.go
    SecretGen.generate: ValidateCertificate only logs "invalid certificates"), and Envoy refuses that
    validation context: problem "no-certificate" (pem_checks.py)."""
    pem = secret.get(key) or b""
    ref = f"Secret {secret.ref} key {key}"
    if parsable_certificates(pem) == 0:
        return CaLookup(None, ref, "no-certificate", elsewhere)
    return CaLookup(pem, ref, None, crl=_crl(secret, key))


KUBERNETES_URI = "kubernetes://"  # credentials.KubernetesSecretTypeURI: ToResourceName adds it to a bare name


def _other_namespace(server: Server, credential: str) -> Finding | None:
    """credentialName `ns/name` in another namespace than the gateway proxy's: ToResourceName makes it
    kubernetes://ns/name, ParseResourceName reads ns, and sds.go filterAuthorizedResources never sends a
    KubernetesSecretType resource outside the proxy's namespace ("Unverified cross namespace. Never
    allowed.", the -cacert CA included: it must be sameNamespace too). No certificate and no CA reach
    Envoy: the server's connections are closed (R7's measurement: a secret that never arrives)."""
    namespace, name = _secret_namespace(credential.removeprefix(KUBERNETES_URI), server)
    if namespace == server.workload_namespace:
        return None
    known = bool(server.workload)
    fix = (
        secret_update_command(f"{server.workload_namespace}/{name}", keys=("tls.crt", "tls.key", "ca.crt"))
        + " && "
        + server.patch([{"op": "replace", "path": f"/spec/servers/{server.index}/tls/credentialName", "value": name}])
    )
    return Finding(
        code="ca-sds-denied",
        severity=Severity.ERROR if known else Severity.WARNING,
        title=f"{server.label} servers[{server.index}]: credentialName {credential} is in namespace {namespace}, "
        + (
            f"not the gateway proxy's ({server.workload_namespace}): istiod never sends it"
            if known
            else f"which istiod sends only to a gateway proxy running there (assumed: {server.workload_namespace})"
        ),
        detail="pilot/pkg/xds/sds.go filterAuthorizedResources sends a Secret named by credentialName only to a "
        'proxy in the same namespace ("Unverified cross namespace. Never allowed."), and the CA beside it '
        f"({name}{CA_SUFFIX} or the Secret itself) the same way: the server gets no certificate and no CA, and "
        "its connections are closed (measured on Envoy for an SDS secret that never arrives). The fix creates "
        f"the Secret in {server.workload_namespace} from the local server.crt, server.key and ca.crt and names it "
        "without a namespace.",
        fix=fix,
        subject=server.label,
        evidence=(f"servers[{server.index}] port {server.port}: credentialName {credential}", _assumption(server)),
    )


def _missing_finding(server: Server, lookup: CaLookup, credential: str, snapshot: ClusterSnapshot) -> Finding:
    namespace, name = _secret_namespace(credential, server)
    found = (
        f" A Secret of that name is in {', '.join(lookup.found_elsewhere)}, which the gateway does not read."
        if lookup.found_elsewhere
        else ""
    )
    # the Secret's keys as secrets.go ExtractCertInfo/ExtractRoot read them, from the local files every
    # Secret fix reads (server.crt, server.key, ca.crt): one home, secret_commands.secret_update_command
    fix = secret_update_command(f"{namespace}/{name}", keys=("tls.crt", "tls.key", "ca.crt"))
    return Finding(
        code="ca-ref-not-found",
        severity=Severity.ERROR,
        title=f"{server.label}: credential Secret {namespace}/{name} {absent(snapshot)}",
        detail=f"credentialName {credential} without a namespace is read from the gateway proxy's namespace "
        f"({namespace}), not the Gateway's ({server.gateway.namespace}).{found} Without it the server has no "
        "certificate and no CA: istiod pushes no secret and handshakes on this server fail (fail closed; "
        f"not measured here). The fix creates it in {namespace} from the local server.crt, server.key and ca.crt.",
        fix=fix,
        subject=server.label,
        evidence=(f"servers[{server.index}] port {server.port}: credentialName {credential}", _assumption(server)),
    )


def _workload_unknown(server: Server, lookup: CaLookup, credential: str) -> Finding:
    """The credential is not in the namespace assumed for the gateway proxy, and no workload read says
    where the proxy runs: whether its handshakes fail is not known (sds.go reads credentialName in the
    proxy's namespace), so this is not called broken on a guess. The command lists the proxies' pods:
    their namespace is where the Secret must be."""
    namespace, name = _secret_namespace(credential, server)
    selector = selector_text(as_dict(as_dict(server.gateway.body.get("spec")).get("selector")))
    found = (
        f" A Secret of that name is in {', '.join(lookup.found_elsewhere)}: read if the proxy runs there."
        if lookup.found_elsewhere
        else ""
    )
    return Finding(
        code="gateway-workload-not-found",
        severity=Severity.WARNING,
        title=f"not checked: where the gateway proxy of {server.label} runs is not known, and credential Secret "
        f"{namespace}/{name} is not in the assumed {namespace}",
        detail="istiod reads credentialName in the namespace of the gateway proxy that serves the Gateway "
        "(pilot/pkg/xds/sds.go SecretGen.generate: proxy.VerifiedIdentity.Namespace, the pod's; push_context.go "
        + (
            f"mergeGateways picks the proxies whose pod labels include the selector {selector}). No "
            "Deployment, DaemonSet, StatefulSet or Pod read carries those labels in one namespace"
            if selector
            else "mergeGateways gives a Gateway without a selector to every gateway proxy). No Deployment, "
            "DaemonSet, StatefulSet or Pod read runs a gateway proxy (pilot-agent `proxy router`)"
        )
        + f", so that namespace is not known; {namespace} is assumed and lacks the Secret. If the proxy runs there, "
        f"the server gets no certificate and no CA and its handshakes fail (fail closed).{found} The command lists "
        "the proxies' pods; the Secret must be in their namespace.",
        fix=f"kubectl get pods -A -l {arg(selector)} -o custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name"
        if selector
        else "kubectl get pods -A -l istio=ingressgateway -o wide",
        subject=server.label,
        evidence=(f"servers[{server.index}] port {server.port}: credentialName {credential}", _assumption(server)),
    )


def _unseen_finding(server: Server, lookup: CaLookup) -> Finding:
    namespace, _, name = lookup.ref.removeprefix("Secret ").partition("/")
    ref = CaRef("Secret", "", namespace, name)
    found = (
        f" A Secret of that name is in {', '.join(lookup.found_elsewhere)}, which the gateway does not read."
        if lookup.found_elsewhere
        else ""
    )
    finding = unseen_finding(
        ref,
        "forbidden" if lookup.problem == "forbidden" else "unseen",
        subject=server.label,
        if_missing="istiod pushes no CA for this server and its handshakes fail (fail closed; not measured)." + found,
    )
    return replace(finding, evidence=(*finding.evidence, _assumption(server)))


def _near_misses(snapshot: ClusterSnapshot, namespace: str, name: str) -> tuple[str, ...]:
    """Secrets beside the credential whose name is close to `<name>-cacert` but not it (istio#47315:
    `-cacerts`): GetCaCert looks for that exact name only."""
    want = name + CA_SUFFIX
    return tuple(
        s.ref
        for s in snapshot.secrets
        if s.namespace == namespace and s.name != want and s.name.startswith(name + "-ca") and _ca_key(dict(s.data))
    )


def _no_ca_finding(server: Server, lookup: CaLookup, credential: str, snapshot: ClusterSnapshot) -> Finding:
    namespace, name = _secret_namespace(credential, server)
    near = _near_misses(snapshot, namespace, name)
    hint = (
        f" {', '.join(near)} holds a CA, but istiod reads only the exact name {name}{CA_SUFFIX} (issue #47315)."
        if near
        else ""
    )
    return Finding(
        code="ca-ref-no-ca-key",
        severity=Severity.ERROR,
        title=f"{server.label}: no client CA for credentialName {credential} (no {name}{CA_SUFFIX}, no cacert or ca.crt)",
        detail=f"For mode {text(server.tls.get('mode'))} istiod reads the CA from Secret {name}{CA_SUFFIX}, else from "
        f"{name} itself, under the key cacert or ca.crt with a value (secrets.go GetCaCert, ExtractRoot: an empty key "
        f"counts as none); {lookup.ref} has neither. "
        'istiod logs "failed to fetch ca certificate" and pushes no validation secret: connections to this server '
        "are closed, with a good client certificate too (fail closed: Istio's tests/integration/security/"
        "ingress_test.go TestMultiMtlsGateway_InvalidSecret 'no CA cert' sees a reset or EOF)." + hint,
        fix=f"kubectl create secret generic {arg(name + CA_SUFFIX)} -n {arg(namespace)} --from-file=cacert=ca.crt",
        subject=server.label,
        evidence=(f"servers[{server.index}] port {server.port}", lookup.ref, _assumption(server)),
    )


def _not_a_certificate_finding(server: Server, lookup: CaLookup) -> Finding:
    """The CA key holds no certificate: istiod pushes it (sds.go SecretGen.generate, ValidateCertificate
    only logs), Envoy refuses the validation context, and the listener's connections are closed
    (istio/istio 1.30.3 tests/integration/security/ingress_test.go TestMultiMtlsGateway_InvalidSecret
    "mtls ingress gateway invalid CA cert": a client with a good certificate sees a reset or EOF)."""
    namespace, _, rest = lookup.ref.removeprefix("Secret ").partition("/")
    name, _, key = rest.partition(" key ")
    return Finding(
        code="ca-ref-no-certificate",
        severity=Severity.ERROR,
        title=f"{server.label}: the client CA {lookup.ref} holds no certificate: every connection is closed",
        detail="istiod pushes the value as it is (pilot/pkg/xds/sds.go SecretGen.generate: ValidateCertificate only "
        'logs "invalid certificates"); Envoy cannot load a trusted CA from it and refuses the validation context, '
        "so the gateway closes connections to this server, with a good client certificate too (Istio's "
        "TestMultiMtlsGateway_InvalidSecret: connection reset or EOF). The fix writes the CA (PEM) from the file "
        "ca.crt under the same key, keeping the Secret's other keys.",
        fix=add_ca_command(f"{namespace}/{name}", to_key=key),
        subject=server.label,
        evidence=(
            f"servers[{server.index}] port {server.port}",
            f"{lookup.ref}: no PEM CERTIFICATE that parses",
            _assumption(server),
        ),
    )


def _not_ca_only_finding(server: Server, lookup: CaLookup, ca_credential: str, snapshot: ClusterSnapshot) -> Finding:
    """caCertCredentialName without the -cacert suffix: sds.go SecretGen.generate takes only
    `-cacert` names as CA-only (`isCAOnlySecret`); any other goes to GetCertInfo, which wants a key
    pair (secrets.go ExtractCertInfo). Without one: "failed to fetch key and certificate" and no
    secret is pushed; with one, a TLS certificate secret (toEnvoyTLSSecret) is pushed where Envoy
    wants a validation context. Either way no CA reaches the gateway; what Envoy then answers was not
    measured, so the finding says so and the host is never called working."""
    namespace, name = _secret_namespace(ca_credential, server)
    secret = snapshot.secret(f"{namespace}/{name}")
    pair = next((p for p in KEY_PAIRS if secret is not None and all(secret.get(k) for k in p)), None)
    then = (
        f"It holds {pair[0]}/{pair[1]}, so istiod pushes them as a TLS certificate (toEnvoyTLSSecret) where the "
        "gateway expects a validation context"
        if pair
        else 'It has no key pair (cert/key or tls.crt/tls.key), so istiod logs "failed to fetch key and certificate" '
        "and pushes no secret"
        if secret is not None
        else f"Secret {namespace}/{name} {absent(snapshot)} either"
    )
    target = f"{name}{CA_SUFFIX}"
    return Finding(
        code="ca-ref-not-ca-only",
        severity=Severity.ERROR,
        title=f"{server.label}: caCertCredentialName {ca_credential} does not end in {CA_SUFFIX}: istiod does not "
        "read it as a CA",
        detail=f"The name is used as the SDS resource for client validation (authentication.go "
        f"ApplyCredentialSDSToServerCommonTLSContext), and sds.go SecretGen.generate reads only names ending in "
        f"{CA_SUFFIX} as CA-only (GetCaCert); others go to GetCertInfo, which needs a key pair (secrets.go "
        f"ExtractCertInfo). {then}. No client CA reaches the gateway: expected fail closed (handshakes on this "
        "server fail), not measured here.",
        fix=f"kubectl create secret generic {arg(target)} -n {arg(namespace)} --from-file=cacert=ca.crt && "
        + server.patch(
            [
                {
                    "op": "replace",
                    "path": f"/spec/servers/{server.index}/tls/caCertCredentialName",
                    "value": ca_credential.removesuffix(name) + target,
                }
            ]
        ),
        subject=server.label,
        evidence=(
            f"servers[{server.index}] port {server.port}: caCertCredentialName {ca_credential}",
            lookup.ref,
            _assumption(server),
        ),
    )


def _fallback_finding(server: Server, mode: str, skip: bool) -> Finding:
    if skip:
        what = f"mode {mode} with insecureSkipVerify: true: the certificate is never verified (ACCEPT_UNTRUSTED)"
        fix = server.patch([{"op": "remove", "path": f"/spec/servers/{server.index}/tls/insecureSkipVerify"}])
    else:
        what = f"mode {mode}: a client without a certificate gets in"
        fix = server.patch([{"op": "replace", "path": f"/spec/servers/{server.index}/tls/mode", "value": "MUTUAL"}])
    if skip and mode == "OPTIONAL_MUTUAL":
        fix = server.patch(
            [
                {"op": "replace", "path": f"/spec/servers/{server.index}/tls/mode", "value": "MUTUAL"},
                {"op": "remove", "path": f"/spec/servers/{server.index}/tls/insecureSkipVerify"},
            ]
        )
    return Finding(
        code="mtls-fallback-mode",
        severity=Severity.WARNING,  # the objects\' own choice: as ingress-nginx\'s optional (README: exit 0)
        title=f"{server.label} port {server.port} does not enforce client certificates ({what.split(':')[0]})",
        detail=f"With {what} (listener.go BuildListenerTLSContext, authentication.go "
        "ApplyCredentialSDSToServerCommonTLSContext; measured on Envoy 1.40, docs/successors.md section 7).",
        fix=fix,
        subject=server.label,
        evidence=(f"servers[{server.index}].tls: mode {mode}, insecureSkipVerify {str(skip).lower()}",),
    )


def _matcher_names(server: Server) -> list[str]:
    return [m for m in ("subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash") if server.tls.get(m)]


# Envoy's CertificateValidationContextConfigImpl getSubjectAltNameMatchers: each string of the deprecated
# match_subject_alt_names becomes a matcher of each of these types (no otherName)
_UNTYPED_SAN_TYPES: tuple[SanType, ...] = ("DNS", "URI", "EMAIL", "IP_ADDRESS")


def _san_matchers(server: Server) -> SanMatchers | None:
    """servers[].tls.subjectAltNames as Envoy matches them: authentication.go
    ApplyCredentialSDSToServerCommonTLSContext renders them as match_subject_alt_names with an exact
    StringMatcher each (util.StringToExactMatch), which Envoy tries against DNS, URI, email and IP SANs
    (measured on Envoy 1.40: tests/test_successors_san_match.py). None: none set."""
    names = [text(n) for n in as_list(server.tls.get("subjectAltNames")) if text(n)]
    found = tuple(SanMatcher(t, "Exact", name) for name in names for t in _UNTYPED_SAN_TYPES)
    return SanMatchers(found, "subjectAltNames") if found else None


def _matchers(server: Server) -> Finding | None:
    names = _matcher_names(server)
    if not names:
        return None
    return Finding(
        code="client-cert-matchers",
        severity=Severity.INFO,
        title=f"{server.label}: a trusted client must also match {', '.join(names)}",
        detail="Envoy refuses a trusted certificate that does not match (alert 46 for subjectAltNames, 114 for "
        "hashes; measured). The table covers only the CA and the mode; --cert is checked against the matchers too.",
        fix=_show_tls(server),
        subject=server.label,
    )


def validation_for(server: Server, snapshot: ClusterSnapshot) -> list[ClientValidation]:
    mode_name = text(server.tls.get("mode")) or "SIMPLE"
    skip = server.tls.get("insecureSkipVerify") is True
    mode = _MODES.get((mode_name, skip), "require-and-verify")  # ISTIO_MUTUAL: the mesh's own CA
    credentials = [text(c) for c in as_list(server.tls.get("credentialNames")) if text(c)]
    credential = text(server.tls.get("credentialName")) or (credentials[0] if credentials else "")
    ca_credential = text(server.tls.get("caCertCredentialName")) or None
    findings: list[Finding] = []
    breakage: Breakage | None = None
    ca_pem: bytes | None = None
    crl_pem: bytes | None = None
    ca_refs: tuple[str, ...] = ()
    decided: tuple[str, ...] = (f"{server.label} servers[{server.index}]",)
    unseen: tuple[str, ...] = ()
    release = release_for(snapshot, "istio")
    only_names = bool(credentials) and not text(server.tls.get("credentialName"))
    if only_names and not istio_reads_credential_names(release):
        refused = _names_refused(server, release, applied=snapshot.complete)
        if not snapshot.complete:  # the webhook refuses the Gateway: none of it is served
            return [
                _validation(server, snapshot, host, "none", (), None, decided, (refused,), "not-served", ())
                for host in server.hosts
            ]
        findings.append(refused)
        unseen = (f"what {release.named} serves for credentialNames, which it does not read",)
        credential = ""  # pilot/ before 1.27 reads no credentialNames: no CA is looked up from them
    elif only_names and not release.seen:
        findings.append(unchecked(release, server.label, _NAMES_BEFORE))
    elsewhere = _other_namespace(server, ca_credential or credential)
    if mode != "none" and credential and mode_name != "ISTIO_MUTUAL" and elsewhere is not None:
        findings.append(elsewhere)
        ca_refs = (f"Secret {(ca_credential or credential).removeprefix(KUBERNETES_URI)}",)
        if server.workload:
            breakage = "connection-closed"
        else:
            unseen = (f"where the gateway proxy of {server.label} runs",)
    elif mode != "none" and credential and mode_name != "ISTIO_MUTUAL":
        lookup = lookup_ca(snapshot, server, credential, ca_credential)
        ca_refs = (lookup.ref,)
        if lookup.problem == "credential-missing" and not server.workload:
            findings.append(_workload_unknown(server, lookup, ca_credential or credential))
            unseen = (f"where the gateway proxy of {server.label} runs",)
        elif lookup.problem == "credential-missing":
            findings.append(_missing_finding(server, lookup, ca_credential or credential, snapshot))
            breakage = "connection-closed"
        elif lookup.problem == "no-ca":
            findings.append(_no_ca_finding(server, lookup, ca_credential or credential, snapshot))
            breakage = "connection-closed"
        elif lookup.problem == "no-certificate":
            findings.append(_not_a_certificate_finding(server, lookup))
            breakage = "connection-closed"
        elif lookup.problem == "not-ca-only" and ca_credential:
            findings.append(_not_ca_only_finding(server, lookup, ca_credential, snapshot))
            breakage = "connection-closed"
        elif lookup.problem in ("unseen", "forbidden"):
            findings.append(_unseen_finding(server, lookup))
            unseen = (lookup.ref,)
        else:
            ca_pem, crl_pem = lookup.pem, lookup.crl
            decided += (lookup.ref,)
    if mode_name == "ISTIO_MUTUAL":
        findings.append(_mesh_mutual_finding(server, credential))
        ca_refs = (MESH_CA,)
    # authentication.go ApplyCredentialSDSToServerCommonTLSContext renders subjectAltNames,
    # verifyCertificateSpki and verifyCertificateHash beside the credential's CA for MUTUAL and OPTIONAL_MUTUAL
    rendered = _matcher_names(server) if credential and mode_name in ("MUTUAL", "OPTIONAL_MUTUAL") else []
    if mode == "verify-if-given" and rendered:
        # Envoy's default_validator.cc initializeSslContexts: matchers make the verify mode
        # SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT whatever require_client_certificate says (Envoy
        # Gateway's VerifyIfGiven with matchers, envoy_gateway.py: measured on Envoy 1.40; again for
        # OPTIONAL_MUTUAL's rendering by tests/test_field_reports_successors_4.py)
        mode = "require-and-verify"
        findings.append(_matchers_require(server, rendered))
    elif mode in ("verify-if-given", "request", "require-any"):
        findings.append(_fallback_finding(server, mode_name, skip))
    if (extra := _matchers(server)) is not None:
        findings.append(extra)
    return [
        replace(
            _validation(server, snapshot, host, mode, ca_refs, ca_pem, decided, tuple(findings), breakage, unseen),
            crl=crl_pem is not None,
            crl_pem=crl_pem,
            pins=pins_from(server.tls, "verifyCertificateHash", "verifyCertificateSpki") if rendered else None,
            sans=_san_matchers(server) if rendered else None,
        )
        for host in server.hosts
    ]


def _matchers_require(server: Server, names: list[str]) -> Finding:
    return Finding(
        code="client-cert-required-by-matchers",
        severity=Severity.WARNING,
        title=f"{server.label} port {server.port}: OPTIONAL_MUTUAL with {', '.join(names)} refuses a client "
        "without a certificate",
        detail="listener.go BuildListenerTLSContext sets require_client_certificate false for OPTIONAL_MUTUAL, and "
        "authentication.go ApplyCredentialSDSToServerCommonTLSContext puts the matchers in the validation context. "
        "Envoy then asks the certificate with SSL_VERIFY_FAIL_IF_NO_PEER_CERT (default_validator.cc "
        "initializeSslContexts: matchers set the verify mode): a client without one is refused, alert 116 in "
        "TLS 1.3 (measured on Envoy 1.40), as with MUTUAL. Clients that should get in without a certificate need "
        "a server without the matchers. The command shows the server's TLS settings.",
        fix=_show_tls(server),
        subject=server.label,
        evidence=(f"servers[{server.index}].tls: mode OPTIONAL_MUTUAL, {', '.join(names)}",),
    )


def _show_tls(server: Server) -> str:
    return (
        f"kubectl get gateways.networking.istio.io {arg(server.gateway.name)} -n {arg(server.gateway.namespace)} "
        f"-o jsonpath='{{.spec.servers[{server.index}].tls}}'"
    )


MESH_CA = "the mesh's root CA (istiod's, ConfigMap istio-ca-root-cert)"


def _mesh_mutual_finding(server: Server, credential: str) -> Finding:
    """ISTIO_MUTUAL at a gateway: listener.go BuildListenerTLSContext takes its first case for it and
    calls ApplyToCommonTLSContext with the proxy's own workload certificate (SDS `default`) and the
    mesh's root (`ROOTCA`); credentialName is never read. So the server presents its SPIFFE workload
    certificate and requires a client certificate issued by istiod's CA: a client of any other CA is
    refused in the handshake (unknown CA, alert 48: the wrong-CA row measured on Envoy, docs/successors.md
    section 7). The fix serves the server as MUTUAL, with credentialName's certificate and CA."""
    path = f"/spec/servers/{server.index}/tls"
    ops: list[dict[str, Any]] = [{"op": "replace", "path": f"{path}/mode", "value": "MUTUAL"}]
    if not credential:
        credential = f"{server.gateway.name}-credential"
        ops.append({"op": "add", "path": f"{path}/credentialName", "value": credential})
        then = (
            f" The fix names credentialName {credential}: create that Secret (tls.crt, tls.key, ca.crt) in the "
            "gateway workload's namespace."
        )
    else:
        then = f" The fix makes it MUTUAL: the certificate and the client CA then come from {credential}."
    return Finding(
        code="mesh-mutual-at-gateway",
        severity=Severity.ERROR,
        title=f"{server.label} servers[{server.index}]: ISTIO_MUTUAL admits only certificates of the mesh "
        "(istiod's CA); clients of your CA are refused"
        + (f" and credentialName {credential} is not used" if text(server.tls.get("credentialName")) else ""),
        detail="pilot/pkg/networking/core/listener.go BuildListenerTLSContext serves ISTIO_MUTUAL with the gateway "
        "proxy's own workload certificate and the mesh's root CA (authentication.go ApplyToCommonTLSContext): "
        "credentialName is not read, the server presents its SPIFFE workload certificate (which a browser or curl "
        "does not trust for the host), and a client needs a certificate issued by istiod. A client of another CA "
        "gets alert 48 (unknown CA) in the handshake. ISTIO_MUTUAL is for traffic from inside the mesh; clients "
        "outside it need MUTUAL." + then,
        fix=server.patch(ops),
        subject=server.label,
        evidence=(f"servers[{server.index}].tls.mode: ISTIO_MUTUAL",)
        + ((f"credentialName: {credential} (not read)",) if text(server.tls.get("credentialName")) else ()),
    )


# releases.py ISTIO_CREDENTIAL_NAMES
_NAMES_BEFORE = (
    "Before 1.27 istiod's validation webhook refuses a server whose only credential is credentialNames "
    '(pkg/config/validation/validation.go validateTLSOptions at 1.26.x: "MUTUAL TLS requires a server certificate"; '
    "issue #56598), so the Gateway is never stored; and pilot/ reads no credentialNames before 1.27 (commit "
    "af4d964e019). The 1.25 CRD has no such field."
)


def _names_refused(server: Server, release: ControllerRelease, applied: bool) -> Finding:
    """credentialNames alone on an istiod that does not take them: refused at apply, or (found in a
    cluster: the webhook was bypassed) not read."""
    names = [text(c) for c in as_list(server.tls.get("credentialNames")) if text(c)]
    path = f"/spec/servers/{server.index}/tls"
    fix = server.patch(
        [
            {"op": "add", "path": f"{path}/credentialName", "value": names[0]},
            {"op": "remove", "path": f"{path}/credentialNames"},
        ]
    )
    if applied:
        return Finding(
            code="credential-names-refused",
            severity=Severity.WARNING,
            title=f"{server.label} servers[{server.index}]: {release.named} does not read credentialNames; what the "
            "gateway serves for it was not checked",
            detail=_NAMES_BEFORE + " This Gateway exists, so validation was bypassed or istiod was downgraded after "
            "it was stored. Name one credentialName instead.",
            fix=fix,
            subject=server.label,
            evidence=(f"credentialNames: {', '.join(names)}", f"controller {release.named}"),
        )
    return Finding(
        code="credential-names-refused",
        severity=Severity.ERROR,
        title=f"{server.label} servers[{server.index}]: {release.named} refuses this Gateway at apply "
        "(credentialNames without credentialName)",
        detail=_NAMES_BEFORE + " Nothing of this Gateway is served. In the file, name one credentialName and drop "
        "credentialNames (the command does the same to a stored Gateway); a second certificate needs 1.27.",
        fix=fix,
        subject=server.label,
        evidence=(f"credentialNames: {', '.join(names)}", f"controller {release.named}"),
    )


def _validation(
    server: Server,
    snapshot: ClusterSnapshot,
    host: str,
    mode: ClientCertMode,
    ca_refs: tuple[str, ...],
    ca_pem: bytes | None,
    decided: tuple[str, ...],
    findings: tuple[Finding, ...],
    breakage: Breakage | None,
    unseen: tuple[str, ...],
) -> ClientValidation:
    depth = verify_depth_ignored(
        snapshot,
        host=host,
        implementation="istio",
        data_plane="envoy",
        mode=mode,
        verify_depth=None,
        subject=server.label,
    )
    return ClientValidation(
        implementation="istio",
        data_plane="envoy",
        host=host,
        port=server.port,
        scope="listener",
        shared_with=tuple(h for h in server.hosts if h != host),
        mode=mode,
        ca_refs=ca_refs,
        ca_pem=ca_pem,
        decided_by=(*decided, _assumption(server)),
        findings=(*findings, *((depth,) if depth else ())),
        breakage=breakage,
        conditions=conditions(server.gateway.body, server.label),
        unseen=unseen,
    )


def read(snapshot: ClusterSnapshot) -> list[ClientValidation]:
    found: list[ClientValidation] = []
    for server in servers(snapshot):
        found += validation_for(server, snapshot)
    return found
