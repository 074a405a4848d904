"""`migrate(snapshot, target)`: each ingress-nginx mTLS host as the target controller's objects.

Pure: the snapshot in, plain manifests and findings out. Three rules hold for every target:
- the CA (public) moves to the kind and key the target reads, inlined; a private key never
  appears in an object: a Secret that holds one is referenced by name when the target can read
  it where it is, or created by a command the user runs (`SecretCommand`);
- the routes send the same hosts and paths to the same Service and port as the Ingresses did;
- what the target cannot express becomes a finding (findings.py), never a silent change.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mtls_tui.model import ClusterSnapshot, Finding, IngressPath, MtlsPolicy, SecretObj, Severity
from mtls_tui.policy.ingress_nginx.host_policy import HostPolicy
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.migrate import findings as nf
from mtls_tui.policy.migrate.plan import (
    DEFAULT_GATEWAY_CLASS,
    HostMigration,
    MigrationPlan,
    SecretCommand,
    Target,
    slug,
    unique_slugs,
)
from mtls_tui.policy.secret_commands import read_key_command
from mtls_tui.policy.secret_store import stored_secret
from mtls_tui.shell import arg

# where istiod looks up credentialName: the gateway proxy's namespace (ParseResourceName)
ISTIO_NAMESPACE = "istio-system"
HTTPS_PORT = 443
TLS_SECRET = "kubernetes.io/tls"
F5_CA_TYPE = "nginx.org/ca"  # nginx/kubernetes-ingress internal/k8s/secrets/validation.go SecretTypeCA
TRAEFIK_ENTRYPOINT = "websecure"  # the Helm chart's HTTPS entryPoint
# Targets whose client validation is selected by a host name: a rule without one gets none.
NEEDS_HOST: dict[Target, str] = {
    "traefik": "A router whose rule has no Host cannot carry TLS options: the default options (no client certificate) "
    "apply (traefik/traefik pkg/server/router/tcp/manager.go buildEntryPointHandler).",
    "f5-nginx": "A VirtualServer needs spec.host (nginx/kubernetes-ingress pkg/apis/configuration/v1/types.go VirtualServerSpec).",
}
# Why a listener's certificate must be a kubernetes.io/tls Secret, per target (checked in the sources)
TLS_TYPE_RULE: dict[Target, str] = {
    "gateway-api": "Core support is a Secret of type kubernetes.io/tls: kubernetes-sigs/gateway-api apis/v1/gateway_types.go ListenerTLSConfig.CertificateRefs",
    "envoy-gateway": "Envoy Gateway refuses another type: envoyproxy/gateway internal/gatewayapi/validate.go validateTerminateModeAndGetTLSSecrets",
    "f5-nginx": "F5 refuses another type: nginx/kubernetes-ingress internal/k8s/secrets/validation.go ValidateTLSSecret",
    "traefik": "",
    "istio": "",
}


@dataclass(frozen=True)
class Classes:
    """The class names the user's cluster decides: the GatewayClass of generated Gateways, and
    (traefik, f5-nginx) the IngressClass when an Ingress is kept instead of the CRD route."""

    gateway: str
    ingress: str | None = None


@dataclass(frozen=True)
class Source:
    """What one host brings from ingress-nginx."""

    hp: HostPolicy
    policy: MtlsPolicy
    namespace: str
    ca_pem: bytes | None
    crl_pem: bytes | None
    tls: SecretObj | None
    tls_ref: str | None
    paths: tuple[IngressPath, ...]
    base: str  # the name the host's objects start with (plan.py unique_slugs)
    pair_pem: bytes | None = None  # the auth Secret's tls.crt, when it holds a keypair: nginx trusted it too
    auth_keys: tuple[str, ...] | None = None  # the auth Secret's keys; None: it was not read

    @property
    def host(self) -> str:
        return self.hp.host


def migrate(
    snapshot: ClusterSnapshot,
    target: Target,
    host: str | None = None,
    gateway_class: str | None = None,
    ingress_class: str | None = None,
    now: datetime | None = None,
    check_command: str = "mtls-tui check",
) -> MigrationPlan:
    """Every host ingress-nginx serves with client certificates (or `host` alone), for `target`.
    `ingress_class` (traefik, f5-nginx): keep an Ingress, of that IngressClass, selecting the
    client policy by annotation, instead of an IngressRoute / VirtualServer. `check_command`:
    `mtls-tui check` on the same input (the edge knows it: Session.check_command)."""
    all_hosts = host_policies(snapshot)
    hosts = [hp for hp in all_hosts if hp.policy is not None and hp.policy.mtls and hp.served]
    if host is not None:
        hosts = [hp for hp in hosts if hp.host == host]
    if not hosts:
        what = f"host {host}" if host else "any host"
        return MigrationPlan(
            target,
            (),
            (
                nf.plain(
                    "migrate-nothing",
                    Severity.ERROR if host else Severity.WARNING,
                    host or "*",
                    f"ingress-nginx serves {what} with no client-certificate set-up here: nothing to migrate",
                    "migrate moves hosts whose Ingress has a usable nginx.ingress.kubernetes.io/auth-tls-secret "
                    f"(read from {snapshot.source}).",
                    f"{check_command}  # shows why a host has no mTLS",
                ),
            ),
        )
    klass = Classes(gateway_class or DEFAULT_GATEWAY_CLASS[target], ingress_class)
    # every host ingress-nginx serves shares port 443 with the others; the Secret tells which share a certificate
    on_port = {hp.host: hp.tls_secret for hp in all_hosts if hp.served}
    ordered = sorted(hosts, key=lambda hp: hp.host)  # the report and the files in one order, whatever was read first
    bases = unique_slugs(hp.host for hp in ordered)
    when = now or datetime.now(UTC)
    migrations = tuple(
        _host(_source(hp, snapshot, bases[hp.host]), target, klass, snapshot, on_port, when) for hp in ordered
    )
    return MigrationPlan(target, migrations)


def _source(hp: HostPolicy, snapshot: ClusterSnapshot, base: str) -> Source:
    assert hp.policy is not None and hp.policy.secret is not None
    auth = snapshot.secret(hp.policy.secret)
    namespace = (hp.mtls_from or hp.ingresses[0]).namespace
    paths = tuple(dict.fromkeys(p for i in hp.ingresses for p in i.paths if p.host == hp.host))
    tls = snapshot.secret(hp.tls_secret) if hp.tls_secret else None
    return Source(
        hp=hp,
        policy=hp.policy,
        namespace=namespace,
        ca_pem=auth.get("ca.crt") if auth else None,
        crl_pem=auth.get("ca.crl") if auth else None,
        tls=tls,
        tls_ref=hp.tls_secret,
        paths=paths,
        base=base,
        # store/backend_ssl.go getPemCertificate: with a keypair the CA file is tls.crt, tls.key, ca.crt
        pair_pem=auth.get("tls.crt") if auth is not None and stored_secret(auth).keypair else None,
        auth_keys=auth.keys if auth is not None else None,
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _meta(name: str, namespace: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = {"app.kubernetes.io/managed-by": "mtls-tui-migrate"}
    return meta


def _server_secret(src: Source, target: Target) -> tuple[str, SecretCommand | None, Finding | None]:
    """The Secret the target serves the host's certificate from: the Ingress's own when the target
    can read it where it is, else a new `kubernetes.io/tls` Secret made by a command."""
    namespace = ISTIO_NAMESPACE if target == "istio" else src.namespace
    new_name = f"{src.base}-credential" if target == "istio" else f"{src.base}-tls"
    tls = src.tls
    usable = tls is not None and {"tls.crt", "tls.key"} <= set(tls.keys) and tls.namespace == namespace
    if usable and tls is not None and (tls.type == TLS_SECRET or target == "traefik"):
        return tls.name, None, None  # Traefik reads tls.crt/tls.key from any Secret type
    create = (
        f"kubectl create secret tls {arg(new_name)} -n {arg(namespace)} --cert=server.crt --key=server.key "
        "--dry-run=client -o yaml"
    )
    if src.tls_ref is None:
        finding = nf.plain(
            "migrate-no-server-certificate",
            Severity.WARNING,
            src.host,
            "the host had no tls: certificate of its own on ingress-nginx (the controller's fake one)",
            "The generated objects name a Secret that must hold the host's certificate and key; make server.crt and "
            "server.key for the host first.",
            create,
        )
        return new_name, SecretCommand(namespace, new_name, "the host's certificate and key", (), create), finding
    why = (
        f"the host's certificate and key, in {namespace} where the gateway proxy reads credentialName "
        "(istio/istio pilot/pkg/model/credentials/resource.go ParseResourceName)"
        if target == "istio"
        else f"the host's certificate and key as a {TLS_SECRET} Secret ({src.tls_ref} is "
        + (f"type {tls.type}" if tls is not None else "not in the snapshot")
        + f"; {TLS_TYPE_RULE[target]})"
    )
    reads = (
        f"{read_key_command(src.tls_ref, 'tls.crt')} > server.crt",
        f"(umask 077 && {read_key_command(src.tls_ref, 'tls.key')} > server.key)",
    )
    return new_name, SecretCommand(namespace, new_name, why, reads, create, source=src.tls_ref), None


def _assumed(src: Source) -> list[str]:
    """What the source host's verdict could not check, which the "before" of this migration rests on
    (an IngressClass or a Secret not among the files: ingress-nginx serving the host was assumed)."""
    return [
        f"not checked on ingress-nginx: {what} (the host's verdict there is unverified; mtls-tui check says why)"
        for what in src.hp.unseen
        if what.startswith("IngressClass ")
    ]


def _ca_unavailable(src: Source, name: str) -> Finding:
    """No CA to carry over: the auth Secret was read and holds no ca.crt (ingress-nginx then checked
    no client certificate: secret-missing-ca), or it was not read at all."""
    ref = src.policy.secret or ""
    namespace, _, secret = ref.partition("/")
    if src.auth_keys is not None:
        return nf.plain(
            "migrate-ca-unavailable",
            Severity.ERROR,
            src.host,
            f"Secret {ref} holds no ca.crt: ingress-nginx checked no client certificate for {src.host}, and there "
            f"is no CA for its {name} object",
            f"It holds {', '.join(src.auth_keys) or 'no keys'}. Without ca.crt ingress-nginx renders no client "
            "check (store/backend_ssl.go getPemCertificate), so everyone got in and no CA can be carried over. Give "
            "the Secret its CA first (mtls-tui check on the same input prints the fix for secret-missing-ca), then "
            "migrate again.",
            "",
        )
    return nf.plain(
        "migrate-ca-unavailable",
        Severity.ERROR,
        src.host,
        f"the CA of {ref} could not be read: its {name} object is not written",
        "The Secret is not among the inputs (manifests without it, or RBAC): the new controller needs the CA the "
        "Ingress trusted. Save the Secret from the cluster and add the file to --manifests, or run migrate with "
        "--context.",
        f"kubectl get secret {arg(secret)} -n {arg(namespace)} -o yaml > {arg(secret + '-secret.yaml')}",
    )


def _ca_object(src: Source, target: Target, credential: str) -> tuple[dict[str, Any] | None, str, list[Finding]]:
    """The CA (and CRL where the target reads one) as the target wants it: (object, name, findings)."""
    ca, crl = src.ca_pem, src.crl_pem
    name = f"{credential}-cacert" if target == "istio" else f"{src.base}-client-ca"
    if ca is None:
        return None, name, [_ca_unavailable(src, name)]
    if target in ("gateway-api", "envoy-gateway"):
        data = {"ca.crt": ca.decode()}
        if crl is not None and target == "envoy-gateway":
            data["ca.crl"] = crl.decode()  # CrlContext refs: key ca.crl (api/v1alpha1/tls_types.go)
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name, src.namespace), "data": data}, name, []
    if target == "traefik":
        return (
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": _meta(name, src.namespace),
                "type": "Opaque",
                "data": {"ca.crt": _b64(ca)},
            },
            name,
            [],
        )
    if target == "f5-nginx":
        data = {"ca.crt": _b64(ca)}
        if crl is not None:
            data["ca.crl"] = _b64(crl)  # ValidateCASecret: optional ca.crl
        obj = {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(name, src.namespace), "type": F5_CA_TYPE}
        return {**obj, "data": data}, name, []
    data = {"cacert": _b64(ca)}  # istio secrets.go ExtractRoot: cacert (crl) before ca.crt (ca.crl)
    if crl is not None:
        data["crl"] = _b64(crl)
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(name, ISTIO_NAMESPACE), "type": "Opaque"}
    return {**obj, "data": data}, name, []


def _routable(src: Source) -> tuple[list[IngressPath], list[Finding]]:
    """Paths with a Service and a port number: what every target's route can name."""
    ok: list[IngressPath] = []
    bad: list[IngressPath] = []
    for path in src.paths:
        (ok if path.service and path.port_number else bad).append(path)
    if not bad:
        return ok, []
    listed = ", ".join(f"{p.path} -> {p.service or 'resource backend'}:{p.port_name or '?'}" for p in bad)
    return ok, [
        nf.plain(
            "migrate-backend-unroutable",
            Severity.ERROR,
            src.host,
            f"paths not migrated (no Service port number): {listed}",
            "The routes of the targets name a Service and a port number; a port given by name (or a resource "
            "backend) is not resolved here.",
            f"kubectl get service -n {arg(src.namespace)} -o wide  # then write the port number into the route",
        )
    ]


def _host(
    src: Source,
    target: Target,
    klass: Classes,
    snapshot: ClusterSnapshot,
    on_port: dict[str, str | None],
    now: datetime,
) -> HostMigration:
    findings: list[Finding] = []
    server, command, finding = _server_secret(src, target)
    findings += [finding] if finding else []
    ca_obj, ca_name, ca_findings = _ca_object(src, target, server)
    findings += ca_findings
    paths, path_findings = _routable(src)
    findings += path_findings
    build = {
        "gateway-api": _gateway_api,
        "envoy-gateway": _envoy_gateway,
        "traefik": _traefik,
        "f5-nginx": _f5,
        "istio": _istio,
    }[target]
    objects, mode_written, notes = build(src, server, ca_name, paths, klass)
    notes += _assumed(src)
    findings += _non_portable(src, target, mode_written, snapshot, on_port, now)
    return HostMigration(
        host=src.host,
        target=target,
        base=src.base,
        ingresses=tuple(i.ref for i in src.hp.ingresses),
        objects=tuple(([ca_obj] if ca_obj else []) + objects),
        secret_commands=(command,) if command else (),
        findings=tuple(findings),
        notes=tuple(notes),
    )


def _non_portable(
    src: Source,
    target: Target,
    mode_written: str,
    snapshot: ClusterSnapshot,
    on_port: dict[str, str | None],
    now: datetime,
) -> list[Finding]:
    policy, host = src.policy, src.host
    out: list[Finding | None] = []
    if host == "*" and target in NEEDS_HOST:
        out.append(
            nf.plain(
                "migrate-no-host",
                Severity.ERROR,
                host,
                f"the Ingress rule has no host: {target} cannot apply client validation without one",
                NEEDS_HOST[target],
                "kubectl edit ingress  # give the rule a host (spec.rules[].host), then migrate again",
            )
        )
    if policy.match_cn:
        proposal = nf.san_proposal(policy.match_cn, nf.client_certificates(snapshot, src.ca_pem))
        out.append(nf.match_cn_finding(host, target, policy, proposal))
    if policy.error_page:
        out.append(nf.error_page_finding(host, target, policy))
    out.append(nf.verify_depth_finding(host, target, policy))
    if src.crl_pem is not None:
        out.append(nf.crl_finding(host, target, policy.secret or ""))
        out.append(nf.stale_crl_finding(host, target, policy.secret or "", src.crl_pem, now))
    opened = next((f for f in src.hp.findings if f.code == "mtls-plain-http"), None)
    if opened is not None:
        out.append(nf.plain_http_finding(host, target, opened))
    if src.pair_pem is not None and src.ca_pem:  # without ca.crt nginx checked no client: nobody got in by tls.crt
        out.append(nf.keypair_trust_finding(host, target, policy.secret or "", src.pair_pem, src.ca_pem or b""))
    others = tuple(h for h in on_port if h != host)
    same_cert = tuple(h for h in others if src.tls_ref is not None and on_port[h] == src.tls_ref)
    out.append(nf.shared_scope_finding(host, target, same_cert, others))
    out.append(nf.pass_certificate_finding(host, target, policy))
    out.append(nf.tls_alert_finding(host, target))
    out.append(nf.verify_mode_finding(host, target, policy, mode_written))
    return [f for f in out if f is not None]


# --- per target -------------------------------------------------------------------------------

Built = tuple[list[dict[str, Any]], str, list[str]]  # objects, the verify mode written, notes


def _hostname(host: str) -> dict[str, str]:
    return {} if host == "*" else {"hostname": host}


def _http_route(src: Source, gateway: str, paths: list[IngressPath]) -> dict[str, Any]:
    rules = []
    for path in paths:
        kind = "Exact" if path.path_type == "Exact" else "PathPrefix"
        rules.append(
            {
                "matches": [{"path": {"type": kind, "value": path.path}}],
                "backendRefs": [{"name": path.service, "port": path.port_number}],
            }
        )
    spec: dict[str, Any] = {"parentRefs": [{"name": gateway, "sectionName": "https"}], "rules": rules}
    if src.host != "*":
        spec["hostnames"] = [src.host]
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": _meta(src.base, src.namespace),
        "spec": spec,
    }


def _gateway(src: Source, server: str, klass: Classes, frontend: dict[str, Any] | None) -> dict[str, Any]:
    listener = {
        "name": "https",
        "protocol": "HTTPS",
        "port": HTTPS_PORT,
        **_hostname(src.host),
        "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "group": "", "name": server}]},
    }
    spec: dict[str, Any] = {"gatewayClassName": klass.gateway}
    if frontend is not None:
        spec["tls"] = {"frontend": {"default": {"validation": frontend}}}
    spec["listeners"] = [listener]
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": _meta(src.base, src.namespace),
        "spec": spec,
    }


def _gateway_api(src: Source, server: str, ca: str, paths: list[IngressPath], klass: Classes) -> Built:
    """Standard channel `spec.tls.frontend` (v1.5.0 and later): a ConfigMap `ca.crt` is Core support."""
    mode = "AllowValidOnly" if src.policy.verify_client == "on" else "AllowInsecureFallback"
    frontend = (
        None
        if src.policy.verify_client == "off"
        else {"caCertificateRefs": [{"kind": "ConfigMap", "group": "", "name": ca}], "mode": mode}
    )
    notes = [
        f"spec.gatewayClassName is {klass.gateway}: set it to your implementation's GatewayClass "
        "(kubectl get gatewayclass). spec.tls.frontend needs Gateway API v1.5.0+ (Standard channel)."
    ]
    return [_gateway(src, server, klass, frontend), _http_route(src, src.base, paths)], mode, notes


ENVOY_MODES = {"on": "RequireAndVerify", "optional": "VerifyIfGiven", "optional_no_ca": "Request"}


def _envoy_gateway(src: Source, server: str, ca: str, paths: list[IngressPath], klass: Classes) -> Built:
    """The core API where it is enough (verify on, no CRL, nothing forwarded); a ClientTrafficPolicy
    otherwise, and then the Gateway carries no frontend (the policy would override it: helpers.go
    irTLSConfigs then clienttrafficpolicy.go buildListenerTLSParameters)."""
    policy = src.policy
    verify = policy.verify_client
    needs_policy = verify not in ("on", "off") or src.crl_pem is not None or policy.pass_certificate
    notes = [
        f"spec.gatewayClassName is {klass.gateway} (Envoy Gateway's quickstart class): set yours with --gateway-class."
    ]
    if verify == "off":
        return [_gateway(src, server, klass, None), _http_route(src, src.base, paths)], "none", notes
    if not needs_policy:
        frontend = {"caCertificateRefs": [{"kind": "ConfigMap", "group": "", "name": ca}], "mode": "AllowValidOnly"}
        objects = [_gateway(src, server, klass, frontend), _http_route(src, src.base, paths)]
        return objects, "AllowValidOnly (RequireAndVerify)", notes
    validation: dict[str, Any] = {
        "caCertificateRefs": [{"kind": "ConfigMap", "group": "", "name": ca}],
        "mode": ENVOY_MODES[verify],
    }
    if src.crl_pem is not None:
        validation["crl"] = {"refs": [{"kind": "ConfigMap", "group": "", "name": ca}]}
    spec: dict[str, Any] = {
        "targetRefs": [
            {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": src.base, "sectionName": "https"}
        ],
        "tls": {"clientValidation": validation},
    }
    if policy.pass_certificate:
        spec["headers"] = {"xForwardedClientCert": {"mode": "SanitizeSet", "certDetailsToAdd": ["Cert", "Subject"]}}
    ctp = {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1",
        "kind": "ClientTrafficPolicy",
        "metadata": _meta(f"{src.base}-mtls", src.namespace),
        "spec": spec,
    }
    return [_gateway(src, server, klass, None), _http_route(src, src.base, paths), ctp], ENVOY_MODES[verify], notes


TRAEFIK_MODES = {
    "on": "RequireAndVerifyClientCert",
    "optional": "VerifyClientCertIfGiven",
    "optional_no_ca": "RequestClientCert",
    "off": "NoClientCert",
}


def _traefik_rule(host: str, path: IngressPath) -> str:
    rule = "" if host == "*" else f"Host(`{host}`)"
    if path.path == "/" and path.path_type != "Exact":
        return rule or "PathPrefix(`/`)"
    matcher = f"Path(`{path.path}`)" if path.path_type == "Exact" else f"PathPrefix(`{path.path}`)"
    return f"{rule} && {matcher}" if rule else matcher


def _traefik(src: Source, server: str, ca: str, paths: list[IngressPath], klass: Classes) -> Built:
    """TLSOption (clientAuth) + IngressRoute naming it; the CA Secret in the TLSOption's namespace."""
    mode = TRAEFIK_MODES[src.policy.verify_client]
    option_name = f"{src.base}-mtls"
    option = {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "TLSOption",
        "metadata": _meta(option_name, src.namespace),
        "spec": {"clientAuth": {"secretNames": [ca], "clientAuthType": mode}},
    }
    route = {
        "apiVersion": "traefik.io/v1alpha1",
        "kind": "IngressRoute",
        "metadata": _meta(src.base, src.namespace),
        "spec": {
            "entryPoints": [TRAEFIK_ENTRYPOINT],
            "routes": [
                {
                    "match": _traefik_rule(src.host, p),
                    "kind": "Rule",
                    "services": [{"name": p.service, "port": p.port_number}],
                }
                for p in paths
            ],
            "tls": {"secretName": server, "options": {"name": option_name, "namespace": src.namespace}},
        },
    }
    selector = f"{src.namespace}-{option_name}@kubernetescrd"  # crd/kubernetes.go makeID: namespace-name
    # Host(`*.x`) and HostSNI(`*.x`) match subdomains since v3.7.0 only (commit ea92a3e150,
    # pkg/muxer/muxer.go DomainMatchHostExpression); before, Host is literal and HostSNI refuses it
    wildcard = (
        [
            f"{src.host} needs Traefik v3.7.0+: older releases match Host(`{src.host}`) literally (no route: 404) "
            "and refuse HostSNI for it, so its TLS option is not applied either."
        ]
        if src.host.startswith("*.")
        else []
    )
    if klass.ingress:
        name = klass.ingress
        ingress = _ingress(src, server, paths, name, {"traefik.ingress.kubernetes.io/router.tls.options": selector})
        notes = [
            f"ingressClassName {name}: Traefik's IngressClass (controller traefik.io/ingress-controller).",
            *wildcard,
        ]
        return [option, ingress], mode, notes
    notes = [
        f"entryPoints: {TRAEFIK_ENTRYPOINT} (the Helm chart's HTTPS entryPoint): change it if yours differs.",
        "Or keep an Ingress served by Traefik instead of the IngressRoute (--ingress-class): annotated "
        f"traefik.ingress.kubernetes.io/router.tls.options: {selector}",
        *wildcard,
    ]
    return [option, route], mode, notes


def _ingress(
    src: Source, server: str, paths: list[IngressPath], klass: str, annotations: dict[str, str]
) -> dict[str, Any]:
    """The Ingress form: the same rules and TLS, another IngressClass, the target's annotation."""
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "path": p.path,
                    "pathType": p.path_type,
                    "backend": {"service": {"name": p.service, "port": {"number": p.port_number}}},
                }
                for p in paths
            ]
        }
    }
    tls: dict[str, Any] = {"secretName": server}
    if src.host != "*":
        rule = {"host": src.host, **rule}
        tls = {"hosts": [src.host], **tls}
    meta = _meta(src.base, src.namespace)
    meta["annotations"] = annotations
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta,
        "spec": {"ingressClassName": klass, "tls": [tls], "rules": [rule]},
    }


def _f5_upstream(path: IngressPath) -> str:
    return slug(f"{path.service}-{path.port_number}")


def _f5(src: Source, server: str, ca: str, paths: list[IngressPath], klass: Classes) -> Built:
    """Policy ingressMTLS (depth kept) + VirtualServer with spec.policies (not routes: 500)."""
    policy_name = f"{src.base}-mtls"
    mtls = {
        "apiVersion": "k8s.nginx.org/v1",
        "kind": "Policy",
        "metadata": _meta(policy_name, src.namespace),
        "spec": {
            "ingressMTLS": {
                "clientCertSecret": ca,
                "verifyClient": src.policy.verify_client,
                "verifyDepth": src.policy.verify_depth,
            }
        },
    }
    upstreams = {_f5_upstream(p): {"name": _f5_upstream(p), "service": p.service, "port": p.port_number} for p in paths}
    routes = [
        {"path": f"={p.path}" if p.path_type == "Exact" else p.path, "action": {"pass": _f5_upstream(p)}} for p in paths
    ]
    vs = {
        "apiVersion": "k8s.nginx.org/v1",
        "kind": "VirtualServer",
        "metadata": _meta(src.base, src.namespace),
        "spec": {
            "host": src.host,
            # F5 renders the port 80 listener whatever the TLS (nginx.virtualserver.tmpl), and redirects it
            # only when asked (virtualserver.go generateTLSRedirectConfig); nginx checks certificates on TLS
            # only: without this, http:// reaches the upstream with none. 308, as ingress-nginx redirects.
            "tls": {"secret": server, "redirect": {"enable": True, "code": 308}},
            "policies": [{"name": policy_name}],
            "upstreams": list(upstreams.values()),
            "routes": routes,
        },
    }
    written = f"verifyClient {src.policy.verify_client}"
    if klass.ingress:
        name = klass.ingress
        ingress = _ingress(src, server, paths, name, {"nginx.org/policies": policy_name})
        notes = [
            f"ingressClassName {name}: F5's IngressClass (controller nginx.org/ingress-controller; its chart calls it "
            "nginx by default, the name ingress-nginx's class usually has). nginx.org/policies needs v5.4+."
        ]
        return [mtls, ingress], written, notes
    notes = [
        "Or keep an Ingress for F5's controller (v5.4+, --ingress-class): annotated nginx.org/policies: "
        f"{policy_name}, with F5's IngressClass (controller nginx.org/ingress-controller)."
    ]
    return [mtls, vs], written, notes


ISTIO_MODES = {"on": "MUTUAL", "optional": "OPTIONAL_MUTUAL", "optional_no_ca": "OPTIONAL_MUTUAL", "off": "SIMPLE"}


def _istio(src: Source, server: str, ca: str, paths: list[IngressPath], klass: Classes) -> Built:
    """Gateway servers[].tls MUTUAL with credentialName (looked up in the gateway proxy's namespace)."""
    mode = ISTIO_MODES[src.policy.verify_client]
    tls: dict[str, Any] = {"mode": mode, "credentialName": server}
    if src.policy.verify_client == "optional_no_ca":
        tls["insecureSkipVerify"] = True
    gateway = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": _meta(src.base, src.namespace),
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {
                    "port": {"number": HTTPS_PORT, "name": f"https-{src.base}"[:63], "protocol": "HTTPS"},
                    "hosts": [src.host],
                    "tls": tls,
                }
            ],
        },
    }
    http = []
    for p in paths:
        match = {"exact": p.path} if p.path_type == "Exact" else {"prefix": p.path}
        http.append(
            {
                "match": [{"uri": match}],
                "route": [
                    {
                        "destination": {
                            "host": f"{p.service}.{src.namespace}.svc.cluster.local",
                            "port": {"number": p.port_number},
                        }
                    }
                ],
            }
        )
    vs = {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": _meta(src.base, src.namespace),
        "spec": {"hosts": [src.host], "gateways": [src.base], "http": http},
    }
    notes = [
        f"selector istio: ingressgateway and the credential in {ISTIO_NAMESPACE}: change both if your gateway runs elsewhere."
    ]
    return [gateway, vs], mode, notes
