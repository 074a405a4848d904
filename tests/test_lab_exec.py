"""The article's troubleshooting step against the lab: `kubectl exec` into a controller pod and
read /etc/nginx/nginx.conf, over the WebSocket streaming protocol kubectl (v5.channel.k8s.io) and
the Python client's `stream` (v4.channel.k8s.io) speak. The file holds the host's server block as
ingress-nginx's template renders it (nginx.tmpl: `## start server`, `# PEM sha:` above
`ssl_client_certificate`), the sha as store/backend_ssl.go computes it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mtls_tui.lab.environment import Lab
from tests.conftest import require


@pytest.fixture()
def lab(tmp_path: Path):
    with Lab(tmp_path / "pki", "healthy", gateway="builtin") as running:
        yield running


def kubectl(lab: Lab, *args: str) -> subprocess.CompletedProcess[str]:
    binary = require("kubectl", shutil.which("kubectl"))
    return subprocess.run(
        [binary, "--cache-dir", str(lab.folder / ".kube-cache"), *args],
        env={**os.environ, "KUBECONFIG": str(lab.kubeconfig)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_kubectl_exec_cat_nginx_conf(lab: Lab) -> None:
    pod = kubectl(lab, "get", "pods", "-n", "ingress-nginx", "-o", "jsonpath={.items[0].metadata.name}").stdout
    done = kubectl(lab, "exec", "-n", "ingress-nginx", pod, "--", "cat", "/etc/nginx/nginx.conf")
    assert done.returncode == 0, done.stderr
    block = done.stdout.split("## start server meow.com", 1)[1].split("## end server meow.com", 1)[0]
    assert "ssl_client_certificate /etc/ingress-controller/ssl/default-my-certs.pem;" in block
    assert "ssl_verify_client on;" in block and "ssl_verify_depth 1;" in block
    # the seed's Secret has a keypair: the sha is of tls.crt + "\n" + tls.key, taken before ca.crt is appended
    pki = lab.pki
    assert pki is not None
    expected = hashlib.sha1(pki.server.cert_pem() + b"\n" + pki.server.key_pem()).hexdigest()
    assert f"# PEM sha: {expected}" in block
    # the grep the article does
    grep = subprocess.run(
        ["grep", "-E", "ssl_client_certificate|ssl_verify"], input=done.stdout, capture_output=True, text=True
    )
    assert grep.stdout.count("\n") == 3, grep.stdout


def test_exec_failures_read_as_kubectl_reads_them(lab: Lab) -> None:
    pod = kubectl(lab, "get", "pods", "-n", "ingress-nginx", "-o", "jsonpath={.items[0].metadata.name}").stdout
    missing = kubectl(lab, "exec", "-n", "ingress-nginx", pod, "--", "cat", "/nope")
    assert missing.returncode == 1 and "No such file or directory" in missing.stderr
    other = kubectl(lab, "exec", "-n", "ingress-nginx", pod, "--", "sh", "-c", "id")
    assert other.returncode != 0 and "executable file not found" in other.stderr
    assert lab.cluster is not None
    lab.cluster.forbid("create", "pods/exec", "ingress-nginx")
    refused = kubectl(lab, "exec", "-n", "ingress-nginx", pod, "--", "cat", "/etc/nginx/nginx.conf")
    assert refused.returncode != 0 and "forbidden" in refused.stderr.lower(), refused.stderr


def test_python_client_stream_v4(lab: Lab) -> None:
    """The kubernetes client's `stream` (websocket-client, v4.channel.k8s.io)."""
    from kubernetes import client, config
    from kubernetes.stream import stream

    api = config.new_client_from_config(config_file=str(lab.kubeconfig))
    try:
        core = client.CoreV1Api(api)
        pod = core.list_namespaced_pod("ingress-nginx").items[0].metadata.name
        out = stream(
            core.connect_get_namespaced_pod_exec,
            pod,
            "ingress-nginx",
            command=["cat", "/etc/nginx/nginx.conf"],
            stderr=True,
            stdin=False,
            stdout=True,
            tty=False,
        )
    finally:
        api.close()
    assert "## start server meow.com" in out


def check_exec(lab: Lab, capsys: pytest.CaptureFixture[str]) -> dict:
    import json

    from mtls_tui.cli import main

    main(["check", "--kubeconfig", str(lab.kubeconfig), "--exec", "--no-probe", "--json"])
    captured = capsys.readouterr()
    assert "cat /etc/nginx/nginx.conf (read-only)" in captured.err  # the command is shown before it runs
    return json.loads(captured.out)


def test_check_exec_compares_the_rendered_block(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    report = check_exec(lab, capsys)
    [host] = report["hosts"]
    assert {f["code"] for f in host["findings"]}.isdisjoint(
        {"controller-conf-stale", "controller-conf-differs", "controller-conf-host-missing", "controller-pods-disagree"}
    )
    assert len(host["rendered"]) == 2 and all("ssl_verify_client on;" in r["block"] for r in host["rendered"])
    assert all(r["command"].startswith("kubectl exec -n ingress-nginx ") for r in host["rendered"])


def test_stale_controller_is_found_by_the_pem_sha(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """stale-controller: the Secret changes through the API (kubectl apply) and the controller does
    not reload; its nginx.conf keeps the old `# PEM sha:` (store/backend_ssl.go), which the Secret as
    it is now no longer gives."""
    import time

    import yaml

    from mtls_tui.certs.issue import issue_leaf
    from mtls_tui.lab.pki import secret_manifest

    with Lab(tmp_path / "pki", "stale-controller", gateway="builtin") as stale:
        assert stale.pki is not None
        secret = secret_manifest(stale.pki)
        renewed = issue_leaf("meow.com", stale.pki.ca, serial=7)  # the server certificate renewed
        secret["data"]["tls.crt"] = __import__("base64").b64encode(renewed.cert_pem()).decode()
        secret["data"]["tls.key"] = __import__("base64").b64encode(renewed.key_pem()).decode()
        (tmp_path / "secret.yaml").write_text(yaml.safe_dump(secret))
        applied = kubectl(stale, "apply", "-f", str(tmp_path / "secret.yaml"))
        assert applied.returncode == 0, applied.stderr
        time.sleep(0.5)  # the lab notices within 0.1 s; a stuck controller does nothing with it
        report = check_exec(stale, capsys)
    [host] = report["hosts"]
    stale_findings = [f for f in host["findings"] if f["code"] == "controller-conf-stale"]
    assert len(stale_findings) == 2 and all(f["severity"] == "error" for f in stale_findings)
    assert any(e.startswith("rendered: ") for e in stale_findings[0]["evidence"])


def test_no_exec_rights_is_one_line(lab: Lab, capsys: pytest.CaptureFixture[str]) -> None:
    assert lab.cluster is not None
    lab.cluster.forbid("create", "pods/exec", "ingress-nginx")
    report = check_exec(lab, capsys)
    unread = [f for f in report["findings"] if f["code"] == "controller-conf-unread"]
    assert len(unread) == 1 and unread[0]["severity"] == "warning" and "pods/exec" in unread[0]["detail"]
    assert report["hosts"][0]["state"] in ("works", "unverified")  # the rest of the report is there
    done = subprocess.run(
        unread[0]["fix"].replace("kubectl ", f"{shutil.which('kubectl')} --cache-dir {lab.folder / '.kube-cache'} ", 1),
        shell=True,
        env={**os.environ, "KUBECONFIG": str(lab.kubeconfig)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (done.returncode, done.stdout.strip()) == (1, "no"), done.stderr


def test_controller_log_lines_are_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With --exec, the controller's recent lines that name the host's Secret or Ingress are
    evidence on the finding of the same cause (logs/classify.py gives the code)."""
    with Lab(tmp_path / "pki", "missing-ca-key", gateway="builtin") as lab:
        line = (
            "W1201 12:00:00.000000       7 controller.go:1226] Secret \"default/my-certs\" has no 'ca.crt' key, "
            'mutual authentication disabled for Ingress "default/meow-ingress"'
        )
        lab.controller_log(line)
        report = check_exec(lab, capsys)
    [host] = report["hosts"]
    missing = next(f for f in host["findings"] if f["code"] == "secret-missing-ca")
    assert any(e.startswith("controller log: ") and "has no 'ca.crt' key" in e for e in missing["evidence"]), missing


def test_log_lines_before_the_last_reload_are_not_evidence(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A line written before the controller last reloaded speaks of a configuration nginx no
    longer runs (controller.go syncIngress logs "Backend successfully reloaded" at each reload);
    the same message logged twice after it is one piece of evidence, the newest."""
    missing_ca = (
        "W1201 12:00:0{}.000000       7 controller.go:1226] Secret \"default/my-certs\" has no 'ca.crt' key, "
        'mutual authentication disabled for Ingress "default/meow-ingress"'
    )
    with Lab(tmp_path / "pki", "missing-ca-key", gateway="builtin") as lab:
        lab.controller_log(missing_ca.format(1))
        lab.controller_log('I1201 12:00:02.000000       7 controller.go:231] "Backend successfully reloaded"')
        report = check_exec(lab, capsys)
        [host] = report["hosts"]
        finding = next(f for f in host["findings"] if f["code"] == "secret-missing-ca")
        assert not [e for e in finding["evidence"] if e.startswith("controller log: ")], finding["evidence"]
        lab.controller_log(missing_ca.format(3))
        lab.controller_log(missing_ca.format(4))
        report = check_exec(lab, capsys)
    [host] = report["hosts"]
    finding = next(f for f in host["findings"] if f["code"] == "secret-missing-ca")
    logged = [e for e in finding["evidence"] if e.startswith("controller log: ")]
    assert len(logged) == 1 and "12:00:04" in logged[0], logged
