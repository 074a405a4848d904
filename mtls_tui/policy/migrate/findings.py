"""What of an ingress-nginx host's client-certificate set-up does not carry over to a target.

Each finding names the target's source (file and function, at the commits docs/successors.md
lists) for the rule it reports, so a user can check the claim instead of trusting it. The
codes are stable (DESIGN.md's catalogue): `migrate-match-cn`, `migrate-error-page`,
`migrate-verify-depth`, `migrate-crl-dropped`, `migrate-shared-scope`,
`migrate-pass-certificate`, `migrate-tls-alert`, `migrate-verify-mode`, `migrate-plain-http`,
`migrate-keypair-trust`, `migrate-crl-stale`, plus the plan's own
`migrate-nothing`, `migrate-ca-unavailable`, `migrate-no-server-certificate`,
`migrate-backend-unroutable` and `migrate-no-host` (policy/migrate/build.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from mtls_tui.certs.crl import load_crls
from mtls_tui.certs.facts import name_to_str
from mtls_tui.model import ClusterSnapshot, Finding, MtlsPolicy, Severity, SubjectAltNames
from mtls_tui.policy.ingress_nginx.cert_answers import refused_answer
from mtls_tui.policy.migrate.plan import Target
from mtls_tui.policy.re2_syntax import re2_search
from mtls_tui.safe_text import clipped

# What every location of an mTLS host forwards on ingress-nginx (nginx.tmpl), and the one
# pass-certificate adds: the headers an application behind it may read.
NGINX_HEADERS = ("ssl-client-verify", "ssl-client-subject-dn", "ssl-client-issuer-dn")
NGINX_CERT_HEADER = "ssl-client-cert"

# Where each target answers a refused client: in the TLS handshake (Envoy, Go) or in HTTP (F5's nginx).
ALERTS: dict[Target, str] = {
    "gateway-api": "no HTTP response: conformance requires the round trip to fail (kubernetes-sigs/gateway-api "
    "conformance/utils/tls/tls.go MakeTLSRequestAndExpectEventuallyConsistentFailureResponse); Envoy-based "
    "implementations send a TLS alert, NGINX Gateway Fabric closes the connection (servers_template.go, return 444)",
    "envoy-gateway": "a TLS alert from Envoy: 40 (TLS 1.2) or 116 certificate_required after the handshake (TLS 1.3) "
    "without a certificate, 48 unknown_ca, 45 certificate_expired (envoyproxy/gateway "
    "internal/gatewayapi/helpers.go convertClientValidationModeType; measured, docs/successors.md section 7)",
    "traefik": "a TLS alert from Go's crypto/tls: 40/116 without a certificate, 48, 45, 42 bad_certificate "
    "(traefik/traefik pkg/tls/tlsmanager.go buildTLSConfig; measured, docs/successors.md section 7)",
    "istio": "a TLS alert from Envoy: 40/116 without a certificate, 48, 45 (istio/istio "
    "pilot/pkg/networking/core/listener.go BuildListenerTLSContext; measured, docs/successors.md section 7)",
    "f5-nginx": "",
}

MATCHERS: dict[Target, str] = {
    "gateway-api": "the API has no SAN or subject matching (kubernetes-sigs/gateway-api apis/v1/gateway_types.go "
    "FrontendTLSValidation; GEP-91)",
    "envoy-gateway": "ClientTrafficPolicy tls.clientValidation.subjectAltNames matches SANs (dnsNames, emailAddresses, "
    "ipAddresses, uris; Exact, Prefix, Suffix or RegularExpression), never the subject (envoyproxy/gateway "
    "api/v1alpha1/tls_types.go SubjectAltNames)",
    "traefik": "TLSOption clientAuth has only secretNames and clientAuthType: nothing matches names (traefik/traefik "
    "pkg/tls/tlsmanager.go buildTLSConfig; pkg/provider/kubernetes/crd/kubernetes.go buildTLSOptions)",
    "f5-nginx": "Policy ingressMTLS has no name check; the templates render none (nginx/kubernetes-ingress "
    "pkg/apis/configuration/v1/types.go IngressMTLS; internal/configs/version2/nginx.virtualserver.tmpl)",
    "istio": "servers[].tls.subjectAltNames matches SANs exactly, never the subject (istio/istio "
    "pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext)",
}


@dataclass(frozen=True)
class SanProposal:
    """The SANs of the client certificates the match-CN admitted: what a SAN matcher would list."""

    matched: tuple[str, ...]  # subject DNs of the certificates seen that the regex admits
    sans: SubjectAltNames
    without_sans: tuple[str, ...]  # admitted certificates that have no SAN: a SAN matcher would refuse them


def _f(
    code: str, severity: Severity, host: str, title: str, detail: str, fix: str, evidence: Iterable[str] = ()
) -> Finding:
    return Finding(
        code=code,
        severity=severity,
        title=title,
        detail=detail,
        fix=fix,
        subject=f"host {host}",
        evidence=tuple(evidence),
    )


def client_certificates(snapshot: ClusterSnapshot, ca_pem: bytes | None) -> list[x509.Certificate]:
    """Leaf certificates in the snapshot's Secrets issued by a CA of `ca_pem`: the clients (and
    the server) we can see. The seed keeps only the server's in the cluster; a team that stores
    client certificates in Secrets gets its SANs proposed."""
    if not ca_pem:
        return []
    try:
        issuers = {c.subject.public_bytes() for c in x509.load_pem_x509_certificates(ca_pem)}
    except ValueError:
        return []
    seen: dict[bytes, x509.Certificate] = {}
    for secret in snapshot.secrets:
        for key, value in secret.data:
            if not key.endswith((".crt", ".pem")) or b"-----BEGIN CERTIFICATE-----" not in value:
                continue
            try:
                certs = x509.load_pem_x509_certificates(value)
            except ValueError:
                continue
            for cert in certs:
                if cert.issuer.public_bytes() in issuers and cert.subject.public_bytes() not in issuers:
                    seen.setdefault(cert.fingerprint(hashes.SHA256()), cert)
    return list(seen.values())


def san_proposal(match_cn: str, certificates: list[x509.Certificate]) -> SanProposal:
    """Which certificates the regex admits (unanchored on the subject DN, as nginx's `!~` does),
    and the SANs they carry."""
    regex = match_cn[3:] if match_cn.startswith("CN=") else match_cn
    dns: list[str] = []
    email: list[str] = []
    uri: list[str] = []
    ip: list[str] = []
    matched: list[str] = []
    bare: list[str] = []
    for cert in certificates:
        dn = name_to_str(cert.subject)
        if not re2_search(f"CN={regex}", dn):
            continue
        matched.append(dn)
        try:
            ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        except (x509.ExtensionNotFound, ValueError):
            bare.append(dn)
            continue
        dns += ext.get_values_for_type(x509.DNSName)
        email += ext.get_values_for_type(x509.RFC822Name)
        uri += ext.get_values_for_type(x509.UniformResourceIdentifier)
        ip += [str(a) for a in ext.get_values_for_type(x509.IPAddress)]
    return SanProposal(
        tuple(matched), SubjectAltNames(_unique(dns), _unique(ip), _unique(uri), _unique(email)), tuple(bare)
    )


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def match_cn_finding(host: str, target: Target, policy: MtlsPolicy, proposal: SanProposal) -> Finding:
    """auth-tls-match-cn: nginx answered 403 to a trusted certificate whose subject DN the regex
    does not match. No target matches the subject; two match SANs."""
    value = policy.match_cn or ""
    can_match_sans = target in ("envoy-gateway", "istio")
    sans = proposal.sans
    listed = [*sans.dns, *sans.email, *sans.uri, *sans.ip]
    if not proposal.matched:
        seen = "No client certificate the regex admits was found in the snapshot's Secrets, so no SAN can be proposed."
    elif not sans:
        seen = (
            f"The certificates it admits ({'; '.join(proposal.matched)}) have no subjectAltName: no SAN matcher can "
            "tell them apart; re-issue them with SANs first."
        )
    else:
        seen = f"The certificates it admits ({'; '.join(proposal.matched)}) carry the SANs {', '.join(listed)}."
        if proposal.without_sans:
            seen += f" These have none and would be refused by a SAN matcher: {'; '.join(proposal.without_sans)}."
    if can_match_sans and listed:
        field = (
            "tls.clientValidation.subjectAltNames in a ClientTrafficPolicy"
            if target == "envoy-gateway"
            else "servers[].tls.subjectAltNames in the Gateway"
        )
        fix_words = f"nearest matcher: {field} = {', '.join(listed)} (SANs, not the subject: a certificate with another CN but these SANs gets in)"
    elif can_match_sans:
        fix_words = "re-issue the client certificates with a SAN (DNS, email or URI) and match it in the target's subjectAltNames"
    else:
        fix_words = (
            "check the client's subject in the application (the verified certificate's subject is not forwarded "
            "by default), or choose a target that matches SANs (envoy-gateway, istio)"
        )
    return _f(
        "migrate-match-cn",
        Severity.WARNING if can_match_sans and listed else Severity.ERROR,
        host,
        f"auth-tls-match-cn {clipped(value)} does not carry over to {target}: every certificate from the CA gets in",
        f"ingress-nginx answered 403 to a trusted client certificate whose subject DN does not match the regex "
        f"(if ($ssl_client_s_dn !~ ...)). On {target}: {MATCHERS[target]}. {seen}",
        fix_words,
        (f"nginx.ingress.kubernetes.io/auth-tls-match-cn: {clipped(value)}",),
    )


def error_page_finding(host: str, target: Target, policy: MtlsPolicy) -> Finding:
    refusal = ALERTS[target] or (
        "nginx's own 400 page: Policy ingressMTLS renders no error_page (nginx/kubernetes-ingress "
        "internal/configs/policy.go addIngressMTLSConfig; internal/configs/version2/nginx.virtualserver.tmpl)"
    )
    return _f(
        "migrate-error-page",
        Severity.WARNING,
        host,
        f"auth-tls-error-page {policy.error_page} does not carry over: refused clients get no page",
        f"ingress-nginx answered a refused client with {refused_answer(policy.error_page, '400')} (error_page 495 496 "
        f"= ...; cert_answers.refused_answer). On {target} a refused "
        f"client gets {refusal}. A browser shows its own TLS error instead of your page.",
        "tell users where to get a certificate elsewhere (the page cannot be shown on a failed handshake)",
        (f"nginx.ingress.kubernetes.io/auth-tls-error-page: {policy.error_page}",),
    )


DEPTH: dict[Target, str] = {
    "gateway-api": "the API sets no depth: 'implementation specific' (kubernetes-sigs/gateway-api apis/v1/gateway_types.go "
    "TLSConfig.Validation; GEP-91); NGINX Gateway Fabric renders ssl_verify_depth 4 (nginx/nginx-gateway-fabric "
    "internal/controller/nginx/config/servers_template.go), Envoy-based implementations set none",
    "envoy-gateway": "Envoy Gateway never sets max_verify_depth: no limit (envoyproxy/gateway "
    "internal/xds/translator/listener.go setTLSValidationContext)",
    "traefik": "Go's crypto/tls has no depth limit; TLSOption has no depth field (traefik/traefik "
    "pkg/tls/tlsmanager.go buildTLSConfig)",
    "istio": "Istio's Gateway has no depth setting; Envoy is given none (istio/istio "
    "pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext)",
    "f5-nginx": "",
}


# What a plain HTTP request to the host meets on each target, with the objects migrate writes.
PLAIN_HTTP: dict[Target, str] = {
    "gateway-api": "the Gateway written has one HTTPS listener on 443 and no HTTP one: nothing of it serves port 80 "
    "(kubernetes-sigs/gateway-api apis/v1/gateway_types.go Listener; on Envoy Gateway the proxy Service exposes "
    "the listeners' ports only, envoyproxy/gateway internal/infrastructure/kubernetes/proxy/resource_provider.go "
    "Service): the connection is refused, unless another Gateway listens there",
    "envoy-gateway": "the Gateway written has one HTTPS listener on 443 and no HTTP one; the proxy Service exposes the "
    "listeners' ports only (envoyproxy/gateway internal/infrastructure/kubernetes/proxy/resource_provider.go "
    "Service): the connection to port 80 is refused, unless another Gateway listens there",
    "traefik": "the router written is a TLS router on the websecure entryPoint (IngressRoute entryPoints and tls; for "
    "the Ingress form the router.tls.options annotation sets Router.TLS: traefik/traefik "
    "pkg/provider/kubernetes/ingress/kubernetes.go): on the web entryPoint no router matches and Traefik answers "
    "404 page not found (pkg/server/router/router.go, http.NotFoundHandler), unless that entryPoint redirects",
    "f5-nginx": "the VirtualServer written redirects it, 308 to https:// (tls.redirect; nginx/kubernetes-ingress "
    "internal/configs/virtualserver.go generateTLSRedirectConfig); the Ingress form is redirected by F5's default "
    "ssl-redirect (internal/configs/config_params.go NewDefaultConfigParams SSLRedirect: true)",
    "istio": "the Gateway written has one server, on port 443: the gateway proxy builds no listener for port 80 "
    "(istio/istio pilot/pkg/networking/core/gateway.go buildGatewayListeners: one per Gateway server port), so the "
    "connection is refused or reset, unless another Gateway serves port 80",
}


def plain_http_finding(host: str, target: Target, opened: Finding) -> Finding:
    """ingress-nginx served http://host/ to the upstream with no certificate (policy/ingress_nginx/redirects.py
    plain_http: ssl-redirect false, no tls: section, or use-forwarded-headers); every target's
    objects as written serve the host over HTTPS only. Closed, not opened: a warning, because the
    clients and probes that used http:// stop getting in."""
    return _f(
        "migrate-plain-http",
        Severity.WARNING,
        host,
        f"http://{host}/ reached the upstream without a client certificate; on {target} it no longer does",
        f"On ingress-nginx {opened.title.partition(': ')[2] or opened.title} (mtls-plain-http): a plain HTTP request "
        f"got the application's answer with no certificate asked. On {target}: {PLAIN_HTTP[target]}. Clients, health "
        "checks and links that use http:// stop working; that hole was closed by the migration, not kept.",
        "point those clients at https:// with a client certificate (or serve the paths that must stay open from "
        "another host without client validation)",
        opened.evidence,
    )


def verify_depth_finding(host: str, target: Target, policy: MtlsPolicy) -> Finding | None:
    """ingress-nginx's depth (default 1) refused chains with more intermediates; only F5's Policy keeps it."""
    if target == "f5-nginx":
        return None
    return _f(
        "migrate-verify-depth",
        Severity.WARNING,
        host,
        f"auth-tls-verify-depth {policy.verify_depth} is not kept on {target}: longer chains from the CA now get in",
        f"ingress-nginx renders ssl_verify_depth {policy.verify_depth}: a client chain with more than "
        f"{policy.verify_depth} intermediate(s) below the CA was refused (400). On {target}: {DEPTH[target]}. "
        "Measured: Envoy and Go accept a client two intermediates below the CA.",
        "issue client certificates only from the CA itself (or intermediates you mean to trust), or migrate to f5-nginx (Policy ingressMTLS verifyDepth)",
        (f"ssl_verify_depth {policy.verify_depth}",),
    )


def crl_finding(host: str, target: Target, secret_ref: str) -> Finding | None:
    """ca.crl in the auth-tls Secret: nginx refused revoked certificates. Kept by Envoy Gateway
    (ClientTrafficPolicy crl), F5 (ca.crl in the nginx.org/ca Secret) and Istio (crl in -cacert)."""
    dropped = {
        "gateway-api": "the API has no CRL (kubernetes-sigs/gateway-api apis/v1/gateway_types.go FrontendTLSValidation; GEP-91)",
        "traefik": "TLSOption reads only the CA (tls.ca, ca.crt) from its Secrets; no CRL reaches tls.Config "
        "(traefik/traefik pkg/provider/kubernetes/crd/kubernetes.go buildTLSOptions, getCABlocks)",
    }
    if target not in dropped:
        return None
    return _f(
        "migrate-crl-dropped",
        Severity.ERROR,
        host,
        f"ca.crl of {secret_ref} is dropped on {target}: revoked client certificates get in",
        f"ingress-nginx renders ssl_crl from the Secret's ca.crl and refuses revoked certificates. On {target}: "
        f"{dropped[target]}.",
        "migrate to envoy-gateway (ClientTrafficPolicy tls.clientValidation.crl), f5-nginx or istio, "
        "or re-issue the CA and every client certificate that is still valid",
        (f"Secret {secret_ref} key ca.crl",),
    )


# What a CRL out of its validity window does on each target, from the objects migrate writes.
STALE_CRL: dict[Target, tuple[Severity, str, str]] = {
    "gateway-api": (
        Severity.ERROR,
        "the clients it kept out now get in",
        "the CRL is dropped (the API has none): the clients it kept out now get in",
    ),
    "traefik": (
        Severity.ERROR,
        "the clients it kept out now get in",
        "the CRL is dropped (TLSOption reads none): the clients it kept out now get in",
    ),
    "envoy-gateway": (
        Severity.ERROR,
        "every route answers HTTP 500",
        "Envoy Gateway refuses the ClientTrafficPolicy's CRL (envoyproxy/gateway internal/gatewayapi/tls.go "
        "validateCrl: 'CRL is expired' / 'not yet valid'): the policy is invalid and every route of the listener "
        "answers HTTP 500 (internal/gatewayapi/clienttrafficpolicy.go translateClientTrafficPolicyForListener)",
    ),
    "istio": (
        Severity.WARNING,
        "the same clients are refused",
        "the gateway's Envoy loads it as nginx did (istio/istio pilot/pkg/xds/sds.go toEnvoyCaSecret) and refuses "
        "the same clients, with a TLS alert (measured: tests/test_migrate_verify.py)",
    ),
    "f5-nginx": (
        Severity.WARNING,
        "the same clients are refused",
        "nginx loads it as before (ssl_crl: nginx/kubernetes-ingress internal/configs/policy.go "
        "addIngressMTLSConfig) and refuses the same clients",
    ),
}


def stale_crl_finding(host: str, target: Target, secret_ref: str, crl_pem: bytes, now: datetime) -> Finding | None:
    """A CRL of ca.crl past its nextUpdate or before its lastUpdate: nginx refused every client
    certificate whose path runs through its issuer ('CRL has expired', diagnose/revocation.py
    crl-expired). Each target does something else with it (STALE_CRL)."""
    stale = [
        c
        for c in load_crls(crl_pem)
        if c.last_update_utc > now or (c.next_update_utc is not None and c.next_update_utc < now)
    ]
    if not stale:
        return None
    severity, short, there = STALE_CRL[target]
    issuers = ", ".join(name_to_str(c.issuer) for c in stale)
    return _f(
        "migrate-crl-stale",
        severity,
        host,
        f"the CRL of {issuers} in ca.crl of {secret_ref} is out of date: on {target} {short}",
        f"On ingress-nginx every client certificate of {issuers} was refused (400: nginx 'CRL has expired' or "
        f"'CRL is not yet valid'). On {target}: {there}.",
        f"publish a current CRL in {secret_ref} key ca.crl (and in the migrated CA object) before migrating",
        tuple(
            f"CRL of {name_to_str(c.issuer)}: lastUpdate {c.last_update_utc:%Y-%m-%d}, nextUpdate "
            + (f"{c.next_update_utc:%Y-%m-%d}" if c.next_update_utc else "none")
            for c in stale
        ),
    )


def shared_scope_finding(
    host: str, target: Target, same_certificate: tuple[str, ...], same_port: tuple[str, ...]
) -> Finding | None:
    """ingress-nginx decides per host (nginx server). Gateway API decides per port; Envoy Gateway's
    ClientTrafficPolicy per listener, with HTTP/2 connection reuse across listeners whose
    certificates overlap."""
    if target not in ("gateway-api", "envoy-gateway") or not (same_certificate or same_port):
        return None
    others = tuple(dict.fromkeys((*same_certificate, *same_port)))
    detail = (
        f"On ingress-nginx each host (nginx server) had its own client policy. Here each host gets its own Gateway; put "
        f"on one Gateway (one address, as ingress-nginx had), spec.tls.frontend applies to every HTTPS listener of a port "
        f"(kubernetes-sigs/gateway-api apis/v1/gateway_types.go FrontendTLSConfig, TLSPortConfig): {', '.join(others)} "
        "would then share this host's client validation on port 443."
    )
    if target == "envoy-gateway" and same_certificate:
        detail += (
            f" Hosts with the same certificate ({', '.join(same_certificate)}) overlap: Envoy Gateway marks such "
            "listeners OverlappingTLSConfig and forces ALPN http/1.1 unless a ClientTrafficPolicy sets alpnProtocols, "
            "after which an HTTP/2 connection made for one host can carry requests for the other "
            "(envoyproxy/gateway internal/gatewayapi/listener.go checkOverlappingCertificates; "
            "internal/xds/translator/listener.go)."
        )
    return _f(
        "migrate-shared-scope",
        Severity.WARNING,
        host,
        f"client policy becomes per port/listener: shared with {', '.join(others)} if they share a Gateway",
        detail,
        "keep hosts with different client policies on different Gateways or ports (frontend perPort), or give them one policy",
        tuple(
            f"host {h} on port 443" + (" with the same certificate" if h in same_certificate else "") for h in others
        ),
    )


HEADERS: dict[Target, str] = {
    "gateway-api": "none: the API does not say which headers carry the client certificate (kubernetes-sigs/gateway-api "
    "apis/v1/gateway_types.go)",
    "envoy-gateway": "x-forwarded-client-cert (XFCC: Hash, Cert, Subject, ...), only with a ClientTrafficPolicy's "
    "headers.xForwardedClientCert mode SanitizeSet; the default Sanitize forwards nothing "
    "(envoyproxy/gateway api/v1alpha1/clienttrafficpolicy_types.go XForwardedClientCert; "
    "internal/xds/translator/listener.go buildForwardClientCertDetailsAction)",
    "traefik": "X-Forwarded-Tls-Client-Cert (base64 DER, comma-separated chain) and X-Forwarded-Tls-Client-Cert-Info, "
    "only with a PassTLSClientCert middleware on the route (traefik/traefik "
    "pkg/middlewares/passtlsclientcert/pass_tls_client_cert.go)",
    "f5-nginx": "none by default: the templates forward no ssl_client_* variable; add them with location-snippets "
    "(proxy_set_header ssl-client-cert $ssl_client_escaped_cert; ssl-client-verify $ssl_client_verify; "
    "ssl-client-subject-dn $ssl_client_s_dn) (nginx/kubernetes-ingress internal/configs/version2/nginx.virtualserver.tmpl)",
    "istio": "x-forwarded-client-cert (XFCC), SANITIZE_SET by default at gateways (istio/istio "
    "pilot/pkg/networking/core/gateway.go)",
}


# What the envoy-gateway plan writes for XFCC (build.py _envoy_gateway): the ClientTrafficPolicy's
# headers only when the Ingress passed the certificate itself; otherwise nothing forwards it.
_XFCC_WRITTEN = {
    True: "The ClientTrafficPolicy written here sets it (certDetailsToAdd Cert, Subject)",
    False: "None is written here (auth-tls-pass-certificate-to-upstream was not true): add headers.xForwardedClientCert "
    "to a ClientTrafficPolicy on the Gateway if the application reads ssl-client-verify or ssl-client-subject-dn",
}


def pass_certificate_finding(host: str, target: Target, policy: MtlsPolicy) -> Finding:
    """The headers an application behind ingress-nginx reads, and their names (or absence) on the target."""
    sent = [*NGINX_HEADERS, *([NGINX_CERT_HEADER] if policy.pass_certificate else [])]
    return _f(
        "migrate-pass-certificate",
        Severity.WARNING if policy.pass_certificate else Severity.INFO,
        host,
        f"the upstream no longer gets {', '.join(sent)}",
        f"ingress-nginx set {', '.join(sent)} on every request to the upstream"
        + (" (auth-tls-pass-certificate-to-upstream: true)" if policy.pass_certificate else "")
        + f". On {target} the application must read: {HEADERS[target]}"
        + (f". {_XFCC_WRITTEN[policy.pass_certificate]}" if target == "envoy-gateway" else "")
        + ".",
        "change the application to read the target's header (or to need none)",
        (f"nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream: {str(policy.pass_certificate).lower()}",),
    )


def tls_alert_finding(host: str, target: Target) -> Finding | None:
    """nginx answers after the handshake (HTTP 400); the others refuse in it."""
    if target == "f5-nginx":
        return None
    return _f(
        "migrate-tls-alert",
        Severity.WARNING,
        host,
        "refused clients get a TLS alert instead of HTTP 400",
        "ingress-nginx completed the handshake and answered HTTP 400 ('No required SSL certificate was sent' / 'The SSL "
        f"certificate error'). On {target} a refused client gets {ALERTS[target]}. Monitoring that counts 400s, and client "
        "retry logic keyed on a 400, will see connection errors instead (curl exit 35/56, no status line).",
        "alert on TLS handshake failures (the proxy's access log or metrics) instead of HTTP 400",
        ("nginx: 400 No required SSL certificate was sent",),
    )


def verify_mode_finding(host: str, target: Target, policy: MtlsPolicy, written: str) -> Finding | None:
    """auth-tls-verify-client other than on: what the target gets, when it is not the same."""
    mode = policy.verify_client
    if mode == "on":
        return None
    weaker = target == "gateway-api" and mode == "optional"
    # nginx's optional_no_ca lets through only an unknown issuer (ngx_event_openssl.c
    # ngx_ssl_verify_error_optional): an expired certificate is still refused. Every target but F5
    # (which renders the same directive) writes accept-untrusted, which takes it.
    expired_in = mode == "optional_no_ca" and target != "f5-nginx"
    return _f(
        "migrate-verify-mode",
        Severity.ERROR if weaker or expired_in else Severity.WARNING,
        host,
        f"auth-tls-verify-client {mode} becomes {written} on {target}"
        + (": certificates from another CA now get in" if weaker else "")
        + (": an expired certificate, refused by nginx, now gets in" if expired_in else ""),
        f"ingress-nginx: ssl_verify_client {mode} (requests without a certificate get in"
        + ("; a certificate that fails verification is refused" if mode == "optional" else "")
        + f"). Written for {target}: {written}."
        + (
            " The Gateway API has no verify-if-given mode: AllowInsecureFallback accepts any certificate "
            "(kubernetes-sigs/gateway-api apis/v1/gateway_types.go FrontendValidationModeType; on Envoy Gateway "
            "ACCEPT_UNTRUSTED, helpers.go convertClientValidationModeType)."
            if weaker
            else ""
        ),
        "set auth-tls-verify-client on before migrating, or use envoy-gateway (VerifyIfGiven)"
        if weaker
        else "set auth-tls-verify-client optional before migrating, if certificates of unknown issuers need not get in"
        if expired_in
        else "nothing: the target keeps the same behaviour as far as it can be expressed",
        (f"nginx.ingress.kubernetes.io/auth-tls-verify-client: {mode}",),
    )


def keypair_trust_finding(host: str, target: Target, secret: str, pair_pem: bytes, ca_pem: bytes) -> Finding | None:
    """ingress-nginx's CA file for a Secret with a keypair is tls.crt + tls.key + ca.crt
    (store/backend_ssl.go getPemCertificate, ssl.ConfigureCACertWithCertAndKey): a CA certificate in
    tls.crt's chain, absent from ca.crt, was trusted for clients. The target reads ca.crt only."""
    try:
        pair = x509.load_pem_x509_certificates(pair_pem)
        kept = {c.fingerprint(hashes.SHA256()) for c in x509.load_pem_x509_certificates(ca_pem)} if ca_pem else set()
    except ValueError:
        return None
    lost = [c for c in pair if _is_ca(c) and c.fingerprint(hashes.SHA256()) not in kept]
    if not lost:
        return None
    names = ", ".join(c.subject.rfc4514_string() for c in lost)
    return _f(
        "migrate-keypair-trust",
        Severity.ERROR,
        host,
        f"clients issued by {names} got in through the tls.crt of {secret}; {target} trusts its ca.crt only",
        "ingress-nginx writes the Secret's tls.crt and tls.key before ca.crt into the one file nginx trusts for "
        "client certificates (store/backend_ssl.go getPemCertificate), so the CA certificates of the server's "
        "chain were client CAs too. The objects written carry ca.crt alone: those clients are refused after.",
        f"add {names} to the ca.crt of {secret} before migrating, if its clients must keep getting in",
        tuple(f"tls.crt of {secret}: {c.subject.rfc4514_string()} (CA)" for c in lost),
    )


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return cert.subject == cert.issuer  # a v1 root (the seed's openssl commands make them)
    except ValueError:
        return False


def plain(code: str, severity: Severity, host: str, title: str, detail: str, fix: str) -> Finding:
    """A finding of the plan itself (no CA to move, no certificate, a path that cannot be routed)."""
    return _f(code, severity, host, title, detail, fix)
