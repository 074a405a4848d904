"""The nginx directives ingress-nginx renders for a host's mTLS policy.

Shown to users in the TUI ("what the controller writes") and used by the lab's
gateway to run the same configuration on a real nginx. See DESIGN.md for the
template facts (ingress-nginx v1.15.1).
"""

from __future__ import annotations

from mtls_tui.model import MtlsPolicy
from mtls_tui.policy.nginx_answers import CN_REFUSED, NGX_HTTPS_CERT_ERROR, NGX_HTTPS_NO_CERT

UPSTREAM_HEADERS = (
    ("ssl-client-verify", "$ssl_client_verify"),
    ("ssl-client-subject-dn", "$ssl_client_s_dn"),
    ("ssl-client-issuer-dn", "$ssl_client_i_dn"),
)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def server_directives(policy: MtlsPolicy, ca_path: str, crl_path: str | None = None) -> list[str]:
    """Directives in the host's `server {}` block; none when the host asks no certificate."""
    if not policy.mtls:
        return []
    lines = [
        f"ssl_client_certificate {ca_path};",
        f"ssl_verify_client {policy.verify_client};",
        f"ssl_verify_depth {policy.verify_depth};",
    ]
    if crl_path:
        lines.append(f"ssl_crl {crl_path};")
    if policy.error_page:
        lines.append(f"error_page {NGX_HTTPS_CERT_ERROR} {NGX_HTTPS_NO_CERT} = {policy.error_page};")
    if policy.match_cn:
        lines += match_cn_directives(policy.match_cn)
    return lines


def match_cn_directives(match_cn: str) -> list[str]:
    """nginx.tmpl `define "SERVER"`: rendered whenever the server's CertificateAuth has a MatchCN,
    with or without a CA file, before the AuthTLSError check and the client-certificate directives."""
    return [f"if ( $ssl_client_s_dn !~ {_quote(match_cn)} ) {{", f'    return 403 "{CN_REFUSED}";', "}"]


def location_directives(policy: MtlsPolicy) -> list[str]:
    """The request headers every location forwards to the upstream."""
    if not policy.mtls:
        return []
    lines = [f"proxy_set_header {name} {value};" for name, value in UPSTREAM_HEADERS]
    if policy.pass_certificate:
        lines.append("proxy_set_header ssl-client-cert $ssl_client_escaped_cert;")
    return lines
