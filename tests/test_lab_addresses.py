"""Stable addresses for slides: `lab --port N` fixes the gateway's port, and the PKI is kept
in the same `--dir` between runs unless `--fresh`, as long as it is still good to serve.

Real lab starts in fresh interpreters (`mtls-tui lab --check --json`), real ports, real
certificates dated in the past.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes

from mtls_tui.certs.issue import issue_ca, issue_leaf, new_key
from mtls_tui.lab.nginx import free_port
from mtls_tui.lab.pki import SeedPki, write_seed_pki
from tests.test_hostile_certs import one_line, run_cli


def lab_check(folder: Path, *extra: str, gateway: str = "builtin") -> tuple[int, dict | None, str]:
    out = run_cli("lab", "--check", "--json", "--gateway", gateway, "--dir", str(folder), *extra, timeout=120)
    return out.returncode, json.loads(out.stdout) if out.stdout.strip() else None, out.stderr


def fingerprint(folder: Path, name: str) -> bytes:
    from cryptography import x509

    return x509.load_pem_x509_certificate((folder / name).read_bytes()).fingerprint(hashes.SHA256())


@pytest.fixture(params=["nginx", "builtin"])
def gateway(request: pytest.FixtureRequest) -> str:
    if request.param == "nginx":
        request.getfixturevalue("nginx_binary")  # skipped without nginx on a laptop, an error in CI
    return request.param


def test_port_fixes_the_gateways_address_run_after_run(tmp_path: Path, gateway: str) -> None:
    """Two runs one after the other on the same --port (the first one's connections may still be
    in TIME_WAIT): the same URL, the same CA, and the host works both times."""
    port = free_port()
    seen = []
    for _ in range(2):
        code, report, err = lab_check(tmp_path / "lab", "--port", str(port), gateway=gateway)
        assert code == 0, err
        [host] = report["hosts"]
        assert host["state"] == "works", host["verdict"]
        assert {p["url"] for p in host["probe"]} == {f"https://meow.com:{port}/"}
        seen.append(fingerprint(tmp_path / "lab", "ca.crt"))
    assert seen[0] == seen[1]  # the PKI was kept: what the slides show stays true


def test_a_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        out = run_cli(
            "lab", "--check", "--gateway", "builtin", "--dir", str(tmp_path / "lab"), "--port", str(port), timeout=120
        )
    one_line(out, f"port {port} on 127.0.0.1 is in use", "--port")


def test_the_gateway_and_the_browsers_need_a_port_each(tmp_path: Path) -> None:
    out = run_cli("lab", "--serve", "--gateway", "builtin", "--dir", str(tmp_path / "lab"), "--port", "8000")
    one_line(out, "--port and --serve-port are both 8000")


@pytest.mark.parametrize("value", ["0", "65536", "https"])
def test_a_port_that_is_not_one_is_refused_by_the_parser(tmp_path: Path, value: str) -> None:
    out = run_cli("lab", "--check", "--dir", str(tmp_path / "lab"), "--port", value)
    assert out.returncode == 2 and "--port" in out.stderr and "Traceback" not in out.stderr


def test_fresh_issues_a_new_pki_and_keeps_it_from_then_on(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    assert lab_check(folder)[0] == 0
    first = (folder / "ca.key").read_bytes(), fingerprint(folder, "ca.crt")
    code, report, err = lab_check(folder, "--fresh")
    assert code == 0 and report["hosts"][0]["state"] == "works", err
    second = (folder / "ca.key").read_bytes(), fingerprint(folder, "ca.crt")
    assert second[0] != first[0] and second[1] != first[1]
    assert (folder / "ca.key").stat().st_mode & 0o777 == 0o600
    assert lab_check(folder)[0] == 0
    assert fingerprint(folder, "ca.crt") == second[1]  # kept again without --fresh


def test_fresh_never_replaces_a_ca_key_the_lab_did_not_write(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    folder = tmp_path / "mine"
    folder.mkdir()
    key = new_key("ec").private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / "ca.key").write_bytes(key)
    out = run_cli("lab", "--check", "--gateway", "builtin", "--dir", str(folder), "--fresh", timeout=120)
    one_line(out, "not the lab's PKI", "--force")
    assert (folder / "ca.key").read_bytes() == key


def dated_pki(ca_started: datetime) -> SeedPki:
    """The seed PKI as `lab` writes it (v1 leaves, the CA's 356 days, the leaves' 365), issued at `ca_started`."""
    ca = issue_ca("Fern Cert Authority", key=new_key("ec"), days=356, not_before=ca_started)
    server = issue_leaf("meow.com", ca, serial=1, key=new_key("ec"), v1=True, days=365, not_before=ca_started)
    client = issue_leaf("Fern", ca, serial=2, key=new_key("ec"), v1=True, days=365, not_before=ca_started)
    return SeedPki(ca, server, client)


def test_an_expired_pki_is_one_line_naming_fresh_and_fresh_replaces_it(tmp_path: Path) -> None:
    folder = tmp_path / "last-year"
    now = datetime.now(UTC)
    write_seed_pki(folder, dated_pki(now - timedelta(days=360)), replace=True)  # the CA ended 4 days ago
    key = (folder / "ca.key").read_bytes()
    out = run_cli("lab", "--check", "--gateway", "builtin", "--dir", str(folder), timeout=120)
    ended = (now - timedelta(days=4)).strftime("%Y-%m-%d")
    one_line(out, "holds the lab's PKI", f"ca.crt expired on {ended}", "--fresh")
    assert (folder / "ca.key").read_bytes() == key  # refused, not replaced unasked
    code, report, err = lab_check(folder, "--fresh")
    assert code == 0 and report["hosts"][0]["state"] == "works", err
    assert (folder / "ca.key").read_bytes() != key


def test_a_pki_that_ends_soon_is_kept_with_a_note(tmp_path: Path) -> None:
    folder = tmp_path / "ends-soon"
    now = datetime.now(UTC)
    write_seed_pki(folder, dated_pki(now - timedelta(days=350)), replace=True)  # the CA ends in 6 days
    key = (folder / "ca.key").read_bytes()
    code, report, err = lab_check(folder)
    assert code == 0 and report["hosts"][0]["state"] == "works", err
    [note] = err.splitlines()
    ends = (now + timedelta(days=6)).strftime("%Y-%m-%d")
    assert (
        note.startswith("mtls-tui lab: note:") and f"ca.crt expires on {ends} (in 5 days)" in note and "--fresh" in note
    )
    assert (folder / "ca.key").read_bytes() == key
    assert "cert-expires-soon" in {f["code"] for f in report["hosts"][0]["findings"]}  # the verdict says so too


def test_free_ports_stay_out_of_the_range_outgoing_connections_take() -> None:
    """free_port() hands a port to a server that binds it a moment later. A port from the
    kernel's ephemeral range could be taken in between by any outgoing connection (CI saw
    Envoy's "Address already in use" and a probe meet a plain server on the gateway's port),
    so it picks below that range, and never the same port twice in one process."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(1024 <= p < low for p in ports)
    # While 50 outgoing connections hold their ephemeral ports, a handed-out port still binds.
    with socket.create_server(("127.0.0.1", 0)) as listener:
        clients = [socket.create_connection(listener.getsockname()) for _ in range(50)]
        try:
            taken = {c.getsockname()[1] for c in clients}
            port = free_port()
            assert port not in taken
            with socket.create_server(("127.0.0.1", port)):
                pass
        finally:
            for client in clients:
                client.close()
