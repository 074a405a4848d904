"""Real failure reports of client-certificate validation on ingress-nginx's successors.

Each test is one report: its URL and the cause the thread established are in the docstring; the
objects are written again with this project's test PKI (tests/upstream_objects.py) and run as a user
runs the tool, `mtls-tui check --manifests FILE --json --no-probe` (tests/test_successors_upstream.py
`check`), or read as a whole cluster where the report is about an object the cluster lacks. Every fix
the tool prints for them is run as printed with the real kubectl against the lab's API server.

Sources read (bare mirrors, `git show TAG:PATH`):
- envoyproxy/gateway v1.6.0, v1.6.1, v1.6.2 and v1.9.0: internal/gatewayapi/clienttrafficpolicy.go
  buildListenerTLSParameters ("failed to get crl from ref"); internal/provider/kubernetes/controller.go
  processCTPCrlRefs (commit fe57c708a3, #7829; first in v1.6.2 and v1.7.0).
- traefik/traefik v3.7.9: pkg/provider/kubernetes/crd/kubernetes.go buildTLSOptions (a TLSOption named
  `default` is registered as `default`), resolveReference (allowCrossNamespace); pkg/tls/tlsmanager.go
  Manager.Get ("unknown TLS options").
"""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mtls_tui.certs.issue import Issued, issue_crl
from mtls_tui.lab.cluster.resources import Resource
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation
from tests.test_crd_refusals import EXTRA, serve
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_successors_upstream import check, lead
from tests.upstream_objects import (
    EG_CLASS,
    PKI,
    client_traffic_policy,
    gateway,
    gateway_class,
    https,
    ingress_route,
    secret,
    server_secret,
    tls_option,
)

HOST = "meow.com"
REPORTS = (
    "https://github.com/envoyproxy/gateway/issues/7805",
    "https://github.com/authelia/chartrepo/issues/130",
    "https://github.com/traefik/traefik/issues/9390",
)


def deployment(name: str, namespace: str, labels: dict[str, str], image: str, args: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "selector": {"matchLabels": dict(labels)},
            "template": {
                "metadata": {"labels": dict(labels)},
                "spec": {"containers": [{"name": name, "image": image, "args": args}]},
            },
        },
    }


def run_check(docs: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`mtls-tui check --manifests FILE --json --no-probe` on the objects; the report of HOST:443."""
    path = tmp_path / "objects.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return check(path, capsys)[(HOST, 443)]


def in_cluster(docs: list[dict[str, Any]]) -> ClientValidation:
    (validation,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    return validation


def _pki(name: str) -> Issued:
    cert = x509.load_pem_x509_certificate((PKI / f"{name}.crt").read_bytes())
    key = serialization.load_pem_private_key((PKI / f"{name}.key").read_bytes(), None)
    return Issued(cert, key)  # type: ignore[arg-type]


CRL = issue_crl(_pki("ca"), [4242])  # a current CRL of the client CA, revoking no client of the tests


# --- envoyproxy/gateway#7805 ------------------------------------------------------------------------

EGNS = "myns"


def eg_7805(image: str | None, crl_secret: bool = True) -> list[dict[str, Any]]:
    """The report's objects: a ClientTrafficPolicy whose CA Secret and CRL Secret are in its namespace."""
    docs = [
        gateway_class("eg", EG_CLASS),
        server_secret("server", EGNS),
        gateway("envoy-gateway", EGNS, "eg", [https("https", 443, HOST)]),
        secret("envoy-gateway-mtls", EGNS, {"ca.crt": "ca"}),
        client_traffic_policy(
            "envoy-gateway-mtls",
            EGNS,
            "envoy-gateway",
            {
                "clientValidation": {
                    "caCertificateRefs": [{"group": "", "kind": "Secret", "name": "envoy-gateway-mtls"}],
                    "crl": {"refs": [{"group": "", "kind": "Secret", "name": "envoy-gateway-crl-mtls"}]},
                }
            },
        ),
    ]
    if crl_secret:
        crl = secret("envoy-gateway-crl-mtls", EGNS, {"ca.crl": None})
        crl["data"]["ca.crl"] = base64.b64encode(CRL).decode()
        docs.append(crl)
    if image is not None:
        labels = {"control-plane": "envoy-gateway"}
        docs.append(deployment("envoy-gateway", "envoy-gateway-system", labels, image, ["server"]))
    return docs


def test_eg_7805_v1_6_0_does_not_load_a_crl_secret_that_exists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/envoyproxy/gateway/issues/7805 — ClientTrafficPolicy Accepted=False Invalid,
    "TLS: failed to get crl from ref: secret myns/envoy-gateway-crl-mtls does not exist", although the
    Secret exists and the CA Secret beside it is read, on Envoy Gateway v1.6.0. Cause (the fix that closed
    it, #7829): the provider never loaded an object named only by crl.refs (controller.go
    processCTPCrlRefs is new in v1.6.2 and v1.7.0). The invalid policy makes every route answer 500.
    Before: the tool read the CRL from the files and predicted `require-and-verify`, nothing wrong."""
    host = run_check(eg_7805("docker.io/envoyproxy/gateway:v1.6.0"), tmp_path, capsys)
    assert (host["state"], host["breakage"]) == ("broken", "http-500")
    first = lead(host)
    assert first is not None and first["code"] == "crl-ref-not-loaded", host["findings"]
    assert "failed to get crl from ref" in first["detail"] and "v1.6.2" in first["detail"]
    assert host["predicted"]["trusted"] == "HTTP 500"
    # the printed command shows the controller's image, as printed, against the lab's API server
    done, _ = read_back_as_printed(first["fix"], eg_7805("docker.io/envoyproxy/gateway:v1.6.0"), tmp_path)
    assert done.returncode == 0 and "envoyproxy/gateway:v1.6.0" in done.stdout, done.stderr
    # the report's way out: v1.6.2 loads it, and the same objects require and verify
    fixed = run_check(eg_7805("docker.io/envoyproxy/gateway:v1.6.2"), tmp_path, capsys)
    assert (fixed["mode"], fixed["breakage"], fixed["crl"]) == ("require-and-verify", None, True)
    assert all(f["code"] != "crl-ref-not-loaded" for f in fixed["findings"])


def test_eg_7805_a_crl_secret_not_among_the_files_is_said_unchecked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/envoyproxy/gateway/issues/7805 — what the controller could not read decided the
    verdict. With the CRL Secret not among the files (and no controller seen) the tool cannot know it is
    loaded: it must not say `works`, and must name the CRL Secret it did not read. Before: it said
    nothing about the CRL reference at all (no finding, nothing unseen)."""
    host = run_check(eg_7805(None, crl_secret=False), tmp_path, capsys)
    assert host["state"] == "unverified" and host["breakage"] is None
    first = lead(host)
    assert first is not None and first["code"] == "secret-not-in-manifests", host["findings"]
    assert "CRL Secret myns/envoy-gateway-crl-mtls" in first["title"]
    assert "HTTP 500" in first["detail"]


def test_eg_7805_a_missing_crl_secret_is_named_a_crl_and_the_fix_writes_one(tmp_path: Path) -> None:
    """https://github.com/envoyproxy/gateway/issues/7805 — the cluster really lacks the CRL Secret: the
    controller says "failed to get crl from ref: secret NS/NAME does not exist" and every route answers
    500. Before: the tool called it a missing *CA* ("failed to get certificate from ref") and its fix wrote
    the CA certificate under ca.crl (`--from-file=ca.crl=ca.crt`), which Envoy Gateway refuses as a CRL."""
    docs = eg_7805(None, crl_secret=False)
    validation = in_cluster(docs)
    assert validation.breakage == "http-500"
    missing = next(f for f in validation.findings if f.code == "ca-ref-not-found")
    assert missing.title.startswith("CRL Secret myns/envoy-gateway-crl-mtls")
    assert any(
        "failed to get crl from ref: secret myns/envoy-gateway-crl-mtls does not exist" in e for e in missing.evidence
    )
    assert "ca.crl=ca.crl" in missing.fix
    (tmp_path / "ca.crl").write_bytes(CRL)
    done, snapshot = read_back_as_printed(missing.fix, docs, tmp_path)
    assert done.returncode == 0, f"{missing.fix}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage, fixed.crl) == ("require-and-verify", None, True), fixed.findings


# --- authelia/chartrepo#130 (Traefik) -----------------------------------------------------------------

TRAEFIK_ARGS = ["--providers.kubernetescrd", "--providers.kubernetescrd.allowCrossNamespace=true"]


def authelia_130(args: list[str]) -> list[dict[str, Any]]:
    """TLSOption `default` in namespace network (client CA in tls.ca), an IngressRoute in authelia that names
    it as {name: default, namespace: network}, and the Traefik v3.7.9 Deployment with `args`."""
    return [
        deployment("traefik", "traefik", {"app.kubernetes.io/name": "traefik"}, "traefik:v3.7.9", args),
        secret("client-ca", "network", {"tls.ca": "ca"}),
        tls_option(
            "default",
            "network",
            {"clientAuth": {"secretNames": ["client-ca"], "clientAuthType": "RequireAndVerifyClientCert"}},
        ),
        server_secret("server", "authelia"),
        ingress_route("authelia", "authelia", HOST, options={"name": "default", "namespace": "network"}),
    ]


@pytest.fixture
def traefik_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab serves traefik.io TLSOptions and IngressRoutes, as a cluster with Traefik's CRDs."""
    serve(monkeypatch, EXTRA["traefik"])


def test_authelia_130_the_default_tls_option_is_not_ns_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], traefik_kinds: None
) -> None:
    """https://github.com/authelia/chartrepo/issues/130 — a TLSOption named `default` in namespace network,
    named from an IngressRoute as {name: default, namespace: network} with allowCrossNamespace on: Traefik
    says "unknown TLS options: network-default@kubernetescrd". Cause (the reporter's own finding, and
    kubernetes.go buildTLSOptions): a TLSOption named `default` is registered as the global `default`, so
    `network-default` does not exist; the default options already serve every router that names none.
    Before: the tool ignored the controller's allowCrossNamespace flag and said the route was refused for
    crossing namespaces (tls-option-not-permitted), which is not what the reporter's Traefik did."""
    host = run_check(authelia_130(TRAEFIK_ARGS), tmp_path, capsys)
    assert (host["state"], host["breakage"]) == ("broken", "connection-closed")
    first = lead(host)
    assert first is not None and first["code"] == "tls-option-unknown", host["findings"]
    assert (
        "network-default@kubernetescrd" in first["title"] and "registers it as the global `default`" in first["detail"]
    )
    done, snapshot = read_back_as_printed(first["fix"], authelia_130(TRAEFIK_ARGS), tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings


def test_authelia_130_without_the_flag_the_reference_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/authelia/chartrepo/issues/130 — the same objects on a Traefik started without
    allowCrossNamespace (its default): resolveReference refuses the reference and no router is built, which
    the tool already said; the flag read from the Deployment must not change that."""
    host = run_check(authelia_130(["--providers.kubernetescrd"]), tmp_path, capsys)
    assert (host["state"], host["breakage"]) == ("broken", "not-served")
    first = lead(host)
    assert first is not None and first["code"] == "tls-option-not-permitted"


# --- traefik/traefik#9390 ---------------------------------------------------------------------------

TRAEFIK_CLASS = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "IngressClass",
    "metadata": {"name": "traefik"},
    "spec": {"controller": "traefik.io/ingress-controller"},
}


def traefik_9390() -> list[dict[str, Any]]:
    """Traefik v2.8.7 (traefik.containo.us, the only group it reads), TLSOption `default` in namespace
    traefik, and an Ingress annotated router.tls.options: traefik-default@kubernetescrd."""
    option = tls_option(
        "default",
        "traefik",
        {"clientAuth": {"secretNames": ["client-ca"], "clientAuthType": "RequireAndVerifyClientCert"}},
    )
    option["apiVersion"] = "traefik.containo.us/v1alpha1"
    annotations = {
        "traefik.ingress.kubernetes.io/router.entrypoints": "websecure,web",
        "traefik.ingress.kubernetes.io/router.tls.options": "traefik-default@kubernetescrd",
    }
    ingress = traefik_ingress(annotations)
    args = ["--providers.kubernetescrd", "--providers.kubernetesingress"]
    return [
        TRAEFIK_CLASS,
        deployment("traefik", "traefik", {"app.kubernetes.io/name": "traefik"}, "traefik:v2.8.7", args),
        secret("client-ca", "traefik", {"ca.crt": "ca"}),
        option,
        server_secret("server", "apps"),
        ingress,
    ]


def test_traefik_9390_an_ingress_cannot_name_default_by_its_namespace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """https://github.com/traefik/traefik/issues/9390 — TLSOption `default` in namespace traefik, an Ingress
    annotated `router.tls.options: traefik-default@kubernetescrd`, Traefik v2.8.7: endless "unknown TLS
    options: traefik-default@kubernetescrd". Cause (closed as a question; kubernetes.go buildTLSOptions):
    the option named `default` is registered as `default`, never as `<namespace>-default`. Before v2.9.6 an
    unknown option serves the host with the default options, which here are that very TLSOption: mTLS holds,
    the log is the symptom. Before: the tool said the option was not among the files (it was) and left the
    host unverified."""
    host = run_check(traefik_9390(), tmp_path, capsys)
    assert (host["state"], host["mode"], host["breakage"]) == ("broken", "require-and-verify", None)
    assert host["predicted"]["trusted"] == "HTTP 200" and host["predicted"]["none"].startswith("TLS alert")
    first = lead(host)
    assert first is not None and first["code"] == "tls-option-unknown", host["findings"]
    assert (
        "traefik-default@kubernetescrd" in first["title"] and "registers it as the global `default`" in first["detail"]
    )
    assert all(f["code"] != "tls-option-not-in-manifests" for f in host["findings"])
    serve(monkeypatch, (Resource("TLSOption", "tlsoptions", "traefik.containo.us", "v1alpha1", True),))
    done, snapshot = read_back_as_printed(first["fix"], traefik_9390(), tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings
    assert all(f.code != "tls-option-unknown" for f in fixed.findings)


def test_every_report_is_cited() -> None:
    text = Path(__file__).read_text()
    assert all(text.count(url) >= 2 for url in REPORTS)
    assert shutil.which("kubectl") is not None


def traefik_ingress(annotations: dict[str, str]) -> dict[str, Any]:
    """Ingress apps/app of class traefik for HOST, TLS from the Secret `server`, with `annotations`."""
    backend = {"service": {"name": "app", "port": {"number": 80}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "app", "namespace": "apps", "annotations": annotations},
        "spec": {
            "ingressClassName": "traefik",
            "tls": [{"hosts": [HOST], "secretName": "server"}],
            "rules": [{"host": HOST, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}],
        },
    }
