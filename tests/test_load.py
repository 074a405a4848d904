"""Loading every shape users paste, and failing well on everything else."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mtls_tui.certs.load import load_material
from mtls_tui.errors import InputError, PassphraseNeeded
from mtls_tui.lab.pki import SeedPki, secret_manifest


def test_pem_bundle_with_keys_in_order(pki: SeedPki) -> None:
    data = pki.ca.cert_pem() + b"junk between\n" + pki.client.cert_pem() + pki.client.key_pem()
    material = load_material(data, "bundle.pem")
    assert [c.cert for c in material.certs] == [pki.ca.cert, pki.client.cert]
    assert len(material.keys) == 1 and material.certs[1].origin.endswith(":20") is False
    assert material.certs[0].origin == "bundle.pem:1"


def test_der_certificate_and_key(pki: SeedPki) -> None:
    der = pki.client.cert.public_bytes(serialization.Encoding.DER)
    assert load_material(der, "c.der").certs[0].cert == pki.client.cert
    key_der = pki.client.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert len(load_material(key_der, "k.der").keys) == 1


def test_pkcs12_with_password(pki: SeedPki) -> None:
    blob = pkcs12.serialize_key_and_certificates(
        b"fern", pki.client.key, pki.client.cert, [pki.ca.cert], serialization.BestAvailableEncryption(b"s3cret")
    )
    material = load_material(blob, "fern.p12", b"s3cret")
    assert [c.cert for c in material.certs] == [pki.client.cert, pki.ca.cert] and len(material.keys) == 1
    with pytest.raises(PassphraseNeeded):
        load_material(blob, "fern.p12")
    with pytest.raises(InputError, match="wrong PKCS#12 password"):
        load_material(blob, "fern.p12", b"nope")


def test_encrypted_key_needs_passphrase_and_never_echoes_it(pki: SeedPki) -> None:
    encrypted = pki.client.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"hunter22"),
    )
    assert len(load_material(encrypted, "client.key", b"hunter22").keys) == 1
    with pytest.raises(PassphraseNeeded, match="encrypted"):
        load_material(encrypted, "client.key")
    with pytest.raises(InputError, match="wrong pass phrase") as error:
        load_material(encrypted, "client.key", b"wrong")
    assert "hunter22" not in str(error.value) and "wrong" not in error.value.where


@pytest.mark.parametrize("dump", [yaml.safe_dump, lambda obj: json.dumps(obj, indent=2)])
def test_secret_manifest_yaml_and_json(pki: SeedPki, dump) -> None:
    material = load_material(dump(secret_manifest(pki)).encode(), "my-certs.yaml")
    by_key = {c.secret_key: c.cert for c in material.certs}
    assert by_key == {"ca.crt": pki.ca.cert, "tls.crt": pki.server.cert}
    assert material.keys[0].secret_key == "tls.key" and material.keys[0].secret == "default/my-certs"
    assert [e.name for e in material.secrets[0].entries] == ["ca.crt", "tls.crt", "tls.key"]


def test_kubectl_list_and_string_data(pki: SeedPki) -> None:
    secret = secret_manifest(pki, name="a")
    plain = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "b", "namespace": "web"},
        "stringData": {"ca.crt": pki.ca.cert_pem().decode(), "auth": "fern:$apr1$x"},
    }
    listing = {"apiVersion": "v1", "kind": "List", "items": [secret, plain]}
    material = load_material(yaml.safe_dump(listing).encode(), "secrets.yaml")
    assert [s.ref for s in material.secrets] == ["default/a", "web/b"]
    assert [c.secret for c in material.certs] == ["default/a", "default/a", "web/b"]
    auth = next(e for e in material.secrets[1].entries if e.name == "auth")
    assert auth.holds.startswith("unreadable")


def test_bare_base64_as_jsonpath_prints_it(pki: SeedPki) -> None:
    printed = base64.b64encode(pki.ca.cert_pem())
    assert load_material(printed, "ca.b64").certs[0].cert == pki.ca.cert


def test_utf16_pem_from_powershell(pki: SeedPki) -> None:
    data = pki.ca.cert_pem().decode().encode("utf-16")
    assert load_material(data, "ca.crt").certs[0].cert == pki.ca.cert


BAD_INPUTS = {
    "empty": (b"", "is empty"),
    "whitespace": (b"\n\n  \n", "is empty"),
    "png": (b"\x89PNG\r\n\x1a\n" + os.urandom(64), "PNG image"),
    "random": (bytes(range(256)) * 3, "binary data"),
    "utf16-prose": ("hello, this is not a certificate".encode("utf-16"), "is text"),
    "broken-yaml": (b"apiVersion: v1\nkind: Secret\ndata: {ca.crt: [unclosed\n", "not valid YAML"),
    "secret-without-data": (b"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n", "has no data"),
    "manifest-without-secret": (b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "without a Secret"),
    "bad-base64-in-secret": (
        b"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {ca.crt: '!!!notbase64'}\n",
        "not valid base64",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_error(name: str) -> None:
    data, expected = BAD_INPUTS[name]
    with pytest.raises(InputError) as error:
        load_material(data, f"{name}.pem")
    assert expected in str(error.value) and "\n" not in str(error.value)
    assert str(error.value).startswith(f"{name}.pem")


def test_truncated_pem_names_the_line(pki: SeedPki) -> None:
    truncated = pki.ca.cert_pem() + pki.client.cert_pem()[:300]
    with pytest.raises(InputError, match=r"ca\.pem:2\d: .*no END line"):
        load_material(truncated, "ca.pem")


def test_damaged_pem_body(pki: SeedPki) -> None:
    pem = pki.ca.cert_pem().replace(b"M", b"A", 40)
    with pytest.raises(InputError, match="damaged"):
        load_material(pem, "ca.pem")


def test_secret_with_an_unusable_value_keeps_the_others(pki: SeedPki) -> None:
    manifest = secret_manifest(pki)
    manifest["data"]["ca.crt"] = base64.b64encode(b"not a certificate").decode()
    material = load_material(json.dumps(manifest).encode(), "s.json")
    assert [c.secret_key for c in material.certs] == ["tls.crt"]
    assert any("ca.crt" in note for note in material.notes)


@pytest.fixture(scope="module")
def seeds(pki: SeedPki) -> list[bytes]:
    return [
        pki.client.cert_pem() + pki.client.key_pem(),
        pki.client.cert.public_bytes(serialization.Encoding.DER),
        json.dumps(secret_manifest(pki)).encode(),
        base64.b64encode(pki.ca.cert_pem()),
    ]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_input_raises_only_input_error(seeds: list[bytes], data: st.DataObject) -> None:
    """Random bytes and mutated real inputs: a result or an InputError, nothing else."""
    base = data.draw(st.sampled_from(seeds + [b""]))
    choice = data.draw(st.integers(0, 3))
    if choice == 0:
        blob = data.draw(st.binary(max_size=2048))
    elif choice == 1 and base:
        cut = data.draw(st.integers(0, len(base)))
        blob = base[:cut]
    elif choice == 2 and base:
        blob = bytearray(base)
        for _ in range(data.draw(st.integers(1, 8))):
            blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
        blob = bytes(blob)
    else:
        blob = base + data.draw(st.binary(max_size=64))
    try:
        load_material(blob, "fuzz")
    except InputError as exc:
        assert "\n" not in str(exc)


def test_cli_bad_inputs_never_traceback(tmp_path: Path, pki: SeedPki) -> None:
    files = {
        "empty.crt": b"",
        "picture.png": b"\x89PNG\r\n\x1a\n" + os.urandom(100),
        "truncated.crt": pki.ca.cert_pem()[:200],
        "key-as-cert.crt": pki.client.key_pem(),
        "utf16.crt": "meow".encode("utf-16"),
        "huge.crt": b"A" * (50 * 1024 * 1024),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    for name in files:
        role = "--cert" if name == "key-as-cert.crt" else None
        argv = [role, str(tmp_path / name)] if role else [str(tmp_path / name)]
        out = subprocess.run(
            [sys.executable, "-m", "mtls_tui", "inspect", *argv, "--json"], capture_output=True, text=True
        )
        assert "Traceback" not in out.stderr + out.stdout, name
        # nothing inspect can judge: one line, exit 2 (DESIGN's exit statuses; it was a report, exit 1)
        assert out.returncode == 2 and out.stdout == "" and out.stderr.count("\n") == 1, (name, out.stderr)
        assert out.stderr.startswith(f"mtls-tui inspect: {tmp_path / name}"), out.stderr


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "inspect", str(tmp_path / "nope.crt")], capture_output=True, text=True
    )
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "no such file" in out.stderr


def test_cli_bad_depth_exits_2() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mtls_tui", "inspect", "--verify-depth", "two", "x"], capture_output=True, text=True
    )
    assert out.returncode == 2 and "must be a whole number" in out.stderr
