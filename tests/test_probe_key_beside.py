"""`mtls-tui probe --cert client.crt` without --key: the key rule of check and inspect (the key in the
certificate's file, else client.key beside client.crt) holds for the probe too. A new user's review:
the probe stopped with "holds no private key (give --key)" where check and inspect took the key
beside it, and the screen's try line named it."""

from __future__ import annotations

import shutil
import ssl
from pathlib import Path

import pytest

from mtls_tui.cli import main
from tests.test_probe_alerts import make_material, server_context, serving


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_material(tmp_path_factory.mktemp("beside"))


def answer_ok(conn: ssl.SSLSocket) -> None:
    conn.recv(65536)
    verified = "SUCCESS" if conn.getpeercert() else "NONE"
    body = f"verify={verified}".encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))


def probe(folder: Path, port: int, cert: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(
        ["probe", f"https://meow.com:{port}/", "--resolve", f"meow.com:{port}:127.0.0.1"]
        + ["--cacert", str(folder / "ca.crt"), "--cert", str(cert)]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_the_key_beside_the_certificate_is_used(material: Path, tmp_path: Path, capsys) -> None:
    """A server that requires a certificate of the CA (Python's ssl, CERT_REQUIRED) lets the probe in
    with client.crt and the client.key found beside it."""
    with serving(server_context(material, ssl.CERT_REQUIRED), answer_ok) as port:
        code, out, err = probe(material, port, material / "client.crt", capsys)
    assert "holds no private key" not in err, err
    assert code == 0 and "verify=SUCCESS" in out, out


def test_without_a_key_beside_it_the_probe_says_which_file_it_looked_for(
    material: Path, tmp_path: Path, capsys
) -> None:
    alone = tmp_path / "mine.crt"
    shutil.copy(material / "client.crt", alone)
    code, out, err = probe(material, 1, alone, capsys)
    assert code == 2 and f"no {tmp_path / 'mine.key'} is beside it (give --key)" in err, err
    assert "Traceback" not in err
