"""Traefik's client validation: `TLSOption.spec.clientAuth`, chosen per router by an
IngressRoute's `spec.tls.options` or an Ingress's `router.tls.options` annotation.

Rules from traefik/traefik fd5a576d (docs/successors.md section 3, T1-T9):
- `buildTLSOptions` (pkg/provider/kubernetes/crd/kubernetes.go) reads `secretNames` in the
  TLSOption's namespace, key `tls.ca` before `ca.crt` (`getCABlocks`); a Secret that is missing
  or has neither key is only logged and skipped. The option's id is `namespace-name` (`makeID`),
  `default` when it is named so (it then replaces the default options for every router). Named
  `default` in several namespaces, it is deleted, and `aggregator.go mergeConfiguration` puts in the
  built-in default options, which ask no client certificate (fail open).
- `buildTLSConfig` (pkg/tls/tlsmanager.go): CAs and no type -> RequireAndVerifyClientCert; no CA
  and no type -> Go's zero value NoClientCert (fail open); VerifyClientCertIfGiven or
  RequireAndVerifyClientCert without CAs, an unknown type, CA bytes Go cannot load, or a cipher
  suite or curve name Go does not know (an OpenSSL cipher name is one) -> an error,
  and the router gets the closing route (`tcp/manager.go buildEntryPointHandler`, brokenTLSRouter):
  fail closed, the connection is closed in the handshake. So is a name `Manager.Get` does not know.
- A router whose rule names no Host (PathPrefix alone) gets the `Host(*)` TLS entry with the
  default options: the TLS option it names is not applied (`tcp/manager.go buildEntryPointHandler`,
  "No domain found in rule"). It is reported as host `*`.
- Routers for one host on one entryPoint with different options all get the default options
  (`aggregator.go resolveHTTPTLSOptions`): fail open when the default asks no certificate.
- The scope is the SNI host: when the SNI's options differ from the Host's router's, Traefik answers
  421 (`snicheck.go`), so HTTP/2 connection reuse cannot carry a client past another host's check.
- Data plane Go crypto/tls: no depth limit; a certificate without the clientAuth EKU gets alert 42.

The API group `traefik.containo.us` is read like `traefik.io`: Traefik v2.10 serves both, v3 only
`traefik.io` (docs/content/migrate/v2-to-v3-details.md), which a warning says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from cryptography.hazmat.primitives.serialization import Encoding

from mtls_tui.certs.go_x509 import append_certs_from_pem
from mtls_tui.model import ClusterSnapshot, Finding, IngressObj, KubeResource, Severity
from mtls_tui.policy.ingress_classes import TRAEFIK_INGRESS_CONTROLLER
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_words
from mtls_tui.policy.secret_commands import add_ca_command, secret_update_command
from mtls_tui.policy.successors.common import Breakage, ClientCertMode, ClientValidation
from mtls_tui.policy.successors.releases import (
    ControllerRelease,
    release_for,
    set_arg_command,
    traefik_broken_options_close,
    traefik_ca_keys,
    traefik_cross_namespace,
    traefik_cross_provider_namespaces,
    traefik_reads_io_group,
    traefik_refuses_crd_qualified,
    unchecked,
)
from mtls_tui.policy.successors.traefik_server_secret import with_server_secret
from mtls_tui.policy.values import as_dict, as_list
from mtls_tui.shell import arg, json_arg

GROUPS = ("traefik.io", "traefik.containo.us")
OLD_GROUP = "traefik.containo.us"
INGRESS_CONTROLLER = TRAEFIK_INGRESS_CONTROLLER
OPTIONS_ANNOTATION = "traefik.ingress.kubernetes.io/router.tls.options"
TLS_ANNOTATION = "traefik.ingress.kubernetes.io/router.tls"
ENTRY_POINTS_ANNOTATION = "traefik.ingress.kubernetes.io/router.entrypoints"
MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares"
CRD_PROVIDER = "kubernetescrd"
INGRESS_PROVIDER = "kubernetes"  # the Ingress provider's name: an unqualified annotation value gets it
INGRESS_PROVIDER_FLAG = "kubernetesingress"  # its static configuration's name: --providers.kubernetesingress.*
INGRESS_CROSS_PROVIDER_FLAG = "--providers.kubernetesingress.crossProviderNamespaces"
DEFAULT = "default"  # tls.DefaultTLSConfigName
CA_KEYS = ("tls.ca", "ca.crt")  # getCABlocks, in this order
HTTPS_PORT = 443
ANY_HOST = "*"  # a router whose rule names no Host: buildEntryPointHandler's `Host(*)` TLS entry

ClientAuthType = Literal[
    "NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"
]
MODES: dict[str, ClientCertMode] = {
    "NoClientCert": "none",
    "RequestClientCert": "request",
    "RequireAnyClientCert": "require-any",
    "VerifyClientCertIfGiven": "verify-if-given",
    "RequireAndVerifyClientCert": "require-and-verify",
}
NEEDS_CA = ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert")
# The names buildTLSConfig accepts (traefik fd5a576d pkg/tls/cipher.go CipherSuites: Go's
# constant names, and pkg/tls/certificate.go CurveIDs: Go's and RFC 8446's curve names).
GO_CIPHER_SUITES = frozenset(
    {
        "TLS_RSA_WITH_RC4_128_SHA",
        "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "TLS_RSA_WITH_AES_256_CBC_SHA",
        "TLS_RSA_WITH_AES_128_CBC_SHA256",
        "TLS_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_AES_128_GCM_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_FALLBACK_SCSV",
    }
)
CURVE_IDS = frozenset(
    {
        "secp256r1",
        "CurveP256",
        "secp384r1",
        "CurveP384",
        "secp521r1",
        "CurveP521",
        "x25519",
        "X25519",
        "x25519mlkem768",
        "X25519MLKEM768",
        "secp256r1mlkem768",
        "SecP256r1MLKEM768",
        "secp384r1mlkem1024",
        "SecP384r1MLKEM1024",
    }
)
HOST_RULE = re.compile(r"Host\(([^)]*)\)")
QUOTED = re.compile(r"[`\"']([^`\"']*)[`\"']")


@dataclass(frozen=True)
class BuiltOption:
    """One TLSOption as `buildTLSOptions` + `buildTLSConfig` make it. `mode` None: the TLS config
    fails to build, and every router using it gets the closing route."""

    id: str  # as routers name it after the aggregator: `ns-name@kubernetescrd`, or `default`
    resource: KubeResource | None  # None: Traefik's built-in default options
    mode: ClientCertMode | None
    ca_pem: bytes | None
    ca_refs: tuple[str, ...]
    error: str | None = None
    findings: tuple[Finding, ...] = ()
    unseen: tuple[str, ...] = ()
    configured: bool = True  # clientAuth names a Secret or a type: the option is about client certificates

    @property
    def ref(self) -> str:
        return f"TLSOption {self.resource.ref}" if self.resource else "Traefik's default TLS options"


@dataclass(frozen=True)
class Route:
    """A router that terminates TLS for `host`, and the options it asks for (None: default)."""

    host: str
    entry_points: tuple[str, ...]  # empty: every entryPoint
    options: str | None
    source: str  # `IngressRoute ns/name` or `Ingress ns/name`
    namespace: str
    name: str
    kind: Literal["IngressRoute", "Ingress"]
    refused: str | None = None  # the router is not built: why (resolveReference's error)
    # the options of an entryPoint's `http.tls` that this router, having a `tls` of its own, does not get
    model_ignored: str | None = None
    secrets: tuple[str, ...] = ()  # `ns/name` of the Secrets its TLS names (traefik_server_secret.py)


def read_traefik(snapshot: ClusterSnapshot) -> list[ClientValidation]:
    """Traefik's client validation per host: the routers' TLS options, conflicts resolved."""
    routes = _ingress_route_routes(snapshot) + _ingress_routes(snapshot)
    if not routes:
        return []
    options = built_options(snapshot)
    validations = []
    hostless = _hostless([r for r in routes if r.host == ANY_HOST], options, snapshot)
    validations += [hostless] if hostless else []
    for host in dict.fromkeys(r.host for r in routes if r.host != ANY_HOST):
        mine = [r for r in routes if r.host == host]
        built = [r for r in mine if r.refused is None]
        if not built:
            validations.append(_not_served(host, mine, options, snapshot))
            continue
        asked = {r.options or DEFAULT for r in built}
        skipped = {r.model_ignored for r in built if r.model_ignored} & {n for n, o in options.items() if o.configured}
        if not skipped and all(name in options and not options[name].configured for name in asked):
            # plain TLS: no option used for the host is about client certificates; ingress-nginx's
            # auth-tls annotations on its Ingresses ask for them, and Traefik does not read them
            ignored = _nginx_annotated(snapshot, host)
            if ignored:
                validations.append(_annotations_ignored(host, ignored))
            continue
        found = _host_validation(host, built, options, snapshot)
        option = options.get(DEFAULT if _conflicting(built) else built[0].options or DEFAULT)
        strict = (
            option is not None
            and option.resource is not None
            and as_dict(option.resource.body.get("spec")).get("sniStrict") is True
        )
        own = tuple(dict.fromkeys(s for r in built for s in r.secrets))
        loaded = tuple(dict.fromkeys(s for r in routes if r.refused is None for s in r.secrets))
        validations.append(with_server_secret(found, own, loaded, strict, snapshot))
    return validations


def _nginx_annotated(snapshot: ClusterSnapshot, host: str) -> list[IngressObj]:
    return [
        i
        for i in snapshot.ingresses
        if host in ingress_hosts(i)
        and i.annotation(PREFIX + "auth-tls-secret") is not None
        and traefik_serves(i, snapshot)
    ]


def _annotations_ignored(host: str, ingresses: list[IngressObj]) -> ClientValidation:
    """Traefik's Ingress provider reads only `traefik.ingress.kubernetes.io/` annotations
    (pkg/provider/kubernetes/ingress/annotations.go `annotationsPrefix`, `convertAnnotations`): the
    auth-tls ones of ingress-nginx are ignored, and the host is plain TLS."""
    first = ingresses[0]
    finding = Finding(
        code="mtls-fail-open",
        severity=Severity.ERROR,
        title=f"Traefik ignores the auth-tls annotations of Ingress {first.ref}: {host} asks no client certificate",
        detail="Traefik's Ingress provider reads only traefik.ingress.kubernetes.io/ annotations (annotations.go "
        f"convertAnnotations); {PREFIX}auth-tls-* belong to ingress-nginx. Everyone gets in. Give the host a "
        "TLSOption with clientAuth (secretNames, RequireAndVerifyClientCert) and select it with "
        f"{OPTIONS_ANNOTATION}, or serve the Ingress with Traefik's kubernetesIngressNGINX provider (v3.7+), "
        f"which reads these annotations. The command shows the Ingress; then add a TLSOption with clientAuth and "
        f"{OPTIONS_ANNOTATION}.",
        fix=f"kubectl get ingress {ingress_words(first)} -o yaml",
        subject=f"Ingress {first.ref}",
        evidence=tuple(f"{k}: {v}" for i in ingresses for k, v in i.annotations if k.startswith(PREFIX + "auth-tls")),
    )
    return _traefik_validation(
        host,
        mode="none",
        ca_refs=(),
        ca_pem=None,
        decided_by=tuple(f"Ingress {i.ref}" for i in ingresses),
        findings=(finding,),
    )


# --- options ------------------------------------------------------------------------------------


def _resources(snapshot: ClusterSnapshot, kind: str) -> list[KubeResource]:
    """The kind's objects in the API groups the release reads (releases.py TRAEFIK_IO_GROUP)."""
    release = release_for(snapshot, "traefik")
    groups = GROUPS if traefik_reads_io_group(release) else (OLD_GROUP,)
    return [r for group in groups for r in snapshot.of_kind(kind, group)]


def built_options(snapshot: ClusterSnapshot) -> dict[str, BuiltOption]:
    """Every TLSOption by the id routers name it with, and `default` (the built-in one unless a
    TLSOption named default exists in exactly one namespace)."""
    built: dict[str, BuiltOption] = {}
    defaults = []
    for resource in _resources(snapshot, "TLSOption"):
        option = build_option(resource, snapshot)
        if resource.name == DEFAULT:
            defaults.append(option)
        else:
            built[option.id] = option
    if len(defaults) == 1:
        built[DEFAULT] = defaults[0]
    elif not defaults:
        built[DEFAULT] = BuiltOption(DEFAULT, None, "none", None, (), configured=False)
    else:
        built[DEFAULT] = _defaults_dropped(defaults)
    return built


def _defaults_dropped(defaults: list[BuiltOption]) -> BuiltOption:
    """`default` in several namespaces: buildTLSOptions deletes it ("Default TLS Options defined in
    multiple namespaces"), so the CRD provider defines no default, and aggregator.go
    mergeConfiguration puts in the built-in DefaultTLSOptions, which ask no client certificate
    (aggregator_test.go Test_mergeConfiguration_tlsOptions "Create a default TLS Options
    configuration if none was provided"). Only when another provider (a file) also defines
    `default`, which no object shows, would none remain. Fail open when one of them asked for
    client certificates; plain TLS as before otherwise."""
    configured = [o for o in defaults if o.configured]
    if not configured:
        return BuiltOption(DEFAULT, None, "none", None, (), configured=False)
    namespaces = sorted(o.resource.namespace for o in defaults if o.resource is not None)
    first = configured[0].resource
    assert first is not None
    finding = _f(
        code="mtls-fail-open",
        severity=Severity.ERROR,
        title=f"TLSOption default is defined in {len(namespaces)} namespaces ({', '.join(namespaces)}): Traefik drops "
        "them all and its built-in default TLS options ask no client certificate",
        detail="crd/kubernetes.go buildTLSOptions deletes the default options when several namespaces define them "
        "(error 'Default TLS Options defined in multiple namespaces'); server/aggregator.go mergeConfiguration then "
        "sees no provider defining default and inserts tls.DefaultTLSOptions, which has no clientAuth: every router "
        "using the default options lets everyone in (fail open; field report traefik/traefik-helm-chart#1317). "
        "Keep one TLSOption named default, in one namespace: the command lists them; then delete the others.",
        fix="kubectl get tlsoption -A --field-selector metadata.name=default",
        subject=f"TLSOption {first.ref}",
        evidence=tuple(f"TLSOption {ns}/default" for ns in namespaces),
    )
    return BuiltOption(DEFAULT, None, "none", None, (), findings=(finding,))


def build_option(resource: KubeResource, snapshot: ClusterSnapshot) -> BuiltOption:
    """`buildTLSOptions` for one TLSOption, then `buildTLSConfig`'s client-auth, cipher suite and
    curve parts (every error there gives the hosts using it the closing route)."""
    option_id = DEFAULT if resource.name == DEFAULT else f"{resource.namespace}-{resource.name}@{CRD_PROVIDER}"
    spec = as_dict(resource.body.get("spec"))
    client_auth = as_dict(spec.get("clientAuth"))
    names = [str(n) for n in as_list(client_auth.get("secretNames"))]
    wanted = str(client_auth.get("clientAuthType") or "")
    release = release_for(snapshot, "traefik")
    # the move to traefik.io is for a release that reads it (v2.10 on): before, the moved option would vanish
    moved = resource.group == OLD_GROUP and traefik_reads_io_group(release)
    findings: list[Finding] = [_old_group(resource)] if moved else []
    unseen: list[str] = []
    cas: list[bytes] = []
    refs = []
    readable = traefik_ca_keys(release)
    unread: list[str] = []  # Secrets with a CA under a key this release does not read (releases.py TRAEFIK_CA_CRT)
    for name in names:
        ref = f"{resource.namespace}/{name}"
        refs.append(f"Secret {ref}")
        secret = snapshot.secret(ref)
        if secret is None:
            if _missing(snapshot, ref):
                findings.append(_ca_not_found(resource, ref, wanted))
            else:
                unseen.append(f"Secret {ref}")
                findings.append(_ca_unseen(resource, ref))
            continue
        key = next((k for k in readable if secret.get(k) is not None), None)
        if key is None and any(secret.get(k) is not None for k in CA_KEYS):
            unread.append(ref)
            findings.append(_ca_key_unread(resource, ref, release, wanted))
            continue
        if key is None:
            findings.append(_ca_no_key(resource, ref, secret.keys, wanted))
            continue
        cas.append(secret.get(key) or b"")
    refused = _tls_params_error(spec)  # refused whatever the unseen Secret holds
    if (
        unseen and not cas and (not wanted or wanted in MODES) and refused is None
    ):  # the verdict depends on what was not read: assume it is there and usable
        mode = MODES.get(wanted or "RequireAndVerifyClientCert")
        return BuiltOption(option_id, resource, mode, None, tuple(refs), None, tuple(findings), tuple(unseen))
    error = _config_error(cas, wanted) or refused
    if error is not None:
        closes = traefik_broken_options_close(release)
        broken = _broken(resource, error, wanted, refs, closes)
        if unread and "CAFiles is required" in error:  # the CA is there, under a key this release does not read
            broken = replace(broken, fix=_copy_to_tls_ca(unread[0]), then="")
        findings.append(broken)
        findings += _older(snapshot, f"TLSOption {resource.ref}", closes)
        return BuiltOption(option_id, resource, None, None, tuple(refs), error, tuple(findings), tuple(unseen))
    mode = MODES[wanted] if wanted else ("require-and-verify" if cas else "none")
    configured = bool(names or wanted)
    pem = go_pool_pem(cas)
    return BuiltOption(option_id, resource, mode, pem, tuple(refs), None, tuple(findings), tuple(unseen), configured)


def _missing(snapshot: ClusterSnapshot, ref: str) -> bool:
    """The Secret does not exist: the API said so, or a complete snapshot (a cluster) lacks it.
    Manifest files without it, or a Secret we may not read, leave it unseen instead."""
    problem = snapshot.secret_problem(ref)
    if problem is not None:
        return problem.status == "not-found"
    return snapshot.complete


def _config_error(cas: list[bytes], wanted: str) -> str | None:
    """`buildTLSConfig`'s errors, in its order."""
    for ca in cas:
        if not go_pool_accepts(ca):
            return "invalid certificate(s) content"
    if wanted and wanted not in MODES:
        return f'unknown client auth type "{wanted}"'
    if wanted in NEEDS_CA and not cas:
        return f"invalid clientAuthType: {wanted}, CAFiles is required"
    return None


def _tls_params_error(spec: dict[str, Any]) -> str | None:
    """`buildTLSConfig`'s errors after the client-auth ones: a cipher suite name not in
    pkg/tls/cipher.go `CipherSuites` ("invalid CipherSuite"; an OpenSSL name such as
    ECDHE-RSA-AES128-GCM-SHA256 is one), then a curve not in pkg/tls/certificate.go `CurveIDs`.
    An unknown minVersion or maxVersion is no error: `MinVersion[...]` misses and Go's default stays."""
    for cipher in as_list(spec.get("cipherSuites")):
        if str(cipher) not in GO_CIPHER_SUITES:
            return f"invalid CipherSuite: {cipher}"
    for curve in as_list(spec.get("curvePreferences")):
        if str(curve) not in CURVE_IDS:
            return f"invalid CurveID in curvePreferences: {curve}"
    return None


def go_pool_accepts(pem: bytes) -> bool:
    """pkg/tls/tlsmanager.go buildTLSConfig: `pool.AppendCertsFromPEM(data)` must add a certificate,
    else "invalid certificate(s) content" (certs/go_x509.py append_certs_from_pem: a BOM or an indent
    before BEGIN, a fold, literal \\n, base64 text, TRUSTED CERTIFICATE hide a block; a key or a CRL
    beside the CA is skipped)."""
    return bool(append_certs_from_pem(pem))


def go_pool_pem(cas: list[bytes]) -> bytes | None:
    """The CA crypto/tls then verifies clients with (`conf.ClientCAs`, Traefik's own data plane): the
    certificates AppendCertsFromPEM added from each CA value, the blocks it skipped gone."""
    certs = [cert for ca in cas for cert in append_certs_from_pem(ca)]
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certs) or None


# --- routes ---------------------------------------------------------------------------------------


def _ingress_route_routes(snapshot: ClusterSnapshot) -> list[Route]:
    """IngressRoute routers with `spec.tls`: one per host of each route's `Host(...)` rule.
    `tls.options` is resolved by `resolveReference`: the namespace defaults to the IngressRoute's;
    another namespace is refused while `allowCrossNamespace` is off (its default), and the router
    is then not built at all (kubernetes_http.go: `continue`) -- those routes are dropped here and
    reported by `_not_served`. The flag is read from the controller's args when its Deployment is seen
    (authelia/chartrepo#130 set it, and met 'unknown TLS options' instead)."""
    routes = []
    release = release_for(snapshot, "traefik")
    cross = traefik_cross_namespace(release.controller)
    models = entry_point_options(snapshot)
    for resource in _resources(snapshot, "IngressRoute"):
        spec = as_dict(resource.body.get("spec"))
        tls = spec.get("tls")
        entry_points = tuple(str(e) for e in as_list(spec.get("entryPoints")))
        model = _model(models, entry_points, CRD_PROVIDER)
        if not isinstance(tls, dict):
            if model is not None:  # a router without tls on an entryPoint with http.tls takes the model's
                routes += _model_routes(spec, entry_points, model, resource)
            continue
        options = as_dict(tls.get("options"))
        name = str(options.get("name") or "")
        namespace = str(options.get("namespace") or resource.namespace)
        if name and "@" in name:
            wanted: str | None = name
        elif name:
            wanted = f"{namespace}-{name}@{CRD_PROVIDER}"
        else:
            wanted = None
        refused = _reference_refused(name, namespace, resource.namespace, cross, release) if name else None
        secret = str(tls.get("secretName") or "")
        secrets = (f"{resource.namespace}/{secret}",) if secret else ()
        for route in as_list(spec.get("routes")):
            for host in _hosts(str(as_dict(route).get("match") or "")) or [ANY_HOST]:
                routes.append(
                    Route(
                        host,
                        entry_points,
                        wanted,
                        f"IngressRoute {resource.ref}",
                        resource.namespace,
                        resource.name,
                        "IngressRoute",
                        refused,
                        model_ignored=model if wanted is None else None,
                        secrets=secrets,
                    )
                )
    return routes


def _reference_refused(name: str, namespace: str, parent: str, cross: bool, release: ControllerRelease) -> str | None:
    """resolveReference's error for an IngressRoute's tls.options (v3.7.9 pkg/provider/kubernetes/crd/
    kubernetes.go), None when it resolves: a name with `@provider` is refused, while allowCrossNamespace is
    off, when the provider is kubernetescrd (TRAEFIK_CRD_QUALIFIED releases), and when crossProviderNamespaces
    is set without the IngressRoute's namespace (isCrossProviderNamespaceAllowed; TRAEFIK_CROSS_PROVIDER);
    a plain name in another namespace than the IngressRoute's is refused while allowCrossNamespace is off
    (isNamespaceAllowed). loadIngressRouteConfiguration (kubernetes_http.go) then skips the route."""
    if "@" in name:
        if not cross and name.endswith(f"@{CRD_PROVIDER}") and traefik_refuses_crd_qualified(release):
            return f"when allowCrossNamespace is disabled, @{CRD_PROVIDER} references are disallowed"
        allowed = traefik_cross_provider_namespaces(release)
        if allowed is not None and parent not in allowed:
            return f'namespace "{parent}" is not in crossProviderNamespaces'
        return None
    if namespace != parent and not cross:
        return "allowCrossNamespace is disabled, cross-namespace are disallowed"
    return None


def _model_routes(
    spec: dict[str, Any], entry_points: tuple[str, ...], model: str, resource: KubeResource
) -> list[Route]:
    return [
        Route(
            host, entry_points, model, f"IngressRoute {resource.ref}", resource.namespace, resource.name, "IngressRoute"
        )
        for route in as_list(spec.get("routes"))
        for host in _hosts(str(as_dict(route).get("match") or "")) or [ANY_HOST]
    ]


def entry_point_options(snapshot: ClusterSnapshot) -> dict[str, str]:
    """`--entryPoints.<name>.http.tls.options=<value>` of the Traefik seen (flags are case-insensitive),
    by entryPoint name lowercased. aggregator.go applyModel gives the entryPoint's `http.tls` to a router
    of that entryPoint only when the router has no TLS of its own (`if cp.TLS == nil { cp.TLS = m.TLS }`):
    an IngressRoute with `spec.tls`, or an Ingress with a router.tls annotation, keeps its own, and
    without `options` there that is the default options (traefik#7126). Set by a file or the
    environment, it is not read here."""
    controller = release_for(snapshot, "traefik").controller
    found: dict[str, str] = {}
    for raw in controller.args if controller is not None else ():
        flag, eq, value = raw.lstrip("-").partition("=")
        parts = flag.lower().split(".")
        if (
            raw.startswith("-")
            and eq
            and len(parts) == 5
            and parts[0] == "entrypoints"
            and parts[2:] == ["http", "tls", "options"]
        ):
            found[parts[1]] = value.strip()
    return {k: v for k, v in found.items() if v}


def _model(models: dict[str, str], entry_points: tuple[str, ...], provider: str) -> str | None:
    """The options a router of these entryPoints (none: every one) gets from their http.tls, qualified as
    tcp/manager.go does (provider.GetQualifiedName: an unqualified name is the router's provider's).
    Only when every entryPoint of the router names the same options; else None (not judged)."""
    named = [models.get(e.lower()) for e in entry_points] if entry_points else list(models.values())
    if not named or len(set(named)) != 1 or named[0] is None:
        return None
    value = named[0]
    return value if "@" in value or value == DEFAULT else f"{value}@{provider}"


def _hosts(match: str) -> list[str]:
    return [h.lower() for rule in HOST_RULE.findall(match) for h in QUOTED.findall(rule)]


def _ingress_routes(snapshot: ClusterSnapshot) -> list[Route]:
    """Ingresses Traefik's Ingress provider serves, with `router.tls.options`. An unqualified
    value is qualified with the Ingress provider's name (`@kubernetes`): a TLSOption CRD is
    reached only as `<namespace>-<name>@kubernetescrd`. An Ingress that crossProviderNamespaces
    refuses is kept as refused (`_ingress_refused`)."""
    routes = []
    models = entry_point_options(snapshot)
    allowed = traefik_cross_provider_namespaces(release_for(snapshot, "traefik"), INGRESS_PROVIDER_FLAG)
    for ingress in snapshot.ingresses:
        if not traefik_serves(ingress, snapshot):
            continue
        entry_points = tuple(
            e.strip() for e in (ingress.annotation(ENTRY_POINTS_ANNOTATION) or "").split(",") if e.strip()
        )
        model = _model(models, entry_points, INGRESS_PROVIDER)
        # annotations.go parseRouterConfig: any router.tls key gives the router a TLS of its own
        own_tls = any(k == TLS_ANNOTATION or k.startswith(TLS_ANNOTATION + ".") for k, _ in ingress.annotations)
        if not ingress.tls and (own_tls or model is None):
            continue
        value = ingress.annotation(OPTIONS_ANNOTATION)
        wanted = None
        if value and value.strip():
            value = value.strip()
            wanted = value if "@" in value or value == DEFAULT else f"{value}@{INGRESS_PROVIDER}"
        elif not own_tls and model is not None:
            wanted = model
        ignored = model if own_tls and wanted is None else None
        refused = _ingress_refused(ingress, allowed)
        for host in ingress_hosts(ingress) or [ANY_HOST]:
            routes.append(
                Route(
                    host,
                    entry_points,
                    wanted,
                    f"Ingress {ingress.ref}",
                    ingress.namespace,
                    ingress.name,
                    "Ingress",
                    refused,
                    model_ignored=ignored,
                    secrets=tuple(f"{ingress.namespace}/{e.secret_name}" for e in ingress.tls if e.secret_name),
                )
            )
    return routes


def _ingress_refused(ingress: IngressObj, allowed: tuple[str, ...] | None) -> str | None:
    """v3.7.9 pkg/provider/kubernetes/ingress/kubernetes.go loadConfigurationFromIngresses: with
    providers.kubernetesIngress.crossProviderNamespaces set (releases.py TRAEFIK_CROSS_PROVIDER) and the
    Ingress's namespace not in it, an Ingress whose annotations name middlewares or TLS options (any value:
    "Middlewares and TLS options always contain cross-provider references") is skipped whole, logged
    "Skipping Ingress: cross-provider ... reference is not allowed from namespace" (kubernetes_test.go
    TestLoadConfigurationFromIngressesWithCrossProviderNamespaces_TLSOptions: `[]` drops it too)."""
    if allowed is None or ingress.namespace in allowed:
        return None
    for key, what in ((MIDDLEWARES_ANNOTATION, "middleware"), (OPTIONS_ANNOTATION, "TLS option")):
        if (ingress.annotation(key) or "").strip():
            return f'cross-provider {what} reference is not allowed from namespace "{ingress.namespace}"'
    return None


def ingress_hosts(ingress: IngressObj) -> list[str]:
    """The names the Ingress serves over TLS: its rules' hosts and its `tls:` hosts."""
    named = [h for h in ingress.hosts if h != "*"] + [h for entry in ingress.tls for h in entry.hosts]
    return list(dict.fromkeys(h.lower() for h in named))


def traefik_serves(ingress: IngressObj, snapshot: ClusterSnapshot) -> bool:
    """Traefik's Ingress provider (`shouldProcessIngress`): the Ingress's IngressClass names the
    controller traefik.io/ingress-controller, or (no class name) the class annotation is
    `traefik`. In manifest files without the IngressClass, a `traefik.ingress.kubernetes.io/`
    annotation is taken as the sign."""
    klass = next((c for c in snapshot.ingress_classes if c.name == ingress.ingress_class), None)
    if klass is not None:
        return ingress.class_source == "spec.ingressClassName" and klass.controller == INGRESS_CONTROLLER
    if ingress.class_source == "annotation" and ingress.ingress_class == "traefik":
        return True
    marked = any(k.startswith("traefik.ingress.kubernetes.io/") for k, _ in ingress.annotations)
    return marked and not snapshot.complete


# --- one host -----------------------------------------------------------------------------------


def _host_validation(
    host: str, routes: list[Route], options: dict[str, BuiltOption], snapshot: ClusterSnapshot
) -> ClientValidation:
    asked = list(dict.fromkeys(r.options or DEFAULT for r in routes))
    findings: list[Finding] = []
    decided = tuple(dict.fromkeys(r.source for r in routes))
    conflicted = _conflicting(routes)
    if conflicted:
        option = options[DEFAULT]
        findings.append(_conflict(host, routes, option))
    else:
        name = asked[0]
        known = options.get(name)
        if known is None:
            return _unknown(host, routes, name, options, snapshot)
        option = known
    findings += option.findings
    findings += _models_ignored(host, routes, options)
    option = as_served(option, options, snapshot)
    breakage: Breakage | None = "connection-closed" if option.mode is None else None
    mode: ClientCertMode = option.mode or "none"
    # the option says why it is open (fail open, or built broken on a release that then serves the default)
    explained = any(f.code in ("mtls-fail-open", "tls-option-broken") for f in (*option.findings, *findings))
    if breakage is None and mode != "require-and-verify" and not conflicted and not explained:
        findings.append(_fallback(host, option, mode, routes))
    return _traefik_validation(
        host,
        mode=mode,
        ca_refs=option.ca_refs,
        ca_pem=option.ca_pem,
        decided_by=(*decided, option.ref),
        findings=tuple(findings),
        breakage=breakage,
        verify_depth=None,
        unseen=option.unseen,
    )


def _hostless(
    routes: list[Route], options: dict[str, BuiltOption], snapshot: ClusterSnapshot
) -> ClientValidation | None:
    """Routers whose rule names no Host (PathPrefix alone): the SNI is all Traefik has when it picks
    a TLS config, so tcp/manager.go buildEntryPointHandler gives them the `Host(*)` entry with the
    default options, and a TLS option they name is never applied ("No domain found in rule %v, the
    TLS option %s cannot be applied"). A client whose SNI matches another router's Host gets that
    router's options instead. Reported when a named option is about client certificates."""
    named = [r for r in routes if r.refused is None and (r.options or DEFAULT) != DEFAULT and r.options in options]
    wanted = [options[r.options] for r in named if r.options is not None and options[r.options].configured]
    if not wanted:
        return None
    route = next(r for r in named if r.options == wanted[0].id)
    default = as_served(options[DEFAULT], options, snapshot)
    mode: ClientCertMode = default.mode or "none"
    enforced = default.mode == "require-and-verify"
    finding = _f(
        code="tls-option-not-applied" if enforced or default.mode is None else "mtls-fail-open",
        severity=Severity.WARNING if enforced else Severity.ERROR,
        title=f"{route.source} names TLS options {route.options} but its rule names no Host: Traefik uses "
        f"{default.ref} instead" + ("" if enforced else ", and no client certificate is required"),
        detail="A TLS config is chosen from the SNI before any HTTP rule can match, so tcp/manager.go "
        "buildEntryPointHandler gives a router without Host(...) the Host(*) entry with the default TLS options "
        "(router error 'no domain found in rule ..., the TLS option ... cannot be applied'). Clients whose SNI "
        "matches another router's Host get that router's options instead. In the editor the command opens, add "
        "Host(...) to the rule: the name clients connect to.",
        fix=f"kubectl edit {route.kind.lower()} {arg(route.name)} -n {arg(route.namespace)}",
        subject=route.source,
        evidence=tuple(f"{r.source}: {r.options}" for r in named),
    )
    return _traefik_validation(
        ANY_HOST,
        mode=mode,
        ca_refs=default.ca_refs,
        ca_pem=default.ca_pem,
        decided_by=(*dict.fromkeys(r.source for r in named), default.ref),
        findings=(finding, *default.findings),
        breakage="connection-closed" if default.mode is None else None,
        unseen=default.unseen,
    )


def _not_served(
    host: str, routes: list[Route], options: dict[str, BuiltOption], snapshot: ClusterSnapshot
) -> ClientValidation:
    """Every router for the host was refused: no router, but still a handshake. The client's SNI matches no
    router's TLS entry, so the entryPoint's default config answers it (v3.7.9 pkg/server/router/tcp/manager.go
    buildEntryPointHandler: `SetHTTPSHandler(handlerHTTPS, defaultTLSConf)`, the `default` options as
    tlsmanager.go buildTLSConfig built them; router.go: brokenTLSRouter when they failed to build). Go's
    crypto/tls refuses in the handshake whom that ClientAuth refuses (measured: alert 116 on TLS 1.3 for no
    certificate under RequireAndVerifyClientCert); whoever gets through meets no router: 404. So the
    prediction per client follows the default options' mode (common.py predict, `not-served`)."""
    route = routes[0]
    release = release_for(snapshot, "traefik")
    default = as_served(options[DEFAULT], options, snapshot)
    if route.kind == "Ingress":
        what, why, then, fix = _ingress_not_permitted(route, release)
    else:
        what, why, then, fix = _ingress_route_not_permitted(route)
    finding = _f(
        code="tls-option-not-permitted",
        severity=Severity.ERROR,
        title=f"{route.source} names {what}: Traefik builds no router for {host}",
        detail=f"{why} No router serves the host. A client's SNI then matches no router's TLS entry, so the "
        f"handshake gets the default TLS options (tcp/manager.go buildEntryPointHandler), here {default.ref}: "
        f"{_handshake_words(default)} Nothing of the {route.kind} is reachable. {then}",
        fix=fix,
        subject=route.source,
        evidence=(
            _named_options(route, route.options) if route.options else f"{route.source}: {route.refused}",
            f"{'loadConfigurationFromIngresses' if route.kind == 'Ingress' else 'resolveReference'}: {route.refused}",
            f"handshake: {default.ref}",
        ),
    )
    return _traefik_validation(
        host,
        mode=default.mode or "none",
        ca_refs=default.ca_refs,
        ca_pem=default.ca_pem,
        decided_by=(*dict.fromkeys(r.source for r in routes), default.ref),
        findings=(finding, *default.findings),
        breakage="connection-closed" if default.mode is None else "not-served",
        unseen=default.unseen,
    )


def _handshake_words(default: BuiltOption) -> str:
    """Who the default options let through the handshake to the 404 (crypto/tls ClientAuth, buildTLSConfig)."""
    if default.mode is None:
        return "they fail to build, so the connection is closed in the handshake (router.go brokenTLSRouter)."
    return {
        "none": "they ask no client certificate, so every client gets HTTP 404, with a certificate or without.",
        "request": "they ask for a certificate and check none, so every client gets HTTP 404.",
        "require-any": "they require a certificate and verify none: a client without one is refused in "
        "the handshake (Go: alert 116 certificate required on TLS 1.3); any client with one gets HTTP 404.",
        "verify-if-given": "they verify a certificate when one is sent: one the CA does not sign is "
        "refused in the handshake; a client without one, or a trusted one, gets HTTP 404.",
        "require-and-verify": "they require a verified client certificate: a client without one is "
        "refused in the handshake (Go: alert 116 certificate required on TLS 1.3), one the CA does not sign too; "
        "only a trusted client gets through, and it gets HTTP 404.",
    }[default.mode]


def _ingress_route_not_permitted(route: Route) -> tuple[str, str, str, str]:
    """(what it names, why, what the command does, fix) for an IngressRoute whose tls.options resolveReference refuses."""
    refused = route.refused or ""
    if "crossProviderNamespaces" in refused:
        what, advice = (
            "TLS options of another provider",
            f"add {route.namespace} to --providers.kubernetescrd.crossProviderNamespaces, or name a TLSOption of "
            "the IngressRoute's namespace",
        )
    elif "@" in refused:
        what, advice = (
            f"TLS options qualified with @{CRD_PROVIDER}",
            "name the TLSOption by name and namespace (spec.tls.options.namespace), in the IngressRoute's namespace",
        )
    else:
        what, advice = (
            "TLS options in another namespace",
            "move the TLSOption into its namespace (spec.tls.options.namespace), or start Traefik with "
            "--providers.kubernetescrd.allowCrossNamespace=true",
        )
    why = (
        f"kubernetes.go resolveReference refuses it ({refused}) and loadIngressRouteConfiguration "
        "(kubernetes_http.go) skips the route ('Invalid reference to TLSOption'); "
        "providers.kubernetesCRD.allowCrossNamespace is off by default."
    )
    then = f"The command shows the IngressRoute; then {advice}."
    return what, why, then, f"kubectl get ingressroute {arg(route.name)} -n {arg(route.namespace)} -o yaml"


def _ingress_not_permitted(route: Route, release: ControllerRelease) -> tuple[str, str, str, str]:
    """(what it names, why, what the command does, fix) for an Ingress `_ingress_refused` refused: the fix adds its namespace to
    providers.kubernetesIngress.crossProviderNamespaces, in place (releases.py set_arg_command)."""
    allowed = traefik_cross_provider_namespaces(release, INGRESS_PROVIDER_FLAG) or ()
    what = "middlewares" if "middleware" in (route.refused or "") else "TLS options"
    why = (
        f"ingress/kubernetes.go loadConfigurationFromIngresses skips the whole Ingress (error 'Skipping Ingress: "
        f"{route.refused}'): providers.kubernetesIngress.crossProviderNamespaces is set "
        f"({', '.join(allowed) or 'empty'}) without {route.namespace}, and {MIDDLEWARES_ANNOTATION} and "
        f"{OPTIONS_ANNOTATION} always count as cross-provider references, even to a TLSOption of the Ingress's "
        "own namespace."
    )
    then = (
        f"The command adds {route.namespace} to the list (removing the annotation instead would drop the "
        "client-certificate check it selects)."
    )
    fix = set_arg_command(release, INGRESS_CROSS_PROVIDER_FLAG, ",".join((*allowed, route.namespace)))
    return f"{what} from a namespace crossProviderNamespaces does not list", why, then, fix


def _conflicting(routes: list[Route]) -> bool:
    """Two routers for the host sharing an entryPoint (none listed: every one) ask for
    different options (`resolveHTTPTLSOptions`)."""
    for i, one in enumerate(routes):
        for other in routes[i + 1 :]:
            shared = not one.entry_points or not other.entry_points or set(one.entry_points) & set(other.entry_points)
            if shared and (one.options or DEFAULT) != (other.options or DEFAULT):
                return True
    return False


def _refused_option(name: str, snapshot: ClusterSnapshot) -> Finding | None:
    """The refusal of the TLSOption `name` (`<namespace>-<name>@kubernetescrd`) when the files hold
    it and its CRD's schema refuses it: it never exists, so Traefik meets an unknown option."""
    for resource in snapshot.refused_resources:
        if resource.kind == "TLSOption" and f"{resource.namespace}-{resource.name}@{CRD_PROVIDER}" == name:
            label = f"{resource.kind} {resource.ref}"
            return next((f for f in snapshot.unreadable if f.subject == label), None)
    return None


def _unknown(
    host: str, routes: list[Route], name: str, options: dict[str, BuiltOption], snapshot: ClusterSnapshot
) -> ClientValidation:
    route = next(r for r in routes if (r.options or DEFAULT) == name)
    crd = [o for o in options.values() if o.resource is not None]
    refusal = _refused_option(name, snapshot)  # in the files but refused by its CRD: known absent
    as_default = _default_named_by_namespace(name, crd)  # in the files, registered as `default`: known absent
    registered = _registered_as_default(as_default, name, route)
    absent = snapshot.complete or refusal is not None or as_default is not None or not name.endswith("@" + CRD_PROVIDER)
    unseen = () if absent else (f"TLSOption {name}",)
    if unseen:
        finding = _f(
            code="tls-option-not-in-manifests",
            severity=Severity.WARNING,
            title=f"not checked: TLSOption {name} is not among the files",
            detail="Its clientAuth decides who gets in. If the cluster lacks it too, Traefik's Manager.Get answers "
            f"'unknown TLS options: {name}' and the host gets the closing route: every connection is closed. The "
            "command shows the TLSOptions of that namespace; then add the one named to --manifests.",
            fix=f"kubectl get tlsoption -n {arg(name.split('-', 1)[0])} -o yaml",
            subject=route.source,
        )
    elif not traefik_broken_options_close(release := release_for(snapshot, "traefik")):
        default = as_served(options[DEFAULT], options, snapshot)
        finding = _f(
            code="tls-option-unknown",
            severity=Severity.ERROR,
            title=f"{route.source} names TLS options {name}, which do not exist: {release.named} serves {host} with "
            "the default TLS options" + ("" if default.mode == "require-and-verify" else " (fail open)"),
            detail=f"tlsmanager.go Manager.Get answers 'unknown TLS options: {name}'. {_OPEN_BEFORE_FIX}{registered}",
            fix=_options_fix(route, [as_default] if as_default is not None else crd),
            subject=route.source,
            evidence=(_named_options(route, name),),
        )
        return _traefik_validation(
            host,
            mode=default.mode or "none",
            ca_refs=default.ca_refs,
            ca_pem=default.ca_pem,
            decided_by=(route.source, default.ref),
            findings=(*((refusal,) if refusal else ()), finding, *default.findings),
            unseen=default.unseen,
        )
    else:
        finding = _f(
            code="tls-option-unknown",
            severity=Severity.ERROR,
            title=f"{route.source} names TLS options {name}, which do not exist: {host} closes every connection",
            detail="tlsmanager.go Manager.Get answers 'unknown TLS options', and buildEntryPointHandler adds the "
            "special closing route for the host (brokenTLSRouter): clients see the connection closed in the "
            "handshake, with no alert and no HTTP answer (fail closed). A TLSOption is named "
            "<namespace>-<name>@kubernetescrd from an Ingress, or {name, namespace} from an IngressRoute."
            + (f" TLS options that exist: {', '.join(o.id for o in crd)}." if crd else " No TLSOption exists.")
            + registered,
            fix=_options_fix(route, [as_default] if as_default is not None else crd),
            subject=route.source,
            evidence=(_named_options(route, name),),
        )
    return _traefik_validation(
        host,
        mode="require-and-verify" if unseen else "none",
        ca_refs=(),
        ca_pem=None,
        decided_by=(route.source,),
        findings=(*((refusal,) if refusal else ()), finding, *_older(snapshot, route.source, not unseen)),
        breakage=None if unseen else "connection-closed",
        unseen=unseen,
    )


def _older(snapshot: ClusterSnapshot, subject: str, applies: bool) -> tuple[Finding, ...]:
    """The release was not seen and the verdict is a closing route: say what older releases do."""
    release = release_for(snapshot, "traefik")
    return (unchecked(release, subject, _OPEN_BEFORE_FIX),) if applies and not release.seen else ()


def _default_named_by_namespace(name: str, crd: list[BuiltOption]) -> BuiltOption | None:
    """`name` is `<ns>-default@kubernetescrd` and the files hold TLSOption <ns>/default, which
    buildTLSOptions registered as `default` (authelia/chartrepo#130: 'unknown TLS options:
    network-default@kubernetescrd')."""
    suffix = f"-{DEFAULT}@{CRD_PROVIDER}"
    if not name.endswith(suffix):
        return None
    namespace = name[: -len(suffix)]
    return next(
        (o for o in crd if o.id == DEFAULT and o.resource is not None and o.resource.namespace == namespace), None
    )


def _registered_as_default(as_default: BuiltOption | None, name: str, route: Route) -> str:
    """Why `name` does not exist when it names the TLSOption `default` by its namespace (traefik#9390,
    authelia/chartrepo#130), and what the fix does instead."""
    if as_default is None or as_default.resource is None:
        return ""
    does = "names `default`" if route.kind == "Ingress" else "removes the reference"
    return (
        f" {as_default.resource.kind} {as_default.resource.ref} is named `default`: kubernetes.go buildTLSOptions "
        f"registers it as the global `default` options, not as {name}; it serves every router that names no "
        f"options. The command {does}."
    )


def _options_fix(route: Route, crd: list[BuiltOption]) -> str:
    """Point the router at a TLSOption that exists (the first one of its namespace, else any). The
    TLSOption named `default` is reached by naming none: an IngressRoute's reference is removed (its
    {name: default, namespace: NS} would be NS-default@kubernetescrd again)."""
    target = next((o for o in crd if o.resource and o.resource.namespace == route.namespace), crd[0] if crd else None)
    if route.kind == "IngressRoute" and target is not None and target.id == DEFAULT:
        remove = [{"op": "remove", "path": "/spec/tls/options"}]
        return (
            f"kubectl patch ingressroute {arg(route.name)} -n {arg(route.namespace)} --type json -p {json_arg(remove)}"
        )
    if route.kind == "Ingress":
        value = target.id if target else f"{route.namespace}-TLSOPTION@{CRD_PROVIDER}"
        return f"kubectl annotate ingress {arg(route.name)} -n {arg(route.namespace)} {arg(OPTIONS_ANNOTATION + '=' + value)} --overwrite"
    resource = target.resource if target else None
    patch = {"spec": {"tls": {"options": {"name": resource.name if resource else "TLSOPTION"}}}}
    if resource is not None:
        patch["spec"]["tls"]["options"]["namespace"] = resource.namespace
    return f"kubectl patch ingressroute {arg(route.name)} -n {arg(route.namespace)} --type merge -p {json_arg(patch)}"


# --- findings -------------------------------------------------------------------------------------


def _named_options(route: Route, name: str) -> str:
    return f"{OPTIONS_ANNOTATION}: {name}" if route.kind == "Ingress" else f"spec.tls.options: {name}"


def _traefik_validation(host: str, **decided: Any) -> ClientValidation:
    """Traefik decides per host, on the websecure entry point (443), in Go's crypto/tls."""
    return ClientValidation(
        implementation="traefik", data_plane="go", host=host, port=HTTPS_PORT, scope="host", shared_with=(), **decided
    )


def _f(
    *,
    code: str,
    severity: Severity,
    title: str,
    detail: str,
    fix: str,
    subject: str,
    evidence: tuple[str, ...] = (),
    then: str = "",
) -> Finding:
    return Finding(
        code=code, severity=severity, title=title, detail=detail, fix=fix, subject=subject, evidence=evidence, then=then
    )


def _ca_not_found(resource: KubeResource, ref: str, wanted: str) -> Finding:
    then = (
        "with no CA left and no clientAuthType, tls.Config.ClientAuth stays NoClientCert: everyone gets in (fail open)"
        if not wanted
        else f"with clientAuthType {wanted} and no CA the TLS config fails and the hosts using it close every connection"
        if wanted in NEEDS_CA
        else f"clientAuthType {wanted} checks no CA anyway"
    )
    return _f(
        code="ca-ref-not-found",
        severity=Severity.ERROR,
        title=f"TLSOption {resource.ref} names CA Secret {ref}, which does not exist",
        detail=f"buildTLSOptions only logs it (warn 'Secret {ref} does not exist') and skips it; {then}.",
        fix=secret_update_command(ref, keys=("ca.crt",)),
        subject=f"TLSOption {resource.ref}",
        evidence=(f"spec.clientAuth.secretNames: {ref.split('/', 1)[1]}",),
    )


def _ca_unseen(resource: KubeResource, ref: str) -> Finding:
    namespace, _, name = ref.partition("/")
    return _f(
        code="secret-not-in-manifests",
        severity=Severity.WARNING,
        title=f"not checked: the CA Secret {ref} of TLSOption {resource.ref} is not among the files",
        detail="Its tls.ca or ca.crt decides who gets in, and it was not read. If the cluster lacks it too and the "
        "TLSOption sets no clientAuthType, Traefik asks no certificate at all (fail open). The command saves it to "
        "a file; then add that file to --manifests.",
        fix=f"kubectl get secret {arg(name)} -n {arg(namespace)} -o yaml > {arg(name + '-secret.yaml')}",
        subject=f"TLSOption {resource.ref}",
    )


def _ca_no_key(resource: KubeResource, ref: str, keys: tuple[str, ...], wanted: str) -> Finding:
    return _f(
        code="ca-ref-no-ca-key",
        severity=Severity.ERROR,
        title=f"CA Secret {ref} of TLSOption {resource.ref} has neither tls.ca nor ca.crt",
        detail=f"It holds {', '.join(keys) or 'no keys'}. getCABlocks reads tls.ca, then ca.crt; buildTLSOptions logs "
        f"'secret {ref} contains neither tls.ca nor ca.crt' and skips it"
        + (": with no CA and no clientAuthType, no certificate is asked (fail open)." if not wanted else "."),
        fix=add_ca_command(ref, from_key=_ca_like_key(keys)),
        subject=f"TLSOption {resource.ref}",
        evidence=(f"keys: {', '.join(keys)}",),
    )


def _copy_to_tls_ca(ref: str) -> str:
    """The Secret's ca.crt, copied to tls.ca beside it: what a release before v2.5.0 reads."""
    return add_ca_command(ref, from_key="ca.crt", to_key="tls.ca")


def _ca_key_unread(resource: KubeResource, ref: str, release: ControllerRelease, wanted: str) -> Finding:
    """releases.py TRAEFIK_CA_CRT: before v2.5.0 getCABlocks reads tls.ca only."""
    then = (
        "no CA is left and no clientAuthType is set, so no client certificate is asked: everyone gets in (fail open)"
        if not wanted
        else f"clientAuthType {wanted} without a CA fails to build the options, which this release serves with "
        "the default options: no client certificate asked (fail open)"
        if wanted in NEEDS_CA and not traefik_broken_options_close(release)
        else f"clientAuthType {wanted} without a CA fails to build the options"
        if wanted in NEEDS_CA
        else f"clientAuthType {wanted} checks no CA anyway"
    )
    return _f(
        code="ca-ref-no-ca-key",
        severity=Severity.ERROR,
        title=f"CA Secret {ref} of TLSOption {resource.ref} has no tls.ca, the only key {release.named} reads",
        detail=f"Before v2.5.0 getCABlocks reads the key tls.ca alone (ca.crt from v2.5.0, commit 0a3e40332a); "
        f"buildTLSOptions logs 'the tls.ca entry is missing from secret {ref}' and skips the Secret: {then}.",
        fix=_copy_to_tls_ca(ref),
        then="or upgrade Traefik to v2.5.0 or later, which reads ca.crt too",
        subject=f"TLSOption {resource.ref}",
        evidence=(f"Secret {ref}: ca.crt, no tls.ca", f"release: {release.named}"),
    )


def _ca_like_key(keys: tuple[str, ...]) -> str | None:
    return next((k for k in keys if "ca" in k.lower() and k not in CA_KEYS), None)


# releases.py TRAEFIK_BROKEN_CLOSES: what a release before v2.9.6 does with options that fail to build
_OPEN_BEFORE_FIX = (
    "Before v2.9.6 (commit 7e3fe48b80, issue #9557) Traefik serves a host whose TLS options fail to build, or "
    "do not exist, with the default TLS options: no client certificate is asked unless the default asks one "
    "(fail open), where later releases close the connection."
)


def as_served(option: BuiltOption, options: dict[str, BuiltOption], snapshot: ClusterSnapshot) -> BuiltOption:
    """The options a host gets. Broken options (mode None) are the closing route from v2.9.6; before,
    tlsmanager.go Manager.Get answered an empty tls.Config with the error and buildEntryPointHandler left
    the host no entry of its own, so its SNI got the default options, themselves that empty config
    (no client certificate asked) when the default is the broken one (releases.py TRAEFIK_BROKEN_CLOSES)."""
    if option.mode is not None or traefik_broken_options_close(release_for(snapshot, "traefik")):
        return option
    default = options[DEFAULT]
    if option.id == DEFAULT or default.mode is None:
        return replace(option, mode="none", ca_pem=None)
    return replace(option, mode=default.mode, ca_pem=default.ca_pem, ca_refs=default.ca_refs, unseen=default.unseen)


def _broken(resource: KubeResource, error: str, wanted: str, refs: list[str], closes: bool = True) -> Finding:
    then = ""
    if "CAFiles is required" in error:
        fix = secret_update_command(refs[0].split(" ", 1)[1], keys=("ca.crt",)) if refs else _ca_secret_fix(resource)
        then = _ca_files_note(resource) if not refs else ""
    elif error.startswith("invalid Cipher"):
        fix = f"kubectl patch tlsoption {arg(resource.name)} -n {arg(resource.namespace)} --type json -p " + json_arg(
            [{"op": "remove", "path": "/spec/cipherSuites"}]
        )
        then = (
            " The fix removes cipherSuites (Go's defaults apply); or name them as Go does, e.g. "
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256."
        )
    elif error.startswith("invalid CurveID"):
        fix = f"kubectl patch tlsoption {arg(resource.name)} -n {arg(resource.namespace)} --type json -p " + json_arg(
            [{"op": "remove", "path": "/spec/curvePreferences"}]
        )
        then = (
            " The fix removes curvePreferences (Go's defaults apply); or name them as Go does, e.g. X25519, CurveP256."
        )
    elif "client auth type" in error:
        fix = f"kubectl patch tlsoption {arg(resource.name)} -n {arg(resource.namespace)} --type merge -p " + json_arg(
            {"spec": {"clientAuth": {"clientAuthType": "RequireAndVerifyClientCert"}}}
        )
    else:
        fix = secret_update_command(refs[0].split(" ", 1)[1], keys=("ca.crt",)) if refs else "kubectl get tlsoption -A"
    if not closes:
        return _f(
            code="tls-option-broken",
            severity=Severity.ERROR,
            title=f"TLSOption {resource.ref} cannot be built: this Traefik release serves every host using it with "
            "the default TLS options (fail open)",
            detail=f"buildTLSConfig fails ({error}). {_OPEN_BEFORE_FIX}{then}",
            fix=fix,
            subject=f"TLSOption {resource.ref}",
            evidence=(error,) + ((f"clientAuthType: {wanted}",) if wanted else ()),
        )
    return _f(
        code="tls-option-broken",
        severity=Severity.ERROR,
        title=f"TLSOption {resource.ref} cannot be built: every host using it closes every connection",
        detail=f"buildTLSConfig fails ({error}); buildEntryPointHandler then gives each host that uses these options "
        "the special closing route (brokenTLSRouter): the connection is closed in the handshake, no alert, no HTTP "
        "answer (fail closed)." + then,
        fix=fix,
        subject=f"TLSOption {resource.ref}",
        evidence=(error,) + ((f"clientAuthType: {wanted}",) if wanted else ()),
    )


def _ca_secret_fix(resource: KubeResource) -> str:
    """A TLSOption with no secretNames: a Secret `<option>-ca` from the local ca.crt, named in its
    secretNames (caFiles, the file provider's field, set to null: a merge patch drops it if stored)."""
    secret = f"{resource.name}-ca"
    return (
        secret_update_command(f"{resource.namespace}/{secret}", keys=("ca.crt",))
        + f" && kubectl patch tlsoption {arg(resource.name)} -n {arg(resource.namespace)} --type merge -p "
        + json_arg({"spec": {"clientAuth": {"caFiles": None, "secretNames": [secret]}}})
    )


def _ca_files_note(resource: KubeResource) -> str:
    """`clientAuth.caFiles` written in a TLSOption (traefik-helm-chart#928): the file provider's
    field (pkg/tls/tls.go ClientAuth.CAFiles); the CRD's clientAuth has secretNames and clientAuthType
    only (traefik.io_tlsoptions.yaml), and buildTLSOptions fills CAFiles from secretNames alone."""
    files = [str(f) for f in as_list(as_dict(as_dict(resource.body.get("spec")).get("clientAuth")).get("caFiles"))]
    if not files:
        return " The fix stores the CA (ca.crt here) in a Secret and names it in secretNames."
    return (
        f" clientAuth.caFiles ({', '.join(files)}) is the file provider's field: a TLSOption has none (its CRD's "
        "clientAuth holds secretNames and clientAuthType; the API server prunes caFiles, kubectl's strict "
        "validation refuses it), and Traefik reads a TLSOption's CA only from the Secrets in secretNames. The fix "
        "stores that CA, copied here as ca.crt, in a Secret and names it in secretNames."
    )


def _old_group(resource: KubeResource) -> Finding:
    return _f(
        code="traefik-api-group-removed",
        severity=Severity.WARNING,
        title=f"TLSOption {resource.ref} uses API group traefik.containo.us, which Traefik v3 does not read",
        detail="Traefik v2.10 reads both traefik.containo.us and traefik.io; v3 removed traefik.containo.us "
        "(docs/content/migrate/v2-to-v3-details.md). On v3 this TLSOption does not exist, and routers naming it get "
        "the closing route.",
        fix=f"kubectl get tlsoptions.traefik.containo.us {arg(resource.name)} -n {arg(resource.namespace)} -o yaml | "
        "sed 's#traefik.containo.us/v1alpha1#traefik.io/v1alpha1#' | kubectl apply -f -",
        subject=f"TLSOption {resource.ref}",
    )


def _conflict(host: str, routes: list[Route], option: BuiltOption) -> Finding:
    asked = sorted({f"{r.source} -> {r.options or DEFAULT}" for r in routes})
    open_now = option.mode in ("none", "request", "require-any", "verify-if-given")
    keep = next((r for r in routes if r.options), routes[0])
    others = [r for r in routes if (r.options or DEFAULT) != (keep.options or DEFAULT)]
    return _f(
        code="mtls-fail-open" if open_now else "policy-conflicted",
        severity=Severity.ERROR,
        title=f"routers for {host} ask for different TLS options: all of them get {option.ref}"
        + (" and no client certificate is required" if open_now else ""),
        detail="TLS options apply per SNI host and entryPoint; aggregator.go resolveHTTPTLSOptions gives every router "
        "of a host whose routers disagree a copy with the default TLS options (router error 'router's TLSOptions "
        "configuration is conflicting with other routers on the same entrypoint and host, default TLS options will "
        "be used instead'). The fix gives every router of the host the same TLS options: one TLS option per host.",
        fix=_same_options_fix(others, keep),
        subject=" and ".join(dict.fromkeys(r.source for r in routes)),
        evidence=tuple(asked),
    )


def _models_ignored(host: str, routes: list[Route], options: dict[str, BuiltOption]) -> list[Finding]:
    """Routers with a `tls` of their own on an entryPoint whose http.tls names client-auth options:
    aggregator.go applyModel keeps the router's TLS (`if cp.TLS == nil`), so the entryPoint's options
    never reach it; without options of its own it gets the default ones (traefik#7126)."""
    found = []
    for model in dict.fromkeys(r.model_ignored for r in routes if r.model_ignored):
        option = options.get(model)
        mine = [r for r in routes if r.model_ignored == model and not r.options]
        if option is None or not option.configured or not mine:
            continue
        keep = replace(mine[0], options=model)
        found.append(
            _f(
                code="mtls-fail-open",
                severity=Severity.ERROR,
                title=f"{host}: the entryPoint's TLS options {model} do not reach "
                + ", ".join(dict.fromkeys(r.source for r in mine))
                + ", which has a tls of its own: no client certificate is asked there",
                detail="aggregator.go applyModel gives a router its entryPoint's http.tls (options included) only "
                "when the router has no TLS of its own (`if cp.TLS == nil { cp.TLS = m.TLS }`). An IngressRoute with "
                "spec.tls, or an Ingress with a router.tls annotation, keeps its own, and with no options named "
                "there it gets Traefik's default options. The fix names the entryPoint's options on the router.",
                fix=_same_options_fix(mine, keep),
                subject=mine[0].source,
                evidence=(f"entryPoint http.tls.options: {model}",)
                + tuple(f"{r.source}: tls without options" for r in mine),
            )
        )
    return found


def _same_options_fix(others: list[Route], keep: Route) -> str:
    """Give the other routers of the host the options of the one that asks for client certificates."""
    commands = []
    for route in dict.fromkeys((r.kind, r.name, r.namespace) for r in others):
        kind, name, namespace = route
        if kind == "Ingress":
            commands.append(
                f"kubectl annotate ingress {arg(name)} -n {arg(namespace)} "
                f"{arg(OPTIONS_ANNOTATION + '=' + (keep.options or DEFAULT))} --overwrite"
            )
        else:
            option_name, _, option_namespace = _crd_name(keep.options or DEFAULT)
            options: dict[str, Any] = {"name": option_name}
            if option_namespace:
                options["namespace"] = option_namespace
            commands.append(
                f"kubectl patch ingressroute {arg(name)} -n {arg(namespace)} --type merge -p "
                + json_arg({"spec": {"tls": {"options": options}}})
            )
    return " && ".join(commands)


def _crd_name(option_id: str) -> tuple[str, str, str]:
    """(name, '', namespace) of a `ns-name@kubernetescrd` id; the split on the first '-' is a
    guess when the namespace itself has one."""
    bare = option_id.removesuffix("@" + CRD_PROVIDER)
    namespace, _, name = bare.partition("-")
    return (name, "", namespace) if name else (bare, "", "")


def _fallback(host: str, option: BuiltOption, mode: ClientCertMode, routes: list[Route]) -> Finding:
    what = {
        "none": "asks no client certificate",
        "request": "asks for a certificate but requires none and verifies none",
        "require-any": "requires a certificate but verifies none",
        "verify-if-given": "lets clients without a certificate in (a certificate given must verify)",
    }.get(mode, "does not enforce client certificates")
    missing_ca = mode == "none" and bool(option.ca_refs)
    fix = (
        f"kubectl patch tlsoption {arg(option.resource.name)} -n {arg(option.resource.namespace)} --type merge -p "
        + json_arg({"spec": {"clientAuth": {"clientAuthType": "RequireAndVerifyClientCert"}}})
        if option.resource is not None and not missing_ca
        else next((f.fix for f in option.findings if f.code.startswith("ca-ref")), "kubectl get tlsoption -A")
    )
    return _f(
        code="mtls-fail-open" if missing_ca else "mtls-fallback-mode",
        # a CA that did not load is an error; a mode the option chose is its own choice, as ingress-nginx's optional
        severity=Severity.ERROR if missing_ca else Severity.WARNING,
        title=f"{host}: {option.ref} {what}"
        + (f" because its CA ({', '.join(option.ca_refs)}) could not be loaded" if missing_ca else ""),
        detail=f"Go's crypto/tls runs with ClientAuth {_go_name(mode)} (tlsmanager.go buildTLSConfig): "
        + (
            "clients without a trusted certificate get in."
            if mode != "verify-if-given"
            else "a client that sends no certificate gets in."
        ),
        fix=fix,
        subject=option.ref if option.resource is not None else routes[0].source,
        evidence=(f"mode: {_go_name(mode)}", *option.ca_refs),
    )


def _go_name(mode: ClientCertMode) -> str:
    return next(k for k, v in MODES.items() if v == mode)
