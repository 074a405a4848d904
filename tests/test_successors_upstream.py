"""The successors' own tests as cases this tool must get right.

Each case below is one set-up taken from a controller's own tests, at the newest release tag of its
repository read here, with what that test expects: accepted or not, the status condition and its
reason, who gets in. The objects are written again with this project's test PKI
(tests/upstream_objects.py): facts are taken, no upstream file is copied. Each case is run as a
user runs the tool, `mtls-tui check --manifests FILE --json --no-probe` (and `--cert FILE` for the
clients a test sends), and its state, mode, the finding that explains it, and the answers it
predicts are held to the upstream expectation.

Repositories and tags (bare mirrors, `git show TAG:PATH`):
- EG   envoyproxy/gateway v1.9.0: internal/gatewayapi/testdata/*.in.yaml / *.out.yaml, run by
       internal/gatewayapi/translator_test.go TestTranslate; test/e2e/testdata, test/e2e/tests.
- GW   kubernetes-sigs/gateway-api v1.6.1: conformance/tests/*client*certificate*.{go,yaml}.
- TR   traefik/traefik v3.7.9: integration/https_test.go + integration/fixtures/https/clientca/;
       pkg/provider/kubernetes/crd/kubernetes_test.go TestLoadIngressRoutes + crd/fixtures/.
- F5   nginx/kubernetes-ingress v5.5.4: tests/suite/test_ingress_mtls*.py + tests/data/ingress-mtls/.
- IS   istio/istio 1.30.3: pilot/pkg/config/kube/gateway/testdata/{tls,invalid}.yaml (+ .golden,
       .status.yaml.golden), run by conversion_test.go TestConvertResources.

Manifest files cannot say that an object is absent (the cluster may hold it): where an upstream test
relies on an object being absent, the case also reads the objects as a whole cluster (`cluster`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
from mtls_tui.certs.load import load_material
from mtls_tui.cli import main
from mtls_tui.diagnose.successors import judge_client, observed_answer
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.nginx_successors import f5_server_block
from mtls_tui.lab.pki import write_file
from mtls_tui.model import ClusterSnapshot, Finding
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation
from tests.test_crd_refusals import EXTRA, serve
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_probe_envoy_alerts import probe_port
from tests.test_successors_go_wire import PKI as WIRE_PKI
from tests.upstream_objects import (
    EG_CLASS,
    F5_INGRESS_CLASS,
    ISTIO_CLASS,
    PKI,
    ca_ref,
    client_traffic_policy,
    cluster_trust_bundle,
    configmap,
    f5_ingress,
    f5_policy,
    gateway,
    gateway_class,
    http,
    http_route,
    https,
    ingress_route,
    reference_grant,
    secret,
    server_secret,
    tls_option,
    validation,
    virtual_server,
)

EG = "envoyproxy/gateway v1.9.0"
GW = "kubernetes-sigs/gateway-api v1.6.1"
TR = "traefik/traefik v3.7.9"
F5 = "nginx/kubernetes-ingress v5.5.4"
IS = "istio/istio 1.30.3"

# What `predict` says each kind of client gets (TLS 1.3), in the CLI's words.
ALERT = {"none": "TLS alert 116 after the handshake", "other-ca": "TLS alert 48 after the handshake"}
ENFORCED = {**ALERT, "trusted": "HTTP 200"}
EVERYONE = {"none": "HTTP 200", "trusted": "HTTP 200", "other-ca": "HTTP 200"}
VERIFY_IF_GIVEN = {"none": "HTTP 200", "trusted": "HTTP 200", "other-ca": ALERT["other-ca"]}
HTTP_500 = {"none": "HTTP 500", "trusted": "HTTP 500", "other-ca": "HTTP 500"}
CLOSED = {"none": "connection closed", "trusted": "connection closed", "other-ca": "connection closed"}
# Envoy Gateway builds neither the listener nor, when it held its port alone, the port (listener.go
# ProcessListeners): nothing listens (policy/successors/eg_server_secret.py refused_answers)
NOTHING_LISTENS = dict.fromkeys(("none", "trusted", "other-ca"), "refused without an HTTP response")
NGINX = {"none": "HTTP 400", "trusted": "HTTP 200", "other-ca": "HTTP 400"}
NOT_FOUND = {"none": "HTTP 404", "trusted": "HTTP 404", "other-ca": "HTTP 404"}

# The clients the cases send (`--cert`): from ca, from other-ca, through two intermediates of ca,
# and from a third CA issued per run (Traefik's ca3).
CLIENT = str(PKI / "client.crt")
OTHER_CLIENT = str(PKI / "wrongca.crt")
DEEP_CLIENT = str(PKI / "deep.crt")
THIRD_CLIENT = "third-ca-client.crt"


@dataclass(frozen=True)
class Host:
    """What the upstream test expects of one host:port, in the tool's terms."""

    state: str
    mode: str
    answers: dict[str, str]
    breakage: str | None = None
    lead: str | None = None  # the code of the finding that explains the state (first error, else warning)
    codes: frozenset[str] = frozenset()  # codes that must be among the findings
    absent: frozenset[str] = frozenset()  # codes that must not be
    words: tuple[str, ...] = ()  # words the lead finding must say (status conditions, reasons)


@dataclass(frozen=True)
class Cluster:
    """The same objects read as a whole cluster: what the data plane does when the object the
    files leave out is absent (the upstream test's set-up)."""

    mode: str
    breakage: str | None
    codes: frozenset[str]
    words: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # the upstream test: repository and tag, file, test or fixture name
    expects: str  # what it expects, in words
    objects: Callable[[], list[dict[str, Any]]]
    hosts: dict[tuple[str, int], Host]
    clients: dict[tuple[str, int, str], str | None] = field(default_factory=dict)  # cert → refusal answer or None
    cluster: dict[tuple[str, int], Cluster] = field(default_factory=dict)
    extra: tuple[str, ...] = ()


# --- Gateway API conformance, served by Envoy Gateway (whose testdata gateway-tls-frontend-backend
# --- embeds the same Gateways) and, where named, by Istio -------------------------------------------

CONF = "gateway-conformance-infra"


def _conformance_base(klass: str = EG_CLASS) -> list[dict[str, Any]]:
    return [
        gateway_class("conformance", klass),
        configmap("tls-validity-checks-ca-certificate", CONF, ca_crt="ca"),
        configmap("tls-validity-checks-per-port-ca-certificate", CONF, ca_crt="other-ca"),
        server_secret("tls-validity-checks-certificate", CONF),
    ]


def gw_default_and_per_port(klass: str = EG_CLASS, mode: str | None = None) -> list[dict[str, Any]]:
    default = validation(ca_ref("tls-validity-checks-ca-certificate"), mode=mode)
    per_port = {8443: validation(ca_ref("tls-validity-checks-per-port-ca-certificate"), mode=mode)}
    listeners = [
        https("https", 443, cert="tls-validity-checks-certificate"),
        https("https-with-hostname", 8443, "second-example.org", cert="tls-validity-checks-certificate"),
    ]
    return [
        *_conformance_base(klass),
        gateway("client-validation-default", CONF, "conformance", listeners, default, per_port),
        http_route("https-test", CONF, "client-validation-default", ("example.org",)),
        http_route("https-test-no-hostname", CONF, "client-validation-default", section="https-with-hostname"),
    ]


def gw_invalid_default() -> list[dict[str, Any]]:
    listeners = [https("https", 443, cert="tls-validity-checks-certificate"), http("http", 80)]
    return [
        *_conformance_base(),
        gateway(
            "invalid-default-client-validation-config",
            CONF,
            "conformance",
            listeners,
            validation(ca_ref("does-not-exist")),
            {80: validation(ca_ref("tls-validity-checks-per-port-ca-certificate"))},
        ),
        http_route("invalid-default", CONF, "invalid-default-client-validation-config", ("example.org",)),
    ]


def gw_invalid_refs() -> list[dict[str, Any]]:
    cert = "tls-validity-checks-certificate"
    listeners = [
        https("https", 443, cert=cert),
        https("https-unresolved", 7443, "first-example.org", cert=cert),
        https("https-invalid-kind", 8443, "second-example.org", cert=cert),
        https("https-grant-missing", 6443, "fourth-example.org", cert=cert),
    ]
    per_port = {
        7443: validation(ca_ref("non-exisitng-cm")),
        8443: validation(ca_ref("infra-backend-v2", kind="Service")),
        6443: validation(ca_ref("web-backend-cm", namespace="gateway-conformance-web-backend")),
    }
    return [
        *_conformance_base(),
        configmap("web-backend-cm", "gateway-conformance-web-backend", ca_crt="ca"),
        gateway(
            "gateway-with-invalid-client-cert-validation",
            CONF,
            "conformance",
            listeners,
            validation(ca_ref("tls-validity-checks-ca-certificate")),
            per_port,
        ),
    ]


def gw_insecure_fallback_istio() -> list[dict[str, Any]]:
    return gw_default_and_per_port(ISTIO_CLASS, mode="AllowInsecureFallback")


# --- Envoy Gateway: internal/gatewayapi/testdata (TestTranslate) and test/e2e ---------------------

EGNS = "envoy-gateway"


def _eg_gateway(name: str, listeners: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return gateway(name, EGNS, "envoy-gateway-class", listeners or [https("http-1", 443, cert="tls-secret-1")])


def _eg_base() -> list[dict[str, Any]]:
    return [gateway_class("envoy-gateway-class", EG_CLASS), server_secret("tls-secret-1", EGNS, **{"ca.crt": "ca"})]


def eg_mtls() -> list[dict[str, Any]]:
    """clienttrafficpolicy-mtls: gateway-1's CA is the Secret tls-secret-1 (key ca.crt), gateway-2's the
    ConfigMap ca-configmap; both policies use the deprecated spec.targetRef."""
    return [
        *_eg_base(),
        configmap("ca-configmap", EGNS, ca_crt="ca"),
        _eg_gateway("gateway-1", [https("http-1", 443, "one.example.com", cert="tls-secret-1"), http("http-2", 8080)]),
        _eg_gateway("gateway-2", [https("http-1", 443, "two.example.com", cert="tls-secret-1")]),
        client_traffic_policy(
            "target-gateway-1",
            EGNS,
            "gateway-1",
            {"clientValidation": {"caCertificateRefs": [{"name": "tls-secret-1"}]}},
            singular=True,
        ),
        client_traffic_policy(
            "target-gateway-2",
            EGNS,
            "gateway-2",
            {"clientValidation": {"caCertificateRefs": [{"kind": "ConfigMap", "name": "ca-configmap"}]}},
            singular=True,
        ),
    ]


def eg_client_verification() -> list[dict[str, Any]]:
    """clienttrafficpolicy-mtls-client-verification: gateway-2 optional: true; gateway-4 a CA Secret in
    namespace default allowed by a ReferenceGrant; gateway-5 mode Request and gateway-6 mode RequireAny,
    both without caCertificateRefs."""
    ca = [{"name": "tls-secret-1"}]
    return [
        *_eg_base(),
        secret("tls-secret-from-default", "default", {"ca.crt": "ca"}),
        reference_grant("default", "ClientTrafficPolicy", "gateway.envoyproxy.io", EGNS, "Secret"),
        _eg_gateway("gateway-2", [https("http-1", 443, "two.example.com", cert="tls-secret-1")]),
        _eg_gateway("gateway-4", [https("http-1", 443, "four.example.com", cert="tls-secret-1")]),
        _eg_gateway("gateway-5", [https("http-1", 443, "five.example.com", cert="tls-secret-1")]),
        _eg_gateway("gateway-6", [https("http-1", 443, "six.example.com", cert="tls-secret-1")]),
        client_traffic_policy(
            "target-gateway-2", EGNS, "gateway-2", {"clientValidation": {"optional": True, "caCertificateRefs": ca}}
        ),
        client_traffic_policy(
            "cross-namespace-secret",
            EGNS,
            "gateway-4",
            {
                "clientValidation": {
                    "optional": False,
                    "caCertificateRefs": [{"name": "tls-secret-from-default", "namespace": "default"}],
                }
            },
        ),
        client_traffic_policy(
            "target-gateway-5", EGNS, "gateway-5", {"clientValidation": {"mode": "Request"}}, "http-1"
        ),
        client_traffic_policy(
            "target-gateway-6", EGNS, "gateway-6", {"clientValidation": {"mode": "RequireAny"}}, "http-1"
        ),
    ]


def _eg_one(
    ca_data: dict[str, Any], tls: dict[str, Any], extra: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    return [
        *_eg_base(),
        secret("ca-bundle", EGNS, ca_data),
        *(extra or []),
        _eg_gateway("gateway-1", [https("http-1", 443, "www.example.com", cert="tls-secret-1")]),
        client_traffic_policy("target-gateway-1", EGNS, "gateway-1", tls),
    ]


BUNDLE = {"clientValidation": {"caCertificateRefs": [{"name": "ca-bundle"}]}}


def eg_bundle_both_invalid() -> list[dict[str, Any]]:
    return _eg_one({"ca.crt": ("expired-ca", "expired-ca")}, BUNDLE)


def eg_bundle_one_expired() -> list[dict[str, Any]]:
    return _eg_one({"ca.crt": ("expired-ca", "ca")}, BUNDLE)


def eg_allow_expired() -> list[dict[str, Any]]:
    return _eg_one(
        {"ca.crt": "ca"},
        {"clientValidation": {"caCertificateRefs": [{"name": "ca-bundle"}], "allowExpiredCertificate": True}},
    )


def eg_expired_crl() -> list[dict[str, Any]]:
    crl = {"refs": [{"kind": "Secret", "name": "ca-bundle"}]}
    return _eg_one(
        {"ca.crt": "ca", "ca.crl": "expired.crl"},
        {"clientValidation": {"caCertificateRefs": [{"name": "ca-bundle"}], "crl": crl}},
    )


def eg_invalid_no_ca_key() -> list[dict[str, Any]]:
    """clienttrafficpolicy-invalid-settings target-gateway-1: the CA reference is a kubernetes.io/tls
    Secret with tls.crt and tls.key and no ca.crt (two keys: none is taken)."""
    listeners = [https("http-1", 443, "www.example.com", cert="tls-secret-1")]
    return [
        gateway_class("envoy-gateway-class", EG_CLASS),
        server_secret("tls-secret-1", EGNS),
        _eg_gateway("gateway-1", listeners),
        client_traffic_policy(
            "target-gateway-1",
            EGNS,
            "gateway-1",
            {"clientValidation": {"caCertificateRefs": [{"name": "tls-secret-1"}]}},
        ),
    ]


def eg_invalid_mode_without_ca(optional: bool) -> Callable[[], list[dict[str, Any]]]:
    """clienttrafficpolicy-invalid-settings target-gateway-4 (mode VerifyIfGiven) and target-gateway-5
    (optional: true), neither with caCertificateRefs."""
    cv = {"optional": True} if optional else {"mode": "VerifyIfGiven"}
    return lambda: [
        *_eg_base(),
        _eg_gateway("gateway-1", [https("http-1", 443, "www.example.com", cert="tls-secret-1")]),
        client_traffic_policy("target-gateway-1", EGNS, "gateway-1", {"clientValidation": cv}),
    ]


def eg_dup_ca_refs() -> list[dict[str, Any]]:
    return _eg_one(
        {"ca.crt": "ca"},
        {"clientValidation": {"caCertificateRefs": [{"name": "ca-bundle"}, {"name": "ca-bundle-2"}]}},
        [secret("ca-bundle-2", EGNS, {"ca.crt": "ca"})],
    )


def eg_per_port_disable_default() -> list[dict[str, Any]]:
    """gateway-tls-frontend-backend client-validation-per-port-disable-default: perPort 8443 `tls: {}`."""
    listeners = [
        https("https", 443, "example.org", cert="tls-validity-checks-certificate"),
        https("https-disable-default-validation", 8443, "example.net", cert="tls-validity-checks-certificate"),
    ]
    return [
        gateway_class("envoy-gateway-class", EG_CLASS),
        configmap("tls-validity-checks-ca-certificate", EGNS, ca_crt="ca"),
        server_secret("tls-validity-checks-certificate", EGNS),
        {
            **gateway(
                "client-validation-per-port-disable-default",
                EGNS,
                "envoy-gateway-class",
                listeners,
                validation(ca_ref("tls-validity-checks-ca-certificate")),
            ),
        },
    ]


def _per_port_disable() -> list[dict[str, Any]]:
    docs = eg_per_port_disable_default()
    docs[-1]["spec"]["tls"]["frontend"]["perPort"] = [{"port": 8443, "tls": {}}]
    return docs


def eg_e2e_client_mtls() -> list[dict[str, Any]]:
    """test/e2e/testdata/client-mtls.yaml: listeners tls-settings and mtls share port 443; the mtls
    listener's policy trusts the kubernetes.io/tls Secret client-mtls-certificate (its ca.crt)."""
    listeners = [
        https("tls-settings", 443, "tls-settings.example.com", cert="client-tls-settings-certificate"),
        https("mtls", 443, "mtls.example.com", cert="client-mtls-certificate"),
    ]
    return [
        gateway_class("envoy-gateway-class", EG_CLASS),
        server_secret("client-mtls-certificate", CONF, **{"ca.crt": "ca"}),
        server_secret("client-tls-settings-certificate", CONF),
        gateway("client-mtls-gateway", CONF, "envoy-gateway-class", listeners),
        client_traffic_policy(
            "ctp-client-mtls",
            CONF,
            "client-mtls-gateway",
            {
                "clientValidation": {
                    "caCertificateRefs": [{"kind": "Secret", "group": "", "name": "client-mtls-certificate"}]
                }
            },
            "mtls",
            singular=True,
        ),
        client_traffic_policy(
            "ctp-client-tls-settings",
            CONF,
            "client-mtls-gateway",
            {"minVersion": "1.1", "maxVersion": "1.2", "alpnProtocols": ["http/1.1"]},
            "tls-settings",
            singular=True,
        ),
    ]


def eg_e2e_trust_bundle() -> list[dict[str, Any]]:
    """test/e2e/testdata/client-mtls-trustbundle.yaml: gatewayClassName envoy-gateway, a class the
    files do not hold (the e2e suite installs it); the policy's CA is a ClusterTrustBundle."""
    return [
        server_secret("example-com-tls", CONF, **{"ca.crt": "ca"}),
        cluster_trust_bundle("example-com-tls", "ca"),
        gateway(
            "client-mtls-clustertrustbundle",
            CONF,
            "envoy-gateway",
            [https("mtls", 443, "www.example.com", cert="example-com-tls")],
        ),
        http_route("client-mtls-clustertrustbundle", CONF, "client-mtls-clustertrustbundle", ("www.example.com",)),
        client_traffic_policy(
            "ctp-client-mtls-clustertrustbundle",
            CONF,
            "client-mtls-clustertrustbundle",
            {
                "clientValidation": {
                    "caCertificateRefs": [
                        {"kind": "ClusterTrustBundle", "group": "certificates.k8s.io", "name": "example-com-tls"}
                    ]
                }
            },
            singular=True,
        ),
    ]


# --- Traefik: integration (file provider, as TLSOption objects here) and the CRD provider ----------

TNS = "default"


def _traefik(
    option: dict[str, Any], *secrets: dict[str, Any], options: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    return [server_secret("server", TNS), *secrets, option, ingress_route("test-route", TNS, "snitest.com", options)]


def tr_two_ca_bundle() -> list[dict[str, Any]]:
    """https_2ca1config.toml: tls.options.default.clientAuth.caFiles = [ca1and2.crt], no clientAuthType."""
    return _traefik(
        tls_option("default", TNS, {"clientAuth": {"secretNames": ["ca1and2"]}}),
        secret("ca1and2", TNS, {"ca.crt": ("ca", "other-ca")}),
    )


def tr_verify_if_given() -> list[dict[str, Any]]:
    """https_1ca1config.toml: caFiles [ca1.crt], clientAuthType VerifyClientCertIfGiven."""
    return _traefik(
        tls_option(
            "default", TNS, {"clientAuth": {"secretNames": ["ca1"], "clientAuthType": "VerifyClientCertIfGiven"}}
        ),
        secret("ca1", TNS, {"ca.crt": "ca"}),
    )


def tr_two_ca_files() -> list[dict[str, Any]]:
    """https_2ca2config.toml: caFiles [ca1.crt, ca2.crt], RequireAndVerifyClientCert."""
    spec = {"clientAuth": {"secretNames": ["ca1", "ca2"], "clientAuthType": "RequireAndVerifyClientCert"}}
    return _traefik(
        tls_option("default", TNS, spec),
        secret("ca1", TNS, {"ca.crt": "ca"}),
        secret("ca2", TNS, {"tls.ca": "other-ca"}),
    )


def tr_crd_tls_options() -> list[dict[str, Any]]:
    """crd/fixtures/with_tls_options.yml: TLSOption foo, secret-ca1 (key tls.ca), secret-ca2 (key ca.crt),
    VerifyClientCertIfGiven; the IngressRoute names options {name: foo}."""
    spec = {
        "minVersion": "VersionTLS12",
        "sniStrict": True,
        "clientAuth": {"secretNames": ["secret-ca1", "secret-ca2"], "clientAuthType": "VerifyClientCertIfGiven"},
    }
    return _traefik(
        tls_option("foo", TNS, spec),
        secret("secret-ca1", TNS, {"tls.ca": "ca"}),
        secret("secret-ca2", TNS, {"ca.crt": "other-ca"}),
        options={"name": "foo"},
    )


def tr_crd_bad_tls_options() -> list[dict[str, Any]]:
    """crd/fixtures/with_bad_tls_options.yml: secretNames [secret-ca1, secret-unknown, empty-secret];
    only secret-ca1 exists. The test's expected TLS option keeps one CAFiles entry."""
    spec = {
        "clientAuth": {
            "secretNames": ["secret-ca1", "secret-unknown", "empty-secret"],
            "clientAuthType": "VerifyClientCertIfGiven",
        }
    }
    return _traefik(tls_option("foo", TNS, spec), secret("secret-ca1", TNS, {"tls.ca": "ca"}), options={"name": "foo"})


def tr_crd_unknown_options() -> list[dict[str, Any]]:
    """crd/fixtures/with_unknown_tls_options.yml: TLSOption foo exists, the route names `unknown`."""
    return _traefik(tls_option("foo", TNS, {"minVersion": "VersionTLS12"}), options={"name": "unknown"})


def tr_crd_cross_namespace() -> list[dict[str, Any]]:
    """crd/fixtures/with_tls_options_cross_namespace.yml ("HTTP TLSOption cross namespace disallowed"),
    the option here asking for client certificates."""
    spec = {"clientAuth": {"secretNames": ["ca"], "clientAuthType": "RequireAndVerifyClientCert"}}
    return _traefik(
        tls_option("tls-options-cn", "cross-ns", spec),
        secret("ca", "cross-ns", {"ca.crt": "ca"}),
        options={"name": "tls-options-cn", "namespace": "cross-ns"},
    )


def tr_crd_two_defaults() -> list[dict[str, Any]]:
    """crd/fixtures/with_default_tls_options.yml + with_default_tls_options_default_namespace.yml: a
    TLSOption named default in namespaces foo and default ("TLS with two default tls options": the
    provider gives no TLS options at all)."""
    spec = {"clientAuth": {"secretNames": ["secret-ca1"], "clientAuthType": "RequireAndVerifyClientCert"}}
    return [
        server_secret("server", TNS),
        secret("secret-ca1", "foo", {"ca.crt": "ca"}),
        secret("secret-ca1", TNS, {"ca.crt": "ca"}),
        tls_option("default", "foo", spec),
        tls_option("default", TNS, spec),
        ingress_route("test-route", TNS, "snitest.com"),
    ]


# --- F5 NGINX Ingress Controller: tests/suite ------------------------------------------------------

F5NS = "meow"
MTLS = {"clientCertSecret": "ingress-mtls-secret", "verifyClient": "on", "verifyDepth": 1}
POLICIES = "nginx.org/policies"
MERGEABLE = "nginx.org/mergeable-ingress-type"
MISSPELT = {"ingress_MTLS": {"clientCertSecret_": "ingress-mtls-secret", "verifyadClient": "on", "verifyDeaerpth": 1}}


def _f5(policy_spec: dict[str, Any], *owners: dict[str, Any], ca: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    ca_secret = ca if ca is not None else secret("ingress-mtls-secret", F5NS, {"ca.crt": "ca"}, "nginx.org/ca")
    return [
        F5_INGRESS_CLASS,
        server_secret("tls-secret", F5NS),
        *([ca_secret] if ca_secret else []),
        f5_policy("ingress-mtls-policy", F5NS, policy_spec),
        *owners,
    ]


VS_HOST = "virtual-server.example.com"
ING_HOST = "ingress-mtls.example.com"


def f5_vs(
    policy_spec: dict[str, Any], route: bool = False, ca: dict[str, Any] | None = None
) -> Callable[[], list[dict[str, Any]]]:
    owner = (
        virtual_server("virtual-server", F5NS, VS_HOST, route_policies=("ingress-mtls-policy",))
        if route
        else virtual_server("virtual-server", F5NS, VS_HOST, policies=("ingress-mtls-policy",))
    )
    return lambda: _f5(policy_spec, owner, ca=ca)


def f5_ing(policy_spec: dict[str, Any], ca: dict[str, Any] | None = None) -> Callable[[], list[dict[str, Any]]]:
    owner = f5_ingress("ingress-mtls-policy-ingress", F5NS, ING_HOST, {POLICIES: "ingress-mtls-policy"})
    return lambda: _f5(policy_spec, owner, ca=ca)


def f5_mergeable(on_master: bool) -> list[dict[str, Any]]:
    """tests/data/ingress-mtls/ingress/mergeable-{master,minion}: the master holds tls and the host,
    the minion the path; the policy annotation on the one or the other."""
    policy = {POLICIES: "ingress-mtls-policy"}
    master = f5_ingress(
        "ingress-mtls-ingress-master",
        F5NS,
        ING_HOST,
        {MERGEABLE: "master", **(policy if on_master else {})},
        paths=False,
    )
    minion = f5_ingress(
        "ingress-mtls-ingress-minion", F5NS, ING_HOST, {MERGEABLE: "minion", **({} if on_master else policy)}, tls=False
    )
    return _f5({"ingressMTLS": MTLS}, master, minion)


# --- Istio: pilot/pkg/config/kube/gateway/testdata -----------------------------------------------

ISNS = "istio-system"


def _istio(listeners: list[dict[str, Any]], refs: list[dict[str, Any]], *extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        gateway_class("istio", ISTIO_CLASS),
        configmap("my-cert-http", ISNS, ca_crt="ca"),
        server_secret("my-cert-http", ISNS),
        *extra,
        gateway("gateway", ISNS, "istio", listeners, validation(*refs)),
    ]


def is_tls() -> list[dict[str, Any]]:
    """tls.yaml Gateway `gateway`: spec.tls.frontend.default → ConfigMap my-cert-http; terminating
    listeners plain, with tls-terminate-mode OPTIONAL_MUTUAL, ISTIO_MUTUAL and ISTIO_SIMPLE."""

    def listener(name: str, host: str, mode: str | None = None, cert: bool = True) -> dict[str, Any]:
        out = https(name, 34000, host, cert="my-cert-http")
        out["allowedRoutes"] = {"namespaces": {"from": "All"}}
        if not cert:
            del out["tls"]["certificateRefs"]
        if mode:
            out["tls"]["options"] = {"gateway.istio.io/tls-terminate-mode": mode}
        return out

    listeners = [
        listener("terminate", "domain.example"),
        listener("terminate-optional-mtls-frontendvalidation", "optional-mtls.example", "OPTIONAL_MUTUAL"),
        listener("terminate-istio-mtls", "egress.example", "ISTIO_MUTUAL", cert=False),
        listener("terminate-istio-builtin", "builtin.example", "ISTIO_SIMPLE", cert=False),
    ]
    return _istio(listeners, [ca_ref("my-cert-http")])


def is_invalid(refs: list[dict[str, Any]], *extra: dict[str, Any]) -> Callable[[], list[dict[str, Any]]]:
    """invalid.yaml invalid-frontendvalidation-*: one HTTPS listener two.example:34000."""
    return lambda: _istio([https("default", 34000, "two.example", cert="my-cert-http")], refs, *extra)


# --- the cases ------------------------------------------------------------------------------------

CASES: list[Case] = [
    # ---- Gateway API conformance ----
    Case(
        "gwapi-default-and-per-port",
        f"{GW} conformance/tests/gateway-with-clientcertificate-validation.go GatewayFrontendClientCertificateValidation",
        "Accepted; port 443 admits the default CA's client and fails the per-port CA's; port 8443 the reverse",
        gw_default_and_per_port,
        {
            ("example.org", 443): Host("works", "require-and-verify", ENFORCED),
            ("second-example.org", 8443): Host("works", "require-and-verify", ENFORCED),
        },
        clients={
            ("example.org", 443, CLIENT): None,
            ("example.org", 443, OTHER_CLIENT): ALERT["other-ca"],
            ("second-example.org", 8443, OTHER_CLIENT): None,
            ("second-example.org", 8443, CLIENT): ALERT["other-ca"],
        },
    ),
    Case(
        "gwapi-invalid-default",
        f"{GW} conformance/tests/gateway-invalid-default-frontend-client-certificate-validation.go "
        "GatewayFrontendInvalidDefaultClientCertificateValidation",
        "listener https ResolvedRefs=False InvalidCACertificateRef, Accepted=False NoValidCACertificate, "
        "Programmed=False; HTTPS fails even without a certificate; the HTTP listener answers 200",
        gw_invalid_default,
        {
            ("example.org", 443): Host(
                "unverified",
                "require-and-verify",
                ENFORCED,
                lead="configmap-not-in-manifests",
                words=("InvalidCACertificateRef", "NoValidCACertificate"),
            )
        },
        cluster={
            ("example.org", 443): Cluster(
                "none",
                "listener-refused",
                frozenset({"ca-ref-not-found", "ca-all-refs-invalid"}),
                ("InvalidCACertificateRef", "NoValidCACertificate"),
            )
        },
    ),
    Case(
        "gwapi-invalid-refs",
        f"{GW} conformance/tests/gateway-with-invalid-clientcertificate-validation.go "
        "GatewayInvalidFrontendClientCertificateValidation",
        "https Accepted; https-unresolved InvalidCACertificateRef, https-invalid-kind InvalidCACertificateKind, "
        "https-grant-missing RefNotPermitted, each Accepted=False NoValidCACertificate",
        gw_invalid_refs,
        {
            ("*", 443): Host("works", "require-and-verify", ENFORCED),
            ("first-example.org", 7443): Host(
                "unverified", "require-and-verify", ENFORCED, lead="configmap-not-in-manifests"
            ),
            ("second-example.org", 8443): Host(
                "broken",
                "none",
                NOTHING_LISTENS,
                "listener-refused",
                lead="ca-ref-wrong-kind",
                codes=frozenset({"ca-all-refs-invalid"}),
                words=("InvalidCACertificateKind",),
            ),
            ("fourth-example.org", 6443): Host(
                "broken",
                "none",
                NOTHING_LISTENS,
                "listener-refused",
                lead="ca-ref-not-permitted",
                codes=frozenset({"ca-all-refs-invalid"}),
                words=("RefNotPermitted",),
            ),
        },
        cluster={
            ("first-example.org", 7443): Cluster(
                "none",
                "listener-refused",
                frozenset({"ca-ref-not-found", "ca-all-refs-invalid"}),
                ("InvalidCACertificateRef",),
            )
        },
    ),
    Case(
        "gwapi-insecure-fallback",
        f"{GW} conformance/tests/gateway-with-clientcertificate-validation-insecure-fallback.go "
        "GatewayFrontendClientCertificateValidationInsecureFallback",
        "Gateway InsecureFrontendValidationMode=True ConfigurationChanged; matching, non-matching and no "
        "certificate all get 200 on both ports",
        lambda: gw_default_and_per_port(mode="AllowInsecureFallback"),
        {
            ("example.org", 443): Host(
                "not enforced",
                "request",
                EVERYONE,
                lead="mtls-fallback-mode",
                words=("InsecureFrontendValidationMode",),
            ),
            ("second-example.org", 8443): Host("not enforced", "request", EVERYONE, lead="mtls-fallback-mode"),
        },
        clients={("example.org", 443, OTHER_CLIENT): None, ("second-example.org", 8443, CLIENT): None},
    ),
    Case(
        "istio-ignores-insecure-fallback",
        f"{IS} pilot/pkg/config/kube/gateway/conversion.go buildTLS (no mode read: 'TODO: add Mode'; "
        "AllowInsecureFallback first read in 1.31, commit b9a243785f9)",
        "the conformance Gateway with AllowInsecureFallback, served by Istio 1.30: MUTUAL, enforced",
        gw_insecure_fallback_istio,
        {
            ("example.org", 443): Host(
                "unverified", "require-and-verify", ENFORCED, lead="frontend-mode-ignored", words=("1.31",)
            ),
            ("second-example.org", 8443): Host(
                "unverified", "require-and-verify", ENFORCED, lead="frontend-mode-ignored"
            ),
        },
    ),
    # ---- Envoy Gateway ----
    Case(
        "eg-mtls",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-mtls.in.yaml/.out.yaml (TestTranslate)",
        "both policies Accepted (Warning DeprecatedField for targetRef); each listener requireClientCertificate "
        "with the CA of a Secret (gateway-1) or a ConfigMap (gateway-2)",
        eg_mtls,
        {
            ("one.example.com", 443): Host("works", "require-and-verify", ENFORCED),
            ("two.example.com", 443): Host("works", "require-and-verify", ENFORCED),
        },
        clients={("one.example.com", 443, CLIENT): None, ("two.example.com", 443, OTHER_CLIENT): ALERT["other-ca"]},
    ),
    Case(
        "eg-client-verification",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-mtls-client-verification.in.yaml/.out.yaml",
        "all Accepted; gateway-2 (optional) no requireClientCertificate with the CA; gateway-4 CA from default "
        "through a ReferenceGrant; gateway-5 (Request) no CA, nothing required; gateway-6 (RequireAny) "
        "requireClientCertificate and acceptUntrusted with no CA, which Envoy asks no certificate for",
        eg_client_verification,
        {
            ("two.example.com", 443): Host(
                "not enforced", "verify-if-given", VERIFY_IF_GIVEN, lead="mtls-fallback-mode"
            ),
            ("four.example.com", 443): Host("works", "require-and-verify", ENFORCED),
            ("five.example.com", 443): Host("not enforced", "none", EVERYONE, lead="mtls-fallback-mode"),
            ("six.example.com", 443): Host("not enforced", "none", EVERYONE, lead="mtls-fallback-mode"),
        },
    ),
    Case(
        "eg-bundle-both-invalid",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-mtls-cert-bundle-both-invalid.in.yaml/.out.yaml",
        "policy Accepted=False Invalid 'no valid certificates exist'; the route answers 500",
        eg_bundle_both_invalid,
        {
            ("www.example.com", 443): Host(
                "broken", "none", HTTP_500, "http-500", lead="ca-expired", codes=frozenset({"policy-invalid-http-500"})
            )
        },
    ),
    Case(
        "eg-bundle-one-expired",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-mtls-cert-bundle.in.yaml/.out.yaml",
        "policy Accepted; the expired CA is dropped, the valid one kept",
        eg_bundle_one_expired,
        {("www.example.com", 443): Host("unverified", "require-and-verify", ENFORCED, lead="ca-expired")},
        clients={("www.example.com", 443, CLIENT): None},
    ),
    Case(
        "eg-allow-expired",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-mtls-allow-expired-cert.in.yaml/.out.yaml",
        "policy Accepted; allowExpiredCertificate on the listener: an expired client of the CA gets in",
        eg_allow_expired,
        {
            ("www.example.com", 443): Host(
                "not enforced",
                "require-and-verify",
                {**ENFORCED, "expired": "HTTP 200"},
                lead="client-cert-expired-allowed",
            )
        },
        clients={("www.example.com", 443, str(PKI / "expired.crt")): None},
    ),
    Case(
        "eg-expired-crl",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-mtls-client-verification-expired-crl.in.yaml/.out.yaml",
        "gateway-1 policy Accepted=False Invalid 'CRL is expired'; the listener keeps the CA and "
        "requireClientCertificate; the routes answer 500",
        eg_expired_crl,
        {
            ("www.example.com", 443): Host(
                "broken",
                "require-and-verify",
                {**ALERT, "trusted": "HTTP 500"},
                "http-500",
                lead="crl-expired",
                codes=frozenset({"policy-invalid-http-500"}),
            )
        },
    ),
    Case(
        "eg-invalid-no-ca-key",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-invalid-settings.in.yaml target-gateway-1",
        "policy Accepted=False Invalid 'has none of the expected keys [ca.crt] and more than one entry'; "
        "requireClientCertificate with no CA, the routes answer 500",
        eg_invalid_no_ca_key,
        {
            ("www.example.com", 443): Host(
                "broken",
                "none",
                HTTP_500,
                "http-500",
                lead="ca-ref-no-ca-key",
                codes=frozenset({"policy-invalid-http-500"}),
            )
        },
    ),
    Case(
        "eg-invalid-verify-if-given-without-ca",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-invalid-settings.in.yaml target-gateway-4",
        "policy Accepted=False Invalid 'tls.clientValidation.mode \"VerifyIfGiven\" requires caCertificateRefs'",
        eg_invalid_mode_without_ca(optional=False),
        {
            ("www.example.com", 443): Host(
                "broken", "none", HTTP_500, "http-500", lead="ca-ref-not-found", words=("VerifyIfGiven",)
            )
        },
    ),
    Case(
        "eg-invalid-optional-without-ca",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-invalid-settings.in.yaml target-gateway-5",
        "policy Accepted=False Invalid 'tls.clientValidation.optional=true requires caCertificateRefs'",
        eg_invalid_mode_without_ca(optional=True),
        {
            ("www.example.com", 443): Host(
                "broken", "none", HTTP_500, "http-500", lead="ca-ref-not-found", words=("optional",)
            )
        },
    ),
    Case(
        "eg-dup-ca-refs",
        f"{EG} internal/gatewayapi/testdata/clienttrafficpolicy-mtls-dup-ca-refs.in.yaml/.out.yaml",
        "policy Accepted; the same CA in two Secrets is loaded once",
        eg_dup_ca_refs,
        {
            ("www.example.com", 443): Host(
                "works", "require-and-verify", ENFORCED, absent=frozenset({"policy-invalid-http-500"})
            )
        },
    ),
    Case(
        "eg-per-port-disables-default",
        f"{EG} internal/gatewayapi/testdata/gateway-tls-frontend-backend.in.yaml client-validation-per-port-disable-default",
        "listener https: CA and requireClientCertificate; https-disable-default-validation (perPort 8443 "
        "`tls: {}`): no client validation",
        _per_port_disable,
        {
            ("example.org", 443): Host("works", "require-and-verify", ENFORCED),
            ("example.net", 8443): Host("not enforced", "none", EVERYONE, lead="mtls-fail-open"),
        },
    ),
    Case(
        "eg-e2e-client-mtls",
        f"{EG} test/e2e/tests/client_mtls.go ClientMTLS (test/e2e/testdata/client-mtls.yaml)",
        "mtls.example.com with the client certificate: 200 and XFCC; tls-settings.example.com: TLS settings, no "
        "client certificate",
        eg_e2e_client_mtls,
        {
            ("mtls.example.com", 443): Host(
                "works", "require-and-verify", ENFORCED, codes=frozenset({"mtls-port-scope"})
            ),
            ("tls-settings.example.com", 443): Host("not enforced", "none", EVERYONE),
        },
        clients={("mtls.example.com", 443, CLIENT): None},
    ),
    Case(
        "eg-e2e-cluster-trust-bundle",
        f"{EG} test/e2e/tests/client_mtls.go ClientMTLSClusterTrustBundle (test/e2e/testdata/client-mtls-trustbundle.yaml)",
        "the client of the bundle's CA gets 200 with XFCC: the ClusterTrustBundle is the listener's CA",
        eg_e2e_trust_bundle,
        {("www.example.com", 443): Host("unverified", "require-and-verify", ENFORCED, lead="gateway-class-inferred")},
        clients={("www.example.com", 443, CLIENT): None, ("www.example.com", 443, OTHER_CLIENT): ALERT["other-ca"]},
    ),
    # ---- Traefik ----
    Case(
        "traefik-default-two-ca-bundle",
        f"{TR} integration/https_test.go HTTPSSuite.TestWithClientCertificateAuthenticationMultipleCAs "
        "(fixtures/https/clientca/https_2ca1config.toml)",
        "no clientAuthType: a client without a certificate fails; clients of ca1 and ca2 connect; ca3's fails",
        tr_two_ca_bundle,
        {("snitest.com", 443): Host("works", "require-and-verify", ENFORCED)},
        clients={
            ("snitest.com", 443, CLIENT): None,
            ("snitest.com", 443, OTHER_CLIENT): None,
            ("snitest.com", 443, THIRD_CLIENT): ALERT["other-ca"],
        },
    ),
    Case(
        "traefik-verify-if-given",
        f"{TR} integration/https_test.go HTTPSSuite.TestWithClientCertificateAuthentication "
        "(fixtures/https/clientca/https_1ca1config.toml)",
        "VerifyClientCertIfGiven: the handshake (tls.Dial) succeeds without a certificate, with ca1's, and with "
        "ca2's (TLS 1.3: the refusal comes after the handshake)",
        tr_verify_if_given,
        {("snitest.com", 443): Host("not enforced", "verify-if-given", VERIFY_IF_GIVEN, lead="mtls-fallback-mode")},
        clients={("snitest.com", 443, CLIENT): None, ("snitest.com", 443, OTHER_CLIENT): ALERT["other-ca"]},
    ),
    Case(
        "traefik-two-ca-files",
        f"{TR} integration/https_test.go HTTPSSuite.TestWithClientCertificateAuthenticationMultipleCAsMultipleFiles "
        "(fixtures/https/clientca/https_2ca2config.toml)",
        "RequireAndVerifyClientCert with two CA files: no certificate fails; ca1 and ca2 connect; ca3 fails",
        tr_two_ca_files,
        {("snitest.com", 443): Host("works", "require-and-verify", ENFORCED)},
        clients={("snitest.com", 443, OTHER_CLIENT): None, ("snitest.com", 443, THIRD_CLIENT): ALERT["other-ca"]},
    ),
    Case(
        "traefik-crd-tls-options",
        f"{TR} pkg/provider/kubernetes/crd/kubernetes_test.go TestLoadIngressRoutes 'TLS with tls options' "
        "(fixtures/with_tls_options.yml)",
        "options default-foo: CAFiles from tls.ca and ca.crt, VerifyClientCertIfGiven; router TLS options default-foo",
        tr_crd_tls_options,
        {("snitest.com", 443): Host("not enforced", "verify-if-given", VERIFY_IF_GIVEN, lead="mtls-fallback-mode")},
        clients={("snitest.com", 443, OTHER_CLIENT): None},
    ),
    Case(
        "traefik-crd-bad-tls-options",
        f"{TR} pkg/provider/kubernetes/crd/kubernetes_test.go TestLoadIngressRoutes 'TLS with bad tls options' "
        "(fixtures/with_bad_tls_options.yml)",
        "options default-foo keep the one CA that exists, VerifyClientCertIfGiven",
        tr_crd_bad_tls_options,
        {
            ("snitest.com", 443): Host(
                "not enforced",
                "verify-if-given",
                VERIFY_IF_GIVEN,
                lead="secret-not-in-manifests",  # warnings both: the files' gap is listed first
                codes=frozenset({"mtls-fallback-mode"}),
            )
        },
    ),
    Case(
        "traefik-crd-unknown-options",
        f"{TR} pkg/provider/kubernetes/crd/kubernetes_test.go TestLoadIngressRoutes 'TLS with unknown tls options' "
        "(fixtures/with_unknown_tls_options.yml)",
        "router TLS options default-unknown, which no TLSOption defines (tlsmanager.go Manager.Get: unknown TLS "
        "options, the closing route)",
        tr_crd_unknown_options,
        {("snitest.com", 443): Host("unverified", "require-and-verify", ENFORCED, lead="tls-option-not-in-manifests")},
        cluster={("snitest.com", 443): Cluster("none", "connection-closed", frozenset({"tls-option-unknown"}))},
    ),
    Case(
        "traefik-crd-cross-namespace",
        f"{TR} pkg/provider/kubernetes/crd/kubernetes_test.go TestLoadIngressRoutes 'HTTP TLSOption cross namespace "
        "disallowed' (fixtures/with_tls_options_cross_namespace.yml)",
        "no router at all (allowCrossNamespace is off)",
        tr_crd_cross_namespace,
        {("snitest.com", 443): Host("broken", "none", NOT_FOUND, "not-served", lead="tls-option-not-permitted")},
    ),
    Case(
        "traefik-crd-two-defaults",
        f"{TR} pkg/provider/kubernetes/crd/kubernetes_test.go TestLoadIngressRoutes 'TLS with two default tls "
        "options' (fixtures/with_default_tls_options*.yml)",
        "the provider defines no TLS options: the built-in default, no client certificate asked",
        tr_crd_two_defaults,
        {("snitest.com", 443): Host("not enforced", "none", EVERYONE, lead="mtls-fail-open")},
    ),
    # ---- F5 NGINX Ingress Controller ----
    Case(
        "f5-vs-spec-policy",
        f"{F5} tests/suite/test_ingress_mtls.py TestIngressMtlsPolicyVS.test_ingress_mtls_policy (spec) and "
        "test_ingress_mtls_policy_cert",
        "VirtualServer Valid; with the client certificate 200, without it 400 'No required SSL certificate was sent'",
        f5_vs({"ingressMTLS": MTLS}),
        {(VS_HOST, 443): Host("unverified", "require-and-verify", NGINX)},
        clients={(VS_HOST, 443, CLIENT): None, (VS_HOST, 443, OTHER_CLIENT): "HTTP 400"},
    ),
    Case(
        "f5-vs-route-policy",
        f"{F5} tests/suite/test_ingress_mtls.py TestIngressMtlsPolicyVS.test_ingress_mtls_policy (route context)",
        "VirtualServer Warning 'is not allowed in the route context'; 500 Internal Server Error",
        f5_vs({"ingressMTLS": MTLS}, route=True),
        {
            (VS_HOST, 443): Host(
                "broken", "none", HTTP_500, "http-500", lead="policy-invalid-http-500", words=("route context",)
            )
        },
    ),
    Case(
        "f5-vs-invalid-policy",
        f"{F5} tests/suite/test_ingress_mtls.py TestIngressMtlsPolicyVS.test_ingress_mtls_policy (invalid policy, "
        "tests/data/ingress-mtls/policies/ingress-mtls-invalid.yaml)",
        "misspelt keys: the Policy is invalid, the VirtualServer 'is missing or invalid', 500",
        f5_vs(MISSPELT),
        {
            (VS_HOST, 443): Host(
                "broken", "none", HTTP_500, "http-500", lead="policy-invalid-http-500", words=("missing or invalid",)
            )
        },
    ),
    Case(
        "f5-vs-crl-file",
        f"{F5} tests/suite/test_ingress_mtls.py TestIngressMtlsPolicyVS.test_ingress_mtls_policy_crl "
        "(policies/ingress-mtls-crl.yaml: crlFileName webapp.crl)",
        "the VirtualServer is Invalid and the host answers 404: nginx cannot load /etc/nginx/secrets/webapp.crl",
        f5_vs({"ingressMTLS": {**MTLS, "crlFileName": "webapp.crl"}}),
        {(VS_HOST, 443): Host("unverified", "require-and-verify", NGINX, lead="crl-file-unchecked", words=("404",))},
    ),
    Case(
        "f5-vs-crl-file-and-ca-crl",
        f"{F5} tests/suite/test_ingress_mtls.py TestIngressMtlsPolicyVS.test_ingress_mtls_policy_crl "
        "(crlFileName and a Secret with ca.crl)",
        "warning 'Both ca.crl in the Secret and ingressMTLS.crlFileName fields cannot be used'; Invalid, 404",
        f5_vs(
            {"ingressMTLS": {**MTLS, "crlFileName": "webapp.crl"}},
            ca=secret("ingress-mtls-secret", F5NS, {"ca.crt": "ca", "ca.crl": "expired.crl"}, "nginx.org/ca"),
        ),
        {(VS_HOST, 443): Host("unverified", "require-and-verify", NGINX, lead="crl-file-unchecked", words=("ca.crl",))},
    ),
    Case(
        "f5-ingress-policy",
        f"{F5} tests/suite/test_ingress_mtls_ingress.py test_ingress_mtls_policy_ingress",
        "Policy AddedOrUpdated/Valid; 200 with the certificate, 400 without",
        f5_ing({"ingressMTLS": MTLS}),
        {(ING_HOST, 443): Host("unverified", "require-and-verify", NGINX)},
        clients={(ING_HOST, 443, CLIENT): None},
    ),
    Case(
        "f5-ingress-invalid-policy",
        f"{F5} tests/suite/test_ingress_mtls_ingress.py test_invalid_ingress_mtls_policy_ingress",
        "Policy Rejected/Invalid; the Ingress answers 500",
        f5_ing(MISSPELT),
        {(ING_HOST, 443): Host("broken", "none", HTTP_500, "http-500", lead="policy-invalid-http-500")},
    ),
    Case(
        "f5-ingress-depth",
        f"{F5} tests/suite/test_ingress_mtls_ingress.py test_ingress_mtls_chain_validation "
        "(policies/ingress-mtls-depth2.yaml, ingress-mtls-depth0.yaml)",
        "verifyDepth 2: the client through intermediates gets 200; verifyDepth 0: 400",
        f5_ing({"ingressMTLS": {**MTLS, "verifyDepth": 0}}),
        {(ING_HOST, 443): Host("unverified", "require-and-verify", NGINX)},
        clients={(ING_HOST, 443, DEEP_CLIENT): "HTTP 400", (ING_HOST, 443, CLIENT): None},
    ),
    Case(
        "f5-ingress-depth-2",
        f"{F5} tests/suite/test_ingress_mtls_ingress.py test_ingress_mtls_chain_validation (verifyDepth 2)",
        "verifyDepth 2: the client through two intermediates gets 200",
        f5_ing({"ingressMTLS": {**MTLS, "verifyDepth": 2}}),
        {(ING_HOST, 443): Host("unverified", "require-and-verify", NGINX)},
        clients={(ING_HOST, 443, DEEP_CLIENT): None},
    ),
    Case(
        "f5-ingress-missing-secret",
        f"{F5} tests/suite/test_ingress_mtls_ingress.py test_ingress_mtls_missing_secret_ingress "
        "(policies/ingress-mtls-missing-secret.yaml)",
        "the Policy stays Valid; the Ingress answers 500",
        f5_ing({"ingressMTLS": {**MTLS, "clientCertSecret": "ingress-mtls-secret-missing"}}),
        {
            (ING_HOST, 443): Host(
                "unverified", "require-and-verify", NGINX, lead="secret-not-in-manifests", words=("500",)
            )
        },
        cluster={(ING_HOST, 443): Cluster("none", "http-500", frozenset({"ca-ref-not-found"}))},
    ),
    Case(
        "f5-mergeable-master",
        f"{F5} tests/suite/test_ingress_mtls_mergeable_ingress.py test_ingress_mtls_policy_mergeable_master",
        "the policy on the master applies to every merged path: 400 without a certificate, 200 with it",
        lambda: f5_mergeable(on_master=True),
        {(ING_HOST, 443): Host("unverified", "require-and-verify", NGINX)},
    ),
    Case(
        "f5-mergeable-minion",
        f"{F5} tests/suite/test_ingress_mtls_mergeable_ingress.py test_ingress_mtls_policy_mergeable_minion",
        "the policy on a minion is rejected (policy.go: not allowed in the minion context): 500",
        lambda: f5_mergeable(on_master=False),
        {
            (ING_HOST, 443): Host(
                "broken", "none", HTTP_500, "http-500", lead="policy-invalid-http-500", words=("minion context",)
            )
        },
    ),
    # ---- Istio ----
    Case(
        "istio-tls-frontend",
        f"{IS} pilot/pkg/config/kube/gateway/testdata/tls.yaml(.golden) listeners terminate, "
        "terminate-optional-mtls-frontendvalidation (TestConvertResources)",
        "MUTUAL with caCertCredentialName configmap://istio-system/my-cert-http-cacert; the OPTIONAL_MUTUAL "
        "option gives OPTIONAL_MUTUAL",
        is_tls,
        {
            ("domain.example", 34000): Host(
                "works", "require-and-verify", ENFORCED, codes=frozenset({"mtls-port-scope"})
            ),
            ("optional-mtls.example", 34000): Host(
                "not enforced", "verify-if-given", VERIFY_IF_GIVEN, lead="mtls-fallback-mode"
            ),
        },
    ),
    Case(
        "istio-tls-istio-simple",
        f"{IS} pilot/pkg/config/kube/gateway/testdata/tls.yaml(.golden) listener terminate-istio-builtin "
        "(conversion.go buildTLS returns before the frontend)",
        "mode SIMPLE with credentialName builtin://: no client certificate asked, the Gateway's frontend "
        "validation notwithstanding",
        is_tls,
        {
            ("builtin.example", 34000): Host(
                "not enforced", "none", EVERYONE, lead="frontend-validation-not-applied", words=("ISTIO_SIMPLE",)
            )
        },
    ),
    Case(
        "istio-tls-istio-mutual",
        f"{IS} pilot/pkg/config/kube/gateway/testdata/tls.yaml(.golden) listener terminate-istio-mtls",
        "mode ISTIO_MUTUAL, no caCertCredentialName: clients are verified against the mesh's CA, not the frontend's",
        is_tls,
        {
            ("egress.example", 34000): Host(
                "broken",
                "require-and-verify",
                ENFORCED,
                lead="frontend-validation-not-applied",
                words=("ISTIO_MUTUAL",),
            )
        },
    ),
    Case(
        "istio-invalid-two-refs",
        f"{IS} pilot/pkg/config/kube/gateway/testdata/invalid.yaml(.status.yaml.golden) invalid-frontendvalidation-malformed",
        "listener Accepted=True, ResolvedRefs=False InvalidCertificateRef 'only one caCertificateRef is "
        "supported', Programmed=False Invalid; no server is built",
        is_invalid(
            [ca_ref("malformed"), ca_ref("malformed-trustbundle")],
            configmap("malformed", ISNS, ca_crt="ca"),
            configmap("malformed-trustbundle", ISNS, ca_crt="ca"),
        ),
        {
            ("two.example", 34000): Host(
                "broken",
                "none",
                CLOSED,
                "listener-refused",
                lead="ca-all-refs-invalid",
                words=("InvalidCertificateRef", "Accepted=True", "Programmed=False"),
            )
        },
    ),
    Case(
        "istio-invalid-kind",
        f"{IS} pilot/pkg/config/kube/gateway/testdata/invalid.yaml(.status.yaml.golden) invalid-frontendvalidation-unknown",
        "ResolvedRefs=False InvalidCertificateRef 'only secret and configmap are allowed', Accepted=True",
        is_invalid([ca_ref("my-cert-http", kind="unknown", group="core")]),
        {
            ("two.example", 34000): Host(
                "broken", "none", CLOSED, "listener-refused", lead="ca-ref-wrong-kind", words=("InvalidCertificateRef",)
            )
        },
    ),
    Case(
        "istio-invalid-grant",
        f"{IS} pilot/pkg/config/kube/gateway/testdata/invalid.yaml(.status.yaml.golden) "
        "invalid-frontendvalidation-missing-refgrant",
        "ResolvedRefs=False RefNotPermitted, Accepted=True, Programmed=False",
        is_invalid([ca_ref("auth-cert", namespace="default")], configmap("auth-cert", "default", ca_crt="ca")),
        {
            ("two.example", 34000): Host(
                "broken",
                "none",
                CLOSED,
                "listener-refused",
                lead="ca-ref-not-permitted",
                words=("RefNotPermitted", "Accepted=True"),
            )
        },
    ),
    Case(
        "istio-invalid-nonexistent",
        f"{IS} pilot/pkg/config/kube/gateway/testdata/invalid.yaml(.status.yaml.golden) invalid-frontendvalidation-nonexistent",
        "ResolvedRefs=False InvalidCertificateRef 'configmap istio-system/nonexistent not found', Accepted=True",
        is_invalid([ca_ref("nonexistent")]),
        {("two.example", 34000): Host("unverified", "require-and-verify", ENFORCED, lead="configmap-not-in-manifests")},
        cluster={
            ("two.example", 34000): Cluster(
                "none",
                "listener-refused",
                frozenset({"ca-ref-not-found", "ca-all-refs-invalid"}),
                ("InvalidCertificateRef",),
            )
        },
    ),
]


# --- running a case -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def third_client(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Traefik's ca3 and client3: a client of a CA no case trusts."""
    folder = tmp_path_factory.mktemp("third")
    ca = issue_ca("third CA", key=new_key("ec"))
    client = issue_leaf("client3", ca, key=new_key("ec"), v1=False, eku=["clientAuth"])
    write_file(folder / THIRD_CLIENT, client.cert_pem())
    return folder / THIRD_CLIENT


def check(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[tuple[str, int], dict[str, Any]]:
    """`mtls-tui check --manifests PATH --json --no-probe [extra]`, as a user runs it."""
    main(["check", "--manifests", str(path), "--json", "--no-probe", *extra])
    report = json.loads(capsys.readouterr().out)
    return {(h["host"], h["port"]): h for h in report["other_controllers"]}


def lead(host: dict[str, Any]) -> dict[str, Any] | None:
    """The finding that explains the state: the first error, else the first warning."""
    findings = host["findings"]
    return next((f for f in findings if f["severity"] == "error"), None) or next(
        (f for f in findings if f["severity"] == "warning"), None
    )


REFUSALS = (
    "client-cert-untrusted",
    "cert-expired",
    "client-cert-wrong-purpose",
    "chain-too-deep",
    "cert-not-yet-valid",
)


def test_enough_upstream_cases() -> None:
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)
    for case in CASES:
        assert case.source.split()[0] in {s.split()[0] for s in (EG, GW, TR, F5, IS)}, case.source


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_upstream_case(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], third_client: Path) -> None:
    assert_case(case, tmp_path, capsys, REFUSALS, third_client)


def assert_case(
    case: Case,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    refusals: tuple[str, ...],
    third_client: Path | None = None,
) -> None:
    """`check --manifests` on the case's objects says what the case expects of each host (and of each
    client certificate, judged against the finding codes in `refusals`), and the cluster reading too."""
    docs = case.objects()
    path = tmp_path / f"{case.id}.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    hosts = check(path, capsys, *case.extra)
    for key, want in case.hosts.items():
        assert key in hosts, (key, sorted(hosts))
        got = hosts[key]
        codes = [f["code"] for f in got["findings"]]
        assert (got["state"], got["mode"], got["breakage"]) == (want.state, want.mode, want.breakage), (key, codes)
        for kind, answer in want.answers.items():
            assert got["predicted"][kind] == answer, (key, kind, got["predicted"])
        first = lead(got)
        if want.lead is None:
            assert first is None or first["code"] in ("controller-release-unseen", "mtls-port-scope"), (key, codes)
        else:
            assert first is not None and first["code"] == want.lead, (key, codes)
        assert want.codes <= set(codes), (key, codes)
        assert not want.absent & set(codes), (key, codes)
        if want.words:
            assert first is not None
            said = " ".join([first["title"], first["detail"], *first["evidence"]])
            for word in want.words:
                assert word in said, (key, word, said)
    for (host, port, cert), refusal in case.clients.items():
        cert_path = third_client if cert == THIRD_CLIENT and third_client is not None else Path(cert)
        got = check(path, capsys, "--cert", str(cert_path), *case.extra)[(host, port)]
        refused = [f for f in got["findings"] if f["code"] in refusals]
        if refusal is None:
            assert not refused, (host, port, cert, refused)
        else:
            assert refused and refusal in refused[0]["title"], (host, port, cert, [f["title"] for f in got["findings"]])
    if case.cluster:
        found = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
        by_key = {(v.host, v.port): v for v in found}
        for key, want_cluster in case.cluster.items():
            validation = by_key[key]
            codes = {f.code for f in validation.findings}
            assert (validation.mode, validation.breakage) == (want_cluster.mode, want_cluster.breakage), (key, codes)
            assert want_cluster.codes <= codes, (key, codes)
            said = " ".join(" ".join([f.title, f.detail, *f.evidence]) for f in validation.findings)
            for word in want_cluster.words:
                assert word in said, (key, word)


def test_no_fix_carries_a_comment_tail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fix is pasted into a shell: `  # …` after a command breaks in zsh (no interactivecomments), so
    the words after a command go into the finding's detail."""
    for case in CASES:
        path = tmp_path / f"{case.id}.yaml"
        path.write_text(yaml.safe_dump_all(case.objects()))
        for host in check(path, capsys, *case.extra).values():
            for finding in host["findings"]:
                assert not re.search(r"\s#", finding["fix"]), (case.id, finding["code"], finding["fix"])


# --- the new fixes, run as printed: bash, the real kubectl against the lab's API server holding the
# --- case's objects; the objects kubectl leaves are read back through the cluster source and judged again


def by_host(snapshot: ClusterSnapshot) -> dict[tuple[str, int], ClientValidation]:
    return {(v.host, v.port): v for v in client_validations(snapshot)}


def finding_of(validation: ClientValidation, code: str) -> Finding:
    return next(f for f in validation.findings if f.code == code)


def run_printed(
    fix: str, docs: list[dict[str, Any]], folder: Path
) -> tuple[str, dict[tuple[str, int], ClientValidation]]:
    done, after = read_back_as_printed(fix, docs, folder)
    assert done.returncode == 0, f"{fix}\n{done.stderr}"
    return done.stdout, by_host(after)


def cluster(docs: list[dict[str, Any]]) -> dict[tuple[str, int], ClientValidation]:
    return by_host(snapshot_from_objects(docs, "cluster", complete=True))


def files(docs: list[dict[str, Any]]) -> dict[tuple[str, int], ClientValidation]:
    return by_host(snapshot_from_objects(docs, "files", complete=False))


def test_the_inferred_class_fix_prints_the_controller(tmp_path: Path) -> None:
    """gateway-class-inferred: the command prints the class's controllerName (here Envoy Gateway's)."""
    docs = eg_e2e_trust_bundle()
    finding = finding_of(files(docs)[("www.example.com", 443)], "gateway-class-inferred")
    printed, _ = run_printed(finding.fix, [gateway_class("envoy-gateway", EG_CLASS), *docs], tmp_path)
    assert printed == EG_CLASS


def test_the_ignored_fallback_fix_writes_the_mode_istio_serves(tmp_path: Path) -> None:
    """frontend-mode-ignored: the Gateway says AllowValidOnly, which Istio 1.30 serves: no finding left."""
    docs = gw_insecure_fallback_istio()
    finding = finding_of(cluster(docs)[("example.org", 443)], "frontend-mode-ignored")
    _, after = run_printed(finding.fix, docs, tmp_path)
    validation = after[("example.org", 443)]
    assert (validation.mode, validation.breakage) == ("require-and-verify", None)
    assert not {f.code for f in validation.findings} & {"frontend-mode-ignored", "mtls-fallback-mode"}


@pytest.mark.parametrize("host", ["builtin.example", "egress.example"])
def test_the_istio_option_fix_lets_the_frontend_apply(tmp_path: Path, host: str) -> None:
    """frontend-validation-not-applied (ISTIO_SIMPLE, ISTIO_MUTUAL): the option goes, the listener gets
    another listener's certificate, and the frontend's CA applies (MUTUAL)."""
    docs = is_tls()
    finding = finding_of(cluster(docs)[(host, 34000)], "frontend-validation-not-applied")
    _, after = run_printed(finding.fix, docs, tmp_path)
    validation = after[(host, 34000)]
    assert (validation.mode, validation.breakage) == ("require-and-verify", None)
    assert validation.ca_pem and "frontend-validation-not-applied" not in {f.code for f in validation.findings}


@pytest.fixture
def f5_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The lab serves F5's Policy and VirtualServer, as a cluster with F5's CRDs."""
    serve(monkeypatch, EXTRA["f5"])


@pytest.mark.parametrize(
    "objects",
    [lambda: f5_mergeable(on_master=False), f5_vs({"ingressMTLS": MTLS}, route=True)],
    ids=["minion", "route"],
)
def test_the_f5_context_fix_moves_the_policy_where_it_applies(tmp_path: Path, f5_kinds: None, objects) -> None:
    """policy-invalid-http-500 (minion context: to the master's nginx.org/policies; route context: to
    spec.policies): afterwards the host requires a client certificate and answers no 500."""
    docs = objects()
    host = ING_HOST if docs[-1]["kind"] == "Ingress" else VS_HOST
    finding = finding_of(cluster(docs)[(host, 443)], "policy-invalid-http-500")
    _, after = run_printed(finding.fix, docs, tmp_path)
    validation = after[(host, 443)]
    assert (validation.mode, validation.breakage) == ("require-and-verify", None), validation.findings


@pytest.mark.parametrize(
    ("code", "objects"),
    [
        ("crl-file-unchecked", f5_vs({"ingressMTLS": {**MTLS, "crlFileName": "webapp.crl"}})),
        (
            "policy-invalid-http-500",
            f5_ing({"ingressMTLS": {"clientCertSecret": "ingress-mtls-secret", "verifyClient": "sometimes"}}),
        ),
        ("policy-invalid-http-500", f5_ing({})),
    ],
    ids=["crl-file", "invalid-field", "no-policy-type"],
)
def test_the_f5_read_only_fixes_run(tmp_path: Path, f5_kinds: None, code: str, objects) -> None:
    """The controller's Deployment, and the Policy's state and message (a Policy whose spec names no type:
    what the API server stores of the misspelt one): commands that show, and exit 0."""
    docs = objects()
    host = VS_HOST if docs[-1]["kind"] == "VirtualServer" else ING_HOST
    finding = finding_of(cluster(docs)[(host, 443)], code)
    run_printed(finding.fix, docs, tmp_path)


def test_the_unseen_f5_secret_fix_saves_it_for_manifests(
    tmp_path: Path, f5_kinds: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """secret-not-in-manifests: the command saves the Secret the cluster holds; with that file among the
    manifests the warning is gone."""
    docs = f5_ing({"ingressMTLS": MTLS})()
    without = [d for d in docs if d["metadata"]["name"] != "ingress-mtls-secret"]
    finding = finding_of(files(without)[(ING_HOST, 443)], "secret-not-in-manifests")
    run_printed(finding.fix, docs, tmp_path)
    (tmp_path / "objects.yaml").write_text(yaml.safe_dump_all(without))
    saved = sorted(p.name for p in tmp_path.glob("*-secret.yaml"))
    assert saved == ["ingress-mtls-secret-secret.yaml"]
    got = check(tmp_path, capsys)[(ING_HOST, 443)]
    assert "secret-not-in-manifests" not in {f["code"] for f in got["findings"]}


def test_the_chain_too_deep_fix_raises_the_depth(
    tmp_path: Path, f5_kinds: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """chain-too-deep on F5 (verifyDepth 0, a client through two intermediates): the fix sets
    verifyDepth 2, and nginx then accepts that client."""
    docs = f5_ing({"ingressMTLS": {**MTLS, "verifyDepth": 0}})()
    path = tmp_path / "objects.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    got = check(path, capsys, "--cert", DEEP_CLIENT)[(ING_HOST, 443)]
    finding = next(f for f in got["findings"] if f["code"] == "chain-too-deep")
    _, after = run_printed(finding["fix"], docs, tmp_path)
    validation = after[(ING_HOST, 443)]
    assert validation.verify_depth == 2
    client = load_material(Path(DEEP_CLIENT).read_bytes(), DEEP_CLIENT)
    verdict = judge_client(validation, client, datetime.now(UTC))
    assert verdict is not None and verdict.accepted


# --- measured: F5's verifyDepth on the real nginx ----------------------------------------------------


@pytest.mark.parametrize("depth", [0, 2])
def test_f5_depth_is_measured_on_nginx(
    depth: int, nginx_binary: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """test_ingress_mtls_chain_validation (verifyDepth 2: 200; 0: 400) for a client through two
    intermediates (pki/deep.crt): the reader's ClientValidation rendered as F5 renders it
    (lab/nginx_successors.py f5_server_block), served by the real nginx, probed with that client; what
    comes back is what the tool says the client gets (`check --cert`)."""
    docs = f5_ing({"ingressMTLS": {**MTLS, "verifyDepth": depth}})()
    path = tmp_path / "objects.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    said = check(path, capsys, "--cert", DEEP_CLIENT)[(ING_HOST, 443)]
    refused = [f for f in said["findings"] if f["code"] in REFUSALS]
    validation = replace(cluster(docs)[(ING_HOST, 443)], host="meow.com")  # the server certificate's name
    ca = tmp_path / "client-ca.crt"
    write_file(ca, validation.ca_pem or b"")
    port = free_port()
    server = (WIRE_PKI.path("server", "crt"), WIRE_PKI.path("server", "key"))
    with Nginx(lambda prefix: f5_server_block(validation, port, *server, ca), [port], binary=nginx_binary):
        results, _ = probe_port(port, WIRE_PKI, "meow.com", "deep")
    answer = observed_answer(results[-1])
    assert answer is not None
    if depth == 0:
        assert answer.status == 400 and refused and refused[0]["code"] == "chain-too-deep"
        assert f"HTTP {answer.status}" in refused[0]["title"]
    else:
        assert answer.kind == "admitted" and not refused
