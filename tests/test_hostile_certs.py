"""Issue 11, class 3: input that cryptography parses lazily and raises on, and the other
inputs that used to end in a traceback, end as one finding or one line instead.

The hostile certificates are made here, at test time: a real certificate from
cryptography's builder, then its DER patched byte for byte (no binaries are checked in).
`hostile_certificates()` is shared by the property test and benchmarks/fuzz_inputs.py.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, ObjectIdentifier

from mtls_tui.certs.facts import cert_facts
from mtls_tui.certs.load import load_material
from mtls_tui.cli import main
from mtls_tui.errors import InputError
from mtls_tui.lab.pki import SeedPki

KEY_USAGE = x509.KeyUsage(True, False, False, False, False, True, True, False, False)


def der_oid(dotted: str) -> bytes:
    """The DER encoding of an OBJECT IDENTIFIER (tag, length, content)."""
    parts = [int(p) for p in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body += bytes(reversed(chunk))
    return bytes([6, len(body)]) + body


def _certificate(cn: str = "AAAAAAAA", extensions: tuple = ()) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hostile Test CA")]))
        .public_key(key.public_key())
        .serial_number(0x1234)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _patch(der: bytes, old: bytes, new: bytes) -> bytes:
    assert der.count(old) == 1 and len(old) == len(new), (old, new)
    return der.replace(old, new)


@lru_cache(maxsize=1)
def hostile_certificates() -> dict[str, bytes]:
    """name -> DER of a certificate whose DER loads but a part of which does not decode."""
    unknown = (x509.UnrecognizedExtension(ObjectIdentifier("1.2.3.4.5"), b"\x05\x00"), False)
    other = (x509.UnrecognizedExtension(ObjectIdentifier("1.2.3.4.6"), b"\x05\x00"), False)
    constraints = (x509.BasicConstraints(ca=True, path_length=None), True)
    usage_der = _certificate(extensions=((KEY_USAGE, True),))
    at = usage_der.index(der_oid("2.5.29.15")) + len(der_oid("2.5.29.15"))
    # after the OID: BOOLEAN critical (3 bytes), OCTET STRING header (2 bytes), then the BIT STRING's tag
    assert usage_der[at : at + 6] == b"\x01\x01\xff\x04\x04\x03"
    plain = _certificate()
    point = (
        x509.load_der_x509_certificate(plain)
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    off_curve = point[:1] + bytes([point[1] ^ 1]) + point[2:]  # no longer a point of P-256
    return {
        "invalid-public-key": _patch(plain, point, off_curve),
        "duplicate-extension": _patch(
            _certificate(extensions=(unknown, other)), der_oid("1.2.3.4.6"), der_oid("1.2.3.4.5")
        ),
        "duplicate-basic-constraints": _patch(
            _certificate(extensions=(constraints, (KEY_USAGE, True))), der_oid("2.5.29.15"), der_oid("2.5.29.19")
        ),
        "invalid-utf8-subject": _patch(plain, b"AAAAAAAA", b"\xff\xfe\xfd\xfcAAAA"),
        "invalid-version": _patch(plain, b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01\x07"),
        "malformed-key-usage": usage_der[: at + 5] + b"\x05" + usage_der[at + 6 :],  # the BIT STRING's tag made NULL
        "malformed-san": _patch(
            _certificate(extensions=((x509.SubjectAlternativeName([x509.DNSName("example.com")]), False),)),
            b"example.com",
            b"exam\xffle.com",
        ),
        "unknown-key-algorithm": _patch(plain, der_oid("1.2.840.10045.2.1"), der_oid("1.2.840.10045.2.9")),
    }


def pem(der: bytes, label: str = "CERTIFICATE") -> bytes:
    return f"-----BEGIN {label}-----\n".encode() + base64.encodebytes(der) + f"-----END {label}-----\n".encode()


def run_main(*argv: str) -> tuple[int, str, str]:
    """The CLI in this process, as `mtls-tui ARGV` runs it; any exception escapes to the test."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def run_cli(*argv: str, timeout: float = 60, **kwargs: object) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "MTLS_TUI_PASS", "KUBERNETES_SERVICE_HOST")}
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(
        [sys.executable, "-m", "mtls_tui", *argv], env=env, capture_output=True, text=True, timeout=timeout, **kwargs
    )


def one_line(out: subprocess.CompletedProcess, *words: str) -> str:
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1, out.stderr
    for word in words:
        assert word in out.stderr, (word, out.stderr)
    return out.stderr


CASES = sorted(hostile_certificates())


@pytest.mark.parametrize("form", ["pem", "der"])
@pytest.mark.parametrize("name", CASES)
def test_a_certificate_that_cannot_be_fully_read_is_an_input_unreadable_finding(
    name: str, form: str, tmp_path: Path, pki_dir: Path
) -> None:
    """Beside a certificate inspect judges, a finding of the report; alone, the command cannot run:
    one line, exit 2 (it was a BROKEN report, exit 1: DESIGN's exit statuses)."""
    der = hostile_certificates()[name]
    path = tmp_path / f"{name}.{form}"
    path.write_bytes(pem(der) if form == "pem" else der)
    code, out, _ = run_main("inspect", str(pki_dir / "client.crt"), str(path), "--json")
    assert code == 1
    [finding] = [f for f in json.loads(out)["findings"] if f["code"] == "input-unreadable"]
    assert "\n" not in finding["title"]
    assert "cannot be fully read" in finding["title"] or "invalid X.509 version" in finding["title"], finding["title"]
    alone = run_cli("inspect", str(path), "--json")
    assert one_line(alone, "mtls-tui inspect:", path.name) and alone.stdout == ""
    with pytest.raises(InputError):
        load_material(path.read_bytes(), path.name)


def test_the_rest_of_the_report_stands(tmp_path: Path, pki_dir: Path) -> None:
    """One unreadable certificate among the inputs: its finding, and the client verdict beside it."""
    for name, der in hostile_certificates().items():
        (tmp_path / f"{name}.pem").write_bytes(pem(der))
    hostile = [str(tmp_path / f"{name}.pem") for name in CASES]
    code, out, _ = run_main(
        "inspect", "--ca", str(pki_dir / "ca.crt"), "--cert", str(pki_dir / "client.crt"), *hostile, "--json"
    )
    report = json.loads(out)
    codes = [f["code"] for f in report["findings"]]
    assert codes.count("input-unreadable") == len(CASES) and "client-cert-accepted" in codes
    assert report["client_verdict"]["accepted"] is True and code == 1


def test_in_a_secret_the_key_that_holds_it_is_unreadable(tmp_path: Path, pki: SeedPki) -> None:
    for name, der in hostile_certificates().items():
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "default"},
            "data": {
                "ca.crt": base64.b64encode(pem(der)).decode(),
                "tls.crt": base64.b64encode(pki.server.cert_pem()).decode(),
            },
        }
        material = load_material(yaml.safe_dump(secret).encode(), "secret.yaml")
        [info] = material.secrets
        holds = {entry.name: entry.holds for entry in info.entries}
        assert holds["ca.crt"].startswith("unreadable:") and holds["tls.crt"] == "1 certificate(s)", (name, holds)


@pytest.mark.parametrize(
    "name", [c for c in CASES if c != "invalid-version"]
)  # that one cryptography cannot load at all
def test_facts_of_a_certificate_no_loader_checked(name: str) -> None:
    """The probe's server certificate reaches cert_facts straight from the handshake: each
    part that cannot be decoded reads "(could not be read)" or is left empty; the rest stands."""
    cert = x509.load_der_x509_certificate(hostile_certificates()[name])
    facts = cert_facts(cert)
    assert facts.sha256 and facts.serial == "1234"
    if name == "invalid-utf8-subject":
        assert facts.subject == "(could not be read)" and facts.issuer == "CN=Hostile Test CA"
    if name == "unknown-key-algorithm":
        assert facts.key_type.startswith("(could not be read") and facts.subject == "CN=AAAAAAAA"


def test_one_hostile_certificate_through_the_real_command(tmp_path: Path) -> None:
    path = tmp_path / "dup.crt"
    path.write_bytes(pem(hostile_certificates()["duplicate-basic-constraints"]))
    one_line(run_cli("inspect", str(path)), "mtls-tui inspect:", "dup.crt", "cannot be fully read")


def nested_json(depth: int) -> str:
    return (
        '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}, "data": '
        + '{"a": ' * depth
        + "1"
        + "}" * depth
        + "}"
    )


def nested_yaml(depth: int) -> str:
    return (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: x\n  annotations:\n    a: "
        + "[" * depth
        + "]" * depth
        + "\n"
    )


@pytest.mark.parametrize("depth", [300, 990])
def test_deeply_nested_manifests_are_one_line(tmp_path: Path, depth: int) -> None:
    for name, text in (("deep.json", nested_json(depth)), ("deep.yaml", nested_yaml(depth))):
        (tmp_path / name).write_text(text)
        one_line(
            run_cli("check", "--manifests", str(tmp_path / name), "--no-probe", "--json"), name, "nests deeper than"
        )
        one_line(run_cli("inspect", str(tmp_path / name), "--json"), "mtls-tui inspect:", name, "nests deeper than")


def test_deep_nesting_beyond_the_parser(tmp_path: Path) -> None:
    (tmp_path / "deeper.json").write_text(nested_json(20000))
    one_line(run_cli("check", "--manifests", str(tmp_path / "deeper.json"), "--no-probe"), "deeper.json")


@pytest.mark.parametrize(
    ("server", "words"),
    [
        ("https://[::1", "Invalid IPv6 URL"),
        ("https://host:99999", "Port out of range"),
        ("https://a b", "spaces"),
        ("ftp://x", "http(s)"),
        ("https://", "no host"),
    ],
)
def test_a_kubeconfig_server_that_is_not_a_url(tmp_path: Path, server: str, words: str) -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "x",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "server:" in text)
    one_line(
        run_cli("check", "--kubeconfig", str(path), "--no-probe"),
        f"kubeconfig {path}:{line}",
        "server of cluster c",
        words,
    )


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://[::1/", "Invalid IPv6 URL"),
        ("https://a\x1b[31mb/", "control characters"),
        ("https://127.0.0.1:0/", "invalid port"),
    ],
)
def test_probe_url_that_is_not_a_url(url: str, words: str) -> None:
    out = one_line(run_cli("probe", url, "--timeout", "3"), "mtls-tui probe:", words)
    assert "\x1b" not in out


def test_inspect_stdin_closed() -> None:
    out = run_cli("inspect", "-", stdin=None, preexec_fn=lambda: os.close(0))
    one_line(out, "standard input is closed")


def test_counts_that_are_not_numbers(tmp_path: Path) -> None:
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "e", "namespace": "default"},
            "count": "many",
            "involvedObject": {"kind": "Ingress", "name": "i"},
            "reason": "Sync",
            "message": "m",
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "p",
                "namespace": "ingress-nginx",
                "labels": {"app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"},
            },
            "status": {
                "phase": "Running",
                "containerStatuses": [
                    {"name": "controller", "ready": True, "restartCount": "x²"},
                    {"name": "b", "ready": True, "restartCount": [1]},
                ],
            },
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "i", "namespace": "default"},
            "spec": {"rules": [{"host": "meow.com"}]},
        },
    ]
    path = tmp_path / "counts.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    code, _, _ = run_main("check", "--manifests", str(path), "--no-probe", "--json")
    assert code in (0, 1)


def test_output_to_a_reader_that_went_away(tmp_path: Path) -> None:
    """`... --json | head -c 1`: more output than a pipe holds, and the reader gone."""
    from mtls_tui.certs.issue import issue_ca, new_key

    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(b"".join(issue_ca(f"CA {n}", key=new_key("ec")).cert_pem() for n in range(150)))
    done = subprocess.run(
        f"{sys.executable} -m mtls_tui inspect {bundle} --json | head -c 1 >/dev/null",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in done.stderr and "Broken pipe" not in done.stderr, done.stderr


def test_a_tolerated_oddity_prints_no_warning(tmp_path: Path) -> None:
    """A negative serial number: cryptography reads it with a deprecation warning, which would be
    two more lines on stderr around the report."""
    der = _certificate()
    path = tmp_path / "negative-serial.pem"
    path.write_bytes(pem(_patch(der, b"\x02\x02\x12\x34", b"\x02\x02\x92\x34")))
    out = run_cli("inspect", str(path))
    assert out.returncode in (0, 1) and out.stderr == "", out.stderr


@pytest.mark.parametrize(
    ("name", "text", "line", "words"),
    [
        (
            "bigint.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ncount: " + "1" * 5000 + "\n",
            4,
            "4,300 digits",
        ),
        ("bigint.json", '{"apiVersion": "v1", "kind": "ConfigMap", "count": ' + "1" * 5000 + "}", 1, "4,300 digits"),
        (
            "month13.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, creationTimestamp: 2026-13-45}\n",
            3,
            "month",
        ),
    ],
)
def test_a_scalar_yaml_cannot_build_is_one_line(tmp_path: Path, name: str, text: str, line: int, words: str) -> None:
    """With the line of the scalar: the reader builds each scalar where it reads it."""
    (tmp_path / name).write_text(text)
    one_line(
        run_cli("check", "--manifests", str(tmp_path / name), "--no-probe"), f"{name}:{line}: is not valid YAML", words
    )
    one_line(run_cli("inspect", str(tmp_path / name), "--json"), f"{name}:{line}: is not valid YAML", words)
