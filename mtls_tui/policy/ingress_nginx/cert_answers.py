"""What nginx answers a client certificate that fails verification on this host: not always
400 'The SSL certificate error'. The certificate findings are written for that 400; the host's
mode and error page change the answer, and the words follow it.
"""

from __future__ import annotations

from dataclasses import replace

from mtls_tui.model import ChainVerdict, Finding, MtlsPolicy
from mtls_tui.policy.nginx_answers import CERT_ERROR, NO_CERT, NO_CERT_LOGGED, OPTIONAL_NO_CA_ERRORS

REFUSED = f"400 '{CERT_ERROR}'"
UNSENT = f"400 '{NO_CERT}'"  # what a certificate the client cannot send gets (certs/verify.py TLS13_EC_CURVES)
NGINX_LOGGED = "nginx: client SSL certificate verify error"


def refused_answer(page: str | None, refused: str) -> str:
    """What nginx answers a request its client check refuses (495, 496) instead of `refused` (its 400),
    given the auth-tls-error-page: nginx.tmpl `define "SERVER"` renders `error_page 495 496 = <page>;`
    (controller-v1.15.1) and ngx_http_send_error_page reads the page. A path is an internal redirect:
    the request (as GET) goes to the location that serves the path on this server, and that location's
    answer is the answer, the certificate check not made again; a named location must exist, and
    ingress-nginx's server defines none but custom-http-errors' `@custom_…` (nginx logs 'could not
    find named location' and answers 500); anything else is a 302 to it. Measured on nginx 1.22:
    tests/test_field_reports_nginx_5.py and tests/test_gateway_conformance.py."""
    if not page:
        return refused
    if page.startswith("/"):
        return f"what {page} on this host answers (nginx passes the request there, unchecked)"
    if page.startswith("@custom_"):  # nginx.tmpl define "CUSTOM_ERRORS", for custom-http-errors
        return f"what the custom-http-errors location {page} answers"
    if page.startswith("@"):
        return f"500 (no location {page} in ingress-nginx's server unless a server-snippet writes one)"
    return f"a 302 to the auth-tls-error-page {page}"


def host_answer(findings: list[Finding], policy: MtlsPolicy, verdict: ChainVerdict, leaf: str) -> list[Finding]:
    """The findings on the client certificate `leaf`, told with the answer nginx gives it on this host."""
    if (
        policy.verify_client == "optional_no_ca"
        and not verdict.accepted
        and verdict.error_code in OPTIONAL_NO_CA_ERRORS
    ):
        return [_let_through(f, verdict, leaf) if f.code == "client-cert-untrusted" else f for f in findings]
    if verdict.unsigned_key is not None and policy.verify_client != "on":
        return [_unsent_let_through(f, policy) for f in findings]
    return _error_page_answer(findings, policy)


def _unsent_let_through(finding: Finding, policy: MtlsPolicy) -> Finding:
    """nginx refuses a request without a client certificate only with `ssl_verify_client on`
    (ngx_http_request.c ngx_http_process_request: NGX_HTTPS_NO_CERT when sscf->verify == 1; the
    lab's built-in nginx the same, builtin_nginx._certificate_refusal): with optional or
    optional_no_ca the client that sends none reaches the upstream, $ssl_client_verify NONE, and
    nginx logs nothing (measured: tests/test_nginx_verdict_faults.py)."""
    if UNSENT not in finding.detail:
        return finding
    let_through = (
        f"with auth-tls-verify-client {policy.verify_client} nginx lets the request reach the upstream "
        "with ssl-client-verify: NONE, as from a client without a certificate"
    )
    return replace(
        finding,
        detail=finding.detail.replace(f"nginx answers {UNSENT}", let_through),
        evidence=tuple(e for e in finding.evidence if not e.startswith(f"nginx: {NO_CERT_LOGGED}")),
    )


def _let_through(finding: Finding, verdict: ChainVerdict, leaf: str) -> Finding:
    """`ssl_verify_client optional_no_ca` (nginx.tmpl, controller-v1.15.1, from auth-tls-verify-client):
    ngx_http_process_request refuses a failed verification unless the mode is optional_no_ca and the
    error is one ngx_ssl_verify_error_optional lists (an issuer nginx cannot find); then the request
    reaches the upstream with ssl-client-verify FAILED:<reason>, and nginx logs nothing. Measured:
    tests/test_field_reports_nginx_4.py, #2922 (200, FAILED:unable to verify the first certificate)."""
    header = f"ssl-client-verify: FAILED:{verdict.reason}"
    return replace(
        finding,
        title=f"nginx lets {leaf} through unverified: {verdict.reason}",
        detail=finding.detail.replace(
            f"nginx answers {REFUSED}",
            "With auth-tls-verify-client optional_no_ca nginx does not refuse it: the request reaches the upstream "
            f"with {header}, and only the upstream can refuse it",
        ),
        evidence=tuple(e for e in finding.evidence if not e.startswith(NGINX_LOGGED)) + (f"upstream header {header}",),
    )


def _error_page_answer(findings: list[Finding], policy: MtlsPolicy) -> list[Finding]:
    """With auth-tls-error-page the refusal is `refused_answer`'s. Measured:
    tests/test_field_reports_nginx_4.py, #5110 (302 to the page, nginx logging the verify error)."""
    page = policy.error_page or ""
    if not page:
        return findings
    answer = refused_answer(page, REFUSED)
    return [
        replace(
            f,
            title=f.title.replace(REFUSED, answer).replace(UNSENT, answer),
            detail=f.detail.replace(REFUSED, answer).replace(UNSENT, answer),
        )
        if any(refused in f.title or refused in f.detail for refused in (REFUSED, UNSENT))
        else f
        for f in findings
    ]
