"""nginx as ingress-nginx's nginx-based successors configure it for client certificates: the
server block F5 NGINX Ingress Controller renders for a Policy `ingressMTLS`, and the one NGINX
Gateway Fabric renders for Gateway API frontend validation.

Both are nginx, like ingress-nginx, yet a client sees different answers: F5 keeps nginx's HTTP
400 (and carries `verifyDepth`), NGINX Gateway Fabric fixes depth 4 and closes the connection
(`return 444`) where nginx would answer 400. Rendering them from the same `ClientValidation` the
readers produce lets `migrate --verify` run the real nginx with what each controller would write.

Sources: nginx/kubernetes-ingress 0eb3072d internal/configs/policy.go addIngressMTLSConfig,
generatePolicies (an invalid policy: `return 500;`), version2/nginx.virtualserver.tmpl;
nginx/nginx-gateway-fabric v2.6.0 internal/controller/nginx/config/servers_template.go
(docs/successors.md G16); v2.6.7 internal/controller/state/dataplane/configuration.go buildServers (no
server for an invalid listener; G19).
"""

from __future__ import annotations

from pathlib import Path

from mtls_tui.policy.successors.common import ClientValidation

# ssl_verify_client for each mode F5's verifyClient can say (policy.go addIngressMTLSConfig).
F5_VERIFY_CLIENT = {"require-and-verify": "on", "verify-if-given": "optional", "request": "optional_no_ca"}
NGF_DEPTH = 4  # servers_template.go: fixed, whatever the client chains need
NGINX_PROTOCOLS = {"1.2": "TLSv1.2", "1.3": "TLSv1.3", None: "TLSv1.2 TLSv1.3"}
NGINX_IMPLEMENTATIONS = ("f5-nginx", "nginx-gateway-fabric")
# F5's http-level default (internal/configs/config_params.go NewDefaultConfigParams
# MainServerNamesHashBucketSize "256"): nginx's own 64 refuses to start on a long host name
F5_HTTP_SETTINGS = "server_names_hash_bucket_size 256;"


def _head(validation: ClientValidation, port: int, cert: Path | str, key: Path | str, tls: str | None) -> list[str]:
    return [
        f"listen 127.0.0.1:{port} ssl;",
        f"server_name {validation.host};",
        f"ssl_certificate {cert};",
        f"ssl_certificate_key {key};",
        f"ssl_protocols {NGINX_PROTOCOLS[tls]};",
    ]


def _server(lines: list[str]) -> str:
    lines = [*lines, 'location / { return 200 "ok $ssl_client_verify\\n"; }']
    return "server {\n  " + "\n  ".join(lines) + "\n}"


def f5_server_block(
    validation: ClientValidation,
    port: int,
    cert: Path | str,
    key: Path | str,
    ca: Path | None,
    tls: str | None = None,
    crl: Path | None = None,
) -> str:
    """The server F5 renders for one host (nginx.virtualserver.tmpl) on 127.0.0.1:`port`; `ca`
    is the client CA file (None: the policy names none usable), `crl` the Secret's ca.crl written
    out (policy.go addIngressMTLSConfig: ClientCrl → `ssl_crl`); `tls` "1.2"/"1.3" pins the version."""
    lines = _head(validation, port, cert, key, tls)
    if validation.breakage == "http-500":
        lines.append("return 500;")
    elif ca is not None and validation.mode in F5_VERIFY_CLIENT:
        lines += [
            f"ssl_client_certificate {ca};",
            *([f"ssl_crl {crl};"] if crl is not None else []),
            f"ssl_verify_client {F5_VERIFY_CLIENT[validation.mode]};",
            f"ssl_verify_depth {validation.verify_depth if validation.verify_depth is not None else 1};",
        ]
    return _server(lines)


def ngf_server_block(
    validation: ClientValidation, port: int, cert: Path | str, key: Path | str, ca: Path | None, tls: str | None = None
) -> str:
    """The server NGINX Gateway Fabric renders for one listener host (servers_template.go):
    AllowValidOnly → verify on, depth 4, and 495/496 turned into `return 444` (no response);
    AllowInsecureFallback → `optional_no_ca` and no CA. A refused listener gets no server at all
    (dataplane/configuration.go buildServers), and a configuration nginx refuses is not applied:
    neither has a block (`ngf_renders`)."""
    if not ngf_renders(validation):
        raise ValueError(f"NGINX Gateway Fabric renders no server for {validation.host} ({validation.breakage})")
    lines = _head(validation, port, cert, key, tls)
    if validation.mode == "require-and-verify" and ca is not None:
        lines += [
            f"ssl_client_certificate {ca};",
            "ssl_verify_client on;",
            f"ssl_verify_depth {NGF_DEPTH};",
            "error_page 495 496 = @frontend_tls_verify_failed;",
            "location @frontend_tls_verify_failed { return 444; }",
        ]
    elif validation.mode in ("request", "verify-if-given", "require-any"):
        lines.append("ssl_verify_client optional_no_ca;")
    return _server(lines)


def ngf_renders(validation: ClientValidation) -> bool:
    """NGINX Gateway Fabric has a server block for the host: not for a refused listener (no server,
    nothing listens on its port: gateway_api.py _ngf_refused_answer), nor where nginx refuses the
    configuration (config-rejected: the previous one runs)."""
    return validation.breakage not in ("listener-refused", "config-rejected")


def successor_server_block(
    validation: ClientValidation,
    port: int,
    cert: Path | str,
    key: Path | str,
    ca: Path | None,
    tls: str | None = None,
    crl: Path | None = None,
) -> str:
    """The server block of whichever nginx-based successor `validation` names (NGINX Gateway
    Fabric loads no CRL: the Gateway API has none)."""
    if validation.implementation == "nginx-gateway-fabric":
        return ngf_server_block(validation, port, cert, key, ca, tls)
    return f5_server_block(validation, port, cert, key, ca, tls, crl)
