"""Issue 11, class 4: every reader linear and bounded, no hang, no unbounded memory.

Time and memory are measured on real runs (a fresh interpreter where memory matters,
its peak RSS from wait4), with bounds generous enough for a shared 2-core machine.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12
from hypothesis import given, settings
from hypothesis import strategies as st

from mtls_tui.certs import crl
from mtls_tui.certs.load import load_material
from mtls_tui.errors import InputError
from mtls_tui.lab.pki import SeedPki
from tests.test_hostile_certs import one_line, run_cli, run_main

BEGIN_LINES = b"-----BEGIN CERTIFICATE-----\n" * 10_000  # 280 KB: 25 s before
CRL_BEGIN_LINES = b"-----BEGIN X509 CRL-----\n" * 10_000


def timed(call, *args):
    start = time.perf_counter()
    try:
        call(*args)
    except InputError:
        pass
    return time.perf_counter() - start


# The child's own high-water mark: wait4's ru_maxrss would include the parent's (a forked or
# vforked child inherits pytest's peak RSS at exec), so the figure would grow with the suite.
_PEAK_REPORTING_MAIN = """
import os, runpy, sys
try:
    runpy.run_module("mtls_tui", run_name="__main__", alter_sys=True)
finally:
    with open("/proc/self/status") as status, open(os.environ["MTLS_TEST_PEAK_FILE"], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
"""


def run_measured(argv: list[str], timeout: float = 30, **kwargs) -> tuple[int, float, int, str]:
    """(exit status, seconds, peak RSS in MB, stderr) of `mtls-tui ARGV` in a fresh interpreter;
    killed after `timeout` seconds (status -9; its peak then counts as unknown, 0)."""
    with tempfile.TemporaryDirectory() as folder:
        peak_file = Path(folder, "peak")
        env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "MTLS_TUI_PASS")}
        env["MTLS_TEST_PEAK_FILE"] = str(peak_file)
        start = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-c", _PEAK_REPORTING_MAIN, *argv],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=kwargs.pop("stdin", subprocess.DEVNULL),
            **kwargs,
        )
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        stderr = child.stderr.read().decode(errors="replace")
        code = child.wait()
        timer.cancel()
        peak_kb = int(peak_file.read_text() or 0) if peak_file.exists() else 0
        return code, time.monotonic() - start, peak_kb // 1024, stderr


# --- PEM ------------------------------------------------------------------------------------


def test_many_begin_lines_load_in_linear_time() -> None:
    assert timed(load_material, BEGIN_LINES, "begins.pem") < 1.0
    assert timed(load_material, BEGIN_LINES.replace(b"\n", b""), "begins.pem") < 1.0
    with pytest.raises(InputError, match=r"begins.pem:1: '-----BEGIN CERTIFICATE-----' has no END line"):
        load_material(BEGIN_LINES, "begins.pem")


def test_shared_pem_block_is_linear() -> None:
    """crl.PEM_BLOCK (the Secret's ca.crl and the controller's reading of ca.crt/tls.crt use it)."""
    assert timed(crl.load_crls, CRL_BEGIN_LINES) < 1.0
    assert timed(crl.controller_refusal, CRL_BEGIN_LINES) < 1.0
    mixed = b"-----BEGIN X509 CRL-----\n-----END CERTIFICATE-----\n" * 10_000
    assert timed(lambda: list(crl.PEM_BLOCK.finditer(mixed))) < 1.0


# The expression PEM_BLOCK stood for, kept here as the oracle of its behaviour.
ORIGINAL_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.S)
PIECES = [
    b"-----BEGIN ",
    b"-----END ",
    b"X509 CRL",
    b"CERTIFICATE",
    b"A",
    b"-----",
    b"\n",
    b"x",
    b"-",
    b" ",
    b"END ",
    b"BEGIN ",
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24), st.integers(0, 200), st.integers(0, 200))
def test_shared_pem_block_keeps_its_behaviour(pieces: list[bytes], pos: int, endpos: int) -> None:
    data = b"".join(pieces)
    spans = lambda matches: [(m.span(), m.groups()) for m in matches]  # noqa: E731
    assert spans(crl.PEM_BLOCK.finditer(data)) == spans(ORIGINAL_PEM_BLOCK.finditer(data))
    assert spans(crl.PEM_BLOCK.finditer(data, pos, endpos)) == spans(ORIGINAL_PEM_BLOCK.finditer(data, pos, endpos))
    first, oracle = crl.PEM_BLOCK.search(data), ORIGINAL_PEM_BLOCK.search(data)
    assert (first and first.span()) == (oracle and oracle.span())


def test_blank_lines_before_a_manifest_key_are_linear() -> None:
    """`^\\s*kind:` spanned lines: 60 KB of blank lines took 13 s."""
    assert timed(load_material, b"\n \n" * 20_000 + b"x", "blank.txt") < 1.0


def test_a_secret_with_many_keys_and_a_list_of_many_secrets_are_linear() -> None:
    """Adding each key's part to the Material so far copied all of it: 64,000 keys took 8 s."""
    many_keys = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "x"},
        "stringData": {f"k{n}": "junk-not-a-cert" for n in range(64_000)},
    }
    assert timed(load_material, json.dumps(many_keys).encode(), "keys.json") < 3.0
    many_secrets = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"s{n}"}, "stringData": {"a": "junk"}}
            for n in range(20_000)
        ],
    }
    assert timed(load_material, json.dumps(many_secrets).encode(), "list.json") < 3.0


# --- YAML -------------------------------------------------------------------------------------


def billion_laughs(kind: str = "Secret") -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(8):
        prev, name = chr(97 + i), chr(98 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    body = "".join(f"  {line}\n" for line in lines)
    return f"apiVersion: v1\nkind: {kind}\nmetadata: {{name: lol}}\nstringData:\n{body}"


@pytest.mark.parametrize("command", [["inspect"], ["check", "--no-probe", "--manifests"]])
def test_billion_laughs_is_refused_quickly_and_small(tmp_path: Path, command: list[str]) -> None:
    """Before: past 4 GB and a minute (inspect), 43 s (check)."""
    path = tmp_path / "lol.yaml"
    path.write_text(billion_laughs())
    code, seconds, peak_mb, stderr = run_measured([*command, str(path), "--json"])
    assert seconds < 10 and peak_mb < 300, (seconds, peak_mb)
    assert code in (1, 2) and "Traceback" not in stderr
    if command[0] == "check":
        assert "aliases expand it by" in stderr and stderr.count("\n") == 1


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &d\n  self: *d\n")
    one_line(run_cli("check", "--manifests", str(path), "--no-probe"), "recursive")


def test_a_few_anchors_still_work(tmp_path: Path, pki: SeedPki) -> None:
    """Anchors for shared labels are ordinary YAML: read as before."""
    text = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: my-certs\n  labels: &labels {app: meow, tier: web}\n"
        "  annotations: {copied-labels: *labels}\n"
        f"data:\n  ca.crt: {base64.b64encode(pki.ca.cert_pem()).decode()}\n"
        "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: meow\n  labels: &l {app: meow}\n"
        "  annotations:\n    nginx.ingress.kubernetes.io/auth-tls-secret: default/my-certs\n"
        "spec:\n  ingressClassName: nginx\n  tls: [{hosts: [meow.com], secretName: my-certs}]\n"
        "  rules: [{host: meow.com}]\n  x-selector: *l\n"
    )
    path = tmp_path / "anchors.yaml"
    path.write_text(text)
    code, out, err = run_main("check", "--manifests", str(path), "--no-probe", "--json")
    assert code in (0, 1) and '"meow.com"' in out, err
    assert load_material(text.encode(), "anchors.yaml").secrets[0].name == "my-certs"


def test_a_manifest_set_over_10_mib_is_read(tmp_path: Path) -> None:
    """The size limit is for one certificate, key or bundle; a cluster's manifests may be large.
    Read with libyaml when PyYAML has it: 12 MB in a few seconds at most."""
    blob = "x" * 10_000
    objects = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"c{n}", "namespace": "default"},
            "data": {"blob": blob},
        }
        for n in range(1200)
    ]
    objects.append(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": {"name": "i", "namespace": "default"},
            "spec": {"rules": [{"host": "meow.com"}]},
        }
    )
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump_all(objects))
    assert path.stat().st_size > 12_000_000
    code, seconds, peak_mb, stderr = run_measured(
        ["check", "--manifests", str(path), "--no-probe", "--json"], timeout=60
    )
    assert code in (0, 1), stderr
    assert seconds < 20 and peak_mb < 400, (seconds, peak_mb)


# --- files, devices, pipes ------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["inspect"], ["check", "--no-probe", "--manifests"]])
def test_dev_zero_is_refused_at_once(command: list[str]) -> None:
    code, seconds, peak_mb, stderr = run_measured([*command, "/dev/zero"], timeout=20)
    assert code == 2 and seconds < 10 and peak_mb < 200, (code, seconds, peak_mb, stderr)
    assert "/dev/zero is a character device, not a file" in stderr and stderr.count("\n") == 1


@pytest.mark.parametrize("command", [["inspect"], ["check", "--no-probe", "--manifests"]])
def test_a_fifo_without_a_writer_does_not_block(tmp_path: Path, command: list[str]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code, seconds, _, stderr = run_measured([*command, str(fifo)], timeout=20)
    assert code == 2 and seconds < 10, (code, seconds, stderr)
    assert "named pipe with no writer" in stderr and stderr.count("\n") == 1


def test_a_fifo_with_a_writer_is_read(tmp_path: Path, pki: SeedPki) -> None:
    """As bash's <(kubectl get secret ...) hands it over: the writer comes, and a moment later its data."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as handle:  # blocks until the reader opened it
            time.sleep(0.5)
            handle.write(pki.ca.cert_pem())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    code, out, _ = run_main("inspect", str(fifo), "--json")
    writer.join(5)
    assert "Fern Cert Authority" in out and code in (0, 1)


def test_stdin_and_files_are_bounded_by_bytes_read(tmp_path: Path) -> None:
    with open("/dev/zero", "rb") as zero:
        code, seconds, peak_mb, stderr = run_measured(["inspect", "-", "--json"], stdin=zero, timeout=30)
    # nothing to judge but a refused input: one line, exit 2 (DESIGN's exit statuses; it was a report, exit 1)
    assert code == 2 and seconds < 10 and peak_mb < 300, (code, seconds, peak_mb, stderr)
    big = tmp_path / "big.pem"
    big.write_bytes(b"A" * (11 * 2**20))
    code, out, err = run_main("inspect", str(big), "--json")
    assert code == 2 and out == "" and "is over 10 MiB" in err


@pytest.mark.parametrize("value", ["inf", "1e308", "nan", "-1", "0"])
def test_check_timeout_is_validated_as_probe_does(tmp_path: Path, value: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    out = run_cli("check", "--manifests", str(path), "--no-probe", "--timeout", value)
    assert out.returncode == 2 and "argument --timeout: must be between 0 and 600 seconds" in out.stderr


# --- key derivation bombs ---------------------------------------------------------------------------


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _tree(der: bytes) -> list:
    """DER as [tag, content bytes] for primitive items and [tag, [children]] for constructed ones."""
    items, pos = [], 0
    while pos < len(der):
        tag, length, pos = der[pos], der[pos + 1], pos + 2
        if length & 0x80:
            count = length & 0x7F
            length, pos = int.from_bytes(der[pos : pos + count], "big"), pos + count
        content = der[pos : pos + length]
        items.append([tag, _tree(content) if tag & 0x20 else content])
        pos += length
    return items


def _encode(items: list) -> bytes:
    return b"".join(_der(tag, _encode(content) if tag & 0x20 else content) for tag, content in items)


def with_rounds(der: bytes, rounds: int) -> bytes:
    """`der` with every count that follows a salt (an INTEGER after an OCTET STRING in a SEQUENCE:
    PKCS#12 MacData, PBKDF2 parameters) set to `rounds`, lengths re-encoded around it."""
    count = rounds.to_bytes((rounds.bit_length() + 8) // 8, "big")

    def patch(items: list) -> None:
        for before, item in zip([None, *items], items, strict=False):  # each item with the one before it
            if item[0] == 0x02 and before is not None and before[0] == 0x04:
                item[1] = count
            if item[0] & 0x20:
                patch(item[1])

    tree = _tree(der)
    patch(tree)
    return _encode(tree)


def test_a_pkcs12_asking_for_billions_of_rounds_is_refused(tmp_path: Path, pki: SeedPki) -> None:
    blob = pkcs12.serialize_key_and_certificates(
        b"fern", pki.client.key, pki.client.cert, None, serialization.BestAvailableEncryption(b"pw")
    )
    assert len(load_material(blob, "ok.p12", b"pw").keys) == 1
    path = tmp_path / "bomb.p12"
    path.write_bytes(with_rounds(blob, 2**31 - 1))
    for password in ([], ["--pass", "pw"]):
        code, seconds, _, stderr = run_measured(["inspect", str(path), *password, "--json"], timeout=20)
        assert code == 2 and seconds < 10, (code, seconds, stderr)  # refused: one line, exit 2
    with pytest.raises(InputError, match="key derivation rounds"):
        load_material(path.read_bytes(), "bomb.p12", b"pw")


def test_an_encrypted_key_asking_for_billions_of_rounds_is_refused(pki: SeedPki) -> None:
    key = pki.client.key.private_bytes(
        serialization.Encoding.PEM, PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    bomb = with_rounds(base64.b64decode(b"".join(key.splitlines()[1:-1])), 2**31 - 1)
    pem = (
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + base64.encodebytes(bomb) + b"-----END ENCRYPTED PRIVATE KEY-----\n"
    )
    start = time.perf_counter()
    with pytest.raises(InputError, match="key derivation rounds"):
        load_material(pem, "bomb.key", b"pw")
    assert time.perf_counter() - start < 1.0
    with pytest.raises(InputError, match="encrypted"):  # no pass phrase: nothing derived, only asked for
        load_material(pem, "bomb.key")
    assert len(load_material(key, "ok.key", b"pw").keys) == 1


def test_legitimate_pkcs12_round_counts_still_load(pki: SeedPki) -> None:
    """OpenSSL's 2,048, Java's 50,000, and a cautious 600,000 a part."""
    for rounds in (2048, 50_000, 600_000):
        encryption = (
            PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(rounds)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(b"pw")
        )
        blob = pkcs12.serialize_key_and_certificates(
            b"fern", pki.client.key, pki.client.cert, [pki.ca.cert], encryption
        )
        assert len(load_material(blob, "ok.p12", b"pw").certs) == 2


@pytest.mark.parametrize(
    ("args", "image"),
    [
        (("--watch-namespace-selector=a" + " " * 200_000 + "b",), "registry.k8s.io/ingress-nginx/controller:v1.15.1"),
        ((), "controller:v1" + "0" * 50_000 + ".2"),  # more digits than int() takes by default
    ],
    ids=["a-selector-of-spaces", "a-release-of-50000-digits"],
)
def test_hostile_controller_flags_and_tags(tmp_path: Path, pki: SeedPki, args, image) -> None:
    """A Deployment's arguments and image are cluster data: a selector with a long run of spaces
    (the label selector's regex was quadratic in it) and a tag with a huge release number (int()
    refuses over 4,300 digits) are judged in a moment, without a traceback."""
    from mtls_tui.lab.objects import controller_objects, seed_objects

    objects = [o for o in seed_objects(pki) if o["kind"] not in ("Deployment", "Pod", "IngressClass")]
    (tmp_path / "all.yaml").write_text(
        yaml.safe_dump_all([*objects, *controller_objects(extra_args=args, image=image)])
    )
    status, seconds, _, stderr = run_measured(["check", "--no-probe", "--manifests", str(tmp_path / "all.yaml")])
    assert status in (0, 1) and "Traceback" not in stderr, stderr
    assert seconds < 10
