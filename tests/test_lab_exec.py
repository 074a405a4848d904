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
