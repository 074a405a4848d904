"""Issue 11, classes 5, 6 and 7: private keys, the lab's API server, lab leftovers and sharing.

Real commands in fresh interpreters, a real TLS API server spoken to byte by byte,
real SIGKILLs.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from mtls_tui.certs.issue import new_key
from mtls_tui.lab.cluster import LabCluster
from tests.test_hostile_certs import one_line, run_cli

# --- class 5: private keys ------------------------------------------------------------------------

KEYS = ("ca.key", "server.key", "client.key")


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_pki_force_over_world_readable_keys_leaves_them_0600(tmp_path: Path) -> None:
    assert run_cli("pki", str(tmp_path)).returncode == 0
    old = {name: (tmp_path / name).read_bytes() for name in KEYS}
    for name in KEYS:
        (tmp_path / name).chmod(0o644)
    out = run_cli("pki", str(tmp_path), "--force")
    assert out.returncode == 0 and "mode 0600" in out.stdout
    for name in KEYS:
        assert mode(tmp_path / name) == 0o600, name
        assert (tmp_path / name).read_bytes() != old[name]
    assert mode(tmp_path / "my-certs.json") == 0o600  # it holds tls.key


def test_pki_force_replaces_a_symlink_instead_of_writing_through_it(tmp_path: Path) -> None:
    folder, outside = tmp_path / "pki", tmp_path / "precious.txt"
    assert run_cli("pki", str(folder)).returncode == 0
    outside.write_text("not yours to overwrite\n")
    (folder / "ca.key").unlink()
    (folder / "ca.key").symlink_to(outside)
    assert run_cli("pki", str(folder), "--force").returncode == 0
    assert outside.read_text() == "not yours to overwrite\n"
    assert not (folder / "ca.key").is_symlink() and mode(folder / "ca.key") == 0o600


def lab_check(folder: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return run_cli("lab", "--check", "--json", "--gateway", "builtin", "--dir", str(folder), *extra, timeout=timeout)


def test_lab_never_replaces_a_ca_key_it_did_not_write(tmp_path: Path) -> None:
    """A CA key of the user's own in --dir: one line, and the key as it was (bytes and mode)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    key = new_key("ec").private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (folder / "ca.key").write_bytes(key)
    (folder / "ca.key").chmod(0o640)
    out = lab_check(folder)
    one_line(out, "mtls-tui lab:", "holds a ca.key that is not the lab's PKI (ca.crt: no such file)", "--force")
    assert (folder / "ca.key").read_bytes() == key and mode(folder / "ca.key") == 0o640
    assert not (folder / "ca.crt").exists()


def test_lab_reuses_its_own_pki_and_force_replaces_it(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    first = lab_check(folder)
    assert first.returncode == 0, first.stderr
    key = (folder / "ca.key").read_bytes()
    assert mode(folder / "ca.key") == 0o600
    again = lab_check(folder)
    assert again.returncode == 0, again.stderr
    assert (folder / "ca.key").read_bytes() == key  # the same CA: certificates it signed stay good
    assert json.loads(again.stdout)["hosts"][0]["state"] == "works"
    forced = lab_check(folder, "--force")
    assert forced.returncode == 0, forced.stderr
    assert (folder / "ca.key").read_bytes() != key and mode(folder / "ca.key") == 0o600


def test_lab_refuses_another_form_of_its_pki_without_fresh(tmp_path: Path) -> None:
    folder = tmp_path / "pki"
    assert run_cli("pki", str(folder)).returncode == 0  # the article's v1 leaves
    key = (folder / "ca.key").read_bytes()
    one_line(lab_check(folder, "--v3"), "v1", "--fresh")
    assert (folder / "ca.key").read_bytes() == key
    assert lab_check(folder, "--v3", "--fresh").returncode == 0 and (folder / "ca.key").read_bytes() != key


# --- class 6: the lab's API server -----------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[LabCluster]:
    with LabCluster() as lab:
        yield lab


@pytest.fixture(scope="module")
def identity(cluster: LabCluster, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("identity")
    cert, key = folder / "client.crt", folder / "client.key"
    cert.write_bytes(cluster.client.cert_pem())
    key.write_bytes(cluster.client.key_pem())
    return str(cert), str(key)


def tls(cluster: LabCluster, identity: tuple[str, str] | None) -> ssl.SSLSocket:
    context = ssl.create_default_context(cadata=cluster.ca.cert_pem().decode())
    if identity:
        context.load_cert_chain(*identity)
    sock = socket.create_connection(("127.0.0.1", cluster.port), timeout=5)
    return context.wrap_socket(sock, server_hostname="127.0.0.1")


def exchange(cluster: LabCluster, identity: tuple[str, str] | None, head: str, body: bytes = b"") -> tuple[int, dict]:
    """Send raw request bytes, read the answer within 5 s: (status, JSON body)."""
    with tls(cluster, identity) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        response = http.client.HTTPResponse(conn)
        response.begin()
        return response.status, json.loads(response.read() or b"null")


def post(path: str, length: str, extra: str = "") -> str:
    return f"POST {path} HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\nContent-Length: {length}\n{extra}"


CONFIGMAPS = "/api/v1/namespaces/default/configmaps"


def assert_status(answer: tuple[int, dict], code: int, reason: str) -> None:
    status, body = answer
    assert status == code, answer
    assert {k: body[k] for k in ("kind", "apiVersion", "status", "reason", "code")} == {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "reason": reason,
        "code": code,
    }, body
    assert body["message"]


def test_anonymous_request_is_refused_before_its_body_is_read(cluster: LabCluster) -> None:
    """50 MB announced, not one byte sent: the 401 comes at once (it used to read the whole body first)."""
    started = time.monotonic()
    assert_status(exchange(cluster, None, post(CONFIGMAPS, str(50 * 2**20))), 401, "Unauthorized")
    assert time.monotonic() - started < 3


def test_a_body_over_the_limit_is_refused_unread(cluster: LabCluster, identity: tuple[str, str]) -> None:
    assert_status(exchange(cluster, identity, post(CONFIGMAPS, str(50 * 2**20))), 413, "RequestEntityTooLarge")


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "12, 13", " "])
def test_a_malformed_content_length_gets_a_400_status(
    cluster: LabCluster, identity: tuple[str, str], length: str
) -> None:
    assert_status(exchange(cluster, identity, post(CONFIGMAPS, length)), 400, "BadRequest")


def test_content_length_and_chunked_together_get_a_400(cluster: LabCluster, identity: tuple[str, str]) -> None:
    head = post(CONFIGMAPS, "5", "Transfer-Encoding: chunked\n")
    assert_status(exchange(cluster, identity, head, b"0\r\n\r\n"), 400, "BadRequest")


def test_a_chunked_body_is_read(cluster: LabCluster, identity: tuple[str, str]) -> None:
    obj = json.dumps(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "chunked"}, "data": {"a": "b"}}
    ).encode()
    head = f"POST {CONFIGMAPS} HTTP/1.1\nHost: x\nContent-Type: application/json\nTransfer-Encoding: chunked\n"
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(obj), obj)
    status, stored = exchange(cluster, identity, head, body)
    assert status == 201 and stored["metadata"]["name"] == "chunked"


@pytest.mark.parametrize("depth", [150, 100_000])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_deeply_nested_json_gets_a_400(cluster: LabCluster, identity: tuple[str, str], depth: int, method: str) -> None:
    if method == "PATCH":
        cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "target", "namespace": "default"}})
        path, kind = f"{CONFIGMAPS}/target", "application/merge-patch+json"
    else:
        path, kind = CONFIGMAPS, "application/json"
    body = ('{"metadata": {"name": "deep"}, "data": ' + '{"a": ' * depth + "1" + "}" * depth + "}").encode()
    head = f"{method} {path} HTTP/1.1\nHost: x\nContent-Type: {kind}\nContent-Length: {len(body)}\n"
    assert_status(exchange(cluster, identity, head, body), 400, "BadRequest")


def test_the_server_still_serves_after_all_that(cluster: LabCluster, identity: tuple[str, str]) -> None:
    status, body = exchange(cluster, identity, "GET /api/v1/namespaces/default/configmaps HTTP/1.1\nHost: x\n")
    assert status == 200 and body["kind"] == "ConfigMapList"


# --- class 7: leftovers and sharing -----------------------------------------------------------------


def test_a_killed_labs_api_server_folder_is_reaped(tmp_path: Path) -> None:
    """kill -9 leaves the API server's private folder (its key in it); the next lab removes it."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import time\n"
                "from pathlib import Path\n"
                "from mtls_tui.lab.environment import Lab\n"
                f"lab = Lab(Path({str(tmp_path / 'killed')!r}), gateway='builtin').start()\n"
                "print(lab.cluster._folder, flush=True)\n"
                "time.sleep(60)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        folder = Path(child.stdout.readline().strip())
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert folder.is_dir() and (folder / "apiserver.key").exists()
    assert folder.parent == Path(tempfile.gettempdir())
    from mtls_tui.lab.environment import Lab

    with Lab(tmp_path / "next", gateway="builtin"):
        pass
    assert not folder.exists()


def test_labs_sharing_a_folder_work_or_refuse_with_one_line(tmp_path: Path) -> None:
    """Three `lab --check` on one --dir at once: each says the lab works, or that the folder is
    in use (one line); none judges certificates another one rewrote under it."""
    folder = tmp_path / "shared"
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "MTLS_TUI_PASS")}
    argv = [sys.executable, "-m", "mtls_tui", "lab", "--check", "--json", "--gateway", "builtin", "--dir", str(folder)]
    for _ in range(2):
        runs = [
            subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)
        ]
        results = [(run.wait(120), *run.communicate()) for run in runs]
        assert any(code == 0 for code, _, _ in results), results
        for code, out, err in results:
            if code == 0:
                assert json.loads(out)["hosts"][0]["state"] == "works"
            else:
                assert code == 2 and "is in use by another lab" in err and err.count("\n") == 1, (code, out, err)


def test_a_running_lab_holds_its_folder(tmp_path: Path) -> None:
    """While a lab runs on a folder, another lab and `pki --force` on it refuse with one line."""
    folder = tmp_path / "held"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time\n"
                "from pathlib import Path\n"
                "from mtls_tui.lab.pki import folder_lock, prepare_folder\n"
                f"folder = Path({str(folder)!r})\n"
                "prepare_folder(folder)\n"
                "with folder_lock(folder):\n"
                "    print('held', flush=True)\n"
                "    time.sleep(60)\n"
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        one_line(lab_check(folder), "is in use by another lab", f"pid {holder.pid}")
        one_line(run_cli("pki", str(folder), "--force"), "is in use by another lab")
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert lab_check(folder).returncode == 0  # a killed holder leaves no stale lock
