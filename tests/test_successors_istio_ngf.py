"""Istio and NGINX Gateway Fabric held to their own source, tests and real failure reports.

Each case is one set-up from a controller's own tests (or a failure report), with what that test
expects; the objects are written again with this project's test PKI (tests/upstream_objects.py):
facts are taken, no upstream file is copied. Each is run as a user runs the tool, `mtls-tui check
--manifests FILE --json --no-probe` (with `--cert FILE` for the clients the test sends), through
tests/test_successors_upstream.py's harness.

Repositories and tags (bare mirrors, `git show TAG:PATH`):
- IS   istio/istio 1.30.3: tests/integration/security/ingress_test.go (TestSingleMTLSGateway_*,
       TestSingleOptionalMTLSGateway, TestMultiMtlsGateway_InvalidSecret, TestMtlsGateway_CRL), with
       tests/integration/security/sds_ingress/util/util.go createSecret (which keys each Secret has:
       generic `cert`/`key`/`cacert`/`crl`, or `tls.crt`/`tls.key`/`ca.crt`/`ca.crl`, empty values
       included); pilot/pkg/credentials/kube/secrets.go ExtractRoot, GetCaCert; pilot/pkg/xds/sds.go
       SecretGen.generate, toEnvoyCaSecret.
- NGF  nginx/nginx-gateway-fabric v2.6.7: internal/controller/state/graph/gateway_listener.go
       createFrontendTLSCaCertReferenceResolver, validateFrontendTLS; internal/controller/state/resolver/
       {configmaps,secrets}.go; internal/controller/state/dataplane/configuration.go
       buildFrontendTLSCertBundles, addClientSettingsToSSLServers; internal/controller/nginx/config/
       servers_template.go; graph/shared/secrets/secrets.go ValidateCA.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from mtls_tui.certs.issue import Issued, issue_crl
from mtls_tui.diagnose.successors import observed_answer
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.nginx_successors import ngf_server_block
from mtls_tui.lab.pki import write_file
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, predict
from tests.test_crd_refusals import EXTRA, serve
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_probe_envoy_alerts import probe_port
from tests.test_successors_go_wire import CLIENT_FILES
from tests.test_successors_go_wire import PKI as WIRE_PKI
from tests.test_successors_upstream import (
    ALERT,
    CLIENT,
    CLOSED,
    ENFORCED,
    EVERYONE,
    OTHER_CLIENT,
    VERIFY_IF_GIVEN,
    Case,
    Cluster,
    Host,
    assert_case,
    check,
)
from tests.upstream_objects import (
    PKI,
    ca_ref,
    configmap,
    gateway,
    gateway_class,
    https,
    meta,
    reference_grant,
    secret,
    server_secret,
    validation,
)

IS = "istio/istio 1.30.3"
NGF = "nginx/nginx-gateway-fabric v2.6.7"
NGF_CLASS = "gateway.nginx.org/nginx-gateway-controller"
ISNS = "istio-system"
HOST = "meow.com"

NGF_ENFORCED = {"none": "connection closed", "trusted": "HTTP 200", "other-ca": "connection closed"}
# an invalid listener gets no nginx server, and with every HTTPS listener of its port invalid (they share
# the port's frontend entry) nothing listens there (dataplane/configuration.go buildServers)
NOT_LISTENING = dict.fromkeys(("none", "trusted", "other-ca"), "refused without an HTTP response")


# --- Istio's own Gateway ----------------------------------------------------------------------------


def istio_gateway(tls: dict[str, Any], namespace: str = ISNS) -> dict[str, Any]:
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "Gateway",
        "metadata": meta("mtls-gateway", namespace),
        "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [
                {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": [HOST], "tls": tls},
            ],
        },
    }


def mutual(credential: str, mode: str = "MUTUAL", **extra: Any) -> dict[str, Any]:
    return {"mode": mode, "credentialName": credential, **extra}


def generic(name: str, cacert: str | None, crl: bytes | None = None, pair: bool = True) -> dict[str, Any]:
    """util.go createSecret, generic (isCompoundAndNotGeneric false): keys cert, key, cacert and crl are
    always written, empty when the credential has none."""
    data: dict[str, Any] = {"cert": "server" if pair else None, "key": "server.key" if pair else None}
    return with_raw(secret(name, ISNS, {**data, "cacert": None, "crl": None}), cacert=cacert, crl=crl)


def compound(name: str, cacert: str | None, crl: str | None = None) -> dict[str, Any]:
    """util.go createSecret, compound: tls.crt, tls.key, ca.crt and ca.crl (empty when none)."""
    data: dict[str, Any] = {"tls.crt": "server", "tls.key": "server.key", "ca.crt": None, "ca.crl": None}
    doc = secret(name, ISNS, data)
    return with_raw(doc, **{"ca.crt": cacert, "ca.crl": crl})


def with_raw(doc: dict[str, Any], **values: str | bytes | None) -> dict[str, Any]:
    """Put a value under keys of a Secret: the PEM of a PKI certificate (by name), raw bytes (a CRL),
    or a literal ("invalid")."""
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bytes):
            raw = value
        else:
            path = PKI / f"{value}.crt"
            raw = path.read_bytes() if path.exists() else value.encode()
        doc["data"][key] = base64.b64encode(raw).decode()
    return doc


def _pki(name: str) -> Issued:
    cert = x509.load_pem_x509_certificate((PKI / f"{name}.crt").read_bytes())
    key = serialization.load_pem_private_key((PKI / f"{name}.key").read_bytes(), None)
    return Issued(cert, key)  # type: ignore[arg-type]


# TestMtlsGateway_CRL's CRLs: CaCrlA revokes client A; DummyCaCrlA revokes another serial
CA = _pki("ca")
CRL_REVOKING_CLIENT = issue_crl(CA, [x509.load_pem_x509_certificate((PKI / "client.crt").read_bytes())])
CRL_DUMMY = issue_crl(CA, [4242])


def istio(*docs: dict[str, Any]) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ISNS}}, *docs]


# --- NGINX Gateway Fabric -----------------------------------------------------------------------------

NGFNS = "default"


def ngf(
    default: dict[str, Any] | None,
    *extra: dict[str, Any],
    per_port: dict[int, dict[str, Any]] | None = None,
    listeners: list[dict[str, Any]] | None = None,
) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [
        gateway_class("nginx", NGF_CLASS),
        server_secret("server", NGFNS),
        *extra,
        gateway("gateway", NGFNS, "nginx", listeners or [https("https", 443, HOST)], default, per_port),
    ]


def ngf_resolved_elsewhere() -> list[dict[str, Any]]:
    """Gateway default/gateway trusts ConfigMap default/ca-bundle (ca) and, with no ReferenceGrant,
    certs/shared (other-ca), which the Gateway certs/edge of the same class names in its own namespace."""
    edge = gateway("edge", "certs", "nginx", [https("https", 443, "edge.meow.com")], validation(ca_ref("shared")))
    return ngf(
        validation(ca_ref("ca-bundle"), ca_ref("shared", namespace="certs")),
        configmap("ca-bundle", NGFNS, ca_crt="ca"),
        configmap("shared", "certs", ca_crt="other-ca"),
        server_secret("server", "certs"),
        edge,
    )()


CASES: list[Case] = [
    # ---- Istio: tests/integration/security/ingress_test.go ----
    Case(
        "istio-it-mutual-compound",
        f"{IS} tests/integration/security/ingress_test.go TestSingleMTLSGatewayAndNotGeneric_CompoundSecretRotation",
        "MUTUAL, one Secret tls.crt/tls.key/ca.crt (ca.crl empty): client A 200, without the right CA refused",
        istio(compound("mtls-credential", "ca"), istio_gateway(mutual("mtls-credential"))),
        {(HOST, 443): Host("works", "require-and-verify", ENFORCED)},
        clients={(HOST, 443, CLIENT): None, (HOST, 443, OTHER_CLIENT): ALERT["other-ca"]},
    ),
    Case(
        "istio-it-mutual-generic",
        f"{IS} tests/integration/security/ingress_test.go TestSingleMTLSGateway_CompoundSecretRotation",
        "MUTUAL, one generic Secret cert/key/cacert (crl empty): client A 200",
        istio(generic("mtls-generic", "ca"), istio_gateway(mutual("mtls-generic"))),
        {(HOST, 443): Host("works", "require-and-verify", ENFORCED)},
        clients={(HOST, 443, CLIENT): None, (HOST, 443, OTHER_CLIENT): ALERT["other-ca"]},
    ),
    Case(
        "istio-it-optional-separate-cacert",
        f"{IS} tests/integration/security/ingress_test.go TestSingleOptionalMTLSGateway",
        "OPTIONAL_MUTUAL, key pair in NAME (cacert empty), CA in NAME-cacert (cert, key, crl empty): "
        "200 without a client certificate, 200 with client A",
        istio(
            generic("optional-cred", None),
            generic("optional-cred-cacert", "ca", pair=False),
            istio_gateway(mutual("optional-cred", "OPTIONAL_MUTUAL")),
        ),
        {(HOST, 443): Host("not enforced", "verify-if-given", VERIFY_IF_GIVEN, lead="mtls-fallback-mode")},
        clients={(HOST, 443, CLIENT): None},
    ),
    Case(
        "istio-it-invalid-ca",
        f"{IS} tests/integration/security/ingress_test.go TestMultiMtlsGateway_InvalidSecret "
        "'mtls ingress gateway invalid CA cert'",
        "cacert 'invalid': sds.go pushes it anyway (ValidateCertificate only logs); client A with a good "
        "certificate gets 'connection reset by peer' or EOF",
        istio(generic("invalid-1", "invalid"), istio_gateway(mutual("invalid-1"))),
        {(HOST, 443): Host("broken", "require-and-verify", CLOSED, "connection-closed", lead="ca-ref-no-certificate")},
    ),
    Case(
        "istio-it-no-ca",
        f"{IS} tests/integration/security/ingress_test.go TestMultiMtlsGateway_InvalidSecret "
        "'mtls ingress gateway no CA cert'",
        "cacert and crl keys present but empty: ExtractRoot 'found key cacert, but it was empty'; client A "
        "gets reset or EOF",
        istio(generic("invalid-2", None), istio_gateway(mutual("invalid-2"))),
        {(HOST, 443): Host("unverified", "require-and-verify", ENFORCED, lead="secret-not-in-manifests")},
        cluster={(HOST, 443): Cluster("require-and-verify", "connection-closed", frozenset({"ca-ref-no-ca-key"}))},
    ),
    Case(
        "istio-it-mismatched-ca",
        f"{IS} tests/integration/security/ingress_test.go TestMultiMtlsGateway_InvalidSecret "
        "'mtls ingress gateway mismatched CA cert'",
        "CA B in the Secret, client A's certificate: refused in the handshake",
        istio(generic("invalid-3", "other-ca"), istio_gateway(mutual("invalid-3"))),
        {(HOST, 443): Host("works", "require-and-verify", ENFORCED)},
        clients={(HOST, 443, CLIENT): ALERT["other-ca"], (HOST, 443, OTHER_CLIENT): None},
    ),
    Case(
        "istio-it-crl-revoked",
        f"{IS} tests/integration/security/ingress_test.go TestMtlsGateway_CRL 'mtls ingress gateway with CRL-client A'",
        "cacert A with crl revoking client A: client A gets 'tls: revoked certificate'",
        istio(generic("with-crl-a", "ca", CRL_REVOKING_CLIENT), istio_gateway(mutual("with-crl-a"))),
        {(HOST, 443): Host("works", "require-and-verify", ENFORCED)},
        clients={(HOST, 443, CLIENT): "TLS alert 44"},
    ),
    Case(
        "istio-it-crl-dummy",
        f"{IS} tests/integration/security/ingress_test.go TestMtlsGateway_CRL 'mtls ingress gateway with dummy CRL'",
        "cacert A with a CRL revoking another certificate: client A 200",
        istio(generic("with-dummy-crl", "ca", CRL_DUMMY), istio_gateway(mutual("with-dummy-crl"))),
        {(HOST, 443): Host("works", "require-and-verify", ENFORCED)},
        clients={(HOST, 443, CLIENT): None},
    ),
    Case(
        "istio-it-crl-unknown-ca",
        f"{IS} tests/integration/security/ingress_test.go TestMtlsGateway_CRL 'mtls ingress gateway with CRL-unknown CA'",
        "cacert B with CA A's CRL: client B (of CA B) gets 'tls: unknown certificate authority'",
        istio(
            generic("with-crl-unknown-ca", "other-ca", CRL_REVOKING_CLIENT),
            istio_gateway(mutual("with-crl-unknown-ca")),
        ),
        {(HOST, 443): Host("works", "require-and-verify", ENFORCED)},
        clients={(HOST, 443, OTHER_CLIENT): "TLS alert 48"},
    ),
    Case(
        "istio-47315-cacerts-misnamed",
        "https://github.com/istio/istio/issues/47315 (Istio SDS fails to read -cacert secrets)",
        "credential Secret with tls.crt/tls.key only, the CA in a Secret named NAME-cacerts: istiod 'failed to fetch "
        "ca certificate … found secret, but didn't have expected keys cacert or ca.crt; found: tls.crt, tls.key'",
        istio(
            server_secret("httpbin-certs", ISNS),
            generic("httpbin-certs-cacerts", "ca", pair=False),
            istio_gateway(mutual("httpbin-certs")),
        ),
        {(HOST, 443): Host("unverified", "require-and-verify", ENFORCED, lead="secret-not-in-manifests")},
        cluster={(HOST, 443): Cluster("require-and-verify", "connection-closed", frozenset({"ca-ref-no-ca-key"}))},
    ),
    Case(
        "istio-credential-names-first-ca",
        f"{IS} pilot/pkg/networking/core/listener_test.go 'multiple certificates with mutual TLS'; "
        "pilot/pkg/security/model/authentication.go ApplyCredentialSDSToServerCommonTLSContext",
        "MUTUAL with credentialNames [rsa-cert, ecdsa-cert]: the CA is rsa-cert-cacert (the first); a CA only in "
        "ecdsa-cert is not used",
        istio(
            server_secret("rsa-cert", ISNS),
            server_secret("ecdsa-cert", ISNS, **{"ca.crt": "ca"}),
            {**istio_gateway({"mode": "MUTUAL", "credentialNames": ["rsa-cert", "ecdsa-cert"]})},
        ),
        {
            (HOST, 443): Host(
                "unverified",
                "require-and-verify",
                ENFORCED,
                lead="controller-release-unseen",
                codes=frozenset({"secret-not-in-manifests"}),
            )
        },
        cluster={(HOST, 443): Cluster("require-and-verify", "connection-closed", frozenset({"ca-ref-no-ca-key"}))},
    ),
    # ---- NGINX Gateway Fabric ----
    Case(
        "ngf-default-configmap",
        f"{NGF} internal/controller/state/dataplane/configuration.go addClientSettingsToSSLServers (AllowValidOnly: "
        "ssl_verify_client on, depth 4, 495/496 → return 444); conformance GatewayFrontendClientCertificateValidation",
        "no certificate and another CA's: connection closed, no response; the CA's client 200",
        ngf(validation(ca_ref("ca-bundle")), configmap("ca-bundle", NGFNS, ca_crt="ca")),
        {(HOST, 443): Host("works", "require-and-verify", NGF_ENFORCED)},
        clients={(HOST, 443, CLIENT): None, (HOST, 443, OTHER_CLIENT): "connection closed"},
    ),
    Case(
        "ngf-insecure-fallback",
        f"{NGF} configuration.go addClientSettingsToSSLServers (AllowInsecureFallback: optional_no_ca, no CA bundle); "
        "gateway_listener.go createFrontendTLSCaCertReferenceResolver (Gateway InsecureFrontendValidationMode)",
        "everyone gets in",
        ngf(validation(ca_ref("ca-bundle"), mode="AllowInsecureFallback"), configmap("ca-bundle", NGFNS, ca_crt="ca")),
        {(HOST, 443): Host("not enforced", "request", EVERYONE, lead="mtls-fallback-mode")},
        clients={(HOST, 443, OTHER_CLIENT): None},
    ),
    Case(
        "ngf-tls-secret-ca",
        f"{NGF} internal/controller/state/resolver/secrets.go (kubernetes.io/tls: ca.crt read, ValidateTLS on the pair)",
        "a kubernetes.io/tls Secret with ca.crt is a CA: enforced",
        ngf(validation(ca_ref("ca-secret", kind="Secret")), server_secret("ca-secret", NGFNS, **{"ca.crt": "ca"})),
        {(HOST, 443): Host("works", "require-and-verify", NGF_ENFORCED)},
    ),
    Case(
        "ngf-configmap-not-pem",
        f"{NGF} internal/controller/state/resolver/configmaps_test.go (ca.crt 'invalid'), "
        "graph/shared/secrets/secrets.go ValidateCA; gateway_listener.go validateFrontendTLS",
        "InvalidCACertificateRef 'must hold a valid CERTIFICATE PEM block'; the only ref: Accepted=False "
        "NoValidCACertificate, the listener is invalid",
        ngf(validation(ca_ref("ca-bundle")), {**configmap("ca-bundle", NGFNS), "data": {"ca.crt": "invalid"}}),
        {
            (HOST, 443): Host(
                "broken",
                "none",
                NOT_LISTENING,
                "listener-refused",
                lead="ca-ref-no-certificate",
                codes=frozenset({"ca-all-refs-invalid"}),
                words=("CERTIFICATE PEM block", "InvalidCACertificateRef"),
            )
        },
    ),
    Case(
        "ngf-tls-secret-without-ca",
        f"{NGF} internal/controller/state/resolver/secrets.go ('missing expected key \"ca.crt\"')",
        "a kubernetes.io/tls Secret without ca.crt: InvalidCACertificateRef; the only ref: listener invalid",
        ngf(validation(ca_ref("server", kind="Secret"))),
        {
            (HOST, 443): Host(
                "broken",
                "none",
                NOT_LISTENING,
                "listener-refused",
                lead="ca-ref-no-ca-key",
                codes=frozenset({"ca-all-refs-invalid"}),
            )
        },
    ),
    Case(
        "ngf-secret-wrong-type",
        f"{NGF} internal/controller/state/resolver/secrets.go ('unsupported secret type'): an F5 nginx.org/ca Secret",
        "a Secret of type nginx.org/ca (F5's CA Secret, carried over): InvalidCACertificateRef; listener invalid",
        ngf(validation(ca_ref("f5-ca", kind="Secret")), secret("f5-ca", NGFNS, {"ca.crt": "ca"}, "nginx.org/ca")),
        {
            (HOST, 443): Host(
                "broken",
                "none",
                NOT_LISTENING,
                "listener-refused",
                lead="ca-ref-wrong-kind",
                codes=frozenset({"ca-all-refs-invalid"}),
                words=("nginx.org/ca",),
            )
        },
    ),
    Case(
        "ngf-one-ref-of-two-missing",
        f"{NGF} gateway_listener.go validateFrontendTLS (listener invalid only when every ref is: totalConds == "
        "len(caCertRefs)); dataplane/configuration.go getFrontendTLSCertBundles (the resolved refs' CAs)",
        "one ConfigMap missing, one good: ResolvedRefs=False InvalidCACertificateRef, the listener stays, its CA "
        "is the good one's",
        ngf(validation(ca_ref("missing-bundle"), ca_ref("ca-bundle")), configmap("ca-bundle", NGFNS, ca_crt="ca")),
        {(HOST, 443): Host("unverified", "require-and-verify", NGF_ENFORCED, lead="configmap-not-in-manifests")},
        cluster={(HOST, 443): Cluster("require-and-verify", None, frozenset({"ca-ref-not-found"}))},
    ),
    Case(
        "ngf-cross-namespace-without-grant",
        f"{NGF} gateway_listener.go validateFrontendTLS (resolveCrossNamespaceRefGrant: RefNotPermitted)",
        "a ConfigMap in another namespace, no ReferenceGrant: RefNotPermitted, NoValidCACertificate",
        ngf(validation(ca_ref("ca-bundle", namespace="certs")), configmap("ca-bundle", "certs", ca_crt="ca")),
        {(HOST, 443): Host("broken", "none", NOT_LISTENING, "listener-refused", lead="ca-ref-not-permitted")},
    ),
    Case(
        "ngf-cross-namespace-with-grant",
        f"{NGF} gateway_listener.go validateFrontendTLS (resolveCrossNamespaceRefGrant; a ReferenceGrant from "
        "Gateway in the Gateway's namespace admits the ConfigMap)",
        "the same ConfigMap with a ReferenceGrant: the listener is valid and enforces",
        ngf(
            validation(ca_ref("ca-bundle", namespace="certs")),
            configmap("ca-bundle", "certs", ca_crt="ca"),
            reference_grant("certs", "Gateway", "gateway.networking.k8s.io", NGFNS, "ConfigMap"),
        ),
        {(HOST, 443): Host("works", "require-and-verify", NGF_ENFORCED)},
    ),
    Case(
        "ngf-cross-namespace-resolved-elsewhere",
        f"{NGF} graph/graph.go BuildGraph (one resource resolver for the whole graph), dataplane/configuration.go "
        "getFrontendTLSCertBundles (every caCertificateRef looked up in that index, unfiltered)",
        "beside a good ConfigMap, one in namespace certs no ReferenceGrant permits (RefNotPermitted) that the "
        "Gateway certs/edge also names: its CA is written all the same, its clients get in",
        ngf_resolved_elsewhere,
        {
            (HOST, 443): Host(
                "works",
                "require-and-verify",
                NGF_ENFORCED,
                lead="ca-ref-not-permitted",
                words=("RefNotPermitted", "Gateway certs/edge"),
            )
        },
        clients={(HOST, 443, CLIENT): None, (HOST, 443, OTHER_CLIENT): None},
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert_case(case, tmp_path, capsys, REFUSALS)


REFUSALS = (
    "client-cert-untrusted",
    "cert-expired",
    "client-cert-wrong-purpose",
    "chain-too-deep",
    "client-cert-revoked",
)


# --- the new fixes, run as printed: bash, the real kubectl against the lab's API server holding the
# --- case's objects; what kubectl leaves is read back through the cluster source and judged again


def case_of(name: str) -> Case:
    return next(c for c in CASES if c.id == name)


def after_fix(name: str, code: str, tmp_path: Path) -> ClientValidation:
    docs = case_of(name).objects()
    (validation,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    finding = next(f for f in validation.findings if f.code == code)
    shutil.copy(PKI / "ca.crt", tmp_path / "ca.crt")
    done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
    assert done.returncode == 0, f"{finding.fix}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    return fixed


@pytest.fixture
def istio_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab serves networking.istio.io Gateways, as a cluster with Istio's CRDs."""
    serve(monkeypatch, EXTRA["istio"])


def test_the_istio_invalid_ca_fix_writes_the_ca(tmp_path: Path, istio_kinds: None) -> None:
    """ca-ref-no-certificate (cacert 'invalid'): the fix patches the CA into the same key; afterwards the
    server requires and verifies, and nothing is broken."""
    fixed = after_fix("istio-it-invalid-ca", "ca-ref-no-certificate", tmp_path)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings
    assert fixed.ca_refs == ("Secret istio-system/invalid-1 key cacert",)


@pytest.mark.parametrize(
    ("name", "code"),
    [("ngf-tls-secret-without-ca", "ca-ref-no-ca-key"), ("ngf-secret-wrong-type", "ca-ref-wrong-kind")],
)
def test_the_ngf_secret_fixes_run(tmp_path: Path, name: str, code: str) -> None:
    """A kubernetes.io/tls Secret without ca.crt gets ca.crt patched in (its type and key pair kept);
    an nginx.org/ca Secret's CA is copied into a ConfigMap the reference then names. Afterwards the
    listener is valid and enforces."""
    fixed = after_fix(name, code, tmp_path)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings
    assert fixed.ca_pem and b"BEGIN CERTIFICATE" in fixed.ca_pem


def test_the_misnamed_cacert_secret_is_named(tmp_path: Path) -> None:
    """istio#47315: the finding names the Secret whose name misses -cacert by a letter."""
    docs = case_of("istio-47315-cacerts-misnamed").objects()
    (validation,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    finding = next(f for f in validation.findings if f.code == "ca-ref-no-ca-key")
    assert "istio-system/httpbin-certs-cacerts" in finding.detail and "httpbin-certs-cacert" in finding.fix


# --- measured: NGINX Gateway Fabric's server block on the real nginx ----------------------------------


@pytest.mark.parametrize("name", ["ngf-default-configmap", "ngf-tls-secret-ca", "ngf-one-ref-of-two-missing"])
def test_ngf_answers_are_measured_on_nginx(name: str, nginx_binary: str, tmp_path: Path) -> None:
    """The reader's ClientValidation (as a cluster: one of two refs missing leaves the good one's CA)
    rendered as servers_template.go renders it (lab/nginx_successors.py ngf_server_block: ssl_verify_client
    on, depth 4, 495/496 → return 444), served by the real nginx, probed with each kind of client: what
    comes back is what `predict` says."""
    docs = case_of(name).objects()
    (validation,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    ca = tmp_path / "client-ca.crt"
    write_file(ca, validation.ca_pem or b"")
    port = free_port()
    server = (WIRE_PKI.path("server", "crt"), WIRE_PKI.path("server", "key"))
    with Nginx(lambda prefix: ngf_server_block(validation, port, *server, ca), [port], binary=nginx_binary):
        for kind in ("none", "trusted", "other-ca"):
            results, _ = probe_port(port, WIRE_PKI, HOST, CLIENT_FILES[kind])
            assert observed_answer(results[-1]) == predict(validation, kind), (kind, results[-1].failure)


def test_ngf_refused_listener_predictions_are_measured(tmp_path: Path) -> None:
    """An invalid listener gets no server (dataplane/configuration.go buildServers), nor does any other
    HTTPS listener of its port (they share its frontend entry): nothing listens there, and the probe is
    refused before TLS (no answer at all: observed_answer None, 'refused without an HTTP response'
    predicted). The other cases (a Passthrough listener beside it) are in tests/test_ngf_frontend_more.py."""
    docs = case_of("ngf-configmap-not-pem").objects()
    (validation,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    assert str(predict(validation, "trusted")) == "refused without an HTTP response"
    port = free_port()
    results, _ = probe_port(port, WIRE_PKI, HOST, CLIENT_FILES["trusted"])
    assert observed_answer(results[-1]) is None


def test_the_crl_refusal_command_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """client-cert-revoked on Istio (TestMtlsGateway_CRL TC3): the printed command, run in bash with this
    project's mtls-tui on PATH, shows the certificate and exits 0."""
    case = case_of("istio-it-crl-revoked")
    path = tmp_path / "objects.yaml"
    path.write_text(yaml.safe_dump_all(case.objects()))
    got = check(path, capsys, "--cert", CLIENT)[(HOST, 443)]
    finding = next(f for f in got["findings"] if f["code"] == "client-cert-revoked")
    assert "TLS alert 44" in finding["title"]
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        ["bash", "-c", finding["fix"]],
        cwd=tmp_path,
        env={**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{finding['fix']}\n{done.stderr}"
    assert "client" in done.stdout
