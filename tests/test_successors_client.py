"""The user's client certificate against another controller's CA, before any probe: refused
certificates are named with the answer that data plane gives (docs/successors.md section 7,
measured: no clientAuth EKU → alert 43 on Envoy, 42 on Go, 400 on nginx; another CA → 48;
expired → 45), under the catalogue's codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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
    assert found[0]["fix"].startswith("mtls-tui inspect --cert ")


def test_a_trusted_certificate_is_not_named(capsys: pytest.CaptureFixture[str]) -> None:
    main(
        ["check", "--manifests", str(DATA / "gateway-api/healthy.yaml"), "--cert", str(PKI / "client.crt")]
        + ["--no-probe", "--json"]
    )
    [host] = json.loads(capsys.readouterr().out)["other_controllers"]
    assert not [f for f in host["findings"] if f["code"].startswith(("client-cert", "cert-"))]
