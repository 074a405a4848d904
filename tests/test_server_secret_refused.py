"""The server's own Secret (tls.crt and tls.key) refused by F5 NGINX Ingress Controller v5.5.4 and NGINX
Gateway Fabric v2.6.7, and what the client then gets.

F5: internal/k8s/secrets/validation.go ValidateTLSSecret (type kubernetes.io/tls, then tls.X509KeyPair);
internal/configs/ingress.go addSSLConfig and virtualserver.go generateSSLConfig warn "TLS secret NAME is
invalid: ..." and render the host's server with `ssl_reject_handshake on`. NGF: resolver/secrets.go
secretEntry.validate (graph/shared/secrets/secrets.go ValidateTLS, then ValidateCA on a ca.crt it holds);
graph/gateway_listener.go makes a listener whose every certificateRef is refused invalid
(NewListenerAllInvalidCertificateRefs: Accepted=False, ResolvedRefs=False InvalidCertificateRef,
Programmed=False) and dataplane/configuration.go builds no server for it; the port's default ssl server
(servers_template.go `ssl_reject_handshake on`) is there only when another listener of the port is.
Go's words are measured by tests/data/go/ca_check.go; the answers on the Debian nginx, with each
controller's server blocks reduced to what decides the handshake. No key byte is shown anywhere.
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import pytest

from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import SecretObj
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, WireAnswer, predict
from mtls_tui.policy.successors.f5_nginx import tls_secret_refusal
from mtls_tui.policy.successors.ngf_server_secret import ngf_secret_problem
from tests.test_policy_fixes_run import read_back_as_printed, run_as_printed
from tests.test_secret_encodings import _same, go_check, keypairs
from tests.test_successors_envoy_wire import probe_files
from tests.upstream_objects import (
    F5_INGRESS_CLASS,
    PKI,
    configmap,
    f5_policy,
    gateway,
    gateway_class,
    https,
    meta,
    secret,
    server_secret,
    validation,
    virtual_server,
)

NS = "meow"
NGF = "gateway.nginx.org/nginx-gateway-controller"
BOM_CRT = b"\xef\xbb\xbf" + (PKI / "server.crt").read_bytes()  # Go's pem.Decode finds no block: refused


def tls_secret(name: str, cert: bytes) -> dict[str, Any]:
    data = {"tls.crt": cert, "tls.key": (PKI / "server.key").read_bytes()}
    body = {k: base64.b64encode(v).decode() for k, v in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta(name, NS), "type": "kubernetes.io/tls", "data": body}


def read(docs: list[dict[str, Any]], host: str = "meow.com") -> ClientValidation:
    found = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    return next(v for v in found if v.host == host)


def no_key_shown(validation: ClientValidation) -> None:
    body = b"".join((PKI / "server.key").read_bytes().splitlines()[1:-1]).decode()
    for f in validation.findings:
        shown = " ".join((f.title, f.detail, f.fix, *f.evidence))
        assert "PRIVATE KEY-----" not in shown and not any(body[i : i + 16] in shown for i in range(0, len(body), 16))


def test_the_words_are_gos(pki: SeedPki, tmp_path: Path) -> None:
    """X509KeyPair run by Go on each (tls.crt, tls.key) of tests/test_secret_encodings.py keypairs (a BOM,
    a fold, literal \\n, an indent, base64, swapped, mismatched, encrypted keys...): F5's and NGF's errors
    wrap Go's words exactly; a ca.crt NGF refuses (ValidateCA) refuses the TLS Secret too."""
    cases = keypairs(pki)
    go = go_check([list(pair) for pair in cases.values()], tmp_path)
    wrong = {}
    for (name, (cert, key)), answer in zip(cases.items(), go, strict=True):
        stored = SecretObj(NS, "s", "kubernetes.io/tls", (("tls.crt", cert), ("tls.key", key)))
        theirs = answer.get("keypair", "")
        for mine, prefix in (
            (ngf_secret_problem(stored), "tls secret is invalid: "),
            (tls_secret_refusal(stored), "is invalid: failed to validate TLS cert and key: "),
        ):
            if not _same(None if mine is None else mine.removeprefix(prefix), theirs) or (
                mine is not None and not mine.startswith(prefix)
            ):
                wrong[name] = (mine, theirs)
    assert not wrong, wrong
    good = (("tls.crt", pki.server.cert_pem()), ("tls.key", pki.server.key_pem()))
    assert ngf_secret_problem(SecretObj(NS, "s", "kubernetes.io/tls", (*good, ("ca.crt", b"\xef\xbb\xbf"))))
    assert tls_secret_refusal(SecretObj(NS, "s", "Opaque", good)) == (
        "is of a wrong type 'Opaque', must be 'kubernetes.io/tls'"
    )


def nginx_answer(servers: str, port: int) -> str:
    """The real nginx's answer to the probe for meow.com (no client certificate)."""
    with Nginx(lambda prefix: servers, [port]):
        return probe_files(port, None)


def _server(port: int, name: str) -> str:
    cert, key = PKI / "server.crt", PKI / "server.key"
    return f"server {{ listen {port} ssl; server_name {name}; ssl_certificate {cert}; ssl_certificate_key {key}; return 200; }}\n"


def test_f5_rejects_the_handshake_for_the_host(tmp_path: Path) -> None:
    """A VirtualServer with an ingressMTLS Policy whose tls.secret holds a BOM'd tls.crt: the host's server
    gets ssl_reject_handshake on. Measured on nginx: TLS alert 112 for the name, before any client check.
    The tool predicts it, names the Secret (tls-secret-unusable, Go's words) and its fix writes a TLS
    Secret; a sound Secret leaves the host served."""
    mtls = {"ingressMTLS": {"clientCertSecret": "ca", "verifyClient": "on"}}
    docs = [
        F5_INGRESS_CLASS,
        secret("ca", NS, {"ca.crt": "ca"}, "nginx.org/ca"),
        f5_policy("mtls", NS, mtls),
        virtual_server("vs", NS, "meow.com", policies=("mtls",)),
    ]
    refused = read([*docs, tls_secret("tls-secret", BOM_CRT)])
    served = read([*docs, server_secret("tls-secret", NS)])
    assert served.breakage is None and served.mode == "require-and-verify"
    [finding] = [f for f in refused.findings if f.code == "tls-secret-unusable"]
    assert "failed to find any PEM data in certificate input" in finding.evidence[0]
    assert finding.fix.startswith("kubectl create secret tls tls-secret -n meow")
    no_key_shown(refused)
    port = free_port()
    own = f"server {{ listen {port} ssl; server_name meow.com; ssl_reject_handshake on; return 200; }}\n"
    measured = nginx_answer(_server(port, "other.com") + own, port)
    assert measured == str(predict(refused, "none")) == str(WireAnswer("tls-alert", alert=112))
    for name in ("server.crt", "server.key"):  # the user's keypair, where the fix reads it
        shutil.copy(PKI / name, tmp_path / name)
    # the lab's API server serves no F5 kinds: the fix, which writes only the Secret, runs against the Secret
    done, after = run_as_printed(finding.fix, [tls_secret("tls-secret", BOM_CRT)], tmp_path)
    assert done.returncode == 0, done.stderr
    [written] = [o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "tls-secret"]
    fixed = read([*docs, written])
    assert fixed.breakage is None and not [f for f in fixed.findings if f.code == "tls-secret-unusable"]


@pytest.mark.parametrize("neighbour", [True, False])
def test_ngf_listener_without_a_usable_certificate_gets_no_server(neighbour: bool, tmp_path: Path) -> None:
    """A Gateway listener for meow.com whose only certificateRef holds a BOM'd tls.crt: the listener is
    invalid and gets no server. Measured on nginx: with another HTTPS listener on the port, the default
    ssl server (ssl_reject_handshake on) answers the name with TLS alert 112; alone, nothing listens and
    the connection is refused. The tool predicts both and says why."""
    listeners = [https("bad", 443, "meow.com", cert="bad-cert")]
    if neighbour:
        listeners.append(https("good", 443, "other.com"))
    docs = [
        gateway_class("ngf", NGF),
        configmap("ca", NS, ca_crt="ca"),
        server_secret("server", NS),
        tls_secret("bad-cert", BOM_CRT),
        gateway("gw", NS, "ngf", listeners, default=validation({"group": "", "kind": "ConfigMap", "name": "ca"})),
    ]
    refused = read(docs)
    assert refused.breakage == "listener-refused"
    [finding] = [f for f in refused.findings if f.code == "tls-secret-unusable"]
    assert finding.evidence == (
        'tls.certificateRefs[0]: Invalid value: "meow/bad-cert": tls secret is invalid: '
        "tls: failed to find any PEM data in certificate input",
    )
    no_key_shown(refused)
    if neighbour:
        assert read(docs, "other.com").breakage is None
    port = free_port()
    default = f"server {{ listen {port} ssl default_server; ssl_reject_handshake on; }}\n"
    if not neighbour:  # no server: nothing listens on the port
        assert "connection refused" in probe_files(port, None)
        assert predict(refused, "none") == WireAnswer("refused")
        for name in ("server.crt", "server.key"):  # the fix, run as printed, serves the listener again
            shutil.copy(PKI / name, tmp_path / name)
        done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
        assert done.returncode == 0, done.stderr
        fixed = next(v for v in client_validations(snapshot) if v.host == "meow.com")
        assert fixed.breakage is None, fixed.findings
        return
    measured = nginx_answer(default + _server(port, "other.com"), port)
    assert measured == str(predict(refused, "none")) == "TLS alert 112"
