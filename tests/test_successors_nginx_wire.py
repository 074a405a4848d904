"""F5 NGINX Ingress Controller's data plane for real: two F5 manifests, rendered as the server
block F5's template renders for the reader's ClientValidation (mtls_tui/lab/nginx_successors.py), served by the real Debian nginx
(conftest's `nginx_binary`: in CI a missing nginx fails instead of skipping), answer each client
exactly as `predict` says.

What F5 renders (nginx/kubernetes-ingress 0eb3072d internal/configs/version2/nginx.virtualserver.tmpl,
policy.go addIngressMTLSConfig; the same directives measure/run_nginx.sh measured): a valid
ingressMTLS policy -> `ssl_client_certificate <ca>; ssl_verify_client <verifyClient>;
ssl_verify_depth <verifyDepth>;` at server level; an invalid policy -> `return 500;` and no
ssl_verify_client (generatePolicies, ErrorReturn{Code: 500}). Clients are tests/data/successors/pki/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_probe_envoy_alerts import probe_port
from test_successors_f5_nginx import F5_CLASS, FOLDER
from test_successors_go_wire import CLIENT_FILES, PKI
from test_successors_traefik import load_manifest, only

from mtls_tui.diagnose.successors import observed_answer
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.nginx_successors import f5_server_block
from mtls_tui.lab.pki import write_file
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import CLIENT_KINDS, predict

SERVER = (PKI.path("server", "crt"), PKI.path("server", "key"))


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
@pytest.mark.parametrize("name", ["healthy-virtualserver.yaml", "ca-secret-wrong-type.yaml"])
def test_nginx_answers_as_predicted(name: str, tls: str, nginx_binary: str, tmp_path: Path) -> None:
    """Source: nginx/kubernetes-ingress 0eb3072d internal/configs/policy.go addIngressMTLSConfig,
    generatePolicies; version2/nginx.virtualserver.tmpl."""
    validation = only(client_validations(load_manifest(FOLDER / name, F5_CLASS)))
    ca = None
    if validation.ca_pem is not None:
        ca = tmp_path / "client-ca.crt"
        write_file(ca, validation.ca_pem)
    port = free_port()
    with Nginx(lambda prefix: f5_server_block(validation, port, *SERVER, ca, tls), [port], binary=nginx_binary):
        for kind in CLIENT_KINDS:
            results, _ = probe_port(port, PKI, "meow.com", CLIENT_FILES[kind])
            result = results[-1]
            assert result.tls_version == f"TLSv{tls}", result.failure
            assert observed_answer(result) == predict(validation, kind, tls), (kind, result.status, result.failure)  # type: ignore[arg-type]
