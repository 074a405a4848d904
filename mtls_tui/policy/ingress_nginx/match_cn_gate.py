"""What the server-level auth-tls-match-cn check does to each way in: with no certificate asked it
refuses everyone, with optional it refuses a request without one, and on port 80 it answers 403
to plain HTTP, to the HTTPS redirect and to ACME HTTP-01 challenges. Separate: nginx.tmpl renders
the check apart from the CA file and the verify mode, so it has consequences of its own.
"""

from __future__ import annotations

from dataclasses import replace

from mtls_tui.model import Finding, IngressObj, Severity
from mtls_tui.policy.ingress_nginx.annotations import PREFIX
from mtls_tui.policy.ingress_nginx.ingress_findings import ingress_finding, ingress_words
from mtls_tui.policy.nginx_answers import CN_REFUSED
from mtls_tui.policy.secret_commands import add_ca_command
from mtls_tui.safe_text import clipped
from mtls_tui.shell import arg


def with_cn_gate(
    host: str, findings: list[Finding], gate: str, mode: str | None, winner: IngressObj | None, secret: str | None
) -> list[Finding]:
    """What the match-CN check does to each way in. No certificate asked (no CA file, or
    `ssl_verify_client off`): the subject is always empty, every request gets 403. `optional`:
    a request without a certificate gets 403 instead of reaching the upstream. `optional_no_ca`:
    likewise, but a certificate from any issuer whose subject matches gets in."""
    if mode == "on":
        return findings
    ingress = winner
    kept = [
        replace(
            f,
            title="auth-tls-verify-client is optional_no_ca: nginx verifies no client certificate, and "
            "auth-tls-match-cn is all it checks",
        )
        if f.code == "mtls-not-enforced" and mode == "optional_no_ca"
        else f
        for f in findings
        if not (f.code == "mtls-not-enforced" and mode in (None, "off", "optional"))
    ]
    subject = f"Ingress {ingress.ref}" if ingress else f"host {host}"
    evidence = (
        f"{PREFIX}auth-tls-match-cn: {clipped(gate)}",
        f"ssl_verify_client: {mode or 'not rendered (no CA file)'}",
    )
    template = (
        'nginx.tmpl (define "SERVER") renders `if ( $ssl_client_s_dn !~ MATCH_CN ) { return 403 '
        f'"{CN_REFUSED}"; }}` whenever auth-tls-match-cn is set, apart from the CA file and the verify mode; '
        "$ssl_client_s_dn is empty unless nginx asked for a certificate and got one."
    )
    if mode in (None, "off"):
        why = "no CA file, so nginx asks no client certificate" if mode is None else "auth-tls-verify-client is off"
        fix = (
            f"kubectl annotate ingress {ingress_words(ingress)} {arg(ingress.prefix + 'auth-tls-verify-client=on')} --overwrite"
            if ingress is not None and mode == "off"
            # the CA is what is missing: removing the match-CN check instead would let everyone in
            else add_ca_command(secret) + "  # the CA that signs your clients, as ca.crt"
            if secret
            else ""
        )
        return (
            [  # what the server does to every request: the headline
                Finding(
                    code="match-cn-refuses-all",
                    severity=Severity.ERROR,
                    title=f"every request to {host} gets 403: auth-tls-match-cn is checked, but {why}",
                    detail=template + " With no certificate asked, no request can pass it, plain HTTP included "
                    "(kubernetes/ingress-nginx issues 9250, 10185).",
                    fix=fix,
                    subject=subject,
                    evidence=evidence,
                )
            ]
            + kept
        )
    anyone = (
        " A certificate from any issuer gets in if its subject matches: optional_no_ca verifies none."
        if mode == "optional_no_ca"
        else " A certificate that does not verify still gets 400 first."
    )
    return kept + [
        Finding(
            code="match-cn-requires-certificate",
            severity=Severity.INFO,
            title=f"auth-tls-verify-client is {mode}, but auth-tls-match-cn answers 403 to a request without a certificate",
            detail=template + anyone,
            fix="",
            subject=subject,
            evidence=evidence,
        )
    ]


ACME_PATH = "/.well-known/acme-challenge"
CERT_MANAGER_ISSUERS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")


def acme_solver(ingress: IngressObj, host: str) -> bool:
    """cert-manager's HTTP-01 solver Ingress: every path of it for the host is under ACME_PATH."""
    paths = [p.path for p in ingress.paths if p.host == host]
    return bool(paths) and all(p.startswith(ACME_PATH) for p in paths)


def cn_gate_plain_http(host: str, served_http: list[IngressObj], gate: str) -> list[Finding]:
    """nginx.tmpl define "SERVER" renders the host's port 80 listener (buildHTTPListener, always) and
    the match-CN `if ( $ssl_client_s_dn !~ ... ) { return 403 ...; }` in the same server block, at
    server level: it runs in nginx's server rewrite phase, before any location. Over plain HTTP
    $ssl_client_s_dn is empty: every http:// request gets 403 "client certificate unauthorized".
    Said where plain HTTP is meant to be served (`served_http`: no redirect to HTTPS, as
    ssl-redirect "false" asks), where the 403 replaces the answer (kubernetes/ingress-nginx issue
    9250: "This works for both http and https requests, all http requests will failed"; PR 11062
    moved the check, 11082 reverted it). Where HTTP is redirected the 403 replaces the redirect
    (the location's rewrite_by_lua_file ngx_rewrite.lua runs later): cn_gate_redirect says so."""
    first = served_http[0]
    return [
        ingress_finding(
            code="match-cn-refuses-plain-http",
            severity=Severity.WARNING,
            title=f"http://{host}/ answers 403 to every request: auth-tls-match-cn runs on plain HTTP too, where "
            f"{', '.join(i.ref for i in served_http)} serve{'s' if len(served_http) == 1 else ''} it",
            detail="The match-CN check sits in the server block, which also listens on port 80, and runs before "
            "any location; a plain HTTP request has no certificate, its subject is empty, and it gets 403 "
            f'"{CN_REFUSED}" instead of the location\'s answer. nginx checks client certificates on TLS only: '
            "the check cannot be kept to HTTPS on the same host. Measured on nginx 1.22: 403 on HTTP with the "
            "check, the location's answer without it.",
            fix="",  # serve plain HTTP under another host name, or over HTTPS: the user's to choose
            ingress=first,
            evidence=(f"{PREFIX}auth-tls-match-cn: {clipped(gate)}",)
            + tuple(f"{i.ref}: plain HTTP not redirected to HTTPS" for i in served_http),
        )
    ]


def cn_gate_redirect(host: str, redirected: list[IngressObj], gate: str) -> list[Finding]:
    """nginx.tmpl define "SERVER" (v1.15.1): the port 80 listener (buildHTTPListener) and the match-CN
    `if ( $ssl_client_s_dn !~ ... ) { return 403 ...; }` sit at server level, so the `return` runs in
    nginx's server rewrite phase; the HTTPS redirect comes later, from the location's
    `rewrite_by_lua_file ngx_rewrite.lua` (lua_ingress.lua rewrite → redirect_to_https, ngx.redirect with
    http-redirect-code, 308 by default). Over plain HTTP $ssl_client_s_dn is empty: http://host/ answers
    403 "client certificate unauthorized" instead of the redirect. Nothing was served over HTTP anyway;
    what breaks is the way in for a client that starts at http:// (a typed name, an old link, curl -L),
    and the 403's words read as if its certificate's subject were refused."""
    first = redirected[0]
    return [
        ingress_finding(
            code="match-cn-refuses-https-redirect",
            severity=Severity.INFO,  # every match-CN host with a redirect has it, and no annotation changes it
            title=f"http://{host}/ answers 403 instead of redirecting to HTTPS: auth-tls-match-cn runs before "
            "ingress-nginx's redirect",
            detail="The match-CN check sits in the server block, which also listens on port 80, and runs in "
            "nginx's server rewrite phase; ingress-nginx redirects HTTP to HTTPS later, in the location "
            "(lua_ingress.lua redirect_to_https). A plain HTTP request has no certificate, its subject is empty, "
            f'and it gets 403 "{CN_REFUSED}" where it would have got 308 to https://{host}/: a browser or '
            "`curl -L` starting at http:// never reaches the certificate check, and the answer looks like a "
            "refused subject. The check cannot be kept to HTTPS on the same host; start clients at https:// "
            "(HSTS, on by default, keeps browsers there once they have been). Measured on nginx 1.22: 403 with "
            "the check, 308 without it.",
            fix="",  # nothing in the Ingress moves the check after the redirect: the user's to choose
            ingress=first,
            evidence=(f"{PREFIX}auth-tls-match-cn: {clipped(gate)}",)
            + tuple(f"{i.ref}: plain HTTP redirected to HTTPS in the location" for i in redirected),
        )
    ]


def acme_refused(host: str, ingresses: list[IngressObj], gate: str) -> list[Finding]:
    """The match-CN check is rendered at server level, so it runs on plain HTTP too, where no request
    carries a certificate; ingress-nginx leaves ACME_PATH out of its HTTPS redirect
    (config.go NoTLSRedirectLocations) because the HTTP-01 challenge must be answered over HTTP: it
    gets 403, and the certificate is never issued or renewed (kubernetes/ingress-nginx issues 10185,
    9250; the template fix, PR 11062, was reverted in 11082). A solver path for the host is
    certain; a cert-manager issuer annotation says a challenge may come."""
    solver = next((i for i in ingresses for p in i.paths if p.host == host and p.path.startswith(ACME_PATH)), None)
    issuer = next((i for i in ingresses if any(i.annotation(k) for k in CERT_MANAGER_ISSUERS)), None)
    subject = solver or issuer
    if subject is None:
        return []
    return [
        ingress_finding(
            code="match-cn-refuses-acme",
            severity=Severity.ERROR if solver else Severity.WARNING,
            title=f"ACME HTTP-01 challenges for {host} get 403: auth-tls-match-cn runs on plain HTTP too"
            + (f" ({solver.ref} serves {ACME_PATH})" if solver else " (cert-manager issues its certificate)"),
            detail="nginx.tmpl renders `if ( $ssl_client_s_dn !~ MATCH_CN ) { return 403; }` in the server, for its "
            "port 80 as well, where no request has a certificate; the controller does not redirect "
            f"{ACME_PATH} to HTTPS (no-tls-redirect-locations), so the CA's challenge request is refused and the "
            "certificate is not issued or renewed. Measured on nginx 1.22: 403 on HTTP with the check, 200 without. "
            "Use a DNS-01 solver, or move the check into the application (ssl-client-subject-dn header).",
            fix="",  # removing the check would admit every certificate of the CA: the choice is the user's
            ingress=subject,
            evidence=(f"{PREFIX}auth-tls-match-cn: {clipped(gate)}",)
            + (
                (f"{solver.ref}: path {ACME_PATH}…",) if solver else (f"{subject.ref}: cert-manager issuer annotation",)
            ),
        )
    ]
