"""TLS alerts and closed connections: the table, and what the probe says about each.

The alert numbers and names are RFC 8446's (section 6); which data plane sends which for a client
certificate was measured on Envoy 1.40 and Go 1.27 (docs/successors.md section 7, and the OpenSSL
reason names in tests/data/successors/measure/probe.py). The real Envoy runs are in
test_probe_envoy_alerts.py; here real Python `ssl` servers (OpenSSL) play the servers that close
instead of alerting: NGINX Gateway Fabric's `return 444` (closed after the request, no answer,
docs/successors.md G16) and a TLS 1.3 server that closes right after the handshake.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
from mtls_tui.diagnose.alerts import ALERTS, alert, alert_from_reason
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.lab.pki import write_file
from mtls_tui.model import ProbeFailure, ProbeResult, ProbeSpec, Severity
from mtls_tui.sources.probe import run_probe

# the alerts issue 14 names, with the OpenSSL reason Python's ssl gives for each (measure/probe.py)
NAMED = {
    40: ("handshake_failure", "SSLV3_ALERT_HANDSHAKE_FAILURE"),
    42: ("bad_certificate", "SSLV3_ALERT_BAD_CERTIFICATE"),
    43: ("unsupported_certificate", "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE"),
    45: ("certificate_expired", "SSLV3_ALERT_CERTIFICATE_EXPIRED"),
    46: ("certificate_unknown", "SSLV3_ALERT_CERTIFICATE_UNKNOWN"),
    48: ("unknown_ca", "TLSV1_ALERT_UNKNOWN_CA"),
    114: ("bad_certificate_hash_value", "TLSV1_BAD_CERTIFICATE_HASH_VALUE"),
    116: ("certificate_required", "TLSV13_ALERT_CERTIFICATE_REQUIRED"),
}


@pytest.mark.parametrize("number", sorted(NAMED))
def test_alert_table(number: int) -> None:
    name, reason = NAMED[number]
    assert ALERTS[number].name == name and ALERTS[number].about_client_cert
    assert alert_from_reason(reason) == ALERTS[number]
    assert ALERTS[number].meaning


def test_unknown_alerts_are_named_by_number() -> None:
    assert alert(200).name == "alert_200" and not alert(200).about_client_cert
    assert alert_from_reason("WRONG_VERSION_NUMBER") is None
    assert alert_from_reason("TLSV1_UNRECOGNIZED_NAME") == ALERTS[112]


def _result(sent: bool, failure: ProbeFailure, version: str = "TLSv1.3") -> ProbeResult:
    return ProbeResult(
        label="with client certificate" if sent else "without client certificate",
        url="https://meow.com/",
        connect_to="127.0.0.1:443",
        sni="meow.com",
        host_header="meow.com",
        sent_client_cert=sent,
        user_agent="t",
        verified_server=True,
        cert_file="client.crt" if sent else None,
        tls_version=version,
        failure=failure,
        curl="curl -v https://meow.com/",
        openssl="openssl s_client",
    )


def _alert(number: int, when: str) -> ProbeFailure:
    return ProbeFailure("tls-alert", f"alert {number}", ALERTS[number].name, number, when)  # type: ignore[arg-type]


def test_no_certificate_alert_is_info_beside_an_attempt_with_one() -> None:
    """Alert 116 without a certificate is the server enforcing mTLS, as nginx's 400 'No required SSL
    certificate was sent' is (probe-no-client-cert: info with a certificate attempt, else warning)."""
    with_cert = _result(True, _alert(48, "first read"))
    both = probe_findings([_result(False, _alert(116, "first read")), with_cert])
    by_label = {f.evidence[0].split(":")[0]: f for f in both}
    assert by_label["without client certificate"].severity is Severity.INFO
    assert by_label["with client certificate"].severity is Severity.ERROR
    assert "alert 48 unknown_ca" in by_label["with client certificate"].title
    alone = probe_findings([_result(False, _alert(116, "first read"))])
    assert alone[0].severity is Severity.WARNING and "--cert client.crt" in alone[0].fix


@pytest.mark.parametrize(
    ("number", "fix"),
    [
        (45, "-dates"),
        (43, "extendedKeyUsage"),
        (42, "extendedKeyUsage"),
        (46, "subjectAltName"),
        (114, "openssl dgst -sha256"),
        (48, "openssl verify"),
    ],
)
def test_alert_fix_names_what_to_check(number: int, fix: str) -> None:
    finding = probe_findings([_result(True, _alert(number, "handshake"), "TLSv1.2")])[0]
    assert finding.code == "probe-tls-alert" and fix in finding.fix
    assert f"alert: {number} {ALERTS[number].name}" in finding.evidence
    assert "TLS version: TLS 1.2" in finding.evidence
    assert "when: in the TLS handshake" in finding.evidence


# --- real servers that close instead of alerting ------------------------------------------


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_material(tmp_path_factory.mktemp("close-pki"))


def make_material(folder: Path, stranger: bool = False) -> Path:
    """A CA (ca.crt), a server certificate for meow.com and a client certificate, with their keys; the
    client's is of the CA, or with `stranger` of another CA (a server refuses it)."""
    ca = issue_ca("meow CA", key=new_key("ec"))
    server = issue_leaf("meow.com", ca, v1=False, sans=["meow.com"], eku=["serverAuth"], key=new_key("ec"))
    signer = issue_ca("Other CA", key=new_key("ec")) if stranger else ca
    client = issue_leaf("client", signer, v1=False, eku=["clientAuth"], key=new_key("ec"))
    write_file(folder / "ca.crt", ca.cert_pem())
    for name, issued in (("server", server), ("client", client)):
        write_file(folder / f"{name}.crt", issued.cert_pem())
        write_file(folder / f"{name}.key", issued.key_pem(), private=True)
    return folder


@contextmanager
def serving(context: ssl.SSLContext, handle: Callable[[ssl.SSLSocket], None]) -> Iterator[int]:
    """A TLS server on a free port of 127.0.0.1 (its port yielded): each connection's handshake with
    `context`, then `handle` on it, then closed. A handshake that fails (the server refused the
    client) closes the connection: the client reads the server's alert."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                raw, _ = listener.accept()
            except OSError:
                continue
            raw.settimeout(5)
            try:
                conn = context.wrap_socket(raw, server_side=True)
                handle(conn)
                conn.close()
            except OSError:
                raw.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()


def server_context(folder: Path, verify_mode: ssl.VerifyMode) -> ssl.SSLContext:
    """The server's certificate and key of `folder`, its ca.crt for client certificates."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.crt", folder / "server.key")
    context.load_verify_locations(folder / "ca.crt")
    context.verify_mode = verify_mode
    return context


@contextmanager
def closing_server(folder: Path, version: ssl.TLSVersion, behaviour: str, tickets: int = 2) -> Iterator[int]:
    """Asks for a client certificate (optional, as nginx does), finishes the handshake, then
    `close`: closes at once; `read-close`: reads the request and closes with no answer (NGF's 444);
    `speak-first`: answers before the request comes."""
    context = server_context(folder, ssl.CERT_OPTIONAL)
    context.minimum_version = context.maximum_version = version
    context.num_tickets = tickets

    def handle(conn: ssl.SSLSocket) -> None:
        if behaviour == "read-close":
            conn.recv(65536)
        if behaviour == "speak-first":  # bytes before the request: the probe's first read must keep them
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nfirst\n")
            conn.recv(65536)

    with serving(context, handle) as port:
        yield port


def _probe(folder: Path, port: int):
    spec = ProbeSpec(
        f"https://meow.com:{port}/",
        resolve=f"meow.com:{port}:127.0.0.1",
        cacert=str(folder / "ca.crt"),
        cert=str(folder / "client.crt"),
        key=str(folder / "client.key"),
        timeout=5.0,
    )
    results = run_probe(spec)
    return results, probe_findings(results)


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["1.2", "1.3"])
def test_closed_after_the_request(material: Path, version: ssl.TLSVersion) -> None:
    """NGINX Gateway Fabric: `error_page 495 496 = @frontend_tls_verify_failed` → `return 444` closes the
    connection after the request, no answer (servers_template.go; measured, docs/successors.md section 7)."""
    with closing_server(material, version, "read-close") as port:
        results, findings = _probe(material, port)
    for result in results:
        assert result.failure is not None and result.failure.kind == "closed", result.failure
        assert result.failure.when == "after the request"
        assert result.tls_version == ("TLSv1.3" if version == ssl.TLSVersion.TLSv1_3 else "TLSv1.2")
    closed = {f.evidence[0].split(":")[0]: f for f in findings if f.code == "probe-connection-closed"}
    assert closed["with client certificate"].severity is Severity.ERROR
    assert closed["without client certificate"].severity is Severity.INFO
    assert "after the request" in closed["with client certificate"].title
    if version == ssl.TLSVersion.TLSv1_3:  # the server's session ticket said the handshake was accepted
        assert "session ticket" in (results[1].first_read or ""), results[1].first_read


def test_tls13_closed_on_the_first_read(material: Path) -> None:
    """TLS 1.3, a server that closes right after its handshake (no ticket, no alert): the probe's
    read before the request sees the EOF, and says so."""
    with closing_server(material, ssl.TLSVersion.TLSv1_3, "close", tickets=0) as port:
        results, findings = _probe(material, port)
    failure = results[1].failure
    assert failure is not None and failure.kind == "closed" and failure.when == "first read", failure
    finding = next(f for f in findings if f.code == "probe-connection-closed" and f.severity is Severity.ERROR)
    assert "on the first read after the handshake" in finding.title and "TLS 1.3" in finding.title


def test_tls13_bytes_on_the_first_read_are_kept(material: Path) -> None:
    """What the first read gets that is not a verdict (an HTTP/2 server's SETTINGS, say) is the
    answer's first bytes: httpx reads them as if the probe had never looked."""
    with closing_server(material, ssl.TLSVersion.TLSv1_3, "speak-first", tickets=0) as port:
        results, _ = _probe(material, port)
    for result in results:
        assert result.failure is None and result.status == 200 and result.body == "first\n", result
        assert "kept for the answer" in (result.first_read or "")
