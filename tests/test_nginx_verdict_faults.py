"""Certificate faults the verdict matrix does not cover, each put to the real Debian nginx.

tests/test_nginx_verdict_matrix.py covers depths, intermediates, the client's own dates, another CA,
EKU, keyUsage, basicConstraints and CRLs. Here: path length, name constraints, unknown critical
extensions, an intermediate out of its dates, weak digests, key types and sizes, key identifiers,
two CAs of one name, a non-CA in the CA file, serial numbers, far dates, a self-signed client that is
trusted, and the string types of names. nginx serves each as ingress-nginx renders an auth-tls Secret
holding ca.crt: the CA file is the one `secret_store.client_ca_file` says the controller writes
(ca.crt's bytes), `ssl_verify_client on; ssl_verify_depth 1` (the annotation's default), and the http
block's TLS settings are ingress-nginx's defaults (INGRESS_NGINX_TLS). `mtls-tui inspect --ca ca.crt
--cert client.crt --json` must give nginx's status and the reason nginx logs.

Measured on nginx 1.22.1 / OpenSSL 3.0 (Debian): X509_verify_cert decides every case but the client
keys no TLS 1.3 signature scheme fits (certs/verify.py TLS13_EC_CURVES): there the client sends no
certificate at all, and the verdict said 200 (secp256k1, brainpoolP256r1, DSA) or "(66:EE certificate
key too weak)" (P-192) where nginx answered 400 'No required SSL certificate was sent'.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mtls_tui.certs.issue import CA_KEY_USAGE, Issued, issue_leaf, new_key
from mtls_tui.certs.keys import PrivateKey
from mtls_tui.cli import main
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.pki import write_file
from mtls_tui.model import MtlsPolicy, SecretObj
from mtls_tui.policy.nginx_answers import CERT_ERROR, NO_CERT, NO_CERT_LOGGED
from mtls_tui.policy.nginx_directives import server_directives
from mtls_tui.policy.secret_store import client_ca_file
from tests.test_check_manifests import SEED_INGRESS_V1

# the negative serial numbers are made on purpose; cryptography warns on reading one
pytestmark = pytest.mark.filterwarnings("ignore:Parsed a serial number which wasn't positive")
NOW = datetime.now(UTC)
DAY = timedelta(days=1)
# ingress-nginx's http-level TLS settings, controller-v1.15.1: nginx.tmpl renders ssl_protocols, ssl_ciphers
# (+ ssl_prefer_server_ciphers on) and ssl_ecdh_curve from config.go's defaults sslProtocols, sslCiphers and
# SSLECDHCurve "auto". nginx 1.22's own default protocols lack TLSv1.3, which changes the answers below.
INGRESS_NGINX_TLS = (
    "ssl_protocols TLSv1.2 TLSv1.3;\n"
    "ssl_ciphers 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256';\n"
    "ssl_prefer_server_ciphers on;\nssl_ecdh_curve auto;\n"
)
CA_EXT = "basicConstraints=critical,CA:TRUE;keyUsage=critical,keyCertSign,cRLSign;subjectKeyIdentifier=hash"
NO_CERTIFICATE = f"400 {NO_CERT}"


# --- making the faulty certificates ------------------------------------------------------------------


def name(cn: str, *, printable: bool = False, org: str | None = None) -> x509.Name:
    kind = _ASN1Type.PrintableString if printable else _ASN1Type.UTF8String
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org, _type=kind)] if org else []
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, cn, _type=kind)])


def ec_key(curve: ec.EllipticCurve | None = None) -> PrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


def make(
    subject: x509.Name,
    key: PrivateKey,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    path_length: int | None = None,
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    serial: int | None = None,
    issuer_name: x509.Name | None = None,
    akid_of: PrivateKey | None = None,
) -> Issued:
    """A v3 certificate as `openssl` makes them (SKI, AKI of the signing key; a CA with CA:TRUE and
    keyCertSign, a client with clientAuth), signed by `issuer` (self-signed without one). The rest bends
    it: another issuer name, an AKID naming another key, any extension."""
    signing = issuer.key if issuer else key
    builder = x509.CertificateBuilder(
        issuer_name=issuer_name or (issuer.cert.subject if issuer else subject),
        subject_name=subject,
        public_key=key.public_key(),
        serial_number=serial or x509.random_serial_number(),
        not_valid_before=not_before or NOW - timedelta(minutes=5),
        not_valid_after=not_after or NOW + 300 * DAY,
    )
    builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    akid = (akid_of or signing).public_key()
    builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(akid), critical=False)  # type: ignore[arg-type]
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        builder = builder.add_extension(CA_KEY_USAGE, critical=True)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    edwards = isinstance(signing, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey)
    return Issued(builder.sign(signing, None if edwards else hashes.SHA256()), key)  # type: ignore[arg-type]


def openssl_signed(
    cn: str, issuer: Issued | None, *, digest: str = "sha256", serial: str = "", ext: str = ""
) -> Issued:
    """What the `cryptography` builder will not sign (SHA-1 and MD5 signatures, a negative serial
    number), signed by the `openssl` binary as the seed signs (`openssl x509 -req ... -extfile`)."""
    key = ec_key()
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        write_file(where / "k.pem", Issued(None, key).key_pem(), private=True)  # type: ignore[arg-type]
        signer = ["-signkey", "k.pem"]
        if issuer is not None:
            write_file(where / "ca.pem", issuer.cert_pem())
            write_file(where / "ca.key", issuer.key_pem(), private=True)
            signer = ["-CA", "ca.pem", "-CAkey", "ca.key"]
        (where / "ext").write_text((ext or "extendedKeyUsage=clientAuth").replace(";", "\n") + "\n")
        request = ["openssl", "req", "-new", "-key", "k.pem", "-subj", f"/CN={cn}"]
        csr = subprocess.run(request, cwd=where, capture_output=True, check=True).stdout
        serials = ["-set_serial", serial] if serial else ([] if issuer is None else ["-CAcreateserial"])
        sign = ["openssl", "x509", "-req", f"-{digest}", "-days", "300", *signer, "-extfile", "ext", *serials]
        done = subprocess.run(sign, cwd=where, input=csr, capture_output=True, check=True)
    return Issued(x509.load_pem_x509_certificate(done.stdout), key)


def root(cn: str = "Fault Root", key: PrivateKey | None = None, **kw) -> Issued:
    return make(name(cn), key or ec_key(), ca=True, **kw)


def intermediate(issuer: Issued, **kw) -> Issued:
    return make(name("Fault Intermediate"), ec_key(), issuer, ca=True, **kw)


def client(issuer: Issued, cn: str = "client", key: PrivateKey | None = None, **kw) -> Issued:
    return make(name(cn), key or ec_key(), issuer, **kw)


def client_without_akid(issuer: Issued) -> Issued:
    """The seed's kind of client (`openssl x509 -req`, no key identifiers): its issuer is found by name alone."""
    return issue_leaf("client", issuer, key=ec_key())


@dataclass(frozen=True)
class Fault:
    """ca.crt (certificates in file order) and the chain the client sends (leaf first, with its key)."""

    ca: tuple[Issued, ...]
    chain: tuple[Issued, ...]


def signed_by(ca: Issued, leaf: Callable[[Issued], Issued]) -> Fault:
    return Fault((ca,), (leaf(ca),))


def through(ca: Issued, middle: Issued) -> Fault:
    """ca.crt holds the root; the client sends its certificate and the intermediate that signed it."""
    return Fault((ca,), (client(middle), middle))


def san(*names: x509.GeneralName) -> tuple[tuple[x509.ExtensionType, bool], ...]:
    return ((x509.SubjectAlternativeName(list(names)), False),)


def constrained(permitted: list[x509.GeneralName] | None, excluded: list[x509.GeneralName] | None = None) -> Issued:
    return root("NC Root", extensions=((x509.NameConstraints(permitted, excluded), True),))


UNKNOWN_CRITICAL = ((x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.7"), b"\x05\x00"), True),)
GOOD_DNS, EVIL_DNS = x509.DNSName("good.test"), x509.DNSName("evil.test")
ORG_ONLY = x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Good Org")]))
YEAR_9999 = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def with_keys(client_key: PrivateKey | None = None, ca_key: PrivateKey | None = None) -> Fault:
    return signed_by(root(key=ca_key), lambda ca: client(ca, key=client_key))


def twin_roots(client_of_second: bool, akid: bool, second_first: bool = False) -> Fault:
    """Two roots with one name and two keys in ca.crt."""
    first, second = root("Twin Root"), root("Twin Root")
    signer = second if client_of_second else first
    leaf = client(signer) if akid else client_without_akid(signer)
    return Fault((second, first) if second_first else (first, second), (leaf,))


def name_only_issuer(akid: bool) -> Fault:
    """A client whose issuer field names the root, signed by another key."""
    ca, impostor = root(), ec_key()
    fake = Issued(ca.cert, impostor)
    return Fault((ca,), (client(fake, akid_of=impostor) if akid else client_without_akid(fake),))


def non_ca_in_file(client_of_it: bool) -> Fault:
    ca, plain = root(), make(name("Not A CA"), ec_key())  # self-signed, no basicConstraints
    return Fault((plain, ca), (client(plain if client_of_it else ca),))


def self_signed_client(in_file: bool) -> Fault:
    ca, leaf = root(), make(name("Self Client"), ec_key())
    return Fault((leaf, ca) if in_file else (ca,), (leaf,))


def string_types(root_printable: bool) -> Fault:
    """The root's subject in one ASN.1 string type, the client's issuer field in the other: the same text."""
    ca = make(name("Fault Root", printable=root_printable, org="Fault Org"), ec_key(), ca=True)
    return signed_by(
        ca, lambda c: client(c, issuer_name=name("Fault Root", printable=not root_printable, org="Fault Org"))
    )


# case → (how the fault is made, what the real nginx answered). "200": in, $ssl_client_verify SUCCESS;
# "400 (NN:reason)": 'The SSL certificate error' and nginx logged `client SSL certificate verify error:
# (NN:reason)`; NO_CERTIFICATE: 'No required SSL certificate was sent', logged "client sent no required SSL
# certificate" (the client had a certificate and sent none).
CASES: dict[str, tuple[Callable[[], Fault], str]] = {
    # path length and name constraints (x509_vfy.c check_chain: 25; check_name_constraints: 47, 48; with no
    # DNS SAN, a CN that looks like a host name is checked as one, a CN such as "client" is not)
    "pathlen-0-root-signs-an-intermediate": (
        lambda: through(ca := root(path_length=0), intermediate(ca)),
        "400 (25:path length constraint exceeded)",
    ),
    "nc-permitted-dns-san-outside": (
        lambda: signed_by(constrained([GOOD_DNS]), lambda ca: client(ca, extensions=san(EVIL_DNS))),
        "400 (47:permitted subtree violation)",
    ),
    "nc-permitted-dns-san-inside": (
        lambda: signed_by(constrained([GOOD_DNS]), lambda ca: client(ca, extensions=san(x509.DNSName("a.good.test")))),
        "200",
    ),
    "nc-permitted-dns-no-san-cn-host-name": (
        lambda: signed_by(constrained([GOOD_DNS]), lambda ca: client(ca, cn="evil.test")),
        "400 (47:permitted subtree violation)",
    ),
    "nc-permitted-dns-no-san-cn-plain": (lambda: signed_by(constrained([GOOD_DNS]), client), "200"),
    "nc-excluded-dns-san": (
        lambda: signed_by(constrained(None, [EVIL_DNS]), lambda ca: client(ca, extensions=san(EVIL_DNS))),
        "400 (48:excluded subtree violation)",
    ),
    "nc-excluded-dns-no-san-cn-host-name": (
        lambda: signed_by(constrained(None, [EVIL_DNS]), lambda ca: client(ca, cn="evil.test")),
        "400 (48:excluded subtree violation)",
    ),
    "nc-permitted-dirname-outside": (
        lambda: signed_by(constrained([ORG_ONLY]), client),
        "400 (47:permitted subtree violation)",
    ),
    "nc-permitted-email-san-outside": (
        lambda: signed_by(
            constrained([x509.RFC822Name("good.test")]),
            lambda ca: client(ca, extensions=san(x509.RFC822Name("me@evil.test"))),
        ),
        "400 (47:permitted subtree violation)",
    ),
    # a critical extension OpenSSL does not know, on any certificate of the path, the root too
    "unknown-critical-on-client": (
        lambda: signed_by(root(), lambda ca: client(ca, extensions=UNKNOWN_CRITICAL)),
        "400 (34:unhandled critical extension)",
    ),
    "unknown-critical-on-root": (
        lambda: signed_by(root(extensions=UNKNOWN_CRITICAL), client),
        "400 (34:unhandled critical extension)",
    ),
    "unknown-critical-on-intermediate": (
        lambda: through(ca := root(), intermediate(ca, extensions=UNKNOWN_CRITICAL)),
        "400 (34:unhandled critical extension)",
    ),
    # the intermediate out of its dates, the client in its own
    "intermediate-expired": (
        lambda: through(ca := root(), intermediate(ca, not_before=NOW - 400 * DAY, not_after=NOW - DAY)),
        "400 (10:certificate has expired)",
    ),
    "intermediate-not-yet-valid": (
        lambda: through(ca := root(), intermediate(ca, not_before=NOW + DAY)),
        "400 (9:certificate is not yet valid)",
    ),
    # weak digests at security level 2 (check_sig_level: every signature but the trust anchor's own)
    "client-signed-sha1": (
        lambda: signed_by(root(), lambda ca: openssl_signed("client", ca, digest="sha1")),
        "400 (68:CA signature digest algorithm too weak)",
    ),
    "client-signed-md5": (
        lambda: signed_by(root(key=new_key("rsa")), lambda ca: openssl_signed("client", ca, digest="md5")),
        "400 (68:CA signature digest algorithm too weak)",
    ),
    "intermediate-signed-sha1": (
        lambda: through(ca := root(), openssl_signed("Fault Intermediate", ca, digest="sha1", ext=CA_EXT)),
        "400 (68:CA signature digest algorithm too weak)",
    ),
    "root-self-signed-sha1": (
        lambda: signed_by(openssl_signed("Fault Root", None, digest="sha1", ext=CA_EXT), client),
        "200",
    ),
    # key types and sizes: a CA's key is OpenSSL's alone (check_key_level, 67), the client's must also sign
    # its TLS 1.3 CertificateVerify (certs/verify.py TLS13_EC_CURVES)
    "client-rsa-1024": (lambda: with_keys(client_key=new_key("rsa", 1024)), "400 (66:EE certificate key too weak)"),
    "ca-rsa-1024": (lambda: with_keys(ca_key=new_key("rsa", 1024)), "400 (67:CA certificate key too weak)"),
    "client-p192": (lambda: with_keys(client_key=ec_key(ec.SECP192R1())), NO_CERTIFICATE),
    "ca-p192": (lambda: with_keys(ca_key=ec_key(ec.SECP192R1())), "400 (67:CA certificate key too weak)"),
    "client-secp256k1": (lambda: with_keys(client_key=ec_key(ec.SECP256K1())), NO_CERTIFICATE),
    "ca-secp256k1": (lambda: with_keys(ca_key=ec_key(ec.SECP256K1())), "200"),
    "client-brainpool-p256": (lambda: with_keys(client_key=ec_key(ec.BrainpoolP256R1())), NO_CERTIFICATE),
    "ca-brainpool-p256": (lambda: with_keys(ca_key=ec_key(ec.BrainpoolP256R1())), "200"),
    "client-p384": (lambda: with_keys(client_key=ec_key(ec.SECP384R1())), "200"),
    "client-p521": (lambda: with_keys(client_key=ec_key(ec.SECP521R1())), "200"),
    "client-ed25519": (lambda: with_keys(client_key=ed25519.Ed25519PrivateKey.generate()), "200"),
    "ca-ed25519": (lambda: with_keys(ca_key=ed25519.Ed25519PrivateKey.generate()), "200"),
    "client-ed448": (lambda: with_keys(client_key=ed448.Ed448PrivateKey.generate()), "200"),
    "ca-ed448": (lambda: with_keys(ca_key=ed448.Ed448PrivateKey.generate()), "200"),
    "client-dsa-2048": (lambda: with_keys(client_key=dsa.generate_private_key(2048)), NO_CERTIFICATE),
    "ca-dsa-2048": (lambda: with_keys(ca_key=dsa.generate_private_key(2048)), "200"),
    # the issuer: found by name, then key identifier, then signature
    "akid-names-another-key": (
        lambda: signed_by(root(), lambda ca: client(ca, akid_of=ec_key())),
        "400 (21:unable to verify the first certificate)",
    ),
    "issuer-name-matches-signature-does-not": (
        lambda: name_only_issuer(akid=False),
        "400 (7:certificate signature failure)",
    ),
    "issuer-name-matches-akid-names-the-signer": (
        lambda: name_only_issuer(akid=True),
        "400 (21:unable to verify the first certificate)",
    ),
    # two roots with one name: the AKID picks the right one; without it OpenSSL takes the first of the name
    # that is in its dates (x509_lu.c X509_STORE_CTX_get1_issuer), and the signature then fails
    "twin-roots-client-of-second-with-akid": (lambda: twin_roots(True, True), "200"),
    "twin-roots-client-of-second-without-akid": (
        lambda: twin_roots(True, False),
        "400 (7:certificate signature failure)",
    ),
    "twin-roots-client-of-first-without-akid": (lambda: twin_roots(False, False), "200"),
    "twin-roots-client-of-second-without-akid-listed-first": (lambda: twin_roots(True, False, True), "200"),
    # the CA file
    "non-ca-in-ca-file-client-of-the-root": (lambda: non_ca_in_file(False), "200"),
    "non-ca-in-ca-file-client-of-it": (lambda: non_ca_in_file(True), "400 (26:unsuitable certificate purpose)"),
    "self-signed-client-in-ca-file": (lambda: self_signed_client(True), "200"),
    "self-signed-client-not-in-ca-file": (lambda: self_signed_client(False), "400 (18:self-signed certificate)"),
    # serials, far dates, string types
    "client-negative-serial": (lambda: signed_by(root(), lambda ca: openssl_signed("client", ca, serial="-5")), "200"),
    "root-negative-serial": (
        lambda: signed_by(openssl_signed("Fault Root", None, serial="-5", ext=CA_EXT), client),
        "200",
    ),
    "client-serial-21-bytes": (lambda: signed_by(root(), lambda ca: client(ca, serial=2**167 + 5)), "200"),
    "client-not-after-9999": (lambda: signed_by(root(), lambda ca: client(ca, not_after=YEAR_9999)), "200"),
    "root-and-client-not-after-9999": (
        lambda: signed_by(root(not_after=YEAR_9999), lambda ca: client(ca, not_after=YEAR_9999)),
        "200",
    ),
    "issuer-utf8-root-printable": (lambda: string_types(True), "200"),
    "issuer-printable-root-utf8": (lambda: string_types(False), "200"),
}
# ca.crt the controller refuses (Go's crypto/x509 cannot parse it: a negative serial since Go 1.23, curves it
# does not know): ingress-nginx writes no CA file for them (client_ca_file None); nginx's answer above is for
# an nginx given that ca.crt anyway (F5 NGINX, hand-written configs)
NOT_WRITTEN_BY_INGRESS_NGINX = {"ca-p192", "ca-secp256k1", "ca-brainpool-p256", "root-negative-serial"}


# --- nginx and the tool ------------------------------------------------------------------------------


def nginx_answer(nginx: Nginx, port: int, folder: Path, tls12: bool = False) -> str:
    """What nginx answered a client with folder's client.crt/client.key, in CASES' words."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client send weak keys: the server decides
    if tls12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(folder / "client.crt"), str(folder / "client.key"))
    before = len(nginx.error_log())
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        status, body, location = response.status, response.read().decode(), response.getheader("Location")
    except ssl.SSLError:
        return f"handshake: {handshake_failure(nginx, before)}"
    finally:
        conn.close()
    log = nginx.error_log()[before:]
    if status == 200:
        return "200" if body == "verify=SUCCESS" else f"200 {body}"
    if status == 302:
        return f"302 {location}"
    logged = re.search(r"client SSL certificate verify error: (\(\d+:[^)]*\))", log)
    if status == 400 and CERT_ERROR in body and logged:
        return f"400 {logged[1]}"
    if status == 400 and NO_CERT in body and NO_CERT_LOGGED in log:
        return NO_CERTIFICATE
    return f"{status} {body[:80]!r} {log[-200:]!r}"


HANDSHAKE_FAILED = re.compile(r"SSL_do_handshake\(\) failed \(SSL: error:\w+:SSL routines::([^)]*)\)")


def handshake_failure(nginx: Nginx, before: int) -> str:
    """The reason nginx logs for a handshake it ended: the client may read the alert before nginx has
    written the line, so wait for it a little."""
    deadline = time.monotonic() + 5
    while not (failed := HANDSHAKE_FAILED.search(nginx.error_log()[before:])) and time.monotonic() < deadline:
        time.sleep(0.05)
    return failed[1] if failed else "(nothing logged)"


def tool_answer(verdict: dict) -> str:
    """`inspect --json`'s client_verdict in CASES' words."""
    if verdict["accepted"]:
        return "200"
    if verdict["unsigned_key"]:
        return NO_CERTIFICATE
    return f"400 ({verdict['error_code']}:{verdict['reason']})"


def inspect(folder: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    main(["inspect", "--ca", str(folder / "ca.crt"), "--cert", str(folder / "client.crt"), "--json"])
    return json.loads(capsys.readouterr().out)


def write_case(folder: Path, fault: Fault) -> None:
    folder.mkdir()
    write_file(folder / "ca.crt", b"".join(c.cert_pem() for c in fault.ca))
    write_file(folder / "client.crt", b"".join(c.cert_pem() for c in fault.chain))
    write_file(folder / "client.key", fault.chain[0].key_pem(), private=True)


DEFAULTS = MtlsPolicy("_", "default/my-certs")  # auth-tls-secret alone: verify-client on, verify-depth 1


def server_block(port: int, server: Path, ca_file: Path, policy: MtlsPolicy = DEFAULTS) -> str:
    """One host as ingress-nginx renders its auth-tls annotations (policy/nginx_directives.py, from nginx.tmpl);
    the annotations' defaults unless `policy` says otherwise."""
    directives = "\n  ".join(server_directives(policy, str(ca_file)))
    return (
        f"server {{ listen 127.0.0.1:{port} ssl; server_name _;\n"
        f"  ssl_certificate {server}.crt; ssl_certificate_key {server}.key;\n  {directives}\n"
        '  location / { return 200 "verify=$ssl_client_verify"; } }'
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, nginx_binary: str, openssl_binary: str):
    folder = tmp_path_factory.mktemp("faults")
    server = issue_leaf("meow.com", root("Server CA"), key=ec_key(), v1=False, sans=["meow.com"])
    write_file(folder / "server.crt", server.cert_pem())
    write_file(folder / "server.key", server.key_pem(), private=True)
    written = {}
    for case, (make_fault, _) in CASES.items():
        write_case(folder / case, make_fault())
        ca_crt = (folder / case / "ca.crt").read_bytes()
        written[case] = client_ca_file(SecretObj("default", "my-certs", "Opaque", (("ca.crt", ca_crt),)))
        if written[case] is not None:
            assert written[case] == ca_crt  # the file ingress-nginx writes: ca.crt's bytes
    ports = {case: free_port() for case in CASES}
    body = INGRESS_NGINX_TLS + "\n".join(
        server_block(port, folder / "server", folder / case / "ca.crt") for case, port in ports.items()
    )
    with Nginx(lambda prefix: body, list(ports.values()), binary=nginx_binary) as nginx:
        yield nginx, folder, ports, written


@pytest.mark.parametrize("case", list(CASES))
def test_verdict_equals_nginx(served, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The real nginx answers as the table says, and `inspect` says what nginx answered."""
    nginx, folder, ports, written = served
    measured = nginx_answer(nginx, ports[case], folder / case)
    assert measured == CASES[case][1], "nginx no longer answers as recorded"
    assert (written[case] is None) == (case in NOT_WRITTEN_BY_INGRESS_NGINX)
    report = inspect(folder / case, capsys)
    assert tool_answer(report["client_verdict"]) == measured


# over TLS 1.2 alone (a client held to it): the keys TLS 1.3 cannot sign with
TLS12_ANSWERS = {
    "client-p192": "handshake: wrong curve",
    "client-secp256k1": "handshake: wrong curve",
    "client-brainpool-p256": "handshake: wrong curve",
    "client-dsa-2048": "200",
    "client-ed448": "200",
    "client-rsa-1024": "400 (66:EE certificate key too weak)",
}


@pytest.mark.parametrize("case", list(TLS12_ANSWERS))
def test_keys_over_tls12_as_the_finding_says(served, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Held to TLS 1.2, an EC key on another curve ends the handshake (ssl/t1_lib.c tls12_check_peer_sigalg:
    no group of the server's, "wrong curve") and a DSA key is verified as usual. The finding on such a key
    names the cause (no TLS 1.3 signature scheme), and says what a TLS 1.2 client gets."""
    nginx, folder, ports, _ = served
    measured = nginx_answer(nginx, ports[case], folder / case, tls12=True)
    assert measured == TLS12_ANSWERS[case]
    report = inspect(folder / case, capsys)
    errors = [f for f in report["findings"] if f["severity"] == "error"]
    if CASES[case][1] != NO_CERTIFICATE:  # TLS 1.3 sends it: X509_verify_cert decides, over 1.2 too
        assert tool_answer(report["client_verdict"]) == measured
        assert all(f["code"] != "client-key-not-for-tls13" for f in errors)
        return
    [finding] = errors
    assert finding["code"] == "client-key-not-for-tls13"
    assert report["client_verdict"]["unsigned_key"] in finding["title"] and "TLS 1.3" in finding["title"]
    assert NO_CERT in finding["detail"] and finding["evidence"] == [f"nginx: {NO_CERT_LOGGED}"]
    tls12 = "verified as usual" if measured == "200" else f"nginx logs '{measured.removeprefix('handshake: ')}'"
    assert tls12 in finding["detail"]


# curl (OpenSSL, Debian's security level 2) with the keys TLS 1.3 cannot sign with: (--tlsv1.3, --tls-max 1.2)
# → (exit status, HTTP status); 35: the handshake failed, 58: curl could not use the client certificate
CURL_ANSWERS = {
    "client-secp256k1": ((0, "400"), (35, "000")),
    "client-dsa-2048": ((0, "400"), (0, "200")),
    "client-p192": ((58, "000"), (58, "000")),
}


@pytest.mark.parametrize("case", list(CURL_ANSWERS))
def test_curl_as_the_finding_says(served, curl_binary: str, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The finding says what curl gets: no certificate sent over TLS 1.3 (nginx's 400 page says so), and a
    P-192 key that curl does not load at all."""
    _, folder, ports, _ = served
    answers = []
    for versions in (["--tlsv1.3"], ["--tls-max", "1.2"]):
        cert, key = folder / case / "client.crt", folder / case / "client.key"
        url = f"https://127.0.0.1:{ports[case]}/"
        argv = [curl_binary, "-sk", *versions, "--cert", str(cert), "--key", str(key), "-w", " %{http_code}", url]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        answers.append((done.returncode, done.stdout.split()[-1]))
        if done.stdout.split()[-1] == "400":
            assert NO_CERT in done.stdout
    assert tuple(answers) == CURL_ANSWERS[case]
    [finding] = [f for f in inspect(folder / case, capsys)["findings"] if f["code"] == "client-key-not-for-tls13"]
    assert ("exit 58" in finding["detail"]) == (answers[0][0] == 58)


def test_the_new_key_fix_run_as_printed(tmp_path: Path, nginx_binary: str, openssl_binary: str, capsys) -> None:
    """The finding's fix (a new key, the certificate signed again for it), run as printed in the folder
    where ca.crt and ca.key live, gives a client certificate the same nginx lets in."""
    ca = root()
    write_case(tmp_path / "c", Fault((ca,), (client(ca, key=ec_key(ec.SECP256K1())),)))
    write_file(tmp_path / "c" / "ca.key", ca.key_pem(), private=True)
    server = issue_leaf("meow.com", ca, key=ec_key(), v1=False, sans=["meow.com"])
    write_file(tmp_path / "server.crt", server.cert_pem())
    write_file(tmp_path / "server.key", server.key_pem(), private=True)
    port = free_port()
    body = INGRESS_NGINX_TLS + server_block(port, tmp_path / "server", tmp_path / "c" / "ca.crt")
    with Nginx(lambda prefix: body, [port], binary=nginx_binary) as nginx:
        assert nginx_answer(nginx, port, tmp_path / "c") == NO_CERTIFICATE
        [finding] = [f for f in inspect(tmp_path / "c", capsys)["findings"] if f["severity"] == "error"]
        done = subprocess.run(["bash", "-c", finding["fix"]], cwd=tmp_path / "c", capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert nginx_answer(nginx, port, tmp_path / "c") == "200"
    report = inspect(tmp_path / "c", capsys)
    assert report["client_verdict"]["accepted"] and not [f for f in report["findings"] if f["severity"] == "error"]


def test_titles_name_the_ca_at_fault(served, capsys: pytest.CaptureFixture[str]) -> None:
    """OpenSSL's reason alone ("certificate has expired") reads as the client's: where nginx's error is
    about a CA of the path (error depth > 0), the title names that CA."""
    _, folder, _, _ = served
    expected = {
        "intermediate-expired": "certificate has expired (CN=Fault Intermediate, depth 1)",
        "intermediate-not-yet-valid": "certificate is not yet valid (CN=Fault Intermediate, depth 1)",
        "ca-rsa-1024": "CA certificate key too weak (CN=Fault Root, depth 1)",
        "intermediate-signed-sha1": "CA signature digest algorithm too weak (CN=Fault Intermediate, depth 1)",
        "unknown-critical-on-client": "unhandled critical extension",
    }
    for case, words in expected.items():
        [finding] = [f for f in inspect(folder / case, capsys)["findings"] if f["code"] == "client-cert-untrusted"]
        assert finding["title"].endswith(f"CN=client: {words}"), (case, finding["title"])


# the Ingress's annotations → (what nginx answered the secp256k1 client over TLS 1.3, words of the finding's detail)
ERROR_PAGE = "https://err.example/denied"
HOST_ANSWERS = {
    (("auth-tls-verify-client", "on"),): (NO_CERTIFICATE, f"nginx answers 400 '{NO_CERT}'"),
    (("auth-tls-verify-client", "optional_no_ca"),): ("200 verify=NONE", "ssl-client-verify: NONE"),
    (("auth-tls-verify-client", "optional"),): ("200 verify=NONE", "ssl-client-verify: NONE"),
    (("auth-tls-verify-client", "on"), ("auth-tls-error-page", ERROR_PAGE)): (
        f"302 {ERROR_PAGE}",
        f"a 302 to the auth-tls-error-page {ERROR_PAGE}",
    ),
}


@pytest.mark.parametrize("annotations", list(HOST_ANSWERS), ids=lambda a: "+".join(v for _, v in a))
def test_check_tells_the_hosts_answer(
    tmp_path: Path, nginx_binary: str, capsys: pytest.CaptureFixture[str], annotations
) -> None:
    """nginx refuses a request without a client certificate only with `ssl_verify_client on`
    (ngx_http_request.c ngx_http_process_request), and sends it to `error_page 495 496` when the host has
    one: `check` on the Secret and the Ingress tells the client whose key cannot be sent what this host
    answers it, as the real nginx, rendered from the same annotations, answers."""
    ca = root()
    write_case(tmp_path / "c", Fault((ca,), (client(ca, key=ec_key(ec.SECP256K1())),)))
    server = issue_leaf("meow.com", ca, key=ec_key(), v1=False, sans=["meow.com"])
    write_file(tmp_path / "server.crt", server.cert_pem())
    write_file(tmp_path / "server.key", server.key_pem(), private=True)
    settings = dict(annotations)
    policy = MtlsPolicy(
        "meow.com",
        "default/my-certs",
        verify_client=settings["auth-tls-verify-client"],
        error_page=settings.get("auth-tls-error-page"),
    )
    port = free_port()
    body = INGRESS_NGINX_TLS + server_block(port, tmp_path / "server", tmp_path / "c" / "ca.crt", policy)
    with Nginx(lambda prefix: body, [port], binary=nginx_binary) as nginx:
        measured = nginx_answer(nginx, port, tmp_path / "c")
        log = nginx.error_log()
    answer, words = HOST_ANSWERS[annotations]
    assert measured == answer

    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "my-certs", "namespace": "default"},
        "type": "Opaque",
        "data": {
            key: base64.b64encode(path.read_bytes()).decode()
            for key, path in {
                "tls.crt": tmp_path / "server.crt",
                "tls.key": tmp_path / "server.key",
                "ca.crt": tmp_path / "c" / "ca.crt",
            }.items()
        },
    }
    lines = "".join(
        f'    nginx.ingress.kubernetes.io/{k}: "{v}"\n' for k, v in annotations if k != "auth-tls-verify-client"
    )
    ingress = SEED_INGRESS_V1.replace(
        'auth-tls-verify-client: "on"\n', f'auth-tls-verify-client: "{settings["auth-tls-verify-client"]}"\n{lines}'
    )
    (tmp_path / "all.yaml").write_text(yaml.safe_dump(secret) + "---\n" + ingress)
    argv = ["check", "--manifests", str(tmp_path / "all.yaml"), "--no-probe", "--json"]
    main([*argv, "--cert", str(tmp_path / "c" / "client.crt"), "--key", str(tmp_path / "c" / "client.key")])
    report = json.loads(capsys.readouterr().out)
    [finding] = [f for f in report["findings"] if f["code"] == "client-key-not-for-tls13"]
    assert words in finding["detail"], finding["detail"]
    assert (NO_CERT in finding["detail"]) == (measured == NO_CERTIFICATE)
    logged = NO_CERT_LOGGED in log
    assert (finding["evidence"] == [f"nginx: {NO_CERT_LOGGED}"]) == logged and logged == ("NONE" not in measured)
