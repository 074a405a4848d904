"""What nginx answers a client certificate that fails verification on this host: not always
400 'The SSL certificate error'. The certificate findings are written for that 400; the host's
mode and error page change the answer, and the words follow it.
"""

from __future__ import annotations

from dataclasses import replace

from mtls_tui.model import ChainVerdict, Finding, MtlsPolicy
from mtls_tui.policy.nginx_answers import CERT_ERROR, OPTIONAL_NO_CA_ERRORS

REFUSED = f"400 '{CERT_ERROR}'"
NGINX_LOGGED = "nginx: client SSL certificate verify error"


def refused_answer(page: str | None, refused: str) -> str:
    """What nginx answers a request its client check refuses (495, 496) instead of `refused` (its 400),
    given the auth-tls-error-page: nginx.tmpl `define "SERVER"` renders `error_page 495 496 = <page>;`
    (controller-v1.15.1) and ngx_http_send_error_page reads the page. A path is an internal redirect:
    the request (as GET) goes to the location that serves the path on this server, and that location's
    answer is the answer, the certificate check not made again; a named location must exist, and
    ingress-nginx's server defines none but custom-http-errors' `@custom_…` (nginx logs 'could not
    find named location' and answers 500); anything else is a 302 to it. Measured on nginx 1.22: tests/test_field_reports_nginx_5.py."""
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
    return _error_page_answer(findings, policy)


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
        replace(f, title=f.title.replace(REFUSED, answer), detail=f.detail.replace(REFUSED, answer))
        if REFUSED in f.title or REFUSED in f.detail
        else f
        for f in findings
    ]
