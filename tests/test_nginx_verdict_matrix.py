"""Our verdict on a client chain must be nginx's, in every case of the matrix.

A real nginx serves `ssl_verify_client on` at `ssl_verify_depth` 0 to 3, with the CA
file holding only the root or the root and the intermediates. Client chains have 0,
1 and 2 intermediates, sent whole, partly or not at all. For each request we compare
the status nginx answers (200 or 400) with `nginx_verdict`, and the reason nginx
logs with the reason we give.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from mtls_tui.certs.issue import issue_ca, issue_intermediate, issue_leaf, new_key
from mtls_tui.certs.verify import nginx_verdict
from mtls_tui.cli import main
from mtls_tui.lab.nginx import Nginx, free_port
from mtls_tui.lab.pki import write_file
from mtls_tui.policy.nginx_answers import CERT_ERROR
from tests.test_check_manifests import SEED_INGRESS_V1, seed_secret
from tests.test_revocation import CA_CNF  # the `openssl ca` configuration the CRL fixes use

DEPTHS = (0, 1, 2, 3)


def https_get(port: int, cert: str, key: str) -> tuple[int, str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client send weak keys: the server decides
    context.load_cert_chain(cert, key)
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=5)
    try:
        conn.request("GET", "/")
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory, nginx_binary: str):
    folder = tmp_path_factory.mktemp("matrix")
    root = issue_ca("Matrix Root", key=new_key("ec"))
    i1 = issue_intermediate("Matrix Intermediate 1", root, key=new_key("ec"))
    i2 = issue_intermediate("Matrix Intermediate 2", i1, key=new_key("ec"))
    server = issue_leaf("matrix.test", root, key=new_key("ec"))
    leaves = {
        0: issue_leaf("Client 0", root, key=new_key("ec")),
        1: issue_leaf("Client 1", i1, key=new_key("ec")),
        2: issue_leaf("Client 2", i2, key=new_key("ec")),
    }
    intermediates_above = {0: [], 1: [i1], 2: [i2, i1]}
    write_file(folder / "server.crt", server.cert_pem())
    write_file(folder / "server.key", server.key_pem(), private=True)
    ca_files = {
        "root": [root],
        "root+intermediates": [root, i1, i2],
    }
    for name, certs in ca_files.items():
        write_file(folder / f"ca-{name}.pem", b"".join(c.cert_pem() for c in certs))

    # (leaf depth, how many of its intermediates the client sends)
    clients = {}
    for n, leaf in leaves.items():
        for sent in range(n + 1):
            chain = [leaf] + intermediates_above[n][:sent]
            stem = f"client-{n}-sends-{sent}"
            write_file(folder / f"{stem}.crt", b"".join(c.cert_pem() for c in chain))
            write_file(folder / f"{stem}.key", leaf.key_pem(), private=True)
            clients[stem] = chain

    servers = {}
    for depth, ca_name in itertools.product(DEPTHS, ca_files):
        servers[(depth, ca_name)] = free_port()

    def body(prefix: Path) -> str:
        blocks = []
        for (depth, ca_name), port in servers.items():
            blocks.append(
                f"server {{ listen 127.0.0.1:{port} ssl; server_name _;\n"
                f"  ssl_certificate {folder}/server.crt; ssl_certificate_key {folder}/server.key;\n"
                f"  ssl_client_certificate {folder}/ca-{ca_name}.pem; ssl_verify_client on; ssl_verify_depth {depth};\n"
                '  location / { return 200 "verify=$ssl_client_verify"; } }'
            )
        return "\n".join(blocks)

    with Nginx(body, list(servers.values()), binary=nginx_binary) as nginx:
        yield nginx, folder, servers, clients, ca_files


def test_verdict_equals_nginx_in_every_case(matrix) -> None:
    nginx, folder, servers, clients, ca_files = matrix
    cases = 0
    disagreements = []
    for (depth, ca_name), port in servers.items():
        for stem, chain in clients.items():
            log_before = len(nginx.error_log())
            status, body = https_get(port, str(folder / f"{stem}.crt"), str(folder / f"{stem}.key"))
            log_after = nginx.error_log()[log_before:]
            verdict = nginx_verdict([c.cert for c in ca_files[ca_name]], [c.cert for c in chain], depth)
            cases += 1
            nginx_accepts = status == 200
            if nginx_accepts != verdict.accepted:
                disagreements.append(
                    f"depth {depth}, CA {ca_name}, {stem}: nginx {status}, tool accepted={verdict.accepted}"
                )
            elif not verdict.accepted:
                assert status == 400 and CERT_ERROR in body
                assert f"({verdict.error_code}:{verdict.reason})" in log_after, (stem, depth, ca_name, log_after)
            else:
                assert body == "verify=SUCCESS"
    assert not disagreements, "\n".join(disagreements)
    assert cases == len(DEPTHS) * 2 * 6


def test_depth_rule_as_measured(matrix) -> None:
    """DESIGN.md: depth N accepts up to N intermediates; the CA file does not shorten the path."""
    _, _, _, clients, ca_files = matrix
    for depth in DEPTHS:
        for n in (0, 1, 2):
            chain = clients[f"client-{n}-sends-{n}"]
            for ca_name in ca_files:
                verdict = nginx_verdict([c.cert for c in ca_files[ca_name]], [c.cert for c in chain], depth)
                assert verdict.accepted == (n <= depth)
                if not verdict.accepted:
                    assert verdict.verifies_with_more_depth and verdict.intermediates_used == n


def test_certificate_faults_equal_nginx(tmp_path: Path, nginx_binary: str) -> None:
    """v1 accepted; expired, wrong CA and EKU without clientAuth refused, for OpenSSL's reason."""
    from datetime import datetime, timedelta

    root = issue_ca("Fern Cert Authority", key=new_key("ec"))
    other = issue_ca("Other Authority", key=new_key("ec"))
    long_ago = datetime.now(UTC) - timedelta(days=400)
    clients = {
        "seed-v1": issue_leaf("Fern", root, key=new_key("ec")),
        "v3-clientAuth": issue_leaf("Fern", root, key=new_key("ec"), v1=False, eku=["clientAuth"]),
        "v3-serverAuth-only": issue_leaf("Fern", root, key=new_key("ec"), v1=False, eku=["serverAuth"]),
        "expired": issue_leaf("Fern", root, key=new_key("ec"), not_before=long_ago, days=30),
        "not-yet-valid": issue_leaf("Fern", root, key=new_key("ec"), not_before=datetime.now(UTC) + timedelta(days=2)),
        "other-ca": issue_leaf("Fern", other, key=new_key("ec")),
        "weak-rsa-1024": issue_leaf("Fern", root, key=new_key("rsa", 1024)),
    }
    server = issue_leaf("meow.com", root, key=new_key("ec"))
    write_file(tmp_path / "ca.crt", root.cert_pem())
    write_file(tmp_path / "server.crt", server.cert_pem())
    write_file(tmp_path / "server.key", server.key_pem(), private=True)
    for name, issued in clients.items():
        write_file(tmp_path / f"{name}.crt", issued.cert_pem())
        write_file(tmp_path / f"{name}.key", issued.key_pem(), private=True)
    port = free_port()

    def body(prefix: Path) -> str:
        return (
            f"server {{ listen 127.0.0.1:{port} ssl; server_name _;\n"
            f"  ssl_certificate {tmp_path}/server.crt; ssl_certificate_key {tmp_path}/server.key;\n"
            f"  ssl_client_certificate {tmp_path}/ca.crt; ssl_verify_client on;\n"
            '  location / { return 200 "verify=$ssl_client_verify"; } }'
        )

    outcomes = {}
    with Nginx(body, [port], binary=nginx_binary) as nginx:
        for name, issued in clients.items():
            before = len(nginx.error_log())
            status, _ = https_get(port, str(tmp_path / f"{name}.crt"), str(tmp_path / f"{name}.key"))
            verdict = nginx_verdict([root.cert], [issued.cert], 1)
            assert (status == 200) == verdict.accepted, name
            if not verdict.accepted:
                assert f"({verdict.error_code}:{verdict.reason})" in nginx.error_log()[before:], name
            outcomes[name] = verdict.reason
    assert outcomes["seed-v1"] is None and outcomes["v3-clientAuth"] is None
    assert outcomes["expired"] == "certificate has expired"
    assert outcomes["other-ca"] == "unable to verify the first certificate"
    assert "purpose" in outcomes["v3-serverAuth-only"]
    assert outcomes["not-yet-valid"] == "certificate is not yet valid"
    assert outcomes["weak-rsa-1024"] is not None


def test_crl_cases_equal_nginx(tmp_path: Path, nginx_binary: str) -> None:
    """`ssl_crl`: revoked, expired, not yet valid, badly signed, and a CRL missing for
    an issuer of the path. nginx's status and logged reason equal our verdict's."""
    from datetime import datetime, timedelta

    from mtls_tui.certs.crl import load_crls
    from mtls_tui.certs.issue import issue_crl

    days_ago = lambda days: datetime.now(UTC) - timedelta(days=days)  # noqa: E731
    root = issue_ca("CRL Root", key=new_key("ec"))
    middle = issue_intermediate("CRL Intermediate", root, key=new_key("ec"))
    clients = {
        "kept": [issue_leaf("Kept", root, key=new_key("ec"))],
        "revoked": [issue_leaf("Revoked", root, key=new_key("ec"))],
        "below-intermediate": [issue_leaf("Below", middle, key=new_key("ec")), middle],
    }
    revoked = clients["revoked"][0]
    crl_files = {
        "revokes-one": [issue_crl(root, [revoked.cert])],
        "root-and-intermediate": [issue_crl(root, [revoked.cert]), issue_crl(middle)],
        "expired": [issue_crl(root, last_update=days_ago(10), days=5)],
        "not-yet-valid": [issue_crl(root, last_update=days_ago(-2))],
        "forged": [issue_crl(root, signer=issue_ca("CRL Root", key=new_key("ec")))],
        "intermediate-only": [issue_crl(middle)],
    }
    server = issue_leaf("crl.test", root, key=new_key("ec"))
    write_file(tmp_path / "ca.crt", root.cert_pem())
    write_file(tmp_path / "server.crt", server.cert_pem())
    write_file(tmp_path / "server.key", server.key_pem(), private=True)
    for name, chain in clients.items():
        write_file(tmp_path / f"{name}.crt", b"".join(c.cert_pem() for c in chain))
        write_file(tmp_path / f"{name}.key", chain[0].key_pem(), private=True)
    for name, crls in crl_files.items():
        write_file(tmp_path / f"{name}.crl", b"".join(crls))
    ports = {name: free_port() for name in crl_files}

    def body(prefix: Path) -> str:
        return "\n".join(
            f"server {{ listen 127.0.0.1:{port} ssl; server_name _;\n"
            f"  ssl_certificate {tmp_path}/server.crt; ssl_certificate_key {tmp_path}/server.key;\n"
            f"  ssl_client_certificate {tmp_path}/ca.crt; ssl_verify_client on; ssl_verify_depth 2; ssl_crl {tmp_path}/{name}.crl;\n"
            '  location / { return 200 "verify=$ssl_client_verify"; } }'
            for name, port in ports.items()
        )

    reasons = {}
    with Nginx(body, list(ports.values()), binary=nginx_binary) as nginx:
        for (crl_name, port), (client, chain) in itertools.product(ports.items(), clients.items()):
            before = len(nginx.error_log())
            status, _ = https_get(port, str(tmp_path / f"{client}.crt"), str(tmp_path / f"{client}.key"))
            verdict = nginx_verdict(
                [root.cert], [c.cert for c in chain], 2, crls=load_crls(b"".join(crl_files[crl_name]))
            )
            assert (status == 200) == verdict.accepted, (crl_name, client, status, verdict.reason)
            if not verdict.accepted:
                assert f"({verdict.error_code}:{verdict.reason})" in nginx.error_log()[before:], (crl_name, client)
            reasons[crl_name, client] = verdict.reason
    assert reasons["revokes-one", "kept"] is None
    assert reasons["revokes-one", "revoked"] == "certificate revoked"
    assert reasons["revokes-one", "below-intermediate"] == "unable to get certificate CRL"
    assert reasons["root-and-intermediate", "below-intermediate"] is None
    assert reasons["expired", "kept"] == "CRL has expired"
    assert reasons["not-yet-valid", "kept"] == "CRL is not yet valid"
    assert reasons["forged", "kept"] == "CRL signature failure"
    assert (
        reasons["intermediate-only", "below-intermediate"] == "unable to get certificate CRL"
    )  # the root needs one too
    assert reasons["intermediate-only", "kept"] == "unable to get certificate CRL"


# --- the Secret as a whole: `check` on manifests made by openssl, nginx serving the same files ---------

ROOT_EXT = "-addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign"


def bash(folder: Path, command: str) -> None:
    done = subprocess.run(["bash", "-c", command], cwd=folder, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"{command}\n{done.stderr}"


def openssl_pair(folder: Path, stem: str, cn: str, ext: str) -> None:
    """A key and a certificate signed by ca.crt/ca.key, as the seed signs them (`-extfile` lines)."""
    bash(
        folder,
        f"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout {stem}.key -subj '/CN={cn}' | "
        f"openssl x509 -req -sha256 -days 30 -CA ca.crt -CAkey ca.key -CAcreateserial -out {stem}.crt "
        f"-extfile <(printf '{ext}')",
    )


def secret_check(folder: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    """`mtls-tui check --manifests` on the Secret `kubectl create secret generic my-certs --from-file=...` makes
    of the folder's server.crt, server.key, ca.crt (and ca.crl when there is one), and the seed's Ingress."""
    secret = seed_secret(folder)
    if (folder / "ca.crl").exists():
        secret["data"]["ca.crl"] = base64.b64encode((folder / "ca.crl").read_bytes()).decode()
    (folder / "all.yaml").write_text(yaml.safe_dump(secret) + "---\n" + SEED_INGRESS_V1)
    code = main(["check", "--manifests", str(folder / "all.yaml"), "--no-probe", "--json", *args])
    return code, json.loads(capsys.readouterr().out)


def nginx_answers(folder: Path, nginx_binary: str, *clients: str) -> list[tuple[int, str, str]]:
    """(status, body, error log lines) of a real nginx with the Secret's files as ingress-nginx renders them
    (`ssl_client_certificate ca.crt; ssl_verify_client on; ssl_verify_depth 1;` and `ssl_crl ca.crl`)."""
    port = free_port()
    crl = f" ssl_crl {folder}/ca.crl;" if (folder / "ca.crl").exists() else ""

    def body(prefix: Path) -> str:
        return (
            f"server {{ listen 127.0.0.1:{port} ssl; server_name _;\n"
            f"  ssl_certificate {folder}/server.crt; ssl_certificate_key {folder}/server.key;\n"
            f"  ssl_client_certificate {folder}/ca.crt; ssl_verify_client on; ssl_verify_depth 1;{crl}\n"
            '  location / { return 200 "verify=$ssl_client_verify"; } }'
        )

    answers = []
    with Nginx(body, [port], binary=nginx_binary) as nginx:
        for client in clients:
            before = len(nginx.error_log())
            status, text = https_get(port, str(folder / f"{client}.crt"), str(folder / f"{client}.key"))
            answers.append((status, text, nginx.error_log()[before:]))
    return answers


def codes_of(report: dict, severity: str | None = None) -> set[str]:
    return {f["code"] for f in report["findings"] if severity is None or f["severity"] == severity}


@pytest.mark.parametrize("akid", [False, True], ids=["crl-without-akid", "crl-with-akid"])
def test_crl_of_the_ca_before_it_was_made_again(
    tmp_path: Path, nginx_binary: str, openssl_binary: str, capsys: pytest.CaptureFixture[str], akid: bool
) -> None:
    """ca.crl keeps the CA's name but was signed by the key the CA had before it was made again
    (audit x13: nginx 1.22 / OpenSSL 3.0 refused every client, `(8:CRL signature failure)`). OpenSSL's
    check_crl verifies the CRL with the key of the CA of the path; a CRL whose authorityKeyIdentifier
    names the old key is not even taken (crl_akid_check: score 0), `(3:unable to get certificate CRL)`.
    The printed fix, run as printed, issues the CRL again with the CA's key, and nginx lets clients in."""
    (tmp_path / "CA.cnf").write_text(
        CA_CNF + ("crl_extensions = crl_ext\n[ crl_ext ]\nauthorityKeyIdentifier = keyid:always\n" if akid else "")
    )
    (tmp_path / "index.txt").write_text("")
    (tmp_path / "crlnumber").write_text("01\n")
    make_root = (
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 400 "
        f"-subj '/CN=Regenerated Root' {ROOT_EXT}"
    )
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y%m%d%H%M%SZ")
    bash(tmp_path, f"{make_root} && openssl ca -gencrl -config CA.cnf -crl_lastupdate {an_hour_ago} -out ca.crl")
    bash(tmp_path, make_root)  # the CA made again: same name, new key; ca.crl stays
    openssl_pair(tmp_path, "server", "meow.com", "subjectAltName=DNS:meow.com")
    openssl_pair(tmp_path, "client", "client", "extendedKeyUsage=clientAuth")
    reason = "(3:unable to get certificate CRL)" if akid else "(8:CRL signature failure)"

    [(status, _, log)] = nginx_answers(tmp_path, nginx_binary, "client")
    assert status == 400 and reason in log  # the real nginx refuses a client the CA signed
    code, report = secret_check(tmp_path, capsys)  # without a client certificate
    [wrong] = [f for f in report["findings"] if f["code"] == "crl-wrong-key"]
    assert code == 1 and report["hosts"][0]["state"] == "broken" and codes_of(report, "error") == {"crl-wrong-key"}
    assert reason in wrong["detail"] and "every client" in wrong["detail"] and "CN=Regenerated Root" in wrong["title"]
    code, report = secret_check(tmp_path, capsys, "--cert", str(tmp_path / "client.crt"))
    untrusted = next(f for f in report["findings"] if f["code"] == "client-cert-untrusted")
    assert reason in untrusted["evidence"][0]  # nginx_verdict (OpenSSL itself) says the same

    bash(tmp_path, wrong["fix"].rsplit(" && kubectl", 1)[0])  # as printed (kubectl: no cluster here)
    [(status, text, _)] = nginx_answers(tmp_path, nginx_binary, "client")
    assert (status, text) == (200, "verify=SUCCESS")
    code, report = secret_check(tmp_path, capsys)
    assert code == 0 and "crl-wrong-key" not in codes_of(report) and not codes_of(report, "error"), report["findings"]


@pytest.mark.parametrize("order", ["expired-first", "expired-last"])
def test_an_expired_copy_of_the_ca_beside_its_renewal(
    tmp_path: Path, nginx_binary: str, openssl_binary: str, capsys: pytest.CaptureFixture[str], order: str
) -> None:
    """ca.crt holds the CA that expired and its renewal (same subject, same key): OpenSSL takes the issuer
    whose times are fine (x509_lu.c X509_STORE_CTX_get1_issuer keeps looking past one that fails
    ossl_x509_check_cert_time), so nginx accepts, whatever the order (audit x16/x16b: 200, verify=SUCCESS).
    Not an error, a warning; the printed fix removes the expired copy and nginx still accepts. A control:
    the same expired CA beside a renewal with *another* key still refuses the clients of the old key."""
    key = new_key("ec")
    long_ago = datetime.now(UTC) - timedelta(days=400)
    expired = issue_ca("Renewed Root", key=key, not_before=long_ago, days=370)
    renewal = issue_ca("Renewed Root", key=key)
    client_of_old = issue_leaf("client-old", expired, key=new_key("ec"), v1=False, eku=["clientAuth"])
    client_of_new = issue_leaf("client-new", renewal, key=new_key("ec"), v1=False, eku=["clientAuth"])
    server = issue_leaf("meow.com", renewal, key=new_key("ec"), v1=False, sans=["meow.com"])
    bundle = [expired, renewal] if order == "expired-first" else [renewal, expired]
    write_file(tmp_path / "ca.crt", b"".join(c.cert_pem() for c in bundle))
    write_file(tmp_path / "server.crt", server.cert_pem())
    write_file(tmp_path / "server.key", server.key_pem(), private=True)
    for name, issued in {"client-old": client_of_old, "client-new": client_of_new}.items():
        write_file(tmp_path / f"{name}.crt", issued.cert_pem())
        write_file(tmp_path / f"{name}.key", issued.key_pem(), private=True)

    answers = nginx_answers(tmp_path, nginx_binary, "client-old", "client-new")
    assert [(status, text) for status, text, _ in answers] == [(200, "verify=SUCCESS")] * 2
    for client in ("client-old", "client-new"):
        code, report = secret_check(tmp_path, capsys, "--cert", str(tmp_path / f"{client}.crt"))
        assert code == 0 and report["hosts"][0]["state"] == "works" and not codes_of(report, "error")
        assert "client-cert-accepted" in codes_of(report)
    [copy] = [f for f in report["findings"] if f["code"] == "ca-expired-copy"]
    assert copy["severity"] == "warning" and "CN=Renewed Root" in copy["title"]

    bash(tmp_path, copy["fix"].rsplit(" && kubectl", 1)[0])  # as printed (kubectl: no cluster here)
    assert (tmp_path / "ca.crt").read_bytes() == renewal.cert_pem()
    answers = nginx_answers(tmp_path, nginx_binary, "client-old", "client-new")
    assert [(status, text) for status, text, _ in answers] == [(200, "verify=SUCCESS")] * 2
    code, report = secret_check(tmp_path, capsys)
    assert code == 0 and not codes_of(report) & {"ca-expired-copy", "cert-expired"}

    other_key = issue_ca("Renewed Root", key=new_key("ec"))  # the control: a renewal with a new key
    write_file(tmp_path / "ca.crt", b"".join(c.cert_pem() for c in [expired, other_key]))
    [(status, _, log)] = nginx_answers(tmp_path, nginx_binary, "client-old")
    assert status == 400 and "(10:certificate has expired)" in log
    code, report = secret_check(tmp_path, capsys)
    assert code == 1 and "cert-expired" in codes_of(report, "error") and "ca-expired-copy" not in codes_of(report)


ROOT = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 400 -subj '/CN={cn}' {ext}"
# (how the root is made, the client's -extfile lines, what nginx logs, words the finding's title must hold)
PURPOSE_CASES = {
    "root-ca-false": (  # audit x01
        ROOT.format(cn="NotCA Root", ext="-addext basicConstraints=critical,CA:FALSE"),
        "extendedKeyUsage=clientAuth",
        "(26:unsuitable certificate purpose)",
        "is not a CA (no basicConstraints CA:TRUE)",
    ),
    "root-without-keycertsign": (  # audit x02
        ROOT.format(
            cn="NoKCS Root",
            ext="-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,digitalSignature,cRLSign",
        ),
        "extendedKeyUsage=clientAuth",
        "(32:key usage does not include certificate signing)",
        "may not sign certificates (keyUsage without keyCertSign)",
    ),
    "root-server-auth-only": (  # audit x06
        ROOT.format(cn="ServerEKU Root", ext=f"{ROOT_EXT} -addext extendedKeyUsage=serverAuth"),
        "extendedKeyUsage=clientAuth",
        "(26:unsuitable certificate purpose)",
        "the root CA CN=ServerEKU Root is not allowed for client authentication",
    ),
    "leaf-without-digitalsignature": (  # audit x07
        ROOT.format(cn="Good Root", ext=ROOT_EXT),
        "keyUsage=critical,keyCertSign",
        "(26:unsuitable certificate purpose)",
        "CN=client is not allowed for client authentication (keyUsage without digitalSignature)",
    ),
}


@pytest.mark.parametrize("case", sorted(PURPOSE_CASES))
def test_purpose_errors_name_their_real_cause(
    tmp_path: Path, nginx_binary: str, openssl_binary: str, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    """OpenSSL refuses a CA of the path that is CA:FALSE (x509_vfy.c check_chain: check_ca → 79, then the
    ssl_client purpose → 26), whose keyUsage lacks keyCertSign (79, 26, then internal_verify → 32), or whose
    EKU lacks clientAuth (26); and a client certificate whose keyUsage has neither digitalSignature nor
    keyAgreement (v3_purp.c check_purpose_ssl_client → 26). nginx logs only the last error (audit x01, x02,
    x06, x07: 26, 32, 26, 26). The finding names the cause; its fix, run as printed, makes a self-signed
    root again from its own key (the clients it signed stay valid) or re-signs the client, and the real
    nginx then accepts the same client certificate (or the re-signed one)."""
    make_root, client_ext, logged, title = PURPOSE_CASES[case]
    bash(tmp_path, make_root)
    openssl_pair(tmp_path, "server", "meow.com", "subjectAltName=DNS:meow.com")
    openssl_pair(tmp_path, "client", "client", client_ext)

    [(status, _, log)] = nginx_answers(tmp_path, nginx_binary, "client")
    assert status == 400 and logged in log
    code, report = secret_check(tmp_path, capsys, "--cert", str(tmp_path / "client.crt"))
    [wrong] = [f for f in report["findings"] if f["code"] == "client-cert-wrong-purpose"]
    assert code == 1 and title in wrong["title"] and "extendedKeyUsage without clientAuth" not in wrong["detail"]
    if case.startswith("root"):
        assert "-CA " not in wrong["fix"] and wrong["fix"].startswith("openssl req -x509")  # stays self-signed

    bash(tmp_path, wrong["fix"].rsplit(" && kubectl", 1)[0])  # as printed (kubectl: no cluster here)
    [(status, text, _)] = nginx_answers(tmp_path, nginx_binary, "client")
    assert (status, text) == (200, "verify=SUCCESS")
    code, report = secret_check(tmp_path, capsys, "--cert", str(tmp_path / "client.crt"))
    assert code == 0 and "client-cert-accepted" in codes_of(report), report["findings"]
