"""What nginx answers when it refuses a request: statuses, reason phrases and its own pages.

nginx refuses a client certificate after the handshake, with an HTTP answer, so these
texts are the evidence the probe classifies, the built-in gateway writes, the log rules
name and the tests expect. They live here once, as nginx 1.22.1 (Debian bookworm, the
release DESIGN.md measured) writes them, captured from the nginx gateway.
"""

from __future__ import annotations

from http import HTTPStatus

from mtls_tui.certs import openssl_binding as ob

SERVER = "nginx/1.22.1"

# nginx-internal statuses (ngx_http_request.h): never sent as such. Each is answered as 400 with
# its own line on the error page, or sent to `error_page 495 496 = …` (auth-tls-error-page).
NGX_HTTPS_CERT_ERROR = 495  # the client certificate did not verify
NGX_HTTPS_NO_CERT = 496  # ssl_verify_client on, and no client certificate
CERT_ERROR = "The SSL certificate error"  # 495's line
NO_CERT = "No required SSL certificate was sent"  # 496's line
NO_CERT_LOGGED = "client sent no required SSL certificate"  # what nginx logs (info) with 496
PLAIN_HTTP = "The plain HTTP request was sent to HTTPS port"  # 497's line: plain HTTP to an HTTPS port

# nginx.tmpl's match-CN check: `return 403 "client certificate unauthorized";` (a text body, no page).
CN_REFUSED = "client certificate unauthorized"

REASONS = {  # nginx's status lines, where not HTTPStatus's
    302: "Moved Temporarily",
    413: "Request Entity Too Large",
    503: "Service Temporarily Unavailable",
}
PAGE_TITLES = {302: "Found"}  # nginx's 302 page says "Found" although its status line does not


def reason(status: int) -> str:
    """The reason phrase of nginx's status line."""
    if status in REASONS:
        return REASONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def page(status: int, detail: str | None = None) -> bytes:
    """nginx's built-in error page; `detail` is the line nginx adds for 495, 496 and 497
    (CERT_ERROR, NO_CERT, PLAIN_HTTP), which also becomes the page's title."""
    heading = f"{status} {PAGE_TITLES.get(status, reason(status))}"
    lines = [
        "<html>",
        f"<head><title>{f'{status} {detail}' if detail else heading}</title></head>",
        "<body>",
        f"<center><h1>{heading}</h1></center>",
    ]
    if detail:
        lines.append(f"<center>{detail}</center>")
    lines += [f"<hr><center>{SERVER}</center>", "</body>", "</html>", ""]
    return "\r\n".join(lines).encode()


# X509_V_ERR_* that `ssl_verify_client optional_no_ca` lets through (ngx_event_openssl.c
# ngx_ssl_verify_error_optional): the request goes on, ssl-client-verify FAILED:<reason>.
OPTIONAL_NO_CA_ERRORS = frozenset(
    {
        ob.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
        ob.X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
        ob.X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
        ob.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
        ob.X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    }
)
