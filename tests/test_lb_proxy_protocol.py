"""lb-proxy-protocol-mismatch: the cloud load balancer and nginx disagree on the PROXY protocol header.

Where each rule comes from:

- ingress-nginx controller-v1.15.1: internal/ingress/controller/config/config.go UseProxyProtocol
               (`use-proxy-protocol`, default false); internal/ingress/controller/template/template.go
               commonListenOptions (adds `proxy_protocol` to the http and https listens of nginx.tmpl define
               "SERVER"); internal/ingress/controller/nginx.go (with --enable-ssl-passthrough its own TCP proxy
               reads the header on :443: not modelled, no finding).
- AWS in-tree  kubernetes/cloud-provider-aws 63ec440c pkg/providers/v1/aws.go EnsureLoadBalancer (Classic ELB:
               aws-load-balancer-proxy-protocol "*" or nothing; another value fails), aws_loadbalancer.go
               ensureLoadBalancer (sets or removes the policy on every backend port) and buildTargetGroupAttributes
               (NLB: only target-group-attributes proxy_protocol_v2.enabled; unset keeps the last value).
- AWS LBC      kubernetes-sigs/aws-load-balancer-controller 225f4456 pkg/service/model_build_target_group.go
               buildTargetGroupAttributes (default false, model_builder.go; target-group-attributes and its
               `.<port>` form, -proxy-protocol-per-target-group, -proxy-protocol "*").
- DigitalOcean 70d527e3 cloud-controller-manager/do/loadbalancers.go getEnableProxyProtocol (ParseBool, false unset).
- Hetzner      6485324f internal/hcops/load_balancer.go hclbServiceOptsBuilder.extract (uses-proxyprotocol, ParseBool;
               unset: the controller's HCLOUD_LOAD_BALANCERS_USES_PROXYPROTOCOL, not in the manifests).
- Linode       b9aa9012 cloud/linode/loadbalancers_helpers.go getPortProxyProtocol (port JSON, default, "none").
- Scaleway     bddc17f scaleway/loadbalancers_annotations.go getProxyProtocol, getSendProxyV2.
- OCI          1100ac36 pkg/cloudprovider/providers/oci/load_balancer_spec.go getListenersOciLoadBalancer
               (connection-proxy-protocol-version) and getListenersNetworkLoadBalancer (is-ppv2-enabled).

What the client sees is measured below: the real nginx with and without `proxy_protocol` on its listens, its
stream module in front passing the client's TLS through, with and without `proxy_protocol on;`.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.nginx import free_port, main_block, wait_for_port
from mtls_tui.lab.pki import SeedPki, write_file
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.kube_objects import snapshot_from_objects
from tests.test_lb_tls_termination import AWS, CERT, DO, HZ, LN, NOW, OC, OCI_TYPE, SW, balanced, objects, service
from tests.test_policy_fixes_run import read_back_as_printed

CODE = "lb-proxy-protocol-mismatch"


def config(data: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "data": data,
    }


def docs(pki: SeedPki, annotations: dict[str, str], proxy: str | None, **kw: Any) -> list[dict]:
    """The seed with the controller's Service and, unless `proxy` is None, its ConfigMap's use-proxy-protocol."""
    found = [o for o in objects(pki, service(annotations, **kw)) if o["kind"] != "ConfigMap"]
    return found + ([config({"use-proxy-protocol": proxy})] if proxy is not None else [])


def proxy_findings(snapshot: ClusterSnapshot):
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    return [f for f in host_report(policy, snapshot, NOW).findings if f.code == CODE]


def flagged(pki: SeedPki, annotations: dict[str, str], proxy: str, **kw: Any):
    return proxy_findings(snapshot_from_objects(docs(pki, annotations, proxy, **kw), "f", complete=False))


@pytest.mark.nginx
def test_measured_what_the_client_sees_on_either_mismatch(pki: SeedPki, nginx_binary: str, tmp_path: Path) -> None:
    """The balancer passes the client's TLS through to nginx's TLS listener; the client presents its certificate."""
    paths = {"no-header": ("https", False, ""), "header": ("https", False, "proxy_protocol on;")}
    (tmp_path / "off").mkdir()
    (tmp_path / "on").mkdir()
    plain, plain_log = balanced(pki, nginx_binary, tmp_path / "off", "on", paths)
    expects, expects_log = balanced(pki, nginx_binary, tmp_path / "on", "on", paths, listen="proxy_protocol")
    assert plain["no-header"] == (200, "verify=SUCCESS\n") and expects["header"] == (200, "verify=SUCCESS\n")
    # nginx waits for a header that never comes: it reads the ClientHello as one and closes; the client: EOF
    assert expects["no-header"][0] == 0 and "EOF" in expects["no-header"][1], expects["no-header"]
    assert "broken header" in expects_log and "while reading PROXY protocol" in expects_log
    # the header nginx does not expect: the client's TLS stack reads nginx's clear-text answer as a record
    assert plain["header"][0] == 0 and "WRONG_VERSION_NUMBER" in plain["header"][1], plain["header"]
    assert "broken header" not in plain_log
    # the model's words for each
    [waits] = flagged(pki, {DO + "enable-proxy-protocol": "false"}, "true")
    assert "closes every connection during the TLS handshake" in waits.title
    [sends] = flagged(pki, {DO + "enable-proxy-protocol": "true"}, "false")
    assert '"400 Bad Request"' in sends.title and "wrong version number" in sends.title


@pytest.mark.nginx
def test_measured_nginx_answers_the_unexpected_header_with_a_clear_text_400(
    pki: SeedPki, nginx_binary: str, tmp_path: Path
) -> None:
    """The bytes themselves: a PROXY v1 line and a real ClientHello on nginx's TLS listener without proxy_protocol."""
    write_file(tmp_path / "s.crt", pki.server.cert_pem())
    write_file(tmp_path / "s.key", pki.server.key_pem(), private=True)
    (tmp_path / "tmp").mkdir()
    port = free_port()
    body = (
        f"  server {{ listen 127.0.0.1:{port} ssl; ssl_certificate {tmp_path}/s.crt; "
        f"ssl_certificate_key {tmp_path}/s.key; location / {{ return 200; }} }}"
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(main_block(tmp_path, body))
    command = [
        nginx_binary,
        "-p",
        str(tmp_path),
        "-c",
        str(conf),
        "-e",
        str(tmp_path / "error.log"),
        "-g",
        "daemon off;",
    ]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 10, process)
        outgoing = ssl.MemoryBIO()
        handshake = ssl.create_default_context().wrap_bio(ssl.MemoryBIO(), outgoing, server_hostname="meow.com")
        with pytest.raises(ssl.SSLWantReadError):
            handshake.do_handshake()
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"PROXY TCP4 203.0.113.7 10.0.0.1 51234 443\r\n" + outgoing.read())
            answer = b""
            while chunk := conn.recv(4096):
                answer += chunk
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n"), answer[:80]


@pytest.mark.parametrize(
    ("annotations", "header"),
    [
        # AWS Classic ELB: "*" or nothing
        ({AWS + "proxy-protocol": "*"}, True),
        ({AWS + "internal": "true"}, False),
        ({AWS + "proxy-protocol": "true"}, None),  # refused: nothing changes
        # AWS Load Balancer Controller: default false; attributes, per-target-group ports, "*"
        ({AWS + "type": "external", AWS + "proxy-protocol": "*"}, True),
        ({AWS + "type": "nlb-ip"}, False),
        ({AWS + "type": "external", AWS + "target-group-attributes": "proxy_protocol_v2.enabled=true"}, True),
        ({AWS + "type": "external", AWS + "target-group-attributes.443": "proxy_protocol_v2.enabled=true"}, True),
        ({AWS + "type": "external", AWS + "proxy-protocol-per-target-group": "80"}, False),
        ({AWS + "type": "external", AWS + "proxy-protocol-per-target-group": "80, 443"}, True),
        # in-tree NLB: only the attribute; unset keeps the last value
        ({AWS + "type": "nlb", AWS + "proxy-protocol": "*"}, None),
        ({AWS + "type": "nlb", AWS + "target-group-attributes": "proxy_protocol_v2.enabled=false"}, False),
        # DigitalOcean: ParseBool, false unset
        ({DO + "enable-proxy-protocol": "True"}, True),
        ({DO + "name": "meow"}, False),
        ({DO + "enable-proxy-protocol": "yes"}, None),
        # Hetzner: ParseBool; unset: the controller's environment decides
        ({HZ + "uses-proxyprotocol": "1"}, True),
        ({HZ + "uses-proxyprotocol": "false"}, False),
        ({HZ + "location": "fsn1"}, None),
        # Linode: the port's JSON, else the default, else none
        ({LN + "default-proxy-protocol": "v2"}, True),
        ({LN + "default-proxy-protocol": "v2", LN + "port-443": json.dumps({"proxy-protocol": "none"})}, False),
        ({LN + "default-protocol": "tcp"}, False),
        ({LN + "default-proxy-protocol": "v3"}, None),
        # Scaleway: v1/v2 by port, the deprecated send-proxy-v2
        ({SW + "proxy-protocol-v2": "443"}, True),
        ({SW + "proxy-protocol-v1": "*", SW + "proxy-protocol-v2": "443"}, None),  # both: refused
        ({SW + "send-proxy-v2": "1"}, True),  # ParseBool there, unlike isPortInRange
        ({SW + "proxy-protocol-v2": "80"}, False),
        # OCI: a version for a load balancer, is-ppv2-enabled for a network load balancer
        ({OC + "connection-proxy-protocol-version": "2"}, True),
        ({OC + "shape": "flexible"}, None),
        ({OCI_TYPE: "nlb", "oci-network-load-balancer.oraclecloud.com/is-ppv2-enabled": "false"}, False),
    ],
)
def test_whether_each_balancer_sends_the_header(pki: SeedPki, annotations: dict[str, str], header) -> None:
    """Pinned through the finding: with nginx set the other way from what the balancer does, it is flagged;
    set the same way, or when the annotations do not say, it is not."""
    for proxy in ("true", "false"):
        found = flagged(pki, annotations, proxy)
        assert bool(found) is (header is not None and header != (proxy == "true")), (proxy, found)


def test_only_with_both_the_config_map_and_the_service_read(pki: SeedPki) -> None:
    """Without the ConfigMap nginx's setting is not known; without the Service, the balancer's; with
    --enable-ssl-passthrough the controller's own proxy reads the header on :443."""
    annotations = {DO + "enable-proxy-protocol": "true"}
    assert proxy_findings(snapshot_from_objects(docs(pki, annotations, None), "f", complete=False)) == []
    no_service = [o for o in docs(pki, {}, "false") if o["kind"] != "Service"]
    assert proxy_findings(snapshot_from_objects(no_service, "f", complete=False)) == []
    passthrough = docs(pki, annotations, "false")
    deployment = next(o for o in passthrough if o["kind"] == "Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["args"].append("--enable-ssl-passthrough")
    assert proxy_findings(snapshot_from_objects(passthrough, "f", complete=False)) == []


def test_a_balancer_that_ends_tls_is_the_other_finding(pki: SeedPki) -> None:
    """TLS ended at the balancer: lb-terminates-tls says what the client gets; not this one too."""
    annotations = {AWS + "ssl-cert": CERT, AWS + "proxy-protocol": "*"}
    assert flagged(pki, annotations, "false") == []
    assert flagged(pki, {AWS + "proxy-protocol": "*"}, "false", https_target="http") == []  # not nginx's TLS listener


@pytest.mark.parametrize(
    ("annotations", "proxy"),
    [({AWS + "proxy-protocol": "*"}, "false"), ({HZ + "uses-proxyprotocol": "false"}, "true")],
)
def test_the_fix_runs_as_printed_and_the_cluster_read_sees_it_gone(
    pki: SeedPki, tmp_path: Path, annotations: dict[str, str], proxy: str
) -> None:
    """The fix, in bash with the real kubectl against the lab's API server, read back as `check` reads a cluster."""
    objects_ = docs(pki, annotations, proxy)
    [finding] = proxy_findings(snapshot_from_objects(objects_, "f"))
    before = read_back_as_printed("true", objects_, tmp_path)[1]
    assert [f.code for f in proxy_findings(before)] == [CODE]
    done, after = read_back_as_printed(finding.fix, objects_, tmp_path)
    assert done.returncode == 0, f"{finding.fix}\n{done.stderr}"
    assert proxy_findings(after) == []
    [controller] = after.controllers
    assert controller.use_proxy_protocol is (proxy == "false")
