"""ingress-nginx's own end-to-end cases, on a real nginx configured as the controller
renders it, each probed and classified. One gateway serves every case by SNI."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
from mtls_tui.cli import main
from mtls_tui.diagnose.probe import probe_findings
from mtls_tui.lab.gateway import Gateway, GatewayHost
from mtls_tui.lab.pki import write_file
from mtls_tui.model import MtlsPolicy, ProbeResult, ProbeSpec
from mtls_tui.policy.nginx_answers import CERT_ERROR
from mtls_tui.report.console import UNPROBED_HEAD
from mtls_tui.sources.probe import run_probe

SECRET = "default/my-certs"
POLICIES = {
    "plain.com": MtlsPolicy("plain.com"),
    "meow.com": MtlsPolicy("meow.com", secret=SECRET),
    "off.com": MtlsPolicy("off.com", secret=SECRET, verify_client="off", verify_depth=2),
    "errpage.com": MtlsPolicy("errpage.com", secret=SECRET, error_page="https://errors.example/mtls"),
    "passcert.com": MtlsPolicy("passcert.com", secret=SECRET, pass_certificate=True),
    "cn-no.com": MtlsPolicy("cn-no.com", secret=SECRET, match_cn="CN=Nobody"),
    "cn-yes.com": MtlsPolicy("cn-yes.com", secret=SECRET, match_cn="CN=Fern"),
    "cn-alt.com": MtlsPolicy("cn-alt.com", secret=SECRET, match_cn="CN=(Other|Fern)"),
    "optional.com": MtlsPolicy("optional.com", secret=SECRET, verify_client="optional"),
    "optional-no-ca.com": MtlsPolicy("optional-no-ca.com", secret=SECRET, verify_client="optional_no_ca"),
}


@pytest.fixture(scope="module")
def lab(seed_dir: Path, nginx_binary: str, tmp_path_factory: pytest.TempPathFactory):
    """The seed's openssl-made PKI behind every policy, plus a client from another CA."""
    folder = tmp_path_factory.mktemp("probe")
    ca_pem = (seed_dir / "ca.crt").read_bytes()
    server_cert, server_key = (seed_dir / "server.crt").read_bytes(), (seed_dir / "server.key").read_bytes()
    other = issue_ca("Other Authority", key=new_key("ec"))
    stranger = issue_leaf("Fern", other, key=new_key("ec"))
    write_file(folder / "stranger.crt", stranger.cert_pem())
    write_file(folder / "stranger.key", stranger.key_pem(), private=True)
    hosts = [GatewayHost(policy, server_cert, server_key, ca_pem) for policy in POLICIES.values()]
    with Gateway(hosts, nginx_binary=nginx_binary) as gateway:
        yield gateway, seed_dir, folder


def probe(lab, host: str, client: str | None = "seed", **extra) -> tuple[list[ProbeResult], set[str]]:
    gateway, seed_dir, folder = lab
    cert = {
        "seed": (seed_dir / "client.crt", seed_dir / "client.key"),
        "stranger": (folder / "stranger.crt", folder / "stranger.key"),
    }.get(client)
    spec = ProbeSpec(
        gateway.url(host),
        resolve=gateway.resolve(host),
        insecure=True,
        timeout=5,
        cert=str(cert[0]) if cert else None,
        key=str(cert[1]) if cert else None,
        **extra,
    )
    results = run_probe(spec)
    return results, {f.code for f in probe_findings(results, POLICIES.get(host))}


def statuses(results: list[ProbeResult]) -> list[int | None]:
    return [r.status for r in results]


def test_no_annotations_asks_no_certificate(lab) -> None:
    results, codes = probe(lab, "plain.com")
    assert statuses(results) == [200, 200]
    assert results[1].echoed("ssl-client-verify") is None  # no auth-tls: no ssl-client-* headers
    assert "probe-unconfirmed" in codes
    _, unknown_policy = run_and_classify(lab, "plain.com", policy=None)
    assert "probe-mtls-not-enforced" in unknown_policy


def run_and_classify(lab, host: str, policy) -> tuple[list[ProbeResult], set[str]]:
    gateway, seed_dir, _ = lab
    results = run_probe(ProbeSpec(gateway.url(host), resolve=gateway.resolve(host), insecure=True, timeout=5))
    return results, {f.code for f in probe_findings(results, policy)}


def test_secret_only(lab) -> None:
    results, codes = probe(lab, "meow.com")
    assert statuses(results) == [400, 200]
    assert {"probe-no-client-cert", "probe-ok"} <= codes
    assert results[1].echoed("ssl-client-subject-dn") == "CN=Fern"


def test_verify_off_with_depth_2(lab) -> None:
    results, codes = probe(lab, "off.com", client=None)
    assert statuses(results) == [200] and results[0].echoed("ssl-client-verify") == "NONE"
    assert codes == {"probe-mtls-not-enforced"}  # a warning: off is what the Ingress asks for


def test_error_page(lab) -> None:
    results, codes = probe(lab, "errpage.com")
    assert statuses(results) == [302, 200]
    assert results[0].header("location") == "https://errors.example/mtls"
    assert {"probe-no-client-cert", "probe-ok"} <= codes
    rejected, rejected_codes = probe(lab, "errpage.com", client="stranger")
    assert statuses(rejected) == [302, 302] and "probe-cert-rejected" in rejected_codes


def test_pass_certificate_to_upstream(lab) -> None:
    results, codes = probe(lab, "passcert.com")
    assert statuses(results) == [400, 200] and "probe-ok" in codes
    assert results[1].echoed("ssl-client-cert").startswith("-----BEGIN%20CERTIFICATE-----%0A")


def test_match_cn(lab) -> None:
    refused, codes = probe(lab, "cn-no.com")
    assert statuses(refused) == [400, 403] and "probe-cn-rejected" in codes
    for host in ("cn-yes.com", "cn-alt.com"):
        results, codes = probe(lab, host)
        assert statuses(results) == [400, 200] and "probe-ok" in codes


def test_client_from_another_ca(lab) -> None:
    results, codes = probe(lab, "meow.com", client="stranger")
    assert statuses(results) == [400, 400]
    assert CERT_ERROR in results[1].body and "probe-cert-rejected" in codes
    assert "client SSL certificate verify error" in lab[0].error_log()


def test_unknown_sni_gets_the_fake_certificate(lab) -> None:
    results, codes = probe(lab, "unknown.example", client=None)
    assert results[0].fake_certificate and results[0].status == 404
    assert "probe-fake-certificate" in codes


def test_sni_and_host_disagree(lab) -> None:
    gateway = lab[0]
    results, codes = probe(lab, "plain.com", headers=(("Host", f"meow.com:{gateway.port}"),))
    assert results[1].sni == "plain.com" and results[1].host_header == f"meow.com:{gateway.port}"
    assert results[1].status in (400, 421)  # nginx 1.22: 400; newer releases: 421
    assert "probe-misdirected" in codes


def test_host_header_naming_no_server(lab) -> None:
    """SNI of the mTLS host, Host of no server: the default server answers 404, the host is never reached."""
    results, codes = probe(lab, "meow.com", headers=(("Host", "nowhere.example"),))
    assert [r.status for r in results] == [404, 404] and "default backend" in results[1].body
    assert "probe-misdirected" in codes and not codes & {"probe-ok", "probe-unexpected-status"}


def test_fake_certificate_for_another_sni_blames_the_sni(lab) -> None:
    gateway = lab[0]
    results, _ = probe(lab, "unknown.example", headers=(("Host", f"meow.com:{gateway.port}"),))
    fake = next(f for f in probe_findings(results, POLICIES["meow.com"]) if f.code == "probe-fake-certificate")
    assert fake.title == "the TLS name unknown.example got the controller's fake certificate"


def test_optional_modes(lab) -> None:
    results, codes = probe(lab, "optional.com", client="stranger")
    assert statuses(results) == [200, 400] and "probe-cert-rejected" in codes
    assert results[0].echoed("ssl-client-verify") == "NONE"
    results, codes = probe(lab, "optional-no-ca.com", client="stranger")
    assert statuses(results) == [200, 200]
    assert results[1].echoed("ssl-client-verify").startswith("FAILED:")
    assert "probe-cert-unverified" in codes


def test_seed_flow_on_the_command_line(lab, capsys: pytest.CaptureFixture[str]) -> None:
    gateway, seed_dir, _ = lab
    url, resolve = f"https://meow.com:{gateway.port}/", f"meow.com:{gateway.port}:127.0.0.1"
    code = main(["probe", url, "--resolve", resolve, "-k", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert [f["code"] for f in report["findings"]] == ["probe-no-client-cert"] and code == 0
    code = main(
        [
            "probe",
            url,
            "--resolve",
            resolve,
            "-k",
            "--cert",
            str(seed_dir / "client.crt"),
            "--key",
            str(seed_dir / "client.key"),
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    ok = next(f for f in report["findings"] if f["code"] == "probe-ok")
    assert "CN=Fern" in ok["title"] and "issuer CN=Fern Cert Authority" in ok["detail"] and code == 0
    with_cert = report["results"][1]
    assert with_cert["echo"]["ssl-client-subject-dn"] == "CN=Fern"
    assert with_cert["echo"]["ssl-client-issuer-dn"] == "CN=Fern Cert Authority"
    assert with_cert["curl"].startswith("curl -v --resolve") and "--cert" in with_cert["curl"]
    assert "openssl s_client" in with_cert["openssl"] and with_cert["timings"]["tls"] > 0


def test_server_verification_like_curl(lab) -> None:
    """With --cacert the seed's CN-only server certificate passes (curl's CN fallback);
    against another CA it fails, is reported, and the probe still shows the answer."""
    gateway, seed_dir, folder = lab
    spec = ProbeSpec(
        gateway.url("meow.com"), resolve=gateway.resolve("meow.com"), cacert=str(seed_dir / "ca.crt"), timeout=5
    )
    assert run_probe(spec)[0].server_verify_error is None
    wrong = ProbeSpec(
        gateway.url("meow.com"), resolve=gateway.resolve("meow.com"), cacert=str(folder / "stranger.crt"), timeout=5
    )
    results = run_probe(wrong)
    assert results[0].status == 400 and "certificate verify failed" in results[0].server_verify_error
    assert "server-cert-untrusted" in {f.code for f in probe_findings(results)}


def test_http2_on_request(lab) -> None:
    results, codes = probe(lab, "meow.com", http2=True)
    assert [r.alpn for r in results] == ["h2", "h2"] and results[1].http_version == "HTTP/2"
    assert statuses(results) == [400, 200] and "probe-ok" in codes


def _status_line(output: str) -> int | None:
    """The status of the first HTTP answer in what curl -v (stderr) or s_client (stdout) printed."""
    match = re.search(r"^(?:< )?HTTP/(?:1\.[01]|2) (\d{3})", output, re.MULTILINE)
    return int(match.group(1)) if match else None


@pytest.mark.parametrize(
    "host, client, headers",
    [
        ("meow.com", "seed", ()),
        ("meow.com", "stranger", ()),
        ("cn-no.com", "seed", ()),
        ("plain.com", "seed", "misdirected"),
    ],
)
def test_printed_commands_reproduce_the_probe(
    lab, curl_binary: str, openssl_binary: str, host: str, client: str, headers
) -> None:
    """The curl and openssl commands every result carries, run as printed, get the probe's own answer."""
    gateway = lab[0]
    if headers == "misdirected":
        headers = (("Host", f"meow.com:{gateway.port}"),)
    results, _ = probe(lab, host, client=client, headers=headers)
    for result in results:
        curl = subprocess.run(result.curl, shell=True, capture_output=True, text=True, timeout=10)
        s_client = subprocess.run(result.openssl, shell=True, capture_output=True, text=True, timeout=10)
        assert (_status_line(curl.stderr), _status_line(s_client.stdout)) == (result.status, result.status), (
            result.label,
            result.curl,
            result.openssl,
        )


def test_a_probe_without_a_client_certificate_is_not_headed_works(lab, capsys: pytest.CaptureFixture[str]) -> None:
    """`mtls-tui probe URL` with no --cert was headed `WORKS, with warnings`: the answer without a
    certificate proves nothing of mTLS. It is headed as `check` words such a host ("not yet probed
    with a client certificate"), an mTLS host and a TLS-only one alike; with the certificate, the
    answers head the report."""
    gateway, seed_dir, _ = lab
    client = ["--cert", str(seed_dir / "client.crt"), "--key", str(seed_dir / "client.key")]
    for host, given, head in (
        ("meow.com", [], UNPROBED_HEAD),
        ("plain.com", [], UNPROBED_HEAD),
        ("meow.com", client, "OK: "),
    ):
        url, resolve = f"https://{host}:{gateway.port}/", f"{host}:{gateway.port}:127.0.0.1"
        code = main(["probe", url, "--resolve", resolve, "-k", *given])
        out = " ".join(capsys.readouterr().out.split())
        assert code == 0 and head in out and "WORKS" not in out, (host, given, out)


def test_the_rejected_fix_runs_as_printed_without_a_crl(lab, tmp_path: Path) -> None:
    """The probe cannot see whether the Secret holds a ca.crl: its printed `mtls-tui inspect` names
    none (`--crl ca.crl` failed as printed where there was none) and gives OpenSSL's reason."""
    import os
    import shutil
    import sys

    results, _ = probe(lab, "meow.com", client="stranger")
    [rejected] = [f for f in probe_findings(results, POLICIES["meow.com"]) if f.code == "probe-cert-rejected"]
    shutil.copy(lab[1] / "ca.crt", tmp_path / "ca.crt")  # the Secret's ca.crt, the gateway's CA; no ca.crl
    ran = subprocess.run(
        ["bash", "-c", rejected.fix],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={  # the installed mtls-tui, running this checkout's mtls_tui
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "PYTHONPATH": str(Path(__file__).parents[1]),
        },
    )
    assert ran.returncode == 1 and "client-cert-untrusted" in ran.stdout, ran
