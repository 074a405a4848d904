"""NGINX Gateway Fabric v2.6.7 frontend validation: the CA file it writes, the configurations nginx
refuses because of it, and what a refused listener's clients get, each held to NGF's source and
measured on the real nginx here (Debian nginx 1.22.1, OpenSSL 3; NGF ships nginx 1.31, whose message
for the same refusal is `cannot load certificate`, nginx-gateway-fabric issue 5872).

Sources (`git -C /work/.mirror/nginx+nginx-gateway-fabric/repo show v2.6.7:PATH`):
- internal/controller/state/resolver/secrets.go secretEntry.validate: a CertBundle only for
  kubernetes.io/tls; an Opaque Secret passes validateOpaqueSecretKey with none.
- internal/controller/state/resolver/configmaps.go configMapEntry.validate: a CertBundle for every
  ConfigMap found, even one ValidateCA refused; resolver.go GetConfigMaps "could contain invalid".
- internal/controller/state/dataplane/configuration.go buildFrontendTLSCertBundles,
  getFrontendTLSCertBundles (the found references' data joined with no separator),
  addClientSettingsToSSLServers (AllowValidOnly names the bundle whether written or not),
  getCertRefBundleData; buildServers (no server for an invalid listener).
- internal/controller/nginx/config/servers.go buildHTTPSSL, generator.go generateCertBundleFileName.
- internal/controller/nginx/agent/command.go (rollback messages), status/prepare_requests.go
  (Programmed=False "failure to reload nginx"); issue 5872 and pull request 5913 (fixed after v2.6.7).
- internal/controller/state/graph/gateway_listener.go createFrontendTLSCaCertReferenceResolver,
  createPortConflictResolver, haveOverlap, validateTLSFieldOnTLSListener;
  nginx/config/maps.go createStreamMaps, stream_servers_template.go (connection-closed-server).
"""

from __future__ import annotations

import base64
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mtls_tui.certs.pem_file import load_ca_file
from mtls_tui.diagnose.successors import observed_answer
from mtls_tui.lab.cluster import LabCluster
from mtls_tui.lab.cluster.resources import Resource
from mtls_tui.lab.nginx import Nginx, free_port, main_block, wait_for_port
from mtls_tui.lab.nginx_successors import ngf_server_block
from mtls_tui.lab.objects import seed_objects
from mtls_tui.lab.pki import write_file
from mtls_tui.lab.verify import verify
from mtls_tui.policy.kube_objects import snapshot_from_objects
from mtls_tui.policy.successors import client_validations
from mtls_tui.policy.successors.common import ClientValidation, WireAnswer, predict
from mtls_tui.policy.successors.ngf_bundle import bundle_path
from mtls_tui.sources.kube import KubeSource
from tests.conftest import require
from tests.test_crd_refusals import serve
from tests.test_policy_fixes_run import read_back_as_printed
from tests.test_probe_envoy_alerts import probe_port
from tests.test_successors_go_wire import CLIENT_FILES
from tests.test_successors_go_wire import PKI as WIRE_PKI
from tests.test_successors_istio_ngf import HOST, NGFNS, case_of, ngf
from tests.test_successors_upstream import check, lead
from tests.test_verify import ngf_objects, seed  # noqa: F401 (seed: the fixture)
from tests.upstream_objects import PKI, ca_ref, configmap, https, secret, server_secret, validation

KINDS = ("none", "trusted", "other-ca")
BROKEN_BLOCK = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
PREVIOUS = "what nginx's previous configuration answers (not predicted)"
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")


def pem(name: str) -> str:
    return (PKI / f"{name}.crt").read_text()


def raw_configmap(name: str, ca_crt: str) -> dict[str, Any]:
    return {**configmap(name, NGFNS), "data": {"ca.crt": ca_crt}}


def validations(docs: list[dict[str, Any]]) -> dict[tuple[str, int], ClientValidation]:
    found = client_validations(snapshot_from_objects(docs, "cluster", complete=True))
    return {(v.host, v.port): v for v in found}


def codes(validation: ClientValidation) -> set[str]:
    return {f.code for f in validation.findings}


# --- 1. what OpenSSL loads, as nginx's ssl_client_certificate meets it ---------------------------

# The files NGF can write: references' ca.crt joined in order with no separator (getFrontendTLSCertBundles).
FILES: dict[str, Callable[[], bytes]] = {
    "one CA": lambda: pem("ca").encode(),
    "two CAs, each ending in a newline": lambda: (pem("ca") + pem("other-ca")).encode(),
    "two CAs, the first without its last newline": lambda: (pem("ca").rstrip("\n") + pem("other-ca")).encode(),
    "text a refused ConfigMap held, then a CA": lambda: ("invalid\n" + pem("ca")).encode(),
    "the same text without a newline, then a CA": lambda: ("invalid" + pem("ca")).encode(),
    "a broken CERTIFICATE block, then a CA": lambda: (BROKEN_BLOCK + pem("ca")).encode(),
    "a CA, then a broken CERTIFICATE block": lambda: (pem("ca") + BROKEN_BLOCK).encode(),
    "a CA, then a CRL": lambda: (pem("ca") + (PKI / "expired.crl").read_text()).encode(),
    "nothing (a ConfigMap without ca.crt)": lambda: b"",
    "text only": lambda: b"invalid\n",
}


def nginx_t(binary: str, folder: Path, ca: Path) -> str | None:
    """`nginx -t` on the server NGF renders with `ssl_client_certificate CA`: None when it passes,
    else nginx's [emerg] line."""
    server = (
        f"server {{\n  listen 127.0.0.1:{free_port()} ssl;\n  server_name {HOST};\n"
        f"  ssl_certificate {PKI / 'server.crt'};\n  ssl_certificate_key {PKI / 'server.key'};\n"
        f"  ssl_client_certificate {ca};\n  ssl_verify_client on;\n  ssl_verify_depth 4;\n}}"
    )
    for part in ("logs", "tmp"):
        (folder / part).mkdir(exist_ok=True)
    conf = folder / "nginx.conf"
    conf.write_text(main_block(folder, server))
    done = subprocess.run(
        [binary, "-t", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode == 0:
        return None
    return next((line for line in done.stderr.splitlines() if "[emerg]" in line), done.stderr)


@pytest.mark.parametrize("name", list(FILES))
def test_the_ca_file_rules_are_nginx_s(name: str, nginx_binary: str, tmp_path: Path) -> None:
    """certs/pem_file.py load_ca_file says of each file what `nginx -t` says (measured here: a
    missing newline between two CAs is `bad end line`; a broken block anywhere, an empty file or text
    alone refuse the configuration; text above a CA and a CRL beside it do not)."""
    data = FILES[name]()
    ca = tmp_path / "bundle.crt"
    write_file(ca, data)
    refused = nginx_t(nginx_binary, tmp_path, ca)
    load = load_ca_file(data)
    assert load.checked
    assert refused is None or str(ca) in refused, refused  # refused for this file, nothing else
    assert (load.problem is None) == (refused is None), (load.problem, refused)


def test_a_file_never_written_refuses_the_configuration(nginx_binary: str, tmp_path: Path) -> None:
    """An Opaque Secret as the only CA: the server names /etc/nginx/secrets/cert_bundle_… and no
    file is there; nginx -t fails on it (measured: SSL_CTX_load_verify_locations … No such file)."""
    missing = tmp_path / Path(bundle_path(NGFNS, "gateway", 443)).name
    refused = nginx_t(nginx_binary, tmp_path, missing)
    assert refused is not None and "No such file" in refused, refused


# --- 2. the Gateways that write such files -----------------------------------------------------


def opaque_only(mode: str | None = None) -> list[dict[str, Any]]:
    return ngf(
        validation(ca_ref("ca-opaque", kind="Secret"), mode=mode), secret("ca-opaque", NGFNS, {"ca.crt": "ca"})
    )()


def test_an_opaque_secret_alone_leaves_nginx_on_its_previous_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """resolver/secrets.go accepts the Opaque Secret (ResolvedRefs stays True, as issue 5872 saw) but
    makes no CertBundle: ssl_client_certificate names a file never written, nginx refuses the
    configuration, the agent rolls back and the previous configuration answers: nothing is predicted,
    and `check` says why and how to fix it."""
    path = tmp_path / "opaque.yaml"
    path.write_text(yaml.safe_dump_all(opaque_only()))
    host = check(path, capsys)[(HOST, 443)]
    first = lead(host)
    assert (host["state"], host["breakage"]) == ("broken", "config-rejected")
    assert first is not None and first["code"] == "config-reload-fails"
    assert "never written" in first["title"] and "5872" in first["detail"]
    assert set(host["predicted"].values()) == {PREVIOUS}
    (found,) = validations(opaque_only()).values()
    assert str(predict(found, "trusted")) == PREVIOUS


def test_the_opaque_fix_runs_and_the_listener_then_enforces(tmp_path: Path) -> None:
    """The fix copies ca.crt into a ConfigMap (which always gets a CertBundle) and points the reference
    there; the real kubectl against the lab's API server, read back and judged again."""
    docs = opaque_only()
    (found,) = validations(docs).values()
    finding = next(f for f in found.findings if f.code == "config-reload-fails")
    done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
    assert done.returncode == 0, f"{finding.fix}\n{done.stderr}"
    (fixed,) = client_validations(snapshot)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None), fixed.findings
    assert fixed.ca_pem is not None and fixed.ca_pem.strip() == (PKI / "ca.crt").read_bytes().strip()
    assert load_ca_file(fixed.ca_pem + (PKI / "other-ca.crt").read_bytes()).problem is None  # joins cleanly


def test_allow_insecure_fallback_needs_no_file() -> None:
    """AllowInsecureFallback builds no bundle and names none (buildFrontendTLSCertBundles skips it,
    addClientSettingsToSSLServers sets ClientCertBundleID ""): the Opaque Secret changes nothing."""
    (found,) = validations(opaque_only("AllowInsecureFallback")).values()
    assert (found.mode, found.breakage) == ("request", None)
    assert "config-reload-fails" not in codes(found)


def opaque_beside_configmap() -> list[dict[str, Any]]:
    return ngf(
        validation(ca_ref("other-opaque", kind="Secret"), ca_ref("ca-bundle")),
        secret("other-opaque", NGFNS, {"ca.crt": "other-ca"}),
        configmap("ca-bundle", NGFNS, ca_crt="ca"),
    )()


def test_an_opaque_secret_beside_a_configmap_is_not_trusted(nginx_binary: str, tmp_path: Path) -> None:
    """The file holds the ConfigMap's CA only: a client of the Opaque Secret's CA (wrongca, signed by
    other-ca) is refused, measured on nginx with the server NGF renders and the file it writes."""
    (found,) = validations(opaque_beside_configmap()).values()
    assert (found.mode, found.breakage) == ("require-and-verify", None)
    assert "ca-ref-not-loaded" in codes(found)
    assert found.ca_pem == (PKI / "ca.crt").read_bytes()
    ca = tmp_path / "bundle.crt"
    write_file(ca, found.ca_pem)
    port = free_port()
    server = (WIRE_PKI.path("server", "crt"), WIRE_PKI.path("server", "key"))
    with Nginx(lambda prefix: ngf_server_block(found, port, *server, ca), [port], binary=nginx_binary):
        for kind in KINDS:
            results, _ = probe_port(port, WIRE_PKI, HOST, CLIENT_FILES[kind])
            assert observed_answer(results[-1]) == predict(found, kind), (kind, results[-1].failure)
    assert predict(found, "other-ca") == WireAnswer("connection-closed")


@pytest.mark.parametrize(
    ("refs", "objects", "problem"),
    [
        (
            ["bad-bundle", "ca-bundle"],
            [raw_configmap("bad-bundle", BROKEN_BLOCK), raw_configmap("ca-bundle", pem("ca"))],
            "does not parse",
        ),
        (
            ["ca-bundle", "other-bundle"],
            [raw_configmap("ca-bundle", pem("ca").rstrip("\n")), raw_configmap("other-bundle", pem("other-ca"))],
            "bad end line",
        ),
    ],
    ids=["a-refused-configmap-beside-a-good-one", "two-cas-joined-without-a-newline"],
)
def test_a_file_nginx_cannot_load(refs: list[str], objects: list[dict[str, Any]], problem: str) -> None:
    """A ConfigMap ValidateCA refused still gets its CertBundle, so its broken block is written beside
    the good CA (the listener stays valid: validateFrontendTLS refuses it only when every ref fails);
    two CAs joined with no separator, the first without its last newline, make `-----END
    CERTIFICATE----------BEGIN CERTIFICATE-----`. nginx refuses both files (measured above)."""
    docs = ngf(validation(*(ca_ref(name) for name in refs)), *objects)()
    (found,) = validations(docs).values()
    assert found.breakage == "config-rejected"
    rejected = next(f for f in found.findings if f.code == "config-reload-fails")
    assert problem in rejected.title


def test_the_refusal_takes_the_whole_gateway() -> None:
    """One nginx configuration per Gateway: port 8443's Opaque-only perPort entry keeps port 443's
    healthy listener from being applied too (status/prepare_requests.go: every listener
    Programmed=False)."""
    docs = ngf(
        validation(ca_ref("ca-bundle")),
        configmap("ca-bundle", NGFNS, ca_crt="ca"),
        secret("ca-opaque", NGFNS, {"ca.crt": "ca"}),
        per_port={8443: {"validation": {"caCertificateRefs": [ca_ref("ca-opaque", kind="Secret")]}}},
        listeners=[https("https", 443, HOST), https("admin", 8443, "admin.meow.com")],
    )()
    found = validations(docs)
    assert {key: v.breakage for key, v in found.items()} == {
        (HOST, 443): "config-rejected",
        ("admin.meow.com", 8443): "config-rejected",
    }
    assert "config-reload-fails" in codes(found[(HOST, 443)])


def test_nginx_keeps_its_previous_configuration(nginx_binary: str, tmp_path: Path) -> None:
    """Measured: nginx runs the healthy server; the configuration is replaced by one whose
    ssl_client_certificate names a file not written and nginx is told to reload (SIGHUP, what the agent
    does after its own `nginx -t` fails, it rolls back instead): the reload fails with [emerg] and every
    client gets what it got before."""
    (healthy,) = validations(
        ngf(validation(ca_ref("ca-bundle")), configmap("ca-bundle", NGFNS, ca_crt="ca"))()
    ).values()
    ca = tmp_path / "bundle.crt"
    write_file(ca, healthy.ca_pem or b"")
    port = free_port()
    server = (WIRE_PKI.path("server", "crt"), WIRE_PKI.path("server", "key"))
    with Nginx(lambda prefix: ngf_server_block(healthy, port, *server, ca), [port], binary=nginx_binary) as running:
        before = {kind: observed_answer(probe_port(port, WIRE_PKI, HOST, CLIENT_FILES[kind])[0][-1]) for kind in KINDS}
        assert running.prefix is not None and running.process is not None
        missing = running.prefix / "cert_bundle_default_gateway_443.crt"
        body = ngf_server_block(healthy, port, *server, missing)
        (running.prefix / "nginx.conf").write_text(main_block(running.prefix, body))
        running.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "[emerg]" not in running.error_log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "SSL_CTX_load_verify_locations" in running.error_log()
        after = {kind: observed_answer(probe_port(port, WIRE_PKI, HOST, CLIENT_FILES[kind])[0][-1]) for kind in KINDS}
    assert before == after == {kind: predict(healthy, kind) for kind in KINDS}


# --- 3. a refused listener beside others on its port --------------------------------------------


NOT_PEM = raw_configmap("ca-bundle", "invalid")


def passthrough(name: str, hostname: str | None) -> dict[str, Any]:
    listener: dict[str, Any] = {"name": name, "port": 443, "protocol": "TLS", "tls": {"mode": "Passthrough"}}
    return listener | ({"hostname": hostname} if hostname else {})


def test_a_host_less_https_listener_is_refused_with_it() -> None:
    """Both HTTPS listeners of port 443 read the same default entry and the same ConfigMap
    (createFrontendTLSCaCertReferenceResolver), so the one without hostname is invalid too: no server
    on the port, the connection is refused (measured in test_successors_istio_ngf.py
    test_ngf_refused_listener_predictions_are_measured)."""
    docs = ngf(validation(ca_ref("ca-bundle")), NOT_PEM, listeners=[https("https", 443, HOST), https("any", 443)])()
    found = validations(docs)
    assert len(found) == 2
    for key, value in found.items():
        assert (value.breakage, value.refused_answer) == ("listener-refused", WireAnswer("refused")), key


def stream_config(prefix: Path, port: int) -> str:
    """What NGF renders for a port holding only a Passthrough listener (pass.example) once the HTTPS
    listener is gone: ssl_preread, a map whose default is the connection-closed socket, and that socket's
    `return "";` server. nginx 1.22 has no `pass` (1.25.5): `proxy_pass` to the same socket stands in."""
    closed = prefix / "connection-closed-server.sock"
    return (
        f"load_module {STREAM_MODULE};\nworker_processes 1;\npid {prefix}/nginx.pid;\nerror_log {prefix}/error.log;\n"
        "events { worker_connections 64; }\nstream {\n"
        f"  map $ssl_preread_server_name $dest{port} {{ hostnames; pass.example unix:{closed}; default unix:{closed}; }}\n"
        f"  server {{ listen 127.0.0.1:{port}; proxy_pass $dest{port}; ssl_preread on; }}\n"
        f'  server {{ listen unix:{closed}; return ""; }}\n}}\n'
    )


def test_a_passthrough_listener_on_the_port_closes_the_refused_name(nginx_binary: str, tmp_path: Path) -> None:
    """A valid Passthrough listener with its own hostname keeps a stream server on 443; the refused
    listener's name is not in its map, whose default is the connection-closed socket: the client's
    handshake ends with the connection closed, no alert (measured with the stream module when installed)."""
    docs = ngf(
        validation(ca_ref("ca-bundle")),
        NOT_PEM,
        listeners=[https("https", 443, HOST), passthrough("tls", "pass.example")],
    )()
    (found,) = validations(docs).values()
    assert (found.breakage, found.refused_answer) == ("listener-refused", WireAnswer("connection-closed"))
    host_less = ngf(
        validation(ca_ref("ca-bundle")), NOT_PEM, listeners=[https("https", 443, HOST), passthrough("tls", None)]
    )
    (conflicted,) = validations(host_less()).values()
    assert conflicted.refused_answer == WireAnswer("refused")  # haveOverlap(nil, …): both listeners invalid
    require("nginx's stream module (libnginx-mod-stream)", str(STREAM_MODULE) if STREAM_MODULE.exists() else None)
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(stream_config(tmp_path, port))
    process = subprocess.Popen(
        [nginx_binary, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log"), "-g", "daemon off;"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(port, 10, process)
        results, _ = probe_port(port, WIRE_PKI, HOST, CLIENT_FILES["trusted"])
    finally:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()
    assert results[-1].failure is not None and results[-1].failure.when == "handshake"
    assert observed_answer(results[-1]) == predict(found, "trusted") == WireAnswer("connection-closed")


# --- 4. migrate --verify runs what NGF renders ---------------------------------------------------


def test_no_server_block_for_a_refused_listener() -> None:
    """buildServers skips an invalid listener: the lab renders nothing for it (it used to render
    `return 444`, an answer NGF never gives there)."""
    (found,) = validations(ngf(validation(ca_ref("ca-bundle")), NOT_PEM)()).values()
    with pytest.raises(ValueError, match="renders no server"):
        ngf_server_block(found, free_port(), "server.crt", "server.key", None)


def test_migrate_verify_finds_nothing_listening_for_a_refused_listener(
    seed: tuple[Any, Any],  # noqa: F811
    nginx_binary: str,
) -> None:
    """`migrate --verify` with NGINX Gateway Fabric objects whose only CA ConfigMap holds no
    certificate: the listener is refused, NGF renders no server and nothing listens on its port, so
    every client's connection is refused, as measured on the lab's port with nothing on it."""
    pki, clients = seed
    objects = ngf_objects(pki)
    for obj in objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == "meow-ca":
            obj["data"] = {"ca.crt": "invalid"}
    table = verify(seed_objects(pki), objects, clients, ca=pki.ca)
    [(_, _, after)] = table.planes
    assert after == "nginx-gateway-fabric on nginx (no server: nothing listens)"
    assert table.rows and all(r.after is None and "connection refused" in r.after_text for r in table.rows), [
        r.after_text for r in table.rows
    ]


def test_migrate_verify_does_not_run_a_configuration_nginx_refuses(
    seed: tuple[Any, Any],  # noqa: F811
    nginx_binary: str,
) -> None:
    """The same objects with the CA in an Opaque Secret: nginx would refuse NGF's configuration and
    keep its previous one, which the lab cannot know, so the host is not verified, and says why."""
    pki, clients = seed
    objects = [o for o in ngf_objects(pki) if o["kind"] != "ConfigMap"]
    ca_crt = base64.b64encode(pki.ca.cert_pem()).decode()
    objects.append({**secret("meow-ca", "default", {}), "data": {"ca.crt": ca_crt}})
    for obj in objects:
        if obj["kind"] == "Gateway":
            obj["spec"]["tls"]["frontend"]["default"]["validation"]["caCertificateRefs"][0]["kind"] = "Secret"
    table = verify(seed_objects(pki), objects, clients, ca=pki.ca)
    assert table.planes[0][2] == "not run"
    assert any("nginx refuses NGINX Gateway Fabric's configuration" in note for note in table.notes), table.notes
    assert all(not row.verified for row in table.rows)


def test_a_configmap_with_its_ca_in_binary_data() -> None:
    """resolver/configmaps.go reads ca.crt from Data, then BinaryData: a ConfigMap holding the CA
    under binaryData is a CA (it used to be read as having no ca.crt, the listener refused)."""
    binary = {**configmap("ca-bundle", NGFNS), "binaryData": {"ca.crt": base64.b64encode(pem("ca").encode()).decode()}}
    binary.pop("data", None)
    (found,) = validations(ngf(validation(ca_ref("ca-bundle")), binary)()).values()
    assert (found.mode, found.breakage) == ("require-and-verify", None), [f.code for f in found.findings]
    assert found.ca_pem == pem("ca").encode()


# --- 4. a reference no ReferenceGrant permits, resolved by the rest of the graph -----------------
# graph/graph.go BuildGraph builds one resource resolver for every Gateway of the class and every
# BackendTLSPolicy; resolver/resolver.go Resolve caches each object it resolves and GetSecrets /
# GetConfigMaps return them all; dataplane/configuration.go getFrontendTLSCertBundles looks up each of
# the listener's caCertificateRefs in that index (listener.CACertificateRefs, unfiltered), while
# gateway_listener.go validateFrontendTLS skips Resolve for a reference resolveCrossNamespaceRefGrant
# refuses (Gateway and listener ResolvedRefs=False RefNotPermitted).


def backend_tls_policy(name: str, namespace: str, ca: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "BackendTLSPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "targetRefs": [{"group": "", "kind": "Service", "name": "backend"}],
            "validation": {"caCertificateRefs": [ca_ref(ca)], "hostname": "backend.certs.svc"},
        },
    }


def not_permitted(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """A good ConfigMap (ca), and certs/shared (other-ca) that no ReferenceGrant lets the Gateway read."""
    return ngf(
        validation(ca_ref("ca-bundle"), ca_ref("shared", namespace="certs")),
        configmap("ca-bundle", NGFNS, ca_crt="ca"),
        configmap("shared", "certs", ca_crt="other-ca"),
        *extra,
    )()


def edge_gateway() -> dict[str, Any]:
    """The Gateway certs/edge of the case ngf-cross-namespace-resolved-elsewhere (it names certs/shared)."""
    docs = case_of("ngf-cross-namespace-resolved-elsewhere").objects()
    return next(d for d in docs if d["kind"] == "Gateway" and d["metadata"]["name"] == "edge")


def measured(found: ClientValidation, binary: str, folder: Path) -> dict[str, str | None]:
    """Each client's answer from the real nginx serving NGF's server block with the reader's CA file."""
    ca = folder / "bundle.crt"
    write_file(ca, found.ca_pem or b"")
    port = free_port()
    server = (WIRE_PKI.path("server", "crt"), WIRE_PKI.path("server", "key"))
    with Nginx(lambda prefix: ngf_server_block(found, port, *server, ca), [port], binary=binary):
        return {
            kind: str(observed_answer(probe_port(port, WIRE_PKI, HOST, CLIENT_FILES[kind])[0][-1])) for kind in KINDS
        }


@pytest.mark.parametrize(
    ("extra", "who"),
    [
        ([], None),
        ([backend_tls_policy("backend-tls", "certs", "shared")], "BackendTLSPolicy certs/backend-tls"),
        ([edge_gateway()], "Gateway certs/edge"),
    ],
    ids=["alone", "a-backendtlspolicy-names-it", "another-gateway-names-it"],
)
def test_a_reference_no_grant_permits(
    extra: list[dict[str, Any]], who: str | None, nginx_binary: str, tmp_path: Path
) -> None:
    """Alone, certs/shared's CA is not in the file: a client of other-ca (wrongca) is closed. Named by a
    BackendTLSPolicy in certs, or by a Gateway of the class there, its object is in NGF's index and its CA
    is written beside ca-bundle's: wrongca gets in, measured on nginx with NGF's server block, though the
    status still says RefNotPermitted. The finding keeps its code and names who resolved it."""
    docs = not_permitted(*extra, *([server_secret("server", "certs")] if who and "Gateway" in who else []))
    found = validations(docs)[(HOST, 443)]
    assert (found.mode, found.breakage) == ("require-and-verify", None)
    finding = next(f for f in found.findings if f.code == "ca-ref-not-permitted")
    answers = measured(found, nginx_binary, tmp_path)
    assert answers["none"] == answers_of(found)["none"] == "connection closed"
    assert answers["trusted"] == "HTTP 200"
    if who is None:
        assert found.ca_pem == pem("ca").encode() and answers["other-ca"] == "connection closed"
        assert "trusts its CA" not in finding.title
    else:
        assert found.ca_pem == (pem("ca") + pem("other-ca")).encode() and answers["other-ca"] == "HTTP 200"
        assert who in finding.title and "RefNotPermitted" in finding.detail


def answers_of(found: ClientValidation) -> dict[str, str]:
    return {kind: str(predict(found, kind)) for kind in KINDS}


def test_the_grant_fix_runs_and_the_trust_then_stands_on_its_own(tmp_path: Path) -> None:
    """The printed ReferenceGrant, applied as printed in the lab: the reference is permitted, the
    finding is gone, and both CAs are trusted without the other Gateway's help."""
    docs = case_of("ngf-cross-namespace-resolved-elsewhere").objects()
    finding = next(f for f in validations(docs)[(HOST, 443)].findings if f.code == "ca-ref-not-permitted")
    done, snapshot = read_back_as_printed(finding.fix, docs, tmp_path)
    assert done.returncode == 0, f"{finding.fix}\n{done.stderr}"
    fixed = next(v for v in client_validations(snapshot) if v.host == HOST)
    assert (fixed.mode, fixed.breakage) == ("require-and-verify", None)
    assert "ca-ref-not-permitted" not in codes(fixed)
    assert fixed.ca_refs == ("ConfigMap default/ca-bundle key ca.crt", "ConfigMap certs/shared key ca.crt")


def test_a_cluster_read_sees_the_backendtlspolicy(tmp_path: Path) -> None:
    """Read from a cluster (the lab's API server, the real `kubernetes` client, as `check --context`),
    the BackendTLSPolicies are listed too (policy/successors/kinds.py): the same verdict as the files."""
    docs = not_permitted(backend_tls_policy("backend-tls", "certs", "shared"))
    with LabCluster(docs) as lab:
        source = KubeSource(kubeconfig=str(lab.write_kubeconfig(tmp_path / "kubeconfig")))
        try:
            snapshot = source.snapshot()
        finally:
            source.close()
    read = next(v for v in client_validations(snapshot) if v.host == HOST)
    assert read.ca_pem == validations(docs)[(HOST, 443)].ca_pem == (pem("ca") + pem("other-ca")).encode()
    assert any("BackendTLSPolicy certs/backend-tls" in f.title for f in read.findings)


def test_as_manifests_a_referrer_not_among_the_files_is_named_as_unchecked() -> None:
    """Files may lack the Gateway or BackendTLSPolicy that would resolve certs/shared: its CA is not
    counted (the bundle holds ca-bundle's alone), and the finding says what would change that."""
    docs = not_permitted()
    (found,) = client_validations(snapshot_from_objects(docs, "manifests", complete=False))
    assert found.ca_pem == pem("ca").encode()
    finding = next(f for f in found.findings if f.code == "ca-ref-not-permitted")
    assert "Not checked: if another Gateway of the class or a BackendTLSPolicy" in finding.detail
    assert (
        "Not checked" not in next(f for f in validations(docs)[(HOST, 443)].findings if f.code == finding.code).detail
    )


# --- 5. the other referrers that resolve a Secret into the same index ----------------------------
# graph/graph.go BuildGraph also runs authentication_filter.go processAuthenticationFilters on every
# AuthenticationFilter (type Basic: resolveAuthenticationFilterSecret on spec.basic.secretRef; JWT and OIDC
# only with NGINX Plus) and graph/gateway.go validateGatewayTLSBackend on each Gateway's
# spec.tls.backend.clientCertificateRef (Resolve before the ReferenceGrant check); resolver/secrets.go stores a
# kubernetes.io/tls Secret with its CertBundle whatever its checks say.


def auth_filter(name: str, namespace: str, kind: str, secret_name: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": kind}
    if kind == "Basic":
        spec["basic"] = {"secretRef": {"name": secret_name}, "realm": "meow"}
    else:
        spec["jwt"] = {"source": "File", "file": {"secretRef": {"name": secret_name}}, "realm": "meow"}
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "gateway.nginx.org/v1alpha1", "kind": "AuthenticationFilter", "metadata": meta, "spec": spec}


def backend_client_gateway(namespace: str) -> dict[str, Any]:
    """A Gateway of the class in the default namespace whose backend client certificate is certs/shared, with
    no ReferenceGrant for it (status RefNotPermitted; resolved all the same)."""
    made = edge_gateway()
    spec = {**made["spec"], "listeners": [https("https", 8443, "backend.meow.com")]}
    spec.pop("tls", None)
    ref = {"group": "", "kind": "Secret", "name": "shared", "namespace": "certs"}
    spec["tls"] = {"backend": {"clientCertificateRef": ref}}
    return {**made, "metadata": {"name": "backend-client", "namespace": namespace}, "spec": spec}


def secret_not_permitted(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    """A good ConfigMap (ca), and certs/shared, a kubernetes.io/tls Secret with ca.crt other-ca, that no
    ReferenceGrant lets the Gateway read."""
    return ngf(
        validation(ca_ref("ca-bundle"), ca_ref("shared", "Secret", namespace="certs")),
        configmap("ca-bundle", NGFNS, ca_crt="ca"),
        server_secret("shared", "certs", **{"ca.crt": "other-ca"}),
        *extra,
    )()


@pytest.mark.parametrize(
    ("extra", "who"),
    [
        ([], None),
        ([auth_filter("basic", "certs", "Basic", "shared")], "AuthenticationFilter certs/basic"),
        ([auth_filter("jwt", "certs", "JWT", "shared")], None),
        ([backend_client_gateway(NGFNS)], "Gateway default/backend-client spec.tls.backend.clientCertificateRef"),
    ],
    ids=["alone", "a-basic-auth-filter-names-it", "a-jwt-filter-names-it-oss", "a-backend-client-certificate"],
)
def test_other_referrers_of_a_secret(
    extra: list[dict[str, Any]], who: str | None, nginx_binary: str, tmp_path: Path
) -> None:
    """Alone, or named by a JWT AuthenticationFilter (not resolved without NGINX Plus), certs/shared's CA is
    not in the file: a client of other-ca is closed. Named by a Basic AuthenticationFilter in certs, or as a
    Gateway's backend client certificate, the Secret is in NGF's index and its ca.crt is written beside
    ca-bundle's: other-ca's client gets in, measured on nginx with NGF's server block; the finding keeps its
    code and names who resolved it."""
    found = validations(secret_not_permitted(*extra))[(HOST, 443)]
    assert (found.mode, found.breakage) == ("require-and-verify", None)
    finding = next(f for f in found.findings if f.code == "ca-ref-not-permitted")
    answers = measured(found, nginx_binary, tmp_path)
    assert answers["none"] == answers_of(found)["none"] == "connection closed"
    assert answers["trusted"] == "HTTP 200"
    if who is None:
        assert found.ca_pem == pem("ca").encode() and answers["other-ca"] == "connection closed"
    else:
        assert found.ca_pem == (pem("ca") + pem("other-ca")).encode() and answers["other-ca"] == "HTTP 200"
        assert who in finding.title


def test_a_cluster_read_sees_the_authentication_filter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From the lab's API server (serving NGF's AuthenticationFilter kind), the filters are listed too
    (policy/successors/kinds.py): the same verdict as the files."""
    docs = secret_not_permitted(auth_filter("basic", "certs", "Basic", "shared"))
    serve(
        monkeypatch, (Resource("AuthenticationFilter", "authenticationfilters", "gateway.nginx.org", "v1alpha1", True),)
    )
    with LabCluster(docs) as lab:
        source = KubeSource(kubeconfig=str(lab.write_kubeconfig(tmp_path / "kubeconfig")))
        try:
            snapshot = source.snapshot()
        finally:
            source.close()
    read = next(v for v in client_validations(snapshot) if v.host == HOST)
    assert read.ca_pem == validations(docs)[(HOST, 443)].ca_pem == (pem("ca") + pem("other-ca")).encode()
    assert any("AuthenticationFilter certs/basic" in f.title for f in read.findings)
