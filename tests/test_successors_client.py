"""The user's client certificate against another controller's CA, before any probe: refused
certificates are named with the answer that data plane gives (docs/successors.md section 7,
measured: no clientAuth EKU → alert 43 on Envoy, 42 on Go, 400 on nginx; another CA → 48;
expired → 45), under the catalogue's codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509

from mtls_tui.cli import main

DATA = Path(__file__).parent / "data" / "successors"
PKI = DATA / "pki"


@pytest.mark.parametrize(
    ("manifest", "cert", "code", "answer"),
    [
        ("gateway-api/healthy.yaml", "noeku", "client-cert-wrong-purpose", "TLS alert 43 after the handshake"),
        ("gateway-api/healthy.yaml", "wrongca", "client-cert-untrusted", "TLS alert 48 after the handshake"),
        ("gateway-api/healthy.yaml", "expired", "cert-expired", "TLS alert 45 after the handshake"),
        ("istio/healthy.yaml", "noeku", "client-cert-wrong-purpose", "TLS alert 43 after the handshake"),
        ("f5-nginx/healthy-virtualserver.yaml", "noeku", "client-cert-wrong-purpose", "HTTP 400"),
    ],
)
def test_your_certificate_refused_as_that_data_plane_refuses(
    manifest: str, cert: str, code: str, answer: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = ["--controller", "f5-nginx"] if manifest.startswith("f5") else []
    main(
        [
            "check",
            "--manifests",
            str(DATA / manifest),
            "--cert",
            str(PKI / f"{cert}.crt"),
            "--no-probe",
            "--json",
            *extra,
        ]
    )
    [host] = json.loads(capsys.readouterr().out)["other_controllers"]
    found = [f for f in host["findings"] if f["code"] == code]
    assert found and found[0]["severity"] == "error" and answer in found[0]["title"], host["findings"]
    # the fix re-signs it with the CA the data plane loads (it was `mtls-tui inspect`, a look that fixed nothing;
    # run on the Envoy lab: test_lab_envoy_scenarios.test_the_wrong_ca_fix_lets_the_client_in_on_the_envoy_lab)
    fix = found[0]["fix"]
    assert "openssl x509 -req" in fix and "-CA ca.crt -CAkey ca.key" in fix and f"-out {PKI / cert}.crt" in fix, fix
    # broken for you, headline and state, as ingress-nginx's host with your refused certificate is
    # (before: "unverified", headed "... requires a certificate from its CA", beside this error)
    assert host["state"] == "broken" and host["verdict"] == found[0]["title"], host["verdict"]


def test_a_trusted_certificate_is_not_named(capsys: pytest.CaptureFixture[str]) -> None:
    main(
        ["check", "--manifests", str(DATA / "gateway-api/healthy.yaml"), "--cert", str(PKI / "client.crt")]
        + ["--no-probe", "--json"]
    )
    [host] = json.loads(capsys.readouterr().out)["other_controllers"]
    assert not [f for f in host["findings"] if f["code"].startswith(("client-cert", "cert-"))]
    assert host["state"] == "works"  # every input read, nothing wrong (not probed: the verdict says so)
    assert host["unchecked"] == [] and "not probed" in host["verdict"]


@pytest.mark.parametrize(
    ("name", "code", "answer"),
    [
        # the audit's eg-14 with pki2: no finding at all before (diagnose/successors.py _KIND_BY_ERROR);
        # the answers are measured in test_successors_envoy_wire.py test_envoy_answers_the_odd_certificates_as_predicted
        ("same-name-ca", "client-cert-untrusted", "TLS alert 51 after the handshake"),
        ("not-yet-valid", "cert-not-yet-valid", "TLS alert 45 after the handshake"),
    ],
)
def test_a_certificate_outside_the_table_is_named(
    name: str, code: str, answer: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.successor_gateways import odd_clients

    cert, _ = odd_clients(tmp_path)[name]
    main(["check", "--manifests", str(DATA / "gateway-api/healthy.yaml"), "--cert", str(cert), "--no-probe", "--json"])
    [host] = json.loads(capsys.readouterr().out)["other_controllers"]
    found = [f for f in host["findings"] if f["code"] == code]
    assert found and found[0]["severity"] == "error" and answer in found[0]["title"], host["findings"]


def test_an_unmeasured_refusal_is_a_warning_with_openssls_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A chain OpenSSL refuses for a reason no data plane was measured on (an intermediate that is
    no CA: "invalid CA certificate", then its purpose fails too) still gives a finding, never
    silence (diagnose/successors.py _unmeasured_refusal); it claims no wire answer, since BoringSSL
    and Go's crypto/x509 may judge it otherwise."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from mtls_tui.certs.issue import Issued, issue_leaf
    from mtls_tui.lab.pki import write_file

    ca_cert = x509.load_pem_x509_certificate((PKI / "ca.crt").read_bytes())
    ca = Issued(ca_cert, load_pem_private_key((PKI / "ca.key").read_bytes(), None))  # type: ignore[arg-type]
    not_a_ca = issue_leaf("not a CA", ca, v1=False)  # no basicConstraints CA:TRUE
    leaf = issue_leaf("client", not_a_ca, v1=False, eku=["clientAuth"])
    chain = tmp_path / "chain.crt"
    write_file(chain, leaf.cert_pem() + not_a_ca.cert_pem())
    main(["check", "--manifests", str(DATA / "gateway-api/healthy.yaml"), "--cert", str(chain), "--no-probe", "--json"])
    [host] = json.loads(capsys.readouterr().out)["other_controllers"]
    [found] = [f for f in host["findings"] if f["code"] == "client-cert-untrusted"]
    assert found["severity"] == "warning" and "not measured" in found["title"], found
    assert "OpenSSL refuses your certificate" in found["title"] and "alert" not in found["title"]
    assert "invalid CA certificate" in found["title"] + " ".join(found["evidence"])
