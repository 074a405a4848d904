"""The built-in gateway held to nginx. The end-to-end table of test_probe_gateway, plus
revocation, verify depth, an expired client, a denied host, a request without SNI and
an awkward subject DN, is probed with the real probe against both gateways; for every
case the statuses, finding codes, echoed `ssl-client-*` values, bodies, headers and
the lines each writes to its logs must be the same.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from mtls_tui.certs.issue import Issued, issue_ca, issue_crl, issue_intermediate, issue_leaf, new_key
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.lab.builtin_gateway import BuiltinGateway
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.pki import write_file
from mtls_tui.model import MtlsPolicy, ProbeResult, ProbeSpec
from mtls_tui.policy.nginx_answers import CERT_ERROR, CN_REFUSED, NO_CERT
from mtls_tui.sources.probe import run_probe

SECRET = "default/my-certs"
POLICIES = {
    p.host: p
    for p in (
        MtlsPolicy("plain.com"),
        MtlsPolicy("meow.com", secret=SECRET),
        MtlsPolicy("off.com", secret=SECRET, verify_client="off", verify_depth=2),
        MtlsPolicy("errpage.com", secret=SECRET, error_page="https://errors.example/mtls"),
        # a path is an internal redirect to the upstream, a named location ingress-nginx never writes a 500
        # (policy/ingress_nginx/cert_answers.refused_answer; tests/test_field_reports_nginx_5.py)
        MtlsPolicy("errpath.com", secret=SECRET, error_page="/cert-error"),
        MtlsPolicy("errnamed.com", secret=SECRET, error_page="@mtls-error"),
        MtlsPolicy("passcert.com", secret=SECRET, pass_certificate=True),
        MtlsPolicy("cn-no.com", secret=SECRET, match_cn="CN=Nobody"),
        MtlsPolicy("cn-yes.com", secret=SECRET, match_cn="CN=Fern"),
        MtlsPolicy("cn-alt.com", secret=SECRET, match_cn="CN=(Other|Fern)"),
        MtlsPolicy("optional.com", secret=SECRET, verify_client="optional"),
        MtlsPolicy("optional-no-ca.com", secret=SECRET, verify_client="optional_no_ca"),
        MtlsPolicy("denied.com", secret=SECRET),
        MtlsPolicy("location-denied.com", secret=SECRET),
        MtlsPolicy("revoked.com", secret=SECRET),
        MtlsPolicy("crl-ok.com", secret=SECRET),
        MtlsPolicy("crl-expired.com", secret=SECRET),
        MtlsPolicy("depth1.com", secret=SECRET),
        MtlsPolicy("depth2.com", secret=SECRET, verify_depth=2),
    )
}


@dataclass(frozen=True)
class Case:
    name: str
    host: str
    client: str | None
    how: str = "sni"  # "sni": SNI and Host name `host`; "misdirected": Host meow.com; "no-sni": by IP, Host `host`
    statuses: tuple[int, ...] = ()
    codes: frozenset[str] = frozenset()


CASES = [
    Case("no-annotations", "plain.com", "seed", statuses=(200, 200), codes=frozenset({"probe-unconfirmed"})),
    Case("secret-only", "meow.com", "seed", statuses=(400, 200), codes=frozenset({"probe-no-client-cert", "probe-ok"})),
    Case("verify-off", "off.com", None, statuses=(200,), codes=frozenset({"probe-mtls-not-enforced"})),
    Case("verify-off-with-cert", "off.com", "seed", statuses=(200, 200)),
    Case(
        "error-page", "errpage.com", "seed", statuses=(302, 200), codes=frozenset({"probe-no-client-cert", "probe-ok"})
    ),
    Case(
        "error-page-other-ca", "errpage.com", "stranger", statuses=(302, 302), codes=frozenset({"probe-cert-rejected"})
    ),
    Case(
        "error-page-path",
        "errpath.com",
        "seed",
        statuses=(200, 200),
        codes=frozenset({"probe-mtls-not-enforced", "probe-ok"}),
    ),
    Case("error-page-path-other-ca", "errpath.com", "stranger", statuses=(200, 200)),
    Case("error-page-named", "errnamed.com", "seed", statuses=(500, 200), codes=frozenset({"probe-ok"})),
    Case("error-page-named-other-ca", "errnamed.com", "stranger", statuses=(500, 500)),
    Case("pass-certificate", "passcert.com", "seed", statuses=(400, 200), codes=frozenset({"probe-ok"})),
    Case("match-cn-refused", "cn-no.com", "seed", statuses=(400, 403), codes=frozenset({"probe-cn-rejected"})),
    Case("match-cn", "cn-yes.com", "seed", statuses=(400, 200), codes=frozenset({"probe-ok"})),
    Case("match-cn-alternation", "cn-alt.com", "seed", statuses=(400, 200), codes=frozenset({"probe-ok"})),
    Case("other-ca", "meow.com", "stranger", statuses=(400, 400), codes=frozenset({"probe-cert-rejected"})),
    Case("unknown-sni", "unknown.example", None, statuses=(404,), codes=frozenset({"probe-fake-certificate"})),
    Case("sni-host-disagree", "plain.com", "seed", "misdirected", codes=frozenset({"probe-misdirected"})),
    Case("no-sni", "meow.com", "seed", "no-sni", statuses=(400, 400), codes=frozenset({"probe-no-client-cert"})),
    Case("optional", "optional.com", "stranger", statuses=(200, 400), codes=frozenset({"probe-cert-rejected"})),
    Case(
        "optional-no-ca",
        "optional-no-ca.com",
        "stranger",
        statuses=(200, 200),
        codes=frozenset({"probe-cert-unverified"}),
    ),
    Case("optional-no-ca-odd-dn", "optional-no-ca.com", "odd-dn", statuses=(200, 200)),
    Case("denied", "denied.com", "seed", statuses=(403, 403), codes=frozenset({"probe-location-denied"})),
    Case("location-denied", "location-denied.com", "seed", statuses=(400, 503)),
    Case("revoked", "revoked.com", "seed", statuses=(400, 400), codes=frozenset({"probe-cert-rejected"})),
    Case("crl-not-revoked", "crl-ok.com", "seed", statuses=(400, 200), codes=frozenset({"probe-ok"})),
    Case("crl-expired", "crl-expired.com", "seed", statuses=(400, 400), codes=frozenset({"probe-cert-rejected"})),
    Case("depth-too-small", "depth1.com", "deep", statuses=(400, 400), codes=frozenset({"probe-cert-rejected"})),
    Case("depth-enough", "depth2.com", "deep", statuses=(400, 200), codes=frozenset({"probe-ok"})),
    Case("expired", "depth2.com", "expired", statuses=(400, 400), codes=frozenset({"probe-cert-rejected"})),
]


def _odd_dn_leaf(issuer: Issued) -> Issued:
    """A subject whose RFC 2253 form differs between OpenSSL and `cryptography`:
    a multi-valued RDN, characters to escape, UTF-8 and emailAddress."""
    key = new_key("ec")
    subject = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "NL")]),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Zoo, Inc."),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "ops+dev"),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "fern@example.com")]),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, 'Férn "Jr" #1')]),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .sign(issuer.key, hashes.SHA256())
    )
    return Issued(cert, key)


@dataclass(frozen=True)
class Lab:
    hosts: list[GatewayHost]
    clients: dict[str, tuple[str, str]]


@pytest.fixture(scope="module")
def lab(seed_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Lab:
    """The seed's openssl-made PKI behind most hosts; quick EC CAs for the rest."""
    folder = tmp_path_factory.mktemp("conformance")
    read = lambda name: (seed_dir / name).read_bytes()  # noqa: E731
    seed_client = x509.load_pem_x509_certificate(read("client.crt"))
    seed_ca = Issued(
        x509.load_pem_x509_certificate(read("ca.crt")), serialization.load_pem_private_key(read("ca.key"), None)
    )
    other = issue_ca("Other Authority", key=new_key("ec"))
    deep_root = issue_ca("Deep Root", key=new_key("ec"))
    first = issue_intermediate("Deep Issuing CA 1", deep_root, key=new_key("ec"))
    second = issue_intermediate("Deep Issuing CA 2", first, key=new_key("ec"))
    long_ago = datetime.now(UTC) - timedelta(days=40)
    chains = {
        "stranger": (issue_leaf("Fern", other, key=new_key("ec")),),
        "odd-dn": (_odd_dn_leaf(other),),
        "deep": (issue_leaf("Fern", second, key=new_key("ec"), v1=False, eku=["clientAuth"]), second, first),
        "expired": (issue_leaf("Fern", deep_root, key=new_key("ec"), not_before=long_ago, days=30),),
    }
    clients = {"seed": (str(seed_dir / "client.crt"), str(seed_dir / "client.key"))}
    for name, chain in chains.items():
        write_file(folder / f"{name}.crt", b"".join(c.cert_pem() for c in chain))
        write_file(folder / f"{name}.key", chain[0].key_pem(), private=True)
        clients[name] = (str(folder / f"{name}.crt"), str(folder / f"{name}.key"))
    server = read("server.crt"), read("server.key")
    special = {
        # nginx.tmpl (template "SERVER"): an AuthTLSError renders `return 403;` at server level
        "denied.com": dict(denial="error obtaining certificate: local SSL certificate default/gone was not found"),
        # nginx.tmpl: another annotation's LocationDeniedError (proxy-ssl-secret) renders `return 503;` in the location
        "location-denied.com": dict(
            location_denial="error obtaining certificate: local SSL certificate default/gone was not found"
        ),
        "revoked.com": dict(crl_pem=issue_crl(seed_ca, [seed_client])),
        "crl-ok.com": dict(crl_pem=issue_crl(seed_ca, [issue_leaf("Someone Else", seed_ca).cert])),
        "crl-expired.com": dict(crl_pem=issue_crl(seed_ca, last_update=datetime.now(UTC) - timedelta(days=10), days=9)),
        "depth1.com": dict(ca_pem=deep_root.cert_pem()),
        "depth2.com": dict(ca_pem=deep_root.cert_pem()),
    }
    hosts = [
        GatewayHost(
            **{
                "policy": policy,
                "tls_cert_pem": server[0],
                "tls_key_pem": server[1],
                "ca_pem": read("ca.crt"),
                **special.get(name, {}),
            }
        )
        for name, policy in POLICIES.items()
    ]
    return Lab(hosts, clients)


@dataclass(frozen=True)
class Outcome:
    """Everything a user (or the lab's log view) sees of one case, ports and times left out."""

    statuses: tuple[int | None, ...]
    codes: tuple[str, ...]
    echoed: tuple[tuple[tuple[str, str], ...], ...]
    key_lines: tuple[str, ...]
    bodies: tuple[str, ...]
    headers: tuple[tuple[tuple[str, str], ...], ...]
    tls: tuple[tuple[object, ...], ...]
    error_log: tuple[str, ...]
    access_log: tuple[str, ...]


def key_line(body: str) -> str:
    for marker in (NO_CERT, CERT_ERROR, CN_REFUSED):
        if marker in body:
            return marker
    title = re.search(r"<title>(.*?)</title>", body)
    return title.group(1) if title else body.split("\n", 1)[0]


def _spec(gateway: Gateway | BuiltinGateway, case: Case, cert: tuple[str, str] | None) -> ProbeSpec:
    files = dict(cert=cert[0], key=cert[1]) if cert else {}
    common = dict(insecure=True, timeout=5, probe_id="conform", **files)
    if case.how == "no-sni":
        return ProbeSpec(f"https://127.0.0.1:{gateway.port}/", headers=(("Host", case.host),), **common)
    headers = (("Host", f"meow.com:{gateway.port}"),) if case.how == "misdirected" else ()
    return ProbeSpec(gateway.url(case.host), resolve=gateway.resolve(case.host), headers=headers, **common)


def _appended(path: Path, offset: int, lines: int) -> list[str]:
    """New log lines; nginx (and the built-in gateway) write the access line just after answering."""
    deadline = time.monotonic() + 2
    while True:
        text = path.read_text(errors="replace")[offset:]
        if text.count("\n") >= lines or time.monotonic() > deadline:
            return text.splitlines()
        time.sleep(0.01)


def _normal(text: str) -> str:
    """Ports, times, request ids and nginx's version differ between two gateways; nothing else may."""
    text = re.sub(r"nginx/[\d.]+", "nginx", text)
    text = re.sub(r":\d{4,5}\b", ":PORT", text)
    return text


def _access_fields(line: str) -> str:
    match = re.match(
        r'(\S+) - - \[.*?\] ("[^"]*") (\d+) (\d+) ("[^"]*") ("[^"]*") (\d+) [\d.]+ (\[.*?\] \[.*?\]) (\S+) (\S+) \S+ (\S+) \w+$',
        line,
    )
    assert match, line
    addr = "upstream" if match.group(9) != "-" else "-"
    return _normal(" ".join(match.group(1, 2, 3, 4, 5, 6, 7, 8)) + f" {addr} {match.group(10)} {match.group(11)}")


def _error_message(line: str) -> str:
    return _normal(
        re.sub(r"^.*? \[info\] \d+#\d+: \*\d+ ", "", re.sub(r"^.*? \[error\] \d+#\d+: \*\d+ ", "[error] ", line))
    )


def _about_the_request(line: str) -> bool:
    """The lines the lab shows; not nginx's teardown races such as `shutdown() failed (107: …)`."""
    return "while reading client request headers" in line and not re.search(r"\) failed \(\d+: ", line)


def run_table(gateway: Gateway | BuiltinGateway, lab: Lab) -> dict[str, Outcome]:
    outcomes = {}
    access, error = gateway.log_paths()
    for case in CASES:
        offsets = access.stat().st_size, error.stat().st_size if error.exists() else 0
        results: list[ProbeResult] = run_probe(_spec(gateway, case, lab.clients.get(case.client)))
        codes = {f.code for f in probe_findings(results, POLICIES.get(case.host))}
        new_access = _appended(access, offsets[0], len(results))
        new_errors = _appended(error, offsets[1], 0)
        outcomes[case.name] = Outcome(
            statuses=tuple(r.status for r in results),
            codes=tuple(sorted(codes)),
            echoed=tuple(tuple((k, v) for k, v in r.echo if k.startswith("ssl-client-")) for r in results),
            key_lines=tuple(key_line(r.body) for r in results),
            bodies=tuple(_normal(r.body) for r in results),
            headers=tuple(
                tuple(sorted((k, _normal(v)) for k, v in r.headers if k not in ("date", "server"))) for r in results
            ),
            tls=tuple(
                (
                    r.failure,
                    r.fake_certificate,
                    r.server_cert.subject if r.server_cert else None,
                    r.tls_version,
                    r.cipher,
                    r.alpn,
                    r.http_version,
                )
                for r in results
            ),
            error_log=tuple(_error_message(line) for line in new_errors if _about_the_request(line)),
            access_log=tuple(_access_fields(line) for line in new_access),
        )
    return outcomes


@pytest.fixture(scope="module")
def builtin_outcomes(lab: Lab) -> dict[str, Outcome]:
    with BuiltinGateway(lab.hosts) as gateway:
        return run_table(gateway, lab)


@pytest.fixture(scope="module")
def nginx_outcomes(lab: Lab, nginx_binary: str) -> dict[str, Outcome]:
    with Gateway(lab.hosts, nginx_binary=nginx_binary) as gateway:
        return run_table(gateway, lab)


@pytest.mark.parametrize("gateway", ["nginx", "builtin"])
def test_the_table(gateway: str, request: pytest.FixtureRequest) -> None:
    """Each gateway on its own gives the answers test_probe_gateway expects."""
    outcomes: dict[str, Outcome] = request.getfixturevalue(f"{gateway}_outcomes")
    for case in CASES:
        outcome = outcomes[case.name]
        if case.statuses:
            assert outcome.statuses == case.statuses, case.name
        assert case.codes <= set(outcome.codes), case.name
    assert outcomes["sni-host-disagree"].statuses[1] in (400, 421)  # nginx 1.22 with SNI set: 421
    assert outcomes["other-ca"].key_lines[1] == CERT_ERROR
    assert outcomes["secret-only"].echoed[1][1] == ("ssl-client-subject-dn", "CN=Fern")
    assert dict(outcomes["pass-certificate"].echoed[1])["ssl-client-cert"].startswith(
        "-----BEGIN%20CERTIFICATE-----%0A"
    )
    assert dict(outcomes["optional-no-ca"].echoed[1])["ssl-client-verify"].startswith("FAILED:")
    assert dict(outcomes["optional-no-ca-odd-dn"].echoed[1])["ssl-client-subject-dn"] == (
        'CN=F\\C3\\A9rn \\"Jr\\" #1,emailAddress=fern@example.com,O=Zoo\\, Inc.+OU=ops\\+dev,C=NL'
    )
    assert "(23:certificate revoked)" in outcomes["revoked"].error_log[-1]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_builtin_answers_as_nginx(
    case: Case, nginx_outcomes: dict[str, Outcome], builtin_outcomes: dict[str, Outcome]
) -> None:
    nginx, builtin = nginx_outcomes[case.name], builtin_outcomes[case.name]
    assert builtin.statuses == nginx.statuses
    assert builtin.codes == nginx.codes
    assert builtin.echoed == nginx.echoed
    assert builtin.key_lines == nginx.key_lines
    assert builtin.bodies == nginx.bodies
    assert builtin.headers == nginx.headers
    assert builtin.tls == nginx.tls
    assert builtin.error_log == nginx.error_log
    assert builtin.access_log == nginx.access_log


def test_builtin_stops_cleanly_and_restarts_on_its_port(lab: Lab) -> None:
    """The lab restarts its gateway on the same port for every scenario: stop must be
    prompt with idle connections open, and leave no thread, socket or file behind."""
    before = set(threading.enumerate())
    gateway = BuiltinGateway(lab.hosts).start()
    folder = gateway.log_paths()[0].parent
    silent = socket.create_connection(("127.0.0.1", gateway.port))  # stuck before its ClientHello
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    idle = context.wrap_socket(socket.create_connection(("127.0.0.1", gateway.port)), server_hostname="plain.com")
    idle.sendall(b"GET / HTTP/1.1\r\nHost: plain.com\r\n\r\n")
    assert idle.recv(65536).startswith(b"HTTP/1.1 200 OK")  # then kept alive, idle
    started = time.monotonic()
    gateway.stop()
    assert time.monotonic() - started < 1
    assert set(threading.enumerate()) <= before and not folder.exists() and gateway.log_paths() is None
    assert idle.recv(1) == b"" and silent.recv(1) == b""
    idle.close(), silent.close()
    with BuiltinGateway(lab.hosts, port=gateway.port) as again:
        results = run_probe(
            ProbeSpec(again.url("plain.com"), resolve=again.resolve("plain.com"), insecure=True, timeout=5)
        )
        assert results[0].status == 200
