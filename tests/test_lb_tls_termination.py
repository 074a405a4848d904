"""lb-terminates-tls: the cloud load balancer of the controller's Service ends the client's TLS, so
nginx never sees a client certificate.

Where each rule comes from (snapshots fetched with the search tool's `fetch`):

- AWS in-tree  kubernetes/cloud-provider-aws 63ec440c, pkg/providers/v1/aws.go: EnsureLoadBalancer (an NLB,
               aws_loadbalancer.go isNLB: type "nlb", gets a TLS frontend when aws-load-balancer-ssl-cert is set
               and the port is among getPortSets(aws-load-balancer-ssl-ports), nil meaning every port; its
               target is TCP, TLS when backend-protocol is "ssl"); buildListener for a Classic ELB (SSL to TCP
               when backend-protocol is unset, backendProtocolMapping: http -> HTTPS listener to HTTP,
               https/ssl -> to HTTPS/SSL, tcp -> SSL to TCP).
- AWS LBC      kubernetes-sigs/aws-load-balancer-controller 225f4456, pkg/service/model_build_listener.go
               buildListenerSpec (certificates and the port in tlsPortsSet, empty meaning all: TLS listener,
               target TCP unless backend-protocol "ssl"); service_utils.go checkAWSLoadBalancerTypeAnnotation
               (type nlb-ip, or external with a target type, is the controller's).
- DigitalOcean digitalocean/digitalocean-cloud-controller-manager 70d527e3, cloud-controller-manager/do/
               loadbalancers.go buildForwardingRules (a certificate or tls-passthrough makes 443 an HTTPS rule
               when no tls-ports are listed) and buildTLSForwardingRule (certificate: target HTTP; passthrough:
               TLS through; both: refused).
- Hetzner      hetznercloud/hcloud-cloud-controller-manager 6485324f, internal/hcops/load_balancer.go
               hclbServiceOptsBuilder.extract (protocol, lowercased and checked by internal/annotation/name.go
               validateServiceProtocol, for every port; http-certificates): an https service ends TLS, HTTP to targets.
- Linode       linode/linode-cloud-controller-manager b9aa9012, cloud/linode/loadbalancers.go getPortConfig,
               getPortConfigAnnotation (JSON of linode-loadbalancer-port-<port>), loadbalancers_helpers.go
               getPortProtocol (port JSON, else default-protocol), buildNodeBalancerConfig/addTLSCert (https: the
               tls-secret-name certificate; the NodeBalancer sends HTTP).
- OCI          oracle/oci-cloud-controller-manager 1100ac36, pkg/cloudprovider/providers/oci/load_balancer_spec.go
               getListenersOciLoadBalancer/getSSLConfiguration (ssl-ports + tls-secret: an SSL listener; not for
               type nlb, requiresCertificate), getBackendSets (tls-backendset-secret: TLS to the backends),
               backend-protocol TCP/HTTP; load_balancer_util.go getSSLEnabledPorts (numbers only).
- Scaleway     scaleway/scaleway-cloud-controller-manager bddc17f, scaleway/loadbalancers.go servicePortToFrontend
               (getCertificateIDs: "ids" or "port:ids;..."), servicePortToBackend (getForwardProtocol: protocol-http;
               getSSLBridging: http-backend-tls), isPortInRange.
- Azure, GCP   pass-through, pinned below: kubernetes-sigs/cloud-provider-azure 7b31c76c pkg/provider/
               azure_loadbalancer.go getExpectedLoadBalancingRulePropertiesForPort (a rule of azure_standard.go
               getProtocolsFromKubernetesProtocol's TCP/UDP/All, no certificate); kubernetes/cloud-provider-gcp
               4e245312 providers/gce/gce_loadbalancer_external.go ensureExternalLoadBalancer/createForwardingRule
               and gce_loadbalancer_internal.go ensureInternalLoadBalancer (forwarding rules of IPProtocol TCP/UDP).
- ingress-nginx controller-v1.15.1: rootfs/etc/nginx/template/nginx.tmpl define "SERVER" (buildHTTPListener on
               port "http", buildHTTPSListener with `ssl` on "https"); rootfs/etc/nginx/lua/lua_ingress.lua
               rewrite/redirect_to_https (the HTTPS redirect reads $scheme, or X-Forwarded-Proto with
               use-forwarded-headers); docs/deploy/index.md "TLS termination in AWS Load Balancer (NLB)" and
               deploy/static/provider/aws/nlb-with-tls-termination/deploy.yaml (ssl-cert, ssl-ports https,
               type nlb, the https port's targetPort http).

What nginx does with what the balancer sends is measured below: a real nginx serving the host as the
project renders ingress-nginx's server (listen http, listen https ssl, the auth-tls directives), and
nginx's stream module in front of it ending TLS as the balancer does (`proxy_ssl` for a TLS target).
"""

from __future__ import annotations

import json
import ssl
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from mtls_tui.diagnose.hosts import host_report
from mtls_tui.lab.nginx import free_port, main_block, wait_for_port
from mtls_tui.lab.objects import CONTROLLER_LABELS, meow_ingress, seed_objects
from mtls_tui.lab.pki import SeedPki, write_file
from mtls_tui.model import ClusterSnapshot
from mtls_tui.policy.ingress_nginx.hosts import host_policies
from mtls_tui.policy.ingress_nginx.load_balancer import lb_termination
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.nginx_directives import server_directives
from tests.conftest import require
from tests.test_policy_fixes_run import read_back_as_printed

STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")
AWS = "service.beta.kubernetes.io/aws-load-balancer-"
DO = "service.beta.kubernetes.io/do-loadbalancer-"
HZ = "load-balancer.hetzner.cloud/"
LN = "service.beta.kubernetes.io/linode-loadbalancer-"
OC = "service.beta.kubernetes.io/oci-load-balancer-"
OCI_TYPE = "oci.oraclecloud.com/load-balancer-type"
SW = "service.beta.kubernetes.io/scw-loadbalancer-"
P = "nginx.ingress.kubernetes.io/"
CERT = "arn:aws:acm:us-west-2:111122223333:certificate/0f0e0d0c-1111-2222-3333-444455556666"
NOW = datetime.now(UTC)


def service(annotations: dict[str, str], https_target: str = "https", **spec: Any) -> dict[str, Any]:
    """The controller's Service as the Helm chart makes it, with the balancer's annotations."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx", "annotations": annotations},
        "spec": {
            "type": "LoadBalancer",
            "selector": dict(CONTROLLER_LABELS),
            "ports": [
                {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                {"name": "https", "port": 443, "protocol": "TCP", "targetPort": https_target},
            ],
            **spec,
        },
    }


def objects(pki: SeedPki, svc: dict[str, Any] | None, annotations: dict[str, str] | None = None) -> list[dict]:
    ingress = meow_ingress()
    ingress["metadata"]["annotations"].update(annotations or {})
    return [o for o in seed_objects(pki) if o["kind"] != "Ingress"] + [ingress] + ([svc] if svc else [])


def lb_findings(snapshot: ClusterSnapshot):
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    return [f for f in host_report(policy, snapshot, NOW).findings if f.code == "lb-terminates-tls"]


def ended(pki: SeedPki, annotations: dict[str, str], **kw: Any) -> tuple[str, str] | None:
    snapshot = snapshot_from_objects(objects(pki, service(annotations, **kw)), "files", complete=False)
    found = lb_termination(snapshot.controllers[0], snapshot)
    return (found.sends, found.listener) if found else None


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        # in-tree NLB: TLS frontend, TCP target (EnsureLoadBalancer); "ssl" backend: a TLS target
        ({AWS + "type": "nlb", AWS + "ssl-cert": CERT, AWS + "ssl-ports": "https"}, ("tcp", "tls")),
        ({AWS + "type": "nlb", AWS + "ssl-cert": CERT, AWS + "backend-protocol": "ssl"}, ("tls", "tls")),
        ({AWS + "type": "nlb", AWS + "ssl-cert": CERT, AWS + "ssl-ports": "443"}, ("tcp", "tls")),
        ({AWS + "type": "nlb", AWS + "ssl-cert": CERT, AWS + "ssl-ports": "8443"}, None),  # 443 not a TLS port
        # Classic ELB: buildListener and backendProtocolMapping; no ssl-ports (or "*") is every port
        ({AWS + "ssl-cert": CERT}, ("tcp", "tls")),
        ({AWS + "ssl-cert": CERT, AWS + "ssl-ports": "*", AWS + "backend-protocol": "http"}, ("http", "tls")),
        ({AWS + "ssl-cert": CERT, AWS + "backend-protocol": "https"}, ("tls", "tls")),
        ({AWS + "ssl-cert": CERT, AWS + "backend-protocol": "tcp"}, ("tcp", "tls")),
        ({AWS + "ssl-cert": CERT, AWS + "backend-protocol": "grpc"}, None),  # "Invalid backend protocol": no ELB
        ({AWS + "backend-protocol": "http"}, None),  # no certificate: nothing ends TLS
        # AWS Load Balancer Controller: buildListenerSpec
        ({AWS + "type": "external", AWS + "ssl-cert": CERT, AWS + "ssl-ports": "443"}, ("tcp", "tls")),
        ({AWS + "type": "nlb-ip", AWS + "ssl-cert": CERT, AWS + "backend-protocol": "ssl"}, ("tls", "tls")),
        # DigitalOcean: buildForwardingRules/buildTLSForwardingRule, 443 by default, HTTP target
        ({DO + "certificate-id": "c-1"}, ("http", "tls")),
        ({DO + "certificate-name": "meow", DO + "tls-ports": "443"}, ("http", "tls")),
        ({DO + "certificate-id": "c-1", DO + "tls-ports": "8443"}, None),
        ({DO + "tls-passthrough": "true"}, None),  # TLS reaches nginx
        ({DO + "certificate-id": "c-1", DO + "tls-passthrough": "true"}, None),  # refused: no rule changes
        # Hetzner: protocol https (any case) for every port; an HTTPS service sends HTTP
        ({HZ + "protocol": "https", HZ + "http-certificates": "meow"}, ("http", "tls")),
        ({HZ + "protocol": "HTTPS", HZ + "certificate-type": "managed"}, ("http", "tls")),
        ({HZ + "protocol": "tcp", HZ + "uses-proxyprotocol": "true"}, None),
        ({HZ + "protocol": "tls"}, None),  # validateServiceProtocol refuses it
        # Linode: the port's JSON, else default-protocol
        ({LN + "port-443": '{"protocol": "https", "tls-secret-name": "meow"}'}, ("http", "tls")),
        ({LN + "default-protocol": "https", LN + "port-443": '{"tls-secret-name": "meow"}'}, ("http", "tls")),
        ({LN + "default-protocol": "https", LN + "port-443": '{"protocol": "tcp"}'}, None),
        ({LN + "port-443": '{"Protocol": "HTTPS", "tls-secret-name": "meow"}'}, ("http", "tls")),  # Go's Unmarshal
        ({LN + "port-443": '{"protocol": https}'}, None),  # not JSON: the reconcile fails
        ({LN + "port-8443": '{"protocol": "https"}'}, None),
        # OCI: ssl-ports + tls-secret; TCP, HTTP, or TLS to the backend set
        ({OC + "ssl-ports": "443", OC + "tls-secret": "meow"}, ("tcp", "tls")),
        ({OC + "ssl-ports": "80, 443", OC + "tls-secret": "ns/meow", OC + "backend-protocol": "HTTP"}, ("http", "tls")),
        ({OC + "ssl-ports": "443", OC + "tls-secret": "meow", OC + "tls-backendset-secret": "b"}, ("tls", "tls")),
        ({OC + "ssl-ports": "443"}, None),  # no listener certificate
        ({OC + "ssl-ports": "https", OC + "tls-secret": "meow"}, None),  # getSSLEnabledPorts: Atoi fails
        ({OC + "ssl-ports": "443", OC + "tls-secret": "meow", OCI_TYPE: "nlb"}, None),  # no certificates on an NLB
        # Scaleway: certificate-ids for the port; protocol-http; http-backend-tls
        ({SW + "certificate-ids": "fr-par-1/11111111-2222"}, ("tcp", "tls")),
        ({SW + "certificate-ids": "443:c1;80:c2", SW + "protocol-http": "443"}, ("http", "tls")),
        ({SW + "certificate-ids": "c1", SW + "protocol-http": "*", SW + "http-backend-tls": "true"}, ("tls", "tls")),
        ({SW + "certificate-ids": "80:c2"}, None),
        ({SW + "certificate-ids": "1:c2"}, None),  # "1" is a port there, not true
        ({SW + "certificate-ids": "44x:c2"}, None),  # isPortInRange fails: the frontend is not made
    ],
)
def test_which_listener_ends_tls_and_what_it_sends(pki: SeedPki, annotations, expected) -> None:
    assert ended(pki, annotations) == expected


@pytest.mark.parametrize(
    "annotations",
    [
        # Azure: rules of a transport protocol; these set probes, internal balancers, PROXY on Private Link only
        {
            "service.beta.kubernetes.io/azure-load-balancer-health-probe-protocol": "https",
            "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
            "service.beta.kubernetes.io/azure-pls-create": "true",
            "service.beta.kubernetes.io/azure-pls-proxy-protocol": "true",
        },
        # GCP: forwarding rules to target pools or backend services
        {
            "networking.gke.io/load-balancer-type": "Internal",
            "cloud.google.com/l4-rbs": "enabled",
            "cloud.google.com/network-tier": "Standard",
        },
    ],
)
def test_azure_and_gcp_service_balancers_pass_tls_through(pki: SeedPki, annotations) -> None:
    """Their L4 balancers have no certificate to end TLS with, whatever the annotations say."""
    assert ended(pki, annotations) is None
    assert lb_findings(snapshot_from_objects(objects(pki, service(annotations)), "f")) == []


def test_the_documented_nlb_termination_sends_plain_bytes_to_the_http_listener(pki: SeedPki) -> None:
    """ingress-nginx's own deploy for NLB TLS termination: ssl-ports https, type nlb, 443's targetPort http."""
    annotations = {AWS + "type": "nlb", AWS + "ssl-cert": CERT, AWS + "ssl-ports": "https"}
    assert ended(pki, annotations, https_target="http") == ("tcp", "http")
    [finding] = lb_findings(snapshot_from_objects(objects(pki, service(annotations, https_target="http")), "f"))
    assert "redirected to https:// and comes back" in finding.title  # ssl-redirect on, tls: section: a loop
    opened = objects(pki, service(annotations, https_target="http"), {P + "ssl-redirect": "false"})
    [served] = lb_findings(snapshot_from_objects(opened, "f"))
    assert "served without any client certificate check" in served.title


def test_no_service_or_a_service_of_another_workload_is_no_finding(pki: SeedPki) -> None:
    assert lb_findings(snapshot_from_objects(objects(pki, None), "f", complete=False)) == []
    other = service({AWS + "ssl-cert": CERT})
    other["metadata"]["name"], other["spec"]["selector"] = "other", {"app": "other"}
    assert lb_findings(snapshot_from_objects(objects(pki, other), "f")) == []


def balanced(
    pki: SeedPki,
    nginx_binary: str,
    folder: Path,
    verify: str,
    paths: dict[str, tuple[str, bool, str]],
    listen: str = "",
) -> tuple[dict[str, tuple[int, str]], str]:
    """A real nginx serving meow.com as the project renders ingress-nginx's server (`listen` the options
    template.go commonListenOptions adds), and, for each path (nginx's listener "http" or "https", whether
    the balancer ends TLS, its other stream directives), nginx's stream module in front as the balancer.
    The client presents a certificate its CA signed; the answers by path ("direct": nginx's TLS listener
    itself), and nginx's error log."""
    require("nginx's stream module (libnginx-mod-stream)", str(STREAM_MODULE) if STREAM_MODULE.exists() else None)
    snapshot = snapshot_from_objects(objects(pki, None, {P + "auth-tls-verify-client": verify}), "f")
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com").policy
    assert policy is not None
    for name, data in (("s.crt", pki.server.cert_pem()), ("ca.crt", pki.ca.cert_pem())):
        write_file(folder / name, data)
    write_file(folder / "s.key", pki.server.key_pem(), private=True)
    (folder / "tmp").mkdir()
    ports = {"http": free_port(), "https": free_port()}
    balancers = {path: free_port() for path in paths}
    directives = "\n    ".join(server_directives(policy, str(folder / "ca.crt")))
    http_body = (
        f"  server {{\n    listen 127.0.0.1:{ports['http']} {listen};\n    listen 127.0.0.1:{ports['https']} {listen} ssl;\n"
        f"    server_name meow.com;\n"
        f"    ssl_certificate {folder}/s.crt;\n    ssl_certificate_key {folder}/s.key;\n    {directives}\n"
        '    location / { return 200 "verify=$ssl_client_verify\\n"; }\n  }'
    )
    certificate = f"ssl_certificate {folder}/s.crt; ssl_certificate_key {folder}/s.key;"
    stream = "".join(
        f"  server {{ listen 127.0.0.1:{balancers[path]}{' ssl' if ends else ''}; {certificate if ends else ''} "
        f"proxy_pass 127.0.0.1:{ports[target]}; {extra} }}\n"
        for path, (target, ends, extra) in paths.items()
    )
    conf = folder / "nginx.conf"
    conf.write_text(f"load_module {STREAM_MODULE};\n" + main_block(folder, http_body) + f"stream {{\n{stream}}}\n")
    command = [nginx_binary, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log"), "-g", "daemon off;"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    client = (str(folder / "c.crt"), str(folder / "c.key"))
    write_file(folder / "c.crt", pki.client.cert_pem())
    write_file(folder / "c.key", pki.client.key_pem(), private=True)
    try:
        for port in [*ports.values(), *balancers.values()]:
            wait_for_port(port, 10, process)
        answers = {}
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.load_cert_chain(*client)
        with httpx.Client(verify=context, timeout=5) as http_client:
            for path, port in {**balancers, "direct": ports["https"]}.items():
                try:
                    answer = http_client.get(f"https://127.0.0.1:{port}/", headers={"Host": "meow.com"})
                except httpx.TransportError as exc:  # the connection ended without an answer
                    answers[path] = (0, f"{type(exc).__name__}: {exc}")
                else:
                    answers[path] = (answer.status_code, answer.text)
        return answers, (folder / "error.log").read_text(errors="replace")
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def _measure(pki: SeedPki, nginx_binary: str, folder: Path, verify: str) -> dict[str, tuple[int, str]]:
    """Each way a balancer that ends TLS may hand nginx the connection (`proxy_ssl` for a TLS target)."""
    paths = {
        "tcp-tls": ("https", True, ""),
        "tls-tls": ("https", True, "proxy_ssl on;"),
        "tcp-http": ("http", True, ""),
        "tls-http": ("http", True, "proxy_ssl on;"),
    }
    return balanced(pki, nginx_binary, folder, verify, paths)[0]


@pytest.mark.nginx
@pytest.mark.parametrize("verify", ["on", "optional"])
def test_measured_what_nginx_answers_behind_a_tls_ending_balancer(
    pki: SeedPki, nginx_binary: str, tmp_path: Path, verify: str
) -> None:
    """The client presents a certificate its CA signed; straight to nginx it gets in (verify=SUCCESS),
    through the balancer no certificate reaches nginx: each way the finding names is what nginx answers."""
    answers = _measure(pki, nginx_binary, tmp_path, verify)
    assert answers["direct"] == (200, "verify=SUCCESS\n")
    assert answers["tcp-tls"][0] == 400 and "The plain HTTP request was sent to HTTPS port" in answers["tcp-tls"][1]
    if verify == "on":
        assert answers["tls-tls"][0] == 400 and "No required SSL certificate was sent" in answers["tls-tls"][1]
    else:
        assert answers["tls-tls"] == (200, "verify=NONE\n")
    assert answers["tcp-http"] == (200, "verify=\n")  # no Lua redirect here: what ssl-redirect false leaves
    # nginx answers the balancer's ClientHello with a plain-text 400: its handshake fails, the client's ends unanswered
    assert answers["tls-http"][0] == 0 and answers["tls-http"][1].startswith("RemoteProtocolError")
    # the model's words for each (sends, listener), as the finding prints them
    cases = {
        "tcp-tls": ({AWS + "type": "nlb", AWS + "ssl-cert": CERT}, "https", {}),
        "tls-tls": ({AWS + "type": "nlb", AWS + "ssl-cert": CERT, AWS + "backend-protocol": "ssl"}, "https", {}),
        "tcp-http": ({AWS + "type": "nlb", AWS + "ssl-cert": CERT}, "http", {P + "ssl-redirect": "false"}),
        "tls-http": ({AWS + "ssl-cert": CERT, AWS + "backend-protocol": "ssl"}, "http", {}),
    }
    said = {
        "tcp-tls": "The plain HTTP request was sent to HTTPS port",
        "tls-tls": "No required SSL certificate was sent" if verify == "on" else "served without a client certificate",
        "tcp-http": "served without any client certificate check",
        "tls-http": "closed without an answer",
    }
    for path, (wanted, target, extra) in cases.items():
        docs = objects(pki, service(wanted, https_target=target), {P + "auth-tls-verify-client": verify, **extra})
        [finding] = lb_findings(snapshot_from_objects(docs, "f"))
        assert said[path] in finding.title, (path, finding.title)


@pytest.mark.parametrize(
    ("annotations", "target"),
    [
        ({AWS + "type": "nlb", AWS + "ssl-cert": CERT, AWS + "ssl-ports": "https"}, "http"),  # ingress-nginx's doc
        ({AWS + "ssl-cert": CERT, AWS + "backend-protocol": "http"}, "https"),
        ({DO + "certificate-id": "c-1", DO + "tls-ports": "443"}, "https"),
        ({HZ + "protocol": "https", HZ + "http-certificates": "meow"}, "https"),
        ({LN + "port-443": '{"protocol": "https", "tls-secret-name": "meow", "algorithm": "source"}'}, "https"),
        ({LN + "default-protocol": "https"}, "http"),
        ({OC + "ssl-ports": "443", OC + "tls-secret": "meow", OC + "backend-protocol": "HTTP"}, "https"),
        ({SW + "certificate-ids": "443:c1", SW + "protocol-http": "443"}, "https"),
    ],
)
def test_the_fix_runs_as_printed_and_the_cluster_read_sees_it_gone(
    pki: SeedPki, tmp_path: Path, annotations, target
) -> None:
    """The fix, in bash with the real kubectl against the lab's API server; the objects read back as
    `check` reads a cluster (sources/kube.py lists the controller namespace's Services)."""
    docs = objects(pki, service(annotations, https_target=target))
    [finding] = lb_findings(snapshot_from_objects(docs, "f"))
    before = read_back_as_printed("true", docs, tmp_path)[1]
    assert [f.code for f in lb_findings(before)] == ["lb-terminates-tls"]  # the cluster read sees the Service
    done, after = read_back_as_printed(finding.fix, docs, tmp_path)
    assert done.returncode == 0, f"{finding.fix}\n{done.stderr}"
    assert lb_findings(after) == []
    [svc] = [s for s in after.of_kind("Service", "") if s.namespace == "ingress-nginx"]
    assert svc.body["spec"]["ports"][1]["targetPort"] == "https"
    if DO + "certificate-id" in annotations:
        assert svc.body["metadata"]["annotations"].get(DO + "tls-passthrough") == "true"
    if LN + "port-443" in annotations:  # the port's other settings kept, its protocol TCP, no certificate
        assert json.loads(svc.body["metadata"]["annotations"][LN + "port-443"]) == {
            "algorithm": "source",
            "protocol": "tcp",
        }


@pytest.mark.parametrize(("forwarded", "loop"), [("false", True), ("true", False)])
def test_an_http_target_with_forwarded_headers_is_served_unchecked(pki: SeedPki, forwarded: str, loop: bool) -> None:
    """A Classic ELB's HTTPS listener to HTTP (buildListener, backend-protocol http) proxies the request with
    X-Forwarded-Proto: https; with use-forwarded-headers lua_ingress.lua rewrite takes it as the scheme and
    redirect_to_https lets the request through, unchecked; without, the redirect loops."""
    annotations = {AWS + "ssl-cert": CERT, AWS + "backend-protocol": "http"}
    docs = [o for o in objects(pki, service(annotations, https_target="http")) if o["kind"] != "ConfigMap"]
    docs.append(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
            "data": {"use-forwarded-headers": forwarded},
        }
    )
    [finding] = lb_findings(snapshot_from_objects(docs, "f"))
    assert ("without end" in finding.title) is loop
    assert ("served without any client certificate check" in finding.title) is not loop


def test_services_we_may_not_list_are_named_and_nothing_is_guessed(pki: SeedPki, tmp_path: Path) -> None:
    """RBAC without list on services in the controller's namespace: the objects-forbidden warning names it,
    and no lb-terminates-tls finding is made from a Service not seen."""
    from mtls_tui.lab.cluster import LabCluster
    from mtls_tui.sources.kube import KubeSource

    with LabCluster(objects(pki, service({AWS + "type": "nlb", AWS + "ssl-cert": CERT}))) as lab:
        lab.forbid("list", "services", "ingress-nginx")
        source = KubeSource(kubeconfig=str(lab.write_kubeconfig(tmp_path / "kubeconfig")))
        try:
            snapshot = source.snapshot()
        finally:
            source.close()
    (finding,) = snapshot.unreadable
    assert finding.code == "objects-forbidden" and "list services" in finding.title
    assert lb_findings(snapshot) == []
    policy = next(p for p in host_policies(snapshot) if p.host == "meow.com")
    assert host_report(policy, snapshot, NOW).verdict.startswith("unverified: the Services of namespace ingress-nginx")


def test_manifests_without_the_service_say_it_was_not_checked_and_stay_as_they_were(pki: SeedPki) -> None:
    """The controller's Deployment among the files, its Service not: the "not checked" note names the Service
    (report/data.py `unchecked`, report/console.py "not checked:"), and the state is not made unverified.
    With the Service there (of any type), or a cluster read (what is not listed does not exist), no note."""
    from io import StringIO

    from rich.console import Console

    from mtls_tui.report.console import print_hosts
    from mtls_tui.report.data import host_dict

    note = "the controller's Service (not among the files: its load balancer's TLS and PROXY protocol)"
    files = snapshot_from_objects(objects(pki, None), "f", complete=False)
    policy = next(p for p in host_policies(files) if p.host == "meow.com")
    report = host_report(policy, files, NOW)
    assert policy.service_unseen and note in host_dict(report)["unchecked"]
    assert report.state != "unverified" and note not in report.verdict
    out = StringIO()
    print_hosts(Console(file=out, width=400), files, [report])
    assert f"not checked: {note}" in out.getvalue()
    node_port = service({})
    node_port["spec"]["type"] = "NodePort"
    for snapshot in (
        snapshot_from_objects(objects(pki, node_port), "f", complete=False),
        snapshot_from_objects(objects(pki, None), "cluster"),
    ):
        seen = next(p for p in host_policies(snapshot) if p.host == "meow.com")
        assert not seen.service_unseen and note not in host_dict(host_report(seen, snapshot, NOW))["unchecked"]
